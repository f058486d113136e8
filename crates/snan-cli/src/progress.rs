//! Progress reporting: an indicatif bar on a terminal, plain log lines otherwise (CI logs).

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar that degrades to a log line every 10 % when stdout is not a terminal.
pub struct Progress {
    label: String,
    bar: Option<ProgressBar>,
    last_decile: u64,
    start: Instant,
}

impl Progress {
    /// A new progress reporter; `total` may be set later by [`Progress::update`].
    pub fn new(label: &str, total: u64) -> Self {
        let bar = std::io::stdout().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} {elapsed_precise} eta {eta}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.set_prefix(label.to_string());
            bar
        });
        Self { label: label.to_string(), bar, last_decile: 0, start: Instant::now() }
    }

    /// Reports `done` of `total`.
    pub fn update(&mut self, done: u64, total: u64) {
        match &self.bar {
            Some(bar) => {
                bar.set_length(total);
                bar.set_position(done);
            }
            None => {
                let decile = if total == 0 { 10 } else { done * 10 / total };
                if decile > self.last_decile {
                    self.last_decile = decile;
                    println!("{}: {}/{} ({:.0} s)", self.label, done, total, self.start.elapsed().as_secs_f64());
                }
            }
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
