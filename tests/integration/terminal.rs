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
