//! What `run`, `hunt SUITE` and `load SUITE` do before the engine starts, and `run` after
//! it ends: the suite file found as cargo finds `Cargo.toml` ([`suite_path`]), the
//! multi-thread runtime with SIGINT/SIGTERM/SIGHUP already counted ([`start`]), the run
//! folder and the orphan supervisor ([`prepare_run_dir`]), `--file` and `--layer` as a
//! selection of the loaded suite ([`select_files`], [`select_layers`]; `--shard`:
//! [`keep_shard_files`]), and the `latest`
//! link ([`link_latest`]). Typed errors out; `cli` words and prints them.

use std::path::{Path, PathBuf};

use crate::load::shard::{Shard, ShardMode};
use crate::server::{self, SupervisorCommand};
use crate::suite;

use super::engine::SignalWatch;
use super::load::LoadedSuite;

/// The suite file's name.
pub const SUITE_FILE: &str = "shakedown.toml";

/// Why a command has no suite file to read.
#[derive(Debug)]
pub enum SuitePathError {
    /// The argument is not a suite (a scenario file): a usage error.
    Usage(String),
    /// No suite file where one was looked for: as an unreadable suite.
    NotFound(String),
}

/// The suite file to read: the argument (a `.hurl` file is refused with the subcommand
/// that runs it; a folder means its `shakedown.toml`), or without one, `shakedown.toml`
/// in the current folder or the nearest parent that has one, as cargo finds
/// `Cargo.toml`. Paths in the suite resolve against the suite's own folder. `command`
/// names the subcommand in the messages.
pub fn suite_path(arg: Option<&Path>, command: &str) -> Result<PathBuf, SuitePathError> {
    const NAME: &str = SUITE_FILE;
    match arg {
        Some(path) if path.extension().is_some_and(|e| e == "hurl") => {
            Err(SuitePathError::Usage(format!(
                "{} is a scenario file: use `shakedown test {}` (`{command}` takes a suite file, {NAME})",
                path.display(),
                path.display()
            )))
        }
        Some(path) if path.is_dir() => {
            let suite = path.join(NAME);
            if suite.is_file() {
                Ok(suite)
            } else {
                Err(SuitePathError::NotFound(format!("no {NAME} in {}", path.display())))
            }
        }
        Some(path) => Ok(path.to_path_buf()),
        None => {
            let cwd = std::env::current_dir().map_err(|e| {
                SuitePathError::NotFound(format!("cannot read the current folder: {e}"))
            })?;
            for dir in cwd.ancestors() {
                let suite = dir.join(NAME);
                if suite.is_file() {
                    // In the current folder, shown as the user would type it.
                    return Ok(if dir == cwd { PathBuf::from(NAME) } else { suite });
                }
            }
            Err(SuitePathError::NotFound(format!(
                "could not find {NAME} in {} or any parent folder (give the suite file: `shakedown {command} PATH`)",
                cwd.display()
            )))
        }
    }
}

/// Why the engine could not be set up.
#[derive(Debug)]
pub enum SetupError {
    /// No tokio runtime.
    Runtime(std::io::Error),
    /// No signal handling.
    Signals(std::io::Error),
    /// The run folder could not be made.
    RunDir(PathBuf, std::io::Error),
}

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetupError::Runtime(e) => write!(f, "cannot start a runtime: {e}"),
            SetupError::Signals(e) => write!(f, "cannot handle SIGINT, SIGTERM and SIGHUP: {e}"),
            SetupError::RunDir(path, e) => {
                write!(f, "cannot create the run folder {}: {e}", path.display())
            }
        }
    }
}

/// A multi-thread runtime of `threads` workers (2..=8) and the signals counted on it
/// (those recorded since the process's first instant included, `crate::signals`).
pub fn start(threads: usize) -> Result<(tokio::runtime::Runtime, SignalWatch), SetupError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.clamp(2, 8))
        .enable_all()
        .build()
        .map_err(SetupError::Runtime)?;
    let signals = {
        let _context = runtime.enter();
        SignalWatch::install().map_err(SetupError::Signals)?
    };
    Ok((runtime, signals))
}

/// Makes the run folder and installs the orphan supervisor; `Ok(Some(warning))` when
/// there is no supervisor (a SIGKILL of shakedown would leave servers running).
pub fn prepare_run_dir(run_dir: &Path) -> Result<Option<String>, SetupError> {
    std::fs::create_dir_all(run_dir).map_err(|e| SetupError::RunDir(run_dir.to_path_buf(), e))?;
    Ok(match SupervisorCommand::current_exe(["__supervise"]) {
        Ok(command) => {
            let _ = server::install_supervisor(command);
            None
        }
        Err(e) => Some(format!(
            "no orphan supervisor ({e}): a SIGKILL of shakedown would leave servers running"
        )),
    })
}

/// A selection (`--file`, `--layer`) that selects nothing or names nothing.
#[derive(Debug, PartialEq, Eq)]
pub struct SelectError(pub String);

impl std::fmt::Display for SelectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `--file GLOB...`: keeps, in each layer, only the scenario files some glob matches (a
/// matched folder: the files under it). A glob is expanded from the current folder, as
/// the shell would; one that matches no scenario file of the suite is an error.
pub fn select_files(patterns: &[String], loaded: &mut LoadedSuite) -> Result<(), SelectError> {
    if patterns.is_empty() {
        return Ok(());
    }
    let canonical =
        |path: &Path| std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut wanted: Vec<PathBuf> = Vec::new();
    for pattern in patterns {
        let paths = glob::glob(pattern)
            .map_err(|e| SelectError(format!("invalid --file <{pattern}>: {e}")))?;
        let matched: Vec<PathBuf> = paths.filter_map(Result::ok).map(|p| canonical(&p)).collect();
        if matched.is_empty() {
            return Err(SelectError(format!(
                "--file {pattern}: no file matches (globs are expanded from the current folder)"
            )));
        }
        let selects = |file: &Path| matched.iter().any(|m| file.starts_with(m));
        if !loaded.files.iter().flatten().any(|file| selects(&canonical(&file.path))) {
            return Err(SelectError(format!(
                "--file {pattern}: it matches {} path(s), none of them a scenario file of {}",
                matched.len(),
                loaded.path.display()
            )));
        }
        wanted.extend(matched);
    }
    for files in &mut loaded.files {
        files.retain(|file| {
            let path = canonical(&file.path);
            wanted.iter().any(|m| path.starts_with(m))
        });
    }
    Ok(())
}

/// `--shard M/N`: keeps this shard's part of the scenario files, by a stable hash of each
/// path (or round-robin over the suite's files in layer order with `ShardMode::Slice`).
/// Servers and command layers are left alone: every shard starts the servers and runs every
/// command layer (one may prepare what the scenarios need, and each shard has servers of its
/// own); `merge` reports a command layer once. A load layer keeps all its files: a shard runs
/// its fraction of the load (`load::plan::Plan::for_shard`), not a subset of the files.
/// Returns (files kept, files before), load layers' files not counted.
pub fn keep_shard_files(shard: Shard, mode: ShardMode, loaded: &mut LoadedSuite) -> (usize, usize) {
    let (mut position, mut kept) = (0, 0);
    let layers = loaded.suite.layers();
    for (index, files) in loaded.files.iter_mut().enumerate() {
        if layers.get(index).is_some_and(|layer| layer.kind().load().is_some()) {
            continue;
        }
        files.retain(|file| {
            let owned = shard.owns(&file.path, position, mode);
            position += 1;
            kept += usize::from(owned);
            owned
        });
    }
    (kept, position)
}

/// `--layer NAME...` as indexes into the suite's layers, in the suite's order; after
/// `--file` (`files_selected`), only the scenario layers that kept a file and the command
/// layers `--layer` names.
pub fn select_layers(
    wanted: &[String],
    files_selected: bool,
    loaded: &LoadedSuite,
) -> Result<Vec<usize>, SelectError> {
    let layers = loaded.suite.layers();
    for name in wanted {
        if !layers.iter().any(|l| l.name() == name) {
            let names: Vec<&str> = layers.iter().map(|l| l.name()).collect();
            return Err(SelectError(format!(
                "--layer {name}: no such layer in {} (layers: {})",
                loaded.path.display(),
                names.join(", ")
            )));
        }
    }
    let named = |layer: &suite::Layer| wanted.iter().any(|w| w == layer.name());
    let mut selected: Vec<usize> = layers
        .iter()
        .enumerate()
        .filter(|(_, layer)| wanted.is_empty() || named(layer))
        .map(|(i, _)| i)
        .collect();
    if files_selected {
        selected.retain(|&i| match layers.get(i) {
            Some(layer) => match layer.kind() {
                suite::LayerKind::Scenarios { .. } => {
                    loaded.files.get(i).is_some_and(|files| !files.is_empty())
                }
                suite::LayerKind::Command { .. } => named(layer),
            },
            None => false,
        });
        if selected.is_empty() {
            return Err(SelectError(
                "--file and --layer together select nothing: no layer that --layer names has a file that --file matches"
                    .to_owned(),
            ));
        }
    }
    Ok(selected)
}

/// A new run folder under `output_dir`: `PREFIX-<UTC time>-<pid>`.
pub fn run_dir(output_dir: &Path, prefix: &str) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    output_dir.join(format!("{prefix}-{stamp}-{}", std::process::id()))
}

/// Points `latest` in the output folder at `run_dir` (a relative symbolic link, replaced
/// atomically: made under a temporary name, then renamed over the old one).
pub fn link_latest(run_dir: &Path) -> std::io::Result<()> {
    let (Some(parent), Some(name)) = (run_dir.parent(), run_dir.file_name()) else {
        return Ok(());
    };
    if !run_dir.is_dir() {
        return Ok(());
    }
    let temporary = parent.join(format!(".latest-{}", std::process::id()));
    let _ = std::fs::remove_file(&temporary);
    std::os::unix::fs::symlink(name, &temporary)?;
    std::fs::rename(&temporary, parent.join("latest"))
}
