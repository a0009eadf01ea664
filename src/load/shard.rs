//! Scale-out: which shard this process is (`--shard M/N`, or the engine's environment), and which
//! files a test shard runs. Pure: the environment is handed in as a lookup function.

use std::collections::BTreeMap;
use std::path::Path;

/// One shard of N, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1..=total.
    pub index: u64,
    /// N.
    pub total: u64,
}

/// Why a set of shard results is not exactly the shards 1..N.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShardSetError {
    /// Two results disagree on N: which said what.
    Totals(String),
    /// Indexes with no result (comma-separated), of N.
    Missing {
        /// Which.
        missing: String,
        /// N.
        total: u64,
    },
    /// No result at all.
    Empty,
}

/// Shard results gathered by index, for `merge`: every shard 1..N exactly once. A second
/// result with an index already seen (a retried pod or task) is set aside, the first kept.
#[derive(Debug)]
pub struct ShardSet<T> {
    by_index: BTreeMap<u64, (String, T)>,
    duplicates: Vec<(u64, String, String)>,
    total: Option<(u64, String)>,
}

impl<T> Default for ShardSet<T> {
    fn default() -> Self {
        ShardSet { by_index: BTreeMap::new(), duplicates: Vec::new(), total: None }
    }
}

impl<T> ShardSet<T> {
    /// Adds the result `name` of `shard`.
    pub fn add(&mut self, name: &str, shard: Shard, doc: T) -> Result<(), ShardSetError> {
        match &self.total {
            None => self.total = Some((shard.total, name.to_owned())),
            Some((n, first)) if *n != shard.total => {
                return Err(ShardSetError::Totals(format!(
                    "{first} says {n}, {name} says {}",
                    shard.total
                )));
            }
            Some(_) => {}
        }
        if let Some((kept, _)) = self.by_index.get(&shard.index) {
            self.duplicates.push((shard.index, name.to_owned(), kept.clone()));
        } else {
            self.by_index.insert(shard.index, (name.to_owned(), doc));
        }
        Ok(())
    }

    /// The results, if every index 1..=N is there.
    pub fn complete(self) -> Result<CompleteShards<T>, ShardSetError> {
        let (total, _) = self.total.ok_or(ShardSetError::Empty)?;
        let missing: Vec<String> =
            (1..=total).filter(|i| !self.by_index.contains_key(i)).map(|i| i.to_string()).collect();
        if !missing.is_empty() {
            return Err(ShardSetError::Missing { missing: missing.join(", "), total });
        }
        Ok(CompleteShards { total, by_index: self.by_index, duplicates: self.duplicates })
    }
}

/// Every shard 1..N, once.
#[derive(Debug)]
pub struct CompleteShards<T> {
    /// N.
    pub total: u64,
    /// The results by index: (name, result).
    pub by_index: BTreeMap<u64, (String, T)>,
    /// Indexes given twice: (index, the name ignored, the name kept).
    pub duplicates: Vec<(u64, String, String)>,
}

/// How files are split between shards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ShardMode {
    /// By a stable hash of the path: adding a file does not move the others.
    #[default]
    Hash,
    /// Round-robin over the sorted list: even shard sizes.
    Slice,
}

impl ShardMode {
    /// `hash` or `slice`, as `--shard-mode` and the reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ShardMode::Hash => "hash",
            ShardMode::Slice => "slice",
        }
    }
}

/// A shard that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShardError {
    /// Not `M/N` with `1 <= M <= N`.
    #[error("invalid shard `{0}`: expected M/N with 1 <= M <= N (1-based), e.g. 2/4")]
    Syntax(String),
    /// An index from the environment, but no total anywhere.
    #[error(
        "{0} is set but the shard total is not: give --shard-total, SHAKEDOWN_SHARD_TOTAL or SLURM_ARRAY_TASK_COUNT"
    )]
    NoTotal(&'static str),
    /// An environment value that is not a number in range.
    #[error("{name}={value} is not a valid shard index for a total of {total}")]
    Env {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// The total.
        total: u64,
    },
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

impl Shard {
    /// Parses `M/N`.
    pub fn parse(text: &str) -> Result<Shard, ShardError> {
        let bad = || ShardError::Syntax(text.to_owned());
        let (m, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = m.trim().parse().map_err(|_| bad())?;
        let total: u64 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || total == 0 || index > total {
            return Err(bad());
        }
        Ok(Shard { index, total })
    }

    /// The shard this process is: the flag, else `JOB_COMPLETION_INDEX` (0-based, Kubernetes) or
    /// `SLURM_ARRAY_TASK_ID` (as given: `--array=1-N` makes it 1-based), with the total from the
    /// flag, `SHAKEDOWN_SHARD_TOTAL` or `SLURM_ARRAY_TASK_COUNT`. `None`: not sharded.
    pub fn resolve(
        flag: Option<&str>,
        total_flag: Option<u64>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Shard>, ShardError> {
        if let Some(flag) = flag {
            return Shard::parse(flag).map(Some);
        }
        let total = || -> Option<u64> {
            total_flag
                .or_else(|| env("SHAKEDOWN_SHARD_TOTAL").and_then(|v| v.trim().parse().ok()))
                .or_else(|| env("SLURM_ARRAY_TASK_COUNT").and_then(|v| v.trim().parse().ok()))
        };
        for (name, offset) in [("JOB_COMPLETION_INDEX", 1), ("SLURM_ARRAY_TASK_ID", 0)] {
            if let Some(value) = env(name) {
                let total = total().ok_or(ShardError::NoTotal(name))?;
                let index = value
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .map(|i| i + offset)
                    .filter(|i| (1..=total).contains(i))
                    .ok_or(ShardError::Env { name, value: value.clone(), total })?;
                return Ok(Some(Shard { index, total }));
            }
        }
        Ok(None)
    }

    /// The report's `run.shard` for this shard, splitting files by `mode`.
    pub fn report_dto(&self, mode: ShardMode) -> crate::report::model::ShardDto {
        crate::report::model::ShardDto {
            index: self.index,
            total: self.total,
            mode: mode.as_str().to_owned(),
        }
    }

    /// This shard's part of an integer quantity: `floor(M·V/N) − floor((M−1)·V/N)`.
    pub fn part_of(&self, v: u64) -> u64 {
        let (m, n, v) = (u128::from(self.index), u128::from(self.total), u128::from(v));
        let part = (m * v) / n - ((m - 1) * v) / n;
        u64::try_from(part).unwrap_or(u64::MAX)
    }

    /// Whether the file at `position` in the sorted list belongs to this shard.
    pub fn owns(&self, path: &Path, position: usize, mode: ShardMode) -> bool {
        let bucket = match mode {
            ShardMode::Hash => fnv1a(path.to_string_lossy().as_bytes()) % self.total,
            ShardMode::Slice => (position as u64) % self.total,
        };
        bucket + 1 == self.index
    }
}

/// FNV-1a, 64 bits: stable across builds and platforms (std's hasher is not).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn flags_and_environments() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, total: 4 }));
        for bad in ["0/4", "5/4", "1/0", "x", "1/", "-1/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let k8s = env(&[("JOB_COMPLETION_INDEX", "0"), ("SHAKEDOWN_SHARD_TOTAL", "3")]);
        assert_eq!(Shard::resolve(None, None, &k8s), Ok(Some(Shard { index: 1, total: 3 })));
        let slurm = env(&[("SLURM_ARRAY_TASK_ID", "4"), ("SLURM_ARRAY_TASK_COUNT", "4")]);
        assert_eq!(Shard::resolve(None, None, &slurm), Ok(Some(Shard { index: 4, total: 4 })));
        assert_eq!(
            Shard::resolve(Some("1/2"), None, &slurm),
            Ok(Some(Shard { index: 1, total: 2 }))
        );
        let no_total = env(&[("JOB_COMPLETION_INDEX", "0")]);
        assert_eq!(
            Shard::resolve(None, None, &no_total),
            Err(ShardError::NoTotal("JOB_COMPLETION_INDEX"))
        );
        assert_eq!(
            Shard::resolve(None, Some(2), &no_total),
            Ok(Some(Shard { index: 1, total: 2 }))
        );
        let out_of_range = env(&[("JOB_COMPLETION_INDEX", "3"), ("SHAKEDOWN_SHARD_TOTAL", "3")]);
        assert!(Shard::resolve(None, None, &out_of_range).is_err());
        assert_eq!(Shard::resolve(None, None, &env(&[])), Ok(None));
    }

    #[test]
    fn every_file_in_exactly_one_shard_and_hash_is_stable() {
        let files: Vec<PathBuf> = (0..50).map(|i| PathBuf::from(format!("t/f{i}.hurl"))).collect();
        for mode in [ShardMode::Hash, ShardMode::Slice] {
            for (pos, path) in files.iter().enumerate() {
                let owners = (1..=4)
                    .filter(|&index| Shard { index, total: 4 }.owns(path, pos, mode))
                    .count();
                assert_eq!(owners, 1);
            }
        }
        // Adding a file does not move the others under hash.
        let shard = Shard { index: 3, total: 4 };
        let before: Vec<bool> =
            files.iter().enumerate().map(|(p, f)| shard.owns(f, p, ShardMode::Hash)).collect();
        let after: Vec<bool> =
            files.iter().enumerate().map(|(p, f)| shard.owns(f, p + 1, ShardMode::Hash)).collect();
        assert_eq!(before, after);
        let sizes: Vec<usize> = (1..=4)
            .map(|index| {
                let s = Shard { index, total: 4 };
                files.iter().enumerate().filter(|(p, f)| s.owns(f, *p, ShardMode::Slice)).count()
            })
            .collect();
        assert_eq!(sizes, vec![13, 13, 12, 12]);
        assert_eq!((1..=4).map(|i| Shard { index: i, total: 4 }.part_of(10)).sum::<u64>(), 10);
    }
}
