//! Template rendering: `{{expr}}` placeholders in strings and in JSON bodies.
//!
//! A placeholder evaluates to a typed [`Value`] ([`eval_expr`]). In a string
//! template the value is rendered as text; lists, objects, node-sets and bytes
//! cannot be, as in Hurl. In a JSON body a placeholder standing as a value keeps
//! its type (an integer stays a number), while one inside a JSON string is
//! rendered and then JSON-escaped ([`render_json`]).

use std::borrow::Cow;

use crate::runner::error::{EvalError, EvalErrorKind};
use crate::runner::value::{Value, format_float};
use crate::runner::variables::Variables;
use crate::scenario::ast::{
    Expr, ExprKind, Function, JsonValue, MultilineKind, MultilineString, Placeholder, Span,
    Template, TemplateElement,
};

/// Renders a string template.
pub fn render(template: &Template, variables: &Variables) -> Result<String, EvalError> {
    if let [TemplateElement::Literal(text)] = template.elements.as_slice() {
        // The common case, text without placeholders: one copy, no growth.
        return Ok(text.clone());
    }
    let mut out = String::new();
    for element in &template.elements {
        match element {
            TemplateElement::Literal(text) => out.push_str(text),
            TemplateElement::Placeholder(placeholder) => {
                out.push_str(&render_placeholder(placeholder, variables)?);
            }
        }
    }
    Ok(out)
}

/// [`render`], borrowing the text of a template without placeholders (nothing to copy).
pub fn render_cow<'a>(
    template: &'a Template,
    variables: &Variables,
) -> Result<Cow<'a, str>, EvalError> {
    match template.elements.as_slice() {
        [TemplateElement::Literal(text)] => Ok(Cow::Borrowed(text)),
        [] => Ok(Cow::Borrowed("")),
        _ => render(template, variables).map(Cow::Owned),
    }
}

/// Evaluates a placeholder expression to a typed value.
pub fn eval_expr(expr: &Expr, variables: &Variables) -> Result<Value, EvalError> {
    match &expr.kind {
        ExprKind::Variable(name) => variables.get(name).cloned().ok_or_else(|| {
            EvalError::new(EvalErrorKind::UndefinedVariable(name.clone()), expr.span)
        }),
        ExprKind::Function(Function::NewUuid) => {
            Ok(Value::String(uuid::Uuid::new_v4().hyphenated().to_string()))
        }
        ExprKind::Function(Function::NewDate) => Ok(Value::Date(chrono::Utc::now())),
    }
}

/// Renders a JSON body (with its placeholders) into the JSON text to send.
///
/// The output is compact (`{"a":1,"b":[true,null]}`); numbers are sent as written.
pub fn render_json(json: &JsonValue, variables: &Variables) -> Result<String, EvalError> {
    let mut out = String::new();
    write_json(json, variables, &mut out)?;
    Ok(out)
}

/// Renders a JSON body as written in `source`: whitespace, key order and number
/// spelling are kept, and only the placeholders are replaced (Hurl's rule).
///
/// A placeholder inside a JSON string is rendered as text and escaped for JSON;
/// a bare placeholder must render to a JSON number, boolean or null (a string
/// that reads as one counts), else it is an error, as in Hurl. Lists and objects
/// render as compact JSON.
pub fn render_json_as_written(
    json: &JsonValue,
    source: &str,
    variables: &Variables,
) -> Result<String, EvalError> {
    let span = json_span(json);
    let Some(text) = source.get(span.start..span.end) else {
        return render_json(json, variables);
    };
    let mut replacements: Vec<(Span, String)> = Vec::new();
    collect_json_placeholders(json, variables, &mut replacements)?;
    replacements.sort_by_key(|(span, _)| span.start);
    let mut out = String::with_capacity(text.len());
    let mut cursor = span.start;
    for (at, replacement) in replacements {
        if at.start < cursor || at.end > span.end {
            return render_json(json, variables);
        }
        out.push_str(source.get(cursor..at.start).unwrap_or_default());
        out.push_str(&replacement);
        cursor = at.end;
    }
    out.push_str(source.get(cursor..span.end).unwrap_or_default());
    Ok(out)
}

/// Where a JSON value is in the source.
fn json_span(json: &JsonValue) -> Span {
    match json {
        JsonValue::Object { span, .. } | JsonValue::Array { span, .. } | JsonValue::Null(span) => {
            *span
        }
        JsonValue::String(template) => template.span,
        JsonValue::Number(number) => number.span,
        JsonValue::Bool(b) => b.span,
        JsonValue::Placeholder(placeholder) => placeholder.span,
    }
}

fn collect_json_placeholders(
    json: &JsonValue,
    variables: &Variables,
    out: &mut Vec<(Span, String)>,
) -> Result<(), EvalError> {
    match json {
        JsonValue::Object { members, .. } => {
            for (key, value) in members {
                collect_string_placeholders(key, variables, out)?;
                collect_json_placeholders(value, variables, out)?;
            }
        }
        JsonValue::Array { elements, .. } => {
            for element in elements {
                collect_json_placeholders(element, variables, out)?;
            }
        }
        JsonValue::String(template) => collect_string_placeholders(template, variables, out)?,
        JsonValue::Number(_) | JsonValue::Bool(_) | JsonValue::Null(_) => {}
        JsonValue::Placeholder(placeholder) => {
            out.push((placeholder.span, bare_json_value(placeholder, variables)?));
        }
    }
    Ok(())
}

fn collect_string_placeholders(
    template: &Template,
    variables: &Variables,
    out: &mut Vec<(Span, String)>,
) -> Result<(), EvalError> {
    for element in &template.elements {
        if let TemplateElement::Placeholder(placeholder) = element {
            let text = render_placeholder(placeholder, variables)?;
            let quoted = serde_json::Value::String(text).to_string();
            let inner = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default();
            out.push((placeholder.span, inner.to_owned()));
        }
    }
    Ok(())
}

/// A bare `{{expr}}` in a JSON body: Hurl accepts what reads as a JSON number,
/// boolean or null.
fn bare_json_value(placeholder: &Placeholder, variables: &Variables) -> Result<String, EvalError> {
    let value = eval_expr(&placeholder.expr, variables)?;
    match &value {
        Value::Bool(b) => Ok(if *b { "true" } else { "false" }.to_owned()),
        Value::Integer(i) => Ok(i.to_string()),
        Value::BigInteger(s) => Ok(s.clone()),
        Value::Float(f) if f.is_finite() => Ok(format_float(*f)),
        Value::Null => Ok("null".to_owned()),
        Value::String(s) => {
            let scalar = matches!(
                serde_json::from_str::<serde_json::Value>(s),
                Ok(serde_json::Value::Number(_)
                    | serde_json::Value::Bool(_)
                    | serde_json::Value::Null)
            );
            if scalar && s.trim() == s {
                Ok(s.clone())
            } else {
                Err(EvalError::new(
                    EvalErrorKind::InvalidJsonValue(s.clone()),
                    placeholder.expr.span,
                ))
            }
        }
        Value::List(_) | Value::Object(_) => value
            .to_json()
            .map(|json| json.to_string())
            .ok_or_else(|| unrenderable(&placeholder.expr, &value)),
        Value::Float(_) | Value::Date(_) | Value::Nodeset(_) | Value::Bytes(_) | Value::Unit => {
            Err(unrenderable(&placeholder.expr, &value))
        }
    }
}

/// The text a multiline string stands for, in a request and in a response alike
/// (Hurl): its rendered text, or for ```` ```graphql ```` the JSON document
/// `{"query":"…"}`, with `"variables"` when given.
pub fn graphql_document(
    multiline: &MultilineString,
    variables: &Variables,
) -> Result<String, EvalError> {
    let text = render(&multiline.value, variables)?;
    let MultilineKind::Graphql { variables: graphql_variables } = &multiline.kind else {
        return Ok(text);
    };
    // Hurl sends the query without the blank lines before `variables` or the closing fence.
    let query = text.trim_end().to_owned();
    let mut document = serde_json::Map::new();
    document.insert("query".to_owned(), serde_json::Value::String(query));
    if let Some(vars) = graphql_variables {
        let rendered = render_json(vars, variables)?;
        let value: serde_json::Value = serde_json::from_str(&rendered).map_err(|e| {
            EvalError::new(EvalErrorKind::InvalidGraphqlVariables(e.to_string()), multiline.span)
        })?;
        document.insert("variables".to_owned(), value);
    }
    Ok(serde_json::Value::Object(document).to_string())
}

/// Renders one placeholder as text.
pub(crate) fn render_placeholder(
    placeholder: &Placeholder,
    variables: &Variables,
) -> Result<String, EvalError> {
    let value = eval_expr(&placeholder.expr, variables)?;
    value.render().ok_or_else(|| unrenderable(&placeholder.expr, &value))
}

fn unrenderable(expr: &Expr, value: &Value) -> EvalError {
    let name = match &expr.kind {
        ExprKind::Variable(name) => name.clone(),
        ExprKind::Function(Function::NewUuid) => "newUuid".to_owned(),
        ExprKind::Function(Function::NewDate) => "newDate".to_owned(),
    };
    EvalError::new(
        EvalErrorKind::UnrenderableVariable { name, type_name: value.type_name() },
        expr.span,
    )
}

fn write_json(json: &JsonValue, variables: &Variables, out: &mut String) -> Result<(), EvalError> {
    match json {
        JsonValue::Object { members, .. } => {
            out.push('{');
            for (i, (key, value)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_string(&render(key, variables)?, out);
                out.push(':');
                write_json(value, variables, out)?;
            }
            out.push('}');
        }
        JsonValue::Array { elements, .. } => {
            out.push('[');
            for (i, element) in elements.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(element, variables, out)?;
            }
            out.push(']');
        }
        JsonValue::String(template) => push_json_string(&render(template, variables)?, out),
        JsonValue::Number(number) => out.push_str(&number.value),
        JsonValue::Bool(b) => out.push_str(if b.value { "true" } else { "false" }),
        JsonValue::Null(_) => out.push_str("null"),
        JsonValue::Placeholder(placeholder) => {
            let value = eval_expr(&placeholder.expr, variables)?;
            match &value {
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Value::Integer(i) => out.push_str(&i.to_string()),
                Value::BigInteger(s) => out.push_str(s),
                Value::Float(f) if f.is_finite() => out.push_str(&format_float(*f)),
                Value::Null => out.push_str("null"),
                Value::String(s) => push_json_string(s, out),
                Value::Date(_) => push_json_string(&value.render().unwrap_or_default(), out),
                Value::List(_) | Value::Object(_) => {
                    let json =
                        value.to_json().ok_or_else(|| unrenderable(&placeholder.expr, &value))?;
                    out.push_str(&json.to_string());
                }
                Value::Float(_) | Value::Nodeset(_) | Value::Bytes(_) | Value::Unit => {
                    return Err(unrenderable(&placeholder.expr, &value));
                }
            }
        }
    }
    Ok(())
}

fn push_json_string(s: &str, out: &mut String) {
    out.push_str(&serde_json::Value::String(s.to_owned()).to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::test_support::{json_placeholder, placeholder_expr, tpl, tpl_var};
    use crate::scenario::ast::{Span, Spanned};

    fn vars() -> Variables {
        let mut v = Variables::new();
        v.insert("id", Value::Integer(42));
        v.insert("name", Value::String("Bob \"B\"".to_owned()));
        v.insert("ratio", Value::Float(1.0));
        v.insert("ok", Value::Bool(true));
        v.insert("nothing", Value::Null);
        v.insert("list", Value::List(vec![Value::Integer(1), Value::String("a".to_owned())]));
        v.insert("bytes", Value::Bytes(vec![1, 2]));
        v
    }

    #[test]
    fn renders_string_templates() {
        let cases: &[(Template, Result<&str, &str>)] = &[
            (tpl("plain"), Ok("plain")),
            (tpl_var("/users/", "id"), Ok("/users/42")),
            (tpl_var("", "ratio"), Ok("1.0")),
            (tpl_var("", "ok"), Ok("true")),
            (tpl_var("", "nothing"), Ok("null")),
            (tpl_var("x=", "missing"), Err("undefined variable `missing`")),
            (tpl_var("", "list"), Err("variable `list` of type list can not be rendered")),
            (tpl_var("", "bytes"), Err("variable `bytes` of type bytes can not be rendered")),
        ];
        for (template, expected) in cases {
            let got = render(template, &vars()).map_err(|e| e.to_string());
            assert_eq!(got.as_deref(), expected.map_err(str::to_owned).as_deref(), "{template:?}");
            // The borrowing form gives the same text, and borrows only a lone literal.
            let cow = render_cow(template, &vars());
            let borrowed = matches!(cow, Ok(Cow::Borrowed(_)));
            assert_eq!(cow.map(Cow::into_owned).map_err(|e| e.to_string()), got);
            assert_eq!(
                borrowed,
                matches!(template.elements.as_slice(), [TemplateElement::Literal(_)])
            );
        }
        let empty = Template { elements: Vec::new(), ..tpl("") };
        assert!(matches!(render_cow(&empty, &vars()), Ok(Cow::Borrowed(""))));
        assert_eq!(render(&empty, &vars()).unwrap(), "");
    }

    #[test]
    fn functions() {
        let uuid = eval_expr(&placeholder_expr(ExprKind::Function(Function::NewUuid)), &vars());
        let Ok(Value::String(uuid)) = uuid else { panic!("{uuid:?}") };
        assert!(uuid::Uuid::parse_str(&uuid).is_ok());
        let date = eval_expr(&placeholder_expr(ExprKind::Function(Function::NewDate)), &vars());
        assert!(matches!(date, Ok(Value::Date(_))));
    }

    #[test]
    fn renders_typed_json() {
        let s = Span::default();
        let json = JsonValue::Object {
            members: vec![
                (tpl("id"), json_placeholder("id")),
                (tpl("name"), json_placeholder("name")),
                (tpl("greeting"), JsonValue::String(tpl_var("hi ", "name"))),
                (tpl("ratio"), json_placeholder("ratio")),
                (tpl("ok"), json_placeholder("ok")),
                (tpl("none"), json_placeholder("nothing")),
                (tpl("list"), json_placeholder("list")),
                (
                    tpl("raw"),
                    JsonValue::Array {
                        elements: vec![
                            JsonValue::Number(Spanned { value: "1.10".to_owned(), span: s }),
                            JsonValue::Bool(Spanned { value: false, span: s }),
                            JsonValue::Null(s),
                        ],
                        span: s,
                    },
                ),
            ],
            span: s,
        };
        assert_eq!(
            render_json(&json, &vars()).unwrap(),
            r#"{"id":42,"name":"Bob \"B\"","greeting":"hi Bob \"B\"","ratio":1.0,"ok":true,"none":null,"list":[1,"a"],"raw":[1.10,false,null]}"#
        );
        let err = render_json(&json_placeholder("bytes"), &vars()).unwrap_err();
        assert_eq!(err.to_string(), "variable `bytes` of type bytes can not be rendered");
        let err = render_json(&json_placeholder("missing"), &vars()).unwrap_err();
        assert_eq!(err.to_string(), "undefined variable `missing`");
    }
}
