//! Listings of chapter 04 (mutexes and race conditions), each asserting what the chapter says.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use gort::diag::Failure;
use gort::sync::{Mutex, RwLock};
use gort::{chan, go, sched, sim, time};

// ANCHOR: copied
fn copies_not_shares() -> (u64, u64, u64) {
    let mut counter: u64 = 0;
    // `move` copies the u64 into each closure: two private counters, no sharing.
    let a = go(move || {
        counter += 1;
        counter
    });
    let b = go(move || {
        counter += 1;
        counter
    });
    (a.join().unwrap(), b.join().unwrap(), counter)
}

#[test]
fn move_copies_a_counter() {
    let report = sim::run(&sim::Config::default(), copies_not_shares);
    // Each thread saw its own copy go from 0 to 1; main's counter never moved.
    assert_eq!(report.unwrap(), (1, 1, 0));
}
// ANCHOR_END: copied

// ANCHOR: racy
/// Increments per thread, as in article 004.
const ITERS: u64 = 1000;

/// Adds one to `counter`, `ITERS` times, the way `counter++` does: read, then write.
/// The read and the write are each atomic; the pair is not.
fn add_racy(counter: &AtomicU64) {
    for _ in 0..ITERS {
        let seen = counter.load(Ordering::SeqCst);
        sched::yield_now(); // a scheduling point: another thread may run here
        counter.store(seen + 1, Ordering::SeqCst);
    }
}

/// Two threads count to 2 × ITERS. The second one first does `head_start` steps of other
/// work (each `yield_now` stands for any scheduling point: a send, a lock, a log line).
fn count_twice(head_start: usize) -> u64 {
    let counter = Arc::new(AtomicU64::new(0));
    let first = {
        let counter = counter.clone();
        go(move || add_racy(&counter))
    };
    let second = {
        let counter = counter.clone();
        go(move || {
            for _ in 0..head_start {
                sched::yield_now();
            }
            add_racy(&counter);
        })
    };
    first.join().unwrap();
    second.join().unwrap();
    counter.load(Ordering::SeqCst)
}
// ANCHOR_END: racy

// ANCHOR: find_seed
fn first_lost_update(head_start: usize) -> Option<(u64, u64)> {
    (0..1000).find_map(|seed| {
        let config = sim::Config::default().with_seed(seed);
        let count = sim::run(&config, || count_twice(head_start)).unwrap();
        (count < 2 * ITERS).then_some((seed, count))
    })
}
// ANCHOR_END: find_seed

#[test]
fn a_seed_loses_updates_and_replays() {
    // ANCHOR: replay
    let (seed, count) = first_lost_update(1100).expect("some seed loses an update");
    let config = sim::Config::default().with_seed(seed);
    let first = sim::run(&config, || count_twice(1100));
    let token = first.token().to_string();
    let again = sim::replay(&config, &token, || count_twice(1100)).unwrap();
    assert_eq!(again.value(), Some(&count)); // the same schedule loses the same updates
    assert!(again.replay_check().unwrap().reproduced());
    // ANCHOR_END: replay
    assert_eq!((seed, count), (61, 1999));
}

// ANCHOR: how_often
/// Of the seeds 0..1000, how many lose at least one update.
fn seeds_that_lose(head_start: usize) -> usize {
    (0..1000)
        .filter(|&seed| {
            let config = sim::Config::default().with_seed(seed);
            sim::run(&config, || count_twice(head_start)).unwrap() < 2 * ITERS
        })
        .count()
}
// ANCHOR_END: how_often

#[test]
fn races_hide() {
    // ANCHOR: table
    let table: Vec<(usize, usize)> =
        [0, 1050, 1100, 1150].into_iter().map(|h| (h, seeds_that_lose(h))).collect();
    assert_eq!(table, [(0, 1000), (1050, 156), (1100, 11), (1150, 1)]);
    // ANCHOR_END: table
}

// ANCHOR: locked
/// The same two threads, but each read-modify-write holds the lock from the read to the
/// write, yield included.
fn count_twice_locked(head_start: usize) -> u64 {
    let counter = Arc::new(Mutex::new(0u64));
    let handles: Vec<_> = [0, head_start]
        .into_iter()
        .map(|head_start| {
            let counter = counter.clone();
            go(move || {
                for _ in 0..head_start {
                    sched::yield_now();
                }
                for _ in 0..ITERS {
                    let mut n = counter.lock(); // a scheduling point; waits if held
                    let seen = *n;
                    sched::yield_now(); // others may run, but not in here
                    *n = seen + 1;
                } // `n` is dropped at the end of each iteration: unlocked
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    *counter.lock()
}
// ANCHOR_END: locked

#[test]
fn the_locked_counter_never_loses() {
    // ANCHOR: locked_check
    for head_start in [0, 1050, 1100, 1150] {
        for seed in 0..200 {
            let config = sim::Config::default().with_seed(seed);
            let count = sim::run(&config, || count_twice_locked(head_start)).unwrap();
            assert_eq!(count, 2 * ITERS);
        }
    }
    // And under 200 schedules of the explorer, which mixes scheduling strategies:
    let explored = sim::explore(&sim::Config::default(), 200, || {
        assert_eq!(count_twice_locked(1100), 2 * ITERS);
    });
    assert!(explored.is_ok());
    // ANCHOR_END: locked_check
    // The same budget finds the racy version's bug.
    let racy = sim::explore(&sim::Config::default(), 200, || {
        assert_eq!(count_twice(1100), 2 * ITERS);
    });
    assert!(racy.is_err());
}

#[test]
fn a_guard_unlocks_when_dropped() {
    sim::run(&sim::Config::default(), || {
        // ANCHOR: guard
        let names = Mutex::new(Vec::new());
        {
            let mut guard = names.lock(); // Go: mu.Lock(); defer mu.Unlock()
            guard.push("ana");
        } // the guard goes out of scope: unlocked
        names.lock().push("bo"); // a temporary guard, unlocked at the end of the statement
        let guard = names.lock();
        let snapshot = guard.clone();
        drop(guard); // unlock early, before doing anything slow with the copy
        assert_eq!(snapshot, ["ana", "bo"]);
        assert!(names.try_lock().is_some()); // free again
        // ANCHOR_END: guard
    })
    .unwrap();
}

// ANCHOR: span
const CALL: Duration = Duration::from_millis(100);

/// Holds the lock across a 100 ms call: the call is inside the critical section.
fn record_inside(hits: &Mutex<u64>) {
    let mut n = hits.lock();
    time::sleep(CALL); // stands for a network call
    *n += 1;
}

/// Makes the call first, then locks only to update.
fn record_outside(hits: &Mutex<u64>) {
    time::sleep(CALL);
    *hits.lock() += 1;
}

/// Three threads each record one hit; returns the virtual time it took.
fn three_at_once(record: fn(&Mutex<u64>)) -> Duration {
    let hits = Arc::new(Mutex::new(0));
    let start = time::now();
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let hits = hits.clone();
            go(move || record(&hits))
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(*hits.lock(), 3);
    start.elapsed()
}
// ANCHOR_END: span

#[test]
fn a_critical_section_that_spans_a_call_serialises() {
    // ANCHOR: span_check
    let inside = sim::run(&sim::Config::default(), || three_at_once(record_inside));
    let outside = sim::run(&sim::Config::default(), || three_at_once(record_outside));
    assert_eq!(inside.unwrap(), Duration::from_millis(300));
    assert_eq!(outside.unwrap(), Duration::from_millis(100));
    // ANCHOR_END: span_check
}

#[test]
fn gort_mutex_is_not_poisoned() {
    // ANCHOR: no_poison
    let report = sim::run(&sim::Config::default(), || {
        let log = Arc::new(Mutex::new(vec!["start"]));
        let worker = {
            let log = log.clone();
            go(move || {
                let mut log = log.lock();
                log.push("step 1");
                let n: u32 = "two".parse().expect("step 2 failed"); // panics, lock held
                log.push("step 2");
                n
            })
        };
        assert!(worker.join().is_err()); // the panic comes back to the joiner
        log.lock().clone() // not poisoned: the lock was released while unwinding
    });
    // The data is as the panicking thread left it: half done.
    assert_eq!(report.unwrap(), ["start", "step 1"]);
    // ANCHOR_END: no_poison
}

#[test]
fn std_mutex_is_poisoned() {
    // ANCHOR: std_poison
    let log = Arc::new(std::sync::Mutex::new(vec!["start"]));
    let worker = {
        let log = log.clone();
        std::thread::spawn(move || {
            let mut log = log.lock().unwrap();
            log.push("step 1");
            let n: u32 = "two".parse().expect("step 2 failed"); // panics, lock held
            log.push("step 2");
            n
        })
    };
    assert!(worker.join().is_err());
    assert!(log.is_poisoned());
    let err = log.lock().unwrap_err(); // every later lock() says so...
    let seen = err.into_inner().clone(); // ...and still hands over the data if asked
    assert_eq!(seen, ["start", "step 1"]);
    // ANCHOR_END: std_poison
}

#[test]
fn readers_share_a_rwlock() {
    // ANCHOR: rwlock
    let report = sim::run(&sim::Config::default(), || {
        let config = Arc::new(RwLock::new(String::from("v1")));
        let start = time::now();
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let config = config.clone();
                go(move || {
                    let c = config.read(); // shared: the three readers hold it together
                    time::sleep(Duration::from_millis(100));
                    c.len()
                })
            })
            .collect();
        readers.into_iter().for_each(|r| assert_eq!(r.join().unwrap(), 2));
        let reading = start.elapsed();

        let start = time::now();
        let writers: Vec<_> = (0..3)
            .map(|i| {
                let config = config.clone();
                go(move || {
                    let mut c = config.write(); // exclusive: one writer at a time
                    time::sleep(Duration::from_millis(100));
                    *c = format!("v{}", i + 2);
                })
            })
            .collect();
        writers.into_iter().for_each(|w| w.join().unwrap());
        (reading, start.elapsed())
    });
    let (reading, writing) = report.unwrap();
    assert_eq!(reading, Duration::from_millis(100)); // three readers overlap
    assert_eq!(writing, Duration::from_millis(300)); // three writers take turns
    // ANCHOR_END: rwlock
}

#[test]
fn confinement_needs_no_lock() {
    let report = sim::run(&sim::Config::default(), || {
        // ANCHOR: confined
        let (hits_tx, hits_rx) = chan::bounded::<&'static str>(0);
        // The owner: the only thread that ever touches the map, so the map needs no lock.
        let owner = go(move || {
            let mut hits: HashMap<&str, u64> = HashMap::new();
            for page in hits_rx {
                *hits.entry(page).or_insert(0) += 1;
            }
            hits // handed back when every sender is gone
        });
        let visitors: Vec<_> = ["home", "cart", "home", "home"]
            .into_iter()
            .map(|page| {
                let hits_tx = hits_tx.clone();
                go(move || hits_tx.send(page).unwrap())
            })
            .collect();
        drop(hits_tx);
        visitors.into_iter().for_each(|v| v.join().unwrap());
        let hits = owner.join().unwrap();
        // ANCHOR_END: confined
        (hits["home"], hits["cart"])
    });
    assert_eq!(report.unwrap(), (3, 1));
}

// ANCHOR: lock_order
/// Moves money from one balance to another, locking `from` first: the bug.
fn transfer_unordered(from: &Mutex<i64>, to: &Mutex<i64>, amount: i64) {
    let mut from = from.lock();
    let mut to = to.lock(); // waits for `to` while holding `from`
    *from -= amount;
    *to += amount;
}

fn opposite_transfers() {
    let a = Arc::new(Mutex::new(100));
    let b = Arc::new(Mutex::new(100));
    let b_to_a = {
        let (a, b) = (a.clone(), b.clone());
        go(move || transfer_unordered(&b, &a, 30))
    };
    transfer_unordered(&a, &b, 50); // a to b, at the same time
    b_to_a.join().unwrap();
}
// ANCHOR_END: lock_order

/// Asserts that chapter 04 shows `text` verbatim (in a ```text block), so the report printed
/// in the book is the one this run produces.
fn assert_chapter_shows(text: &str) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../src/04_mutex.md");
    let chapter = std::fs::read_to_string(path).expect("the chapter exists");
    assert!(chapter.contains(text.trim_end()), "04_mutex.md must show this report:\n{text}");
}

#[test]
fn opposite_lock_orders_deadlock() {
    // ANCHOR: lock_order_check
    let failing = sim::explore(&sim::Config::default(), 1000, opposite_transfers).unwrap_err();
    let Some(Failure::LockCycle(cycle)) = failing.failure() else {
        panic!("expected a lock cycle, got {failing}")
    };
    assert_eq!(cycle.len(), 2); // two threads, each waiting for the other's lock
    // ANCHOR_END: lock_order_check
    assert_chapter_shows(&failing.to_string());
}

// ANCHOR: ordered
/// Moves money between two of `accounts`, locking the lower index first whatever the
/// direction, and checking the balance under both locks.
fn transfer(accounts: &[Mutex<i64>], from: usize, to: usize, amount: i64) -> bool {
    if from == to {
        return true; // locking the same mutex twice would wait for ourselves
    }
    let (low, high) = (from.min(to), from.max(to));
    let mut low = accounts[low].lock();
    let mut high = accounts[high].lock();
    let (from_balance, to_balance) =
        if from < to { (&mut *low, &mut *high) } else { (&mut *high, &mut *low) };
    if *from_balance < amount {
        return false; // the check and the move happen under the same two locks
    }
    *from_balance -= amount;
    *to_balance += amount;
    true
}
// ANCHOR_END: ordered

#[test]
fn one_lock_order_never_deadlocks() {
    // ANCHOR: ordered_check
    let explored = sim::explore(&sim::Config::default(), 1000, || {
        let accounts = Arc::new([Mutex::new(100), Mutex::new(100)]);
        let b_to_a = {
            let accounts = accounts.clone();
            go(move || transfer(&*accounts, 1, 0, 30))
        };
        let a_to_b = transfer(&*accounts, 0, 1, 50);
        let b_to_a = b_to_a.join().unwrap();
        assert!(a_to_b && b_to_a);
        let total = *accounts[0].lock() + *accounts[1].lock();
        assert_eq!(total, 200); // no money made or lost
    });
    assert!(explored.is_ok());
    // ANCHOR_END: ordered_check
}
