//! Channels: rendezvous and buffering in virtual time, FIFO, MPMC, close, disconnect, try ops.
//!
//! Both executors ([`common`]), except tests of virtual instants or of orders set up by sleeps.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use gort::chan::{self, RecvError, SendError, TryRecvError, TrySendError};
use gort::{go, sched, sim, time};

/// Runs `main` under the default config and returns its value, or fails with the report.
#[track_caller]
fn run<T>(main: impl FnOnce() -> T + Send) -> T {
    sim::run(&sim::Config::default(), main).unwrap()
}

fn now() -> Duration {
    time::now().elapsed_since_start()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn unbuffered_send_completes_at_the_receivers_instant() {
    let (sent_at, received_at) = run(|| {
        let (tx, rx) = chan::unbuffered();
        let h = go(move || {
            tx.send("hi").unwrap();
            now()
        });
        time::sleep(Duration::from_secs(1));
        assert_eq!(rx.recv(), Ok("hi"));
        let received_at = now();
        (h.join().unwrap(), received_at)
    });
    assert_eq!(sent_at, Duration::from_secs(1));
    assert_eq!(received_at, Duration::from_secs(1));
}

#[test]
fn unbuffered_recv_completes_at_the_senders_instant() {
    let (sent_at, received_at) = run(|| {
        let (tx, rx) = chan::bounded(0);
        let h = go(move || {
            let v = rx.recv().unwrap();
            (v, now())
        });
        time::sleep(ms(250));
        tx.send(9u8).unwrap();
        let sent_at = now();
        let (v, received_at) = h.join().unwrap();
        assert_eq!(v, 9);
        (sent_at, received_at)
    });
    assert_eq!(sent_at, ms(250));
    assert_eq!(received_at, ms(250));
}

#[test]
fn buffered_sends_block_only_when_the_buffer_is_full() {
    const N: usize = 3;
    let (times, len_while_blocked) = run(|| {
        let (tx, rx) = chan::bounded(N);
        let probe = tx.clone();
        let h = go(move || {
            (0..=N)
                .map(|i| {
                    tx.send(i).unwrap();
                    now()
                })
                .collect::<Vec<_>>()
        });
        time::sleep(Duration::from_secs(1));
        let len_while_blocked = probe.len();
        assert!(!h.is_finished(), "the (N+1)th send must still be blocked");
        assert_eq!(rx.recv(), Ok(0));
        let times = h.join().unwrap();
        drop(probe);
        assert_eq!(rx.iter().collect::<Vec<_>>(), [1, 2, 3]);
        (times, len_while_blocked)
    });
    let mut expected = vec![Duration::ZERO; N];
    expected.push(Duration::from_secs(1));
    assert_eq!(times, expected);
    assert_eq!(len_while_blocked, N);
}

#[test]
fn values_come_out_in_the_order_they_went_in() {
    let got = common::both(|| {
        let (tx, rx) = chan::bounded(16);
        for i in 0..16 {
            tx.send(i).unwrap();
        }
        drop(tx);
        rx.into_iter().collect::<Vec<_>>()
    });
    assert_eq!(got, (0..16).collect::<Vec<_>>());
}

#[test]
fn fifo_holds_across_a_slow_receiver() {
    common::seeds_both(20, || {
        let (tx, rx) = chan::bounded(2);
        let h = go(move || {
            for i in 0..20 {
                tx.send(i).unwrap();
            }
        });
        let mut got = Vec::new();
        for v in &rx {
            got.push(v);
            time::sleep(ms(1));
        }
        h.join().unwrap();
        assert_eq!(got, (0..20).collect::<Vec<_>>());
    });
}

#[test]
fn blocked_senders_are_served_first_come_first_served() {
    let got = run(|| {
        let (tx, rx) = chan::unbuffered();
        let hs: Vec<_> = (0..3u64)
            .map(|i| {
                let tx = tx.clone();
                go(move || {
                    time::sleep(ms(i + 1)); // block in the order 0, 1, 2
                    tx.send(i).unwrap();
                })
            })
            .collect();
        drop(tx);
        time::sleep(ms(100));
        let got: Vec<u64> = rx.iter().collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        got
    });
    assert_eq!(got, [0, 1, 2]);
}

#[test]
fn blocked_receivers_are_served_first_come_first_served() {
    let got = run(|| {
        let (tx, rx) = chan::unbuffered();
        let hs: Vec<_> = (0..3u64)
            .map(|i| {
                let rx = rx.clone();
                go(move || {
                    time::sleep(ms(i + 1)); // block in the order 0, 1, 2
                    rx.recv().unwrap()
                })
            })
            .collect();
        time::sleep(ms(100));
        for v in [10, 11, 12] {
            tx.send(v).unwrap();
        }
        hs.into_iter().map(|h| h.join().unwrap()).collect::<Vec<u64>>()
    });
    assert_eq!(got, [10, 11, 12]);
}

/// Several producers and consumers: every value arrives exactly once, and each consumer sees
/// each producer's values in the order they were sent.
fn mpmc(capacity: usize) -> impl Fn() + Sync {
    const SENDERS: u32 = 3;
    const RECEIVERS: u32 = 3;
    const PER_SENDER: u32 = 8;
    move || {
        let (tx, rx) = chan::bounded::<(u32, u32)>(capacity);
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                let tx = tx.clone();
                go(move || {
                    for i in 0..PER_SENDER {
                        tx.send((s, i)).unwrap();
                    }
                })
            })
            .collect();
        let receivers: Vec<_> = (0..RECEIVERS)
            .map(|_| {
                let rx = rx.clone();
                go(move || rx.iter().collect::<Vec<_>>())
            })
            .collect();
        drop(tx);
        drop(rx);
        senders.into_iter().for_each(|h| h.join().unwrap());
        let mut all = BTreeMap::new();
        for h in receivers {
            let got = h.join().unwrap();
            let mut last: BTreeMap<u32, u32> = BTreeMap::new();
            for &(s, i) in &got {
                if let Some(&prev) = last.get(&s) {
                    assert!(prev < i, "sender {s}: {i} arrived after {prev} in {got:?}");
                }
                last.insert(s, i);
                *all.entry((s, i)).or_insert(0) += 1;
            }
        }
        let expected: BTreeMap<(u32, u32), i32> =
            (0..SENDERS).flat_map(|s| (0..PER_SENDER).map(move |i| ((s, i), 1))).collect();
        assert_eq!(all, expected, "every value must be received exactly once");
    }
}

#[test]
fn mpmc_unbuffered_delivers_every_value_once_in_per_sender_order() {
    common::seeds_both(100, mpmc(0));
}

#[test]
fn mpmc_buffered_delivers_every_value_once_in_per_sender_order() {
    common::seeds_both(100, mpmc(1));
    common::seeds_both(100, mpmc(4));
}

#[test]
fn mpmc_under_explore() {
    for capacity in [0, 2] {
        let summary = sim::explore(&sim::Config::default(), 100, mpmc(capacity));
        assert!(summary.is_ok(), "capacity {capacity}:\n{}", summary.unwrap_err());
    }
}

#[test]
fn dropping_the_last_sender_closes_after_draining() {
    let got = common::both(|| {
        let (tx, rx) = chan::bounded(3);
        let tx2 = tx.clone();
        tx.send(1).unwrap();
        tx2.send(2).unwrap();
        drop(tx);
        assert_eq!(rx.try_recv(), Ok(1)); // one sender is left: still open
        tx2.send(3).unwrap();
        drop(tx2);
        let got = vec![rx.recv().unwrap(), rx.recv().unwrap()];
        assert_eq!(rx.recv(), Err(RecvError));
        assert_eq!(rx.recv(), Err(RecvError), "closed stays closed");
        got
    });
    assert_eq!(got, [2, 3]);
}

#[test]
fn for_loop_over_a_receiver_ends_when_the_channel_closes() {
    let got = run(|| {
        let (tx, rx) = chan::bounded(0);
        go(move || {
            for i in 0..5 {
                time::sleep(ms(10));
                tx.send(i).unwrap();
            }
        });
        let mut got = Vec::new();
        for v in rx {
            got.push(v);
        }
        (got, now())
    });
    assert_eq!(got, ((0..5).collect::<Vec<_>>(), ms(50)));
}

#[test]
fn a_blocked_receiver_wakes_with_an_error_when_the_last_sender_goes() {
    let program = |wait: Duration| {
        move || {
            let (tx, rx) = chan::bounded::<u8>(0);
            let h = go(move || (rx.recv(), now()));
            time::sleep(wait);
            drop(tx);
            h.join().unwrap()
        }
    };
    let (result, at) = run(program(ms(300)));
    assert_eq!(result, Err(RecvError));
    assert_eq!(at, ms(300));
    // On the real clock the instant is not exact, and the outcome the same.
    assert_eq!(common::on_par(program(ms(5))).0, Err(RecvError));
}

#[test]
fn sender_close_closes_the_channel() {
    common::both(|| {
        let (tx, rx) = chan::bounded::<u8>(1);
        tx.send(4).unwrap();
        tx.close();
        assert_eq!(rx.recv(), Ok(4));
        assert_eq!(rx.recv(), Err(RecvError));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    });
}

#[test]
fn sender_close_of_one_clone_leaves_the_channel_open() {
    common::both(|| {
        let (tx, rx) = chan::bounded::<u8>(1);
        let tx2 = tx.clone();
        tx.close();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        tx2.send(1).unwrap();
        tx2.close();
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.recv(), Err(RecvError));
    });
}

#[test]
fn sending_with_every_receiver_gone_gives_the_value_back() {
    common::both(|| {
        let (tx, rx) = chan::bounded(1);
        let rx2 = rx.clone();
        drop(rx);
        tx.send(String::from("kept")).unwrap(); // one receiver is left
        drop(rx2);
        let SendError(back) = tx.send(String::from("lost?")).unwrap_err();
        assert_eq!(back, "lost?");
        let (tx, rx) = chan::unbuffered::<u8>();
        drop(rx);
        assert_eq!(tx.send(3).unwrap_err().0, 3);
    });
}

#[test]
fn a_blocked_sender_gets_its_value_back_when_the_last_receiver_goes() {
    let program = |wait: Duration| {
        move || {
            let (tx, rx) = chan::bounded(1);
            tx.send(0u32).unwrap(); // fills the buffer
            let h = go(move || (tx.send(7).map_err(|e| e.0), now()));
            time::sleep(wait);
            drop(rx);
            h.join().unwrap()
        }
    };
    let (result, at) = run(program(ms(500)));
    assert_eq!(result, Err(7));
    assert_eq!(at, ms(500));
    // On the real clock the instant is not exact, and the outcome the same.
    assert_eq!(common::on_par(program(ms(5))).0, Err(7));
}

#[test]
fn a_blocked_unbuffered_sender_gets_its_value_back_when_the_last_receiver_goes() {
    let result = common::both(|| {
        let (tx, rx) = chan::unbuffered();
        let rx2 = rx.clone();
        let h = go(move || tx.send(String::from("v")).map_err(|e| e.0));
        time::sleep(ms(1));
        drop(rx);
        assert!(!h.is_finished(), "one receiver is still there");
        drop(rx2);
        h.join().unwrap()
    });
    assert_eq!(result, Err(String::from("v")));
}

#[test]
fn try_send_reports_full_and_disconnected() {
    common::both(|| {
        let (tx, rx) = chan::bounded(1);
        assert_eq!(tx.try_send(1), Ok(()));
        assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(tx.try_send(3), Ok(()));
        drop(rx);
        assert_eq!(tx.try_send(4), Err(TrySendError::Disconnected(4)));
        assert_eq!(TrySendError::Full(5).into_inner(), 5);

        let (tx, rx) = chan::unbuffered::<u8>();
        assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)), "nobody is receiving");
        drop(rx);
        assert_eq!(tx.try_send(1), Err(TrySendError::Disconnected(1)));
    });
}

#[test]
fn try_send_on_unbuffered_succeeds_when_a_receiver_waits() {
    let got = run(|| {
        let (tx, rx) = chan::unbuffered();
        let h = go(move || rx.recv().unwrap());
        time::sleep(ms(1)); // the receiver blocks first
        assert_eq!(tx.try_send(11), Ok(()));
        h.join().unwrap()
    });
    assert_eq!(got, 11);
}

#[test]
fn try_recv_reports_empty_and_disconnected() {
    common::both(|| {
        let (tx, rx) = chan::bounded(2);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        tx.send(1).unwrap();
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        tx.send(2).unwrap();
        drop(tx);
        assert_eq!(rx.try_recv(), Ok(2), "buffered values survive the close");
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    });
}

#[test]
fn try_recv_on_unbuffered_takes_from_a_blocked_sender() {
    run(|| {
        let (tx, rx) = chan::unbuffered();
        let h = go(move || tx.send(5).unwrap());
        time::sleep(ms(1));
        assert_eq!(rx.try_recv(), Ok(5));
        h.join().unwrap();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    });
}

#[test]
fn len_and_capacity() {
    common::both(|| {
        let (tx, rx) = chan::bounded(3);
        assert_eq!((tx.capacity(), rx.capacity()), (3, 3));
        assert!(tx.is_empty() && rx.is_empty());
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        assert_eq!((tx.len(), rx.len()), (2, 2));
        assert!(!rx.is_empty());
        rx.recv().unwrap();
        assert_eq!(rx.len(), 1);
        let (tx0, rx0) = chan::unbuffered::<u8>();
        assert_eq!((tx0.capacity(), rx0.capacity(), tx0.len()), (0, 0, 0));
        let h = go(move || tx0.send(1).unwrap());
        time::sleep(ms(1));
        assert_eq!(rx0.len(), 0, "a blocked sender's value is not buffered");
        rx0.recv().unwrap();
        h.join().unwrap();
    });
}

#[test]
fn cloned_receivers_share_the_values() {
    common::seeds_both(50, || {
        let (tx, rx) = chan::bounded(2);
        let hs: Vec<_> = (0..2)
            .map(|_| {
                let rx = rx.clone();
                go(move || rx.iter().collect::<Vec<u32>>())
            })
            .collect();
        drop(rx);
        for i in 0..20 {
            tx.send(i).unwrap();
        }
        drop(tx);
        let mut all: Vec<u32> = hs.into_iter().flat_map(|h| h.join().unwrap()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..20).collect::<Vec<_>>());
    });
}

#[test]
fn a_buffered_channel_never_holds_more_than_its_capacity() {
    for capacity in [1usize, 2, 3] {
        common::seeds_both(60, move || {
            let (tx, rx) = chan::bounded::<u32>(capacity);
            let check = tx.clone();
            let senders: Vec<_> = (0..3)
                .map(|s| {
                    let tx = tx.clone();
                    go(move || {
                        for i in 0..10 {
                            if i % 3 == 0 {
                                let _ = tx.try_send(s * 100 + i);
                            } else {
                                tx.send(s * 100 + i).unwrap();
                            }
                            assert!(tx.len() <= capacity, "len {} > {capacity}", tx.len());
                        }
                    })
                })
                .collect();
            let receivers: Vec<_> = (0..2)
                .map(|r| {
                    let rx = rx.clone();
                    go(move || {
                        let mut n = 0;
                        loop {
                            let got = if r == 0 {
                                match rx.try_recv() {
                                    Ok(v) => Some(v),
                                    Err(TryRecvError::Empty) => {
                                        sched::yield_now();
                                        None
                                    }
                                    Err(TryRecvError::Disconnected) => break,
                                }
                            } else {
                                match rx.recv() {
                                    Ok(v) => Some(v),
                                    Err(RecvError) => break,
                                }
                            };
                            n += usize::from(got.is_some());
                            assert!(rx.len() <= capacity, "len {} > {capacity}", rx.len());
                        }
                        n
                    })
                })
                .collect();
            drop(tx);
            drop(rx);
            senders.into_iter().for_each(|h| h.join().unwrap());
            assert!(check.len() <= capacity);
            drop(check);
            let received: usize = receivers.into_iter().map(|h| h.join().unwrap()).sum();
            // 6 of each sender's 10 values go through a blocking send.
            assert!((18..=30).contains(&received), "received {received}");
        });
    }
}
