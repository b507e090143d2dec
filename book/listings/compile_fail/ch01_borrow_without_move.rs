//! A spawned closure that borrows a local instead of moving it in: E0373.
use gort::{go, sim};

fn main() {
    let report = sim::run(&sim::Config::default(), || {
        let name = String::from("gopher");
        let handle = go(|| format!("hello, {name}")); // borrows `name`
        handle.join().unwrap()
    });
    println!("{}", report.unwrap());
}
