//! [`load_suite`]: the suite file read, parsed and checked against the filesystem, and
//! every scenario file it names read and parsed, once. Problems come back typed, all
//! of them; the command line renders them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::scenario::ast::HurlFile;
use crate::scenario::{InvalidUtf8, ParseDiagnostic};
use crate::suite::{self, LayerKind, PathCheck, Suite, SuiteDiagnostic};

/// A scenario file read and parsed without a diagnostic.
#[derive(Clone, Debug)]
pub struct ScenarioFile {
    /// The path, as shown to the user.
    pub path: PathBuf,
    /// The text, which the AST's spans point into.
    pub source: Arc<str>,
    /// The AST.
    pub file: Arc<HurlFile>,
}

/// A suite file read, parsed and checked against the filesystem.
#[derive(Debug)]
pub struct LoadedSuite {
    /// The suite.
    pub suite: Suite,
    /// The suite file as given.
    pub path: PathBuf,
    /// For each layer (in suite order), its scenario files (empty for command layers).
    pub files: Vec<Vec<ScenarioFile>>,
    /// What `shakedown load` on this suite iterates: `[load]`'s `scenarios` if written, else
    /// every scenario layer's files, each once, in suite order.
    pub load_files: Vec<ScenarioFile>,
}

impl LoadedSuite {
    /// The paths of layer `index`'s scenario files.
    pub fn paths(&self, index: usize) -> Vec<PathBuf> {
        self.files
            .get(index)
            .map(|f| f.iter().map(|f| f.path.clone()).collect())
            .unwrap_or_default()
    }
}

/// Why a scenario file named by the suite cannot run.
#[derive(Debug)]
pub enum ScenarioProblem {
    /// It could not be read.
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        error: std::io::Error,
    },
    /// It is not UTF-8.
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// Where the first invalid byte is.
        invalid: Box<InvalidUtf8>,
    },
    /// It does not parse.
    Parse {
        /// The file.
        path: PathBuf,
        /// Its text.
        source: String,
        /// Every problem found.
        diagnostics: Vec<ParseDiagnostic>,
    },
}

/// Why a suite cannot run.
#[derive(Debug)]
pub enum LoadError {
    /// The suite file could not be read.
    Unreadable {
        /// The suite file.
        path: PathBuf,
        /// What the OS said.
        error: std::io::Error,
    },
    /// The suite file is not UTF-8.
    NotUtf8 {
        /// The suite file.
        path: PathBuf,
        /// Where the first invalid byte is.
        invalid: Box<InvalidUtf8>,
    },
    /// The suite file is invalid, or names paths that do not exist.
    Invalid {
        /// The suite file.
        path: PathBuf,
        /// Its text.
        source: String,
        /// Every problem, with spans into `source`.
        diagnostics: Vec<SuiteDiagnostic>,
    },
    /// Scenario files named by the suite cannot run (every one of them is listed).
    Scenarios {
        /// The suite file.
        path: PathBuf,
        /// The problems, in suite order.
        problems: Vec<ScenarioProblem>,
    },
}

/// Reads, parses and checks `path` and every scenario file it names.
pub fn load_suite(path: &Path) -> Result<LoadedSuite, LoadError> {
    let source = match std::fs::read(path).map(crate::scenario::decode) {
        Ok(Ok(source)) => source,
        Ok(Err(invalid)) => return Err(LoadError::NotUtf8 { path: path.to_path_buf(), invalid }),
        Err(error) => return Err(LoadError::Unreadable { path: path.to_path_buf(), error }),
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    let suite = match suite::parse_suite(&source, &dir) {
        Ok(suite) => suite,
        Err(diagnostics) => {
            return Err(LoadError::Invalid { path: path.to_path_buf(), source, diagnostics });
        }
    };
    // Each glob is expanded once: the check and the file list share the result.
    let mut expanded: Vec<(String, Vec<PathBuf>)> = Vec::new();
    let mut problems = Vec::new();
    for check in suite.paths_to_check() {
        match check {
            PathCheck::Directory(dir) if !dir.get_ref().is_dir() => problems.push(diag(
                format!("directory not found: {}", dir.get_ref().display()),
                dir.span(),
                "this directory does not exist",
            )),
            PathCheck::Program(program) if !program.get_ref().is_file() => problems.push(diag(
                format!("program not found: {}", program.get_ref().display()),
                program.span(),
                "no such file",
            )),
            PathCheck::Glob(pattern) => {
                let files = expand(&mut expanded, pattern.get_ref());
                if files.is_empty() {
                    problems.push(diag(
                        format!("no file matches `{}`", pattern.get_ref()),
                        pattern.span(),
                        "this pattern matches no file",
                    ));
                }
            }
            _ => {}
        }
    }
    if !problems.is_empty() {
        return Err(LoadError::Invalid { path: path.to_path_buf(), source, diagnostics: problems });
    }
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for layer in suite.layers() {
        let mut layer_paths: Vec<PathBuf> = Vec::new();
        if let LayerKind::Scenarios { globs, .. } = layer.kind() {
            for pattern in globs {
                for file in expand(&mut expanded, pattern.get_ref()) {
                    if !layer_paths.contains(&file) {
                        layer_paths.push(file);
                    }
                }
            }
        }
        let mut layer_files = Vec::new();
        for path in layer_paths {
            match read_scenario(path) {
                Ok(file) => layer_files.push(file),
                Err(problem) => problems.push(problem),
            }
        }
        files.push(layer_files);
    }
    let mut load_files: Vec<ScenarioFile> = Vec::new();
    match suite.load().and_then(suite::LoadDef::globs) {
        Some(globs) => {
            let mut paths: Vec<PathBuf> = Vec::new();
            for pattern in globs {
                for file in expand(&mut expanded, pattern.get_ref()) {
                    if !paths.contains(&file) {
                        paths.push(file);
                    }
                }
            }
            for path in paths {
                // A file a layer also names was read and parsed already.
                let known = files.iter().flatten().find(|f: &&ScenarioFile| f.path == path);
                match known {
                    Some(file) => load_files.push(file.clone()),
                    None => match read_scenario(path) {
                        Ok(file) => load_files.push(file),
                        Err(problem) => problems.push(problem),
                    },
                }
            }
        }
        None => {
            for file in files.iter().flatten() {
                if !load_files.iter().any(|f| f.path == file.path) {
                    load_files.push(file.clone());
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(LoadError::Scenarios { path: path.to_path_buf(), problems });
    }
    Ok(LoadedSuite { suite, path: path.to_path_buf(), files, load_files })
}

fn diag(message: String, span: std::ops::Range<usize>, label: &str) -> SuiteDiagnostic {
    SuiteDiagnostic { message, span, label: label.to_owned(), help: None }
}

/// The files `pattern` matches, expanded at most once per load.
fn expand(cache: &mut Vec<(String, Vec<PathBuf>)>, pattern: &str) -> Vec<PathBuf> {
    if let Some((_, files)) = cache.iter().find(|(p, _)| p == pattern) {
        return files.clone();
    }
    let files = expand_glob(pattern);
    cache.push((pattern.to_owned(), files.clone()));
    files
}

/// The files a suite glob matches, sorted.
fn expand_glob(pattern: &str) -> Vec<PathBuf> {
    let Ok(paths) = glob::glob(pattern) else { return Vec::new() };
    let cwd = std::env::current_dir().ok();
    // Shown relative to the current directory when inside it, as the user would type them.
    let shown = |path: PathBuf| match cwd.as_deref().and_then(|cwd| path.strip_prefix(cwd).ok()) {
        Some(relative) => relative.to_path_buf(),
        None => path,
    };
    let mut out: Vec<PathBuf> =
        paths.filter_map(Result::ok).filter(|p| p.is_file()).map(shown).collect();
    out.sort();
    out
}

fn read_scenario(path: PathBuf) -> Result<ScenarioFile, ScenarioProblem> {
    let source = match std::fs::read(&path).map(crate::scenario::decode) {
        Ok(Ok(source)) => source,
        Ok(Err(invalid)) => return Err(ScenarioProblem::NotUtf8 { path, invalid }),
        Err(error) => return Err(ScenarioProblem::Unreadable { path, error }),
    };
    let (file, diagnostics) = crate::scenario::parse(&source);
    if !diagnostics.is_empty() {
        return Err(ScenarioProblem::Parse { path, source, diagnostics });
    }
    Ok(ScenarioFile { path, source: Arc::from(source), file: Arc::new(file) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_problem_is_listed_and_good_files_are_parsed_once() {
        let dir = tempfile::tempdir().unwrap();
        let suite = dir.path().join("shakedown.toml");
        let glob = format!("{}/s/*.hurl", dir.path().display());
        std::fs::create_dir_all(dir.path().join("s")).unwrap();
        std::fs::write(
            &suite,
            format!(
                "[server]\nurl = \"http://127.0.0.1:1\"\nready = {{ tcp = true }}\n\n[[layer]]\nname = \"it\"\nscenarios = [\"{glob}\", \"{glob}\"]\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.path().join("s/a.hurl"), "GET http://127.0.0.1:1/\nHTTP 200\n").unwrap();
        let loaded = load_suite(&suite).unwrap();
        assert_eq!(loaded.files[0].len(), 1, "a file matched twice runs once");
        assert_eq!(loaded.files[0][0].file.entries.len(), 1);
        std::fs::write(dir.path().join("s/b.hurl"), "GET http://127.0.0.1:1/\nHTTP two\n").unwrap();
        std::fs::write(dir.path().join("s/c.hurl"), [0xff, 0xfe]).unwrap();
        let Err(LoadError::Scenarios { problems, .. }) = load_suite(&suite) else {
            panic!("the scenario files are refused")
        };
        assert!(matches!(problems[0], ScenarioProblem::Parse { .. }), "{problems:?}");
        assert!(matches!(problems[1], ScenarioProblem::NotUtf8 { .. }), "{problems:?}");
    }
}
