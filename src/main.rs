//! The `shakedown` binary: everything lives in the library, behind `cli::main`.
//!
//! The first thing it does is to install the handlers of SIGINT, SIGTERM and SIGHUP
//! (`shakedown::signals`), so that a signal in the first milliseconds (while a suite
//! and its scenario files are parsed) is recorded and honoured by the command instead
//! of killing the process by its default action. The hidden `__supervise` process (the
//! orphan supervisor and the server gate) keeps the default actions: the gate must die
//! of a stop signal like the server it stands for.

/// mimalloc: a request allocates a few dozen small blocks, and glibc's malloc and free were
/// about a fifth of the instructions per request (bench/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let supervisor = std::env::args_os().nth(1).is_some_and(|arg| arg == "__supervise");
    let signals = if supervisor { Ok(()) } else { shakedown::signals::install() };
    shakedown::cli::main(signals)
}
