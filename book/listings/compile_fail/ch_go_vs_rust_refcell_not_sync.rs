//! `Arc` may cross threads, but what it shares must be `Sync`; a `RefCell` is not (E0277).
use gort::{go, sim};
use std::cell::RefCell;
use std::sync::Arc;

fn main() {
    sim::run(&sim::Config::default(), || {
        let hits = Arc::new(RefCell::new(0u64));
        let shared = Arc::clone(&hits);
        let visitor = go(move || *shared.borrow_mut() += 1);
        *hits.borrow_mut() += 1;
        visitor.join().unwrap();
    })
    .unwrap();
}
