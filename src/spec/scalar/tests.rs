use super::*;

fn plain(text: &str) -> Result<Value, String> {
    value(text, Style::Plain, None)
}

fn int(text: &str) -> Value {
    Value::Number {
        text: text.into(),
        integer: true,
    }
}

fn float(text: &str) -> Value {
    Value::Number {
        text: text.into(),
        integer: false,
    }
}

fn string(text: &str) -> Value {
    Value::String(text.into())
}

#[test]
fn nulls_and_booleans_are_the_yaml_v3_words_only() {
    for t in ["", "~", "null", "Null", "NULL"] {
        assert_eq!(plain(t), Ok(Value::Null), "{t}");
    }
    for t in ["true", "True", "TRUE"] {
        assert_eq!(plain(t), Ok(Value::Bool(true)), "{t}");
    }
    for t in ["false", "False", "FALSE"] {
        assert_eq!(plain(t), Ok(Value::Bool(false)), "{t}");
    }
    for t in ["yes", "no", "on", "off", "y", "n", "nULL", "tRUE"] {
        assert_eq!(plain(t), Ok(string(t)), "{t}");
    }
}

#[test]
fn integers_must_be_plain_decimal() {
    for t in [
        "0",
        "7",
        "-12",
        "18446744073709551615",
        "-9223372036854775808",
    ] {
        assert_eq!(plain(t), Ok(int(t)), "{t}");
    }
    for t in [
        "-0", "+1", "007", "0x1F", "0o17", "0b101", "1_000", "0777", "+0x1", "0b-1", "1_",
    ] {
        let err = plain(t).unwrap_err();
        assert!(err.contains("not written in plain decimal"), "{t}: {err}");
    }
}

#[test]
fn numbers_beyond_64_bits_are_floats_or_strings_as_in_yaml_v3() {
    assert_eq!(
        plain("18446744073709551616"),
        Ok(float("18446744073709551616"))
    );
    assert_eq!(
        plain("-9223372036854775809"),
        Ok(float("-9223372036854775809"))
    );
    assert_eq!(plain("1e400"), Ok(string("1e400")));
    assert_eq!(
        plain("0x1FFFFFFFFFFFFFFFFF"),
        Ok(string("0x1FFFFFFFFFFFFFFFFF"))
    );
}

#[test]
fn floats_must_convert_to_json() {
    assert_eq!(plain("1.5"), Ok(float("1.5")));
    assert_eq!(plain("1e5"), Ok(float("1e5")));
    assert_eq!(plain("-0.0"), Ok(float("-0.0")));
    assert_eq!(plain(".5"), Ok(float("0.5")));
    assert_eq!(plain("1e-400"), Ok(float("1e-400")));
    for t in ["+1.5", "1.", "-.5", "1_0.5", "089", ".5_5"] {
        let err = plain(t).unwrap_err();
        assert!(err.contains("cannot turn"), "{t}: {err}");
    }
    for t in [".inf", "-.Inf", ".NaN"] {
        let err = plain(t).unwrap_err();
        assert!(err.contains("infinity"), "{t}: {err}");
    }
    for t in ["1.2.3", ".", "-", "+", ".e5", "1e", "0x", "_1"] {
        assert_eq!(plain(t), Ok(string(t)), "{t}");
    }
}

#[test]
fn timestamps_are_refused() {
    for t in [
        "2021-01-01",
        "2021-1-1",
        "2024-02-29",
        "2021-01-01T00:00:00Z",
        "2021-01-01t10:20:30.5+02:00",
        "2021-01-01 10:20:30",
        "2021-01-01  1:2:3.25",
    ] {
        let err = plain(t).unwrap_err();
        assert!(err.contains("timestamp"), "{t}: {err}");
    }
    for t in [
        "2021-13-01",
        "2023-02-29",
        "2021-01-01T00:00:00",
        "2021-01-01 10:20:30Z",
        "2021-01-01T25:00:00Z",
        "20210-01-01",
        "2021-01-01x",
    ] {
        assert_eq!(plain(t), Ok(string(t)), "{t}");
    }
}

#[test]
fn quoted_scalars_and_explicit_tags() {
    assert_eq!(value("12", Style::Quoted, None), Ok(string("12")));
    assert_eq!(value("12", Style::Plain, Some("!!str")), Ok(string("12")));
    assert_eq!(value("12", Style::Quoted, Some("!!int")), Ok(int("12")));
    assert_eq!(
        value("TRUE", Style::Plain, Some("!!bool")),
        Ok(Value::Bool(true))
    );
    assert_eq!(value("x", Style::Plain, Some("!!null")), Ok(Value::Null));
    assert!(value("yes", Style::Plain, Some("!!bool")).is_err());
    assert!(value("0x1", Style::Quoted, Some("!!int")).is_err());
    let err = value("a", Style::Plain, Some("!!binary")).unwrap_err();
    assert!(err.contains("`!!binary` is not supported"), "{err}");
    assert!(value("a", Style::Plain, Some("!local")).is_err());
    assert!(plain("<<").unwrap_err().contains("merge keys"));
    assert_eq!(short_tag("tag:yaml.org,2002:int").as_deref(), Some("!!int"));
    assert_eq!(short_tag("!"), None);
    assert_eq!(short_tag("!x").as_deref(), Some("!x"));
}
