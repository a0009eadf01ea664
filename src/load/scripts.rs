//! The `.hurl` files of `shakedown load FILES`, read and parsed once into [`Script`]s
//! before the load starts: every invalid file is listed (typed), none is skipped.

use std::path::PathBuf;

use super::engine::Script;
use crate::scenario::{self, ParseDiagnostic};

/// Why the files cannot be loaded.
#[derive(Debug)]
pub enum ScriptsError {
    /// A file could not be read.
    Unreadable(PathBuf, std::io::Error),
    /// Files that do not parse: each with its text and diagnostics.
    Invalid(Vec<(PathBuf, String, Vec<ParseDiagnostic>)>),
}

/// Reads and parses every file.
pub fn read(paths: Vec<PathBuf>) -> Result<Vec<Script>, ScriptsError> {
    let mut scripts = Vec::new();
    let mut invalid = Vec::new();
    for path in paths {
        let source = match std::fs::read_to_string(&path) {
            Ok(source) => source,
            Err(e) => return Err(ScriptsError::Unreadable(path, e)),
        };
        let (file, diagnostics) = scenario::parse(&source);
        if diagnostics.is_empty() {
            scripts.push(Script::new(path, file, source));
        } else {
            invalid.push((path, source, diagnostics));
        }
    }
    if invalid.is_empty() { Ok(scripts) } else { Err(ScriptsError::Invalid(invalid)) }
}
