//! The executor interface: what primitives ask of whichever executor runs the current green
//! thread, and the process-wide machinery both executors share (run ids, the panic hook, the
//! stack-overflow handler, the watchdog, fatal errors).
//!
//! Both executors implement [`Executor`]: the deterministic one ([`crate::sim`]) and the
//! parallel one ([`crate::par`]). Neither knows the other. `sched::rt` resolves, once per
//! operation, which of them runs this OS thread and calls the trait method on it (static
//! dispatch: every method is inlined into its arm).

pub(crate) mod overflow;
pub(crate) mod panic_hook;
pub(crate) mod record;
pub(crate) mod watchdog;

use std::any::Any;
use std::cell::Cell;
use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::vocab::{ObjRef, ObjectKind, Op, PanicReport, SpawnError, ThreadId, TimerFn, Waker};

/// A source location, as every operation carries one.
pub(crate) type Site = &'static Location<'static>;

/// What an executor offers the primitives. Park and unpark are the only way to block and
/// wake (Go's `gopark`/`goready`); the rest is identity, time, timers and bookkeeping.
///
/// Unless a method says otherwise it is called from a green thread of the executor's run.
/// Methods that name an object or a waker panic if it belongs to another run.
pub(crate) trait Executor {
    /// The id of the run (unique in the process, shared numbering: [`next_run_id`]).
    fn run_id(&self) -> u64;

    /// Whether schedules are seeded and recorded (primitives with a faster, unrecorded path
    /// for real parallelism decide with this once, when they are created).
    fn is_deterministic(&self) -> bool;

    /// Whether a thread about to park for a lock should first spin a little (Go's `canSpin`).
    fn can_spin(&self) -> bool;

    /// A scheduling point before a visible operation.
    fn point(&self, op: Op, object: Option<ObjRef>, at: Site);

    /// Gives other threads a chance to run, then continues.
    fn yield_now(&self, at: Site);

    /// Blocks the current thread until it is unparked (or consumes a pending permit).
    fn park(&self, op: Op, object: Option<ObjRef>, at: Site);

    /// Makes the thread runnable, or leaves it a permit. Not a scheduling point.
    fn unpark(&self, waker: Waker, at: Site);

    /// A waker for the calling thread.
    fn current_waker(&self) -> Waker;

    /// The calling thread's waker and name.
    fn current_thread(&self) -> (Waker, Option<Arc<str>>);

    /// Starts a green thread running `body`; a scheduling point.
    ///
    /// # Errors
    ///
    /// Whatever stops the executor from starting it (it may instead fail the run and
    /// return a waker that wakes nothing).
    fn spawn<F>(
        &self,
        name: Option<Arc<str>>,
        stack_size: Option<usize>,
        site: Site,
        body: F,
    ) -> Result<Waker, SpawnError>
    where
        F: FnOnce() + Send + 'static;

    /// True while a finished run unwinds the stacks of threads that were still alive.
    fn tearing_down(&self) -> bool;

    /// Whether a green thread of the live run is executing (not teardown, not a timer
    /// callback).
    fn in_green_thread(&self) -> bool;

    /// The running thread's panic escaped its body (`detached`: nobody can join it).
    fn thread_panicked(&self, report: PanicReport, detached: bool);

    /// `join` took `thread`'s panic: it no longer fails the run.
    fn panic_observed(&self, thread: ThreadId);

    /// `thread`'s handle was dropped unjoined: its panic, if any, fails the run.
    fn panic_unjoined(&self, thread: ThreadId);

    /// The report of the running thread's panic (what the panic hook saw, else the payload).
    fn panic_report(&self, payload: &Box<dyn Any + Send>) -> PanicReport;

    /// Time since the run started (virtual or real).
    fn now(&self) -> Duration;

    /// Blocks the calling thread for `d`; zero is a yield.
    fn sleep(&self, d: Duration, at: Site);

    /// Keeps a processor busy for `d`, as a computation would.
    fn work(&self, d: Duration, at: Site);

    /// A new primitive's identity in this run.
    fn register_object(&self, kind: ObjectKind, name: Option<Arc<str>>, created: Site) -> ObjRef;

    /// Records a channel close by the running thread (see `sched::rt::close_point`) and
    /// returns where it happened, or `None` if there is nothing to wake.
    fn close_point(&self, op: Op, obj: ObjRef, at: Option<Site>, switch: bool) -> Option<Site>;

    /// Records that `thread` now holds lock `obj`, or released it, for lock-cycle reports.
    /// Executors that do not detect lock cycles ignore it.
    fn lock_holder(&self, obj: ObjRef, thread: Waker, write: bool, held: bool) {
        let _ = (obj, thread, write, held);
    }

    /// Records an event with no scheduling decision. Executors without a trace ignore it.
    fn note(&self, op: Op, object: Option<ObjRef>, at: Site) {
        let _ = (op, object, at);
    }

    /// A random number below `n` (`n > 0`); seeded, the same in every replay, where the
    /// executor is deterministic.
    fn random_below(&self, n: u32) -> u32;

    /// Arms `f` to run `d` from now (then every `period`); returns its id in this run.
    fn start_timer(&self, d: Duration, period: Option<Duration>, f: TimerFn, at: Site) -> u64;

    /// Unregisters a timer. True if it was pending.
    fn stop_timer(&self, id: u64) -> bool;

    /// Re-arms a timer `d` from now, registering `f` again if it had fired or been stopped.
    /// True if it was pending.
    fn reset_timer(
        &self,
        id: u64,
        d: Duration,
        period: Option<Duration>,
        f: &TimerFn,
        at: Site,
    ) -> bool;
}

static NEXT_RUN: AtomicU64 = AtomicU64::new(1);

/// A fresh run id (runs of both executors share the numbering).
pub(crate) fn next_run_id() -> u64 {
    NEXT_RUN.fetch_add(1, Ordering::Relaxed)
}

thread_local! {
    /// Whether an executor runs on this OS thread (a run's loop, a carrier, a monitor).
    static CLAIMED: Cell<bool> = const { Cell::new(false) };
}

/// Whether an executor already runs on this OS thread: runs do not nest.
pub(crate) fn claimed() -> bool {
    CLAIMED.get()
}

/// Marks this OS thread as running an executor until dropped.
#[derive(Debug)]
pub(crate) struct Claim(());

impl Claim {
    /// Claims this OS thread; `nested` is the message to panic with if it is claimed.
    ///
    /// # Panics
    ///
    /// If an executor already runs on this OS thread.
    pub(crate) fn new(nested: &str) -> Claim {
        if CLAIMED.replace(true) {
            panic!("{nested}");
        }
        Claim(())
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        CLAIMED.set(false);
    }
}

/// Prints a fatal runtime error to stderr and aborts the process.
///
/// Used where unwinding is impossible or unsound (a destructor that blocks during teardown);
/// whoever needs to survive it runs the program in a child process.
#[cold]
pub(crate) fn fatal(message: &str) -> ! {
    eprintln!("fatal error: {message}");
    std::process::abort()
}

/// A destructor blocked while the runtime was unwinding a finished run's threads.
#[cold]
pub(crate) fn teardown_block(op: Op, at: Site) -> ! {
    fatal(&format!(
        "gort: a destructor blocked ({op} at {at}) while the runtime was unwinding the green \
         threads of a finished run; destructors of values held by leaked threads must not block"
    ))
}
