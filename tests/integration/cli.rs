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
        ("--negotiate", None),
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

#[test]
fn variables_come_from_env_flags_and_files_and_entries_can_be_selected() {
    let fixture = crate::support::Fixture::start(&[]);
    let dir = temp_dir();
    let vars = write_file(dir.path(), "vars.env", "# a comment\nfrom_file=file\n");
    let file = write_file(
        dir.path(),
        "a.hurl",
        "GET {{base_url}}/echo?env={{from_env}}&flag={{from_flag}}&file={{from_file}}&n={{count}}\nHTTP 200\n[Asserts]\n\
         jsonpath \"$.query.env\" == \"env\"\njsonpath \"$.query.flag\" == \"flag\"\njsonpath \"$.query.file\" == \"file\"\n\
         variable \"count\" isInteger\n\n\
         GET {{base_url}}/status/500\nHTTP 200\n\n\
         GET {{base_url}}/health\nHTTP 200\n",
    );
    let base = format!("base_url={}", fixture.base_url);
    let common = |extra: &[&str]| {
        let mut args = vec![
            "test",
            "--variable",
            &base,
            "--variable",
            "from_flag=flag",
            "--variable",
            "count=3",
        ];
        args.extend_from_slice(&["--variables-file", vars.to_str().unwrap()]);
        args.extend_from_slice(extra);
        args.push(file.to_str().unwrap());
        ShakedownCmd::new(args).env("HURL_VARIABLE_from_env", "env").output()
    };
    // Entry 2 fails: running all of them fails, skipping it with --to-entry 1 or --from-entry 3 passes.
    assert_eq!(common(&[]).code(), 4);
    let out = common(&["--to-entry", "1"]);
    assert_eq!(out.code(), 0, "{out:?}");
    let out = common(&["--from-entry", "3"]);
    assert_eq!(out.code(), 0, "{out:?}");
    let out = common(&["--continue-on-error", "--ignore-asserts"]);
    assert_eq!(out.code(), 0, "{out:?}");
}

#[test]
fn variables_file_defining_a_name_twice_is_a_usage_error() {
    let dir = temp_dir();
    let vars = write_file(dir.path(), "vars.env", "a=1\na=2\n");
    let file = write_file(dir.path(), "a.hurl", "GET http://127.0.0.1:9/\n");
    let out = ShakedownCmd::new([
        "test",
        "--variables-file",
        vars.to_str().unwrap(),
        file.to_str().unwrap(),
    ])
    .output();
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(out.stderr().contains("defined twice"), "{out:?}");
}

#[test]
fn cookies_redirects_and_the_cookie_jar() {
    let fixture = crate::support::Fixture::start(&[]);
    let dir = temp_dir();
    let file = write_file(
        dir.path(),
        "a.hurl",
        "GET {{base_url}}/cookies/set\nHTTP 200\n\nGET {{base_url}}/cookies/echo\nHTTP 200\n[Asserts]\njsonpath \"$.cookies.theme\" == \"dark\"\njsonpath \"$.cookies.session\" == \"abc123\"\n\n\
         GET {{base_url}}/redirect/3\nHTTP 200\n[Asserts]\nredirects count == 3\nurl endsWith \"/redirect/0\"\n",
    );
    let jar = dir.path().join("jar.txt");
    let out = ShakedownCmd::new([
        "test".to_owned(),
        "--location".to_owned(),
        "--variable".to_owned(),
        format!("base_url={}", fixture.base_url),
        "--cookie-jar".to_owned(),
        jar.display().to_string(),
        file.display().to_string(),
    ])
    .output();
    assert_eq!(out.code(), 0, "{out:?}");
    let jar_text = std::fs::read_to_string(&jar).expect("cookie jar written");
    assert!(jar_text.starts_with("# Netscape HTTP Cookie File"), "{jar_text}");
    assert!(jar_text.contains("\ttheme\t"), "{jar_text}");
}
