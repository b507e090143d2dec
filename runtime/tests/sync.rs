//! `sync`: mutual exclusion, lock cycles, RwLock's writer preference, WaitGroup and Once.
//!
//! Both executors ([`common`]), except lock-cycle reports (sim only) and orders set up by sleeps.

mod common;

use std::sync::Arc;
use std::time::Duration;

use gort::diag::Failure;
use gort::sim::{self, Config};
use gort::sync::{Mutex, Once, RwLock, WaitGroup};
use gort::{go, par, sched, time};

fn lock_cycle(report: &gort::diag::Report<impl std::fmt::Debug>) -> Vec<String> {
    match report.failure() {
        Some(Failure::LockCycle(cycle)) => cycle.iter().map(|w| w.to_string()).collect(),
        other => panic!("expected a lock cycle, got {other:?}\n{report}"),
    }
}

#[test]
fn mutex_makes_increments_atomic_under_every_schedule() {
    common::explore_both(300, || {
        let n = Arc::new(Mutex::new(0));
        let hs: Vec<_> = (0..3)
            .map(|_| {
                let n = n.clone();
                go(move || {
                    for _ in 0..3 {
                        let mut g = n.lock();
                        let v = *g;
                        sched::yield_now(); // a preemption point inside the critical section
                        *g = v + 1;
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(*n.lock(), 9);
    });
}

#[test]
fn relocking_a_held_mutex_is_reported_at_once() {
    let report = sim::run(&Config::default(), || {
        let m = Mutex::new(());
        let _g = m.lock();
        let _again = m.lock();
    });
    let cycle = lock_cycle(&report);
    assert_eq!(cycle.len(), 1);
    let text = report.to_string();
    assert!(text.contains("which it already holds"), "{text}");
    assert!(text.contains("not reentrant"), "{text}");
}

#[test]
fn lock_order_inversion_names_both_threads_and_locks() {
    // Found by exploration: some schedule interleaves the two lock pairs.
    let err = sim::explore(&Config::default(), 500, || {
        let a = Arc::new(Mutex::new(()));
        let b = Arc::new(Mutex::new(()));
        let (a2, b2) = (a.clone(), b.clone());
        let h = go(move || {
            let _b = b2.lock();
            let _a = a2.lock();
        });
        {
            let _a = a.lock();
            let _b = b.lock();
        }
        h.join().unwrap();
    })
    .expect_err("some schedule deadlocks");
    let cycle = lock_cycle(&err);
    assert_eq!(cycle.len(), 2, "{cycle:?}");
    assert!(
        cycle.iter().any(|c| c.contains("#1 \"main\"")) && cycle.iter().any(|c| c.contains("#2"))
    );
    assert!(cycle.iter().all(|c| c.contains("sync.Mutex") && c.contains("held by")), "{cycle:?}");
}

#[test]
fn recursive_read_lock_with_a_queued_writer_is_a_cycle() {
    let report = sim::run(&Config::default(), || {
        let l = Arc::new(RwLock::new(0));
        let _r = l.read();
        let l2 = l.clone();
        let w = go(move || *l2.write() += 1);
        time::sleep(Duration::from_millis(1)); // the writer queues
        let _again = l.read(); // behind the writer, which waits for us
        drop(_r);
        w.join().unwrap();
    });
    let cycle = lock_cycle(&report);
    assert_eq!(cycle.len(), 2);
    assert!(cycle.iter().any(|c| c.contains("a writer waiting for it")), "{cycle:?}");
}

#[test]
fn rwlock_readers_share_and_a_waiting_writer_stops_new_readers() {
    let order = sim::run(&Config::default(), || {
        let l = Arc::new(RwLock::new(Vec::new()));
        let first = l.read();
        let l2 = l.clone();
        let writer = go(move || l2.write().push("writer"));
        time::sleep(Duration::from_millis(1)); // writer now waits for `first`
        let l3 = l.clone();
        let reader = go(move || {
            let g = l3.read(); // must queue behind the writer
            g.clone()
        });
        time::sleep(Duration::from_millis(1));
        assert!(l.try_read().is_none(), "a new reader got in ahead of a waiting writer");
        drop(first);
        writer.join().unwrap();
        reader.join().unwrap()
    })
    .unwrap();
    assert_eq!(order, ["writer"]);
}

#[test]
fn mutex_waiters_are_served_in_arrival_order() {
    let order = sim::run(&Config::default(), || {
        let m = Arc::new(Mutex::new(Vec::new()));
        let held = m.lock();
        let hs: Vec<_> = (0..4)
            .map(|i| {
                let m = m.clone();
                let h = go(move || m.lock().push(i));
                time::sleep(Duration::from_millis(1)); // thread i queues before i + 1
                h
            })
            .collect();
        drop(held);
        hs.into_iter().for_each(|h| h.join().unwrap());
        m.lock().clone()
    })
    .unwrap();
    assert_eq!(order, [0, 1, 2, 3]);
}

#[test]
fn waitgroup_negative_counter_panics_like_go() {
    let report = sim::run(&Config::default(), || WaitGroup::new().done());
    match report.failure() {
        Some(Failure::Panic(p)) => assert_eq!(p.message, "sync: negative WaitGroup counter"),
        other => panic!("{other:?}"),
    }
    let err = par::run(&common::par_config(), || WaitGroup::new().done()).unwrap_err();
    match err.failure() {
        Failure::Panic(p) => assert_eq!(p.message, "sync: negative WaitGroup counter"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn waitgroup_wait_sees_every_worker_done_under_every_schedule() {
    common::explore_both(300, || {
        let wg = WaitGroup::new();
        let seen = Arc::new(Mutex::new(0));
        for _ in 0..3 {
            let seen = seen.clone();
            wg.go(move || *seen.lock() += 1);
        }
        wg.wait();
        assert_eq!(*seen.lock(), 3);
    });
}

#[test]
fn missing_done_is_a_deadlock_naming_the_waitgroup() {
    let program = || {
        let wg = WaitGroup::new();
        wg.add(2);
        let wg2 = wg.clone();
        go(move || wg2.done()).join().unwrap();
        wg.wait();
    };
    let report = sim::run(&Config::default(), program);
    assert_eq!(report.failure(), Some(&Failure::Deadlock));
    let text = report.to_string();
    assert!(text.contains("waiting for sync.WaitGroup"), "{text}");
    // The parallel executor names the operation, not the object.
    let err = par::run(&common::par_config(), program).unwrap_err();
    assert_eq!(err.failure(), &Failure::Deadlock);
    assert!(err.to_string().contains("WaitGroup"), "{err}");
}

#[test]
fn once_runs_once_and_a_panic_counts_as_done() {
    common::explore_both(200, || {
        let once = Arc::new(Once::new());
        let calls = Arc::new(Mutex::new(0));
        let hs: Vec<_> = (0..3)
            .map(|i| {
                let (once, calls) = (once.clone(), calls.clone());
                go(move || {
                    once.call_once(|| {
                        *calls.lock() += 1;
                        if i < 3 {
                            panic!("init failed");
                        }
                    })
                })
            })
            .collect();
        let failed = hs.into_iter().map(|h| h.join().is_err()).filter(|&e| e).count();
        assert_eq!(failed, 1, "exactly the thread that ran the function panics");
        assert!(once.is_completed());
        assert_eq!(*calls.lock(), 1);
    });
}

#[test]
fn mains_own_panic_is_reported_when_it_unwinds_past_a_panicked_threads_handle() {
    let program = || {
        let wg = WaitGroup::new();
        let _task = wg.go(|| panic!("task failed"));
        wg.wait();
        panic!("check in main failed");
    };
    let report = sim::run(&Config::default(), program);
    let text = report.to_string();
    assert!(text.contains("check in main failed"), "{text}");
    let err = par::run(&common::par_config(), program).unwrap_err();
    assert!(err.to_string().contains("check in main failed"), "{err}");
}
