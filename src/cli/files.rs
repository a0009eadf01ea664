//! Which files a command runs: files as given, directories searched for `*.hurl`, globs;
//! a suite file (`*.toml`) given instead is refused with the command that reads it.

use std::path::{Path, PathBuf};

use crate::cli::output::UsageError;
use crate::scenario::InvalidUtf8;

/// Why an input file (a `.hurl` file, a suite file) could not be read as text.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be read.
    Io(std::io::Error),
    /// The file is not UTF-8: where its first invalid byte is.
    Utf8(Box<InvalidUtf8>),
}

/// Reads an input file as text: the one reading of `.hurl` and suite files.
pub fn read_text(path: &Path) -> Result<String, ReadError> {
    let bytes = std::fs::read(path).map_err(ReadError::Io)?;
    crate::scenario::decode(bytes).map_err(ReadError::Utf8)
}

/// The `.hurl` files named by `inputs` (directories recursively, sorted) and `globs`, in order.
pub fn collect(inputs: &[PathBuf], globs: &[String]) -> Result<Vec<PathBuf>, UsageError> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found = Vec::new();
            walk(input, &mut found).map_err(|e| {
                UsageError(format!("cannot read directory {}: {e}", input.display()))
            })?;
            found.sort();
            files.extend(found);
        } else if input.extension().is_some_and(|e| e == "toml") && input.is_file() {
            // A suite file given where scenario files are expected: say which command reads it.
            return Err(UsageError(format!(
                "{} is a suite file: use `shakedown run {}` (scenario files are *.hurl)",
                input.display(),
                input.display()
            )));
        } else if input.exists() {
            files.push(input.clone());
        } else {
            return Err(UsageError(format!("no such file or directory: {}", input.display())));
        }
    }
    for pattern in globs {
        let paths = glob::glob(pattern)
            .map_err(|e| UsageError(format!("invalid --glob <{pattern}>: {e}")))?;
        let mut found: Vec<PathBuf> =
            paths.filter_map(Result::ok).filter(|p| p.is_file()).collect();
        if found.is_empty() {
            // Hurl: a glob that matches nothing is an error, even next to one that matches.
            return Err(UsageError(format!(
                "cannot access '{pattern}': no such file or directory"
            )));
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "hurl") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_searched_recursively_and_sorted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b")).unwrap();
        for name in ["b/z.hurl", "a.hurl", "notes.txt"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let files = collect(&[dir.path().to_path_buf()], &[]).unwrap();
        let names: Vec<_> =
            files.iter().map(|p| p.strip_prefix(dir.path()).unwrap().to_path_buf()).collect();
        assert_eq!(names, [PathBuf::from("a.hurl"), PathBuf::from("b/z.hurl")]);
        assert!(collect(&[dir.path().join("missing.hurl")], &[]).is_err());
        std::fs::write(dir.path().join("shakedown.toml"), "").unwrap();
        let error = collect(&[dir.path().join("shakedown.toml")], &[]).unwrap_err();
        assert!(error.0.contains("is a suite file: use `shakedown run "), "{}", error.0);
    }
}
