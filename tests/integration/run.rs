//! `shakedown run`: suites against real processes — the fixture service, wrapper scripts,
//! command layers — on loopback, with signals sent to the real binary.
//!
//! Every wait polls with a deadline; no test sleeps to synchronise or checks a timing
//! threshold. Every process a test starts is stopped by PID.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Fixture, RunOutput, ShakedownCmd, fixture_bin, temp_dir, write_file};

/// How long any wait in these tests may take before it fails.
const WAIT: Duration = Duration::from_secs(20);

fn fixture() -> String {
    fixture_bin().display().to_string()
}

/// `[server]` as the fixture on `{port}`, ready when `/health` answers.
fn fixture_server() -> String {
    format!(
        "[server]\ncommand = [\"{}\", \"--port\", \"{{port}}\", \"--max-seconds\", \"120\"]\nready = {{ http = \"/health\", status = 200, timeout = \"10s\" }}\n",
        fixture()
    )
}

fn run_suite(dir: &Path, extra: &[&str]) -> RunOutput {
    let mut args = vec!["run", "shakedown.toml", "--output-dir", "out", "--no-color"];
    args.extend_from_slice(extra);
    ShakedownCmd::new(args).current_dir(dir).output()
}

/// The report of the only run in `dir/out`.
fn read_report(dir: &Path) -> Value {
    let path = run_dir(dir).join("report.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn run_dir(dir: &Path) -> PathBuf {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(dir.join("out"))
        .expect("the output folder exists")
        .map(|e| e.expect("a directory entry").path())
        // `latest` links to the newest run folder.
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("run-")))
        .collect();
    assert_eq!(runs.len(), 1, "one run folder: {runs:?}");
    runs.pop().expect("one run folder")
}

fn layer<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["layers"]
        .as_array()
        .and_then(|layers| layers.iter().find(|l| l["name"] == name))
        .unwrap_or_else(|| panic!("no layer {name} in {report:#}"))
}

/// Whether `pid` is a live process (a zombie counts as gone: it runs nothing).
fn pid_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => {
            stat.rsplit_once(')').and_then(|(_, rest)| rest.trim().chars().next()) != Some('Z')
        }
    }
}

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

/// `shakedown run` in the background, output to files, killed and reaped on drop.
struct Background {
    child: Child,
    stderr: PathBuf,
}

impl Background {
    fn start(dir: &Path) -> Background {
        #[expect(
            clippy::disallowed_methods,
            reason = "the test runs the binary under test in the background"
        )]
        let mut command = Command::new(crate::support::shakedown_bin());
        let stderr = dir.join("shakedown.stderr");
        command
            .args(["run", "shakedown.toml", "--output-dir", "out", "--no-color"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("shakedown.stdout")).expect("stdout file"))
            .stderr(std::fs::File::create(&stderr).expect("stderr file"));
        Background { child: command.spawn().expect("shakedown starts"), stderr }
    }

    fn signal(&self, signal: rustix::process::Signal) {
        let pid = rustix::process::Pid::from_raw(i32::try_from(self.child.id()).expect("a pid"))
            .expect("a valid pid");
        rustix::process::kill_process(pid, signal).expect("the signal is sent");
    }

    /// Waits (bounded) for the exit and returns the code and stderr.
    fn wait(&mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                let stderr = std::fs::read_to_string(&self.stderr).unwrap_or_default();
                return (status.code(), stderr);
            }
            assert!(Instant::now() < deadline, "shakedown did not exit");
            pause_between_polls(Duration::from_millis(10));
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A suite in which the second layer runs until it is stopped, recording its pid.
fn long_running_suite(dir: &Path) -> PathBuf {
    let pid_file = dir.join("layer.pid");
    write_file(
        dir,
        "shakedown.toml",
        &format!(
            "[servers.helper]\ncommand = [\"{fx}\", \"--port\", \"{{port}}\", \"--max-seconds\", \"120\"]\nready = {{ tcp = true }}\n\n{main}\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n\n[[layer]]\nname = \"long\"\ncommand = [\"sh\", \"-c\", \"echo $$ > {pid}.tmp && mv {pid}.tmp {pid} && sleep 60\"]\n",
            fx = fixture(),
            main = fixture_server(),
            pid = pid_file.display()
        ),
    );
    write_file(
        dir,
        "s/a.hurl",
        "GET {{base_url}}/health\nHTTP 200\n\nGET {{helper_url}}/health\nHTTP 200\n",
    );
    pid_file
}

/// How many `shakedown __supervise` processes `parent` has.
fn supervisors_of(parent: u32) -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else { return 0 };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .filter(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1));
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            ppid == Some(parent.to_string().as_str())
                && cmdline.split(|b| *b == 0).any(|arg| arg == b"__supervise")
        })
        .count()
}

fn recorded_pids(report: &Value) -> Vec<u32> {
    report["servers"]
        .as_array()
        .expect("servers[]")
        .iter()
        .filter_map(|s| s["pid"].as_u64())
        .map(|p| u32::try_from(p).expect("a pid"))
        .collect()
}

#[test]
fn run_passes_a_suite_with_command_and_scenario_layers() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "{}\n[variables]\nwho = \"suite\"\n\n[[layer]]\nname = \"unit\"\ncommand = [\"sh\", \"-c\", \"printf '<testsuite><testcase name=\\\"t1\\\"/><testcase name=\\\"t2\\\"><skipped/></testcase></testsuite>' > j.xml\"]\njunit = \"j.xml\"\n\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n",
            fixture_server()
        ),
    );
    write_file(
        dir.path(),
        "s/a.hurl",
        "GET {{base_url}}/echo?who={{who}}\nHTTP 200\n\nGET http://127.0.0.1:{{port}}/health\nHTTP 200\n",
    );
    let out = run_suite(dir.path(), &["--variable", "extra=1"]);
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(out.stderr().contains("layer unit: PASSED"), "{out:?}");
    assert!(out.stderr().contains("layer it: PASSED"), "{out:?}");
    let report = read_report(dir.path());
    assert_eq!(report["schema"], "shakedown.report/v1");
    assert_eq!(report["outcome"], "passed");
    assert_eq!(report["partial"], false);
    assert_eq!(report["checkpoint"], false);
    let unit = layer(&report, "unit");
    assert_eq!(unit["kind"], "command");
    assert_eq!(unit["command"]["exit_code"], 0);
    assert_eq!(unit["testcases"].as_array().map(Vec::len), Some(2), "{unit:#}");
    assert_eq!(unit["testcases"][1]["outcome"], "skipped");
    assert_eq!(layer(&report, "it")["outcome"], "passed");
    let server = &report["servers"][0];
    assert_eq!(server["name"], "main");
    assert!(
        server["logs"]["stdout"]["lines"][0]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("READY")),
        "{server:#}"
    );
    assert!(Path::new(server["logs"]["stdout"]["path"].as_str().expect("a log path")).is_file());
    let pid = u32::try_from(server["pid"].as_u64().expect("a pid")).expect("a pid");
    assert!(!pid_alive(pid), "the server is stopped at the end");
}

#[test]
fn check_validates_a_suite_and_lists_what_would_run() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!("{}\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n", fixture_server()),
    );
    write_file(dir.path(), "s/a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let out = ShakedownCmd::new(["check", "shakedown.toml"]).current_dir(dir.path()).output();
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(out.stdout().contains("layer it: 1 scenario file(s)"), "{out:?}");
    assert!(out.stdout().contains("a.hurl"), "{out:?}");
    write_file(dir.path(), "s/b.hurl", "GET {{base_url}}/health\nHTTP two hundred\n");
    let out = ShakedownCmd::new(["check", "shakedown.toml"]).current_dir(dir.path()).output();
    assert_eq!(out.code(), 2, "{out:?}");
    assert!(out.stderr().contains("b.hurl:2:"), "{out:?}");
}

#[test]
fn a_broken_suite_file_gives_file_line_column_and_exit_2() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!("{}\n[[layer]]\nname = \"it\"\nscenarioz = [\"s/*.hurl\"]\n", fixture_server()),
    );
    let out = run_suite(dir.path(), &[]);
    assert_eq!(out.code(), 2, "{out:?}");
    assert!(out.stderr().contains("shakedown.toml:7:1"), "{out:?}");
    assert!(!dir.path().join("out").exists(), "nothing started: {out:?}");

    // An empty glob is an input error too, pointing at the pattern.
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!("{}\n[[layer]]\nname = \"it\"\nscenarios = [\"none/*.hurl\"]\n", fixture_server()),
    );
    let out = run_suite(dir.path(), &[]);
    assert_eq!(out.code(), 2, "{out:?}");
    assert!(out.stderr().contains("shakedown.toml:7:14"), "{out:?}");
    assert!(out.stderr().contains("no file matches"), "{out:?}");
}

#[test]
fn readiness_timeout_fails_with_the_log_tail() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        "[server]\ncommand = [\"sh\", \"-c\", \"echo booting; echo 'no database configured' >&2; sleep 60\"]\nready = { tcp = true, timeout = \"300ms\" }\n\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n",
    );
    write_file(dir.path(), "s/a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let out = run_suite(dir.path(), &[]);
    assert_eq!(out.code(), 3, "{out:?}");
    assert!(out.stderr().contains("not ready within 300ms"), "{out:?}");
    assert!(out.stderr().contains("stderr | no database configured"), "{out:?}");
    assert!(out.stderr().contains("stdout | booting"), "{out:?}");
    assert_eq!(layer(&read_report(dir.path()), "it")["outcome"], "error");
}

#[test]
fn readiness_from_stdout_with_a_port_zero_server() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "[server]\ncommand = [\"{}\", \"--port\", \"0\", \"--max-seconds\", \"120\"]\nready = {{ stdout = \"^READY (?P<url>http://\\\\S+)$\", timeout = \"10s\" }}\n\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n",
            fixture()
        ),
    );
    write_file(dir.path(), "s/a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let out = run_suite(dir.path(), &[]);
    assert_eq!(out.code(), 0, "{out:?}");
    let report = read_report(dir.path());
    let url = report["servers"][0]["url"].as_str().expect("a url");
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"), "{report:#}");
    assert_eq!(report["files"][0]["outcome"], "passed");
}

#[test]
fn a_server_that_exits_before_ready_fails_at_once() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "[server]\ncommand = [\"{}\", \"--port\", \"{{port}}\", \"--exit-before-ready\", \"7\"]\nready = {{ http = \"/health\", timeout = \"60s\" }}\n\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n",
            fixture()
        ),
    );
    write_file(dir.path(), "s/a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let out = run_suite(dir.path(), &[]);
    assert_eq!(out.code(), 3, "{out:?}");
    assert!(out.stderr().contains("exited with exit code 7 before becoming ready"), "{out:?}");
    // "At once": long before the 60 s readiness timeout.
    assert!(out.elapsed < Duration::from_secs(60), "{out:?}");
}

#[test]
fn a_crash_mid_layer_is_attributed_to_the_transaction_in_flight() {
    let dir = temp_dir();
    // The server is the wrapper's grandchild... child of `sh`, which waits for it.
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "[server]\ncommand = [\"sh\", \"-c\", \"'{}' --port {{port}} --max-seconds 120 & wait\"]\nready = {{ http = \"/health\", timeout = \"10s\" }}\n\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n",
            fixture()
        ),
    );
    write_file(
        dir.path(),
        "s/1-crash.hurl",
        // `Connection: close` so that the fault request opens a fresh connection, which
        // is what routes it to the fixture's fault handler.
        "GET {{base_url}}/health\nConnection: close\nHTTP 200\n\nGET {{base_url}}/fault/exit\nHTTP 200\n\nGET {{base_url}}/health\nHTTP 200\n",
    );
    write_file(dir.path(), "s/2-after.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let out = run_suite(dir.path(), &[]);
    assert_eq!(out.code(), 3, "{out:?}");
    assert!(out.stderr().contains("server crashed during this request"), "{out:?}");
    assert!(out.stderr().contains("the rest of the layer is not run"), "{out:?}");
    let report = read_report(dir.path());
    let entries = report["files"][0]["entries"].as_array().expect("entries[]");
    assert_eq!(entries.len(), 2, "the third entry never ran: {report:#}");
    assert_eq!(entries[0]["outcome"], "passed");
    assert_eq!(entries[1]["outcome"], "error");
    assert!(
        entries[1].to_string().contains("server crashed during this request"),
        "{:#}",
        entries[1]
    );
    // Whichever is seen first: the wrapper's exit (with its code) or the server's own (a
    // grandchild, whose status only its parent can collect).
    let ended = entries[1].to_string();
    assert!(
        ended.contains("exited with code") || ended.contains("exited; status unknown"),
        "how it ended: {:#}",
        entries[1]
    );
    let it = layer(&report, "it");
    assert_eq!(it["outcome"], "error");
    assert!(it["not_run_files"][0].as_str().is_some_and(|f| f.ends_with("2-after.hurl")), "{it:#}");
}

#[test]
fn sigint_mid_run_stops_every_process_and_leaves_a_partial_report() {
    let dir = temp_dir();
    let pid_file = long_running_suite(dir.path());
    let mut run = Background::start(dir.path());
    wait_until("the long layer has started", || pid_file.is_file());
    let layer_pid: u32 =
        std::fs::read_to_string(&pid_file).expect("the pid file").trim().parse().expect("a pid");
    let checkpoint = read_report(dir.path());
    let servers = recorded_pids(&checkpoint);
    assert_eq!(servers.len(), 2, "{checkpoint:#}");
    assert!(servers.iter().all(|&p| pid_alive(p)), "{checkpoint:#}");
    run.signal(rustix::process::Signal::INT);
    let (code, stderr) = run.wait();
    assert_eq!(code, Some(130), "{stderr}");
    for pid in servers.iter().copied().chain([layer_pid]) {
        assert!(!pid_alive(pid), "pid {pid} survived SIGINT: {stderr}");
    }
    let report = read_report(dir.path());
    assert_eq!(report["partial"], true);
    assert_eq!(report["checkpoint"], false);
    assert_eq!(report["outcome"], "interrupted");
    assert_eq!(layer(&report, "it")["outcome"], "passed");
    assert_eq!(layer(&report, "long")["outcome"], "interrupted");
}

#[test]
fn sigkill_of_shakedown_then_the_supervisor_stops_the_servers() {
    let dir = temp_dir();
    let pid_file = long_running_suite(dir.path());
    let mut run = Background::start(dir.path());
    wait_until("the long layer has started", || pid_file.is_file());
    let layer_pid: u32 =
        std::fs::read_to_string(&pid_file).expect("the pid file").trim().parse().expect("a pid");
    let checkpoint = read_report(dir.path());
    let servers = recorded_pids(&checkpoint);
    assert_eq!(servers.len(), 2, "{checkpoint:#}");
    assert!(
        checkpoint["servers"].as_array().is_some_and(|s| s.iter().all(|s| s["supervised"] == true))
    );
    // The layer's command may write its pid before its supervisor is watching (the
    // window documented in `server/supervise.rs`): wait for all three supervisors.
    wait_until("three supervisors run", || supervisors_of(run.child.id()) == 3);
    run.signal(rustix::process::Signal::KILL);
    let (code, _) = run.wait();
    assert_eq!(code, None, "killed by a signal");
    for pid in servers.iter().copied().chain([layer_pid]) {
        wait_until(&format!("pid {pid} is gone"), || !pid_alive(pid));
    }
    // The last checkpoint is still there, a complete JSON document that says what it is.
    let report = read_report(dir.path());
    assert_eq!(report["partial"], true);
    assert_eq!(report["checkpoint"], true);
    assert_eq!(layer(&report, "it")["outcome"], "passed");
}

#[test]
fn restart_isolation_gives_each_file_a_fresh_server() {
    let dir = temp_dir();
    let counter = "POST {{base_url}}/counter/x\nHTTP 200\n[Asserts]\njsonpath \"$.count\" == 1\n";
    for isolation in ["restart", "shared"] {
        let _ = std::fs::remove_dir_all(dir.path().join("out"));
        write_file(
            dir.path(),
            "shakedown.toml",
            &format!(
                "{}\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\nisolation = \"{isolation}\"\n",
                fixture_server()
            ),
        );
        write_file(dir.path(), "s/a.hurl", counter);
        write_file(dir.path(), "s/b.hurl", counter);
        let out = run_suite(dir.path(), &[]);
        let report = read_report(dir.path());
        let pids: std::collections::BTreeSet<u32> = recorded_pids(&report).into_iter().collect();
        if isolation == "restart" {
            assert_eq!(out.code(), 0, "{out:?}");
            assert_eq!(pids.len(), 2, "one server per file: {report:#}");
        } else {
            // The control: on one shared server the second file sees the first one's count.
            assert_eq!(out.code(), 4, "{out:?}");
            assert_eq!(pids.len(), 1, "{report:#}");
        }
    }
}

#[test]
fn restart_isolation_with_two_jobs_gives_each_worker_its_own_server() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "{}\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\nisolation = \"restart\"\n",
            fixture_server()
        ),
    );
    let counter = "POST {{base_url}}/counter/x\nHTTP 200\n[Asserts]\njsonpath \"$.count\" == 1\n";
    for name in ["a", "b", "c", "d"] {
        write_file(dir.path(), &format!("s/{name}.hurl"), counter);
    }
    let out = run_suite(dir.path(), &["--jobs", "2"]);
    assert_eq!(out.code(), 0, "{out:?}");
    assert_eq!(read_report(dir.path())["files"].as_array().map(Vec::len), Some(4));
}

#[test]
fn an_external_target_is_checked_and_tested_without_launching_anything() {
    let service = Fixture::start(&[]);
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "[server]\nurl = \"{}\"\nready = {{ http = \"/health\", timeout = \"5s\" }}\n\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n",
            service.base_url
        ),
    );
    write_file(dir.path(), "s/a.hurl", "POST {{base_url}}/counter/ext\nHTTP 200\n");
    let out = run_suite(dir.path(), &[]);
    assert_eq!(out.code(), 0, "{out:?}");
    let report = read_report(dir.path());
    assert_eq!(report["servers"][0]["external"], true);
    assert_eq!(report["servers"][0]["pid"], Value::Null);
    assert_eq!(service.get_json("/counter/ext")["count"], 1, "the scenario reached the service");
}

#[test]
fn a_failing_command_layer_exits_6_and_stops_the_layers_after_it() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "{}\n[[layer]]\nname = \"unit\"\ncommand = [\"sh\", \"-c\", \"echo '1 test failed' >&2; exit 1\"]\n\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n",
            fixture_server()
        ),
    );
    write_file(dir.path(), "s/a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let out = run_suite(dir.path(), &[]);
    assert_eq!(out.code(), 6, "{out:?}");
    assert!(out.stderr().contains("stderr | 1 test failed"), "{out:?}");
    let report = read_report(dir.path());
    assert_eq!(layer(&report, "unit")["outcome"], "failed");
    assert_eq!(layer(&report, "unit")["command"]["exit_code"], 1);
    assert_eq!(layer(&report, "it")["outcome"], "not_run");

    std::fs::remove_dir_all(dir.path().join("out")).expect("clean the output folder");
    let out = run_suite(dir.path(), &["--keep-going"]);
    assert_eq!(out.code(), 6, "{out:?}");
    assert_eq!(layer(&read_report(dir.path()), "it")["outcome"], "passed");
}

#[test]
fn layer_flag_selects_layers() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "{}\n[[layer]]\nname = \"unit\"\ncommand = [\"false\"]\n\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n",
            fixture_server()
        ),
    );
    write_file(dir.path(), "s/a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let out = run_suite(dir.path(), &["--layer", "it"]);
    assert_eq!(out.code(), 0, "{out:?}");
    let report = read_report(dir.path());
    assert_eq!(report["layers"].as_array().map(Vec::len), Some(1), "{report:#}");
    assert_eq!(layer(&report, "it")["outcome"], "passed");
    let out = run_suite(dir.path(), &["--layer", "nope"]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(out.stderr().contains("layers: unit, it"), "{out:?}");
}

#[test]
fn reset_runs_between_the_files_of_a_shared_layer() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "{}\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\nreset = [\"sh\", \"-c\", \"echo {{port}} >> resets.log\"]\n",
            fixture_server()
        ),
    );
    for name in ["a", "b", "c"] {
        write_file(dir.path(), &format!("s/{name}.hurl"), "GET {{base_url}}/health\nHTTP 200\n");
    }
    let out = run_suite(dir.path(), &[]);
    assert_eq!(out.code(), 0, "{out:?}");
    let resets = std::fs::read_to_string(dir.path().join("resets.log")).expect("the reset ran");
    let port = read_report(dir.path())["servers"][0]["url"]
        .as_str()
        .and_then(|u| u.rsplit(':').next())
        .expect("a port")
        .to_owned();
    assert_eq!(resets.lines().collect::<Vec<_>>(), [port.as_str(), port.as_str()], "{out:?}");
}

#[test]
fn the_deadline_stops_the_run_with_a_partial_report() {
    let dir = temp_dir();
    let pid_file = long_running_suite(dir.path());
    let out = run_suite(dir.path(), &["--deadline", "2"]);
    assert_eq!(out.code(), 3, "{out:?}");
    assert!(out.stderr().contains("deadline"), "{out:?}");
    let layer_pid: u32 =
        std::fs::read_to_string(&pid_file).expect("the pid file").trim().parse().expect("a pid");
    let report = read_report(dir.path());
    assert_eq!(report["partial"], true);
    for pid in recorded_pids(&report).into_iter().chain([layer_pid]) {
        assert!(!pid_alive(pid), "pid {pid} survived the deadline");
    }
}

#[test]
fn a_server_that_finds_its_port_taken_is_started_again_on_another() {
    let dir = temp_dir();
    // The first start fails the way a server whose port is taken does; the second works.
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "[server]\ncommand = [\"sh\", \"-c\", \"if [ ! -e tried ]; then touch tried; echo 'OSError: [Errno 98] Address already in use' >&2; exit 1; fi; exec '{}' --port {{port}} --max-seconds 120\"]\nready = {{ http = \"/health\", timeout = \"10s\" }}\n\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n",
            fixture()
        ),
    );
    write_file(dir.path(), "s/a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let out = run_suite(dir.path(), &[]);
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(dir.path().join("tried").is_file());
    let log =
        std::fs::read_to_string(run_dir(dir.path()).join("main.stderr.log")).expect("the log");
    assert!(log.contains("Address already in use"), "the first attempt is in the log: {log}");
}

#[test]
fn a_second_sigint_skips_the_grace() {
    let dir = temp_dir();
    // The server ignores SIGTERM and has a grace longer than this test's every wait.
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "[server]\ncommand = [\"{}\", \"--port\", \"{{port}}\", \"--ignore-sigterm\", \"--max-seconds\", \"120\"]\nready = {{ http = \"/health\", timeout = \"10s\" }}\nstop = {{ signal = \"SIGTERM\", grace = \"100s\" }}\n\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n\n[[layer]]\nname = \"long\"\ncommand = [\"sh\", \"-c\", \"touch started && sleep 60\"]\n",
            fixture()
        ),
    );
    write_file(dir.path(), "s/a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let mut run = Background::start(dir.path());
    wait_until("the long layer has started", || dir.path().join("started").is_file());
    let server = recorded_pids(&read_report(dir.path()));
    run.signal(rustix::process::Signal::INT);
    let stderr = dir.path().join("shakedown.stderr");
    wait_until("shakedown is stopping the servers", || {
        std::fs::read_to_string(&stderr).is_ok_and(|t| t.contains("stopping every server"))
    });
    run.signal(rustix::process::Signal::INT);
    let (code, stderr) = run.wait();
    assert_eq!(code, Some(130), "{stderr}");
    for pid in server {
        assert!(!pid_alive(pid), "pid {pid} survived: {stderr}");
    }
    let report = read_report(dir.path());
    assert_eq!(report["servers"][0]["exit"]["stop"]["killed"], true, "{report:#}");
}

#[test]
fn a_failed_command_layer_redacts_secrets_in_its_argv() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        "[[layer]]\nname = \"unit\"\ncommand = [\"sh\", \"-c\", \"exit 4\", \"hunter2-token\"]\n",
    );
    let out = run_suite(dir.path(), &["--secret", "token=hunter2-token"]);
    assert_eq!(out.code(), 6, "{out:?}");
    assert!(
        out.stderr().contains("error: layer unit: `sh -c exit 4 ***` exited with code 4"),
        "{out:?}"
    );
    assert!(!out.stderr().contains("hunter2"), "{out:?}");
    let text = std::fs::read_to_string(run_dir(dir.path()).join("report.json")).expect("report");
    assert!(!text.contains("hunter2"), "{text}");
    assert_eq!(layer(&read_report(dir.path()), "unit")["command"]["exit_code"], 4);
}

#[test]
fn a_command_layer_that_exits_zero_passes_and_keeps_its_logs() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        "[[layer]]\nname = \"unit\"\ncommand = [\"sh\", \"-c\", \"echo all good\"]\n",
    );
    let out = run_suite(dir.path(), &[]);
    assert_eq!(out.code(), 0, "{out:?}");
    let report = read_report(dir.path());
    let unit = layer(&report, "unit");
    assert_eq!(unit["outcome"], "passed", "{unit:#}");
    assert_eq!(unit["command"]["error"], Value::Null, "{unit:#}");
    let log = std::fs::read_to_string(unit["command"]["stdout_log"].as_str().expect("a log path"))
        .expect("the stdout log");
    assert!(log.contains("all good"), "{log}");
}

#[test]
fn sigint_during_a_file_reports_its_finished_entries_and_the_one_in_flight() {
    let dir = temp_dir();
    // The second entry goes to a listener that accepts and never answers: once the
    // test has accepted it, that entry is in flight.
    let hang = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback listener");
    hang.set_nonblocking(true).expect("non-blocking accept");
    let port = hang.local_addr().expect("its address").port();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!("{}\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n", fixture_server()),
    );
    write_file(
        dir.path(),
        "s/a.hurl",
        &format!(
            "GET {{{{base_url}}}}/health\nHTTP 200\n\nGET http://127.0.0.1:{port}/hang\nHTTP 200\n"
        ),
    );
    let mut run = Background::start(dir.path());
    let mut accepted = None;
    wait_until("the second entry is in flight", || {
        accepted = hang.accept().ok();
        accepted.is_some()
    });
    run.signal(rustix::process::Signal::INT);
    let (code, stderr) = run.wait();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("Executed requests: 1"), "{stderr}");
    let report = read_report(dir.path());
    assert_eq!(report["outcome"], "interrupted", "{report:#}");
    let files = report["files"].as_array().expect("files[]");
    assert_eq!(files.len(), 1, "{report:#}");
    assert_eq!(files[0]["outcome"], "interrupted", "{report:#}");
    let entries: Vec<&Value> = files[0]["entries"].as_array().expect("entries[]").iter().collect();
    assert_eq!(entries.len(), 2, "{report:#}");
    assert_eq!(entries[0]["outcome"], "passed");
    assert_eq!(entries[1]["outcome"], "interrupted");
    assert_eq!(entries[1]["line"], 4);
    let it = layer(&report, "it");
    assert_eq!(it["outcome"], "interrupted", "{it:#}");
    assert!(it["files"][0].as_str().is_some_and(|f| f.ends_with("a.hurl")), "{it:#}");
    drop(accepted);
}

#[test]
fn a_partial_report_exists_before_any_server_is_ready() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        "[server]\ncommand = [\"sh\", \"-c\", \"exec sleep 120\", \"{port}\"]\nready = { tcp = true, timeout = \"100s\" }\n\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n",
    );
    write_file(dir.path(), "s/a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let mut run = Background::start(dir.path());
    wait_until("the first checkpoint is written", || {
        std::fs::read_dir(dir.path().join("out"))
            .ok()
            .and_then(|mut runs| runs.next())
            .and_then(Result::ok)
            .is_some_and(|run| run.path().join("report.json").is_file())
    });
    // SIGKILL: shakedown writes nothing more; the checkpoint is what is left.
    run.child.kill().expect("SIGKILL");
    let _ = run.child.wait();
    let report = read_report(dir.path());
    assert_eq!(report["partial"], true, "{report:#}");
    assert_eq!(report["checkpoint"], true, "{report:#}");
    assert_eq!(report["outcome"], "interrupted", "{report:#}");
}

#[test]
fn a_flaky_suite_says_flaky_and_prints_the_framing_warnings_test_prints() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!("{}\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n", fixture_server()),
    );
    let faults = crate::support::repo_root().join("tests/scenarios/faults");
    for name in ["close-delimited-rst.hurl", "keepalive-race-rst-get.hurl"] {
        let text = std::fs::read_to_string(faults.join(name)).expect("a fault scenario");
        write_file(dir.path(), &format!("s/{name}"), &text);
    }
    let out = run_suite(dir.path(), &[]);
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(out.stderr().contains("completeness unknown"), "{out:?}");
    let report = read_report(dir.path());
    assert_eq!(report["outcome"], "flaky", "{out:?}");
    assert_eq!(layer(&report, "it")["outcome"], "flaky", "{report:#}");
    assert!(out.stderr().contains(": FLAKY (layers: it flaky)"), "{out:?}");
}

#[test]
fn a_stop_signal_check_accepts_is_the_one_run_sends() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "[server]\ncommand = [\"{}\", \"--port\", \"{{port}}\", \"--max-seconds\", \"120\"]\nready = {{ http = \"/health\", timeout = \"10s\" }}\nstop = {{ signal = \"SIGUSR1\", grace = \"10s\" }}\n\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n",
            fixture()
        ),
    );
    write_file(dir.path(), "s/a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let check = ShakedownCmd::new(["check", "shakedown.toml"]).current_dir(dir.path()).output();
    assert_eq!(check.code(), 0, "{check:?}");
    let out = run_suite(dir.path(), &[]);
    assert_eq!(out.code(), 0, "{out:?}");
    let report = read_report(dir.path());
    let stop = &report["servers"][0]["exit"]["stop"];
    assert_eq!(stop["signal_sent"], "SIGUSR1", "{report:#}");
    assert_eq!(stop["group_gone"], true, "{report:#}");
}

#[test]
fn servers_start_when_the_first_layer_that_needs_them_begins() {
    let dir = temp_dir();
    write_file(dir.path(), "s/a.hurl", "GET {{data_url}}/health\nHTTP 200\n");
    // The named server refuses to start without the fixture file the setup layer makes.
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "[servers.data]\ncommand = [\"sh\", \"-c\", \"test -f fixtures.db || exit 9; exec '{fx}' --port {{port}} --max-seconds 120\"]\nready = {{ http = \"/health\", timeout = \"10s\" }}\n\n{main}\n[[layer]]\nname = \"setup\"\ncommand = [\"touch\", \"fixtures.db\"]\n\n[[layer]]\nname = \"check\"\ncommand = [\"sh\", \"-c\", \"test -f fixtures.db\"]\nneeds = [\"data\"]\n\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n",
            fx = fixture(),
            main = fixture_server()
        ),
    );
    let out = run_suite(dir.path(), &[]);
    assert_eq!(out.code(), 0, "{out:?}");
    let stderr = out.stderr();
    let setup_done = stderr.find("layer setup: PASSED").expect("setup ran");
    let data_starting = stderr.find("server data: starting").expect("data started");
    let check_done = stderr.find("layer check: PASSED").expect("check ran");
    assert!(setup_done < data_starting, "data starts after the setup layer: {stderr}");
    assert!(data_starting < check_done, "data starts for `check`, which needs it: {stderr}");
}

#[test]
fn a_command_layer_gives_its_signal_when_the_server_is_broken() {
    let dir = temp_dir();
    write_file(dir.path(), "s/a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    write_file(
        dir.path(),
        "shakedown.toml",
        "[server]\ncommand = [\"sh\", \"-c\", \"echo 'no database' >&2; exit 3\", \"{port}\"]\nready = { tcp = true, timeout = \"10s\" }\n\n[[layer]]\nname = \"unit\"\ncommand = [\"true\"]\n\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n",
    );
    let out = run_suite(dir.path(), &["--keep-going"]);
    assert_eq!(out.code(), 3, "{out:?}");
    assert!(out.stderr().contains("layer unit: PASSED"), "{out:?}");
    assert!(out.stderr().contains("no database"), "{out:?}");
}

#[test]
fn run_and_test_name_the_subcommand_a_file_was_meant_for() {
    let dir = temp_dir();
    write_file(dir.path(), "a.hurl", "GET http://127.0.0.1:1/\nHTTP 200\n");
    write_file(dir.path(), "shakedown.toml", "[[layer]]\nname = \"unit\"\ncommand = [\"true\"]\n");
    let out = ShakedownCmd::new(["run", "a.hurl"]).current_dir(dir.path()).output();
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(
        out.stderr().contains("a.hurl is a scenario file: use `shakedown test a.hurl`"),
        "{out:?}"
    );
    assert!(!dir.path().join(".shakedown").exists(), "nothing ran: {out:?}");
    let out = ShakedownCmd::new(["test", "shakedown.toml"]).current_dir(dir.path()).output();
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(
        out.stderr().contains("shakedown.toml is a suite file: use `shakedown run shakedown.toml`"),
        "{out:?}"
    );
}

#[test]
fn run_finds_the_suite_in_a_parent_folder_and_resolves_its_paths_there() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "{}\n[[layer]]\nname = \"setup\"\ncommand = [\"touch\", \"setup-ran\"]\n\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n",
            fixture_server()
        ),
    );
    write_file(dir.path(), "s/a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let sub = dir.path().join("s/deeper");
    std::fs::create_dir_all(&sub).expect("a subfolder");
    let out = ShakedownCmd::new(["run", "--no-color"]).current_dir(&sub).output();
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(out.stderr().contains("a.hurl: Success"), "{out:?}");
    // The command layer ran in the suite's folder, and the run folder is beside the suite.
    assert!(dir.path().join("setup-ran").is_file(), "{out:?}");
    assert!(dir.path().join(".shakedown/latest/report.json").is_file(), "{out:?}");
    assert!(!sub.join(".shakedown").exists(), "{out:?}");
    // A folder argument means its shakedown.toml.
    let out = ShakedownCmd::new(["run", "--no-color", "--layer", "setup", "../.."])
        .current_dir(&sub)
        .output();
    assert_eq!(out.code(), 0, "{out:?}");
    // No suite anywhere up the tree: one line that says where shakedown looked.
    let empty = temp_dir();
    let out = ShakedownCmd::new(["run"]).current_dir(empty.path()).output();
    assert_eq!(out.code(), 2, "{out:?}");
    assert!(out.stderr().contains("could not find shakedown.toml in"), "{out:?}");
}

#[test]
fn run_file_runs_only_the_matching_scenario_files_with_the_suites_servers() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "{}\n[variables]\nwant = 200\n\n[[layer]]\nname = \"setup\"\ncommand = [\"touch\", \"setup-ran\"]\n\n[[layer]]\nname = \"a\"\nscenarios = [\"s/a*.hurl\"]\n\n[[layer]]\nname = \"b\"\nscenarios = [\"s/b*.hurl\"]\n",
            fixture_server()
        ),
    );
    // Every file uses a suite variable: --file keeps the suite's variables.
    for name in ["s/a1.hurl", "s/b1.hurl", "s/b2.hurl"] {
        write_file(
            dir.path(),
            name,
            "GET {{base_url}}/health\nHTTP 200\n[Asserts]\nstatus == {{want}}\n",
        );
    }
    let out = run_suite(dir.path(), &["--file", "s/b1.hurl"]);
    assert_eq!(out.code(), 0, "{out:?}");
    let stderr = out.stderr();
    assert!(stderr.contains("b1.hurl: Success"), "{out:?}");
    assert!(!stderr.contains("b2.hurl") && !stderr.contains("a1.hurl"), "{out:?}");
    assert!(!dir.path().join("setup-ran").exists(), "a command layer runs only if named: {out:?}");
    let report = read_report(dir.path());
    let names: Vec<&str> = report["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert_eq!(names, ["b"], "{report:#}");
    // A glob that matches nothing, or nothing of the suite, is a usage error.
    let out = run_suite(dir.path(), &["--file", "s/z*.hurl"]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(out.stderr().contains("--file s/z*.hurl: no file matches"), "{out:?}");
    let out = run_suite(dir.path(), &["--file", "shakedown.toml"]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(out.stderr().contains("none of them a scenario file of shakedown.toml"), "{out:?}");
    // From a subfolder, a glob is expanded there, as the shell would; --layer adds a command layer.
    let out = ShakedownCmd::new([
        "run",
        "--no-color",
        "--output-dir",
        "../out2",
        "--file",
        "a*.hurl",
        "--layer",
        "setup",
        "--layer",
        "a",
    ])
    .current_dir(&dir.path().join("s"))
    .output();
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(out.stderr().contains("a1.hurl: Success"), "{out:?}");
    assert!(!out.stderr().contains("b1.hurl"), "{out:?}");
    assert!(dir.path().join("setup-ran").is_file(), "{out:?}");
    let out = run_suite(dir.path(), &["--file", "s/b1.hurl", "--layer", "a"]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(out.stderr().contains("--file and --layer together select nothing"), "{out:?}");
    // A folder selects every scenario file under it.
    let out = run_suite(dir.path(), &["--file", "s"]);
    assert_eq!(out.code(), 0, "{out:?}");
    for name in ["a1.hurl: Success", "b1.hurl: Success", "b2.hurl: Success"] {
        assert!(out.stderr().contains(name), "{name}: {out:?}");
    }
}
