//! The JUnit report of a suite run: one `<testsuite>` per layer, in order.
//!
//! A scenario layer's cases are its files' entries (`report::junit::file_cases`), and
//! a file the layer did not reach is a skipped case. A command layer has one case for
//! the command itself (failed with its exit status and stderr tail when it failed)
//! and, after it, the cases of the JUnit file it wrote, read back. A layer that did
//! not run is skipped cases. A layer that failed without any failing case (a server
//! that did not start) gets an error case saying why, so the document never looks
//! green when the run was not.

use crate::report::junit::{self, Case, CaseResult, Problem, Suite, case};
use crate::runner::outcome::FileOutcome;

use super::report::{CommandRecord, LayerRecord, Testcase};

/// The suites of `layers`, with the scenario files' outcomes taken from `files`; the
/// files of no finished layer (a checkpoint during a layer) form a suite named after
/// `current`, the layer running. A `partial` document says so in every suite's
/// properties (`partial = true`).
pub(super) fn suites(
    layers: &[LayerRecord],
    files: &[FileOutcome],
    current: Option<&str>,
    partial: bool,
) -> Vec<Suite> {
    let mut used = vec![false; files.len()];
    let mut suites = layer_suites(layers, files, &mut used);
    let rest: Vec<&FileOutcome> = files
        .iter()
        .enumerate()
        .filter(|(i, _)| !used.get(*i).copied().unwrap_or(true))
        .map(|(_, f)| f)
        .collect();
    if !rest.is_empty() {
        suites.push(Suite {
            name: current.unwrap_or("unfinished layer").to_owned(),
            timestamp: rest.first().map(|f| f.started),
            time: None,
            cases: rest.into_iter().flat_map(junit::file_cases).collect(),
            properties: Vec::new(),
        });
    }
    if partial {
        for suite in &mut suites {
            suite.properties.push(("partial".to_owned(), "true".to_owned()));
        }
    }
    suites
}

fn layer_suites(layers: &[LayerRecord], files: &[FileOutcome], used: &mut [bool]) -> Vec<Suite> {
    layers
        .iter()
        .map(|layer| {
            let not_run = layer.outcome == "not_run";
            let why = layer.note.clone().unwrap_or_else(|| "not run".to_owned());
            let mut cases = Vec::new();
            if layer.kind == "command" {
                cases.push(command_case(layer, not_run, &why));
                if let Some(command) = &layer.command {
                    cases.extend(command.testcases.iter().map(|t| read_back(&layer.name, t)));
                }
            } else if let Some(load) = &layer.load {
                // A load layer: one case per threshold, which is what decides it.
                for verdict in &load.threshold_results {
                    let result = if verdict.passed {
                        CaseResult::Passed
                    } else {
                        CaseResult::Failure(Problem {
                            ty: "threshold".to_owned(),
                            message: format!(
                                "threshold {} crossed (observed {} {})",
                                verdict.threshold, verdict.observed, verdict.unit
                            ),
                            detail: String::new(),
                        })
                    };
                    cases.push(case(&verdict.threshold, &layer.name, result));
                }
                if cases.is_empty() {
                    cases.push(case("load", &layer.name, CaseResult::Passed));
                }
            } else {
                for path in &layer.files {
                    let found = files
                        .iter()
                        .enumerate()
                        .find(|(i, f)| !used.get(*i).copied().unwrap_or(true) && &f.path == path);
                    if let Some((i, file)) = found {
                        if let Some(slot) = used.get_mut(i) {
                            *slot = true;
                        }
                        cases.extend(junit::file_cases(file));
                    }
                }
                for path in &layer.not_run_files {
                    let name = path.display().to_string();
                    cases.push(case(&name, &name, CaseResult::Skipped(why.clone())));
                }
                if not_run && cases.is_empty() {
                    cases.push(case("layer", &layer.name, CaseResult::Skipped(why.clone())));
                }
            }
            junit::add_layer_error(&mut cases, &layer.name, &layer.outcome, &why);
            Suite {
                name: layer.name.clone(),
                timestamp: (!not_run).then_some(layer.started),
                time: (!not_run).then_some(layer.duration),
                cases,
                properties: Vec::new(),
            }
        })
        .collect()
}

/// The command itself, as a test case.
fn command_case(layer: &LayerRecord, not_run: bool, why: &str) -> Case {
    let Some(command) = &layer.command else {
        let result = if not_run {
            CaseResult::Skipped(why.to_owned())
        } else {
            CaseResult::Error(Problem {
                ty: "not started".to_owned(),
                message: format!("the command did not start: {why}"),
                detail: String::new(),
            })
        };
        return case("command", &layer.name, result);
    };
    let mut result = CaseResult::Passed;
    if let Some(problem) = command_problem(command) {
        result = CaseResult::Failure(problem);
    }
    let mut case = case("command", &layer.name, result);
    case.time = Some(layer.duration);
    if !command.stderr_tail.is_empty() && case.result != CaseResult::Passed {
        case.system_err = Some(command.stderr_tail.join("\n"));
    }
    case
}

fn command_problem(command: &CommandRecord) -> Option<Problem> {
    let (ty, message) = if let Some(error) = &command.error {
        ("command error", error.clone())
    } else if let Some(timeout) = command.timed_out {
        ("timeout", format!("the command timed out after {} s", timeout.as_secs_f64()))
    } else if let Some(signal) = &command.signal {
        ("signal", format!("the command was killed by {signal}"))
    } else if let Some(code) = command.exit_code.filter(|c| *c != 0) {
        ("exit status", format!("the command exited with code {code}"))
    } else if let Some(error) = &command.junit_error {
        ("junit", error.clone())
    } else {
        return None;
    };
    let message = command.description.clone().unwrap_or(message);
    let detail = format!(
        "stdout: {}\nstderr: {}\n",
        command.stdout_log.display(),
        command.stderr_log.display()
    );
    Some(Problem { ty: ty.to_owned(), message, detail })
}

/// A test case of the command layer's own JUnit file.
fn read_back(layer: &str, testcase: &Testcase) -> Case {
    let message = testcase.message.clone().unwrap_or_default();
    let problem =
        |ty: &str| Problem { ty: ty.to_owned(), message: message.clone(), detail: String::new() };
    let result = match testcase.outcome {
        "failed" => CaseResult::Failure(problem("failure")),
        "error" => CaseResult::Error(problem("error")),
        "skipped" => CaseResult::Skipped(message.clone()),
        _ => CaseResult::Passed,
    };
    let mut case = case(&testcase.name, testcase.classname.as_deref().unwrap_or(layer), result);
    case.time = testcase
        .time_s
        .filter(|t| t.is_finite() && *t >= 0.0)
        .map(std::time::Duration::from_secs_f64);
    case
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::{Duration, SystemTime};

    use super::*;

    fn layer(name: &str, kind: &'static str, outcome: &str) -> LayerRecord {
        LayerRecord {
            name: name.to_owned(),
            kind,
            outcome: outcome.to_owned(),
            started: SystemTime::UNIX_EPOCH,
            duration: Duration::from_millis(3),
            files: Vec::new(),
            not_run_files: Vec::new(),
            note: None,
            command: None,
            load: None,
        }
    }

    #[test]
    fn a_failed_command_layer_is_a_failure_and_its_cases_are_read_back() {
        let mut unit = layer("unit", "command", "failed");
        unit.command = Some(CommandRecord {
            argv: vec!["pytest".to_owned()],
            exit_code: Some(6),
            signal: None,
            timed_out: None,
            error: None,
            stdout_log: PathBuf::from("o.log"),
            stderr_log: PathBuf::from("e.log"),
            junit: None,
            junit_error: None,
            testcases: vec![Testcase {
                name: "test_a".to_owned(),
                classname: Some("tests.a".to_owned()),
                time_s: Some(0.5),
                outcome: "failed",
                message: Some("boom".to_owned()),
            }],
            description: None,
            stderr_tail: vec!["Traceback".to_owned()],
        });
        let mut later = layer("api", "scenarios", "not_run");
        later.not_run_files = vec![PathBuf::from("a.hurl")];
        later.note = Some("an earlier layer failed".to_owned());
        let suites = suites(&[unit, later], &[], None, false);
        assert_eq!(suites.len(), 2);
        let cases = &suites[0].cases;
        assert_eq!(cases.len(), 2);
        let CaseResult::Failure(problem) = &cases[0].result else { panic!("{cases:?}") };
        assert_eq!(problem.message, "the command exited with code 6");
        assert_eq!(cases[0].system_err.as_deref(), Some("Traceback"));
        assert!(matches!(cases[1].result, CaseResult::Failure(_)));
        assert_eq!(cases[1].classname, "tests.a");
        assert_eq!(
            suites[1].cases[0].result,
            CaseResult::Skipped("an earlier layer failed".to_owned())
        );
        assert_eq!(suites[1].timestamp, None);
    }

    #[test]
    fn a_layer_that_failed_without_cases_gets_an_error_case() {
        let mut api = layer("api", "scenarios", "error");
        api.note = Some("the main server did not start".to_owned());
        let suites = suites(&[api], &[], None, true);
        assert_eq!(suites[0].properties, [("partial".to_owned(), "true".to_owned())]);
        let CaseResult::Error(problem) = &suites[0].cases[0].result else { panic!() };
        assert!(problem.message.contains("did not start"), "{problem:?}");
    }
}
