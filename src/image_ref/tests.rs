use super::*;

const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn ok(s: &str) -> ImageRef {
    match parse(s) {
        Ok(r) => r,
        Err(e) => panic!("{s:?} should parse: {e}"),
    }
}

fn err(s: &str) -> ImageRefError {
    match parse(s) {
        Ok(r) => panic!("{s:?} should not parse, got {r:?}"),
        Err(e) => e,
    }
}

fn parts(s: &str) -> (Option<String>, String, Option<String>, Option<String>) {
    let r = ok(s);
    (r.registry, r.path, r.tag, r.digest.map(|d| d.to_string()))
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

#[test]
fn plain_names_have_no_registry_and_no_tag() {
    assert_eq!(parts("ubuntu"), (None, "ubuntu".into(), None, None));
    assert_eq!(parts("team/edges"), (None, "team/edges".into(), None, None));
    assert_eq!(
        parts("a/b/c/d"),
        (None, "a/b/c/d".into(), None, None),
        "deep paths are allowed"
    );
}

#[test]
fn tags_follow_the_last_colon_after_the_last_slash() {
    assert_eq!(
        parts("ubuntu:20.04"),
        (None, "ubuntu".into(), some("20.04"), None)
    );
    assert_eq!(
        parts("pachyderm/opencv:1.0"),
        (None, "pachyderm/opencv".into(), some("1.0"), None)
    );
    assert_eq!(
        parts("registry.example.com/team/edges:3f2a9c1"),
        (
            some("registry.example.com"),
            "team/edges".into(),
            some("3f2a9c1"),
            None
        )
    );
}

#[test]
fn a_registry_port_is_not_a_tag() {
    assert_eq!(
        parts("localhost:5000/team/edges"),
        (some("localhost:5000"), "team/edges".into(), None, None)
    );
    assert_eq!(
        parts("localhost:5000/team/edges:v1"),
        (
            some("localhost:5000"),
            "team/edges".into(),
            some("v1"),
            None
        )
    );
    assert_eq!(
        parts("registry.example.com:443/edges"),
        (some("registry.example.com:443"), "edges".into(), None, None)
    );
}

#[test]
fn the_first_component_is_a_host_only_with_a_dot_a_colon_or_localhost() {
    assert_eq!(ok("localhost/edges").registry, some("localhost"));
    assert_eq!(ok("gcr.io/proj/img").registry, some("gcr.io"));
    assert_eq!(ok("team/edges").registry, None);
    // `localhost` alone is a repository called localhost, and the `:5000` is its tag.
    assert_eq!(
        parts("localhost:5000"),
        (None, "localhost".into(), some("5000"), None)
    );
    // A dotted single component is a path: `.` is a valid separator.
    assert_eq!(
        parts("example.com"),
        (None, "example.com".into(), None, None)
    );
}

#[test]
fn ipv6_registries() {
    assert_eq!(
        parts("[::1]:5000/edges:v2"),
        (some("[::1]:5000"), "edges".into(), some("v2"), None)
    );
    assert_eq!(ok("[fe80::1]/edges").registry, some("[fe80::1]"));
    assert!(err("[::1/edges").message.contains("closing"));
    assert!(err("[zz:1]/edges").message.contains("IPv6"));
}

#[test]
fn digests() {
    let s = format!("team/edges@sha256:{SHA}");
    assert_eq!(
        parts(&s),
        (
            None,
            "team/edges".into(),
            None,
            Some(format!("sha256:{SHA}"))
        )
    );
    let s = format!("localhost:5000/team/edges:v1@sha256:{SHA}");
    assert_eq!(
        parts(&s),
        (
            some("localhost:5000"),
            "team/edges".into(),
            some("v1"),
            Some(format!("sha256:{SHA}"))
        )
    );
    let s512 = format!("edges@sha512:{SHA}{SHA}");
    assert_eq!(ok(&s512).digest.map(|d| d.algorithm), some("sha512"));
}

#[test]
fn bad_digests_say_why() {
    let e = err(&format!("edges@sha256:{}", &SHA[..63]));
    assert!(e.message.contains("exactly 64"), "{e}");
    assert_eq!(e.offset, "edges@sha256:".len());
    let upper = SHA.to_uppercase();
    let e = err(&format!("edges@sha256:{upper}"));
    assert!(e.message.contains("lowercase"), "{e}");
    let e = err(&format!("edges@md5:{SHA}"));
    assert!(
        e.message.contains("unsupported digest algorithm `md5`"),
        "{e}"
    );
    assert_eq!(e.offset, 6);
    let e = err("edges@sha256");
    assert!(e.message.contains("no `:`"), "{e}");
    let e = err("edges@");
    assert!(e.message.contains("no `:`"), "{e}");
    let e = err(&format!("edges@sha256:{}g", &SHA[..63]));
    assert!(e.message.contains("hex digits only"), "{e}");
    assert_eq!(e.offset, "edges@sha256:".len() + 63);
}

#[test]
fn uppercase_paths_are_refused_with_the_offset() {
    let e = err("Team/edges:v1");
    assert!(e.message.contains("uppercase `T`"), "{e}");
    assert_eq!((e.offset, e.position), (0, 1));
    let e = err("registry.example.com/team/Edges");
    assert_eq!(e.offset, "registry.example.com/team/".len());
    // Uppercase is fine in a host and in a tag.
    assert_eq!(ok("Registry.Example.com/edges:V1").tag, some("V1"));
}

#[test]
fn separators_in_path_components() {
    for good in ["a.b", "a_b", "a__b", "a-b", "a---b", "a.b_c-d", "x9", "0"] {
        ok(good);
    }
    for (bad, offset) in [
        ("a..b", 1),
        ("a___b", 1),
        ("a._b", 1),
        ("a-.b", 1),
        ("-ab", 0),
        ("_ab", 0),
        ("ab-", 0),
        ("team/ab.", 5),
    ] {
        assert_eq!(err(bad).offset, offset, "{bad}");
    }
}

#[test]
fn empty_components_and_empty_parts() {
    assert!(err("").message.contains("empty"));
    assert_eq!(err("team//edges").offset, 5);
    assert_eq!(err("/edges").offset, 0);
    assert_eq!(err("team/").offset, 5);
    assert!(err("edges:").message.contains("tag after `:` is empty"));
    assert!(err(":v1").message.contains("no repository name"));
    assert!(err("localhost:/edges").message.contains("port is empty"));
}

#[test]
fn bad_characters_anywhere() {
    assert_eq!(err("edges ").offset, 5);
    assert_eq!(err(" edges").offset, 0);
    assert_eq!(err("$PIPELINE_DOCKER_IMAGE").offset, 0);
    assert_eq!(err("ed$ges").offset, 2);
    let e = err("édges");
    assert_eq!((e.offset, e.position), (0, 1));
    let e = err("aé/b:c d");
    assert_eq!(e.offset, 1);
    let e = err("a/b:c d");
    assert_eq!((e.offset, e.position), (5, 6));
    assert!(e.message.contains("tag"), "{e}");
    // Two tags: the last `:` wins, and the rest is an invalid path.
    assert!(err("edges:a:b").message.contains("`:`"));
    // A `:` in a middle component is a port of a host that is not one.
    assert!(err("team:x/edges").message.contains("port"));
    assert!(err("bad_host.com/edges").message.contains("registry host"));
    assert!(err("-bad.com/edges").message.contains("starts or ends"));
    assert!(err("a..com/edges").message.contains("empty label"));
}

#[test]
fn tag_grammar_and_limits() {
    ok("edges:_x");
    ok("edges:V1.2-rc_3");
    assert!(err("edges:.x").message.contains("starts with"));
    assert!(err("edges:-x").message.contains("starts with"));
    let long = format!("edges:{}", "a".repeat(TAG_MAX));
    ok(&long);
    let too_long = format!("edges:{}", "a".repeat(TAG_MAX + 1));
    assert!(err(&too_long).message.contains("at most 128"));
}

#[test]
fn name_length_limit() {
    let name = format!("a/{}", "b".repeat(NAME_MAX - 2));
    ok(&name);
    let too_long = format!("a/{}:v1", "b".repeat(NAME_MAX - 1));
    assert!(err(&too_long).message.contains("at most 255"));
}

#[test]
fn repository_and_display() {
    let r = ok(&format!("localhost:5000/team/edges:v1@sha256:{SHA}"));
    assert_eq!(r.repository(), "localhost:5000/team/edges");
    assert_eq!(
        r.to_string(),
        format!("localhost:5000/team/edges:v1@sha256:{SHA}")
    );
    assert_eq!(ok("ubuntu:22.04").repository(), "ubuntu");
}

#[test]
fn canonical_repository_resolves_docker_hub_shorthands() {
    assert_eq!(
        ok("ubuntu").canonical_repository(),
        "docker.io/library/ubuntu"
    );
    assert_eq!(
        ok("docker.io/library/ubuntu:1").canonical_repository(),
        "docker.io/library/ubuntu"
    );
    assert_eq!(
        ok("docker.io/ubuntu").canonical_repository(),
        "docker.io/library/ubuntu"
    );
    assert_eq!(
        ok("index.docker.io/team/x").canonical_repository(),
        "docker.io/team/x"
    );
    assert_eq!(ok("team/x").canonical_repository(), "docker.io/team/x");
    assert_eq!(
        ok("localhost:5000/x").canonical_repository(),
        "localhost:5000/x"
    );
}

#[test]
fn never_panics_on_awkward_strings() {
    let samples = [
        "@",
        ":",
        "/",
        "//",
        "@@",
        "a@b@c",
        "[",
        "[]",
        "[]:",
        "[::1]",
        "[::1]x/a",
        "a:/b",
        "a/b:",
        "a/b@",
        "a/b:@",
        "é:é/é@é:é",
        "\u{0}",
        "a\u{301}/b",
        "localhost:５/a",
        "a/b:c@sha256:",
        "🙂",
        "a/🙂",
        "a:🙂",
        "[🙂]/a",
    ];
    for s in samples {
        let _ = parse(s);
    }
    // Every prefix of a tricky reference, split at every char boundary.
    let tricky = format!("[fe80::1]:5000/té.am/ed__ges:v1@sha256:{SHA}");
    for (i, _) in tricky.char_indices() {
        let _ = parse(&tricky[..i]);
        let _ = parse(&tricky[i..]);
    }
}

/// Invariants a fuzzer checks, on many generated strings: parsing never panics, a
/// parsed reference prints back exactly as written, and an error points inside the
/// string at a character boundary.
#[test]
fn generated_strings_round_trip_or_point_inside() {
    const PIECES: &[&str] = &[
        "a",
        "z",
        "0",
        "9",
        "A",
        "_",
        "__",
        ".",
        "-",
        "--",
        "/",
        ":",
        "@",
        "[",
        "]",
        "::1",
        "localhost",
        "example.com",
        "5000",
        "sha256",
        "sha512",
        SHA,
        "latest",
        " ",
        "é",
        "🙂",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut parsed = 0;
    for _ in 0..20_000 {
        let len = next() % 9;
        let mut s = String::new();
        for _ in 0..len {
            let pick = next() % u64::try_from(PIECES.len()).unwrap();
            s.push_str(PIECES[usize::try_from(pick).unwrap()]);
        }
        match parse(&s) {
            Ok(r) => {
                parsed += 1;
                assert_eq!(r.to_string(), s, "round trip");
                assert!(!r.path.is_empty());
            }
            Err(e) => {
                assert!(
                    e.offset <= s.len() && s.is_char_boundary(e.offset),
                    "{s:?}: {e:?}"
                );
                assert!(
                    e.position >= 1 && e.position <= s.chars().count() + 1,
                    "{s:?}: {e:?}"
                );
                assert!(!e.message.is_empty());
            }
        }
    }
    assert!(
        parsed > 500,
        "the generator should produce valid references too: {parsed}"
    );
}
