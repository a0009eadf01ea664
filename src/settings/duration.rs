//! The one duration grammar of shakedown: the command line, the suite and `[Options]`.
//!
//! `DIGITS [UNIT]`, a whole number and one of `ms`, `s`, `m`, `h`, with nothing between
//! them; surrounding whitespace is ignored. A bare number is in the unit its place
//! gives (Hurl's: seconds for `--max-time`, milliseconds for `--retry-interval`; seconds
//! in the suite, as for `shakedown run`'s flags of the same names).

use std::time::Duration;

use crate::scenario::ast::DurationUnit;

/// The grammar, for help texts.
pub const DURATION_GRAMMAR: &str =
    "a whole number with an optional unit (ms, s, m, h), such as 500ms, 10s, 2m or 1h";

/// Why a text is not a duration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// No digits first.
    #[error("expected a number and a unit")]
    NoNumber,
    /// More digits than a `u64` holds.
    #[error("number too large")]
    NumberTooLarge,
    /// `1.5s`.
    #[error("expected a whole number")]
    Fraction,
    /// `10 s`.
    #[error("no space between the number and the unit")]
    Space,
    /// `10sec`.
    #[error("unknown unit `{0}`")]
    UnknownUnit(String),
    /// More than `u64::MAX` milliseconds.
    #[error("too long")]
    TooLong,
}

/// Parses `text`; a bare number is in `bare_unit`.
pub fn parse_duration(text: &str, bare_unit: DurationUnit) -> Result<Duration, DurationError> {
    let text = text.trim();
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    if number.is_empty() {
        return Err(DurationError::NoNumber);
    }
    let n: u64 = number.parse().map_err(|_| DurationError::NumberTooLarge)?;
    let unit = match unit {
        "" => bare_unit,
        "ms" => DurationUnit::Millisecond,
        "s" => DurationUnit::Second,
        "m" => DurationUnit::Minute,
        "h" => DurationUnit::Hour,
        _ if unit.starts_with('.') || unit.starts_with(',') => {
            return Err(DurationError::Fraction);
        }
        _ if matches!(unit.trim_start(), "ms" | "s" | "m" | "h") => {
            return Err(DurationError::Space);
        }
        _ => return Err(DurationError::UnknownUnit(unit.trim_start().to_owned())),
    };
    let millis = match unit {
        DurationUnit::Millisecond => Some(n),
        DurationUnit::Second => n.checked_mul(1000),
        DurationUnit::Minute => n.checked_mul(60_000),
        DurationUnit::Hour => n.checked_mul(3_600_000),
    };
    millis.map(Duration::from_millis).ok_or(DurationError::TooLong)
}

/// A duration of `value` in `unit` (saturating), for literals the Hurl parser has
/// already split into a number and a unit.
pub fn to_duration(value: u64, unit: DurationUnit) -> Duration {
    match unit {
        DurationUnit::Millisecond => Duration::from_millis(value),
        DurationUnit::Second => Duration::from_secs(value),
        DurationUnit::Minute => Duration::from_secs(value.saturating_mul(60)),
        DurationUnit::Hour => Duration::from_secs(value.saturating_mul(3600)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: DurationUnit = DurationUnit::Millisecond;
    const S: DurationUnit = DurationUnit::Second;

    #[test]
    fn the_accepted_grammar() {
        let ms = Duration::from_millis;
        assert_eq!(parse_duration("500", MS), Ok(ms(500)));
        assert_eq!(parse_duration("3", S), Ok(ms(3000)));
        assert_eq!(parse_duration("500ms", S), Ok(ms(500)));
        assert_eq!(parse_duration("2s", MS), Ok(ms(2000)));
        assert_eq!(parse_duration("1m", MS), Ok(ms(60_000)));
        assert_eq!(parse_duration("1h", S), Ok(ms(3_600_000)));
        assert_eq!(parse_duration("0s", S), Ok(Duration::ZERO));
        assert_eq!(parse_duration(" 10s\n", S), Ok(ms(10_000)));
        assert_eq!(parse_duration("007s", S), Ok(ms(7000)));
    }

    #[test]
    fn the_rejected_spellings_say_why() {
        assert_eq!(parse_duration("", S), Err(DurationError::NoNumber));
        assert_eq!(parse_duration("s", S), Err(DurationError::NoNumber));
        assert_eq!(parse_duration("-1s", S), Err(DurationError::NoNumber));
        assert_eq!(parse_duration("+1s", S), Err(DurationError::NoNumber));
        assert_eq!(parse_duration("1.5s", S), Err(DurationError::Fraction));
        assert_eq!(parse_duration("2 s", S), Err(DurationError::Space));
        assert_eq!(parse_duration("10sec", S), Err(DurationError::UnknownUnit("sec".to_owned())));
        assert_eq!(
            parse_duration("5parsecs", S),
            Err(DurationError::UnknownUnit("parsecs".into()))
        );
        assert_eq!(parse_duration("5d", S), Err(DurationError::UnknownUnit("d".to_owned())));
        assert_eq!(parse_duration("1S", S), Err(DurationError::UnknownUnit("S".to_owned())));
        assert_eq!(parse_duration("99999999999999999999s", S), Err(DurationError::NumberTooLarge));
        assert_eq!(parse_duration("18446744073709551615h", S), Err(DurationError::TooLong));
        assert_eq!(parse_duration("18446744073709551615", S), Err(DurationError::TooLong));
    }

    #[test]
    fn literals_saturate() {
        assert_eq!(to_duration(2, DurationUnit::Minute), Duration::from_secs(120));
        assert_eq!(to_duration(u64::MAX, DurationUnit::Hour), Duration::from_secs(u64::MAX));
    }
}
