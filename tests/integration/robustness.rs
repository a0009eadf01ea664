//! Hostile inputs through the real binary: errors past column 65,535 in every path that
//! draws a snippet (`check`, `test`, a suite file, a runtime assert failure, `run`),
//! thousands of errors (output capped), files that are not UTF-8, character columns
//! that agree between the terminal and the JSON report.

use std::path::Path;

use crate::support::{Fixture, ShakedownCmd, fixture_bin, read_json, temp_dir, write_file};

/// Far enough into a line that a column no longer fits in 16 bits.
const FAR: usize = 70_000;

fn test_file(fixture: &Fixture, dir: &Path, file: &Path) -> crate::support::RunOutput {
    let json = dir.join("report.json");
    ShakedownCmd::new([
        "test".to_owned(),
        "--no-color".to_owned(),
        "--variable".to_owned(),
        format!("base_url={}", fixture.base_url),
        "--report".to_owned(),
        format!("json={}", json.display()),
        file.display().to_string(),
    ])
    .output()
}

/// A parse error at character column `FAR + 18` of line 4 (the line is all `é`, two bytes each).
fn far_parse_error() -> String {
    format!(
        "GET http://127.0.0.1:9/\nHTTP 200\n[Asserts]\nheader \"a\" == \"{}\" bogus\n",
        "é".repeat(FAR)
    )
}

#[test]
fn check_draws_a_parse_error_past_column_65535() {
    let dir = temp_dir();
    let file = write_file(dir.path(), "far.hurl", &far_parse_error());
    let out = ShakedownCmd::new(["check", "--no-color", &file.display().to_string()]).output();
    assert_eq!(out.code(), 2, "{out:?}");
    let column = FAR + 18;
    assert!(out.stderr().contains(&format!("far.hurl:4:{column}]")), "{out:?}");
    assert!(out.stderr().contains("expected the end of the line"), "{out:?}");
    // The line is shown as a window around the error, not whole.
    assert!(out.stderr().len() < 4_000, "{} bytes", out.stderr().len());
}

#[test]
fn test_draws_a_parse_error_past_column_65535_and_the_report_agrees() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = write_file(dir.path(), "far.hurl", &far_parse_error());
    let out = test_file(&fixture, dir.path(), &file);
    assert_eq!(out.code(), 2, "{out:?}");
    let position = format!("far.hurl:4:{}", FAR + 18);
    assert!(out.stderr().contains(&position), "{out:?}");
    let report = read_json(&dir.path().join("report.json"));
    let message = report["files"][0]["error"]["messages"][0].as_str().unwrap_or_default();
    assert!(message.contains(&format!("{position}:")), "{message}");
}

#[test]
fn terminal_and_json_report_count_columns_in_characters() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    // `é` is two bytes: the byte column of `bogus` would be 21, its character column is 19.
    let file = write_file(
        dir.path(),
        "bad.hurl",
        "GET {{base_url}}/health\nHTTP 200\n[Asserts]\nbody == \"éé\"  bogus\n",
    );
    let out = test_file(&fixture, dir.path(), &file);
    assert_eq!(out.code(), 2, "{out:?}");
    assert!(out.stderr().contains("bad.hurl:4:15"), "{out:?}");
    let report = read_json(&dir.path().join("report.json"));
    let message = report["files"][0]["error"]["messages"][0].as_str().unwrap_or_default();
    assert!(message.contains("bad.hurl:4:15:"), "{message}");
}

/// A runtime assert failure drawn at column `FAR + 1`: the assert line is indented.
fn far_assert_failure() -> String {
    format!("GET {{{{base_url}}}}/health\nHTTP 200\n[Asserts]\n{}status == 404\n", " ".repeat(FAR))
}

#[test]
fn test_draws_an_assert_failure_past_column_65535() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = write_file(dir.path(), "far.hurl", &far_assert_failure());
    let out = test_file(&fixture, dir.path(), &file);
    assert_eq!(out.code(), 4, "{out:?}");
    assert!(out.stderr().contains(&format!("far.hurl:4:{}", FAR + 1)), "{out:?}");
    assert!(out.stderr().contains("actual:   integer <200>"), "{out:?}");
    let report = read_json(&dir.path().join("report.json"));
    let assert = &report["files"][0]["entries"][0]["iterations"][0]["polls"][0]["asserts"];
    let failed = assert
        .as_array()
        .and_then(|all| all.iter().find(|a| a["success"] == false))
        .unwrap_or_else(|| panic!("a failed assert in {report:#}"));
    assert_eq!(
        (failed["line"].as_u64(), failed["column"].as_u64()),
        (Some(4), Some(FAR as u64 + 1))
    );
}

fn fixture_server() -> String {
    format!(
        "[server]\ncommand = [\"{}\", \"--port\", \"{{port}}\", \"--max-seconds\", \"120\"]\nready = {{ http = \"/health\", status = 200, timeout = \"10s\" }}\n",
        fixture_bin().display()
    )
}

#[test]
fn a_suite_error_past_column_65535_is_drawn() {
    let dir = temp_dir();
    let suite = format!(
        "[[layer]]\nname = \"unit\"\ncommand = [\"true\"]\ntimeout ={}\"5 s\"\n",
        " ".repeat(FAR)
    );
    write_file(dir.path(), "shakedown.toml", &suite);
    let out = ShakedownCmd::new(["check", "--no-color", "shakedown.toml"])
        .current_dir(dir.path())
        .output();
    assert_eq!(out.code(), 2, "{out:?}");
    assert!(out.stderr().contains(&format!("shakedown.toml:4:{}", FAR + 10)), "{out:?}");
    assert!(out.stderr().contains("invalid duration"), "{out:?}");
    let out = ShakedownCmd::new(["run", "--no-color", "shakedown.toml", "--output-dir", "out"])
        .current_dir(dir.path())
        .output();
    assert_eq!(out.code(), 2, "{out:?}");
    assert!(out.stderr().contains(&format!("shakedown.toml:4:{}", FAR + 10)), "{out:?}");
}

#[test]
fn run_reports_an_assert_failure_past_column_65535() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!("{}\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n", fixture_server()),
    );
    write_file(dir.path(), "s/far.hurl", &far_assert_failure());
    // The file is valid: `check` accepts it.
    let out = ShakedownCmd::new(["check", "shakedown.toml"]).current_dir(dir.path()).output();
    assert_eq!(out.code(), 0, "{out:?}");
    let out = ShakedownCmd::new(["run", "--no-color", "shakedown.toml", "--output-dir", "out"])
        .current_dir(dir.path())
        .output();
    assert_eq!(out.code(), 4, "{out:?}");
    assert!(out.stderr().contains(&format!("far.hurl:4:{}", FAR + 1)), "{out:?}");
    let runs: Vec<_> = std::fs::read_dir(dir.path().join("out"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("run-")))
                .collect()
        })
        .unwrap_or_default();
    let [run] = runs.as_slice() else { panic!("one run folder: {runs:?}\n{out:?}") };
    let report = read_json(&run.join("report.json"));
    assert_eq!(report["outcome"], "failed", "{report:#}");
}

#[test]
fn thousands_of_parse_errors_print_the_first_100_and_a_count() {
    let dir = temp_dir();
    let entry = "GET http://127.0.0.1:9/\nHTTP 200\n[Asserts]\nbody matches /a(/\n\n";
    let file = write_file(dir.path(), "many.hurl", &entry.repeat(5_000));
    let out = ShakedownCmd::new(["check", "--no-color", &file.display().to_string()]).output();
    assert_eq!(out.code(), 2, "{out:?}");
    let stderr = out.stderr();
    assert_eq!(stderr.matches("  × ").count(), 100, "{stderr}");
    assert!(stderr.contains("… and 4900 more error(s), not shown"), "{stderr}");
    assert!(stderr.contains("many.hurl: 5000 error(s)"), "{stderr}");
    // The last error drawn is the 100th: on line 5 * 99 + 4.
    assert!(stderr.contains("many.hurl:499:"), "{stderr}");
    assert!(!stderr.contains("many.hurl:504:"), "{stderr}");
}

#[test]
fn files_that_are_not_utf8_name_the_first_invalid_byte() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = dir.path().join("latin1.hurl");
    std::fs::write(&file, b"GET {{base_url}}/health\nHTTP 200\n[Asserts]\nbody == \"caf\xe9\"\n")
        .expect("write the file");
    let path = file.display().to_string();
    let out = ShakedownCmd::new(["check", "--no-color", &path]).output();
    assert_eq!(out.code(), 2, "{out:?}");
    assert!(out.stderr().contains("latin1.hurl:4:13"), "{out:?}");
    assert!(out.stderr().contains("byte 0xE9 is not UTF-8"), "{out:?}");
    let out = test_file(&fixture, dir.path(), &file);
    assert_eq!(out.code(), 2, "Hurl exits 2: {out:?}");
    assert!(out.stderr().contains("latin1.hurl:4:13"), "{out:?}");
    let report = read_json(&dir.path().join("report.json"));
    assert_eq!(report["files"][0]["error"]["kind"], "parse", "{report:#}");

    // A suite file.
    std::fs::write(
        dir.path().join("shakedown.toml"),
        b"[[layer]]\nname = \"\xff\"\ncommand = [\"true\"]\n",
    )
    .expect("write the suite");
    let out = ShakedownCmd::new(["check", "--no-color", "shakedown.toml"])
        .current_dir(dir.path())
        .output();
    assert_eq!(out.code(), 2, "{out:?}");
    assert!(out.stderr().contains("shakedown.toml:2:9"), "{out:?}");
    assert!(out.stderr().contains("byte 0xFF is not UTF-8"), "{out:?}");
}

#[test]
fn thousands_of_assert_failures_print_the_first_100_and_a_count() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let source = format!(
        "GET {{{{base_url}}}}/health\nHTTP 200\n[Asserts]\n{}",
        "status == 404\n".repeat(1_500)
    );
    let file = write_file(dir.path(), "asserts.hurl", &source);
    let out = test_file(&fixture, dir.path(), &file);
    assert_eq!(out.code(), 4, "{out:?}");
    let stderr = out.stderr();
    assert_eq!(stderr.matches("× assert failure").count(), 100, "{stderr}");
    assert!(stderr.contains("… and 1400 more error(s), not shown"), "{stderr}");
    // The report keeps every one.
    let report = read_json(&dir.path().join("report.json"));
    let asserts = &report["files"][0]["entries"][0]["iterations"][0]["polls"][0]["asserts"];
    let failed =
        asserts.as_array().map_or(0, |all| all.iter().filter(|a| a["success"] == false).count());
    assert_eq!(failed, 1_500);
}

#[test]
fn deeply_nested_query_expressions_are_errors_not_crashes() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let depth = 100_000;
    // Each of these overflowed the stack (or, for nested filters, took exponential time).
    let cases = [
        (
            "health",
            format!("jsonpath \"${}.a{}\" not exists", "[?(@".repeat(depth), ")]".repeat(depth)),
        ),
        (
            "health",
            format!("jsonpath \"$[?{}@.a{}]\" not exists", "(".repeat(depth), ")".repeat(depth)),
        ),
        ("health", format!("jsonpath \"${}.a{}\" not exists", "[?(@".repeat(24), ")]".repeat(24))),
        ("xml", format!("xpath \"{}\" exists", vec!["1"; depth].join("+"))),
        ("xml", format!("xpath \"{}1\" exists", "-".repeat(depth))),
        ("xml", format!("xpath \"{}1{}\" exists", "(".repeat(depth), ")".repeat(depth))),
    ];
    for (i, (path, assert)) in cases.iter().enumerate() {
        let source = format!("GET {{{{base_url}}}}/{path}\nHTTP 200\n[Asserts]\n{assert}\n");
        let file = write_file(dir.path(), &format!("deep{i}.hurl"), &source);
        let out = test_file(&fixture, dir.path(), &file);
        assert_eq!(out.code(), 4, "case {i}: {out:?}");
        let stderr = out.stderr();
        assert!(
            stderr.contains("invalid jsonpath expression")
                || stderr.contains("xpath expression is invalid"),
            "case {i}: {stderr}"
        );
    }
}
