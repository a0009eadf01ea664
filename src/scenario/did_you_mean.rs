//! "Did you mean …?" suggestions for misspelled keywords (Levenshtein distance).

/// The edit distance between `a` and `b`, counted in characters.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b_chars.len()).collect();
    let mut current = vec![0; b_chars.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        if let Some(first) = current.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b_chars.iter().enumerate() {
            let substitution = previous.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let deletion = previous.get(j + 1).copied().unwrap_or(0) + 1;
            let insertion = current.get(j).copied().unwrap_or(0) + 1;
            if let Some(cell) = current.get_mut(j + 1) {
                *cell = substitution.min(deletion).min(insertion);
            }
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous.last().copied().unwrap_or(0)
}

/// The candidate closest to `name`, if it is close enough to be a plausible typo.
///
/// Case is ignored when measuring, so `[asserts]` suggests `Asserts`.
pub fn did_you_mean<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lowered = name.to_lowercase();
    let threshold = (name.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|candidate| (levenshtein(&lowered, &candidate.to_lowercase()), *candidate))
        .filter(|(distance, _)| *distance <= threshold)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(levenshtein("", ""), 0);
        assert_eq!(levenshtein("abc", ""), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("retri", "retry"), 1);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("été", "ete"), 2);
    }

    #[test]
    fn suggestions() {
        let options = ["retry", "retry-interval", "repeat", "delay"];
        assert_eq!(did_you_mean("retri", &options), Some("retry"));
        assert_eq!(did_you_mean("retry-intervall", &options), Some("retry-interval"));
        assert_eq!(did_you_mean("zzzzzz", &options), None);
        assert_eq!(did_you_mean("asserts", &["Asserts", "Captures"]), Some("Asserts"));
    }
}
