//! Listings of chapter 03 (channels): rendezvous, buffering, close, range, errors, deadlock.

// ANCHOR: imports
use gort::chan::{self, Receiver, RecvError, SendError};
use gort::{go, sim, time};
use std::time::Duration;
// ANCHOR_END: imports

use gort::diag::Failure;

/// Asserts that the chapter shows `text` (in a ```text block), so the report printed in the
/// book is the one this run produces. Trailing spaces are ignored.
fn assert_chapter_shows(text: &str) {
    let trim = |s: &str| s.lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../src/03_channels.md");
    let chapter = std::fs::read_to_string(path).expect("the chapter exists");
    assert!(
        trim(&chapter).contains(trim(text).trim_end()),
        "03_channels.md must show this report:\n{text}"
    );
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

// ANCHOR: ping
#[test]
fn a_value_from_another_thread() {
    let report = sim::run(&sim::Config::default(), || {
        let (tx, rx) = chan::unbuffered(); // Go: ch := make(chan string)
        go(move || tx.send("ping").unwrap()); // Go: go func() { ch <- "ping" }()
        rx.recv().unwrap() // Go: msg := <-ch
    });
    assert_eq!(report.unwrap(), "ping");
}
// ANCHOR_END: ping

// ANCHOR: rendezvous
/// Returns when the send completed and when the receive completed.
fn rendezvous() -> (Duration, Duration) {
    let (tx, rx) = chan::unbuffered();
    let sender = go(move || {
        tx.send("hello").unwrap(); // blocks until a receiver takes the value
        time::now().elapsed_since_start()
    });
    time::sleep(Duration::from_secs(1)); // the receiver is busy for a second
    rx.recv().unwrap();
    let received_at = time::now().elapsed_since_start();
    let sent_at = sender.join().unwrap();
    (sent_at, received_at)
}

#[test]
fn an_unbuffered_send_completes_when_it_is_received() {
    let report = sim::run(&sim::Config::default(), rendezvous);
    assert_eq!(report.unwrap(), (Duration::from_secs(1), Duration::from_secs(1)));
}
// ANCHOR_END: rendezvous

#[test]
fn rendezvous_holds_under_every_schedule() {
    sim::explore(&sim::Config::default(), 200, || {
        assert_eq!(rendezvous(), (Duration::from_secs(1), Duration::from_secs(1)));
    })
    .unwrap();
}

// ANCHOR: run_ahead
/// A producer sends 5 values on a channel of capacity `cap`; the consumer takes one every
/// 100 ms. Returns the instant each send completed.
fn run_ahead(cap: usize) -> Vec<Duration> {
    let (tx, rx) = chan::bounded(cap);
    let producer = go(move || {
        let mut sent_at = Vec::new();
        for i in 0..5 {
            tx.send(i).unwrap();
            sent_at.push(time::now().elapsed_since_start());
        }
        sent_at
    });
    for _ in 0..5 {
        time::sleep(Duration::from_millis(100)); // a slow consumer
        rx.recv().unwrap();
    }
    producer.join().unwrap()
}

#[test]
fn capacity_is_how_far_the_producer_runs_ahead() {
    let config = sim::Config::default();
    let unbuffered = sim::run(&config, || run_ahead(0)).unwrap();
    assert_eq!(unbuffered, [ms(100), ms(200), ms(300), ms(400), ms(500)]);
    let buffered = sim::run(&config, || run_ahead(2)).unwrap();
    assert_eq!(buffered, [ms(0), ms(0), ms(100), ms(200), ms(300)]);
}
// ANCHOR_END: run_ahead

#[test]
fn run_ahead_holds_under_every_schedule() {
    for cap in 0..=5 {
        sim::explore(&sim::Config::default(), 100, move || {
            let sent_at = run_ahead(cap);
            let want: Vec<Duration> =
                (0..5u64).map(|k| ms(100 * (k + 1).saturating_sub(cap as u64))).collect();
            assert_eq!(sent_at, want, "cap {cap}");
        })
        .unwrap();
    }
}

// ANCHOR: generator
/// A generator: a thread that sends the squares 1, 4, 9, ... n² and then closes the channel.
fn squares(n: u64) -> Receiver<u64> {
    let (tx, rx) = chan::bounded(2);
    go(move || {
        for i in 1..=n {
            if tx.send(i * i).is_err() {
                return; // every receiver is gone: stop
            }
        }
    }); // the thread ends, `tx` is dropped: the channel closes
    rx
}

#[test]
fn range_until_closed() {
    let report = sim::run(&sim::Config::default(), || {
        let mut got = Vec::new();
        for v in squares(4) {
            // Go: for v := range ch
            got.push(v);
        }
        got
    });
    assert_eq!(report.unwrap(), [1, 4, 9, 16]);
}
// ANCHOR_END: generator

// ANCHOR: many_senders
fn gather(parts: Vec<Vec<u32>>) -> Vec<u32> {
    let (tx, rx) = chan::unbuffered();
    for part in parts {
        let tx = tx.clone(); // one Sender per producer
        go(move || {
            for v in part {
                tx.send(v).unwrap();
            }
        });
    }
    drop(tx); // ours too: the channel closes when the last producer is done
    rx.iter().collect()
}
// ANCHOR_END: many_senders

#[test]
fn many_senders_close_together() {
    let report = sim::run(&sim::Config::default(), || gather(vec![vec![1, 2], vec![3], vec![]]));
    let mut got = report.unwrap();
    got.sort_unstable();
    assert_eq!(got, [1, 2, 3]);
}

// ANCHOR: recv_after_close
#[test]
fn a_closed_channel_drains_then_fails() {
    let report = sim::run(&sim::Config::default(), || {
        let (tx, rx) = chan::bounded(2);
        tx.send(7).unwrap();
        drop(tx); // Go: close(ch)
        let first = rx.recv(); // buffered values still come out: Ok(7)
        let second = rx.recv(); // then: Go's v, ok := <-ch with ok == false
        (first, second)
    });
    assert_eq!(report.unwrap(), (Ok(7), Err(RecvError)));
}
// ANCHOR_END: recv_after_close

// ANCHOR: send_error
/// Sends 0, 1, 2, ... until nobody listens; returns the value that could not be sent.
fn count_up(tx: chan::Sender<u32>) -> u32 {
    let mut next = 0;
    loop {
        match tx.send(next) {
            Ok(()) => next += 1,
            Err(SendError(unsent)) => return unsent, // the value comes back
        }
    }
}

#[test]
fn a_send_with_no_receiver_left_gives_the_value_back() {
    let report = sim::run(&sim::Config::default(), || {
        let (tx, rx) = chan::unbuffered();
        let producer = go(move || count_up(tx));
        let first_two = (rx.recv().unwrap(), rx.recv().unwrap());
        drop(rx); // the consumer has had enough
        (first_two, producer.join().unwrap())
    });
    assert_eq!(report.unwrap(), ((0, 1), 2));
}
// ANCHOR_END: send_error

// ANCHOR: forgot_to_close
fn forgot_to_close() -> u32 {
    let (tx, rx) = chan::Builder::new().name("results").bounded(0);
    for id in 1..=3 {
        let tx = tx.clone();
        go(move || tx.send(id).unwrap());
    }
    // BUG: main still holds `tx`, so "results" never closes and the range never ends.
    rx.iter().sum()
}
// ANCHOR_END: forgot_to_close

#[test]
fn forgetting_to_close_is_a_deadlock() {
    let report = sim::run(&sim::Config::default(), forgot_to_close);
    assert_eq!(report.failure(), Some(&Failure::Deadlock));
    let text = report.to_string();
    assert!(text.contains("all green threads are asleep - deadlock!"));
    assert!(text.contains("receiving from unbuffered chan \"results\""));
    assert_chapter_shows(&text);
}

#[test]
fn forgetting_to_close_deadlocks_under_every_schedule() {
    for seed in 0..50 {
        let report = sim::run(&sim::Config::default().with_seed(seed), forgot_to_close);
        assert_eq!(report.failure(), Some(&Failure::Deadlock), "seed {seed}");
    }
}
