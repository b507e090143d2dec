//! Lesson 04, mutexes and race conditions: find a lost update, fix it with a Mutex, count per
//! key, and move money between accounts without deadlocking (the exercise).
//!
//! Read `README.md` first. Every `todo!()` is a task; `cargo run -p checker -- check 04_mutex`
//! grades them.
#![allow(unused_variables)]

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use gort::sync::Mutex;
use gort::{go, sched};

/// Counts to `threads * iters` the wrong way: `threads` green threads each add 1, `iters`
/// times, to a shared counter by loading it, yielding, and storing the loaded value plus one.
/// Given complete: it is the bug this lesson studies.
///
/// It compiles (an atomic is `Sync`, so sharing it is allowed), and every single load and
/// store is atomic, so there is no *data race*. There is a *race condition*: another thread
/// can run between a thread's load and its store (here at the `yield_now`, in real code at any
/// instruction), store its own increment, and have it overwritten. The result is then below
/// `threads * iters` under some schedules and exact under others.
///
/// Call it inside a run (it spawns green threads).
pub fn racy_count(threads: usize, iters: usize) -> u64 {
    let counter = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let counter = counter.clone();
            go(move || {
                for _ in 0..iters {
                    let seen = counter.load(Ordering::SeqCst);
                    sched::yield_now(); // another thread may run here
                    counter.store(seen + 1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a counting thread panicked");
    }
    counter.load(Ordering::SeqCst)
}

/// A lost update the scheduler found: the seed whose schedule loses it, and the count that
/// schedule ends with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LostUpdate {
    /// Running `racy_count` under `sim::Config::default().with_seed(seed)` loses an update.
    pub seed: u64,
    /// What `racy_count` returned under that seed (less than `threads * iters`).
    pub count: u64,
}

/// Task 1: runs `racy_count(threads, iters)` once per seed of `seeds`, in order, each in
/// its own run, and returns the first seed whose count is below `threads * iters`.
///
/// * Call it outside a run: it starts the runs itself.
/// * One run per seed: [`gort::sim::run`] with `sim::Config::default().with_seed(seed)` and a
///   closure that calls `racy_count`. The report's [`value`](gort::diag::Report::value) is
///   what `racy_count` returned.
/// * Returns `Some(LostUpdate { seed, count })` for the first seed that loses an update, so
///   that running that seed again gives the same `count`; `None` if no seed of `seeds` does
///   (always, with one thread).
pub fn find_lost_update(threads: usize, iters: usize, seeds: Range<u64>) -> Option<LostUpdate> {
    todo!(
        "task 1: run racy_count under each seed, each in its own sim::run, and return the first that loses an update"
    )
}

/// Task 2: counts to `threads * iters` correctly: `racy_count` with the read, the yield and
/// the write inside one critical section of a [`Mutex`].
///
/// * Share one `Arc<Mutex<u64>>` between `threads` green threads ([`go`]); each does `iters`
///   times: lock, read the count, [`sched::yield_now()`] (it stands for slow work inside the
///   critical section), write the count read plus one, unlock (drop the guard).
/// * Join every thread, then return the count.
/// * Must return exactly `threads * iters` under every schedule. Call it inside a run.
pub fn locked_count(threads: usize, iters: usize) -> u64 {
    todo!("task 2: racy_count's read, yield and write, all under one lock of a shared Mutex")
}

/// Counts hits per key, safe to share between green threads: the Go Tour's `SafeCounter`, a
/// map behind one lock. Share it with an `Arc`.
#[derive(Debug)]
pub struct SafeCounter {
    #[allow(dead_code)] // until you write the methods
    counts: Mutex<HashMap<String, u64>>,
}

impl SafeCounter {
    /// Task 3: an empty counter. Call it inside a run (a gort `Mutex` is created in one).
    pub fn new() -> SafeCounter {
        todo!("task 3: an empty map in a Mutex")
    }

    /// Task 3: adds one to `key`'s count (a key seen for the first time goes from 0 to 1).
    ///
    /// Any number of threads may call `inc` and `value` at once, on the same key or on
    /// different ones; not one increment may be lost, under any schedule.
    pub fn inc(&self, key: &str) {
        todo!("task 3: add one to key's count")
    }

    /// Task 3: `key`'s count so far; 0 for a key never incremented (Go's map gives the zero
    /// value).
    pub fn value(&self, key: &str) -> u64 {
        todo!("task 3: key's count, or 0")
    }
}

impl Default for SafeCounter {
    /// The same as [`SafeCounter::new`].
    fn default() -> SafeCounter {
        SafeCounter::new()
    }
}

/// A bank account: an id (unique among the accounts that trade with each other) and a
/// balance behind its own lock. Given complete.
#[derive(Debug)]
pub struct Account {
    id: u32,
    balance: Mutex<u64>,
}

impl Account {
    /// An account with `id` and an opening `balance`. Call it inside a run.
    pub fn new(id: u32, balance: u64) -> Account {
        Account { id, balance: Mutex::new(balance) }
    }

    /// Its id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Its balance now (locks it briefly).
    pub fn balance(&self) -> u64 {
        *self.balance.lock()
    }
}

/// Task 4: moves `amount` from `from` to `to` if `from` holds at least that much, and
/// returns whether it did.
///
/// * Hold both accounts' locks from the balance check to the move, so that no other transfer
///   can spend the same money in between; a transfer that would overdraw `from` moves
///   nothing and returns `false`.
/// * Other transfers run at the same time, some in the opposite direction (`b` to `a` while
///   this one goes `a` to `b`): they must never deadlock. Lock the two accounts in one global
///   order, whatever the direction of the money.
/// * A transfer to the account itself (`from.id() == to.id()`) moves nothing and returns
///   `true`. A gort `Mutex` is not reentrant: locking one you hold waits for ever.
pub fn transfer(from: &Account, to: &Account, amount: u64) -> bool {
    todo!("task 4: lock both accounts in one global order, check the balance, move the money")
}
