//! `shakedown check`: parse files and list their entries, sending nothing; given one
//! suite file (`*.toml`), validate it and every scenario file it names instead.

use crate::cli::args::CheckArgs;
use crate::cli::files::{ReadError, read_text};
use crate::cli::output::Printer;
use crate::exit_code;
use crate::report::human;
use crate::scenario::{self, LineIndex};

/// Runs `shakedown check`.
pub fn run(args: &CheckArgs, printer: &mut Printer) -> u8 {
    if let [suite] = args.files.as_slice()
        && suite.extension().is_some_and(|e| e == "toml")
    {
        return crate::cli::run_cmd::check_suite(suite, printer);
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
        let (file, diagnostics) = scenario::parse(&source);
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
