//! What a person reads in the terminal: the verdict words coloured on request
//! (`--color[=WHEN]`, NO_COLOR), plain when piped; server start and ready lines; a summary
//! whose lines add up; one line saying why when nothing ran.

use crate::support::{Fixture, ShakedownCmd, fixture_bin, temp_dir, write_file};

const ESC: char = '\u{1b}';

#[test]
fn verdict_words_are_coloured_with_color_and_plain_when_piped_or_no_color() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let pass = write_file(dir.path(), "pass.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let fail = write_file(dir.path(), "fail.hurl", "GET {{base_url}}/health\nHTTP 404\n");
    let base_url = format!("base_url={}", fixture.base_url);
    let run = |color: Option<&str>, no_color_env: bool| {
        let mut args = vec!["test", "--jobs", "1", "--variable", &base_url];
        args.extend(color);
        let (pass, fail) = (pass.display().to_string(), fail.display().to_string());
        let mut args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        args.extend([pass, fail]);
        let mut cmd = ShakedownCmd::new(&args);
        if no_color_env {
            cmd = cmd.env("NO_COLOR", "1");
        }
        cmd.output()
    };
    for color in [Some("--color"), Some("--color=always")] {
        let out = run(color, true);
        assert_eq!(out.code(), 4, "{out:?}");
        let stderr = out.stderr();
        assert!(stderr.contains("\u{1b}[1;32mSuccess\u{1b}[0m"), "a flag beats NO_COLOR: {out:?}");
        assert!(stderr.contains("\u{1b}[1;31mFailure\u{1b}[0m"), "{out:?}");
    }
    // Piped (the test's stderr is a pipe), NO_COLOR, or --color=never: no escape at all.
    for (color, env) in
        [(None, false), (Some("--color=auto"), true), (Some("--color=never"), false)]
    {
        let out = run(color, env);
        assert_eq!(out.code(), 4, "{out:?}");
        assert!(!out.stderr().contains(ESC), "{color:?}: {out:?}");
        assert!(out.stderr().contains("pass.hurl: Success"), "{out:?}");
    }
    // Hurl's --no-color still works (and a bare `--color` above did not eat the file name).
    let out = run(Some("--no-color"), false);
    assert!(!out.stderr().contains(ESC), "{out:?}");
}

#[test]
fn the_summary_adds_up_and_says_why_nothing_ran() {
    let dir = temp_dir();
    write_file(dir.path(), "a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let suite = format!(
        "[server]\ncommand = [\"{}\", \"--port\", \"{{port}}\", \"--max-seconds\", \"120\"]\nready = {{ http = \"/health\", timeout = \"10s\" }}\n\n[[layer]]\nname = \"unit\"\ncommand = [\"false\"]\n\n[[layer]]\nname = \"api\"\nscenarios = [\"a.hurl\"]\n",
        fixture_bin().display()
    );
    write_file(dir.path(), "shakedown.toml", &suite);
    // The command layer fails, so the scenario layer does not run: nothing ran, and why.
    let out = ShakedownCmd::new(["run", "shakedown.toml", "--output-dir", "out"])
        .current_dir(dir.path())
        .output();
    assert_eq!(out.code(), 6, "{out:?}");
    let stderr = out.stderr();
    assert!(stderr.contains("No file ran: an earlier layer failed"), "{out:?}");
    assert!(!stderr.contains("Executed files"), "no block of zeros: {out:?}");
    assert!(
        stderr.contains("layer api: 0 passed, 0 flaky, 0 failed, 0 errored, 1 not run"),
        "per layer: {out:?}"
    );

    // With --keep-going the file runs: the server's start and ready lines, then a summary.
    let out = ShakedownCmd::new(["run", "shakedown.toml", "--output-dir", "out", "--keep-going"])
        .current_dir(dir.path())
        .output();
    assert_eq!(out.code(), 6, "{out:?}");
    let stderr = out.stderr();
    let starting = stderr.find("server main: starting").expect("a starting line");
    let ready = stderr.find("server main: ready at http://127.0.0.1:").expect("a ready line");
    assert!(starting < ready, "{out:?}");
    for line in [
        "Passed files:      1 (100.0%)",
        "Flaky files:       0 (0.0%)",
        "Errored files:     0 (0.0%)",
    ] {
        assert!(stderr.contains(line), "missing {line}: {out:?}");
    }
    assert!(stderr.contains("of requests in flight"), "{out:?}");
    assert!(stderr.contains("Slowest:           a.hurl:1 GET {{base_url}}/health"), "{out:?}");
}

/// The pause between two polls of a bounded wait (never a synchronisation by itself).
#[expect(clippy::disallowed_methods, reason = "the pause between polls of a wait with a deadline")]
fn pause_between_polls(pause: std::time::Duration) {
    std::thread::sleep(pause);
}

/// A tmux server of this test's own (its socket named after the test's pid; also used by
/// `load.rs`).
pub(crate) struct Tmux {
    pub(crate) socket: String,
}

impl Tmux {
    pub(crate) fn run(&self, args: &[&str]) -> String {
        #[expect(clippy::disallowed_methods, reason = "tmux gives the display a pseudo-terminal")]
        let out = std::process::Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run tmux ({e}): apt-get install -y tmux (.ci/run does)")
            });
        assert!(out.status.success(), "tmux {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(crate) fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "live"])
    }

    /// Polls the screen until `done` holds, for at most a minute.
    pub(crate) fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut pause = std::time::Duration::from_millis(5);
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {what}:\n{screen}"
            );
            pause_between_polls(pause);
            pause = (pause * 2).min(std::time::Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Ends this test's own tmux server (and the pane's process) by its socket.
        let _ = std::panic::catch_unwind(|| self.run(&["kill-server"]));
    }
}

#[test]
fn the_live_display_shows_the_running_file_and_the_ready_server_in_a_terminal() {
    use std::io::{Read, Write};
    // A service that holds the request until the test has seen the display.
    let hold = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = hold.local_addr().expect("address").port();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let (mut stream, _) = hold.accept().expect("shakedown connects");
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request);
        let _ = released.recv();
        let _ =
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    let dir = temp_dir();
    write_file(dir.path(), "slow.hurl", &format!("GET http://127.0.0.1:{port}/slow\nHTTP 200\n"));
    let suite = format!(
        "[server]\ncommand = [\"{}\", \"--port\", \"{{port}}\", \"--max-seconds\", \"120\"]\nready = {{ http = \"/health\", timeout = \"10s\" }}\n\n[[layer]]\nname = \"api\"\nscenarios = [\"slow.hurl\"]\n",
        fixture_bin().display()
    );
    write_file(dir.path(), "shakedown.toml", &suite);
    let command = format!(
        "cd '{}' && '{}' run shakedown.toml --output-dir out --color=never",
        dir.path().display(),
        crate::support::shakedown_bin().display()
    );
    let tmux = Tmux { socket: format!("shakedown-live-{}", std::process::id()) };
    tmux.run(&["new-session", "-d", "-x", "200", "-y", "40", "-s", "live", &command]);
    tmux.run(&["set-option", "-t", "live", "remain-on-exit", "on"]);
    let live = tmux.wait_for("the running file on the status line", |s| {
        s.contains("running slow.hurl") && s.contains("files 0/1")
    });
    assert!(live.contains("server main: ready at http://127.0.0.1:"), "{live}");
    assert!(live.contains("· server main ready at http://127.0.0.1:"), "{live}");
    assert!(live.contains("layer api"), "{live}");
    release.send(()).expect("the holder waits");
    holder.join().expect("the holder ends");
    let done = tmux.wait_for("the end of the run", |s| s.contains("suite shakedown.toml: PASSED"));
    assert!(!done.contains("running slow.hurl"), "the status line is cleared:\n{done}");
    assert!(done.contains("slow.hurl: Success"), "{done}");
}

/// Issue 7: `test` runs on the same event stream, so its live display shows the running
/// file, the entry it is at and the entries done, and clears itself before the summary.
#[test]
fn the_live_display_of_test_shows_the_running_file_and_its_entry_in_a_terminal() {
    use std::io::{Read, Write};
    // A service that answers the first request at once and holds the second until the
    // test has seen the display.
    let hold = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = hold.local_addr().expect("address").port();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        for held in [false, true] {
            let (mut stream, _) = hold.accept().expect("shakedown connects");
            let mut request = [0u8; 1024];
            let _ = stream.read(&mut request);
            if held {
                let _ = released.recv();
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    let dir = temp_dir();
    write_file(
        dir.path(),
        "slow.hurl",
        &format!(
            "GET http://127.0.0.1:{port}/fast\nHTTP 200\nGET http://127.0.0.1:{port}/slow\nHTTP 200\n"
        ),
    );
    let command = format!(
        "cd '{}' && '{}' test slow.hurl --color=never",
        dir.path().display(),
        crate::support::shakedown_bin().display()
    );
    let tmux = Tmux { socket: format!("shakedown-live-test-{}", std::process::id()) };
    tmux.run(&["new-session", "-d", "-x", "200", "-y", "40", "-s", "live", &command]);
    tmux.run(&["set-option", "-t", "live", "remain-on-exit", "on"]);
    let live = tmux.wait_for("the running file and its entry on the status line", |s| {
        s.contains("running slow.hurl (entry 2)")
    });
    assert!(live.contains("files 0/1"), "{live}");
    assert!(live.contains("entries 1"), "{live}");
    assert!(live.contains("retries 0"), "{live}");
    release.send(()).expect("the holder waits");
    holder.join().expect("the holder ends");
    tmux.wait_for("the end of the run", |s| s.contains("Executed files:"));
    // The pane with its history: tmux sometimes scrolls the first line out of view.
    let done = tmux.run(&["capture-pane", "-p", "-S", "-", "-t", "live"]);
    assert!(!done.contains("running slow.hurl"), "the status line is cleared:\n{done}");
    let lines: Vec<&str> = done.lines().filter(|l| !l.is_empty()).collect();
    assert!(lines.first().is_some_and(|l| l.starts_with("slow.hurl: Success")), "{done}");
    assert!(lines.get(1).is_some_and(|l| l.starts_with("-----")), "no garbage: {done}");
}

#[test]
fn piped_test_output_has_no_control_characters() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    write_file(dir.path(), "a.hurl", &format!("GET {}/health\nHTTP 200\n", fixture.base_url));
    let out = ShakedownCmd::new(["test", "a.hurl"]).current_dir(dir.path()).output();
    assert_eq!(out.code(), 0, "{out:?}");
    let stderr = out.stderr();
    assert!(!stderr.contains(ESC) && !stderr.contains('\r'), "{stderr:?}");
    assert!(!stderr.contains("running a.hurl"), "{stderr}");
    assert!(stderr.lines().any(|l| l.starts_with("a.hurl: Success")), "{stderr}");
}

#[test]
fn piped_output_has_no_control_characters() {
    let dir = temp_dir();
    write_file(dir.path(), "a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let suite = format!(
        "[server]\ncommand = [\"{}\", \"--port\", \"{{port}}\", \"--max-seconds\", \"120\"]\nready = {{ http = \"/health\", timeout = \"10s\" }}\n\n[[layer]]\nname = \"api\"\nscenarios = [\"a.hurl\"]\n",
        fixture_bin().display()
    );
    write_file(dir.path(), "shakedown.toml", &suite);
    let out = ShakedownCmd::new(["run", "shakedown.toml", "--output-dir", "out"])
        .current_dir(dir.path())
        .output();
    assert_eq!(out.code(), 0, "{out:?}");
    let stderr = out.stderr();
    assert!(!stderr.contains(ESC) && !stderr.contains('\r'), "{stderr:?}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines.iter().any(|l| l.starts_with("server main: ready at http://127.0.0.1:")),
        "{stderr}"
    );
    assert!(lines.iter().any(|l| l.starts_with("a.hurl: Success (1 request(s)")), "{stderr}");
    // The output folder's `latest` points at this run's folder.
    let latest = dir.path().join("out/latest");
    let target = std::fs::read_link(&latest).expect("out/latest is a link");
    assert!(target.to_string_lossy().starts_with("run-"), "{target:?}");
    assert!(latest.join("report.json").is_file(), "latest/report.json");
}
