//! The JUnit XML report: one `<testsuite>` per file, one `<testcase>` per entry.
//!
//! Transport attempts that failed before a pass are `<flakyFailure>`/`<flakyError>`
//! elements of a passing test case; attempts that failed before a final failure are
//! `<rerunFailure>`/`<rerunError>` (quick-junit, as nextest writes them), so CI
//! systems that read these elements see every flake; their messages name the diagnosed
//! cause first. Every diagnosis of an entry is also in its `<system-out>`.

use std::io;

use chrono::{DateTime, Utc};
use quick_junit::{
    NonSuccessKind, NonSuccessReruns, Report, TestCase, TestCaseStatus, TestRerun, TestSuite,
};

use crate::runner::outcome::{AttemptRecord, EntryFailure, EntryOutcome, FileOutcome, Outcome};

/// Writes the JUnit report of `files` to `out`.
pub fn write(files: &[FileOutcome], out: &mut dyn io::Write) -> io::Result<()> {
    let mut report = Report::new("shakedown");
    for file in files {
        let name = file.path.display().to_string();
        let mut suite = TestSuite::new(name.clone());
        suite.set_timestamp(DateTime::<Utc>::from(file.started));
        suite.set_time(file.duration);
        if let Some(error) = &file.file_error {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            let message = match error {
                crate::runner::outcome::FileError::Unreadable(m) => m.clone(),
                crate::runner::outcome::FileError::Parse(d) => {
                    d.iter().map(|d| d.message.clone()).collect::<Vec<_>>().join("; ")
                }
            };
            status.set_message(message).set_type("parse error");
            let mut case = TestCase::new(name.clone(), status);
            case.set_classname(name.clone());
            suite.add_test_case(case);
        }
        for entry in &file.entries {
            suite.add_test_case(test_case(&name, entry));
        }
        report.add_test_suite(suite);
    }
    report.serialize(out).map_err(io::Error::other)
}

fn failed_attempts(entry: &EntryOutcome) -> Vec<&AttemptRecord> {
    entry
        .iterations
        .iter()
        .flat_map(|i| &i.polls)
        .flat_map(|p| &p.attempts)
        .filter(|a| a.error.is_some())
        .collect()
}

fn rerun(attempt: &AttemptRecord) -> TestRerun {
    let mut rerun = TestRerun::new(NonSuccessKind::Error);
    rerun.set_timestamp(DateTime::<Utc>::from(attempt.started));
    rerun.set_time(attempt.duration);
    // The message names the cause first, so CI systems that show only it still tell why.
    let error = attempt.error_message().unwrap_or_default();
    let message = match attempt.diagnoses.last() {
        Some(d) => format!("{}: {error}", d.cause),
        None => error,
    };
    rerun.set_message(message);
    rerun.set_type(attempt.decision.map_or("transport", |d| d.rule.as_str()));
    rerun
}

fn test_case(file_name: &str, entry: &EntryOutcome) -> TestCase {
    let name =
        format!("entry {} (line {}): {} {}", entry.index, entry.line, entry.method, entry.url);
    let reruns: Vec<TestRerun> = failed_attempts(entry).into_iter().map(rerun).collect();
    let status = match entry.outcome {
        Outcome::Passed | Outcome::Flaky => TestCaseStatus::Success { flaky_runs: reruns },
        Outcome::Skipped => TestCaseStatus::skipped(),
        Outcome::Failed | Outcome::Error | Outcome::Interrupted => {
            let kind = if entry.outcome == Outcome::Failed {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let (ty, message) = match entry.last_poll().and_then(|p| p.failure.as_ref()) {
                Some(EntryFailure::Asserts) => {
                    let failed = entry
                        .last_poll()
                        .map_or(0, |p| p.asserts.iter().filter(|a| !a.success).count());
                    ("assert", format!("{failed} assert(s) failed"))
                }
                Some(EntryFailure::Capture { message, .. }) => ("capture", message.clone()),
                Some(EntryFailure::Runtime { message, .. }) => ("runtime", message.clone()),
                Some(EntryFailure::Transport(failed)) => (
                    "transport",
                    match &failed.diagnosis {
                        Some(d) => format!("{}: {}", d.cause, failed.message()),
                        None => failed.message(),
                    },
                ),
                Some(EntryFailure::ServerCrashed { message, .. }) => {
                    ("server crashed", message.clone())
                }
                None => ("interrupted", "the run was interrupted".to_owned()),
            };
            // The final attempt is the failure itself; earlier failed attempts are reruns.
            let mut runs = reruns;
            if ty == "transport" {
                runs.pop();
            }
            TestCaseStatus::NonSuccess {
                kind,
                message: Some(message.into()),
                ty: Some(ty.into()),
                description: None,
                reruns: NonSuccessReruns { runs, ..NonSuccessReruns::default() },
            }
        }
    };
    let mut case = TestCase::new(name, status);
    case.set_classname(file_name.to_owned());
    // Every diagnosis of the entry, a passing one's included (an unread request body, a
    // replaced stale connection): one line each, its hint on the next.
    let diagnoses: Vec<String> = entry
        .iterations
        .iter()
        .flat_map(|i| &i.polls)
        .flat_map(|p| &p.attempts)
        .flat_map(|a| a.diagnoses.iter().map(move |d| (a.n, d)))
        .map(|(n, d)| format!("attempt {n}: {}\nhint: {}", d.line(), d.hint))
        .collect();
    if !diagnoses.is_empty() {
        case.set_system_out(diagnoses.join("\n"));
    }
    let duration = entry
        .iterations
        .iter()
        .flat_map(|i| &i.polls)
        .flat_map(|p| &p.attempts)
        .map(|a| a.duration)
        .sum();
    case.set_time(duration);
    case
}
