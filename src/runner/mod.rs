//! Runs scenarios: templates, queries, filters, predicates, captures and the entry loop.

pub mod assert;
pub mod body;
pub mod capture;
pub mod cookies;
pub mod error;
pub mod execute;
pub mod options;
pub mod outcome;
pub mod query;
pub mod request;
pub mod template;
pub mod value;
pub mod variables;
