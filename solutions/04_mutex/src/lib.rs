//! Lesson 04, mutexes and race conditions: the solution.
//!
//! A lost update found and replayed by the scheduler, the counter fixed with a
//! [`gort::sync::Mutex`], a map of counters behind one lock (the Go Tour's `SafeCounter`), and
//! bank transfers that lock two accounts in one global order so they cannot deadlock.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use gort::sync::Mutex;
use gort::{go, sched, sim};

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
///
/// # Examples
///
/// ```
/// use gort::sim;
///
/// // Under some schedule, two threads lose an update.
/// let counts: Vec<u64> = (0..32)
///     .map(|seed| *sim::run(&sim::Config::default().with_seed(seed), || races::racy_count(2, 1)).value().unwrap())
///     .collect();
/// assert!(counts.contains(&1));
/// ```
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
/// # Examples
///
/// ```
/// use gort::sim;
/// use races::{find_lost_update, racy_count};
///
/// let lost = find_lost_update(2, 3, 0..64).expect("two threads lose an update under some seed");
/// assert!(lost.count < 6);
/// // The seed replays it: the same schedule, the same lost update.
/// let again = sim::run(&sim::Config::default().with_seed(lost.seed), || racy_count(2, 3));
/// assert_eq!(again.unwrap(), lost.count);
/// assert_eq!(find_lost_update(1, 3, 0..64), None); // one thread alone cannot race
/// ```
pub fn find_lost_update(threads: usize, iters: usize, seeds: Range<u64>) -> Option<LostUpdate> {
    let expected = (threads * iters) as u64;
    seeds.into_iter().find_map(|seed| {
        // One run per seed: the seed names the whole schedule of that run, so the same seed
        // replays the same interleaving, and the same lost update, every time.
        let config = sim::Config::default().with_seed(seed);
        let report = sim::run(&config, || racy_count(threads, iters));
        let count = *report.value()?;
        (count < expected).then_some(LostUpdate { seed, count })
    })
}

/// Task 2: counts to `threads * iters` correctly: `racy_count` with the load, the yield and
/// the store inside one critical section of a [`Mutex`]. Call it inside a run.
///
/// # Examples
///
/// ```
/// use gort::sim;
///
/// for seed in 0..16 {
///     let n = sim::run(&sim::Config::default().with_seed(seed), || races::locked_count(3, 4));
///     assert_eq!(n.unwrap(), 12);
/// }
/// ```
pub fn locked_count(threads: usize, iters: usize) -> u64 {
    let counter = Arc::new(Mutex::new(0u64));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let counter = counter.clone();
            go(move || {
                for _ in 0..iters {
                    // The guard lives to the end of this iteration: read, yield and write
                    // all happen while we hold the lock, so the yield lets others run but
                    // not into this critical section.
                    let mut n = counter.lock();
                    let seen = *n;
                    sched::yield_now();
                    *n = seen + 1;
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a counting thread panicked");
    }
    *counter.lock()
}

/// Counts hits per key, safe to share between green threads: the Go Tour's `SafeCounter`, a
/// map behind one lock. Share it with an `Arc`.
#[derive(Debug)]
pub struct SafeCounter {
    counts: Mutex<HashMap<String, u64>>,
}

impl SafeCounter {
    /// Task 3: an empty counter. Call it inside a run (a gort `Mutex` is created in one).
    pub fn new() -> SafeCounter {
        SafeCounter { counts: Mutex::new(HashMap::new()) }
    }

    /// Task 3: adds one to `key`'s count.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sim};
    /// use races::SafeCounter;
    /// use std::sync::Arc;
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let c = Arc::new(SafeCounter::new());
    ///     let hs: Vec<_> = (0..5).map(|_| { let c = c.clone(); go(move || c.inc("hits")) }).collect();
    ///     hs.into_iter().for_each(|h| h.join().unwrap());
    ///     assert_eq!(c.value("hits"), 5);
    ///     assert_eq!(c.value("misses"), 0);
    /// })
    /// .unwrap();
    /// ```
    pub fn inc(&self, key: &str) {
        // Read and write under one guard: `entry` finds or inserts and we add in place, so
        // no other thread can slip in between the check for the key and the update.
        *self.counts.lock().entry(key.to_string()).or_insert(0) += 1;
    }

    /// Task 3: `key`'s count so far; 0 for a key never incremented (Go's map gives the zero
    /// value).
    pub fn value(&self, key: &str) -> u64 {
        self.counts.lock().get(key).copied().unwrap_or(0)
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
/// returns whether it did. A transfer to the account itself moves nothing and returns `true`.
///
/// # Examples
///
/// ```
/// use gort::{go, sim};
/// use races::{Account, transfer};
/// use std::sync::Arc;
///
/// // Opposite directions at once: one lock order for both, so no deadlock.
/// for seed in 0..16 {
///     sim::run(&sim::Config::default().with_seed(seed), || {
///         let a = Arc::new(Account::new(1, 100));
///         let b = Arc::new(Account::new(2, 100));
///         let (a2, b2) = (a.clone(), b.clone());
///         let other = go(move || transfer(&b2, &a2, 30));
///         assert!(transfer(&a, &b, 50));
///         assert!(other.join().unwrap());
///         assert_eq!((a.balance(), b.balance()), (80, 120));
///         assert!(!transfer(&a, &b, 81)); // not enough money: nothing moves
///     })
///     .unwrap();
/// }
/// ```
pub fn transfer(from: &Account, to: &Account, amount: u64) -> bool {
    if from.id == to.id {
        // Locking the same Mutex twice would wait for ourselves for ever.
        return true;
    }
    // One global order: the smaller id first, whichever way the money goes. Two transfers
    // can then never each hold one account and wait for the other.
    let (mut from_balance, mut to_balance) = if from.id < to.id {
        let f = from.balance.lock();
        (f, to.balance.lock())
    } else {
        let t = to.balance.lock();
        (from.balance.lock(), t)
    };
    // Check and move under both locks: nobody can spend the money between the two.
    if *from_balance < amount {
        return false;
    }
    *from_balance -= amount;
    *to_balance += amount;
    true
}
