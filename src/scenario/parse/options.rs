//! `[Options]` lines: the option name, and its value read by the option's kind.

use crate::scenario::ast::{
    BoolOption, CountOption, DurationOption, DurationUnit, EntryOption, FloatLiteral, OptionName,
    OptionValue, OptionValueKind, RESERVED_VARIABLE_NAMES, Span, Spanned, Template,
    VariableDefinition, VariableValue,
};
use crate::scenario::diagnostic::ParseDiagnostic;
use crate::scenario::did_you_mean::did_you_mean;
use crate::scenario::parse::cursor::{PResult, Parser, is_word_char};
use crate::scenario::parse::strings::StrKind;

impl Parser<'_> {
    /// One option line, its line terminator excluded.
    pub(super) fn option(&mut self) -> PResult<EntryOption> {
        let start = self.pos;
        let (name, name_span) = self.read_while(is_word_char);
        let Some(option) = OptionName::from_name(name) else {
            let names: Vec<&str> = OptionName::ALL.iter().map(|o| o.as_str()).collect();
            let span = if name.is_empty() { self.char_span(start) } else { name_span };
            let diag = ParseDiagnostic::new("invalid option", span, "the option name is not valid");
            return Err(match did_you_mean(name, &names) {
                Some(suggestion) => diag.with_help(format!("did you mean `{suggestion}`?")),
                None => diag.with_help(
                    "see https://hurl.dev/docs/request.html#options for the option names",
                ),
            });
        };
        self.skip_sp();
        if !self.eat(":") {
            return Err(ParseDiagnostic::new(
                "expecting `:`",
                self.char_span(self.pos),
                "expected `:` after the option name",
            )
            .with_help(format!("write `{option}: value`")));
        }
        self.skip_sp();
        let value = match option.value_kind() {
            OptionValueKind::Bool => OptionValue::Bool(self.bool_option()?),
            OptionValueKind::Count => OptionValue::Count(self.integer_option(-1)?),
            OptionValueKind::Natural => OptionValue::Natural(self.integer_option(0)?),
            OptionValueKind::Duration(_) => OptionValue::Duration(self.duration_option()?),
            OptionValueKind::Template => {
                let kind = match option {
                    OptionName::CaCert => StrKind::Filename,
                    OptionName::Cert => StrKind::FilenamePassword,
                    _ => StrKind::Value,
                };
                let value = self.template(kind)?;
                if matches!(option, OptionName::CaCert | OptionName::Cert | OptionName::Key)
                    && value.elements.is_empty()
                {
                    return Err(ParseDiagnostic::new(
                        "missing filename",
                        self.char_span(value.span.start),
                        "expecting a filename",
                    )
                    .with_help(format!("write `{option}: <path>`")));
                }
                if option == OptionName::Verbosity {
                    check_verbosity(&value)?;
                }
                OptionValue::Template(value)
            }
            OptionValueKind::Variable => OptionValue::Variable(self.variable_definition()?),
        };
        Ok(EntryOption {
            name: Spanned { value: option, span: name_span },
            value,
            span: Span::new(start, self.pos),
        })
    }

    fn bool_option(&mut self) -> PResult<BoolOption> {
        let start = self.pos;
        if self.starts_with("{{") {
            return Ok(BoolOption::Placeholder(self.placeholder()?));
        }
        if self.eat_word("true") {
            return Ok(BoolOption::Literal(Spanned {
                value: true,
                span: Span::new(start, self.pos),
            }));
        }
        if self.eat_word("false") {
            return Ok(BoolOption::Literal(Spanned {
                value: false,
                span: Span::new(start, self.pos),
            }));
        }
        Err(self.bad_value(start, "expected `true` or `false`"))
    }

    fn bad_value(&self, start: usize, label: &str) -> ParseDiagnostic {
        let span = self.value_span(start);
        ParseDiagnostic::new("invalid option value", span, label.to_owned())
            .with_help("an option value may also be a placeholder, e.g. `{{name}}`")
    }

    /// The value text from `start` up to a comment or the end of the line, spaces trimmed.
    fn value_span(&self, start: usize) -> Span {
        let end = self.line_end(start);
        let text = self.src.get(start..end).unwrap_or("");
        let text = text.split('#').next().unwrap_or("").trim_end();
        if text.is_empty() { self.char_span(start) } else { Span::new(start, start + text.len()) }
    }

    fn integer_option(&mut self, min: i64) -> PResult<CountOption> {
        let start = self.pos;
        if self.starts_with("{{") {
            return Ok(CountOption::Placeholder(self.placeholder()?));
        }
        self.eat("-");
        let (digits, _) = self.read_while(|c| c.is_ascii_digit());
        let label =
            if min < 0 { "expected an integer >= -1" } else { "expected a non-negative integer" };
        let ends_cleanly =
            self.peek().is_none_or(|c| c == ' ' || c == '\t' || c == '#' || self.at_newline());
        if digits.is_empty() || !ends_cleanly {
            self.pos = start;
            return Err(self.bad_value(start, label));
        }
        let span = Span::new(start, self.pos);
        match self.src.get(start..self.pos).unwrap_or("").parse::<i64>() {
            Ok(value) if value >= min => Ok(CountOption::Literal(Spanned { value, span })),
            _ => {
                Err(ParseDiagnostic::new("invalid option value", span, label.to_owned()).with_help(
                    if min < 0 { "-1 means infinite" } else { "the value cannot be negative" },
                ))
            }
        }
    }

    fn duration_option(&mut self) -> PResult<DurationOption> {
        let start = self.pos;
        if self.starts_with("{{") {
            return Ok(DurationOption::Placeholder(self.placeholder()?));
        }
        let (digits, digits_span) = self.read_while(|c| c.is_ascii_digit());
        if digits.is_empty() {
            return Err(self.bad_value(start, "expected a duration, e.g. `500ms` or `2s`"));
        }
        let Ok(value) = digits.parse::<u64>() else {
            return Err(ParseDiagnostic::new(
                "invalid option value",
                digits_span,
                "duration too large",
            ));
        };
        let (unit_text, unit_span) = self.read_while(|c| c.is_ascii_alphanumeric());
        let unit = match unit_text {
            "" => None,
            "ms" => Some(DurationUnit::Millisecond),
            "s" => Some(DurationUnit::Second),
            "m" => Some(DurationUnit::Minute),
            "h" => Some(DurationUnit::Hour),
            other => {
                let diag = ParseDiagnostic::new(
                    "invalid duration unit",
                    unit_span,
                    format!("unknown unit `{other}`"),
                );
                return Err(match did_you_mean(other, &["ms", "s", "m", "h"]) {
                    Some(unit) if other.len() > 1 => diag.with_help(format!(
                        "did you mean `{unit}`? valid units are ms, s, m and h"
                    )),
                    _ => diag.with_help("valid units are ms, s, m and h"),
                });
            }
        };
        Ok(DurationOption::Literal { value, unit, span: Span::new(start, self.pos) })
    }

    fn variable_definition(&mut self) -> PResult<VariableDefinition> {
        let start = self.pos;
        let (name, name_span) =
            self.read_while(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !name.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
            return Err(self.bad_value(start, "expected `name=value`"));
        }
        if RESERVED_VARIABLE_NAMES.contains(&name) {
            let label = if name == "getEnv" {
                "`getEnv` is reserved".to_owned()
            } else {
                format!("conflicts with the {name} function")
            };
            return Err(ParseDiagnostic::new("reserved name", name_span, label).with_help(
                "`getEnv`, `newDate` and `newUuid` cannot be variable names; use a different name",
            ));
        }
        let name = Spanned { value: name.to_owned(), span: name_span };
        if !self.eat("=") {
            return Err(ParseDiagnostic::new(
                "expecting `=`",
                self.char_span(self.pos),
                "expected `=` after the variable name",
            )
            .with_help("write `variable: name=value`"));
        }
        let value_start = self.pos;
        let value_span = self.value_span(value_start);
        let text = self.src.get(value_span.start..value_span.end).unwrap_or("");
        let typed = match text {
            "null" => Some(VariableValue::Null),
            "true" => Some(VariableValue::Bool(true)),
            "false" => Some(VariableValue::Bool(false)),
            _ => typed_number(text),
        };
        let value = match typed {
            Some(value) => {
                self.pos = value_span.end;
                value
            }
            None if self.peek() == Some('"') => {
                VariableValue::String(self.template(StrKind::Quoted)?)
            }
            None => VariableValue::String(self.template(StrKind::Value)?),
        };
        Ok(VariableDefinition { name, value })
    }
}

/// `verbosity` takes `brief`, `verbose` or `debug` (or a placeholder).
fn check_verbosity(value: &Template) -> PResult<()> {
    const LEVELS: [&str; 3] = ["brief", "verbose", "debug"];
    let Some(text) = value.as_literal() else { return Ok(()) };
    if LEVELS.contains(&text.as_str()) {
        return Ok(());
    }
    let diag = ParseDiagnostic::new(
        "invalid option value",
        value.span,
        "expected `brief`, `verbose` or `debug`",
    );
    Err(match did_you_mean(&text, &LEVELS) {
        Some(level) => diag.with_help(format!("did you mean `{level}`?")),
        None => diag.with_help("verbosity is `brief`, `verbose` or `debug`"),
    })
}

fn typed_number(text: &str) -> Option<VariableValue> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    if !digits.contains('.') {
        return text.parse::<i64>().ok().map(VariableValue::Integer);
    }
    let (int, frac) = digits.split_once('.')?;
    if int.is_empty() || frac.is_empty() || frac.contains('.') {
        return None;
    }
    let value = text.parse::<f64>().ok()?;
    Some(VariableValue::Float(FloatLiteral { value, source: text.to_owned() }))
}
