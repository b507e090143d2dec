//! Port of test/chan/select4.go: a select proceeds with the one arm whose value is ready.
//!
//! The Go program selects between an empty unbuffered channel, whose case assigns through a
//! function call that must never run, and a buffered channel holding 42, whose case must
//! receive 42. In the port, the arm bodies stand in for the assignments: the body of the arm
//! that is not chosen must not run, and `select!` hands the chosen arm its value.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

use gort::{chan, select};

#[test]
fn select_takes_the_ready_value() {
    crate::conform(|| {
        let called = AtomicBool::new(false);
        let (c_tx, c) = chan::bounded(1);
        let (_c1_tx, c1) = chan::unbuffered::<i32>();
        c_tx.send(42).unwrap();
        let a = select! {
            recv(c1) -> v => {
                called.store(true, SeqCst);
                v.unwrap()
            }
            recv(c) -> v => v.unwrap(),
        };
        assert_eq!(a, 42);
        assert!(!called.load(SeqCst), "the arm of the empty channel ran");
    });
}
