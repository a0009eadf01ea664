//! The documentation tells the truth: its tables and examples are checked against the code
//! and against real runs.

use shakedown::runner::options::unsupported_reason;
use shakedown::scenario::ast::OptionName;

use crate::support::{Fixture, ShakedownCmd, repo_root, temp_dir};

fn read_doc(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("docs").join(name))
        .unwrap_or_else(|e| panic!("docs/{name}: {e}"))
}

#[test]
fn option_table_matches_the_code() {
    let doc = read_doc("hurl-coverage.md");
    for name in OptionName::ALL {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", name.as_str())))
            .unwrap_or_else(|| panic!("docs/hurl-coverage.md has no row for option `{name}`"));
        let documented_supported = row.split('|').nth(2).is_some_and(|cell| cell.trim() == "yes");
        assert_eq!(
            documented_supported,
            unsupported_reason(name).is_none(),
            "row for `{name}`: {row}"
        );
    }
}

/// Checks that `doc` and `real` have the same keys wherever both have an object.
fn same_shape(
    path: &str,
    doc: &serde_json::Value,
    real: &serde_json::Value,
    problems: &mut Vec<String>,
) {
    use serde_json::Value;
    match (doc, real) {
        (Value::Object(d), Value::Object(r)) => {
            for key in d.keys() {
                if !r.contains_key(key) {
                    problems.push(format!("{path}.{key}: documented but not in a real report"));
                }
            }
            for key in r.keys() {
                if !d.contains_key(key) {
                    problems.push(format!("{path}.{key}: in a real report but not documented"));
                }
            }
            for (key, value) in d {
                if let Some(other) = r.get(key) {
                    same_shape(&format!("{path}.{key}"), value, other, problems);
                }
            }
        }
        (Value::Array(d), Value::Array(r)) => {
            if let (Some(d), Some(r)) = (d.first(), r.first()) {
                same_shape(&format!("{path}[0]"), d, r, problems);
            }
        }
        _ => {}
    }
}

#[test]
fn json_report_example_has_the_shape_of_a_real_report() {
    let doc = read_doc("json-report.md");
    let start = doc.find("```json\n").expect("a ```json example") + "```json\n".len();
    let end = start + doc[start..].find("\n```").expect("the example ends");
    let example: serde_json::Value =
        serde_json::from_str(&doc[start..end]).expect("the example is JSON");
    assert_eq!(example["schema"], "shakedown.report/v1");

    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let report = dir.path().join("report.json");
    let scenario = repo_root().join("tests/scenarios/faults/keepalive-race-rst-get.hurl");
    let out = ShakedownCmd::new([
        "test".to_owned(),
        "--variable".to_owned(),
        format!("base_url={}", fixture.base_url),
        "--report".to_owned(),
        format!("json={}", report.display()),
        scenario.display().to_string(),
    ])
    .output();
    let real: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report written"))
            .expect("JSON");
    // The race is deterministic with this fault: the second entry is retried by rule.
    assert_eq!(real["outcome"], "flaky", "{out:?}");
    assert_eq!(out.code(), 0, "{out:?}");
    let mut problems = Vec::new();
    same_shape("$", &example, &real, &mut problems);
    // Compare the flaky entry (the documented one) with the real flaky entry too.
    same_shape(
        "$.files[0].entries[0]",
        &example["files"][0]["entries"][0],
        &real["files"][0]["entries"][1],
        &mut problems,
    );
    assert!(problems.is_empty(), "docs/json-report.md is out of date:\n{}", problems.join("\n"));
}
