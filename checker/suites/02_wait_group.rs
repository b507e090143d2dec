//! The property suite of lesson 02_wait_group (being written).
use grade::prelude::*;

fn main() {
    Suite::new("02_wait_group").main();
}
