//! Integration tests: the real `shakedown` binary against real services on loopback.
//!
//! One test binary (ripgrep's and nextest's layout) so there is one link step.
//! Every test starts what it needs on `127.0.0.1:0` and stops it by PID.

mod support;

// `shakedown hunt`: seeded repeats, Wilson intervals, replaying the first failure.
mod hunt;
// The command line: flags, exit codes, usage errors.
mod cli;
// Hurl conformance: one regression test per behaviour fixed against Hurl's corpus (issue 8).
mod conformance;
// Hostile conditions: SIGKILLs in the launch windows, hostile servers, limits, secrets.
mod hostile;
// The Django project of tests/django under `shakedown run` (needs scripts/prepare-python).
mod django;
// Issue 9: the reset diagnosis of every cause the fixture service can produce.
mod diagnosis;
// The documentation's tables and examples, against the code and real runs.
mod docs;
// Transport faults end to end: every reset cause, the retry rules, the safety proof.
mod faults;
// Fault plans in suites: `[faults]`, `run --faults`, reconciliation, `explain --reproduce`.
mod fault_plans;
// `shakedown proxy`: every fault end to end, the injected-fault log against the ledger.
mod proxy;
// Hostile inputs: errors past column 65,535, thousands of errors, files not UTF-8.
mod robustness;
// Exit codes, diagnostics and the JUnit and JSON reports of `test` and `run`.
mod reports;
// The HTML report rendered in headless Chromium.
mod html;
// The terminal: colours, server lines, the summary.
mod terminal;
// `shakedown run`: suites, servers, layers, signals.
mod run;
// `shakedown load` and `merge`: load models, thresholds, sharding.
mod load;
// `shakedown merge` of `test`/`run` shard reports: the same as one run.
mod merge_reports;
// Scale-out on a real engine: a single-node Slurm cluster runs 4 shards and a merge.
mod slurm;
// The scenario corpus: every query, filter and predicate, passing and failing.
mod scenarios;
// Golden files: terminal, JSON and JUnit output of `test` and `run`, redacted.
mod golden;
// TLS, the certificate query and ALPN against the real fixture service.
mod tls;
// Issue 13's seeded torture suite: signals at every moment, crashes, stalls; no orphans.
mod torture;
// `shakedown check SUITE`: commands on PATH, servers' ports, undefined variables.
mod check;
// Issue 7: settings parsed once at the edge; one duration grammar; check accepts what run runs.
mod settings;
// Repository rules as tests.
mod tidy;
