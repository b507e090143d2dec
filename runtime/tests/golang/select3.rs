//! Port of test/chan/select3.go: which channel operations and selects block, return or panic.
//!
//! The Go program runs small functions and checks, case by case, whether each always or
//! never blocks (racing the function against a timer: 10 ms when it should block, 10 s when
//! it should not) and whether it panics: operations on nil channels block, but a nil case in
//! a select with `default` is skipped; a receive from a closed channel returns at once; a
//! send on a closed channel panics; `select {}` blocks; a select whose cases are all nil or
//! not ready blocks; a select with `default`, or with a ready or closed channel, does not; a
//! select that both sends and receives on one unbuffered channel must not pair with itself.
//!
//! The port keeps the cases and their order, with these stand-ins and changes:
//!
//! * Rust has no nil channels. [`Nil`] is a fresh unbuffered channel whose two ends are both
//!   held by the blocked function itself, so no other thread can ever complete an operation
//!   on it. Each case gets its own, where Go shares one nil channel.
//! * A closed channel is one whose `Sender`s are all dropped: receives return
//!   `Err(RecvError)` where Go returns the zero value and `ok == false`.
//! * A send on a closed channel cannot be written. The nearest thing, a send on a channel
//!   whose `Receiver`s are all gone, returns `Err(SendError)` at once (in a select, that arm
//!   is ready); the port unwraps it, so that it panics like Go.
//! * "Panics" means the function's thread, joined, returns `Err(PanicError)`.
//! * The timers run on virtual time, so they prove more than Go's: a function that must not
//!   block has to return before any virtual time passes, and one that must block has to be
//!   parked forever (nothing in its case can wake it).
//! * A function that blocks forever is left behind, as in Go, so the runs allow leaked
//!   threads; a second test checks that the threads left at the end are exactly the ones of
//!   the cases that must block.
//! * On the parallel executor (a third test), the timers are real: a function that must not
//!   block returns within [`SLACK`](crate::SLACK), and the threads left blocked are unwound
//!   when main returns.

use std::time::Duration;

use gort::chan::{self, Receiver, RecvError, Sender, TryRecvError};
use gort::sched::Builder;
use gort::sim::{self, Config, Strategy};
use gort::{go, select, time};

use crate::Clock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    /// The function did not return before the deadline.
    Blocks,
    /// The function returned.
    Returns,
}

/// A channel no other thread can reach: operations on it never complete. A closure must
/// capture it whole (through the methods), not one end, or the other end would be dropped.
struct Nil {
    tx: Sender<i32>,
    rx: Receiver<i32>,
}

impl Nil {
    fn new() -> Self {
        let (tx, rx) = chan::unbuffered();
        Nil { tx, rx }
    }

    fn tx(&self) -> &Sender<i32> {
        &self.tx
    }

    fn rx(&self) -> &Receiver<i32> {
        &self.rx
    }
}

/// A closed channel: its only `Sender` is dropped.
fn closed() -> Receiver<i32> {
    chan::unbuffered().1
}

/// A channel whose only `Receiver` is dropped: sends on it fail.
fn unreceived() -> Sender<i32> {
    chan::unbuffered().0
}

/// Runs `f` in a thread named `name` and checks it blocks or returns as `expect`ed. Pushes
/// `name` onto `blocked` if it must block: that thread is left behind.
fn test_block(
    clock: Clock,
    blocked: &mut Vec<&'static str>,
    name: &'static str,
    expect: Verdict,
    f: impl FnOnce() + Send + 'static,
) {
    let (verdict_tx, verdict) = chan::unbuffered();
    let (cancel_tx, cancel) = chan::unbuffered::<()>();
    let returned = verdict_tx.clone();
    let runner = Builder::new()
        .name(name)
        .spawn(move || {
            f();
            let _ = returned.send(Verdict::Returns);
        })
        .unwrap();
    let deadline = match expect {
        Verdict::Blocks => Duration::from_millis(10),
        Verdict::Returns => Duration::from_secs(10),
    };
    let timer = go(move || {
        select! {
            recv(time::after(deadline)) => {
                let _ = verdict_tx.send(Verdict::Blocks);
            }
            recv(cancel) => {}
        }
    });
    let start = time::now();
    let got = verdict.recv().unwrap();
    let waited = time::now() - start;
    drop((verdict, cancel_tx));
    timer.join().unwrap();
    assert_eq!(got, expect, "{name}");
    match expect {
        Verdict::Blocks => blocked.push(name),
        Verdict::Returns => {
            let what = format!("{name}: returned, but only after {waited:?}");
            clock.assert_at(start + waited, start, &what);
            runner.join().unwrap();
        }
    }
}

/// Runs `f` in a thread and checks whether it panics.
fn test_panic(name: &str, panics: bool, f: impl FnOnce() + Send + 'static) {
    let outcome = go(f).join();
    assert_eq!(outcome.is_err(), panics, "{name}: {outcome:?}");
}

/// The Go program's cases, in its order. Returns the names of the cases whose thread is
/// left blocked.
fn cases(clock: Clock) -> Vec<&'static str> {
    use Verdict::{Blocks, Returns};
    const ASYNC: usize = 1;
    let mut blocked = Vec::new();
    let b = &mut blocked;

    // Operations on a nil channel block.
    let nil = Nil::new();
    test_block(clock, b, "nil send", Blocks, move || nil.tx().send(7).unwrap());
    let nil = Nil::new();
    test_block(clock, b, "nil recv", Blocks, move || {
        nil.rx().recv().unwrap();
    });

    // A nil channel's case in a select is never chosen.
    let nil = Nil::new();
    test_panic("select nil send, default", false, move || {
        select! {
            send(nil.tx(), 7) => unreachable!(),
            default => {}
        }
    });
    let nil = Nil::new();
    test_panic("select nil recv, default", false, move || {
        select! {
            recv(nil.rx()) => unreachable!(),
            default => {}
        }
    });

    // A send into free buffer space returns.
    test_block(clock, b, "buffered send", Returns, || {
        let (tx, _rx) = chan::bounded(ASYNC);
        tx.send(7).unwrap();
    });

    // Receiving from a closed channel returns, every time.
    let closedch = closed();
    test_block(clock, b, "closed recv", Returns, move || {
        for _ in 0..10 {
            assert_eq!(closedch.recv(), Err(RecvError));
            assert_eq!(closedch.try_recv(), Err(TryRecvError::Disconnected));
        }
    });

    // Sending where nobody can ever receive fails (Go: a send on a closed channel panics).
    let tx = unreceived();
    test_panic("send, no receiver", true, move || tx.send(7).unwrap());

    // Receiving from a channel nobody sends on blocks.
    test_block(clock, b, "recv, no sender", Blocks, || {
        let (_tx, rx) = chan::unbuffered::<i32>();
        rx.recv().unwrap();
    });

    // An empty select blocks.
    test_block(clock, b, "empty select", Blocks, || select! {});

    // A select over nil channels only blocks.
    let nil = Nil::new();
    test_block(clock, b, "select nil recv", Blocks, move || {
        select! {
            recv(nil.rx()) => unreachable!(),
        }
    });
    let nil = Nil::new();
    test_block(clock, b, "select nil send", Blocks, move || {
        select! {
            send(nil.tx(), 7) => unreachable!(),
        }
    });
    let (nil_a, nil_b) = (Nil::new(), Nil::new());
    test_block(clock, b, "select nil recv, nil send", Blocks, move || {
        select! {
            recv(nil_a.rx()) => unreachable!(),
            send(nil_b.tx(), 7) => unreachable!(),
        }
    });

    // A select over channels that are not ready blocks.
    test_block(clock, b, "select recv, no sender", Blocks, || {
        let (_tx, rx) = chan::unbuffered::<i32>();
        select! {
            recv(rx) => unreachable!(),
        }
    });

    // A select with a default does not block.
    test_block(clock, b, "select default", Returns, || select! { default => {} });
    let nil = Nil::new();
    test_block(clock, b, "select nil recv, default", Returns, move || {
        select! {
            recv(nil.rx()) => unreachable!(),
            default => {}
        }
    });
    let nil = Nil::new();
    test_block(clock, b, "select nil send, default", Returns, move || {
        select! {
            send(nil.tx(), 7) => unreachable!(),
            default => {}
        }
    });

    // A select with a ready channel does not block.
    test_block(clock, b, "select buffered send", Returns, || {
        let (tx, _rx) = chan::bounded(ASYNC);
        select! {
            send(tx, 7) -> r => r.unwrap(),
            default => unreachable!(),
        }
    });
    test_block(clock, b, "select buffered recv", Returns, || {
        let (tx, rx) = chan::bounded(ASYNC);
        tx.send(7).unwrap();
        select! {
            recv(rx) -> v => assert_eq!(v, Ok(7)),
            default => unreachable!(),
        }
    });

    // A select on a closed channel acts like the plain operation.
    let closedch = closed();
    test_block(clock, b, "select closed recv", Returns, move || select! { recv(closedch) => {} });
    let closedch = closed();
    test_block(clock, b, "select closed recv, value", Returns, move || {
        select! {
            recv(closedch) -> x => assert_eq!(x, Err(RecvError)),
        }
    });
    let closedch = closed();
    test_block(clock, b, "select closed recv, value and ok", Returns, move || {
        select! {
            recv(closedch) -> x => {
                let (x, ok) = match x {
                    Ok(x) => (x, true),
                    Err(RecvError) => (0, false),
                };
                assert_eq!((x, ok), (0, false));
            }
        }
    });
    let tx = unreceived();
    test_panic("select send, no receiver", true, move || {
        select! {
            send(tx, 7) -> r => r.unwrap(),
        }
    });

    // A select must not pair its own send with its own receive.
    test_block(clock, b, "select send and recv, same channel", Blocks, || {
        let (tx, rx) = chan::unbuffered();
        select! {
            send(tx, 1) => unreachable!(),
            recv(rx) => unreachable!(),
        }
    });

    blocked
}

#[test]
fn blocking_and_panicking_cases() {
    let config = Config::default().with_fail_on_leak(false);
    if let Err(report) = sim::explore(&config, crate::SCHEDULES, || cases(Clock::Virtual)) {
        panic!("{report}");
    }
}

/// Sim-only: the deterministic executor reports leaked threads (the parallel one unwinds
/// them when main returns, as Go's program exit does).
#[test]
fn only_the_blocking_cases_are_left_behind() {
    for seed in 0..20 {
        let strategy = match seed % 2 {
            0 => Strategy::Random,
            _ => Strategy::Pct { depth: 2, horizon: 500 },
        };
        let config =
            Config::default().with_fail_on_leak(false).with_seed(seed).with_strategy(strategy);
        let report = sim::run(&config, || cases(Clock::Virtual));
        assert!(report.is_ok(), "{report}");
        let mut left: Vec<&str> = report.leaked().map(|t| t.label.name().unwrap()).collect();
        let mut want = report.value().unwrap().clone();
        left.sort_unstable();
        want.sort_unstable();
        assert_eq!(left, want, "seed {seed}");
        assert_eq!(want.len(), 9);
    }
}

#[test]
fn cases_on_the_parallel_executor() {
    crate::on_parallel(|| assert_eq!(cases(Clock::Real).len(), 9));
}
