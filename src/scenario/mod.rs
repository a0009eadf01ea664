//! The Hurl file format: our own pure-Rust parser and syntax tree.
//!
//! **API boundary:** this is the only module that reads Hurl text; everything
//! else sees the [`ast`]. It is pure: it never opens files, sockets or clocks.
//! The entry point never fails halfway: [`parse()`] returns the tree it could
//! build together with every diagnostic it found.

pub mod ast;
pub mod diagnostic;
pub mod did_you_mean;
mod parse;
mod position;
#[cfg(test)]
mod robustness_tests;
pub mod variables;

pub use diagnostic::{
    Look, MAX_RENDERED, ParseDiagnostic, Renderer, Snippet, render_plain, shown_position,
};
pub use parse::parse;
pub(crate) use position::work;
pub use position::{InvalidUtf8, LineIndex, decode};
