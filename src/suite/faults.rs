//! Fault plans as TOML, defined once: the `[faults]` table of `shakedown.toml` and a
//! standalone plan file (`shakedown run --faults plan.toml`, `shakedown proxy --plan
//! plan.toml`, what `shakedown explain --reproduce` writes) have the same keys.
//!
//! ```toml
//! seed = 7                      # optional: the seed of every toxicity roll
//! servers = ["main"]            # optional: the servers the proxy fronts (default: main)
//!
//! [[fault]]                     # in shakedown.toml: [[faults.fault]]
//! type = "reset_peer"
//! toxicity = 0.1
//! per = "request"
//! timeout = 0                   # the fault's own attributes sit beside `type`
//! ```
//!
//! Each `[[fault]]` is validated by the one validator of `fault_proxy::plan`
//! ([`Fault::from_parts`]), so `--fault`, the control API and these files accept the same
//! faults; its errors are placed on the key or value they concern, with a did-you-mean.
//! Pure: parses from `&str`; the server names are checked against a suite by
//! [`FaultsDef::check_servers`].

use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use toml::Spanned;

use crate::fault_proxy::plan::{FAULT_TYPES, Fault, FaultPlan, PlanError, parameters};
use crate::suite::diagnostic::{self, SuiteDiagnostic, did_you_mean, known_list};
use crate::suite::file::{Entries, EntryKind};

/// The raw table: `[faults]` in a suite, the top level of a plan file.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = r#"a fault plan: `seed`, `servers` and [[fault]] tables such as { type = "reset_peer" }"#
)]
pub(crate) struct FaultsFile {
    /// The seed of every roll.
    pub(crate) seed: Option<Spanned<i64>>,
    /// The servers the proxy fronts: `"main"` or a `NAME`.
    pub(crate) servers: Option<Spanned<Vec<Spanned<String>>>>,
    /// The faults.
    #[serde(default)]
    pub(crate) fault: Vec<Spanned<Entries<FaultValue>>>,
}

/// A value in a `[[fault]]` table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FaultValue {
    /// A word (`type`, `stream`, `per`, `mode`, `name`).
    String(String),
    /// A whole number.
    Integer(i64),
    /// A number such as a toxicity.
    Float(f64),
}

impl<'de> Deserialize<'de> for FaultValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FaultValueVisitor)
    }
}

struct FaultValueVisitor;

impl Visitor<'_> for FaultValueVisitor {
    type Value = FaultValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<FaultValue, E> {
        Ok(FaultValue::String(v.to_owned()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<FaultValue, E> {
        Ok(FaultValue::Integer(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<FaultValue, E> {
        i64::try_from(v)
            .map(FaultValue::Integer)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<FaultValue, E> {
        Ok(FaultValue::Float(v))
    }
}

impl EntryKind for FaultValue {
    const TABLE_EXPECTING: &'static str =
        r#"a fault table, such as { type = "reset_peer", toxicity = 0.1 }"#;
}

/// A validated fault plan with the servers it fronts.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultsDef {
    pub(crate) seed: Option<u64>,
    pub(crate) servers: Vec<Spanned<String>>,
    pub(crate) plan: FaultPlan,
}

impl FaultsDef {
    /// A plan for the main server, from faults already validated (`--fault` specs).
    pub fn new(seed: Option<u64>, plan: FaultPlan) -> FaultsDef {
        FaultsDef { seed, servers: vec![Spanned::new(0..0, "main".to_owned())], plan }
    }

    /// `seed`, if the plan sets one.
    pub fn seed(&self) -> Option<u64> {
        self.seed
    }

    /// The servers the proxy fronts: `None` for `[server]` (written `"main"`), `Some(NAME)`
    /// for `[servers.NAME]`.
    pub fn servers(&self) -> Vec<Option<&str>> {
        self.servers
            .iter()
            .map(|s| match s.get_ref().as_str() {
                "main" => None,
                name => Some(name),
            })
            .collect()
    }

    /// Whether the proxy fronts this server (`None`: the main one).
    pub fn fronts(&self, server: Option<&str>) -> bool {
        self.servers().contains(&server)
    }

    /// The faults.
    pub fn plan(&self) -> &FaultPlan {
        &self.plan
    }

    /// Checks `servers` against the suite's servers: `"main"` needs a `[server]`, a `NAME` a
    /// `[servers.NAME]`. The spans are in the text the plan was parsed from.
    pub fn check_servers(&self, has_main: bool, named: &[&str]) -> Vec<SuiteDiagnostic> {
        check_server_names(&self.servers, has_main, named)
    }
}

/// Checks `servers = [...]` against the suite's servers (see [`FaultsDef::check_servers`]).
pub(crate) fn check_server_names(
    servers: &[Spanned<String>],
    has_main: bool,
    named: &[&str],
) -> Vec<SuiteDiagnostic> {
    {
        let mut known: Vec<&str> = Vec::new();
        if has_main {
            known.push("main");
        }
        known.extend(named.iter().copied());
        let mut diags = Vec::new();
        for server in servers {
            let name = server.get_ref().as_str();
            if known.contains(&name) {
                continue;
            }
            let message = if name == "main" {
                "the fault plan fronts `main`, and the suite has no [server]".to_owned()
            } else {
                format!("the fault plan names no server of the suite: `{name}`")
            };
            let help = match did_you_mean(name, &known) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("servers are `main` or a NAME of [servers.NAME]; {}", {
                    known_list(&known)
                }),
            };
            diags.push(
                SuiteDiagnostic::new(message, server.span(), "unknown server").with_help(help),
            );
        }
        diags
    }
}

/// Parses a standalone plan file.
pub fn parse_fault_plan(source: &str) -> Result<FaultsDef, Vec<SuiteDiagnostic>> {
    let raw: FaultsFile = match toml::from_str(source) {
        Ok(raw) => raw,
        Err(error) => return Err(vec![diagnostic::from_toml(&error, source)]),
    };
    let mut diags = Vec::new();
    let def = resolve_faults(raw, 0..0, &mut diags);
    match def {
        Some(def) if diags.is_empty() => Ok(def),
        _ => {
            if diags.is_empty() {
                diags.push(SuiteDiagnostic::new("invalid fault plan", 0..0, "here"));
            }
            diags.sort_by_key(|d| (d.span.start, d.span.end));
            Err(diags)
        }
    }
}

/// Validates a raw plan; `table` is the span of the whole table (`[faults]`), used when
/// `servers` is not written. Pushes every problem found.
pub(crate) fn resolve_faults(
    raw: FaultsFile,
    table: Range<usize>,
    diags: &mut Vec<SuiteDiagnostic>,
) -> Option<FaultsDef> {
    let before = diags.len();
    let seed = raw.seed.and_then(|seed| match u64::try_from(*seed.get_ref()) {
        Ok(n) => Some(n),
        Err(_) => {
            diags.push(SuiteDiagnostic::new(
                "the seed cannot be negative",
                seed.span(),
                "expected a whole number ≥ 0",
            ));
            None
        }
    });
    let servers = match raw.servers {
        Some(list) => {
            let span = list.span();
            let list = list.into_inner();
            if list.is_empty() {
                diags.push(
                    SuiteDiagnostic::new("`servers` is empty", span, "no server to front")
                        .with_help(r#"write servers = ["main"], or leave `servers` out"#),
                );
            }
            list
        }
        None => vec![Spanned::new(table, "main".to_owned())],
    };
    let mut plan = FaultPlan::default();
    for table in raw.fault {
        let span = table.span();
        if let Some(fault) = one_fault(table.into_inner(), span.clone(), diags) {
            let name = fault.name.clone();
            if plan.add(fault).is_err() {
                diags.push(
                    SuiteDiagnostic::new(
                        format!("two faults are named `{name}`"),
                        span,
                        "the second one",
                    )
                    .with_help("give one of them its own `name`"),
                );
            }
        }
    }
    (diags.len() == before).then_some(FaultsDef { seed, servers, plan })
}

/// One `[[fault]]` table, validated by [`Fault::from_parts`].
fn one_fault(
    entries: Entries<FaultValue>,
    span: Range<usize>,
    diags: &mut Vec<SuiteDiagnostic>,
) -> Option<Fault> {
    let entries = entries.0;
    let Some((_, kind)) = entries.iter().find(|(k, _)| k.get_ref() == "type") else {
        diags.push(
            SuiteDiagnostic::new("a fault without a `type`", span, "this fault")
                .with_help(format!("add `type = \"reset_peer\"`; {}", known_list(FAULT_TYPES))),
        );
        return None;
    };
    let FaultValue::String(kind_name) = kind.get_ref() else {
        diags.push(SuiteDiagnostic::new(
            "`type` must be a string",
            kind.span(),
            known_list(FAULT_TYPES),
        ));
        return None;
    };
    if parameters(kind_name).is_none() {
        let help = match did_you_mean(kind_name, FAULT_TYPES) {
            Some(close) => format!("did you mean `{close}`?"),
            None => known_list(FAULT_TYPES),
        };
        diags.push(
            SuiteDiagnostic::new(format!("unknown fault type `{kind_name}`"), kind.span(), "here")
                .with_help(help),
        );
        return None;
    }
    let texts: Vec<(&Spanned<String>, &Spanned<FaultValue>, String)> = entries
        .iter()
        .filter(|(k, _)| k.get_ref() != "type")
        .map(|(k, v)| {
            let text = match v.get_ref() {
                FaultValue::String(s) => s.clone(),
                FaultValue::Integer(n) => n.to_string(),
                FaultValue::Float(x) => x.to_string(),
            };
            (k, v, text)
        })
        .collect();
    let pairs: Vec<(&str, &str)> =
        texts.iter().map(|(k, _, text)| (k.get_ref().as_str(), text.as_str())).collect();
    match Fault::from_parts(kind_name, &pairs) {
        Ok(fault) => Some(fault),
        Err(error) => {
            let key_of = |key: &str| texts.iter().find(|(k, _, _)| k.get_ref() == key);
            let diag = match &error {
                PlanError::UnknownKey { key, takes, .. } => {
                    let takes: Vec<&str> = takes.split(", ").collect();
                    let at = key_of(key).map_or(span.clone(), |(k, _, _)| k.span());
                    let help = match did_you_mean(key, &takes) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => format!("`{kind_name}` takes: {}", takes.join(", ")),
                    };
                    SuiteDiagnostic::new(
                        format!("fault `{kind_name}` has no parameter `{key}`"),
                        at,
                        "unknown parameter",
                    )
                    .with_help(help)
                }
                PlanError::BadValue { key, expected, .. } => match key_of(key) {
                    Some((_, v, _)) => SuiteDiagnostic::new(error.to_string(), v.span(), expected),
                    None => SuiteDiagnostic::new(
                        format!("fault `{kind_name}` needs `{key}`"),
                        span.clone(),
                        format!("`{key}` {expected}"),
                    ),
                },
                _ => SuiteDiagnostic::new(error.to_string(), span.clone(), "this fault"),
            };
            diags.push(diag);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault_proxy::plan::{FaultKind, Scope};

    #[test]
    fn a_plan_file_reads_seed_servers_and_faults() {
        let src = "seed = 7\nservers = [\"main\", \"pricing\"]\n[[fault]]\ntype = \"reset_peer\"\ntoxicity = 0.1\nper = \"request\"\n[[fault]]\ntype = \"idle_close\"\nidle = 50\nmode = \"rst\"\n";
        let def = parse_fault_plan(src).unwrap();
        assert_eq!(def.seed(), Some(7));
        assert_eq!(def.servers(), vec![None, Some("pricing")]);
        let faults = def.plan().faults();
        assert_eq!(faults.len(), 2);
        assert_eq!(faults[0].toxicity, 0.1);
        assert_eq!(faults[0].scope, Scope::Request);
        assert_eq!(
            faults[1].kind,
            FaultKind::IdleClose { idle_ms: 50, mode: crate::fault_proxy::plan::CloseMode::Rst }
        );
        assert!(def.fronts(None) && def.fronts(Some("pricing")) && !def.fronts(Some("x")));
    }

    #[test]
    fn errors_point_at_the_key_or_value_with_a_did_you_mean() {
        let src = "[[fault]]\ntype = \"reset_peeer\"\n[[fault]]\ntype = \"reset_peer\"\ntoxcity = 0.5\n[[fault]]\ntype = \"latency\"\nlatency = -3\n[[fault]]\ntoxicity = 1\n";
        let diags = parse_fault_plan(src).unwrap_err();
        assert_eq!(diags.len(), 4, "{diags:#?}");
        assert_eq!(&src[diags[0].span.clone()], "\"reset_peeer\"");
        assert_eq!(diags[0].help.as_deref(), Some("did you mean `reset_peer`?"));
        assert_eq!(&src[diags[1].span.clone()], "toxcity");
        assert_eq!(diags[1].help.as_deref(), Some("did you mean `toxicity`?"));
        assert_eq!(&src[diags[2].span.clone()], "-3");
        assert!(diags[3].message.contains("without a `type`"), "{diags:#?}");
    }

    #[test]
    fn unknown_top_level_keys_and_duplicate_names_are_errors() {
        let diags = parse_fault_plan("sead = 1\n").unwrap_err();
        assert!(diags[0].help.as_deref().unwrap_or_default().contains("seed"), "{diags:#?}");
        let src = "[[fault]]\ntype = \"latency\"\n[[fault]]\ntype = \"latency\"\n";
        let diags = parse_fault_plan(src).unwrap_err();
        assert!(diags[0].message.contains("two faults are named `latency_downstream`"));
    }

    #[test]
    fn servers_are_checked_against_the_suite() {
        let src = "servers = [\"main\", \"pricng\"]\n";
        let def = parse_fault_plan(src).unwrap();
        let diags = def.check_servers(true, &["pricing"]);
        assert_eq!(diags.len(), 1);
        assert_eq!(&src[diags[0].span.clone()], "\"pricng\"");
        assert_eq!(diags[0].help.as_deref(), Some("did you mean `pricing`?"));
        assert_eq!(def.check_servers(false, &["pricing", "pricng"]).len(), 1);
    }
}
