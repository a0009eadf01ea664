//! Runs scenarios: templates, queries, filters, predicates, captures and the entry loop.

pub mod value;
