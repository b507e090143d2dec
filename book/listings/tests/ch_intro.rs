//! Listings of the introduction: the dashboard in virtual time, and many cheap threads.

use gort::sched::MIN_STACK_SIZE;

// ANCHOR: dashboard
use gort::{go, sim, time};
use std::time::Duration;

/// One backend call: it waits for the network (sleeps) for `latency_ms`, then answers.
fn fetch(service: &str, latency_ms: u64) -> String {
    time::sleep(Duration::from_millis(latency_ms));
    format!("{service}: ok")
}

/// The articles' dashboard: three backend calls at once, then wait for all of them.
fn dashboard() -> Vec<String> {
    let calls = [("profile", 120), ("orders", 200), ("preferences", 80)];
    let handles: Vec<_> = calls.into_iter().map(|(s, ms)| go(move || fetch(s, ms))).collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn latency_is_the_slowest_call() {
    let report = sim::run(&sim::Config::default(), || {
        let replies = dashboard();
        (replies, time::now().elapsed_since_start())
    });
    let (replies, elapsed) = report.unwrap();
    assert_eq!(replies, ["profile: ok", "orders: ok", "preferences: ok"]);
    assert_eq!(elapsed, Duration::from_millis(200)); // the slowest, not 120 + 200 + 80
}
// ANCHOR_END: dashboard

#[test]
fn the_dashboard_is_the_same_under_every_schedule() {
    let summary = sim::explore(&sim::Config::default(), 100, || {
        assert_eq!(dashboard(), ["profile: ok", "orders: ok", "preferences: ok"]);
        assert_eq!(time::now().elapsed_since_start(), Duration::from_millis(200));
    })
    .unwrap();
    assert_eq!(summary.schedules, 100);
}

// ANCHOR: many_threads
#[test]
fn ten_thousand_sleepers() {
    let config = sim::Config::default().with_stack_size(16 * 1024); // the smallest stack
    let report = sim::run(&config, || {
        let handles: Vec<_> =
            (0..10_000).map(|_| go(|| time::sleep(Duration::from_secs(1)))).collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        time::now().elapsed_since_start()
    });
    assert_eq!(report.stats().threads, 10_001); // main and ten thousand others
    assert_eq!(report.unwrap(), Duration::from_secs(1)); // all asleep at the same time
}
// ANCHOR_END: many_threads

#[test]
fn the_smallest_stack_is_16_kib() {
    assert_eq!(MIN_STACK_SIZE, 16 * 1024);
    assert_eq!(sim::Config::default().stack_size(), 256 * 1024);
}
