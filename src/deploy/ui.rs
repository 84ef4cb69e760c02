//! Progress of a deploy on standard error: indicatif spinners and bars on a terminal,
//! plain lines otherwise (CI logs, a hook whose stderr is a file), so that every
//! important event is still shown once.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Clone, Copy)]
pub struct Ui {
    tty: bool,
}

impl Ui {
    pub fn new() -> Ui {
        Ui {
            tty: std::io::stderr().is_terminal(),
        }
    }

    pub fn say(&self, line: &str) {
        eprintln!("{line}");
    }

    /// A step with a spinner (terminal) or a heading line (plain).
    pub fn step(&self, title: &str) -> Step {
        if !self.tty {
            eprintln!("{title}");
            return Step { bar: None };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(title.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Step { bar: Some(bar) }
    }
}

impl Default for Ui {
    fn default() -> Ui {
        Ui::new()
    }
}

pub struct Step {
    bar: Option<ProgressBar>,
}

impl Step {
    /// A line of output that stays (build steps, errors).
    pub fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!("  {text}")),
            None => eprintln!("  {text}"),
        }
    }

    /// A transient status: only on a terminal.
    pub fn status(&self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(text.to_string());
        }
    }

    /// Byte progress (a push, the context upload): a bar on a terminal.
    pub fn bytes(&self, current: u64, total: u64, label: &str) {
        if let Some(bar) = &self.bar {
            if bar.length() != Some(total) {
                bar.set_length(total);
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} {prefix} [{bar:30}] {bytes}/{total_bytes} {wide_msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
            }
            bar.set_position(current.min(total));
            bar.set_message(label.to_string());
        }
    }

    pub fn finish(self, text: &str) {
        match self.bar {
            Some(bar) => {
                bar.finish_and_clear();
                eprintln!("{text}");
            }
            None => eprintln!("  {text}"),
        }
    }

    pub fn abandon(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
