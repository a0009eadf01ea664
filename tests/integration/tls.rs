//! TLS and HTTP/2 against the real fixture service: the `certificate` query, ALPN, `--cacert`,
//! `--insecure`, and the TLS failure of an untrusted certificate.

use crate::support::{Fixture, ShakedownCmd, repo_root, temp_dir};

fn tls_fixture(dir: &std::path::Path) -> (Fixture, std::path::PathBuf) {
    let cert = dir.join("cert.pem");
    let fixture = Fixture::start(&["--tls-self-signed", "--cert-out", &cert.display().to_string()]);
    assert!(fixture.base_url.starts_with("https://"), "{}", fixture.base_url);
    (fixture, cert)
}

fn run(fixture: &Fixture, extra: &[String], file: &str) -> crate::support::RunOutput {
    let mut args =
        vec!["test".to_owned(), "--variable".to_owned(), format!("base_url={}", fixture.base_url)];
    args.extend(extra.iter().cloned());
    args.push(repo_root().join("tests/scenarios/tls").join(file).display().to_string());
    ShakedownCmd::new(&args).output()
}

#[test]
fn certificate_query_and_alpn_pass_with_the_service_ca() {
    let dir = temp_dir();
    let (fixture, cert) = tls_fixture(dir.path());
    let out = run(
        &fixture,
        &["--cacert".to_owned(), cert.display().to_string()],
        "pass/certificate.hurl",
    );
    assert_eq!(out.code(), 0, "{out:?}");
}

#[test]
fn a_wrong_certificate_assert_fails_with_exit_4() {
    let dir = temp_dir();
    let (fixture, cert) = tls_fixture(dir.path());
    let out = run(
        &fixture,
        &["--cacert".to_owned(), cert.display().to_string()],
        "fail/query-certificate.hurl",
    );
    assert_eq!(out.code(), 4, "{out:?}");
    assert!(out.stderr().contains("fixture-service"), "{out:?}");
}

#[test]
fn an_untrusted_certificate_is_a_tls_error_unless_insecure() {
    let dir = temp_dir();
    let (fixture, _cert) = tls_fixture(dir.path());
    let json = dir.path().join("report.json");
    let out = run(
        &fixture,
        &["--report".to_owned(), format!("json={}", json.display())],
        "fail/query-certificate.hurl",
    );
    assert_eq!(out.code(), 3, "{out:?}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let record = &report["ledger"][0];
    assert_eq!(record["phase"], "tls", "{report:#}");
    assert_eq!(record["error"]["kind"], "tls", "{report:#}");
    assert_eq!(record["decision"]["retry"], false, "{report:#}");
    let out = run(&fixture, &["--insecure".to_owned()], "pass/certificate.hurl");
    assert_eq!(out.code(), 0, "{out:?}");
}
