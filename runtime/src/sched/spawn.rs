//! Spawning green threads: `go`, `Builder` and `JoinHandle`.

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe, Location};
use std::sync::Arc;

use parking_lot::Mutex;

use super::packet::Packet;
use super::{Thread, rt};
use crate::vocab::{MIN_STACK_SIZE, Op, PanicReport, SpawnError, ThreadId};

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
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sched::{self, Builder}, sim};
    ///
    /// let unnamed = sim::run(&sim::Config::default(), || {
    ///     let h = Builder::new().spawn(|| sched::current().name().is_none()).unwrap();
    ///     h.join().unwrap()
    /// });
    /// assert!(unnamed.unwrap());
    /// ```
    pub fn new() -> Self {
        Builder::default()
    }

    /// Names the thread; the name appears in deadlock, leak and panic reports and timelines.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{diag::Failure, sched::{self, Builder}, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     Builder::new().name("poller").spawn(|| sched::park()).unwrap(); // never unparked
    /// });
    /// assert_eq!(report.failure(), Some(&Failure::Leak { count: 1 }));
    /// assert!(report.to_string().contains("green thread #2 \"poller\" [park]"));
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the stack size in bytes (rounded up to whole pages). The stack costs address
    /// space, not memory: only the pages a thread touches are resident.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sched::Builder, sim};
    ///
    /// let sum = sim::run(&sim::Config::default(), || {
    ///     let big = || {
    ///         let buf = std::hint::black_box([1u8; 512 * 1024]); // over the default 256 KiB
    ///         buf.iter().map(|&b| u32::from(b)).sum::<u32>()
    ///     };
    ///     Builder::new().stack_size(4 << 20).spawn(big).unwrap().join().unwrap()
    /// });
    /// assert_eq!(sum.unwrap(), 512 * 1024);
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sched::{Builder, SpawnError}, sim};
    ///
    /// let five = sim::run(&sim::Config::default(), || {
    ///     Builder::new().name("five").spawn(|| 5).unwrap().join().unwrap()
    /// });
    /// assert_eq!(five.unwrap(), 5);
    /// // Outside a run, spawn returns an error where `go` would panic.
    /// assert_eq!(Builder::new().spawn(|| ()).unwrap_err(), SpawnError::OutsideRun);
    /// ```
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
        let (slot, finisher) = Packet::pair(Slot::<T> {
            result: None,
            waiter: ThreadId(0),
            waiter_slot: 0,
            detached: false,
            observed: false,
        });
        let body = move || {
            let result = panic::catch_unwind(AssertUnwindSafe(f));
            finish(&finisher, result);
        };
        let name = self.name.map(Arc::from);
        let thread = rt::spawn(name, self.stack_size, site, body)?;
        Ok(JoinHandle { slot, thread })
    }
}

struct Slot<T> {
    result: Option<Result<T, PanicError>>,
    /// The thread blocked in `join`, if any (id 0 for none), and its record's slot: a
    /// [`rt::Waker`] without the run, which is the finishing thread's (keeps the packet, one
    /// per thread, at 48 bytes).
    waiter: ThreadId,
    waiter_slot: u32,
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
    let waiter = std::mem::replace(&mut guard.waiter, ThreadId(0));
    let slot = guard.waiter_slot;
    drop(guard);
    if let Some(report) = report {
        rt::thread_panicked(report, detached);
    }
    if waiter != ThreadId(0) {
        rt::wake(rt::Waker { run: rt::run_id(), id: waiter, slot }, Location::caller());
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
    slot: Packet<Slot<T>>,
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
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let ok = go(|| 2 + 2);
    ///     let bad = go(|| -> i32 { panic!("oops") });
    ///     assert_eq!(ok.join().unwrap(), 4);
    ///     assert_eq!(bad.join().unwrap_err().message(), "oops");
    /// });
    /// assert!(report.is_ok()); // a panic handed to a joiner does not fail the run
    /// ```
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
            let me = rt::current_waker("JoinHandle::join");
            (guard.waiter, guard.waiter_slot) = (me.id, me.slot);
            drop(guard);
            rt::park(Op::Join(target), None, at);
        }
    }

    /// The thread this handle belongs to.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sched::Builder, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let h = Builder::new().name("worker").spawn(|| ()).unwrap();
    ///     assert_eq!(h.thread().name(), Some("worker"));
    ///     assert_eq!(h.thread().id().as_u64(), 2);
    ///     h.join().unwrap();
    /// })
    /// .unwrap();
    /// ```
    pub fn thread(&self) -> &Thread {
        &self.thread
    }

    /// True once the thread has finished (returned or panicked). Not a scheduling point.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, go, sim, time};
    /// use std::time::Duration;
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let (tx, rx) = chan::bounded::<()>(0);
    ///     let h = go(move || rx.recv().unwrap());
    ///     assert!(!h.is_finished()); // it waits for our send
    ///     tx.send(()).unwrap();
    ///     time::sleep(Duration::from_millis(1)); // meanwhile it runs to its end
    ///     assert!(h.is_finished());
    /// })
    /// .unwrap();
    /// ```
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
        // While the dropping thread is itself unwinding, its own panic is the failure to
        // report; the unjoined panic stays recorded as unobserved behind it.
        if unobserved && !rt::tearing_down() && !std::thread::panicking() {
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

    /// The panic message (`"Box<dyn Any>"` if the payload was neither a `&str` nor a `String`).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let err = go(|| panic!("{} is not a number", "x")).join().unwrap_err();
    ///     assert_eq!(err.message(), "x is not a number");
    /// })
    /// .unwrap();
    /// ```
    pub fn message(&self) -> &str {
        &self.0.report.message
    }

    /// The thread that panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sched::Builder, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let h = Builder::new().name("parser").spawn(|| panic!("bad token")).unwrap();
    ///     let err = h.join().unwrap_err();
    ///     assert_eq!(err.thread().name(), Some("parser"));
    /// })
    /// .unwrap();
    /// ```
    pub fn thread(&self) -> &Thread {
        &self.0.thread
    }

    /// The full report: thread, spawn site, message and location.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let line = line!() + 1;
    ///     let err = go(|| panic!("boom")).join().unwrap_err();
    ///     let report = err.report();
    ///     assert_eq!((report.message.as_str(), report.thread.id().as_u64()), ("boom", 2));
    ///     assert!(report.location.as_deref().unwrap().contains(&format!(":{line}:")));
    /// })
    /// .unwrap();
    /// ```
    pub fn report(&self) -> &PanicReport {
        &self.0.report
    }

    /// The original panic payload, e.g. for [`std::panic::resume_unwind`].
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let err = go(|| std::panic::panic_any(42_u32)).join().unwrap_err();
    ///     assert_eq!(*err.into_panic().downcast::<u32>().unwrap(), 42);
    /// })
    /// .unwrap();
    /// ```
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

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    /// Every thread has a join packet, so its size is part of a parked thread's memory
    /// (the benchmark's target): 48 bytes, the owner count and the lock included.
    #[test]
    fn a_join_packet_takes_48_bytes() {
        assert_eq!(super::super::packet::footprint::<super::Slot<()>>(), 48);
    }
}
