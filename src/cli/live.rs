//! The live display of `shakedown run` and `shakedown test` on a terminal: an indicatif
//! status line, driven by the session's event stream, under the plain lines the
//! terminal reporter prints.
//!
//! The status line shows the elapsed time, the layer (in `run`), files done of the
//! total, the files running now with the entry each is at, the entries done, the
//! transport retries and diagnoses so far and the last server event (the server starting, or ready
//! with its URL and time to ready); during a load layer, instead of the entries and retries, the
//! load's numbers (current request rate, requests, p50/p95/p99, iterations in flight, dropped
//! starts, assert failures, errors by cause). Every event still goes to
//! the plain reporter ([`Terminal`]), whose lines are printed above the status line
//! (`ProgressBar::suspend`). Used only when stderr is a terminal; when piped, the
//! plain reporter alone prints, one line per file, retry and server event.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::output::{Printer, redact};
use crate::load::engine::LoadObserver;
use crate::load::summary::{counts, us};
use crate::session::{Event, Reporter, Stamped};

use super::terminal::Terminal;

/// Whether the live display should be used: stderr is a terminal.
pub fn wanted() -> bool {
    std::io::stderr().is_terminal()
}

/// The live display around a plain reporter.
pub struct Live {
    plain: Terminal,
    bar: ProgressBar,
    layer: Option<String>,
    done: usize,
    total: usize,
    /// The files running now, with the entry each is at.
    running: Vec<(String, Option<usize>)>,
    entries: usize,
    retries: usize,
    /// The diagnoses so far (failed attempts, replaced connections, resets after a response).
    diagnoses: usize,
    server: Option<String>,
    /// A load layer's numbers so far.
    load: Option<String>,
}

impl Live {
    /// A live display over `plain`; `bar` is shared with the caller, which clears it
    /// before printing the summary.
    pub fn new(plain: Terminal, bar: ProgressBar) -> Live {
        Live {
            plain,
            bar,
            layer: None,
            done: 0,
            total: 0,
            running: Vec::new(),
            entries: 0,
            retries: 0,
            diagnoses: 0,
            server: None,
            load: None,
        }
    }

    /// Counts files against `total` from the start (`shakedown test`, which has no layers).
    pub fn with_files(mut self, total: usize) -> Live {
        self.total = total;
        self
    }

    /// A status line on stderr, ticking every 100 ms.
    pub fn bar() -> ProgressBar {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }

    fn message(&self) -> String {
        let mut parts = Vec::new();
        match &self.layer {
            Some(layer) => parts.push(format!("layer {layer}")),
            None if self.total == 0 => parts.push("starting".to_owned()),
            None => {}
        }
        if self.total > 0 {
            parts.push(format!("files {}/{}", self.done, self.total));
        }
        if !self.running.is_empty() {
            let running: Vec<String> = self
                .running
                .iter()
                .map(|(path, entry)| match entry {
                    Some(entry) => format!("{path} (entry {entry})"),
                    None => path.clone(),
                })
                .collect();
            parts.push(format!("running {}", running.join(", ")));
        }
        if let Some(load) = &self.load {
            parts.push(load.clone());
        } else {
            parts.push(format!("entries {}", self.entries));
            parts.push(format!("retries {}", self.retries));
            if self.diagnoses > 0 {
                parts.push(format!("diagnoses {}", self.diagnoses));
            }
        }
        if let Some(server) = &self.server {
            parts.push(server.clone());
        }
        parts.join(" · ")
    }
}

/// A load layer's part of the status line.
fn load_status(live: &crate::load::engine::Live) -> String {
    format!("load {:.0}s: {}", live.elapsed.as_secs_f64(), load_numbers(live))
}

/// A load's live numbers, as the status line and `shakedown load`'s lines give them.
fn load_numbers(live: &crate::load::engine::Live) -> String {
    let errors = if live.errors.is_empty() { "none".to_owned() } else { counts(&live.errors) };
    format!(
        "{:.1} req/s, {} requests, p50 {} p95 {} p99 {}, active {}, dropped {}, assert failures {}, errors {errors}",
        live.rate,
        live.requests,
        us(live.p50_us),
        us(live.p95_us),
        us(live.p99_us),
        live.active_vus,
        live.dropped,
        live.assert_failures,
    )
}

impl Reporter for Live {
    fn follows_entries(&self) -> bool {
        true
    }

    fn report(&mut self, event: &Stamped<'_>) {
        match &event.event {
            Event::LayerStarted { name, files } => {
                self.layer = Some((*name).to_owned());
                self.done = 0;
                self.total = *files;
                self.running.clear();
                self.load = None;
            }
            Event::LoadProgress { live, .. } => self.load = Some(load_status(live)),
            Event::LayerFinished(_) => self.load = None,
            Event::ServerStarting { name } => self.server = Some(format!("server {name} starting")),
            Event::ServerReady { name, url, startup, .. } => {
                self.server =
                    Some(format!("server {name} ready at {url} in {} ms", startup.as_millis()));
            }
            Event::ServerFailed(_) => self.server = Some("a server did not start".to_owned()),
            Event::FileStarted { path, .. } => {
                self.running.push((path.display().to_string(), None));
            }
            Event::EntryStarted { path, index, .. } => {
                let path = path.display().to_string();
                if let Some(running) = self.running.iter_mut().find(|(p, _)| *p == path) {
                    running.1 = Some(*index);
                }
            }
            Event::EntryFinished { .. } => self.entries += 1,
            Event::Retry { .. } => self.retries += 1,
            Event::Attempt { attempt, .. } => self.diagnoses += attempt.diagnoses.len(),
            Event::FileFinished { run, .. } => {
                let path = run.outcome.path.display().to_string();
                if let Some(at) = self.running.iter().position(|(p, _)| *p == path) {
                    self.running.remove(at);
                }
                self.done += 1;
            }
            _ => {}
        }
        let plain = &mut self.plain;
        self.bar.suspend(|| plain.report(event));
        self.bar.set_message(self.message());
    }
}

/// `shakedown load`'s own live lines, one per tick: on a terminal the line is rewritten in
/// place; elsewhere (CI logs) each tick is a new line.
pub struct LoadLines<'a> {
    printer: &'a mut Printer,
    quiet: bool,
    tty: bool,
    printed: bool,
    secrets: &'a [String],
}

impl<'a> LoadLines<'a> {
    /// Lines to `printer` (none when `quiet`), rewritten in place when `tty`, redacted.
    pub fn new(printer: &'a mut Printer, quiet: bool, tty: bool, secrets: &'a [String]) -> Self {
        LoadLines { printer, quiet, tty, printed: false, secrets }
    }
}

impl LoadObserver for LoadLines<'_> {
    fn tick(&mut self, live: &crate::load::engine::Live) {
        if self.quiet {
            return;
        }
        let line = format!("[{:>6.1}s] {}", live.elapsed.as_secs_f64(), load_numbers(live));
        let line = redact(&line, self.secrets);
        if self.tty && self.printed {
            self.printer.err(&format!("\x1b[1A\x1b[2K{line}"));
        } else {
            self.printer.err(&line);
        }
        self.printed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_status_names_its_numbers() {
        let live = crate::load::engine::Live {
            elapsed: Duration::from_secs(3),
            requests: 120,
            rate: 40.0,
            p50_us: 900,
            p95_us: 12_500,
            p99_us: 2_000_000,
            errors: [("reset".to_owned(), 2)].into_iter().collect(),
            assert_failures: 1,
            active_vus: 4,
            dropped: 5,
        };
        assert_eq!(
            load_status(&live),
            "load 3s: 40.0 req/s, 120 requests, p50 900µs p95 12.50ms p99 2.00s, active 4, dropped 5, assert failures 1, errors reset=2"
        );
    }
}
