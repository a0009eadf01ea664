//! `shakedown proxy`: validates the flags, starts `fault_proxy` (and its control API) on a
//! runtime, prints the addresses tests synchronise on, and stops on `--duration`, SIGINT or
//! SIGTERM.
//!
//! Output (stdout, one line each, in this order, flushed): `seed N`, `control
//! http://IP:PORT` (with `--control`), then `listening IP:PORT upstream IP:PORT` once the
//! proxy accepts. At exit, a summary line on stderr.

use std::net::SocketAddr;
use std::time::Duration;

use crate::cli::args::ProxyArgs;
use crate::cli::output::{Printer, UsageError, write_atomically};
use crate::cli::test_cmd::duration_flag;
use crate::exit_code;
use crate::fault_proxy::{self, ControlServer, Fault, FaultPlan, Proxy, ProxyConfig};
use crate::scenario::ast::DurationUnit;
use crate::suite::FaultsDef;

/// The flags, checked.
struct Settings {
    config: ProxyConfig,
    control: Option<SocketAddr>,
    duration: Option<Duration>,
}

fn address(text: &str, flag: &'static str) -> Result<SocketAddr, UsageError> {
    let addr: SocketAddr = text.trim().parse().map_err(|_| {
        UsageError(format!(
            "invalid {flag} <{text}>: expected a loopback IP:PORT such as 127.0.0.1:8080"
        ))
    })?;
    fault_proxy::check_loopback(flag.trim_start_matches('-'), addr)
        .map_err(|e| UsageError(format!("invalid {flag} <{text}>: {e}")))?;
    Ok(addr)
}

fn prepare(args: &ProxyArgs, from_file: Option<FaultsDef>) -> Result<Settings, UsageError> {
    let listen = address(&args.listen, "--listen")?;
    let upstream = address(&args.upstream, "--upstream")?;
    let control = args.control.as_deref().map(|c| address(c, "--control")).transpose()?;
    let file_seed = from_file.as_ref().and_then(FaultsDef::seed);
    let mut faults: Vec<Fault> =
        from_file.map(|def| def.plan().faults().to_vec()).unwrap_or_default();
    for spec in &args.faults {
        faults.push(
            Fault::parse_spec(spec)
                .map_err(|e| UsageError(format!("invalid --fault <{spec}>: {e}")))?,
        );
    }
    let plan = FaultPlan::new(faults).map_err(|e| UsageError(format!("invalid --fault: {e}")))?;
    let duration = args
        .duration
        .as_deref()
        .map(|d| duration_flag(d, DurationUnit::Second, "--duration"))
        .transpose()?;
    let seed = args.seed.or(file_seed).unwrap_or_else(super::fault_plan::random_seed);
    Ok(Settings { config: ProxyConfig { listen, upstream, seed, plan }, control, duration })
}

/// Runs `shakedown proxy`; returns the exit code.
pub fn run(args: &ProxyArgs, printer: &mut Printer) -> u8 {
    let from_file = match &args.plan {
        Some(path) => match super::fault_plan::read(path, printer) {
            Ok(def) => Some(def),
            Err(code) => return code,
        },
        None => None,
    };
    let settings = match prepare(args, from_file) {
        Ok(settings) => settings,
        Err(error) => {
            printer.error(&format!("error: {error}"));
            return exit_code::USAGE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            printer.error(&format!("error: cannot start the runtime: {e}"));
            return exit_code::RUNTIME;
        }
    };
    runtime.block_on(serve(settings, args, printer))
}

async fn serve(settings: Settings, args: &ProxyArgs, printer: &mut Printer) -> u8 {
    let seed = settings.config.seed;
    for fault in settings.config.plan.faults() {
        printer.err(&format!("fault {fault}"));
    }
    let proxy = match Proxy::bind(settings.config).await {
        Ok(proxy) => proxy,
        Err(e) => {
            printer.error(&format!("error: {e}"));
            return exit_code::RUNTIME;
        }
    };
    let control = proxy.control();
    let mut control_task = None;
    printer.out(&format!("seed {seed}"));
    if let Some(addr) = settings.control {
        match ControlServer::bind(addr, control.clone()).await {
            Ok(server) => {
                printer.out(&format!("control http://{}", server.local_addr()));
                control_task = Some(tokio::spawn(server.serve()));
            }
            Err(e) => {
                printer.error(&format!("error: {e}"));
                return exit_code::RUNTIME;
            }
        }
    }
    printer.out(&format!("listening {} upstream {}", proxy.local_addr(), control.upstream()));
    let (stop, interrupted) = stop_signal(settings.duration);
    let summary = proxy.run(stop).await;
    if let Some(task) = control_task {
        task.abort();
    }
    printer.err(&format!(
        "shakedown proxy: {} connections, {} faults injected (seed {seed})",
        summary.connections, summary.injected
    ));
    if let Some(path) = &args.log {
        let text = fault_proxy::control::log_json(&control).to_string();
        if let Err(e) = write_atomically(path, text.as_bytes()) {
            printer.error(&format!("error: cannot write {}: {e}", path.display()));
            return exit_code::RUNTIME;
        }
    }
    if interrupted.load(std::sync::atomic::Ordering::Relaxed) {
        exit_code::INTERRUPTED
    } else {
        exit_code::SUCCESS
    }
}

/// A future that completes at the end of `duration` or on SIGINT/SIGTERM, and whether a
/// signal ended it (SIGTERM and SIGINT are the normal way to stop an unbounded proxy: both
/// exit 0; only SIGINT during a bounded run reports "interrupted").
fn stop_signal(
    duration: Option<Duration>,
) -> (impl Future<Output = ()>, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&interrupted);
    // Signals recorded since the process's first instant count (see `crate::signals`).
    let mut listener = crate::signals::Listener::new().ok();
    let future = async move {
        let timer = async {
            match duration {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        let on_signal = async {
            match &mut listener {
                Some(listener) => listener.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = timer => {}
            signal = on_signal => {
                if signal == crate::signals::Signal::Interrupt && duration.is_some() {
                    flag.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
    };
    (future, interrupted)
}
