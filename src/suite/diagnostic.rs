//! Suite errors as diagnostics: what is wrong, the exact span, a label, a hint.
//!
//! [`render`] draws them with the one renderer scenario errors use too: a
//! title, `file:line:col` (characters), the source line, a caret under the
//! span, the label and the help. It returns text; the caller prints it.
//! This module also turns `toml`'s errors into diagnostics, adding a
//! did-you-mean to serde's "unknown field" message.

use std::fmt;
use std::ops::Range;

use crate::scenario::ast::Span;
pub(crate) use crate::scenario::did_you_mean::did_you_mean;
use crate::scenario::{Look, Renderer, Snippet};

/// One problem in a suite file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuiteDiagnostic {
    /// What is wrong, as a short sentence fragment.
    pub message: String,
    /// The byte range of the text to underline.
    pub span: Range<usize>,
    /// The label under the caret.
    pub label: String,
    /// A suggestion, such as "did you mean `command`?".
    pub help: Option<String>,
}

impl SuiteDiagnostic {
    pub(crate) fn new(
        message: impl Into<String>,
        span: Range<usize>,
        label: impl Into<String>,
    ) -> Self {
        Self { message: message.into(), span, label: label.into(), help: None }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub(crate) fn with_help_opt(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }
}

impl fmt::Display for SuiteDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Renders every diagnostic against `source`, one after another, each ending
/// with a newline, through the one renderer (`scenario::Renderer`): character
/// columns, long lines windowed, at most [`crate::scenario::MAX_RENDERED`] drawn and the rest
/// counted. `file_name` is shown as given (say, relative to the current
/// directory). Without `color`, the output is plain Unicode text.
pub fn render(diags: &[SuiteDiagnostic], file_name: &str, source: &str, color: bool) -> String {
    // A fixed width keeps the output the same in every terminal and in tests.
    let look = Look { color, context_lines: 1, width: 100 };
    let renderer = Renderer::new(file_name, source, look);
    renderer.render_all(
        diags.iter().map(|diag| Snippet {
            span: Span::new(diag.span.start, diag.span.end),
            title: &diag.message,
            label: &diag.label,
            help: diag.help.as_deref(),
        }),
        "\n",
    )
}

/// A `toml` error (syntax, or a shape serde rejected) as a diagnostic.
pub(crate) fn from_toml(error: &toml::de::Error, source: &str) -> SuiteDiagnostic {
    let span = error.span().unwrap_or(0..0);
    let message = error.message().trim_end();
    let text = source.get(span.clone()).unwrap_or_default();
    if let Some(diag) = unknown_name(message, "field", "key", span.clone()) {
        // `[server.pricing]` for `[servers.pricing]`: serde sees a key `pricing` in `[server]`.
        let line_start = source[..span.start.min(source.len())].rfind('\n').map_or(0, |i| i + 1);
        if source[line_start..].starts_with("[server.")
            && span.start == line_start + "[server.".len()
        {
            return diag.with_help(format!("named servers go under `[servers.{text}]`"));
        }
        return diag;
    }
    if text.starts_with("[[") {
        // An array of tables where the file expects one table (`[[server]]`).
        let name = text.trim_matches(['[', ']']);
        return SuiteDiagnostic::new(
            format!("`{text}` makes `{name}` an array of tables"),
            span,
            "one table expected",
        )
        .with_help(format!("write `[{name}]`"));
    }
    if text.starts_with('[') && message.ends_with("expected a sequence") {
        // `[layer]` for `[[layer]]`.
        let name = text.trim_matches(['[', ']']);
        return SuiteDiagnostic::new(
            format!("`{text}` must be an array of tables"),
            span,
            "a single table",
        )
        .with_help(format!("write `[[{name}]]`, once per {name}"));
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "another type"));
        let expected = match expected {
            "i64" | "u64" | "i32" | "u32" | "u16" | "usize" => "an integer",
            "f64" | "f32" => "a float",
            other => other,
        };
        let help =
            (found.starts_with("string") && expected.contains("one per argument")).then(|| {
                "write each argument as its own string: shakedown runs the program without a shell"
                    .to_owned()
            });
        return SuiteDiagnostic::new(
            format!("wrong type: found {found}"),
            span,
            format!("expected {expected}"),
        )
        .with_help_opt(help);
    }
    if let Some(field) = message.strip_prefix("missing field ") {
        return SuiteDiagnostic::new(format!("missing key {field}"), span, "in this table");
    }
    // A syntax error: toml's message names what it expected. An empty span
    // still gets a caret: on the next character, or at the end of the file on
    // its last visible one.
    let span = if !span.is_empty() {
        span
    } else if span.start < source.len() {
        span.start..span.start + 1
    } else {
        let end = source.trim_end().len();
        let last = source[..end].chars().next_back().map_or(0, char::len_utf8);
        end - last..end
    };
    if message == "duplicate key" {
        let key = source.get(span.clone()).unwrap_or_default();
        return SuiteDiagnostic::new(format!("duplicate key `{key}`"), span, "set twice")
            .with_help("each key appears once per table");
    }
    SuiteDiagnostic::new(format!("invalid TOML: {message}"), span, message.to_owned())
}

/// serde's "unknown field `x`, expected one of `a`, `b`" as a diagnostic with
/// a did-you-mean over the listed names.
fn unknown_name(
    message: &str,
    serde_word: &str,
    our_word: &str,
    span: Range<usize>,
) -> Option<SuiteDiagnostic> {
    let rest = message.strip_prefix(&format!("unknown {serde_word} `"))?;
    let (name, rest) = rest.split_once('`')?;
    let known: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    let help = match (did_you_mean(name, &known), known.is_empty()) {
        (Some(best), _) => Some(format!("did you mean `{best}`? {}", known_list(&known))),
        (None, false) => Some(known_list(&known)),
        (None, true) => None,
    };
    Some(
        SuiteDiagnostic::new(
            format!("unknown {our_word} `{name}`"),
            span,
            format!("unknown {our_word}"),
        )
        .with_help_opt(help),
    )
}

/// "expected one of: `a`, `b`, `c`".
pub(crate) fn known_list(known: &[&str]) -> String {
    let names: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
    match names.as_slice() {
        [] => "nothing is expected here".to_owned(),
        [one] => format!("expected {one}"),
        _ => format!("expected one of: {}", names.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_off_the_end_or_inside_a_character_still_render() {
        let source = "a = \"é\"\n";
        for (start, end) in [(5, 6), (100, 200), (6, 5)] {
            let diag = SuiteDiagnostic::new("bad", start..end, "here");
            assert!(render(&[diag], "f.toml", source, false).contains("bad"));
        }
    }

    fn toml_diag(source: &str) -> SuiteDiagnostic {
        let error = toml::from_str::<crate::suite::file::SuiteFile>(source).unwrap_err();
        from_toml(&error, source)
    }

    #[test]
    fn common_table_mistakes_get_a_hint() {
        let d = toml_diag("[layer]\nname = \"x\"\n");
        assert_eq!(d.message, "`[layer]` must be an array of tables");
        assert_eq!(d.help.as_deref(), Some("write `[[layer]]`, once per layer"));
        let d = toml_diag("[[server]]\ncommand = [\"a\"]\n");
        assert_eq!(d.message, "`[[server]]` makes `server` an array of tables");
        let d = toml_diag("[server.pricing]\ncommand = [\"a\"]\n");
        assert_eq!(d.message, "unknown key `pricing`");
        assert_eq!(d.help.as_deref(), Some("named servers go under `[servers.pricing]`"));
        let d = toml_diag("[run]\njobs = \"2\"\n");
        assert_eq!(d.label, "expected an integer");
        let d = toml_diag("[server]\nready = \"tcp\"\n");
        assert_eq!(
            d.label,
            r#"expected a readiness table: { http = "/health" }, { tcp = true } or { stdout = "REGEX" }"#
        );
        let d = toml_diag("server = 1\n");
        assert!(d.label.starts_with("expected a server table"), "{}", d.label);
        let d = toml_diag("[[layer]]\nscenarios = \"*.hurl\"\n");
        assert_eq!(d.label, r#"expected an array of glob patterns, such as ["scenarios/*.hurl"]"#);
        let d = toml_diag("[server]\ncommand = [");
        assert_eq!(d.span, 19..20, "the last `[`");
    }

    #[test]
    fn renders_file_line_column_snippet_and_help() {
        let source = "[server]\ncomand = [\"x\"]\n";
        let diag = SuiteDiagnostic::new("unknown key `comand`", 9..15, "unknown key")
            .with_help("did you mean `command`?");
        let out = render(&[diag], "shakedown.toml", source, false);
        assert!(out.contains("shakedown.toml:2:1"), "{out}");
        assert!(out.contains("comand = [\"x\"]"), "{out}");
        assert!(out.contains("did you mean `command`?"), "{out}");
        assert!(!out.contains('\u{1b}'), "no colour codes: {out}");
        let diag = SuiteDiagnostic::new("bad", 0..1, "here");
        assert!(render(&[diag], "f.toml", "x", true).contains('\u{1b}'));
    }
}
