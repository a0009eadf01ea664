//! Test support: run the real binary, launch the fixture service, temporary directories.

#![expect(dead_code, reason = "each test module uses a different part of the support code")]

use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The `shakedown` binary under test.
pub fn shakedown_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_shakedown"))
}

/// The fixture service, built by `cargo build -p fixture-service` into the same target directory.
pub fn fixture_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    // target/debug/deps/integration-HASH -> target/debug/fixture-service
    let debug = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps");
    let bin = debug.join("fixture-service");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p fixture-service` first (scripts/test does)",
        bin.display()
    );
    bin
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A running fixture service, stopped (killed and reaped) on drop.
pub struct Fixture {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The port.
    pub port: u16,
}

impl Fixture {
    /// Starts the fixture service with extra arguments and waits for its READY line.
    pub fn start(args: &[&str]) -> Fixture {
        let mut all = vec!["--port", "0"];
        all.extend_from_slice(args);
        Fixture::start_in_background(&all).wait_ready()
    }

    /// Starts the fixture service without waiting for it (give `--port` yourself).
    pub fn start_in_background(args: &[&str]) -> StartingFixture {
        #[expect(
            clippy::disallowed_methods,
            reason = "the test support launches the fixture service it stops on drop"
        )]
        let mut command = Command::new(fixture_bin());
        command.args(["--max-seconds", "300"]).args(args);
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        StartingFixture { child: Some(command.spawn().expect("the fixture service starts")) }
    }

    /// GET a JSON document from the service with a raw HTTP/1.0 request (the test's own view).
    pub fn get_json(&self, path: &str) -> serde_json::Value {
        use std::io::{Read, Write};
        #[expect(
            clippy::disallowed_methods,
            reason = "the test checks the fixture's state outside shakedown's transport"
        )]
        let mut stream =
            std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect to the fixture");
        write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").expect("write");
        let mut text = String::new();
        stream.read_to_string(&mut text).expect("read");
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{path} is not JSON ({e}): {text}"))
    }

    /// The PID of the service.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fixture service that was started but may not be listening yet; killed on drop.
pub struct StartingFixture {
    child: Option<Child>,
}

impl StartingFixture {
    /// Waits for the READY line.
    pub fn wait_ready(mut self) -> Fixture {
        let mut child = self.child.take().expect("a child until wait_ready");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        reader.read_line(&mut line).expect("the fixture service prints a line");
        let base_url = line
            .trim()
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        let port = base_url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port in the READY line");
        // Keep draining stdout so the service never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).is_ok_and(|n| n > 0) {
                sink.clear();
            }
        });
        Fixture { child, base_url, port }
    }
}

impl Drop for StartingFixture {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A JSON file the binary wrote, read back (a test fails naming the file if it is not there).
pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// A fresh temporary directory per test.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// A builder for one run of the real binary, with a hermetic environment.
pub struct ShakedownCmd {
    command: Command,
    description: String,
}

impl ShakedownCmd {
    /// `shakedown ARGS...`.
    pub fn new<I, S>(args: I) -> ShakedownCmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        #[expect(
            clippy::disallowed_methods,
            reason = "the test support runs the binary under test"
        )]
        let mut command = Command::new(shakedown_bin());
        let args: Vec<std::ffi::OsString> =
            args.into_iter().map(|a| a.as_ref().to_os_string()).collect();
        let description = format!(
            "shakedown {}",
            args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ")
        );
        command.args(&args);
        for (key, _) in std::env::vars_os() {
            let key_text = key.to_string_lossy();
            if key_text.starts_with("SHAKEDOWN_")
                || key_text.starts_with("HURL_")
                || [
                    "NO_COLOR",
                    "HTTP_PROXY",
                    "HTTPS_PROXY",
                    "ALL_PROXY",
                    "NO_PROXY",
                    "http_proxy",
                    "https_proxy",
                ]
                .contains(&key_text.as_ref())
            {
                command.env_remove(&key);
            }
        }
        command.stdin(Stdio::null());
        ShakedownCmd { command, description }
    }

    /// Sets the working directory.
    pub fn current_dir(mut self, dir: &Path) -> ShakedownCmd {
        self.command.current_dir(dir);
        self
    }

    /// Feeds this file to standard input (instead of nothing).
    pub fn stdin_file(mut self, path: &Path) -> ShakedownCmd {
        let file = std::fs::File::open(path).expect("open the stdin file");
        self.command.stdin(Stdio::from(file));
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: &str, value: &str) -> ShakedownCmd {
        self.command.env(key, value);
        self
    }

    /// Runs to completion (bounded: the test harness's slow-timeout stops a hung run).
    pub fn output(mut self) -> RunOutput {
        let started = Instant::now();
        let output = self.command.output().expect("shakedown runs");
        RunOutput { output, description: self.description, elapsed: started.elapsed() }
    }
}

/// What a run printed, with a `Debug` that shows everything (nextest's habit).
pub struct RunOutput {
    /// The process output.
    pub output: Output,
    description: String,
    /// Wall time.
    pub elapsed: Duration,
}

impl RunOutput {
    /// The exit code.
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }
    /// Stdout as text.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    /// Stderr as text.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
}

impl fmt::Debug for RunOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "command: {}", self.description)?;
        writeln!(f, "exit code: {}", self.code())?;
        writeln!(f, "--- stdout ---\n{}", self.stdout())?;
        writeln!(f, "--- stderr ---\n{}", self.stderr())
    }
}

/// Writes `contents` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create parent directory");
    }
    std::fs::write(&path, contents).expect("write test file");
    path
}

/// The live (non-zombie) processes whose argv or environment contains `marker`.
pub fn processes_marked(marker: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let me = std::process::id();
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.trim().chars().next());
            let contains = |file: &str| {
                std::fs::read(format!("/proc/{pid}/{file}"))
                    .unwrap_or_default()
                    .windows(marker.len())
                    .any(|w| w == marker.as_bytes())
            };
            state.is_some_and(|s| s != 'Z') && (contains("cmdline") || contains("environ"))
        })
        .collect()
}
