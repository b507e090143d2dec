//! Lesson 06, worker pools: the solution (a worker loop, and W workers over one job channel).
//!
//! Every example runs inside a deterministic run ([`gort::sim::run`]): channels and green
//! threads exist only there.

use std::sync::Arc;

use gort::chan::{self, Receiver, Sender};
use gort::sched;

/// Task 1: one worker: takes jobs from `jobs` until the channel is closed and drained, sends
/// `(index, f(job))` on `results` for each, and returns how many jobs it processed.
///
/// # Examples
///
/// ```
/// use gort::{chan, sim};
///
/// let (done, results) = sim::run(&sim::Config::default(), || {
///     let (job_tx, job_rx) = chan::bounded(3);
///     let (res_tx, res_rx) = chan::bounded(3);
///     for job in [(0, 10), (1, 20), (2, 30)] {
///         job_tx.send(job).unwrap();
///     }
///     drop(job_tx); // close(jobs): the worker's range ends after the third job
///     let done = worker_pool::worker(job_rx, res_tx, &|x: i32| x + 1);
///     (done, res_rx.iter().collect::<Vec<_>>())
/// })
/// .unwrap();
/// assert_eq!(done, 3);
/// assert_eq!(results, [(0, 11), (1, 21), (2, 31)]);
/// ```
pub fn worker<J, R, F>(jobs: Receiver<(usize, J)>, results: Sender<(usize, R)>, f: &F) -> usize
where
    F: Fn(J) -> R + ?Sized,
{
    let mut done = 0;
    // `for job := range jobs`: the loop ends when the pool closes the channel (drops the last
    // Sender) and the queue is empty, never after a count fixed in advance.
    for (index, job) in jobs.iter() {
        let result = f(job);
        if results.send((index, result)).is_err() {
            break; // nobody collects results any more: stop taking jobs
        }
        done += 1;
    }
    done
    // `results` is dropped here: when the last worker returns, the results channel closes.
}

/// Task 2: runs `f` on every job with `workers` green threads sharing one job channel, and
/// returns the results in job order.
///
/// # Panics
///
/// If `workers` is 0.
///
/// # Examples
///
/// Article 001's pool: 3 workers, 9 jobs, each doubled.
///
/// ```
/// use gort::{sim, time};
/// use std::time::Duration;
///
/// let (results, elapsed) = sim::run(&sim::Config::default(), || {
///     let results = worker_pool::worker_pool((1..=9).collect(), 3, |job: u64| {
///         time::sleep(Duration::from_millis(100)); // a job waiting on I/O for 100 ms
///         job * 2
///     });
///     (results, time::now().elapsed_since_start())
/// })
/// .unwrap();
/// assert_eq!(results, [2, 4, 6, 8, 10, 12, 14, 16, 18]); // job order, whoever finished first
/// assert_eq!(elapsed, Duration::from_millis(300)); // 9 jobs / 3 workers = 3 rounds of 100 ms
/// ```
pub fn worker_pool<J, R, F>(jobs: Vec<J>, workers: usize, f: F) -> Vec<R>
where
    J: Send + 'static,
    R: Send + 'static,
    F: Fn(J) -> R + Send + Sync + 'static,
{
    assert!(workers > 0, "worker_pool needs at least one worker");
    let n = jobs.len();
    // Both channels hold every job, as article 001's `make(chan int, 100)` does: main can queue
    // all jobs without waiting, and a worker never waits for main to collect a result. With
    // unbuffered channels main would block sending job W+1 while every worker blocks sending
    // its result to main: a deadlock.
    let (job_tx, job_rx) = chan::Builder::new().name("jobs").bounded(n);
    let (result_tx, result_rx) = chan::Builder::new().name("results").bounded(n);
    // One `f` shared by all workers: `Arc` because each thread needs its own `'static` handle.
    let f = Arc::new(f);
    for id in 0..workers {
        let (jobs, results, f) = (job_rx.clone(), result_tx.clone(), f.clone());
        sched::Builder::new()
            .name(format!("worker {id}"))
            .spawn(move || worker(jobs, results, &*f))
            .expect("spawn a worker");
    }
    // Keep no copy of what the workers own: the results channel must close when the last
    // worker returns, and a Receiver held here would only keep jobs alive for nobody.
    drop((job_rx, result_tx));
    for job in jobs.into_iter().enumerate() {
        job_tx.send(job).expect("the workers receive until the job channel closes");
    }
    // close(jobs): each worker's range ends once the queue is empty.
    drop(job_tx);
    // Results arrive in completion order; the index puts each in its job's slot.
    let mut slots: Vec<Option<R>> = (0..n).map(|_| None).collect();
    for (index, result) in result_rx.iter() {
        slots[index] = Some(result);
    }
    slots.into_iter().map(|r| r.expect("every job gives exactly one result")).collect()
}
