//! Port of src/runtime/chan_test.go: the runtime's own tests of channel and select semantics.
//!
//! What they check: receiving from an empty channel and sending to a full one block, and
//! their non-blocking forms do not; a closed channel yields its buffered values in order and
//! then fails, and closing wakes a blocked receiver; values arrive FIFO, and none is lost or
//! duplicated with many senders and receivers; `len`/`cap`; a non-blocking select sees the
//! channels at one instant; a select never pairs its own send with its own receive; select
//! chooses fairly among ready arms, also among two sends; a select queued twice on one
//! channel, or woken by a close, leaves the channel's queues intact. How the port deviates:
//! Rust has no nil channels, so a channel whose other end stays open and idle stands in for
//! one; closing is dropping the last `Sender`, so Go's zero value from a closed channel is
//! `Err(RecvError)`; Go's sleeps become virtual sleeps, which only end once every other
//! thread is blocked, so "has not happened yet" checks are exact; every thread is joined (Go
//! leaves some running); the counts are scaled down (noted per test) to keep each test fast
//! under [`SCHEDULES`](crate::SCHEDULES) schedules.
//!
//! Ported:
//! - `TestChan`: six tests, one per sub-check, each over capacities 0 to 19 (Go's short mode).
//! - `TestNonblockRecvRace`, `TestNonblockSelectRace`, `TestNonblockSelectRace2`: 20 rounds
//!   (Go: 10,000 and 100,000).
//! - `TestSelfSelect`: 200 selects per thread (Go: 1,000).
//! - `TestSelectStress`: 50 values per channel and sender (Go: 100,000).
//! - `TestSelectFairness`: 2,000 trials, each arm within 50% ± 5% (Go: 10,000, ± 10 σ).
//! - `TestChanSendInterface`: with `Arc<dyn Any>` values, checking that the values of send
//!   arms not chosen are dropped.
//! - `TestPseudoRandomSend`, `TestMultiConsumer` (1,000 values; Go: 271,828).
//! - `TestShrinkStackDuringBlockedSend`: gort neither collects garbage nor moves stacks; kept
//!   as a check that a thread that parks between deep excursions of its stack sends right.
//! - `TestSelectDuplicateChannel`, and `TestSelectStackAdjust` as a check that closing a
//!   channel wakes selects parked on it twice, after deep stack use.
//!
//! Skipped:
//! - `TestNoShrinkStackWhileParking`: a race between GC stack shrinking and parking, which
//!   gort does not have; its program is `TestShrinkStackDuringBlockedSend`'s, repeated.
//! - The `Benchmark*` functions: performance, not semantics.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::Duration;

use gort::chan::{self, Receiver, RecvError, Sender, TryRecvError, TrySendError};
use gort::{go, sched, select, time};

/// Capacities `TestChan` covers (Go's short mode; 200 in full mode).
const CAPS: std::ops::Range<usize> = 0..20;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn flag() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(false))
}

/// `TestChan`, receive from an empty channel: blocks, and the non-blocking forms find nothing.
fn recv_from_empty_blocks(cap: usize) {
    let (tx, rx) = chan::bounded::<i32>(cap);
    let (recv1, recv2) = (flag(), flag());
    let h1 = {
        let (rx, recv1) = (rx.clone(), recv1.clone());
        go(move || {
            rx.recv().unwrap();
            recv1.store(true, SeqCst);
        })
    };
    let h2 = {
        let (rx, recv2) = (rx.clone(), recv2.clone());
        go(move || {
            select! { recv(rx) -> v => v.unwrap() };
            recv2.store(true, SeqCst);
        })
    };
    time::sleep(ms(1));
    assert!(!recv1.load(SeqCst) && !recv2.load(SeqCst), "chan[{cap}]: receive from empty chan");
    select! {
        recv(rx) -> v => panic!("chan[{cap}]: non-blocking receive from empty chan got {v:?}"),
        default => {}
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty), "chan[{cap}]: try_recv from empty chan");
    tx.send(0).unwrap();
    tx.send(0).unwrap();
    h1.join().unwrap();
    h2.join().unwrap();
    assert!(recv1.load(SeqCst) && recv2.load(SeqCst), "chan[{cap}]: a receiver missed its value");
}

/// `TestChan`, send to a full channel: blocks, and the non-blocking forms do not send.
fn send_to_full_blocks(cap: usize) {
    let (tx, rx) = chan::bounded(cap);
    for i in 0..cap {
        tx.send(i).unwrap();
    }
    let sent = flag();
    let h = {
        let (tx, sent) = (tx.clone(), sent.clone());
        go(move || {
            tx.send(0).unwrap();
            sent.store(true, SeqCst);
        })
    };
    time::sleep(ms(1));
    assert!(!sent.load(SeqCst), "chan[{cap}]: send to full chan");
    select! {
        send(tx, 0) => panic!("chan[{cap}]: non-blocking send to full chan"),
        default => {}
    }
    assert_eq!(tx.try_send(7), Err(TrySendError::Full(7)), "chan[{cap}]: try_send to full chan");
    // The oldest value: the first buffered one, or (unbuffered) the blocked sender's.
    assert_eq!(rx.recv(), Ok(0), "chan[{cap}]: wrong first value");
    h.join().unwrap();
    assert!(sent.load(SeqCst), "chan[{cap}]: the blocked sender did not finish");
}

/// `TestChan`, a closed channel: its buffered values in order, then `Err` (Go: zero values).
fn closed_chan_drains_then_fails(cap: usize) {
    let (tx, rx) = chan::bounded(cap);
    for i in 0..cap {
        tx.send(i).unwrap();
    }
    tx.close();
    for i in 0..cap {
        assert_eq!(rx.recv(), Ok(i), "chan[{cap}]: wrong value after close");
    }
    assert_eq!(rx.recv(), Err(RecvError), "chan[{cap}]: received from a closed, drained chan");
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected), "chan[{cap}]: try_recv");
    let v = select! { recv(rx) -> v => v };
    assert_eq!(v, Err(RecvError), "chan[{cap}]: select on a closed, drained chan");
}

/// `TestChan`, closing wakes a blocked receiver, which gets `Err`.
fn close_unblocks_receive(cap: usize) {
    let (tx, rx) = chan::bounded::<i32>(cap);
    let (done_tx, done) = chan::unbuffered();
    let h = go(move || done_tx.send(rx.recv() == Err(RecvError)).unwrap());
    time::sleep(ms(1));
    tx.close();
    assert!(done.recv().unwrap(), "chan[{cap}]: received a value from a closed chan");
    h.join().unwrap();
}

/// `TestChan`, FIFO order from one sender (twice), then no value lost or duplicated with
/// [`SENDERS`] senders and as many receivers of [`PER_SENDER`] values each (Go: 1,000).
fn fifo_and_many_to_many(cap: usize) {
    const SENDERS: usize = 4;
    const PER_SENDER: usize = 100;
    let (tx, rx) = chan::bounded(cap);
    for round in 0..2 {
        let tx = tx.clone();
        let h = go(move || (0..100).for_each(|i| tx.send(i).unwrap()));
        if round == 0 {
            for i in 0..100 {
                assert_eq!(rx.recv(), Ok(i), "chan[{cap}]: out of order");
            }
        } else {
            let got: Vec<usize> = rx.iter().take(100).collect();
            assert!(got.iter().copied().eq(0..100), "chan[{cap}]: out of order: {got:?}");
        }
        h.join().unwrap();
    }

    let senders: Vec<_> = (0..SENDERS)
        .map(|_| {
            let tx = tx.clone();
            go(move || (0..PER_SENDER).for_each(|i| tx.send(i).unwrap()))
        })
        .collect();
    let (done_tx, done) = chan::unbuffered::<BTreeMap<usize, usize>>();
    let receivers: Vec<_> = (0..SENDERS)
        .map(|_| {
            let (rx, done_tx) = (rx.clone(), done_tx.clone());
            go(move || {
                let mut got = BTreeMap::new();
                for _ in 0..PER_SENDER {
                    *got.entry(rx.recv().unwrap()).or_insert(0) += 1;
                }
                done_tx.send(got).unwrap();
            })
        })
        .collect();
    let mut got = BTreeMap::new();
    for _ in 0..SENDERS {
        for (v, n) in done.recv().unwrap() {
            *got.entry(v).or_insert(0) += n;
        }
    }
    assert_eq!(got.len(), PER_SENDER, "chan[{cap}]: received {} distinct values", got.len());
    for (v, n) in got {
        assert_eq!(n, SENDERS, "chan[{cap}]: received {v} {n} times");
    }
    senders.into_iter().chain(receivers).for_each(|h| h.join().unwrap());
}

/// `TestChan`, `len` and `cap`.
fn len_and_cap(cap: usize) {
    let (tx, rx) = chan::bounded(cap);
    assert_eq!((tx.len(), tx.capacity()), (0, cap), "chan[{cap}]: bad len/cap");
    for i in 0..cap {
        tx.send(i).unwrap();
    }
    assert_eq!((tx.len(), tx.capacity()), (cap, cap), "chan[{cap}]: bad len/cap");
    assert_eq!((rx.len(), rx.capacity()), (cap, cap), "chan[{cap}]: bad len/cap (receiver)");
}

#[test]
fn chan_receive_from_empty_blocks() {
    crate::conform(|| CAPS.for_each(recv_from_empty_blocks));
}

#[test]
fn chan_send_to_full_blocks() {
    crate::conform(|| CAPS.for_each(send_to_full_blocks));
}

#[test]
fn chan_closed_yields_buffered_values_then_err() {
    crate::conform(|| CAPS.for_each(closed_chan_drains_then_fails));
}

#[test]
fn chan_close_unblocks_receive() {
    crate::conform(|| CAPS.for_each(close_unblocks_receive));
}

#[test]
fn chan_fifo_and_many_to_many() {
    crate::conform(|| [0, 1, 2, 3, 7, 19].into_iter().for_each(fifo_and_many_to_many));
}

#[test]
fn chan_len_and_cap() {
    crate::conform(|| CAPS.for_each(len_and_cap));
}

/// Rounds of the non-blocking race tests (Go: 10,000 and 100,000).
const RACE_ROUNDS: usize = 20;

#[test]
fn nonblock_recv_race() {
    crate::conform(|| {
        for _ in 0..RACE_ROUNDS {
            let (tx, rx) = chan::bounded(1);
            tx.send(1).unwrap();
            let h = {
                let rx = rx.clone();
                go(move || {
                    select! {
                        recv(rx) => {}
                        default => panic!("chan is not ready"),
                    }
                })
            };
            tx.close();
            // Main or the thread gets the value; the other finds the channel closed.
            let _ = rx.recv();
            h.join().unwrap();
        }
    });
}

/// From the moment the thread starts, `c1` or `c2` (or both) is ready to receive from, so
/// its non-blocking select must receive. `c2` becomes ready by a send (Go's
/// `TestNonblockSelectRace`) or by closing it (`TestNonblockSelectRace2`), then main takes
/// `c1`'s value if it is still there.
fn select_race(c2_cap: usize, close_c2: bool) {
    let (done_tx, done) = chan::bounded(1);
    for _ in 0..RACE_ROUNDS {
        let (c1_tx, c1) = chan::bounded(1);
        let (c2_tx, c2) = chan::bounded(c2_cap);
        c1_tx.send(1).unwrap();
        let h = {
            let (c1, c2, done_tx) = (c1.clone(), c2.clone(), done_tx.clone());
            go(move || {
                let took = select! {
                    recv(c1) => true,
                    recv(c2) => true,
                    default => false,
                };
                done_tx.send(took).unwrap();
            })
        };
        let _c2_tx = if close_c2 {
            c2_tx.close();
            None
        } else {
            c2_tx.send(1).unwrap();
            Some(c2_tx)
        };
        select! {
            recv(c1) => {}
            default => {}
        }
        assert!(done.recv().unwrap(), "no chan is ready");
        h.join().unwrap();
    }
}

#[test]
fn nonblock_select_race() {
    crate::conform(|| select_race(1, false));
}

#[test]
fn nonblock_select_race_with_close() {
    crate::conform(|| select_race(0, true));
}

/// Selects per thread in `self_select` (Go: 1,000).
const SELF_SELECT_ROUNDS: usize = 200;

/// Two threads select between sending to and receiving from the same channel; on an
/// unbuffered channel neither may ever receive its own value.
#[test]
fn self_select() {
    crate::conform(|| {
        for cap in [0, 10] {
            let (tx, rx) = chan::bounded(cap);
            let hs: Vec<_> = (0..2)
                .map(|p| {
                    let (tx, rx) = (tx.clone(), rx.clone());
                    go(move || {
                        let check = |v: Result<usize, RecvError>| {
                            let v = v.expect("the channel closed");
                            assert!(cap != 0 || v != p, "self receive (thread {p})");
                        };
                        // Go writes the arms in both orders; the choice does not depend on it.
                        for i in 0..SELF_SELECT_ROUNDS {
                            if p == 0 || i % 2 == 0 {
                                select! {
                                    send(tx, p) -> r => r.unwrap(),
                                    recv(rx) -> v => check(v),
                                }
                            } else {
                                select! {
                                    recv(rx) -> v => check(v),
                                    send(tx, p) -> r => r.unwrap(),
                                }
                            }
                        }
                    })
                })
                .collect();
            hs.into_iter().for_each(|h| h.join().unwrap());
        }
    });
}

/// Values each plain sender sends, and each plain receiver receives (Go: 100,000).
const STRESS_N: usize = 50;

/// Counts one operation on channel `k` of a select; after [`STRESS_N`] of them, replaces the
/// channel by `never` (Go: sets it to nil).
fn count<'a, C>(k: usize, n: &mut [usize; 4], c: &mut [&'a C; 4], never: &'a C) {
    n[k] += 1;
    if n[k] == STRESS_N {
        c[k] = never;
    }
}

/// Four channels (two unbuffered, two buffered) each with a plain sender and a plain
/// receiver, plus one thread sending on all four in one select and one receiving from all
/// four in one select, each replacing a channel by a never-ready stand-in after its share.
/// Plain senders send 1 and the select sender sends 2, so each channel must deliver
/// `3 · STRESS_N` in total.
#[test]
fn select_stress() {
    crate::conform(|| {
        let (txs, rxs): (Vec<_>, Vec<_>) = [0, 0, 2, 3].into_iter().map(chan::bounded).unzip();
        let mut plain = Vec::new();
        for k in 0..4 {
            let tx = txs[k].clone();
            plain.push(go(move || {
                (0..STRESS_N).for_each(|_| tx.send(1).unwrap());
                0
            }));
            let rx = rxs[k].clone();
            plain.push(go(move || (0..STRESS_N).map(|_| rx.recv().unwrap()).sum::<usize>()));
        }
        let select_sender = go(move || {
            let (never, _idle) = chan::unbuffered();
            let mut c: [&Sender<usize>; 4] = std::array::from_fn(|k| &txs[k]);
            let mut n = [0; 4];
            for _ in 0..4 * STRESS_N {
                let k = select! {
                    send(c[3], 2) -> r => { r.unwrap(); 3 }
                    send(c[2], 2) -> r => { r.unwrap(); 2 }
                    send(c[0], 2) -> r => { r.unwrap(); 0 }
                    send(c[1], 2) -> r => { r.unwrap(); 1 }
                };
                count(k, &mut n, &mut c, &never);
            }
        });
        let select_receiver = go(move || {
            let (_idle, never) = chan::unbuffered();
            let mut c: [&Receiver<usize>; 4] = std::array::from_fn(|k| &rxs[k]);
            let mut n = [0; 4];
            let mut sums = [0; 4];
            for _ in 0..4 * STRESS_N {
                let (k, v) = select! {
                    recv(c[0]) -> v => (0, v),
                    recv(c[1]) -> v => (1, v),
                    recv(c[2]) -> v => (2, v),
                    recv(c[3]) -> v => (3, v),
                };
                sums[k] += v.expect("a channel closed early");
                count(k, &mut n, &mut c, &never);
            }
            sums
        });
        select_sender.join().unwrap();
        let mut sums = select_receiver.join().unwrap();
        for (i, h) in plain.into_iter().enumerate() {
            sums[i / 2] += h.join().unwrap();
        }
        assert_eq!(sums, [3 * STRESS_N; 4], "values lost or duplicated");
    });
}
