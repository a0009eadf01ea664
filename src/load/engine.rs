//! The load engine: runs whole `.hurl` files as iterations under a closed or an open model.
//!
//! One current-thread tokio runtime runs everything (the service under test often shares the
//! machine: the engine leaves it the other cores). Each VU owns a transport `Client`, so its
//! connections are reused across iterations. An iteration is one file run through
//! `runner::execute::run_parsed_into` with the run's retry policy and budget; each poll goes
//! into the [`Aggregate`] as it ends (the iteration's `Recorder` is the attempt sink), so no
//! outcome tree is built. The open model schedules starts at
//! `start + k / rate` and measures from that intended start; a start that finds no free VU
//! (the pool is `max_vus`) is dropped and counted. Starting stops at the plan's duration, at
//! `max_requests`, or on SIGINT/SIGTERM; iterations in flight then get `graceful_stop` to end
//! before they are cut off and counted as interrupted (the polls they finished before the
//! cut-off are in the aggregate already: those requests were made).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::load::metrics::{Aggregate, RequestNames as _};
use crate::load::plan::{Arrivals, Model, Plan};
use crate::load::shard::Shard;
use crate::retry::Budget;
use crate::runner::execute::{self, AttemptSink, RunSettings};
use crate::runner::outcome::Poll;
use crate::scenario::LineIndex;
use crate::scenario::ast::{HurlFile, TemplateElement};
use crate::transport::client::{Client, ClientSettings};

/// How often the closed model's controller looks at the clock and the stages.
const CONTROL_STEP: Duration = Duration::from_millis(20);

/// One parsed file, with the names of its requests.
#[derive(Debug)]
pub struct Script {
    /// The file.
    pub path: PathBuf,
    /// Its AST (parsed once, without diagnostics).
    pub file: HurlFile,
    /// Its text.
    pub source: String,
    /// `file:line METHOD url-template`, per entry.
    pub names: Vec<String>,
}

impl Script {
    /// Names the entries of a parsed file.
    pub fn new(path: PathBuf, file: HurlFile, source: String) -> Script {
        let lines = LineIndex::new(&source);
        let names = file
            .entries
            .iter()
            .map(|entry| {
                let request = &entry.request;
                let (line, _) = lines.line_col(&source, request.line_span.start);
                let url = source
                    .get(request.url.span.start..request.url.span.end)
                    .map(str::to_owned)
                    .unwrap_or_else(|| template_text(&request.url.elements));
                format!("{}:{line} {} {url}", path.display(), request.method.value)
            })
            .collect();
        Script { path, file, source, names }
    }
}

fn template_text(elements: &[TemplateElement]) -> String {
    format!("<{} parts>", elements.len())
}

/// What a live view is shown, every tick.
#[derive(Clone, Debug, Default)]
pub struct Live {
    /// Since the start.
    pub elapsed: Duration,
    /// Requests so far.
    pub requests: u64,
    /// Requests per second since the last tick.
    pub rate: f64,
    /// Percentiles so far, in microseconds.
    pub p50_us: u64,
    /// 95th.
    pub p95_us: u64,
    /// 99th.
    pub p99_us: u64,
    /// Transport errors so far, by class.
    pub errors: BTreeMap<String, u64>,
    /// Asserts failed so far.
    pub assert_failures: u64,
    /// Iterations in flight.
    pub active_vus: u64,
    /// Dropped starts so far.
    pub dropped: u64,
}

/// Told about the run while it goes (a live terminal view, plain lines in CI).
pub trait LoadObserver {
    /// Called every tick.
    fn tick(&mut self, live: &Live);
}

/// How the run ended.
#[derive(Debug)]
pub struct RunOutcome {
    /// The aggregate.
    pub aggregate: Aggregate,
    /// Wall-clock start.
    pub started: SystemTime,
    /// From the first start to the last iteration's end (or the cut-off).
    pub elapsed: Duration,
    /// Stopped by a signal.
    pub interrupted: bool,
    /// The most VUs that existed at once.
    pub vus_max: u64,
}

/// The engine could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No runtime.
    #[error("cannot start the load runtime: {0}")]
    Runtime(String),
    /// No transport client.
    #[error("cannot create a transport client: {0}")]
    Client(String),
    /// Nothing to run.
    #[error("no scenario file to run")]
    NoScripts,
}

struct Shared {
    scripts: Arc<Vec<Script>>,
    settings: RunSettings,
    budget: Budget,
    aggregate: RefCell<Aggregate>,
    requests: Cell<u64>,
    max_requests: u64,
    stop: Cell<bool>,
    interrupted: Cell<bool>,
    active: Cell<u64>,
    target: Cell<u64>,
    next_script: Cell<usize>,
    /// Set from outside (a suite run's signal or deadline): stop starting, as a signal does.
    external: Arc<AtomicBool>,
}

impl Shared {
    fn should_stop(&self) -> bool {
        self.stop.get()
            || self.requests.get() >= self.max_requests
            || self.external.load(Ordering::Relaxed)
    }

    /// One iteration; `intended` is the open model's scheduled start (`None`: the closed
    /// model's, which is now: one clock reading for the start, and no lag).
    async fn iterate(&self, client: &mut Client, intended: Option<Instant>) {
        let i = self.next_script.get();
        self.next_script.set(i.wrapping_add(1));
        let Some(script) = self.scripts.get(i % self.scripts.len().max(1)) else { return };
        self.active.set(self.active.get() + 1);
        let now = Instant::now();
        let (intended, lag) = match intended {
            Some(intended) => (intended, now.saturating_duration_since(intended)),
            None => (now, Duration::ZERO),
        };
        let mut recorder =
            Recorder { aggregate: &self.aggregate, script, lag: Some(lag), requests: 0 };
        let outcome = execute::run_parsed_into(
            &script.path,
            &script.file,
            &script.source,
            &self.settings,
            client,
            &self.budget,
            &mut recorder,
        )
        .await;
        let requests = recorder.requests;
        let total = intended.elapsed();
        self.active.set(self.active.get().saturating_sub(1));
        self.requests.set(self.requests.get() + requests);
        self.aggregate.borrow_mut().record_iteration_end(outcome, total);
    }
}

/// The attempt sink of one iteration: each poll goes straight into the thread's aggregate as it
/// ends, so an iteration builds no outcome tree to fold and drop.
struct Recorder<'a> {
    aggregate: &'a RefCell<Aggregate>,
    script: &'a Script,
    /// How late the iteration started; added to its first attempt, then taken.
    lag: Option<Duration>,
    /// Attempts so far.
    requests: u64,
}

impl AttemptSink for Recorder<'_> {
    fn poll(&mut self, index: usize, poll: &Poll) {
        self.requests += poll.attempts.len() as u64;
        let fallback;
        let name = match self.script.names.name(index) {
            Some(name) => name,
            None => {
                fallback = format!("{}:entry {index}", self.script.path.display());
                &fallback
            }
        };
        self.aggregate.borrow_mut().record_poll(name, poll, &mut self.lag);
    }
}

/// Runs the plan on `threads` threads and returns the aggregate. Blocks the calling thread.
///
/// Each thread runs its own fraction of the plan (exactly as a shard would: VUs split so they
/// sum, the rate divided, open-model starts interleaved) on its own current-thread runtime, and
/// the aggregates are added at the end, losslessly. The calling thread is thread 1; the live
/// view sums the other threads' counters (its percentiles are thread 1's).
pub fn run(
    plan: &Plan,
    scripts: Vec<Script>,
    settings: RunSettings,
    client_settings: &ClientSettings,
    observer: &mut dyn LoadObserver,
    tick: Duration,
    threads: u64,
) -> Result<RunOutcome, EngineError> {
    let stop = Arc::new(AtomicBool::new(false));
    run_until(plan, scripts, settings, client_settings, observer, tick, threads, stop)
}

/// [`run`], which also stops starting iterations, as on a signal, once `stop` is set (a suite
/// run's own signal handling or deadline); the outcome is then `interrupted`.
#[expect(clippy::too_many_arguments, reason = "run's arguments and the stop flag")]
pub fn run_until(
    plan: &Plan,
    scripts: Vec<Script>,
    settings: RunSettings,
    client_settings: &ClientSettings,
    observer: &mut dyn LoadObserver,
    tick: Duration,
    threads: u64,
    stop: Arc<AtomicBool>,
) -> Result<RunOutcome, EngineError> {
    if scripts.is_empty() {
        return Err(EngineError::NoScripts);
    }
    // Fail early, before any start, if a client cannot be made.
    Client::new(client_settings.clone()).map_err(|e| EngineError::Client(e.to_string()))?;
    // A thread with no VU would only wait: never more threads than the most VUs asked for.
    let threads = match &plan.model {
        Model::Closed { start_vus, stages } => {
            threads.min(stages.iter().map(|s| s.target).fold(*start_vus, u64::max))
        }
        Model::Open { max_vus, .. } => threads.min(*max_vus),
    }
    .max(1);
    let scripts = Arc::new(scripts);
    let slots: Arc<Mutex<Vec<Live>>> =
        Arc::new(Mutex::new(vec![Live::default(); usize::try_from(threads).unwrap_or(1)]));
    // The open model's schedule is the whole plan's: thread i takes its starts i, i + N, ...
    let arrivals = plan.arrivals().unwrap_or_else(|| Arrivals::new(0.0, &[]));
    let mut handles = Vec::new();
    for index in 2..=threads {
        let part = plan.for_shard(Shard { index, total: threads });
        let (scripts, settings, client_settings, slots) =
            (scripts.clone(), settings.clone(), client_settings.clone(), slots.clone());
        let lane = Lane { arrivals: arrivals.clone(), phase: index - 1, stride: threads };
        let slot = usize::try_from(index - 1).unwrap_or(0);
        let stop = stop.clone();
        handles.push(std::thread::spawn(move || {
            let mut observer = SlotObserver { slots, slot };
            run_thread(&part, scripts, settings, &client_settings, &mut observer, tick, &lane, stop)
        }));
    }
    let first =
        if threads > 1 { plan.for_shard(Shard { index: 1, total: threads }) } else { plan.clone() };
    let mut combined = Combining { inner: observer, slots: slots.clone() };
    let lane = Lane { arrivals, phase: 0, stride: threads };
    let mut outcome =
        run_thread(&first, scripts, settings, client_settings, &mut combined, tick, &lane, stop)?;
    for handle in handles {
        match handle.join() {
            Ok(Ok(part)) => {
                outcome.aggregate.add(&part.aggregate);
                outcome.elapsed = outcome.elapsed.max(part.elapsed);
                outcome.interrupted |= part.interrupted;
                outcome.vus_max += part.vus_max;
            }
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(EngineError::Runtime("a load thread panicked".to_owned())),
        }
    }
    Ok(outcome)
}

/// Keeps a worker thread's latest live numbers for the calling thread's view.
struct SlotObserver {
    slots: Arc<Mutex<Vec<Live>>>,
    slot: usize,
}

impl LoadObserver for SlotObserver {
    fn tick(&mut self, live: &Live) {
        if let Ok(mut slots) = self.slots.lock()
            && let Some(slot) = slots.get_mut(self.slot)
        {
            *slot = live.clone();
        }
    }
}

/// Thread 1's view, with the other threads' counters added.
struct Combining<'a> {
    inner: &'a mut dyn LoadObserver,
    slots: Arc<Mutex<Vec<Live>>>,
}

impl LoadObserver for Combining<'_> {
    fn tick(&mut self, live: &Live) {
        let mut all = live.clone();
        if let Ok(slots) = self.slots.lock() {
            for other in slots.iter().skip(1) {
                all.requests += other.requests;
                all.rate += other.rate;
                all.assert_failures += other.assert_failures;
                all.active_vus += other.active_vus;
                all.dropped += other.dropped;
                for (class, n) in &other.errors {
                    *all.errors.entry(class.clone()).or_default() += n;
                }
            }
        }
        self.inner.tick(&all);
    }
}

#[expect(clippy::too_many_arguments, reason = "one thread's share of run_until's arguments")]
fn run_thread(
    plan: &Plan,
    scripts: Arc<Vec<Script>>,
    settings: RunSettings,
    client_settings: &ClientSettings,
    observer: &mut dyn LoadObserver,
    tick: Duration,
    lane: &Lane,
    external: Arc<AtomicBool>,
) -> Result<RunOutcome, EngineError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| EngineError::Runtime(e.to_string()))?;
    let shared = Rc::new(Shared {
        scripts,
        settings,
        budget: Budget::default(),
        aggregate: RefCell::new(Aggregate::default()),
        requests: Cell::new(0),
        max_requests: plan.max_requests,
        stop: Cell::new(false),
        interrupted: Cell::new(false),
        active: Cell::new(0),
        target: Cell::new(0),
        next_script: Cell::new(0),
        external,
    });
    let local = tokio::task::LocalSet::new();
    let started = SystemTime::now();
    let clock = Instant::now();
    let vus_max =
        local.block_on(&runtime, drive(plan, &shared, client_settings, observer, tick, lane));
    let elapsed = clock.elapsed();
    drop(local);
    let interrupted = shared.interrupted.get();
    let aggregate = match Rc::try_unwrap(shared) {
        Ok(shared) => shared.aggregate.into_inner(),
        Err(shared) => shared.aggregate.borrow().clone(),
    };
    Ok(RunOutcome { aggregate, started, elapsed, interrupted, vus_max })
}

async fn drive(
    plan: &Plan,
    shared: &Rc<Shared>,
    client_settings: &ClientSettings,
    observer: &mut dyn LoadObserver,
    tick: Duration,
    lane: &Lane,
) -> u64 {
    let signals = {
        let shared = shared.clone();
        tokio::task::spawn_local(async move {
            wait_for_signal().await;
            shared.interrupted.set(true);
            shared.stop.set(true);
        })
    };
    let start = tokio::time::Instant::now();
    let deadline = start + plan.length();
    let mut view =
        View { observer, tick, start, next: start + tick, last_requests: 0, last_at: start };
    let mut handles = Vec::new();
    let mut vus_max = 0;
    match &plan.model {
        Model::Closed { .. } => {
            let mut slots: Vec<Option<tokio::task::JoinHandle<()>>> = Vec::new();
            loop {
                let now = tokio::time::Instant::now();
                if now >= deadline || shared.should_stop() {
                    break;
                }
                let target = plan.target_vus(now - start);
                shared.target.set(target);
                let target = usize::try_from(target).unwrap_or(usize::MAX);
                while slots.len() < target {
                    slots.push(None);
                }
                for (id, slot) in slots.iter_mut().enumerate().take(target) {
                    if slot.as_ref().is_none_or(tokio::task::JoinHandle::is_finished) {
                        *slot = Some(tokio::task::spawn_local(closed_vu(
                            shared.clone(),
                            id as u64,
                            client_settings.clone(),
                        )));
                    }
                }
                vus_max = vus_max.max(target as u64);
                view.maybe_tick(shared, now);
                tokio::time::sleep(CONTROL_STEP.min(deadline - now)).await;
            }
            handles.extend(slots.into_iter().flatten());
        }
        Model::Open { max_vus, .. } => {
            let mut pool = VuPool::new(*max_vus);
            let stopped = || shared.should_stop();
            let mut tick = |now| view.maybe_tick(shared, now);
            let mut start_one = |intended: tokio::time::Instant| {
                // No VU free and no more allowed (or none could be made): dropped, counted.
                let Some(mut client) = pool.take(|| Client::new(client_settings.clone()).ok())
                else {
                    shared.aggregate.borrow_mut().counters.dropped_iterations += 1;
                    return;
                };
                let (shared, free) = (shared.clone(), pool.free.clone());
                let intended = intended.into_std();
                handles.retain(|h: &tokio::task::JoinHandle<()>| !h.is_finished());
                handles.push(tokio::task::spawn_local(async move {
                    shared.iterate(&mut client, Some(intended)).await;
                    free.borrow_mut().push(client);
                }));
            };
            arrive(lane, start, deadline, &stopped, &mut tick, &mut start_one).await;
            vus_max = pool.created;
        }
    }
    // No new starts; iterations in flight get the graceful stop, then are cut off.
    if shared.external.load(Ordering::Relaxed) {
        shared.interrupted.set(true);
    }
    shared.stop.set(true);
    let unfinished =
        wind_down(&mut handles, plan.graceful_stop, &mut |now| view.maybe_tick(shared, now)).await;
    // The open model's task is one start each: every one not finished was cut off, even one
    // spawned just before the end and never polled. A closed VU's task loops: only its
    // iteration in flight counts.
    let cut = match &plan.model {
        Model::Open { .. } => unfinished,
        Model::Closed { .. } => shared.active.get(),
    };
    shared.aggregate.borrow_mut().counters.interrupted_iterations += cut;
    signals.abort();
    vus_max
}

/// The starts of one client thread: every `stride`-th start of the whole plan's schedule, from
/// `phase` (thread i of N takes starts i−1, i−1+N, ...), so the threads' starts interleave.
#[derive(Clone, Debug)]
struct Lane {
    arrivals: Arrivals,
    phase: u64,
    stride: u64,
}

/// The open model's arrivals: sleeps until each of `lane`'s starts is due (waking for the live
/// view and for `stopped`) and hands its intended instant to `start_one`, until the deadline,
/// the end of the schedule or `stopped`. A start is never skipped: when the thread wakes late
/// (descheduled, or busy), every start that fell due meanwhile is handed over at once, in
/// order, with its own intended instant (the caller runs it, late, or drops and counts it).
async fn arrive(
    lane: &Lane,
    start: tokio::time::Instant,
    deadline: tokio::time::Instant,
    stopped: &dyn Fn() -> bool,
    tick: &mut dyn FnMut(tokio::time::Instant),
    start_one: &mut dyn FnMut(tokio::time::Instant),
) {
    let mut k: u64 = 0;
    loop {
        let global = k.saturating_mul(lane.stride.max(1)).saturating_add(lane.phase);
        let Some(at) = lane.arrivals.at(global) else { break };
        let intended = start + at;
        if intended >= deadline {
            break;
        }
        // Sleep towards the intended start, waking for the live view and signals.
        loop {
            let now = tokio::time::Instant::now();
            tick(now);
            if now >= intended || stopped() {
                break;
            }
            tokio::time::sleep_until(intended.min(now + CONTROL_STEP)).await;
        }
        if stopped() {
            break;
        }
        k += 1;
        start_one(intended);
    }
}

/// The open model's VU pool: a start takes a free VU, or makes one while fewer than `max`
/// exist; with none, the start is dropped. A finished iteration puts its VU back in `free`.
struct VuPool<V> {
    free: Rc<RefCell<Vec<V>>>,
    created: u64,
    max: u64,
}

impl<V> VuPool<V> {
    fn new(max: u64) -> VuPool<V> {
        VuPool { free: Rc::new(RefCell::new(Vec::new())), created: 0, max }
    }

    /// A VU for a start, or `None` (every VU busy and no more allowed, or `make` failed):
    /// the start is dropped.
    fn take(&mut self, make: impl FnOnce() -> Option<V>) -> Option<V> {
        if let Some(vu) = self.free.borrow_mut().pop() {
            return Some(vu);
        }
        if self.created >= self.max {
            return None;
        }
        let vu = make()?;
        self.created += 1;
        Some(vu)
    }
}

/// After the last start: gives the tasks in `handles` until `grace` to finish (the live view
/// ticking), then aborts the rest; how many were not finished.
async fn wind_down(
    handles: &mut Vec<tokio::task::JoinHandle<()>>,
    grace: Duration,
    tick: &mut dyn FnMut(tokio::time::Instant),
) -> u64 {
    let until = tokio::time::Instant::now() + grace;
    loop {
        handles.retain(|h| !h.is_finished());
        let now = tokio::time::Instant::now();
        tick(now);
        if handles.is_empty() || now >= until {
            break;
        }
        tokio::time::sleep(CONTROL_STEP.min(until - now)).await;
    }
    for handle in handles.iter() {
        handle.abort();
    }
    handles.len() as u64
}

async fn closed_vu(shared: Rc<Shared>, id: u64, client_settings: ClientSettings) {
    let Ok(mut client) = Client::new(client_settings) else { return };
    while !shared.should_stop() && id < shared.target.get() {
        shared.iterate(&mut client, None).await;
    }
}

/// SIGINT, SIGTERM or SIGHUP, recorded since the process's first instant (see
/// `crate::signals`).
async fn wait_for_signal() {
    match crate::signals::Listener::new() {
        Ok(mut listener) => {
            listener.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}

struct View<'a> {
    observer: &'a mut dyn LoadObserver,
    tick: Duration,
    start: tokio::time::Instant,
    next: tokio::time::Instant,
    last_requests: u64,
    last_at: tokio::time::Instant,
}

impl View<'_> {
    fn maybe_tick(&mut self, shared: &Shared, now: tokio::time::Instant) {
        if now < self.next {
            return;
        }
        self.next = now + self.tick;
        let requests = shared.requests.get();
        let seconds = (now - self.last_at).as_secs_f64().max(1e-6);
        let rate = (requests.saturating_sub(self.last_requests)) as f64 / seconds;
        self.last_requests = requests;
        self.last_at = now;
        let aggregate = shared.aggregate.borrow();
        let live = Live {
            elapsed: now - self.start,
            requests,
            rate,
            p50_us: aggregate.latency.quantile_us(0.5),
            p95_us: aggregate.latency.quantile_us(0.95),
            p99_us: aggregate.latency.quantile_us(0.99),
            errors: aggregate.errors_by_class(),
            assert_failures: aggregate.counters.assert_failures,
            active_vus: shared.active.get(),
            dropped: aggregate.counters.dropped_iterations,
        };
        drop(aggregate);
        self.observer.tick(&live);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::plan::RateStage;

    /// Runs `lane`'s arrivals on paused time until `length`; the intended offsets of the starts,
    /// each checked to have fired at or after its intended instant.
    async fn starts(lane: &Lane, length: Duration) -> Vec<Duration> {
        let start = tokio::time::Instant::now();
        let mut seen = Vec::new();
        let mut on_start = |intended: tokio::time::Instant| {
            assert!(tokio::time::Instant::now() >= intended, "a start fired early");
            seen.push(intended - start);
        };
        arrive(lane, start, start + length, &|| false, &mut |_| {}, &mut on_start).await;
        seen
    }

    fn per_second(starts: &[Duration], seconds: u64) -> Vec<usize> {
        (0..seconds)
            .map(|s| {
                let (from, to) = (Duration::from_secs(s), Duration::from_secs(s + 1));
                starts.iter().filter(|t| **t >= from && **t < to).count()
            })
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_ramping_rate_starts_exactly_its_integral_per_stage() {
        let stage =
            |secs: u64, target: f64| RateStage { duration: Duration::from_secs(secs), target };
        // 0 → 20/s over 2 s, 20/s for 1 s, 20 → 0/s over 1 s: 20, 20 and 10 starts.
        let arrivals = Arrivals::new(0.0, &[stage(2, 20.0), stage(1, 20.0), stage(1, 0.0)]);
        let lane = Lane { arrivals: arrivals.clone(), phase: 0, stride: 1 };
        let all = starts(&lane, Duration::from_secs(10)).await;
        // Per second: ∫ of the rate over [0,1) = 5, [1,2) = 15, [2,3) = 20, [3,4) = 10.
        assert_eq!(per_second(&all, 5), [5, 15, 20, 10, 0]);
        assert_eq!(all.len(), 50);

        // Two threads: lanes 0 and 1 take every other start, and together they are the whole.
        let mut both = Vec::new();
        for phase in 0..2 {
            let lane = Lane { arrivals: arrivals.clone(), phase, stride: 2 };
            let part = starts(&lane, Duration::from_secs(10)).await;
            assert_eq!(part.len(), 25);
            both.extend(part);
        }
        both.sort();
        assert_eq!(both, all);

        // The deadline cuts the schedule: the first 2 s hold 5 + 15 starts.
        assert_eq!(starts(&lane, Duration::from_secs(2)).await.len(), 20);
    }

    #[tokio::test(start_paused = true)]
    async fn a_constant_rate_starts_at_k_over_r_and_stops_when_told() {
        let lane = Lane { arrivals: Arrivals::new(50.0, &[]), phase: 0, stride: 1 };
        let all = starts(&lane, Duration::from_secs(2)).await;
        assert_eq!(per_second(&all, 2), [50, 50]);
        assert_eq!(all[1], Duration::from_millis(20));

        let start = tokio::time::Instant::now();
        let mut n = 0;
        let stop = std::cell::Cell::new(false);
        let mut on_start = |_| {
            n += 1;
            stop.set(n == 7);
        };
        let deadline = start + Duration::from_secs(60);
        arrive(&lane, start, deadline, &|| stop.get(), &mut |_| {}, &mut on_start).await;
        assert_eq!(n, 7);
    }

    /// What became of an open run's starts, on paused time, with a fake iteration.
    #[derive(Debug, Default)]
    struct Tally {
        ran: u64,
        dropped: u64,
        cut: u64,
        /// Starts handed over after their intended instant.
        late: u64,
    }

    /// 50 starts a second for 1 s into a pool of `max_vus`, each iteration `work` long, the
    /// clock jumping `stall` ahead at once at 310 ms (the thread descheduled past several
    /// starts), then `grace` for the iterations in flight: the pieces `drive` runs them with.
    async fn open_run(max_vus: u64, work: Duration, stall: Duration, grace: Duration) -> Tally {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async move {
                let lane = Lane { arrivals: Arrivals::new(50.0, &[]), phase: 0, stride: 1 };
                let start = tokio::time::Instant::now();
                let stall_task = tokio::task::spawn_local(async move {
                    tokio::time::sleep_until(start + Duration::from_millis(310)).await;
                    tokio::time::advance(stall).await;
                });
                let ran = Rc::new(Cell::new(0));
                let mut pool = VuPool::new(max_vus);
                let mut handles = Vec::new();
                let (mut dropped, mut late, mut next_id) = (0, 0, 0_u64);
                let mut on_start = |intended: tokio::time::Instant| {
                    if tokio::time::Instant::now() > intended {
                        late += 1;
                    }
                    let Some(vu) = pool.take(|| {
                        next_id += 1;
                        Some(next_id)
                    }) else {
                        dropped += 1;
                        return;
                    };
                    let (ran, free) = (ran.clone(), pool.free.clone());
                    handles.push(tokio::task::spawn_local(async move {
                        tokio::time::sleep(work).await;
                        ran.set(ran.get() + 1);
                        free.borrow_mut().push(vu);
                    }));
                };
                let deadline = start + Duration::from_secs(1);
                arrive(&lane, start, deadline, &|| false, &mut |_| {}, &mut on_start).await;
                assert!(pool.created <= max_vus);
                let cut = wind_down(&mut handles, grace, &mut |_| {}).await;
                stall_task.abort();
                Tally { ran: ran.get(), dropped, cut, late }
            })
            .await
    }

    #[tokio::test(start_paused = true)]
    async fn every_due_start_is_run_dropped_or_cut_off_whatever_the_scheduling_delay() {
        // No stall, 20 VUs, 40 ms iterations: all 50 run.
        let calm =
            open_run(20, Duration::from_millis(40), Duration::ZERO, Duration::from_secs(5)).await;
        assert_eq!((calm.ran, calm.dropped, calm.cut, calm.late), (50, 0, 0, 0), "{calm:?}");

        // The clock jumps 150 ms past the starts at 320..=460 ms: the 8 that fell due are
        // handed over at once, late; 2 VUs cannot take them all, and the rest are dropped
        // and counted, never lost.
        let stall = Duration::from_millis(150);
        let stalled = open_run(2, Duration::from_millis(30), stall, Duration::from_secs(5)).await;
        assert_eq!(stalled.ran + stalled.dropped + stalled.cut, 50, "{stalled:?}");
        assert!(stalled.late >= 7, "{stalled:?}");
        assert!(stalled.dropped >= 6, "{stalled:?}");
        assert_eq!(stalled.cut, 0, "{stalled:?}");

        // Longer than the run: every start after 310 ms falls due during the stall.
        let long =
            open_run(3, Duration::from_millis(30), Duration::from_secs(5), Duration::ZERO).await;
        assert_eq!(long.ran + long.dropped + long.cut, 50, "{long:?}");
        assert!(long.late >= 34, "{long:?}");

        // No grace: the iterations in flight at the end are cut off and counted, including
        // the last start, spawned just before the end and never polled.
        let abrupt = open_run(20, Duration::from_millis(40), Duration::ZERO, Duration::ZERO).await;
        assert_eq!(abrupt.ran + abrupt.dropped + abrupt.cut, 50, "{abrupt:?}");
        assert!(abrupt.cut >= 2 && abrupt.dropped == 0, "{abrupt:?}");
    }
}
