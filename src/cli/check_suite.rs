//! `shakedown check SUITE`'s own checks, past what `shakedown run` refuses to start
//! with (`session::load_suite`): what would fail or misbehave only once things run.
//!
//! - **error**: a command (`command[0]` of a server, a command layer or a `reset`) that is
//!   not on `PATH` (the command's own `env.PATH`, else shakedown's), or a program given by
//!   path that is not executable: the run would fail when it starts that command;
//! - **warning**: a launched server whose command has neither `{port}` nor `{url}` (in its
//!   arguments or `env`) and does not print its address for a `stdout` readiness: it
//!   cannot be listening on the port shakedown picks and probes;
//! - **warning**: a `{{variable}}` in a scenario file that no source defines before it is
//!   used: `[variables]`, the variables of the servers (`base_url`, `port`, `NAME_url`,
//!   `NAME_port`), a capture or an `[Options]` `variable` earlier in the file. It is a
//!   warning because `run --variable` and `--secret` may still give it.
//!
//! Errors make `check` exit 2, as an invalid suite does; warnings leave the code alone.
//! This module computes the findings and draws them; `check_cmd` prints.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::ops::Range;
use std::path::Path;

use crate::scenario::ast::Span;
use crate::scenario::did_you_mean::did_you_mean;
use crate::scenario::variables::{self, VariableEvent};
use crate::scenario::{Look, Renderer, Snippet};
use crate::session::{LoadedSuite, PORT_RETRIES};
use crate::suite::{
    CommandSpec, LayerKind, Placeholder, Program, Readiness, ServerDef, ServerTarget,
};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// `run` would fail: `check` exits 2.
    Error,
    /// Worth a look; the exit code stays 0.
    Warning,
}

/// One problem, in the suite file or in one of its scenario files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The file the span points into: `None` for the suite file, else a scenario file
    /// (an index into the layer's files: layer, file).
    pub file: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
    /// The byte range to underline.
    pub span: Range<usize>,
    /// The text beside the caret.
    pub label: String,
    /// What to do.
    pub help: Option<String>,
}

/// Every finding of the suite, in file order: commands, servers, then scenario files.
pub fn findings(loaded: &LoadedSuite) -> Vec<Finding> {
    let suite = &loaded.suite;
    let mut out = Vec::new();
    for def in suite.start_order() {
        if let ServerTarget::Launch { command, .. } = def.target() {
            out.extend(program_finding(command));
            out.extend(port_finding(def, command));
        }
    }
    for layer in suite.layers() {
        match layer.kind() {
            LayerKind::Command { command, .. } => out.extend(program_finding(command)),
            LayerKind::Scenarios { reset: Some(reset), .. } => {
                out.extend(program_finding(reset));
            }
            LayerKind::Scenarios { reset: None, .. } => {}
        }
    }
    let provided = provided_variables(loaded);
    for (l, files) in loaded.files.iter().enumerate() {
        for (f, file) in files.iter().enumerate() {
            out.extend(variable_findings(&file.file, &provided, (l, f)));
        }
    }
    out
}

/// `command[0]` as `execvp` would find it when the command starts, or an error.
fn program_finding(command: &CommandSpec) -> Option<Finding> {
    let cwd = command.cwd().get_ref();
    let path_var = command
        .env()
        .iter()
        .rev()
        .find(|e| e.name.get_ref() == "PATH")
        .and_then(|e| e.value.as_literal());
    let (program, span, bare) = match command.program() {
        Program::Search(name) => (Path::new(name.get_ref().as_str()), name.span(), true),
        Program::Path(path) => (path.get_ref().as_path(), path.span(), false),
    };
    let error =
        crate::server::find_program(program, cwd, path_var.as_deref().map(OsStr::new)).err()?;
    let shown = program.display();
    let (message, label, help) = match error.kind() {
        std::io::ErrorKind::PermissionDenied => (
            format!("`{shown}` is not executable"),
            "found, but not executable".to_owned(),
            format!("make it executable (`chmod +x {shown}`)"),
        ),
        // A path that does not exist is `load_suite`'s error already.
        _ if !bare => return None,
        _ => (
            format!("command not found: `{shown}` is not on PATH"),
            "not found on PATH".to_owned(),
            if path_var.is_some() {
                "the command's own `env.PATH` is searched: install it there, or give the program's path".to_owned()
            } else {
                "install it, activate the environment that has it before running shakedown, or give its path (relative to the command's `cwd`)".to_owned()
            },
        ),
    };
    Some(Finding { severity: Severity::Error, file: None, message, span, label, help: Some(help) })
}

/// A launched server that is not told the port shakedown picked for it.
fn port_finding(def: &ServerDef, command: &CommandSpec) -> Option<Finding> {
    let told = command
        .args()
        .iter()
        .chain(command.env().iter().map(|e| &e.value))
        .flat_map(|t| t.placeholders())
        .any(|p| matches!(p.get_ref(), Placeholder::Port | Placeholder::Url));
    let prints_address = matches!(def.ready(), Readiness::Stdout { address: Some(_), .. });
    if told || prints_address {
        return None;
    }
    let table = match def.name() {
        Some(name) => format!("[servers.{name}]"),
        None => "[server]".to_owned(),
    };
    Some(Finding {
        severity: Severity::Warning,
        file: None,
        message: format!("the command of {table} has neither `{{port}}` nor `{{url}}`"),
        span: command.span(),
        label: "the server is not told which port to listen on".to_owned(),
        help: Some(format!(
            "shakedown picks a free port and waits for the server there: pass it with `{{port}}` (say `\"--port\", \"{{port}}\"`, or `env = {{ PORT = \"{{port}}\" }}`), or let the server print its address and use `ready = {{ stdout = '(?P<port>\\d+)' }}`. A server on a fixed port is never ready where shakedown looks, and when that port is taken each start fails and is retried in vain ({PORT_RETRIES} restarts on fresh ports)"
        )),
    })
}

/// The variables every scenario file starts with: `[variables]` and the servers'.
fn provided_variables(loaded: &LoadedSuite) -> BTreeSet<String> {
    let suite = &loaded.suite;
    let mut names: BTreeSet<String> =
        suite.variables().iter().map(|v| v.name.get_ref().clone()).collect();
    if suite.server().is_some() {
        names.insert("base_url".to_owned());
        names.insert("port".to_owned());
    }
    for def in suite.servers() {
        if let Some(name) = def.name() {
            names.insert(format!("{name}_url"));
            names.insert(format!("{name}_port"));
        }
    }
    names
}

/// The first use of each variable of a file that nothing defines before it.
fn variable_findings(
    file: &crate::scenario::ast::HurlFile,
    provided: &BTreeSet<String>,
    at: (usize, usize),
) -> Vec<Finding> {
    let mut defined = provided.clone();
    let mut reported = BTreeSet::new();
    let mut out = Vec::new();
    for event in variables::events(file) {
        match event {
            VariableEvent::Define { name } => {
                defined.insert(name);
            }
            VariableEvent::Use { name, span } => {
                if defined.contains(name) || !reported.insert(name) {
                    continue;
                }
                let candidates: Vec<&str> = defined.iter().map(String::as_str).collect();
                let help = match did_you_mean(name, &candidates) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!(
                        "define it under [variables] in the suite file, capture it in an earlier entry, or give it with `shakedown run --variable {name}=VALUE`"
                    ),
                };
                out.push(Finding {
                    severity: Severity::Warning,
                    file: Some(at),
                    message: format!("variable `{name}` is not defined"),
                    span: span.start..span.end,
                    label: "no source defines it before this use".to_owned(),
                    help: Some(help),
                });
            }
        }
    }
    out
}

/// Draws one finding against the text of the file it points into.
pub fn render(finding: &Finding, file_name: &str, source: &str, color: bool) -> String {
    let look = Look { color, context_lines: 1, width: 100 };
    let renderer = Renderer::new(file_name, source, look);
    let snippet = Snippet {
        span: Span::new(finding.span.start, finding.span.end),
        title: &finding.message,
        label: &finding.label,
        help: finding.help.as_deref(),
    };
    match finding.severity {
        Severity::Error => renderer.render(&snippet),
        Severity::Warning => renderer.render_warning(&snippet),
    }
}
