//! Listings of chapter 02 (WaitGroup): add/done/wait, wg.go, counting too late, the done guard.

// ANCHOR: imports
use gort::sched::JoinHandle;
use gort::sync::WaitGroup;
use gort::{go, sim, time};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
// ANCHOR_END: imports

use gort::diag::Failure;

/// Asserts that the chapter shows `text` (in a ```text block), so the report printed in the
/// book is the one this run produces. Trailing spaces are ignored.
fn assert_chapter_shows(text: &str) {
    let trim = |s: &str| s.lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../src/02_wait_group.md");
    let chapter = std::fs::read_to_string(path).expect("the chapter exists");
    assert!(
        trim(&chapter).contains(trim(text).trim_end()),
        "02_wait_group.md must show this report:\n{text}"
    );
}

// ANCHOR: fetch_service
/// The articles' `fetchService`: a network call, so it waits (sleeps) rather than computes.
fn fetch_service(name: &str, latency: Duration) -> String {
    time::sleep(latency);
    format!("{name}: ok")
}
// ANCHOR_END: fetch_service

// ANCHOR: add_done_wait
fn fetch_three() -> Vec<String> {
    let replies = Arc::new(Mutex::new(Vec::new()));
    let wg = WaitGroup::new();
    wg.add(3); // Go: wg.Add(3), before any work starts
    for name in ["users", "orders", "inventory"] {
        let (wg, replies) = (wg.clone(), Arc::clone(&replies));
        go(move || {
            let reply = fetch_service(name, Duration::from_millis(200));
            replies.lock().unwrap().push(reply);
            wg.done(); // Go: wg.Done()
        });
    }
    wg.wait(); // Go: wg.Wait(): blocks until the counter is back to zero
    replies.lock().unwrap().clone()
}

#[test]
fn three_calls_take_the_slowest() {
    let report = sim::run(&sim::Config::default(), || {
        let replies = fetch_three();
        (replies.len(), time::now().elapsed_since_start())
    });
    assert_eq!(report.unwrap(), (3, Duration::from_millis(200))); // not 600 ms
}
// ANCHOR_END: add_done_wait

// ANCHOR: sequential
#[test]
fn one_after_another_takes_the_sum() {
    let report = sim::run(&sim::Config::default(), || {
        for name in ["users", "orders", "inventory"] {
            fetch_service(name, Duration::from_millis(200));
        }
        time::now().elapsed_since_start()
    });
    assert_eq!(report.unwrap(), Duration::from_millis(600));
}
// ANCHOR_END: sequential

// ANCHOR: wg_go
fn fetch_all(services: &[(&'static str, u64)]) -> Vec<String> {
    let replies = Arc::new(Mutex::new(Vec::new()));
    let wg = WaitGroup::new();
    for &(name, ms) in services {
        let replies = Arc::clone(&replies);
        // Go 1.25: wg.Go(func() { ... }). Counts, spawns, and calls done when the closure ends.
        wg.go(move || {
            let reply = fetch_service(name, Duration::from_millis(ms));
            replies.lock().unwrap().push(reply);
        });
    }
    wg.wait();
    let mut replies = replies.lock().unwrap().clone();
    replies.sort(); // they arrive in completion order
    replies
}
// ANCHOR_END: wg_go

#[test]
fn wg_go_counts_spawns_and_finishes() {
    let report = sim::run(&sim::Config::default(), || {
        let replies = fetch_all(&[("users", 100), ("orders", 300), ("inventory", 200)]);
        (replies, time::now().elapsed_since_start())
    });
    let (replies, elapsed) = report.unwrap();
    assert_eq!(replies, ["inventory: ok", "orders: ok", "users: ok"]);
    assert_eq!(elapsed, Duration::from_millis(300));
}

// ANCHOR: add_too_late
/// Go's classic bug: the counter is incremented inside the new thread.
fn count_inside_the_thread() -> (usize, Duration) {
    let wg = WaitGroup::new();
    let finished = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        let (wg, finished) = (wg.clone(), Arc::clone(&finished));
        go(move || {
            wg.add(1); // BUG: too late, wait may already have seen zero
            time::sleep(Duration::from_millis(100));
            finished.fetch_add(1, Ordering::SeqCst);
            wg.done();
        });
    }
    wg.wait();
    (finished.load(Ordering::SeqCst), time::now().elapsed_since_start())
}

#[test]
fn counting_inside_the_thread_depends_on_the_schedule() {
    let config = sim::Config::default().with_fail_on_leak(false); // list leaks, don't fail
    let run = |seed| sim::run(&config.clone().with_seed(seed), count_inside_the_thread);

    // Seed 0: every worker ran its add before main's wait looked: it seems to work.
    assert_eq!(run(0).unwrap(), (3, Duration::from_millis(100)));

    // Seed 162: main's wait looked first, saw zero and returned at once.
    let early = run(162);
    assert_eq!(early.value(), Some(&(0, Duration::ZERO)));
    assert_eq!(early.leaked().count(), 3); // the three workers were abandoned
}
// ANCHOR_END: add_too_late

#[test]
fn seeds_before_162_look_right() {
    let config = sim::Config::default().with_fail_on_leak(false);
    for seed in 0..162 {
        let report = sim::run(&config.clone().with_seed(seed), count_inside_the_thread);
        assert_eq!(report.unwrap(), (3, Duration::from_millis(100)), "seed {seed}");
    }
}

// ANCHOR: explore
#[test]
fn exploring_finds_the_early_wait() {
    let failing = sim::explore(&sim::Config::default(), 100, count_inside_the_thread)
        .expect_err("some schedule lets wait see zero");
    assert_eq!(failing.failure(), Some(&Failure::Leak { count: 3 }));
    assert!(failing.replay_check().unwrap().reproduced()); // its token replays it
}
// ANCHOR_END: explore

#[test]
fn exploring_needs_twelve_schedules() {
    assert!(sim::explore(&sim::Config::default(), 11, count_inside_the_thread).is_ok());
    assert!(sim::explore(&sim::Config::default(), 12, count_inside_the_thread).is_err());
}

// ANCHOR: done_guard
/// Three workers; worker 1 panics. The guard calls done on the way out either way.
fn guarded_workers() -> (Duration, Vec<bool>) {
    let wg = WaitGroup::new();
    let handles: Vec<JoinHandle<()>> = [100, 200, 300]
        .into_iter()
        .enumerate()
        .map(|(id, ms)| {
            wg.add(1);
            let done = wg.done_guard(); // Go: defer wg.Done()
            go(move || {
                let _done = done; // dropped when the closure returns or unwinds
                time::sleep(Duration::from_millis(ms));
                if id == 1 {
                    panic!("worker {id} failed");
                }
            })
        })
        .collect();
    wg.wait(); // returns at 300 ms, although worker 1 never finished its work
    let at = time::now().elapsed_since_start();
    let succeeded = handles.into_iter().map(|h| h.join().is_ok()).collect();
    (at, succeeded)
}

#[test]
fn the_guard_calls_done_on_a_panic() {
    let report = sim::run(&sim::Config::default(), guarded_workers);
    assert_eq!(report.unwrap(), (Duration::from_millis(300), vec![true, false, true]));
}
// ANCHOR_END: done_guard

// ANCHOR: no_guard
fn unguarded_worker() {
    let wg = WaitGroup::new();
    wg.add(1);
    let worker = wg.clone();
    let handle = go(move || {
        let n: u32 = "forty-two".parse().expect("a number"); // panics here...
        worker.done(); // ...so this line never runs
        n
    });
    wg.wait(); // nobody will ever call done
    handle.join().ok();
}
// ANCHOR_END: no_guard

#[test]
fn without_the_guard_a_panic_strands_wait() {
    let report = sim::run(&sim::Config::default(), unguarded_worker);
    assert_eq!(report.failure(), Some(&Failure::Deadlock));
    assert_chapter_shows(&report.to_string());
}

// ANCHOR: negative
#[test]
fn done_below_zero_panics() {
    let report = sim::run(&sim::Config::default(), || {
        let wg = WaitGroup::new();
        wg.add(1);
        wg.done();
        wg.done(); // one done too many
    });
    let Some(Failure::Panic(panic)) = report.failure() else { panic!("{report}") };
    assert_eq!(panic.message, "sync: negative WaitGroup counter"); // Go's message
}
// ANCHOR_END: negative

// ANCHOR: detached_panic
#[test]
fn an_unjoined_panic_ends_the_run() {
    let report = sim::run(&sim::Config::default(), || {
        drop(go(|| panic!("boom"))); // nobody will ever join it
        time::sleep(Duration::from_secs(1));
    });
    let Some(Failure::Panic(panic)) = report.failure() else { panic!("{report}") };
    assert_eq!((panic.thread.id().as_u64(), panic.message.as_str()), (2, "boom"));
}
// ANCHOR_END: detached_panic
