//! Port of test/chan/sieve1.go: the classic concurrent prime sieve yields the primes below 100.
//!
//! The Go program chains a generator of 2, 3, 4, ... to one filter goroutine per prime found,
//! each dropping the multiples of its prime, and checks the first 25 primes that come out.
//! Its goroutines run forever and are abandoned when main returns; here a run must end with
//! every thread finished, so the port tears the pipeline down instead: when main has its 25
//! primes it drops its receiver, and each stage stops when its send fails because the stage
//! after it is gone (the sieve first, then the filters from last to first, then the
//! generator). Every stage joins the ones it started.

use gort::chan::{self, Receiver, Sender};
use gort::go;

const PRIMES: [u32; 25] = [
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
];

/// Sends 2, 3, 4, ... until nobody receives.
fn generate(ch: Sender<u32>) {
    for i in 2.. {
        if ch.send(i).is_err() {
            return;
        }
    }
}

/// Copies `input` to `out`, dropping multiples of `prime`, until either side goes away.
fn filter(input: Receiver<u32>, out: Sender<u32>, prime: u32) {
    for i in input {
        if i % prime != 0 && out.send(i).is_err() {
            return;
        }
    }
}

/// Chains a filter onto the pipeline for each prime that comes out of it.
fn sieve(primes: Sender<u32>) {
    let (tx, mut ch) = chan::unbuffered();
    let mut stages = vec![go(move || generate(tx))];
    loop {
        let prime = ch.recv().unwrap();
        if primes.send(prime).is_err() {
            break;
        }
        let (tx, next) = chan::unbuffered();
        stages.push(go(move || filter(ch, tx, prime)));
        ch = next;
    }
    drop(ch);
    for stage in stages {
        stage.join().unwrap();
    }
}

#[test]
fn primes_below_100() {
    crate::conform(|| {
        let (tx, primes) = chan::unbuffered();
        let sieve = go(move || sieve(tx));
        for want in PRIMES {
            assert_eq!(primes.recv().unwrap(), want);
        }
        drop(primes);
        sieve.join().unwrap();
    });
}
