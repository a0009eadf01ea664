//! The settings `test`, `run`, `hunt` and `load` share, typed once at the edge and laid
//! out here once: the transport and retry options, the timeouts and the response size
//! limit ([`CommonSettings`]: the command line's value, else the suite's `[run]` value,
//! else the command's default), and the variables and secrets the command line defines
//! ([`Definitions`]).
//!
//! `cli::edge` builds both from the flags (every malformed value a usage error naming the
//! flag); `cli::definitions` reads the variable sources. Nothing here parses text.

use std::time::Duration;

use crate::retry::RetryPolicy;
use crate::runner::execute::RunSettings;
use crate::runner::value::Value;
use crate::runner::variables::Variables;
use crate::suite;

use super::settings::FlakyResult;

/// The timeouts a command uses when neither the command line nor the suite sets one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// The connect timeout.
    pub connect: Duration,
    /// The per-request time limit.
    pub max_time: Duration,
}

/// `run`'s, `hunt SUITE`'s and `load`'s defaults (Hurl's, `test`'s, are 300 s each).
pub const SUITE_TIMEOUTS: Timeouts =
    Timeouts { connect: Duration::from_secs(10), max_time: Duration::from_secs(60) };

/// The shared options as the command line gave them (`None`: not given), validated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommonSettings {
    /// `--connect-timeout`.
    pub connect_timeout: Option<Duration>,
    /// `--max-time`.
    pub max_time: Option<Duration>,
    /// `--max-filesize`.
    pub max_filesize: Option<u64>,
    /// `--transport-retry`: `Some(false)` is `off`.
    pub transport_retry: Option<bool>,
    /// `--retry-methods`, upper-case, no empty names.
    pub retry_methods: Option<Vec<String>>,
    /// `--idempotency-key-header`.
    pub idempotency_key_header: Option<String>,
    /// `--flaky-result`.
    pub flaky_result: Option<FlakyResult>,
    /// `--no-keepalive`.
    pub no_keepalive: bool,
    /// `--strict-framing`.
    pub strict_framing: bool,
    /// `--attempt-headers`.
    pub attempt_headers: bool,
}

impl CommonSettings {
    /// Every option the command line did not give, taken from a suite's `[run]` table.
    pub fn over(self, run: &suite::RunSettings) -> CommonSettings {
        CommonSettings {
            connect_timeout: self.connect_timeout.or(run.connect_timeout),
            max_time: self.max_time.or(run.max_time),
            max_filesize: self.max_filesize.or(run.max_filesize),
            transport_retry: self
                .transport_retry
                .or(run.transport_retry.map(|t| t != suite::TransportRetry::Off)),
            retry_methods: self.retry_methods.or_else(|| run.retry_methods.clone()),
            idempotency_key_header: self
                .idempotency_key_header
                .or_else(|| run.idempotency_key_header.clone()),
            flaky_result: self.flaky_result.or(run.flaky_result.map(|f| match f {
                suite::FlakyResult::Pass => FlakyResult::Pass,
                suite::FlakyResult::Fail => FlakyResult::Fail,
            })),
            ..self
        }
    }

    /// Writes the options into the runner's settings; a timeout set nowhere is
    /// `defaults`' (`None`: the runner's own, Hurl's).
    pub fn apply(&self, settings: &mut RunSettings, defaults: Option<Timeouts>) {
        let d = &mut settings.defaults;
        if let Some(t) = self.connect_timeout.or(defaults.map(|t| t.connect)) {
            d.connect_timeout = t;
        }
        if let Some(t) = self.max_time.or(defaults.map(|t| t.max_time)) {
            d.max_time = t;
        }
        if let Some(max) = self.max_filesize {
            d.max_filesize = max;
        }
        settings.no_keepalive = self.no_keepalive;
        settings.attempt_headers = self.attempt_headers;
        settings.strict_framing = self.strict_framing;
        settings.retry_policy = RetryPolicy {
            enabled: self.transport_retry.unwrap_or(true),
            idempotency_key_header: self.idempotency_key_header.clone(),
            ..RetryPolicy::default()
        };
        if let Some(methods) = &self.retry_methods {
            settings.retry_policy.idempotent_methods.clone_from(methods);
        }
    }

    /// How flaky passes count (they pass unless told otherwise).
    pub fn flaky_result(&self) -> FlakyResult {
        self.flaky_result.unwrap_or_default()
    }
}

/// The variables and secrets the command line defines, in the order they apply (a later
/// definition of a name wins).
#[derive(Clone, Debug, Default)]
pub struct Definitions {
    /// Variables, typed.
    pub variables: Vec<(String, Value)>,
    /// Secrets: redacted from every output.
    pub secrets: Vec<(String, String)>,
}

impl Definitions {
    /// As the runner's variables: the variables, then the secrets.
    pub fn into_variables(self) -> Variables {
        let mut variables = Variables::default();
        for (name, value) in self.variables {
            variables.insert(name, value);
        }
        for (name, value) in self.secrets {
            variables.insert_secret(name, Value::String(value));
        }
        variables
    }

    /// The secrets' values, the empty one left out (nothing to redact).
    pub fn secret_values(&self) -> Vec<String> {
        self.secrets.iter().map(|(_, v)| v.clone()).filter(|v| !v.is_empty()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_wins_over_the_suite_which_wins_over_the_default() {
        let run = suite::RunSettings {
            connect_timeout: Some(Duration::from_secs(3)),
            max_time: Some(Duration::from_secs(4)),
            transport_retry: Some(suite::TransportRetry::Off),
            retry_methods: Some(vec!["PUT".to_owned()]),
            flaky_result: Some(suite::FlakyResult::Fail),
            ..suite::RunSettings::default()
        };
        let given = CommonSettings {
            max_time: Some(Duration::from_secs(9)),
            transport_retry: Some(true),
            ..CommonSettings::default()
        };
        let layered = given.over(&run);
        let mut settings = RunSettings::default();
        layered.apply(&mut settings, Some(SUITE_TIMEOUTS));
        assert_eq!(settings.defaults.connect_timeout, Duration::from_secs(3));
        assert_eq!(settings.defaults.max_time, Duration::from_secs(9));
        assert!(settings.retry_policy.enabled);
        assert_eq!(settings.retry_policy.idempotent_methods, ["PUT"]);
        assert_eq!(layered.flaky_result(), FlakyResult::Fail);

        let mut settings = RunSettings::default();
        CommonSettings::default().apply(&mut settings, Some(SUITE_TIMEOUTS));
        assert_eq!(settings.defaults.connect_timeout, SUITE_TIMEOUTS.connect);
        assert_eq!(settings.defaults.max_time, SUITE_TIMEOUTS.max_time);
        let hurl = RunSettings::default();
        let mut settings = RunSettings::default();
        CommonSettings::default().apply(&mut settings, None);
        assert_eq!(settings.defaults.max_time, hurl.defaults.max_time);
        assert_eq!(CommonSettings::default().flaky_result(), FlakyResult::Pass);
    }

    #[test]
    fn secrets_come_after_variables_and_empty_ones_are_not_redacted() {
        let definitions = Definitions {
            variables: vec![("a".to_owned(), Value::Integer(1))],
            secrets: vec![("a".to_owned(), "s".to_owned()), ("b".to_owned(), String::new())],
        };
        assert_eq!(definitions.secret_values(), ["s"]);
        let variables = definitions.into_variables();
        assert_eq!(variables.secrets(), ["s"]);
    }
}
