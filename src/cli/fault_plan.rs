//! Reading a fault plan file (`run --faults`, `proxy --plan`, `check PLAN.toml`): the file,
//! its diagnostics rendered as snippets with `file:line:col`, the run's plan and seed.

use std::path::Path;

use crate::cli::args::FaultArgs;
use crate::cli::output::Printer;
use crate::exit_code;
use crate::report::human::Style;
use crate::session::{FaultSetup, LoadedSuite};
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

/// The fault plan of a suite's run or load: `--faults PLAN` (its servers checked against
/// the suite), else the suite's `[faults]`; the seed from `--fault-seed`, the plan, or chance.
pub fn fault_setup(
    args: &FaultArgs,
    loaded: &LoadedSuite,
    printer: &mut Printer,
) -> Result<Option<FaultSetup>, u8> {
    let (plan, source) = match &args.plan {
        Some(path) => {
            let plan = read(path, printer)?;
            let named: Vec<&str> = loaded.suite.servers().iter().filter_map(|s| s.name()).collect();
            let problems = plan.check_servers(loaded.suite.server().is_some(), &named);
            if !problems.is_empty() {
                let source = std::fs::read_to_string(path).unwrap_or_default();
                print_diagnostics(path, &source, &problems, printer);
                return Err(exit_code::INPUT);
            }
            (plan, path.display().to_string())
        }
        None => match loaded.suite.faults() {
            Some(plan) => (plan.clone(), format!("{} [faults]", loaded.path.display())),
            None if args.fault_seed.is_some() => {
                printer.error("error: --fault-seed needs a fault plan: --faults PLAN or [faults] in the suite");
                return Err(exit_code::USAGE);
            }
            None => return Ok(None),
        },
    };
    let seed = args.fault_seed.or(plan.seed()).unwrap_or_else(random_seed);
    Ok(Some(FaultSetup { plan, seed, source }))
}

/// Whether a `.toml` file is a fault plan (docs/proxy.md) rather than a suite: it has
/// `[[fault]]` tables at the top (a suite's plan is its `[faults]` table).
pub fn is_fault_plan(source: &str) -> bool {
    source.parse::<toml::Table>().is_ok_and(|table| table.contains_key("fault"))
}

/// `shakedown check PLAN.toml`: the plan validated as `run --faults` reads it (every
/// error with `file:line:col` and a did-you-mean, exit 2), else what it injects.
pub fn check(path: &Path, source: &str, printer: &mut Printer) -> u8 {
    let plan = match crate::suite::parse_fault_plan(source) {
        Ok(plan) => plan,
        Err(diagnostics) => {
            print_diagnostics(path, source, &diagnostics, printer);
            return exit_code::INPUT;
        }
    };
    let servers: Vec<&str> = plan.servers().iter().map(|s| s.unwrap_or("main")).collect();
    let seed = plan.seed().map_or_else(|| "random".to_owned(), |seed| seed.to_string());
    printer.out(&format!(
        "{}: fault plan, {} fault(s) in front of {}, seed {seed}",
        path.display(),
        plan.plan().faults().len(),
        servers.join(", ")
    ));
    for fault in plan.plan().faults() {
        printer.out(&format!("  {fault}"));
    }
    exit_code::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::is_fault_plan;

    #[test]
    fn a_plan_has_fault_tables_and_a_suite_does_not() {
        assert!(is_fault_plan("seed = 1\n[[fault]]\ntype = \"reset_peer\"\n"));
        assert!(!is_fault_plan("[server]\nurl = \"http://127.0.0.1:1\"\n[faults]\nseed = 1\n"));
        assert!(!is_fault_plan("[[layer]]\nname = \"x\"\ncommand = [\"true\"]\n"));
        assert!(!is_fault_plan("not toml ["));
    }
}
