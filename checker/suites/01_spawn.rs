//! The property suite of lesson 01 (placeholder).
use grade::prelude::*;
use spawn::double_all;

fn main() {
    Suite::new("01_spawn")
        .property(Property::explore(
            "doubles_each",
            "double_all doubles every element and keeps their order",
            vec(0u32..1000, 0..8),
            |xs: &Vec<u32>| {
                let want: Vec<u32> = xs.iter().map(|x| x * 2).collect();
                check_eq!(double_all(xs), want, "double_all({xs:?})");
            },
        ))
        .main();
}
