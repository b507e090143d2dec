//! Port of test/chan/doubleselect.go: one select never completes two of its send cases.
//!
//! The Go program sends a counter through a four-way select of sends, one per channel; a
//! forwarding goroutine per channel copies what it gets onto one shared channel, and main
//! checks it never sees a value twice (two cases of one select both running would send the
//! same value twice). When the sender is done it closes its four channels, each forwarder
//! then reports on a `done` channel, and a last goroutine closes the shared channel after
//! four reports. The port is the same program: the sender closes its channels by returning
//! (dropping its `Sender`s), and the closer by dropping the shared channel's last `Sender`.
//! It also checks that no value went missing. `GOMAXPROCS(2)` has no counterpart: the
//! executor interleaves the threads at every channel operation instead. The Go program's
//! 100,000 iterations run under two schedules (one random, one PCT) and on the parallel
//! executor; the usual 200 schedules run [`ITERATIONS`] each.

use std::collections::HashSet;

use gort::chan::{self, Receiver, Sender};
use gort::sim::{self, Config};
use gort::{go, select};

const ITERATIONS: u32 = 1_000;

/// The Go program's default count.
const GO_ITERATIONS: u32 = 100_000;

fn sender(n: u32, c1: Sender<u32>, c2: Sender<u32>, c3: Sender<u32>, c4: Sender<u32>) {
    for i in 0..n {
        select! {
            send(c1, i) -> r => r.unwrap(),
            send(c2, i) -> r => r.unwrap(),
            send(c3, i) -> r => r.unwrap(),
            send(c4, i) -> r => r.unwrap(),
        }
    }
}

fn mux(out: Sender<u32>, input: Receiver<u32>, done: Sender<()>) {
    for v in input {
        out.send(v).unwrap();
    }
    done.send(()).unwrap();
}

/// Receives until the channel closes; panics on a value seen twice. Returns what it saw.
fn recver(input: Receiver<u32>) -> HashSet<u32> {
    let mut seen = HashSet::new();
    for v in input {
        assert!(seen.insert(v), "got duplicate value: {v}");
    }
    seen
}

fn double_select(n: u32) {
    let (tx1, c1) = chan::unbuffered();
    let (tx2, c2) = chan::unbuffered();
    let (tx3, c3) = chan::unbuffered();
    let (tx4, c4) = chan::unbuffered();
    let (done_tx, done) = chan::unbuffered();
    let (cmux_tx, cmux) = chan::unbuffered();
    let mut threads = vec![go(move || sender(n, tx1, tx2, tx3, tx4))];
    for c in [c1, c2, c3, c4] {
        let (out, done) = (cmux_tx.clone(), done_tx.clone());
        threads.push(go(move || mux(out, c, done)));
    }
    drop(done_tx);
    threads.push(go(move || {
        for _ in 0..4 {
            done.recv().unwrap();
        }
        drop(cmux_tx);
    }));
    let seen = recver(cmux);
    assert_eq!(seen.len(), n as usize, "values went missing");
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn no_double_send() {
    crate::conform(|| double_select(ITERATIONS));
}

#[test]
fn no_double_send_go_sized() {
    let config = Config::default().with_max_steps(10_000_000);
    if let Err(report) = sim::explore(&config, 2, || double_select(GO_ITERATIONS)) {
        panic!("{report}");
    }
    crate::on_parallel(|| double_select(GO_ITERATIONS));
}
