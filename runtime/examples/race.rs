//! A race condition (a lost update), found by exploring schedules and replayed from a token.
//!
//! Three green threads each add 1 to a shared counter, but in two steps: they read the
//! value, yield (any other thread may run here), then write back what they read plus one.
//! If two threads read the same value, one increment is lost and the counter ends below 3.
//! Rust rules out data races, not race conditions like this one: every access is an atomic
//! operation, yet the read-then-write is not atomic as a whole.
//!
//! `sim::explore` runs the program under many schedules and returns the first that fails,
//! with its report and replay token. `sim::replay` re-runs exactly that schedule from the
//! token and shows the same wrong value. Finally the same counter done right, with a single
//! `fetch_add`, passes under every schedule tried.
//!
//! Run it with:
//!
//! ```text
//! cargo run -p gort --example race
//! ```
//!
//! or replay a token it printed (any token of this program):
//!
//! ```text
//! cargo run -p gort --example race -- gort1:...
//! ```
//!
//! The program exits with status 0, or 2 if the token given on the command line is not a
//! token of this program.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use gort::diag::{Failure, Report};
use gort::{go, sched, sim};

const THREADS: u64 = 3;

/// The buggy counter: read, yield, write back. Panics if an update was lost.
fn lost_update() -> u64 {
    let counter = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let counter = counter.clone();
            go(move || {
                let v = counter.load(SeqCst);
                sched::yield_now(); // another thread may run between the read and the write
                counter.store(v + 1, SeqCst);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let count = counter.load(SeqCst);
    assert!(
        count == THREADS,
        "lost update: {THREADS} threads each added 1, so the counter should be {THREADS}, \
         but it is {count}"
    );
    count
}

/// The same counter done right: one atomic read-modify-write per thread.
fn fetch_add_counter() -> u64 {
    let counter = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let counter = counter.clone();
            go(move || {
                sched::yield_now(); // yield anyway, to give the scheduler the same chances
                counter.fetch_add(1, SeqCst);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let count = counter.load(SeqCst);
    assert_eq!(count, THREADS, "lost update");
    count
}

/// The panic message of a failed run, or its headline for other failures.
fn what_failed<T>(report: &Report<T>) -> String {
    match report.failure() {
        Some(Failure::Panic(p)) => p.message.clone(),
        Some(other) => other.to_string(),
        None => "nothing: the run passed".to_string(),
    }
}

fn main() {
    let config = sim::Config::default();

    if let Some(token) = std::env::args().nth(1) {
        match sim::replay(&config, &token, lost_update) {
            Ok(report) => println!("Replayed {token} with the lost-update program:\n\n{report}"),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(2);
            }
        }
        return;
    }

    println!(
        "{THREADS} green threads each increment a shared counter with load, yield_now, store.\n\
         Exploring up to 1000 schedules for one where an update is lost...\n"
    );
    let failure = match sim::explore(&config, 1000, lost_update) {
        Ok(summary) => {
            println!("No failing schedule in {} schedules (unexpected).", summary.schedules);
            return;
        }
        Err(report) => report,
    };
    println!("{failure}\n");
    println!(
        "How to read the timeline: each worker loads the counter just before its `yield` and\n\
         stores just after it. When two workers yield back to back, both loaded the same\n\
         value, and the second store overwrites the first.\n"
    );

    let token = failure.token().to_string();
    println!("The failing schedule's replay token: {token}\n");

    println!("Replaying that token with sim::replay re-runs exactly the same schedule:");
    let again = sim::replay(&config, &token, lost_update).expect("the token names this program");
    println!("    first run: {}", what_failed(&failure));
    println!("    replay:    {}", what_failed(&again));
    if let Some(check) = again.replay_check() {
        println!("    {check}");
    }
    println!("(Replay it yourself: cargo run -p gort --example race -- {token})\n");

    println!("The same counter with fetch_add (one atomic step per increment):");
    match sim::explore(&config, 1000, fetch_add_counter) {
        Ok(summary) => println!(
            "    passed under all {} schedules explored ({} scheduling events in all).",
            summary.schedules, summary.steps
        ),
        Err(report) => println!("{report}"),
    }
}
