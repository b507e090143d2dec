//! Diagnostics: the verdict of a run and everything that explains it (deadlocks, leaks,
//! panics, limits, the watchdog, stack overflows, traces, timelines and replay tokens).

pub(crate) mod overflow;
pub(crate) mod panic_hook;
mod report;
mod token;
mod trace;
pub(crate) mod watchdog;

pub use report::{
    Failure, LockWait, PanicReport, ReplayCheck, Report, ThreadSnapshot, ThreadState,
};
pub use token::{Token, TokenError};
pub(crate) use trace::{DisplayDuration, FNV_OFFSET, fnv1a};
pub use trace::{Event, ObjectId, ObjectKind, ObjectMeta, Op, ThreadLabel, Timeline, Trace};
pub(crate) use watchdog::Heartbeat;

/// Prints a fatal runtime error to stderr and aborts the process.
///
/// Used where unwinding is impossible or unsound (a destructor that blocks during teardown);
/// the checker runs suites in a child process for exactly this reason.
#[cold]
pub(crate) fn fatal(message: &str) -> ! {
    eprintln!("fatal error: {message}");
    std::process::abort()
}
