//! `shakedown explain REPORT.json`: the diagnoses of a stored report, grouped by cause.
//!
//! Reads only what it needs from the report (the top-level `diagnoses[]` list of
//! `shakedown.report/v1`), so a report written by a later shakedown with more fields, or
//! causes this build does not know, still reads. Prints each cause with its count, the
//! confidence counts, where it happened, and each distinct hint once.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::cli::args::ExplainArgs;
use crate::cli::output::{Printer, write_atomically};
use crate::diagnosis::Cause;
use crate::exit_code;
use crate::report::json::SCHEMA;

/// How many places are listed per cause before "and N more".
const MAX_PLACES: usize = 10;

#[derive(Deserialize)]
struct StoredReport {
    schema: String,
    #[serde(default)]
    diagnoses: Vec<StoredDiagnosis>,
}

#[derive(Deserialize)]
struct StoredEntry {
    #[serde(default)]
    line: usize,
}

#[derive(Deserialize)]
struct StoredDiagnosis {
    #[serde(default)]
    file: String,
    entry: StoredEntry,
    #[serde(default)]
    method: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    attempt: usize,
    cause: String,
    #[serde(default)]
    confidence: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    evidence: Vec<String>,
    #[serde(default)]
    may_have_executed: String,
    #[serde(default)]
    hint: String,
}

/// Runs `shakedown explain`.
pub fn run(args: &ExplainArgs, printer: &mut Printer) -> u8 {
    let name = args.report.display().to_string();
    let text = match std::fs::read_to_string(&args.report) {
        Ok(text) => text,
        Err(e) => {
            printer.error(&format!("error: cannot read {name}: {e}"));
            return exit_code::INPUT;
        }
    };
    let report: StoredReport = match serde_json::from_str(&text) {
        Ok(report) => report,
        Err(e) => {
            printer.error(&format!("error: {name} is not a shakedown JSON report: {e}"));
            return exit_code::INPUT;
        }
    };
    if report.schema != SCHEMA {
        printer.error(&format!(
            "error: {name} has schema `{}`; this shakedown reads `{SCHEMA}`",
            report.schema
        ));
        return exit_code::INPUT;
    }
    if let Some(cause) = &args.cause
        && Cause::parse(cause).is_none()
    {
        let known: Vec<&str> = Cause::ALL.iter().map(|c| c.as_str()).collect();
        printer.error(&format!(
            "error: unknown cause `{cause}` for --cause; known causes: {}",
            known.join(", ")
        ));
        return exit_code::USAGE;
    }
    if args.reproduce {
        return reproduce(args, &name, &text, printer);
    }
    let selected: Vec<&StoredDiagnosis> = report
        .diagnoses
        .iter()
        .filter(|d| args.cause.as_ref().is_none_or(|c| *c == d.cause))
        .collect();
    for line in render(&name, &selected, args.evidence) {
        printer.out(&line);
    }
    exit_code::SUCCESS
}

/// `--reproduce`: the fault plan, to `--out` or stdout.
fn reproduce(args: &ExplainArgs, name: &str, text: &str, printer: &mut Printer) -> u8 {
    let facts: super::reproduce::ReportFacts = match serde_json::from_str(text) {
        Ok(facts) => facts,
        Err(e) => {
            printer.error(&format!("error: {name} is not a shakedown JSON report: {e}"));
            return exit_code::INPUT;
        }
    };
    let plan = super::reproduce::plan(name, &facts, args.cause.as_deref());
    match &args.out {
        Some(path) => match write_atomically(path, plan.as_bytes()) {
            Ok(()) => {
                printer.err(&format!(
                    "wrote {}: run it with `shakedown run --faults {}`",
                    path.display(),
                    path.display()
                ));
                exit_code::SUCCESS
            }
            Err(e) => {
                printer.error(&format!("error: cannot write {}: {e}", path.display()));
                exit_code::RUNTIME
            }
        },
        None => {
            printer.out(plan.trim_end());
            exit_code::SUCCESS
        }
    }
}

/// The lines printed for `diagnoses`: a headline, then one block per cause.
fn render(name: &str, diagnoses: &[&StoredDiagnosis], evidence: bool) -> Vec<String> {
    let mut lines = Vec::new();
    if diagnoses.is_empty() {
        lines.push(format!("{name}: no diagnoses: no attempt failed or ended badly"));
        return lines;
    }
    // Known causes in the vocabulary's order, then any a later shakedown added.
    let mut groups: BTreeMap<(usize, &str), Vec<&StoredDiagnosis>> = BTreeMap::new();
    for d in diagnoses {
        let rank = Cause::parse(&d.cause).map_or(Cause::ALL.len(), Cause::index);
        groups.entry((rank, d.cause.as_str())).or_default().push(d);
    }
    let failures = diagnoses
        .iter()
        .filter(|d| Cause::parse(&d.cause).is_none_or(|c| !c.is_prevention()))
        .count();
    lines.push(format!(
        "{name}: {} diagnosis(es) in {} cause(s); {failures} of a failure or a bad end, {} of prevention",
        diagnoses.len(),
        groups.len(),
        diagnoses.len() - failures
    ));
    for ((_, cause), group) in &groups {
        lines.push(String::new());
        lines.push(format!(
            "{cause}: {} ({}){}",
            group.len(),
            counts(group.iter().map(|d| d.confidence.as_str()), "confidence"),
            match Cause::parse(cause) {
                Some(_) => format!("; see docs/causes/{cause}.md"),
                None => String::new(),
            }
        ));
        lines.push(format!(
            "  executed: {}",
            counts(group.iter().map(|d| d.may_have_executed.as_str()), "")
        ));
        for d in group.iter().take(MAX_PLACES) {
            lines.push(format!(
                "  {}:{} {} {} attempt {}: {}",
                d.file, d.entry.line, d.method, d.url, d.attempt, d.summary
            ));
            if evidence {
                for item in &d.evidence {
                    lines.push(format!("      - {item}"));
                }
            }
        }
        if group.len() > MAX_PLACES {
            lines.push(format!("  ... and {} more", group.len() - MAX_PLACES));
        }
        let mut hints: Vec<(&str, usize)> = Vec::new();
        for d in group {
            match hints.iter_mut().find(|(h, _)| *h == d.hint) {
                Some((_, n)) => *n += 1,
                None => hints.push((&d.hint, 1)),
            }
        }
        for (hint, n) in hints {
            if n > 1 {
                lines.push(format!("  hint ({n}x): {hint}"));
            } else {
                lines.push(format!("  hint: {hint}"));
            }
        }
    }
    lines
}

/// "2 high, 1 medium confidence" from a list of values, in first-seen order.
fn counts<'a>(values: impl Iterator<Item = &'a str>, noun: &str) -> String {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for value in values {
        match seen.iter_mut().find(|(v, _)| *v == value) {
            Some((_, n)) => *n += 1,
            None => seen.push((value, 1)),
        }
    }
    let text = seen.iter().map(|(v, n)| format!("{n} {v}")).collect::<Vec<_>>().join(", ");
    if noun.is_empty() { text } else { format!("{text} {noun}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(cause: &str, hint: &str) -> StoredDiagnosis {
        StoredDiagnosis {
            file: "a.hurl".to_owned(),
            entry: StoredEntry { line: 3 },
            method: "POST".to_owned(),
            url: "http://x/".to_owned(),
            attempt: 1,
            cause: cause.to_owned(),
            confidence: "high".to_owned(),
            summary: "what happened".to_owned(),
            evidence: vec!["a fact".to_owned()],
            may_have_executed: "yes".to_owned(),
            hint: hint.to_owned(),
        }
    }

    #[test]
    fn groups_by_cause_in_vocabulary_order_with_counts_and_each_hint_once() {
        let a = stored("unread_request_body", "drain the body");
        let b = stored("stale_connection_replaced", "nothing failed");
        let c = stored("unread_request_body", "drain the body");
        let d = stored("a_future_cause", "later");
        let lines = render("r.json", &[&a, &b, &c, &d], true);
        let text = lines.join("\n");
        assert!(
            text.starts_with("r.json: 4 diagnosis(es) in 3 cause(s); 3 of a failure"),
            "{text}"
        );
        let stale = text.find("stale_connection_replaced: 1").expect(&text);
        let unread = text.find("unread_request_body: 2 (2 high confidence)").expect(&text);
        let future = text.find("a_future_cause: 1 (1 high confidence)\n").expect(&text);
        assert!(stale < unread && unread < future, "{text}");
        assert!(text.contains("  hint (2x): drain the body"), "{text}");
        assert!(text.contains("  a.hurl:3 POST http://x/ attempt 1: what happened"), "{text}");
        assert!(text.contains("      - a fact"), "{text}");
        assert!(text.contains("see docs/causes/unread_request_body.md"), "{text}");
        assert!(render("r.json", &[], false)[0].contains("no diagnoses"));
    }
}
