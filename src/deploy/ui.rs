//! Progress of a deploy on standard error: indicatif spinners and bars on a terminal,
//! plain lines otherwise (CI logs, a hook whose stderr is a file), so that every
//! important event is still shown once.
//!
//! Without a terminal nothing moves on screen, so silence would look like a hang: a step
//! prints a line when the engine reports a retry, and one each time `QUIET_LIMIT` passes
//! without a line (a slow push, a long build step, a slow pachctl call).
//!
//! Lines name paths, images and build output of the repository: escaped as data.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::escape::{escape, escape_message};

/// How long a step without a terminal may stay silent.
pub const QUIET_LIMIT: Duration = Duration::from_secs(10);

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
        eprintln!("{}", escape_message(line));
    }

    /// A step with a spinner (terminal) or a heading line and a watch on silence (plain).
    pub fn step(&self, title: &str) -> Step {
        if !self.tty {
            eprintln!("{}", escape_message(title));
            return Step {
                bar: None,
                plain: Some(Plain::start(title)),
            };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(escape(title).into_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        Step {
            bar: Some(bar),
            plain: None,
        }
    }
}

impl Default for Ui {
    fn default() -> Ui {
        Ui::new()
    }
}

pub struct Step {
    bar: Option<ProgressBar>,
    plain: Option<Plain>,
}

/// A plain step's watch: when it last printed, and a thread that prints a line each time
/// `QUIET_LIMIT` passes without one.
struct Plain {
    last: Arc<Mutex<Instant>>,
    done: Arc<AtomicBool>,
    /// The last retry message printed, so a repeated one is printed once.
    retry: Mutex<String>,
}

impl Plain {
    fn start(title: &str) -> Plain {
        let last = Arc::new(Mutex::new(Instant::now()));
        let done = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let (watch_last, watch_done, title) =
            (last.clone(), done.clone(), escape(title).into_owned());
        std::thread::spawn(move || {
            while !watch_done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                let Ok(mut last) = watch_last.lock() else {
                    return;
                };
                if last.elapsed() >= QUIET_LIMIT && !watch_done.load(Ordering::Relaxed) {
                    eprintln!("  still {title} ({}s)", started.elapsed().as_secs());
                    *last = Instant::now();
                }
            }
        });
        Plain {
            last,
            done,
            retry: Mutex::new(String::new()),
        }
    }

    fn printed(&self) {
        if let Ok(mut last) = self.last.lock() {
            *last = Instant::now();
        }
    }
}

impl Drop for Plain {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
    }
}

impl Step {
    /// A line of output that stays (build steps, errors).
    pub fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!("  {}", escape_message(text))),
            None => eprintln!("  {}", escape_message(text)),
        }
        if let Some(plain) = &self.plain {
            plain.printed();
        }
    }

    /// A transient status: on a terminal it replaces the last one; without one only a
    /// retry is printed (once), since the engine may retry a push for a minute.
    pub fn status(&self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(escape(text).into_owned());
        }
        if let Some(plain) = &self.plain
            && text.to_ascii_lowercase().contains("retry")
            && let Ok(mut seen) = plain.retry.lock()
            && *seen != text
        {
            text.clone_into(&mut seen);
            eprintln!("  {}", escape(text));
            plain.printed();
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
            bar.set_message(escape(label).into_owned());
        }
    }

    pub fn finish(self, text: &str) {
        match &self.bar {
            Some(bar) => {
                bar.finish_and_clear();
                eprintln!("{}", escape_message(text));
            }
            None => eprintln!("  {}", escape_message(text)),
        }
    }

    pub fn abandon(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
