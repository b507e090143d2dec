//! Port of src/sync/waitgroup_test.go: `WaitGroup` as a barrier, its misuse panic and `wg.Go`.
//!
//! The programs check that `wait` returns exactly when the counter reaches zero (never before:
//! a goroutine released early shows up in a non-blocking receive; never later: the run would
//! deadlock), that a group can be reused round after round, that one `done` too many panics
//! with Go's message, and that Go 1.25's `wg.Go` counts its task until the closure returns.
//! Deviations: `add` takes a `usize`, so Go's negative deltas become extra `done()` calls; Go
//! passes `*WaitGroup`, here each green thread gets a clone sharing the counter; every thread
//! is joined before main returns (a run fails on a live thread); `TestWaitGroupRace`'s 1,000
//! rounds are scaled down to 250 per schedule because every program runs under 200 schedules.
//!
//! Ported:
//! * `TestWaitGroup`: two groups as a two-phase barrier, reused for several rounds.
//! * `TestWaitGroupMisuse`: one `done` too many panics "sync: negative WaitGroup counter".
//! * `TestWaitGroupMisuse2`, `TestWaitGroupMisuse3`: their programs (an `add` racing a `wait`,
//!   reuse before an earlier `wait` returned), which Go detects only opportunistically, are
//!   well defined here (gort makes no such check: a `wait` returns once the counter has been
//!   zero after it started), so the port asserts they complete under every schedule.
//! * `TestWaitGroupRace`: `wait` never returns before both workers are done.
//! * `TestWaitGroupAlign`: a group inside a struct next to a byte, shared by pointer (`Arc`).
//! * `TestWaitGroupGo` (added in Go 1.25): 1,000 `wg.go` tasks have all finished when `wait`
//!   returns; beyond upstream, nested `wg.go` calls and a panicking task are counted too.
//!
//! Also here: one `done` too many in a goroutine panics that goroutine (its `join` says so;
//! unjoined, it fails the run).
//!
//! Skipped:
//! * `Benchmark*`: benchmarks, not semantics.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use gort::chan;
use gort::diag::Failure;
use gort::par;
use gort::sim::{self, Config};
use gort::sync::WaitGroup;
use gort::{go, select};

/// Goroutines per barrier round, as in Go.
const N: usize = 16;
/// Rounds reusing the same two groups, as in Go.
const ROUNDS: usize = 8;

/// One round of the two-phase barrier: every goroutine passes `wg1`, then all are held at
/// `wg2` until main has called `done` on it `N` times.
fn barrier_round(wg1: &WaitGroup, wg2: &WaitGroup) {
    wg1.add(N);
    wg2.add(N);
    let (exited_tx, exited) = chan::bounded::<bool>(N);
    let workers: Vec<_> = (0..N)
        .map(|_| {
            let (wg1, wg2, exited_tx) = (wg1.clone(), wg2.clone(), exited_tx.clone());
            go(move || {
                wg1.done();
                wg2.wait();
                exited_tx.send(true).unwrap();
            })
        })
        .collect();
    drop(exited_tx);
    wg1.wait();
    for _ in 0..N {
        let early = select! {
            recv(exited) => true,
            default => false,
        };
        assert!(!early, "WaitGroup released group too soon");
        wg2.done();
    }
    for _ in 0..N {
        // Blocks (a deadlock) if the barrier failed to release someone.
        assert!(exited.recv().unwrap());
    }
    workers.into_iter().for_each(|w| w.join().unwrap());
}

#[test]
fn wait_group() {
    crate::conform(|| {
        let wg1 = WaitGroup::new();
        let wg2 = WaitGroup::new();
        for _ in 0..ROUNDS {
            barrier_round(&wg1, &wg2);
        }
    });
}

fn expect_negative_counter_panic<T: std::fmt::Debug>(report: &gort::diag::Report<T>) {
    expect_negative_counter_failure(report.failure().expect("the run failed"), report);
}

/// The same, for either executor's failure (`shown` is the whole report or error).
fn expect_negative_counter_failure(failure: &Failure, shown: &dyn std::fmt::Display) {
    match failure {
        Failure::Panic(p) => {
            assert_eq!(p.message, "sync: negative WaitGroup counter", "{shown}");
            assert!(p.location.as_deref().is_some_and(|l| l.contains(".rs:")), "{shown}");
        }
        other => panic!("expected the negative-counter panic, got {other:?}\n{shown}"),
    }
}

#[test]
fn wait_group_misuse() {
    let reached = Arc::new(AtomicBool::new(false));
    let program = || {
        let wg = WaitGroup::new();
        wg.add(1);
        wg.done();
        wg.done(); // Go's wg.Add(-1) after the counter reached zero
        reached.store(true, Ordering::SeqCst);
    };
    let report = sim::run(&Config::default(), program);
    expect_negative_counter_panic(&report);
    let err = par::run(&par::Config::default().with_processors(2), program).unwrap_err();
    expect_negative_counter_failure(err.failure(), &err);
    assert!(!reached.load(Ordering::SeqCst), "the extra done did not panic");
}

#[test]
fn wait_group_misuse_in_a_goroutine_panics_that_goroutine() {
    crate::conform(|| {
        let wg = WaitGroup::new();
        wg.add(1);
        let wg2 = wg.clone();
        let h = go(move || {
            wg2.done();
            wg2.done();
        });
        wg.wait();
        let err = h.join().expect_err("one done too many must panic");
        assert_eq!(err.message(), "sync: negative WaitGroup counter");
    });
    // Left unjoined, the same panic fails the run.
    let program = || {
        let wg = WaitGroup::new();
        let _h = go(move || wg.done());
        gort::time::sleep(std::time::Duration::from_millis(1)); // the goroutine runs first
    };
    expect_negative_counter_panic(&sim::run(&Config::default(), program));
    let err = par::run(&par::Config::default().with_processors(2), program).unwrap_err();
    expect_negative_counter_failure(err.failure(), &err);
}

#[test]
fn wait_group_misuse2_add_racing_wait_is_well_defined() {
    crate::conform(|| {
        let wg = WaitGroup::new();
        wg.add(1);
        let w = wg.clone();
        let waiter = go(move || w.wait());
        let a = wg.clone();
        let adder = go(move || {
            a.add(1); // Go's "bad guy": may run while `waiter` waits
            a.done();
        });
        wg.done();
        waiter.join().unwrap();
        adder.join().unwrap();
        wg.wait();
    });
}

#[test]
fn wait_group_misuse3_reuse_before_wait_returns_is_well_defined() {
    crate::conform(|| {
        let wg = WaitGroup::new();
        wg.add(1);
        let d = wg.clone();
        let first = go(move || d.done());
        let r = wg.clone();
        let reuser = go(move || {
            r.wait();
            // Start a new round before main's wait below has necessarily returned.
            r.add(1);
            let d = r.clone();
            let second = go(move || d.done());
            r.wait();
            second.join().unwrap();
        });
        wg.wait();
        first.join().unwrap();
        reuser.join().unwrap();
        wg.wait();
    });
}

/// Rounds of `TestWaitGroupRace` per schedule (Go runs 1,000 rounds under one schedule).
const RACE_ROUNDS: usize = 250;

#[test]
fn wait_group_race() {
    crate::conform(|| {
        for _ in 0..RACE_ROUNDS {
            let wg = WaitGroup::new();
            let n = Arc::new(AtomicI32::new(0));
            let workers: Vec<_> = (0..2)
                .map(|_| {
                    wg.add(1);
                    let (wg, n) = (wg.clone(), n.clone());
                    go(move || {
                        n.fetch_add(1, Ordering::SeqCst);
                        wg.done();
                    })
                })
                .collect();
            wg.wait();
            assert_eq!(n.load(Ordering::SeqCst), 2, "spurious wakeup from wait");
            workers.into_iter().for_each(|w| w.join().unwrap());
        }
    });
}

#[test]
fn wait_group_align() {
    struct X {
        x: u8,
        wg: WaitGroup,
    }
    crate::conform(|| {
        let x = Arc::new(X { x: 7, wg: WaitGroup::new() });
        x.wg.add(1);
        let x2 = x.clone();
        let h = go(move || {
            assert_eq!(x2.x, 7);
            x2.wg.done();
        });
        x.wg.wait();
        h.join().unwrap();
    });
}

/// Tasks started with `wg.go`.
const GO_TASKS: i32 = 1000;

#[test]
fn wait_group_go() {
    crate::conform(|| {
        let wg = WaitGroup::new();
        let n = Arc::new(AtomicI32::new(0));
        let handles: Vec<_> = (0..GO_TASKS)
            .map(|_| {
                let n = n.clone();
                wg.go(move || {
                    n.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        wg.wait();
        assert_eq!(n.load(Ordering::SeqCst), GO_TASKS, "wait returned before every task finished");
        handles.into_iter().for_each(|h| h.join().unwrap());
    });
}

#[test]
fn wait_group_go_counts_nested_and_panicking_tasks() {
    crate::conform(|| {
        let wg = WaitGroup::new();
        let n = Arc::new(AtomicI32::new(0));
        let (n1, wg1) = (n.clone(), wg.clone());
        let outer = wg.go(move || {
            n1.fetch_add(1, Ordering::SeqCst);
            // The counter is positive here, so this go may race with main's wait.
            let n2 = n1.clone();
            wg1.go(move || {
                n2.fetch_add(1, Ordering::SeqCst);
                6 * 7
            })
        });
        let n3 = n.clone();
        let panicky = wg.go(move || {
            n3.fetch_add(1, Ordering::SeqCst);
            panic!("task failed");
        });
        wg.wait();
        let seen = n.load(Ordering::SeqCst);
        // Join the panicked task before any check, so a failed check is what the report shows.
        assert_eq!(panicky.join().unwrap_err().message(), "task failed");
        assert_eq!(seen, 3, "wait returned before every task, nested ones included, finished");
        let inner = outer.join().unwrap();
        assert_eq!(inner.join().unwrap(), 42);
    });
}
