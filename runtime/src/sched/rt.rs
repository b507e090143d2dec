//! The dispatcher: what primitives ask of whichever executor runs the current thread.
//!
//! Channels, `JoinHandle`, time, sync and context are written once against these
//! functions. Each one resolves, once, which executor runs this OS thread (the deterministic
//! one, [`crate::sim`], or a carrier of the parallel one, [`crate::par`]) and calls the
//! [`Executor`] method on it; outside a run it panics (or does nothing, for the operations
//! that may happen after a run, such as a destructor's wake-up).

use std::alloc::Layout;
use std::any::Any;
use std::ptr::NonNull;
use std::sync::Arc;
use std::time::Duration;

use super::Thread;
use crate::exec::{Executor, Site};
use crate::par::{self, Carrier};
use crate::sim::exec::{self as sim_exec, Sim};
pub(crate) use crate::vocab::{Fired, ObjRef, TimerFn, Waker};
use crate::vocab::{ObjectKind, Op, PanicReport, SpawnError, ThreadId, outside_run_message};

/// The executor of this OS thread, for the length of one runtime call.
#[derive(Clone, Copy)]
enum Current {
    Sim(&'static Sim),
    Par(&'static Carrier),
}

#[inline]
fn current() -> Option<Current> {
    match sim_exec::current() {
        Some(sim) => Some(Current::Sim(sim)),
        None => par::current().map(Current::Par),
    }
}

/// `on!(what, |e| body)`: runs `body` with `e` bound to the current executor (statically
/// typed in each arm, so the call inlines), or panics naming `what` outside a run.
/// `on!(? |e| body)`: `Some(body)`, or `None` outside a run.
macro_rules! on {
    (? |$e:ident| $body:expr) => {
        match current() {
            Some(Current::Sim($e)) => Some($body),
            Some(Current::Par($e)) => Some($body),
            None => None,
        }
    };
    ($what:expr, |$e:ident| $body:expr) => {
        match current() {
            Some(Current::Sim($e)) => $body,
            Some(Current::Par($e)) => $body,
            None => outside_run($what),
        }
    };
}

#[cold]
#[track_caller]
fn outside_run(what: &str) -> ! {
    panic!("{}", outside_run_message(what))
}

/// Whether this OS thread runs the deterministic executor: primitives that have a faster,
/// unrecorded path for the parallel executor decide with this, once, when they are created.
pub(crate) fn is_sim() -> bool {
    on!(? |e| e.is_deterministic()).unwrap_or(false)
}

/// Whether a thread about to park for a lock should first spin a little (Go's `canSpin`):
/// never under the deterministic executor; on the parallel one, only if another carrier is
/// awake (it may be running the holder) and this carrier has nothing else queued.
#[inline]
pub(crate) fn can_spin() -> bool {
    on!(? |e| e.can_spin()).unwrap_or(false)
}

/// A scheduling point before a visible operation.
#[inline]
pub(crate) fn point(op: Op, object: Option<ObjRef>, at: Site) {
    on!(op_name(op), |e| e.point(op, object, at))
}

pub(crate) fn yield_now(at: Site) {
    on!("yield_now", |e| e.yield_now(at))
}

/// Blocks the current thread until it is unparked (or consumes a pending permit).
pub(crate) fn park(op: Op, object: Option<ObjRef>, at: Site) {
    on!(op_name(op), |e| e.park(op, object, at))
}

pub(crate) fn unpark(thread: &Thread, at: Site) {
    wake(Waker { run: thread.run, id: thread.id, slot: thread.slot }, at);
}

/// Makes the thread runnable, or leaves it a permit ([`Thread::unpark`]).
pub(crate) fn wake(waker: Waker, at: Site) {
    // A no-op outside a run: destructors (a dropped Sender) may wake after it ended.
    on!(? |e| e.unpark(waker, at));
}

/// The id of the run this OS thread executes, 0 outside a run.
pub(crate) fn run_id() -> u64 {
    on!(? |e| e.run_id()).unwrap_or(0)
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
    on!(what, |e| e.current_waker())
}

pub(crate) fn current_thread(what: &'static str) -> Thread {
    let (waker, name) = on!(what, |e| e.current_thread());
    Thread { run: waker.run, id: waker.id, slot: waker.slot, name }
}

/// Starts a green thread running `body`. The parallel executor puts `body` on the thread's
/// new stack (no allocation); the deterministic one boxes it.
pub(crate) fn spawn<F>(
    name: Option<Arc<str>>,
    stack_size: Option<usize>,
    site: Site,
    body: F,
) -> Result<Thread, SpawnError>
where
    F: FnOnce() + Send + 'static,
{
    let waker = match current() {
        Some(Current::Sim(e)) => e.spawn(name.clone(), stack_size, site, body),
        Some(Current::Par(e)) => e.spawn(name.clone(), stack_size, site, body),
        None => Err(SpawnError::OutsideRun),
    }?;
    Ok(Thread { run: waker.run, id: waker.id, slot: waker.slot, name })
}

/// True while a finished run unwinds the stacks of threads that were still alive.
pub(crate) fn tearing_down() -> bool {
    on!(? |e| e.tearing_down()).unwrap_or(false)
}

pub(crate) fn thread_panicked(report: PanicReport, detached: bool) {
    on!("panic", |e| e.thread_panicked(report, detached))
}

pub(crate) fn panic_observed(thread: ThreadId) {
    on!("JoinHandle::join", |e| e.panic_observed(thread))
}

pub(crate) fn panic_unjoined(thread: ThreadId) {
    on!(? |e| e.panic_unjoined(thread));
}

pub(crate) fn panic_report(payload: &Box<dyn Any + Send>) -> PanicReport {
    on!("panic", |e| e.panic_report(payload))
}

pub(crate) fn now(what: &'static str) -> Duration {
    on!(what, |e| e.now())
}

pub(crate) fn sleep(d: Duration, at: Site) {
    on!("time::sleep", |e| e.sleep(d, at))
}

pub(crate) fn work(d: Duration, at: Site) {
    on!("time::work", |e| e.work(d, at))
}

pub(crate) fn register_object(
    kind: ObjectKind,
    name: Option<Arc<str>>,
    created: Site,
    what: &'static str,
) -> ObjRef {
    on!(what, |e| e.register_object(kind, name, created))
}

/// Records the close of a channel by the running thread and returns where it happened, or
/// `None` if there is nothing to wake (the run is over, tearing down, or another run's).
///
/// With `switch` false the close is recorded without a scheduling point, so that several
/// closes (a context and its descendants) happen at one instant with nothing in between.
pub(crate) fn close_point(op: Op, obj: ObjRef, at: Option<Site>, switch: bool) -> Option<Site> {
    on!(? |e| e.close_point(op, obj, at, switch)).flatten()
}

/// Records that `thread` now holds lock `obj` (`write`: exclusively), or no longer does
/// (`held` false), for lock-cycle reports.
///
/// Only the deterministic executor keeps lock holders (the parallel one takes the trait's
/// no-op), so only it is looked up: this runs at every lock and unlock.
pub(crate) fn lock_holder(obj: ObjRef, thread: Waker, write: bool, held: bool) {
    if let Some(sim) = sim_exec::current() {
        sim.lock_holder(obj, thread, write, held);
    }
}

/// Whether a green thread of a live run is executing (not a destructor after the run, not a
/// timer callback, not teardown).
pub(crate) fn in_green_thread() -> bool {
    on!(? |e| e.in_green_thread()).unwrap_or(false)
}

/// Records an event with no scheduling decision (an unlock, a timer delivering a tick).
///
/// As for [`lock_holder`], only the deterministic executor records, so only it is looked up.
pub(crate) fn note(op: Op, object: Option<ObjRef>, at: Site) {
    if let Some(sim) = sim_exec::current() {
        sim.note(op, object, at);
    }
}

/// A seeded random number below `n` (`n > 0`): the same in every replay.
pub(crate) fn random_below(n: u32, what: &'static str) -> u32 {
    on!(what, |e| e.random_below(n))
}

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
    at: Site,
    what: &'static str,
) -> TimerId {
    on!(what, |e| TimerId { run: e.run_id(), id: e.start_timer(d, period, f, at) })
}

/// Unregisters a timer. True if it was pending. A no-op once its run is over.
pub(crate) fn stop_timer(timer: TimerId) -> bool {
    on!(? |e| e.run_id() == timer.run && e.stop_timer(timer.id)).unwrap_or(false)
}

/// Re-arms a timer `d` from now. True if it was pending.
pub(crate) fn reset_timer(
    timer: TimerId,
    d: Duration,
    period: Option<Duration>,
    f: &TimerFn,
    at: Site,
) -> bool {
    on!(? |e| e.run_id() == timer.run && e.reset_timer(timer.id, d, period, f, at)).unwrap_or(false)
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
