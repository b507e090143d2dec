//! Port of test/chan/sieve2.go: a sieve of Eratosthenes built of channels finds the primes < 100.
//!
//! The Go program crosses odd candidates (from 5 on) off against a stream of odd composites.
//! The composites come from a goroutine that merges, with a heap ordered by each channel's
//! next value, one generator of odd multiples (p², p² + 2p, ...) per prime; the primes found
//! are fed back to that merger through a proxy goroutine with an unbounded buffer (a growing
//! ring), so that the sieve never blocks on the slower merger. The proxy disables its send
//! case with a nil channel while its buffer is empty. The port keeps the structure, with
//! these changes:
//!
//! * The proxy's buffer is a `VecDeque`, which grows by itself, instead of `container/ring`,
//!   and the heap is a `BinaryHeap` ordered by the next value, smallest first.
//! * There are no nil channels: with an empty buffer the proxy runs a plain receive instead
//!   of a select with a disabled send arm.
//! * The Go goroutines run forever and are abandoned when main returns; a run must end with
//!   every thread finished, so each stage here stops when a channel it uses is gone (main
//!   drops its receiver once it has its 25 primes, and the shutdown spreads from there), and
//!   joins the threads it started.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::convert::Infallible;

use gort::chan::{self, Receiver, RecvError, SendError, Sender};
use gort::sched::JoinHandle;
use gort::{go, select};

const PRIMES: [u32; 25] = [
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
];

/// A stage stops: a channel it uses is gone, because the stage at its other end stopped.
#[derive(Debug)]
struct Stop;

impl<T> From<SendError<T>> for Stop {
    fn from(_: SendError<T>) -> Self {
        Stop
    }
}

impl From<RecvError> for Stop {
    fn from(_: RecvError) -> Self {
        Stop
    }
}

/// Starts a thread sending `first`, `first + step`, ... into a buffer of `cap` until its
/// receiver is dropped.
fn counter(first: u32, step: u32, cap: usize) -> (Receiver<u32>, JoinHandle<()>) {
    let (tx, rx) = chan::bounded(cap);
    let h = go(move || {
        let mut n = first;
        while tx.send(n).is_ok() {
            n += step;
        }
    });
    (rx, h)
}

/// The odd numbers from 5.
fn odds() -> (Receiver<u32>, JoinHandle<()>) {
    counter(5, 2, 50)
}

/// The odd multiples of the prime `p`, from p².
fn multiples(p: u32) -> (Receiver<u32>, JoinHandle<()>) {
    counter(p * p, 2 * p, 10)
}

/// A channel and the value last received from it.
struct PeekCh {
    head: u32,
    ch: Receiver<u32>,
}

impl PartialEq for PeekCh {
    fn eq(&self, other: &Self) -> bool {
        self.head == other.head
    }
}

impl Eq for PeekCh {}

impl PartialOrd for PeekCh {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PeekCh {
    /// Reversed, so that `BinaryHeap`, a max-heap, pops the smallest head first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.head.cmp(&self.head)
    }
}

/// Returns a sender that forwards to `out` through an unbounded buffer, so that sending on
/// it never blocks for long. The forwarding thread stops when either side is gone.
fn send_proxy(out: Sender<u32>) -> (Sender<u32>, JoinHandle<()>) {
    let (proxy_tx, proxy) = chan::bounded(10);
    let h = go(move || {
        let mut buffer = VecDeque::with_capacity(16);
        loop {
            match buffer.front() {
                None => match proxy.recv() {
                    Ok(e) => buffer.push_back(e),
                    Err(RecvError) => return,
                },
                Some(&e) => select! {
                    recv(proxy) -> e => match e {
                        Ok(e) => buffer.push_back(e),
                        Err(RecvError) => return,
                    },
                    send(out, e) -> r => match r {
                        Ok(()) => {
                            buffer.pop_front();
                        }
                        Err(SendError(_)) => return,
                    },
                },
            }
        }
    });
    (proxy_tx, h)
}

/// Merges the multiples of each prime received on `primes` into `composites`, in increasing
/// order (with repeats), starting one generator per prime.
fn merge(
    primes: &Receiver<u32>,
    composites: &Sender<u32>,
    heap: &mut BinaryHeap<PeekCh>,
    generators: &mut Vec<JoinHandle<()>>,
) -> Result<Infallible, Stop> {
    let mut min = 15;
    loop {
        let (m, generator) = multiples(primes.recv()?);
        generators.push(generator);
        let head = m.recv()?;
        while min < head {
            composites.send(min)?;
            let mut minchan = heap.pop().expect("the heap has the earlier primes' multiples");
            min = minchan.head;
            minchan.head = minchan.ch.recv()?;
            heap.push(minchan);
        }
        while min == head {
            let mut minchan = heap.pop().expect("the heap has the earlier primes' multiples");
            min = minchan.head;
            minchan.head = minchan.ch.recv()?;
            heap.push(minchan);
        }
        composites.send(head)?;
        heap.push(PeekCh { head: m.recv()?, ch: m });
    }
}

/// Crosses the composites off the odd candidates; what is left are primes, sent both to
/// `out` and back to the merger through `primes`.
fn sift(
    candidates: &Receiver<u32>,
    composites: &Receiver<u32>,
    primes: &Sender<u32>,
    out: &Sender<u32>,
) -> Result<Infallible, Stop> {
    let mut p = candidates.recv()?;
    loop {
        let c = composites.recv()?;
        while p < c {
            primes.send(p)?;
            out.send(p)?;
            p = candidates.recv()?;
        }
        if p == c {
            p = candidates.recv()?;
        }
    }
}

/// Starts the sieve: returns the channel of primes and the two threads to join once it has
/// been dropped.
fn sieve() -> (Receiver<u32>, [JoinHandle<()>; 2]) {
    let (out, primes_out) = chan::bounded(10);
    out.send(2).unwrap();
    out.send(3).unwrap();

    let (composites_tx, composites) = chan::bounded(50);

    // The feedback loop.
    let (primes_tx, primes) = chan::bounded(10);
    primes_tx.send(3).unwrap();

    let merger = go(move || {
        let mut heap = BinaryHeap::new();
        let mut generators = Vec::new();
        let Err(Stop) = merge(&primes, &composites_tx, &mut heap, &mut generators);
        drop(heap);
        generators.into_iter().for_each(|g| g.join().unwrap());
    });

    let sifter = go(move || {
        // The merger needs only the primes up to the square root of the latest one, so it
        // falls behind; the proxy's buffer keeps the feedback from blocking this thread.
        let (primes, proxy) = send_proxy(primes_tx);
        let (candidates, odds) = odds();
        let Err(Stop) = sift(&candidates, &composites, &primes, &out);
        drop((primes, candidates));
        proxy.join().unwrap();
        odds.join().unwrap();
    });

    (primes_out, [merger, sifter])
}

#[test]
fn primes_below_100() {
    crate::conform(|| {
        let (primes, threads) = sieve();
        for want in PRIMES {
            assert_eq!(primes.recv().unwrap(), want);
        }
        drop(primes);
        threads.into_iter().for_each(|t| t.join().unwrap());
    });
}
