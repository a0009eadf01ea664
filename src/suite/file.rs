//! The raw form of `shakedown.toml`: a serde mirror of the file, key for key.
//!
//! Every table denies unknown keys, because a silently ignored typo in a
//! readiness gate is a deployment hazard. Every value keeps its byte range
//! ([`Spanned`]) so that [`super::resolve`] can point at it. Nothing here
//! validates beyond the shape: values that need checking (durations, signals,
//! placeholders, paths, regexes) stay strings, so that `resolve` can report all
//! of their errors at once instead of stopping at the first one as serde does.
//!
//! No `#[serde(flatten)]` and no `#[serde(untagged)]`: both ruin error messages.
//! Where a value has a shape serde cannot describe well, a small visitor with
//! an `expecting` text does the work ([`Strings`], [`DurationText`],
//! [`EnvText`], [`VariableValue`], [`Entries`]); every table names itself
//! with serde's `expecting` attribute rather than its Rust type.
//!
//! Nothing outside `suite` sees these types.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = r#"a suite file"#)]
pub(crate) struct SuiteFile {
    /// `[server]`: the main server under test.
    pub(crate) server: Option<Spanned<ServerFile>>,
    /// `[servers.NAME]`: more servers, started before `[server]`, in declared order.
    pub(crate) servers: Option<Spanned<Entries<ServerFile>>>,
    /// `[variables]`: values handed to every scenario.
    pub(crate) variables: Option<Spanned<Entries<VariableValue>>>,
    /// `[[layer]]`: the layers, in the order they run.
    #[serde(default)]
    pub(crate) layer: Vec<Spanned<LayerFile>>,
    /// `[run]`: defaults for the command-line options of `shakedown run`.
    pub(crate) run: Option<Spanned<RunFile>>,
    /// `[faults]`: a fault plan; the scenarios reach its servers through a fault proxy.
    pub(crate) faults: Option<Spanned<super::faults::FaultsFile>>,
    /// `[load]`: the files and options of `shakedown load` on this suite.
    pub(crate) load: Option<Spanned<LoadFile>>,
}

/// `[server]` or `[servers.NAME]`.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = r#"a server table, such as { command = [...], ready = { tcp = true } }"#
)]
pub(crate) struct ServerFile {
    /// The argv that launches the server.
    pub(crate) command: Option<Spanned<Argv>>,
    /// The working directory, relative to the suite file's directory.
    pub(crate) cwd: Option<Spanned<String>>,
    /// Extra environment variables.
    pub(crate) env: Option<Spanned<Entries<EnvText>>>,
    /// How to tell that the server is ready.
    pub(crate) ready: Option<Spanned<ReadyFile>>,
    /// How to stop it.
    pub(crate) stop: Option<Spanned<StopFile>>,
    /// An external target: nothing is launched.
    pub(crate) url: Option<Spanned<String>>,
}

/// `ready = { ... }`: one readiness kind and its options.
///
/// The kinds are optional fields rather than an enum so that "two kinds" and
/// "no kind" are reported by `resolve` with a span and a hint, and so that a
/// misspelt kind gets serde's list of known keys (turned into a did-you-mean).
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = r#"a readiness table: { http = "/health" }, { tcp = true } or { stdout = "REGEX" }"#
)]
pub(crate) struct ReadyFile {
    /// `http = "/health"`: a GET of this path answers with `status`.
    pub(crate) http: Option<Spanned<String>>,
    /// The status `http` waits for (default 200).
    pub(crate) status: Option<Spanned<i64>>,
    /// `tcp = true`: the port accepts a connection.
    pub(crate) tcp: Option<Spanned<bool>>,
    /// `stdout = "REGEX"`: a line of the server's output matches.
    pub(crate) stdout: Option<Spanned<String>>,
    /// How long to wait (default 60 s).
    pub(crate) timeout: Option<Spanned<DurationText>>,
}

/// `stop = { signal = "SIGTERM", grace = "5s" }`.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = r#"a stop table, such as { signal = "SIGTERM", grace = "5s" }"#
)]
pub(crate) struct StopFile {
    /// The first signal sent to the process group.
    pub(crate) signal: Option<Spanned<String>>,
    /// How long to wait before `SIGKILL`.
    pub(crate) grace: Option<Spanned<DurationText>>,
}

/// One `[[layer]]`.
///
/// Command keys and scenario keys share one struct so that a layer that mixes
/// them is reported by `resolve` with a precise message, not as an unknown key.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = r#"a layer table with `name` and either `command` or `scenarios`"#
)]
pub(crate) struct LayerFile {
    /// The layer's name, unique in the file.
    pub(crate) name: Option<Spanned<String>>,
    /// A command layer: the argv to run.
    pub(crate) command: Option<Spanned<Argv>>,
    /// A command layer: how long it may run.
    pub(crate) timeout: Option<Spanned<DurationText>>,
    /// A command layer: the JUnit file it writes.
    pub(crate) junit: Option<Spanned<String>>,
    /// `needs = ["main", "NAME"]`: the servers a command layer needs started first.
    pub(crate) needs: Option<Spanned<Vec<Spanned<String>>>>,
    /// A command layer: its working directory.
    pub(crate) cwd: Option<Spanned<String>>,
    /// A command layer: extra environment variables.
    pub(crate) env: Option<Spanned<Entries<EnvText>>>,
    /// A scenario layer: globs of `.hurl` files.
    pub(crate) scenarios: Option<Spanned<Strings<GlobList>>>,
    /// A scenario layer: `"shared"` or `"restart"`.
    pub(crate) isolation: Option<Spanned<String>>,
    /// A scenario layer: an argv that reloads fixtures between scenario files.
    pub(crate) reset: Option<Spanned<Argv>>,
    /// A load layer: its scenarios run under load with these options.
    pub(crate) load: Option<Spanned<LoadFile>>,
}

/// `[load]`, or a load layer's `load = { ... }`: the options of `shakedown load`.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = r#"a table of load options, such as { vus = 10, duration = "30s", thresholds = ["p95<300ms"] }"#
)]
pub(crate) struct LoadFile {
    /// `[load]` only: globs of the files to load (default: every scenario layer's).
    pub(crate) scenarios: Option<Spanned<Strings<GlobList>>>,
    /// `--vus`.
    pub(crate) vus: Option<Spanned<i64>>,
    /// `--stages`, as on the command line: `"10s:5,20s:20"`.
    pub(crate) stages: Option<Spanned<String>>,
    /// `--rate`: `"200/s"` or a number per second.
    pub(crate) rate: Option<Spanned<RateText>>,
    /// `--max-vus`.
    pub(crate) max_vus: Option<Spanned<i64>>,
    /// `--duration`.
    pub(crate) duration: Option<Spanned<DurationText>>,
    /// `--max-requests`.
    pub(crate) max_requests: Option<Spanned<i64>>,
    /// `--graceful-stop`.
    pub(crate) graceful_stop: Option<Spanned<DurationText>>,
    /// `--threshold`, each.
    pub(crate) thresholds: Option<Spanned<Strings<ThresholdList>>>,
}

/// `[run]`: the suite's values for options that `shakedown run` also takes on
/// the command line (the command line wins).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = r#"a table of run options"#)]
pub(crate) struct RunFile {
    /// `--transport-retry`: `"safe"` or `"off"`.
    pub(crate) transport_retry: Option<Spanned<String>>,
    /// `--retry-methods`: methods treated as idempotent.
    pub(crate) retry_methods: Option<Spanned<Strings<MethodList>>>,
    /// `--idempotency-key-header`.
    pub(crate) idempotency_key_header: Option<Spanned<String>>,
    /// `--flaky-result`: `"pass"` or `"fail"`.
    pub(crate) flaky_result: Option<Spanned<String>>,
    /// `--jobs`.
    pub(crate) jobs: Option<Spanned<i64>>,
    /// `--connect-timeout`.
    pub(crate) connect_timeout: Option<Spanned<DurationText>>,
    /// `--max-time`.
    pub(crate) max_time: Option<Spanned<DurationText>>,
    /// `--deadline`: the whole run.
    pub(crate) deadline: Option<Spanned<DurationText>>,
    /// `--max-filesize`: the largest response body kept, in bytes.
    pub(crate) max_filesize: Option<Spanned<i64>>,
}

/// An array of strings, each element with its own span; `K` gives the
/// `expecting` text (see [`ListKind`]).
#[derive(Debug)]
pub(crate) struct Strings<K> {
    /// The elements, in order.
    pub(crate) items: Vec<Spanned<String>>,
    kind: PhantomData<K>,
}

/// What a [`Strings`] array holds, for its `expecting` text.
pub(crate) trait ListKind {
    /// Completes "invalid type: ..., expected ...".
    const EXPECTING: &'static str;
}

/// An argv.
#[derive(Debug)]
pub(crate) struct ArgvList;

impl ListKind for ArgvList {
    const EXPECTING: &'static str =
        r#"an array of strings, one per argument, such as ["python", "manage.py", "test"]"#;
}

/// Scenario globs.
#[derive(Debug)]
pub(crate) struct GlobList;

impl ListKind for GlobList {
    const EXPECTING: &'static str = r#"an array of glob patterns, such as ["scenarios/*.hurl"]"#;
}

/// HTTP methods.
#[derive(Debug)]
pub(crate) struct MethodList;

impl ListKind for MethodList {
    const EXPECTING: &'static str = r#"an array of methods, such as ["GET", "PUT"]"#;
}

/// Load thresholds.
#[derive(Debug)]
pub(crate) struct ThresholdList;

impl ListKind for ThresholdList {
    const EXPECTING: &'static str =
        r#"an array of thresholds, such as ["p95<300ms", "error_rate<1%"]"#;
}

/// An argv: `command` and `reset`.
pub(crate) type Argv = Strings<ArgvList>;

impl<'de, K: ListKind> Deserialize<'de> for Strings<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(StringsVisitor(PhantomData))
    }
}

struct StringsVisitor<K>(PhantomData<K>);

impl<'de, K: ListKind> Visitor<'de> for StringsVisitor<K> {
    type Value = Strings<K>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(K::EXPECTING)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strings<K>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<String>>()? {
            items.push(item);
        }
        Ok(Strings { items, kind: PhantomData })
    }
}

/// A duration as written (`"500ms"`, `"10s"`, `"2m"`, `"1h"`); parsed by `resolve`.
#[derive(Debug)]
pub(crate) struct DurationText(pub(crate) String);

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(DurationVisitor)
    }
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = DurationText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a duration string such as "500ms", "10s", "2m" or "1h""#)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<DurationText, E> {
        Ok(DurationText(v.to_owned()))
    }
}

/// A rate as written: `"200/s"`, `"3000/m"`, or a number per second; parsed by `resolve`.
#[derive(Debug)]
pub(crate) struct RateText(pub(crate) String);

impl<'de> Deserialize<'de> for RateText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RateVisitor)
    }
}

struct RateVisitor;

impl Visitor<'_> for RateVisitor {
    type Value = RateText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a rate such as "200/s" or "3000/m", or a number per second"#)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RateText, E> {
        Ok(RateText(v.to_owned()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RateText, E> {
        Ok(RateText(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RateText, E> {
        Ok(RateText(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RateText, E> {
        Ok(RateText(v.to_string()))
    }
}

/// An environment variable's value: a string (a template, checked by `resolve`).
#[derive(Debug)]
pub(crate) struct EnvText(pub(crate) String);

impl<'de> Deserialize<'de> for EnvText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(EnvVisitor)
    }
}

struct EnvVisitor;

impl Visitor<'_> for EnvVisitor {
    type Value = EnvText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string (environment variables are text; quote numbers)")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<EnvText, E> {
        Ok(EnvText(v.to_owned()))
    }
}

/// A `[variables]` value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum VariableValue {
    /// A string.
    String(String),
    /// An integer.
    Integer(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

impl<'de> Deserialize<'de> for VariableValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(VariableVisitor)
    }
}

struct VariableVisitor;

impl Visitor<'_> for VariableVisitor {
    type Value = VariableValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, an integer, a float or a boolean")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<VariableValue, E> {
        Ok(VariableValue::String(v.to_owned()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<VariableValue, E> {
        Ok(VariableValue::Integer(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<VariableValue, E> {
        i64::try_from(v)
            .map(VariableValue::Integer)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<VariableValue, E> {
        Ok(VariableValue::Float(v))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<VariableValue, E> {
        Ok(VariableValue::Bool(v))
    }
}

/// What a table of [`Entries`] holds, for its `expecting` text.
pub(crate) trait EntryKind {
    /// Completes "invalid type: ..., expected ...".
    const TABLE_EXPECTING: &'static str;
}

impl EntryKind for ServerFile {
    const TABLE_EXPECTING: &'static str = "a table of named servers, such as [servers.pricing]";
}

impl EntryKind for EnvText {
    const TABLE_EXPECTING: &'static str =
        r#"a table of environment variables, such as { NAME = "value" }"#;
}

impl EntryKind for VariableValue {
    const TABLE_EXPECTING: &'static str = r#"a table of variables, such as { currency = "EUR" }"#;
}

/// A table whose keys are names chosen by the user, kept in declaration order
/// (servers start in that order; env and variables keep it for reports).
#[derive(Debug)]
pub(crate) struct Entries<V>(pub(crate) Vec<(Spanned<String>, Spanned<V>)>);

impl<'de, V: Deserialize<'de> + EntryKind> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

struct EntriesVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de> + EntryKind> Visitor<'de> for EntriesVisitor<V> {
    type Value = Entries<V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(V::TABLE_EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<V>, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value::<Spanned<V>>()?;
            entries.push((key, value));
        }
        Ok(Entries(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_declaration_order_and_spans() {
        let src = "[servers.b]\nurl = \"http://b\"\n[servers.a]\nurl = \"http://a\"\n";
        let file: SuiteFile = toml::from_str(src).unwrap();
        let servers = file.servers.unwrap().into_inner().0;
        let names: Vec<&str> = servers.iter().map(|(k, _)| k.get_ref().as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        assert_eq!(&src[servers[0].0.span()], "b");
    }

    #[test]
    fn unknown_key_is_an_error() {
        let err = toml::from_str::<SuiteFile>("[server]\ncomand = [\"x\"]\n").unwrap_err();
        assert!(err.message().contains("unknown field `comand`"), "{}", err.message());
    }
}
