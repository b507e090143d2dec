//! Go's own channel, select, sync and context tests, ported to gort: one module per Go file,
//! its upstream path (in github.com/golang/go) named at the top of the module.
//!
//! Each port runs its program under many schedules of both strategies (random and PCT) with
//! [`conform`]. Where a Go test relies on something Rust rules out (nil channels, closing a
//! channel twice, sending after close), the module says how the port deviates.

mod chan_test;
mod context_test;
mod doubleselect;
mod fifo;
mod goroutines;
mod nonblock;
mod powser1;
mod select2;
mod select3;
mod select4;
mod select5;
mod select6;
mod select7;
mod sendstmt;
mod sieve1;
mod sieve2;
mod waitgroup_test;
mod zerosize;

use gort::sim::{self, Config};

/// Schedules per Go program: half random, half PCT (depth 2 and 3), as `sim::explore` mixes.
pub const SCHEDULES: u32 = 200;

/// Runs `program` under [`SCHEDULES`] schedules and panics with the full report (timeline and
/// replay token) of the first that fails.
#[track_caller]
pub fn conform<T, F>(program: F)
where
    F: Fn() -> T + Sync,
{
    conform_n(SCHEDULES, program)
}

/// [`conform`] with an explicit number of schedules, for long programs.
#[track_caller]
pub fn conform_n<T, F>(schedules: u32, program: F)
where
    F: Fn() -> T + Sync,
{
    if let Err(report) = sim::explore(&Config::default(), schedules, program) {
        panic!("{report}");
    }
}
