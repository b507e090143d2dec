//! Two bank transfers that lock the same two accounts in opposite orders, and the lock-cycle
//! report gort prints the moment the cycle closes.
//!
//! `transfer(from, to)` locks `from`, then `to`. Run one transfer from A to B and another from
//! B to A at the same time: under some schedules each holds its first lock and waits for the
//! other's. `sim::explore` finds such a schedule, and the report names both threads, both
//! mutexes (by creation line), where each waits, and who holds what. The fix is one global lock
//! order (for instance, always lock the account with the smaller id first).
//!
//! Run it with:
//!
//! ```text
//! cargo run -p gort --example lockorder
//! ```
//!
//! The program exits with status 0: the point is to show the report.

use std::sync::Arc;

use gort::sync::Mutex;
use gort::{go, sim};

/// Moves `amount` from one balance to the other, locking `from` first: the bug.
fn transfer(from: &Mutex<i64>, to: &Mutex<i64>, amount: i64) {
    let mut from = from.lock();
    let mut to = to.lock();
    *from -= amount;
    *to += amount;
}

fn main() {
    println!(
        "Two transfers lock accounts A and B in opposite orders. sim::explore looks for a\n\
         schedule where each holds one lock and waits for the other:\n"
    );
    let outcome = sim::explore(&sim::Config::default(), 1000, || {
        let a = Arc::new(Mutex::new(100));
        let b = Arc::new(Mutex::new(100));
        let (a2, b2) = (a.clone(), b.clone());
        let other = go(move || transfer(&b2, &a2, 30));
        transfer(&a, &b, 50);
        other.join().unwrap();
        assert_eq!(*a.lock() + *b.lock(), 200);
    });
    match outcome {
        Err(report) => println!("{report}"),
        Ok(summary) => println!("no schedule deadlocked in {} tries", summary.schedules),
    }
}
