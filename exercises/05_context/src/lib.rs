//! Lesson 05, context: cancellation and timeouts: a sleep that a context can cut short, the
//! articles' worker loop, and article 000's dashboard under one deadline (the exercise).
//!
//! Read `README.md` first. Every `todo!()` is a task; `cargo run -p checker -- check 05_context`
//! grades them.
#![allow(unused_variables)]

use std::sync::Arc;
use std::time::Duration;

use gort::context::{Context, ContextError};
use gort::sync::Mutex;

/// Task 1: sleeps for `d`, unless `ctx` is done first: Go's
/// `select { case <-ctx.Done(): case <-time.After(d): }`, followed by a look at `ctx.Err()`.
///
/// * Blocks until `d` has passed or `ctx` is done, whichever comes first, and returns at that
///   virtual instant: wait on [`ctx.done()`](Context::done) and on
///   [`gort::time::after(d)`](gort::time::after) in one [`gort::select!`].
/// * Returns `Ok(())` if the sleep ran its course, and `Err(err)` with the context's
///   [`err()`](Context::err) if the context is done. That includes a context that is already
///   done when `sleep_ctx` is called, and one that is done at the very instant the sleep ends:
///   then both arms are ready and `select!` picks one at random (as Go's does), so ask
///   `ctx.err()` after the `select!`, whichever arm ran. The context wins the tie.
pub fn sleep_ctx(ctx: &Context, d: Duration) -> Result<(), ContextError> {
    todo!("task 1: select! on ctx.done() and time::after(d), then look at ctx.err()")
}

/// How a [`worker`] ended: the units of work it completed, and why it stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkReport {
    /// Units completed before the context was done.
    pub units: u64,
    /// The context's error when the worker stopped.
    pub stopped_by: ContextError,
}

/// Task 2: does units of work, each `unit` long, until `ctx` is done, then reports how many
/// it completed: article 001's worker loop, stopping at the deadline itself rather than at the
/// end of the unit that was in progress.
///
/// * A unit of work is a [`sleep_ctx(ctx, unit)`](sleep_ctx): it counts if it returns `Ok`.
/// * Returns at exactly the instant `ctx` is done (by its deadline or by a cancel of it or of
///   any ancestor), with `stopped_by` set to the context's error. A unit in progress then is
///   cut off and does not count, nor does one that ends at that very instant.
/// * With a 2 s timeout and 500 ms units, it returns at 2 s with 3 units (the fourth would
///   end at 2 s, the instant of the deadline). `unit` is never zero.
pub fn worker(ctx: &Context, unit: Duration) -> WorkReport {
    todo!("task 2: loop on sleep_ctx, counting the units that succeed")
}

/// Counts the requests the dashboard sends, shared by every call (article 000's "shared
/// request counter"). Share it with an `Arc`.
#[derive(Debug)]
pub struct RequestCounter {
    #[allow(dead_code)] // until you write the methods
    count: Mutex<u64>,
}

impl RequestCounter {
    /// A counter at 0. Call it inside a run. Given complete.
    pub fn new() -> RequestCounter {
        RequestCounter { count: Mutex::new(0) }
    }

    /// Task 3: counts one request. Any number of threads record at once; none may be lost,
    /// under any schedule.
    pub fn record(&self) {
        todo!("task 3: add one to the count under its lock")
    }

    /// Task 3: the requests counted so far.
    pub fn total(&self) -> u64 {
        todo!("task 3: the count")
    }
}

impl Default for RequestCounter {
    /// The same as [`RequestCounter::new`].
    fn default() -> RequestCounter {
        RequestCounter::new()
    }
}

/// A backend service the dashboard calls. Given complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Service {
    /// Its name; it answers `format!("{name} data")`.
    pub name: &'static str,
    /// How long it takes to answer; `None` if it never answers.
    pub latency: Option<Duration>,
}

/// Task 4: calls `service`: counts one request, then waits for its answer, giving up when
/// `ctx` is done.
///
/// * First [`record`](RequestCounter::record) the request in `requests` (a call that times
///   out was still sent).
/// * A service with `latency: Some(d)` answers `format!("{name} data")` after `d`: return
///   `Ok` with that answer, unless `ctx` is done first (or at that very instant): then return
///   `Err` with the context's error, at the instant it is done. [`sleep_ctx`] does the waiting.
/// * A service with `latency: None` never answers: wait for `ctx` to be done and return its
///   error. (Under a context that is never done, that waits for ever.)
pub fn call_service(
    ctx: &Context,
    service: Service,
    requests: &RequestCounter,
) -> Result<String, ContextError> {
    todo!("task 4: record the request, then wait for the answer or the context, whichever first")
}

/// The three services of the dashboard. Given complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Services {
    /// The user's profile.
    pub profile: Service,
    /// The order history.
    pub orders: Service,
    /// The notification preferences (in article 000, the one that "might run indefinitely").
    pub preferences: Service,
}

/// The page the dashboard shows: each field is a service's answer, or why it has none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dashboard {
    /// What `services.profile` answered.
    pub profile: Result<String, ContextError>,
    /// What `services.orders` answered.
    pub orders: Result<String, ContextError>,
    /// What `services.preferences` answered.
    pub preferences: Result<String, ContextError>,
}

/// Task 5: calls the three services concurrently, under one `timeout` for the whole page,
/// and returns once every call has ended.
///
/// * Derive one context from the caller's `ctx` with
///   [`gort::context::with_timeout(ctx, timeout)`](gort::context::with_timeout): its deadline
///   is `timeout` after the call to `dashboard`, shared by the three calls, and a cancel of
///   `ctx` reaches all three too.
/// * Run each [`call_service`] on its own green thread ([`gort::go`]), all three started
///   before waiting for any, so the page takes as long as the slowest call (the max, not the
///   sum). Each field is that call's result: its data, `Err(DeadlineExceeded)` if the timeout
///   cut it off, `Err(Canceled)` if the caller's context did.
/// * Join every call before returning: no thread of the dashboard may outlive it (a thread
///   still alive when the property's main returns is reported as a leak).
/// * Returns at exactly the slowest call's end, and never after the deadline.
pub fn dashboard(
    ctx: &Context,
    services: Services,
    timeout: Duration,
    requests: &Arc<RequestCounter>,
) -> Dashboard {
    todo!("task 5: one with_timeout context, three green threads running call_service, join them")
}
