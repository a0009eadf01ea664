//! The documentation tells the truth: its tables and examples are checked against the code
//! and against real runs.

use shakedown::runner::options::unsupported_reason;
use shakedown::scenario::ast::OptionName;
use shakedown::settings::unsupported::{self, FlagRule};

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
        // The reason and what to use instead are the table's words.
        if let Some(feature) = unsupported::option(name) {
            assert!(
                row.contains(&feature.explanation()),
                "row for `{name}` does not say `{}`: {row}",
                feature.explanation()
            );
        }
    }
    // Every flag the table refuses with a usage error is listed as refused.
    let refused = doc
        .lines()
        .find(|l| l.starts_with("Rejected with a usage error (exit 1)"))
        .expect("the list of refused flags");
    for feature in unsupported::UNSUPPORTED.iter().filter(|u| u.flag == FlagRule::Usage) {
        assert!(refused.contains(&format!("`--{}`", feature.name)), "--{}", feature.name);
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

/// The keys the suite parser accepts in one table: those it lists when a key is unknown.
fn accepted_keys(suite: &str) -> Vec<String> {
    let dir = temp_dir();
    std::fs::write(dir.path().join("shakedown.toml"), suite).expect("write the suite");
    let out = ShakedownCmd::new(["check", "shakedown.toml"]).current_dir(dir.path()).output();
    assert_eq!(out.code(), 2, "{out:?}");
    let stderr = out.stderr();
    // The list may be wrapped over several lines; it ends at the file's error count.
    let start = stderr
        .find("expected one of:")
        .unwrap_or_else(|| panic!("the parser lists the keys it accepts:\n{stderr}"));
    let list = &stderr[start..];
    let list = &list[..list.find("error(s)").unwrap_or(list.len())];
    list.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

#[test]
fn every_suite_key_the_parser_accepts_is_documented_in_suite_md() {
    let doc = read_doc("suite.md");
    let layer = "[[layer]]\nname = \"a\"\nscenarios = [\"*.hurl\"]\n";
    let server = "[server]\ncommand = [\"x\", \"{port}\"]\nready = { tcp = true }\n";
    let tables = [
        format!("zzz = 1\n{server}{layer}"),
        format!("[server]\ncommand = [\"x\"]\nzzz = 1\nready = {{ tcp = true }}\n{layer}"),
        format!(
            "[servers.a]\ncommand = [\"x\"]\nzzz = 1\nready = {{ tcp = true }}\n{server}{layer}"
        ),
        format!("[server]\ncommand = [\"x\"]\nready = {{ tcp = true, zzz = 1 }}\n{layer}"),
        format!(
            "[server]\ncommand = [\"x\"]\nready = {{ tcp = true }}\nstop = {{ zzz = 1 }}\n{layer}"
        ),
        format!("{server}[[layer]]\nname = \"a\"\nscenarios = [\"*.hurl\"]\nzzz = 1\n"),
        format!("{server}{layer}[run]\nzzz = 1\n"),
        format!("{server}{layer}[faults]\nzzz = 1\n"),
        format!("{server}{layer}[load]\nzzz = 1\n"),
    ];
    let mut missing = Vec::new();
    let mut seen = 0;
    for suite in &tables {
        for key in accepted_keys(suite) {
            seen += 1;
            if !doc.contains(&format!("`{key}`")) {
                missing.push(key);
            }
        }
    }
    assert!(seen >= 30, "the parser's key lists were read ({seen} keys)");
    for placeholder in ["{port}", "{url}", "{servers.NAME.port}", "{servers.NAME.url}"] {
        if !doc.contains(&format!("`{placeholder}`")) {
            missing.push(placeholder.to_owned());
        }
    }
    assert!(missing.is_empty(), "docs/suite.md does not document: {missing:?}");
    let help = ShakedownCmd::new(["run", "--help"]).output();
    assert!(help.stdout().contains("docs/suite.md"), "`run --help` points to the reference");
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    assert!(readme.contains("(docs/suite.md)"), "README links the reference");
}

#[test]
fn completions_and_the_man_page_are_generated_from_the_command_line_definition() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = ShakedownCmd::new(["completions", shell]).output();
        assert_eq!(out.code(), 0, "{out:?}");
        let script = out.stdout();
        for word in ["shakedown", "report-html", "keep-going", "completions"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let out = ShakedownCmd::new(["completions", "tcsh"]).output();
    assert_eq!(out.code(), 1, "an unknown shell is a usage error: {out:?}");
    let out = ShakedownCmd::new(["man"]).output();
    assert_eq!(out.code(), 0, "{out:?}");
    let page = out.stdout();
    assert!(page.contains(".TH shakedown 1"), "{page}");
    for subcommand in ["test", "run", "check", "completions"] {
        assert!(page.contains(&format!("shakedown\\-{subcommand}")), "{subcommand}: {page}");
    }
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    for documented in ["cargo install --path .", "shakedown completions", "shakedown man"] {
        assert!(readme.contains(documented), "README.md lacks {documented}");
    }
}
