//! A send moves the value to the receiver: the sender cannot touch it afterwards (E0382).
use gort::{chan, go, sim};

fn main() {
    sim::run(&sim::Config::default(), || {
        let (tx, rx) = chan::bounded::<Vec<u32>>(0);
        let consumer = go(move || rx.recv().unwrap().len());
        let batch = vec![1, 2, 3];
        tx.send(batch).unwrap(); // ownership goes with the value
        println!("sent {} items", batch.len()); // ...so this is a use after move
        consumer.join().unwrap();
    })
    .unwrap();
}
