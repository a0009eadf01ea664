//! Report files: atomic replacement, and cleaning what an interrupted replacement left.

use std::io::{self, Read, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// A temporary file younger than this may belong to a run in progress.
const STALE_AFTER: Duration = Duration::from_secs(60);

/// Replaces `path` with `bytes` atomically: a temporary file beside it, then a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Removes the temporary files (`.tmpXXXXXX`, [`write_atomically`]'s) that a run killed
/// while replacing a report left in `dir` (and, with `runs`, in its `run-*` folders).
/// Only files older than a minute whose text starts as a shakedown report are
/// removed: another program's temporary file, or a live run's, is left alone.
/// Best effort: what cannot be read or removed stays.
pub(super) fn remove_stale_temporaries(dir: &Path, runs: bool) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if runs && name.starts_with("run-") && path.is_dir() {
            remove_stale_temporaries(&path, false);
        } else if is_temporary_name(&name) && is_stale_report(&path) {
            let _ = std::fs::remove_file(&path);
        }
    }
}

fn is_temporary_name(name: &str) -> bool {
    name.strip_prefix(".tmp")
        .is_some_and(|rest| rest.len() == 6 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn is_stale_report(path: &Path) -> bool {
    let Ok(metadata) = std::fs::metadata(path) else { return false };
    let old = metadata
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .is_some_and(|age| age >= STALE_AFTER);
    if !metadata.is_file() || !old {
        return false;
    }
    let mut head = [0; 64];
    let read = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).unwrap_or(0);
    let head = String::from_utf8_lossy(head.get(..read).unwrap_or_default()).into_owned();
    // An empty file is what a kill between creation and the first write leaves.
    read == 0 || head.contains("\"schema\": \"shakedown.report/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_report_temporaries_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run-1");
        std::fs::create_dir_all(&run).unwrap();
        let report = "{\n  \"schema\": \"shakedown.report/v1\",\n";
        let old = SystemTime::now() - Duration::from_secs(3600);
        let write = |path: &Path, text: &str, modified: SystemTime| {
            std::fs::write(path, text).unwrap();
            std::fs::File::options()
                .write(true)
                .open(path)
                .unwrap()
                .set_modified(modified)
                .unwrap();
        };
        write(&run.join(".tmpAbC123"), report, old);
        write(&run.join(".tmpYoung1"), report, SystemTime::now());
        write(&run.join(".tmpOther1"), "someone else's", old);
        write(&run.join("report.json"), report, old);
        remove_stale_temporaries(dir.path(), true);
        assert!(!run.join(".tmpAbC123").exists());
        assert!(run.join(".tmpYoung1").exists());
        assert!(run.join(".tmpOther1").exists());
        assert!(run.join("report.json").exists());
    }

    #[test]
    fn atomic_write_replaces_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/report.json");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
    }
}
