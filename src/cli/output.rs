//! Where shakedown's output goes: stdout and stderr handles, colour, redaction, atomic files.
//!
//! This is the only place that writes to the terminal. A broken pipe on stdout
//! is not an error (ripgrep's rule): `shakedown test | head` must not fail.

use std::io::{self, IsTerminal, Write};

use crate::report::human::Style;

/// A command-line usage error (exit code 1), rendered once at the edge.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Writes to stdout and stderr.
#[derive(Debug)]
pub struct Printer {
    color: bool,
}

impl Printer {
    /// A printer; colour only when asked, or when stderr is a terminal and `NO_COLOR` is unset.
    pub fn new(color: Option<bool>) -> Printer {
        let color = color.unwrap_or_else(|| {
            io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        });
        Printer { color }
    }

    /// The snippet style to use.
    pub fn style(&self) -> Style {
        if self.color { Style::Color } else { Style::Plain }
    }

    /// A line on stdout.
    pub fn out(&mut self, line: &str) {
        let mut stdout = io::stdout().lock();
        let _ = writeln!(stdout, "{line}");
    }

    /// Raw bytes on stdout.
    pub fn out_bytes(&mut self, bytes: &[u8]) {
        let mut stdout = io::stdout().lock();
        let _ = stdout.write_all(bytes);
        let _ = stdout.flush();
    }

    /// A line on stderr.
    pub fn err(&mut self, line: &str) {
        let mut stderr = io::stderr().lock();
        let _ = writeln!(stderr, "{line}");
    }

    /// An error line on stderr.
    pub fn error(&mut self, line: &str) {
        self.err(line);
    }
}

/// Replaces every secret value in `text` with `***`, longest secrets first.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut secrets: Vec<&String> = secrets.iter().filter(|s| !s.is_empty()).collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_owned();
    for secret in secrets {
        out = out.replace(secret.as_str(), "***");
    }
    out
}

pub use crate::session::write_atomically;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_replaces_every_occurrence_longest_first() {
        let secrets = vec!["abc".to_owned(), "abcdef".to_owned(), String::new()];
        assert_eq!(redact("x abcdef y abc", &secrets), "x *** y ***");
    }
}
