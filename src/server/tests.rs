//! Real-process tests of the server lifecycle: `sh`, `python3` and `sleep` children,
//! loopback only, ports from the kernel, every wait bounded by a deadline.
//!
//! The orphan test re-executes this test binary in two roles, chosen by the
//! `SHAKEDOWN_SERVER_TEST_ROLE` variable: a *launcher* that launches a server and
//! waits to be SIGKILLed, and the *supervisor* that `shakedown __supervise` would be.
//! Without the variable those two entry tests return at once.

use std::ffi::OsString;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::time::Instant;

use super::*;

const ROLE: &str = "SHAKEDOWN_SERVER_TEST_ROLE";
const OUT: &str = "SHAKEDOWN_SERVER_TEST_OUT";

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

fn sh(script: &str) -> Vec<String> {
    argv(&["sh", "-c", script])
}

fn py(code: &str) -> Vec<String> {
    argv(&["python3", "-c", code])
}

fn spec(dir: &Path, name: &str, command: Vec<String>, readiness: Readiness) -> ServerSpec {
    ServerSpec {
        name: name.to_owned(),
        command,
        cwd: dir.to_path_buf(),
        env: Vec::new(),
        address: None,
        readiness,
        stop: StopSpec { signal: Signal::Term, grace: Duration::from_secs(5) },
        max_port_retries: 0,
    }
}

fn stdout_ready(regex: &str) -> Readiness {
    Readiness::Stdout { regex: regex.to_owned(), timeout: Duration::from_secs(20) }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// No supervisor: the tests of stop, Drop and crashes must not depend on one.
fn no_supervisor() -> LaunchOptions {
    LaunchOptions { supervisor: SupervisorChoice::Off, ..LaunchOptions::default() }
}

async fn start(spec: &ServerSpec, logs: &Path) -> Result<ServerHandle, LaunchError> {
    launch_with(spec, logs, &[], &no_supervisor()).await
}

/// Alive and not a zombie.
fn alive(pid: u32) -> bool {
    unix::proc_stat(i32::try_from(pid).unwrap()).is_some_and(|s| s.is_live())
}

async fn eventually(within: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The number after `word ` in the captured stdout.
fn pid_from_stdout(handle: &ServerHandle, word: &str) -> u32 {
    let logs = handle.logs();
    let line = logs
        .stdout
        .lines
        .iter()
        .find_map(|l| l.text.strip_prefix(&format!("{word} ")).map(str::to_owned))
        .unwrap_or_else(|| panic!("no `{word} PID` line in {:?}", logs.stdout.lines));
    line.trim().parse().unwrap()
}

const TCP_AFTER_DELAY: &str = r"
import socket, sys, time
time.sleep(0.3)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen()
print('listening', flush=True)
while True:
    c, _ = s.accept()
    c.close()
";

#[tokio::test]
async fn tcp_readiness_waits_for_a_late_bind_and_stop_terminates() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_loopback_port().unwrap();
    let mut command = py(TCP_AFTER_DELAY);
    command.push(port.to_string());
    let mut spec =
        spec(dir.path(), "tcp", command, Readiness::Tcp { timeout: Duration::from_secs(20) });
    spec.address = Some(loopback(port));
    let mut handle = start(&spec, dir.path()).await.unwrap();
    let info = handle.ready_info().clone();
    assert!(info.probes > 1, "the first probes should have been refused: {info:?}");
    assert_eq!(info.address, Some(loopback(port)));
    assert_eq!(handle.url(), Some(format!("http://127.0.0.1:{port}").as_str()));
    assert!(handle.exited().is_none());
    let pid = handle.pid();
    let report = handle.stop(false).await;
    let stop = report.stop.clone().unwrap();
    assert_eq!(stop.signal_sent, Some(Signal::Term));
    assert!(!stop.killed, "python dies of SIGTERM without needing SIGKILL: {report:?}");
    assert!(stop.group_gone);
    assert_eq!(report.signal.as_ref().map(|s| s.name.as_str()), Some("SIGTERM"));
    assert!(!alive(pid));
}

const PORT_ZERO_HTTP: &str = r"
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'ok')
    def log_message(self, *args):
        pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
print('booting', flush=True)
print('READY http://127.0.0.1:%d' % s.server_address[1], flush=True)
s.serve_forever()
";

#[tokio::test]
async fn stdout_readiness_learns_the_address_of_a_port_zero_server() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(dir.path(), "zero", py(PORT_ZERO_HTTP), stdout_ready(r"^READY (?P<url>\S+)$"));
    let handle = start(&spec, dir.path()).await.unwrap();
    let address = handle.address().unwrap();
    assert_ne!(address.port(), 0);
    assert_eq!(handle.url(), Some(format!("http://{address}").as_str()));
    // The learned address really is the server: the raw probe gets a 200 from it.
    assert_eq!(RawHttpProbe.get(address, "/").await, Ok(200));
    let log = std::fs::read_to_string(dir.path().join("zero.stdout.log")).unwrap();
    let ready_line = log.lines().find(|l| l.contains("READY")).unwrap();
    let stamp = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z READY http").unwrap();
    assert!(stamp.is_match(ready_line), "{ready_line:?}");
    assert!(log.lines().next().unwrap().contains("--- shakedown: started `zero` as pid"));
    handle.stop(false).await;
}

const HTTP_HEALTH_AFTER_DELAY: &str = r"
import http.server, sys, time
started = time.time()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != '/health':
            code = 404
        elif time.time() - started < 0.3:
            code = 503
        else:
            code = 200
        self.send_response(code)
        self.send_header('Content-Length', '0')
        self.end_headers()
    def log_message(self, fmt, *args):
        sys.stderr.write('%s\n' % (fmt % args))
http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
";

#[tokio::test]
async fn http_readiness_waits_for_the_expected_status_on_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_loopback_port().unwrap();
    let mut command = py(HTTP_HEALTH_AFTER_DELAY);
    command.push(port.to_string());
    let readiness = Readiness::Http {
        path: "/health".to_owned(),
        status: 200,
        timeout: Duration::from_secs(20),
    };
    let mut spec = spec(dir.path(), "http", command, readiness);
    spec.address = Some(loopback(port));
    let handle = start(&spec, dir.path()).await.unwrap();
    assert!(handle.ready_info().probes > 1);
    assert_eq!(RawHttpProbe.get(loopback(port), "/health").await, Ok(200));
    assert_eq!(RawHttpProbe.get(loopback(port), "/other").await, Ok(404));
    // The 503 answers were seen (and logged by the server) before the 200.
    let stderr = handle.logs().stderr;
    assert!(stderr.lines.iter().any(|l| l.text.contains("\"GET /health HTTP/1.1\" 503")));
    handle.stop(false).await;
}

#[tokio::test]
async fn readiness_timeout_reports_the_last_40_lines_and_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_loopback_port().unwrap();
    let pidfile = dir.path().join("pid");
    let script = format!(
        "echo $$ > {}; for i in $(seq 1 50); do echo out $i; done; echo oops >&2; exec sleep 30",
        pidfile.display()
    );
    let mut spec = spec(
        dir.path(),
        "slow",
        sh(&script),
        Readiness::Tcp { timeout: Duration::from_millis(400) },
    );
    spec.address = Some(loopback(port));
    let err = start(&spec, dir.path()).await.unwrap_err();
    let LaunchError::NotReady { stdout_tail, stderr_tail, last_probe_error, timeout, .. } = &err
    else {
        panic!("expected NotReady, got {err:?}");
    };
    assert_eq!(*timeout, Duration::from_millis(400));
    assert_eq!(last_probe_error, "connection refused");
    assert_eq!(stdout_tail.len(), TAIL_LINES);
    assert_eq!(stdout_tail.first().map(String::as_str), Some("out 11"));
    assert_eq!(stdout_tail.last().map(String::as_str), Some("out 50"));
    assert_eq!(stderr_tail, &["oops"]);
    assert!(err.to_string().contains("not ready within 400ms (last probe: connection refused)"));
    let pid: u32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    assert!(!alive(pid), "the server must be stopped after a readiness timeout");
}

#[tokio::test]
async fn a_server_that_exits_before_ready_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_loopback_port().unwrap();
    // With an hour of timeout, only the early-exit path can end this test.
    let mut spec = spec(
        dir.path(),
        "early",
        sh("echo starting; echo 'boom: bad config' >&2; exit 3"),
        Readiness::Tcp { timeout: Duration::from_secs(3600) },
    );
    spec.address = Some(loopback(port));
    let err = start(&spec, dir.path()).await.unwrap_err();
    let LaunchError::ExitedEarly { status, stderr_tail, stdout_tail, .. } = &err else {
        panic!("expected ExitedEarly, got {err:?}");
    };
    assert_eq!(status.code(), Some(3));
    assert_eq!(stderr_tail, &["boom: bad config"]);
    assert_eq!(stdout_tail, &["starting"]);
    assert_eq!(
        err.to_string(),
        "start server `early`: it exited with exit code 3 before becoming ready"
    );
    assert!(!err.is_port_conflict());
}

#[tokio::test]
async fn a_taken_port_fails_before_spawning() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let mut s = spec(
        dir.path(),
        "taken",
        sh("echo never started > started"),
        Readiness::Tcp { timeout: Duration::from_secs(5) },
    );
    s.address = Some(taken.local_addr().unwrap());
    let err = start(&s, dir.path()).await.unwrap_err();
    assert!(matches!(err, LaunchError::PortInUse { .. }), "{err:?}");
    assert!(err.is_port_conflict());
    assert!(!dir.path().join("started").exists());
}

#[tokio::test]
async fn spawn_errors_name_the_program_and_the_cwd() {
    let dir = tempfile::tempdir().unwrap();
    let ready = Readiness::Tcp { timeout: Duration::from_secs(1) };
    let mut s = spec(dir.path(), "typo", argv(&["pythn-no-such-command"]), ready.clone());
    s.address = Some(loopback(1));
    let err = start(&s, dir.path()).await.unwrap_err();
    assert!(matches!(err, LaunchError::CommandNotFound { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "start server `typo`: command not found: `pythn-no-such-command` (cwd {})",
            dir.path().display()
        )
    );
    let missing = dir.path().join("missing");
    let mut s = spec(&missing, "nocwd", sh("true"), ready.clone());
    s.address = Some(loopback(1));
    let err = start(&s, dir.path()).await.unwrap_err();
    assert!(matches!(err, LaunchError::CwdMissing { .. }), "{err:?}");
    let s = spec(dir.path(), "noaddr", sh("true"), ready);
    assert!(matches!(start(&s, dir.path()).await, Err(LaunchError::NoAddress { .. })));
    let s = spec(dir.path(), "badre", sh("true"), stdout_ready("(unclosed"));
    assert!(matches!(start(&s, dir.path()).await, Err(LaunchError::InvalidRegex { .. })));
    let s = spec(dir.path(), "empty", Vec::new(), stdout_ready("x"));
    assert!(matches!(start(&s, dir.path()).await, Err(LaunchError::EmptyCommand { .. })));
}

#[tokio::test]
async fn secrets_are_redacted_in_files_tails_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = spec(
        dir.path(),
        "secret",
        sh("echo token=$TOKEN; echo \"auth $TOKEN\" >&2; echo ready; exec sleep 30"),
        stdout_ready("^ready$"),
    );
    s.env.push(("TOKEN".to_owned(), "hunter2-s3cr3t".to_owned()));
    let secrets = ["hunter2-s3cr3t".to_owned()];
    let handle = launch_with(&s, dir.path(), &secrets, &no_supervisor()).await.unwrap();
    let report = handle.stop(true).await;
    assert_eq!(report.stdout_tail, ["token=***", "ready"]);
    assert_eq!(report.stderr_tail, ["auth ***"]);
    for file in ["secret.stdout.log", "secret.stderr.log"] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(!text.contains("hunter2"), "{file}: {text}");
        assert!(text.contains("***"), "{file}: {text}");
    }
}

const GRACEFUL: &str = r"
import signal, sys, time
def bye(*args):
    print('bye', file=sys.stderr, flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, bye)
print('ready', flush=True)
while True:
    time.sleep(1)
";

#[tokio::test]
async fn stop_lets_a_server_that_handles_sigterm_exit_within_the_grace() {
    let dir = tempfile::tempdir().unwrap();
    let s = spec(dir.path(), "graceful", py(GRACEFUL), stdout_ready("^ready$"));
    let handle = start(&s, dir.path()).await.unwrap();
    let report = handle.stop(false).await;
    let stop = report.stop.clone().unwrap();
    assert_eq!(report.status, Some(0), "{report:?}");
    assert!(report.success());
    assert!(!stop.killed);
    assert!(stop.group_gone);
    assert_eq!(report.stderr_tail, ["bye"]);
}

const IGNORES_TERM: &str = "trap '' TERM; echo ready; while :; do sleep 1; done";

#[tokio::test]
async fn stop_escalates_to_sigkill_when_sigterm_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = spec(dir.path(), "stubborn", sh(IGNORES_TERM), stdout_ready("^ready$"));
    s.stop.grace = Duration::from_millis(300);
    let handle = start(&s, dir.path()).await.unwrap();
    let pid = handle.pid();
    let report = handle.stop(false).await;
    let stop = report.stop.clone().unwrap();
    assert!(stop.killed, "{report:?}");
    assert!(stop.group_gone);
    assert!(stop.elapsed >= Duration::from_millis(300), "the grace was waited: {stop:?}");
    assert_eq!(report.signal.map(|s| s.number), Some(9));
    assert!(!alive(pid));
}

#[tokio::test]
async fn a_fast_stop_skips_the_grace() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = spec(dir.path(), "fast", sh(IGNORES_TERM), stdout_ready("^ready$"));
    // Waiting this grace would hang the test; a fast stop must not.
    s.stop.grace = Duration::from_secs(3600);
    let handle = start(&s, dir.path()).await.unwrap();
    let report = handle.stop(true).await;
    let stop = report.stop.unwrap();
    assert!(stop.killed);
    assert!(stop.group_gone);
}

#[tokio::test]
async fn a_second_request_cuts_the_grace_short() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = spec(dir.path(), "hurry", sh(IGNORES_TERM), stdout_ready("^ready$"));
    s.stop.grace = Duration::from_secs(3600);
    let handle = start(&s, dir.path()).await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let stopping = tokio::spawn(handle.stop_until(async move {
        let _ = rx.await;
    }));
    // The "second Ctrl-C".
    tx.send(()).unwrap();
    let report = stopping.await.unwrap();
    assert!(report.stop.unwrap().killed);
}

/// A wrapper that dies of SIGTERM, and a grandchild that ignores it.
/// A wrapper whose background child ignores SIGTERM. The child itself says `ready`, after
/// its trap is set, so no signal can arrive before the trap (the subshell's own pid is
/// read through `$PPID` of a child shell, since `$$` is the wrapper's in a subshell).
const WRAPPER: &str = "echo leader $$; (trap '' TERM; echo grandchild $(sh -c 'echo $PPID'); echo ready; exec sleep 300) & wait";

#[tokio::test]
async fn stop_kills_a_grandchild_that_outlives_its_wrapper() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = spec(dir.path(), "wrapper", sh(WRAPPER), stdout_ready("^ready$"));
    s.stop.grace = Duration::from_millis(200);
    let handle = start(&s, dir.path()).await.unwrap();
    let grandchild = pid_from_stdout(&handle, "grandchild");
    assert!(alive(grandchild));
    let report = handle.stop(false).await;
    let stop = report.stop.clone().unwrap();
    assert!(stop.killed, "the grandchild ignored SIGTERM, so SIGKILL was needed: {report:?}");
    assert!(stop.group_gone);
    assert!(
        eventually(Duration::from_secs(5), || !alive(grandchild)).await,
        "grandchild {grandchild} survived the group kill"
    );
}

#[tokio::test]
async fn dropping_the_handle_kills_the_group() {
    let dir = tempfile::tempdir().unwrap();
    let s = spec(dir.path(), "dropped", sh(WRAPPER), stdout_ready("^ready$"));
    let handle = start(&s, dir.path()).await.unwrap();
    let (leader, grandchild) =
        (pid_from_stdout(&handle, "leader"), pid_from_stdout(&handle, "grandchild"));
    assert_eq!(leader, handle.pid());
    drop(handle);
    assert!(
        eventually(Duration::from_secs(5), || !alive(leader) && !alive(grandchild)).await,
        "leader {leader} or grandchild {grandchild} survived the drop"
    );
}

#[tokio::test]
async fn a_panic_while_holding_the_handle_kills_the_group() {
    let dir = tempfile::tempdir().unwrap();
    let s = spec(dir.path(), "panicky", sh(WRAPPER), stdout_ready("^ready$"));
    let handle = start(&s, dir.path()).await.unwrap();
    let grandchild = pid_from_stdout(&handle, "grandchild");
    let task = tokio::spawn(async move {
        let _handle = handle;
        panic!("a bug in the runner");
    });
    assert!(task.await.unwrap_err().is_panic());
    assert!(eventually(Duration::from_secs(5), || !alive(grandchild)).await);
}

const CRASH_ON_CONNECT: &str = r"
import os, signal, socket, sys
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen()
print('READY %d' % s.getsockname()[1], flush=True)
c, _ = s.accept()
print('Traceback (most recent call last):', file=sys.stderr)
print('  boom in the handler', file=sys.stderr, flush=True)
os.kill(os.getpid(), signal.SIGSEGV)
";

#[expect(clippy::disallowed_methods, reason = "the test plays a client that triggers the crash")]
fn poke(address: SocketAddr) {
    let _ = std::net::TcpStream::connect(address);
}

#[tokio::test]
async fn a_crash_mid_run_is_reported_with_its_signal_and_stderr_tail() {
    let dir = tempfile::tempdir().unwrap();
    let s =
        spec(dir.path(), "crashy", py(CRASH_ON_CONNECT), stdout_ready(r"^READY (?P<port>\d+)$"));
    let mut handle = start(&s, dir.path()).await.unwrap();
    assert!(handle.exited().is_none());
    assert!(handle.wait_exit_within(Duration::from_millis(50)).await.is_none());
    poke(handle.address().unwrap());
    let report = handle.wait_exit_within(Duration::from_secs(10)).await.unwrap();
    assert!(report.direct_child);
    assert_eq!(report.pid, handle.pid());
    assert_eq!(report.status, None);
    assert_eq!(report.signal.as_ref().map(|s| s.name.as_str()), Some("SIGSEGV"));
    assert_eq!(report.stderr_tail.last().map(String::as_str), Some("  boom in the handler"));
    assert!(report.to_string().contains("was killed by SIGSEGV"));
    // Asking again gives the same answer.
    assert_eq!(handle.exited().map(|r| r.pid), Some(report.pid));
    let stopped = handle.stop(false).await;
    assert!(stopped.stop.unwrap().group_gone);
}

#[tokio::test]
async fn a_grandchild_crash_behind_a_living_wrapper_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    // sh runs python as a child (more commands follow), and outlives it.
    let mut command = sh(r#"python3 -c "$1"; echo wrapper still here; exec sleep 300"#);
    command.push("sh".to_owned());
    command.push(CRASH_ON_CONNECT.to_owned());
    let s = spec(dir.path(), "wrapped", command, stdout_ready(r"^READY (?P<port>\d+)$"));
    let mut handle = start(&s, dir.path()).await.unwrap();
    assert!(handle.exited().is_none());
    poke(handle.address().unwrap());
    let report = handle.wait_exit_within(Duration::from_secs(10)).await.unwrap();
    assert!(!report.direct_child, "the wrapper lives on: {report:?}");
    assert_ne!(report.pid, handle.pid());
    assert!(report.stderr_tail.iter().any(|l| l == "  boom in the handler"), "{report:?}");
    // The status is known only if the zombie was seen before sh reaped it.
    if let Some(signal) = &report.signal {
        assert_eq!(signal.name, "SIGSEGV");
    }
    let stopped = handle.stop(false).await;
    assert!(stopped.stop.unwrap().group_gone);
}

const BIND_ARGV_PORT: &str = r"
import socket, sys
s = socket.socket()
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen()
print('READY', flush=True)
while True:
    s.accept()[0].close()
";

#[tokio::test]
async fn a_port_conflict_is_retried_on_a_fresh_port() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let mut calls = 0;
    let mut handle = launch_retrying_port(
        |port| {
            calls += 1;
            // The first attempt loses a race for its port: the pre-spawn check saw
            // it free, and the server's own bind fails.
            let bind_port = if calls == 1 { taken_port } else { port };
            let mut command = py(BIND_ARGV_PORT);
            command.push(bind_port.to_string());
            let mut s = spec(
                dir.path(),
                "retry",
                command,
                Readiness::Tcp { timeout: Duration::from_secs(20) },
            );
            s.address = Some(loopback(port));
            s.max_port_retries = 2;
            s
        },
        dir.path(),
        &[],
        &no_supervisor(),
    )
    .await
    .unwrap();
    assert_eq!(calls, 2);
    assert_ne!(handle.address().unwrap().port(), taken_port);
    assert!(handle.exited().is_none());
    let earlier = std::fs::read_to_string(dir.path().join("retry.stderr.log")).unwrap();
    assert!(earlier.contains("Address already in use"), "the first attempt's log is kept");
    handle.stop(false).await;
}

// The orphan supervisor: SIGKILL the process that launched a server, and the
// supervisor must stop the server's group.

fn role() -> Option<String> {
    std::env::var(ROLE).ok()
}

fn this_test_binary(test: &str, role: &str) -> SupervisorCommand {
    SupervisorCommand {
        program: std::env::current_exe().unwrap(),
        args: ["--exact", test, "--nocapture", "--test-threads=1"].map(OsString::from).to_vec(),
        env: vec![(ROLE.into(), role.into())],
        gate: None,
    }
}

/// The supervisor role: what `shakedown __supervise` does.
#[test]
fn supervisor_entry() {
    if role().as_deref() == Some("supervisor") {
        let _ = supervise_main(Vec::new());
    }
}

/// The launcher role: launch a supervised server, report its pids, wait to be killed.
#[test]
fn launcher_entry() {
    if role().as_deref() != Some("launcher") {
        return;
    }
    let out = PathBuf::from(std::env::var_os(OUT).unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = out.parent().unwrap();
        let mut s = spec(dir, "orphan", sh(WRAPPER), stdout_ready("^ready$"));
        // The grandchild ignores SIGTERM, so the supervisor must also escalate.
        s.stop.grace = Duration::from_millis(200);
        let options = LaunchOptions {
            supervisor: SupervisorChoice::Command(this_test_binary(
                "server::tests::supervisor_entry",
                "supervisor",
            )),
            ..LaunchOptions::default()
        };
        let handle = launch_with(&s, dir, &[], &options).await.unwrap();
        assert!(handle.is_supervised());
        let line = format!("{} {}\n", handle.pid(), pid_from_stdout(&handle, "grandchild"));
        std::fs::write(&out, line).unwrap();
        // Bounded: if nobody kills us, the handle is dropped and cleans up.
        tokio::time::sleep(Duration::from_secs(60)).await;
    });
}

#[tokio::test]
async fn sigkill_of_the_launcher_lets_the_supervisor_stop_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pids");
    let launcher = this_test_binary("server::tests::launcher_entry", "launcher");
    #[expect(clippy::disallowed_methods, reason = "the test re-executes itself as the launcher")]
    let mut child = std::process::Command::new(&launcher.program)
        .args(&launcher.args)
        .envs(launcher.env.iter().map(|(k, v)| (k, v)))
        .env(OUT, &out)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let got_pids = eventually(Duration::from_secs(30), || {
        std::fs::read_to_string(&out).is_ok_and(|t| t.ends_with('\n'))
    })
    .await;
    let pids = std::fs::read_to_string(&out).unwrap_or_default();
    let pids: Vec<u32> = pids.split_whitespace().map(|p| p.parse().unwrap()).collect();
    let launcher_pid = unix::pid(child.id()).unwrap();
    rustix::process::kill_process(launcher_pid, rustix::process::Signal::KILL).unwrap();
    let _ = child.wait();
    assert!(got_pids, "the launcher never reported its server");
    let (leader, grandchild) = (pids[0], pids[1]);
    let pgid = unix::pid(leader).unwrap();
    let gone = eventually(Duration::from_secs(15), || {
        !unix::group_alive(pgid) && !alive(leader) && !alive(grandchild)
    })
    .await;
    if !gone {
        // Clean up what we started before failing.
        let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
    }
    assert!(gone, "server group {leader} outlived its SIGKILLed launcher");
}

#[tokio::test]
async fn a_supervisor_that_does_not_acknowledge_fails_the_launch_and_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let script = format!("echo $$ > {}; echo ready; exec sleep 30", pidfile.display());
    let s = spec(dir.path(), "unwatched", sh(&script), stdout_ready("^ready$"));
    // What an unwired `shakedown __supervise` looks like: it exits at once.
    let options = LaunchOptions {
        supervisor: SupervisorChoice::Command(SupervisorCommand {
            program: "false".into(),
            args: Vec::new(),
            env: Vec::new(),
            gate: None,
        }),
        ..LaunchOptions::default()
    };
    let err = launch_with(&s, dir.path(), &[], &options).await.unwrap_err();
    assert!(matches!(err, LaunchError::Supervisor { .. }), "{err:?}");
    // The server may have been killed before it wrote its pid; then it cannot run.
    let read_pid = || std::fs::read_to_string(&pidfile).ok()?.trim().parse::<u32>().ok();
    eventually(Duration::from_secs(1), || read_pid().is_some()).await;
    if let Some(pid) = read_pid() {
        assert!(eventually(Duration::from_secs(5), || !alive(pid)).await);
    }
}

#[tokio::test]
async fn a_relative_program_is_resolved_against_the_cwd() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    // A symlink rather than a freshly written script: exec of a file another
    // thread's fork may still hold open for writing fails with ETXTBSY.
    std::os::unix::fs::symlink("/bin/sh", bin.join("shell")).unwrap();
    let command = argv(&["bin/shell", "-c", "echo ready; exec sleep 30"]);
    let s = spec(dir.path(), "relative", command, stdout_ready("^ready$"));
    let handle = start(&s, &dir.path().join("logs")).await.unwrap();
    assert!(dir.path().join("logs/relative.stdout.log").exists());
    handle.stop(true).await;
}

/// The runner spawns launches and stops on a multi-threaded runtime.
#[test]
fn launch_and_stop_futures_are_send() {
    fn is_send<T: Send>(_: &T) {}
    let dir = std::env::temp_dir();
    let s = spec(&dir, "send", sh("true"), stdout_ready("x"));
    let launching = launch(&s, &dir, &[]);
    is_send(&launching);
    drop(launching);
    fn stop_is_send(handle: ServerHandle) {
        is_send(&handle.stop(false));
    }
    let _ = stop_is_send;
}
