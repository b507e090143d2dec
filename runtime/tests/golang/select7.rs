//! Port of test/chan/select7.go: a receive that discards its value, plain or in a select.
//!
//! The Go program pairs three ways of receiving and dropping a value (a plain receive, a
//! one-case select, a select with a second channel that never gets a value) with three ways
//! of sending it (a plain send, a one-case select, a select with a second channel nobody
//! receives from), the sender yielding first so that the receiver is usually already
//! waiting. The port runs the same nine pairs; the idle second channels are kept open by a
//! live peer, Rust's stand-in for a channel that never becomes ready; the receiver threads are
//! joined.

use gort::chan::{self, Receiver};
use gort::{go, sched, select};

fn recv1(c: Receiver<i32>) {
    c.recv().unwrap();
}

fn recv2(c: Receiver<i32>) {
    select! {
        recv(c) -> v => { v.unwrap(); }
    }
}

fn recv3(c: Receiver<i32>) {
    let (_idle_tx, idle) = chan::unbuffered::<i32>();
    select! {
        recv(c) -> v => { v.unwrap(); }
        recv(idle) => unreachable!("nobody sends on the idle channel"),
    }
}

fn send1(recv: fn(Receiver<i32>)) {
    let (tx, rx) = chan::unbuffered();
    let h = go(move || recv(rx));
    sched::yield_now();
    tx.send(1).unwrap();
    h.join().unwrap();
}

fn send2(recv: fn(Receiver<i32>)) {
    let (tx, rx) = chan::unbuffered();
    let h = go(move || recv(rx));
    sched::yield_now();
    select! {
        send(tx, 1) -> r => r.unwrap(),
    }
    h.join().unwrap();
}

fn send3(recv: fn(Receiver<i32>)) {
    let (tx, rx) = chan::unbuffered();
    let h = go(move || recv(rx));
    sched::yield_now();
    let (idle_tx, _idle) = chan::unbuffered::<i32>();
    select! {
        send(tx, 1) -> r => r.unwrap(),
        send(idle_tx, 1) => unreachable!("nobody receives on the idle channel"),
    }
    h.join().unwrap();
}

#[test]
fn discarding_receives() {
    crate::conform(|| {
        for recv in [recv1 as fn(Receiver<i32>), recv2, recv3] {
            send1(recv);
            send2(recv);
            send3(recv);
        }
    });
}
