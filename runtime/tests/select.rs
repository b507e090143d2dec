//! `select!`: readiness, fairness, blocking, timeouts and deadlock reports.
//!
//! Both executors ([`common`]), except tests of seeds, virtual instants, traces and sim limits.

mod common;

use std::time::Duration;

use gort::diag::Failure;
use gort::sim::{self, Config};
use gort::{chan, go, par, select, time};

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
    let err = par::run(&common::par_config(), || {
        let (_a_tx, a) = chan::unbuffered::<u8>();
        let (_b_tx, b) = chan::unbuffered::<u8>();
        select! {
            recv(a) => {},
            recv(b) => {},
        }
    })
    .unwrap_err();
    assert_eq!(err.failure(), &Failure::Deadlock);
    assert!(err.to_string().contains("select"), "{err}");
}

#[test]
fn send_arm_hands_over_to_a_blocked_receiver() {
    common::seeds_both(50, || {
        let (tx, rx) = chan::unbuffered();
        let (_never_tx, never) = chan::unbuffered::<u8>();
        let h = go(move || rx.recv().unwrap());
        select! {
            send(tx, 42) -> r => r.unwrap(),
            recv(never) => unreachable!(),
        }
        assert_eq!(h.join().unwrap(), 42);
    });
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

#[test]
fn send_arm_to_a_channel_without_receivers_is_ready_with_the_value_back() {
    common::both(|| {
        let (tx, rx) = chan::unbuffered::<String>();
        drop(rx);
        let back = select! {
            send(tx, "lost?".to_string()) -> r => r.unwrap_err().0,
        };
        assert_eq!(back, "lost?");
    });
}

#[test]
fn closed_channel_receive_arm_is_ready_and_says_closed() {
    common::both(|| {
        let (tx, rx) = chan::unbuffered::<u8>();
        drop(tx);
        let closed = select! {
            recv(rx) -> v => v.is_err(),
            default => false,
        };
        assert!(closed);
    });
}

#[test]
fn a_select_never_pairs_with_itself_on_one_channel() {
    // Two threads each offer to send and to receive on the same unbuffered channel: they
    // must pair with each other (one sends, the other receives), never with themselves.
    common::explore_both(300, || {
        let (tx, rx) = chan::unbuffered::<u32>();
        let (tx2, rx2) = (tx.clone(), rx.clone());
        let other = go(move || {
            select! {
                send(tx2, 2) => "sent",
                recv(rx2) -> v => { assert_eq!(v.unwrap(), 1); "received" }
            }
        });
        let mine = select! {
            send(tx, 1) => "sent",
            recv(rx) -> v => { assert_eq!(v.unwrap(), 2); "received" }
        };
        let theirs = other.join().unwrap();
        assert_ne!(mine, theirs);
    });
}

#[test]
fn the_same_channel_twice_in_one_select_is_locked_once() {
    common::both(|| {
        let (tx, rx) = chan::bounded(2);
        tx.send(1).unwrap();
        let got = select! {
            recv(rx) -> v => v.unwrap(),
            recv(rx) -> v => v.unwrap() + 100,
            send(tx, 9) => 0,
        };
        assert!(got == 1 || got == 101 || got == 0);
    });
}

#[test]
fn losing_arms_withdraw_their_waiters() {
    // After a blocked select returns through arm a, its waiter on b must be gone: a later
    // send on b must go to the real receiver, not vanish into the finished select.
    common::explore_both(200, || {
        let (a_tx, a) = chan::unbuffered::<u8>();
        let (b_tx, b) = chan::unbuffered::<u8>();
        let b_later = b.clone();
        let sel = go(move || {
            select! {
                recv(a) -> v => v.unwrap(),
                recv(b) -> v => v.unwrap() + 10,
            }
        });
        a_tx.send(1).unwrap();
        assert_eq!(sel.join().unwrap(), 1);
        let (b2_tx, done) = (b_tx.clone(), go(move || b_later.recv().unwrap()));
        b2_tx.send(7).unwrap();
        assert_eq!(done.join().unwrap(), 7);
        drop(b_tx);
    });
}

#[test]
fn timer_stop_and_reset_follow_go_1_23() {
    sim::run(&Config::default(), || {
        let t = time::Timer::new(Duration::from_secs(1));
        time::sleep(Duration::from_secs(2)); // fired, not received
        assert!(!t.stop(), "stop after firing reports false");
        let stale = select! { recv(t.receiver()) => true, default => false };
        assert!(!stale, "a receive after stop must not see the old time");
        assert!(!t.reset(Duration::from_millis(500)));
        let at = t.receiver().recv().unwrap();
        assert_eq!(at.elapsed_since_start(), Duration::from_millis(2500));
    })
    .unwrap();
}

#[test]
fn a_ticker_drops_ticks_for_a_slow_receiver() {
    sim::run(&Config::default(), || {
        let t = time::Ticker::new(Duration::from_millis(10));
        time::sleep(Duration::from_millis(95)); // nine ticks came; the channel kept one
        let first = t.receiver().recv().unwrap();
        assert_eq!(first.elapsed_since_start(), Duration::from_millis(10));
        let next = t.receiver().recv().unwrap();
        assert_eq!(next.elapsed_since_start(), Duration::from_millis(100));
        t.stop();
    })
    .unwrap();
}

#[test]
fn a_select_loop_with_only_default_ready_is_a_livelock_not_a_hang() {
    let report = sim::run(&Config::default().with_max_steps(2_000), || {
        let (_tx, rx) = chan::unbuffered::<u8>();
        loop {
            select! {
                recv(rx) => break,
                default => {}
            }
        }
    });
    assert_eq!(report.failure(), Some(&Failure::StepLimit { limit: 2_000 }));
}

#[test]
fn select_choices_replay_from_the_token() {
    let program = || {
        let (a_tx, a) = chan::bounded(8);
        let (b_tx, b) = chan::bounded(8);
        for i in 0..8 {
            a_tx.send(i).unwrap();
            b_tx.send(i).unwrap();
        }
        let picks: Vec<char> = (0..8).map(|_| select! { recv(a) => 'a', recv(b) => 'b' }).collect();
        assert!(picks.iter().filter(|&&c| c == 'a').count() < 6, "{picks:?}");
    };
    let report = sim::explore(&Config::default(), 500, program).expect_err("6+ of 8 a's happens");
    let again = sim::replay(&Config::default(), &report.token().to_string(), program).unwrap();
    let message = |r: &gort::diag::Report<()>| match r.failure() {
        Some(Failure::Panic(p)) => p.message.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(message(&again), message(&report)); // the same eight choices
    assert_eq!(again.token().to_string(), report.token().to_string());
}

#[test]
fn a_losing_send_arm_gives_up_its_value_when_the_select_returns() {
    common::both(|| {
        let payload = std::sync::Arc::new(());
        let (tx, _rx) = chan::unbuffered::<std::sync::Arc<()>>();
        let (wake_tx, wake) = chan::unbuffered::<()>();
        let waker = go(move || wake_tx.send(()).unwrap());
        select! {
            send(tx, payload.clone()) => unreachable!("nobody receives"),
            recv(wake) => {}
        }
        waker.join().unwrap();
        assert_eq!(std::sync::Arc::strong_count(&payload), 1, "the losing send arm kept its value");
    });
}
