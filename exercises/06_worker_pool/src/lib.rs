//! Lesson 06, worker pools: W workers share one job channel, results come back in job order.
//!
//! Replace every `todo!()` (tasks 1 and 2, in order). Everything runs inside a deterministic
//! run of gort: `chan::bounded(cap)` makes a channel (clone either end to share it), `go`
//! starts a green thread, `for x in rx.iter()` ranges until the channel is closed and drained,
//! and dropping the last `Sender` closes it. Check with `cargo run -p checker -- check
//! 06_worker_pool`.
#![allow(unused_variables)]

use gort::chan::{Receiver, Sender};

/// Task 1: one worker, article 001's `worker(jobs, results)`.
///
/// Takes jobs from `jobs` until the channel is closed and drained (range over it with
/// `jobs.iter()`), and for each job `(index, job)` sends `(index, f(job))` on `results`.
/// Returns how many jobs it processed. Other workers may share the same `jobs` receiver:
/// each job goes to exactly one of them.
///
/// The worker must not stop after one job or after a count fixed in advance: it stops when
/// the pool closes the job channel. It owns its `results` sender, which is dropped when it
/// returns: once the last worker has returned, the results channel is closed. If sending a
/// result fails (nobody collects results any more), stop without counting that job: the
/// count returned is of results sent.
pub fn worker<J, R, F>(jobs: Receiver<(usize, J)>, results: Sender<(usize, R)>, f: &F) -> usize
where
    F: Fn(J) -> R + ?Sized,
{
    todo!("task 1: range over jobs, send (index, f(job)) for each, return how many")
}

/// Task 2: runs `f` on every job with `workers` green threads that share one job channel,
/// and returns the results in job order: result `i` is `f(jobs[i])`.
///
/// Steps (article 001 § Communicating Between Goroutines):
/// 1. make a job channel and a results channel. Give both capacity `jobs.len()`, like
///    the article's `make(chan int, 100)`, so that queuing jobs and sending results never
///    wait;
/// 2. start `workers` green threads, each running [`worker`] with clones of the job receiver
///    and the results sender, and a shared `f` (wrap it in an `Arc`);
/// 3. send every job, tagged with its index, then close the job channel (drop the sender);
/// 4. drop your own copy of the results sender, range over the results until the channel
///    closes, and put each result in its job's slot (results arrive in completion order).
///
/// Must hold in virtual time: never more than `workers` jobs in flight, and exactly `workers`
/// while jobs wait in the queue; `J` jobs of equal cost `c` (a `time::sleep(c)`) take exactly
/// `ceil(J / workers) x c`; no thread is left when it returns.
///
/// # Panics
///
/// If `workers` is 0.
pub fn worker_pool<J, R, F>(jobs: Vec<J>, workers: usize, f: F) -> Vec<R>
where
    J: Send + 'static,
    R: Send + 'static,
    F: Fn(J) -> R + Send + Sync + 'static,
{
    todo!("task 2: start `workers` workers on one job channel, send and close, collect in order")
}
