//! Spawning green threads: `go`, `Builder` and `JoinHandle`.

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe, Location};
use std::sync::Arc;

use parking_lot::Mutex;

use super::{Thread, rt};
use crate::diag::{Op, PanicReport};

/// The smallest stack a green thread may ask for: 16 KiB.
///
/// Smaller stacks overflow inside the runtime's own bookkeeping (panic handling, formatting).
pub const MIN_STACK_SIZE: usize = 16 * 1024;

/// Starts `f` on a new green thread and returns a handle to its result: Go's `go f()`.
///
/// The new thread is runnable at once; when it first runs is the scheduler's choice, so it may
/// run before or after the caller's next line. Nothing waits for it unless you
/// [`join`](JoinHandle::join) it: when main returns, threads still alive are reported as
/// leaks. The call site is remembered as the thread's spawn site for reports.
///
/// # Panics
///
/// Outside a run.
///
/// # Examples
///
/// ```
/// use gort::{go, sim};
///
/// let sum = sim::run(&sim::Config::default(), || {
///     let handles: Vec<_> = (1..=3).map(|i| go(move || i * 10)).collect();
///     handles.into_iter().map(|h| h.join().unwrap()).sum::<i32>()
/// });
/// assert_eq!(sum.unwrap(), 60);
/// ```
#[track_caller]
pub fn go<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match Builder::new().spawn_at(f, Location::caller()) {
        Ok(handle) => handle,
        Err(e) => panic!("{e}"),
    }
}

/// Configures a green thread before spawning it: its name and its stack size.
///
/// `Builder::new()` (also `Default`) gives an unnamed thread with the run's default stack
/// size. A `Builder` is `Send` and `Sync`.
///
/// # Examples
///
/// ```
/// use gort::{sched::Builder, sim};
///
/// let name = sim::run(&sim::Config::default(), || {
///     let h = Builder::new()
///         .name("fetcher")
///         .stack_size(64 * 1024)
///         .spawn(|| gort::sched::current().name().map(String::from))
///         .unwrap();
///     h.join().unwrap()
/// });
/// assert_eq!(name.unwrap().as_deref(), Some("fetcher"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
}

impl Builder {
    /// A builder for an unnamed thread with the default stack size.
    pub fn new() -> Self {
        Builder::default()
    }

    /// Names the thread; the name appears in deadlock, leak and panic reports and timelines.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the stack size in bytes (rounded up to whole pages). The stack costs address
    /// space, not memory: only the pages a thread touches are resident.
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Spawns the thread, like [`go`], with this configuration.
    ///
    /// # Errors
    ///
    /// [`SpawnError::StackTooSmall`] if the stack size is under [`MIN_STACK_SIZE`];
    /// [`SpawnError::OutsideRun`] if called outside a run.
    #[track_caller]
    pub fn spawn<F, T>(self, f: F) -> Result<JoinHandle<T>, SpawnError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.spawn_at(f, Location::caller())
    }

    fn spawn_at<F, T>(
        self,
        f: F,
        site: &'static Location<'static>,
    ) -> Result<JoinHandle<T>, SpawnError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        if let Some(size) = self.stack_size
            && size < MIN_STACK_SIZE
        {
            return Err(SpawnError::StackTooSmall { requested: size });
        }
        let slot = Arc::new(Mutex::new(Slot::<T> {
            result: None,
            waiter: None,
            detached: false,
            observed: false,
        }));
        let finisher = slot.clone();
        let body = Box::new(move || {
            let result = panic::catch_unwind(AssertUnwindSafe(f));
            finish(&finisher, result);
        });
        let name = self.name.map(Arc::from);
        let thread = rt::spawn(name, self.stack_size, site, body)?;
        Ok(JoinHandle { slot, thread })
    }
}

/// Why a thread could not be spawned.
///
/// # Examples
///
/// ```
/// use gort::{sched::{Builder, SpawnError}, sim};
///
/// let err = sim::run(&sim::Config::default(), || {
///     Builder::new().stack_size(0).spawn(|| ()).unwrap_err()
/// })
/// .unwrap();
/// assert_eq!(err, SpawnError::StackTooSmall { requested: 0 });
/// assert!(err.to_string().contains("at least 16384 bytes"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpawnError {
    /// The requested stack is smaller than [`MIN_STACK_SIZE`].
    StackTooSmall {
        /// The size that was asked for.
        requested: usize,
    },
    /// `go` or `Builder::spawn` was called outside a run.
    OutsideRun,
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::StackTooSmall { requested } => write!(
                f,
                "gort: a green thread's stack must be at least {MIN_STACK_SIZE} bytes \
                 (Builder::stack_size was given {requested})"
            ),
            SpawnError::OutsideRun => f.write_str(&rt::outside_run_message("go")),
        }
    }
}

impl std::error::Error for SpawnError {}

struct Slot<T> {
    result: Option<Result<T, PanicError>>,
    /// The thread blocked in `join`, if any.
    waiter: Option<Thread>,
    /// The `JoinHandle` was dropped: nobody can observe a panic any more.
    detached: bool,
    /// `join` took the panic.
    observed: bool,
}

/// Runs on the finishing thread: stores the result and wakes the joiner.
fn finish<T>(slot: &Mutex<Slot<T>>, result: std::thread::Result<T>) {
    let result = match result {
        Ok(value) => Ok(value),
        Err(payload) => {
            if rt::tearing_down() {
                // The run is over and the runtime is unwinding this stack: let it through.
                panic::resume_unwind(payload);
            }
            Err(PanicError::capture(payload))
        }
    };
    let mut guard = slot.lock();
    let detached = guard.detached;
    let report = match &result {
        Err(e) => Some(e.0.report.clone()),
        Ok(_) => None,
    };
    guard.result = Some(result);
    let waiter = guard.waiter.take();
    drop(guard);
    if let Some(report) = report {
        rt::thread_panicked(report, detached);
    }
    if let Some(waiter) = waiter {
        waiter.unpark();
    }
}

/// An owned permission to wait for a green thread and take its result.
///
/// Dropping the handle detaches the thread: it keeps running, and nobody can wait for it.
/// A detached thread that panics ends the run at once, as an unrecovered panic ends a Go
/// program; a joined thread's panic is handed to the joiner instead. `JoinHandle<T>` is
/// `Send` and `Sync` when `T` is `Send`.
///
/// # Examples
///
/// ```
/// use gort::{go, sim};
///
/// let report = sim::run(&sim::Config::default(), || {
///     let h = go(|| -> u32 { panic!("boom") });
///     let err = h.join().unwrap_err();
///     assert_eq!(err.message(), "boom");
///     err.thread().id().as_u64()
/// });
/// assert_eq!(report.unwrap(), 2);
/// ```
pub struct JoinHandle<T> {
    slot: Arc<Mutex<Slot<T>>>,
    thread: Thread,
}

impl<T> JoinHandle<T> {
    /// Waits for the thread to finish and returns its value, or the panic that ended it.
    ///
    /// A scheduling point; blocks while the thread is alive. The thread's last action
    /// happens-before `join` returns.
    ///
    /// # Errors
    ///
    /// [`PanicError`] if the thread panicked: its message, where it panicked, and which
    /// thread it was. [`PanicError::into_panic`] gives back the payload to re-raise it.
    ///
    /// # Panics
    ///
    /// Outside a run.
    #[track_caller]
    pub fn join(self) -> Result<T, PanicError> {
        let at = Location::caller();
        let target = self.thread.id;
        rt::point(Op::Join(target), None, at);
        loop {
            let mut guard = self.slot.lock();
            if let Some(result) = guard.result.take() {
                if result.is_err() {
                    guard.observed = true;
                    drop(guard);
                    rt::panic_observed(target);
                }
                return result;
            }
            guard.waiter = Some(rt::current_thread("JoinHandle::join"));
            drop(guard);
            rt::park(Op::Join(target), None, at);
        }
    }

    /// The thread this handle belongs to.
    pub fn thread(&self) -> &Thread {
        &self.thread
    }

    /// True once the thread has finished (returned or panicked). Not a scheduling point.
    pub fn is_finished(&self) -> bool {
        self.slot.lock().result.is_some()
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let mut guard = self.slot.lock();
        guard.detached = true;
        let unobserved = matches!(guard.result, Some(Err(_))) && !guard.observed;
        drop(guard);
        if unobserved && !rt::tearing_down() {
            rt::panic_unjoined(self.thread.id);
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("thread", &self.thread).finish_non_exhaustive()
    }
}

/// A green thread's panic, as returned by [`JoinHandle::join`].
///
/// Carries the message, where the panic happened, and which thread it was; `Display` prints
/// them as one line. [`into_panic`](PanicError::into_panic) returns the original payload.
///
/// # Examples
///
/// ```
/// use gort::{go, sim};
///
/// sim::run(&sim::Config::default(), || {
///     let err = go(|| panic!("index {} out of range", 7)).join().unwrap_err();
///     assert_eq!(err.message(), "index 7 out of range");
///     assert!(err.to_string().starts_with("green thread #2 panicked at "));
/// })
/// .unwrap();
/// ```
pub struct PanicError(Box<PanicInner>);

struct PanicInner {
    report: PanicReport,
    thread: Thread,
    payload: Box<dyn Any + Send>,
}

impl PanicError {
    fn capture(payload: Box<dyn Any + Send>) -> Self {
        let report = rt::panic_report(&payload);
        let thread = rt::current_thread("panic");
        PanicError(Box::new(PanicInner { report, thread, payload }))
    }

    /// The panic message (`"explicit panic"`-style placeholder if it was not a string).
    pub fn message(&self) -> &str {
        &self.0.report.message
    }

    /// The thread that panicked.
    pub fn thread(&self) -> &Thread {
        &self.0.thread
    }

    /// The full report: thread, spawn site, message and location.
    pub fn report(&self) -> &PanicReport {
        &self.0.report
    }

    /// The original panic payload, e.g. for [`std::panic::resume_unwind`].
    pub fn into_panic(self) -> Box<dyn Any + Send> {
        self.0.payload
    }
}

impl fmt::Display for PanicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.report, f)
    }
}

impl fmt::Debug for PanicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PanicError").field("report", &self.0.report).finish_non_exhaustive()
    }
}

impl std::error::Error for PanicError {}
