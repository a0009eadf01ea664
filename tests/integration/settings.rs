//! Issue 7, settings at the edge: flag values are parsed once, before anything runs; one
//! duration grammar for the command line, the suite and `[Options]`; what `check` accepts,
//! `run` runs.

use crate::support::{Fixture, ShakedownCmd, fixture_bin, temp_dir, write_file};

/// A listener that would see any connection shakedown opened, and a file that targets it.
struct Target {
    listener: std::net::TcpListener,
    dir: tempfile::TempDir,
}

impl Target {
    fn new() -> Target {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("address").port();
        let dir = temp_dir();
        write_file(dir.path(), "a.hurl", &format!("GET http://127.0.0.1:{port}/\nHTTP 200\n"));
        Target { listener, dir }
    }

    /// Whether anything connected (the kernel completes a handshake into the backlog even
    /// though nobody accepts, so a connect made before shakedown exited is seen here).
    fn connected(&self) -> bool {
        self.listener.accept().is_ok()
    }
}

#[test]
fn malformed_flag_values_are_usage_errors_before_any_request() {
    let cases: &[(&[&str], &str)] = &[
        (&["--resolve", "nonsense"], "invalid --resolve <nonsense>: expected HOST:PORT:ADDR"),
        (&["--connect-to", "a:b"], "invalid --connect-to <a:b>: expected HOST1:PORT1:HOST2:PORT2"),
        (&["-H", "no colon"], "invalid --header <no colon>: expected `Name: value`"),
        (&["--max-time", "5parsecs"], "invalid --max-time <5parsecs>: unknown unit `parsecs`"),
        (
            &["--connect-timeout", "1.5s"],
            "invalid --connect-timeout <1.5s>: expected a whole number",
        ),
        (&["--retry-interval", "10 ms"], "invalid --retry-interval <10 ms>: no space"),
        (
            &["--report", "xml=out.xml"],
            "invalid --report <xml=out.xml>: unknown report format `xml`",
        ),
        (&["--proxy", "http://p:1"], "`--proxy` is not supported by shakedown"),
    ];
    for (flags, message) in cases {
        let target = Target::new();
        let mut args = vec!["test".to_owned()];
        args.extend(flags.iter().map(|f| (*f).to_owned()));
        args.push("a.hurl".to_owned());
        let out = ShakedownCmd::new(args).current_dir(target.dir.path()).output();
        assert_eq!(out.code(), 1, "{flags:?}: {out:?}");
        assert!(out.stderr().contains(message), "{flags:?}: expected `{message}` in {out:?}");
        assert!(!target.connected(), "{flags:?}: a request was sent");
    }
}

#[test]
fn run_parses_its_flags_before_starting_a_server() {
    let dir = temp_dir();
    let marker = dir.path().join("started");
    write_file(dir.path(), "a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let suite = format!(
        "[server]\ncommand = [\"sh\", \"-c\", \"touch '{}'; exec sleep 30\"]\nready = {{ tcp = true, timeout = \"5s\" }}\n\n[[layer]]\nname = \"api\"\nscenarios = [\"a.hurl\"]\n",
        marker.display()
    );
    write_file(dir.path(), "shakedown.toml", &suite);
    for flags in [["--deadline", "5parsecs"], ["--report", "tap=out.tap"]] {
        let out = ShakedownCmd::new(["run", "shakedown.toml", flags[0], flags[1]])
            .current_dir(dir.path())
            .output();
        assert_eq!(out.code(), 1, "{flags:?}: {out:?}");
        assert!(out.stderr().contains(&format!("invalid {} <{}>", flags[0], flags[1])), "{out:?}");
        assert!(!marker.exists(), "{flags:?}: the server was launched");
    }
}

#[test]
fn an_options_value_goes_through_the_same_parser_and_check_finds_it_first() {
    let target = Target::new();
    let dir = target.dir.path();
    let port = target.listener.local_addr().expect("address").port();
    write_file(
        dir,
        "b.hurl",
        &format!("GET http://127.0.0.1:{port}/\n[Options]\nconnect-to: a:b\nHTTP 200\n"),
    );
    let check = ShakedownCmd::new(["check", "b.hurl"]).current_dir(dir).output();
    assert_eq!(check.code(), 2, "{check:?}");
    assert!(check.stderr().contains("invalid option `connect-to` <a:b>"), "{check:?}");
    assert!(check.stderr().contains("expected HOST1:PORT1:HOST2:PORT2"), "{check:?}");
    // `test` refuses it the same way, when the entry runs (the value could be templated).
    let test = ShakedownCmd::new(["test", "b.hurl"]).current_dir(dir).output();
    assert_eq!(test.code(), 3, "{test:?}");
    assert!(
        test.stderr()
            .contains("invalid option `connect-to` <a:b>: expected HOST1:PORT1:HOST2:PORT2"),
        "{test:?}"
    );
    assert!(!target.connected(), "a request was sent");
}

#[test]
fn check_refuses_an_unsupported_option_with_the_tables_words() {
    let dir = temp_dir();
    write_file(dir.path(), "c.hurl", "GET http://127.0.0.1:1/\n[Options]\nhttp3: true\nHTTP 200\n");
    let out = ShakedownCmd::new(["check", "c.hurl"]).current_dir(dir.path()).output();
    assert_eq!(out.code(), 2, "{out:?}");
    let stderr = out.stderr();
    assert!(stderr.contains("option `http3` is not supported by shakedown"), "{stderr}");
    assert!(stderr.contains("HTTP/3 is not supported"), "{stderr}");
    assert!(stderr.contains("instead, use `--http2` or `--http1.1`"), "{stderr}");
    assert!(stderr.contains("c.hurl:3:1"), "{stderr}");
}

/// Durations spelled as on the command line (a bare number is seconds) and a SIGUSR1 stop
/// signal: `check` accepts the suite, and `run` runs it.
#[test]
fn what_check_accepts_run_runs() {
    let dir = temp_dir();
    write_file(dir.path(), "a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let suite = format!(
        "[server]\ncommand = [\"{}\", \"--port\", \"{{port}}\", \"--max-seconds\", \"120\"]\nready = {{ http = \"/health\", timeout = \"20\" }}\nstop = {{ signal = \"SIGUSR1\", grace = \"5\" }}\n\n[[layer]]\nname = \"api\"\nscenarios = [\"a.hurl\"]\n\n[run]\nconnect_timeout = \"10\"\nmax_time = \"30\"\ndeadline = \"2m\"\n",
        fixture_bin().display()
    );
    write_file(dir.path(), "shakedown.toml", &suite);
    let check = ShakedownCmd::new(["check", "shakedown.toml"]).current_dir(dir.path()).output();
    assert_eq!(check.code(), 0, "{check:?}");
    let run =
        ShakedownCmd::new(["run", "shakedown.toml", "--output-dir", "out", "--max-time", "30"])
            .current_dir(dir.path())
            .output();
    assert_eq!(run.code(), 0, "{run:?}");
    assert!(run.stderr().contains("a.hurl: Success"), "{run:?}");
}

/// `-H`, `--resolve` and `--connect-to`, parsed once, still reach every request.
#[test]
fn parsed_flags_reach_the_request() {
    let fixture = Fixture::start(&[]);
    let port = fixture.port;
    let dir = temp_dir();
    let file = |host_port: &str| {
        format!(
            "GET http://{host_port}/echo\nHTTP 200\n[Asserts]\njsonpath \"$.headers['x-edge']\" == \"1\"\nGET http://{host_port}/echo\nHTTP 200\n"
        )
    };
    write_file(dir.path(), "r.hurl", &file(&format!("service.test:{port}")));
    write_file(dir.path(), "c.hurl", &file("service.test:80"));
    let run = |flags: Vec<String>| {
        let mut args = vec!["test".to_owned(), "--jobs".to_owned(), "1".to_owned()];
        args.extend(["-H".to_owned(), "X-Edge: 1".to_owned()]);
        args.extend(flags);
        ShakedownCmd::new(args).current_dir(dir.path()).output()
    };
    let out = run(vec![
        "--resolve".to_owned(),
        format!("service.test:{port}:127.0.0.1"),
        "r.hurl".to_owned(),
    ]);
    assert_eq!(out.code(), 0, "{out:?}");
    let out = run(vec![
        "--connect-to".to_owned(),
        format!("service.test:80:127.0.0.1:{port}"),
        "c.hurl".to_owned(),
    ]);
    assert_eq!(out.code(), 0, "{out:?}");
}
