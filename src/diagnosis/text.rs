//! The sentences and judgements the runner and the reports used to make in place.

use crate::transport::TransportFailure;
use crate::transport::facts::{AttemptFacts, End, Framing};

/// The number of attempts, when a request was tried more than once and every attempt
/// failed the same way (same phase, same kind of error): a reproducible server defect.
pub fn reproducible<'a>(attempts: impl IntoIterator<Item = &'a AttemptFacts>) -> Option<usize> {
    let signature = |a: &AttemptFacts| a.error.as_ref().map(|e| (e.phase, e.kind));
    let mut attempts = attempts.into_iter();
    let first = signature(attempts.next()?)?;
    let mut count = 1;
    for attempt in attempts {
        if signature(attempt) != Some(first) {
            return None;
        }
        count += 1;
    }
    (count > 1).then_some(count)
}

/// A warning about a response that was accepted although its end was abnormal (R4).
pub fn framing_warning(facts: &AttemptFacts) -> Option<String> {
    if facts.complete_then_reset {
        return Some(
            "the response was complete by its framing, then the server reset the connection"
                .to_owned(),
        );
    }
    if facts.framing == Some(Framing::CloseDelimited) && facts.ended_with == End::Rst {
        return Some(
            "the response was framed by the connection close and ended with a reset: completeness unknown"
                .to_owned(),
        );
    }
    None
}

/// The sentence of an entry's transport failure: the last attempt's failure, with
/// "reproducible" when every attempt failed alike, or the framing warnings that
/// `--strict-framing` turned into a failure.
pub fn entry_failure_sentence(
    failure: Option<&TransportFailure>,
    same_on_all: Option<usize>,
    strict_framing: &[String],
) -> String {
    match (failure, same_on_all) {
        (Some(failure), Some(n)) => format!(
            "{failure}; the same failure on all {n} attempts: the server does this every time (reproducible, not a flake)"
        ),
        (Some(failure), None) => failure.to_string(),
        (None, _) => format!("{} (--strict-framing)", strict_framing.join("; ")),
    }
}
