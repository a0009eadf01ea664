//! The `shakedown` binary: everything lives in the library, behind `cli::main`.

fn main() -> std::process::ExitCode {
    shakedown::cli::main()
}
