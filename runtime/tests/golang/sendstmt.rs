//! Port of test/chan/sendstmt.go: a send whose channel is itself received, inside a select.
//!
//! The Go program checks two parsing cases of the send statement: `<-cc <- 2` in a select
//! case (send 2 on the channel received from `cc`), and `c <- false || true` (the whole
//! expression is sent). In the port, a channel of [`Sender`]s stands in for Go's `chan chan
//! int`, and the select's send arm takes its sender straight from a receive, which also
//! checks that `select!` evaluates the channel expression before polling. Precedence is no
//! question with method calls, so the second case only checks the value sent.

use gort::chan::{self, Sender};
use gort::select;

fn chan_of_chans() {
    let (cc_tx, cc) = chan::bounded::<Sender<i32>>(1);
    let (c_tx, c) = chan::bounded(1);
    cc_tx.send(c_tx).unwrap();
    select! {
        send(cc.recv().unwrap(), 2) -> r => r.unwrap(),
        default => panic!("the send should not have blocked"),
    }
    assert_eq!(c.recv().unwrap(), 2, "bad receive");
    assert!(c.recv().is_err(), "the sender taken from cc was dropped with the select");
}

fn send_expression() {
    let (tx, rx) = chan::bounded(1);
    let (no, yes) = std::hint::black_box((false, true));
    tx.send(no || yes).unwrap();
    assert!(rx.recv().unwrap(), "sent false");
}

#[test]
fn send_on_received_channel() {
    crate::conform(chan_of_chans);
}

#[test]
fn send_boolean_expression() {
    crate::conform(send_expression);
}
