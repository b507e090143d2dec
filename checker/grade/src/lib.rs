//! `grade`: the harness the course's property suites are written in.
//!
//! A suite is one file under `checker/suites/`, compiled as a `harness = false` test target of
//! both the exercise crate and the solution crate, so the same code grades both. It lists
//! properties; each property draws inputs with proptest and runs each input under many
//! schedules of gort's deterministic executor. The first failing input is shrunk to a minimal
//! one, and its report (verdict, threads, timeline, replay token) is what the learner sees.
//!
//! ```no_run
//! use grade::prelude::*;
//!
//! fn double_all(xs: &[u32]) -> Vec<u32> {
//!     xs.iter().map(|x| x * 2).collect()
//! }
//!
//! fn main() {
//!     Suite::new("00_example")
//!         .property(
//!             Property::explore(
//!                 "doubles_each",
//!                 "double_all doubles every element and keeps their order",
//!                 vec(0u32..1000, 0..8),
//!                 |xs: &Vec<u32>| {
//!                     let want: Vec<u32> = xs.iter().map(|x| x * 2).collect();
//!                     check_eq!(double_all(xs), want, "double_all({xs:?})");
//!                 },
//!             )
//!             .task(1),
//!         )
//!         .main();
//! }
//! ```
//!
//! Run with no arguments, a suite grades every property and prints a summary for people. The
//! checker instead runs it once per property (`--run NAME --results FILE`) in a child process
//! with a time limit, and reads the structured [`wire::Outcome`] from the results file, so a
//! crash in one property costs only that property.

mod check;
mod cli;
mod fail;
mod join;
mod panics;
mod property;
pub mod token;
mod unwind;

/// The grading protocol (outcomes, verdicts, property info), shared with the checker.
pub use grade_wire as wire;

pub use fail::Fail;
pub use join::{joined, joined_with};
pub use property::{Property, Suite};

/// Re-exported so suites need no dependency of their own.
pub use gort;
/// Re-exported so suites need no dependency of their own.
pub use proptest;

/// What a suite file needs: [`Suite`], [`Property`], [`Fail`], the check macros, gort, and
/// proptest's strategies.
pub mod prelude {
    pub use crate::{Fail, Property, Suite, check, check_eq, joined, joined_with};
    pub use gort::{go, sim};
    pub use proptest::collection::vec;
    pub use proptest::prelude::{Just, Strategy, any, prop_oneof};
}
