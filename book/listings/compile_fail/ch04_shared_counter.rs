//! Two green threads add to one local `u64`, as article 004's goroutines do: rejected.
use gort::{go, sim};

fn main() {
    sim::run(&sim::Config::default(), || {
        let mut counter: u64 = 0;
        let a = go(|| counter += 1);
        let b = go(|| counter += 1);
        a.join().unwrap();
        b.join().unwrap();
    })
    .unwrap();
}
