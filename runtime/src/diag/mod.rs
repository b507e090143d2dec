//! Diagnostics: the verdict of a run and everything that explains it (deadlocks, leaks,
//! panics, limits, the watchdog, stack overflows, traces, timelines and replay tokens).
//!
//! A place to find them, not where they are made: the vocabulary of events, traces and
//! failures is shared by both executors, and reports and tokens come from the deterministic
//! one.

pub use crate::sim::report::{ReplayCheck, Report};
pub use crate::sim::token::{Token, TokenError};
pub use crate::vocab::{
    Event, Failure, LockWait, ObjectId, ObjectKind, ObjectMeta, Op, PanicReport, ThreadLabel,
    ThreadSnapshot, ThreadState, Timeline, Trace,
};
