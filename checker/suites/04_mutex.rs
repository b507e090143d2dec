//! The property suite of lesson 04_mutex (being written).
use grade::prelude::*;

fn main() {
    Suite::new("04_mutex").main();
}
