//! Verdicts and reports of `shakedown test` and `shakedown run`: exit codes, diagnostics,
//! JUnit (validated against the Jenkins xunit XSD with xmllint and read back by Python's
//! junitparser), JSON (validated against docs/json-schema.json), secrets.
//!
//! The report files come from one suite run that has a pass, a flaky pass, an assert
//! failure, a transport failure and a failed command layer ([`mixed_run`]).

use std::path::{Path, PathBuf};

use crate::support::{
    Fixture, RunOutput, ShakedownCmd, fixture_bin, repo_root, temp_dir, write_file,
};

fn test_cmd(
    fixture: &Fixture,
    extra: &[&str],
    files: &[&std::path::Path],
) -> crate::support::RunOutput {
    let mut args = vec!["test".to_owned(), "--jobs".to_owned(), "1".to_owned()];
    args.push("--variable".to_owned());
    args.push(format!("base_url={}", fixture.base_url));
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args.extend(files.iter().map(|f| f.display().to_string()));
    ShakedownCmd::new(&args).output()
}

#[test]
fn parse_errors_exit_2_and_report_every_error_with_its_position() {
    let file = repo_root().join("fixtures/scenarios/parse/three_errors.hurl");
    let out = ShakedownCmd::new(["test", &file.display().to_string()]).output();
    assert_eq!(out.code(), 2, "{out:?}");
    let stderr = out.stderr();
    for position in ["three_errors.hurl:3:1", "three_errors.hurl:8:"] {
        assert!(stderr.contains(position), "missing {position}\n{out:?}");
    }
    assert!(stderr.contains("retry"), "did-you-mean for `retri`\n{out:?}");
    let check = ShakedownCmd::new(["check", &file.display().to_string()]).output();
    assert_eq!(check.code(), 2, "{check:?}");
    assert!(check.stderr().contains("3 error(s)"), "{check:?}");
}

#[test]
fn check_lists_entries_without_sending_anything() {
    let dir = temp_dir();
    // Port 9 (discard) on loopback: nothing may be sent, so nothing needs to listen.
    let file = write_file(
        dir.path(),
        "a.hurl",
        "GET http://127.0.0.1:9/a\nHTTP 200\n\nPOST http://127.0.0.1:9/b\n{\"x\": 1}\n",
    );
    let out = ShakedownCmd::new(["check", &file.display().to_string()]).output();
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(out.stdout().contains("2 entries"), "{out:?}");
    assert!(out.stdout().contains("POST http://127.0.0.1:9/b"), "{out:?}");
}

#[test]
fn exit_codes_follow_hurl_and_runtime_wins_over_assert() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let passing = write_file(dir.path(), "pass.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let failing = write_file(dir.path(), "fail.hurl", "GET {{base_url}}/health\nHTTP 404\n");
    // A port that was just bound and released: connections are refused.
    let refused_port =
        std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let runtime = write_file(
        dir.path(),
        "runtime.hurl",
        &format!("GET http://127.0.0.1:{refused_port}/\nHTTP 200\n"),
    );
    assert_eq!(test_cmd(&fixture, &[], &[&passing]).code(), 0);
    let out = test_cmd(&fixture, &[], &[&failing]);
    assert_eq!(out.code(), 4, "{out:?}");
    assert!(out.stderr().contains("fail.hurl:2:6"), "{out:?}");
    assert!(out.stderr().contains("404"), "{out:?}");
    let out = test_cmd(&fixture, &[], &[&runtime]);
    assert_eq!(out.code(), 3, "{out:?}");
    assert!(out.stderr().contains("ECONNREFUSED"), "{out:?}");
    let out = test_cmd(&fixture, &[], &[&failing, &runtime, &passing]);
    assert_eq!(out.code(), 3, "{out:?}");
}

#[test]
fn unsupported_option_is_a_runtime_error_naming_the_key() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = write_file(
        dir.path(),
        "a.hurl",
        "GET {{base_url}}/health\n[Options]\nhttp3: true\nHTTP 200\n",
    );
    let out = test_cmd(&fixture, &[], &[&file]);
    assert_eq!(out.code(), 3, "{out:?}");
    assert!(out.stderr().contains("`http3`"), "{out:?}");
    assert!(out.stderr().contains("a.hurl:3:1"), "{out:?}");
}

#[test]
fn junit_has_a_suite_per_file_and_a_case_per_entry() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let passing = write_file(
        dir.path(),
        "pass.hurl",
        "GET {{base_url}}/health\nHTTP 200\n\nGET {{base_url}}/json/types\nHTTP 200\n",
    );
    let failing = write_file(
        dir.path(),
        "fail.hurl",
        "GET {{base_url}}/health\nHTTP 200\n[Asserts]\njsonpath \"$.status\" == \"down\"\n",
    );
    let flaky = repo_root().join("tests/scenarios/faults/keepalive-race-rst-get.hurl");
    let junit = dir.path().join("out/junit.xml");
    std::fs::create_dir_all(junit.parent().unwrap()).unwrap();
    std::fs::write(&junit, "stale content that must be replaced, not appended to").unwrap();
    let report = format!("junit={}", junit.display());
    let out = test_cmd(&fixture, &["--report", &report], &[&passing, &failing, &flaky]);
    assert_eq!(out.code(), 4, "{out:?}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(!xml.contains("stale content"), "{xml}");
    let doc = roxmltree::Document::parse(&xml).expect("JUnit is XML");
    let suites: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testsuite")).collect();
    assert_eq!(suites.len(), 3, "{xml}");
    let cases = |i: usize| suites[i].children().filter(|n| n.has_tag_name("testcase")).count();
    assert_eq!((cases(0), cases(1), cases(2)), (2, 1, 2), "{xml}");
    assert_eq!(suites[1].descendants().filter(|n| n.has_tag_name("failure")).count(), 1, "{xml}");
    assert!(
        suites[2]
            .descendants()
            .any(|n| n.has_tag_name("flakyError") || n.has_tag_name("flakyFailure")),
        "the retried attempt must appear as a flaky element\n{xml}"
    );
}

#[test]
fn secrets_are_redacted_from_output_and_reports() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = write_file(
        dir.path(),
        "a.hurl",
        "GET {{base_url}}/echo?token={{token}}\nHTTP 200\n[Asserts]\njsonpath \"$.query.token\" == \"wrong\"\n",
    );
    let json = dir.path().join("report.json");
    let report = format!("json={}", json.display());
    let out = test_cmd(
        &fixture,
        &["--secret", "token=s3cr3t-value", "--report", &report, "--verbose"],
        &[&file],
    );
    assert_eq!(out.code(), 4, "{out:?}");
    assert!(!out.stderr().contains("s3cr3t-value"), "{out:?}");
    assert!(out.stderr().contains("***"), "{out:?}");
    let text = std::fs::read_to_string(&json).unwrap();
    assert!(!text.contains("s3cr3t-value"), "{text}");
}

#[test]
fn json_report_nests_iterations_polls_and_attempts() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = write_file(
        dir.path(),
        "a.hurl",
        "GET {{base_url}}/health\n[Options]\nrepeat: 2\nHTTP 200\n\nGET {{base_url}}/status/500\n[Options]\nretry: 1\nretry-interval: 10ms\nHTTP 200\n",
    );
    let json = dir.path().join("report.json");
    let report = format!("json={}", json.display());
    let out = test_cmd(&fixture, &["--report", &report], &[&file]);
    assert_eq!(out.code(), 4, "{out:?}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["schema"], "shakedown.report/v1");
    assert_eq!(report["outcome"], "failed");
    assert_eq!(report["partial"], false);
    let entries = &report["files"][0]["entries"];
    assert_eq!(entries[0]["iterations"].as_array().map(Vec::len), Some(2), "{report:#}");
    // Hurl's retry polls the entry again: 2 polls, one attempt each, no ledger record.
    let polls = &entries[1]["iterations"][0]["polls"];
    assert_eq!(polls.as_array().map(Vec::len), Some(2), "{report:#}");
    assert_eq!(polls[1]["attempts"][0]["status"], 500);
    assert_eq!(report["ledger"].as_array().map(Vec::len), Some(0), "{report:#}");
}

#[test]
fn fail_fast_stops_after_the_first_failed_file_and_json_prints_a_line_per_file() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let failing = write_file(dir.path(), "1-fail.hurl", "GET {{base_url}}/health\nHTTP 500\n");
    let passing = write_file(dir.path(), "2-pass.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let out = test_cmd(&fixture, &["--fail-fast", "--json"], &[&failing, &passing]);
    assert_eq!(out.code(), 4, "{out:?}");
    let lines: Vec<serde_json::Value> = out
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line per file"))
        .collect();
    assert_eq!(lines.len(), 1, "{out:?}");
    assert_eq!(lines[0]["outcome"], "failed");
}

/// The golden scenario files: a pass, a flaky pass, an assert failure, a transport failure.
const GOLDEN: &[&str] = &["pass.hurl", "flaky.hurl", "assert.hurl", "transport.hurl"];

/// What [`mixed_run`] produced.
pub(crate) struct MixedRun {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) out: RunOutput,
    pub(crate) run_dir: PathBuf,
}

/// One suite run with every kind of result: a command layer that writes a JUnit file (one
/// passing and one failing test) and exits 6, then the golden files against the fixture
/// (seed 19: the first `/flaky/` request is reset), with `--keep-going`. `extra` are more
/// `run` arguments (reports are written in the suite's folder).
pub(crate) fn mixed_run(extra: &[&str]) -> MixedRun {
    let dir = temp_dir();
    for name in GOLDEN {
        std::fs::copy(repo_root().join("tests/golden").join(name), dir.path().join(name))
            .expect("copy a golden file");
    }
    std::fs::write(
        dir.path().join("unit-src.xml"),
        r#"<testsuite name="unit"><testcase classname="tests.test_orders" name="test_total" time="0.01"/><testcase classname="tests.test_orders" name="test_refund"><failure message="assert 3 == 4"/></testcase></testsuite>"#,
    )
    .expect("write the command layer's JUnit");
    let suite = format!(
        r#"[server]
command = ["{fixture}", "--port", "{{port}}", "--max-seconds", "120", "--reset-percent", "50", "--seed", "19"]
ready = {{ http = "/health", status = 200, timeout = "10s" }}

[[layer]]
name = "unit"
command = ["sh", "-c", "cp unit-src.xml unit.xml; echo '1 failed, 1 passed' >&2; exit 6"]
junit = "unit.xml"

[[layer]]
name = "api"
scenarios = ["pass.hurl", "flaky.hurl", "assert.hurl", "transport.hurl"]
"#,
        fixture = fixture_bin().display()
    );
    std::fs::write(dir.path().join("shakedown.toml"), suite).expect("write the suite");
    let mut args =
        vec!["run", "shakedown.toml", "--output-dir", "out", "--no-color", "--keep-going"];
    args.extend_from_slice(extra);
    let out = ShakedownCmd::new(&args).current_dir(dir.path()).output();
    let run_dir = std::fs::read_dir(dir.path().join("out"))
        .expect("the output folder exists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.is_dir() && !path.ends_with("latest"))
        .expect("a run folder");
    MixedRun { dir, out, run_dir }
}

/// Runs a tool the test depends on; a missing tool fails the test with the install line.
fn tool(program: &str, args: &[&str], install: &str) -> std::process::Output {
    #[expect(clippy::disallowed_methods, reason = "the test runs a report consumer")]
    let output = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}): {install}"));
    output
}

/// The venv's python, which has junitparser and jsonschema (scripts/prepare-python).
fn venv_python() -> String {
    let python = repo_root().join(".venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run scripts/prepare-python (scripts/test does)",
        python.display()
    );
    python.display().to_string()
}

/// Checks `xml` against tests/data/junit-10.xsd with xmllint.
pub(crate) fn assert_valid_junit(xml: &Path) {
    let xsd = repo_root().join("tests/data/junit-10.xsd");
    let out = tool(
        "xmllint",
        &["--noout", "--schema", &xsd.display().to_string(), &xml.display().to_string()],
        "apt-get install -y libxml2-utils (.ci/run does)",
    );
    assert!(
        out.status.success(),
        "{} fails the Jenkins xunit XSD:\n{}\n{}",
        xml.display(),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(xml).unwrap_or_default()
    );
}

/// What junitparser reads from a JUnit file: per suite, its name, counts and cases
/// (name, classname, result kinds and messages).
fn junitparser_reads(xml: &Path) -> serde_json::Value {
    const SCRIPT: &str = r#"
import json, sys
from junitparser import JUnitXml
xml = JUnitXml.fromfile(sys.argv[1])
suites = []
for suite in xml:
    cases = []
    for case in suite:
        cases.append({"name": case.name, "classname": case.classname,
                      "results": [[type(r).__name__, r.message or "", r.text or ""] for r in case.result]})
    suites.append({"name": suite.name, "tests": suite.tests, "failures": suite.failures,
                   "errors": suite.errors, "skipped": suite.skipped, "cases": cases})
print(json.dumps(suites))
"#;
    let out = tool(
        &venv_python(),
        &["-c", SCRIPT, &xml.display().to_string()],
        "run scripts/prepare-python",
    );
    assert!(out.status.success(), "junitparser: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the script prints JSON")
}

#[test]
fn suite_junit_has_a_suite_per_layer_stable_names_and_validates_against_the_xsd() {
    let run = mixed_run(&["--report", "junit=junit.xml"]);
    // A transport failure (3) wins over a failed command layer (6).
    assert_eq!(run.out.code(), 3, "{:?}", run.out);
    assert!(run.run_dir.join("report.json").is_file(), "{:?}", run.out);
    let xml_path = run.dir.path().join("junit.xml");
    assert_valid_junit(&xml_path);
    let suites = junitparser_reads(&xml_path);
    let names: Vec<&str> =
        suites.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["unit", "api"], "{suites:#}");
    // The command layer: the command itself failed, then its own cases, read back.
    let unit = &suites[0];
    assert_eq!((unit["tests"].as_u64(), unit["failures"].as_u64()), (Some(3), Some(2)), "{unit:#}");
    assert_eq!(unit["cases"][0]["name"], "command");
    assert_eq!(unit["cases"][0]["results"][0][0], "Failure");
    assert!(unit["cases"][0]["results"][0][1].as_str().unwrap().contains("code 6"), "{unit:#}");
    assert_eq!(unit["cases"][2]["name"], "test_refund");
    assert_eq!(unit["cases"][2]["classname"], "tests.test_orders");
    assert_eq!(unit["cases"][2]["results"][0][1], "assert 3 == 4");
    // The scenario layer: one case per entry, named from the template, never the port.
    let api = &suites[1];
    assert_eq!(
        (api["tests"].as_u64(), api["failures"].as_u64(), api["errors"].as_u64()),
        (Some(5), Some(1), Some(1)),
        "{api:#}"
    );
    let case_names: Vec<&str> =
        api["cases"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        case_names,
        [
            "line 2: GET {{base_url}}/health",
            "line 7: GET {{base_url}}/json/types",
            "line 3: GET {{base_url}}/flaky/orders",
            "line 2: GET {{base_url}}/health",
            "line 2: GET {{base_url}}/fault/reset-before-response",
        ]
    );
    let failure = &api["cases"][3]["results"][0];
    assert_eq!(failure[0], "Failure", "{api:#}");
    let message = failure[1].as_str().unwrap();
    assert!(
        message.starts_with("2 asserts failed; the first: assert.hurl:5: jsonpath"),
        "{message}"
    );
    assert!(message.contains("expected string <degraded>, actual string <ok>"), "{message}");
    assert!(
        failure[2].as_str().unwrap().contains("assert.hurl:6:1: header \"Content-Type\""),
        "{failure}"
    );
    assert_eq!(api["cases"][4]["results"][0][0], "Error", "{api:#}");
}

#[test]
fn test_junit_validates_against_the_xsd_with_markup_and_control_characters() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    // An assert whose text and actual value need escaping,
    let odd = write_file(
        dir.path(),
        "odd.hurl",
        "GET {{base_url}}/health\nHTTP 200\n[Asserts]\njsonpath \"$.status\" == \"<&\\u{0001}\\\">\"\n",
    );
    let junit = dir.path().join("junit.xml");
    let report = format!("junit={}", junit.display());
    let out = test_cmd(&fixture, &["--report", &report], &[&odd]);
    assert_ne!(out.code(), 0, "{out:?}");
    assert_valid_junit(&junit);
    let suites = junitparser_reads(&junit);
    assert_eq!(suites[0]["cases"][0]["results"][0][0], "Failure", "{suites:#}");
}

/// Validates every JSON report in `reports` against docs/json-schema.json (Python's
/// jsonschema, Draft 2020-12) and fails with every error found.
pub(crate) fn assert_valid_json_reports(reports: &[PathBuf]) {
    const SCRIPT: &str = r#"
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)
errors = []
for path in sys.argv[2:]:
    document = json.load(open(path))
    for error in validator.iter_errors(document):
        errors.append(f"{path}: {'/'.join(map(str, error.absolute_path))}: {error.message}")
print("\n".join(errors))
sys.exit(1 if errors else 0)
"#;
    assert!(!reports.is_empty());
    let schema = repo_root().join("docs/json-schema.json");
    let mut args = vec!["-c".to_owned(), SCRIPT.to_owned(), schema.display().to_string()];
    args.extend(reports.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = tool(&venv_python(), &args, "run scripts/prepare-python");
    assert!(
        out.status.success(),
        "reports fail docs/json-schema.json:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn json_reports_have_totals_assert_text_and_validate_against_the_published_schema() {
    let run = mixed_run(&["--report", "json=report.json"]);
    assert_eq!(run.out.code(), 3, "{:?}", run.out);
    let suite_report = run.run_dir.join("report.json");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&suite_report).unwrap()).unwrap();
    let totals = &report["totals"];
    assert_eq!(totals["files"]["total"], 4, "{totals:#}");
    assert_eq!(
        (
            &totals["files"]["passed"],
            &totals["files"]["flaky"],
            &totals["files"]["failed"],
            &totals["files"]["error"]
        ),
        (&1.into(), &1.into(), &1.into(), &1.into()),
        "{totals:#}"
    );
    assert_eq!(totals["entries"]["total"], 5, "{totals:#}");
    assert_eq!(totals["layers"]["failed"], 1, "the command layer: {totals:#}");
    let failed_assert = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["entries"].as_array().unwrap())
        .flat_map(|e| e["iterations"][0]["polls"][0]["asserts"].as_array().unwrap())
        .find(|a| a["success"] == false)
        .expect("a failed assert");
    assert_eq!(failed_assert["text"], "jsonpath \"$.status\" == \"degraded\"");
    assert_eq!(failed_assert["expected"], "string <degraded>");

    // `shakedown test`'s report, and a suite whose server does not start.
    let fixture = Fixture::start(&[]);
    let test_report = run.dir.path().join("test-report.json");
    let out = ShakedownCmd::new([
        "test",
        "--variable",
        &format!("base_url={}", fixture.base_url),
        "--report",
        &format!("json={}", test_report.display()),
        "pass.hurl",
        "assert.hurl",
    ])
    .current_dir(run.dir.path())
    .output();
    assert_eq!(out.code(), 4, "{out:?}");

    let broken = temp_dir();
    write_file(broken.path(), "a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    write_file(
        broken.path(),
        "shakedown.toml",
        "[server]\ncommand = [\"sh\", \"-c\", \"echo 'no database configured' >&2; exit 3\"]\nready = { tcp = true, timeout = \"10s\" }\n\n[[layer]]\nname = \"it\"\nscenarios = [\"a.hurl\"]\n",
    );
    let out = ShakedownCmd::new([
        "run",
        "shakedown.toml",
        "--output-dir",
        "out",
        "--report",
        "json=failed.json",
    ])
    .current_dir(broken.path())
    .output();
    assert_eq!(out.code(), 3, "{out:?}");
    let failed_report = broken.path().join("failed.json");
    let failed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&failed_report).unwrap()).unwrap();
    let reason = failed["servers"][0]["start_error"].as_str().unwrap_or_default();
    assert!(
        reason.contains("exit code 3") && reason.contains("no database configured"),
        "{failed:#}"
    );

    assert_valid_json_reports(&[
        suite_report,
        run.dir.path().join("report.json"),
        test_report,
        failed_report,
    ]);
}

/// Every file under `dir`, recursively (symbolic links not followed).
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read the folder").filter_map(Result::ok) {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            files_under(&path, out);
        } else if kind.is_file() {
            out.push(path);
        }
    }
}

#[test]
fn no_report_or_log_holds_the_secret() {
    const SECRET: &str = "s3cr3t-every-file";
    let dir = temp_dir();
    write_file(
        dir.path(),
        "echo.hurl",
        "GET {{base_url}}/echo?token={{token}}\nAuthorization: Bearer {{token}}\nCookie: session={{token}}\nHTTP 200\n[Asserts]\njsonpath \"$.query.token\" == \"wrong\"\n",
    );
    let suite = format!(
        r#"[server]
command = ["{fixture}", "--port", "{{port}}", "--max-seconds", "120"]
ready = {{ http = "/health", status = 200, timeout = "10s" }}

[[layer]]
name = "unit"
command = ["sh", "-c", "echo token {SECRET}; echo token {SECRET} >&2; exit 1"]

[[layer]]
name = "api"
scenarios = ["echo.hurl"]
"#,
        fixture = fixture_bin().display()
    );
    std::fs::write(dir.path().join("shakedown.toml"), suite).expect("write the suite");
    let secret = format!("token={SECRET}");
    let out = ShakedownCmd::new([
        "run",
        "shakedown.toml",
        "--output-dir",
        "out",
        "--keep-going",
        "--verbose",
        "--secret",
        &secret,
        "--report",
        "json=reports/report.json",
        "--report",
        "junit=reports/junit.xml",
        "--report",
        "html=reports/report.html",
    ])
    .current_dir(dir.path())
    .output();
    // A failed command layer (6) wins over an assert failure (4).
    assert_eq!(out.code(), 6, "{out:?}");
    assert!(!out.stderr().contains(SECRET) && !out.stdout().contains(SECRET), "{out:?}");
    let mut files = Vec::new();
    files_under(&dir.path().join("out"), &mut files);
    files_under(&dir.path().join("reports"), &mut files);
    assert!(files.len() >= 8, "reports and logs: {files:?}");
    for file in &files {
        let bytes = std::fs::read(file).expect("read a produced file");
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "{} holds the secret",
            file.display()
        );
    }
    // The redaction is visible where the secret would be.
    let report = std::fs::read_to_string(dir.path().join("reports/report.json")).unwrap();
    assert!(report.contains("***"), "{report}");
}

/// Polls (bounded, a minute) until `done` holds.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut pause = std::time::Duration::from_millis(5);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting until {what}");
        #[expect(clippy::disallowed_methods, reason = "the pause between polls of a bounded wait")]
        std::thread::sleep(pause);
        pause = (pause * 2).min(std::time::Duration::from_millis(100));
    }
}

#[test]
fn junit_and_html_are_checkpointed_and_marked_partial_during_the_run() {
    use std::io::{Read, Write};
    let dir = temp_dir();
    let junit = dir.path().join("reports/junit.xml");
    let html = dir.path().join("reports/report.html");
    // The second file's request is held until the checkpoint of the first is seen.
    let hold = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = hold.local_addr().expect("address").port();
    let (junit_seen, html_seen) = (junit.clone(), html.clone());
    let holder = std::thread::spawn(move || {
        let (mut stream, _) = hold.accept().expect("shakedown connects");
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request);
        wait_until("the checkpoint after the first file", || {
            std::fs::read_to_string(&junit_seen).is_ok_and(|x| x.contains("line 1: GET"))
                && html_seen.is_file()
        });
        let xml = std::fs::read_to_string(&junit_seen).expect("junit checkpoint");
        let page = std::fs::read_to_string(&html_seen).expect("html checkpoint");
        let _ =
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        (xml, page)
    });
    write_file(dir.path(), "s/1-pass.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    write_file(
        dir.path(),
        "s/2-held.hurl",
        &format!("GET http://127.0.0.1:{port}/held\nHTTP 200\n"),
    );
    let suite = format!(
        "[server]\ncommand = [\"{}\", \"--port\", \"{{port}}\", \"--max-seconds\", \"120\"]\nready = {{ http = \"/health\", timeout = \"10s\" }}\n\n[[layer]]\nname = \"api\"\nscenarios = [\"s/*.hurl\"]\n",
        fixture_bin().display()
    );
    write_file(dir.path(), "shakedown.toml", &suite);
    let out = ShakedownCmd::new([
        "run",
        "shakedown.toml",
        "--output-dir",
        "out",
        "--report",
        "junit=reports/junit.xml",
        "--report",
        "html=reports/report.html",
    ])
    .current_dir(dir.path())
    .output();
    assert_eq!(out.code(), 0, "{out:?}");
    let (checkpoint_xml, checkpoint_page) = holder.join().expect("the holder saw the checkpoints");
    assert!(
        checkpoint_xml.contains(r#"<property name="partial" value="true"/>"#),
        "{checkpoint_xml}"
    );
    assert!(checkpoint_xml.contains(r#"<testsuite name="api""#), "{checkpoint_xml}");
    assert!(checkpoint_page.contains("INTERRUPTED (partial"), "a checkpoint says partial");
    let checkpoint = dir.path().join("checkpoint.xml");
    std::fs::write(&checkpoint, &checkpoint_xml).expect("keep the checkpoint");
    assert_valid_junit(&checkpoint);
    // The final reports replace the checkpoints.
    let xml = std::fs::read_to_string(&junit).expect("final junit");
    assert!(!xml.contains("partial"), "{xml}");
    assert_valid_junit(&junit);
    assert!(std::fs::read_to_string(&html).expect("final html").contains("<h1>PASSED</h1>"));
}
