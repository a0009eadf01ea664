//! Hurl conformance, one regression test per behaviour fixed against Hurl's own
//! integration corpus (issue 8): what is sent, in which order things are
//! evaluated, what the parser accepts, and the Hurl flags scripts use.
//!
//! Every test runs the real binary against the fixture service, whose `/echo`
//! route answers with the request it received (method, path, headers, body bytes).

use std::path::Path;

use serde_json::Value;

use crate::support::{Fixture, RunOutput, ShakedownCmd, temp_dir, write_file};

/// Runs `shakedown test` on one file with `base_url` defined, plus `extra` flags.
fn run(fixture: &Fixture, dir: &Path, hurl: &str, extra: &[&str]) -> RunOutput {
    let file = write_file(dir, "t.hurl", hurl);
    let mut args = vec![
        "test".to_owned(),
        "--jobs".to_owned(),
        "1".to_owned(),
        "--variable".to_owned(),
        format!("base_url={}", fixture.base_url),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args.push(file.display().to_string());
    ShakedownCmd::new(&args).current_dir(dir).output()
}

/// The body of the last response to `hurl` (written with `--output -`); the run must pass.
fn last_body(fixture: &Fixture, hurl: &str, extra: &[&str]) -> String {
    let dir = temp_dir();
    let mut flags = vec!["--output", "-"];
    flags.extend_from_slice(extra);
    let out = run(fixture, dir.path(), hurl, &flags);
    assert_eq!(out.code(), 0, "{out:?}");
    out.stdout()
}

/// The `/echo` answer to the last request of `hurl`.
fn echoed(fixture: &Fixture, hurl: &str, extra: &[&str]) -> Value {
    let body = last_body(fixture, hurl, extra);
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[test]
fn json_bodies_are_sent_as_written_with_placeholders_rendered_in_place() {
    let fixture = Fixture::start(&[]);
    let hurl = "POST {{base_url}}/echo\n[Options]\nvariable: qty=10\nvariable: big=9223372036854775808\nvariable: who=B\"ob\n{\"order\": \"buy\",  \"qty\": {{qty}}, \"px\": 101.25,\n \"big\": {{big}}, \"who\": \"{{who}}\"}\nHTTP 200\n";
    let echo = echoed(&fixture, hurl, &[]);
    let expected = "{\"order\": \"buy\",  \"qty\": 10, \"px\": 101.25,\n \"big\": 9223372036854775808, \"who\": \"B\\\"ob\"}";
    assert_eq!(echo["body"], expected, "{echo}");
    assert_eq!(echo["body_length"], expected.len());
    assert_eq!(echo["headers"]["content-length"], expected.len().to_string());

    // Hurl's typing: a bare placeholder must read as a JSON number, boolean or null.
    let dir = temp_dir();
    let out = run(
        &fixture,
        dir.path(),
        "POST {{base_url}}/echo\n[Options]\nvariable: name=Bob\n{\"name\": {{name}}}\nHTTP 200\n",
        &[],
    );
    assert_eq!(out.code(), 3, "{out:?}");
    assert!(out.stderr().contains("invalid JSON value <Bob>"), "{out:?}");
}

#[test]
fn a_wrong_status_is_reported_before_a_capture_that_fails() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let out = run(
        &fixture,
        dir.path(),
        "GET {{base_url}}/status/502\nHTTP 200\n[Captures]\nid: jsonpath \"$.id\"\n",
        &[],
    );
    assert_eq!(out.code(), 4, "{out:?}");
    assert!(out.stderr().contains("502"), "{out:?}");
    assert!(!out.stderr().contains("capture"), "{out:?}");
}

#[test]
fn invalid_templated_option_values_are_runtime_errors_naming_the_option() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    // Without the check, repeat -2 meant "forever": this run would never end.
    let out = run(
        &fixture,
        dir.path(),
        "GET {{base_url}}/health\n[Options]\nvariable: count=-2\nrepeat: {{count}}\nHTTP 200\n",
        &[],
    );
    assert_eq!(out.code(), 3, "{out:?}");
    assert!(out.stderr().contains("option `repeat` expects an integer >= -1"), "{out:?}");
    let out = run(
        &fixture,
        dir.path(),
        "GET {{base_url}}/health\n[Options]\nvariable: location=10\nlocation: {{location}}\nHTTP 200\n",
        &[],
    );
    assert_eq!(out.code(), 3, "{out:?}");
    assert!(out.stderr().contains("option `location` expects a boolean"), "{out:?}");
}

#[test]
fn the_parser_follows_hurl_on_hex_spaces_duplicates_cacert_and_cookie_attributes() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let ok = run(
        &fixture,
        dir.path(),
        "GET {{base_url}}/cookies/set\nHTTP 200\n[Asserts]\nbytes count > 0\ncookie \"session[path]\" == \"/\"\ncookie \"session[httponly]\" exists\n\nPOST {{base_url}}/echo\nhex, 48656c6c6f ;\nHTTP 200\n[Asserts]\njsonpath \"$.body\" == \"Hello\"\n",
        &[],
    );
    assert_eq!(ok.code(), 0, "{ok:?}");
    for (hurl, message) in [
        (
            "GET {{base_url}}/health\n[Query]\na: b\n[QueryStringParams]\nc: d\n",
            "duplicated section",
        ),
        ("GET {{base_url}}/health\n[Options]\ncacert: # no file\nHTTP 200\n", "missing filename"),
    ] {
        let out = run(&fixture, dir.path(), hurl, &[]);
        assert_eq!(out.code(), 2, "{out:?}");
        assert!(out.stderr().contains(message), "{out:?}");
    }
    let file = dir.path().join("latin1.hurl");
    std::fs::write(&file, b"GET http://127.0.0.1:9/caf\xe9\n").unwrap();
    let out = ShakedownCmd::new(["test", &file.display().to_string()]).output();
    assert_eq!(out.code(), 2, "{out:?}");
    assert!(out.stderr().contains("not valid UTF-8"), "{out:?}");
}

#[test]
fn queries_follow_hurl_on_empty_node_sets_variables_and_cookie_dates() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let out = run(
        &fixture,
        dir.path(),
        "GET {{base_url}}/xml\nHTTP 200\n[Captures]\nfirst: body\nsecond: variable \"first\"\n[Asserts]\nxpath \"//nothing-here\" not exists\nvariable \"second\" == \"{{first}}\"\n",
        &[],
    );
    assert_eq!(out.code(), 0, "{out:?}");
    let out = run(
        &fixture,
        dir.path(),
        "GET {{base_url}}/health\nHTTP 200\n[Captures]\nsecret: header \"Date\" toDate \"%a, %d %b %Y %H:%M:%S GMT\" redact\n",
        &[],
    );
    assert_eq!(out.code(), 3, "{out:?}");
    assert!(out.stderr().contains("secret must be string"), "{out:?}");
}

#[test]
fn requests_carry_the_headers_hurl_sends_and_no_others() {
    let fixture = Fixture::start(&[]);
    // Empty sections add nothing: no `?`, no body, no Content-Type, no Content-Length.
    let echo = echoed(
        &fixture,
        "GET {{base_url}}/echo\n[QueryStringParams]\n[FormParams]\n[MultipartFormData]\n[Cookies]\n",
        &[],
    );
    let names: Vec<&String> = echo["headers"].as_object().unwrap().keys().collect();
    assert_eq!(names, ["host", "accept", "user-agent"], "{echo}");
    assert_eq!(echo["raw_query"], Value::Null, "{echo}");
    assert!(echo["headers"]["user-agent"].as_str().unwrap().contains("hurl"), "{echo}");

    // Header order: the file's, then -H, then [Options] header (templated).
    let echo = echoed(
        &fixture,
        "GET {{base_url}}/echo\nkey: from-file\n[Options]\nvariable: v=from-option\nheader: key: {{v}}\n",
        &["-H", "key: from-cli", "--user-agent", "first", "--user-agent", "second"],
    );
    assert_eq!(echo["headers"]["key"], "from-file, from-cli, from-option", "{echo}");
    assert_eq!(echo["headers"]["user-agent"], "second", "{echo}");

    // Credentials in the URL become Basic auth, percent-decoded, as curl does.
    let port = fixture.base_url.rsplit(':').next().unwrap();
    let echo = echoed(&fixture, &format!("GET http://bob%40x:secret@127.0.0.1:{port}/echo\n"), &[]);
    assert_eq!(echo["headers"]["authorization"], "Basic Ym9iQHg6c2VjcmV0", "{echo}");
}

/// The bytes the fixture service's `/fault/wire` received for the last request of `hurl`.
fn wire(fixture: &Fixture, hurl: &str, extra: &[&str]) -> String {
    last_body(fixture, hurl, extra)
}

const USER_AGENT: &str = concat!("shakedown/", env!("CARGO_PKG_VERSION"), " (hurl-compatible)");

#[test]
fn requests_go_on_the_wire_as_hurl_8_1_0_sends_them() {
    // The expected bytes are what hurl 8.1.0 sent for the same file and flags (by
    // `scripts/wire-compare`'s method), but for the User-Agent: curl's header order
    // (Host, Accept, Cookie, then Hurl's list: the file's headers, -H, Content-Type,
    // User-Agent, `--user`, `--compressed`), a given Host moved first, `[Query]` and
    // `[Form]` names as written and values escaped as curl_easy_escape does.
    let fixture = Fixture::start(&[]);
    let hurl = "POST {{base_url}}/fault/wire?a=1\nHost: custom.example\nX-Second: two\n[Query]\nq: a b*c~\n$top: 5\n[Form]\nname[0]: x=y&z é\n[Cookies]\nc: 1\n";
    let sent = wire(&fixture, hurl, &["-H", "X-Cli: cli", "--user", "u:p", "--compressed"]);
    let expected = format!(
        "POST /fault/wire?a=1&q=a%20b%2Ac~&$top=5 HTTP/1.1\r\nHost: custom.example\r\nAccept: */*\r\nCookie: c=1\r\nX-Second: two\r\nX-Cli: cli\r\nContent-Type: application/x-www-form-urlencoded\r\nUser-Agent: {USER_AGENT}\r\nAuthorization: Basic dTpw\r\nAccept-Encoding: gzip, deflate, br\r\nContent-Length: 26\r\n\r\nname[0]=x%3Dy%26z%20%C3%A9"
    );
    assert_eq!(sent, expected);

    // curl's own Authorization (the URL's credentials) right after Host; the cookie
    // store's cookies longest name first, then newest first; a multipart body's
    // Content-Type after its Content-Length, with a boundary of curl's shape.
    let port = fixture.base_url.rsplit(':').next().unwrap();
    let hurl = format!(
        "GET http://127.0.0.1:{port}/cookies/set\nConnection: close\nHTTP 200\n\nPOST http://bob:pw@127.0.0.1:{port}/fault/wire\nAccept: text/plain\n[MultipartFormData]\nfield: value\n"
    );
    let sent = wire(&fixture, &hurl, &[]);
    let boundary = sent
        .split_once("boundary=")
        .and_then(|(_, rest)| rest.split_once("\r\n"))
        .map(|(b, _)| b.to_owned())
        .unwrap_or_else(|| panic!("no boundary: {sent}"));
    assert_eq!(boundary.len(), 40, "{sent}");
    assert!(boundary.starts_with(&"-".repeat(24)), "{sent}");
    let expected = format!(
        "POST /fault/wire HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Basic Ym9iOnB3\r\nCookie: session=abc123; prefs=compact; theme=dark; lang=en-US\r\nAccept: text/plain\r\nUser-Agent: {USER_AGENT}\r\nContent-Length: 145\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nvalue\r\n--{boundary}--\r\n"
    );
    assert_eq!(sent, expected);
}

#[test]
fn graphql_bodies_and_cookie_storage_comments_match_hurl() {
    let fixture = Fixture::start(&[]);
    let echo = echoed(
        &fixture,
        "POST {{base_url}}/echo\n```graphql\nquery Q($id: ID!) {\n  a(id: $id)\n}\n\nvariables {\n  \"id\": \"x\"\n}\n```\n",
        &[],
    );
    assert_eq!(
        echo["body"],
        r#"{"query":"query Q($id: ID!) {\n  a(id: $id)\n}","variables":{"id":"x"}}"#
    );
    let echo = echoed(
        &fixture,
        "# @cookie_storage_set: 127.0.0.1 FALSE / FALSE 0 c1 v1\nGET {{base_url}}/health\n\n# @cookie_storage_clear\n# @cookie_storage_set: 127.0.0.1 FALSE / FALSE 0 c2 v2\nGET {{base_url}}/echo\n",
        &[],
    );
    assert_eq!(echo["cookies"], serde_json::json!({"c2": "v2"}), "{echo}");
}

#[test]
fn path_as_is_netrc_and_aws_sigv4_shape_the_request() {
    let fixture = Fixture::start(&[]);
    let echo = echoed(&fixture, "GET {{base_url}}/echo/a/../b\n", &["--path-as-is"]);
    assert_eq!(echo["path"], "/echo/a/../b", "{echo}");
    let echo = echoed(&fixture, "GET {{base_url}}/echo/a/../b\n", &[]);
    assert_eq!(echo["path"], "/echo/b", "{echo}");

    let dir = temp_dir();
    write_file(dir.path(), "netrc", "machine 127.0.0.1\nlogin bob\npassword secret\n");
    let out = run(
        &fixture,
        dir.path(),
        "GET {{base_url}}/basic-auth\nHTTP 200\n",
        &["--netrc-file", "netrc"],
    );
    assert_eq!(out.code(), 0, "{out:?}");
    let out = run(
        &fixture,
        dir.path(),
        "GET {{base_url}}/basic-auth\n[Options]\nnetrc-file: netrc\nHTTP 200\n",
        &[],
    );
    assert_eq!(out.code(), 0, "{out:?}");

    let echo = echoed(
        &fixture,
        "POST {{base_url}}/echo\n[Options]\naws-sigv4: aws:amz:eu-central-1:svc\nuser: AKID:SECRET\n[FormParams]\na: b\n",
        &[],
    );
    let auth = echo["headers"]["authorization"].as_str().unwrap_or_default();
    assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKID/"), "{echo}");
    assert!(
        auth.contains(
            "/eu-central-1/svc/aws4_request, SignedHeaders=content-type;host;user-agent;x-amz-date, Signature="
        ),
        "{echo}"
    );
    assert!(echo["headers"]["x-amz-date"].is_string(), "{echo}");
}

#[test]
fn hurl_report_flags_append_to_existing_reports() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let pass = write_file(dir.path(), "pass.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    let fail = write_file(dir.path(), "fail.hurl", "GET {{base_url}}/health\nHTTP 404\n");
    let base = format!("base_url={}", fixture.base_url);
    let report = |files: &[&Path]| {
        let mut args = vec![
            "test".to_owned(),
            "--jobs".to_owned(),
            "1".to_owned(),
            "--variable".to_owned(),
            base.clone(),
            "--no-output".to_owned(),
            "--error-format".to_owned(),
            "long".to_owned(),
            "--limit-rate".to_owned(),
            "1000000".to_owned(),
            "--report-tap".to_owned(),
            "out/r.tap".to_owned(),
            "--report-json".to_owned(),
            "out/json".to_owned(),
            "--curl".to_owned(),
            "out/curl.txt".to_owned(),
        ];
        args.extend(files.iter().map(|f| f.display().to_string()));
        ShakedownCmd::new(&args).current_dir(dir.path()).output()
    };
    assert_eq!(report(&[&pass, &fail]).code(), 4);
    let out = report(&[&pass]);
    assert_eq!(out.code(), 0, "{out:?}");
    let tap = std::fs::read_to_string(dir.path().join("out/r.tap")).unwrap();
    let lines: Vec<&str> = tap.lines().collect();
    assert_eq!(lines[..2], ["TAP version 13", "1..3"], "{tap}");
    assert!(lines[2].starts_with("ok 1 - ") && lines[3].starts_with("not ok 2 - "), "{tap}");
    assert!(lines[4].starts_with("ok 3 - ") && lines[4].ends_with("pass.hurl"), "{tap}");
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/json/report.json")).unwrap(),
    )
    .unwrap();
    let success: Vec<&Value> = json.as_array().unwrap().iter().map(|f| &f["success"]).collect();
    assert_eq!(success, [true, false, true], "{json}");
    let curl = std::fs::read_to_string(dir.path().join("out/curl.txt")).unwrap();
    assert_eq!(curl, format!("curl '{}/health'\n", fixture.base_url));

    std::fs::write(dir.path().join("out/r.tap"), "I'm not a TAP file!\n").unwrap();
    let out = report(&[&pass]);
    assert_eq!(out.code(), 3, "{out:?}");
    assert!(out.stderr().contains("invalid TAP header"), "{out:?}");
}

#[test]
fn command_line_errors_follow_hurl() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let hurl = "GET {{base_url}}/health\nHTTP 200\n";
    for (flags, code, message) in [
        (&["--http3"][..], 3, "HTTP/3 is not supported"),
        (&["--variable", "newUuid=1"][..], 1, "conflicts with the newUuid function"),
        (&["--secret", "a=1", "--secret", "a=2"][..], 1, "secret `a` can't be reassigned"),
        (&["--glob", "nothing/*.hurl"][..], 1, "cannot access 'nothing/*.hurl'"),
        (&["--output", "."][..], 3, "cannot write ."),
    ] {
        let out = run(&fixture, dir.path(), hurl, flags);
        assert_eq!(out.code(), code, "{flags:?}: {out:?}");
        assert!(out.stderr().contains(message), "{flags:?}: {out:?}");
    }
    // A quoted value in a variables file stays a string, as in Hurl.
    write_file(dir.path(), "vars.properties", "id=\"123\"\nn=123\n");
    let out = run(
        &fixture,
        dir.path(),
        "GET {{base_url}}/health\nHTTP 200\n[Asserts]\nvariable \"id\" isString\nvariable \"id\" == \"123\"\nvariable \"n\" isInteger\n",
        &["--variables-file", "vars.properties"],
    );
    assert_eq!(out.code(), 0, "{out:?}");
    let out = run(
        &fixture,
        dir.path(),
        "GET {{base_url}}/health\n[Options]\noutput: ../escaped.json\nHTTP 200\n",
        &[],
    );
    assert_eq!(out.code(), 3, "{out:?}");
    assert!(out.stderr().contains("unauthorized access to file ../escaped.json"), "{out:?}");
    assert!(!dir.path().parent().unwrap().join("escaped.json").exists());
}

#[test]
fn a_file_on_standard_input_runs_when_no_file_is_named() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file =
        write_file(dir.path(), "in.hurl", &format!("GET {}/health\nHTTP 200\n", fixture.base_url));
    let out = ShakedownCmd::new(["test", "--repeat", "3"]).stdin_file(&file).output();
    assert_eq!(out.code(), 0, "{out:?}");
    assert_eq!(out.stderr().matches("-: Success (1 request(s)").count(), 3, "{out:?}");
}

#[test]
fn the_same_headers_with_the_default_user_agent_elsewhere_are_built_anew() {
    // Two requests with the same header list: the file's `Authorization` (the default
    // User-Agent after it) and `user`'s (the User-Agent before it, as Hurl's list has it).
    // The transport keeps the built request of a repeat (the second); it must not reuse it
    // for the third.
    let fixture = Fixture::start(&[]);
    let file_auth = "GET {{base_url}}/fault/wire\nAuthorization: Basic dTpw\nHTTP 200\n\n";
    let hurl = format!(
        "{file_auth}{file_auth}GET {{{{base_url}}}}/fault/wire\n[Options]\nuser: u:p\nHTTP 200\n"
    );
    let sent = wire(&fixture, &hurl, &["--no-keepalive"]);
    assert!(
        sent.ends_with(&format!(
            "Accept: */*\r\nUser-Agent: {USER_AGENT}\r\nAuthorization: Basic dTpw\r\n\r\n"
        )),
        "{sent}"
    );
}

#[test]
fn a_file_named_twice_runs_twice() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file =
        write_file(dir.path(), "a.hurl", &format!("GET {}/health\nHTTP 200\n", fixture.base_url));
    let path = file.display().to_string();
    let out = ShakedownCmd::new(["test", "--jobs", "1", &path, &path]).output();
    assert_eq!(out.code(), 0, "{out:?}");
    assert_eq!(out.stderr().matches("a.hurl: Success (1 request(s)").count(), 2, "{out:?}");
}

#[test]
fn the_delay_comes_once_per_entry_and_not_before_each_retry() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let out = run(
        &fixture,
        dir.path(),
        "GET {{base_url}}/status/500\n[Options]\ndelay: 1\nretry: 2\nretry-interval: 1\nHTTP 200\n\nGET {{base_url}}/health\nHTTP 200\n",
        &["--verbose", "--continue-on-error"],
    );
    assert_eq!(out.code(), 4, "{out:?}");
    let stderr = out.stderr();
    assert_eq!(stderr.matches("* Delay 1 ms before entry at line 1").count(), 1, "{out:?}");
    assert_eq!(stderr.matches("* Retry entry at line 1").count(), 2, "{out:?}");
    // `--delay` applies to every entry, once each.
    let out = run(
        &fixture,
        dir.path(),
        "GET {{base_url}}/health\nHTTP 200\n\nGET {{base_url}}/health\nHTTP 200\n",
        &["--verbose", "--delay", "1"],
    );
    assert_eq!(out.code(), 0, "{out:?}");
    assert_eq!(out.stderr().matches("* Delay 1 ms").count(), 2, "{out:?}");
}

#[test]
fn error_format_long_prints_the_response_after_the_failure() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let hurl =
        "GET {{base_url}}/echo/long\nHTTP 200\n[Asserts]\njsonpath \"$.method\" == \"POST\"\n";
    let short = run(&fixture, dir.path(), hurl, &[]);
    assert_eq!(short.code(), 4, "{short:?}");
    assert!(!short.stderr().contains("\"path\":\"/echo/long\""), "{short:?}");
    let long = run(&fixture, dir.path(), hurl, &["--error-format", "long"]);
    assert_eq!(long.code(), 4, "{long:?}");
    assert!(long.stderr().contains("HTTP/1.1 200"), "{long:?}");
    assert!(long.stderr().contains("\"path\":\"/echo/long\""), "{long:?}");
}

/// Hurl's `tests_ok/secret.sh`: a secret's value is not written to the cookie jar (here the
/// server sets the cookie `session=abc123`, and `abc123` is declared a secret).
#[test]
fn a_secret_sent_as_a_cookie_is_redacted_in_the_cookie_jar() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let jar = dir.path().join("jar.txt");
    let out = run(
        &fixture,
        dir.path(),
        "GET {{base_url}}/cookies/set\nHTTP 200\n",
        &["--secret", "token=abc123", "--cookie-jar", &jar.display().to_string()],
    );
    assert_eq!(out.code(), 0, "{out:?}");
    let text = std::fs::read_to_string(&jar).expect("the cookie jar is written");
    assert!(text.contains("session"), "{text}");
    assert!(!text.contains("abc123"), "{text}");
    assert!(text.contains("theme\tdark"), "other cookies are kept: {text}");
}
