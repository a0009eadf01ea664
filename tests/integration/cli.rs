//! The command line: usage errors, unsupported flags, exit codes.

use crate::support::{ShakedownCmd, temp_dir, write_file};

#[test]
fn version_and_help_exit_zero() {
    let out = ShakedownCmd::new(["--version"]).output();
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(out.stdout().starts_with("shakedown "), "{out:?}");
    let out = ShakedownCmd::new(["test", "--help"]).output();
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(out.stdout().contains("--retry-interval"), "{out:?}");
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let out = ShakedownCmd::new(["test", "--no-such-flag", "a.hurl"]).output();
    assert_eq!(out.code(), 1, "{out:?}");
}

#[test]
fn out_of_scope_hurl_flags_are_named_and_rejected() {
    let dir = temp_dir();
    let file = write_file(dir.path(), "a.hurl", "GET http://127.0.0.1:9/\n");
    for (flag, value) in [
        ("--proxy", Some("http://127.0.0.1:1")),
        ("--unix-socket", Some("/tmp/x")),
        ("--ntlm", None),
        ("--report-html", Some("out")),
    ] {
        let mut args = vec!["test".to_owned(), flag.to_owned()];
        args.extend(value.map(str::to_owned));
        args.push(file.display().to_string());
        let out = ShakedownCmd::new(&args).output();
        assert_eq!(out.code(), 1, "{out:?}");
        assert!(out.stderr().contains(flag), "{out:?}");
        assert!(out.stderr().contains("not supported"), "{out:?}");
    }
}

#[test]
fn missing_file_is_a_usage_error_naming_it() {
    let out = ShakedownCmd::new(["test", "does/not/exist.hurl"]).output();
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(out.stderr().contains("does/not/exist.hurl"), "{out:?}");
}

#[test]
fn bad_report_format_is_a_usage_error() {
    let dir = temp_dir();
    let file = write_file(dir.path(), "a.hurl", "GET http://127.0.0.1:9/\n");
    let out = ShakedownCmd::new(["test", "--report", "xml=out.xml", &file.display().to_string()])
        .output();
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(out.stderr().contains("unknown report format"), "{out:?}");
}
