//! The terminal reporter of `shakedown test` and `shakedown run`: the engine's events
//! as lines on stderr (and `--json` lines on stdout), and a suite's loading problems.

use crate::cli::output::Printer;
use crate::exit_code;
use crate::report::human::{self, Style};
use crate::report::json;
use crate::runner::execute::FileRun;
use crate::session::{
    Ending, Event, LoadError, Redactor, Reporter, ScenarioProblem, Stamped, StartError,
};
use crate::suite;

/// Prints the engine's events for people.
pub struct Terminal {
    printer: Printer,
    style: Style,
    verbose: bool,
    json_lines: bool,
    /// `--error-format long`: the last response after a file's failures.
    long_errors: bool,
    redact: Redactor,
}

impl Terminal {
    /// A reporter in `style`; `verbose` prints each file's request log, `json_lines`
    /// each file's JSON on stdout (`test --json`).
    pub fn new(style: Style, verbose: bool, json_lines: bool, redact: Redactor) -> Self {
        Terminal {
            printer: Printer::new(Some(style == Style::Color)),
            style,
            verbose,
            json_lines,
            long_errors: false,
            redact,
        }
    }

    /// With `long`, a failed file's last response follows its failures (Hurl's
    /// `--error-format long`).
    pub fn with_long_errors(mut self, long: bool) -> Self {
        self.long_errors = long;
        self
    }

    /// A line on stderr, secrets redacted.
    fn line(&mut self, text: &str) {
        let text = (self.redact)(text);
        self.printer.err(&text);
    }

    fn tails(&mut self, stdout: &[String], stderr: &[String]) {
        for (label, lines) in [("stdout", stdout), ("stderr", stderr)] {
            if lines.is_empty() {
                continue;
            }
            self.line(&format!("  last {} line(s) of {label}:", lines.len()));
            for line in lines {
                self.line(&format!("  {label} | {line}"));
            }
        }
    }
}

impl Terminal {
    /// A finished file: its log (verbose), warnings, ledger, failures, its JSON line
    /// (`--json`) and its result line, each redacted with the file's own secrets.
    fn file(&mut self, run: &FileRun) {
        let secrets = &run.secrets;
        let redact = |text: &str| crate::cli::output::redact(text, secrets);
        if self.verbose {
            for line in &run.log {
                self.printer.err(&redact(line));
            }
        }
        for line in human::warning_lines(&run.outcome) {
            self.printer.err(&redact(&line));
        }
        for line in human::ledger_lines(&run.outcome) {
            self.printer.err(&redact(&line));
        }
        let failures = human::failures(&run.outcome, self.style);
        if !failures.is_empty() {
            self.printer.err(&redact(failures.trim_end()));
            if self.long_errors
                && let Some(response) = &run.last_response
            {
                self.printer.err(&redact(&long_error_response(response)));
            }
        }
        if self.json_lines {
            let line = json::file_json(&run.outcome).to_string();
            self.printer.out(&redact(&line));
        }
        self.printer.err(&redact(&human::file_line(&run.outcome, self.style)));
    }
}

/// `--error-format long`: the last response after the failures, as Hurl prints it:
/// status line, headers, and the body (as text when it decodes, else its size).
fn long_error_response(response: &crate::transport::request::Response) -> String {
    let mut out = format!("{} {}\n", response.version.as_str(), response.status);
    for (name, value) in &response.headers {
        out.push_str(&format!("{name}: {value}\n"));
    }
    out.push('\n');
    match crate::runner::body::text(response) {
        Ok(text) => out.push_str(&text),
        Err(_) => out.push_str(&format!("<{} bytes of binary body>", response.body.len())),
    }
    out
}

impl Reporter for Terminal {
    fn report(&mut self, event: &Stamped<'_>) {
        match &event.event {
            Event::RunStarted { run_dir } => {
                self.line(&format!("shakedown run: output in {}", run_dir.display()));
            }
            Event::LoadStarted { run_dir } => {
                self.line(&format!("shakedown load: output in {}", run_dir.display()));
            }
            Event::ServerFailed(error) => {
                self.line(&format!("error: {error}"));
                if let StartError::Launch(launch) = error
                    && let Some((stdout, stderr)) = launch.log_tails()
                {
                    self.tails(stdout, stderr);
                }
            }
            Event::LayerStarted { name, .. } => self.line(&format!("layer {name}: starting")),
            Event::LayerFinished(record) => self.line(&format!(
                "layer {}: {} in {} ms",
                record.name,
                human::paint(&record.outcome.to_uppercase(), &record.outcome, self.style),
                record.duration.as_millis()
            )),
            Event::ServerStarting { name } => self.line(&format!("server {name}: starting")),
            Event::ServerReady { name, url, pid, startup } => {
                let pid = pid.map(|p| format!(", pid {p}")).unwrap_or_default();
                self.line(&format!(
                    "server {name}: ready at {url} in {} ms{pid}",
                    startup.as_millis()
                ));
            }
            Event::CommandFailed { layer, description, stdout_tail, stderr_tail } => {
                self.line(&format!("error: layer {layer}: {description}"));
                self.tails(stdout_tail, stderr_tail);
            }
            Event::JunitRead { layer, path, cases, failed } => self.line(&format!(
                "layer {layer}: {cases} test case(s) in {}, {failed} failed",
                path.display()
            )),
            Event::LoadFinished { layer, result, path } => {
                for line in super::load_cmd::summary(result) {
                    self.line(&format!("layer {layer}: {line}"));
                }
                self.line(&format!("layer {layer}: load result in {}", path.display()));
            }
            Event::JunitFailed { layer, error } => {
                self.line(&format!("error: layer {layer}: {error}"));
            }
            Event::FileFinished { run, .. } => self.file(run),
            Event::ServerCrashed { layer, description } => self.line(&format!(
                "error: layer {layer}: the server crashed ({description}); the rest of the layer is not run"
            )),
            Event::ResetFailed { description, stderr_tail } => {
                let mut message =
                    format!("error: the layer's reset command failed: {description}");
                for line in *stderr_tail {
                    message.push_str("\n  stderr | ");
                    message.push_str(line);
                }
                self.line(&message);
            }
            Event::WorkerFailed { message } => self.line(message),
            Event::Stopping(Ending::Interrupted(name)) => self.line(&format!(
                "shakedown: {name} received: stopping every server (a second one skips the grace)"
            )),
            Event::Stopping(Ending::Deadline(deadline)) => self.line(&format!(
                "error: the run's deadline ({} s) passed: stopping every server",
                deadline.as_secs_f64()
            )),
            Event::Stopping(Ending::Finished)
            | Event::ServerStopped { .. }
            | Event::FileStarted { .. }
            // The file's lines say it all once the file ends (a live display would not wait).
            | Event::EntryStarted { .. }
            | Event::EntryFinished { .. }
            | Event::Attempt { .. }
            | Event::Retry { .. }
            | Event::Warning { .. }
            | Event::LoadProgress { .. } => {}
        }
    }
}

/// Renders why a suite cannot run; returns the exit code (2).
pub fn print_load_error(error: &LoadError, printer: &mut Printer) -> u8 {
    let color = printer.style() == Style::Color;
    match error {
        LoadError::NotUtf8 { path, invalid } => {
            let label = format!("byte 0x{:02X} is not UTF-8", invalid.byte);
            let problem = suite::SuiteDiagnostic {
                message: "the suite file is not valid UTF-8".to_owned(),
                span: invalid.lossy_span(),
                label,
                help: None,
            };
            let name = path.display().to_string();
            printer.err(&suite::render(&[problem], &name, &invalid.lossy, color));
        }
        LoadError::Unreadable { path, error } => {
            printer
                .error(&format!("error: cannot read the suite file {}: {error}", path.display()));
        }
        LoadError::Invalid { path, source, diagnostics } => {
            let name = path.display().to_string();
            printer.err(&suite::render(diagnostics, &name, source, color));
            printer.err(&format!("{name}: {} error(s)", diagnostics.len()));
        }
        LoadError::Scenarios { path, problems } => {
            for problem in problems {
                match problem {
                    ScenarioProblem::NotUtf8 { path, invalid } => {
                        let name = path.display().to_string();
                        let diagnostics = [invalid.diagnostic()];
                        printer.err(
                            human::parse_diagnostics(
                                &name,
                                &invalid.lossy,
                                &diagnostics,
                                printer.style(),
                            )
                            .trim_end(),
                        );
                    }
                    ScenarioProblem::Unreadable { path, error } => {
                        printer.error(&format!("error: cannot read {}: {error}", path.display()));
                    }
                    ScenarioProblem::Parse { path, source, diagnostics } => {
                        let name = path.display().to_string();
                        printer.err(
                            human::parse_diagnostics(&name, source, diagnostics, printer.style())
                                .trim_end(),
                        );
                    }
                }
            }
            printer.err(&format!(
                "{} scenario file(s) of {} do not parse",
                problems.len(),
                path.display()
            ));
        }
    }
    exit_code::INPUT
}
