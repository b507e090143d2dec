//! The property suite of lesson 06_worker_pool (being written).
use grade::prelude::*;

fn main() {
    Suite::new("06_worker_pool").main();
}
