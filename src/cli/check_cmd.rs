//! `shakedown check`: parse files and list their entries, sending nothing; given one
//! suite file (`*.toml`), validate it and every scenario file it names instead, list
//! what would run, and print the findings of `check_suite` (commands not on `PATH`,
//! servers not told their port, undefined `{{variables}}`).
//! Unsupported `[Options]` and literal option values the runner would refuse are
//! errors here too (`settings::unsupported::check_options`): what `check` accepts,
//! `test` and `run` run.

use std::path::Path;

use crate::cli::args::CheckArgs;
use crate::cli::check_suite::{self, Severity};
use crate::cli::files::{ReadError, read_text};
use crate::cli::output::Printer;
use crate::cli::terminal::print_load_error;
use crate::exit_code;
use crate::report::human;
use crate::scenario::{self, LineIndex};
use crate::session::load_suite;
use crate::suite::{CommandSpec, Isolation, LayerKind, Program, ServerTarget};

/// Runs `shakedown check`.
pub fn run(args: &CheckArgs, printer: &mut Printer) -> u8 {
    if let [suite] = args.files.as_slice()
        && suite.extension().is_some_and(|e| e == "toml")
    {
        return check_suite(suite, printer);
    }
    let files = match crate::cli::files::collect(&args.files, &[]) {
        Ok(files) => files,
        Err(error) => {
            printer.error(&format!("error: {error}"));
            return exit_code::USAGE;
        }
    };
    let mut code = exit_code::SUCCESS;
    for path in files {
        let name = path.display().to_string();
        let source = match read_text(&path) {
            Ok(source) => source,
            Err(ReadError::Utf8(invalid)) => {
                let diagnostics = [invalid.diagnostic()];
                let text =
                    human::parse_diagnostics(&name, &invalid.lossy, &diagnostics, printer.style());
                printer.err(text.trim_end());
                printer.err(&format!("{name}: 1 error(s)"));
                code = exit_code::combine([code, exit_code::INPUT]);
                continue;
            }
            Err(ReadError::Io(e)) => {
                printer.error(&format!("error: cannot read {name}: {e}"));
                code = exit_code::combine([code, exit_code::INPUT]);
                continue;
            }
        };
        let (file, mut diagnostics) = scenario::parse(&source);
        if diagnostics.is_empty() {
            // What `test` and `run` would refuse when the entry runs, refused now.
            diagnostics = crate::settings::unsupported::check_options(&file);
        }
        if !diagnostics.is_empty() {
            printer.err(
                human::parse_diagnostics(&name, &source, &diagnostics, printer.style()).trim_end(),
            );
            printer.err(&format!("{name}: {} error(s)", diagnostics.len()));
            code = exit_code::combine([code, exit_code::INPUT]);
            continue;
        }
        let lines = LineIndex::new(&source);
        printer.out(&format!(
            "{name}: {} entr{}",
            file.entries.len(),
            if file.entries.len() == 1 { "y" } else { "ies" }
        ));
        for (i, entry) in file.entries.iter().enumerate() {
            let url = source
                .get(entry.request.url.span.start..entry.request.url.span.end)
                .unwrap_or_default();
            printer.out(&format!(
                "  {:>3}  line {:<4} {} {url}",
                i + 1,
                lines.line(entry.request.line_span.start),
                entry.request.method.value
            ));
        }
    }
    code
}

/// `shakedown check SUITE.toml`: validates the suite and its scenario files and lists
/// what would run.
fn check_suite(path: &Path, printer: &mut Printer) -> u8 {
    let loaded = match load_suite(path) {
        Ok(loaded) => loaded,
        Err(error) => return print_load_error(&error, printer),
    };
    let suite = &loaded.suite;
    // What `run` would refuse when an entry runs, refused now (`check` FILE does the same).
    let mut refused = 0;
    for file in loaded.files.iter().flatten() {
        let diagnostics = crate::settings::unsupported::check_options(&file.file);
        if !diagnostics.is_empty() {
            let name = file.path.display().to_string();
            let text = human::parse_diagnostics(&name, &file.source, &diagnostics, printer.style());
            printer.err(text.trim_end());
            refused += 1;
        }
    }
    if refused > 0 {
        printer.err(&format!(
            "{refused} scenario file(s) of {} use what shakedown does not support",
            loaded.path.display()
        ));
        return exit_code::INPUT;
    }
    printer.out(&format!("{}: suite", loaded.path.display()));
    for def in suite.start_order() {
        let name = def.name().unwrap_or("main");
        match def.target() {
            ServerTarget::Launch { command, .. } => {
                printer.out(&format!("  server {name}: {}", describe_command(command)));
            }
            ServerTarget::External { url } => {
                printer.out(&format!("  server {name}: external {}", url.get_ref()));
            }
        }
    }
    for (layer, files) in suite.layers().iter().zip(&loaded.files) {
        match layer.kind() {
            LayerKind::Command { command, .. } => {
                printer.out(&format!(
                    "  layer {}: command {}",
                    layer.name(),
                    describe_command(command)
                ));
            }
            LayerKind::Scenarios { load: Some(load), .. } => {
                let model =
                    load.options().plan().map_or_else(|e| e.to_string(), |plan| plan.describe());
                printer.out(&format!(
                    "  layer {}: load on {} scenario file(s), {model}, {} threshold(s)",
                    layer.name(),
                    files.len(),
                    load.thresholds().len()
                ));
                for file in files {
                    printer.out(&format!("    {}", file.path.display()));
                }
            }
            LayerKind::Scenarios { isolation, .. } => {
                let isolation = match isolation {
                    Isolation::Shared => "shared",
                    Isolation::Restart => "restart",
                };
                printer.out(&format!(
                    "  layer {}: {} scenario file(s), isolation {isolation}",
                    layer.name(),
                    files.len()
                ));
                for file in files {
                    printer.out(&format!("    {}", file.path.display()));
                }
            }
        }
    }
    let findings = check_suite::findings(&loaded);
    if findings.is_empty() {
        return exit_code::SUCCESS;
    }
    let suite_name = loaded.path.display().to_string();
    // The suite file was read a moment ago by `load_suite`; its text is read again to draw.
    let suite_source = read_text(&loaded.path).unwrap_or_default();
    let color = printer.style() == human::Style::Color;
    let (mut errors, mut warnings) = (0, 0);
    for finding in &findings {
        let text = match finding.file {
            None => check_suite::render(finding, &suite_name, &suite_source, color),
            Some((layer, file)) => match loaded.files.get(layer).and_then(|f| f.get(file)) {
                Some(file) => check_suite::render(
                    finding,
                    &file.path.display().to_string(),
                    &file.source,
                    color,
                ),
                None => continue,
            },
        };
        printer.err(text.trim_end());
        match finding.severity {
            Severity::Error => errors += 1,
            Severity::Warning => warnings += 1,
        }
    }
    printer.err(&format!("{suite_name}: {errors} error(s), {warnings} warning(s)"));
    if errors > 0 { exit_code::INPUT } else { exit_code::SUCCESS }
}

fn describe_command(command: &CommandSpec) -> String {
    let program = match command.program() {
        Program::Path(path) => path.get_ref().display().to_string(),
        Program::Search(name) => name.get_ref().clone(),
    };
    let mut out = program;
    for arg in command.args() {
        out.push(' ');
        out.push_str(&arg.render(|p| Some(p.to_string())).unwrap_or_default());
    }
    out
}
