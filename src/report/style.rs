//! How output looks, chosen once for the whole process from the command line and the
//! environment: colour (`--color`, `NO_COLOR`, `CLICOLOR_FORCE`, `CLICOLOR`) and
//! `--quiet`. Every report and every command reads it from here, so one rule decides.

use std::ffi::OsString;
use std::sync::OnceLock;

/// `--color`: when to colour output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (or `CLICOLOR=0`); `CLICOLOR_FORCE`
    /// forces it on.
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, Default)]
struct Settings {
    color: ColorChoice,
    quiet: bool,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Records the command line's choices; called once by `main` before any output.
pub fn configure(color: ColorChoice, quiet: bool) {
    let _ = SETTINGS.set(Settings { color, quiet });
}

fn settings() -> Settings {
    SETTINGS.get().copied().unwrap_or_default()
}

/// `-q`: reports show the findings only (no summary line).
pub fn quiet() -> bool {
    settings().quiet
}

/// Whether to colour a stream that is (or is not) a terminal.
pub fn color(is_terminal: bool) -> bool {
    decide(
        settings().color,
        &Env {
            no_color: std::env::var_os("NO_COLOR"),
            clicolor_force: std::env::var_os("CLICOLOR_FORCE"),
            clicolor: std::env::var_os("CLICOLOR"),
            term: std::env::var_os("TERM"),
        },
        is_terminal,
    )
}

struct Env {
    no_color: Option<OsString>,
    clicolor_force: Option<OsString>,
    clicolor: Option<OsString>,
    term: Option<OsString>,
}

/// The flag wins; then `NO_COLOR` (no-color.org: set and not empty), then
/// `CLICOLOR_FORCE` (set and not `0`), then `CLICOLOR=0`; else a terminal that is not
/// `TERM=dumb` gets colour. The order is the one anstream (clap's own output) uses.
fn decide(choice: ColorChoice, env: &Env, is_terminal: bool) -> bool {
    let set = |v: &Option<OsString>| v.as_ref().is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set(&env.no_color) => false,
        ColorChoice::Auto
            if set(&env.clicolor_force) && env.clicolor_force.as_deref() != Some("0".as_ref()) =>
        {
            true
        }
        ColorChoice::Auto if env.clicolor.as_deref() == Some("0".as_ref()) => false,
        ColorChoice::Auto => is_terminal && env.term.as_deref() != Some("dumb".as_ref()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(no_color: Option<&str>, force: Option<&str>, clicolor: Option<&str>) -> Env {
        Env {
            no_color: no_color.map(Into::into),
            clicolor_force: force.map(Into::into),
            clicolor: clicolor.map(Into::into),
            term: Some("xterm-256color".into()),
        }
    }

    #[test]
    fn the_flag_then_no_color_then_clicolor_force_then_the_terminal() {
        use ColorChoice::*;
        assert!(decide(Always, &env(Some("1"), None, None), false));
        assert!(!decide(Never, &env(None, Some("1"), None), true));
        assert!(!decide(Auto, &env(Some("1"), Some("1"), None), true));
        assert!(
            decide(Auto, &env(Some(""), None, None), true),
            "empty NO_COLOR is unset"
        );
        assert!(decide(Auto, &env(None, Some("1"), None), false));
        assert!(!decide(Auto, &env(None, Some("0"), None), false));
        assert!(!decide(Auto, &env(None, None, Some("0")), true));
        assert!(decide(Auto, &env(None, None, None), true));
        assert!(!decide(Auto, &env(None, None, None), false));
        let dumb = Env {
            term: Some("dumb".into()),
            ..env(None, None, None)
        };
        assert!(!decide(Auto, &dumb, true));
    }
}
