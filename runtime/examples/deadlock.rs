//! A classic two-thread deadlock, and the report gort prints instead of hanging.
//!
//! Main and a worker share two unbuffered channels, "jobs" and "results", but disagree on
//! the order in which to use them: the worker waits for a job first, while main first sends
//! on "results". An unbuffered send completes only when someone receives, so main waits for
//! the worker, the worker waits for main, and neither can ever move again. In Go this ends
//! with "fatal error: all goroutines are asleep - deadlock!"; gort's deterministic executor
//! says the same and adds, for each green thread, what it is blocked on (which channel,
//! created where) and where it was spawned, then a timeline of the last events and a token
//! that replays this exact run.
//!
//! Run it with:
//!
//! ```text
//! cargo run -p gort --example deadlock
//! ```
//!
//! The program exits with status 0: the point is to show the report.

use gort::{chan, sched, sim};

fn main() {
    println!(
        "Main and a worker share two unbuffered channels, \"jobs\" and \"results\".\n\
         The worker first waits for a job, then for a result; main sends a result first.\n\
         Each one now waits for the other, forever. gort notices and reports:\n"
    );

    let report = sim::run(&sim::Config::default(), || {
        let (jobs_tx, jobs_rx) = chan::Builder::new().name("jobs").bounded::<u32>(0);
        let (results_tx, results_rx) = chan::Builder::new().name("results").bounded::<u32>(0);

        let worker = sched::Builder::new()
            .name("worker")
            .spawn(move || {
                let job = jobs_rx.recv().unwrap(); // waits for main's job...
                let result = results_rx.recv().unwrap(); // ...before it reads a result
                job + result
            })
            .unwrap();

        results_tx.send(42).unwrap(); // BUG: main sends the result before the job
        jobs_tx.send(1).unwrap();
        worker.join().unwrap()
    });

    println!("{report}");
}
