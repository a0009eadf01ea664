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

use crate::support::{shakedown_bin, temp_dir, write_file};

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

/// The live (non-zombie) processes whose argv or environment contains `marker`.
fn processes_marked(marker: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let me = std::process::id();
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.trim().chars().next());
            let contains = |file: &str| {
                std::fs::read(format!("/proc/{pid}/{file}"))
                    .unwrap_or_default()
                    .windows(marker.len())
                    .any(|w| w == marker.as_bytes())
            };
            state.is_some_and(|s| s != 'Z') && (contains("cmdline") || contains("environ"))
        })
        .collect()
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
    let deadline = Instant::now() + WAIT;
    let mut left = processes_marked(&marker);
    while !left.is_empty() && Instant::now() < deadline {
        pause_between_polls(Duration::from_millis(20));
        left = processes_marked(&marker);
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
