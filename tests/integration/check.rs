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
