//! Issue 3 end to end: every cause of a reset that loopback can show (rulebook §2.2–2.3),
//! produced by the real fixture service and met by the real binary, asserted from the JSON
//! report (phase, reuse, errno, decision rule) and from the service's own counters
//! (`GET /stats`): no POST is ever executed twice unless the user opted in.
//!
//! Timing: the only waits are the fixture's own fault delays and the `delay:` options of the
//! scenario files, chosen with wide margins on both sides; no assertion compares a duration
//! with a constant.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{Fixture, RunOutput, ShakedownCmd, repo_root, temp_dir, write_file};

/// A scenario of `tests/scenarios/faults`.
fn scenario(name: &str) -> PathBuf {
    repo_root().join("tests/scenarios/faults").join(name)
}

/// One run of `shakedown test` with a JSON report (and a JUnit one when asked).
struct Run {
    out: RunOutput,
    report: Value,
    junit: Option<String>,
}

impl Run {
    fn code(&self) -> i32 {
        self.out.code()
    }

    fn stderr(&self) -> String {
        self.out.stderr()
    }

    fn ledger(&self) -> &Vec<Value> {
        self.report["ledger"].as_array().expect("ledger[]")
    }

    /// (retry, rule) of every ledger record, in order.
    fn decisions(&self) -> Vec<(bool, String)> {
        self.ledger()
            .iter()
            .map(|r| {
                let d = &r["decision"];
                (d["retry"].as_bool().expect("decision.retry"), rule(r).to_owned())
            })
            .collect()
    }

    fn file(&self, index: usize) -> &Value {
        &self.report["files"][index]
    }

    /// Every attempt of entry `entry` (1-based) of file `file`, across iterations and polls.
    fn attempts(&self, file: usize, entry: usize) -> Vec<&Value> {
        let entries = self.file(file)["entries"].as_array().expect("entries[]");
        let entry = entries
            .iter()
            .find(|e| e["index"] == entry)
            .unwrap_or_else(|| panic!("no entry {entry} in {}", self.file(file)));
        entry["iterations"]
            .as_array()
            .expect("iterations[]")
            .iter()
            .flat_map(|i| i["polls"].as_array().expect("polls[]"))
            .flat_map(|p| p["attempts"].as_array().expect("attempts[]"))
            .collect()
    }

    /// Every attempt of the run.
    fn all_attempts(&self) -> Vec<&Value> {
        let files = self.report["files"].as_array().expect("files[]");
        files
            .iter()
            .flat_map(|f| f["entries"].as_array().expect("entries[]"))
            .flat_map(|e| e["iterations"].as_array().expect("iterations[]"))
            .flat_map(|i| i["polls"].as_array().expect("polls[]"))
            .flat_map(|p| p["attempts"].as_array().expect("attempts[]"))
            .collect()
    }
}

/// A fact of a ledger record: at its top level (`phase`, `error`, `connection`, `bytes`,
/// `framing`), or, in the older layout, under `facts`.
fn ledger_fact<'a>(record: &'a Value, key: &str) -> &'a Value {
    match &record[key] {
        Value::Null => &record["facts"][key],
        value => value,
    }
}

fn rule(record: &Value) -> &str {
    record["decision"]["rule"].as_str().expect("decision.rule")
}

/// Runs `files` against `base_url` with a JSON report (`--jobs 1`, so that files run one
/// after the other and the fixture's seeded draws happen in a fixed order).
fn run(base_url: &str, files: &[PathBuf], extra: &[&str]) -> Run {
    run_with(base_url, files, extra, false, 1)
}

/// `run`, with a JUnit report too when asked, and `jobs` files in parallel.
fn run_with(base_url: &str, files: &[PathBuf], extra: &[&str], junit: bool, jobs: u32) -> Run {
    let dir = temp_dir();
    let report = dir.path().join("report.json");
    let junit_path = dir.path().join("junit.xml");
    let mut args: Vec<String> = vec![
        "test".into(),
        "--jobs".into(),
        jobs.to_string(),
        "--variable".into(),
        format!("base_url={base_url}"),
        "--report".into(),
        format!("json={}", report.display()),
    ];
    if junit {
        args.push("--report".into());
        args.push(format!("junit={}", junit_path.display()));
    }
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args.extend(files.iter().map(|f| f.display().to_string()));
    let out = ShakedownCmd::new(&args).current_dir(dir.path()).output();
    let text =
        std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("no report ({e}): {out:?}"));
    let report: Value = serde_json::from_str(&text).expect("the report is JSON");
    let junit = junit.then(|| {
        std::fs::read_to_string(&junit_path).unwrap_or_else(|e| panic!("no JUnit ({e}): {out:?}"))
    });
    Run { out, report, junit }
}

/// The facts of an attempt.
fn facts(attempt: &Value) -> &Value {
    &attempt["facts"]
}

fn conn(attempt: &Value) -> &Value {
    &attempt["facts"]["connection"]
}

fn reused(attempt: &Value) -> bool {
    conn(attempt)["reused"].as_bool().expect("connection.reused")
}

fn conn_id(attempt: &Value) -> u64 {
    conn(attempt)["id"].as_u64().expect("connection.id")
}

/// Asserts the failure facts of an attempt: phase, error kind, errno and name.
fn assert_failure(attempt: &Value, phase: &str, kind: &str, errno: Option<i64>, ctx: &Run) {
    let f = facts(attempt);
    assert_eq!(f["phase"], phase, "{attempt:#}\n{:?}", ctx.out);
    assert_eq!(f["error"]["kind"], kind, "{attempt:#}");
    match errno {
        Some(n) => {
            assert_eq!(f["error"]["errno"], n, "{attempt:#}");
            let name = match n {
                104 => "ECONNRESET",
                111 => "ECONNREFUSED",
                _ => unreachable!("no other errno is expected here"),
            };
            assert_eq!(f["error"]["name"], name, "{attempt:#}");
        }
        None => assert_eq!(f["error"]["errno"], Value::Null, "{attempt:#}"),
    }
    // A head that arrived keeps its status when the body then fails (issue 9).
    if phase == "read_body" {
        assert!(attempt["status"].is_u64(), "{attempt:#}");
    } else {
        assert!(attempt["status"].is_null(), "{attempt:#}");
    }
}

/// A counter of `/stats`, 0 when absent.
fn count(stats: &Value, group: &str, key: &str) -> u64 {
    stats[group][key].as_u64().unwrap_or(0)
}

fn n(stats: &Value, key: &str) -> u64 {
    stats[key].as_u64().unwrap_or_else(|| panic!("/stats has no {key}: {stats}"))
}

/// Whether stderr has the summary line `Flaky files: N (...)`.
fn summary_flaky(stderr: &str, files: usize) -> bool {
    stderr.lines().any(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        words.len() >= 3
            && words[0] == "Flaky"
            && words[1] == "files:"
            && words[2] == files.to_string()
    })
}

/// A file of `count` requests `METHOD {{base_url}}/flaky/...`, each expecting 200.
fn flaky_file(dir: &Path, method: &str, count: usize) -> PathBuf {
    let mut text = format!("# {count} {method} requests to /flaky/ (generated).\n");
    for i in 1..=count {
        text.push_str(&format!(
            "\n{method} {{{{base_url}}}}/flaky/{}?i={i}\n",
            method.to_lowercase()
        ));
        if method == "POST" {
            text.push_str(&format!("{{\"i\": {i}}}\n"));
        }
        text.push_str("HTTP 200\n");
    }
    write_file(dir, &format!("flaky-{}.hurl", method.to_lowercase()), &text)
}

// ---------------------------------------------------------------------------------------
// Cause a: the keep-alive race.

#[test]
fn keepalive_race_fin_discards_the_closed_idle_connection_and_uses_a_fresh_one() {
    let fixture = Fixture::start(&[]);
    let r = run(&fixture.base_url, &[scenario("keepalive-race-fin.hurl")], &[]);
    assert_eq!(r.code(), 0, "{:?}", r.out);
    assert_eq!(r.file(0)["outcome"], "passed", "{:?}", r.out);
    let first = r.attempts(0, 1);
    let second = r.attempts(0, 2);
    assert_eq!(second.len(), 1, "{:?}", r.out);
    // What really happens: the server's FIN reached the idle connection well before the
    // checkout, so the pool discarded it (no request byte was written on it) and the
    // request went out on a fresh connection. No failed attempt, so no ledger record.
    assert!(!reused(second[0]), "{:#}", second[0]);
    assert_ne!(conn_id(second[0]), conn_id(first[0]));
    let discarded = facts(second[0])["discarded_connections"].as_array().expect("discarded");
    assert_eq!(discarded.len(), 1, "{:#}", second[0]);
    assert_eq!(discarded[0]["id"], conn_id(first[0]));
    assert_eq!(discarded[0]["reason"], "idle_eof", "{:#}", second[0]);
    assert!(discarded[0]["errno"].is_null());
    assert!(r.ledger().is_empty(), "{:#?}", r.ledger());
    let stats = fixture.get_json("/stats");
    assert_eq!(n(&stats, "idle_closes"), 1, "{stats}");
    assert_eq!(n(&stats, "idle_closes_with_unread"), 0, "{stats}");
}

#[test]
fn keepalive_idle_close_with_linger0_is_seen_at_checkout_with_its_errno() {
    let fixture = Fixture::start(&[]);
    let r = run(&fixture.base_url, &[scenario("keepalive-idle-linger0.hurl")], &[]);
    assert_eq!(r.code(), 0, "{:?}", r.out);
    let first = r.attempts(0, 1);
    let second = r.attempts(0, 2);
    assert!(!reused(second[0]), "{:#}", second[0]);
    let discarded = facts(second[0])["discarded_connections"].as_array().expect("discarded");
    assert_eq!(discarded.len(), 1, "{:#}", second[0]);
    assert_eq!(discarded[0]["id"], conn_id(first[0]));
    assert_eq!(discarded[0]["reason"], "idle_error");
    assert_eq!(discarded[0]["errno"], 104);
    assert_eq!(discarded[0]["name"], "ECONNRESET");
    assert!(r.ledger().is_empty(), "{:#?}", r.ledger());
    let stats = fixture.get_json("/stats");
    assert_eq!(n(&stats, "rst_closes"), 1, "{stats}");
}

#[test]
fn keepalive_race_rst_get_is_retried_on_a_fresh_connection_and_is_flaky() {
    let fixture = Fixture::start(&[]);
    let r = run(&fixture.base_url, &[scenario("keepalive-race-rst-get.hurl")], &[]);
    assert_eq!(r.code(), 0, "{:?}", r.out);
    assert_eq!(r.file(0)["outcome"], "flaky", "{:?}", r.out);
    let first = r.attempts(0, 1);
    let second = r.attempts(0, 2);
    assert_eq!(second.len(), 2, "{:?}", r.out);
    // The request was written whole on the reused connection and reset unread.
    assert_failure(second[0], "await_response", "connection_reset", Some(104), &r);
    assert!(reused(second[0]));
    assert_eq!(conn_id(second[0]), conn_id(first[0]));
    let bytes = &facts(second[0])["bytes"];
    assert_eq!(bytes["written"], bytes["total"], "{bytes}");
    assert_eq!(bytes["read"], 0, "{bytes}");
    assert_eq!(facts(second[0])["ended_with"], "rst");
    // The retry: a fresh connection, a pass.
    assert_eq!(second[1]["status"], 200);
    assert!(!reused(second[1]));
    assert_eq!(r.decisions(), [(true, "idempotent_after_write".to_owned())]);
    let record = &r.ledger()[0];
    assert_eq!(record["entry"]["index"], 2);
    assert_eq!(record["attempt"]["n"], 1);
    assert_eq!(record["attempt"]["max"], 3);
    assert_eq!(ledger_fact(record, "connection")["reused"], true, "{record:#}");
    assert!(record["backoff_ms"].is_u64(), "{record:#}");
    let stats = fixture.get_json("/stats");
    assert_eq!(n(&stats, "idle_closes_with_unread"), 1, "{stats}");
}

#[test]
fn keepalive_race_rst_post_is_never_retried_and_was_never_executed() {
    let fixture = Fixture::start(&[]);
    let r = run(&fixture.base_url, &[scenario("keepalive-race-rst-post.hurl")], &[]);
    assert_eq!(r.code(), 3, "{:?}", r.out);
    let second = r.attempts(0, 2);
    assert_eq!(second.len(), 1, "a written POST is never sent again: {:?}", r.out);
    assert_failure(second[0], "await_response", "connection_reset", Some(104), &r);
    assert!(reused(second[0]));
    assert_eq!(r.decisions(), [(false, "never_non_idempotent_written".to_owned())]);
    assert_eq!(r.ledger()[0]["method"], "POST");
    let stats = fixture.get_json("/stats");
    // The reset POST sat unread: the server never executed it, and it was not replayed.
    assert_eq!(count(&stats, "counters", "keepalive-race-post"), 0, "{stats}");
    assert_eq!(n(&stats, "posts_received"), 1, "{stats}");
    assert_eq!(n(&stats, "idle_closes_with_unread"), 1, "{stats}");
}

// ---------------------------------------------------------------------------------------
// Cause b: an early response with the request body unread.

#[test]
fn early_response_is_the_outcome_not_a_transport_failure() {
    let fixture = Fixture::start(&[]);
    let r = run(
        &fixture.base_url,
        &[scenario("early-response.hurl"), scenario("early-response-400.hurl")],
        &[],
    );
    assert_eq!(r.code(), 0, "{:?}", r.out);
    for (file, status) in [(0, 413), (1, 400)] {
        assert_eq!(r.file(file)["outcome"], "passed", "{:?}", r.out);
        let attempts = r.attempts(file, 1);
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0]["status"], status);
        assert!(facts(attempts[0])["error"].is_null(), "{:#}", attempts[0]);
        assert_eq!(facts(attempts[0])["body_complete"], true);
    }
    assert!(r.ledger().is_empty(), "{:#?}", r.ledger());
    let stats = fixture.get_json("/stats");
    assert_eq!(count(&stats, "fault_posts", "early-response"), 2, "{stats}");
    assert_eq!(n(&stats, "posts_received"), 2, "{stats}");
}

#[test]
fn early_response_after_a_failed_body_write_is_read_and_used() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    // 8 MB cannot fit in loopback's socket buffers (4 MB at most each way), so the body
    // write fails once the server has answered and closed with the body unread.
    std::fs::write(dir.path().join("big.bin"), vec![b'x'; 8 * 1024 * 1024]).expect("write");
    let file = write_file(
        dir.path(),
        "early-large.hurl",
        "POST {{base_url}}/fault/early-response\nContent-Type: application/octet-stream\n\
         file,big.bin;\nHTTP 413\n[Asserts]\njsonpath \"$.body_read\" == false\n",
    );
    let root = dir.path().display().to_string();
    let r = run(&fixture.base_url, &[file], &["--file-root", &root]);
    assert_eq!(r.code(), 0, "{:?}", r.out);
    let attempts = r.attempts(0, 1);
    assert_eq!(attempts.len(), 1);
    let f = facts(attempts[0]);
    assert_eq!(attempts[0]["status"], 413);
    assert!(f["error"].is_null(), "{f:#}");
    assert_eq!(f["body_complete"], true, "{f:#}");
    // The body could not be written whole: the server never read it.
    assert!(f["bytes"]["written"].as_u64() < f["bytes"]["total"].as_u64(), "{f:#}");
    // The server's RST follows its answer at once. Whichever blocked syscall meets it
    // first reports it: the pending body write (the transport stops propagating that
    // error, so the answer is still read), or a read after the complete answer. If the
    // answer was read before the RST arrived, the end was not seen (`not_observed`, never
    // `clean`: the body was cut short). Never a failure.
    let after_write = f["early_response_after_write_error"] == true;
    let after_answer = f["complete_then_reset"] == true;
    if f["ended_with"] == "rst" {
        assert!(after_write != after_answer, "exactly one of the two: {f:#}");
    } else {
        assert_eq!(f["ended_with"], "not_observed", "{f:#}");
        assert!(!after_write && !after_answer, "{f:#}");
    }
    assert!(r.ledger().is_empty(), "{:#?}", r.ledger());
    let stats = fixture.get_json("/stats");
    assert_eq!(count(&stats, "fault_posts", "early-response"), 1, "{stats}");
}

// ---------------------------------------------------------------------------------------
// Cause d: abortive close (SO_LINGER 0) and plain close, before and during the response.

#[test]
fn reset_before_response_get_is_retried_by_rule_and_reproducible() {
    let fixture = Fixture::start(&[]);
    let r = run(&fixture.base_url, &[scenario("reset-before-response-get.hurl")], &[]);
    assert_eq!(r.code(), 3, "{:?}", r.out);
    assert_eq!(r.file(0)["outcome"], "error");
    let attempts = r.attempts(0, 1);
    assert_eq!(attempts.len(), 3, "{:?}", r.out);
    for attempt in &attempts {
        assert_failure(attempt, "await_response", "connection_reset", Some(104), &r);
        assert!(!reused(attempt), "every attempt is on a fresh connection: {attempt:#}");
    }
    assert_eq!(
        r.decisions(),
        [
            (true, "idempotent_after_write".to_owned()),
            (true, "idempotent_after_write".to_owned()),
            (false, "never_attempts_exhausted".to_owned()),
        ]
    );
    // Every attempt failed alike: the server does this every time, and the run says so.
    let stats = fixture.get_json("/stats");
    assert_eq!(count(&stats, "fault_requests", "reset-before-response"), 3, "{stats}");
    assert!(r.stderr().contains("reproducible, not a flake"), "{:?}", r.out);
    let failure = &r.file(0)["entries"][0]["iterations"][0]["polls"][0]["failure"];
    assert!(
        failure["message"].as_str().is_some_and(|m| m.contains("on all 3 attempts")),
        "{failure:#}"
    );
}

/// Hurl's readiness poll (`--retry` while the connection is refused) waits for a server
/// that is still starting: connect failures are safe to repeat for any method.
#[test]
fn hurl_retry_polls_until_a_starting_server_listens() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = crate::support::temp_dir();
    let file = crate::support::write_file(
        dir.path(),
        "ready.hurl",
        &format!("POST http://127.0.0.1:{port}/counter/ready\nHTTP 200\n"),
    );
    // The service binds its port only after a delay, while shakedown is already polling.
    let fixture =
        Fixture::start_in_background(&["--port", &port.to_string(), "--start-delay-ms", "300"]);
    let out = crate::support::ShakedownCmd::new([
        "test",
        "--retry",
        "100",
        "--retry-interval",
        "20ms",
        file.to_str().unwrap(),
    ])
    .output();
    assert_eq!(out.code(), 0, "{out:?}");
    let fixture = fixture.wait_ready();
    // The POST was executed exactly once: only refused connects were repeated.
    let stats = fixture.get_json("/stats");
    assert_eq!(stats["counters"]["ready"], 1, "{stats}");
}

#[test]
fn reset_before_response_post_is_never_retried() {
    let fixture = Fixture::start(&[]);
    let r = run(&fixture.base_url, &[scenario("reset-before-response-post.hurl")], &[]);
    assert_eq!(r.code(), 3, "{:?}", r.out);
    let attempts = r.attempts(0, 1);
    assert_eq!(attempts.len(), 1, "{:?}", r.out);
    assert_failure(attempts[0], "await_response", "connection_reset", Some(104), &r);
    assert!(!reused(attempts[0]));
    assert_eq!(r.decisions(), [(false, "never_non_idempotent_written".to_owned())]);
    let stats = fixture.get_json("/stats");
    assert_eq!(count(&stats, "fault_posts", "reset-before-response"), 1, "{stats}");
}

#[test]
fn close_before_response_is_an_eof_without_errno() {
    let fixture = Fixture::start(&[]);
    let r = run(&fixture.base_url, &[scenario("close-before-response.hurl")], &[]);
    assert_eq!(r.code(), 3, "{:?}", r.out);
    let attempts = r.attempts(0, 1);
    assert_eq!(attempts.len(), 3, "{:?}", r.out);
    for attempt in &attempts {
        assert_failure(attempt, "await_response", "eof", None, &r);
        assert_eq!(facts(attempt)["ended_with"], "fin");
    }
    let rules: Vec<String> = r.decisions().into_iter().map(|(_, rule)| rule).collect();
    assert_eq!(
        rules,
        ["idempotent_after_write", "idempotent_after_write", "never_attempts_exhausted"]
    );
}

#[test]
fn reset_and_close_mid_headers_fail_in_read_headers() {
    let fixture = Fixture::start(&[]);
    let r = run(
        &fixture.base_url,
        &[scenario("reset-mid-headers.hurl"), scenario("close-mid-headers.hurl")],
        &[],
    );
    assert_eq!(r.code(), 3, "{:?}", r.out);
    for (file, kind, errno) in [(0, "connection_reset", Some(104)), (1, "eof", None)] {
        let attempts = r.attempts(file, 1);
        assert_eq!(attempts.len(), 3, "{:?}", r.out);
        for attempt in &attempts {
            assert_failure(attempt, "read_headers", kind, errno, &r);
            assert_eq!(facts(attempt)["bytes"]["read"], 27, "{attempt:#}");
            assert!(!reused(attempt));
        }
    }
    let retried = r.decisions().iter().filter(|(retry, _)| *retry).count();
    assert_eq!(retried, 4, "two retries per GET: {:#?}", r.ledger());
}

#[test]
fn reset_and_close_mid_body_fail_in_read_body_with_the_body_incomplete() {
    let fixture = Fixture::start(&[]);
    let r = run(
        &fixture.base_url,
        &[scenario("reset-mid-body.hurl"), scenario("close-mid-body.hurl")],
        &[],
    );
    assert_eq!(r.code(), 3, "{:?}", r.out);
    for (file, kind, errno) in [(0, "connection_reset", Some(104)), (1, "eof", None)] {
        let attempts = r.attempts(file, 1);
        assert_eq!(attempts.len(), 3, "{:?}", r.out);
        for attempt in &attempts {
            assert_failure(attempt, "read_body", kind, errno, &r);
            let f = facts(attempt);
            assert_eq!(f["framing"], "content_length");
            assert_eq!(f["body_complete"], false);
            assert_eq!(f["bytes"]["body"], 1000, "{f:#}");
        }
    }
    let rules: Vec<String> = r.decisions().into_iter().map(|(_, rule)| rule).collect();
    assert_eq!(
        rules.iter().filter(|rule| *rule == "idempotent_after_write").count(),
        4,
        "{rules:?}"
    );
}

#[test]
fn reset_mid_body_of_a_post_is_never_retried() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = write_file(
        dir.path(),
        "reset-mid-body-post.hurl",
        "POST {{base_url}}/fault/reset-mid-body?bytes=1000&length=65536\n{\"n\": 1}\nHTTP 200\n",
    );
    let r = run(&fixture.base_url, &[file], &[]);
    assert_eq!(r.code(), 3, "{:?}", r.out);
    let attempts = r.attempts(0, 1);
    assert_eq!(attempts.len(), 1);
    assert_failure(attempts[0], "read_body", "connection_reset", Some(104), &r);
    assert_eq!(r.decisions(), [(false, "never_non_idempotent_written".to_owned())]);
    let stats = fixture.get_json("/stats");
    assert_eq!(count(&stats, "fault_posts", "reset-mid-body"), 1, "{stats}");
}

#[test]
fn complete_response_then_rst_passes_and_the_connection_is_not_reused() {
    let fixture = Fixture::start(&[]);
    let r = run(&fixture.base_url, &[scenario("reset-after-response.hurl")], &[]);
    assert_eq!(r.code(), 0, "{:?}", r.out);
    assert_eq!(r.file(0)["outcome"], "passed", "a warning is not a flake: {:?}", r.out);
    assert!(r.ledger().is_empty(), "never a retry: {:#?}", r.ledger());
    let first = r.attempts(0, 1);
    let second = r.attempts(0, 2);
    let f = facts(first[0]);
    assert_eq!(first[0]["status"], 200);
    assert_eq!(f["body_complete"], true);
    assert_eq!(f["framing"], "content_length");
    assert!(f["error"].is_null());
    assert!(!reused(second[0]), "{:#}", second[0]);
    // The RST leaves right behind the last byte. It is seen during the attempt when it
    // lands before the client's post-body read (nearly always), or else on the idle
    // connection before the next checkout. Each way is asserted exactly.
    if f["complete_then_reset"] == true {
        assert_eq!(f["ended_with"], "rst", "{f:#}");
        assert!(r.stderr().contains("complete by its framing"), "{:?}", r.out);
        let discarded = &facts(second[0])["discarded_connections"];
        assert_eq!(discarded.as_array().map(Vec::len), Some(0), "never pooled: {discarded}");
    } else {
        assert_eq!(f["ended_with"], "clean", "{f:#}");
        let discarded = facts(second[0])["discarded_connections"].as_array().expect("discarded");
        assert_eq!(discarded.len(), 1, "{:#}", second[0]);
        assert_eq!(discarded[0]["id"], conn_id(first[0]));
        assert_eq!(discarded[0]["reason"], "idle_error");
        assert_eq!(discarded[0]["errno"], 104);
    }
    let stats = fixture.get_json("/stats");
    assert_eq!(count(&stats, "fault_requests", "reset-after-response"), 1, "{stats}");
}

// ---------------------------------------------------------------------------------------
// Cause c: a connection queued in the backlog, never accepted, reset when the listener closes.

#[test]
fn listener_close_resets_a_queued_connection_then_connects_are_refused() {
    // One connection is accepted; the second one queues in the backlog, its request written
    // and never read, until the first one asks the service to close its listener.
    let fixture = Fixture::start(&["--accept-limit", "1", "--backlog", "1"]);
    let dir = temp_dir();
    let accepted = write_file(
        dir.path(),
        "a-accepted.hurl",
        "GET {{base_url}}/health\nHTTP 200\n\n\
         POST {{base_url}}/listener/close\n[Options]\ndelay: 500ms\nHTTP 200\n",
    );
    let queued = write_file(
        dir.path(),
        "b-queued.hurl",
        "GET {{base_url}}/health\n[Options]\ndelay: 200ms\nHTTP 200\n",
    );
    let r = run_with(&fixture.base_url, &[accepted, queued], &[], false, 2);
    assert_eq!(r.code(), 3, "{:?}", r.out);
    assert_eq!(r.file(0)["outcome"], "passed", "{:?}", r.out);
    let attempts = r.attempts(1, 1);
    assert_eq!(attempts.len(), 3, "{:?}", r.out);
    // A fresh connection, the request written whole, not one response byte: then RST.
    assert_failure(attempts[0], "await_response", "connection_reset", Some(104), &r);
    assert!(!reused(attempts[0]));
    let bytes = &facts(attempts[0])["bytes"];
    assert_eq!(bytes["written"], bytes["total"], "{bytes}");
    assert_eq!(bytes["read"], 0, "{bytes}");
    for attempt in &attempts[1..] {
        assert_failure(attempt, "connect", "refused", Some(111), &r);
    }
    let rules: Vec<String> = r.decisions().into_iter().map(|(_, rule)| rule).collect();
    assert_eq!(rules, ["idempotent_after_write", "connect_failed", "never_attempts_exhausted"]);
}

// ---------------------------------------------------------------------------------------
// Cause e: the server exits mid-request; then its port refuses.

#[test]
fn server_exit_mid_post_is_not_retried_and_then_connects_are_refused() {
    let fixture = Fixture::start(&[]);
    let r = run(&fixture.base_url, &[scenario("server-exit.hurl")], &["--continue-on-error"]);
    assert_eq!(r.code(), 3, "{:?}", r.out);
    let post = r.attempts(0, 1);
    assert_eq!(post.len(), 1, "the POST is never replayed: {:?}", r.out);
    // The service exits on the head with the body unread, so its close is an RST.
    assert_failure(post[0], "await_response", "connection_reset", Some(104), &r);
    let get = r.attempts(0, 2);
    assert_eq!(get.len(), 3, "{:?}", r.out);
    for attempt in &get {
        assert_failure(attempt, "connect", "refused", Some(111), &r);
        assert!(conn(attempt).is_null(), "no connection was made: {attempt:#}");
    }
    assert_eq!(
        r.decisions(),
        [
            (false, "never_non_idempotent_written".to_owned()),
            (true, "connect_failed".to_owned()),
            (true, "connect_failed".to_owned()),
            (false, "never_attempts_exhausted".to_owned()),
        ]
    );
    assert!(!r.stderr().to_lowercase().contains("crash"), "no crash claim in `test`: {:?}", r.out);
}

#[test]
fn connect_refused_is_retried_for_any_method_then_fails() {
    // A port that was bound and released: nothing listens there.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let dir = temp_dir();
    let file = write_file(
        dir.path(),
        "refused.hurl",
        "GET {{base_url}}/health\nHTTP 200\n\nPOST {{base_url}}/items\n{\"n\": 1}\nHTTP 201\n",
    );
    let r = run(&format!("http://127.0.0.1:{port}"), &[file], &["--continue-on-error"]);
    assert_eq!(r.code(), 3, "{:?}", r.out);
    for entry in [1, 2] {
        let attempts = r.attempts(0, entry);
        assert_eq!(attempts.len(), 3, "{:?}", r.out);
        for attempt in &attempts {
            assert_failure(attempt, "connect", "refused", Some(111), &r);
            assert_eq!(facts(attempt)["phase_reached"], "connect");
        }
    }
    let rules: Vec<String> = r.decisions().into_iter().map(|(_, rule)| rule).collect();
    assert_eq!(
        rules,
        [
            "connect_failed",
            "connect_failed",
            "never_attempts_exhausted",
            "connect_failed",
            "connect_failed",
            "never_attempts_exhausted",
        ]
    );
    assert!(r.ledger()[3]["method"] == "POST");
}

// ---------------------------------------------------------------------------------------
// Cause g: close-delimited responses.

#[test]
fn close_delimited_ending_in_fin_passes_without_a_warning() {
    let fixture = Fixture::start(&[]);
    let r = run(&fixture.base_url, &[scenario("close-delimited-fin.hurl")], &["--strict-framing"]);
    assert_eq!(r.code(), 0, "{:?}", r.out);
    let attempts = r.attempts(0, 1);
    let f = facts(attempts[0]);
    assert_eq!(f["framing"], "close_delimited");
    assert_eq!(f["ended_with"], "fin");
    assert!(f["body_complete"].is_null());
    assert_eq!(f["bytes"]["body"], 1000);
    assert!(!r.stderr().contains("completeness unknown"), "{:?}", r.out);
    assert!(r.ledger().is_empty());
}

/// GET and POST, close-delimited and ended by RST.
fn close_delimited_rst_files(dir: &Path) -> Vec<PathBuf> {
    let post = write_file(
        dir,
        "close-delimited-rst-post.hurl",
        "POST {{base_url}}/fault/close-delimited-rst?bytes=1000\n{\"once\": true}\nHTTP 200\n\
         [Asserts]\nbytes count == 1000\n",
    );
    vec![scenario("close-delimited-rst.hurl"), post]
}

#[test]
fn close_delimited_ending_in_rst_passes_with_completeness_unknown() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let r = run(&fixture.base_url, &close_delimited_rst_files(dir.path()), &[]);
    assert_eq!(r.code(), 0, "{:?}", r.out);
    for file in [0, 1] {
        assert_eq!(r.file(file)["outcome"], "passed", "{:?}", r.out);
        let attempts = r.attempts(file, 1);
        assert_eq!(attempts.len(), 1, "never retried: {:?}", r.out);
        let f = facts(attempts[0]);
        assert_eq!(attempts[0]["status"], 200);
        assert_eq!(f["framing"], "close_delimited");
        assert_eq!(f["ended_with"], "rst");
        assert!(f["body_complete"].is_null());
        assert!(f["error"].is_null(), "{f:#}");
        assert_eq!(f["complete_then_reset"], false);
        assert_eq!(f["bytes"]["body"], 1000);
    }
    let warnings = r.stderr().matches("completeness unknown").count();
    assert_eq!(warnings, 2, "one warning per response: {:?}", r.out);
    assert!(r.ledger().is_empty(), "{:#?}", r.ledger());
    let stats = fixture.get_json("/stats");
    assert_eq!(count(&stats, "fault_requests", "close-delimited-rst"), 2, "{stats}");
    assert_eq!(count(&stats, "fault_posts", "close-delimited-rst"), 1, "{stats}");
}

#[test]
fn close_delimited_ending_in_rst_fails_under_strict_framing_and_is_not_retried() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let r = run(&fixture.base_url, &close_delimited_rst_files(dir.path()), &["--strict-framing"]);
    assert_eq!(r.code(), 3, "{:?}", r.out);
    for file in [0, 1] {
        assert_eq!(r.file(file)["outcome"], "error", "{:?}", r.out);
        let attempts = r.attempts(file, 1);
        assert_eq!(attempts.len(), 1, "never retried: {:?}", r.out);
        assert_eq!(facts(attempts[0])["ended_with"], "rst");
    }
    assert!(r.stderr().contains("--strict-framing"), "{:?}", r.out);
    let stats = fixture.get_json("/stats");
    assert_eq!(count(&stats, "fault_requests", "close-delimited-rst"), 2, "{stats}");
    assert_eq!(count(&stats, "fault_posts", "close-delimited-rst"), 1, "{stats}");
}

// ---------------------------------------------------------------------------------------
// The safety proof: no POST executed twice, unless the user opted in.

/// A POST version of each fault mode that reads the request, one file each.
fn post_fault_files(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let modes = [
        ("close-before-response", ""),
        ("reset-mid-headers", "?bytes=27"),
        ("close-mid-headers", "?bytes=27"),
        ("reset-mid-body", "?bytes=1000&length=65536"),
        ("close-mid-body", "?bytes=1000&length=65536"),
        ("close-delimited-rst", "?bytes=1000"),
        ("reset-after-response", "?length=100&delay_ms=0"),
    ];
    modes
        .iter()
        .map(|(mode, query)| {
            let text =
                format!("POST {{{{base_url}}}}/fault/{mode}{query}\n{{\"mode\": \"{mode}\"}}\n");
            (write_file(dir, &format!("post-{mode}.hurl"), &text), *mode)
        })
        .collect()
}

#[test]
fn no_post_is_executed_twice_under_any_cause() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    // A keep-alive FIN race with a POST second: discarded at checkout, sent once, fresh.
    let fin_post = write_file(
        dir.path(),
        "keepalive-race-fin-post.hurl",
        "POST {{base_url}}/fault/keepalive-close?ka_ms=200\n{}\nHTTP 200\n\n\
         POST {{base_url}}/counter/keepalive-fin-post\n[Options]\ndelay: 700ms\nHTTP 200\n",
    );
    let generated = post_fault_files(dir.path());
    let mut files = vec![
        scenario("keepalive-race-rst-post.hurl"),
        scenario("early-response.hurl"),
        scenario("early-response-400.hurl"),
        scenario("reset-before-response-post.hurl"),
        fin_post,
    ];
    files.extend(generated.iter().map(|(path, _)| path.clone()));
    let r = run(&fixture.base_url, &files, &[]);
    assert_eq!(r.code(), 3, "{:?}", r.out);

    // The client side: no POST attempt was ever followed by a retry.
    let posts: Vec<&Value> =
        r.all_attempts().into_iter().filter(|a| a["method"] == "POST").collect();
    for record in r.ledger().iter().filter(|rec| rec["method"] == "POST") {
        assert_eq!(record["decision"]["retry"], false, "{record:#}");
        assert_ne!(rule(record), "idempotent_after_write", "{record:#}");
    }
    for (path, mode) in &generated {
        let index = files.iter().position(|f| f == path).expect("listed");
        assert_eq!(r.attempts(index, 1).len(), 1, "{mode}: {:?}", r.out);
    }

    // The server side: every mode executed its POST exactly once.
    let stats = fixture.get_json("/stats");
    for (_, mode) in &generated {
        assert_eq!(count(&stats, "fault_posts", mode), 1, "{mode}: {stats}");
    }
    assert_eq!(count(&stats, "fault_posts", "early-response"), 2, "{stats}");
    assert_eq!(count(&stats, "fault_posts", "keepalive-close"), 2, "{stats}");
    assert_eq!(count(&stats, "fault_posts", "reset-before-response"), 1, "{stats}");
    assert_eq!(count(&stats, "counters", "keepalive-fin-post"), 1, "{stats}");
    // The POST reset unread in the keep-alive race never reached the application.
    assert_eq!(count(&stats, "counters", "keepalive-race-post"), 0, "{stats}");
    // Every POST the service parsed is one attempt of the report: none arrived twice.
    let unread = 1; // the keep-alive race's second POST, reset in the kernel buffer
    assert_eq!(n(&stats, "posts_received"), posts.len() as u64 - unread, "{stats}");
}

#[test]
fn hurl_retry_never_polls_a_written_post_again() {
    // Hurl's `retry` re-runs a failing entry; after a transport failure it may do so only
    // where a repeat is safe. A POST reset after it was read is not.
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = write_file(
        dir.path(),
        "polled-post.hurl",
        "POST {{base_url}}/fault/reset-before-response\n[Options]\nretry: 3\n\
         retry-interval: 10ms\n{\"n\": 1}\nHTTP 200\n",
    );
    let r = run(&fixture.base_url, &[file], &["--retry", "3"]);
    assert_eq!(r.code(), 3, "{:?}", r.out);
    assert_eq!(r.all_attempts().len(), 1, "{:?}", r.out);
    assert_eq!(r.decisions(), [(false, "never_non_idempotent_written".to_owned())]);
    let stats = fixture.get_json("/stats");
    assert_eq!(count(&stats, "fault_posts", "reset-before-response"), 1, "{stats}");
}

#[test]
fn retry_methods_post_opts_in_and_the_server_executes_the_post_again() {
    let fixture = Fixture::start(&[]);
    let r = run(
        &fixture.base_url,
        &[scenario("reset-before-response-post.hurl")],
        &["--retry-methods", "GET,POST"],
    );
    assert_eq!(r.code(), 3, "{:?}", r.out);
    assert_eq!(r.attempts(0, 1).len(), 3, "{:?}", r.out);
    let rules: Vec<String> = r.decisions().into_iter().map(|(_, rule)| rule).collect();
    assert_eq!(
        rules,
        ["idempotent_after_write", "idempotent_after_write", "never_attempts_exhausted"]
    );
    let stats = fixture.get_json("/stats");
    // The user declared POST idempotent: the server executed it on every attempt.
    assert_eq!(count(&stats, "fault_posts", "reset-before-response"), 3, "{stats}");
}

#[test]
fn idempotency_key_header_opts_in_only_for_requests_that_carry_it() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let keyed = write_file(
        dir.path(),
        "keyed.hurl",
        "POST {{base_url}}/fault/reset-before-response?keyed=1\nIdempotency-Key: \"k-1\"\n\
         {\"n\": 1}\nHTTP 200\n",
    );
    let unkeyed = write_file(
        dir.path(),
        "unkeyed.hurl",
        "POST {{base_url}}/fault/reset-mid-headers?bytes=27\n{\"n\": 1}\nHTTP 200\n",
    );
    let r =
        run(&fixture.base_url, &[keyed, unkeyed], &["--idempotency-key-header", "Idempotency-Key"]);
    assert_eq!(r.code(), 3, "{:?}", r.out);
    assert_eq!(r.attempts(0, 1).len(), 3, "the keyed POST is retried: {:?}", r.out);
    assert_eq!(r.attempts(1, 1).len(), 1, "the POST without the key is not: {:?}", r.out);
    let decisions = r.decisions();
    assert_eq!(decisions[0], (true, "idempotent_after_write".to_owned()));
    assert_eq!(decisions[3], (false, "never_non_idempotent_written".to_owned()));
    let stats = fixture.get_json("/stats");
    assert_eq!(count(&stats, "fault_posts", "reset-before-response"), 3, "{stats}");
    assert_eq!(count(&stats, "fault_posts", "reset-mid-headers"), 1, "{stats}");
}

// ---------------------------------------------------------------------------------------
// A server that resets a seeded 10% of requests.

/// A seed whose draws reset 6 of the 60 GETs (never three attempts of one request in a row,
/// never beyond the budget) and the 12th of the POSTs; the fixture's PRNG is SplitMix64.
const SEED: &str = "22";

#[test]
fn seeded_resets_make_a_get_file_flaky_with_one_retry_per_reset() {
    let fixture = Fixture::start(&["--reset-percent", "10", "--seed", SEED]);
    let dir = temp_dir();
    let file = flaky_file(dir.path(), "GET", 60);
    let r = run_with(&fixture.base_url, &[file], &[], true, 1);
    assert_eq!(r.code(), 0, "{:?}", r.out);
    assert_eq!(r.file(0)["outcome"], "flaky", "{:?}", r.out);
    assert_eq!(r.report["outcome"], "flaky");
    assert!(summary_flaky(&r.stderr(), 1), "{:?}", r.out);
    let stats = fixture.get_json("/stats");
    let resets = n(&stats, "resets_sent");
    assert!(resets > 0, "seed {SEED} resets some requests: {stats}");
    let retries = r.decisions().iter().filter(|(retry, _)| *retry).count() as u64;
    assert_eq!(retries, resets, "one ledger retry per reset: {stats}\n{:#?}", r.ledger());
    assert_eq!(r.ledger().len() as u64, resets, "every failed attempt was retried");
    for record in r.ledger() {
        assert_eq!(rule(record), "idempotent_after_write", "{record:#}");
        assert_eq!(ledger_fact(record, "error")["name"], "ECONNRESET", "{record:#}");
    }
    assert_eq!(n(&stats, "flaky_requests"), 60 + resets, "{stats}");
    let junit = r.junit.as_deref().expect("junit");
    assert!(junit.contains("<flakyFailure") || junit.contains("<flakyError"), "{junit}");
}

#[test]
fn seeded_flaky_run_exits_5_with_flaky_result_fail() {
    let fixture = Fixture::start(&["--reset-percent", "10", "--seed", SEED]);
    let dir = temp_dir();
    let file = flaky_file(dir.path(), "GET", 60);
    let r = run(&fixture.base_url, &[file], &["--flaky-result", "fail"]);
    assert_eq!(r.code(), 5, "{:?}", r.out);
    assert_eq!(r.file(0)["outcome"], "flaky", "{:?}", r.out);
}

#[test]
fn seeded_resets_fail_a_post_file_at_the_first_reset_without_replay() {
    let fixture = Fixture::start(&["--reset-percent", "10", "--seed", SEED]);
    let dir = temp_dir();
    let file = flaky_file(dir.path(), "POST", 60);
    let r = run(&fixture.base_url, &[file], &[]);
    assert_eq!(r.code(), 3, "{:?}", r.out);
    assert_eq!(r.decisions(), [(false, "never_non_idempotent_written".to_owned())]);
    let failed_entry = r.ledger()[0]["entry"]["index"].as_u64().expect("entry index");
    let attempts = r.all_attempts();
    assert_eq!(attempts.len() as u64, failed_entry, "one attempt per entry, none after the reset");
    let stats = fixture.get_json("/stats");
    assert_eq!(n(&stats, "resets_sent"), 1, "{stats}");
    // Every POST the server read was sent once: no replay of the reset one.
    assert_eq!(n(&stats, "flaky_posts"), failed_entry, "{stats}");
    assert_eq!(n(&stats, "posts_received"), failed_entry, "{stats}");
}

// ---------------------------------------------------------------------------------------
// Flags: attempt headers, no keep-alive, retries off.

#[test]
fn attempt_headers_are_sent_only_when_asked_and_count_attempts() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let marked = write_file(
        dir.path(),
        "marked.hurl",
        "GET {{base_url}}/fault/keepalive-close?ka_ms=200&lag_ms=600\nHTTP 200\n\n\
         GET {{base_url}}/echo\n[Options]\ndelay: 450ms\nHTTP 200\n[Asserts]\n\
         jsonpath \"$.headers['x-shakedown-attempt']\" == \"2\"\n\
         jsonpath \"$.headers['x-shakedown-txn-id']\" isUuid\n",
    );
    let r = run(&fixture.base_url, &[marked], &["--attempt-headers"]);
    assert_eq!(r.code(), 0, "{:?}", r.out);
    // The echo came on the retry of a reset attempt: it says attempt 2.
    assert_eq!(r.attempts(0, 2).len(), 2, "{:?}", r.out);
    assert_eq!(r.decisions(), [(true, "idempotent_after_write".to_owned())]);

    let plain = write_file(
        dir.path(),
        "plain.hurl",
        "GET {{base_url}}/echo\nHTTP 200\n[Asserts]\n\
         jsonpath \"$.headers['x-shakedown-attempt']\" not exists\n\
         jsonpath \"$.headers['x-shakedown-txn-id']\" not exists\n",
    );
    let r = run(&fixture.base_url, &[plain], &[]);
    assert_eq!(r.code(), 0, "without the flag neither header is sent: {:?}", r.out);
    let once = write_file(
        dir.path(),
        "once.hurl",
        "GET {{base_url}}/echo\nHTTP 200\n[Asserts]\n\
         jsonpath \"$.headers['x-shakedown-attempt']\" == \"1\"\n",
    );
    let r = run(&fixture.base_url, &[once], &["--attempt-headers"]);
    assert_eq!(r.code(), 0, "{:?}", r.out);
}

#[test]
fn no_keepalive_puts_every_attempt_on_a_fresh_connection() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    // The keep-alive race of `keepalive-race-rst-get.hurl`, then two more requests.
    let file = write_file(
        dir.path(),
        "no-keepalive.hurl",
        "GET {{base_url}}/fault/keepalive-close?ka_ms=200&lag_ms=600\nHTTP 200\n\n\
         GET {{base_url}}/health\n[Options]\ndelay: 450ms\nHTTP 200\n\n\
         GET {{base_url}}/health\nHTTP 200\n\nGET {{base_url}}/health\nHTTP 200\n",
    );
    let r = run(&fixture.base_url, &[file], &["--no-keepalive"]);
    assert_eq!(r.code(), 0, "{:?}", r.out);
    let attempts = r.all_attempts();
    assert_eq!(attempts.len(), 4, "{:?}", r.out);
    for attempt in &attempts {
        assert!(!reused(attempt), "{attempt:#}");
        assert_eq!(conn(attempt)["reuse_count"], 0, "{attempt:#}");
    }
    let mut ids: Vec<u64> = attempts.iter().map(|a| conn_id(a)).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 4, "one connection per attempt");
    // Without reuse, the keep-alive race cannot happen.
    assert!(r.ledger().is_empty(), "{:#?}", r.ledger());
    let stats = fixture.get_json("/stats");
    assert_eq!(n(&stats, "idle_closes_with_unread"), 0, "{stats}");
}

#[test]
fn transport_retry_off_does_not_retry_a_reset_get() {
    let fixture = Fixture::start(&[]);
    let r = run(
        &fixture.base_url,
        &[scenario("reset-before-response-get.hurl")],
        &["--transport-retry", "off"],
    );
    assert_eq!(r.code(), 3, "{:?}", r.out);
    assert_eq!(r.attempts(0, 1).len(), 1);
    assert_eq!(r.decisions(), [(false, "never_retry_off".to_owned())]);
    let stats = fixture.get_json("/stats");
    assert_eq!(count(&stats, "fault_requests", "reset-before-response"), 1, "{stats}");
}

// ---------------------------------------------------------------------------------------
// The run-wide budget.

#[test]
fn a_reset_storm_exhausts_the_retry_budget_and_the_run_says_so() {
    let fixture = Fixture::start(&["--reset-percent", "50", "--seed", SEED]);
    let dir = temp_dir();
    let file = flaky_file(dir.path(), "GET", 40);
    let r = run(&fixture.base_url, &[file], &["--continue-on-error"]);
    assert_eq!(r.code(), 3, "{:?}", r.out);
    assert!(r.stderr().contains("retry budget was exhausted"), "{:?}", r.out);
    let budget = &r.report["run"]["retry_budget"];
    assert_eq!(budget["exhausted"], true, "{budget}");
    let granted = r.decisions().iter().filter(|(retry, _)| *retry).count() as u64;
    assert_eq!(budget["retries"], granted, "{budget}");
    // retries ≤ max(10, 20% of 40 requests)
    assert!(granted <= 10, "{budget}");
    assert_eq!(budget["requests"], 40, "{budget}");
    assert!(
        r.decisions().iter().any(|(retry, rule)| !retry && rule == "never_budget_exhausted"),
        "{:#?}",
        r.ledger()
    );
    let stats = fixture.get_json("/stats");
    assert_eq!(n(&stats, "flaky_requests"), 40 + granted, "{stats}");
}

// ---------------------------------------------------------------------------------------
// Prevention (R6): idle limits learned from the server.

/// Three GETs of `/health`, the third after `delay`.
fn three_gets(dir: &Path, delay: &str) -> PathBuf {
    write_file(
        dir,
        "three-gets.hurl",
        &format!(
            "GET {{{{base_url}}}}/health\nHTTP 200\n\nGET {{{{base_url}}}}/health\nHTTP 200\n\n\
             GET {{{{base_url}}}}/health\n[Options]\ndelay: {delay}\nHTTP 200\n"
        ),
    )
}

#[test]
fn keep_alive_timeout_2_is_learned_as_1_5s_and_a_longer_idle_is_not_reused() {
    let fixture = Fixture::start(&["--keepalive-timeout-ms", "2000", "--advertise-keepalive"]);
    let dir = temp_dir();
    let r = run(&fixture.base_url, &[three_gets(dir.path(), "1500ms")], &[]);
    assert_eq!(r.code(), 0, "{:?}", r.out);
    // Entry 2 reuses the connection right away and sees the hint of entry 1's response.
    let second = r.attempts(0, 2);
    assert!(reused(second[0]));
    assert_eq!(conn(second[0])["last_keep_alive_timeout_ms"], 2000.0, "{:#}", second[0]);
    // 1.5 s idle reaches the learned 1.5 s (2 s minus a quarter): not reused, although the server would still
    // have accepted it, so nothing failed.
    let third = r.attempts(0, 3);
    assert_eq!(third.len(), 1);
    assert!(!reused(third[0]), "{:#}", third[0]);
    let discarded = facts(third[0])["discarded_connections"].as_array().expect("discarded");
    assert_eq!(discarded.len(), 1, "{:#}", third[0]);
    assert_eq!(discarded[0]["reason"], "idle_timeout", "{:#}", third[0]);
    assert!(discarded[0]["closed_after_idle_ms"].is_null());
    assert!(r.ledger().is_empty(), "{:#?}", r.ledger());
    let stats = fixture.get_json("/stats");
    assert_eq!(n(&stats, "idle_closes"), 0, "the server never had to close it: {stats}");
}

#[test]
fn keep_alive_timeout_3_is_learned_as_2_25s_above_the_default() {
    let fixture = Fixture::start(&["--keepalive-timeout-ms", "3000", "--advertise-keepalive"]);
    let dir = temp_dir();
    let r = run(&fixture.base_url, &[three_gets(dir.path(), "1500ms")], &[]);
    assert_eq!(r.code(), 0, "{:?}", r.out);
    // 1.5 s is above the 1 s default but below the learned 2.25 s: reused.
    let third = r.attempts(0, 3);
    assert!(reused(third[0]), "{:#}", third[0]);
    assert!(r.ledger().is_empty(), "{:#?}", r.ledger());
}

#[test]
fn an_observed_idle_close_lowers_the_idle_limit_below_it() {
    // No hint: the server closes idle connections after 800 ms.
    let fixture = Fixture::start(&["--keepalive-timeout-ms", "800"]);
    let dir = temp_dir();
    let file = write_file(
        dir.path(),
        "learn.hurl",
        "GET {{base_url}}/health\nHTTP 200\n\n\
         GET {{base_url}}/health\n[Options]\ndelay: 1100ms\nHTTP 200\n\n\
         GET {{base_url}}/health\n[Options]\ndelay: 600ms\nHTTP 200\n\n\
         GET {{base_url}}/health\n[Options]\ndelay: 100ms\nHTTP 200\n",
    );
    let r = run(&fixture.base_url, &[file], &[]);
    assert_eq!(r.code(), 0, "{:?}", r.out);
    assert!(r.ledger().is_empty(), "{:#?}", r.ledger());
    // Entry 2: the server closed the idle connection (FIN) at about 800 ms; the pool saw it.
    let second = r.attempts(0, 2);
    assert!(!reused(second[0]));
    let discarded = facts(second[0])["discarded_connections"].as_array().expect("discarded");
    assert_eq!(discarded.len(), 1, "{:#}", second[0]);
    assert_eq!(discarded[0]["reason"], "idle_eof");
    let closed_after = discarded[0]["closed_after_idle_ms"].as_f64().expect("closed_after_idle_ms");
    // Entry 3: 600 ms is below the server's 800 ms and below the 1 s default, but above
    // the learned limit (T − T/2, about 400 ms): the pool did not reuse it, though the
    // server was still keeping it open.
    let third = r.attempts(0, 3);
    assert!(!reused(third[0]), "{:#}", third[0]);
    let discarded = facts(third[0])["discarded_connections"].as_array().expect("discarded");
    assert_eq!(discarded.len(), 1, "{:#}", third[0]);
    assert_eq!(discarded[0]["reason"], "idle_timeout", "{:#}", third[0]);
    // Entry 4: a short idle, below the learned limit: reused, and below the observed close.
    let fourth = r.attempts(0, 4);
    assert!(reused(fourth[0]), "{:#}", fourth[0]);
    let idle = conn(fourth[0])["idle_ms"].as_f64().expect("idle_ms");
    assert!(
        idle < closed_after,
        "reuse stays below the observed idle close: {idle} vs {closed_after}"
    );
    let stats = fixture.get_json("/stats");
    assert_eq!(n(&stats, "idle_closes"), 1, "{stats}");
}
