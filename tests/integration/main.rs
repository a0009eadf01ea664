//! Integration tests: the real `shakedown` binary against real services on loopback.
//!
//! One test binary (ripgrep's and nextest's layout) so there is one link step.
//! Every test starts what it needs on `127.0.0.1:0` and stops it by PID.

mod support;

// The command line: flags, exit codes, usage errors.
mod cli;
// Transport faults end to end: every reset cause, the retry rules, the safety proof.
mod faults;
// The scenario corpus: every query, filter and predicate, passing and failing.
mod scenarios;
// Repository rules as tests.
mod tidy;
