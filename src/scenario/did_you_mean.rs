//! "Did you mean …?" suggestions for misspelled names: the one implementation,
//! used by the `.hurl` parser and by the suite file (`suite`).
//!
//! Distance is the optimal string alignment distance (Levenshtein, plus
//! swapping two neighbours as one edit: `prot` is one edit from `port`).

/// The edit distance between `a` and `b`, counted in characters; swapping two
/// neighbouring characters counts as one edit.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows of the table: two back, one back, current.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(first) = current.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let at = |row: &[usize], k: usize| row.get(k).copied().unwrap_or(usize::MAX - 1);
            let substitution = at(&previous, j) + usize::from(ca != cb);
            let deletion = at(&previous, j + 1) + 1;
            let insertion = at(&current, j) + 1;
            let mut best = substitution.min(deletion).min(insertion);
            let swapped =
                i > 0 && j > 0 && a.get(i - 1) == Some(cb) && b.get(j - 1) == Some(ca) && ca != cb;
            if swapped {
                best = best.min(at(&before, j - 1) + 1);
            }
            if let Some(cell) = current.get_mut(j + 1) {
                *cell = best;
            }
        }
        std::mem::swap(&mut before, &mut previous);
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
        assert_eq!(levenshtein("comand", "command"), 1);
        assert_eq!(levenshtein("prot", "port"), 1);
        assert_eq!(levenshtein("ab", "ba"), 1);
        assert_eq!(levenshtein("abc", "ca"), 3);
    }

    #[test]
    fn suggestions() {
        let options = ["retry", "retry-interval", "repeat", "delay"];
        assert_eq!(did_you_mean("retri", &options), Some("retry"));
        assert_eq!(did_you_mean("retry-intervall", &options), Some("retry-interval"));
        assert_eq!(did_you_mean("zzzzzz", &options), None);
        assert_eq!(did_you_mean("asserts", &["Asserts", "Captures"]), Some("Asserts"));
        let known = ["command", "cwd", "env", "ready", "stop", "url"];
        assert_eq!(did_you_mean("comand", &known), Some("command"));
        assert_eq!(did_you_mean("READY", &known), Some("ready"));
        assert_eq!(did_you_mean("banana", &known), None);
    }
}
