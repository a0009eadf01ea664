//! Golden files for everything a user or CI reads: the terminal output, the JSON report and the
//! JUnit report of one `shakedown test` run and one `shakedown run` run, over the four files of
//! `tests/golden/` (a pass, a flaky pass, an assert failure, a transport failure).
//!
//! Changes to what shakedown prints are reviewed as snapshot diffs (insta), never accidental.
//! What varies between runs — ports, durations, timestamps, PIDs, connection ids, temporary
//! paths, the version — is replaced by fixed placeholders first ([`redact`]).
//! The flake is deterministic: the fixture service's seeded PRNG (seed 19, 50 % resets) resets
//! the first `/flaky/` request and answers the second, and files run one at a time.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::support::{Fixture, ShakedownCmd, fixture_bin, repo_root, shakedown_bin, temp_dir};

/// The fixture's flags that make the one `/flaky/` request of the golden set flaky.
const FLAKY_SEED: &[&str] = &["--reset-percent", "50", "--seed", "19"];

/// The golden scenario files, in the order they run.
const FILES: &[&str] = &["pass.hurl", "flaky.hurl", "assert.hurl", "transport.hurl"];

/// Copies the golden files into `dir` so every path shakedown prints is short and stable.
fn copy_golden_files(dir: &Path) {
    for name in FILES {
        let from = repo_root().join("tests/golden").join(name);
        std::fs::copy(&from, dir.join(name))
            .unwrap_or_else(|e| panic!("cannot copy {}: {e}", from.display()));
    }
}

/// Replaces what varies between runs with fixed placeholders.
fn redact(text: &str, dir: &Path) -> String {
    static RULES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
        [
            // Timestamps (RFC 3339, with or without fractions and offset).
            (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?", "[TIMESTAMP]"),
            // Run folders are named after their start time.
            (r"run-[0-9TZ_.:-]+", "run-[TIME]"),
            (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
            // The slowest entries: their order depends on timing.
            (r"(?m)^Slowest: .*(\n {19}\S.*)*", "Slowest:           [SLOWEST]"),
            // Durations and rates in terminal text.
            (r"\b\d+(\.\d+)?/s\b", "[RATE]/s"),
            (r"\b\d+(\.\d+)? ?(ms|µs|us|s)\b", "[DURATION]"),
            // Host-wide kernel counter deltas in diagnosis evidence: other traffic moves them.
            (r#"kernel TCP counters over the last \[DURATION\][^"\n]*"#, "[KERNEL COUNTERS]"),
            (r#"(time|timestamp)="[^"]*""#, r#"$1="[T]""#),
            (r"\bpid \d+", "pid [PID]"),
            (r"\bconnection #?\d+", "connection [ID]"),
            (r"\bconn \d+", "conn [ID]"),
            (r"shakedown \d+\.\d+\.\d+", "shakedown [VERSION]"),
            (r#""shakedown_version": "[^"]*""#, r#""shakedown_version": "[VERSION]""#),
        ]
        .into_iter()
        .map(|(pattern, replacement)| {
            (Regex::new(pattern).expect("the redaction patterns are valid"), replacement)
        })
        .collect()
    });
    let mut text = text.replace(&dir.display().to_string(), "[DIR]");
    text = text.replace(&fixture_bin().display().to_string(), "[FIXTURE]");
    text = text.replace(&shakedown_bin().display().to_string(), "[SHAKEDOWN]");
    for (pattern, replacement) in RULES.iter() {
        text = pattern.replace_all(&text, *replacement).into_owned();
    }
    text
}

/// JSON keys whose values change from run to run (times, durations, process ids).
const VOLATILE_KEYS: &[&str] = &[
    "duration_ms",
    "age_ms",
    "idle_ms",
    "elapsed_ms",
    "startup_ms",
    "detection_window_ms",
    "backoff_ms",
    "timings_ms",
    "pid",
    "probes",
];

/// Replaces the values of [`VOLATILE_KEYS`] (whole subtrees) with a placeholder.
fn redact_volatile(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if VOLATILE_KEYS.contains(&key.as_str()) && !child.is_null() {
                    *child = Value::String("[VOLATILE]".to_owned());
                } else {
                    redact_volatile(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_volatile),
        _ => {}
    }
}

/// A JSON report, pretty-printed with its keys in document order, then redacted.
fn redacted_json(path: &Path, dir: &Path) -> String {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut value: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}\n{text}", path.display()));
    redact_volatile(&mut value);
    let pretty = serde_json::to_string_pretty(&value).expect("a JSON value serialises");
    redact(&pretty, dir)
}

/// The report parses into the typed model (`shakedown::report::model::Report`) and
/// re-serialises to the same JSON value: the model covers every field, as `merge` needs.
fn assert_round_trips(path: &Path) {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let report = shakedown::report::model::Report::parse(&text)
        .unwrap_or_else(|e| panic!("{} does not parse into the model: {e}", path.display()));
    let written: Value = serde_json::to_value(&report).expect("the model serialises");
    let read: Value = serde_json::from_str(&text).expect("the report is JSON");
    assert_eq!(written, read, "{} changes through the model", path.display());
    let mut bytes = Vec::new();
    shakedown::report::json::write_report(&report, &mut bytes).expect("the model writes");
    assert_eq!(String::from_utf8_lossy(&bytes), text, "the same bytes, too");
}

fn redacted_file(path: &Path, dir: &Path) -> String {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    redact(&text, dir)
}

#[test]
fn test_run_terminal_json_and_junit() {
    let fixture = Fixture::start(FLAKY_SEED);
    let dir = temp_dir();
    copy_golden_files(dir.path());
    let base_url = format!("base_url={}", fixture.base_url);
    let mut args = vec![
        "test",
        "--jobs",
        "1",
        "--no-color",
        "--variable",
        &base_url,
        "--report",
        "json=report.json",
        "--report",
        "junit=junit.xml",
    ];
    args.extend_from_slice(FILES);
    let out = ShakedownCmd::new(&args).current_dir(dir.path()).output();
    // A transport failure (3) wins over an assert failure (4).
    assert_eq!(out.code(), 3, "{out:?}");
    let terminal = format!(
        "exit code: {}\n--- stdout ---\n{}--- stderr ---\n{}",
        out.code(),
        out.stdout(),
        out.stderr()
    );
    insta::assert_snapshot!("test_terminal", redact(&terminal, dir.path()));
    assert_round_trips(&dir.path().join("report.json"));
    insta::assert_snapshot!(
        "test_json",
        redacted_json(&dir.path().join("report.json"), dir.path())
    );
    insta::assert_snapshot!("test_junit", redacted_file(&dir.path().join("junit.xml"), dir.path()));
}

#[test]
fn suite_run_terminal_json_and_junit() {
    let dir = temp_dir();
    copy_golden_files(dir.path());
    let suite = format!(
        r#"# The golden suite: the fixture service, then the four golden files.
[server]
command = ["{fixture}", "--port", "{{port}}", "--max-seconds", "120", "--reset-percent", "50", "--seed", "19"]
ready = {{ http = "/health", status = 200, timeout = "10s" }}

[[layer]]
name = "api"
scenarios = ["pass.hurl", "flaky.hurl", "assert.hurl", "transport.hurl"]
"#,
        fixture = fixture_bin().display()
    );
    std::fs::write(dir.path().join("shakedown.toml"), suite).expect("write the suite");
    let out = ShakedownCmd::new([
        "run",
        "shakedown.toml",
        "--output-dir",
        "out",
        "--no-color",
        "--keep-going",
        "--report",
        "junit=junit.xml",
    ])
    .current_dir(dir.path())
    .output();
    assert_eq!(out.code(), 3, "{out:?}");
    let terminal = format!(
        "exit code: {}\n--- stdout ---\n{}--- stderr ---\n{}",
        out.code(),
        out.stdout(),
        out.stderr()
    );
    insta::assert_snapshot!("run_terminal", redact(&terminal, dir.path()));
    let run_dir = std::fs::read_dir(dir.path().join("out"))
        .expect("the output folder exists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.is_dir() && !path.ends_with("latest"))
        .expect("a run folder");
    assert_round_trips(&run_dir.join("report.json"));
    insta::assert_snapshot!("run_json", redacted_json(&run_dir.join("report.json"), dir.path()));
    insta::assert_snapshot!("run_junit", redacted_file(&dir.path().join("junit.xml"), dir.path()));
}
