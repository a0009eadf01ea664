//! `shakedown check SUITE`: what it finds past what `run` refuses to start with — commands
//! not on PATH, servers not told their port, `{{variables}}` nothing defines — and which
//! findings change the exit code (errors: 2) and which do not (warnings).

use crate::support::{ShakedownCmd, fixture_bin, temp_dir, write_file};

/// `[server]` as the fixture on `{port}`: nothing to find.
fn fixture_server() -> String {
    format!(
        "[server]\ncommand = [\"{}\", \"--port\", \"{{port}}\", \"--max-seconds\", \"120\"]\nready = {{ http = \"/health\", status = 200, timeout = \"10s\" }}\n",
        fixture_bin().display()
    )
}

#[test]
fn check_finds_missing_commands_unported_servers_and_undefined_variables() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        "[server]\ncommand = [\"no-such-program-4711\", \"--listen\", \"8000\"]\nready = { tcp = true }\n\n[servers.data]\ncommand = [\"sh\", \"-c\", \"exec data --port {port}\"]\nready = { tcp = true }\n\n[variables]\ncurrency = \"EUR\"\n\n[[layer]]\nname = \"unit\"\ncommand = [\"./unit.sh\"]\n\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n",
    );
    // Present but not executable.
    write_file(dir.path(), "unit.sh", "#!/bin/sh\n");
    write_file(
        dir.path(),
        "s/a.hurl",
        "GET {{base_url}}/orders?c={{curency}}&d={{data_url}}&p={{data_port}}\nHTTP 200\n[Captures]\nid: jsonpath \"$.id\"\n\nGET {{base_url}}/orders/{{id}}/{{token}}\n[Options]\nvariable: x=1\nHTTP 200\n[Asserts]\njsonpath \"$.x\" == {{x}}\njsonpath \"$.t\" == {{token}}\njsonpath \"$.u\" == \"{{newUuid}}\"\n",
    );
    let out = ShakedownCmd::new(["check", "--no-color", "shakedown.toml"])
        .current_dir(dir.path())
        .output();
    assert_eq!(out.code(), 2, "a command not on PATH is an error: {out:?}");
    let stderr = out.stderr();
    // The listing still comes first, on stdout.
    assert!(out.stdout().contains("layer it: 1 scenario file(s)"), "{out:?}");
    assert!(stderr.contains("command not found: `no-such-program-4711` is not on PATH"), "{out:?}");
    assert!(stderr.contains("shakedown.toml:2:12"), "{out:?}");
    assert!(stderr.contains("`") && stderr.contains("unit.sh` is not executable"), "{out:?}");
    assert!(stderr.contains("shakedown.toml:14:12"), "{out:?}");
    // The main server is never told its port; `data` is.
    assert!(
        stderr.contains("⚠ the command of [server] has neither `{port}` nor `{url}`"),
        "{out:?}"
    );
    assert!(!stderr.contains("[servers.data] has neither"), "{out:?}");
    assert!(stderr.contains("(3 restarts on fresh ports)"), "{out:?}");
    // Undefined variables: once each, at the first use, with a did-you-mean.
    assert!(stderr.contains("variable `curency` is not defined"), "{out:?}");
    assert!(stderr.contains("s/a.hurl:1:27"), "{out:?}");
    assert!(stderr.contains("did you mean `currency`?"), "{out:?}");
    assert_eq!(stderr.matches("variable `token` is not defined").count(), 1, "{out:?}");
    assert!(stderr.contains("s/a.hurl:6:32"), "{out:?}");
    assert!(stderr.contains("--variable token=VALUE"), "{out:?}");
    for defined in ["base_url", "data_url", "data_port", "id", "x", "newUuid"] {
        assert!(!stderr.contains(&format!("`{defined}` is not defined")), "{defined}: {out:?}");
    }
    assert!(stderr.contains("shakedown.toml: 2 error(s), 3 warning(s)"), "{out:?}");
}

#[test]
fn warnings_alone_leave_the_exit_code_at_zero_and_a_clean_suite_prints_none() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!("{}\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n", fixture_server()),
    );
    write_file(dir.path(), "s/a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let out = ShakedownCmd::new(["check", "--no-color", "shakedown.toml"])
        .current_dir(dir.path())
        .output();
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(!out.stderr().contains("warning(s)"), "nothing to report: {out:?}");
    write_file(dir.path(), "s/b.hurl", "GET {{base_ur}}/health\nHTTP 200\n");
    let out = ShakedownCmd::new(["check", "--no-color", "shakedown.toml"])
        .current_dir(dir.path())
        .output();
    assert_eq!(out.code(), 0, "a warning does not fail check: {out:?}");
    assert!(out.stderr().contains("variable `base_ur` is not defined"), "{out:?}");
    assert!(out.stderr().contains("did you mean `base_url`?"), "{out:?}");
    assert!(out.stderr().contains("0 error(s), 1 warning(s)"), "{out:?}");
}

/// `check` knows the variables and secrets `run` would be given, from flags and files.
#[test]
fn check_takes_the_variables_and_secrets_run_would_be_given() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!("{}\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n", fixture_server()),
    );
    write_file(
        dir.path(),
        "s/a.hurl",
        "GET {{base_url}}/health?t={{token}}&u={{user}}&k={{key}}\nHTTP 200\n",
    );
    write_file(dir.path(), "vars.env", "# a comment\nuser=ann\n");
    let out = ShakedownCmd::new(["check", "--no-color", "shakedown.toml"])
        .current_dir(dir.path())
        .output();
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(out.stderr().contains("0 error(s), 3 warning(s)"), "{out:?}");
    let out = ShakedownCmd::new([
        "check",
        "--no-color",
        "shakedown.toml",
        "--variable",
        "token=1",
        "--variables-file",
        "vars.env",
        "--secret",
        "key=s3cret",
    ])
    .current_dir(dir.path())
    .output();
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(!out.stderr().contains("is not defined"), "every variable is given: {out:?}");
    assert!(!out.stderr().contains("warning(s)"), "{out:?}");
    // A malformed definition is a usage error naming the flag, as in `run`.
    let out = ShakedownCmd::new(["check", "shakedown.toml", "--variable", "novalue"])
        .current_dir(dir.path())
        .output();
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(out.stderr().contains("invalid --variable <novalue>"), "{out:?}");
}

/// With no argument, `check` finds `shakedown.toml` as `run` does: here, then in parents.
#[test]
fn check_without_an_argument_finds_the_suite_in_the_current_folder_or_a_parent() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!("{}\n[[layer]]\nname = \"it\"\nscenarios = [\"s/*.hurl\"]\n", fixture_server()),
    );
    write_file(dir.path(), "s/a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let out = ShakedownCmd::new(["check", "--no-color"]).current_dir(dir.path()).output();
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(out.stdout().starts_with("shakedown.toml: suite"), "{out:?}");
    let out =
        ShakedownCmd::new(["check", "--no-color"]).current_dir(&dir.path().join("s")).output();
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(out.stdout().contains("shakedown.toml: suite"), "{out:?}");
    assert!(out.stdout().contains("layer it: 1 scenario file(s)"), "{out:?}");
    // Nowhere: exit 2, as an unreadable suite, saying where it looked.
    let empty = temp_dir();
    let out = ShakedownCmd::new(["check", "--no-color"]).current_dir(empty.path()).output();
    assert_eq!(out.code(), 2, "{out:?}");
    assert!(out.stderr().contains("could not find shakedown.toml"), "{out:?}");
    assert!(out.stderr().contains("`shakedown check PATH`"), "{out:?}");
}

/// A fault plan file on its own: every error with file:line:col and a did-you-mean, exit 2;
/// a valid one lists its faults.
#[test]
fn check_validates_a_standalone_fault_plan() {
    let dir = temp_dir();
    write_file(
        dir.path(),
        "plan.toml",
        "seed = 7\nservers = [\"main\"]\n\n[[fault]]\ntype = \"idle_clos\"\nidle = 5\n\n[[fault]]\ntype = \"reset_peer\"\ntoxcity = 0.1\n",
    );
    let out =
        ShakedownCmd::new(["check", "--no-color", "plan.toml"]).current_dir(dir.path()).output();
    assert_eq!(out.code(), 2, "{out:?}");
    let stderr = out.stderr();
    assert!(stderr.contains("plan.toml:5:8"), "{stderr}");
    assert!(stderr.contains("did you mean `idle_close`?"), "{stderr}");
    assert!(stderr.contains("plan.toml:10:1"), "{stderr}");
    assert!(stderr.contains("did you mean `toxicity`?"), "{stderr}");
    assert!(stderr.contains("plan.toml: 2 error(s)"), "{stderr}");
    assert!(out.stdout().is_empty(), "{out:?}");

    write_file(
        dir.path(),
        "plan.toml",
        "seed = 7\n\n[[fault]]\ntype = \"reset_peer\"\ntoxicity = 0.1\nper = \"request\"\n",
    );
    let out =
        ShakedownCmd::new(["check", "--no-color", "plan.toml"]).current_dir(dir.path()).output();
    assert_eq!(out.code(), 0, "{out:?}");
    let stdout = out.stdout();
    assert!(
        stdout.contains("plan.toml: fault plan, 1 fault(s) in front of main, seed 7"),
        "{out:?}"
    );
    assert!(stdout.contains("reset_peer_downstream (reset_peer"), "{out:?}");
    assert!(stdout.contains("toxicity=0.1 per request"), "{out:?}");
}
