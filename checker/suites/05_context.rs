//! The property suite of lesson 05_context (being written).
use grade::prelude::*;

fn main() {
    Suite::new("05_context").main();
}
