//! Pachyderm releases, as far as the spec cares: a major and a minor number.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Release {
    pub major: u32,
    pub minor: u32,
}

impl Release {
    /// The newest release whose spec pachhook knows.
    pub const NEWEST: Release = Release::new(2, 12);
    pub const OLDEST: Release = Release::new(2, 0);

    pub const fn new(major: u32, minor: u32) -> Release {
        Release { major, minor }
    }

    /// Every release pachhook knows, oldest first (what `--pachyderm` completes to).
    pub fn all() -> impl Iterator<Item = Release> {
        (Release::OLDEST.minor..=Release::NEWEST.minor).map(|minor| Release::new(2, minor))
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for Release {
    type Err = String;

    /// Accepts `2.5`, `2.5.1`, `v2.12.0-rc.3`: patch and pre-release parts do not change
    /// which fields exist.
    fn from_str(s: &str) -> Result<Release, String> {
        let bad = || {
            format!(
                "`{s}` is not a Pachyderm release: write it as `2.5` (2.0 to {})",
                Release::NEWEST
            )
        };
        let core = s.strip_prefix('v').unwrap_or(s);
        let core = core.split(['-', '+']).next().unwrap_or(core);
        let mut parts = core.split('.');
        let major = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        if parts.next().is_some_and(|p| p.parse::<u32>().is_err()) || parts.next().is_some() {
            return Err(bad());
        }
        let release = Release::new(major, minor);
        if release < Release::OLDEST || release > Release::NEWEST {
            return Err(format!(
                "pachhook knows Pachyderm {} to {}, not {release}",
                Release::OLDEST,
                Release::NEWEST
            ));
        }
        Ok(release)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spellings_people_use() {
        assert_eq!("2.5".parse(), Ok(Release::new(2, 5)));
        assert_eq!("v2.12.0-rc.3".parse(), Ok(Release::new(2, 12)));
        assert_eq!("2.9.4".parse(), Ok(Release::new(2, 9)));
        assert!(
            "1.13"
                .parse::<Release>()
                .unwrap_err()
                .contains("2.0 to 2.12")
        );
        assert!("two".parse::<Release>().is_err());
    }
}
