//! Where shakedown's output goes: stdout and stderr handles, colour, redaction, atomic files.
//!
//! This is the only place that writes to the terminal. A broken pipe on stdout
//! is not an error (ripgrep's rule): `shakedown test | head` must not fail.

use std::io::{self, IsTerminal, Write};

use crate::report::human::Style;

/// A command-line usage error (exit code 1), rendered once at the edge.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Writes to stdout and stderr.
#[derive(Debug)]
pub struct Printer {
    color: bool,
}

impl Printer {
    /// A printer; colour only when asked, or when stderr is a terminal and `NO_COLOR` is unset.
    pub fn new(color: Option<bool>) -> Printer {
        let color = color.unwrap_or_else(|| {
            io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        });
        Printer { color }
    }

    /// The snippet style to use.
    pub fn style(&self) -> Style {
        if self.color { Style::Color } else { Style::Plain }
    }

    /// A line on stdout.
    pub fn out(&mut self, line: &str) {
        let mut stdout = io::stdout().lock();
        let _ = writeln!(stdout, "{line}");
    }

    /// Raw bytes on stdout.
    pub fn out_bytes(&mut self, bytes: &[u8]) {
        let mut stdout = io::stdout().lock();
        let _ = stdout.write_all(bytes);
        let _ = stdout.flush();
    }

    /// A line on stderr.
    pub fn err(&mut self, line: &str) {
        let mut stderr = io::stderr().lock();
        let _ = writeln!(stderr, "{line}");
    }

    /// An error line on stderr.
    pub fn error(&mut self, line: &str) {
        self.err(line);
    }
}

/// Replaces every secret value in `text` with `***`, longest first, in every form
/// a secret takes in what shakedown writes: as is, escaped for a JSON string (once,
/// or twice for a value quoted inside a message that the JSON report quotes again),
/// escaped the way Rust's `{:?}` and the runner's value quoting do, percent-encoded
/// as in a URL's query or path or a form body, and escaped for XML (JUnit). Redacting JSON text for the raw secret alone would miss a secret
/// containing `"` or `\`: the document holds `\"` and `\\` instead.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let forms = secret_forms(secrets);
    let mut out = text.to_owned();
    for form in forms {
        if out.contains(form.as_str()) {
            out = out.replace(form.as_str(), "***");
        }
    }
    out
}

/// Every written form of every non-empty secret, longest first, without duplicates.
fn secret_forms(secrets: &[String]) -> Vec<String> {
    let json = |s: &str| {
        let quoted = serde_json::Value::String(s.to_owned()).to_string();
        quoted[1..quoted.len() - 1].to_owned()
    };
    let xml_text = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let xml_attr = |s: &str| xml_text(s).replace('"', "&quot;").replace('\'', "&apos;");
    // In a URL (a secret in a query or a path is percent-encoded as `url` does it) or
    // a form body.
    let url_forms = |s: &str| {
        let mut forms: Vec<String> =
            vec![url::form_urlencoded::byte_serialize(s.as_bytes()).collect()];
        if let Ok(mut url) = url::Url::parse("http://h/") {
            url.set_query(Some(s));
            forms.extend(url.query().map(str::to_owned));
            url.set_path(s);
            forms.push(url.path().trim_start_matches('/').to_owned());
        }
        forms
    };
    let mut forms = Vec::new();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let mut bases = vec![secret.clone(), secret.escape_debug().to_string(), json(secret)];
        bases.extend(url_forms(secret).into_iter().filter(|f| !f.is_empty()));
        for base in bases {
            forms.push(json(&base));
            forms.push(xml_text(&base));
            forms.push(xml_attr(&base));
            forms.push(base);
        }
    }
    forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    forms.dedup();
    forms
}

pub use crate::session::write_atomically;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_replaces_every_occurrence_longest_first() {
        let secrets = vec!["abc".to_owned(), "abcdef".to_owned(), String::new()];
        assert_eq!(redact("x abcdef y abc", &secrets), "x *** y ***");
    }

    #[test]
    fn redaction_covers_the_escaped_forms_of_a_secret() {
        let secret = r#"p"a\ss<&>'w"#.to_owned();
        let secrets = vec![secret.clone()];
        let json = serde_json::json!({ "actual": secret, "quoted": format!("{secret:?}") });
        let text = redact(&json.to_string(), &secrets);
        assert!(!text.contains("a\\\\ss") && !text.contains("p\\\""), "{text}");
        assert_eq!(text, r#"{"actual":"***","quoted":"\"***\""}"#);
        let xml = "<failure message=\"p&quot;a\\ss&lt;&amp;&gt;&apos;w\">p\"a\\ss&lt;&amp;&gt;'w</failure>";
        assert_eq!(redact(xml, &secrets), "<failure message=\"***\">***</failure>");
        assert_eq!(redact(&format!("x {secret} y"), &secrets), "x *** y");
        let mut url = url::Url::parse("http://h/p").unwrap();
        url.set_query(Some(&format!("key={secret}")));
        assert_eq!(redact(url.as_str(), &secrets), "http://h/p?key=***");
    }
}
