//! The property suite of lesson 03_channels (being written).
use grade::prelude::*;

fn main() {
    Suite::new("03_channels").main();
}
