//! The variables and secrets of `test`, `run`, `hunt`, `load` and `check`: `HURL_VARIABLE_*`
//! and `HURL_SECRET_*` (where the command reads them), `--variable`, `--variables-file`,
//! `--secret` and `--secrets-file`, in Hurl's order and with its rules, into
//! [`Definitions`]: the one reading of them.

use std::path::Path;

use crate::cli::args::DefinitionArgs;

use crate::cli::edge::split_definition;
use crate::cli::output::UsageError;
use crate::runner::value::Value;
use crate::session::Definitions;

/// Whether `HURL_VARIABLE_*` and `HURL_SECRET_*` count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Environment {
    /// Read (`test`, `hunt FILES`, `load`: as Hurl).
    Read,
    /// Not read (`run`, `hunt SUITE`, `check`: the suite's `[variables]` stand for them).
    Ignored,
}

/// Every variable and secret the command line defines, validated.
pub(crate) fn read(flags: &DefinitionArgs, env: Environment) -> Result<Definitions, UsageError> {
    let mut out = Definitions::default();
    let environment = || std::env::vars().filter(|_| env == Environment::Read);
    for (name, value) in environment() {
        if let Some(name) = name.strip_prefix("HURL_VARIABLE_") {
            out.variables.push((name.to_owned(), typed_variable(&value)));
        }
    }
    for definition in &flags.variables {
        let (name, value) = split_definition(definition, "--variable")?;
        check_variable_name(&name)?;
        out.variables.push((name, typed_variable(&value)));
    }
    for path in &flags.variables_files {
        let mut seen = std::collections::BTreeSet::new();
        for (name, value) in read_definitions(path)? {
            check_variable_name(&name)?;
            if !seen.insert(name.clone()) {
                return Err(UsageError(format!(
                    "variable `{name}` is defined twice in {}",
                    path.display()
                )));
            }
            out.variables.push((name, typed_variable(&value)));
        }
    }
    for (name, value) in environment() {
        if let Some(name) = name.strip_prefix("HURL_SECRET_") {
            out.secrets.push((name.to_owned(), value));
        }
    }
    let mut secret_names = std::collections::BTreeSet::new();
    for definition in &flags.secrets {
        let (name, value) = split_definition(definition, "--secret")?;
        if !secret_names.insert(name.clone()) {
            return Err(UsageError(format!("secret `{name}` can't be reassigned")));
        }
        out.secrets.push((name, value));
    }
    for path in &flags.secrets_files {
        out.secrets.extend(read_definitions(path)?);
    }
    Ok(out)
}

/// Hurl's function names cannot be variable names.
fn check_variable_name(name: &str) -> Result<(), UsageError> {
    if matches!(name, "newUuid" | "newDate" | "getEnv") {
        return Err(UsageError(format!(
            "variable `{name}` conflicts with the {name} function: use a different name"
        )));
    }
    Ok(())
}

/// A variable's value from the command line or a variables file: `"text"` in
/// quotes is the string `text` (Hurl's way to keep `"123"` a string), else typed.
fn typed_variable(text: &str) -> Value {
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => Value::String(inner.to_owned()),
        None => crate::runner::execute::typed_variable(text),
    }
}

fn read_definitions(path: &Path) -> Result<Vec<(String, String)>, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = split_definition(line, "variable").map_err(|_| {
            UsageError(format!("{}:{}: expected NAME=VALUE", path.display(), i + 1))
        })?;
        out.push((name, value));
    }
    Ok(out)
}
