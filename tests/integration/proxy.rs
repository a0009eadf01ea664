//! `shakedown proxy` end to end: the real proxy binary in front of the real fixture service,
//! driven by `shakedown test`. Per fault, what the client records (phase, errno, reuse,
//! retries) and the proxy's injected-fault log (`GET /log` of the control API), matched one to
//! one with the client's attempts; determinism from the seed; the control API; loopback only;
//! no RST on connections no fault hit.
//!
//! Synchronisation: on the proxy's `listening` line, on process exit, and on the control API.
//! The only waits are the faults' own delays and the `delay:` options of the scenario files,
//! with wide margins; no assertion compares a duration with a constant.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::support::{Fixture, RunOutput, ShakedownCmd, shakedown_bin, temp_dir, write_file};

/// A running `shakedown proxy`, killed on drop.
struct ProxyProcess {
    child: Child,
    /// `127.0.0.1:PORT`.
    addr: String,
    /// `127.0.0.1:PORT` of the control API.
    control: String,
}

impl ProxyProcess {
    fn start(upstream_port: u16, faults: &[&str], seed: u64) -> ProxyProcess {
        let mut args: Vec<String> = vec![
            "proxy".into(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--upstream".into(),
            format!("127.0.0.1:{upstream_port}"),
            "--control".into(),
            "127.0.0.1:0".into(),
            "--seed".into(),
            seed.to_string(),
            "--duration".into(),
            "300".into(),
        ];
        for fault in faults {
            args.push("--fault".into());
            args.push((*fault).to_owned());
        }
        #[expect(clippy::disallowed_methods, reason = "the test runs the proxy it kills on drop")]
        let mut command = Command::new(shakedown_bin());
        command.args(&args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = command.spawn().expect("shakedown proxy starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut reader = BufReader::new(stdout);
        let (mut addr, mut control) = (None, None);
        for _ in 0..3 {
            let mut line = String::new();
            reader.read_line(&mut line).expect("the proxy prints its addresses");
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["control", url] => {
                    control = url.strip_prefix("http://").map(str::to_owned);
                }
                ["listening", listen, "upstream", _] => addr = Some((*listen).to_owned()),
                ["seed", n] => assert_eq!(*n, seed.to_string()),
                _ => panic!("unexpected proxy line {line:?}"),
            }
        }
        ProxyProcess {
            child,
            addr: addr.expect("a listening line"),
            control: control.expect("a control line"),
        }
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// One request to the control API: (status, body).
    fn control(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        #[expect(
            clippy::disallowed_methods,
            reason = "the test drives the proxy's control API outside shakedown's transport"
        )]
        let mut stream = std::net::TcpStream::connect(&self.control).expect("connect to control");
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .expect("write");
        let mut text = String::new();
        stream.read_to_string(&mut text).expect("read");
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status in {text:?}"));
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        (status, body)
    }

    /// The injected-fault log.
    fn log(&self) -> Vec<Value> {
        let (status, body) = self.control("GET", "/log", "");
        assert_eq!(status, 200, "{body}");
        let log: Value = serde_json::from_str(&body).expect("the log is JSON");
        log["injected"].as_array().expect("injected[]").clone()
    }
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `shakedown test` run with its JSON report.
struct Run {
    out: RunOutput,
    report: Value,
}

fn run_test(base_url: &str, files: &[PathBuf]) -> Run {
    let dir = temp_dir();
    let report = dir.path().join("report.json");
    let mut args: Vec<String> = vec![
        "test".into(),
        "--jobs".into(),
        "1".into(),
        "--variable".into(),
        format!("base_url={base_url}"),
        "--report".into(),
        format!("json={}", report.display()),
    ];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let out = ShakedownCmd::new(&args).current_dir(dir.path()).output();
    let text =
        std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("no report ({e}): {out:?}"));
    Run { out, report: serde_json::from_str(&text).expect("the report is JSON") }
}

impl Run {
    /// Every attempt, in order: (entry index, attempt).
    fn attempts(&self) -> Vec<(u64, &Value)> {
        let mut all = Vec::new();
        for file in self.report["files"].as_array().expect("files[]") {
            for entry in file["entries"].as_array().expect("entries[]") {
                let index = entry["index"].as_u64().expect("entry index");
                for iteration in entry["iterations"].as_array().expect("iterations[]") {
                    for poll in iteration["polls"].as_array().expect("polls[]") {
                        for attempt in poll["attempts"].as_array().expect("attempts[]") {
                            all.push((index, attempt));
                        }
                    }
                }
            }
        }
        all
    }

    /// The (proxy connection, request on it) of every attempt, in order: client connections
    /// map to the proxy's in order of first use (one client connection at a time).
    fn attempt_positions(&self) -> Vec<(u64, u64, &Value)> {
        let mut proxy_conn: Vec<u64> = Vec::new();
        let mut uses: Vec<u64> = Vec::new();
        let mut out = Vec::new();
        for (_, attempt) in self.attempts() {
            let id = attempt["facts"]["connection"]["id"].as_u64().expect("connection.id");
            let slot = match proxy_conn.iter().position(|c| *c == id) {
                Some(slot) => slot,
                None => {
                    proxy_conn.push(id);
                    uses.push(0);
                    proxy_conn.len() - 1
                }
            };
            uses[slot] += 1;
            out.push((slot as u64 + 1, uses[slot], attempt));
        }
        out
    }

    fn ledger(&self) -> &Vec<Value> {
        self.report["ledger"].as_array().expect("ledger[]")
    }

    fn outcome(&self) -> &Value {
        &self.report["files"][0]["outcome"]
    }
}

fn failed(attempt: &Value) -> bool {
    !attempt["facts"]["error"].is_null()
}

fn errno_name(attempt: &Value) -> &str {
    attempt["facts"]["error"]["name"].as_str().unwrap_or("")
}

/// (connection, request) of the log records with this action.
fn positions(log: &[Value], action: &str) -> Vec<(u64, Option<u64>)> {
    log.iter()
        .filter(|r| r["action"] == action)
        .map(|r| (r["connection"].as_u64().expect("connection"), r["request"].as_u64()))
        .collect()
}

/// `count` GETs of /health, one entry each.
fn gets(dir: &Path, count: usize) -> PathBuf {
    let mut text = format!("# {count} GETs (generated).\n");
    for i in 1..=count {
        text.push_str(&format!(
            "\nGET {{{{base_url}}}}/health?i={i}\nHTTP 200\n[Asserts]\njsonpath \"$.status\" == \"ok\"\n"
        ));
    }
    write_file(dir, "gets.hurl", &text)
}

// ---------------------------------------------------------------------------------------

/// The resilience run: 10 % of requests reset (seeded), a GET-only file passes as flaky, and
/// every injected reset is one retried attempt, at the same connection and request.
#[test]
fn reset_peer_on_ten_percent_of_requests_is_absorbed_by_retries_one_to_one() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = gets(dir.path(), 40);
    let mut runs = Vec::new();
    for _ in 0..2 {
        let proxy = ProxyProcess::start(fixture.port, &["reset_peer:toxicity=0.1,per=request"], 7);
        let run = run_test(&proxy.base_url(), std::slice::from_ref(&file));
        let log = proxy.log();
        runs.push((run, log));
    }
    let (run, log) = &runs[0];
    assert_eq!(run.out.code(), 0, "{:?}", run.out);
    assert_eq!(run.outcome(), "flaky", "{:?}", run.out);
    let resets = positions(log, "reset");
    assert!(resets.len() >= 2, "seed 7 resets a few of 40 requests: {log:#?}");
    assert_eq!(resets.len(), log.len(), "only resets: {log:#?}");
    // Every injected reset is a retried attempt, and every retried attempt met a reset.
    let retried = run.ledger().iter().filter(|r| r["decision"]["retry"] == true).count();
    assert_eq!(retried, resets.len(), "{:#?}", run.ledger());
    let failed_at: Vec<(u64, Option<u64>)> = run
        .attempt_positions()
        .into_iter()
        .filter(|(_, _, a)| failed(a))
        .map(|(c, r, _)| (c, Some(r)))
        .collect();
    assert_eq!(failed_at, resets, "client attempts vs injected faults");
    for (_, _, attempt) in run.attempt_positions().into_iter().filter(|(_, _, a)| failed(a)) {
        assert_eq!(attempt["facts"]["phase"], "await_response", "{attempt:#}");
        assert_eq!(errno_name(attempt), "ECONNRESET", "{attempt:#}");
        assert_eq!(attempt["facts"]["error"]["errno"], 104, "{attempt:#}");
    }
    // The same seed and plan: the same faults on the same connections and requests.
    let (again, again_log) = &runs[1];
    assert_eq!(again.out.code(), 0, "{:?}", again.out);
    assert_eq!(positions(again_log, "reset"), resets);
}

#[test]
fn reset_peer_on_every_connection_fails_each_attempt_with_econnreset() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = gets(dir.path(), 1);
    let proxy = ProxyProcess::start(fixture.port, &["reset_peer"], 1);
    let run = run_test(&proxy.base_url(), &[file]);
    assert_eq!(run.out.code(), 3, "{:?}", run.out);
    let attempts = run.attempt_positions();
    assert_eq!(attempts.len(), 3, "{:?}", run.out);
    for (_, _, a) in &attempts {
        assert_eq!(a["facts"]["phase"], "await_response", "{a:#}");
        assert_eq!(errno_name(a), "ECONNRESET", "{a:#}");
        assert_eq!(a["facts"]["connection"]["reused"], false, "{a:#}");
    }
    let expected: Vec<(u64, Option<u64>)> =
        attempts.iter().map(|(c, r, _)| (*c, Some(*r))).collect();
    assert_eq!(positions(&proxy.log(), "reset"), expected);
    assert_eq!(expected, vec![(1, Some(1)), (2, Some(1)), (3, Some(1))]);
}

#[test]
fn reset_peer_upstream_after_some_bytes_cuts_the_request_and_resets() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = gets(dir.path(), 1);
    let proxy = ProxyProcess::start(fixture.port, &["reset_peer:stream=upstream,bytes=10"], 1);
    let run = run_test(&proxy.base_url(), &[file]);
    assert_eq!(run.out.code(), 3, "{:?}", run.out);
    let log = proxy.log();
    assert_eq!(log.len(), 3, "{log:#?}");
    for record in &log {
        assert_eq!(record["stream"], "upstream");
        assert_eq!(record["bytes"], 10, "{record:#}");
    }
    for (_, _, a) in run.attempt_positions() {
        assert_eq!(errno_name(a), "ECONNRESET", "{a:#}");
    }
    // The server never saw a whole request (only this /stats one).
    let stats = fixture.get_json("/stats");
    assert_eq!(stats["requests_total"].as_u64(), Some(1), "{stats}");
}

#[test]
fn limit_data_and_timeout_close_the_connection_without_a_reset() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = gets(dir.path(), 1);
    for (fault, phase, action) in [
        ("limit_data:bytes=20", "read_headers", "close"),
        ("timeout:timeout=100", "await_response", "drop"),
    ] {
        let proxy = ProxyProcess::start(fixture.port, &[fault], 1);
        let run = run_test(&proxy.base_url(), std::slice::from_ref(&file));
        assert_eq!(run.out.code(), 3, "{fault}: {:?}", run.out);
        let attempts = run.attempt_positions();
        for (_, _, a) in &attempts {
            assert_eq!(a["facts"]["phase"], phase, "{fault}: {a:#}");
            assert!(failed(a), "{fault}: {a:#}");
            assert_ne!(errno_name(a), "ECONNRESET", "{fault}: a FIN, not an RST: {a:#}");
        }
        let expected: Vec<(u64, Option<u64>)> =
            attempts.iter().map(|(c, r, _)| (*c, Some(*r))).collect();
        assert_eq!(positions(&proxy.log(), action), expected, "{fault}");
    }
}

#[test]
fn shaping_faults_delay_and_split_but_deliver_every_byte() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = gets(dir.path(), 3);
    let proxy = ProxyProcess::start(
        fixture.port,
        &[
            "latency:latency=20,jitter=10",
            "slicer:average_size=7,size_variation=3,delay=100",
            "bandwidth:rate=50,stream=upstream",
        ],
        3,
    );
    let run = run_test(&proxy.base_url(), &[file]);
    assert_eq!(run.out.code(), 0, "{:?}", run.out);
    assert_eq!(run.outcome(), "passed", "{:?}", run.out);
    let log = proxy.log();
    // Logged once per connection (the default scope), one connection.
    let mut actions: Vec<&str> = log.iter().filter_map(|r| r["action"].as_str()).collect();
    actions.sort_unstable();
    assert_eq!(actions, vec!["delay", "slice", "throttle"], "{log:#?}");
    assert!(log.iter().all(|r| r["connection"] == 1), "{log:#?}");
}

#[test]
fn idle_close_fin_is_seen_by_the_pool_before_reuse() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = write_file(
        dir.path(),
        "two.hurl",
        "GET {{base_url}}/health\nHTTP 200\n\nGET {{base_url}}/health\n[Options]\ndelay: 600\nHTTP 200\n",
    );
    let proxy = ProxyProcess::start(fixture.port, &["idle_close:idle=100"], 1);
    let run = run_test(&proxy.base_url(), &[file]);
    assert_eq!(run.out.code(), 0, "{:?}", run.out);
    assert_eq!(run.outcome(), "passed", "{:?}", run.out);
    let attempts = run.attempts();
    assert_eq!(attempts.len(), 2, "{:?}", run.out);
    let second = attempts[1].1;
    assert_eq!(second["facts"]["connection"]["reused"], false, "{second:#}");
    let discarded = second["facts"]["discarded_connections"].as_array().expect("discarded");
    assert_eq!(discarded.len(), 1, "{second:#}");
    assert_eq!(discarded[0]["reason"], "idle_eof", "{second:#}");
    assert_eq!(positions(&proxy.log(), "close"), vec![(1, None)]);
}

#[test]
fn idle_close_rst_resets_the_next_request_on_the_reused_connection() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = write_file(
        dir.path(),
        "two.hurl",
        "GET {{base_url}}/health\nHTTP 200\n\nGET {{base_url}}/health\n[Options]\ndelay: 600\nHTTP 200\n",
    );
    let proxy = ProxyProcess::start(fixture.port, &["idle_close:idle=100,mode=rst"], 1);
    let run = run_test(&proxy.base_url(), &[file]);
    assert_eq!(run.out.code(), 0, "{:?}", run.out);
    assert_eq!(run.outcome(), "flaky", "{:?}", run.out);
    let positions_seen = run.attempt_positions();
    let failed_at: Vec<(u64, Option<u64>)> = positions_seen
        .iter()
        .filter(|(_, _, a)| failed(a))
        .map(|(c, r, _)| (*c, Some(*r)))
        .collect();
    assert_eq!(failed_at, vec![(1, Some(2))]);
    let (_, _, reset) = positions_seen[1];
    assert_eq!(reset["facts"]["connection"]["reused"], true, "{reset:#}");
    assert_eq!(errno_name(reset), "ECONNRESET", "{reset:#}");
    assert_eq!(positions(&proxy.log(), "reset"), failed_at);
}

#[test]
fn unread_body_reset_answers_then_resets_and_the_connection_is_not_reused() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = write_file(
        dir.path(),
        "post.hurl",
        "POST {{base_url}}/echo\n{\"a\": 1}\nHTTP 200\n\nGET {{base_url}}/health\n[Options]\ndelay: 100\nHTTP 200\n",
    );
    let proxy = ProxyProcess::start(fixture.port, &["unread_body_reset"], 1);
    let run = run_test(&proxy.base_url(), &[file]);
    assert_eq!(run.out.code(), 0, "{:?}", run.out);
    let attempts = run.attempts();
    assert_eq!(attempts.len(), 2, "never retried: {:?}", run.out);
    let (post, get) = (attempts[0].1, attempts[1].1);
    assert_eq!(post["status"], 200, "{post:#}");
    // The RST follows the whole response: seen during the POST's attempt, or at the GET's
    // checkout; the GET never goes out on that connection.
    if post["facts"]["complete_then_reset"] == true {
        assert_eq!(post["facts"]["ended_with"], "rst", "{post:#}");
    } else {
        let discarded = get["facts"]["discarded_connections"].as_array().expect("discarded");
        assert_eq!(discarded.len(), 1, "{get:#}");
        assert_eq!(discarded[0]["name"], "ECONNRESET", "{get:#}");
    }
    assert_eq!(get["facts"]["connection"]["reused"], false, "{get:#}");
    // Only the POST carried a body: one reset, at request 1 of connection 1.
    assert_eq!(positions(&proxy.log(), "reset"), vec![(1, Some(1))]);
}

#[test]
fn accept_backlog_resets_the_queued_connection_and_then_serves() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = gets(dir.path(), 1);
    let proxy = ProxyProcess::start(fixture.port, &["accept_backlog:after=0,hold=300"], 1);
    let run = run_test(&proxy.base_url(), &[file]);
    assert_eq!(run.out.code(), 0, "{:?}", run.out);
    assert_eq!(run.outcome(), "flaky", "{:?}", run.out);
    let attempts = run.attempt_positions();
    assert_eq!(attempts.len(), 2, "{:?}", run.out);
    let (_, _, first) = attempts[0];
    assert_eq!(errno_name(first), "ECONNRESET", "{first:#}");
    assert_eq!(first["facts"]["connection"]["reused"], false, "{first:#}");
    assert_eq!(positions(&proxy.log(), "queue_reset"), vec![(1, None)]);
}

/// A reset fault whose roll misses leaves connections to close with FIN, not RST
/// (Toxiproxy's issue #603).
#[test]
fn connections_no_fault_hits_close_with_fin() {
    let fixture = Fixture::start(&[]);
    let proxy = ProxyProcess::start(fixture.port, &["reset_peer:toxicity=0"], 1);
    for _ in 0..3 {
        #[expect(
            clippy::disallowed_methods,
            reason = "the test reads the raw close of a connection through the proxy"
        )]
        let mut stream = std::net::TcpStream::connect(&proxy.addr).expect("connect");
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .expect("write");
        let mut text = Vec::new();
        // read_to_end returns Err(ConnectionReset) on an RST.
        stream.read_to_end(&mut text).expect("the proxy closes with FIN");
        assert!(text.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&text));
    }
    assert!(proxy.log().is_empty());
}

#[test]
fn the_control_api_lists_adds_and_removes_faults() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = gets(dir.path(), 1);
    let proxy = ProxyProcess::start(fixture.port, &["latency:latency=1"], 5);
    let (status, body) = proxy.control("GET", "/faults", "");
    assert_eq!(status, 200);
    let listed: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(listed["seed"], 5);
    assert_eq!(listed["faults"][0]["name"], "latency_downstream");
    assert_eq!(listed["faults"][0]["attributes"]["latency"], 1);

    let (status, body) = proxy.control(
        "POST",
        "/faults",
        r#"{"name":"rp","type":"reset_peer","stream":"downstream","toxicity":1.0,"attributes":{"timeout":0}}"#,
    );
    assert_eq!(status, 201, "{body}");
    let (status, body) = proxy.control("POST", "/faults", r#"{"name":"rp","type":"reset_peer"}"#);
    assert_eq!(status, 409, "{body}");
    let (status, body) =
        proxy.control("POST", "/faults", r#"{"type":"reset_peer","attributes":{"nope":1}}"#);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("has no parameter `nope`"), "{body}");

    // The added fault reaches new connections.
    let run = run_test(&proxy.base_url(), std::slice::from_ref(&file));
    assert_eq!(run.out.code(), 3, "{:?}", run.out);
    assert_eq!(positions(&proxy.log(), "reset").len(), 3);

    let (status, _) = proxy.control("DELETE", "/faults/rp", "");
    assert_eq!(status, 204);
    let (status, _) = proxy.control("DELETE", "/faults/rp", "");
    assert_eq!(status, 404);
    let run = run_test(&proxy.base_url(), &[file]);
    assert_eq!(run.out.code(), 0, "{:?}", run.out);
    assert_eq!(proxy.control("GET", "/nope", "").0, 404);
}

#[test]
fn the_proxy_refuses_non_loopback_addresses_and_bad_faults() {
    for (args, expected) in [
        (vec!["--listen", "0.0.0.0:0", "--upstream", "127.0.0.1:1"], "not a loopback address"),
        (vec!["--listen", "127.0.0.1:0", "--upstream", "10.0.0.1:80"], "not a loopback address"),
        (
            vec![
                "--listen",
                "127.0.0.1:0",
                "--upstream",
                "127.0.0.1:1",
                "--control",
                "192.168.1.1:1",
            ],
            "not a loopback address",
        ),
        (
            vec!["--listen", "localhost:80", "--upstream", "127.0.0.1:1"],
            "expected a loopback IP:PORT",
        ),
        (
            vec![
                "--listen",
                "127.0.0.1:0",
                "--upstream",
                "127.0.0.1:1",
                "--fault",
                "reset_peer:toxcity=0.1",
            ],
            "has no parameter `toxcity`",
        ),
        (
            vec!["--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--fault", "jam"],
            "unknown fault type `jam`",
        ),
        (
            vec!["--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--duration", "soon"],
            "invalid --duration",
        ),
    ] {
        let mut all = vec!["proxy"];
        all.extend(args);
        let out = ShakedownCmd::new(&all).output();
        assert_eq!(out.code(), 1, "{all:?}: {out:?}");
        assert!(out.stderr().contains(expected), "{all:?}: {out:?}");
    }
}

#[test]
fn a_bounded_run_exits_by_itself_and_writes_its_log() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let log_path = dir.path().join("log.json");
    let out = ShakedownCmd::new([
        "proxy",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &format!("127.0.0.1:{}", fixture.port),
        "--seed",
        "9",
        "--duration",
        "50ms",
        "--log",
        &log_path.display().to_string(),
    ])
    .output();
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(out.stdout().contains("seed 9"), "{out:?}");
    assert!(out.stderr().contains("0 connections, 0 faults injected (seed 9)"), "{out:?}");
    let log: Value =
        serde_json::from_str(&std::fs::read_to_string(&log_path).expect("log written"))
            .expect("JSON");
    assert_eq!(log["injected"], serde_json::json!([]));
}

#[test]
fn a_plan_file_gives_the_proxy_its_faults_and_seed_and_a_bad_one_is_located() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    write_file(
        dir.path(),
        "plan.toml",
        "seed = 5\n\n[[fault]]\ntype = \"reset_peer\"\ntoxicity = 0.25\nper = \"request\"\n",
    );
    let upstream = format!("127.0.0.1:{}", fixture.port);
    let out = ShakedownCmd::new([
        "proxy",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &upstream,
        "--plan",
        "plan.toml",
        "--fault",
        "latency:latency=1",
        "--duration",
        "50ms",
    ])
    .current_dir(dir.path())
    .output();
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(out.stdout().contains("seed 5"), "{out:?}");
    let stderr = out.stderr();
    assert!(stderr.contains("fault reset_peer_downstream (reset_peer, downstream"), "{stderr}");
    assert!(stderr.contains("toxicity=0.25 per request"), "{stderr}");
    assert!(stderr.contains("fault latency_downstream (latency"), "{stderr}");

    write_file(dir.path(), "plan.toml", "[[fault]]\ntype = \"latency\"\nlatncy = 5\n");
    let out = ShakedownCmd::new([
        "proxy",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &upstream,
        "--plan",
        "plan.toml",
    ])
    .current_dir(dir.path())
    .output();
    assert_eq!(out.code(), 2, "{out:?}");
    assert!(out.stderr().contains("plan.toml:3:1"), "{out:?}");
    assert!(out.stderr().contains("did you mean `latency`?"), "{out:?}");
}

#[test]
fn docs_proxy_md_documents_every_fault_and_parameter() {
    use shakedown::fault_proxy::plan::{FAULT_TYPES, parameters};
    let doc = std::fs::read_to_string(crate::support::repo_root().join("docs/proxy.md"))
        .expect("docs/proxy.md");
    for kind in FAULT_TYPES {
        let heading = format!("### `{kind}`");
        let start = doc.find(&heading).unwrap_or_else(|| panic!("docs/proxy.md has no {heading}"));
        let section = &doc[start + heading.len()..];
        let section = &section[..section.find("\n#").unwrap_or(section.len())];
        for key in parameters(kind).expect("a known type") {
            assert!(section.contains(&format!("`{key}`")), "{heading} does not describe `{key}`");
        }
    }
    for key in ["name", "stream", "toxicity", "per"] {
        assert!(doc.contains(&format!("| `{key}` |")), "the common key `{key}` has no row");
    }
}

#[test]
fn slow_close_delays_the_fin_of_a_close_delimited_response_which_stays_whole() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = write_file(
        dir.path(),
        "close.hurl",
        "GET {{base_url}}/fault/close-delimited-fin?bytes=1000\nHTTP 200\n[Asserts]\nbytes count == 1000\n",
    );
    let proxy = ProxyProcess::start(fixture.port, &["slow_close:delay=200"], 1);
    let run = run_test(&proxy.base_url(), &[file]);
    assert_eq!(run.out.code(), 0, "{:?}", run.out);
    assert_eq!(run.outcome(), "passed", "{:?}", run.out);
    let attempts = run.attempts();
    assert_eq!(attempts.len(), 1, "{:?}", run.out);
    assert_eq!(attempts[0].1["facts"]["ended_with"], "fin", "{:#}", attempts[0].1);
    // The server's FIN ended response 1; the proxy held it back before passing it on.
    assert_eq!(positions(&proxy.log(), "delay_close"), vec![(1, Some(1))]);
}
