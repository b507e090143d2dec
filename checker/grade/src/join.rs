//! `joined`: joining a green thread a property started, so that a panic in it reads as what
//! it is (a panic of the code under test, at its line), not as a wrong result.

use std::cell::RefCell;
use std::panic::resume_unwind;

use gort::sched::{JoinHandle, PanicError};

use crate::wire::tidy_path;

thread_local! {
    /// The last panic `joined` raised on this OS thread, for `Fail::classify` to recognise.
    static JOINED: RefCell<Option<Joined>> = const { RefCell::new(None) };
}

/// A joined thread's panic, as `joined` re-raised it.
#[derive(Clone, Debug)]
pub(crate) struct Joined {
    /// The message `joined` panicked with.
    pub(crate) message: String,
    /// Where the joined thread panicked (in the code under test), if known.
    pub(crate) location: Option<String>,
    /// The joined thread's panic as the runtime describes it (thread, spawn site, line).
    pub(crate) thread: String,
}

/// The panic `joined` raised with exactly `message`, if it was the last one (taken).
pub(crate) fn take(message: &str) -> Option<Joined> {
    JOINED.with(|j| {
        let mut j = j.borrow_mut();
        if j.as_ref().is_some_and(|seen| seen.message == message) { j.take() } else { None }
    })
}

/// Joins a green thread that a property started and returns its value. If the thread
/// panicked, the property fails with a panic verdict that names `what` (such as "a worker"),
/// the thread's message and the line of the code under test where it panicked; a `todo!()`
/// reached in that thread is passed on as it is, so the verdict points at the task.
///
/// Blocks the calling green thread until the joined one ends. Use it instead of
/// `h.join().unwrap()`, whose failure would read as a `Debug` dump of the error.
///
/// # Panics
///
/// If the joined thread panicked (that is how the property fails).
///
/// # Examples
///
/// ```
/// use grade::prelude::*;
///
/// let report = sim::run(&sim::Config::default(), || {
///     let v = joined(go(|| 6 * 7), "a worker");
///     joined(go(move || if v == 42 { panic!("boom") }), "a worker")
/// });
/// let fail = Fail::from_report(&report).unwrap();
/// assert!(fail.to_string().contains("a worker panicked: boom"));
/// ```
#[track_caller]
pub fn joined<T>(h: JoinHandle<T>, what: &str) -> T {
    joined_with(h, what, |_| String::new())
}

/// [`joined`], adding `hint(&error)` to the verdict's message: what this panic usually
/// means in the lesson (for example, an overdrawn balance for "subtract with overflow").
///
/// # Panics
///
/// If the joined thread panicked.
///
/// # Examples
///
/// ```
/// use grade::prelude::*;
///
/// let report = sim::run(&sim::Config::default(), || {
///     joined_with(go(|| panic!("boom")), "a worker", |_| " (it always does)".to_string())
/// });
/// assert!(Fail::from_report(&report).unwrap().to_string().contains("boom (it always does)"));
/// ```
#[track_caller]
pub fn joined_with<T>(h: JoinHandle<T>, what: &str, hint: impl FnOnce(&PanicError) -> String) -> T {
    match h.join() {
        Ok(value) => value,
        Err(e) => {
            let m = e.message();
            if m.starts_with("not yet implemented") || m.starts_with("not implemented") {
                resume_unwind(e.into_panic());
            }
            let message = format!("{what} panicked: {m}{}", hint(&e));
            let joined = Joined {
                message: message.clone(),
                location: e.report().location.as_deref().map(tidy_path),
                thread: e.to_string(),
            };
            JOINED.with(|j| *j.borrow_mut() = Some(joined));
            // At the caller's line (track_caller), so the harness knows the suite raised it.
            panic!("{message}")
        }
    }
}
