//! What a YAML scalar becomes once pachctl has read it.
//!
//! pachctl decodes a spec with Go's gopkg.in/yaml.v3 into nodes, then converts every node
//! to JSON itself: `!!str` → string, `!!int` → number (only if the text matches
//! `^(0|(-?[1-9][0-9]*))$`), `!!float` → number (the text as written, with a `0` put in
//! front of a leading `.`), `!!bool` → true/false, `!!null` → null, and every other tag is
//! an error. Plain (unquoted) scalars get their tag from yaml.v3's resolver, which this
//! module reproduces rule for rule, because the resolution decides what a user observes:
//! `2021-01-01` is a timestamp that pachctl refuses, `0x1F` and `007` are integers it
//! refuses, `1e400` (too large for a float) is a string, `.5` is the number `0.5`.
//!
//! Both readers go through [`value`], so a number written in a `.json` file and the same
//! number in a `.yaml` file can never turn into different trees.
//!
//! Why by hand: no Rust YAML crate resolves plain scalars the way yaml.v3 does. saphyr's
//! loader (like serde_yaml) follows the YAML 1.2 core schema, where `2021-01-01` and
//! `0b101` are strings and `1e400` is a float; yaml.v3 makes them a timestamp, an
//! integer and a string. A different answer there is a finding pachctl would not give
//! (or a miss), so the resolver is ours, tested rule by rule (`scalar/tests.rs`) and on
//! the corpus (`tests/it/read.rs`).

use std::borrow::Cow;

use super::tree::Value;

/// How a scalar was written: only plain scalars are resolved; quoted and block scalars
/// are strings unless explicitly tagged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Quoted,
}

/// The value pachctl makes of a scalar, or why it refuses it. `tag` is the tag in yaml.v3's
/// short form (`!!int`, `!local`); `None` for an untagged scalar and for the non-specific
/// tag `!`, which yaml.v3 treats as no tag.
pub(crate) fn value(text: &str, style: Style, tag: Option<&str>) -> Result<Value, String> {
    let tag = match tag {
        Some(tag) => tag,
        None if style == Style::Quoted => "!!str",
        None => resolve(text),
    };
    match tag {
        "!!str" => Ok(Value::String(text.to_string())),
        "!!null" => Ok(Value::Null),
        "!!bool" => match text.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!(
                "`{text}` is not a boolean: pachctl accepts only true or false"
            )),
        },
        "!!int" if is_decimal_integer(text) => Ok(Value::Number {
            text: text.to_string(),
            integer: true,
        }),
        "!!int" => Err(format!(
            "the integer `{text}` is not written in plain decimal, so pachctl rejects it \
             (integers must match ^(0|(-?[1-9][0-9]*))$): write it in decimal without a \
             sign `+`, leading zeros or `_`, or quote it to make it a string"
        )),
        "!!float" => {
            let json = match text.strip_prefix('.') {
                Some(_) => format!("0{text}"),
                None => text.to_string(),
            };
            // Go's json.Marshal enforces JSON's number grammar on the numbers pachctl builds.
            if super::protojson::json_number(&json) {
                Ok(Value::Number {
                    text: json,
                    integer: false,
                })
            } else if matches!(resolve_map(text), Some("!!float")) {
                Err(format!(
                    "`{text}` is a YAML infinity or not-a-number, which JSON (and so \
                     pachctl) cannot represent: write a number, or quote it"
                ))
            } else {
                Err(format!(
                    "pachctl cannot turn the floating-point number `{text}` into JSON: write \
                     it like 1.5, 0.5 or 1e5 (no `+`, `_`, leading zeros or trailing `.`), or \
                     quote it"
                ))
            }
        }
        "!!timestamp" => Err(format!(
            "`{text}` is read as a YAML timestamp, which pachctl does not support: quote it \
             (\"{text}\")"
        )),
        "!!merge" => {
            Err("YAML merge keys (`<<`) are not supported by pachctl: write the keys out".into())
        }
        other => Err(format!(
            "the YAML tag `{other}` is not supported by pachctl: only !!str, !!int, \
             !!float, !!bool and !!null are; remove the tag"
        )),
    }
}

/// yaml.v3's short form of a tag: `tag:yaml.org,2002:int` → `!!int`; `None` for the
/// non-specific tag `!`.
pub(crate) fn short_tag(full: &str) -> Option<String> {
    if full == "!" || full.is_empty() {
        return None;
    }
    Some(match full.strip_prefix("tag:yaml.org,2002:") {
        Some(rest) => format!("!!{rest}"),
        None => full.to_string(),
    })
}

/// The words yaml.v3 looks up before anything else.
fn resolve_map(text: &str) -> Option<&'static str> {
    Some(match text {
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => "!!bool",
        "" | "~" | "null" | "Null" | "NULL" => "!!null",
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF"
        | "-.inf" | "-.Inf" | "-.INF" => "!!float",
        _ => return None,
    })
}

/// The tag yaml.v3 gives a plain scalar (its `resolve` with no tag, plus the parser's
/// special case for `<<`).
fn resolve(text: &str) -> &'static str {
    if text == "<<" {
        return "!!merge";
    }
    let first = text.as_bytes().first().copied();
    match first {
        None => return "!!null",
        Some(b'+' | b'-' | b'0'..=b'9' | b'.') => {}
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => {
            return resolve_map(text).unwrap_or("!!str");
        }
        Some(_) => return "!!str",
    }
    if let Some(tag) = resolve_map(text) {
        return tag;
    }
    // Go's number parsers ignore `_` here (yaml.v3 removes them, or ParseFloat allows them
    // between digits); the text kept for JSON still has them.
    let plain: Cow<str> = if text.contains('_') {
        Cow::Owned(text.replace('_', ""))
    } else {
        Cow::Borrowed(text)
    };
    if first == Some(b'.') {
        let ok = underscores_ok(text)
            && is_dot_float(&plain)
            && plain.parse::<f64>().is_ok_and(f64::is_finite);
        return if ok { "!!float" } else { "!!str" };
    }
    if is_timestamp(text) {
        return "!!timestamp";
    }
    if go_parse_int(&plain) || go_parse_uint(&plain) {
        return "!!int";
    }
    if is_yaml_style_float(&plain) && plain.parse::<f64>().is_ok_and(f64::is_finite) {
        return "!!float";
    }
    // yaml.v3's last attempts: binary and octal with an explicit prefix, where the rest
    // goes to ParseInt with a fixed base (which accepts a sign of its own).
    for (prefix, negative, radix) in [("0b", "-0b", 2), ("0o", "-0o", 8)] {
        if let Some(rest) = plain.strip_prefix(prefix) {
            if parse_signed(rest, radix) || parse_unsigned(rest, radix) {
                return "!!int";
            }
        } else if let Some(rest) = plain.strip_prefix(negative) {
            // yaml.v3 parses "-" + rest: a second sign there makes it fail.
            let fits = !rest.is_empty() && accumulate(rest, radix).is_some_and(|v| v <= 1 << 63);
            if fits {
                return "!!int";
            }
        }
    }
    "!!str"
}

/// pachctl's integer regexp `^(0|(-?[1-9][0-9]*))$`.
fn is_decimal_integer(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if text == "0" {
        return true;
    }
    matches!(digits.as_bytes().first(), Some(b'1'..=b'9'))
        && digits.bytes().all(|b| b.is_ascii_digit())
}

/// yaml.v3's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let from = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - from
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// `.` digits, optionally an exponent: the only decimal float syntax Go accepts that
/// starts with a dot.
fn is_dot_float(text: &str) -> bool {
    text.starts_with('.') && is_yaml_style_float(text)
}

/// Go's rule for `_` in number literals: only between digits (or after a base prefix).
fn underscores_ok(text: &str) -> bool {
    let b = text.as_bytes();
    let b = match b.first() {
        Some(b'+' | b'-') => &b[1..],
        _ => b,
    };
    let mut i = 0;
    let mut saw = b'^';
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1] | 0x20, b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1] | 0x20 == b'x';
    }
    while let Some(&c) = b.get(i) {
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else if saw == b'_' {
            return false;
        } else {
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Go's `strconv.ParseInt(s, 0, 64)` succeeds.
fn go_parse_int(s: &str) -> bool {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    match go_base0(digits) {
        Some(v) if negative => v <= 1u128 << 63,
        Some(v) => v < 1u128 << 63,
        None => false,
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)` succeeds (no sign allowed).
fn go_parse_uint(s: &str) -> bool {
    go_base0(s).is_some_and(|v| v <= u128::from(u64::MAX))
}

/// The unsigned value of `s` with Go's base-0 prefixes (`0x`, `0o`, `0b`, or a leading
/// `0` for octal), saturating far above u64 so the caller can range-check.
fn go_base0(s: &str) -> Option<u128> {
    let b = s.as_bytes();
    let (radix, digits) = if b.first() == Some(&b'0') {
        match b.get(1).map(|c| c | 0x20) {
            Some(b'b') if b.len() >= 3 => (2, &s[2..]),
            Some(b'o') if b.len() >= 3 => (8, &s[2..]),
            Some(b'x') if b.len() >= 3 => (16, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else {
        (10, s)
    };
    if s.is_empty() {
        return None;
    }
    accumulate(digits, radix)
}

fn accumulate(digits: &str, radix: u32) -> Option<u128> {
    let mut v: u128 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix)?;
        v = (v * u128::from(radix) + u128::from(d)).min(u128::from(u64::MAX) + 1);
    }
    Some(v)
}

/// `strconv.ParseInt(s, radix, 64)` for a fixed radix.
fn parse_signed(s: &str, radix: u32) -> bool {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return false;
    }
    match accumulate(digits, radix) {
        Some(v) if negative => v <= 1u128 << 63,
        Some(v) => v < 1u128 << 63,
        None => false,
    }
}

/// `strconv.ParseUint(s, radix, 64)` for a fixed radix.
fn parse_unsigned(s: &str, radix: u32) -> bool {
    !s.is_empty() && accumulate(s, radix).is_some_and(|v| v <= u128::from(u64::MAX))
}

/// yaml.v3's timestamp test: Go's `time.Parse` with the layouts `2006-1-2T15:4:5.999999999Z07:00`
/// (also with `t`), `2006-1-2 15:4:5.999999999` and `2006-1-2`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if !date(s, &mut i) {
        return false;
    }
    let zoned = match b.get(i) {
        None => return true,
        Some(b'T' | b't') => {
            i += 1;
            true
        }
        Some(b' ') => {
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
            false
        }
        Some(_) => return false,
    };
    if !clock(b, &mut i) {
        return false;
    }
    if zoned { zone(&b[i..]) } else { i == b.len() }
}

/// `YYYY-M-D` (month and day in one or two digits) naming a day that exists; `i` ends
/// after it.
fn date(s: &str, i: &mut usize) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let year: u32 = s[..4].parse().unwrap_or(0);
    *i = 5;
    let Some(month) = number(b, i).filter(|m| (1..=12).contains(m)) else {
        return false;
    };
    if b.get(*i) != Some(&b'-') {
        return false;
    }
    *i += 1;
    let Some(day) = number(b, i) else {
        return false;
    };
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days).contains(&day)
}

/// `h:m:s` (one or two digits each) with an optional fraction after `.` or `,`; `i`
/// ends after it.
fn clock(b: &[u8], i: &mut usize) -> bool {
    let time_ok = number(b, i).is_some_and(|h| h < 24)
        && b.get(*i) == Some(&b':')
        && {
            *i += 1;
            number(b, i).is_some_and(|m| m < 60)
        }
        && b.get(*i) == Some(&b':')
        && {
            *i += 1;
            number(b, i).is_some_and(|s| s < 60)
        };
    if time_ok
        && matches!(b.get(*i), Some(b'.' | b','))
        && b.get(*i + 1).is_some_and(u8::is_ascii_digit)
    {
        *i += 1;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
    }
    time_ok
}

/// The rest of a zoned timestamp: `Z`, or `+hh:mm` / `-hh:mm`.
fn zone(rest: &[u8]) -> bool {
    match rest.first() {
        Some(b'Z') => rest.len() == 1,
        Some(b'+' | b'-') => {
            rest.len() == 6
                && rest[3] == b':'
                && [1, 2, 4, 5].iter().all(|&k| rest[k].is_ascii_digit())
                && (rest[1] - b'0') * 10 + (rest[2] - b'0') <= 24
                && (rest[4] - b'0') * 10 + (rest[5] - b'0') <= 60
        }
        _ => false,
    }
}

/// One or two digits, as Go's `getnum` reads a non-padded field.
fn number(b: &[u8], i: &mut usize) -> Option<u32> {
    let first = *b.get(*i).filter(|c| c.is_ascii_digit())?;
    *i += 1;
    let mut v = u32::from(first - b'0');
    if let Some(&second) = b.get(*i).filter(|c| c.is_ascii_digit()) {
        *i += 1;
        v = v * 10 + u32::from(second - b'0');
    }
    Some(v)
}

#[cfg(test)]
mod tests;
