//! Template rendering: `{{expr}}` placeholders in strings and in JSON bodies.
//!
//! A placeholder evaluates to a typed [`Value`] ([`eval_expr`]). In a string
//! template the value is rendered as text; lists, objects, node-sets and bytes
//! cannot be, as in Hurl. In a JSON body a placeholder standing as a value keeps
//! its type (an integer stays a number), while one inside a JSON string is
//! rendered and then JSON-escaped ([`render_json`]).

use crate::runner::error::{EvalError, EvalErrorKind};
use crate::runner::value::{Value, format_float};
use crate::runner::variables::Variables;
use crate::scenario::ast::{
    Expr, ExprKind, Function, JsonValue, Placeholder, Template, TemplateElement,
};

/// Renders a string template.
pub fn render(template: &Template, variables: &Variables) -> Result<String, EvalError> {
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
        }
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
