//! Sends one HTTP attempt over an instrumented connection and records what happened.
//!
//! The transport records facts and decides nothing: it never retries and never
//! follows redirects.

pub mod client;
pub mod facts;
pub mod request;
