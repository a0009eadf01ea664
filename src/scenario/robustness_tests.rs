//! Robustness of the parser and the one renderer on large generated inputs: lines past
//! column 65,535, thousands of errors, deep nesting, megabyte files, invalid UTF-8.
//!
//! Nothing may panic, and cost must grow linearly. Cost is the deterministic
//! [`work`] meter (bytes scanned, steps taken by the cursor, the index and the
//! renderer), compared between an input and one four times its size — never the clock.

use proptest::prelude::*;

use crate::scenario::ast::Span;
use crate::scenario::position::work;
use crate::scenario::{
    LineIndex, Look, MAX_RENDERED, ParseDiagnostic, Renderer, decode, parse, shown_position,
};

/// Work for an input four times larger stays under this factor (linear: about 4; quadratic: 16).
const LINEAR: f64 = 5.0;

/// Past the 16 bits miette's padding can hold.
const FAR: usize = 65_536;

const LOOK: Look = Look { color: false, context_lines: 1, width: 100 };

/// Everything `check` and `test` do with a file's diagnostics: parse, draw (capped),
/// and the position of every one (the JSON report).
fn parse_and_render(source: &str) -> (Vec<ParseDiagnostic>, String) {
    let (_, diags) = parse(source);
    let renderer = Renderer::new("f.hurl", source, LOOK);
    let text = renderer.render_all(diags.iter().map(ParseDiagnostic::snippet), "");
    let index = LineIndex::new(source);
    for diag in &diags {
        let _ = shown_position(&index, source, diag.span);
    }
    (diags, text)
}

/// The work of `run` on `make(n)` and on `make(4 * n)`, checked for linear growth.
fn assert_linear<T>(what: &str, make: impl Fn(usize) -> String, n: usize, run: impl Fn(&str) -> T) {
    let small = make(n);
    let large = make(4 * n);
    let (_, w1) = work::measure(|| run(&small));
    let (_, w4) = work::measure(|| run(&large));
    assert!(w1 > 0, "{what}: no work measured");
    let ratio = w4 as f64 / w1 as f64;
    assert!(
        ratio <= LINEAR,
        "{what}: work {w1} for {} bytes but {w4} for {} bytes (x{ratio:.1})",
        small.len(),
        large.len()
    );
}

/// Entries with one error each, of every kind the parser recovers from.
const BAD_ENTRIES: [&str; 10] = [
    "GET http://a/\nHTTP 200\n[Asserts]\nbody matches /a(/\n\n",
    "GET http://a/\nHTTP 2x0\n\n",
    "GET http://a/\n[Assertz]\nstatus == 200\n\n",
    "GET http://a/\n[Options]\nretri: 3\n\n",
    "GET http://a/\nHTTP 200\n[Asserts]\nheader \"a == 1\n\n",
    "POST http://a/\n{\"a\": [1, 2,]}\n\n",
    "POST http://a/\n<a><b></a>\n\n",
    "GET http://a/\nX{{: 1\n\n",
    "GET http://a/\nHTTP 200\n[Asserts]\nstatus == 200 bogus\n\n",
    "GET http://a/\nHTTP 200\n[Captures]\nx: jsonpath \"$.a\" nope\n\n",
];

/// A valid entry of about 200 bytes.
const GOOD_ENTRY: &str = "POST http://a/{{path}}?q=1\nX-Token: {{token}}\n[Options]\nretry: 2\n{\"a\": [1, \"é\", {\"b\": null}]}\nHTTP 200\n[Asserts]\njsonpath \"$.a\" count == 3\nbody matches /é+/\n\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// Thousands of errors of mixed kinds: every one reported, at most 100 drawn, linear work.
    #[test]
    fn thousands_of_errors_cost_linear_work(kinds in prop::collection::vec(0..BAD_ENTRIES.len(), 1..5)) {
        let block: String = kinds.iter().filter_map(|&k| BAD_ENTRIES.get(k).copied()).collect();
        let make = |n: usize| block.repeat(n);
        let (diags, text) = parse_and_render(&make(1_000));
        prop_assert!(diags.len() >= 1_000);
        prop_assert_eq!(text.matches("  × ").count(), MAX_RENDERED);
        let more = format!("and {} more error(s)", diags.len() - MAX_RENDERED);
        prop_assert!(text.contains(&more));
        assert_linear("errors", make, 500, parse_and_render);
    }

    /// An error past column 65,535, after any kind of character: drawn, at the right
    /// character column, as a window of the line.
    #[test]
    fn errors_past_column_65535_are_drawn(
        fill in prop::sample::select(vec!['a', 'é', '🙂', ' ', '\t', '{', '"', '\\']),
        extra in 0usize..40_000,
        kind in 0usize..4,
    ) {
        let pad: String = std::iter::repeat_n(fill, FAR + extra).collect();
        let source = match kind {
            0 => format!("GET http://a/\nHTTP 200\n[Asserts]\nheader \"{}\" == 1 bogus\n", pad.replace(['"', '\\'], "x")),
            1 => format!("GET http://a/\n{}HTTP 2x0\n", pad.replace(|c: char| !c.is_whitespace(), " ")),
            2 => format!("GET http://a/\nHTTP 200\n[Asserts]\nbody == \"{}\" x\n", pad.replace(['"', '\\'], "y")),
            _ => format!("GET http://a/#{pad}\nHTTP 200 {pad}x\n"),
        };
        let (diags, text) = parse_and_render(&source);
        prop_assert!(!diags.is_empty(), "no error in the generated file");
        let first = diags.first().map(|d| d.span.start).unwrap_or_default();
        // The position, counted naively.
        let line_start = source.get(..first).and_then(|s| s.rfind('\n')).map_or(0, |i| i + 1);
        let line = source.get(..first).map_or(0, |s| s.matches('\n').count()) + 1;
        let column = source.get(line_start..first).map_or(0, |s| s.chars().count()) + 1;
        let header = format!("f.hurl:{line}:{column}]");
        prop_assert!(text.contains(&header), "{} not in {}", header, text);
        prop_assert!(text.len() < 4_000, "{} bytes drawn", text.len());
        let plain = crate::scenario::render_plain(&diags, "f.hurl", &source);
        prop_assert!(plain.contains(&header));
        let color = Look { color: true, context_lines: 2, width: 80 };
        let colored = Renderer::new("f.hurl", &source, color)
            .render_all(diags.iter().map(ParseDiagnostic::snippet), "\n");
        let escape = colored.contains('\u{1b}');
        prop_assert!(escape && colored.len() < 8_000, "{} bytes", colored.len());
    }

    /// A file that is not UTF-8: the first invalid byte's line and column, drawn.
    #[test]
    fn invalid_utf8_names_the_first_invalid_byte(
        lines in prop::collection::vec("[a-zé🙂 ]{0,30}", 1..20),
        bad in prop::sample::select(vec![0x80u8, 0xbf, 0xc0, 0xc3, 0xe2, 0xf0, 0xf8, 0xfe, 0xff]),
        tail in prop::collection::vec(any::<u8>(), 0..50),
    ) {
        let text = lines.join("\n");
        let mut bytes = text.clone().into_bytes();
        bytes.push(bad);
        // A lead byte followed by nothing that continues it is invalid too.
        bytes.push(b'\n');
        bytes.extend(tail);
        let Err(error) = decode(bytes) else {
            return Err(TestCaseError::fail("invalid UTF-8 decoded"));
        };
        let line = text.matches('\n').count() + 1;
        let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        prop_assert_eq!((error.line, error.column, error.offset, error.byte), (line, column, text.len(), bad));
        let text = Renderer::new("f.hurl", &error.lossy, LOOK).render(&error.diagnostic().snippet());
        let header = format!("f.hurl:{line}:{column}]");
        prop_assert!(text.contains(&header), "{}", text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Any text, any span, any look: the renderer draws it, and the header's position is the
    /// naive character count of where the caret starts.
    #[test]
    fn any_span_of_any_text_renders(
        parts in prop::collection::vec(
            prop_oneof![
                "[a-z ]{0,20}",
                Just("\n".to_owned()),
                Just("\r\n".to_owned()),
                Just("\t".to_owned()),
                Just("é🙂\u{200b}\u{301}".to_owned()),
                Just("\u{feff}".to_owned()),
                Just("\u{1b}[31m".to_owned()),
                (0usize..3_000).prop_map(|n| "w".repeat(n)),
            ],
            0..30,
        ),
        start in 0usize..100_000,
        len in 0usize..100_000,
        context_lines in 0usize..4,
        width in 1usize..200,
        color in any::<bool>(),
    ) {
        let source: String = parts.concat();
        let start = start % (source.len() + 2);
        let diag = ParseDiagnostic::new("title", Span::new(start, start.saturating_add(len)), "label")
            .with_help("help");
        let look = Look { color, context_lines, width };
        let renderer = Renderer::new("f.hurl", &source, look);
        let text = renderer.render(&diag.snippet());
        let (line, column) = renderer.position(diag.span);
        let header = format!("f.hurl:{line}:{column}");
        prop_assert!(text.contains(&header), "{} not in {}", header, text);
        prop_assert!(text.len() < 8_000 + 200 * context_lines, "{} bytes", text.len());
        // The position, counted naively at the caret's start.
        let index = LineIndex::new(&source);
        prop_assert_eq!(shown_position(&index, &source, diag.span), (line, column));
        let at = {
            let mut at = start.min(source.len());
            while !source.is_char_boundary(at) { at -= 1; }
            at
        };
        let before = source.get(..at).unwrap_or_default();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let naive_line = before.matches('\n').count() + 1;
        let mut naive_column = before.get(line_start..).map_or(0, |l| l.chars().count()) + 1;
        if line_start == 0 && at >= 3 && source.starts_with('\u{feff}') {
            naive_column -= 1;
        }
        prop_assert_eq!(index.line_col(&source, at), (naive_line, naive_column));
    }
}

#[test]
fn every_bad_entry_has_an_error() {
    for entry in BAD_ENTRIES {
        let (_, diags) = parse(entry);
        assert!(!diags.is_empty(), "no error in {entry:?}");
    }
}

#[test]
fn megabyte_files_cost_linear_work() {
    // About 1 MB and 4 MB, valid.
    assert_linear("valid", |n| GOOD_ENTRY.repeat(n), 5_000, parse_and_render);
    let (diags, _) = parse_and_render(&GOOD_ENTRY.repeat(5_000));
    assert!(diags.is_empty(), "{diags:?}");
    // A single line of a megabyte, then one of four.
    assert_linear(
        "one long line",
        |n| format!("GET http://a/{}\n", "é".repeat(n)),
        500_000,
        parse_and_render,
    );
    assert_linear(
        "a long line of placeholders",
        |n| format!("GET http://a/\n{}: x\n", "{{a}}".repeat(n)),
        100_000,
        parse_and_render,
    );
}

#[test]
fn positions_of_many_errors_on_one_long_line_cost_linear_work() {
    // One line of n characters (two bytes each) with an error every 10 characters.
    let positions = |source: &str| {
        let index = LineIndex::new(source);
        let diags: Vec<ParseDiagnostic> = (0..source.len())
            .step_by(20)
            .map(|at| ParseDiagnostic::new("bad", Span::new(at, at + 2), "here"))
            .collect();
        let text = Renderer::new("f.hurl", source, LOOK)
            .render_all(diags.iter().map(ParseDiagnostic::snippet), "");
        // Every position, as the JSON report writes them all.
        let all: Vec<(usize, usize)> =
            diags.iter().map(|d| shown_position(&index, source, d.span)).collect();
        let last = all.last().copied();
        (text, last)
    };
    let source = "é".repeat(400_000);
    let (text, last) = positions(&source);
    assert_eq!(last, Some((1, 399_991)));
    assert!(text.contains("f.hurl:1:991]"), "the 100th is drawn");
    assert!(text.contains("and 39900 more error(s)"));
    assert_linear("positions on one line", |n| "é".repeat(n), 100_000, positions);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    let inputs = [
        format!("POST http://a/\n{}{}\n", "[".repeat(depth), "]".repeat(depth)),
        format!("POST http://a/\n{}1{}\n", "{\"a\":".repeat(depth), "}".repeat(depth)),
        format!("POST http://a/\n{}\n", "[".repeat(depth)),
        format!("POST http://a/\n```json\n{}\n```\n", "[".repeat(depth)),
        format!("POST http://a/\n{}{}\n", "<a>".repeat(depth), "</a>".repeat(depth)),
        format!("GET http://a/{}\n", "{{".repeat(depth)),
        format!(
            "GET http://a/\nHTTP 200\n[Asserts]\nbody matches /{}{}/\n",
            "(".repeat(depth),
            ")".repeat(depth)
        ),
        format!(
            "POST http://a/\n```graphql\n{}\nvariables {}\n```\n",
            "{".repeat(depth),
            "[".repeat(depth)
        ),
    ];
    for (i, source) in inputs.iter().enumerate() {
        let (diags, text) = parse_and_render(source);
        // JSON bodies have a depth limit; the rest does not recurse.
        if i < 3 {
            assert!(
                diags.iter().any(|d| d.label.contains("maximum nesting depth")),
                "input {i}: {text}"
            );
        }
        assert!(text.len() < 4_000 * diags.len().max(1), "input {i}");
    }
}

#[test]
fn a_leading_bom_and_crlf_do_not_shift_columns() {
    let source = format!("\u{feff}GET http://a/{} {{{{\r\nHTTP 200\r\n", "é".repeat(FAR));
    let (diags, text) = parse_and_render(&source);
    assert_eq!(diags.len(), 1, "{text}");
    // `GET http://a/` is 13 characters, then FAR and a space; the error is under the
    // second `{`. The BOM takes no column.
    assert!(text.contains(&format!("f.hurl:1:{}]", 13 + FAR + 3)), "{text}");
}
