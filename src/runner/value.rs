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
                } else if n.to_string().bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                    // An integer beyond i64 keeps all its digits (serde_json's
                    // `arbitrary_precision`), as Hurl keeps big integers.
                    Value::BigInteger(n.to_string())
                } else {
                    Value::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect())
            }
        }
    }

    /// The value as it is inserted into a rendered template (no quotes around strings).
    ///
    /// Returns `None` for values that Hurl refuses to render (lists, objects, nodesets, bytes, unit).
    pub fn render(&self) -> Option<String> {
        match self {
            Value::Bool(b) => Some(b.to_string()),
            Value::Integer(i) => Some(i.to_string()),
            Value::BigInteger(s) | Value::String(s) => Some(s.clone()),
            Value::Float(f) => Some(format_float(*f)),
            // Hurl renders dates as ISO 8601 UTC with microseconds.
            Value::Date(d) => Some(d.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()),
            Value::Null => Some("null".to_owned()),
            Value::List(_)
            | Value::Object(_)
            | Value::Nodeset(_)
            | Value::Bytes(_)
            | Value::Unit => None,
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

impl Value {
    /// The value as Hurl shows it in assert messages: its type, then its text in angle
    /// brackets (`integer <200>`, `string <abc>`, `list <[1,2]>`, `nodeset <Nodeset(size=2)>`).
    pub fn repr(&self) -> String {
        if let Value::Unit = self {
            return "unit".to_owned();
        }
        let mut out = String::with_capacity(24);
        self.repr_into(&mut out);
        out
    }

    /// Appends [`Value::repr`] to `out` (what an assert's expected and actual texts are
    /// built from, once per assert: no intermediate strings for the common scalars).
    pub fn repr_into(&self, out: &mut String) {
        use std::fmt::Write as _;
        if let Value::Unit = self {
            out.push_str("unit");
            return;
        }
        out.push_str(self.type_name());
        out.push_str(" <");
        match self {
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Integer(i) => {
                let _ = write!(out, "{i}");
            }
            Value::BigInteger(s) | Value::String(s) => out.push_str(s),
            Value::Null => out.push_str("null"),
            other => out.push_str(&other.plain()),
        }
        out.push('>');
    }

    /// Hurl's plain text of a value, as inside [`Value::repr`]'s brackets.
    fn plain(&self) -> String {
        match self {
            Value::Bool(b) => b.to_string(),
            Value::Integer(i) => i.to_string(),
            Value::BigInteger(s) | Value::String(s) => s.clone(),
            Value::Float(x) => format_float(*x),
            Value::List(items) => {
                let items: Vec<String> = items.iter().map(Value::plain).collect();
                format!("[{}]", items.join(","))
            }
            Value::Object(_) => "Object()".to_owned(),
            Value::Nodeset(n) => format!("Nodeset(size={n})"),
            Value::Bytes(bytes) => hex::encode(bytes),
            Value::Date(d) => d.to_string(),
            Value::Null => "null".to_owned(),
            Value::Unit => "Unit".to_owned(),
        }
    }

    /// The value as JSON, for lists and objects placed in a JSON body.
    ///
    /// Returns `None` for values JSON cannot hold (bytes, node-sets, unit, non-finite floats).
    pub fn to_json(&self) -> Option<serde_json::Value> {
        Some(match self {
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Integer(i) => serde_json::Value::from(*i),
            Value::BigInteger(s) => serde_json::from_str(s).ok()?,
            Value::Float(x) => serde_json::Value::Number(serde_json::Number::from_f64(*x)?),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Date(_) => serde_json::Value::String(self.render()?),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect::<Option<_>>()?)
            }
            Value::Object(members) => {
                let mut map = serde_json::Map::new();
                for (k, v) in members {
                    map.insert(k.clone(), v.to_json()?);
                }
                serde_json::Value::Object(map)
            }
            Value::Null => serde_json::Value::Null,
            Value::Nodeset(_) | Value::Bytes(_) | Value::Unit => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn repr_as_hurl_prints_it() {
        let date = Value::Date(Utc.with_ymd_and_hms(2000, 1, 1, 12, 0, 0).unwrap());
        let cases = [
            (Value::Bool(true), "boolean <true>"),
            (Value::Integer(200), "integer <200>"),
            (Value::BigInteger("18446744073709551616".into()), "integer <18446744073709551616>"),
            (Value::Float(1.0), "float <1.0>"),
            (Value::String("Hello".into()), "string <Hello>"),
            (Value::List(vec![Value::Integer(1), Value::String("a".into())]), "list <[1,a]>"),
            (Value::Object(vec![]), "object <Object()>"),
            (Value::Nodeset(5), "nodeset <Nodeset(size=5)>"),
            (Value::Bytes(vec![1, 2, 3]), "bytes <010203>"),
            (date.clone(), "date <2000-01-01 12:00:00 UTC>"),
            (Value::Null, "null <null>"),
            (Value::Unit, "unit"),
        ];
        for (value, expected) in cases {
            assert_eq!(value.repr(), expected);
            // The fast path writes what the general form would.
            let general = match &value {
                Value::Unit => "unit".to_owned(),
                other => format!("{} <{}>", other.type_name(), other.plain()),
            };
            assert_eq!(value.repr(), general);
            let mut appended = String::from("x ");
            value.repr_into(&mut appended);
            assert_eq!(appended, format!("x {expected}"));
        }
        for value in [
            Value::Bool(false),
            Value::Integer(-7),
            Value::Integer(i64::MIN),
            Value::String(String::new()),
        ] {
            assert_eq!(value.repr(), format!("{} <{}>", value.type_name(), value.plain()));
        }
        assert_eq!(date.render().as_deref(), Some("2000-01-01T12:00:00.000000Z"));
        assert_eq!(Value::Unit.render(), None);
        assert_eq!(
            Value::List(vec![Value::Integer(1), Value::Null]).to_json(),
            Some(serde_json::json!([1, null]))
        );
        assert_eq!(Value::Bytes(vec![1]).to_json(), None);
    }
}
