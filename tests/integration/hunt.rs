//! `shakedown hunt` against the fixture service's `/flaky/` route, which resets a seeded
//! fraction of requests: the reported Wilson interval contains the true rate, and the
//! printed seed replays the first failure at the same run; for .hurl files against a
//! fixture the test starts, and for a suite whose server is the fixture (started once by
//! the hunt, stopped at its end, no orphan after a Ctrl-C).

use std::path::{Path, PathBuf};

use crate::support::{Fixture, RunOutput, ShakedownCmd, temp_dir, write_file};

/// A file of one `GET {{base_url}}/flaky/NAME` expecting 200.
fn flaky_file(dir: &Path, name: &str) -> PathBuf {
    write_file(
        dir,
        &format!("{name}.hurl"),
        &format!(
            "# One request to /flaky/ (generated).\nGET {{{{base_url}}}}/flaky/{name}\nHTTP 200\n"
        ),
    )
}

fn hunt(fixture: &Fixture, files: &[PathBuf], extra: &[&str]) -> RunOutput {
    let mut args: Vec<String> = vec!["hunt".into(), "--transport-retry".into(), "off".into()];
    args.push("--variable".into());
    args.push(format!("base_url={}", fixture.base_url));
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    args.extend(files.iter().map(|f| f.display().to_string()));
    ShakedownCmd::new(args).output()
}

/// The printed interval of the entry whose label ends with `suffix`, as fractions.
fn interval(stdout: &str, suffix: &str) -> (f64, f64) {
    let mut lines = stdout.lines().skip_while(|l| !l.ends_with(suffix));
    let line = lines
        .find(|l| l.contains("95% Wilson interval"))
        .unwrap_or_else(|| panic!("no interval for {suffix}: {stdout}"));
    let numbers: Vec<f64> = line
        .split_whitespace()
        .filter_map(|w| w.trim_end_matches([',', '%']).parse::<f64>().ok())
        .collect();
    // failure rate R%, 95% Wilson interval LO% to HI%
    assert_eq!(numbers.len(), 4, "{line}");
    (numbers[2] / 100.0, numbers[3] / 100.0)
}

/// `runs R, attempts A, failures F, flaky passes P` of the entry whose label ends with `suffix`.
fn counts(stdout: &str, suffix: &str) -> Vec<u64> {
    let mut lines = stdout.lines().skip_while(|l| !l.ends_with(suffix));
    let line =
        lines.find(|l| l.trim_start().starts_with("runs ")).unwrap_or_else(|| panic!("{stdout}"));
    line.split_whitespace().filter_map(|w| w.trim_end_matches(',').parse().ok()).collect()
}

fn stat(fixture: &Fixture, key: &str) -> u64 {
    let stats = fixture.get_json("/stats");
    stats[key].as_u64().unwrap_or_else(|| panic!("/stats has no {key}: {stats}"))
}

#[test]
fn the_reported_interval_contains_the_true_reset_rate() {
    let fixture = Fixture::start(&["--reset-percent", "30", "--seed", "7"]);
    let dir = temp_dir();
    let file = flaky_file(dir.path(), "one");
    let r = hunt(&fixture, &[file], &["--runs", "60", "--seed", "11"]);
    let (requests, resets) = (stat(&fixture, "flaky_requests"), stat(&fixture, "resets_sent"));
    assert_eq!(requests, 60, "{r:?}");
    assert!(resets > 0 && resets < 60, "the fixture reset some but not all: {resets}");
    // Every reset fails the entry (no transport retry), nothing else does.
    assert_eq!(counts(&r.stdout(), "/flaky/one"), vec![60, 60, resets, 0], "{r:?}");
    let truth = resets as f64 / requests as f64;
    let (lo, hi) = interval(&r.stdout(), "/flaky/one");
    assert!(lo <= truth && truth <= hi, "{truth} not in [{lo}, {hi}]: {r:?}");
    assert!(lo > 0.0 && hi < 1.0, "{r:?}");
    // A reset after the request was written: a diagnosed cause is named.
    assert!(r.stdout().contains("  causes: "), "{r:?}");
    // A transport failure is exit 3, as `test` would give.
    assert_eq!(r.code(), 3, "{r:?}");
    assert!(r.stderr().contains("seed 11"), "{r:?}");
}

#[test]
fn replaying_the_printed_seed_reproduces_the_first_failure_at_the_same_run() {
    let dir = temp_dir();
    let files =
        [flaky_file(dir.path(), "a"), flaky_file(dir.path(), "b"), flaky_file(dir.path(), "c")];
    let fixture = Fixture::start(&["--reset-percent", "20", "--seed", "3"]);
    // No --seed: a random one, printed.
    let first = hunt(&fixture, &files, &["--runs", "30"]);
    drop(fixture);
    let out = first.stdout();
    let line = out
        .lines()
        .find(|l| l.starts_with("first failure: run "))
        .unwrap_or_else(|| panic!("no failure in 90 requests at 20%: {first:?}"));
    let seed = line
        .split("(seed ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(first.stderr().contains(&format!("seed {seed}")), "{first:?}");

    // The same fixture seed and the printed seed: the same orders meet the same resets.
    let fixture = Fixture::start(&["--reset-percent", "20", "--seed", "3"]);
    let replay = hunt(&fixture, &files, &["--runs", "30", "--seed", seed]);
    assert_eq!(replay.stdout(), out, "{replay:?}");
    assert!(replay.stdout().contains(line), "{replay:?}");

    // --until-fail stops after the run of the first failure.
    drop(fixture);
    let fixture = Fixture::start(&["--reset-percent", "20", "--seed", "3"]);
    let until = hunt(&fixture, &files, &["--runs", "30", "--seed", seed, "--until-fail"]);
    let run: u64 = line["first failure: run ".len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(until.stdout().contains(line), "{until:?}");
    assert_eq!(stat(&fixture, "flaky_requests"), run * 3, "{until:?}");
}

#[test]
fn a_hunt_without_failures_exits_0_and_bad_combinations_are_usage_errors() {
    let fixture = Fixture::start(&["--reset-percent", "0", "--seed", "1"]);
    let dir = temp_dir();
    let file = flaky_file(dir.path(), "ok");
    let r = hunt(&fixture, &[file], &["--runs", "5"]);
    assert_eq!(r.code(), 0, "{r:?}");
    assert_eq!(counts(&r.stdout(), "/flaky/ok"), vec![5, 5, 0, 0], "{r:?}");
    assert!(r.stdout().contains("no failure in 5 run(s)"), "{r:?}");
    let suite = write_file(dir.path(), "shakedown.toml", "");
    let r = hunt(&fixture, &[suite.clone(), dir.path().join("ok.hurl")], &[]);
    assert_eq!(r.code(), 1, "{r:?}");
    assert!(r.stderr().contains("one suite (shakedown.toml) or .hurl files, not both"), "{r:?}");
    // A flag of `test` that `run` does not take.
    let r = hunt(&fixture, &[suite], &["--report-junit", "j.xml"]);
    assert_eq!(r.code(), 1, "{r:?}");
    assert!(r.stderr().contains("the flags of `shakedown run`"), "{r:?}");
    let r = ShakedownCmd::new(["hunt", "--runs", "0", "x.hurl"]).output();
    assert_eq!(r.code(), 1, "{r:?}");
    let file = dir.path().join("ok.hurl").display().to_string();
    let report = dir.path().join("r.json").display().to_string();
    for extra in [["--jobs", "2"], ["--report-junit", report.as_str()], ["--duration", "11m"]] {
        let r = ShakedownCmd::new(["hunt", extra[0], extra[1], file.as_str()]).output();
        assert_eq!(r.code(), 1, "{extra:?} {r:?}");
        assert!(r.stderr().contains("error: "), "{r:?}");
    }
}

#[test]
fn sigint_stops_the_hunt_and_prints_what_was_gathered() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};

    let fixture = Fixture::start(&["--reset-percent", "100", "--seed", "1"]);
    let dir = temp_dir();
    let failing = flaky_file(dir.path(), "always");
    // Then a request the fixture leaves unanswered for seconds: the hunt is in it when signalled.
    let silent = write_file(
        dir.path(),
        "silent.hurl",
        "GET {{base_url}}/fault/silent-close?delay_ms=4000\nHTTP 200\n",
    );
    #[expect(clippy::disallowed_methods, reason = "the test signals the hunt it starts")]
    let mut command = Command::new(crate::support::shakedown_bin());
    command
        .args(["hunt", "--transport-retry", "off", "--no-shuffle", "--runs", "1", "--variable"])
        .arg(format!("base_url={}", fixture.base_url))
        .arg(&failing)
        .arg(&silent)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("shakedown starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    // The first file's failure is printed when it happens: the second file is running then.
    loop {
        let mut line = String::new();
        let read = stderr.read_line(&mut line).expect("stderr is read");
        seen.push_str(&line);
        assert!(read > 0, "the hunt ended without a failure line: {seen}");
        if line.starts_with("first failure: run 1 ") {
            break;
        }
    }
    let pid = rustix::process::Pid::from_raw(i32::try_from(child.id()).expect("a pid"))
        .expect("a valid pid");
    rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("SIGINT is sent");
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).expect("stderr");
    let mut stdout = String::new();
    child.stdout.take().expect("stdout").read_to_string(&mut stdout).expect("stdout");
    let status = child.wait().expect("the hunt ends");
    assert_eq!(status.code(), Some(130), "{seen}{rest}{stdout}");
    assert!(rest.contains("(interrupted)"), "{rest}");
    // What was gathered: the first file's run, not the interrupted one.
    assert_eq!(counts(&stdout, "/flaky/always"), vec![1, 1, 1, 0], "{stdout}");
    assert!(!stdout.contains("silent-close"), "{stdout}");
    assert!(stdout.contains("first failure: run 1 "), "{stdout}");
}

/// A suite whose main server is the fixture, resetting `percent` % of `/flaky/` requests
/// (seed 7), with `marker` in the argv of its shell for the orphan check, and one
/// scenario layer of `files` (name, text).
fn flaky_suite(dir: &Path, percent: u32, marker: &str, files: &[(&str, &str)]) -> PathBuf {
    let fixture = crate::support::fixture_bin().display().to_string();
    for (name, text) in files {
        write_file(dir, &format!("s/{name}.hurl"), text);
    }
    write_file(
        dir,
        "shakedown.toml",
        &format!(
            "[server]\ncommand = [\"sh\", \"-c\", \"\\\"$0\\\" --port \\\"$1\\\" --reset-percent {percent} --seed 7 --max-seconds 120; : {marker}\", \"{fixture}\", \"{{port}}\"]\nready = {{ http = \"/health\", status = 200, timeout = \"20s\" }}\n\n[[layer]]\nname = \"api\"\nscenarios = [\"s/*.hurl\"]\n"
        ),
    )
}

fn flaky_text(name: &str) -> String {
    format!("GET {{{{base_url}}}}/flaky/{name}\nHTTP 200\n")
}

fn suite_hunt(dir: &Path, extra: &[&str]) -> RunOutput {
    let mut args = vec!["hunt", "shakedown.toml", "--transport-retry", "off", "--no-color"];
    args.extend_from_slice(extra);
    ShakedownCmd::new(args).current_dir(dir).output()
}

fn marker(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("shakedown-hunt-{name}-{}-{nanos}", std::process::id())
}

#[test]
fn a_suite_hunt_reports_an_interval_containing_the_true_rate_and_its_seed_replays() {
    let dir = temp_dir();
    let mark = marker("rate");
    let texts: Vec<(String, String)> =
        ["a", "b", "c"].iter().map(|n| ((*n).to_owned(), flaky_text(n))).collect();
    let files: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    flaky_suite(dir.path(), 30, &mark, &files);
    let r = suite_hunt(dir.path(), &["--runs", "20", "--seed", "11"]);
    assert_eq!(r.code(), 3, "a reset is a transport failure, exit 3 as in run: {r:?}");
    assert!(r.stderr().contains("server main: ready at "), "{r:?}");
    // The server started once and stayed up: one ready line for 20 runs.
    assert_eq!(r.stderr().matches("server main: ready at ").count(), 1, "{r:?}");
    assert!(r.stderr().contains("hunt: run 20 done: 3 file(s)"), "{r:?}");

    // The truth: the same fixture seed draws the same sequence for any 60 requests.
    let fixture = Fixture::start(&["--reset-percent", "30", "--seed", "7"]);
    let truth_files: Vec<PathBuf> = ["x"].iter().map(|n| flaky_file(dir.path(), n)).collect();
    let truth_run = hunt(&fixture, &truth_files, &["--runs", "60", "--seed", "1"]);
    assert_eq!(stat(&fixture, "flaky_requests"), 60, "{truth_run:?}");
    let resets = stat(&fixture, "resets_sent");
    let out = r.stdout();
    let mut failures = 0;
    for name in ["a", "b", "c"] {
        let suffix = format!("/flaky/{name}");
        let c = counts(&out, &suffix);
        assert_eq!((c[0], c[1], c[3]), (20, 20, 0), "{name}: {out}");
        failures += c[2];
        let (lo, hi) = interval(&out, &suffix);
        let realized = resets as f64 / 60.0;
        for truth in [0.30, realized] {
            assert!(lo <= truth && truth <= hi, "{truth} not in [{lo}, {hi}] for {name}: {out}");
        }
    }
    assert_eq!(failures, resets, "every reset, and only those, failed an entry: {out}");
    assert!(out.contains("  causes: "), "{out}");

    // No --seed: a random one, printed; replaying it gives the same first failure.
    let first = suite_hunt(dir.path(), &["--runs", "10"]);
    let out = first.stdout();
    let line = out
        .lines()
        .find(|l| l.starts_with("first failure: run "))
        .unwrap_or_else(|| panic!("no failure in 30 requests at 30%: {first:?}"));
    let seed = line
        .split("(seed ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("{line}"));
    let replay = suite_hunt(dir.path(), &["--runs", "10", "--seed", seed]);
    assert!(replay.stdout().contains(line), "{replay:?}");
    assert_eq!(replay.stdout(), out, "{replay:?}");
    let until = suite_hunt(dir.path(), &["--runs", "10", "--seed", seed, "--until-fail"]);
    assert!(until.stdout().contains(line), "{until:?}");
    let run: u64 = line["first failure: run ".len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(until.stderr().contains(&format!("hunt: {run} run(s) in ")), "{until:?}");
    assert!(crate::support::processes_marked(&mark).is_empty(), "a server outlived its hunt");
}

#[test]
fn a_suite_hunt_runs_files_in_parallel_with_jobs() {
    let dir = temp_dir();
    let mark = marker("jobs");
    let texts: Vec<(String, String)> =
        ["a", "b", "c", "d"].iter().map(|n| ((*n).to_owned(), flaky_text(n))).collect();
    let files: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    flaky_suite(dir.path(), 0, &mark, &files);
    let r = suite_hunt(dir.path(), &["--runs", "3", "--jobs", "2", "--seed", "4"]);
    assert_eq!(r.code(), 0, "{r:?}");
    for name in ["a", "b", "c", "d"] {
        assert_eq!(counts(&r.stdout(), &format!("/flaky/{name}")), vec![3, 3, 0, 0], "{r:?}");
    }
    assert!(r.stdout().contains("no failure in 3 run(s) (seed 4)"), "{r:?}");
    assert!(crate::support::processes_marked(&mark).is_empty(), "a server outlived its hunt");
}

#[test]
fn sigint_stops_a_suite_hunt_prints_what_was_gathered_and_leaves_no_orphan() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};

    let dir = temp_dir();
    let mark = marker("sigint");
    let always = flaky_text("always");
    // Each run takes a while: the hunt is in a run when signalled.
    let slow = "GET {{base_url}}/delay/200\nHTTP 200\n".to_owned();
    flaky_suite(dir.path(), 100, &mark, &[("always", &always), ("slow", &slow)]);
    #[expect(clippy::disallowed_methods, reason = "the test signals the hunt it starts")]
    let mut command = Command::new(crate::support::shakedown_bin());
    command
        .args(["hunt", "shakedown.toml", "--transport-retry", "off", "--no-color"])
        .args(["--runs", "100000", "--duration", "120s", "--seed", "2"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("shakedown starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let read = stderr.read_line(&mut line).expect("stderr is read");
        seen.push_str(&line);
        assert!(read > 0, "the hunt ended before its first run was done: {seen}");
        if line.starts_with("hunt: run 1 done") {
            break;
        }
    }
    // The server is up, and marked, while the hunt runs.
    let running = crate::support::processes_marked(&mark);
    assert!(!running.is_empty(), "the scan does not see the server: {seen}");
    let pid = rustix::process::Pid::from_raw(i32::try_from(child.id()).expect("a pid"))
        .expect("a valid pid");
    rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("SIGINT is sent");
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).expect("stderr");
    let mut stdout = String::new();
    child.stdout.take().expect("stdout").read_to_string(&mut stdout).expect("stdout");
    let status = child.wait().expect("the hunt ends");
    assert_eq!(status.code(), Some(130), "{seen}{rest}{stdout}");
    assert!(rest.contains("(interrupted by SIGINT)"), "{rest}");
    // What was gathered: every finished run, the same count for each entry.
    let runs: u64 = rest
        .lines()
        .find_map(|l| l.strip_prefix("hunt: ")?.split_once(" run(s) in ")?.0.parse().ok())
        .unwrap_or_else(|| panic!("no run count: {rest}"));
    assert!(runs >= 1, "{rest}");
    assert_eq!(counts(&stdout, "/flaky/always"), vec![runs, runs, runs, 0], "{stdout}");
    assert_eq!(counts(&stdout, "/delay/200"), vec![runs, runs, 0, 0], "{stdout}");
    assert!(stdout.contains("first failure: run 1 "), "{stdout}");
    // The server was stopped before shakedown exited: nothing marked is left.
    let left = crate::support::processes_marked(&mark);
    assert!(left.is_empty(), "orphans {left:?}: {seen}{rest}");
}

/// A signal in the first instant (the `signals-installed` pause point: `main` has installed
/// its handlers and done nothing else) is honoured once the hunt begins: nothing is sent, no
/// server starts, exit 130 with an empty tally.
#[test]
fn a_signal_in_the_first_instant_stops_a_hunt_before_anything_starts() {
    use std::process::{Command, Stdio};

    let fixture = Fixture::start(&["--reset-percent", "0", "--seed", "1"]);
    let dir = temp_dir();
    let file = flaky_file(dir.path(), "early");
    let mark = marker("early");
    flaky_suite(dir.path(), 0, &mark, &[("early", &flaky_text("early"))]);
    let base_url = format!("base_url={}", fixture.base_url);
    let cases: [(&[&str], rustix::process::Signal); 2] = [
        (&["hunt", "--variable", &base_url, "--runs", "3"], rustix::process::Signal::TERM),
        (&["hunt", "shakedown.toml", "--runs", "3"], rustix::process::Signal::HUP),
    ];
    for (index, (args, signal)) in cases.into_iter().enumerate() {
        let paused = dir.path().join(format!("paused-{index}"));
        #[expect(clippy::disallowed_methods, reason = "the test signals the hunt it starts")]
        let mut command = Command::new(crate::support::shakedown_bin());
        command.args(args).current_dir(dir.path());
        if index == 0 {
            command.arg(&file);
        }
        let child = command
            .env("SHAKEDOWN_TEST_PAUSE", format!("signals-installed:{}", paused.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("shakedown starts");
        wait_for_file(&paused);
        let pid = rustix::process::Pid::from_raw(i32::try_from(child.id()).expect("a pid"))
            .expect("a valid pid");
        rustix::process::kill_process(pid, signal).expect("the signal is sent");
        let out = child.wait_with_output().expect("the hunt ends");
        let (stdout, stderr) =
            (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(130), "{args:?}: {stderr}{stdout}");
        assert!(stdout.contains("no failure in 0 run(s)"), "{args:?}: {stdout}");
        assert!(!stderr.contains("ready at"), "a server started: {stderr}");
    }
    assert_eq!(stat(&fixture, "flaky_requests"), 0, "the file hunt sent a request");
    assert!(crate::support::processes_marked(&mark).is_empty(), "a server was left");
}

/// Polls (bounded: 30 s) until `path` exists: the pause point's marker.
fn wait_for_file(path: &Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut pause = std::time::Duration::from_millis(2);
    while !path.is_file() {
        assert!(std::time::Instant::now() < deadline, "{} never appeared", path.display());
        pause_between_polls(pause);
        pause = (pause * 2).min(std::time::Duration::from_millis(50));
    }
}

#[expect(clippy::disallowed_methods, reason = "the pause between polls of a wait with a deadline")]
fn pause_between_polls(pause: std::time::Duration) {
    std::thread::sleep(pause);
}
