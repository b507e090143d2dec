//! An `Rc` counts its owners without atomics, so it may not move to another thread (E0277).
use gort::{go, sim};
use std::rc::Rc;

fn main() {
    sim::run(&sim::Config::default(), || {
        let config = Rc::new(String::from("v1"));
        let copy = Rc::clone(&config);
        let reader = go(move || copy.len()); // `copy` would be dropped on the other thread
        reader.join().unwrap();
    })
    .unwrap();
}
