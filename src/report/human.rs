//! What people read in the terminal: per-file lines, failure snippets, ledger lines, the summary.
//!
//! Every function returns text; the `cli` writes it. Failures render as
//! rustc-style snippets (file:line:col, the source line, a caret under the
//! exact span, the actual and expected values), the way Hurl shows them.

use std::fmt::Write as _;
use std::time::Duration;

use crate::diagnosis::Cause;
use crate::runner::outcome::{EntryFailure, EntryOutcome, FileError, FileOutcome, Outcome};
use crate::scenario::ast::Span;
use crate::scenario::diagnostic::more_line;
use crate::scenario::{Look, MAX_RENDERED, ParseDiagnostic, Renderer, Snippet};

/// How to draw snippets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Plain text (files, pipes, tests).
    Plain,
    /// ANSI colours (a terminal).
    Color,
}

impl Style {
    /// The renderer's look for this style: one context line, wrapped at 120 columns.
    fn look(self) -> Look {
        Look { color: self == Style::Color, context_lines: 1, width: 120 }
    }
}

/// Renders one diagnostic as a snippet of `source`.
///
/// This indexes `source`; to draw many snippets of one file, use
/// [`parse_diagnostics`] or [`failures`], which index it once.
pub fn snippet(
    file_name: &str,
    source: &str,
    span: Span,
    title: &str,
    label: &str,
    help: Option<&str>,
    style: Style,
) -> String {
    Renderer::new(file_name, source, style.look()).render(&Snippet { span, title, label, help })
}

/// The snippets of one file's failures: one index of the source (built at the
/// first failure, so a passing file costs nothing), at most [`MAX_RENDERED`]
/// drawn, the rest counted.
struct Drawer<'s> {
    name: &'s str,
    source: &'s str,
    style: Style,
    renderer: Option<Renderer<'s>>,
    drawn: usize,
    more: usize,
}

impl<'s> Drawer<'s> {
    fn new(name: &'s str, source: &'s str, style: Style) -> Drawer<'s> {
        Drawer { name, source, style, renderer: None, drawn: 0, more: 0 }
    }

    fn renderer(&mut self) -> &Renderer<'s> {
        let (name, source, look) = (self.name, self.source, self.style.look());
        self.renderer.get_or_insert_with(|| Renderer::new(name, source, look))
    }

    /// The span of the request line at `line` (1-based).
    fn entry_span(&mut self, line: usize) -> Span {
        self.renderer().line_span(line)
    }

    /// The snippet, or nothing (counted) past the cap.
    fn snippet(&mut self, span: Span, title: &str, label: &str, help: Option<&str>) -> String {
        if self.drawn >= MAX_RENDERED {
            self.more += 1;
            return String::new();
        }
        self.drawn += 1;
        self.renderer().render(&Snippet { span, title, label, help })
    }

    /// The closing "and N more" line, if the cap was reached.
    fn more_line(&self) -> Option<String> {
        (self.more > 0).then(|| more_line(self.more))
    }
}

/// `word` painted in the colour of `outcome` (`passed`, `flaky`, `failed`, `error`,
/// `interrupted`, `not_run`, `skipped`, or Hurl's `success`/`failure`), bold; as is in
/// [`Style::Plain`].
pub fn paint(word: &str, outcome: &str, style: Style) -> String {
    if style == Style::Plain {
        return word.to_owned();
    }
    let code = match outcome.to_ascii_lowercase().as_str() {
        "passed" | "success" => "32",
        "flaky" => "33",
        "failed" | "failure" => "31",
        "error" => "35",
        _ => "90",
    };
    format!("\x1b[1;{code}m{word}\x1b[0m")
}

/// The one line printed for a finished file, Hurl style, the verdict word coloured.
pub fn file_line(file: &FileOutcome, style: Style) -> String {
    let path = file.path.display();
    let requests = file.request_count();
    let ms = file.duration.as_millis();
    let (word, outcome, note) = match file.outcome {
        Outcome::Passed | Outcome::Skipped => ("Success", "passed", ""),
        Outcome::Flaky => ("Flaky", "flaky", "; passed only after a transport retry"),
        Outcome::Failed => ("Failure", "failed", ""),
        Outcome::Error => ("Error", "error", ""),
        Outcome::Interrupted => ("Interrupted", "interrupted", ""),
    };
    let word = paint(word, outcome, style);
    format!("{path}: {word} ({requests} request(s) in {ms} ms{note})")
}

/// Snippets for every failure of a file; empty when it passed.
pub fn failures(file: &FileOutcome, style: Style) -> String {
    let name = file.path.display().to_string();
    let source = file.source.as_str();
    let mut out = String::new();
    let mut drawer = Drawer::new(&name, source, style);
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
                    out.push_str(&drawer.snippet(a.span, title, &label, help.as_deref()));
                }
            }
            Some(EntryFailure::Capture { message, span }) => {
                out.push_str(&drawer.snippet(*span, "capture failure", message, None));
            }
            Some(EntryFailure::Runtime { message, span }) => {
                let span = span.unwrap_or(Span::new(0, 0));
                let span =
                    if span == Span::new(0, 0) { drawer.entry_span(entry.line) } else { span };
                out.push_str(&drawer.snippet(span, "runtime error", message, None));
            }
            Some(EntryFailure::ServerCrashed { message, stderr_tail }) => {
                let span = drawer.entry_span(entry.line);
                let tail = (!stderr_tail.is_empty())
                    .then(|| format!("stderr of the server:\n{}", stderr_tail.join("\n")));
                out.push_str(&drawer.snippet(span, "server crashed", message, tail.as_deref()));
            }
            Some(EntryFailure::Transport(failed)) => {
                let span = drawer.entry_span(entry.line);
                let help =
                    failed.diagnosis.as_ref().map(|d| format!("{}\nhint: {}", d.line(), d.hint));
                out.push_str(&drawer.snippet(
                    span,
                    "HTTP connection failed",
                    &failed.message(),
                    help.as_deref(),
                ));
            }
        }
    }
    if let Some(line) = drawer.more_line() {
        out.push_str(&line);
        out.push('\n');
    }
    out
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

/// Every parse diagnostic of a file, as snippets: the first [`MAX_RENDERED`],
/// then how many more.
pub fn parse_diagnostics(
    file_name: &str,
    source: &str,
    diagnostics: &[ParseDiagnostic],
    style: Style,
) -> String {
    Renderer::new(file_name, source, style.look())
        .render_all(diagnostics.iter().map(ParseDiagnostic::snippet), "")
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
    /// Transport retries (attempts the retry rules sent again) per cause of the failed
    /// attempt's own diagnosis, indexed as [`Cause::ALL`].
    pub retries: [usize; Cause::ALL.len()],
    /// Retries of an attempt that carried no diagnosis of its own.
    pub undiagnosed_retries: usize,
    /// Pooled connections found closed before use and replaced (`stale_connection_replaced`).
    pub replaced: usize,
}

impl Totals {
    /// Counts the outcomes of `files`.
    pub fn of(files: &[FileOutcome]) -> Totals {
        let mut totals = Totals::default();
        for file in files {
            totals.files += 1;
            totals.requests += file.request_count();
            let polls = file.entries.iter().flat_map(|e| &e.iterations).flat_map(|i| &i.polls);
            for attempt in polls.flat_map(|p| &p.attempts) {
                for d in &attempt.diagnoses {
                    if let Some(count) = totals.causes.get_mut(d.cause.index()) {
                        *count += 1;
                    }
                    if d.cause == Cause::StaleConnectionReplaced {
                        totals.replaced += 1;
                    }
                }
                if attempt.decision.as_ref().is_some_and(|d| d.retry) {
                    // The attempt's own diagnosis comes after those of connections replaced before it.
                    let own = attempt.diagnoses.iter().rev().find(|d| !d.cause.is_prevention());
                    match own.and_then(|d| totals.retries.get_mut(d.cause.index())) {
                        Some(count) => *count += 1,
                        None => totals.undiagnosed_retries += 1,
                    }
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

/// The time during which at least one request was in flight: the union of the
/// attempts' intervals, so start-up, readiness and gaps between files do not count.
pub fn request_time(files: &[FileOutcome]) -> Duration {
    let mut spans: Vec<(std::time::SystemTime, std::time::SystemTime)> = files
        .iter()
        .flat_map(|f| &f.entries)
        .flat_map(|e| &e.iterations)
        .flat_map(|i| &i.polls)
        .flat_map(|p| &p.attempts)
        .map(|a| (a.started, a.started + a.duration))
        .collect();
    spans.sort();
    let mut total = Duration::ZERO;
    let mut current: Option<(std::time::SystemTime, std::time::SystemTime)> = None;
    for (start, end) in spans {
        match &mut current {
            Some((_, cur_end)) if start <= *cur_end => {
                if end > *cur_end {
                    *cur_end = end;
                }
            }
            _ => {
                if let Some((a, b)) = current {
                    total += b.duration_since(a).unwrap_or_default();
                }
                current = Some((start, end));
            }
        }
    }
    if let Some((a, b)) = current {
        total += b.duration_since(a).unwrap_or_default();
    }
    total
}

/// The `n` slowest entries: `file:line METHOD template (N ms)`, slowest first (entries of
/// equal time in run order).
///
/// Keeps a bounded top-`n` while walking the entries and formats only those: the summary
/// of a run of thousands of requests neither sorts nor formats them all.
pub fn slowest(files: &[FileOutcome], n: usize) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    let mut top: Vec<(Duration, &FileOutcome, &EntryOutcome)> = Vec::with_capacity(n + 1);
    for file in files {
        for entry in &file.entries {
            let time: Duration = entry
                .iterations
                .iter()
                .flat_map(|i| &i.polls)
                .flat_map(|p| &p.attempts)
                .map(|a| a.duration)
                .sum();
            if top.len() == n && top.last().is_some_and(|last| last.0 >= time) {
                continue;
            }
            // After every entry at least as slow: equal times stay in run order.
            let at = top.partition_point(|e| e.0 >= time);
            top.insert(at, (time, file, entry));
            top.truncate(n);
        }
    }
    top.into_iter()
        .map(|(time, file, entry)| {
            format!(
                "{}:{} {} {} ({:.1} ms)",
                file.path.display(),
                entry.line,
                entry.method,
                entry.url_template,
                time.as_secs_f64() * 1000.0
            )
        })
        .collect()
}

/// The closing summary, in Hurl's layout: one line per outcome, the percentages of the
/// executed files adding up to 100; the request rate over the time requests were in
/// flight; the transport retries by cause and the stale connections replaced
/// ([`transport_line`]); every diagnosis by cause; the slowest entries. `not_run` files (of layers that did not run or stopped
/// early) are counted apart. When no file ran, one line says so and why (`nothing_ran`).
pub fn summary(
    files: &[FileOutcome],
    duration: Duration,
    not_run: usize,
    nothing_ran: &str,
    style: Style,
) -> String {
    let totals = Totals::of(files);
    let mut out = String::new();
    let _ = writeln!(out, "{}", "-".repeat(80));
    if totals.files == 0 {
        let _ = writeln!(out, "No file ran: {nothing_ran} ({} ms)", duration.as_millis());
        return out;
    }
    let percent = |n: usize| 100.0 * n as f64 / totals.files as f64;
    let active = request_time(files);
    let seconds = active.as_secs_f64();
    let rate = if seconds > 0.0 { totals.requests as f64 / seconds } else { 0.0 };
    let _ = writeln!(out, "Executed files:    {}", totals.files);
    let _ = writeln!(
        out,
        "Executed requests: {} ({rate:.1}/s over {:.1} ms of requests in flight)",
        totals.requests,
        active.as_secs_f64() * 1000.0
    );
    let rows = [
        ("Passed files:   ", "passed", totals.passed),
        ("Flaky files:    ", "flaky", totals.flaky),
        ("Failed files:   ", "failed", totals.failed),
        ("Errored files:  ", "error", totals.errored),
    ];
    for (label, outcome, n) in rows {
        let count = if n > 0 { paint(&n.to_string(), outcome, style) } else { n.to_string() };
        let _ = writeln!(out, "{label}   {count} ({:.1}%)", percent(n));
    }
    if not_run > 0 {
        let _ = writeln!(out, "Not run files:     {not_run}");
    }
    let _ = writeln!(out, "Duration:          {} ms", duration.as_millis());
    if totals.requests > 0 {
        let _ = writeln!(out, "{}", transport_line(&totals));
    }
    let diagnosed: usize = totals.causes.iter().sum();
    if diagnosed > 0 {
        let _ = writeln!(out, "Diagnoses:         {diagnosed}");
        for (cause, count) in Cause::ALL.iter().zip(totals.causes).filter(|(_, n)| *n > 0) {
            let _ = writeln!(out, "  {count} x {cause}");
        }
    }
    let slow = slowest(files, 3);
    if totals.requests > 0 && !slow.is_empty() {
        let _ = writeln!(out, "Slowest:           {}", slow.join("\n                   "));
    }
    out
}

/// `Retries: 3 (keepalive_race 2, abortive_close 1); replaced stale connections: 4`: the
/// transport retries by the cause of the failed attempt, and the pooled connections found
/// closed and replaced before use (prevention, not failures).
pub fn transport_line(totals: &Totals) -> String {
    let mut causes: Vec<String> = Cause::ALL
        .iter()
        .zip(totals.retries)
        .filter(|(_, n)| *n > 0)
        .map(|(cause, n)| format!("{cause} {n}"))
        .collect();
    if totals.undiagnosed_retries > 0 {
        causes.push(format!("undiagnosed {}", totals.undiagnosed_retries));
    }
    let retries = totals.retries.iter().sum::<usize>() + totals.undiagnosed_retries;
    let causes =
        if causes.is_empty() { String::new() } else { format!(" ({})", causes.join(", ")) };
    format!("Retries:           {retries}{causes}; replaced stale connections: {}", totals.replaced)
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
    fn summary_percentages_add_up_and_nothing_ran_is_one_line() {
        let file = |outcome| FileOutcome {
            path: "a.hurl".into(),
            outcome,
            entries: Vec::new(),
            file_error: None,
            started: std::time::SystemTime::UNIX_EPOCH,
            duration: Duration::from_millis(3),
            source: String::new(),
        };
        let files = [
            file(Outcome::Passed),
            file(Outcome::Passed),
            file(Outcome::Flaky),
            file(Outcome::Failed),
        ];
        let text = summary(&files, Duration::from_millis(500), 2, "", Style::Plain);
        assert!(text.contains("Passed files:      2 (50.0%)"), "{text}");
        assert!(text.contains("Flaky files:       1 (25.0%)"), "{text}");
        assert!(text.contains("Failed files:      1 (25.0%)"), "{text}");
        assert!(text.contains("Errored files:     0 (0.0%)"), "{text}");
        assert!(text.contains("Not run files:     2"), "{text}");
        let none =
            summary(&[], Duration::from_millis(7), 0, "the server did not start", Style::Plain);
        assert_eq!(none.lines().nth(1), Some("No file ran: the server did not start (7 ms)"));
        assert_eq!(none.lines().count(), 2);
    }

    #[test]
    fn request_time_is_the_union_of_the_attempts() {
        use crate::runner::outcome::{AttemptRecord, EntryOutcome, Iteration, Poll};
        let at = |ms: u64, len: u64| AttemptRecord {
            n: 1,
            method: "GET".to_owned(),
            url: String::new(),
            status: Some(200),
            error: None,
            facts: crate::transport::facts::AttemptFacts::new(),
            decision: None,
            started: std::time::SystemTime::UNIX_EPOCH + Duration::from_millis(ms),
            duration: Duration::from_millis(len),
            warnings: Vec::new(),
            sent_before_crash_known: false,
            diagnoses: Vec::new(),
        };
        let poll = Poll {
            n: 1,
            attempts: vec![at(0, 10), at(5, 10), at(100, 20)],
            asserts: Vec::new(),
            captures: Vec::new(),
            failure: None,
            outcome: Outcome::Passed,
            warnings: Vec::new(),
        };
        let entry = EntryOutcome {
            index: 1,
            line: 1,
            method: "GET".to_owned(),
            url: String::new(),
            url_template: "{{u}}".to_owned(),
            outcome: Outcome::Passed,
            iterations: vec![Iteration { n: 1, polls: vec![poll] }],
        };
        let file = FileOutcome {
            path: "a.hurl".into(),
            outcome: Outcome::Passed,
            entries: vec![entry],
            file_error: None,
            started: std::time::SystemTime::UNIX_EPOCH,
            duration: Duration::from_millis(120),
            source: String::new(),
        };
        assert_eq!(request_time(std::slice::from_ref(&file)), Duration::from_millis(35));
        assert_eq!(slowest(&[file], 3), ["a.hurl:1 GET {{u}} (40.0 ms)"]);
    }

    #[test]
    fn slowest_keeps_the_n_slowest_and_equal_times_in_run_order() {
        use crate::runner::outcome::{AttemptRecord, EntryOutcome, Iteration, Poll};
        let entry = |line: usize, ms: u64| EntryOutcome {
            index: line,
            line,
            method: "GET".to_owned(),
            url: String::new(),
            url_template: "/".to_owned(),
            outcome: Outcome::Passed,
            iterations: vec![Iteration {
                n: 1,
                polls: vec![Poll {
                    n: 1,
                    attempts: vec![AttemptRecord {
                        n: 1,
                        method: "GET".to_owned(),
                        url: String::new(),
                        status: Some(200),
                        error: None,
                        facts: crate::transport::facts::AttemptFacts::new(),
                        decision: None,
                        started: std::time::SystemTime::UNIX_EPOCH,
                        duration: Duration::from_millis(ms),
                        warnings: Vec::new(),
                        sent_before_crash_known: false,
                        diagnoses: Vec::new(),
                    }],
                    asserts: Vec::new(),
                    captures: Vec::new(),
                    failure: None,
                    outcome: Outcome::Passed,
                    warnings: Vec::new(),
                }],
            }],
        };
        let file = |name: &str, times: &[u64]| FileOutcome {
            path: name.into(),
            outcome: Outcome::Passed,
            entries: times.iter().enumerate().map(|(i, ms)| entry(i + 1, *ms)).collect(),
            file_error: None,
            started: std::time::SystemTime::UNIX_EPOCH,
            duration: Duration::ZERO,
            source: String::new(),
        };
        let files = [file("a.hurl", &[5, 30, 10, 30]), file("b.hurl", &[30, 40, 1])];
        assert_eq!(
            slowest(&files, 3),
            ["b.hurl:2 GET / (40.0 ms)", "a.hurl:2 GET / (30.0 ms)", "a.hurl:4 GET / (30.0 ms)"]
        );
        assert_eq!(slowest(&files, 0), Vec::<String>::new());
        assert_eq!(slowest(&files, 10).len(), 7);
        assert_eq!(slowest(&files, 10).last().map(String::as_str), Some("b.hurl:3 GET / (1.0 ms)"));
    }

    #[test]
    fn retries_are_counted_by_the_cause_of_the_failed_attempt_and_replacements_apart() {
        use crate::diagnosis::{Confidence, Diagnosis, Executed};
        use crate::retry::{Decision, Rule};
        use crate::runner::outcome::{AttemptRecord, EntryOutcome, Iteration, Poll};
        let diagnosis = |cause| Diagnosis {
            cause,
            confidence: Confidence::High,
            summary: String::new(),
            evidence: Vec::new(),
            may_have_executed: Executed::No,
            hint: String::new(),
        };
        let attempt = |retried: bool, causes: &[Cause]| AttemptRecord {
            n: 1,
            method: "GET".to_owned(),
            url: String::new(),
            status: None,
            error: None,
            facts: crate::transport::facts::AttemptFacts::new(),
            decision: retried.then_some(Decision {
                retry: true,
                rule: Rule::IdempotentAfterWrite,
                backoff: Duration::ZERO,
            }),
            started: std::time::SystemTime::UNIX_EPOCH,
            duration: Duration::from_millis(1),
            warnings: Vec::new(),
            sent_before_crash_known: false,
            diagnoses: causes.iter().map(|c| diagnosis(*c)).collect(),
        };
        let attempts = vec![
            attempt(true, &[Cause::KeepaliveRace]),
            attempt(true, &[Cause::StaleConnectionReplaced, Cause::KeepaliveRace]),
            attempt(true, &[Cause::StaleConnectionReplaced, Cause::AbortiveClose]),
            attempt(false, &[Cause::StaleConnectionReplaced, Cause::StaleConnectionReplaced]),
            attempt(false, &[Cause::Timeout]),
            attempt(true, &[]),
        ];
        let poll = Poll {
            n: 1,
            attempts,
            asserts: Vec::new(),
            captures: Vec::new(),
            failure: None,
            outcome: Outcome::Flaky,
            warnings: Vec::new(),
        };
        let entry = EntryOutcome {
            index: 1,
            line: 1,
            method: "GET".to_owned(),
            url: String::new(),
            url_template: String::new(),
            outcome: Outcome::Flaky,
            iterations: vec![Iteration { n: 1, polls: vec![poll] }],
        };
        let file = FileOutcome {
            path: "a.hurl".into(),
            outcome: Outcome::Flaky,
            entries: vec![entry],
            file_error: None,
            started: std::time::SystemTime::UNIX_EPOCH,
            duration: Duration::from_millis(6),
            source: String::new(),
        };
        let totals = Totals::of(std::slice::from_ref(&file));
        assert_eq!(
            transport_line(&totals),
            "Retries:           4 (keepalive_race 2, abortive_close 1, undiagnosed 1); replaced stale connections: 4"
        );
        let text = summary(&[file], Duration::from_millis(9), 0, "", Style::Plain);
        assert!(text.contains("\nRetries:           4 (keepalive_race 2"), "{text}");
        let none = Totals { requests: 1, ..Totals::default() };
        assert_eq!(transport_line(&none), "Retries:           0; replaced stale connections: 0");
    }

    #[test]
    fn verdict_words_are_coloured_only_in_colour() {
        assert_eq!(paint("Failure", "failure", Style::Plain), "Failure");
        assert_eq!(paint("Failure", "failure", Style::Color), "\x1b[1;31mFailure\x1b[0m");
        assert_eq!(paint("Flaky", "flaky", Style::Color), "\x1b[1;33mFlaky\x1b[0m");
    }
}
