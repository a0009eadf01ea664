//! `shakedown merge`: reads shard results, checks every shard 1..N is there once, adds them up
//! (`load::result::merge`), judges the thresholds on the merged numbers, prints the summary and
//! writes the combined document.

use std::path::PathBuf;

use crate::cli::args::MergeArgs;
use crate::cli::load_cmd::{finish_code, summary, write_result};
use crate::cli::output::Printer;
use crate::exit_code;
use crate::load::result::{LoadResult, merge};
use crate::load::threshold::Threshold;

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
    let mut facts = merged.facts;
    for t in &extra {
        if !facts.thresholds.contains(&t.text) {
            facts.thresholds.push(t.text.clone());
        }
    }
    let mut thresholds = Vec::new();
    for text in &facts.thresholds {
        match Threshold::parse(text) {
            Ok(t) => thresholds.push(t),
            Err(e) => {
                printer.error(&format!("error: in a shard's result: {e}"));
                return exit_code::INPUT;
            }
        }
    }
    let verdicts: Vec<_> =
        thresholds.iter().map(|t| t.evaluate(&merged.aggregate, facts.elapsed)).collect();
    let interrupted = facts.interrupted;
    let mut result = LoadResult::new(&merged.aggregate, facts, verdicts.clone());
    result.merged_from.clone_from(&merged.used);
    printer.err(&format!("merged {} shard(s)", merged.used.len()));
    for line in summary(&result) {
        printer.err(&line);
    }
    let mut code = finish_code(&verdicts, interrupted);
    if let Some(path) = &args.out {
        code = exit_code::combine([code, write_result(&result, path, &[], printer)]);
    }
    code
}
