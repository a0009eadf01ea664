//! Verdicts and reports of `shakedown test`: exit codes, diagnostics, JUnit, JSON, secrets.

use crate::support::{Fixture, ShakedownCmd, repo_root, temp_dir, write_file};

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
