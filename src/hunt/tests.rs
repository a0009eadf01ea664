//! Unit tests of the hunt tally, the Wilson interval and the seeded shuffle.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::*;
use crate::diagnosis::{Cause, Confidence, Diagnosis, Executed};
use crate::runner::outcome::{Iteration, Poll, TransportFailed};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-4
}

#[test]
fn wilson_matches_known_values() {
    assert_eq!(wilson(0, 0), None);
    let (lo, hi) = wilson(0, 10).unwrap();
    assert!(close(lo, 0.0) && close(hi, 0.27754), "{lo} {hi}");
    let (lo, hi) = wilson(5, 10).unwrap();
    assert!(close(lo, 0.23659) && close(hi, 0.76341), "{lo} {hi}");
    let (lo, hi) = wilson(18, 60).unwrap();
    assert!(close(lo, 0.19898) && close(hi, 0.42509), "{lo} {hi}");
    // docs/hunt.md: 0 failures in 20 runs reads "0.0% to 16.2%" (rounded outwards).
    let (_, hi) = wilson(0, 20).unwrap();
    assert!(close(hi, 0.16113), "{hi}");
    let (lo, hi) = wilson(10, 10).unwrap();
    assert!(close(lo, 0.72246) && close(hi, 1.0), "{lo} {hi}");
    // More failures than runs cannot happen; it is clamped, never NaN.
    let (lo, hi) = wilson(11, 10).unwrap();
    assert!(lo.is_finite() && hi <= 1.0);
}

#[test]
fn the_same_seed_gives_the_same_orders_and_every_order_is_a_permutation() {
    let (mut a, mut b, mut c) = (Rng::new(42), Rng::new(42), Rng::new(43));
    let mut differs = false;
    for _ in 0..20 {
        let (x, y, z) =
            (shuffled_order(7, &mut a), shuffled_order(7, &mut b), shuffled_order(7, &mut c));
        assert_eq!(x, y);
        differs |= x != z;
        let mut sorted = x.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..7).collect::<Vec<_>>());
    }
    assert!(differs, "another seed gives other orders");
    assert!(shuffled_order(0, &mut a).is_empty());
    assert_eq!(shuffled_order(1, &mut a), vec![0]);
}

fn poll(outcome: Outcome, cause: Option<Cause>) -> Poll {
    let failure = cause.map(|cause| {
        EntryFailure::Transport(Box::new(TransportFailed {
            failure: None,
            same_on_all: None,
            strict_framing: Vec::new(),
            diagnosis: Some(Diagnosis {
                cause,
                confidence: Confidence::High,
                summary: String::new(),
                evidence: Vec::new(),
                may_have_executed: Executed::Unknown,
                hint: String::new(),
            }),
        }))
    });
    Poll {
        n: 1,
        attempts: Vec::new(),
        asserts: Vec::new(),
        captures: Vec::new(),
        failure,
        outcome,
        warnings: Vec::new(),
    }
}

fn entry(line: usize, outcome: Outcome, cause: Option<Cause>) -> EntryOutcome {
    EntryOutcome {
        index: line,
        line,
        method: "GET".to_owned(),
        url: format!("http://127.0.0.1:1/{line}"),
        url_template: format!("{{{{base}}}}/{line}"),
        outcome,
        iterations: vec![Iteration { n: 1, polls: vec![poll(outcome, cause)] }],
    }
}

fn file(entries: Vec<EntryOutcome>) -> FileOutcome {
    let outcome = entries.iter().fold(Outcome::Passed, |o, e| o.worst(e.outcome));
    FileOutcome {
        path: PathBuf::from("a.hurl"),
        outcome,
        entries,
        file_error: None,
        started: SystemTime::UNIX_EPOCH,
        duration: Duration::ZERO,
        source: String::new(),
    }
}

#[test]
fn the_tally_counts_per_entry_and_keeps_the_first_failing_run() {
    let mut tally = Tally::default();
    tally.record(1, &file(vec![entry(1, Outcome::Passed, None), entry(4, Outcome::Flaky, None)]));
    assert_eq!(tally.first_failure, None);
    tally.record(
        2,
        &file(vec![
            entry(1, Outcome::Passed, None),
            entry(4, Outcome::Error, Some(Cause::AbortiveClose)),
            entry(7, Outcome::Skipped, None),
        ]),
    );
    tally.record(3, &file(vec![entry(1, Outcome::Failed, None), entry(4, Outcome::Passed, None)]));
    assert_eq!(
        tally.first_failure,
        Some(FirstFailure { run: 2, label: "a.hurl:4 GET {{base}}/4".to_owned() })
    );
    assert_eq!(tally.entries.len(), 2, "a skipped entry is not counted");
    let first = &tally.entries[0];
    assert_eq!(first.label, "a.hurl:1 GET {{base}}/1");
    assert_eq!((first.runs, first.failures, first.flaky, first.attempts), (3, 1, 0, 0));
    let second = &tally.entries[1];
    assert_eq!((second.runs, second.failures, second.flaky), (3, 1, 1));
    assert_eq!(second.causes.get("abortive_close"), Some(&1));
    assert_eq!(second.interval(), wilson(1, 3));
}
