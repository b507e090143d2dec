//! Closing a channel consumes its Sender: sending after the close does not compile (E0382).
use gort::{chan, sim};

fn main() {
    sim::run(&sim::Config::default(), || {
        let (tx, rx) = chan::bounded::<u32>(1);
        tx.close(); // Go: close(ch)
        tx.send(1).unwrap(); // Go compiles this and panics: send on closed channel
        drop(rx);
    })
    .unwrap();
}
