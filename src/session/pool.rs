//! One worker pool for `test` and `run` (and later `load`): a [`Queue`] of items taken
//! in order by N [`Worker`]s, one item at a time each, stopped on request (fail-fast,
//! a server crash), every output handed with its index to one consumer, in the order
//! the items finish.
//!
//! Where the workers run is the only difference between the commands:
//! [`run_on_threads`] gives each worker an OS thread with its own current-thread tokio
//! runtime (a lone worker runs on the calling thread: no thread, no second malloc
//! arena), which is what keeps `test`'s hot path free of cross-thread wake-ups;
//! [`run_on_tasks`] makes each worker a task of the caller's multi-thread runtime,
//! where `run`'s servers (their process and log tasks) live. Both drive every worker
//! with the same loop ([`drive`]).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::mpsc;

/// The items of one batch, by index: who takes the next one, and whether to stop.
#[derive(Debug)]
pub struct Queue {
    len: usize,
    next: AtomicUsize,
    stop: AtomicBool,
}

impl Queue {
    /// A queue of `len` items.
    pub fn new(len: usize) -> Self {
        Queue { len, next: AtomicUsize::new(0), stop: AtomicBool::new(false) }
    }

    /// The next item's index, unless the queue is empty or stopped.
    pub fn take(&self) -> Option<usize> {
        if self.is_stopped() {
            return None;
        }
        let index = self.next.fetch_add(1, Ordering::SeqCst);
        (index < self.len).then_some(index)
    }

    /// No worker takes another item.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Whether [`Queue::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// One worker: runs the items it takes, one at a time.
pub trait Worker {
    /// What one item gives.
    type Output: Send + 'static;

    /// Runs item `index`; `None` ends this worker (it cannot go on, and said so).
    fn run(&mut self, index: usize) -> impl Future<Output = Option<Self::Output>> + Send;
}

/// The loop every worker runs: take, run, deliver, until the queue is empty or
/// stopped, the worker gives up, or `deliver` says to end.
pub async fn drive<W, D>(worker: &mut W, queue: &Queue, deliver: &mut D)
where
    W: Worker,
    D: FnMut(usize, W::Output) -> bool,
{
    while let Some(index) = queue.take() {
        let Some(output) = worker.run(index).await else { return };
        if !deliver(index, output) {
            return;
        }
    }
}

/// Why a worker could not start on its thread.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// Its runtime could not be built.
    #[error("cannot start a runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// Its thread panicked.
    #[error("a worker thread panicked; this is a bug in shakedown")]
    Panicked,
}

/// Runs `workers` workers made by `make`, each on its own thread with a current-thread
/// runtime (a lone worker on the calling thread); `deliver` runs on the calling thread.
/// A worker whose runtime cannot be built hands its error to `failed` with the index
/// of the item it took, so that no item is silently lost.
pub fn run_on_threads<W, M, F>(
    queue: &Arc<Queue>,
    workers: usize,
    make: M,
    failed: F,
    deliver: &mut dyn FnMut(usize, W::Output),
) -> Vec<PoolError>
where
    W: Worker + Send + 'static,
    M: Fn() -> W + Send + Sync + 'static,
    F: Fn(usize, &PoolError) -> W::Output + Send + Sync + 'static,
{
    let build = || tokio::runtime::Builder::new_current_thread().enable_all().build();
    if workers <= 1 {
        match build() {
            Ok(runtime) => {
                run_on_runtime(&runtime, make(), queue, &mut |index, output| {
                    deliver(index, output);
                    true
                });
            }
            Err(e) => {
                let error = PoolError::Runtime(e);
                if let Some(index) = queue.take() {
                    deliver(index, failed(index, &error));
                }
                return vec![error];
            }
        }
        return Vec::new();
    }
    let (make, failed) = (Arc::new(make), Arc::new(failed));
    let (sender, receiver) = std::sync::mpsc::channel::<(usize, W::Output)>();
    let mut handles = Vec::new();
    for _ in 0..workers {
        let (queue, make, failed, sender) =
            (queue.clone(), make.clone(), failed.clone(), sender.clone());
        handles.push(std::thread::spawn(move || match build() {
            Ok(runtime) => {
                run_on_runtime(&runtime, make(), &queue, &mut |index, output| {
                    sender.send((index, output)).is_ok()
                });
                None
            }
            Err(e) => {
                let error = PoolError::Runtime(e);
                if let Some(index) = queue.take() {
                    let _ = sender.send((index, failed(index, &error)));
                }
                Some(error)
            }
        }));
    }
    drop(sender);
    for (index, output) in receiver {
        deliver(index, output);
    }
    handles
        .into_iter()
        .filter_map(|handle| match handle.join() {
            Ok(error) => error,
            Err(_) => Some(PoolError::Panicked),
        })
        .collect()
}

/// Runs one worker to its end on a current-thread `runtime`, handing each output to
/// `deliver` on the calling thread.
///
/// The worker is a spawned task, not the future `block_on` polls: the current-thread
/// scheduler polls its IO driver (an `epoll_wait` that finds nothing) each time the
/// `block_on` future itself is woken, and the entry loop is woken by hyper's connection
/// task at every response. A woken task only goes on the run queue, so a request costs
/// a write, one `epoll_wait` and a read (`bench/README.md`). A panic in the worker is
/// resumed here, as if it had run on this thread.
fn run_on_runtime<W>(
    runtime: &tokio::runtime::Runtime,
    mut worker: W,
    queue: &Arc<Queue>,
    deliver: &mut dyn FnMut(usize, W::Output) -> bool,
) where
    W: Worker + Send + 'static,
{
    let (sender, mut receiver) = mpsc::unbounded_channel::<(usize, W::Output)>();
    let queue = queue.clone();
    runtime.block_on(async move {
        let task = tokio::spawn(async move {
            drive(&mut worker, &queue, &mut |index, output| sender.send((index, output)).is_ok())
                .await;
        });
        while let Some((index, output)) = receiver.recv().await {
            if !deliver(index, output) {
                // The consumer is gone: the worker stops at its next send.
                task.abort();
                return;
            }
        }
        if let Err(error) = task.await
            && error.is_panic()
        {
            std::panic::resume_unwind(error.into_panic());
        }
    });
}

/// Runs each worker as a task of the current multi-thread runtime; `deliver` runs on
/// the caller's task, in the order items finish.
pub async fn run_on_tasks<W>(
    queue: &Arc<Queue>,
    workers: Vec<W>,
    deliver: &mut dyn FnMut(usize, W::Output),
) where
    W: Worker + Send + 'static,
{
    let (sender, mut receiver) = mpsc::unbounded_channel::<(usize, W::Output)>();
    let mut tasks = tokio::task::JoinSet::new();
    for mut worker in workers {
        let (queue, sender) = (queue.clone(), sender.clone());
        tasks.spawn(async move {
            drive(&mut worker, &queue, &mut |index, output| sender.send((index, output)).is_ok())
                .await;
        });
    }
    drop(sender);
    while let Some((index, output)) = receiver.recv().await {
        deliver(index, output);
    }
    while tasks.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Doubler {
        stop_at: Option<usize>,
        queue: Arc<Queue>,
    }

    impl Worker for Doubler {
        type Output = usize;

        fn run(&mut self, index: usize) -> impl Future<Output = Option<usize>> + Send {
            if self.stop_at == Some(index) {
                self.queue.stop();
            }
            std::future::ready(Some(index * 2))
        }
    }

    fn sorted(mut out: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
        out.sort_unstable();
        out
    }

    #[test]
    fn threads_run_every_item_once() {
        for workers in [1, 3] {
            let queue = Arc::new(Queue::new(10));
            let mut out = Vec::new();
            let q = queue.clone();
            let errors = run_on_threads(
                &queue,
                workers,
                move || Doubler { stop_at: None, queue: q.clone() },
                |_, _| usize::MAX,
                &mut |i, o| out.push((i, o)),
            );
            assert!(errors.is_empty());
            assert_eq!(sorted(out), (0..10).map(|i| (i, i * 2)).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_stopped_queue_gives_no_more_items() {
        let queue = Arc::new(Queue::new(10));
        let mut out = Vec::new();
        let q = queue.clone();
        run_on_threads(
            &queue,
            1,
            move || Doubler { stop_at: Some(2), queue: q.clone() },
            |_, _| usize::MAX,
            &mut |i, o| out.push((i, o)),
        );
        assert_eq!(out, [(0, 0), (1, 2), (2, 4)]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tasks_run_every_item_once() {
        let queue = Arc::new(Queue::new(10));
        let workers =
            (0..3).map(|_| Doubler { stop_at: None, queue: queue.clone() }).collect::<Vec<_>>();
        let mut out = Vec::new();
        run_on_tasks(&queue, workers, &mut |i, o| out.push((i, o))).await;
        assert_eq!(sorted(out), (0..10).map(|i| (i, i * 2)).collect::<Vec<_>>());
    }
}
