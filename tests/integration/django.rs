//! The real Django project of `tests/django/` under `shakedown run`: a unit layer
//! (`manage.py test`), then `manage.py testserver` with fixtures and the `pricing`
//! service under `[servers.pricing]`, driven by `scenarios/*.hurl`.
//!
//! It needs `.venv/` with Django, which `scripts/prepare-python` creates (and
//! `scripts/test` runs first). Without it the test fails, naming that script: it is
//! never skipped.

use std::path::Path;

use serde_json::Value;

use crate::support::{ShakedownCmd, repo_root, temp_dir};

/// Panics with the fix when the virtualenv or Django is missing.
fn require_django(root: &Path) {
    let python = root.join(".venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run scripts/prepare-python (scripts/test does) to create .venv with Django",
        python.display()
    );
    #[expect(clippy::disallowed_methods, reason = "the test checks that the venv imports Django")]
    let status = std::process::Command::new(&python)
        .args(["-c", "import django"])
        .stdin(std::process::Stdio::null())
        .status()
        .expect("the venv's python runs");
    assert!(
        status.success(),
        "{} cannot import Django: run scripts/prepare-python (scripts/test does)",
        python.display()
    );
}

#[test]
fn the_django_shop_passes_its_suite() {
    let root = repo_root();
    require_django(&root);
    let out_dir = temp_dir();
    let out = ShakedownCmd::new([
        "run".as_ref(),
        "tests/django/shakedown.toml".as_ref(),
        "--no-color".as_ref(),
        "--output-dir".as_ref(),
        out_dir.path().as_os_str(),
    ])
    .current_dir(&root)
    .output();
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(out.stderr().contains("layer unit: PASSED"), "{out:?}");
    assert!(out.stderr().contains("layer integration: PASSED"), "{out:?}");

    let run = std::fs::read_dir(out_dir.path())
        .expect("the output folder")
        .next()
        .expect("one run folder")
        .expect("a directory entry")
        .path();
    let text = std::fs::read_to_string(run.join("report.json")).expect("report.json");
    let report: Value = serde_json::from_str(&text).expect("the report is JSON");
    assert_eq!(report["outcome"], "passed", "{report:#}");
    let layers: Vec<(&str, &str)> = report["layers"]
        .as_array()
        .expect("layers[]")
        .iter()
        .map(|l| (l["name"].as_str().unwrap_or(""), l["outcome"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(layers, [("unit", "passed"), ("integration", "passed")], "{report:#}");
    assert_eq!(report["layers"][0]["command"]["exit_code"], 0);

    // The quote endpoint was exercised, through the pricing server.
    let files = report["files"].as_array().expect("files[]");
    let quote = files
        .iter()
        .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with("04-quote.hurl")))
        .unwrap_or_else(|| panic!("no 04-quote.hurl in {report:#}"));
    assert_eq!(quote["outcome"], "passed", "{quote:#}");
    assert!(quote.to_string().contains("/api/products/1/quote"), "{quote:#}");
    let servers = report["servers"].as_array().expect("servers[]");
    assert!(servers.iter().any(|s| s["name"] == "pricing"), "{report:#}");
    // isolation = "restart": one testserver per scenario file.
    let mains = servers.iter().filter(|s| s["name"] == "main").count();
    assert_eq!(mains, files.len(), "{report:#}");
}
