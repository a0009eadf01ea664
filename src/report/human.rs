//! What people read in the terminal: per-file lines, failure snippets, ledger lines, the summary.
//!
//! Every function returns text; the `cli` writes it. Failures render as
//! rustc-style snippets (file:line:col, the source line, a caret under the
//! exact span, the actual and expected values), the way Hurl shows them.

use std::fmt::Write as _;
use std::time::Duration;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, NamedSource, SourceSpan};

use crate::diagnosis::Cause;
use crate::runner::outcome::{EntryFailure, FileError, FileOutcome, Outcome};
use crate::scenario::ast::Span;
use crate::scenario::{LineIndex, ParseDiagnostic};

/// How to draw snippets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Plain text (files, pipes, tests).
    Plain,
    /// ANSI colours (a terminal).
    Color,
}

#[derive(Debug, Diagnostic, thiserror::Error)]
#[error("{title}")]
struct Snippet {
    title: String,
    #[source_code]
    code: NamedSource<String>,
    #[label("{label}")]
    span: SourceSpan,
    label: String,
    #[help]
    help: Option<String>,
}

/// Renders one diagnostic as a snippet of `source`.
pub fn snippet(
    file_name: &str,
    source: &str,
    span: Span,
    title: &str,
    label: &str,
    help: Option<&str>,
    style: Style,
) -> String {
    let start = span.start.min(source.len());
    let end = span.end.clamp(start, source.len());
    let diagnostic = Snippet {
        title: title.to_owned(),
        code: NamedSource::new(file_name, source.to_owned()),
        span: SourceSpan::from(start..end),
        label: label.to_owned(),
        help: help.map(str::to_owned),
    };
    let theme = match style {
        Style::Plain => GraphicalTheme::unicode_nocolor(),
        Style::Color => GraphicalTheme::unicode(),
    };
    let mut out = String::new();
    let handler = GraphicalReportHandler::new_themed(theme).with_width(120);
    if handler.render_report(&mut out, &diagnostic).is_err() {
        let (line, column) = LineIndex::new(source).line_col(source, start);
        out = format!("error: {title}\n  --> {file_name}:{line}:{column}\n  {label}\n");
    }
    out
}

/// The one line printed for a finished file, Hurl style.
pub fn file_line(file: &FileOutcome) -> String {
    let path = file.path.display();
    let requests = file.request_count();
    let ms = file.duration.as_millis();
    match file.outcome {
        Outcome::Passed | Outcome::Skipped => {
            format!("{path}: Success ({requests} request(s) in {ms} ms)")
        }
        Outcome::Flaky => format!(
            "{path}: Flaky ({requests} request(s) in {ms} ms; passed only after a transport retry)"
        ),
        Outcome::Failed => format!("{path}: Failure ({requests} request(s) in {ms} ms)"),
        Outcome::Error => format!("{path}: Error ({requests} request(s) in {ms} ms)"),
        Outcome::Interrupted => format!("{path}: Interrupted ({requests} request(s) in {ms} ms)"),
    }
}

/// Snippets for every failure of a file; empty when it passed.
pub fn failures(file: &FileOutcome, style: Style) -> String {
    let name = file.path.display().to_string();
    let source = file.source.as_str();
    let mut out = String::new();
    match &file.file_error {
        Some(FileError::Unreadable(message)) => {
            let _ = writeln!(out, "error: cannot read {name}: {message}");
            return out;
        }
        Some(FileError::Parse(diagnostics)) => {
            out.push_str(&parse_diagnostics(&name, source, diagnostics, style));
            return out;
        }
        None => {}
    }
    for entry in &file.entries {
        let Some(poll) = entry.last_poll() else { continue };
        match &poll.failure {
            None => {}
            Some(EntryFailure::Asserts) => {
                for a in poll.asserts.iter().filter(|a| !a.success) {
                    let title =
                        if a.implicit { "assert failure (implicit)" } else { "assert failure" };
                    let label = match (&a.actual, &a.message) {
                        (_, Some(message)) => message.clone(),
                        (Some(actual), None) => format!("actual:   {actual}"),
                        (None, None) => "failed".to_owned(),
                    };
                    let help = a.expected.as_ref().map(|e| format!("expected: {e}"));
                    out.push_str(&snippet(
                        &name,
                        source,
                        a.span,
                        title,
                        &label,
                        help.as_deref(),
                        style,
                    ));
                }
            }
            Some(EntryFailure::Capture { message, span }) => {
                out.push_str(&snippet(
                    &name,
                    source,
                    *span,
                    "capture failure",
                    message,
                    None,
                    style,
                ));
            }
            Some(EntryFailure::Runtime { message, span }) => {
                let span = span.unwrap_or(Span::new(0, 0));
                let span =
                    if span == Span::new(0, 0) { entry_span(file, entry.line) } else { span };
                out.push_str(&snippet(&name, source, span, "runtime error", message, None, style));
            }
            Some(EntryFailure::ServerCrashed { message, stderr_tail }) => {
                let span = entry_span(file, entry.line);
                let tail = (!stderr_tail.is_empty())
                    .then(|| format!("stderr of the server:\n{}", stderr_tail.join("\n")));
                out.push_str(&snippet(
                    &name,
                    source,
                    span,
                    "server crashed",
                    message,
                    tail.as_deref(),
                    style,
                ));
            }
            Some(EntryFailure::Transport(failed)) => {
                let span = entry_span(file, entry.line);
                let help =
                    failed.diagnosis.as_ref().map(|d| format!("{}\nhint: {}", d.line(), d.hint));
                out.push_str(&snippet(
                    &name,
                    source,
                    span,
                    "HTTP connection failed",
                    &failed.message(),
                    help.as_deref(),
                    style,
                ));
            }
        }
    }
    out
}

/// The span of the request line at `line` (1-based).
fn entry_span(file: &FileOutcome, line: usize) -> Span {
    let mut offset = 0;
    for (i, text) in file.source.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return Span::new(offset, offset + text.trim_end().len());
        }
        offset += text.len();
    }
    Span::new(0, 0)
}

/// One line per failed transport attempt: what failed, where, on which connection, what was
/// decided; then each diagnosis of an attempt (failed or not) on one line, its hint on the next.
pub fn ledger_lines(file: &FileOutcome) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in &file.entries {
        for iteration in &entry.iterations {
            for poll in &iteration.polls {
                let mut last_hint: Option<&str> = None;
                for attempt in &poll.attempts {
                    let Some(error) = &attempt.error else {
                        for d in &attempt.diagnoses {
                            lines.push(format!(
                                "{}:{} {} {} attempt {}: {}",
                                file.path.display(),
                                entry.line,
                                attempt.method,
                                attempt.url,
                                attempt.n,
                                d.line()
                            ));
                            lines.push(format!("  hint: {}", d.hint));
                        }
                        continue;
                    };
                    let decision = match &attempt.decision {
                        Some(d) if d.retry => {
                            format!("retry in {} ms [{}]", d.backoff.as_millis(), d.rule.as_str())
                        }
                        Some(d) => format!("not retried [{}]", d.rule.as_str()),
                        None => "not retried".to_owned(),
                    };
                    lines.push(format!(
                        "{}:{} {} {} attempt {}: {error}; {decision}",
                        file.path.display(),
                        entry.line,
                        attempt.method,
                        attempt.url,
                        attempt.n,
                    ));
                    for d in &attempt.diagnoses {
                        lines.push(format!("  diagnosis: {}", d.line()));
                        // A retried request fails alike again and again: its hint once.
                        if last_hint != Some(d.hint.as_str()) {
                            lines.push(format!("  hint: {}", d.hint));
                        }
                        last_hint = Some(d.hint.as_str());
                    }
                }
            }
        }
    }
    lines
}

/// One line per response accepted with a warning (R4: complete then reset, completeness unknown).
pub fn warning_lines(file: &FileOutcome) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in &file.entries {
        for poll in entry.iterations.iter().flat_map(|i| &i.polls) {
            for warning in &poll.warnings {
                lines.push(format!(
                    "warning: {}:{} {} {}: {warning}",
                    file.path.display(),
                    entry.line,
                    entry.method,
                    entry.url
                ));
            }
        }
    }
    lines
}

/// The closing warning about flaky files, if any: they pass (`fail_flaky` false) or fail the run.
pub fn flaky_warning(flaky: usize, fail_flaky: bool) -> Option<String> {
    (flaky > 0).then(|| {
        if fail_flaky {
            format!("error: {flaky} file(s) passed only after a transport retry (flaky), and --flaky-result fail is set")
        } else {
            format!(
                "warning: {flaky} file(s) passed only after a transport retry (flaky); they count as passed (--flaky-result pass)"
            )
        }
    })
}

/// The closing warning when the run-wide retry budget refused a retry.
pub fn budget_warning(retries: u64, requests: u64) -> String {
    format!(
        "warning: the transport retry budget was exhausted ({retries} retries for {requests} requests); later failures were not retried"
    )
}

/// Every parse diagnostic of a file, as snippets.
pub fn parse_diagnostics(
    file_name: &str,
    source: &str,
    diagnostics: &[ParseDiagnostic],
    style: Style,
) -> String {
    diagnostics
        .iter()
        .map(|d| snippet(file_name, source, d.span, &d.message, &d.label, d.help.as_deref(), style))
        .collect()
}

/// Totals of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Files run.
    pub files: usize,
    /// Requests sent (attempts).
    pub requests: usize,
    /// Files that passed at the first attempt.
    pub passed: usize,
    /// Files that passed after a transport retry.
    pub flaky: usize,
    /// Files with assert failures.
    pub failed: usize,
    /// Files that could not be tested.
    pub errored: usize,
    /// Diagnoses per cause, indexed as [`Cause::ALL`].
    pub causes: [usize; Cause::ALL.len()],
}

impl Totals {
    /// Counts the outcomes of `files`.
    pub fn of(files: &[FileOutcome]) -> Totals {
        let mut totals = Totals::default();
        for file in files {
            totals.files += 1;
            totals.requests += file.request_count();
            let attempts = file.entries.iter().flat_map(|e| &e.iterations).flat_map(|i| &i.polls);
            for d in attempts.flat_map(|p| &p.attempts).flat_map(|a| &a.diagnoses) {
                if let Some(count) = totals.causes.get_mut(d.cause.index()) {
                    *count += 1;
                }
            }
            match file.outcome {
                Outcome::Passed | Outcome::Skipped => totals.passed += 1,
                Outcome::Flaky => totals.flaky += 1,
                Outcome::Failed => totals.failed += 1,
                Outcome::Error | Outcome::Interrupted => totals.errored += 1,
            }
        }
        totals
    }
}

/// The closing summary, in Hurl's layout with a flaky line added.
pub fn summary(totals: Totals, duration: Duration) -> String {
    let percent =
        |n: usize| if totals.files == 0 { 0.0 } else { 100.0 * n as f64 / totals.files as f64 };
    let seconds = duration.as_secs_f64();
    let rate = if seconds > 0.0 { totals.requests as f64 / seconds } else { 0.0 };
    let succeeded = totals.passed + totals.flaky;
    let mut out = String::new();
    let _ = writeln!(out, "{}", "-".repeat(80));
    let _ = writeln!(out, "Executed files:    {}", totals.files);
    let _ = writeln!(out, "Executed requests: {} ({rate:.1}/s)", totals.requests);
    let _ = writeln!(out, "Succeeded files:   {succeeded} ({:.1}%)", percent(succeeded));
    let _ = writeln!(out, "Flaky files:       {} ({:.1}%)", totals.flaky, percent(totals.flaky));
    let _ = writeln!(
        out,
        "Failed files:      {} ({:.1}%)",
        totals.failed + totals.errored,
        percent(totals.failed + totals.errored)
    );
    let _ = writeln!(out, "Duration:          {} ms", duration.as_millis());
    let diagnosed: usize = totals.causes.iter().sum();
    if diagnosed > 0 {
        let _ = writeln!(out, "Diagnoses:         {diagnosed}");
        for (cause, count) in Cause::ALL.iter().zip(totals.causes).filter(|(_, n)| *n > 0) {
            let _ = writeln!(out, "  {count} x {cause}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_points_at_line_and_column() {
        let source = "GET http://x/\nHTTP 200\n";
        let text = snippet(
            "a.hurl",
            source,
            Span::new(19, 22),
            "assert failure",
            "actual:   404",
            Some("expected: 200"),
            Style::Plain,
        );
        assert!(text.contains("a.hurl:2:6"), "{text}");
        assert!(text.contains("HTTP 200"), "{text}");
        assert!(text.contains("actual:   404"), "{text}");
        assert!(text.contains("expected: 200"), "{text}");
    }

    #[test]
    fn summary_counts_flaky_as_succeeded_but_shows_them() {
        let totals = Totals {
            files: 4,
            requests: 10,
            passed: 2,
            flaky: 1,
            failed: 1,
            errored: 0,
            causes: [0; Cause::ALL.len()],
        };
        let text = summary(totals, Duration::from_millis(500));
        assert!(text.contains("Succeeded files:   3 (75.0%)"), "{text}");
        assert!(text.contains("Flaky files:       1 (25.0%)"), "{text}");
        assert!(text.contains("Failed files:      1 (25.0%)"), "{text}");
        assert!(text.contains("Executed requests: 10 (20.0/s)"), "{text}");
        assert!(!text.contains("Diagnoses"), "{text}");
        let mut causes = [0; Cause::ALL.len()];
        causes[Cause::StaleConnectionReplaced.index()] = 2;
        causes[Cause::UnreadRequestBody.index()] = 1;
        let text = summary(Totals { causes, ..totals }, Duration::from_millis(500));
        assert!(text.contains("Diagnoses:         3\n"), "{text}");
        assert!(text.contains("  2 x stale_connection_replaced\n"), "{text}");
        assert!(text.contains("  1 x unread_request_body\n"), "{text}");
    }
}
