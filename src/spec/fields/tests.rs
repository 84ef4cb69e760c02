use super::*;

/// Every message reachable from the root, each once.
fn messages() -> Vec<&'static Message> {
    let mut seen: Vec<&'static Message> = vec![&CREATE_PIPELINE_REQUEST];
    let mut i = 0;
    while let Some(message) = seen.get(i).copied() {
        for field in message.fields {
            if let Kind::Message(child) = field.kind
                && !seen.iter().any(|m| std::ptr::eq(*m, child))
            {
                seen.push(child);
            }
        }
        i += 1;
    }
    seen
}

fn lower_camel(proto: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in proto.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn every_message_of_the_spec_is_reachable() {
    let names: Vec<&str> = messages().iter().map(|m| m.name).collect();
    assert_eq!(names.len(), 29, "{names:?}");
    for expected in [
        "pps.Determined",
        "pfs.PropagationSpec",
        "pfs.Project",
        "pps.Toleration",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
}

#[test]
fn json_names_are_the_lower_camel_case_of_proto_names() {
    for message in messages() {
        for f in message.fields {
            assert_eq!(f.json, lower_camel(f.proto), "{}.{}", message.name, f.proto);
        }
        for r in message.removed {
            assert_eq!(r.json, lower_camel(r.proto), "{}.{}", message.name, r.proto);
        }
    }
}

#[test]
fn names_are_unique_and_removed_fields_are_not_fields() {
    for message in messages() {
        let mut names: Vec<&str> = Vec::new();
        for f in message.fields {
            names.push(f.proto);
            if f.json != f.proto {
                names.push(f.json);
            }
        }
        for r in message.removed {
            assert!(message.field(r.proto).is_none(), "{}", r.proto);
            assert!(message.field(r.json).is_none(), "{}", r.json);
            if let Some(new) = r.replacement {
                assert!(message.field(new).is_some(), "{} -> {new}", r.proto);
            }
        }
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "{}", message.name);
    }
}

#[test]
fn releases_are_within_what_pachhook_knows() {
    for message in messages() {
        for f in message.fields {
            assert!(f.since >= Release::OLDEST && f.since <= Release::NEWEST);
            assert!(f.until.is_none_or(|u| u >= f.since && u <= Release::NEWEST));
        }
    }
}

#[test]
fn lookup_takes_either_spelling() {
    let f = CREATE_PIPELINE_REQUEST
        .field("parallelismSpec")
        .map(|f| f.proto);
    assert_eq!(f, Some("parallelism_spec"));
    let f = CREATE_PIPELINE_REQUEST
        .field("parallelism_spec")
        .map(|f| f.json);
    assert_eq!(f, Some("parallelismSpec"));
    assert!(CREATE_PIPELINE_REQUEST.field("ParallelismSpec").is_none());
    let standby = CREATE_PIPELINE_REQUEST
        .removed("standby")
        .and_then(|r| r.replacement);
    assert_eq!(standby, Some("autoscaling"));
    let details = CREATE_PIPELINE_REQUEST
        .field("details_json")
        .expect("details_json");
    assert!(details.available_in(Release::new(2, 7)));
    assert!(!details.available_in(Release::new(2, 8)));
    assert!(!details.available_in(Release::new(2, 6)));
}
