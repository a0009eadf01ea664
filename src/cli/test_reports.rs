//! What `shakedown test` writes after the run: the last response body (`--output`), the
//! cookie jar (`--cookie-jar`), and the reports (`--report`, Hurl's `--report-*` and
//! `--curl`), secrets redacted in every one.

use crate::cli::args::TestArgs;
use crate::cli::output::{Printer, redact, write_atomically};
use crate::cli::test_settings::ReportTarget;
use crate::report::{html, hurl_json, json, merge, tap};
use crate::runner::cookies::CookieStore;
use crate::runner::outcome::FileOutcome;
use crate::transport::request::Response;

/// Writes `--output` and `--cookie-jar` from the last file run; false when the output
/// file could not be written (Hurl: a runtime error).
pub(crate) fn write_outputs(
    args: &TestArgs,
    last_response: Option<&Response>,
    cookies: Option<&CookieStore>,
    secrets: &[String],
    printer: &mut Printer,
) -> bool {
    let mut output_failed = false;
    if let Some(output) = args.output.as_ref().filter(|_| !args.no_output)
        && let Some(response) = last_response
    {
        let mut bytes = Vec::new();
        if args.include {
            bytes.extend_from_slice(
                format!("{} {}\n", response.version.as_str(), response.status).as_bytes(),
            );
            for (name, value) in &response.headers {
                bytes.extend_from_slice(format!("{name}: {value}\n").as_bytes());
            }
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(&response.body);
        if output.as_os_str() == "-" {
            printer.out_bytes(&bytes);
        } else if let Err(e) = std::fs::write(output, &bytes) {
            printer.error(&format!("error: cannot write {}: {e}", output.display()));
            output_failed = true;
        }
    }
    // Secrets are redacted in the cookie jar too, as Hurl does (a secret sent as a cookie).
    if let Some(jar) = &args.cookie_jar
        && let Some(cookies) = cookies
        && let Err(e) = write_atomically(jar, redact(&cookies.to_netscape(), secrets).as_bytes())
    {
        printer.error(&format!("error: cannot write cookie jar {}: {e}", jar.display()));
    }
    output_failed
}

/// Writes every report; false when one could not be written (each failure printed).
pub(crate) fn write_reports(
    reports: &[ReportTarget],
    outcomes: &[FileOutcome],
    info: &json::RunInfo,
    attempts: u32,
    secrets: &[String],
    printer: &mut Printer,
) -> bool {
    let mut all_written = true;
    for target in reports {
        let mut bytes = Vec::new();
        let (path, written) = match target {
            ReportTarget::Tap(path) => {
                let existing = std::fs::read_to_string(path).ok();
                match tap::merge(existing.as_deref(), outcomes) {
                    Ok(text) => {
                        bytes = text.into_bytes();
                        (path, Ok(()))
                    }
                    Err(e) => {
                        printer.error(&format!("error: {}: {e}", path.display()));
                        all_written = false;
                        continue;
                    }
                }
            }
            ReportTarget::HurlJson(path) => {
                let existing = std::fs::read_to_string(path).ok();
                (path, hurl_json::merge(existing.as_deref(), outcomes, &mut bytes))
            }
            ReportTarget::Curl(path) => (path, hurl_json::write_curl(outcomes, &mut bytes)),
            ReportTarget::Junit(path) => {
                // From the report model, as `run` and `merge` build it (`report::merge`).
                let mut document = Vec::new();
                let written = json::write(outcomes, info, attempts, false, &mut document)
                    .and_then(|()| merge::write_junit(&document, None, &mut bytes));
                (path, written)
            }
            ReportTarget::Json(path) => {
                (path, json::write(outcomes, info, attempts, false, &mut bytes))
            }
            ReportTarget::Html(path) => {
                let mut document = Vec::new();
                let written =
                    json::write(outcomes, info, attempts, false, &mut document).and_then(|()| {
                        let document = redact(&String::from_utf8_lossy(&document), secrets);
                        html::write(document.as_bytes(), &mut bytes)
                    });
                (path, written)
            }
        };
        let text = redact(&String::from_utf8_lossy(&bytes), secrets);
        if let Err(e) = written.and_then(|()| write_atomically(path, text.as_bytes())) {
            printer.error(&format!("error: cannot write report {}: {e}", path.display()));
            all_written = false;
        }
    }
    all_written
}
