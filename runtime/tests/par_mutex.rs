//! `sync::Mutex` on the parallel executor, where it is Go's algorithm (barging, brief
//! spinning, starvation mode): mutual exclusion under contention, starvation mode's bound on
//! a waiter's wait, `try_lock` as Go's `TryLock`, unlocking while unwinding, a lock held
//! across a park, and a relock reported as a deadlock.
//!
//! Par only: under the deterministic executor `Mutex` is a FIFO hand-off (tests/sync.rs).

mod common;

use common::{ms, on, within};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use gort::diag::Failure;
use gort::sync::Mutex;
use gort::{chan, go, par, sched, time};

/// `threads` threads each add 1 `each` times to a counter behind one mutex, with a read,
/// a pause and a write inside the critical section (a lost update if two overlap); every
/// fourth thread takes the lock with `try_lock` (and yields when it fails). Returns the
/// total and how many times a thread entered while another was inside.
fn hammer(carriers: usize, threads: u64, each: u64) -> (u64, u64) {
    within(Duration::from_secs(60), move || {
        par::run(&on(carriers), move || {
            let counter = Arc::new(Mutex::new(0u64));
            let inside = Arc::new(AtomicUsize::new(0));
            let overlaps = Arc::new(AtomicU64::new(0));
            let hs: Vec<_> = (0..threads)
                .map(|i| {
                    let (counter, inside, overlaps) =
                        (counter.clone(), inside.clone(), overlaps.clone());
                    go(move || {
                        for _ in 0..each {
                            let mut g = if i % 4 == 3 {
                                loop {
                                    match counter.try_lock() {
                                        Some(g) => break g,
                                        None => sched::yield_now(),
                                    }
                                }
                            } else {
                                counter.lock()
                            };
                            if inside.fetch_add(1, SeqCst) != 0 {
                                overlaps.fetch_add(1, SeqCst);
                            }
                            let v = std::hint::black_box(*g);
                            for _ in 0..8 {
                                std::hint::spin_loop();
                            }
                            *g = v + 1;
                            inside.fetch_sub(1, SeqCst);
                        }
                    })
                })
                .collect();
            hs.into_iter().for_each(|h| h.join().unwrap());
            let total = *counter.lock();
            (total, overlaps.load(SeqCst))
        })
        .unwrap_or_else(|e| panic!("{e}"))
    })
}

#[test]
fn many_threads_on_two_carriers_lose_no_update() {
    let (total, overlaps) = hammer(2, 64, 2_000);
    assert_eq!(overlaps, 0, "two threads held the mutex at once");
    assert_eq!(total, 64 * 2_000);
}

#[test]
fn many_threads_on_four_carriers_lose_no_update() {
    let (total, overlaps) = hammer(4, 100, 1_000);
    assert_eq!(overlaps, 0, "two threads held the mutex at once");
    assert_eq!(total, 100 * 1_000);
}

/// Two threads take the lock again the moment they release it, and sleep while holding it.
/// In normal mode the releaser always wins (the waiter it wakes cannot run before the
/// releaser parks, by which time it holds the lock again), so a third thread gets the lock
/// only through starvation mode: after it has waited 1 ms, an unlock hands the lock to it.
#[test]
fn a_starving_waiter_gets_the_lock_while_two_threads_hammer_it() {
    const GIVE_UP: Duration = Duration::from_secs(5);
    let (waited, hammering) = within(Duration::from_secs(30), || {
        par::run(&on(2), || {
            let m = Arc::new(Mutex::new(0u64));
            let stop = Arc::new(AtomicBool::new(false));
            let (started, running) = chan::bounded::<()>(2);
            let hammers: Vec<_> = (0..2)
                .map(|_| {
                    let (m, stop, started) = (m.clone(), stop.clone(), started.clone());
                    go(move || {
                        let since = Instant::now();
                        let mut first = true;
                        // Bounded: a mutex without starvation mode fails the test, not hangs.
                        while !stop.load(SeqCst) && since.elapsed() < GIVE_UP {
                            let mut g = m.lock();
                            *g += 1;
                            if first {
                                started.send(()).unwrap();
                                first = false;
                            }
                            time::sleep(ms(2));
                        }
                    })
                })
                .collect();
            running.recv().unwrap();
            running.recv().unwrap();
            let start = Instant::now();
            let g = m.lock();
            let waited = start.elapsed();
            // Still hammering when we got it (not only once a hammer gave up).
            let hammering = !hammers.iter().any(|h| h.is_finished());
            stop.store(true, SeqCst);
            drop(g);
            hammers.into_iter().for_each(|h| h.join().unwrap());
            (waited, hammering)
        })
        .unwrap_or_else(|e| panic!("{e}"))
    });
    assert!(hammering, "the waiter got the lock only after a hammering thread gave up");
    assert!(waited < Duration::from_secs(2), "the waiter waited {waited:?}");
}

/// Go's `TryLock`: fails while the lock is held, succeeds when it is free even if a woken
/// waiter has not run yet (barging, normal mode), and fails in starvation mode even when
/// nobody holds the lock (it is reserved for the first waiter).
#[test]
fn try_lock_barges_in_normal_mode_but_not_in_starvation_mode() {
    let seen = within(Duration::from_secs(30), || {
        par::run(&on(2), || {
            let m = Arc::new(Mutex::new(Vec::new()));
            let held = m.lock();
            let m2 = m.clone();
            let waiter = go(move || m2.lock().push("waiter"));
            time::sleep(ms(20)); // the waiter queues and parks, and waits past 1 ms
            let mut seen = vec![m.try_lock().is_none()]; // held: true
            drop(held); // normal mode: wakes the waiter, which runs when this thread parks
            let mut barged = m.try_lock();
            seen.push(barged.is_some()); // free, waiter not yet running: true
            if let Some(g) = barged.as_mut() {
                g.push("main");
            }
            // The waiter runs, fails, and (having starved) switches to starvation mode.
            time::sleep(ms(5));
            drop(barged); // starvation mode: the lock goes to the waiter
            seen.push(m.try_lock().is_none()); // reserved for the waiter: true
            m.lock().push("main again");
            waiter.join().unwrap();
            let order = m.lock().clone();
            seen.push(order == ["main", "waiter", "main again"]);
            seen.push(m.try_lock().is_some()); // free, nobody waiting: true
            seen
        })
        .unwrap_or_else(|e| panic!("{e}"))
    });
    assert_eq!(
        seen, [true; 5],
        "[held fails, barging succeeds, starving fails, order, free succeeds]"
    );
}

/// A thread that panics while holding the lock releases it as its guard drops during the
/// unwinding, and a waiter parked meanwhile gets it.
#[test]
fn a_panicking_holder_releases_the_lock_to_a_parked_waiter() {
    let (panicked, value, fresh) = within(Duration::from_secs(30), || {
        par::run(&on(2), || {
            let m = Arc::new(Mutex::new(0u64));
            let (locked_tx, locked) = chan::unbuffered::<()>();
            let m1 = m.clone();
            let doomed = go(move || {
                let mut g = m1.lock();
                *g = 1;
                locked_tx.send(()).unwrap();
                time::sleep(ms(20)); // the waiter parks meanwhile
                panic!("holding the lock");
            });
            locked.recv().unwrap();
            let m2 = m.clone();
            let waiter = go(move || {
                let mut g = m2.lock();
                *g += 10;
                *g
            });
            let panicked = doomed.join().is_err();
            let value = waiter.join().unwrap();
            let fresh = m.try_lock().is_some();
            (panicked, value, fresh)
        })
        .unwrap_or_else(|e| panic!("{e}"))
    });
    assert!(panicked);
    assert_eq!(value, 11, "the waiter saw the panicking holder's write");
    assert!(fresh, "the lock is free after the waiter");
}

/// The holder sleeps and parks with the lock held; the others wait (parked, not spinning
/// for ever) and each get it once it is released.
#[test]
fn a_lock_is_held_across_a_sleep_and_a_park() {
    let (order, elapsed) = within(Duration::from_secs(30), || {
        par::run(&on(2), || {
            let m = Arc::new(Mutex::new(Vec::new()));
            let start = Instant::now();
            let mut g = m.lock();
            let waiters: Vec<_> = (0..4)
                .map(|i| {
                    let m = m.clone();
                    go(move || m.lock().push(i))
                })
                .collect();
            time::sleep(ms(30));
            let me = sched::current();
            let woken = Arc::new(AtomicBool::new(false));
            let woken2 = woken.clone();
            let waker = go(move || {
                time::sleep(ms(10));
                woken2.store(true, SeqCst);
                me.unpark();
            });
            while !woken.load(SeqCst) {
                sched::park(); // parked with the lock held
            }
            g.push(99);
            drop(g);
            waiters.into_iter().for_each(|h| h.join().unwrap());
            waker.join().unwrap();
            let elapsed = start.elapsed();
            let order = m.lock().clone();
            (order, elapsed)
        })
        .unwrap_or_else(|e| panic!("{e}"))
    });
    assert_eq!(order.first(), Some(&99), "a waiter got in while the holder slept: {order:?}");
    let mut rest = order[1..].to_vec();
    rest.sort_unstable();
    assert_eq!(rest, [0, 1, 2, 3]);
    assert!(elapsed >= ms(40), "released after {elapsed:?}");
}

/// Go would hang on a relock and report a deadlock once everything sleeps; so does `par`.
#[test]
fn relocking_a_held_mutex_is_a_deadlock() {
    let err = within(Duration::from_secs(30), || {
        par::run(&on(2), || {
            let m = Mutex::new(0);
            let _g = m.lock();
            let _again = m.lock();
        })
        .unwrap_err()
    });
    assert_eq!(err.failure(), &Failure::Deadlock, "{err}");
    assert!(err.to_string().contains("green thread #1 \"main\" [sync.Mutex.Lock]"), "{err}");
}
