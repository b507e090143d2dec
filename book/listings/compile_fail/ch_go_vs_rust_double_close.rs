//! `close` consumes the Sender it is called on, so the same Sender cannot close twice (E0382).
use gort::{chan, sim};

fn main() {
    sim::run(&sim::Config::default(), || {
        let (tx, rx) = chan::bounded::<u32>(1);
        tx.close(); // Go: close(ch)
        tx.close(); // Go compiles this and panics: close of closed channel
        drop(rx);
    })
    .unwrap();
}
