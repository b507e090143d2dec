//! `select!`: readiness, fairness, blocking, timeouts and deadlock reports.

use std::time::Duration;

use gort::diag::Failure;
use gort::sim::{self, Config};
use gort::{chan, go, select, time};

#[test]
fn fairness_two_ready_arms_over_1000_seeds() {
    let mut first = 0;
    for seed in 0..1000 {
        let got = sim::run(&Config::default().with_seed(seed), || {
            let (a_tx, a) = chan::bounded(1);
            let (b_tx, b) = chan::bounded(1);
            a_tx.send(1).unwrap();
            b_tx.send(2).unwrap();
            select! {
                recv(a) -> v => v.unwrap(),
                recv(b) -> v => v.unwrap(),
            }
        })
        .unwrap();
        if got == 1 {
            first += 1;
        }
    }
    assert!((450..=550).contains(&first), "arm 1 chosen {first} times of 1000");
}

#[test]
fn after_fires_at_exactly_t0_plus_d() {
    sim::run(&Config::default(), || {
        time::sleep(Duration::from_millis(7));
        let t0 = time::now();
        let fired = select! {
            recv(time::after(Duration::from_millis(250))) -> t => t.unwrap(),
        };
        assert_eq!(fired - t0, Duration::from_millis(250));
        assert_eq!(time::now() - t0, Duration::from_millis(250));
    })
    .unwrap();
}

#[test]
fn blocked_select_is_a_deadlock() {
    let report = sim::run(&Config::default(), || {
        let (_a_tx, a) = chan::unbuffered::<u8>();
        let (_b_tx, b) = chan::unbuffered::<u8>();
        select! {
            recv(a) => {},
            recv(b) => {},
        }
    });
    assert_eq!(report.failure(), Some(&Failure::Deadlock));
    assert!(report.to_string().contains("select"), "{report}");
}

#[test]
fn send_arm_hands_over_to_a_blocked_receiver() {
    for seed in 0..50 {
        sim::run(&Config::default().with_seed(seed), || {
            let (tx, rx) = chan::unbuffered();
            let (_never_tx, never) = chan::unbuffered::<u8>();
            let h = go(move || rx.recv().unwrap());
            select! {
                send(tx, 42) -> r => r.unwrap(),
                recv(never) => unreachable!(),
            }
            assert_eq!(h.join().unwrap(), 42);
        })
        .unwrap();
    }
}

#[test]
fn stopped_timer_leaves_nothing_and_pending_timers_are_not_leaks() {
    let report = sim::run(&Config::default(), || {
        let t = time::Timer::new(Duration::from_secs(10));
        t.stop();
        let _pending = time::after(Duration::from_secs(5));
        let _ticks = time::tick(Duration::from_secs(1));
    });
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.stats().virtual_time, Duration::ZERO);
}

#[test]
fn forgotten_ticker_does_not_hide_a_deadlock() {
    let report = sim::run(&Config::default(), || {
        let _t = time::Ticker::new(Duration::from_millis(1));
        let (_tx, rx) = chan::unbuffered::<u8>();
        rx.recv().unwrap();
    });
    assert_eq!(report.failure(), Some(&Failure::Deadlock), "{report}");
}

#[test]
fn select_location_is_the_macro_call_site() {
    let report = sim::run(&Config::default(), || {
        let (_tx, rx) = chan::unbuffered::<u8>();
        select! { recv(rx) => {} }
    });
    let text = report.to_string();
    assert!(text.contains(&format!("{}:{}", file!(), line!() - 3)), "{text}");
}
