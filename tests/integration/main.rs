//! Integration tests: the real `shakedown` binary against real services on loopback.
//!
//! One test binary (ripgrep's and nextest's layout) so there is one link step.
//! Every test starts what it needs on `127.0.0.1:0` and stops it by PID.

mod support;

// The command line: flags, exit codes, usage errors.
mod cli;
// The Django project of tests/django under `shakedown run` (needs scripts/prepare-python).
mod django;
// The documentation's tables and examples, against the code and real runs.
mod docs;
// Transport faults end to end: every reset cause, the retry rules, the safety proof.
mod faults;
// Exit codes, diagnostics and the JUnit and JSON reports of `test` and `run`.
mod reports;
// The HTML report rendered in headless Chromium.
mod html;
// The terminal: colours, server lines, the summary.
mod terminal;
// `shakedown run`: suites, servers, layers, signals.
mod run;
// The scenario corpus: every query, filter and predicate, passing and failing.
mod scenarios;
// Golden files: terminal, JSON and JUnit output of `test` and `run`, redacted.
mod golden;
// TLS, the certificate query and ALPN against the real fixture service.
mod tls;
// Repository rules as tests.
mod tidy;
