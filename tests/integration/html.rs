//! The HTML report in a real browser: Debian's Chromium, headless, with JavaScript on,
//! loads the page of a suite run that has a pass, a flaky pass, an assert failure, a
//! transport failure and a failed command layer, and the test checks from the rendered
//! DOM that the timeline, its attempts, retries and server marks, and the failures are
//! drawn. A screenshot is saved under the target folder (`html-report.png`) for people
//! to look at. A missing Chromium fails the test (`.ci/run` installs it).

use std::path::Path;

use crate::reports::mixed_run;
use crate::support::{Fixture, ShakedownCmd, temp_dir, write_file};

/// Runs headless Chromium on `page` with `args` (a fresh profile in `profile`).
fn chromium(page: &Path, profile: &Path, args: &[&str]) -> std::process::Output {
    let url = format!("file://{}", page.display());
    let profile = format!("--user-data-dir={}", profile.display());
    #[expect(clippy::disallowed_methods, reason = "the test renders the report in a browser")]
    let output = std::process::Command::new("chromium")
        .args(["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", &profile])
        .args(args)
        .arg(&url)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run chromium ({e}): apt-get install -y chromium (.ci/run does)")
        });
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn the_html_report_draws_the_timeline_and_the_failures_in_chromium() {
    let run = mixed_run(&["--report", "html=report.html"]);
    assert_eq!(run.out.code(), 3, "{:?}", run.out);
    let page = run.dir.path().join("report.html");
    let html = std::fs::read_to_string(&page).expect("the HTML report is written");
    // Self-contained: nothing to fetch.
    for fetch in ["src=\"http", "href=\"http", "@import", "<link"] {
        assert!(!html.contains(fetch), "the page fetches something ({fetch})");
    }
    assert!(html.contains(r#"<header class="verdict error" id="verdict">"#), "verdict on top");

    let profile = temp_dir();
    let dom = chromium(&page, profile.path(), &["--dump-dom"]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains(r#"data-rendered="yes""#), "the script ran to its end:\n{dom}");
    assert!(dom.contains(r#"<svg id="timeline""#), "{dom}");
    // Every attempt is a bar: 2 + 2 (flaky) + 1 + 3 (transport) = 8.
    assert_eq!(count(&dom, r#"<rect class="attempt "#), 8, "{dom}");
    assert_eq!(count(&dom, r#"<rect class="attempt failed"#), 4, "{dom}");
    assert_eq!(count(&dom, r#"class="retry""#), 3, "three retries: {dom}");
    assert!(count(&dom, r#"class="reset""#) >= 4, "resets are marked: {dom}");
    assert!(dom.contains(r#"class="server-event ready""#), "{dom}");
    assert!(dom.contains(r#"class="server-bar""#), "{dom}");
    assert!(dom.contains("conn "), "a row per connection: {dom}");
    // The failures: the assert quoted with expected and actual, the transport failure,
    // the command layer.
    assert_eq!(count(&dom, r#"<div class="failure">"#), 3, "{dom}");
    assert!(dom.contains("assert.hurl:5:1: jsonpath \"$.status\" == \"degraded\""), "{dom}");
    assert!(dom.contains("expected: string &lt;degraded&gt;"), "{dom}");
    assert!(dom.contains("layer unit: command sh -c"), "{dom}");
    assert!(dom.contains("never_attempts_exhausted"), "{dom}");
    assert_eq!(count(&dom, r#"<tr class="entry">"#), 5, "{dom}");

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report.png");
    let _ = std::fs::remove_file(&shot);
    let screenshot = format!("--screenshot={}", shot.display());
    chromium(&page, profile.path(), &[&screenshot, "--window-size=1400,1000"]);
    let png = std::fs::read(&shot).expect("the screenshot is written");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a real screenshot");
    assert!(dom.contains("No diagnosis in this report."), "{dom}");

    // Attempt diagnoses (the failures work adds them to the JSON report) are drawn too:
    // the same run's document with one added to the flaky attempt.
    let mut document: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run.run_dir.join("report.json")).expect("report.json"),
    )
    .expect("JSON");
    let flaky = document["files"]
        .as_array_mut()
        .and_then(|files| files.iter_mut().find(|f| f["outcome"] == "flaky"))
        .expect("the flaky file");
    flaky["entries"][0]["iterations"][0]["polls"][0]["attempts"][0]["diagnoses"] = serde_json::json!([{
        "cause": "keepalive_race", "confidence": "high", "summary": "the server closed the idle connection",
        "evidence": ["reused after 0.4 s idle"], "may_have_executed": "no", "hint": "lower the client idle timeout"
    }]);
    let mut page_bytes = Vec::new();
    shakedown::report::html::write(document.to_string().as_bytes(), &mut page_bytes)
        .expect("the page is written");
    let with_diagnosis = run.dir.path().join("diagnosis.html");
    std::fs::write(&with_diagnosis, page_bytes).expect("write the page");
    let dom = chromium(&with_diagnosis, profile.path(), &["--dump-dom"]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    // One block per attempt diagnosis in the document: the injected one and the real ones.
    let in_document = document["files"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|f| f["entries"].as_array().into_iter().flatten())
        .flat_map(|e| e["iterations"].as_array().into_iter().flatten())
        .flat_map(|i| i["polls"].as_array().into_iter().flatten())
        .flat_map(|p| p["attempts"].as_array().into_iter().flatten())
        .map(|a| a["diagnoses"].as_array().map_or(0, Vec::len))
        .sum::<usize>();
    assert!(in_document >= 1);
    assert_eq!(count(&dom, r#"<div class="diagnosis">"#), in_document, "{dom}");
    assert!(dom.contains("flaky.hurl:3 attempt 1: keepalive_race (high confidence)"), "{dom}");
    assert!(dom.contains("hint: lower the client idle timeout"), "{dom}");
}

#[test]
fn hurl_report_html_writes_index_html_without_the_secret() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = write_file(
        dir.path(),
        "a.hurl",
        "GET {{base_url}}/echo?token={{token}}\nAuthorization: Bearer {{token}}\nHTTP 200\n[Asserts]\njsonpath \"$.query.token\" == \"wrong\"\n",
    );
    let out = ShakedownCmd::new([
        "test".to_owned(),
        "--variable".to_owned(),
        format!("base_url={}", fixture.base_url),
        "--secret".to_owned(),
        "token=s3cr3t-html-value".to_owned(),
        "--report-html".to_owned(),
        dir.path().join("html").display().to_string(),
        file.display().to_string(),
    ])
    .output();
    assert_eq!(out.code(), 4, "{out:?}");
    let html = std::fs::read_to_string(dir.path().join("html/index.html")).expect("index.html");
    assert!(html.contains("FAILED"), "{html}");
    assert!(!html.contains("s3cr3t-html-value"), "the secret leaked into the HTML report");
    assert!(html.contains("***"), "the secret is shown redacted");
}
