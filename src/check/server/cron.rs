//! Cron expressions as pachd parses `input.cron.spec` (the "standard" cron parser).
//!
//! Accepted: five fields (minute hour day-of-month month day-of-week), or a descriptor
//! (`@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/`@midnight`, `@hourly`,
//! `@every <Go duration>`, `@never`), optionally after `CRON_TZ=<zone> ` or
//! `TZ=<zone> `. Each field is a comma list of `*`/`?`, `N`, `N-M`, each optionally
//! `/step`; months and weekdays also take names (`JAN`, `mon`). The parser is strict in
//! the same places pachd's is: exactly one space after `@every`, no trailing text after a
//! descriptor, ranges inside the field's bounds, steps above zero.
//!
//! Why by hand: pachd uses robfig/cron's standard parser, and the Rust cron crates
//! speak other dialects: `cron` requires a seconds field, `croner` and `saffron` accept
//! Quartz extensions (`L`, `W`, `#`) that pachd refuses, and none knows `@every <Go
//! duration>` or `CRON_TZ=`. Validation only needs the grammar, not a scheduler.

/// One field's bounds and names.
struct Field {
    what: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTHS: &[&str] = &[
    "", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: [Field; 5] = [
    Field {
        what: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        what: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        what: "day of month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        what: "month",
        min: 1,
        max: 12,
        names: MONTHS,
    },
    Field {
        what: "day of week",
        min: 0,
        max: 6,
        names: WEEKDAYS,
    },
];

const DESCRIPTORS: &[&str] = &[
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
    "@never",
];

/// Checks a cron spec; the error says what is wrong in words for a finding message.
pub fn validate(spec: &str) -> Result<(), String> {
    if spec.is_empty() {
        return Err("the cron spec is empty".into());
    }
    let spec = strip_zone(spec)?;
    if spec.starts_with('@') {
        return descriptor(spec);
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected exactly 5 fields (minute hour day-of-month month day-of-week), found {}",
            fields.len()
        ));
    }
    for (text, field) in fields.iter().zip(FIELDS.iter()) {
        for part in text.split(',') {
            range(part, field).map_err(|e| format!("{} field `{text}`: {e}", field.what))?;
        }
    }
    Ok(())
}

/// Removes a `CRON_TZ=<zone> ` or `TZ=<zone> ` prefix, checking the zone looks like one.
fn strip_zone(spec: &str) -> Result<&str, String> {
    let Some(rest) = spec
        .strip_prefix("CRON_TZ=")
        .or_else(|| spec.strip_prefix("TZ="))
    else {
        return Ok(spec);
    };
    let Some((zone, rest)) = rest.split_once(' ') else {
        return Err("a time zone prefix must be followed by a space and a schedule".into());
    };
    // A tz database name (`UTC`, `Europe/Paris`, `Etc/GMT+5`); the list itself lives on
    // the server, so only the shape is checked here.
    let shaped = !zone.is_empty()
        && zone
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
    if !shaped {
        return Err(format!("`{zone}` is not a time zone name"));
    }
    Ok(rest.trim())
}

fn descriptor(spec: &str) -> Result<(), String> {
    if DESCRIPTORS.contains(&spec) {
        return Ok(());
    }
    if let Some(duration) = spec.strip_prefix("@every ") {
        return go_duration(duration).map_err(|e| {
            format!("`@every {duration}`: {e} (write e.g. `@every 60s` or `@every 1h30m`)")
        });
    }
    Err(format!(
        "unknown descriptor `{spec}`: use @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @every <duration> or @never"
    ))
}

/// A Go `time.ParseDuration` string: `[-+]?` then one or more `<number><unit>`, or `0`.
fn go_duration(s: &str) -> Result<(), String> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if body == "0" {
        return Ok(());
    }
    if body.is_empty() {
        return Err("the duration is empty".into());
    }
    let mut rest = body;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(format!("`{s}` is not a duration"));
        }
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        match &rest[..unit_len] {
            "ns" | "us" | "µs" | "μs" | "ms" | "s" | "m" | "h" => {}
            "" => return Err(format!("missing unit in `{s}` (ns, us, ms, s, m, h)")),
            unit => {
                return Err(format!(
                    "unknown unit `{unit}` in `{s}` (ns, us, ms, s, m, h)"
                ));
            }
        }
        rest = &rest[unit_len..];
    }
    Ok(())
}

/// One list element: `*`, `?`, `N`, `N-M`, each optionally followed by `/step`.
fn range(part: &str, field: &Field) -> Result<(), String> {
    let mut slash = part.split('/');
    let range = slash.next().unwrap_or_default();
    let step = slash.next();
    if slash.next().is_some() {
        return Err(format!("too many `/` in `{part}`"));
    }
    let (start, end) = if range == "*" || range == "?" {
        (field.min, field.max)
    } else {
        let mut dash = range.split('-');
        let low = value(dash.next().unwrap_or_default(), field)?;
        let high = match dash.next() {
            Some(high) => value(high, field)?,
            // `N/step` means `N-max/step`.
            None if step.is_some() => field.max,
            None => low,
        };
        if dash.next().is_some() {
            return Err(format!("too many `-` in `{range}`"));
        }
        (low, high)
    };
    if let Some(step) = step
        && number(step)? == 0
    {
        return Err(format!("the step in `{part}` must be above zero"));
    }
    if start < field.min {
        return Err(format!("{start} is below the minimum {}", field.min));
    }
    if end > field.max {
        return Err(format!("{end} is above the maximum {}", field.max));
    }
    if start > end {
        return Err(format!("the range `{range}` starts after it ends"));
    }
    Ok(())
}

/// A number, or a month/weekday name where the field has names (any case).
fn value(text: &str, field: &Field) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = field
        .names
        .iter()
        .position(|n| !n.is_empty() && *n == lower)
    {
        return u32::try_from(i).map_err(|_| format!("`{text}` is out of range"));
    }
    number(text)
}

fn number(text: &str) -> Result<u32, String> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{text}` is not a number"));
    }
    digits
        .parse()
        .map_err(|_| format!("`{text}` is out of range"))
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn accepts_what_pachd_accepts() {
        for ok in [
            "* * * * *",
            "*/5 * * * *",
            "0 0 * * *",
            "0 12 1 JAN mon",
            "0 12 1 jan-jun MON-FRI",
            "0,15,30,45 9-17 * * 1-5",
            "5/15 * * * *",
            "0 0 ? * *",
            "59 23 31 12 6",
            "0  0   * * *",
            "@yearly",
            "@annually",
            "@monthly",
            "@weekly",
            "@daily",
            "@midnight",
            "@hourly",
            "@never",
            "@every 10s",
            "@every 1m",
            "@every 1h30m",
            "@every 1.5h",
            "@every 500ms",
            "@every 0",
            "CRON_TZ=UTC 0 6 * * *",
            "TZ=Europe/Paris @daily",
            "CRON_TZ=America/New_York */10 * * * *",
        ] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_what_pachd_refuses() {
        for (bad, says) in [
            ("", "empty"),
            ("* * * *", "exactly 5 fields"),
            ("* * * * * *", "found 6"),
            ("60 * * * *", "above the maximum 59"),
            ("* 24 * * *", "above the maximum 23"),
            ("* * 0 * *", "below the minimum 1"),
            ("* * * 13 *", "above the maximum 12"),
            ("* * * * 7", "above the maximum 6"),
            ("* * * * MOO", "not a number"),
            ("*/0 * * * *", "above zero"),
            ("5-1 * * * *", "starts after it ends"),
            ("1-2-3 * * * *", "too many `-`"),
            ("*/2/3 * * * *", "too many `/`"),
            ("1,,2 * * * *", "not a number"),
            ("-1 * * * *", "not a number"),
            ("@every", "unknown descriptor"),
            ("@every 1x", "unknown unit"),
            ("@every 10", "missing unit"),
            ("@every .s", "not a duration"),
            ("@every  1m", "not a duration"),
            ("@daily ", "unknown descriptor"),
            ("@fortnightly", "unknown descriptor"),
            ("@reboot", "unknown descriptor"),
            ("TZ=UTC", "followed by a space"),
            ("TZ=Not A Zone * * * * *", "exactly 5 fields"),
            ("CRON_TZ=@! * * * * *", "not a time zone"),
            ("every minute", "exactly 5 fields"),
        ] {
            match validate(bad) {
                Ok(()) => panic!("{bad:?} should be refused"),
                Err(e) => assert!(e.contains(says), "{bad:?}: {e:?} should say {says:?}"),
            }
        }
    }
}
