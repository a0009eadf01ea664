//! What running a file produced: the outcome tree that reports render.
//!
//! The nesting follows the contract for the JSON report: a file has
//! entries; an entry has iterations (`[Options] repeat`); an iteration has
//! polls (Hurl's `retry`: the entry re-run while it fails); a poll has
//! transport attempts (every attempt, successful ones included). Outcomes are
//! plain data: they are computed once here and rendered by `report`.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::diagnosis::{self, Diagnosis};
use crate::retry::Decision;
use crate::runner::assert::AssertResult;
use crate::scenario::ParseDiagnostic;
use crate::transport::TransportFailure;
use crate::transport::facts::AttemptFacts;

/// The verdict of an entry, a file or a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Everything passed at the first attempt.
    Passed,
    /// Everything passed, but at least one transport retry was needed.
    Flaky,
    /// An assert or capture failed: the service answered wrongly.
    Failed,
    /// The service could not be tested: transport failure, unsupported feature, bad input.
    Error,
    /// Skipped (`[Options] skip`, `repeat: 0`, or not reached).
    Skipped,
    /// The run was interrupted before this finished.
    Interrupted,
}

impl Outcome {
    /// The name used in reports: `passed`, `flaky`, `failed`, `error`, `skipped`, `interrupted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Flaky => "flaky",
            Outcome::Failed => "failed",
            Outcome::Error => "error",
            Outcome::Skipped => "skipped",
            Outcome::Interrupted => "interrupted",
        }
    }

    /// The worse of two outcomes, for rolling entries up into files and files into a run.
    pub fn worst(self, other: Outcome) -> Outcome {
        let rank = |outcome: Outcome| match outcome {
            Outcome::Skipped => 0,
            Outcome::Passed => 1,
            Outcome::Flaky => 2,
            Outcome::Failed => 3,
            Outcome::Error => 4,
            Outcome::Interrupted => 5,
        };
        if rank(other) > rank(self) { other } else { self }
    }

    /// Whether this outcome counts as a pass (flaky included).
    pub fn is_pass(self) -> bool {
        matches!(self, Outcome::Passed | Outcome::Flaky | Outcome::Skipped)
    }
}

/// The outcome of one file.
#[derive(Clone, Debug)]
pub struct FileOutcome {
    /// The file as given on the command line.
    pub path: PathBuf,
    /// The file's verdict.
    pub outcome: Outcome,
    /// Every entry that was run or skipped.
    pub entries: Vec<EntryOutcome>,
    /// Why the file could not run at all (unreadable, does not parse).
    pub file_error: Option<FileError>,
    /// When the file started.
    pub started: SystemTime,
    /// How long it took.
    pub duration: Duration,
    /// The file's source, kept so failures can be rendered with a snippet.
    pub source: String,
}

impl FileOutcome {
    /// Number of requests sent (every attempt counts).
    pub fn request_count(&self) -> usize {
        self.entries.iter().map(EntryOutcome::attempt_count).sum()
    }
}

/// Why a file could not run.
#[derive(Clone, Debug)]
pub enum FileError {
    /// The file could not be read.
    Unreadable(String),
    /// The file does not parse.
    Parse(Vec<ParseDiagnostic>),
}

/// The outcome of one entry.
#[derive(Clone, Debug)]
pub struct EntryOutcome {
    /// 1-based position in the file.
    pub index: usize,
    /// 1-based line of the request line.
    pub line: usize,
    /// The method.
    pub method: String,
    /// The URL as rendered by the first attempt (or the template text if it never rendered).
    pub url: String,
    /// The URL as written in the file (`{{base_url}}/orders/{{id}}`): stable across runs.
    pub url_template: String,
    /// The entry's verdict.
    pub outcome: Outcome,
    /// Each `repeat` iteration.
    pub iterations: Vec<Iteration>,
}

impl EntryOutcome {
    /// Number of transport attempts in all iterations and polls.
    pub fn attempt_count(&self) -> usize {
        self.iterations.iter().flat_map(|i| &i.polls).map(|p| p.attempts.len()).sum()
    }

    /// The last poll of the last iteration, the one that decided the outcome.
    pub fn last_poll(&self) -> Option<&Poll> {
        self.iterations.last().and_then(|i| i.polls.last())
    }
}

/// One iteration of an entry (`[Options] repeat`).
#[derive(Clone, Debug)]
pub struct Iteration {
    /// 1-based.
    pub n: usize,
    /// Each Hurl `retry` poll.
    pub polls: Vec<Poll>,
}

/// One run of an entry: request (with redirects and transport attempts), captures, asserts.
#[derive(Clone, Debug)]
pub struct Poll {
    /// 1-based.
    pub n: usize,
    /// Every transport attempt, in order, redirect hops included.
    pub attempts: Vec<AttemptRecord>,
    /// Assert results (implicit first).
    pub asserts: Vec<AssertResult>,
    /// Captured variable names.
    pub captures: Vec<String>,
    /// What stopped this poll from passing, if anything.
    pub failure: Option<EntryFailure>,
    /// The poll's verdict.
    pub outcome: Outcome,
    /// Responses accepted with a warning (complete then reset, completeness unknown).
    pub warnings: Vec<String>,
}

/// Why a poll did not pass.
#[derive(Clone, Debug)]
pub enum EntryFailure {
    /// At least one assert failed (details in `asserts`).
    Asserts,
    /// A capture could not be evaluated.
    Capture {
        /// The message.
        message: String,
        /// Where.
        span: crate::scenario::ast::Span,
    },
    /// A template, option or body could not be evaluated, or a feature is unsupported.
    Runtime {
        /// The message.
        message: String,
        /// Where, if known.
        span: Option<crate::scenario::ast::Span>,
    },
    /// The transport failed and the policy did not absorb it.
    /// Boxed: the largest failure by far, and a poll that passed carries none; unboxed,
    /// every poll of the outcome tree had room for it.
    Transport(Box<TransportFailed>),
    /// The server under test exited during this request (never retried, never flaky).
    ServerCrashed {
        /// How it ended.
        message: String,
        /// The last lines of its stderr.
        stderr_tail: Vec<String>,
    },
}

/// A request that got no usable response from the transport, typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportFailed {
    /// The last attempt's failure; `None` when `--strict-framing` refused a response.
    pub failure: Option<TransportFailure>,
    /// The number of attempts when every one of them failed alike (reproducible).
    pub same_on_all: Option<usize>,
    /// The framing warnings `--strict-framing` turned into this failure.
    pub strict_framing: Vec<String>,
    /// The diagnosis of the last attempt.
    pub diagnosis: Option<Diagnosis>,
}

impl TransportFailed {
    /// The sentence for people (from `diagnosis`).
    pub fn message(&self) -> String {
        diagnosis::entry_failure_sentence(
            self.failure.as_ref(),
            self.same_on_all,
            &self.strict_framing,
        )
    }
}

/// One transport attempt.
#[derive(Clone, Debug)]
pub struct AttemptRecord {
    /// 1-based within the poll.
    pub n: usize,
    /// The method sent.
    pub method: String,
    /// The URL sent.
    pub url: String,
    /// The status, if a response head came (kept when the body then failed).
    pub status: Option<u16>,
    /// The failure, if any (boxed: most attempts have none, and the outcome tree keeps
    /// every attempt).
    pub error: Option<Box<TransportFailure>>,
    /// The diagnoses of this attempt: pooled connections replaced before it, then the
    /// attempt itself when it failed or its connection ended badly.
    pub diagnoses: Vec<Diagnosis>,
    /// What the transport observed.
    pub facts: AttemptFacts,
    /// What the retry rules decided after a failure.
    pub decision: Option<Decision>,
    /// When the attempt started.
    pub started: SystemTime,
    /// How long it took.
    pub duration: Duration,
    /// Warnings about an accepted response.
    pub warnings: Vec<String>,
    /// This retry was sent before the server's crash was known (R5).
    pub sent_before_crash_known: bool,
}

impl AttemptRecord {
    /// The failure as a sentence, if the attempt failed.
    pub fn error_message(&self) -> Option<String> {
        self.error.as_ref().map(ToString::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_outcome_rolls_up() {
        assert_eq!(Outcome::Passed.worst(Outcome::Flaky), Outcome::Flaky);
        assert_eq!(Outcome::Failed.worst(Outcome::Flaky), Outcome::Failed);
        assert_eq!(Outcome::Failed.worst(Outcome::Error), Outcome::Error);
        assert_eq!(Outcome::Skipped.worst(Outcome::Passed), Outcome::Passed);
        assert!(Outcome::Flaky.is_pass());
        assert!(!Outcome::Failed.is_pass());
    }
}
