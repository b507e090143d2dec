//! A leaked green thread: a worker left waiting forever on a channel nobody will close.
//!
//! The worker handles jobs with `for job in jobs { ... }`, which, like Go's
//! `for job := range jobs`, ends only when the channel is closed, that is when every
//! `Sender` is dropped. Main sends three jobs and returns, but it hands its `Sender` back to
//! its caller together with its result, so the channel stays open and the worker waits for a
//! fourth job that never comes. In Go such a goroutine would be killed silently when main
//! returns; gort reports it as a leak, with what the worker is blocked on and where it was
//! spawned. Then the example runs the fixed program (drop the `Sender`, join the worker) and
//! prints its one-line "ok" report.
//!
//! Run it with:
//!
//! ```text
//! cargo run -p gort --example leak
//! ```
//!
//! The program exits with status 0: the point is to show the report.

use gort::chan::{self, Sender};
use gort::{sched, sim};

/// Starts the worker: it sums the jobs it receives until the channel closes.
fn start_worker() -> (Sender<u64>, sched::JoinHandle<u64>) {
    let (jobs_tx, jobs_rx) = chan::Builder::new().name("jobs").bounded::<u64>(0);
    let worker = sched::Builder::new()
        .name("worker")
        .spawn(move || {
            let mut total = 0;
            for job in jobs_rx {
                total += job; // ends only when every Sender of "jobs" is dropped
            }
            total
        })
        .unwrap();
    (jobs_tx, worker)
}

fn main() {
    let config = sim::Config::default();

    println!(
        "1. The buggy program: main sends 3 jobs, then returns its Sender along with its\n   \
         result instead of dropping it. The \"jobs\" channel never closes, so the worker\n   \
         waits forever. gort reports:\n"
    );
    let leaky = sim::run(&config, || {
        let (jobs, _worker) = start_worker();
        for job in 1..=3 {
            jobs.send(job).unwrap();
        }
        ("sent 3 jobs", jobs) // BUG: `jobs` outlives main, so the channel stays open
    });
    println!("{}\n", leaky.map(|(message, _jobs)| message));

    println!(
        "2. The fix: drop the Sender (closing the channel, which ends the worker's loop),\n   \
         then join the worker to get its total. gort reports:\n"
    );
    let fixed = sim::run(&config, || {
        let (jobs, worker) = start_worker();
        for job in 1..=3 {
            jobs.send(job).unwrap();
        }
        drop(jobs); // close "jobs": the worker's `for` loop ends
        worker.join().unwrap()
    });
    println!("{fixed}");
    if let Some(total) = fixed.value() {
        println!("\nThe worker's total: {total} (1 + 2 + 3).");
    }
}
