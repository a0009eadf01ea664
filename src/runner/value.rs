//! The typed values that queries produce, filters transform and predicates test.
//!
//! They follow Hurl's value model (`packages/hurl/src/runner/value.rs`): JSON
//! values keep their JSON type, an XPath node-set is its own kind, bytes are
//! kept apart from strings, and dates exist only as the result of `toDate`.
//! `Display` renders a value the way Hurl prints it in diagnostics (strings in
//! double quotes, lists in brackets), so failed asserts read like Hurl's.

use std::fmt;

use chrono::{DateTime, Utc};

/// A value produced while evaluating a scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `true` or `false`.
    Bool(bool),
    /// A signed integer.
    Integer(i64),
    /// An integer beyond `i64`, kept as its decimal digits.
    BigInteger(String),
    /// A float.
    Float(f64),
    /// Text.
    String(String),
    /// A list (a JSON array, a `split` result, a nodeset converted to values...).
    List(Vec<Value>),
    /// A JSON object, keys in document order.
    Object(Vec<(String, Value)>),
    /// An XPath node-set of this size (Hurl exposes only its size).
    Nodeset(usize),
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// A date (from `toDate`, cookie `Expires`, certificate dates).
    Date(DateTime<Utc>),
    /// JSON `null`.
    Null,
    /// A value with no content, e.g. a `Secure` cookie attribute that is set.
    Unit,
}

impl Value {
    /// The type name used in diagnostics ("string", "integer", ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Bool(_) => "boolean",
            Value::Integer(_) | Value::BigInteger(_) => "integer",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Object(_) => "object",
            Value::Nodeset(_) => "nodeset",
            Value::Bytes(_) => "bytes",
            Value::Date(_) => "date",
            Value::Null => "null",
            Value::Unit => "unit",
        }
    }

    /// Converts a JSON value into a `Value`, keeping integers apart from floats.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::Integer(i)
                } else if n.is_u64() {
                    Value::BigInteger(n.to_string())
                } else {
                    Value::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => Value::List(items.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect())
            }
        }
    }

    /// The value as it is inserted into a rendered template (no quotes around strings).
    ///
    /// Returns `None` for values that Hurl refuses to render (lists, objects, nodesets, bytes).
    pub fn render(&self) -> Option<String> {
        match self {
            Value::Bool(b) => Some(b.to_string()),
            Value::Integer(i) => Some(i.to_string()),
            Value::BigInteger(s) | Value::String(s) => Some(s.clone()),
            Value::Float(f) => Some(format_float(*f)),
            Value::Date(d) => Some(d.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            Value::Null => Some("null".to_owned()),
            Value::Unit => Some(String::new()),
            Value::List(_) | Value::Object(_) | Value::Nodeset(_) | Value::Bytes(_) => None,
        }
    }
}

/// Formats a float the way Hurl prints it: always with a fractional part.
pub fn format_float(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e16 {
        format!("{value:.1}")
    } else {
        value.to_string()
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::BigInteger(s) => f.write_str(s),
            Value::Float(x) => f.write_str(&format_float(*x)),
            Value::String(s) => write!(f, "string <{s}>"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    match item {
                        Value::String(s) => write!(f, "\"{s}\"")?,
                        other => write!(f, "{other}")?,
                    }
                }
                f.write_str("]")
            }
            Value::Object(_) => f.write_str("object"),
            Value::Nodeset(n) => write!(f, "nodeset of size {n}"),
            Value::Bytes(bytes) => write!(f, "hex, {};", hex::encode(bytes)),
            Value::Date(d) => f.write_str(&d.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            Value::Null => f.write_str("null"),
            Value::Unit => f.write_str("unit"),
        }
    }
}
