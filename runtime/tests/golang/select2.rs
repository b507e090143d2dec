//! Port of test/chan/select2.go: many selects do not leave anything behind.
//!
//! The Go program runs 100,000 two-case selects, a sender feeding one case while the other
//! (`dummy`) never becomes ready, then runs 100,000 more and checks with `runtime.GC` and
//! `runtime.ReadMemStats` that the second batch did not grow the heap by more than about a
//! byte per select. There is no heap census to read from inside a run, so the port checks
//! what a leak would look like in this runtime instead:
//!
//! * a select that loses must withdraw the waiter it queued on `dummy`: after both batches,
//!   a non-blocking send on `dummy` must find nobody waiting (a leftover waiter would take
//!   it) and the sender's channel must be empty;
//! * selects register nothing with the run: a run of two batches records no more channels
//!   or other objects than a run of one, and exactly one more thread (the second sender).
//!
//! The batches are scaled down to [`SELECTS`] selects under the 200 schedules; the memory
//! comparison runs the Go program's 100,000 under one schedule.

use gort::chan::{self, Receiver, Sender, TrySendError};
use gort::sim::{self, Config};
use gort::{go, select};

const SELECTS: u32 = 1_000;

/// The Go program's batch size.
const GO_SELECTS: u32 = 100_000;

fn sender(c: Sender<i32>, n: u32) {
    for _ in 0..n {
        c.send(1).unwrap();
    }
}

fn receiver(c: &Receiver<i32>, dummy: &Receiver<i32>, n: u32) {
    for _ in 0..n {
        select! {
            recv(c) -> v => assert_eq!(v.unwrap(), 1),
            recv(dummy) => panic!("dummy"),
        }
    }
}

/// Runs `batches` batches of `n` selects and checks nothing was left queued.
fn selects(batches: u32, n: u32) {
    let (c_tx, c) = chan::unbuffered();
    let (dummy_tx, dummy) = chan::unbuffered::<i32>();
    for _ in 0..batches {
        let c_tx = c_tx.clone();
        let h = go(move || sender(c_tx, n));
        receiver(&c, &dummy, n);
        h.join().unwrap();
    }
    match dummy_tx.try_send(7) {
        Err(TrySendError::Full(7)) => {}
        other => panic!("a finished select still waits on dummy: try_send gave {other:?}"),
    }
    assert!(c.try_recv().is_err(), "a value was left in the channel");
}

#[test]
fn selects_leave_no_waiters() {
    crate::conform(|| selects(2, SELECTS));
}

/// Sim-only: it counts the objects and threads in the deterministic executor's trace.
#[test]
fn second_batch_registers_nothing_new() {
    let config = Config::default().with_max_steps(10_000_000);
    let one = sim::run(&config, || selects(1, GO_SELECTS));
    assert!(one.is_ok(), "{one}");
    let two = sim::run(&config, || selects(2, GO_SELECTS));
    assert!(two.is_ok(), "{two}");
    assert_eq!(two.trace().objects().count(), one.trace().objects().count());
    assert_eq!(two.stats().threads, one.stats().threads + 1);
}
