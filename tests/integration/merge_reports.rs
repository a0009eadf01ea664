//! `shakedown merge` of `shakedown.report/v1` shard reports: 4 `test --shard i/4` processes
//! merged give what one unsharded run gives (files, totals, verdict, exit code, JUnit test
//! cases), and the shard checks (duplicate, missing, mixed schemas, not a shard).

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::support::{Fixture, ShakedownCmd, read_json, repo_root, temp_dir, write_file};

/// The golden files (tests/golden/): a pass, a flaky pass, an assert and a transport failure.
const FILES: &[&str] = &["pass.hurl", "flaky.hurl", "assert.hurl", "transport.hurl"];

/// The fixture's flags that make the one `/flaky/` request flaky (see golden.rs): only
/// `/flaky/` requests draw from its PRNG, so the order of the other files does not matter.
const FLAKY_SEED: &[&str] = &["--reset-percent", "50", "--seed", "19"];

fn copy_golden_files(dir: &Path) {
    for name in FILES {
        let from = repo_root().join("tests/golden").join(name);
        std::fs::copy(&from, dir.join(name))
            .unwrap_or_else(|e| panic!("cannot copy {}: {e}", from.display()));
    }
}

/// What varies between two runs of the same files: times, ports, connection ids.
fn redact(text: &str) -> String {
    static RULES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
        [
            (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?", "[TIMESTAMP]"),
            (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
            (r"\(\d+ ms\)", "([N] ms)"),
            (r"\b\d+(\.\d+)? ?(ms|µs|us|s)\b", "[DURATION]"),
            (r#"kernel TCP counters over the last \[DURATION\][^"\n<]*"#, "[KERNEL COUNTERS]"),
            (r#"(time|timestamp)="[^"]*""#, r#"$1="[T]""#),
            (r"\bconnection #?\d+", "connection [ID]"),
            (r"\bconn \d+", "conn [ID]"),
        ]
        .into_iter()
        .map(|(pattern, replacement)| (Regex::new(pattern).expect("valid"), replacement))
        .collect()
    });
    let mut text = text.to_owned();
    for (pattern, replacement) in RULES.iter() {
        text = pattern.replace_all(&text, *replacement).into_owned();
    }
    text
}

/// Values whose keys vary from run to run, replaced (whole subtrees).
fn redact_volatile(value: &mut Value) {
    const VOLATILE: &[&str] =
        &["duration_ms", "age_ms", "idle_ms", "backoff_ms", "timings_ms", "id", "started_at"];
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if VOLATILE.contains(&key.as_str()) && !child.is_null() {
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

/// The part of a report a merge must reproduce, redacted; files (and the ledger and the
/// diagnoses with them) in path order, as `merge` writes them.
fn comparable(report: &Value, key: &str) -> String {
    let mut value = report[key].clone();
    if let Value::Array(items) = &mut value {
        let field = if key == "files" { "path" } else { "file" };
        items.sort_by_key(|item| item[field].as_str().unwrap_or_default().to_owned());
    }
    redact_volatile(&mut value);
    redact(&serde_json::to_string_pretty(&value).expect("a value serialises"))
}

/// The `<testsuite>` blocks of a JUnit file, redacted and sorted.
fn junit_suites(path: &Path) -> Vec<String> {
    let xml = redact(&std::fs::read_to_string(path).expect("the JUnit file is there"));
    let mut suites: Vec<String> =
        xml.split("<testsuite ").skip(1).map(|s| s.replace("</testsuites>", "")).collect();
    suites.sort();
    suites
}

#[test]
fn four_test_shards_merged_equal_one_unsharded_run() {
    let dir = temp_dir();
    copy_golden_files(dir.path());
    let run = |fixture: &Fixture, extra: &[&str]| {
        let base_url = format!("base_url={}", fixture.base_url);
        let mut args = vec!["test", "--jobs", "1", "--no-color", "--variable", &base_url];
        args.extend_from_slice(extra);
        args.extend_from_slice(FILES);
        ShakedownCmd::new(&args).current_dir(dir.path()).output()
    };
    let single = run(
        &Fixture::start(FLAKY_SEED),
        &["--report", "json=single.json", "--report", "junit=single.xml"],
    );
    assert_eq!(single.code(), 3, "{single:?}");

    // The shards, one after the other against one fixture, as one run would send them.
    let fixture = Fixture::start(FLAKY_SEED);
    let mut ran = Vec::new();
    for i in 1..=4 {
        let shard = format!("{i}/4");
        let json = format!("json=shard-{i}.json");
        let out = run(&fixture, &["--shard", &shard, "--report", &json]);
        let report = read_json(&dir.path().join(format!("shard-{i}.json")));
        assert_eq!(
            report["run"]["shard"],
            serde_json::json!({ "index": i, "total": 4, "mode": "hash" }),
            "{out:?}"
        );
        for file in report["files"].as_array().unwrap() {
            ran.push(file["path"].as_str().unwrap().to_owned());
        }
    }
    ran.sort();
    let mut all: Vec<String> = FILES.iter().map(|f| (*f).to_owned()).collect();
    all.sort();
    assert_eq!(ran, all, "every file runs in exactly one shard");

    // Given in reverse order, with a directory: the merge orders them by shard.
    let out = ShakedownCmd::new([
        "merge",
        "shard-4.json",
        "shard-3.json",
        "shard-2.json",
        "shard-1.json",
        "--out",
        "merged.json",
        "--report-junit",
        "merged.xml",
        "--report-html",
        "merged.html",
    ])
    .current_dir(dir.path())
    .output();
    assert_eq!(out.code(), single.code(), "the exit code of one run: {out:?}");
    assert!(out.stderr().contains("merged 4 shard(s)"), "{out:?}");
    let merged = read_json(&dir.path().join("merged.json"));
    let single_report = read_json(&dir.path().join("single.json"));
    assert_eq!(merged["outcome"], single_report["outcome"]);
    assert_eq!(merged["outcome"], "error");
    assert_eq!(merged["totals"], single_report["totals"], "{merged:#}");
    assert_eq!(merged["partial"], false);
    for key in ["files", "ledger", "diagnoses"] {
        assert_eq!(comparable(&merged, key), comparable(&single_report, key), "{key}");
    }
    let paths: Vec<&str> =
        merged["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["assert.hurl", "flaky.hurl", "pass.hurl", "transport.hurl"]);
    let from: Vec<u64> = merged["run"]["merged_from"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["index"].as_u64().unwrap())
        .collect();
    assert_eq!(from, [1, 2, 3, 4]);
    assert!(merged["run"].get("shard").is_none(), "{merged:#}");
    assert_eq!(merged["run"]["retry_budget"], single_report["run"]["retry_budget"]);

    // The JUnit test cases are those of the single run, message for message.
    crate::reports::assert_valid_junit(&dir.path().join("merged.xml"));
    let merged_suites = junit_suites(&dir.path().join("merged.xml"));
    assert_eq!(merged_suites.len(), 4);
    assert_eq!(merged_suites, junit_suites(&dir.path().join("single.xml")));
    let mut documents: Vec<_> =
        (1..=4).map(|i| dir.path().join(format!("shard-{i}.json"))).collect();
    documents.push(dir.path().join("merged.json"));
    crate::reports::assert_valid_json_reports(&documents);
    let html = std::fs::read_to_string(dir.path().join("merged.html")).unwrap();
    assert!(html.contains("merged_from"), "the page embeds the merged document");
}

/// One real shard report of one passing file, with `shard` set to `index/total`.
fn shard_report(template: &Value, index: u64, total: u64) -> String {
    let mut report = template.clone();
    report["run"]["shard"] = serde_json::json!({ "index": index, "total": total, "mode": "hash" });
    serde_json::to_string_pretty(&report).expect("a value serialises")
}

#[test]
fn merge_checks_every_shard_is_there_once_and_one_schema() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    write_file(dir.path(), "a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let base_url = format!("base_url={}", fixture.base_url);
    let out =
        ShakedownCmd::new(["test", "--variable", &base_url, "--report", "json=one.json", "a.hurl"])
            .current_dir(dir.path())
            .output();
    assert_eq!(out.code(), 0, "{out:?}");
    let template = read_json(&dir.path().join("one.json"));
    let write = |name: &str, index: u64, total: u64| {
        write_file(dir.path(), name, &shard_report(&template, index, total));
    };
    write("s1.json", 1, 2);
    write("s1-again.json", 1, 2);
    write("s2.json", 2, 2);
    let merge = |args: &[&str]| {
        let mut all = vec!["merge"];
        all.extend_from_slice(args);
        ShakedownCmd::new(&all).current_dir(dir.path()).output()
    };

    // A retried shard wrote its index twice: the first is kept, and both are named.
    let out = merge(&["s1.json", "s1-again.json", "s2.json", "--out", "m.json"]);
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(
        out.stderr()
            .contains("warning: shard 1 appears twice: kept s1.json, ignored s1-again.json"),
        "{out:?}"
    );
    let merged = read_json(&dir.path().join("m.json"));
    assert_eq!(merged["totals"]["files"]["total"], 2, "{merged:#}");
    assert_eq!(merged["outcome"], "passed");

    // A missing shard is an input error naming it.
    let out = merge(&["s1.json"]);
    assert_eq!(out.code(), 2, "{out:?}");
    assert!(out.stderr().contains("shard(s) missing: 2 of 2"), "{out:?}");

    // A report and a load result do not mix.
    write_file(dir.path(), "load.json", r#"{"schema": "shakedown.load/v1"}"#);
    let out = merge(&["s1.json", "s2.json", "load.json"]);
    assert_eq!(out.code(), 2, "{out:?}");
    assert!(
        out.stderr().contains("cannot merge a test/run report (s1.json")
            && out.stderr().contains("with a load result (load.json"),
        "{out:?}"
    );

    // A report of an unsharded run is not a shard.
    let out = merge(&["one.json"]);
    assert_eq!(out.code(), 2, "{out:?}");
    assert!(out.stderr().contains("one.json: this report is not a shard"), "{out:?}");

    // Shards that disagree on N.
    write("s3of3.json", 3, 3);
    let out = merge(&["s1.json", "s3of3.json"]);
    assert_eq!(out.code(), 2, "{out:?}");
    assert!(out.stderr().contains("disagree on the total"), "{out:?}");
}

/// The `<testcase>` elements of a JUnit file, redacted and sorted.
fn junit_cases(path: &Path) -> Vec<String> {
    let xml = redact(&std::fs::read_to_string(path).expect("the JUnit file is there"));
    let mut cases: Vec<String> = xml
        .split("<testcase ")
        .skip(1)
        .map(|case| {
            let end = case.find("</testcase>").or_else(|| case.find("/>")).unwrap_or(case.len());
            case[..end].to_owned()
        })
        .collect();
    cases.sort();
    cases
}

/// `run --shard i/2`: each shard starts the suite's server and runs the command layer, with
/// its part of the scenario files; merged, the shards give one run's files, totals, layers,
/// verdict, exit code and JUnit test cases.
#[test]
fn run_shards_start_the_servers_run_command_layers_everywhere_and_merge_to_one_run() {
    let dir = temp_dir();
    copy_golden_files(dir.path());
    let suite = format!(
        r#"[server]
command = ["{fixture}", "--port", "{{port}}", "--max-seconds", "120", "--reset-percent", "50", "--seed", "19"]
ready = {{ http = "/health", status = 200, timeout = "10s" }}

[[layer]]
name = "setup"
command = ["sh", "-c", "echo ran >> setup-ran.txt"]

[[layer]]
name = "api"
scenarios = ["pass.hurl", "flaky.hurl", "assert.hurl", "transport.hurl"]
"#,
        fixture = crate::support::fixture_bin().display()
    );
    std::fs::write(dir.path().join("shakedown.toml"), suite).expect("write the suite");
    let run = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args =
            vec!["run", "shakedown.toml", "--output-dir", "out", "--no-color", "--keep-going"];
        args.extend_from_slice(extra);
        let mut cmd = ShakedownCmd::new(&args).current_dir(dir.path());
        for (key, value) in env {
            cmd = cmd.env(key, value);
        }
        cmd.output()
    };
    let bad = run(&["--shard", "3/2"], &[]);
    assert_eq!(bad.code(), 1, "a shard out of range is a usage error: {bad:?}");
    assert!(bad.stderr().contains("invalid shard `3/2`"), "{bad:?}");
    let single = run(&["--report", "json=single.json", "--report", "junit=single.xml"], &[]);
    assert_eq!(single.code(), 3, "{single:?}");
    // Shard 1 by flag, shard 2 from a Kubernetes Indexed Job's environment (0-based).
    let first = run(&["--shard", "1/2", "--report", "json=shard-1.json"], &[]);
    let second = run(
        &["--report", "json=shard-2.json"],
        &[("JOB_COMPLETION_INDEX", "1"), ("SHAKEDOWN_SHARD_TOTAL", "2")],
    );
    assert!(first.stderr().contains("shard 1/2: "), "{first:?}");
    assert!(second.stderr().contains("shard 2/2: "), "{second:?}");
    let ran = std::fs::read_to_string(dir.path().join("setup-ran.txt")).expect("the command ran");
    assert_eq!(ran.lines().count(), 3, "the command layer ran in the run and in both shards");
    let mut files = Vec::new();
    for i in [1, 2] {
        let report = read_json(&dir.path().join(format!("shard-{i}.json")));
        assert_eq!(report["run"]["shard"]["index"], i);
        assert_eq!(report["run"]["shard"]["total"], 2);
        assert_eq!(report["layers"][0]["command"]["exit_code"], 0, "{report:#}");
        assert!(report["servers"][0]["url"].is_string(), "each shard has its own server");
        for file in report["files"].as_array().unwrap() {
            files.push(file["path"].as_str().unwrap().to_owned());
        }
    }
    files.sort();
    assert_eq!(files, ["assert.hurl", "flaky.hurl", "pass.hurl", "transport.hurl"]);

    let out = ShakedownCmd::new([
        "merge",
        "shard-1.json",
        "shard-2.json",
        "--out",
        "merged.json",
        "--report-junit",
        "merged.xml",
    ])
    .current_dir(dir.path())
    .output();
    assert_eq!(out.code(), single.code(), "{out:?}");
    let merged = read_json(&dir.path().join("merged.json"));
    let single_report = read_json(&dir.path().join("single.json"));
    assert_eq!(merged["outcome"], single_report["outcome"]);
    assert_eq!(merged["totals"], single_report["totals"], "{merged:#}");
    for key in ["files", "ledger", "diagnoses"] {
        assert_eq!(comparable(&merged, key), comparable(&single_report, key), "{key}");
    }
    let layers = |report: &Value| -> Vec<(String, String, usize)> {
        report["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                let name = l["name"].as_str().unwrap().to_owned();
                let outcome = l["outcome"].as_str().unwrap().to_owned();
                (name, outcome, l["files"].as_array().unwrap().len())
            })
            .collect()
    };
    assert_eq!(layers(&merged), layers(&single_report));
    assert_eq!(merged["servers"].as_array().map(Vec::len), Some(2), "one server per shard");
    crate::reports::assert_valid_json_reports(&[
        dir.path().join("shard-1.json"),
        dir.path().join("shard-2.json"),
        dir.path().join("merged.json"),
    ]);
    crate::reports::assert_valid_junit(&dir.path().join("merged.xml"));
    let cases = junit_cases(&dir.path().join("merged.xml"));
    assert_eq!(cases.len(), 6, "the command and the five entries: {cases:#?}");
    assert_eq!(cases, junit_cases(&dir.path().join("single.xml")));
    assert!(first.stderr().contains("shard 1/2: ") && !first.stderr().contains(": 0 of 4"));
}
