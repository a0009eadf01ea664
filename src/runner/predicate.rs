//! Predicates: the test at the end of an assert line (`== 200`, `contains "x"`, `isUuid`…).
//!
//! Comparison is typed, as in Hurl: an integer equals a float of the same value,
//! but a string never equals a number. A comparison between types that cannot
//! be compared is a failure even under `not`. A missing value (`None`) fails
//! every predicate but `not …`. Messages use Hurl's wording (`integer <200>`).
//!
//! The only file access of the evaluation layer lives here: a `file,path;`
//! operand is read relative to the file root ([`read_operand_file`]).

use std::cmp::Ordering;
use std::path::{Component, Path, PathBuf};

use crate::runner::error::{EvalError, EvalErrorKind};
use crate::runner::template::{eval_expr, render};
use crate::runner::value::Value;
use crate::runner::variables::Variables;
use crate::scenario::ast::{BytesLiteral, Predicate, PredicateFunc, PredicateValue, Span};

/// The result of testing a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PredicateOutcome {
    /// Whether the assert holds (`not` already applied).
    pub success: bool,
    /// The tested value as Hurl shows it (`integer <200>`, `none`).
    pub actual: String,
    /// What was expected (`integer <404>`, `not string <x>`, `greater than integer <5>`).
    pub expected: String,
}

/// Tests a value (`None` when the query gave nothing) against a predicate.
pub fn eval_predicate(
    predicate: &Predicate,
    value: Option<&Value>,
    variables: &Variables,
    file_root: &Path,
) -> Result<PredicateOutcome, EvalError> {
    let check = check(&predicate.func, value, variables, file_root, predicate.span)?;
    let success = match check.result {
        Check::Holds(holds) => holds != predicate.not,
        Check::TypeMismatch => false,
        // No value: fails, unless negated.
        Check::Missing => predicate.not,
    };
    Ok(PredicateOutcome {
        success,
        actual: value.map_or_else(|| "none".to_owned(), Value::repr),
        expected: if predicate.not { format!("not {}", check.expected) } else { check.expected },
    })
}

/// Whether two values are equal under Hurl's typed comparison (`None`: not comparable).
pub fn values_equal(a: &Value, b: &Value) -> Option<bool> {
    Some(match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x == y,
        (Value::BigInteger(x), Value::BigInteger(y)) => x == y,
        (Value::Integer(_) | Value::BigInteger(_) | Value::Float(_), _) if is_number(b) => {
            compare_numbers(a, b)? == Ordering::Equal
        }
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::Date(x), Value::Date(y)) => x == y,
        (Value::Null, Value::Null) | (Value::Unit, Value::Unit) => true,
        (Value::Nodeset(x), Value::Nodeset(y)) => x == y,
        (Value::List(xs), Value::List(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| values_equal(x, y) == Some(true))
        }
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len()
                && xs.iter().all(|(k, x)| {
                    ys.iter().any(|(k2, y)| k == k2 && values_equal(x, y) == Some(true))
                })
        }
        _ => return None,
    })
}

/// Orders two values: numbers, strings and dates (`None`: not comparable).
pub fn compare_values(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        _ if is_number(a) && is_number(b) => compare_numbers(a, b),
        _ => None,
    }
}

/// Evaluates a predicate operand into a value (reading `file,...;` operands).
pub fn eval_operand(
    operand: &PredicateValue,
    variables: &Variables,
    file_root: &Path,
) -> Result<Value, EvalError> {
    Ok(match operand {
        PredicateValue::String(t) => Value::String(render(t, variables)?),
        PredicateValue::MultilineString(m) => {
            Value::String(crate::runner::template::graphql_document(m, variables)?)
        }
        PredicateValue::Integer(i) => Value::Integer(i.value),
        PredicateValue::BigInteger(digits) => Value::BigInteger(digits.value.clone()),
        PredicateValue::Float(f) => Value::Float(f.value.value),
        PredicateValue::Bool(b) => Value::Bool(b.value),
        PredicateValue::Null(_) => Value::Null,
        PredicateValue::Bytes(BytesLiteral::Base64(b) | BytesLiteral::Hex(b)) => {
            Value::Bytes(b.value.clone())
        }
        PredicateValue::Bytes(BytesLiteral::File(name)) => {
            let name_text = render(name, variables)?;
            Value::Bytes(read_operand_file(file_root, &name_text, name.span)?)
        }
        PredicateValue::Placeholder(p) => eval_expr(&p.expr, variables)?,
        PredicateValue::Regex(r) => Value::String(r.value.clone()),
    })
}

/// Reads a `file,name;` operand relative to the file root; the path may not leave the root.
pub fn read_operand_file(file_root: &Path, name: &str, span: Span) -> Result<Vec<u8>, EvalError> {
    let relative = Path::new(name);
    let mut depth: usize = 0;
    let mut path = PathBuf::from(file_root);
    for component in relative.components() {
        match component {
            Component::Normal(part) => {
                depth += 1;
                path.push(part);
            }
            Component::CurDir => {}
            Component::ParentDir if depth > 0 => {
                depth -= 1;
                path.pop();
            }
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(EvalError::new(
                    EvalErrorKind::UnauthorizedFileAccess(name.to_owned()),
                    span,
                ));
            }
        }
    }
    std::fs::read(&path).map_err(|_| EvalError::new(EvalErrorKind::FileRead(name.to_owned()), span))
}

enum Check {
    Holds(bool),
    TypeMismatch,
    Missing,
}

struct Checked {
    result: Check,
    expected: String,
}

fn check(
    func: &PredicateFunc,
    value: Option<&Value>,
    variables: &Variables,
    file_root: &Path,
    span: Span,
) -> Result<Checked, EvalError> {
    let operand = |op: &PredicateValue| eval_operand(op, variables, file_root);
    let (expected, result): (String, Test) = match func {
        PredicateFunc::Equal(op) => {
            let e = operand(op)?;
            (e.repr(), Box::new(move |v| from(values_equal(v, &e))))
        }
        PredicateFunc::NotEqual(op) => {
            let e = operand(op)?;
            (
                format!("not {}", e.repr()),
                Box::new(move |v| holds(values_equal(v, &e) != Some(true))),
            )
        }
        PredicateFunc::GreaterThan(op) => ordering(operand(op)?, "greater than", |o| o.is_gt()),
        PredicateFunc::GreaterThanOrEqual(op) => {
            ordering(operand(op)?, "greater than or equals to", |o| o.is_ge())
        }
        PredicateFunc::LessThan(op) => ordering(operand(op)?, "less than", |o| o.is_lt()),
        PredicateFunc::LessThanOrEqual(op) => {
            ordering(operand(op)?, "less than or equals to", |o| o.is_le())
        }
        PredicateFunc::StartsWith(op) => {
            let e = operand(op)?;
            (
                format!("starts with {}", e.repr()),
                Box::new(move |v| {
                    from(match (v, &e) {
                        (Value::String(a), Value::String(b)) => Some(a.starts_with(b.as_str())),
                        (Value::Bytes(a), Value::Bytes(b)) => Some(a.starts_with(b)),
                        _ => None,
                    })
                }),
            )
        }
        PredicateFunc::EndsWith(op) => {
            let e = operand(op)?;
            (
                format!("ends with {}", e.repr()),
                Box::new(move |v| {
                    from(match (v, &e) {
                        (Value::String(a), Value::String(b)) => Some(a.ends_with(b.as_str())),
                        (Value::Bytes(a), Value::Bytes(b)) => Some(a.ends_with(b)),
                        _ => None,
                    })
                }),
            )
        }
        PredicateFunc::Contains(op) | PredicateFunc::Includes(op) => {
            let e = operand(op)?;
            let word =
                if matches!(func, PredicateFunc::Includes(_)) { "includes" } else { "contains" };
            let list_only = word == "includes";
            (
                format!("{word} {}", e.repr()),
                Box::new(move |v| match v {
                    Value::List(_) => from(contains(v, &e)),
                    Value::String(_) | Value::Bytes(_) if !list_only => from(contains(v, &e)),
                    _ => Check::TypeMismatch,
                }),
            )
        }
        PredicateFunc::Matches(op) => {
            let (pattern, pattern_span) = match op {
                PredicateValue::Regex(r) => (r.value.clone(), r.span),
                PredicateValue::String(t) => (render(t, variables)?, t.span),
                PredicateValue::Placeholder(p) => match eval_expr(&p.expr, variables)? {
                    Value::String(s) => (s, p.span),
                    other => return Err(invalid_operand("matches", &other, p.span)),
                },
                other => {
                    let value = operand(other)?;
                    return Err(invalid_operand("matches", &value, span));
                }
            };
            let re = regex::Regex::new(&pattern).map_err(|_| {
                EvalError::new(EvalErrorKind::InvalidRegex(pattern.clone()), pattern_span)
            })?;
            (
                format!("matches regex <{pattern}>"),
                Box::new(move |v| match v {
                    Value::String(s) => holds(re.is_match(s)),
                    _ => Check::TypeMismatch,
                }),
            )
        }
        // An empty node-set is "nothing" to Hurl: `xpath "//missing" not exists` holds.
        PredicateFunc::Exists => {
            ("something".to_owned(), Box::new(move |v| holds(!matches!(v, Value::Nodeset(0)))))
        }
        PredicateFunc::IsBoolean => kind("boolean", |v| matches!(v, Value::Bool(_))),
        PredicateFunc::IsCollection => kind("collection", |v| {
            matches!(v, Value::List(_) | Value::Object(_) | Value::Bytes(_) | Value::Nodeset(_))
        }),
        PredicateFunc::IsDate => kind("date", |v| matches!(v, Value::Date(_))),
        PredicateFunc::IsEmpty => (
            "empty".to_owned(),
            Box::new(|v| match v {
                Value::String(s) => holds(s.is_empty()),
                Value::List(l) => holds(l.is_empty()),
                Value::Object(o) => holds(o.is_empty()),
                Value::Bytes(b) => holds(b.is_empty()),
                Value::Nodeset(n) => holds(*n == 0),
                _ => Check::TypeMismatch,
            }),
        ),
        PredicateFunc::IsFloat => kind("float", |v| matches!(v, Value::Float(_))),
        PredicateFunc::IsInteger => {
            kind("integer", |v| matches!(v, Value::Integer(_) | Value::BigInteger(_)))
        }
        PredicateFunc::IsIpv4 => string_kind("ipv4", |s| s.parse::<std::net::Ipv4Addr>().is_ok()),
        PredicateFunc::IsIpv6 => string_kind("ipv6", |s| s.parse::<std::net::Ipv6Addr>().is_ok()),
        PredicateFunc::IsIsoDate => {
            string_kind("date", |s| chrono::DateTime::parse_from_rfc3339(s).is_ok())
        }
        PredicateFunc::IsList => kind("list", |v| matches!(v, Value::List(_))),
        PredicateFunc::IsNumber => kind("number", is_number),
        PredicateFunc::IsObject => kind("object", |v| matches!(v, Value::Object(_))),
        PredicateFunc::IsString => kind("string", |v| matches!(v, Value::String(_))),
        PredicateFunc::IsUuid => {
            string_kind("uuid", |s| s.len() == 36 && uuid::Uuid::try_parse(s).is_ok())
        }
    };
    let result = match value {
        Some(v) => result(v),
        None => Check::Missing,
    };
    Ok(Checked { result, expected })
}

type Test = Box<dyn FnOnce(&Value) -> Check>;

fn holds(b: bool) -> Check {
    Check::Holds(b)
}

/// `None` (not comparable) is a type mismatch.
fn from(comparison: Option<bool>) -> Check {
    comparison.map_or(Check::TypeMismatch, Check::Holds)
}

fn kind(name: &str, test: fn(&Value) -> bool) -> (String, Test) {
    (name.to_owned(), Box::new(move |v| Check::Holds(test(v))))
}

/// A test of a string's format; any other value is a type mismatch (fails even under `not`).
fn string_kind(name: &str, test: fn(&str) -> bool) -> (String, Test) {
    (
        name.to_owned(),
        Box::new(move |v| match v {
            Value::String(s) => Check::Holds(test(s)),
            _ => Check::TypeMismatch,
        }),
    )
}

fn ordering(expected: Value, word: &str, accept: fn(Ordering) -> bool) -> (String, Test) {
    (
        format!("{word} {}", expected.repr()),
        Box::new(move |v| {
            compare_values(v, &expected).map_or(Check::TypeMismatch, |o| Check::Holds(accept(o)))
        }),
    )
}

fn contains(actual: &Value, expected: &Value) -> Option<bool> {
    match (actual, expected) {
        (Value::String(a), Value::String(b)) => Some(a.contains(b.as_str())),
        (Value::Bytes(a), Value::Bytes(b)) => {
            Some(b.is_empty() || a.windows(b.len()).any(|w| w == b.as_slice()))
        }
        (Value::List(items), e) => Some(items.iter().any(|i| values_equal(i, e) == Some(true))),
        _ => None,
    }
}

fn invalid_operand(predicate: &'static str, operand: &Value, span: Span) -> EvalError {
    EvalError::new(
        EvalErrorKind::InvalidPredicateOperand { predicate, operand: operand.repr() },
        span,
    )
}

fn is_number(v: &Value) -> bool {
    matches!(v, Value::Integer(_) | Value::BigInteger(_) | Value::Float(_))
}

fn compare_numbers(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => Some(x.cmp(y)),
        _ => as_f64(a)?.partial_cmp(&as_f64(b)?),
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        #[expect(
            clippy::cast_precision_loss,
            reason = "comparing an integer with a float, as Hurl does"
        )]
        Value::Integer(i) => Some(*i as f64),
        Value::BigInteger(s) => s.parse().ok(),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::runner::test_support::{S, not_pred, placeholder, pred, pv_int, pv_str, tpl};
    use crate::scenario::ast::{FloatLiteral, Spanned};

    fn s(v: &str) -> Value {
        Value::String(v.to_owned())
    }

    fn pv_float(f: f64) -> PredicateValue {
        PredicateValue::Float(Spanned {
            value: FloatLiteral { value: f, source: f.to_string() },
            span: S,
        })
    }

    fn pv_bool(b: bool) -> PredicateValue {
        PredicateValue::Bool(Spanned { value: b, span: S })
    }

    fn pv_hex(b: &[u8]) -> PredicateValue {
        PredicateValue::Bytes(BytesLiteral::Hex(Spanned { value: b.to_vec(), span: S }))
    }

    fn pv_regex(r: &str) -> PredicateValue {
        PredicateValue::Regex(Spanned { value: r.to_owned(), span: S })
    }

    fn vars() -> Variables {
        let mut v = Variables::new();
        v.insert("count", Value::Integer(3));
        v.insert("name", s("Bob"));
        v
    }

    /// (predicate, value) → (success, actual, expected).
    #[expect(clippy::needless_pass_by_value, reason = "owned arguments keep the cases short")]
    fn run(p: Predicate, value: Option<Value>) -> (bool, String, String) {
        let out = eval_predicate(&p, value.as_ref(), &vars(), Path::new("/nonexistent")).unwrap();
        (out.success, out.actual, out.expected)
    }

    fn ok(p: Predicate, value: Value) -> bool {
        run(p, Some(value)).0
    }

    #[test]
    fn equality_is_typed() {
        assert_eq!(
            run(pred(PredicateFunc::Equal(pv_int(404))), Some(Value::Integer(200))),
            (false, "integer <200>".to_owned(), "integer <404>".to_owned())
        );
        assert!(ok(pred(PredicateFunc::Equal(pv_int(200))), Value::Integer(200)));
        assert!(ok(pred(PredicateFunc::Equal(pv_int(2))), Value::Float(2.0)));
        assert!(ok(pred(PredicateFunc::Equal(pv_float(2.0))), Value::Integer(2)));
        assert!(!ok(pred(PredicateFunc::Equal(pv_str("2"))), Value::Integer(2)));
        assert!(!ok(not_pred(PredicateFunc::Equal(pv_str("2"))), Value::Integer(2)));
        assert!(ok(pred(PredicateFunc::Equal(pv_str("Bob"))), s("Bob")));
        assert!(ok(pred(PredicateFunc::Equal(pv_bool(true))), Value::Bool(true)));
        assert!(ok(pred(PredicateFunc::Equal(PredicateValue::Null(S))), Value::Null));
        assert!(!ok(pred(PredicateFunc::Equal(PredicateValue::Null(S))), s("null")));
        assert!(ok(pred(PredicateFunc::Equal(pv_hex(&[1, 2]))), Value::Bytes(vec![1, 2])));
        assert!(ok(
            pred(PredicateFunc::Equal(PredicateValue::Placeholder(placeholder("count")))),
            Value::Integer(3)
        ));
        assert!(ok(
            pred(PredicateFunc::Equal(PredicateValue::String(
                crate::runner::test_support::tpl_var("", "name")
            ))),
            s("Bob")
        ));
        assert!(ok(
            pred(PredicateFunc::Equal(PredicateValue::BigInteger(Spanned {
                value: "18446744073709551615".into(),
                span: S
            }))),
            Value::BigInteger("18446744073709551615".into())
        ));
        assert_eq!(
            run(pred(PredicateFunc::NotEqual(pv_int(200))), Some(Value::Integer(200))),
            (false, "integer <200>".to_owned(), "not integer <200>".to_owned())
        );
        assert!(ok(pred(PredicateFunc::NotEqual(pv_int(200))), Value::Integer(404)));
        assert!(ok(pred(PredicateFunc::NotEqual(pv_str("200"))), Value::Integer(200)));
        assert!(ok(not_pred(PredicateFunc::Equal(pv_int(1))), Value::Integer(2)));
        let l = Value::List(vec![Value::Integer(1), s("a")]);
        assert!(values_equal(&l, &l.clone()) == Some(true));
        let d = Value::Date(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(values_equal(&d, &d.clone()), Some(true));
        assert_eq!(values_equal(&d, &s("2024")), None);
    }

    #[test]
    fn comparisons() {
        let cases: &[(PredicateFunc, Value, bool, &str)] = &[
            (
                PredicateFunc::GreaterThan(pv_int(5)),
                Value::Integer(6),
                true,
                "greater than integer <5>",
            ),
            (
                PredicateFunc::GreaterThan(pv_int(5)),
                Value::Integer(5),
                false,
                "greater than integer <5>",
            ),
            (
                PredicateFunc::GreaterThan(pv_float(1.5)),
                Value::Integer(2),
                true,
                "greater than float <1.5>",
            ),
            (
                PredicateFunc::GreaterThanOrEqual(pv_int(5)),
                Value::Float(5.0),
                true,
                "greater than or equals to integer <5>",
            ),
            (
                PredicateFunc::GreaterThanOrEqual(pv_int(5)),
                Value::Integer(4),
                false,
                "greater than or equals to integer <5>",
            ),
            (
                PredicateFunc::LessThan(pv_int(1000)),
                Value::Integer(12),
                true,
                "less than integer <1000>",
            ),
            (
                PredicateFunc::LessThan(pv_int(10)),
                Value::Integer(12),
                false,
                "less than integer <10>",
            ),
            (
                PredicateFunc::LessThanOrEqual(pv_int(12)),
                Value::Integer(12),
                true,
                "less than or equals to integer <12>",
            ),
            (
                PredicateFunc::LessThanOrEqual(pv_int(11)),
                Value::Integer(12),
                false,
                "less than or equals to integer <11>",
            ),
            (PredicateFunc::LessThan(pv_str("b")), s("a"), true, "less than string <b>"),
            (
                PredicateFunc::LessThan(pv_str("b")),
                Value::Integer(1),
                false,
                "less than string <b>",
            ),
        ];
        for (func, value, success, expected) in cases {
            let (got, _, exp) = run(pred(func.clone()), Some(value.clone()));
            assert_eq!((got, exp.as_str()), (*success, *expected), "{func:?} {value:?}");
        }
        // A type mismatch fails even negated.
        assert!(!ok(not_pred(PredicateFunc::LessThan(pv_str("b"))), Value::Integer(1)));
    }

    #[test]
    fn string_and_collection_predicates() {
        let cases: &[(PredicateFunc, Value, bool)] = &[
            (PredicateFunc::StartsWith(pv_str("Hel")), s("Hello"), true),
            (PredicateFunc::StartsWith(pv_str("lo")), s("Hello"), false),
            (PredicateFunc::StartsWith(pv_hex(&[1])), Value::Bytes(vec![1, 2]), true),
            (PredicateFunc::StartsWith(pv_str("1")), Value::Integer(1), false),
            (PredicateFunc::EndsWith(pv_str("lo")), s("Hello"), true),
            (PredicateFunc::EndsWith(pv_str("He")), s("Hello"), false),
            (PredicateFunc::EndsWith(pv_hex(&[2])), Value::Bytes(vec![1, 2]), true),
            (PredicateFunc::Contains(pv_str("ell")), s("Hello"), true),
            (PredicateFunc::Contains(pv_str("xyz")), s("Hello"), false),
            (PredicateFunc::Contains(pv_hex(&[2, 3])), Value::Bytes(vec![1, 2, 3]), true),
            (PredicateFunc::Contains(pv_hex(&[3, 2])), Value::Bytes(vec![1, 2, 3]), false),
            (
                PredicateFunc::Contains(pv_int(2)),
                Value::List(vec![Value::Integer(1), Value::Integer(2)]),
                true,
            ),
            (
                PredicateFunc::Contains(pv_int(3)),
                Value::List(vec![Value::Integer(1), Value::Integer(2)]),
                false,
            ),
            (PredicateFunc::Includes(pv_str("a")), Value::List(vec![s("a")]), true),
            (PredicateFunc::Includes(pv_str("b")), Value::List(vec![s("a")]), false),
            (PredicateFunc::Matches(pv_regex(r"^\d{4}-\d{2}$")), s("2024-01"), true),
            (PredicateFunc::Matches(pv_str(r"^\d+$")), s("12a"), false),
            (PredicateFunc::Matches(pv_str(r"\d")), Value::Integer(1), false),
        ];
        for (func, value, success) in cases {
            assert_eq!(ok(pred(func.clone()), value.clone()), *success, "{func:?} {value:?}");
        }
        assert_eq!(
            run(pred(PredicateFunc::Contains(pv_str("x"))), Some(s("y"))).2,
            "contains string <x>"
        );
        assert_eq!(
            run(pred(PredicateFunc::Matches(pv_regex("a+"))), Some(s("y"))).2,
            "matches regex <a+>"
        );
        let err = eval_predicate(
            &pred(PredicateFunc::Matches(pv_str("("))),
            Some(&s("x")),
            &vars(),
            Path::new("."),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "invalid regex `(`");
        let err = eval_predicate(
            &pred(PredicateFunc::Matches(pv_int(1))),
            Some(&s("x")),
            &vars(),
            Path::new("."),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "predicate `matches` does not take integer <1>");
    }

    #[test]
    fn type_predicates() {
        let date = Value::Date(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
        let cases: &[(PredicateFunc, Value, bool)] = &[
            (PredicateFunc::Exists, Value::Null, true),
            (PredicateFunc::IsBoolean, Value::Bool(false), true),
            (PredicateFunc::IsBoolean, s("true"), false),
            (PredicateFunc::IsCollection, Value::List(vec![]), true),
            (PredicateFunc::IsCollection, Value::Nodeset(1), true),
            (PredicateFunc::IsCollection, s("abc"), false),
            (PredicateFunc::IsDate, date.clone(), true),
            (PredicateFunc::IsDate, s("2024-01-01T00:00:00Z"), false),
            (PredicateFunc::IsEmpty, s(""), true),
            (PredicateFunc::IsEmpty, Value::List(vec![]), true),
            (PredicateFunc::IsEmpty, Value::Object(vec![]), true),
            (PredicateFunc::IsEmpty, Value::Bytes(vec![]), true),
            (PredicateFunc::IsEmpty, Value::Nodeset(0), true),
            (PredicateFunc::IsEmpty, Value::List(vec![Value::Null]), false),
            (PredicateFunc::IsFloat, Value::Float(1.0), true),
            (PredicateFunc::IsFloat, Value::Integer(1), false),
            (PredicateFunc::IsInteger, Value::Integer(1), true),
            (PredicateFunc::IsInteger, Value::Float(1.0), false),
            (PredicateFunc::IsIpv4, s("192.168.0.1"), true),
            (PredicateFunc::IsIpv4, s("::1"), false),
            (PredicateFunc::IsIpv6, s("2001:db8::1"), true),
            (PredicateFunc::IsIpv6, s("192.168.0.1"), false),
            (PredicateFunc::IsIsoDate, s("2020-03-09T22:18:26.625Z"), true),
            (PredicateFunc::IsIsoDate, s("2020-03-09T22:18:26+02:00"), true),
            (PredicateFunc::IsIsoDate, s("2020-03-09"), false),
            (PredicateFunc::IsList, Value::List(vec![]), true),
            (PredicateFunc::IsList, Value::Object(vec![]), false),
            (PredicateFunc::IsNumber, Value::Float(1.5), true),
            (PredicateFunc::IsNumber, Value::BigInteger("99999999999999999999".into()), true),
            (PredicateFunc::IsNumber, s("1"), false),
            (PredicateFunc::IsObject, Value::Object(vec![]), true),
            (PredicateFunc::IsObject, Value::List(vec![]), false),
            (PredicateFunc::IsString, s(""), true),
            (PredicateFunc::IsString, Value::Null, false),
            (PredicateFunc::IsUuid, s("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), true),
            (PredicateFunc::IsUuid, s("6ba7b8109dad11d180b400c04fd430c8"), false),
            (PredicateFunc::IsUuid, s("not-a-uuid"), false),
        ];
        for (func, value, success) in cases {
            assert_eq!(ok(pred(func.clone()), value.clone()), *success, "{func:?} {value:?}");
            assert_eq!(
                ok(not_pred(func.clone()), value.clone()),
                !*success,
                "not {func:?} {value:?}"
            );
        }
        // isEmpty on a value with no size, a format test on a non-string, and `includes`
        // on a non-list are type mismatches: they fail either way.
        for (func, value) in [
            (PredicateFunc::IsIsoDate, date.clone()),
            (PredicateFunc::IsUuid, Value::Integer(1)),
            (PredicateFunc::IsIpv4, Value::Null),
            (PredicateFunc::Includes(pv_str("a")), s("abc")),
        ] {
            assert!(!ok(pred(func.clone()), value.clone()), "{func:?}");
            assert!(!ok(not_pred(func.clone()), value.clone()), "not {func:?}");
        }
        assert!(!ok(pred(PredicateFunc::IsEmpty), Value::Integer(0)));
        assert!(!ok(not_pred(PredicateFunc::IsEmpty), Value::Integer(0)));
    }

    #[test]
    fn missing_values() {
        assert_eq!(
            run(pred(PredicateFunc::Exists), None),
            (false, "none".to_owned(), "something".to_owned())
        );
        assert_eq!(
            run(not_pred(PredicateFunc::Exists), None),
            (true, "none".to_owned(), "not something".to_owned())
        );
        assert!(!run(pred(PredicateFunc::Equal(pv_int(1))), None).0);
        assert!(!run(pred(PredicateFunc::IsString), None).0);
        let err = eval_predicate(
            &pred(PredicateFunc::Equal(PredicateValue::Placeholder(placeholder("nope")))),
            None,
            &vars(),
            Path::new("."),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "undefined variable `nope`");
    }

    #[test]
    fn file_operands() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("data.bin"), b"Hello").unwrap();
        let file = |name: &str| PredicateValue::Bytes(BytesLiteral::File(tpl(name)));
        let run_file = |name: &str, value: &[u8]| {
            eval_predicate(
                &pred(PredicateFunc::Equal(file(name))),
                Some(&Value::Bytes(value.to_vec())),
                &vars(),
                dir.path(),
            )
            .map(|o| o.success)
            .map_err(|e| e.to_string())
        };
        assert_eq!(run_file("data.bin", b"Hello"), Ok(true));
        assert_eq!(run_file("./sub/../data.bin", b"Hello"), Ok(true));
        assert_eq!(run_file("data.bin", b"Bye"), Ok(false));
        assert_eq!(
            run_file("missing.bin", b""),
            Err("file `missing.bin` can not be read".to_owned())
        );
        assert_eq!(
            run_file("../secret", b""),
            Err("unauthorized access to file `../secret`, check --file-root option".to_owned())
        );
        assert_eq!(
            run_file("/etc/passwd", b""),
            Err("unauthorized access to file `/etc/passwd`, check --file-root option".to_owned())
        );
    }
}
