//! Port of test/chan/goroutines.go: a long chain of goroutines starts and tears down cleanly.
//!
//! The Go program links 10,000 goroutines by unbuffered channels, each forwarding one value
//! from its right neighbour to its left, then feeds a value in at the right end and waits
//! for it at the left. The port checks the value that comes out and joins every link (a run
//! must not end with live threads). To keep the test fast, it runs a chain of [`LINKS`]
//! threads under the usual 200 schedules, and the Go program's full 10,000 under only one.

use gort::chan::{self, Receiver, Sender};
use gort::go;

const LINKS: usize = 500;

/// The Go program's default length.
const GO_LINKS: usize = 10_000;

fn forward(left: Sender<i32>, right: Receiver<i32>) {
    left.send(right.recv().unwrap()).unwrap();
}

fn chain(n: usize) {
    let (leftmost_tx, leftmost) = chan::unbuffered();
    let mut left = leftmost_tx;
    let mut links = Vec::with_capacity(n + 1);
    for _ in 0..n {
        let (right_tx, right) = chan::unbuffered();
        links.push(go(move || forward(left, right)));
        left = right_tx;
    }
    links.push(go(move || left.send(1).unwrap()));
    assert_eq!(leftmost.recv().unwrap(), 1);
    for l in links {
        l.join().unwrap();
    }
}

#[test]
fn chain_of_goroutines() {
    crate::conform(|| chain(LINKS));
}

#[test]
fn go_sized_chain_of_goroutines() {
    crate::conform_n(1, || chain(GO_LINKS));
}
