//! Hostile conditions: SIGKILLs of shakedown in the launch windows (reached with the
//! hidden `SHAKEDOWN_TEST_PAUSE` pause points, never by luck), hostile HTTP servers
//! (the fixture service's raw fault modes), bounded memory and time, secrets.
//!
//! Every wait polls with a deadline; no test sleeps to synchronise or checks a timing
//! threshold of its own. Durations are asserted from shakedown's report against the
//! configured limit. Every process a test starts is stopped by PID.

use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{processes_marked, shakedown_bin, temp_dir, write_file};

/// How long any wait in these tests may take before it fails.
const WAIT: Duration = Duration::from_secs(30);

fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    let mut pause = Duration::from_millis(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        pause_between_polls(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// The pause between two polls of a bounded wait (never a synchronisation by itself).
#[expect(clippy::disallowed_methods, reason = "the pause between polls of a wait with a deadline")]
fn pause_between_polls(pause: Duration) {
    std::thread::sleep(pause);
}

fn sigkill(pid: u32) {
    let pid = rustix::process::Pid::from_raw(i32::try_from(pid).expect("a pid")).expect("a pid");
    let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
}

/// A marker no other process on the machine carries.
fn unique_marker(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("shakedown-orphan-{tag}-{}-{nanos}", std::process::id())
}

/// `shakedown run` in the background with a pause point; killed and reaped on drop.
struct Background {
    child: Child,
}

impl Background {
    fn start(dir: &Path, pause: Option<String>) -> Background {
        #[expect(
            clippy::disallowed_methods,
            reason = "the test runs the binary under test in the background"
        )]
        let mut command = Command::new(shakedown_bin());
        command
            .args(["run", "shakedown.toml", "--output-dir", "out", "--no-color"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("shakedown.stdout")).expect("stdout file"))
            .stderr(std::fs::File::create(dir.join("shakedown.stderr")).expect("stderr file"));
        if let Some(pause) = pause {
            command.env("SHAKEDOWN_TEST_PAUSE", pause);
        }
        Background { child: command.spawn().expect("shakedown starts") }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// SIGKILLs shakedown when the process at `point` has written its marker file, and
/// checks that no process carrying the server's marker survives.
fn sigkill_at_pause_point_leaves_no_orphan(point: &str) {
    let dir = temp_dir();
    let marker = unique_marker(point);
    // The shell keeps the marker in its argv; the sleep it forks inherits it in its
    // environment: a wrapper and a grandchild, both must go.
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "[server]\ncommand = [\"sh\", \"-c\", \"sleep 300 & echo ready; wait\", \"{marker}\"]\nenv = {{ ORPHAN_MARKER = \"{marker}\" }}\nready = {{ stdout = \"^ready$\", timeout = \"20s\" }}\n\n[[layer]]\nname = \"it\"\nscenarios = [\"a.hurl\"]\n"
        ),
    );
    write_file(dir.path(), "a.hurl", "GET {{base_url}}/\nHTTP 200\n");
    let pause_file = dir.path().join("paused");
    let mut run = Background::start(dir.path(), Some(format!("{point}:{}", pause_file.display())));
    wait_until(&format!("shakedown pauses at {point}"), || pause_file.is_file());
    if point == "server-released" {
        // The server runs: wait until its grandchild exists, so it is in the count.
        wait_until("the server's sleep runs", || processes_marked(&marker).len() >= 2);
    }
    sigkill(run.child.id());
    let _ = run.child.wait();
    // Everything shakedown started inherited its environment, so the pause variable
    // (a path unique to this test) also finds the gate and the supervisor.
    let pause_path = pause_file.display().to_string();
    let survivors = || {
        let mut left = processes_marked(&marker);
        left.extend(processes_marked(&pause_path));
        left.sort_unstable();
        left.dedup();
        left
    };
    let deadline = Instant::now() + WAIT;
    let mut left = survivors();
    while !left.is_empty() && Instant::now() < deadline {
        pause_between_polls(Duration::from_millis(20));
        left = survivors();
    }
    for &pid in &left {
        sigkill(pid);
    }
    assert!(left.is_empty(), "orphans after a SIGKILL at {point}: {left:?}");
}

#[test]
fn sigkill_right_after_the_server_spawn_leaves_no_orphan() {
    sigkill_at_pause_point_leaves_no_orphan("server-spawned");
}

#[test]
fn sigkill_right_after_the_supervisor_start_leaves_no_orphan() {
    sigkill_at_pause_point_leaves_no_orphan("supervisor-started");
}

#[test]
fn sigkill_before_the_supervisor_acknowledges_leaves_no_orphan() {
    sigkill_at_pause_point_leaves_no_orphan("supervisor-order-read");
}

#[test]
fn sigkill_right_after_the_server_is_released_leaves_no_orphan() {
    sigkill_at_pause_point_leaves_no_orphan("server-released");
}

/// The supervisor reads its order, cannot write its acknowledgement (EPIPE: its
/// parent is gone) and must stop the group, although its stdin stays open.
#[test]
fn a_supervisor_whose_acknowledgement_fails_stops_the_group() {
    #[expect(clippy::disallowed_methods, reason = "the test starts the group to be stopped")]
    let mut server =
        Command::new("sleep").arg("300").process_group(0).spawn().expect("sleep starts");
    #[expect(clippy::disallowed_methods, reason = "the test plays shakedown's side of the pipe")]
    let mut supervisor = Command::new(shakedown_bin())
        .arg("__supervise")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the supervisor starts");
    // The reader of the acknowledgement is gone before the order is written.
    drop(supervisor.stdout.take());
    let mut stdin = supervisor.stdin.take().expect("a stdin pipe");
    std::io::Write::write_all(&mut stdin, format!("watch {} - 15 1000\n", server.id()).as_bytes())
        .expect("the order is written");
    let deadline = Instant::now() + WAIT;
    let mut stopped = false;
    while !stopped && Instant::now() < deadline {
        stopped = server.try_wait().expect("try_wait").is_some();
        if !stopped {
            pause_between_polls(Duration::from_millis(10));
        }
    }
    if !stopped {
        let _ = server.kill();
    }
    let _ = server.wait();
    drop(stdin);
    let _ = supervisor.wait();
    assert!(stopped, "the group outlived a supervisor that could not acknowledge");
}

// Hostile HTTP servers: the fixture service's raw fault modes. Each run ends within
// the limit given on the command line, retries included (read from the report's
// recorded attempt times), with a peak memory under a stated bound (`VmHWM` of the
// shakedown process, read while it waits at the `exit` pause point), and an error
// that names the cause.

/// What one hostile run left behind.
struct HostileRun {
    code: i32,
    report: serde_json::Value,
    /// Peak resident memory of the shakedown process, in KiB.
    peak_kib: u64,
    stderr: String,
}

impl HostileRun {
    /// The attempts of the first entry.
    fn attempts(&self) -> Vec<serde_json::Value> {
        let polls = &self.report["files"][0]["entries"][0]["iterations"][0]["polls"];
        polls
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| p["attempts"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// From the start of the first attempt to the end of the last, in ms, as recorded.
    fn attempts_span_ms(&self) -> u64 {
        let attempts = self.attempts();
        let start = |a: &serde_json::Value| {
            chrono::DateTime::parse_from_rfc3339(a["started_at"].as_str().expect("started_at"))
                .expect("an RFC 3339 time")
        };
        let (Some(first), Some(last)) = (attempts.first(), attempts.last()) else {
            panic!("no attempts in {:#}", self.report)
        };
        let duration = last["duration_ms"].as_f64().expect("duration_ms");
        #[expect(clippy::cast_possible_truncation, reason = "whole milliseconds, rounded up")]
        let end = start(last) + chrono::Duration::milliseconds(duration.ceil() as i64);
        u64::try_from((end - start(first)).num_milliseconds()).expect("a positive span")
    }

    /// The error message of the last attempt.
    fn last_error(&self) -> String {
        self.attempts()
            .last()
            .and_then(|a| a["error"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// Runs `shakedown test` on `hurl` with `args`, stops it at the `exit` pause point to
/// read its peak memory, and returns what it reported.
fn hostile_run(hurl: &str, args: &[&str], files: &[(&str, &[u8])]) -> HostileRun {
    let dir = temp_dir();
    write_file(dir.path(), "hostile.hurl", hurl);
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).expect("write a test file");
    }
    let marker = dir.path().join("exited");
    let report = dir.path().join("report.json");
    #[expect(clippy::disallowed_methods, reason = "the test runs the binary under test")]
    let mut command = Command::new(shakedown_bin());
    command
        .args(["test", "hostile.hurl", "--no-color", "--report"])
        .arg(format!("json={}", report.display()))
        .args(args)
        .current_dir(dir.path())
        .env("SHAKEDOWN_TEST_PAUSE", format!("exit:{}", marker.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.path().join("stdout")).expect("stdout file"))
        .stderr(std::fs::File::create(dir.path().join("stderr")).expect("stderr file"));
    let mut run = Background { child: command.spawn().expect("shakedown starts") };
    let pid = run.child.id();
    wait_until("shakedown reaches its exit", || {
        marker.is_file() || run.child.try_wait().ok().flatten().is_some()
    });
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let peak_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM for {pid} (did it exit without pausing?)"));
    let code = std::fs::read_to_string(&marker)
        .ok()
        .and_then(|t| t.split_whitespace().nth(1).and_then(|c| c.parse().ok()))
        .expect("the exit code in the marker");
    sigkill(pid);
    let _ = run.child.wait();
    let stderr = std::fs::read_to_string(dir.path().join("stderr")).unwrap_or_default();
    let text = std::fs::read_to_string(&report).expect("the JSON report");
    let report = serde_json::from_str(&text).expect("the report is JSON");
    HostileRun { code, report, peak_kib, stderr }
}

/// Scheduling slack between a deadline firing and the attempt's end being recorded.
/// Not a timing threshold of the test: it bounds shakedown's own record against the
/// limit the test configured.
const SLACK_MS: u64 = 300;

/// Peak memory allowed for runs that keep no large body: the binary and its runtime.
const SMALL_PEAK_KIB: u64 = 64 * 1024;

fn assert_within(run: &HostileRun, limit_ms: u64) {
    let span = run.attempts_span_ms();
    assert!(
        span <= limit_ms + SLACK_MS,
        "the attempts took {span} ms, over the limit of {limit_ms} ms:\n{}",
        run.stderr
    );
}

#[test]
fn endless_headers_end_with_a_named_error_in_bounded_memory() {
    let fixture = crate::support::Fixture::start(&[]);
    let run = hostile_run(
        &format!("GET {}/fault/endless-headers\nHTTP 200\n", fixture.base_url),
        &["--max-time", "5"],
        &[],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.last_error().contains("message head is too large (over hyper's limits"),
        "{}",
        run.last_error()
    );
    assert_within(&run, 5000);
    assert!(run.peak_kib < SMALL_PEAK_KIB, "peak {} KiB", run.peak_kib);
}

#[test]
fn an_endless_chunked_body_stops_at_the_default_cap() {
    let fixture = crate::support::Fixture::start(&[]);
    let run = hostile_run(
        &format!("GET {}/fault/endless-body\nHTTP 200\n", fixture.base_url),
        &["--max-time", "30"],
        &[],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    let error = run.last_error();
    assert!(error.contains("cap of 67108864 bytes") && error.contains("--max-filesize"), "{error}");
    assert_eq!(run.attempts()[0]["facts"]["error"]["kind"], "body_too_large");
    assert_eq!(run.attempts().len(), 1, "a body over the cap is not retried");
    // The cap (64 MiB) plus the binary: never the 2.9 GB of an unbounded buffer.
    assert!(run.peak_kib < 64 * 1024 + SMALL_PEAK_KIB, "peak {} KiB", run.peak_kib);
}

#[test]
fn a_smaller_max_filesize_bounds_memory_further() {
    let fixture = crate::support::Fixture::start(&[]);
    let run = hostile_run(
        &format!("GET {}/fault/endless-body\nHTTP 200\n", fixture.base_url),
        &["--max-filesize", "1000000"],
        &[],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.last_error().contains("cap of 1000000 bytes"), "{}", run.last_error());
    assert!(run.peak_kib < SMALL_PEAK_KIB, "peak {} KiB", run.peak_kib);
}

/// 200 MiB: far over what a run that keeps no body needs ([`SMALL_PEAK_KIB`]).
const LARGE_MIB: u64 = 200;

#[test]
fn a_large_body_that_nothing_reads_is_counted_not_kept() {
    let fixture = crate::support::Fixture::start(&[]);
    // A header assert and a status: nothing reads the body (issue 13).
    let run = hostile_run(
        &format!(
            "GET {}/large/{LARGE_MIB}\nHTTP 200\n[Asserts]\nheader \"Content-Type\" == \"application/octet-stream\"\n",
            fixture.base_url
        ),
        &["--max-filesize", "300000000"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let attempts = run.attempts();
    assert_eq!(
        attempts[0]["facts"]["bytes"]["body"].as_u64(),
        Some(LARGE_MIB * 1024 * 1024),
        "the whole body is read and counted: {:#}",
        attempts[0]
    );
    assert_eq!(attempts[0]["facts"]["body_complete"], true);
    assert!(run.peak_kib < SMALL_PEAK_KIB, "peak {} KiB for a body nothing reads", run.peak_kib);
}

#[test]
fn a_body_assert_still_reads_a_large_body() {
    let fixture = crate::support::Fixture::start(&[]);
    let bytes = LARGE_MIB * 1024 * 1024;
    let run = hostile_run(
        &format!(
            "GET {}/large/{LARGE_MIB}\nHTTP 200\n[Asserts]\nbytes count == {bytes}\n",
            fixture.base_url
        ),
        &["--max-filesize", "300000000"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The assert saw the body, so it was kept: the peak holds it.
    assert!(run.peak_kib > LARGE_MIB * 1024, "peak {} KiB", run.peak_kib);
    // And a wrong count fails, so the assert did read it.
    let run = hostile_run(
        &format!(
            "GET {}/large/{LARGE_MIB}\nHTTP 200\n[Asserts]\nbytes count == 1\n",
            fixture.base_url
        ),
        &["--max-filesize", "300000000"],
        &[],
    );
    assert_eq!(run.code, 4, "{}", run.stderr);
}

#[test]
fn a_huge_content_length_fails_before_reading_or_within_max_time() {
    let fixture = crate::support::Fixture::start(&[]);
    let hurl = format!("GET {}/fault/trickle-body?every_ms=50\nHTTP 200\n", fixture.base_url);
    // Over the default cap: refused from the head alone.
    let run = hostile_run(&hurl, &["--max-time", "5"], &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.last_error().contains("10737418240 bytes announced by Content-Length"),
        "{}",
        run.last_error()
    );
    assert!(run.peak_kib < SMALL_PEAK_KIB, "peak {} KiB", run.peak_kib);
    // With the cap raised, the trickle runs into --max-time.
    let run = hostile_run(&hurl, &["--max-time", "2", "--max-filesize", "20000000000"], &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.last_error().contains("maximum time of 2s"), "{}", run.last_error());
    assert_within(&run, 2000);
    assert!(run.peak_kib < SMALL_PEAK_KIB, "peak {} KiB", run.peak_kib);
}

#[test]
fn a_server_that_never_reads_the_body_ends_within_max_time() {
    let fixture = crate::support::Fixture::start(&[]);
    let body = vec![b'x'; 32 * 1024 * 1024];
    let run = hostile_run(
        &format!(
            "POST {}/fault/never-read?delay_ms=5000\nfile,big.bin;\nHTTP 200\n",
            fixture.base_url
        ),
        &["--max-time", "2"],
        &[("big.bin", &body)],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.last_error().contains("timed out"), "{}", run.last_error());
    assert_within(&run, 2000);
    // The 32 MiB request body is held once or twice (file, request), never more.
    assert!(run.peak_kib < 3 * 32 * 1024 + SMALL_PEAK_KIB, "peak {} KiB", run.peak_kib);
}

#[test]
fn a_listener_that_never_accepts_ends_within_the_connect_timeout_retries_included() {
    let fixture = crate::support::Fixture::start(&[]);
    let port = fixture.get_json("/fault/backlog-full")["port"].as_u64().expect("a port");
    let run = hostile_run(
        &format!("GET http://127.0.0.1:{port}/\nHTTP 200\n"),
        &["--connect-timeout", "2"],
        &[],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    let error = run.last_error();
    assert!(error.contains("timed out while connecting") && error.contains("2s"), "{error}");
    // The connect timeout is spent: no retry, by the rule that says so.
    let ledger = run.report["ledger"].as_array().cloned().unwrap_or_default();
    assert_eq!(ledger.len(), 1, "{:#}", run.report);
    assert_eq!(ledger[0]["decision"]["rule"], "never_time_limit");
    assert_within(&run, 2000);
    assert!(run.peak_kib < SMALL_PEAK_KIB, "peak {} KiB", run.peak_kib);
}

#[test]
fn a_server_that_answers_before_reading_is_heard() {
    let fixture = crate::support::Fixture::start(&[]);
    let body = vec![b'x'; 8 * 1024 * 1024];
    let run = hostile_run(
        &format!(
            "POST {}/fault/early-response?status=413&delay_ms=0\nfile,big.bin;\nHTTP 413\n",
            fixture.base_url
        ),
        &["--max-time", "5"],
        &[("big.bin", &body)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_within(&run, 5000);
    assert!(run.peak_kib < 3 * 8 * 1024 + SMALL_PEAK_KIB, "peak {} KiB", run.peak_kib);
}

#[test]
fn a_silent_server_that_closes_ends_within_max_time_retries_included() {
    let fixture = crate::support::Fixture::start(&[]);
    let run = hostile_run(
        &format!("GET {}/fault/silent-close?delay_ms=1500\nHTTP 200\n", fixture.base_url),
        &["--max-time", "2"],
        &[],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    let attempts = run.attempts();
    assert!(attempts.len() >= 2, "the close after 1.5 s is retried (GET)");
    assert!(run.last_error().contains("shared by the request's attempts"), "{}", run.last_error());
    assert_within(&run, 2000);
    assert!(run.peak_kib < SMALL_PEAK_KIB, "peak {} KiB", run.peak_kib);
}

/// Every byte shakedown wrote: its terminal output and every file of its output folder.
fn every_byte_written(dir: &Path, terminal: &[&[u8]]) -> Vec<(String, Vec<u8>)> {
    let mut found: Vec<(String, Vec<u8>)> =
        terminal.iter().map(|bytes| ("terminal".to_owned(), bytes.to_vec())).collect();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(
                std::fs::read_dir(&path)
                    .expect("a readable folder")
                    .map(|e| e.expect("a directory entry").path()),
            );
        } else {
            found.push((path.display().to_string(), std::fs::read(&path).expect("readable")));
        }
    }
    found
}

#[test]
fn a_secret_with_quote_and_backslash_leaks_nowhere_even_across_a_64_kib_log_cut() {
    let dir = temp_dir();
    // Distinctive pieces: `Q_Z` starts it (the 3 bytes before the 64 KiB cut), `W-Jkq`
    // ends it; `"` and `\` inside. Each piece holds a character that no temporary or run
    // folder name has (they are alphanumeric): with `QZ`, a folder named `.tmpK3QZd5` in
    // the terminal output failed this test about once in 400 runs.
    let secret = r#"Q_Z"7\W-Jkq"#;
    let fixture = crate::support::fixture_bin().display().to_string();
    // The server prints the secret so that it straddles the 64 KiB line cut.
    write_file(
        dir.path(),
        "server.sh",
        &format!(
            "head -c 65533 /dev/zero | tr '\\0' a\nprintf '%s\\n' '{secret}'\nprintf '%s\\n' '{secret}' >&2\nexec '{fixture}' --port \"$1\" --max-seconds 120\n"
        ),
    );
    write_file(
        dir.path(),
        "shakedown.toml",
        "[server]\ncommand = [\"sh\", \"server.sh\", \"{port}\"]\nready = { http = \"/health\", timeout = \"20s\" }\n\n[[layer]]\nname = \"it\"\nscenarios = [\"s.hurl\"]\n",
    );
    write_file(
        dir.path(),
        "s.hurl",
        "POST {{base_url}}/echo?key={{token}}\nAuthorization: Bearer {{token}}\n```\n{{token}}\n```\nHTTP 200\n[Captures]\nauth: jsonpath \"$.headers.authorization\"\n[Asserts]\njsonpath \"$.body\" == \"something else\"\n\nGET {{base_url}}/echo?again={{auth}}\nHTTP 201\n",
    );
    let output = crate::support::ShakedownCmd::new([
        "run",
        "shakedown.toml",
        "--output-dir",
        "out",
        "--no-color",
        "--verbose",
        "--report",
        "json=out/extra.json",
        "--report",
        "junit=out/extra.xml",
        "--secret",
        &format!("token={secret}"),
    ])
    .current_dir(dir.path())
    .output();
    assert_eq!(output.code(), 4, "the assert fails: {output:?}");
    let written = every_byte_written(
        &dir.path().join("out"),
        &[&output.output.stdout, &output.output.stderr],
    );
    let log = written
        .iter()
        .find(|(name, _)| name.ends_with("main.stdout.log"))
        .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
        .expect("the server's stdout log");
    assert!(log.contains("a***"), "the secret is in the log, redacted");
    for (name, bytes) in &written {
        for piece in ["Q_Z", "W-Jkq", r#"7\W"#, r#"7\\W"#] {
            assert!(
                !bytes.windows(piece.len()).any(|w| w == piece.as_bytes()),
                "{piece} leaked into {name}:\n{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}

#[test]
fn run_takes_max_filesize_from_the_flag_or_the_suite() {
    let fixture = crate::support::fixture_bin().display().to_string();
    // The flag wins over the suite's `[run] max_filesize`.
    for (flag, expected) in [(Some("1000"), "cap of 1000 bytes"), (None, "cap of 2000 bytes")] {
        let dir = temp_dir();
        write_file(
            dir.path(),
            "shakedown.toml",
            &format!(
                "[server]\ncommand = [\"{fixture}\", \"--port\", \"{{port}}\", \"--max-seconds\", \"120\"]\nready = {{ http = \"/health\", timeout = \"20s\" }}\n\n[[layer]]\nname = \"it\"\nscenarios = [\"s.hurl\"]\n\n[run]\nmax_filesize = 2000\n"
            ),
        );
        write_file(dir.path(), "s.hurl", "GET {{base_url}}/fault/endless-body\nHTTP 200\n");
        let mut args =
            vec!["run", "shakedown.toml", "--output-dir", "out", "--report", "json=report.json"];
        if let Some(flag) = flag {
            args.extend(["--max-filesize", flag]);
        }
        let output = crate::support::ShakedownCmd::new(args).current_dir(dir.path()).output();
        assert_ne!(output.code(), 0, "{output:?}");
        let report: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("report.json")).expect("the report"),
        )
        .expect("JSON");
        let attempt = &report["files"][0]["entries"][0]["iterations"][0]["polls"][0]["attempts"][0];
        assert_eq!(attempt["facts"]["error"]["kind"], "body_too_large", "{report:#}");
        assert!(attempt["error"].as_str().is_some_and(|e| e.contains(expected)), "{report:#}");
    }
}

/// With the gate in between, a server that cannot be run is still named at launch.
#[test]
fn a_missing_or_unexecutable_server_program_is_named_through_the_gate() {
    for (program, expected) in [
        ("no-such-program-shakedown", "command not found: `no-such-program-shakedown`"),
        ("./not-executable.sh", "not-executable.sh` (cwd"),
    ] {
        let dir = temp_dir();
        write_file(dir.path(), "not-executable.sh", "#!/bin/sh\necho ready\n");
        write_file(
            dir.path(),
            "shakedown.toml",
            &format!(
                "[server]\ncommand = [\"{program}\"]\nready = {{ stdout = \"^ready$\", timeout = \"20s\" }}\n\n[[layer]]\nname = \"it\"\nscenarios = [\"a.hurl\"]\n"
            ),
        );
        write_file(dir.path(), "a.hurl", "GET {{base_url}}/\nHTTP 200\n");
        let output = crate::support::ShakedownCmd::new([
            "run",
            "shakedown.toml",
            "--output-dir",
            "out",
            "--no-color",
        ])
        .current_dir(dir.path())
        .output();
        assert!(output.stderr().contains(expected), "{output:?}");
        if program.contains('/') {
            assert!(output.stderr().contains("permission denied running `"), "{output:?}");
        }
    }
}
