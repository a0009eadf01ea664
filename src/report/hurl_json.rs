//! Hurl's own formats, for scripts written around `hurl`: the `--report-json`
//! document (`DIR/report.json`, an array of files appended to run after run)
//! and the `--curl` file (one curl command line per request sent).
//!
//! The JSON keeps Hurl's layout (`filename`, `success`, `time`, `entries` with
//! `index`, `line`, `asserts`, `captures`, `calls`, `curl_cmd`), with what the
//! outcome tree holds: request method and URL, response status. shakedown's own
//! report (`--report json=PATH`) is the complete one.

use std::io;

use serde_json::{Value, json};

use crate::runner::outcome::{AttemptRecord, EntryOutcome, FileOutcome};
use crate::scenario::LineIndex;

/// Writes `existing` (Hurl's report array already on disk, if any) with `files` appended.
pub fn merge(
    existing: Option<&str>,
    files: &[FileOutcome],
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let mut all = match existing.map(serde_json::from_str::<Value>) {
        None => Vec::new(),
        Some(Ok(Value::Array(items))) => items,
        Some(_) => {
            return Err(io::Error::other("the existing report.json is not a Hurl JSON report"));
        }
    };
    all.extend(files.iter().map(file_json));
    serde_json::to_writer(&mut *out, &Value::Array(all)).map_err(io::Error::other)
}

fn file_json(file: &FileOutcome) -> Value {
    let lines = LineIndex::new(&file.source);
    json!({
        "filename": file.path.display().to_string(),
        "success": file.outcome.is_pass(),
        "time": file.duration.as_millis() as u64,
        "cookies": [],
        "entries": file.entries.iter().map(|e| entry_json(e, &lines)).collect::<Vec<_>>(),
    })
}

fn entry_json(entry: &EntryOutcome, lines: &LineIndex) -> Value {
    let poll = entry.last_poll();
    let asserts: Vec<Value> = poll
        .map(|p| {
            p.asserts
                .iter()
                .map(|a| {
                    let mut value =
                        json!({ "line": lines.line(a.span.start), "success": a.success });
                    if let Some(message) = &a.message {
                        value["message"] = json!(message);
                    }
                    value
                })
                .collect()
        })
        .unwrap_or_default();
    let captures: Vec<Value> = poll
        .map(|p| p.captures.iter().map(|name| json!({ "name": name })).collect())
        .unwrap_or_default();
    let attempts: Vec<&AttemptRecord> =
        poll.map(|p| p.attempts.iter().collect()).unwrap_or_default();
    let time: u128 = attempts.iter().map(|a| a.duration.as_millis()).sum();
    json!({
        "index": entry.index,
        "line": entry.line,
        "asserts": asserts,
        "captures": captures,
        "calls": attempts.iter().map(|a| call_json(a)).collect::<Vec<_>>(),
        "curl_cmd": attempts.first().map_or_else(|| curl_command(&entry.method, &entry.url), |a| curl_command(&a.method, &a.url)),
        "time": time as u64,
    })
}

fn call_json(attempt: &AttemptRecord) -> Value {
    json!({
        "request": { "method": attempt.method, "url": attempt.url, "headers": [], "cookies": [], "query_string": [] },
        "response": { "status": attempt.status, "headers": [], "cookies": [] },
    })
}

/// curl's command line for a request: `curl 'URL'`, with `--request` unless GET.
fn curl_command(method: &str, url: &str) -> String {
    let quoted = format!("'{}'", url.replace('\'', "'\\''"));
    if method == "GET" {
        format!("curl {quoted}")
    } else {
        format!("curl --request {method} {quoted}")
    }
}

/// Writes one curl command line per request sent, in order (Hurl's `--curl FILE`).
pub fn write_curl(files: &[FileOutcome], out: &mut dyn io::Write) -> io::Result<()> {
    for file in files {
        for entry in &file.entries {
            for poll in entry.iterations.iter().flat_map(|i| &i.polls) {
                if let Some(attempt) = poll.attempts.first() {
                    writeln!(out, "{}", curl_command(&attempt.method, &attempt.url))?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_lines_quote_the_url() {
        assert_eq!(curl_command("GET", "http://h/a'b"), "curl 'http://h/a'\\''b'");
        assert_eq!(curl_command("POST", "http://h/"), "curl --request POST 'http://h/'");
    }

    #[test]
    fn an_existing_report_is_appended_to() {
        let mut out = Vec::new();
        merge(Some(r#"[{"filename":"a.hurl"}]"#), &[], &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), r#"[{"filename":"a.hurl"}]"#);
        assert!(merge(Some("{}"), &[], &mut Vec::new()).is_err());
    }
}
