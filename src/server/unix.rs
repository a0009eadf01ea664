//! The Unix syscalls behind the lifecycle: signals to a process group, and what
//! `/proc` says about the processes in it.
//!
//! Everything goes through rustix's safe API (`unsafe_code` is forbidden here).
//! The `/proc` readers return `None` where there is no `/proc` (macOS, BSD); callers
//! then fall back to what `kill(-pgid, 0)` alone can tell.
//!
//! # Signalling a group that may no longer be ours
//!
//! A process group id is the pid of its first member. Linux does not hand that
//! number to a new process while any member of the group is alive (the kernel keeps
//! the id referenced), so `kill(-pgid, …)` can only hit a stranger once the group
//! is empty *and* a new process with that pid has made itself a group leader. Before
//! signalling, [`signal_group_verified`] compares the start time of the process
//! whose pid equals the pgid (`/proc/PID/stat` field 22) with the one recorded at
//! spawn: a different start time means the number was reused, so the old group is
//! gone and nothing is sent.

use std::fs;
use std::io;

use rustix::io::Errno;
use rustix::process::{Pid, Signal};

/// What happened when a group was signalled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sent {
    /// The signal was delivered to at least one member.
    Delivered,
    /// No process is in the group (ESRCH).
    NoGroup,
    /// The pgid now belongs to another process (start time differs); nothing sent.
    Reused,
}

/// A pid as rustix wants it; `None` for 0 (which would mean "my own group").
pub(crate) fn pid(raw: u32) -> Option<Pid> {
    i32::try_from(raw).ok().and_then(Pid::from_raw)
}

/// `kill(-pgid, sig)`, unless the pgid was reused since `leader_start` was recorded.
pub(crate) fn signal_group_verified(
    pgid: Pid,
    leader_start: Option<u64>,
    sig: Signal,
) -> io::Result<Sent> {
    if let (Some(expected), Some(stat)) = (leader_start, proc_stat(pgid.as_raw_pid()))
        && stat.start_time != expected
    {
        return Ok(Sent::Reused);
    }
    match rustix::process::kill_process_group(pgid, sig) {
        Ok(()) => Ok(Sent::Delivered),
        Err(Errno::SRCH) => Ok(Sent::NoGroup),
        Err(e) => Err(e.into()),
    }
}

/// Whether any live process is left in the group.
///
/// `kill(-pgid, 0)` succeeds while a zombie member waits to be reaped by its parent
/// (init, once shakedown's child is gone), so where `/proc` exists a success is
/// double-checked by looking for a member that is not a zombie.
pub(crate) fn group_alive(pgid: Pid) -> bool {
    // Fast path while the leader lives: no need to scan every process.
    if proc_stat(pgid.as_raw_pid()).is_some_and(|s| s.pgrp == pgid.as_raw_pid() && s.is_live()) {
        return true;
    }
    match rustix::process::test_kill_process_group(pgid) {
        Err(Errno::SRCH) => false,
        Err(_) => true,
        Ok(()) => group_members(pgid).is_none_or(|members| !members.is_empty()),
    }
}

/// One process of a group, as seen in `/proc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Member {
    /// Its pid.
    pub(crate) pid: i32,
    /// Field 22 of `/proc/PID/stat`, to tell it from a later process with the same pid.
    pub(crate) start_time: u64,
}

/// The live (non-zombie) members of a group, or `None` without a readable `/proc`.
pub(crate) fn group_members(pgid: Pid) -> Option<Vec<Member>> {
    let entries = fs::read_dir("/proc").ok()?;
    let mut members = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        if let Some(stat) = proc_stat(pid)
            && stat.pgrp == pgid.as_raw_pid()
            && stat.is_live()
        {
            members.push(Member { pid, start_time: stat.start_time });
        }
    }
    members.sort_by_key(|m| m.pid);
    Some(members)
}

/// The fields of `/proc/PID/stat` the lifecycle needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProcStat {
    /// Field 3: `R`, `S`, `D`, `Z`, …
    pub(crate) state: char,
    /// Field 5.
    pub(crate) pgrp: i32,
    /// Field 22, in clock ticks since boot.
    pub(crate) start_time: u64,
    /// Field 52 (Linux 3.5+): the wait status, meaningful once the process is a zombie.
    pub(crate) exit_code: Option<i32>,
}

impl ProcStat {
    /// Neither a zombie nor dead.
    pub(crate) fn is_live(&self) -> bool {
        !matches!(self.state, 'Z' | 'X' | 'x')
    }
}

/// Reads and parses `/proc/PID/stat`; `None` if the process is gone or there is no `/proc`.
pub(crate) fn proc_stat(pid: i32) -> Option<ProcStat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// The command name (field 2) may hold spaces and parentheses, so fields are
/// counted from the last `)`: the first field after it is field 3.
fn parse_stat(text: &str) -> Option<ProcStat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).copied();
    Some(ProcStat {
        state: field(3)?.chars().next()?,
        pgrp: field(5)?.parse().ok()?,
        start_time: field(22)?.parse().ok()?,
        exit_code: field(52).and_then(|f| f.parse().ok()),
    })
}

/// The start time of a process, recorded at spawn to guard later signals.
pub(crate) fn start_time(pid: Pid) -> Option<u64> {
    proc_stat(pid.as_raw_pid()).map(|s| s.start_time)
}

/// The conventional name of a signal number, e.g. `SIGSEGV`.
pub(crate) fn signal_name(number: i32) -> Option<&'static str> {
    const NAMES: [(Signal, &str); 15] = [
        (Signal::HUP, "SIGHUP"),
        (Signal::INT, "SIGINT"),
        (Signal::QUIT, "SIGQUIT"),
        (Signal::ILL, "SIGILL"),
        (Signal::TRAP, "SIGTRAP"),
        (Signal::ABORT, "SIGABRT"),
        (Signal::BUS, "SIGBUS"),
        (Signal::FPE, "SIGFPE"),
        (Signal::KILL, "SIGKILL"),
        (Signal::USR1, "SIGUSR1"),
        (Signal::SEGV, "SIGSEGV"),
        (Signal::USR2, "SIGUSR2"),
        (Signal::PIPE, "SIGPIPE"),
        (Signal::ALARM, "SIGALRM"),
        (Signal::TERM, "SIGTERM"),
    ];
    NAMES.iter().find(|(s, _)| s.as_raw() == number).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_a_hostile_command_name() {
        let mut fields: Vec<String> = (3..=52).map(|n| n.to_string()).collect();
        fields[0] = "Z".to_owned();
        fields[2] = "4242".to_owned();
        fields[19] = "987654".to_owned();
        fields[49] = "139".to_owned();
        let text = format!("77 (we ird) (name) {}\n", fields.join(" "));
        let stat = parse_stat(&text).unwrap();
        assert_eq!(
            stat,
            ProcStat { state: 'Z', pgrp: 4242, start_time: 987_654, exit_code: Some(139) }
        );
        assert!(!stat.is_live());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reads_our_own_stat() {
        let me = rustix::process::getpid();
        let stat = proc_stat(me.as_raw_pid()).unwrap();
        assert!(stat.is_live());
        assert_eq!(start_time(me), Some(stat.start_time));
    }

    #[test]
    fn names_signals() {
        assert_eq!(signal_name(9), Some("SIGKILL"));
        assert_eq!(signal_name(11), Some("SIGSEGV"));
        assert_eq!(signal_name(0), None);
    }
}
