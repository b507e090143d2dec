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
//! - `TestChan`: six tests, one per sub-check, each over capacities 0 to 19 (Go's short
//!   mode), except the FIFO and many-to-many one: capacities 0, 1, 2, 3, 7 and 19, and 100
//!   values per sender (Go: 1,000).
//! - `TestNonblockRecvRace`, `TestNonblockSelectRace`, `TestNonblockSelectRace2`: 100 rounds
//!   (Go: 10,000 and 100,000).
//! - `TestSelfSelect`, as in Go (1,000 selects per thread).
//! - `TestSelectStress`: 200 values per channel and sender (Go: 100,000).
//! - `TestSelectFairness`: 2,000 trials, each arm within 50% ± 5% (Go: 10,000, ± 10 σ).
//! - `TestChanSendInterface`: with `Arc<dyn Any>` values, checking that the values of send
//!   arms not chosen are dropped.
//! - `TestPseudoRandomSend`, as two tests: buffered, and unbuffered (where the select blocks
//!   with both arms queued on one channel; it caught gort queueing them in source order).
//! - `TestMultiConsumer`: 1,000 values (Go: 271,828).
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
/// `SENDERS` senders and as many receivers of `PER_SENDER` values each (Go: 1,000).
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
const RACE_ROUNDS: usize = 100;

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

/// Selects per thread in `self_select`, as in Go.
const SELF_SELECT_ROUNDS: usize = 1000;

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
const STRESS_N: usize = 200;

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

/// Values `select_fairness` counts (Go: 10,000).
const TRIALS: usize = 2000;

/// A thread selects over two never-ready channels and two that always hold a value; each of
/// the two must be chosen in 50% ± 5% of the trials (about ± 4.5 σ).
#[test]
fn select_fairness() {
    crate::conform(|| {
        let (c1_tx, c1) = chan::bounded(TRIALS + 1);
        let (c2_tx, c2) = chan::bounded(TRIALS + 1);
        for _ in 0..=TRIALS {
            c1_tx.send(1u8).unwrap();
            c2_tx.send(2u8).unwrap();
        }
        let (_c3_tx, c3) = chan::unbuffered::<u8>();
        let (_c4_tx, c4) = chan::unbuffered::<u8>();
        let (out_tx, out) = chan::unbuffered();
        let (done_tx, done) = chan::unbuffered::<()>();
        let h = go(move || {
            loop {
                let b = select! {
                    recv(c3) -> b => b,
                    recv(c4) -> b => b,
                    recv(c1) -> b => b,
                    recv(c2) -> b => b,
                };
                let b = b.expect("a channel closed");
                select! {
                    send(out_tx, b) -> r => r.unwrap(),
                    recv(done) => return,
                }
            }
        });
        let mut counts = [0usize; 2];
        for _ in 0..TRIALS {
            match out.recv().unwrap() {
                b @ (1 | 2) => counts[usize::from(b - 1)] += 1,
                b => panic!("unexpected value {b} on channel"),
            }
        }
        assert!(
            counts[0].abs_diff(TRIALS / 2) <= TRIALS / 20,
            "unfair select: in {TRIALS} trials, results were {counts:?}"
        );
        drop(done_tx);
        h.join().unwrap();
    });
}

/// Go's check that sending interface values through select works; here, with
/// `Arc<dyn Any>` values, also that the values of send arms not chosen are dropped.
#[test]
fn chan_send_interface() {
    crate::conform(|| {
        struct Mt;
        let m: Arc<dyn Any + Send + Sync> = Arc::new(Mt);
        let (tx, rx) = chan::bounded(1);
        tx.send(m.clone()).unwrap();
        select! {
            send(tx, m.clone()) => panic!("sent to a full channel"),
            default => {}
        }
        select! {
            send(tx, m.clone()) => panic!("sent to a full channel"),
            send(tx, Arc::new(Mt) as Arc<dyn Any + Send + Sync>) => panic!("sent to a full channel"),
            default => {}
        }
        assert_eq!(Arc::strong_count(&m), 2, "a value of a send arm not chosen was kept");
        let got = rx.recv().unwrap();
        assert!(Arc::ptr_eq(&got, &m) && got.is::<Mt>(), "received another value");
    });
}

/// A select with two send arms on one channel, `1` and `0`: over [`RANDOM_SENDS`] sends
/// each value must be sent more than a tenth of the time.
fn pseudo_random_send(cap: usize) {
    let (tx, rx) = chan::bounded(cap);
    let h = go(move || {
        (0..RANDOM_SENDS)
            .map(|_| {
                sched::yield_now();
                rx.recv().unwrap()
            })
            .collect::<Vec<usize>>()
    });
    for _ in 0..RANDOM_SENDS {
        select! {
            send(tx, 1) -> r => r.unwrap(),
            send(tx, 0) -> r => r.unwrap(),
        }
    }
    let ones: usize = h.join().unwrap().into_iter().sum();
    let zeros = RANDOM_SENDS - ones;
    assert!(
        zeros > RANDOM_SENDS / 10 && ones > RANDOM_SENDS / 10,
        "want pseudorandom, got {zeros} zeros and {ones} ones (chan cap {cap})"
    );
}

const RANDOM_SENDS: usize = 100;

/// Buffered: the select finds room and both arms ready.
#[test]
fn pseudo_random_send_buffered() {
    crate::conform(|| pseudo_random_send(RANDOM_SENDS));
}

/// Unbuffered: the receiver yields first, so the select usually blocks with both arms
/// queued on the channel, and the receiver's arrival makes both ready at once.
#[test]
fn pseudo_random_send_unbuffered() {
    crate::conform(|| pseudo_random_send(0));
}

/// 23 workers take values from one queue (yielding on some of them) and pass them on to a
/// results channel; the feeder closes the queue, waits for the workers, then closes the
/// results; main must see every value once (1,000 values; Go: 271,828).
#[test]
fn multi_consumer() {
    const NWORK: usize = 23;
    const NITER: usize = 1000;
    const PN: [usize; 10] = [2, 3, 7, 11, 13, 17, 19, 23, 27, 31];
    crate::conform(|| {
        let (q_tx, q) = chan::bounded(NWORK * 3);
        let (r_tx, r) = chan::bounded(NWORK * 3);
        let workers: Vec<_> = (0..NWORK)
            .map(|w| {
                let (q, r_tx) = (q.clone(), r_tx.clone());
                go(move || {
                    for v in q {
                        // Disturb the queue's FIFO-ish hand-out.
                        if PN[w % PN.len()] == v {
                            sched::yield_now();
                        }
                        r_tx.send(v).unwrap();
                    }
                })
            })
            .collect();
        drop(q);
        let feeder = go(move || {
            let mut expect = 0;
            for i in 0..NITER {
                let v = PN[i % PN.len()];
                expect += v;
                q_tx.send(v).unwrap();
            }
            q_tx.close(); // no more work
            workers.into_iter().for_each(|h| h.join().unwrap());
            r_tx.close(); // so no more results
            expect
        });
        let (mut n, mut s) = (0, 0);
        for v in r {
            n += 1;
            s += v;
        }
        let expect = feeder.join().unwrap();
        assert!(
            n == NITER && s == expect,
            "expected sum {expect} (got {s}) from {NITER} (saw {n})"
        );
    });
}

/// Uses about `depth` KiB of stack for a moment.
fn stack_growth_recursive(depth: u32) {
    let pad = std::hint::black_box([0u64; 128]);
    if depth != 0 && pad[0] == 0 {
        stack_growth_recursive(depth - 1);
    }
}

/// The sender parks on every send between deep excursions of its stack; every value must
/// arrive intact. (Go also forces a GC to shrink the parked sender's stack; gort neither
/// collects garbage nor moves stacks.)
#[test]
fn shrink_stack_during_blocked_send() {
    const N: usize = 10;
    crate::conform(|| {
        let (c_tx, c) = chan::unbuffered();
        let (done_tx, done) = chan::unbuffered();
        let h = go(move || {
            for i in 0..N {
                c_tx.send(i).unwrap();
                stack_growth_recursive(20);
            }
            done_tx.send(()).unwrap();
        });
        for i in 0..N {
            assert_eq!(c.recv(), Ok(i), "bad channel read");
            time::sleep(ms(1)); // the sender finishes its excursion and blocks again
        }
        done.recv().unwrap();
        h.join().unwrap();
    });
}

/// A thread selects on `c` twice and on `d`; a second thread waits on `c` behind it. A send
/// on `d` wakes the first, which must leave `c`'s queue intact for the second.
#[test]
fn select_duplicate_channel() {
    crate::conform(|| {
        let (c_tx, c) = chan::unbuffered::<i32>();
        let (d_tx, d) = chan::unbuffered::<i32>();
        let (e_tx, e) = chan::unbuffered::<i32>();
        let a = {
            let c = c.clone();
            go(move || {
                let got = select! {
                    recv(c) -> v => ('c', v),
                    recv(c) -> v => ('c', v),
                    recv(d) -> v => ('d', v),
                };
                e_tx.send(9).unwrap();
                got
            })
        };
        time::sleep(ms(1)); // A is queued on c first
        let b = go(move || c.recv());
        time::sleep(ms(1)); // then B
        d_tx.send(7).unwrap(); // wakes A, which leaves c's queue
        assert_eq!(e.recv(), Ok(9));
        c_tx.send(8).unwrap(); // must wake B
        assert_eq!(a.join().unwrap(), ('d', Ok(7)));
        assert_eq!(b.join().unwrap(), Ok(8));
    });
}

/// Two threads use about 10 KiB of stack, then park in a select on `c` and `d`, one of them
/// with each channel twice (the other with never-ready stand-ins for Go's nil channels).
/// Closing `d` must wake both through a `d` arm, leaving their locals as they were. (Go
/// checks that a stack shrink adjusts the select's pointers into the stack.)
#[test]
fn select_stack_adjust() {
    crate::conform(|| {
        let (c_tx, c) = chan::unbuffered::<i32>();
        let (d_tx, d) = chan::unbuffered::<i32>();
        let f = |ready: Sender<bool>, dup: bool| {
            let (c, d) = (c.clone(), d.clone());
            go(move || {
                stack_growth_recursive(10);
                ready.send(true).unwrap();
                let val = std::hint::black_box(42);
                let (_idle, never) = chan::unbuffered();
                let (c2, d2) = if dup { (&c, &d) } else { (&never, &never) };
                let (arm, v) = select! {
                    recv(c) -> v => ("c", v),
                    recv(c2) -> v => ("c2", v),
                    recv(d) -> v => ("d", v),
                    recv(d2) -> v => ("d2", v),
                };
                assert!(matches!((arm, v), ("d" | "d2", Err(RecvError))), "woken by {arm}");
                assert_eq!(val, 42, "val changed");
                ready.send(true).unwrap();
            })
        };
        let (ready1_tx, ready1) = chan::unbuffered();
        let (ready2_tx, ready2) = chan::unbuffered();
        let h1 = f(ready1_tx, false);
        let h2 = f(ready2_tx, true);
        ready1.recv().unwrap();
        ready2.recv().unwrap();
        time::sleep(ms(10)); // both park in their selects
        d_tx.close();
        ready1.recv().unwrap();
        ready2.recv().unwrap();
        h1.join().unwrap();
        h2.join().unwrap();
        drop(c_tx);
    });
}
