//! The exit codes of `shakedown`: a public contract, documented in one place.
//!
//! They follow Hurl's numbering (`packages/hurl/src/main.rs`) so that scripts
//! written around `hurl` keep their verdicts; shakedown's own additions start
//! at 5, and 130 is the shell's "killed by SIGINT". When several apply to one
//! run, [`combine`] decides (3 wins over 4, as in Hurl).

/// Everything passed (flaky passes included unless `--flaky-result fail`).
pub const SUCCESS: u8 = 0;
/// The command line could not be understood.
pub const USAGE: u8 = 1;
/// An input file (a `.hurl` file, or the suite file `shakedown.toml`, or a file
/// or glob it names) does not parse or validate; nothing was started.
pub const INPUT: u8 = 2;
/// A runtime error: a transport failure that the policy did not absorb, an
/// unsupported feature in use, a file that could not be read; in `shakedown run`
/// also a server that failed to start, never became ready, or crashed.
pub const RUNTIME: u8 = 3;
/// An assert failed: the service answered, and the answer is wrong.
pub const ASSERT: u8 = 4;
/// Everything passed, but some only after a transport retry, and the run was
/// told to treat that as failure (`--flaky-result fail`).
pub const FLAKY: u8 = 5;
/// `shakedown run`: a command layer (`[[layer]] command = [...]`) exited with a
/// non-zero status, timed out, or did not leave the JUnit file it promised.
pub const COMMAND_LAYER: u8 = 6;
/// `shakedown load` or `shakedown merge`: a threshold (`--threshold p95<300ms`, ...) was
/// crossed. Failed asserts alone do not fail a load run: they are counted (as in k6).
pub const THRESHOLD: u8 = 7;
/// Interrupted by SIGINT, SIGTERM or SIGHUP; the report written is marked
/// partial. (A `run` past its `--deadline` is a runtime error, 3.)
pub const INTERRUPTED: u8 = 130;

/// The code for a run in which several of the above happened.
///
/// Precedence, highest first: usage (1), interrupted (130), input (2),
/// runtime (3), command layer failed (6), threshold crossed (7), assert (4), flaky (5),
/// success (0).
/// Usage errors end the run before anything else can happen; an interrupted run
/// has no complete verdict, whatever else it saw; "could not test" (2, 3) wins
/// over "tested, and it is wrong" (6, 4), as in Hurl; a failed unit-test layer
/// ranks with a failed assert, just above it, because its failure is not
/// explained by shakedown's own report.
pub fn combine(codes: impl IntoIterator<Item = u8>) -> u8 {
    let rank = |code: u8| match code {
        USAGE => 0,
        INTERRUPTED => 1,
        INPUT => 2,
        RUNTIME => 3,
        COMMAND_LAYER => 4,
        THRESHOLD => 5,
        ASSERT => 6,
        FLAKY => 7,
        SUCCESS => 9,
        _ => 8,
    };
    codes.into_iter().min_by_key(|code| rank(*code)).unwrap_or(SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_wins_over_assert_as_in_hurl() {
        assert_eq!(combine([ASSERT, RUNTIME, SUCCESS]), RUNTIME);
        assert_eq!(combine([SUCCESS, ASSERT]), ASSERT);
        assert_eq!(combine([]), SUCCESS);
        assert_eq!(combine([ASSERT, INPUT]), INPUT);
        assert_eq!(combine([FLAKY, SUCCESS]), FLAKY);
        assert_eq!(combine([FLAKY, ASSERT]), ASSERT);
        assert_eq!(combine([ASSERT, COMMAND_LAYER, FLAKY]), COMMAND_LAYER);
        assert_eq!(combine([COMMAND_LAYER, RUNTIME]), RUNTIME);
        assert_eq!(combine([RUNTIME, INTERRUPTED, INPUT]), INTERRUPTED);
        assert_eq!(combine([INTERRUPTED, USAGE]), USAGE);
        assert_eq!(combine([ASSERT, THRESHOLD]), THRESHOLD);
        assert_eq!(combine([THRESHOLD, RUNTIME]), RUNTIME);
    }
}
