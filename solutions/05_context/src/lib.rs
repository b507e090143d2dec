//! Lesson 05, context: cancellation and timeouts (the solution).
//!
//! A context is a broadcast: cancelling it closes its `done` channel, and every green thread
//! waiting on that channel (directly or through a descendant context) wakes at the same
//! virtual instant. [`sleep_ctx`] is the one place that waits, [`worker`] is the articles'
//! loop built on it, and [`dashboard`] is article 000's three-service page: concurrent calls,
//! one deadline for all of them, and no thread left behind.

use std::sync::Arc;
use std::time::Duration;

use gort::context::{self, Context, ContextError};
use gort::sync::Mutex;
use gort::{go, select, time};

/// Task 1: sleeps for `d`, unless `ctx` is done first: Go's
/// `select { case <-ctx.Done(): case <-time.After(d): }`, followed by a look at `ctx.Err()`.
///
/// # Examples
///
/// ```
/// use cancellation::sleep_ctx;
/// use gort::context::{self, Context, ContextError};
/// use gort::{sim, time};
/// use std::time::Duration;
///
/// sim::run(&sim::Config::default(), || {
///     let (ctx, _cancel) = context::with_timeout(&Context::background(), Duration::from_secs(1));
///     assert_eq!(sleep_ctx(&ctx, Duration::from_millis(300)), Ok(()));
///     assert_eq!(sleep_ctx(&ctx, Duration::from_secs(5)), Err(ContextError::DeadlineExceeded));
///     assert_eq!(time::now().elapsed_since_start(), Duration::from_secs(1)); // not 5.3 s
/// })
/// .unwrap();
/// ```
pub fn sleep_ctx(ctx: &Context, d: Duration) -> Result<(), ContextError> {
    select! {
        recv(ctx.done()) => {},
        recv(time::after(d)) => {},
    }
    // When the sleep ends at the very instant the context is done, both arms are ready and
    // select! picks one at random, as Go's select does. Asking the context afterwards makes
    // the answer the same under every schedule: the context wins the tie.
    match ctx.err() {
        Some(err) => Err(err),
        None => Ok(()),
    }
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
/// # Examples
///
/// ```
/// use cancellation::{WorkReport, worker};
/// use gort::context::{self, Context, ContextError};
/// use gort::{sim, time};
/// use std::time::Duration;
///
/// // Article 001: 500 ms units under a 2 s timeout.
/// let report = sim::run(&sim::Config::default(), || {
///     let (ctx, _cancel) = context::with_timeout(&Context::background(), Duration::from_secs(2));
///     (worker(&ctx, Duration::from_millis(500)), time::now().elapsed_since_start())
/// });
/// let done = WorkReport { units: 3, stopped_by: ContextError::DeadlineExceeded };
/// assert_eq!(report.unwrap(), (done, Duration::from_secs(2)));
/// ```
pub fn worker(ctx: &Context, unit: Duration) -> WorkReport {
    let mut units = 0;
    loop {
        // The unit itself waits on the context, so cancellation interrupts it: no overshoot.
        match sleep_ctx(ctx, unit) {
            Ok(()) => units += 1,
            Err(stopped_by) => return WorkReport { units, stopped_by },
        }
    }
}

/// Counts the requests the dashboard sends, shared by every call (article 000's "shared
/// request counter"). Share it with an `Arc`.
#[derive(Debug)]
pub struct RequestCounter {
    count: Mutex<u64>,
}

impl RequestCounter {
    /// A counter at 0. Call it inside a run. Given complete.
    pub fn new() -> RequestCounter {
        RequestCounter { count: Mutex::new(0) }
    }

    /// Task 3: counts one request.
    pub fn record(&self) {
        // One guard for the read and the write: no update lost.
        *self.count.lock() += 1;
    }

    /// Task 3: the requests counted so far.
    pub fn total(&self) -> u64 {
        *self.count.lock()
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
/// # Examples
///
/// ```
/// use cancellation::{RequestCounter, Service, call_service};
/// use gort::context::{self, Context, ContextError};
/// use gort::{sim, time};
/// use std::time::Duration;
///
/// sim::run(&sim::Config::default(), || {
///     let requests = RequestCounter::new();
///     let (ctx, _cancel) = context::with_timeout(&Context::background(), Duration::from_secs(1));
///     let fast = Service { name: "profile", latency: Some(Duration::from_millis(200)) };
///     let stuck = Service { name: "preferences", latency: None };
///     assert_eq!(call_service(&ctx, fast, &requests), Ok("profile data".to_string()));
///     assert_eq!(call_service(&ctx, stuck, &requests), Err(ContextError::DeadlineExceeded));
///     assert_eq!(time::now().elapsed_since_start(), Duration::from_secs(1));
///     assert_eq!(requests.total(), 2);
/// })
/// .unwrap();
/// ```
pub fn call_service(
    ctx: &Context,
    service: Service,
    requests: &RequestCounter,
) -> Result<String, ContextError> {
    requests.record();
    match service.latency {
        Some(latency) => sleep_ctx(ctx, latency).map(|()| format!("{} data", service.name)),
        // A service that never answers: all we can wait for is the context.
        None => {
            let _closed = ctx.done().recv();
            Err(ctx.err().expect("done is closed only once the context is cancelled"))
        }
    }
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
/// # Examples
///
/// ```
/// use cancellation::{Dashboard, RequestCounter, Service, Services, dashboard};
/// use gort::context::{Context, ContextError};
/// use gort::{sim, time};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let ms = |n| Some(Duration::from_millis(n));
/// let report = sim::run(&sim::Config::default(), || {
///     let services = Services {
///         profile: Service { name: "profile", latency: ms(100) },
///         orders: Service { name: "orders", latency: ms(200) },
///         preferences: Service { name: "preferences", latency: None }, // never answers
///     };
///     let requests = Arc::new(RequestCounter::new());
///     let page = dashboard(&Context::background(), services, Duration::from_millis(300), &requests);
///     (page, time::now().elapsed_since_start(), requests.total())
/// });
/// let page = Dashboard {
///     profile: Ok("profile data".to_string()),
///     orders: Ok("orders data".to_string()),
///     preferences: Err(ContextError::DeadlineExceeded),
/// };
/// // Cut off at the timeout (300 ms), not 100 + 200 + forever.
/// assert_eq!(report.unwrap(), (page, Duration::from_millis(300), 3));
/// ```
pub fn dashboard(
    ctx: &Context,
    services: Services,
    timeout: Duration,
    requests: &Arc<RequestCounter>,
) -> Dashboard {
    // Derived from the caller's context: if the caller gives up, so do the calls. One deadline
    // for the page, fixed now, shared by all three calls.
    let (ctx, _cancel) = context::with_timeout(ctx, timeout);
    let call = |service: Service| {
        let (ctx, requests) = (ctx.clone(), requests.clone());
        go(move || call_service(&ctx, service, &requests))
    };
    // Start all three before waiting for any: the page takes the slowest call, not the sum.
    let profile = call(services.profile);
    let orders = call(services.orders);
    let preferences = call(services.preferences);
    // Joining every call means no thread outlives the page. Each returns by the deadline,
    // because each waits on the context.
    let joined = |h: gort::sched::JoinHandle<_>| h.join().expect("a service call panicked");
    Dashboard { profile: joined(profile), orders: joined(orders), preferences: joined(preferences) }
}
