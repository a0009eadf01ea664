//! The exit codes of `shakedown`: a public contract, documented in one place.
//!
//! They follow Hurl's numbering (`packages/hurl/src/main.rs`) so that scripts
//! written around `hurl` keep their verdicts; shakedown's own additions start
//! at 5. When several apply to one run, [`combine`] decides (3 wins over 4, as
//! in Hurl).

/// Everything passed (flaky passes included unless `--flaky-result fail`).
pub const SUCCESS: u8 = 0;
/// The command line could not be understood.
pub const USAGE: u8 = 1;
/// An input file (a `.hurl` file) does not parse or validate.
pub const INPUT: u8 = 2;
/// A runtime error: a transport failure that the policy did not absorb, an
/// unsupported feature in use, a file that could not be read.
pub const RUNTIME: u8 = 3;
/// An assert failed: the service answered, and the answer is wrong.
pub const ASSERT: u8 = 4;
/// Everything passed, but some only after a transport retry, and the run was
/// told to treat that as failure (`--flaky-result fail`).
pub const FLAKY: u8 = 5;

/// The code for a run in which several of the above happened.
///
/// Precedence, highest first: input (2), runtime (3), assert (4), flaky (5),
/// success (0). Usage errors end the run before anything else can happen.
pub fn combine(codes: impl IntoIterator<Item = u8>) -> u8 {
    let rank = |code: u8| match code {
        USAGE => 0,
        INPUT => 1,
        RUNTIME => 2,
        ASSERT => 3,
        FLAKY => 4,
        SUCCESS => 6,
        _ => 5,
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
    }
}
