//! What protobuf JSON (the decoder pachctl hands every spec to) accepts for scalar
//! values: integers, floats, durations and timestamps.
//!
//! These are plain functions on text so they can be tested on their own and cost nothing
//! on the hot path: none of them allocates, except `duration_hint`, which only runs when a
//! duration is already wrong.
//!
//! Why by hand: the Rust protobuf-JSON crates (pbjson, prost-reflect's serde support)
//! decode whole messages from generated types or descriptors, which pachhook does not
//! have (its field table is written from the spec description, `spec/fields.rs`), and
//! they stop at the first error without a position. Four scalar grammars, checked
//! against Go's protojson in the tests, are less code than adapting either.

use super::fields::Int;

/// Why an integer was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntError {
    /// Not a whole number in decimal notation.
    NotInteger,
    /// A whole number outside the type's range.
    OutOfRange,
}

/// An integer field's value, written as a JSON number or as the content of a string.
///
/// Protobuf JSON takes any JSON number whose value is whole (`2`, `2.0`, `1e2`), and
/// pachctl's YAML step turns `2.0` into `2` anyway; `1.5` is refused.
pub fn integer(text: &str, int: Int) -> Result<(), IntError> {
    if !json_number(text) {
        return Err(IntError::NotInteger);
    }
    let value = if text.contains(['.', 'e', 'E']) {
        let v: f64 = text.parse().map_err(|_| IntError::NotInteger)?;
        // Past 2^127 the cast would saturate; every type here is far smaller anyway.
        if !v.is_finite() || v.abs() >= 1.7e38 {
            return Err(IntError::OutOfRange);
        }
        if v.fract() != 0.0 {
            return Err(IntError::NotInteger);
        }
        #[allow(clippy::cast_possible_truncation, reason = "whole and below 2^127")]
        let whole = v as i128;
        whole
    } else {
        text.parse::<i128>().map_err(|_| IntError::OutOfRange)?
    };
    let (min, max) = int.range();
    if value < min || value > max {
        return Err(IntError::OutOfRange);
    }
    Ok(())
}

/// A float field's value given as a string: protobuf JSON reads the string's content as a
/// JSON number, or one of the special values `NaN`, `Infinity`, `-Infinity`.
pub fn float_string(text: &str) -> bool {
    matches!(text, "NaN" | "Infinity" | "-Infinity") || json_number(text)
}

/// Whether a finite number fits a 32-bit float (protobuf JSON refuses `1e39` for a
/// `float` field).
pub fn fits_f32(text: &str) -> bool {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => v.abs() <= f64::from(f32::MAX),
        Ok(_) => matches!(text, "NaN" | "Infinity" | "-Infinity"),
        Err(_) => false,
    }
}

/// The JSON number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
pub fn json_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// The largest duration protobuf accepts: 10,000 years, in seconds.
const MAX_DURATION_SECONDS: u64 = 315_576_000_000;

/// A `google.protobuf.Duration` in JSON: seconds with an `s` suffix and at most nine
/// fraction digits (`"60s"`, `"1.5s"`, `"-0.25s"`, `".5s"`), within ±10,000 years.
pub fn duration(text: &str) -> bool {
    let Some(body) = text.strip_suffix('s') else {
        return false;
    };
    let body = body.strip_prefix('-').unwrap_or(body);
    let (int, frac) = match body.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (body, None),
    };
    let int_ok = int.is_empty()
        || int == "0"
        || (int.starts_with(|c: char| ('1'..='9').contains(&c))
            && int.bytes().all(|b| b.is_ascii_digit()));
    let frac_ok = frac.is_none_or(|f| f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()));
    let has_digits = !int.is_empty() || frac.is_some_and(|f| !f.is_empty());
    if !(int_ok && frac_ok && has_digits) {
        return false;
    }
    int.is_empty() || int.parse::<u64>().is_ok_and(|s| s <= MAX_DURATION_SECONDS)
}

/// For a duration written the Go way (`"1m"`, `"1h30m"`, `"500ms"`), the same length in
/// the form protobuf JSON wants (`"60s"`, `"5400s"`, `"0.5s"`). Used only in help text.
pub fn duration_hint(text: &str) -> Option<String> {
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest.is_empty() {
        return None;
    }
    // Nanoseconds, in a u128: 10,000 years is about 3.2e20 ns.
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let scale: u128 = match unit {
            "h" => 3_600_000_000_000,
            "m" => 60_000_000_000,
            "s" => 1_000_000_000,
            "ms" => 1_000_000,
            "us" | "µs" | "μs" => 1_000,
            "ns" => 1,
            _ => return None,
        };
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && frac.is_empty() {
            return None;
        }
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let mut part = whole.checked_mul(scale)?;
        let mut unit_scale = scale;
        for digit in frac.bytes() {
            unit_scale /= 10;
            part = part.checked_add(u128::from(digit.checked_sub(b'0')?) * unit_scale)?;
        }
        total = total.checked_add(part)?;
        rest = after;
    }
    let seconds = total / 1_000_000_000;
    let nanos = total % 1_000_000_000;
    let sign = if negative && total > 0 { "-" } else { "" };
    if nanos == 0 {
        Some(format!("{sign}{seconds}s"))
    } else {
        let frac = format!("{nanos:09}");
        Some(format!("{sign}{seconds}.{}s", frac.trim_end_matches('0')))
    }
}

/// A `google.protobuf.Timestamp` in JSON: RFC 3339 with an upper-case `T`, optional
/// fraction of up to nine digits, and `Z` or a `±hh:mm` offset
/// (`"2024-01-31T08:00:00Z"`, `"2024-01-31T08:00:00.5+01:00"`), years 1 to 9999.
pub fn timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(part.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        num(0, 4),
        num(5, 2),
        num(8, 2),
        num(11, 2),
        num(14, 2),
        num(17, 2),
    ) else {
        return false;
    };
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || b.get(10) != Some(&b'T')
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return false;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if year == 0 || day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
        return false;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start || i - start > 9 {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let (Some(h), Some(m)) = (num(i + 1, 2), num(i + 4, 2)) else {
                return false;
            };
            b.get(i + 3) == Some(&b':') && h <= 23 && m <= 59 && i + 6 == b.len()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_decimal_and_in_range() {
        assert_eq!(integer("2", Int::U64), Ok(()));
        assert_eq!(integer("-7", Int::I64), Ok(()));
        assert_eq!(integer("-1", Int::U64), Err(IntError::OutOfRange));
        assert_eq!(integer("2147483648", Int::I32), Err(IntError::OutOfRange));
        assert_eq!(integer("2147483647", Int::I32), Ok(()));
        assert_eq!(integer("18446744073709551615", Int::U64), Ok(()));
        assert_eq!(
            integer("99999999999999999999999999999999999999999", Int::I64),
            Err(IntError::OutOfRange)
        );
        // Whole numbers in any JSON notation are whole numbers.
        assert_eq!(integer("2.0", Int::U64), Ok(()));
        assert_eq!(integer("1e3", Int::I32), Ok(()));
        assert_eq!(integer("1e30", Int::I64), Err(IntError::OutOfRange));
        assert_eq!(integer("-1e400", Int::I64), Err(IntError::OutOfRange));
        for bad in [
            "", "-", "1.5", "1e-3", "two", " 2", "+2", "0x10", "01", "NaN",
        ] {
            assert_eq!(integer(bad, Int::I64), Err(IntError::NotInteger), "{bad}");
        }
    }

    #[test]
    fn floats_from_strings_follow_the_json_number_grammar() {
        for good in [
            "0.5",
            "1",
            "-2",
            "1e3",
            "1.5E-2",
            "NaN",
            "Infinity",
            "-Infinity",
        ] {
            assert!(float_string(good), "{good}");
        }
        for bad in ["", "one", "01", "1.", ".5", "1e", " 1", "inf", "nan", "+1"] {
            assert!(!float_string(bad), "{bad}");
        }
        assert!(fits_f32("3.5"));
        assert!(!fits_f32("1e39"));
    }

    #[test]
    fn durations_are_seconds_with_an_s() {
        for good in [
            "60s",
            "1.5s",
            "0s",
            "-0.25s",
            ".5s",
            "1.s",
            "0.123456789s",
            "315576000000s",
        ] {
            assert!(duration(good), "{good}");
        }
        for bad in [
            "60",
            "1m",
            "1h",
            "s",
            "-s",
            ".s",
            "01s",
            "1.1234567891s",
            "1 s",
            "315576000001s",
            "1.5.5s",
            "+1s",
        ] {
            assert!(!duration(bad), "{bad}");
        }
    }

    #[test]
    fn go_durations_get_a_hint_in_seconds() {
        assert_eq!(duration_hint("1m").as_deref(), Some("60s"));
        assert_eq!(duration_hint("1h30m").as_deref(), Some("5400s"));
        assert_eq!(duration_hint("500ms").as_deref(), Some("0.5s"));
        assert_eq!(duration_hint("1.5h").as_deref(), Some("5400s"));
        assert_eq!(duration_hint("-2m").as_deref(), Some("-120s"));
        assert_eq!(duration_hint("10").as_deref(), None);
        assert_eq!(duration_hint("soon").as_deref(), None);
        assert_eq!(duration_hint("").as_deref(), None);
    }

    #[test]
    fn timestamps_are_rfc_3339() {
        for good in [
            "2024-01-31T08:00:00Z",
            "2024-02-29T23:59:59.123456789Z",
            "2024-01-31T08:00:00+01:00",
            "0001-01-01T00:00:00-12:30",
        ] {
            assert!(timestamp(good), "{good}");
        }
        for bad in [
            "2024-01-31",
            "2024-01-31 08:00:00Z",
            "2024-01-31t08:00:00Z",
            "2024-01-31T08:00:00",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-31T24:00:00Z",
            "2024-01-31T08:00:00.Z",
            "2024-01-31T08:00:00+0100",
            "2024-01-31T08:00:00Zjunk",
            "0000-01-01T00:00:00Z",
            "yesterday",
        ] {
            assert!(!timestamp(bad), "{bad}");
        }
    }
}
