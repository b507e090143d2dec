//! Listings of chapter 01 (the go statement): spawning, joining, leaks, sleeping, order.

// ANCHOR: imports
use gort::sched::JoinHandle;
use gort::{go, sim, time};
use std::sync::{Arc, Mutex};
use std::time::Duration;
// ANCHOR_END: imports

use gort::diag::Failure;

/// Asserts that the chapter shows `text` (in a ```text block), so the report printed in the
/// book is the one this run produces. Trailing spaces are ignored.
fn assert_chapter_shows(text: &str) {
    let trim = |s: &str| s.lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../src/01_spawn.md");
    let chapter = std::fs::read_to_string(path).expect("the chapter exists");
    assert!(
        trim(&chapter).contains(trim(text).trim_end()),
        "01_spawn.md must show this report:\n{text}"
    );
}

// ANCHOR: hello
fn say_hello() -> String {
    String::from("hello from a green thread")
}

#[test]
fn hello() {
    let report = sim::run(&sim::Config::default(), || {
        let handle = go(say_hello); // Go: go sayHello()
        handle.join().unwrap() // wait for it and take its result
    });
    assert_eq!(report.unwrap(), "hello from a green thread");
}
// ANCHOR_END: hello

// ANCHOR: returns_at_once
#[test]
fn go_returns_at_once() {
    let report = sim::run(&sim::Config::default(), || {
        let handle = go(|| {
            time::sleep(Duration::from_millis(300));
            42
        });
        let after_go = time::now().elapsed_since_start(); // go did not wait
        let value = handle.join().unwrap(); // join does
        let after_join = time::now().elapsed_since_start();
        (after_go, value, after_join)
    });
    assert_eq!(report.unwrap(), (Duration::ZERO, 42, Duration::from_millis(300)));
}
// ANCHOR_END: returns_at_once

// ANCHOR: move_closures
fn greet_all(names: Vec<String>) -> Vec<String> {
    let greeting = Arc::new(String::from("hello"));
    let handles: Vec<JoinHandle<String>> = names
        .into_iter()
        .map(|name| {
            let greeting = Arc::clone(&greeting); // one more owner for the new thread
            go(move || format!("{greeting}, {name}")) // moves `greeting` and `name` in
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}
// ANCHOR_END: move_closures

#[test]
fn move_closures() {
    let names = vec!["ada".to_string(), "rob".to_string()];
    let report = sim::run(&sim::Config::default(), move || greet_all(names));
    assert_eq!(report.unwrap(), ["hello, ada", "hello, rob"]);
}

// ANCHOR: main_returns
fn fire_and_forget() {
    go(|| {
        time::sleep(Duration::from_secs(1));
        println!("too late: main has returned");
    });
} // main returns here, without waiting

#[test]
fn main_returns_without_waiting() {
    let report = sim::run(&sim::Config::default(), fire_and_forget);
    assert_eq!(report.failure(), Some(&Failure::Leak { count: 1 }));
}
// ANCHOR_END: main_returns

#[test]
fn main_returns_report_is_the_one_shown() {
    let report = sim::run(&sim::Config::default(), fire_and_forget);
    assert_chapter_shows(&report.to_string());
}

// ANCHOR: sleep_to_wait
/// The articles' way to wait: start the workers, sleep for a guessed time, read what is there.
fn wait_by_sleeping(costs_ms: &[u64], guess: Duration) -> Vec<String> {
    let results = Arc::new(Mutex::new(Vec::new()));
    for (id, &ms) in costs_ms.iter().enumerate() {
        let results = Arc::clone(&results);
        go(move || {
            time::sleep(Duration::from_millis(ms)); // the work
            results.lock().unwrap().push(format!("worker {id} done"));
        });
    }
    time::sleep(guess); // "give the workers time to finish"
    results.lock().unwrap().clone()
}

#[test]
fn sleeping_is_not_waiting() {
    // Leaks fail a run by default; here we only want them listed, to look at the result.
    let config = sim::Config::default().with_fail_on_leak(false);

    // Too short: worker 2 needs 1.5 s, so its result is missing and it is still running.
    let report = sim::run(&config, || wait_by_sleeping(&[100, 500, 1500], Duration::from_secs(1)));
    assert_eq!(report.value().unwrap(), &["worker 0 done", "worker 1 done"]);
    assert_eq!(report.leaked().count(), 1);

    // Too long: the workers were done after 50 ms, and main slept for a whole second.
    let report = sim::run(&config, || {
        let results = wait_by_sleeping(&[10, 50], Duration::from_secs(1));
        (results.len(), time::now().elapsed_since_start())
    });
    assert_eq!(report.unwrap(), (2, Duration::from_secs(1)));
}
// ANCHOR_END: sleep_to_wait

// ANCHOR: completion_order
/// Three equal workers: returns the order they finished in, and the values joined.
fn race_to_finish() -> (Vec<usize>, Vec<usize>) {
    let finished = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<JoinHandle<usize>> = (0..3)
        .map(|id| {
            let finished = Arc::clone(&finished);
            go(move || {
                time::sleep(Duration::from_millis(100)); // all three wake at 100 ms
                finished.lock().unwrap().push(id);
                id
            })
        })
        .collect();
    let joined: Vec<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let order = finished.lock().unwrap().clone();
    (order, joined)
}

#[test]
fn completion_order_is_not_spawn_order() {
    let with_seed = |seed| sim::run(&sim::Config::default().with_seed(seed), race_to_finish);
    assert_eq!(with_seed(0).unwrap(), (vec![2, 1, 0], vec![0, 1, 2]));
    assert_eq!(with_seed(1).unwrap(), (vec![1, 0, 2], vec![0, 1, 2]));
}
// ANCHOR_END: completion_order

#[test]
fn the_same_seed_gives_the_same_order() {
    for seed in 0..8 {
        let a = sim::run(&sim::Config::default().with_seed(seed), race_to_finish).unwrap();
        let b = sim::run(&sim::Config::default().with_seed(seed), race_to_finish).unwrap();
        assert_eq!(a, b, "seed {seed}");
        assert_eq!(a.1, [0, 1, 2], "join gives spawn order under seed {seed}");
    }
}

// ANCHOR: join_panic
#[test]
fn join_returns_the_panic() {
    let report = sim::run(&sim::Config::default(), || {
        let handle = go(|| -> u32 { panic!("parse error") });
        let err = handle.join().unwrap_err(); // the panic, as a value
        err.message().to_string()
    });
    assert_eq!(report.unwrap(), "parse error"); // the run itself passed
}
// ANCHOR_END: join_panic
