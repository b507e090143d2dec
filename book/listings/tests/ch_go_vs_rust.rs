//! Listings of the chapter "Go vs Rust", each asserting what the chapter says.

use std::sync::Arc;
use std::time::Duration;

use gort::chan::{self, Receiver, RecvError, SendError, TrySendError};
use gort::diag::Failure;
use gort::sync::Mutex;
use gort::{go, sched, select, sim, time};

#[test]
fn what_the_compiler_does_not_catch() {
    // ANCHOR: verdicts
    let config = sim::Config::default().with_max_steps(10_000);

    // A deadlock: a receive that no send will ever match.
    let deadlock = sim::run(&config, || {
        let (_tx, rx) = chan::unbuffered::<u8>();
        rx.recv().ok()
    });
    assert_eq!(deadlock.failure(), Some(&Failure::Deadlock));

    // A leak: main returns while another thread is still busy.
    let leak = sim::run(&config, || {
        go(|| time::sleep(Duration::from_secs(1)));
    });
    assert_eq!(leak.failure(), Some(&Failure::Leak { count: 1 }));

    // A livelock: a thread that keeps running and never gets anywhere.
    let livelock = sim::run(&config, || {
        let (_tx, rx) = chan::bounded::<u8>(1);
        while rx.try_recv().is_err() {
            sched::yield_now();
        }
    });
    assert_eq!(livelock.failure(), Some(&Failure::StepLimit { limit: 10_000 }));

    // A lock cycle: here the shortest one, a thread locking a mutex it holds.
    let relock = sim::run(&config, || {
        let m = Mutex::new(0);
        let _first = m.lock();
        let _second = m.lock();
    });
    assert!(matches!(relock.failure(), Some(Failure::LockCycle(cycle)) if cycle.len() == 1));

    // An ordering bug: the code assumes the spawned thread runs first.
    let ordering = sim::explore(&config, 100, || {
        let log = Arc::new(Mutex::new(Vec::new()));
        let child = {
            let log = log.clone();
            go(move || log.lock().push("child"))
        };
        log.lock().push("main");
        child.join().unwrap();
        assert_eq!(*log.lock(), ["child", "main"], "assumed the child runs first");
    });
    let failing = ordering.unwrap_err();
    assert!(matches!(failing.failure(), Some(Failure::Panic(p))
        if p.message.contains("assumed the child runs first")));
    // ANCHOR_END: verdicts
}

#[test]
fn closing_is_dropping_the_last_sender() {
    let report = sim::run(&sim::Config::default(), || {
        // ANCHOR: ownership
        let (tx, rx) = chan::bounded::<&str>(4);
        let producers: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|name| {
                let tx = tx.clone(); // one Sender per producer
                go(move || tx.send(name).unwrap()) // dropped when the thread ends
            })
            .collect();
        drop(tx); // main's Sender: main sends nothing, so it must not keep the channel open
        let mut got: Vec<&str> = rx.iter().collect(); // ends when the third Sender is gone
        producers.into_iter().for_each(|p| p.join().unwrap());
        // ANCHOR_END: ownership
        got.sort();
        got
    });
    assert_eq!(report.unwrap(), ["a", "b", "c"]);
}

#[test]
fn errors_give_the_value_back() {
    sim::run(&sim::Config::default(), || {
        // ANCHOR: value_back
        let (tx, rx) = chan::bounded::<String>(1);
        tx.send(String::from("first")).unwrap();
        let Err(TrySendError::Full(second)) = tx.try_send(String::from("second")) else {
            panic!("the buffer holds one")
        };
        assert_eq!(second, "second"); // not sent, and not lost: it is ours again

        drop(rx); // no receiver left
        let SendError(third) = tx.send(String::from("third")).unwrap_err();
        assert_eq!(third, "third"); // Go would block for ever here, or panic if closed
        // ANCHOR_END: value_back
    })
    .unwrap();
}

#[test]
fn select_sees_closed_and_receiverless_channels() {
    sim::run(&sim::Config::default(), || {
        // ANCHOR: select_closed
        let (tx, rx) = chan::bounded::<u32>(1);
        drop(tx); // closed and empty
        let got = select! {
            recv(rx) -> v => v,
            default => Ok(99),
        };
        assert_eq!(got, Err(RecvError)); // Go: v, ok := <-ch gives 0, false

        let (tx, rx) = chan::bounded::<String>(1);
        drop(rx); // nobody can ever receive
        let back = select! {
            send(tx, String::from("hello")) -> sent => sent.unwrap_err().0,
            default => String::new(),
        };
        assert_eq!(back, "hello"); // the arm is ready, with the value handed back
        // ANCHOR_END: select_closed
    })
    .unwrap();
}

// ANCHOR: no_nil
/// Merges channels until every one of them is closed. Go disables the case of a closed
/// channel by setting the variable to nil; here a closed input becomes `None`, and its arm
/// waits on `idle`, a receiver that is never ready.
fn merge(a: Receiver<u32>, b: Receiver<u32>) -> Vec<u32> {
    let (_keep_open, idle) = chan::unbuffered::<u32>(); // never sent on, never closed
    let mut inputs = [Some(a), Some(b)];
    let mut out = Vec::new();
    while inputs.iter().any(Option::is_some) {
        let (i, got) = select! {
            recv(inputs[0].as_ref().unwrap_or(&idle)) -> v => (0, v),
            recv(inputs[1].as_ref().unwrap_or(&idle)) -> v => (1, v),
        };
        match got {
            Ok(v) => out.push(v),
            Err(RecvError) => inputs[i] = None, // closed: disable this arm
        }
    }
    out
}
// ANCHOR_END: no_nil

#[test]
fn an_idle_receiver_stands_in_for_a_nil_channel() {
    for seed in 0..20 {
        let config = sim::Config::default().with_seed(seed);
        let report = sim::run(&config, || {
            let (a_tx, a) = chan::bounded(0);
            let (b_tx, b) = chan::bounded(0);
            let producers = [
                go(move || (1..=3).for_each(|v| a_tx.send(v).unwrap())),
                go(move || (10..=11).for_each(|v| b_tx.send(v).unwrap())),
            ];
            let mut out = merge(a, b);
            producers.into_iter().for_each(|p| p.join().unwrap());
            out.sort();
            out
        });
        assert_eq!(report.unwrap(), [1, 2, 3, 10, 11]);
    }
}

#[test]
fn go_returns_a_join_handle() {
    // ANCHOR: join_handle
    let report = sim::run(&sim::Config::default(), || {
        let answer = go(|| 6 * 7);
        let broken = go(|| "x".parse::<u32>().expect("not a number"));
        let value = answer.join().unwrap(); // the thread's return value
        let err = broken.join().unwrap_err(); // its panic, as a value
        (value, err.message().to_string())
    });
    let (value, message) = report.unwrap(); // the run itself succeeded
    assert_eq!(value, 42);
    assert!(message.starts_with("not a number"));

    // A panic nobody joins ends the run, as an unrecovered panic ends a Go program.
    let unjoined = sim::run(&sim::Config::default(), || {
        go(|| panic!("boom"));
        sched::yield_now();
    });
    assert!(matches!(unjoined.failure(), Some(Failure::Panic(p)) if p.message == "boom"));
    // ANCHOR_END: join_handle
}
