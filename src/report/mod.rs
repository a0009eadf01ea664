//! Reports: outcomes in, documents out (JSON, JUnit, terminal lines).
//!
//! `report` is a pure function of the outcome tree: it writes to the `Write`
//! it is handed and touches nothing else. Replacing report files atomically is
//! the caller's job.

pub mod faults;
pub mod html;
pub mod human;
pub mod hurl_json;
pub mod json;
pub mod junit;
pub mod merge;
pub mod model;
pub mod source;
pub mod suite;
pub mod tap;
