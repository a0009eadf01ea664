//! The live display of `shakedown run` on a terminal: an indicatif status line, driven
//! by the session's event stream, under the plain lines the terminal reporter prints.
//!
//! The status line shows the elapsed time, the layer, files done of the layer's total,
//! the files running now, the transport retries so far and the last server event (the
//! server starting, or ready with its URL and time to ready). Every event still goes to
//! the plain reporter ([`Terminal`]), whose lines are printed above the status line
//! (`ProgressBar::suspend`). Used only when stderr is a terminal; when piped, the
//! plain reporter alone prints, one line per file, retry and server event.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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
    running: Vec<String>,
    retries: usize,
    server: Option<String>,
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
            retries: 0,
            server: None,
        }
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
            None => parts.push("starting".to_owned()),
        }
        if self.total > 0 {
            parts.push(format!("files {}/{}", self.done, self.total));
        }
        if !self.running.is_empty() {
            parts.push(format!("running {}", self.running.join(", ")));
        }
        parts.push(format!("retries {}", self.retries));
        if let Some(server) = &self.server {
            parts.push(server.clone());
        }
        parts.join(" · ")
    }
}

impl Reporter for Live {
    fn report(&mut self, event: &Stamped<'_>) {
        match &event.event {
            Event::LayerStarted { name, files } => {
                self.layer = Some((*name).to_owned());
                self.done = 0;
                self.total = *files;
                self.running.clear();
            }
            Event::ServerStarting { name } => self.server = Some(format!("server {name} starting")),
            Event::ServerReady { name, url, startup, .. } => {
                self.server =
                    Some(format!("server {name} ready at {url} in {} ms", startup.as_millis()));
            }
            Event::ServerFailed(_) => self.server = Some("a server did not start".to_owned()),
            Event::FileStarted { path, .. } => self.running.push(path.display().to_string()),
            Event::FileFinished { run, .. } => {
                let path = run.outcome.path.display().to_string();
                self.running.retain(|p| *p != path);
                self.done += 1;
                self.retries += run
                    .outcome
                    .entries
                    .iter()
                    .flat_map(|e| &e.iterations)
                    .flat_map(|i| &i.polls)
                    .flat_map(|p| &p.attempts)
                    .filter(|a| a.decision.is_some_and(|d| d.retry))
                    .count();
            }
            _ => {}
        }
        let plain = &mut self.plain;
        self.bar.suspend(|| plain.report(event));
        self.bar.set_message(self.message());
    }
}
