//! Runs scenarios: templates, queries, filters, predicates, captures and the entry loop.
//!
//! Everything here but the entry loop is a pure function of (response, variables):
//! [`template`] renders `{{…}}`, [`query`] reads a response, [`filter`] transforms
//! values, [`predicate`] tests them, and [`assert`](mod@assert) and [`capture`] put those
//! together for one response specification. [`execute`] is the entry loop: it renders
//! requests ([`request`]), applies [`options`], keeps the [`cookies`], sends through the
//! transport, and builds the [`outcome`] tree.

pub mod assert;
pub mod body;
pub mod capture;
pub mod cookies;
pub mod error;
pub mod execute;
pub mod filter;
pub mod options;
pub mod outcome;
pub mod predicate;
pub mod query;
pub mod request;
pub mod sigv4;
pub mod template;
pub mod value;
pub mod variables;
pub mod xpath;

#[cfg(test)]
mod test_support;
