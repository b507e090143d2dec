//! The executor boundary: what primitives ask of whichever executor runs the current thread.
//!
//! Channels, `JoinHandle`, time, sync and context are written once against these
//! functions. Each one asks the deterministic executor ([`crate::sim`]) if this OS thread
//! runs one, else the parallel executor ([`crate::par`]) if this OS thread is one of its
//! carriers, else panics (or does nothing, for the `try` kind) as outside a run.

use std::alloc::Layout;
use std::any::Any;
use std::panic::Location;
use std::ptr::NonNull;
use std::sync::Arc;
use std::time::Duration;

use super::{SpawnError, Thread, ThreadId};
use crate::diag::{ObjectId, ObjectKind, Op, PanicReport};
use crate::par;
use crate::sim::exec;

static NEXT_RUN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A fresh run id (runs of both executors share the numbering).
pub(crate) fn next_run_id() -> u64 {
    NEXT_RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The parallel executor's carrier of this OS thread, or a panic naming `what`.
#[inline]
fn carrier(what: &str) -> &'static par::Carrier {
    match par::current() {
        Some(c) => c,
        None => outside_run(what),
    }
}

#[cold]
#[track_caller]
fn outside_run(what: &str) -> ! {
    panic!("{}", outside_run_message(what))
}

/// The message every primitive panics with when used outside a run.
pub(crate) fn outside_run_message(what: &str) -> String {
    format!(
        "gort: {what} was called outside a run: green threads, channels and virtual time only \
         exist inside gort::sim::run (or sim::explore); move this code into the closure you \
         pass to it"
    )
}

/// Whether this OS thread runs the deterministic executor: primitives that have a faster,
/// unrecorded path for the parallel executor decide with this, once, when they are created.
pub(crate) fn is_sim() -> bool {
    exec::try_with(|_| ()).is_some()
}

/// Whether a thread about to park for a lock should first spin a little (Go's `canSpin`):
/// never under the deterministic executor; on the parallel one, only if another carrier is
/// awake (it may be running the holder) and this carrier has nothing else queued.
#[inline]
pub(crate) fn can_spin() -> bool {
    exec::try_with(|_| false).unwrap_or_else(|| par::current().is_some_and(|c| c.can_spin()))
}

/// A scheduling point before a visible operation.
#[inline]
pub(crate) fn point(op: Op, object: Option<ObjRef>, at: &'static Location<'static>) {
    if exec::try_with(|sim| sim.point(op, object, at)).is_none() {
        carrier(op_name(op)).point(object, at);
    }
}

pub(crate) fn yield_now(at: &'static Location<'static>) {
    if exec::try_with(|sim| sim.yield_now(at)).is_none() {
        carrier("yield_now").yield_now();
    }
}

/// Blocks the current thread until it is unparked (or consumes a pending permit).
pub(crate) fn park(op: Op, object: Option<ObjRef>, at: &'static Location<'static>) {
    if exec::try_with(|sim| sim.park(op, object, at)).is_none() {
        carrier(op_name(op)).park(op, at);
    }
}

pub(crate) fn unpark(thread: &Thread, at: &'static Location<'static>) {
    wake(Waker { run: thread.run, id: thread.id, slot: thread.slot }, at);
}

/// The part of a [`Thread`] that wakes it: `Copy`, so blocking costs no reference counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Waker {
    pub(crate) run: u64,
    pub(crate) id: ThreadId,
    /// Where the parallel executor keeps the thread's record (0 under the deterministic
    /// executor, which indexes threads by id).
    pub(crate) slot: u32,
}

/// Makes the thread runnable, or leaves it a permit ([`Thread::unpark`]).
pub(crate) fn wake(waker: Waker, at: &'static Location<'static>) {
    // A no-op outside a run: destructors (a dropped Sender) may wake after it ended.
    if exec::try_with(|sim| sim.unpark(waker, at)).is_none()
        && let Some(c) = par::current()
    {
        c.unpark(waker, at);
    }
}

/// The id of the run this OS thread executes, 0 outside a run.
pub(crate) fn run_id() -> u64 {
    exec::try_with(|sim| sim.run_id).or_else(|| par::current().map(|c| c.run_id())).unwrap_or(0)
}

/// Memory for a small block shared between threads (a join packet): from the carrier's
/// cache under the parallel executor, from the allocator elsewhere.
pub(crate) fn take_block(layout: Layout) -> NonNull<u8> {
    match par::current() {
        Some(c) => c.take_block(layout),
        None => par::take_off_carrier(layout),
    }
}

/// Frees a block from [`take_block`].
///
/// # Safety
///
/// `p` came from [`take_block`] with the same `layout` (on any OS thread), and is no
/// longer used.
pub(crate) unsafe fn give_block(p: NonNull<u8>, layout: Layout) {
    match par::current() {
        // SAFETY: the caller's contract is `give_block`'s.
        Some(c) => unsafe { c.give_block(p, layout) },
        // SAFETY: as above.
        None => unsafe { par::free_off_carrier(p, layout) },
    }
}

/// A waker for the calling thread.
pub(crate) fn current_waker(what: &'static str) -> Waker {
    exec::try_with(|sim| sim.current_waker()).unwrap_or_else(|| carrier(what).current_waker())
}

pub(crate) fn current_thread(what: &'static str) -> Thread {
    exec::try_with(|sim| sim.current_thread()).unwrap_or_else(|| carrier(what).current_thread())
}

/// Starts a green thread running `body`. The parallel executor puts `body` on the thread's
/// new stack (no allocation); the deterministic one boxes it.
pub(crate) fn spawn<F>(
    name: Option<Arc<str>>,
    stack_size: Option<usize>,
    site: &'static Location<'static>,
    body: F,
) -> Result<Thread, SpawnError>
where
    F: FnOnce() + Send + 'static,
{
    if let Some(sim) = exec::try_with(|sim| sim as *const crate::sim::exec::Sim) {
        // SAFETY: `try_with` gave a live run of this OS thread; it stays alive during the call.
        return Ok(unsafe { &*sim }.spawn(name, stack_size, site, Box::new(body)));
    }
    match par::current() {
        Some(c) => c.spawn(name, stack_size, site, body),
        None => Err(SpawnError::OutsideRun),
    }
}

/// True while a finished run unwinds the stacks of threads that were still alive.
pub(crate) fn tearing_down() -> bool {
    exec::try_with(|sim| sim.tearing_down())
        .or_else(|| par::current().map(|c| c.tearing_down()))
        .unwrap_or(false)
}

pub(crate) fn thread_panicked(report: PanicReport, detached: bool) {
    match exec::try_with(|sim| sim as *const crate::sim::exec::Sim) {
        // SAFETY: as in `spawn`.
        Some(sim) => unsafe { &*sim }.thread_panicked(report, detached),
        None => carrier("panic").thread_panicked(report, detached),
    }
}

pub(crate) fn panic_observed(thread: ThreadId) {
    if exec::try_with(|sim| sim.panic_observed(thread)).is_none() {
        carrier("JoinHandle::join").panic_observed(thread);
    }
}

pub(crate) fn panic_unjoined(thread: ThreadId) {
    if exec::try_with(|sim| sim.panic_unjoined(thread)).is_none()
        && let Some(c) = par::current()
    {
        c.panic_unjoined(thread);
    }
}

pub(crate) fn panic_report(payload: &Box<dyn Any + Send>) -> PanicReport {
    exec::try_with(|sim| sim.panic_report(payload))
        .unwrap_or_else(|| carrier("panic").panic_report(payload))
}

pub(crate) fn now(what: &'static str) -> Duration {
    exec::try_with(|sim| sim.now()).unwrap_or_else(|| carrier(what).now())
}

pub(crate) fn sleep(d: Duration, at: &'static Location<'static>) {
    if exec::try_with(|sim| sim.sleep(d, at)).is_none() {
        carrier("time::sleep").sleep(d, at);
    }
}

pub(crate) fn work(d: Duration, at: &'static Location<'static>) {
    if exec::try_with(|sim| sim.work(d, at)).is_none() {
        carrier("time::work").work(d);
    }
}

/// A primitive's identity: the run that created it and its id there.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ObjRef {
    pub(crate) run: u64,
    pub(crate) id: ObjectId,
    pub(crate) created: &'static Location<'static>,
}

pub(crate) fn register_object(
    kind: ObjectKind,
    name: Option<Arc<str>>,
    created: &'static Location<'static>,
    what: &'static str,
) -> ObjRef {
    match exec::try_with(|sim| sim as *const crate::sim::exec::Sim) {
        // SAFETY: as in `spawn`.
        Some(sim) => unsafe { &*sim }.register_object(kind, name, created),
        None => carrier(what).register_object(created),
    }
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Send => "Sender::send",
        Op::Recv => "Receiver::recv",
        Op::TrySend => "Sender::try_send",
        Op::TryRecv => "Receiver::try_recv",
        Op::Close => "channel close",
        Op::Park => "sched::park",
        Op::Join(_) => "JoinHandle::join",
        Op::Sleep(_) => "time::sleep",
        Op::Work(_) => "time::work",
        Op::Select => "select!",
        Op::Lock => "Mutex::lock",
        Op::RLock => "RwLock::read",
        Op::WaitGroup => "WaitGroup::wait",
        Op::Once => "Once::call_once",
        Op::Other(name) => name,
        _ => "a runtime operation",
    }
}

/// Records the close of a channel by the running thread and returns where it happened, or
/// `None` if there is nothing to wake (the run is over, tearing down, or another run's).
///
/// With `switch` false the close is recorded without a scheduling point, so that several
/// closes (a context and its descendants) happen at one instant with nothing in between.
pub(crate) fn close_point(
    op: Op,
    obj: ObjRef,
    at: Option<&'static Location<'static>>,
    switch: bool,
) -> Option<&'static Location<'static>> {
    match exec::try_with(|sim| sim.close_point(op, obj, at, switch)) {
        Some(at) => at,
        None => par::current().and_then(|c| c.close_point(obj, at)),
    }
}

/// Records that `thread` now holds lock `obj` (`write`: exclusively), or no longer does
/// (`held` false), for lock-cycle reports.
pub(crate) fn lock_holder(obj: ObjRef, thread: Waker, write: bool, held: bool) {
    exec::try_with(|sim| sim.lock_holder(obj, thread, write, held));
}

/// Whether a green thread of a live run is executing (not a destructor after the run, not a
/// timer callback, not teardown).
pub(crate) fn in_green_thread() -> bool {
    exec::in_green_thread() || par::current().is_some_and(|c| c.in_green_thread())
}

/// Records an event with no scheduling decision (an unlock, a timer delivering a tick).
pub(crate) fn note(op: Op, object: Option<ObjRef>, at: &'static Location<'static>) {
    exec::try_with(|sim| sim.note(op, object, at));
}

/// A seeded random number below `n` (`n > 0`): the same in every replay.
pub(crate) fn random_below(n: u32, what: &'static str) -> u32 {
    exec::try_with(|sim| sim.random_below(n)).unwrap_or_else(|| carrier(what).random_below(n))
}

pub(crate) use crate::sim::timers::{Fired, TimerFn};

/// A callback timer registered with the current run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TimerId {
    run: u64,
    id: u64,
}

/// Arms `f` to run from the scheduler loop `d` from now (then every `period`, if given).
pub(crate) fn start_timer(
    d: Duration,
    period: Option<Duration>,
    f: TimerFn,
    at: &'static Location<'static>,
    what: &'static str,
) -> TimerId {
    match exec::try_with(|sim| sim as *const crate::sim::exec::Sim) {
        Some(sim) => {
            // SAFETY: as in `spawn`.
            let sim = unsafe { &*sim };
            TimerId { run: sim.run_id, id: sim.start_timer(d, period, f, at) }
        }
        None => {
            let c = carrier(what);
            TimerId { run: c.run_id(), id: c.start_timer(d, period, f, at) }
        }
    }
}

/// Unregisters a timer. True if it was pending. A no-op once its run is over.
pub(crate) fn stop_timer(timer: TimerId) -> bool {
    exec::try_with(|sim| sim.run_id == timer.run && sim.stop_timer(timer.id))
        .or_else(|| par::current().map(|c| c.run_id() == timer.run && c.stop_timer(timer.id)))
        .unwrap_or(false)
}

/// Re-arms a timer `d` from now. True if it was pending.
pub(crate) fn reset_timer(
    timer: TimerId,
    d: Duration,
    period: Option<Duration>,
    f: &TimerFn,
    at: &'static Location<'static>,
) -> bool {
    exec::try_with(|sim| sim.run_id == timer.run && sim.reset_timer(timer.id, d, period, f, at))
        .or_else(|| {
            par::current()
                .map(|c| c.run_id() == timer.run && c.reset_timer(timer.id, d, period, f, at))
        })
        .unwrap_or(false)
}
