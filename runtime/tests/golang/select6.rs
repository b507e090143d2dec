//! Port of test/chan/select6.go: a select that loses must leave the other waiters queued.
//!
//! Go issue 2075: a select that was last in a channel's queue of receivers corrupted the
//! queue when another of its cases won, so later waiters on that channel never woke. Here
//! `c1` has two waiters (a plain receive and a select), the select is woken through `c2`,
//! and then two values are sent on `c1`: both the plain receiver and the select's thread,
//! which receives again after its select, must get one. The port is the same program; it
//! joins the three threads at the end.

use gort::{chan, go, select};

fn issue_2075() {
    let (c1_tx, c1) = chan::unbuffered::<bool>();
    let (c2_tx, c2) = chan::unbuffered::<bool>();
    let (c3_tx, c3) = chan::unbuffered::<bool>();
    let plain = {
        let c1 = c1.clone();
        go(move || c1.recv().unwrap())
    };
    let selecting = go(move || {
        select! {
            recv(c1) => panic!("dummy"),
            recv(c2) => c3_tx.send(true).unwrap(),
        }
        c1.recv().unwrap()
    });
    let waker = go(move || c2_tx.send(true).unwrap());
    assert!(c3.recv().unwrap());
    c1_tx.send(true).unwrap();
    c1_tx.send(true).unwrap();
    assert!(plain.join().unwrap());
    assert!(selecting.join().unwrap());
    waker.join().unwrap();
}

#[test]
fn losing_select_keeps_channel_queue_intact() {
    crate::conform(issue_2075);
}
