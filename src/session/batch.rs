//! The engine of `shakedown test`: a list of `.hurl` files run on the worker pool
//! ([`super::pool::run_on_threads`]: `jobs` threads, each with a current-thread runtime
//! and a transport client per file; a lone worker on the calling thread), every file
//! read and parsed once however often `--repeat` runs it, each finished file handed to
//! the reporter as an [`Event::FileFinished`], in the order files finish.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::runner::execute::FileObserver;
use crate::runner::outcome::EntryOutcome;
use std::time::SystemTime;

use crate::retry::Budget;
use crate::runner::cookies::CookieStore;
use crate::runner::execute::{self, FileRun, RunSettings};
use crate::runner::outcome::{FileError, FileOutcome, Outcome};
use crate::scenario::InvalidUtf8;
use crate::scenario::ast::HurlFile;
use crate::transport::client::{Client, ClientSettings};

use super::event::{Event, Reporter, emit, emit_entry};
use super::pool::{self, PoolError, Queue, Worker};

/// The file name that stands for standard input (Hurl reads it when no file is named).
pub const STDIN_PATH: &str = "-";

/// A reporter shared by the workers and the consumer of the pool.
pub type SharedReporter = Arc<Mutex<Box<dyn Reporter>>>;

/// The files of one `test` run and how to run them, validated.
#[derive(Debug)]
pub struct Batch {
    /// The files, in order, repeated as `--repeat` asks ([`STDIN_PATH`] is standard input).
    pub files: Vec<PathBuf>,
    /// The runner's settings.
    pub settings: Arc<RunSettings>,
    /// Worker threads (at most one per file).
    pub jobs: usize,
    /// Take no file after the first one that did not pass.
    pub fail_fast: bool,
}

/// What a batch gave.
#[derive(Debug)]
pub struct BatchOutcome {
    /// Every file that ran (or could not), in the order of [`Batch::files`].
    pub runs: Vec<FileRun>,
    /// Workers that could not start (their file is reported as not run).
    pub errors: Vec<PoolError>,
    /// The files as parsed, handed back instead of freed when the workers end, so that
    /// the caller decides when they are freed (`shakedown test` never does: it exits).
    pub parsed: ParsedFiles,
}

/// The parsed files of a batch (their syntax trees); freed when dropped.
pub struct ParsedFiles(Arc<Sources>);

impl std::fmt::Debug for ParsedFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ParsedFiles({} distinct files)", self.0.slots.len())
    }
}

impl Batch {
    /// Runs the files; blocks until every worker ended.
    pub fn run(self, budget: &Arc<Budget>, reporter: &SharedReporter) -> BatchOutcome {
        let Batch { files, mut settings, jobs, fail_fast } = self;
        // Progress events only for a reporter that reads them: otherwise nothing is emitted
        // while files run, and the runner's hot path is the same as without a reporter.
        let follows = reporter.lock().unwrap_or_else(PoisonError::into_inner).follows_entries();
        let progress = follows.then(|| reporter.clone());
        if let Some(reporter) = &progress {
            let mut observed = RunSettings::clone(&settings);
            observed.observer = Some(Arc::new(Progress { reporter: reporter.clone() }));
            settings = Arc::new(observed);
        }
        let files = Arc::new(files);
        let queue = Arc::new(Queue::new(files.len()));
        let workers = jobs.min(files.len()).max(1);
        let sources = Arc::new(Sources::of(&files));
        let parsed = ParsedFiles(sources.clone());
        let make = {
            let (budget, files, queue) = (budget.clone(), files.clone(), queue.clone());
            move || FileWorker {
                settings: settings.clone(),
                budget: budget.clone(),
                files: files.clone(),
                sources: sources.clone(),
                queue: queue.clone(),
                fail_fast,
                progress: progress.clone(),
            }
        };
        // A worker whose runtime cannot start reports the file it took as not run.
        let failed = {
            let files = files.clone();
            move |index: usize, error: &PoolError| {
                let path = files.get(index).map_or(Path::new(STDIN_PATH), PathBuf::as_path);
                unreadable(path, error.to_string())
            }
        };
        let mut runs: Vec<(usize, FileRun)> = Vec::with_capacity(files.len());
        let errors = pool::run_on_threads(&queue, workers, make, failed, &mut |index, run| {
            emit(reporter, Event::FileFinished { layer: None, run: &run });
            runs.push((index, run));
        });
        runs.sort_by_key(|(index, _)| *index);
        BatchOutcome { runs: runs.into_iter().map(|(_, run)| run).collect(), errors, parsed }
    }
}

/// Standard input, read once: `--repeat` runs the same text again.
fn stdin_bytes() -> std::io::Result<Vec<u8>> {
    static STDIN: OnceLock<Result<Vec<u8>, String>> = OnceLock::new();
    STDIN
        .get_or_init(|| {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
                .map(|_| bytes)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(std::io::Error::other)
}

/// Reads a file as UTF-8 text (standard input for [`STDIN_PATH`]).
fn read(path: &Path) -> Result<String, Loaded> {
    let bytes = if path.as_os_str() == STDIN_PATH { stdin_bytes() } else { std::fs::read(path) };
    match bytes {
        Err(e) => Err(Loaded::Unreadable(e.to_string())),
        Ok(bytes) => crate::scenario::decode(bytes).map_err(Loaded::NotUtf8),
    }
}

/// Each distinct file read and parsed once, by the first worker that needs it, however
/// often `--repeat` runs it.
struct Sources {
    /// For each item of the run, its distinct file's slot.
    slot_of: Vec<usize>,
    slots: Vec<OnceLock<Loaded>>,
}

/// A file as read and parsed.
enum Loaded {
    /// Parsed without a diagnostic.
    Parsed { file: Arc<HurlFile>, source: Arc<str> },
    /// Read; it does not parse (the runner reports the diagnostics).
    Invalid(String),
    /// Not read: why.
    Unreadable(String),
    /// Read, but not UTF-8: where.
    NotUtf8(Box<InvalidUtf8>),
}

impl Sources {
    fn of(files: &[PathBuf]) -> Self {
        let mut first: HashMap<&Path, usize> = HashMap::new();
        let slot_of: Vec<usize> = files
            .iter()
            .map(|path| {
                let next = first.len();
                *first.entry(path.as_path()).or_insert(next)
            })
            .collect();
        let slots = (0..first.len()).map(|_| OnceLock::new()).collect();
        Sources { slot_of, slots }
    }

    fn get(&self, index: usize, path: &Path) -> Option<&Loaded> {
        let slot = self.slots.get(*self.slot_of.get(index)?)?;
        Some(slot.get_or_init(|| match read(path) {
            Err(loaded) => loaded,
            Ok(source) => {
                let (file, diagnostics) = crate::scenario::parse(&source);
                if diagnostics.is_empty() {
                    Loaded::Parsed { file: Arc::new(file), source: Arc::from(source) }
                } else {
                    Loaded::Invalid(source)
                }
            }
        }))
    }
}

/// One worker of `test`: runs the files it takes, each on a fresh transport client.
struct FileWorker {
    settings: Arc<RunSettings>,
    budget: Arc<Budget>,
    files: Arc<Vec<PathBuf>>,
    sources: Arc<Sources>,
    queue: Arc<Queue>,
    fail_fast: bool,
    /// The reporter, when it follows files' progress.
    progress: Option<SharedReporter>,
}

/// Sends a running file's entries to a reporter that follows them.
struct Progress {
    reporter: SharedReporter,
}

impl FileObserver for Progress {
    fn entry_started(&self, path: &Path, index: usize, line: usize, method: &str, url: &str) {
        let event = Event::EntryStarted { layer: None, path, index, line, method, url };
        emit(&self.reporter, event);
    }

    fn entry_finished(&self, path: &Path, outcome: &EntryOutcome) {
        emit_entry(&self.reporter, None, path, outcome);
    }
}

impl Worker for FileWorker {
    type Output = FileRun;

    async fn run(&mut self, index: usize) -> Option<FileRun> {
        let path = self.files.get(index)?;
        if let Some(reporter) = &self.progress {
            emit(reporter, Event::FileStarted { layer: None, path });
        }
        let (settings, budget) = (&self.settings, &self.budget);
        let run = match (self.sources.get(index, path)?, Client::new(ClientSettings::default())) {
            (Loaded::Unreadable(message), _) => unreadable(path, message.clone()),
            (Loaded::NotUtf8(invalid), _) => not_utf8(path, invalid),
            (_, Err(e)) => unreadable(path, e.to_string()),
            (Loaded::Parsed { file, source }, Ok(mut client)) => {
                let source = source.to_string();
                execute::run_parsed(path, file, source, settings, &mut client, budget).await
            }
            (Loaded::Invalid(source), Ok(mut client)) => {
                execute::run_file(path, source.clone(), settings, &mut client, budget).await
            }
        };
        if self.fail_fast && !run.outcome.outcome.is_pass() {
            self.queue.stop();
        }
        Some(run)
    }
}

/// A file that is not UTF-8: a parse error (exit 2, as in Hurl) at its first invalid byte.
fn not_utf8(path: &Path, invalid: &InvalidUtf8) -> FileRun {
    let mut run = unreadable(path, String::new());
    run.outcome.file_error = Some(FileError::Parse(vec![invalid.diagnostic()]));
    run.outcome.source.clone_from(&invalid.lossy);
    run
}

fn unreadable(path: &Path, message: String) -> FileRun {
    FileRun {
        outcome: FileOutcome {
            path: path.to_path_buf(),
            outcome: Outcome::Error,
            entries: Vec::new(),
            file_error: Some(FileError::Unreadable(message)),
            started: SystemTime::now(),
            duration: std::time::Duration::ZERO,
            source: String::new(),
        },
        cookies: CookieStore::default(),
        last_response: None,
        log: Vec::new(),
        learned_idle_limits: Vec::new(),
        server_crash: None,
        secrets: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Stamped;

    /// Records the names of the events it gets.
    struct Names {
        names: Arc<Mutex<Vec<String>>>,
        follows: bool,
    }

    impl Reporter for Names {
        fn report(&mut self, event: &Stamped<'_>) {
            let debug = format!("{:?}", event.event);
            let name = debug.split([' ', '(', '{']).next().unwrap_or_default().to_owned();
            self.names.lock().unwrap().push(name);
        }

        fn follows_entries(&self) -> bool {
            self.follows
        }
    }

    /// A loopback server that answers `count` requests with `200 OK`, one connection each.
    fn answer(count: usize) -> u16 {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for _ in 0..count {
                let (mut stream, _) = listener.accept().unwrap();
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        port
    }

    fn events(follows: bool) -> Vec<String> {
        let port = answer(1);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.hurl");
        std::fs::write(&path, format!("GET http://127.0.0.1:{port}/\nHTTP 200\n")).unwrap();
        let names = Arc::new(Mutex::new(Vec::new()));
        let reporter: SharedReporter =
            Arc::new(Mutex::new(Box::new(Names { names: names.clone(), follows })));
        let batch = Batch {
            files: vec![path],
            settings: Arc::new(RunSettings::default()),
            jobs: 1,
            fail_fast: false,
        };
        let outcome = batch.run(&Arc::new(Budget::default()), &reporter);
        assert!(outcome.runs[0].outcome.outcome.is_pass(), "{:?}", outcome.runs[0].outcome);
        names.lock().unwrap().clone()
    }

    #[test]
    fn a_reporter_that_follows_entries_gets_them_and_one_that_does_not_gets_files_only() {
        assert_eq!(
            events(true),
            ["FileStarted", "EntryStarted", "EntryFinished", "Attempt", "FileFinished"]
        );
        assert_eq!(events(false), ["FileFinished"]);
    }

    #[test]
    fn a_repeated_file_is_read_and_parsed_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.hurl");
        std::fs::write(&path, "GET http://127.0.0.1:1/\nHTTP 200\n").unwrap();
        let files = vec![path.clone(), path.clone()];
        let sources = Sources::of(&files);
        assert_eq!(sources.slots.len(), 1);
        assert!(matches!(sources.get(0, &path), Some(Loaded::Parsed { .. })));
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(sources.get(1, &path), Some(Loaded::Parsed { .. })), "not read again");
        let missing = [dir.path().join("missing.hurl")];
        let sources = Sources::of(&missing);
        assert!(matches!(sources.get(0, &missing[0]), Some(Loaded::Unreadable(_))));
    }
}
