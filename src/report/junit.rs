//! The JUnit XML report, written to validate against the Jenkins xunit `junit-10.xsd`
//! (tests/data/junit-10.xsd; an integration test checks it with xmllint).
//!
//! The document is a list of [`Suite`]s, written by [`write_suites`]: one per file for
//! `shakedown test`, one per layer for `shakedown run`, built from the report model by
//! `report::merge` for both (and for `shakedown merge`). A scenario entry is one [`Case`], named stably from its line,
//! method and URL *template* as written (`line 3: GET {{base_url}}/orders/{{id}}`,
//! classname the file), so CI history sees the same test on every run.
//! A failed assert is a `<failure>` whose message quotes the assert with the expected
//! and actual values and `file:line`, and whose text lists every failed assert.
//! Transport attempts that failed before a pass are `<flakyError>` elements of a
//! passing case; attempts that failed before a final failure are `<rerunError>`s.
//! The XSD allows no `skipped` on `<testsuites>` and no `timestamp`/`time` on these
//! rerun elements, so neither is written; invalid XML characters become U+FFFD.
//! A rerun's message names the diagnosed cause first, and every diagnosis of an entry
//! is in its `<system-out>`, a passing entry's included.

use std::io;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, SecondsFormat, Utc};

use crate::report::source::FailedAssert;

/// One `<testsuite>`.
#[derive(Clone, Debug)]
pub struct Suite {
    /// Its name (a file in `test`, a layer in `run`).
    pub name: String,
    /// When it started, if it did.
    pub timestamp: Option<SystemTime>,
    /// How long it took, if it ran.
    pub time: Option<Duration>,
    /// Its test cases.
    pub cases: Vec<Case>,
    /// `<properties>`: name and value pairs (`partial = true` in a checkpoint).
    pub properties: Vec<(String, String)>,
}

/// One `<testcase>`.
#[derive(Clone, Debug)]
pub struct Case {
    /// Stable across runs.
    pub name: String,
    /// The file (or the layer, for a command layer's own case).
    pub classname: String,
    /// How long it took, if it ran.
    pub time: Option<Duration>,
    /// How it ended.
    pub result: CaseResult,
    /// Failed attempts before the last one (`<flakyError>`/`<rerunError>`).
    pub reruns: Vec<Rerun>,
    /// `<system-out>` text, if any (the entry's diagnoses).
    pub system_out: Option<String>,
    /// `<system-err>` text, if any.
    pub system_err: Option<String>,
}

/// How a test case ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseResult {
    /// Passed (flaky passes too: their reruns say so).
    Passed,
    /// Not run; why.
    Skipped(String),
    /// The service answered wrongly (`<failure>`).
    Failure(Problem),
    /// The service could not be tested (`<error>`).
    Error(Problem),
}

/// The content of a `<failure>` or `<error>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The `type` attribute (`assert`, `transport`, `capture`, …).
    pub ty: String,
    /// The `message` attribute: one line.
    pub message: String,
    /// The element's text: the details.
    pub detail: String,
}

/// Which rerun element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RerunKind {
    /// A failed attempt before a pass.
    FlakyError,
    /// A failed attempt before a final failure.
    RerunError,
}

/// One failed attempt before the last.
#[derive(Clone, Debug)]
pub struct Rerun {
    /// The element.
    pub kind: RerunKind,
    /// The `type` attribute: the retry rule that allowed the retry, or `transport`.
    pub ty: String,
    /// The `message` attribute.
    pub message: String,
    /// The element's text.
    pub detail: String,
}

/// A test case with a name, a class name and a result, and nothing else.
pub fn case(name: &str, classname: &str, result: CaseResult) -> Case {
    Case {
        name: name.to_owned(),
        classname: classname.to_owned(),
        time: None,
        result,
        reruns: Vec::new(),
        system_out: None,
        system_err: None,
    }
}

/// A layer that ended badly (not passed, flaky or not run) with no failing case of its own
/// gets one error case that says why, so CI never reads a failed layer as green.
pub fn add_layer_error(cases: &mut Vec<Case>, layer: &str, outcome: &str, why: &str) {
    let failing =
        cases.iter().any(|c| matches!(c.result, CaseResult::Failure(_) | CaseResult::Error(_)));
    let bad = !matches!(outcome, "passed" | "flaky" | "not_run");
    if bad && !failing {
        cases.push(case(
            "layer",
            layer,
            CaseResult::Error(Problem {
                ty: outcome.to_owned(),
                message: format!("layer {layer} {outcome}: {why}"),
                detail: String::new(),
            }),
        ));
    }
}

/// The `<failure>` of an entry whose asserts failed.
pub fn assert_problem(file_name: &str, failed: &[FailedAssert]) -> Problem {
    let located = |a: &FailedAssert| format!("{file_name}:{}: {}", a.line, a.summary());
    let message = match failed {
        [] => "an assert failed".to_owned(),
        [one] => located(one),
        [first, ..] => format!("{} asserts failed; the first: {}", failed.len(), located(first)),
    };
    let mut detail = String::new();
    for a in failed {
        detail.push_str(&format!("{file_name}:{}:{}: {}\n", a.line, a.column, a.text));
        if let Some(expected) = &a.expected {
            detail.push_str(&format!("  expected: {expected}\n"));
        }
        if let Some(actual) = &a.actual {
            detail.push_str(&format!("  actual:   {actual}\n"));
        }
        if let Some(message) = &a.message {
            detail.push_str(&format!("  error:    {message}\n"));
        }
    }
    Problem { ty: "assert".to_owned(), message, detail }
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Counts {
    fn of(cases: &[Case]) -> Counts {
        let mut counts = Counts { tests: cases.len(), ..Counts::default() };
        for case in cases {
            match case.result {
                CaseResult::Passed => {}
                CaseResult::Skipped(_) => counts.skipped += 1,
                CaseResult::Failure(_) => counts.failures += 1,
                CaseResult::Error(_) => counts.errors += 1,
            }
        }
        counts
    }
}

/// Writes `suites` as one `<testsuites>` document to `out`.
pub fn write_suites(suites: &[Suite], out: &mut dyn io::Write) -> io::Result<()> {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let (mut tests, mut failures, mut errors) = (0, 0, 0);
    for suite in suites {
        let counts = Counts::of(&suite.cases);
        tests += counts.tests;
        failures += counts.failures;
        errors += counts.errors;
    }
    let time: Duration = suites.iter().filter_map(|s| s.time).sum();
    xml.push_str(&format!(
        "<testsuites name=\"shakedown\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{}\">\n",
        seconds(time)
    ));
    for suite in suites {
        let counts = Counts::of(&suite.cases);
        xml.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\"",
            attr(&suite.name),
            counts.tests,
            counts.failures,
            counts.errors,
            counts.skipped
        ));
        if let Some(at) = suite.timestamp {
            let at = DateTime::<Utc>::from(at).to_rfc3339_opts(SecondsFormat::Millis, true);
            xml.push_str(&format!(" timestamp=\"{at}\""));
        }
        if let Some(time) = suite.time {
            xml.push_str(&format!(" time=\"{}\"", seconds(time)));
        }
        if suite.cases.is_empty() && suite.properties.is_empty() {
            xml.push_str("/>\n");
            continue;
        }
        xml.push_str(">\n");
        if !suite.properties.is_empty() {
            xml.push_str("    <properties>\n");
            for (name, value) in &suite.properties {
                xml.push_str(&format!(
                    "      <property name=\"{}\" value=\"{}\"/>\n",
                    attr(name),
                    attr(value)
                ));
            }
            xml.push_str("    </properties>\n");
        }
        for case in &suite.cases {
            write_case(&mut xml, case);
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    out.write_all(xml.as_bytes())
}

fn write_case(xml: &mut String, case: &Case) {
    xml.push_str(&format!(
        "    <testcase name=\"{}\" classname=\"{}\"",
        attr(&case.name),
        attr(&case.classname)
    ));
    if let Some(time) = case.time {
        xml.push_str(&format!(" time=\"{}\"", seconds(time)));
    }
    if case.result == CaseResult::Passed
        && case.reruns.is_empty()
        && case.system_err.is_none()
        && case.system_out.is_none()
    {
        xml.push_str("/>\n");
        return;
    }
    xml.push_str(">\n");
    match &case.result {
        CaseResult::Passed => {}
        CaseResult::Skipped(message) => {
            xml.push_str(&format!("      <skipped message=\"{}\"/>\n", attr(message)));
        }
        CaseResult::Failure(problem) => element(xml, "failure", problem),
        CaseResult::Error(problem) => element(xml, "error", problem),
    }
    for rerun in &case.reruns {
        let tag = match rerun.kind {
            RerunKind::FlakyError => "flakyError",
            RerunKind::RerunError => "rerunError",
        };
        xml.push_str(&format!(
            "      <{tag} message=\"{}\" type=\"{}\">{}</{tag}>\n",
            attr(&rerun.message),
            attr(&rerun.ty),
            text(&rerun.detail)
        ));
    }
    if let Some(out) = &case.system_out {
        xml.push_str(&format!("      <system-out>{}</system-out>\n", text(out)));
    }
    if let Some(err) = &case.system_err {
        xml.push_str(&format!("      <system-err>{}</system-err>\n", text(err)));
    }
    xml.push_str("    </testcase>\n");
}

fn element(xml: &mut String, tag: &str, problem: &Problem) {
    xml.push_str(&format!(
        "      <{tag} message=\"{}\" type=\"{}\">{}</{tag}>\n",
        attr(&problem.message),
        attr(&problem.ty),
        text(&problem.detail)
    ));
}

/// Seconds with millisecond precision, as the XSD's `SUREFIRE_TIME` wants (`12.345`).
fn seconds(time: Duration) -> String {
    format!("{}.{:03}", time.as_secs(), time.subsec_millis())
}

/// A character XML 1.0 allows.
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

fn escape(value: &str, in_attribute: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if in_attribute => out.push_str("&quot;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if in_attribute => out.push_str("&#9;"),
            c if allowed(c) => out.push(c),
            _ => out.push('\u{fffd}'),
        }
    }
    out
}

fn attr(value: &str) -> String {
    escape(value, true)
}

fn text(value: &str) -> String {
    escape(value, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_replaces_characters_xml_forbids() {
        assert_eq!(attr("a\"<b>&\n\u{1}"), "a&quot;&lt;b&gt;&amp;&#10;\u{fffd}");
        assert_eq!(text("a\"\n\u{fffe}"), "a\"\n\u{fffd}");
    }

    #[test]
    fn seconds_match_the_surefire_time_pattern() {
        assert_eq!(seconds(Duration::from_micros(1_234_567)), "1.234");
        assert_eq!(seconds(Duration::ZERO), "0.000");
    }

    #[test]
    fn counts_add_up_and_the_root_has_no_skipped_attribute() {
        let case = |result| Case {
            name: "n".to_owned(),
            classname: "c".to_owned(),
            time: None,
            result,
            reruns: Vec::new(),
            system_out: None,
            system_err: None,
        };
        let problem =
            Problem { ty: "t".to_owned(), message: "m".to_owned(), detail: "d".to_owned() };
        let suites = [
            Suite {
                name: "one".to_owned(),
                timestamp: None,
                time: Some(Duration::from_millis(5)),
                properties: vec![("partial".to_owned(), "true".to_owned())],
                cases: vec![
                    case(CaseResult::Passed),
                    case(CaseResult::Skipped("why".to_owned())),
                    case(CaseResult::Failure(problem.clone())),
                ],
            },
            Suite {
                name: "two".to_owned(),
                timestamp: None,
                time: None,
                cases: vec![case(CaseResult::Error(problem))],
                properties: Vec::new(),
            },
        ];
        let mut out = Vec::new();
        write_suites(&suites, &mut out).unwrap();
        let xml = String::from_utf8(out).unwrap();
        let root = xml.lines().nth(1).unwrap();
        assert_eq!(
            root,
            r#"<testsuites name="shakedown" tests="4" failures="1" errors="1" time="0.005">"#
        );
        assert!(xml.contains(r#"<testsuite name="one" tests="3" failures="1" errors="0" skipped="1" time="0.005">"#), "{xml}");
        assert!(xml.contains(r#"<skipped message="why"/>"#), "{xml}");
        assert!(xml.contains(r#"<property name="partial" value="true"/>"#), "{xml}");
        assert!(xml.contains(r#"<error message="m" type="t">d</error>"#), "{xml}");
    }
}
