//! `sync::atomic`: every operation is a scheduling point of the deterministic executor, so
//! its races are found and replayed; on the parallel executor the atomics stay exact.

mod common;

use common::on_par;

use std::sync::Arc;

use gort::diag::{ObjectKind, Op};
use gort::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering::SeqCst};
use gort::{go, sim};

/// Two threads each add one with a load then a store: the update one of them makes can be
/// lost, with no `yield_now` in between (the load and the store are the scheduling points).
fn load_then_store() {
    let n = Arc::new(AtomicU64::new(0));
    let hs: Vec<_> = (0..2)
        .map(|_| {
            let n = n.clone();
            go(move || {
                let v = n.load(SeqCst);
                n.store(v + 1, SeqCst);
            })
        })
        .collect();
    hs.into_iter().for_each(|h| h.join().unwrap());
    assert_eq!(n.load(SeqCst), 2, "lost update");
}

#[test]
fn explore_finds_the_load_then_store_lost_update_and_replays_it() {
    let config = sim::Config::default();
    let failure = sim::explore(&config, 200, load_then_store)
        .expect_err("explore found no lost update: nothing ran between a load and its store");
    assert!(failure.to_string().contains("lost update"), "{failure}");
    assert!(failure.replay_check().unwrap().reproduced());
    let token = failure.token().to_string();
    let again = sim::replay(&config, &token, load_then_store).unwrap();
    assert!(again.to_string().contains("lost update"), "{again}");
    assert!(again.replay_check().unwrap().reproduced());
}

#[test]
fn fetch_add_has_no_lost_update_in_any_schedule() {
    sim::explore(&sim::Config::default(), 200, || {
        let n = Arc::new(AtomicI32::new(0));
        let hs: Vec<_> = (0..3)
            .map(|_| {
                let n = n.clone();
                go(move || {
                    n.fetch_add(1, SeqCst);
                    n.add(1);
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(n.load(SeqCst), 6);
    })
    .unwrap();
}

#[test]
fn each_operation_is_recorded_with_its_kind_and_object() {
    let report = sim::run(&sim::Config::default(), || {
        let b = AtomicBool::new(false);
        b.store(true, SeqCst);
        let _ = b.compare_exchange(true, false, SeqCst, SeqCst);
        b.swap(true, SeqCst);
        b.load(SeqCst)
    });
    let trace = report.trace();
    let ops: Vec<_> = trace
        .events()
        .filter(|e| matches!(e.op, Op::Other(name) if name.starts_with("atomic.")))
        .collect();
    let names: Vec<_> = ops.iter().map(|e| e.op.to_string()).collect();
    assert_eq!(names, ["atomic.Store", "atomic.CompareAndSwap", "atomic.Swap", "atomic.Load"]);
    let object = trace.object(ops[0].object.expect("an atomic's op names it")).unwrap();
    assert_eq!(object.kind(), ObjectKind::Other("atomic.Bool"));
    assert!(ops.iter().all(|e| e.object == ops[0].object));
    assert!(report.unwrap());
}

#[test]
fn fetch_add_from_many_parallel_threads_is_exact() {
    const THREADS: usize = 8;
    const EACH: usize = 10_000;
    let total = on_par(|| {
        let n = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..THREADS)
            .map(|_| {
                let n = n.clone();
                go(move || {
                    for _ in 0..EACH {
                        n.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        n.load(SeqCst)
    });
    assert_eq!(total, THREADS * EACH);
}

#[test]
fn an_atomic_outside_any_run_is_a_plain_atomic() {
    let n = AtomicU64::new(1);
    assert_eq!(n.add(1), 2);
    assert_eq!(n.swap(5, SeqCst), 2);
    assert_eq!(format!("{n:?}"), "5");
}
