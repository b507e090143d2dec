//! Port of test/chan/fifo.go: channels, buffered or not, deliver values in the order sent.
//!
//! The Go program fills a buffered channel of capacity N and drains it, checking the order;
//! then it threads N goroutines together in a daisy chain over an unbuffered channel, each
//! woken by its predecessor and expecting the next value, so that the values sent by main
//! must reach the waiting receivers in order. The port is the same program; it also joins the
//! chain's threads, since a run must not end with green threads still alive.

use gort::chan::{self, Receiver, Sender};
use gort::go;

const N: usize = 10;

fn buffered_fifo() {
    let (tx, rx) = chan::bounded(N);
    for i in 0..N {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.len(), N);
    for i in 0..N {
        assert_eq!(rx.recv().unwrap(), i, "buffered channel delivered out of order");
    }
}

/// One link: waits for its turn on `turn`, takes the next value from `values`, expects
/// `want`, then hands the turn to the next link.
fn link(values: Receiver<usize>, want: usize, turn: Receiver<()>, next: Sender<()>) {
    turn.recv().unwrap();
    let got = values.recv().unwrap();
    assert_eq!(got, want, "unbuffered channel delivered out of order");
    next.send(()).unwrap();
}

fn unbuffered_fifo() {
    let (values_tx, values) = chan::unbuffered();
    let (start, mut turn) = chan::unbuffered();
    let mut links = Vec::with_capacity(N);
    for i in 0..N {
        let (next_tx, next) = chan::unbuffered();
        let values = values.clone();
        links.push(go(move || link(values, i, turn, next_tx)));
        turn = next;
    }
    start.send(()).unwrap();
    for i in 0..N {
        values_tx.send(i).unwrap();
    }
    turn.recv().unwrap();
    for l in links {
        l.join().unwrap();
    }
}

#[test]
fn buffered_channel_is_fifo() {
    crate::conform(buffered_fifo);
}

#[test]
fn unbuffered_channel_is_fifo() {
    crate::conform(unbuffered_fifo);
}
