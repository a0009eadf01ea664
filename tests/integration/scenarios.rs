//! The scenario corpus: every `.hurl` file under `tests/scenarios/pass` passes against the
//! real fixture service, every file under `tests/scenarios/fail` fails with an assert
//! failure, and together they cover every query, filter and predicate of the AST in a
//! passing and in a failing assert.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use shakedown::scenario::ast::{
    Assert, Capture, FILTER_NAMES, FilterKind, PREDICATE_NAMES, PredicateFunc, QUERY_NAMES,
    QueryKind, ResponseSectionKind,
};

use crate::support::{Fixture, ShakedownCmd, repo_root, temp_dir};

fn corpus(kind: &str) -> Vec<PathBuf> {
    let dir = repo_root().join("tests/scenarios").join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "hurl"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .hurl files in {}", dir.display());
    files
}

/// Runs `files` against a fresh fixture service and returns the JSON report.
fn run_corpus(files: &[PathBuf], extra: &[&str]) -> (crate::support::RunOutput, serde_json::Value) {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let report = dir.path().join("report.json");
    let mut args: Vec<String> = vec![
        "test".into(),
        "--jobs".into(),
        "2".into(),
        "--variable".into(),
        format!("base_url={}", fixture.base_url),
        "--variable".into(),
        format!("port={}", fixture.port),
        "--file-root".into(),
        repo_root().join("tests/scenarios").display().to_string(),
        "--report".into(),
        format!("json={}", report.display()),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args.extend(files.iter().map(|f| f.display().to_string()));
    let out = ShakedownCmd::new(&args).current_dir(&repo_root()).output();
    let text =
        std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("no report ({e}): {out:?}"));
    let json: serde_json::Value = serde_json::from_str(&text).expect("the report is JSON");
    (out, json)
}

#[test]
fn every_passing_scenario_passes() {
    let files = corpus("pass");
    let (out, report) = run_corpus(&files, &[]);
    let failed: Vec<_> = report["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter(|f| f["outcome"] != "passed")
        .map(|f| format!("{} {}", f["path"], f["outcome"]))
        .collect();
    assert!(failed.is_empty(), "files that did not pass: {failed:?}\n{out:?}");
    assert_eq!(out.code(), 0, "{out:?}");
}

#[test]
fn every_failing_scenario_fails_with_an_assert_failure() {
    let files = corpus("fail");
    let (out, report) = run_corpus(&files, &[]);
    assert_eq!(out.code(), 4, "{out:?}");
    for file in report["files"].as_array().expect("files") {
        assert_eq!(
            file["outcome"], "failed",
            "{} should fail with an assert failure\n{out:?}",
            file["path"]
        );
    }
}

/// Every assert and capture line of a file, with its 1-based line.
fn lines_of(path: &Path) -> Vec<(usize, Vec<&'static str>)> {
    let source = std::fs::read_to_string(path).expect("read scenario");
    let (file, diagnostics) = shakedown::scenario::parse(&source);
    assert!(diagnostics.is_empty(), "{} does not parse: {diagnostics:?}", path.display());
    let index = shakedown::scenario::LineIndex::new(&source);
    let mut out = Vec::new();
    for entry in &file.entries {
        let Some(response) = &entry.response else { continue };
        for section in &response.sections {
            match &section.kind {
                ResponseSectionKind::Asserts(asserts) => {
                    for Assert { query, filters, predicate, span } in asserts {
                        let mut words = vec![query_word(&query.kind)];
                        words.extend(filters.iter().map(|f| filter_word(&f.kind)));
                        words.push(predicate_word(&predicate.func));
                        out.push((index.line(span.start), words));
                    }
                }
                ResponseSectionKind::Captures(captures) => {
                    for Capture { query, filters, span, .. } in captures {
                        let mut words = vec![query_word(&query.kind)];
                        words.extend(filters.iter().map(|f| filter_word(&f.kind)));
                        out.push((index.line(span.start), words));
                    }
                }
            }
        }
    }
    out
}

fn query_word(kind: &QueryKind) -> &'static str {
    kind.keyword()
}

fn filter_word(kind: &FilterKind) -> &'static str {
    kind.keyword()
}

fn predicate_word(func: &PredicateFunc) -> &'static str {
    func.keyword()
}

/// Spellings the parser still accepts but maps onto a current keyword (`format` is
/// `dateFormat`, `decode` is `charsetDecode`): they have no keyword of their own.
const DEPRECATED_FILTERS: [&str; 2] = ["format", "decode"];

/// Keywords that need a TLS connection (covered by the TLS tests instead of the corpus).
const NEEDS_TLS: [&str; 1] = ["certificate"];

#[test]
fn corpus_covers_every_query_filter_and_predicate_passing_and_failing() {
    let mut passing: BTreeSet<&str> = BTreeSet::new();
    for file in corpus("pass") {
        for (_, words) in lines_of(&file) {
            passing.extend(words);
        }
    }
    // In a failing file, only the asserts that really failed count: the report names their lines.
    let fail_files = corpus("fail");
    let (out, report) = run_corpus(&fail_files, &[]);
    let mut failing: BTreeSet<&str> = BTreeSet::new();
    for (path, file) in fail_files.iter().zip(report["files"].as_array().expect("files")) {
        let lines = lines_of(path);
        for assert in file["entries"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|e| e["iterations"].as_array().into_iter().flatten())
            .flat_map(|i| i["polls"].as_array().into_iter().flatten())
            .flat_map(|p| p["asserts"].as_array().into_iter().flatten())
            .filter(|a| a["success"] == false)
        {
            let number = assert["line"].as_u64().and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
            if let Some((_, words)) = lines.iter().find(|(l, _)| *l == number) {
                failing.extend(words.iter().copied());
            }
        }
    }
    assert!(!failing.is_empty(), "no failing assert found\n{out:?}");
    let mut missing = Vec::new();
    let filters = FILTER_NAMES.iter().filter(|f| !DEPRECATED_FILTERS.contains(f));
    for word in QUERY_NAMES.iter().chain(filters).chain(&PREDICATE_NAMES) {
        if NEEDS_TLS.contains(word) {
            continue;
        }
        if !passing.contains(word) {
            missing.push(format!("{word}: no passing case"));
        }
        if !failing.contains(word) {
            missing.push(format!("{word}: no failing case"));
        }
    }
    assert!(missing.is_empty(), "coverage gaps:\n{}", missing.join("\n"));
    // Every keyword the corpus uses (from the AST's `keyword()`) is in the parser's lists.
    let known: BTreeSet<&str> =
        QUERY_NAMES.iter().chain(&FILTER_NAMES).chain(&PREDICATE_NAMES).copied().collect();
    let unknown: Vec<_> = passing.union(&failing).filter(|w| !known.contains(*w)).collect();
    assert!(unknown.is_empty(), "keywords missing from the keyword lists: {unknown:?}");
}
