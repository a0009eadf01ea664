//! `shakedown merge`: reads shard results, checks every shard 1..N is there once, and combines
//! them. Load results (`shakedown.load/v1`) are added up (`load::result::merge`) and judged by
//! their thresholds; reports of `test`/`run` shards (`shakedown.report/v1`) are combined by
//! `report::merge` and written through the report writers (JSON, JUnit, HTML), with the exit
//! code a single run would have had. Mixing the two schemas is an input error.

use std::path::PathBuf;

use crate::cli::args::MergeArgs;
use crate::cli::load_cmd::{finish_code, summary, write_result};
use crate::cli::output::{Printer, write_atomically};
use crate::exit_code;
use crate::load::result::merge;
use crate::load::threshold::Threshold;
use crate::report::{html, json, junit, merge as report_merge};

/// Runs `shakedown merge`.
pub fn run(args: &MergeArgs, printer: &mut Printer) -> u8 {
    let mut paths: Vec<PathBuf> = Vec::new();
    for path in &args.results {
        if path.is_dir() {
            match std::fs::read_dir(path) {
                Ok(entries) => {
                    let mut found: Vec<PathBuf> = entries
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|e| e == "json"))
                        .collect();
                    found.sort();
                    paths.extend(found);
                }
                Err(e) => {
                    printer.error(&format!("error: cannot read {}: {e}", path.display()));
                    return exit_code::INPUT;
                }
            }
        } else {
            paths.push(path.clone());
        }
    }
    let mut inputs = Vec::new();
    for path in &paths {
        match std::fs::read_to_string(path) {
            Ok(text) => inputs.push((path.display().to_string(), text)),
            Err(e) => {
                printer.error(&format!("error: cannot read {}: {e}", path.display()));
                return exit_code::INPUT;
            }
        }
    }
    match schemas(&inputs) {
        Err(message) => {
            printer.error(&format!("error: {message}"));
            return exit_code::INPUT;
        }
        Ok(true) => return merge_reports(args, &inputs, printer),
        Ok(false) => {}
    }
    if args.report_junit.is_some() || args.report_html.is_some() {
        printer.error(
            "error: --report-junit and --report-html apply to reports of `test` and `run` shards, not to load results",
        );
        return exit_code::USAGE;
    }
    let mut extra = Vec::new();
    for text in &args.thresholds {
        match Threshold::parse(text) {
            Ok(t) => extra.push(t),
            Err(e) => {
                printer.error(&format!("error: {e}"));
                return exit_code::USAGE;
            }
        }
    }
    let merged = match merge(&inputs) {
        Ok(merged) => merged,
        Err(e) => {
            printer.error(&format!("error: {e}"));
            return exit_code::INPUT;
        }
    };
    for (index, ignored, kept) in &merged.duplicates {
        printer
            .err(&format!("warning: shard {index} appears twice: kept {kept}, ignored {ignored}"));
    }
    let result = match merged.result(&extra) {
        Ok(result) => result,
        Err(e) => {
            printer.error(&format!("error: in a shard's result: {e}"));
            return exit_code::INPUT;
        }
    };
    printer.err(&format!("merged {} shard(s)", merged.used.len()));
    for line in summary(&result) {
        printer.err(&line);
    }
    let mut code = finish_code(&result.threshold_results, result.interrupted);
    if let Some(path) = &args.out {
        code = exit_code::combine([code, write_result(&result, path, &[], printer)]);
    }
    code
}

/// Whether the inputs are reports of `test`/`run` shards (`true`) or load results (`false`);
/// an error names a report and a load result given together.
fn schemas(inputs: &[(String, String)]) -> Result<bool, String> {
    let schema_of = |text: &str| {
        #[derive(serde::Deserialize)]
        struct Head {
            schema: Option<String>,
        }
        serde_json::from_str::<Head>(text).ok().and_then(|h| h.schema)
    };
    let mut report = None;
    let mut load = None;
    for (name, text) in inputs {
        match schema_of(text).as_deref() {
            Some(json::SCHEMA) => report = report.or(Some(name)),
            Some(crate::load::result::SCHEMA) => load = load.or(Some(name)),
            _ => {}
        }
    }
    match (report, load) {
        (Some(report), Some(load)) => Err(format!(
            "cannot merge a test/run report ({report}, {}) with a load result ({load}, {})",
            json::SCHEMA,
            crate::load::result::SCHEMA
        )),
        (report, _) => Ok(report.is_some()),
    }
}

/// Merges reports of `test`/`run` shards and writes the combined reports.
fn merge_reports(args: &MergeArgs, inputs: &[(String, String)], printer: &mut Printer) -> u8 {
    if !args.thresholds.is_empty() {
        printer.error(
            "error: --threshold applies to load results, not to reports of `test` and `run` shards",
        );
        return exit_code::USAGE;
    }
    let command_line: Vec<String> = std::env::args().collect();
    let merged = match report_merge::merge(inputs, &command_line) {
        Ok(merged) => merged,
        Err(e) => {
            printer.error(&format!("error: {e}"));
            return exit_code::INPUT;
        }
    };
    for (index, ignored, kept) in &merged.duplicates {
        printer
            .err(&format!("warning: shard {index} appears twice: kept {kept}, ignored {ignored}"));
    }
    for note in &merged.notes {
        printer.err(&format!("warning: {note}"));
    }
    let report = &merged.report;
    let counts = |c: &json::CountsDto| {
        format!(
            "{} ({} passed, {} flaky, {} failed, {} error, {} skipped, {} interrupted)",
            c.total, c.passed, c.flaky, c.failed, c.error, c.skipped, c.interrupted
        )
    };
    printer.err(&format!("merged {} shard(s)", merged.used.len()));
    printer.err(&format!("Files:    {}", counts(&report.totals.files)));
    printer.err(&format!("Entries:  {}", counts(&report.totals.entries)));
    printer.err(&format!("Requests: {}", report.totals.requests));
    printer.err(&format!("Outcome:  {}", report.outcome));
    // A load layer's result is merged too: the same summary as `merge` of load results.
    for layer in report.layers.iter().flatten() {
        if let Some(load) = &layer.load {
            printer.err(&format!("layer {}: {}", layer.name, layer.outcome));
            for line in summary(load) {
                printer.err(&format!("layer {}: {line}", layer.name));
            }
        }
    }
    let mut document = Vec::new();
    let mut code = merged.code;
    if let Err(e) = json::write_report(report, &mut document) {
        printer.error(&format!("error: cannot render the merged report: {e}"));
        return exit_code::combine([code, exit_code::RUNTIME]);
    }
    let mut write = |path: &std::path::Path, bytes: std::io::Result<Vec<u8>>| {
        if let Err(e) = bytes.and_then(|bytes| write_atomically(path, &bytes)) {
            printer.error(&format!("error: cannot write report {}: {e}", path.display()));
            code = exit_code::combine([code, exit_code::RUNTIME]);
        }
    };
    if let Some(path) = &args.out {
        write(path, Ok(document.clone()));
    }
    if let Some(path) = &args.report_junit {
        let mut xml = Vec::new();
        let written = junit::write_suites(&report_merge::junit_suites(report), &mut xml);
        write(path, written.map(|()| xml));
    }
    if let Some(path) = &args.report_html {
        let mut page = Vec::new();
        let written = html::write(&document, &mut page);
        write(path, written.map(|()| page));
    }
    code
}
