//! The seeded torture suite of issue 13: `shakedown run` receives SIGINT, SIGTERM,
//! SIGHUP or SIGKILL at a moment drawn from a tiny seeded PRNG (splitmix64): the
//! first instant (in practice before the handlers exist: the default action, death
//! by that signal, is accepted there and only there), the first checkpoint (handlers
//! installed: 130 from then on), each launch window (the hidden `SHAKEDOWN_TEST_PAUSE` pause
//! points), mid-run (a request in flight to a listener the test holds), plus runs
//! whose server crashes or never becomes ready.
//!
//! Every case asserts zero orphans (each case's marker is in the server's argv and in
//! the environment every process of the case inherits; `/proc` is polled with a
//! deadline once shakedown is reaped, so supervisors can finish their job), the
//! documented exit code, a parseable report whenever one exists (`"partial": true`
//! after a signal), and no `.tmp*` file left in the output folder after a following
//! run in the same folder.
//!
//! The default is a fixed seed and 18 cases (every moment twice);
//! `SHAKEDOWN_TORTURE_CASES=200` (and `SHAKEDOWN_TORTURE_SEED=N`) for local runs. A
//! failure prints the seed and the case list so that it replays.

use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rustix::process::Signal;

use crate::support::{
    ShakedownCmd, fixture_bin, processes_marked, shakedown_bin, temp_dir, write_file,
};

/// How long any wait in these tests may take before it fails.
const WAIT: Duration = Duration::from_secs(30);
/// The seed of the normal (CI) run.
const DEFAULT_SEED: u64 = 0x5EED_0013_2026_1206;
/// The number of cases of the normal (CI) run.
const DEFAULT_CASES: u64 = 18;

/// The tiny seeded PRNG (splitmix64).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).expect("a small n")).expect("below n")
    }
}

/// When the signal is sent (or what goes wrong instead).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Moment {
    /// Right after the spawn: `main` has installed the signal handlers and done nothing
    /// else (held there by the `signals-installed` pause point until a signal arrives).
    FirstInstant,
    /// Once the first checkpoint (`report.json`) exists, before any server starts.
    FirstCheckpoint,
    /// While shakedown (or its supervisor) waits at this pause point.
    Pause(&'static str),
    /// While a request of the scenario is in flight.
    MidRun,
    /// No signal: the server exits before it is ready.
    Crash,
    /// No signal: the server never becomes ready within a small timeout.
    NeverReady,
}

const MOMENTS: [Moment; 9] = [
    Moment::FirstInstant,
    Moment::FirstCheckpoint,
    Moment::Pause("server-spawned"),
    Moment::Pause("supervisor-started"),
    Moment::Pause("supervisor-order-read"),
    Moment::Pause("server-released"),
    Moment::MidRun,
    Moment::Crash,
    Moment::NeverReady,
];

const SIGNALS: [(Signal, &str); 4] = [
    (Signal::INT, "SIGINT"),
    (Signal::TERM, "SIGTERM"),
    (Signal::HUP, "SIGHUP"),
    (Signal::KILL, "SIGKILL"),
];

#[derive(Clone, Copy, Debug)]
struct Case {
    moment: Moment,
    /// Index into [`SIGNALS`]; unused for [`Moment::Crash`] and [`Moment::NeverReady`].
    signal: usize,
}

impl Case {
    fn signal(&self) -> Option<(Signal, &'static str)> {
        match self.moment {
            Moment::Crash | Moment::NeverReady => None,
            _ => SIGNALS.get(self.signal).copied(),
        }
    }

    fn describe(&self) -> String {
        match self.signal() {
            Some((_, name)) => format!("{name} at {:?}", self.moment),
            None => format!("{:?}", self.moment),
        }
    }
}

/// The case list of `seed`: a seeded rotation through every moment (so any 9
/// consecutive cases cover them all), each with a seeded signal.
fn cases(seed: u64, count: u64) -> Vec<Case> {
    let mut rng = SplitMix64(seed);
    let offset = rng.below(MOMENTS.len());
    (0..count)
        .map(|i| {
            let i = usize::try_from(i).expect("a case index");
            Case { moment: MOMENTS[(i + offset) % MOMENTS.len()], signal: rng.below(SIGNALS.len()) }
        })
        .collect()
}

fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// The pause between two polls of a bounded wait (never a synchronisation by itself).
#[expect(clippy::disallowed_methods, reason = "the pause between polls of a wait with a deadline")]
fn pause_between_polls(pause: Duration) {
    std::thread::sleep(pause);
}

/// Polls `condition` until it holds; an error once [`WAIT`] has passed.
fn wait_until(what: &str, mut condition: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + WAIT;
    let mut pause = Duration::from_millis(2);
    while !condition() {
        if Instant::now() >= deadline {
            return Err(format!("timed out waiting until {what}"));
        }
        pause_between_polls(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
    Ok(())
}

fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if condition { Ok(()) } else { Err(message()) }
}

fn send(pid: u32, signal: Signal) {
    if let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) {
        let _ = rustix::process::kill_process(pid, signal);
    }
}

/// `shakedown run` in the background; killed and reaped on drop.
struct Background {
    child: Child,
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Background {
    /// Waits (bounded) for the exit; SIGKILLs shakedown if it does not exit in time.
    fn wait(&mut self) -> Result<ExitStatus, String> {
        let mut status = None;
        let waited = wait_until("shakedown exits", || {
            status = self.child.try_wait().ok().flatten();
            status.is_some()
        });
        match status {
            Some(status) => Ok(status),
            None => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                Err(waited.err().unwrap_or_else(|| "shakedown did not exit".to_owned()))
            }
        }
    }
}

/// Every report file (`report.json`) in the run folders of `out`.
fn reports(out: &Path) -> Vec<PathBuf> {
    let Ok(runs) = std::fs::read_dir(out) else { return Vec::new() };
    runs.filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("run-"))
        .map(|e| e.path().join("report.json"))
        .filter(|p| p.is_file())
        .collect()
}

/// Every file or folder under `dir` whose name starts with `.tmp` or holds `.tmp`.
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if entry.file_name().to_string_lossy().contains(".tmp") {
                found.push(path.clone());
            }
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
            }
        }
    }
    found
}

/// The suite of one case; the server carries `marker` in its argv.
fn suite(case: &Case, marker: &str, hang_port: u16) -> (String, String) {
    let layer = "\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n";
    let fixture = fixture_bin().display().to_string();
    // The shell stays (the fixture is not its last command), so the marker stays in
    // a live argv for the server's whole life.
    let server = match case.moment {
        Moment::Crash => format!(
            "[server]\ncommand = [\"sh\", \"-c\", \"echo booting; exit 7; : {marker}\"]\nready = {{ tcp = true, timeout = \"20s\" }}\n"
        ),
        Moment::NeverReady => format!(
            "[server]\ncommand = [\"sh\", \"-c\", \"sleep 300; : {marker}\", \"{{port}}\"]\nready = {{ tcp = true, timeout = \"200ms\" }}\n"
        ),
        _ => format!(
            "[server]\ncommand = [\"sh\", \"-c\", \"\\\"$0\\\" --port \\\"$1\\\" --max-seconds 120; : {marker}\", \"{fixture}\", \"{{port}}\"]\nready = {{ http = \"/health\", status = 200, timeout = \"20s\" }}\n"
        ),
    };
    let scenario = format!(
        "GET {{{{base_url}}}}/health\nHTTP 200\n\nGET http://127.0.0.1:{hang_port}/hang\nHTTP 200\n"
    );
    (format!("{server}{layer}"), scenario)
}

/// Runs one case in a fresh folder; the error says what failed.
fn run_case(case: &Case, index: usize) -> Result<(), String> {
    let dir = temp_dir();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let marker = format!("shakedown-torture-{}-{index}-{nanos}", std::process::id());
    // A listener that accepts and never answers: the scenario's second request hangs
    // on it, so once the test has accepted it, the run is surely in flight.
    let hang = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    hang.set_nonblocking(true).map_err(|e| e.to_string())?;
    let hang_port = hang.local_addr().map_err(|e| e.to_string())?.port();
    let (toml, scenario) = suite(case, &marker, hang_port);
    write_file(dir.path(), "shakedown.toml", &toml);
    write_file(dir.path(), "s/a.hurl", &scenario);
    let pause_file = dir.path().join("paused");

    #[expect(clippy::disallowed_methods, reason = "the test runs the binary under test")]
    let mut command = Command::new(shakedown_bin());
    command
        .args(["run", "shakedown.toml", "--output-dir", "out", "--no-color"])
        .current_dir(dir.path())
        .env("SHAKEDOWN_TORTURE_MARKER", &marker)
        .env_remove("SHAKEDOWN_TEST_PAUSE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("stderr")).map_err(|e| e.to_string())?);
    if let Moment::Pause(point) = case.moment {
        command.env("SHAKEDOWN_TEST_PAUSE", format!("{point}:{}", pause_file.display()));
    }
    if case.moment == Moment::FirstInstant {
        command.env("SHAKEDOWN_TEST_PAUSE", format!("signals-installed:{}", pause_file.display()));
    }
    let mut run = Background { child: command.spawn().map_err(|e| e.to_string())? };
    let pid = run.child.id();

    let mut accepted = None;
    match case.moment {
        Moment::Crash | Moment::NeverReady => {}
        Moment::FirstInstant => {
            wait_until("shakedown has installed its signal handlers", || pause_file.is_file())?;
        }
        Moment::Pause(point) => {
            wait_until(&format!("shakedown pauses at {point}"), || pause_file.is_file())?;
        }
        Moment::FirstCheckpoint => {
            wait_until("the first checkpoint is written", || {
                !reports(&dir.path().join("out")).is_empty()
            })?;
        }
        Moment::MidRun => wait_until("the second request is in flight", || {
            accepted = hang.accept().ok();
            accepted.is_some()
        })?,
    }
    if case.moment == Moment::MidRun {
        // The scan sees what it must: the supervisor, the shell and the fixture.
        let marked = processes_marked(&marker).into_iter().filter(|&p| p != pid).count();
        ensure(marked >= 3, || format!("{marked} marked processes mid-run, not 3"))?;
    }
    if let Some((signal, _)) = case.signal() {
        send(pid, signal);
    }
    let status = run.wait();
    drop(accepted);
    let stderr = || std::fs::read_to_string(dir.path().join("stderr")).unwrap_or_default();

    // Zero orphans: poll (bounded) while supervisors finish their job.
    let mut left = processes_marked(&marker);
    let deadline = Instant::now() + WAIT;
    while !left.is_empty() && Instant::now() < deadline {
        pause_between_polls(Duration::from_millis(20));
        left = processes_marked(&marker);
    }
    for &orphan in &left {
        send(orphan, Signal::KILL);
    }
    ensure(left.is_empty(), || format!("orphans {left:?}; stderr:\n{}", stderr()))?;
    let status = status?;

    // The documented exit code.
    match case.signal() {
        None => ensure(status.code() == Some(3), || {
            format!("exit {status} instead of 3; stderr:\n{}", stderr())
        })?,
        Some((Signal::KILL, _)) => ensure(status.signal() == Some(9), || {
            format!("exit {status} instead of killed by signal 9")
        })?,
        Some(_) => ensure(status.code() == Some(130), || {
            format!("exit {status} instead of 130; stderr:\n{}", stderr())
        })?,
    }

    // A parseable report whenever one exists.
    for path in reports(&dir.path().join("out")) {
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        let report: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not JSON ({e}):\n{text}", path.display()))?;
        if case.signal().is_some() {
            ensure(report["partial"] == true, || format!("not partial: {report:#}"))?;
        }
    }
    // A signal in the first instant: the run stops before any server starts, and says so.
    if case.moment == Moment::FirstInstant
        && let Some((signal, name)) = case.signal()
        && signal != Signal::KILL
    {
        let found = reports(&dir.path().join("out"));
        let path = found.first().ok_or_else(|| format!("no report; stderr:\n{}", stderr()))?;
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let report: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        ensure(report["outcome"] == "interrupted", || format!("not interrupted: {report:#}"))?;
        let servers = report["servers"].as_array().map_or(0, Vec::len);
        ensure(servers == 0, || format!("a server started: {report:#}"))?;
        ensure(stderr().contains(&format!("{name} received")), || {
            format!("no word of {name}; stderr:\n{}", stderr())
        })?;
    }

    // No leftover `.tmp*` after a following run in the same folder.
    write_file(dir.path(), "follow.toml", "[[layer]]\nname = \"after\"\ncommand = [\"true\"]\n");
    let follow = ShakedownCmd::new(["run", "follow.toml", "--output-dir", "out", "--no-color"])
        .current_dir(dir.path())
        .output();
    ensure(follow.code() == 0, || format!("the following run failed: {follow:?}"))?;
    let temps = temporaries(&dir.path().join("out"));
    ensure(temps.is_empty(), || format!("temporary files left: {temps:?}"))?;
    Ok(())
}

#[test]
fn seeded_signals_crashes_and_stalls_leave_no_orphan_and_a_sound_report() {
    let seed = env_u64("SHAKEDOWN_TORTURE_SEED").unwrap_or(DEFAULT_SEED);
    let count = env_u64("SHAKEDOWN_TORTURE_CASES").unwrap_or(DEFAULT_CASES).clamp(1, 10_000);
    let cases = cases(seed, count);
    let list = || {
        cases
            .iter()
            .enumerate()
            .map(|(i, c)| format!("  {i}: {}", c.describe()))
            .collect::<Vec<_>>()
    };
    for (index, case) in cases.iter().enumerate() {
        if let Err(error) = run_case(case, index) {
            panic!(
                "torture case {index} ({}) failed: {error}\nreplay with SHAKEDOWN_TORTURE_SEED={seed:#x} SHAKEDOWN_TORTURE_CASES={count}\ncases:\n{}",
                case.describe(),
                list().join("\n")
            );
        }
    }
}

#[test]
fn the_case_list_is_a_function_of_the_seed_and_covers_every_moment() {
    let a = cases(DEFAULT_SEED, DEFAULT_CASES);
    let b = cases(DEFAULT_SEED, DEFAULT_CASES);
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    for moment in MOMENTS {
        assert!(a.iter().filter(|c| c.moment == moment).count() >= 2, "{moment:?} in {a:?}");
    }
    let signals: Vec<usize> = a.iter().filter(|c| c.signal().is_some()).map(|c| c.signal).collect();
    for index in 0..SIGNALS.len() {
        assert!(signals.contains(&index), "signal {index} never drawn: {a:?}");
    }
}

/// What a checkpoint killed mid-replacement leaves (`.tmpXXXXXX` beside the report, in a
/// run folder or beside a `json=` report) is removed by the next run in that folder, once
/// it is old enough not to be a live run's; anything else is left alone.
#[test]
fn the_next_run_removes_stale_checkpoint_temporaries_and_nothing_else() {
    let dir = temp_dir();
    write_file(dir.path(), "s.toml", "[[layer]]\nname = \"after\"\ncommand = [\"true\"]\n");
    let head = "{\n  \"schema\": \"shakedown.report/v1\",\n  \"outcome\": \"interrupted\",";
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    let plant = |name: &str, text: &str, modified: std::time::SystemTime| {
        let path = write_file(dir.path(), name, text);
        let file = std::fs::File::options().write(true).open(&path).expect("planted");
        file.set_modified(modified).expect("an old modification time");
        path
    };
    let stale_run = plant("out/run-20260101T000000.000Z-1/.tmpAbC123", head, old);
    let stale_empty = plant("out/run-20260101T000000.000Z-1/.tmpZZZ999", "", old);
    let stale_json = plant("reports/.tmpQwErTy", head, old);
    let young =
        plant("out/run-20260101T000000.000Z-1/.tmpYoung1", head, std::time::SystemTime::now());
    let foreign = plant("out/run-20260101T000000.000Z-1/.tmpOther1", "someone else's", old);
    let run = ShakedownCmd::new([
        "run",
        "s.toml",
        "--output-dir",
        "out",
        "--report",
        "json=reports/r.json",
        "--no-color",
    ])
    .current_dir(dir.path())
    .output();
    assert_eq!(run.code(), 0, "{run:?}");
    assert!(!stale_run.exists(), "a stale checkpoint temporary stayed in the run folder");
    assert!(!stale_empty.exists(), "an empty stale temporary stayed");
    assert!(!stale_json.exists(), "a stale temporary stayed beside the json= report");
    assert!(young.exists(), "a young temporary (maybe a live run's) was removed");
    assert!(foreign.exists(), "another program's temporary was removed");
    assert!(dir.path().join("reports/r.json").is_file());
}
