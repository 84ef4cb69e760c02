//! Every path pachhook compares or writes through is resolved first (issue 20, cause 2):
//! paths in pachhook.toml as git names them (`./x` is `x`, `..` refused), and
//! `GIT_INDEX_FILE` relative to the top of the work tree, as git takes it.

use crate::support::{GOOD, Repo, Sandbox, code, text};

const TEMPLATE: &str = "function(suffix)
  {
    pipeline: { name: 'edges-' + suffix },
    description: 'Edges.',
    transform: { image: 'team/edges:latest', cmd: ['python3', '/edges.py'] },
    input: { pfs: { repo: 'images', glob: '/*' } },
  }
";

/// The team's policy: every pipeline names its owner in its metadata.
const POLICY: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "required": ["metadata"]
}"#;

#[test]
fn dot_slash_paths_in_the_config_name_the_files_git_names() {
    let repo = Repo::new();
    repo.write(
        "pachhook.toml",
        "[specs]\npaths = [\"./pipelines/*.json\", \"./pipelines/*.jsonnet\"]\n\n\
         [[template]]\npath = \"./pipelines//edges.jsonnet\"\nargs = { suffix = \"a\" }\n\n\
         [[policy]]\nschema = \"./policy.json\"\npaths = [\"./pipelines/**\"]\n",
    );
    repo.write("policy.json", POLICY);
    repo.write("pipelines/edges.jsonnet", TEMPLATE);
    repo.write("pipelines/plain.json", GOOD);
    let out = repo.pachhook(&["check"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    // The template rendered (its floating tag found) and the policy applied.
    assert!(text(&out).contains("floating-tag"), "{}", text(&out));
    assert!(
        text(&out).contains("pipelines/plain.json") && text(&out).contains("metadata"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("unchecked-template"), "{}", text(&out));
}

#[test]
fn config_paths_that_leave_the_repository_are_refused() {
    for config in [
        "[[template]]\npath = \"../x.jsonnet\"\n",
        "[[template]]\npath = \"a/../../x.jsonnet\"\n",
        "[[policy]]\nschema = \"../policy.json\"\n",
        "[[policy]]\nschema = \"p.json\"\npaths = [\"../**\"]\n",
        "[specs]\npaths = [\"pipelines/../../*.json\"]\n",
    ] {
        let repo = Repo::new();
        repo.write("p.json", "{}");
        repo.write("pachhook.toml", config);
        let out = repo.pachhook(&["check"]);
        assert_eq!(code(&out), 2, "{config}\n{}", text(&out));
        assert!(
            text(&out).contains("leaves the repository"),
            "{config}\n{}",
            text(&out)
        );
    }
}

#[test]
fn a_relative_index_file_is_relative_to_the_top_of_the_work_tree() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    std::fs::create_dir_all(repo.dir.join("pipelines")).unwrap();
    repo.write(
        "pipelines/edges.json",
        &GOOD.replace("opencv:1.0.0", "opencv:latest"),
    );
    repo.git(&["add", "."]);
    let sub = repo.at(repo.dir.join("pipelines"));
    // As inside a hook that `cd`s: git's relative `.git/index` still names the index.
    let out = sub.pachhook_env(
        &["check", "--staged"],
        &[("GIT_INDEX_FILE", ".git/index")],
        None,
    );
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("floating-tag"), "{}", text(&out));
    // A named index that does not exist is an error, not an empty index.
    let out = sub.pachhook_env(
        &["check", "--staged"],
        &[("GIT_INDEX_FILE", ".git/no-such-index")],
        None,
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("GIT_INDEX_FILE") && text(&out).contains("does not exist"),
        "{}",
        text(&out)
    );
}
