//! [`run_command`]: a command run to its end (a suite's command layer, a `reset`), in a
//! process group of its own, with a timeout and its output captured to log files.
//!
//! Unlike [`launch`](super::launch()), there is no readiness: the command's exit status
//! is the result, and a normal exit (any code) is an outcome, not an error. `Err` is
//! kept for a command that could not be started at all.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::LaunchError;
use super::handle::{ExitSignal, status_parts};
use super::launch::{Group, LaunchOptions, spawn_group};
use super::spec::StopSpec;

/// How long an exited command's output may take to reach end of file.
const EXIT_SETTLE: Duration = Duration::from_millis(500);

/// A command to run to its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandSpec {
    /// The name of the log files (`NAME.stdout.log`, `NAME.stderr.log`) and in messages.
    pub name: String,
    /// The argv, placeholders already rendered (`argv[0]` resolved as in
    /// [`ServerSpec::command`](super::ServerSpec::command)).
    pub argv: Vec<String>,
    /// The working directory; it must exist.
    pub cwd: PathBuf,
    /// Variables added to the inherited environment.
    pub env: Vec<(String, String)>,
    /// After this long the command's group is stopped (signal, grace, SIGKILL).
    pub timeout: Duration,
    /// How the group is stopped at the timeout.
    pub stop: StopSpec,
}

/// How a command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandOutcome {
    /// Its exit code, when it exited by itself.
    pub status: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<ExitSignal>,
    /// Set when the timeout ran out and the command was stopped.
    pub timed_out: Option<Duration>,
    /// The last lines of stdout (at most 40), redacted.
    pub stdout_tail: Vec<String>,
    /// The last lines of stderr (at most 40), redacted.
    pub stderr_tail: Vec<String>,
    /// The full stdout log.
    pub stdout_log: PathBuf,
    /// The full stderr log.
    pub stderr_log: PathBuf,
}

impl CommandOutcome {
    /// Exited by itself with code 0.
    pub fn success(&self) -> bool {
        self.status == Some(0) && self.timed_out.is_none()
    }
}

/// Runs `spec` to its end: spawned in its own process group (with the installed orphan
/// supervisor), its output written under `logs_dir` with `secrets` redacted. When the
/// direct child exits, whatever it left in its group is killed.
pub async fn run_command(
    spec: &CommandSpec,
    logs_dir: &Path,
    secrets: &[String],
    options: &LaunchOptions,
) -> Result<CommandOutcome, LaunchError> {
    let group = Group {
        name: &spec.name,
        command: &spec.argv,
        cwd: &spec.cwd,
        env: &spec.env,
        stop: spec.stop,
    };
    let (mut handle, _, _) = spawn_group(&group, logs_dir, secrets, options, None).await?;
    let stdout_log = logs_dir.join(format!("{}.stdout.log", spec.name));
    let stderr_log = logs_dir.join(format!("{}.stderr.log", spec.name));
    match tokio::time::timeout(spec.timeout, handle.child.wait()).await {
        Ok(status) => {
            // Grandchildren left behind go with the group.
            handle.kill_group_now();
            handle.settle_logs(EXIT_SETTLE).await;
            let (status, signal) = status.map_or((None, None), status_parts);
            let outcome = CommandOutcome {
                status,
                signal,
                timed_out: None,
                stdout_tail: handle.stdout.tail(),
                stderr_tail: handle.stderr.tail(),
                stdout_log,
                stderr_log,
            };
            drop(handle);
            Ok(outcome)
        }
        Err(_) => {
            let report = handle.stop(false).await;
            Ok(CommandOutcome {
                status: None,
                signal: None,
                timed_out: Some(spec.timeout),
                stdout_tail: report.stdout_tail,
                stderr_tail: report.stderr_tail,
                stdout_log,
                stderr_log,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::SupervisorChoice;

    fn command(script: &str, timeout: Duration) -> CommandSpec {
        CommandSpec {
            name: "cmd".to_owned(),
            argv: vec!["sh".to_owned(), "-c".to_owned(), script.to_owned()],
            cwd: std::env::temp_dir(),
            env: vec![("GREETING".to_owned(), "hello".to_owned())],
            timeout,
            stop: StopSpec { signal: super::super::Signal::Term, grace: Duration::from_secs(1) },
        }
    }

    fn options() -> LaunchOptions {
        LaunchOptions { supervisor: SupervisorChoice::Off, ..LaunchOptions::default() }
    }

    #[tokio::test]
    async fn a_normal_exit_is_an_outcome_with_its_code_and_output() {
        let dir = tempfile::tempdir().unwrap();
        let spec = command("echo $GREETING s3cret; echo oops >&2; exit 3", Duration::from_secs(60));
        let outcome =
            run_command(&spec, dir.path(), &["s3cret".to_owned()], &options()).await.unwrap();
        assert_eq!(outcome.status, Some(3));
        assert!(!outcome.success());
        assert_eq!(outcome.timed_out, None);
        assert!(outcome.stdout_tail.iter().any(|l| l.contains("hello ***")), "{outcome:?}");
        assert!(outcome.stderr_tail.iter().any(|l| l.contains("oops")));
        let log = std::fs::read_to_string(&outcome.stdout_log).unwrap();
        assert!(log.contains("hello ***") && !log.contains("s3cret"));
        let ok =
            run_command(&command("true", Duration::from_secs(60)), dir.path(), &[], &options())
                .await
                .unwrap();
        assert!(ok.success());
    }

    #[tokio::test]
    async fn a_command_past_its_timeout_is_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let spec = command("echo started; exec sleep 600", Duration::from_millis(200));
        let outcome = run_command(&spec, dir.path(), &[], &options()).await.unwrap();
        assert_eq!(outcome.timed_out, Some(Duration::from_millis(200)));
        assert_eq!(outcome.status, None);
        assert!(!outcome.success());
    }

    #[tokio::test]
    async fn a_missing_program_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut spec = command("", Duration::from_secs(1));
        spec.argv = vec!["no-such-program-shakedown".to_owned()];
        let error = run_command(&spec, dir.path(), &[], &options()).await.unwrap_err();
        assert!(matches!(error, LaunchError::CommandNotFound { .. }), "{error}");
    }
}
