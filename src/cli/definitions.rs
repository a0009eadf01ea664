//! `test`'s variables and secrets: `HURL_VARIABLE_*` and `HURL_SECRET_*`, `--variable`,
//! `--variables-file`, `--secret` and `--secrets-file`, in Hurl's order and with its rules.

use std::path::Path;

use crate::cli::args::TestArgs;
use crate::cli::edge::split_definition;
use crate::cli::output::UsageError;
use crate::runner::variables::Variables;

/// Every variable and secret the command line defines, validated.
pub(crate) fn variables(args: &TestArgs) -> Result<Variables, UsageError> {
    let mut variables = Variables::default();
    for (name, value) in std::env::vars() {
        if let Some(name) = name.strip_prefix("HURL_VARIABLE_") {
            variables.insert(name.to_owned(), typed_variable(&value));
        }
    }
    for definition in &args.variables {
        let (name, value) = split_definition(definition, "--variable")?;
        check_variable_name(&name)?;
        variables.insert(name, typed_variable(&value));
    }
    for path in &args.variables_files {
        let mut seen = std::collections::BTreeSet::new();
        for (name, value) in read_definitions(path)? {
            check_variable_name(&name)?;
            if !seen.insert(name.clone()) {
                return Err(UsageError(format!(
                    "variable `{name}` is defined twice in {}",
                    path.display()
                )));
            }
            variables.insert(name, typed_variable(&value));
        }
    }
    for (name, value) in std::env::vars() {
        if let Some(name) = name.strip_prefix("HURL_SECRET_") {
            variables.insert_secret(name.to_owned(), crate::runner::value::Value::String(value));
        }
    }
    let mut secret_names = std::collections::BTreeSet::new();
    for definition in &args.secrets {
        let (name, value) = split_definition(definition, "--secret")?;
        if !secret_names.insert(name.clone()) {
            return Err(UsageError(format!("secret `{name}` can't be reassigned")));
        }
        variables.insert_secret(name, crate::runner::value::Value::String(value));
    }
    for path in &args.secrets_files {
        for (name, value) in read_definitions(path)? {
            variables.insert_secret(name, crate::runner::value::Value::String(value));
        }
    }
    Ok(variables)
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
fn typed_variable(text: &str) -> crate::runner::value::Value {
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => crate::runner::value::Value::String(inner.to_owned()),
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
