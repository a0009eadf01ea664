//! Reading a fault plan file (`run --faults`, `proxy --plan`): the file, its diagnostics
//! rendered as snippets with `file:line:col`, and the run's seed.

use std::path::Path;

use crate::cli::output::Printer;
use crate::exit_code;
use crate::report::human::Style;
use crate::suite::{self, FaultsDef};

/// Reads and validates a plan file; on failure prints why and returns the exit code
/// (`INPUT` for an invalid plan, `USAGE` for an unreadable file).
pub fn read(path: &Path, printer: &mut Printer) -> Result<FaultsDef, u8> {
    let source = match std::fs::read_to_string(path) {
        Ok(source) => source,
        Err(e) => {
            printer.error(&format!("error: cannot read the fault plan {}: {e}", path.display()));
            return Err(exit_code::USAGE);
        }
    };
    suite::parse_fault_plan(&source).map_err(|diagnostics| {
        print_diagnostics(path, &source, &diagnostics, printer);
        exit_code::INPUT
    })
}

/// Renders plan diagnostics, then the count.
pub fn print_diagnostics(
    path: &Path,
    source: &str,
    diagnostics: &[suite::SuiteDiagnostic],
    printer: &mut Printer,
) {
    let name = path.display().to_string();
    let color = printer.style() == Style::Color;
    printer.err(&suite::render(diagnostics, &name, source, color));
    printer.err(&format!("{name}: {} error(s)", diagnostics.len()));
}

/// A random seed, when neither the command line nor the plan gives one (below 2^63, so a
/// plan file can hold it).
pub fn random_seed() -> u64 {
    rand::random::<u64>() >> 1
}
