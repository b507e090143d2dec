//! Port of test/chan/nonblock.go: non-blocking sends and receives, with several element types.
//!
//! For unbuffered and one-slot channels of four element types (`int32`, `int64`, `bool`,
//! `string`), the Go program checks that a non-blocking receive from a fresh channel finds
//! nothing, then retries a non-blocking send until a freshly started receiver takes it, and a
//! non-blocking receive until a freshly started sender's value arrives, napping between tries
//! (two ticks of a 10 µs ticker and three yields) and giving up after 10,000 tries. A
//! `strobe` channel tells main when the helper is done. The port writes the four copies of
//! that code once, generic over the element type. Virtual time only moves when every thread
//! is blocked, so after one nap the helper is certainly parked on its channel operation: the
//! port allows one retry ([`MAX_TRIES`]) instead of 10,000, which turns Go's timing tolerance
//! into an exact check. On the parallel executor's real clock, Go's 10,000 ([`GO_MAX_TRIES`])
//! stands.

use std::fmt::Debug;
use std::time::Duration;

use gort::chan::{self, Receiver, Sender};
use gort::time::{self, Instant};
use gort::{go, sched, select};

/// How many failed non-blocking attempts are allowed before the helper must have been
/// reached (Go: 10,000, with real time).
const MAX_TRIES: u32 = 1;

/// Go's limit, for the real clock: a nap there does not guarantee the helper ran.
const GO_MAX_TRIES: u32 = 10_000;

fn receiver<T: PartialEq + Debug>(c: Receiver<T>, want: T, strobe: Sender<bool>) {
    assert_eq!(c.recv().unwrap(), want, "receiver got the wrong value");
    strobe.send(true).unwrap();
}

fn sender<T>(c: Sender<T>, value: T, strobe: Sender<bool>) {
    c.send(value).unwrap();
    strobe.send(true).unwrap();
}

/// Lets the other threads run: two ticks of the ticker, then three yields.
fn nap(ticker: &Receiver<Instant>) {
    ticker.recv().unwrap();
    ticker.recv().unwrap();
    for _ in 0..3 {
        sched::yield_now();
    }
}

/// One element type: `to_receiver` goes to a receiver thread by non-blocking sends,
/// `from_sender` comes from a sender thread by non-blocking receives.
fn exercise<T>(
    max_tries: u32,
    buffer: usize,
    ticker: &Receiver<Instant>,
    to_receiver: T,
    from_sender: T,
) where
    T: Clone + PartialEq + Debug + Send + 'static,
{
    let (sync_tx, sync) = chan::unbuffered::<bool>();
    let (tx, rx) = chan::bounded::<T>(buffer);

    select! {
        recv(rx) -> v => panic!("received {v:?} from a fresh channel (buffer {buffer})"),
        default => {}
    }

    let helper = {
        let (rx, want, strobe) = (rx.clone(), to_receiver.clone(), sync_tx.clone());
        go(move || receiver(rx, want, strobe))
    };
    let mut tries = 0;
    loop {
        select! {
            send(tx, to_receiver.clone()) -> r => {
                r.unwrap();
                break;
            }
            default => {
                tries += 1;
                assert!(tries <= max_tries, "receiver never took the value (buffer {buffer})");
                nap(ticker);
            }
        }
    }
    assert!(sync.recv().unwrap());
    helper.join().unwrap();

    let helper = {
        let (tx, value, strobe) = (tx.clone(), from_sender.clone(), sync_tx.clone());
        go(move || sender(tx, value, strobe))
    };
    if buffer > 0 {
        assert!(sync.recv().unwrap());
    }
    let mut tries = 0;
    let got = loop {
        select! {
            recv(rx) -> v => break v.unwrap(),
            default => {
                tries += 1;
                assert!(tries <= max_tries, "sender's value never arrived (buffer {buffer})");
                nap(ticker);
            }
        }
    };
    assert_eq!(got, from_sender, "wrong value from the sender (buffer {buffer})");
    if buffer == 0 {
        assert!(sync.recv().unwrap());
    }
    helper.join().unwrap();
}

#[test]
fn nonblocking_operations() {
    crate::conform_timed(|clock| {
        let max = if clock.exact() { MAX_TRIES } else { GO_MAX_TRIES };
        let ticker = time::tick(Duration::from_micros(10));
        for buffer in 0..2 {
            exercise::<i32>(max, buffer, &ticker, 123, 234);
            exercise::<i64>(max, buffer, &ticker, 123_456, 234_567);
            exercise(max, buffer, &ticker, true, true);
            exercise(max, buffer, &ticker, "hello".to_string(), "hello again".to_string());
        }
    });
}
