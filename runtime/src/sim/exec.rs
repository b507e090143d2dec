//! The deterministic executor's per-run state, and the operations green threads call on it.
//!
//! Invariants (checked in debug builds where cheap):
//! * Exactly one green thread executes at a time, on the OS thread that called `run`; all
//!   state lives in `Sim::state` and no borrow of it is held across a context switch.
//! * A thread is in `runq` if and only if its status is `Runnable`.
//! * The clock moves only in `advance_clock`, called when `runq` is empty.
//! * Every event gets the next step number, goes into the trace fingerprint and bumps the
//!   watchdog heartbeat.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::os::fd::RawFd;
use std::panic::Location;
use std::ptr;
use std::sync::Arc;
use std::time::Duration;

use corosensei::Yielder;

use super::rng::Pcg32;
use super::state::{State, Status, duration_nanos};
use super::strategy::Scheduler;
use super::timers::{DueCallback, Processors, TimerAction, Timers};
use super::{Config, Stats};
use crate::exec::watchdog::Heartbeat;
use crate::exec::{Claim, Executor, overflow, panic_hook, teardown_block};
use crate::vocab::{
    Failure, Fired, ObjRef, ObjectId, ObjectKind, ObjectMeta, Op, PanicReport, SpawnError,
    ThreadId, TimerFn, Trace, Waker,
};

thread_local! {
    /// The run executing on this OS thread, or null.
    static CURRENT: Cell<*const Sim> = const { Cell::new(ptr::null()) };
}

/// The run executing on this OS thread, if any.
///
/// The `'static` is the caller's promise: the reference is used only within a call into the
/// runtime made by a green thread (or the loop) of that run, which ends before the run does.
#[inline]
pub(crate) fn current() -> Option<&'static Sim> {
    let sim = CURRENT.get();
    // SAFETY: CURRENT is non-null only between `Installed::new` and its drop, and `run` keeps
    // the `Sim` alive (and unmoved) for that whole span; we are on the OS thread that set it.
    (!sim.is_null()).then(|| unsafe { &*sim })
}

/// The message of a nested `sim::run`.
pub(crate) const NESTED: &str = "gort: sim::run was called inside a run; runs do not nest (spawn a green thread with go() \
     instead)";

/// Marks `sim` as the current run of this OS thread until dropped.
pub(crate) struct Installed(#[allow(dead_code)] Claim);

impl Installed {
    /// # Panics
    ///
    /// If a run (of either executor) already executes on this OS thread.
    pub(crate) fn new(sim: &Sim) -> Installed {
        let claim = Claim::new(NESTED);
        CURRENT.set(sim);
        Installed(claim)
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        CURRENT.set(ptr::null());
    }
}

/// The panic hook's capture ([`panic_hook::Capture`]) for a green thread of a run here.
pub(crate) fn capture_panic(message: &str, location: Option<String>) -> bool {
    let Some(sim) = current() else { return false };
    if !sim.in_green_thread() {
        return false;
    }
    match sim.state.try_borrow_mut() {
        Ok(mut st) => {
            st.last_panic = Some((message.to_string(), location));
            true
        }
        Err(_) => false,
    }
}

/// The executor of one run.
pub(crate) struct Sim {
    pub(crate) state: RefCell<State>,
    pub(crate) run_id: u64,
    teardown: Cell<bool>,
    pub(crate) in_thread: Cell<bool>,
    /// While the loop runs a timer callback: the thread that armed it and where.
    firing: Cell<Option<(usize, &'static Location<'static>)>>,
    /// Where fatal errors also write a record ([`Config::with_fatal_record`]).
    fatal_record: Option<RawFd>,
}

impl Sim {
    pub(crate) fn new(config: &Config, run_id: u64, heartbeat: Arc<Heartbeat>) -> Sim {
        let mut rng = Pcg32::new(config.seed);
        let scheduler = Scheduler::new(config.strategy, &mut rng);
        Sim {
            state: RefCell::new(State {
                threads: Vec::new(),
                runq: Vec::new(),
                runq_pos: Vec::new(),
                current: 0,
                next: None,
                scheduler,
                rng,
                now: 0,
                timers: Timers::default(),
                procs: Processors::new(config.processors),
                trace: Trace::new(config.trace_limit),
                step: 0,
                failure: None,
                main_done: false,
                unobserved: Vec::new(),
                max_steps: config.max_steps,
                max_time: duration_nanos(config.max_time),
                default_stack: config.stack_size,
                heartbeat,
                stats: Stats::default(),
                last_panic: None,
                holders: Default::default(),
            }),
            run_id,
            teardown: Cell::new(false),
            in_thread: Cell::new(false),
            firing: Cell::new(None),
            fatal_record: config.fatal_record,
        }
    }

    pub(crate) fn begin_teardown(&self) {
        self.teardown.set(true);
    }

    /// Switches from the running green thread back to the scheduler loop.
    fn suspend(&self) {
        let yielder = {
            let st = self.state.borrow();
            st.threads[st.current].yielder
        };
        debug_assert!(!yielder.is_null());
        // SAFETY: `yielder` was stored by the running thread's coroutine body when it started
        // and stays valid until that body returns; only the running thread calls `suspend`,
        // so we are executing inside that body, on its stack.
        unsafe { (*yielder).suspend(()) };
    }

    /// PCT: a thread that yields (or sleeps zero) goes below every other.
    fn deprioritize(&self) {
        if self.teardown.get() {
            return;
        }
        let mut st = self.state.borrow_mut();
        let me = st.current;
        let State { scheduler, threads, .. } = &mut *st;
        scheduler.on_yield(&mut threads[me]);
    }

    fn check_object(&self, o: ObjRef, at: &'static Location<'static>) -> ObjectId {
        if o.run != self.run_id {
            foreign_object(&format!("the object created at {}", o.created), at);
        }
        o.id
    }

    /// A scheduling decision after an event already recorded (spawn).
    fn reschedule(&self) {
        if self.teardown.get() {
            return;
        }
        let switch = self.state.borrow_mut().must_switch();
        if switch {
            self.suspend();
        }
    }

    /// Records the exit of the running thread; its coroutine returns right after.
    pub(crate) fn exit_current(&self) {
        if self.teardown.get() {
            return;
        }
        let mut st = self.state.borrow_mut();
        let me = st.current;
        let at = st.threads[me].last_point;
        st.event(me, Op::Exit, None, at);
        st.remove_runnable(me);
        st.threads[me].status = Status::Finished;
        if me == 0 {
            // Virtual time stops with main; threads that can still run without it are run
            // to completion (see `drive`), and those left alive are leaks.
            st.main_done = true;
        }
    }
}

#[cold]
#[track_caller]
fn foreign_object(what: &str, at: &'static Location<'static>) -> ! {
    panic!(
        "gort: {what} used at {at} belongs to another run; runtime objects cannot outlive the \
         run that created them (create them inside the closure passed to sim::run)"
    )
}

impl Sim {
    /// Called first thing on a new coroutine: remembers how to switch away from it.
    pub(crate) fn started(&self, t: usize, yielder: &Yielder<(), ()>) {
        self.state.borrow_mut().threads[t].yielder = yielder;
    }

    /// Marks thread `t` as executing until the guard drops: panics are captured for the
    /// report, and a stack overflow is attributed to it.
    pub(crate) fn enter_thread(&self, t: usize, guard_lo: usize, token: &str) -> RunningThread<'_> {
        {
            let st = self.state.borrow();
            let rec = &st.threads[t];
            st.heartbeat.running(t, rec.last_point);
            overflow::enter(
                overflow::Running::new(&rec.label, rec.stack_size, guard_lo, token)
                    .recording_to(self.fatal_record),
            );
        }
        self.in_thread.set(true);
        RunningThread { sim: self }
    }
}

/// See [`Sim::enter_thread`].
pub(crate) struct RunningThread<'s> {
    sim: &'s Sim,
}

impl Drop for RunningThread<'_> {
    fn drop(&mut self) {
        self.sim.in_thread.set(false);
        overflow::leave();
    }
}

impl Sim {
    /// Who events are recorded for: the running thread or, inside a timer callback, the
    /// thread that armed the timer.
    fn actor(&self, st: &State) -> usize {
        self.firing.get().map_or(st.current, |(owner, _)| owner)
    }

    /// Runs the callbacks of timers that just fired, in the order given (seeded).
    pub(crate) fn run_callbacks(&self, callbacks: Vec<DueCallback>) {
        for cb in callbacks {
            self.firing.set(Some((cb.owner, cb.at)));
            let fired = (cb.f)();
            self.firing.set(None);
            let mut st = self.state.borrow_mut();
            match fired {
                Fired::Changed => {}
                Fired::Idle => {
                    let step = st.step;
                    st.timers.mark_idle(cb.id, step);
                }
                Fired::Done => {
                    st.timers.remove_callback(cb.id);
                }
            }
        }
    }
}

impl Executor for Sim {
    fn run_id(&self) -> u64 {
        self.run_id
    }

    fn is_deterministic(&self) -> bool {
        true
    }

    fn can_spin(&self) -> bool {
        false
    }

    fn in_green_thread(&self) -> bool {
        self.in_thread.get() && !self.teardown.get()
    }

    fn point(&self, op: Op, object: Option<ObjRef>, at: &'static Location<'static>) {
        if self.teardown.get() {
            return;
        }
        // Checked before borrowing the state: a panic here must reach the panic hook, which
        // needs the state to record where it happened.
        let object = object.map(|o| self.check_object(o, at));
        let switch = {
            let mut st = self.state.borrow_mut();
            let me = st.current;
            st.threads[me].last_point = at;
            st.event(me, op, object, at);
            st.must_switch()
        };
        if switch {
            self.suspend();
        }
    }

    fn yield_now(&self, at: &'static Location<'static>) {
        self.deprioritize();
        self.point(Op::Yield, None, at);
    }

    fn park(&self, op: Op, object: Option<ObjRef>, at: &'static Location<'static>) {
        if self.teardown.get() {
            teardown_block(op, at);
        }
        let object = object.map(|o| self.check_object(o, at));
        {
            let mut st = self.state.borrow_mut();
            let me = st.current;
            if std::mem::take(&mut st.threads[me].permit) {
                return;
            }
            st.block(me, op, object, at);
            if matches!(op, Op::Lock | Op::RLock)
                && let Some(cycle) = st.lock_cycle(me)
            {
                st.fail(Failure::LockCycle(cycle));
            }
            st.next = st.decide();
        }
        self.suspend();
    }

    fn unpark(&self, waker: Waker, at: &'static Location<'static>) {
        if self.teardown.get() {
            return;
        }
        if waker.run != self.run_id {
            foreign_object("a Thread handle", at);
        }
        self.state.borrow_mut().wake(waker.id.index(), at);
    }

    fn current_waker(&self) -> Waker {
        let st = self.state.borrow();
        Waker { run: self.run_id, id: ThreadId::from_index(st.current), slot: 0 }
    }

    fn current_thread(&self) -> (Waker, Option<Arc<str>>) {
        let st = self.state.borrow();
        let label = &st.threads[st.current].label;
        (Waker { run: self.run_id, id: label.id, slot: 0 }, label.name.clone())
    }

    fn spawn<F>(
        &self,
        name: Option<Arc<str>>,
        stack_size: Option<usize>,
        site: &'static Location<'static>,
        body: F,
    ) -> Result<Waker, SpawnError>
    where
        F: FnOnce() + Send + 'static,
    {
        let child = {
            let mut st = self.state.borrow_mut();
            let parent = st.current;
            let child = ThreadId::from_index(st.threads.len());
            st.last_point_of(parent, site);
            st.event(parent, Op::Spawn(child), None, site);
            let parent_id = st.threads[parent].label.id;
            st.add_thread(name, site, Some(parent_id), stack_size, Some(Box::new(body)));
            child
        };
        // The spawn itself is the scheduling point: the child may run first.
        self.reschedule();
        Ok(Waker { run: self.run_id, id: child, slot: 0 })
    }

    fn tearing_down(&self) -> bool {
        self.teardown.get()
    }

    fn thread_panicked(&self, report: PanicReport, detached: bool) {
        let mut st = self.state.borrow_mut();
        let me = st.current;
        let at = st.threads[me].last_point;
        st.event(me, Op::Panic, None, at);
        if detached {
            st.fail(Failure::Panic(report));
        } else {
            st.unobserved.push(report);
        }
    }

    fn panic_observed(&self, thread: ThreadId) {
        self.state.borrow_mut().unobserved.retain(|p| p.thread.id != thread);
    }

    fn panic_unjoined(&self, thread: ThreadId) {
        let mut st = self.state.borrow_mut();
        if let Some(i) = st.unobserved.iter().position(|p| p.thread.id == thread) {
            let report = st.unobserved.remove(i);
            st.fail(Failure::Panic(report));
        }
    }

    fn panic_report(&self, payload: &Box<dyn Any + Send>) -> PanicReport {
        let mut st = self.state.borrow_mut();
        let (message, location) = match st.last_panic.take() {
            Some(seen) => seen,
            None => (panic_hook::payload_message(payload), None),
        };
        PanicReport { thread: st.threads[st.current].label.clone(), message, location }
    }

    fn now(&self) -> Duration {
        Duration::from_nanos(self.state.borrow().now)
    }

    fn sleep(&self, d: Duration, at: &'static Location<'static>) {
        if d.is_zero() {
            // sleep(0) is a yield_now.
            self.deprioritize();
        }
        self.point(Op::Sleep(d), None, at);
        if d.is_zero() || self.teardown.get() {
            return;
        }
        {
            let mut st = self.state.borrow_mut();
            let me = st.current;
            let deadline = st.now.saturating_add(duration_nanos(d));
            st.block(me, Op::Sleep(d), None, at);
            let generation = st.threads[me].wait_gen;
            st.timers.add(deadline, TimerAction::Wake { thread: me, generation });
            st.next = st.decide();
        }
        self.suspend();
    }

    fn work(&self, d: Duration, at: &'static Location<'static>) {
        self.point(Op::Work(d), None, at);
        if d.is_zero() || self.teardown.get() {
            return;
        }
        {
            let mut st = self.state.borrow_mut();
            let me = st.current;
            let nanos = duration_nanos(d);
            if st.procs.try_acquire() {
                let deadline = st.now.saturating_add(nanos);
                st.block(me, Op::Work(d), None, at);
                st.timers.add(deadline, TimerAction::WorkDone { thread: me });
            } else {
                st.block(me, Op::WaitProcessor, None, at);
                st.procs.enqueue(me, nanos);
            }
            st.next = st.decide();
        }
        self.suspend();
    }

    fn register_object(
        &self,
        kind: ObjectKind,
        name: Option<Arc<str>>,
        created: &'static Location<'static>,
    ) -> ObjRef {
        let mut st = self.state.borrow_mut();
        let id = ObjectId(st.trace.objects.len() as u32);
        st.trace.objects.push(ObjectMeta { id, kind, name, created });
        ObjRef { run: self.run_id, id, created }
    }

    fn close_point(
        &self,
        op: Op,
        obj: ObjRef,
        at: Option<&'static Location<'static>>,
        switch: bool,
    ) -> Option<&'static Location<'static>> {
        if self.teardown.get() || obj.run != self.run_id {
            return None;
        }
        if let Some((owner, armed_at)) = self.firing.get() {
            // A timer callback (a context deadline) closes: no thread to switch.
            let at = at.unwrap_or(armed_at);
            self.state.borrow_mut().event(owner, op, Some(obj.id), at);
            return Some(at);
        }
        if !self.in_thread.get() {
            return None;
        }
        let at = at.unwrap_or_else(|| {
            let st = self.state.borrow();
            st.threads[st.current].last_point
        });
        if !switch || std::thread::panicking() {
            // Unwinding, or one close among several that must look simultaneous: record the
            // close but do not switch threads in the middle of it.
            self.note(op, Some(obj), at);
        } else {
            self.point(op, Some(obj), at);
        }
        Some(at)
    }

    /// Records that `thread` now holds lock `obj` (`write`: exclusively) or released it.
    fn lock_holder(&self, obj: ObjRef, thread: Waker, write: bool, held: bool) {
        if self.teardown.get() || obj.run != self.run_id || thread.run != self.run_id {
            return;
        }
        let mut st = self.state.borrow_mut();
        let entry = (thread.id.index(), write);
        let index = obj.id.0 as usize;
        if st.holders.len() <= index {
            st.holders.resize_with(index + 1, Vec::new);
        }
        let holders = &mut st.holders[index];
        if held {
            holders.push(entry);
        } else if let Some(i) = holders.iter().position(|&h| h == entry) {
            holders.swap_remove(i);
        }
    }

    /// Records an event without a scheduling decision, for the running thread or, inside a
    /// timer callback, for the thread that armed the timer.
    fn note(&self, op: Op, object: Option<ObjRef>, at: &'static Location<'static>) {
        if self.teardown.get() {
            return;
        }
        let object = object.filter(|o| o.run == self.run_id).map(|o| o.id);
        let mut st = self.state.borrow_mut();
        let actor = self.actor(&st);
        st.event(actor, op, object, at);
    }

    /// A uniformly random number below `n` from the run's seeded generator.
    fn random_below(&self, n: u32) -> u32 {
        self.state.borrow_mut().rng.below(n)
    }

    /// Arms a callback timer `d` from now; returns its id.
    fn start_timer(
        &self,
        d: Duration,
        period: Option<Duration>,
        f: TimerFn,
        at: &'static Location<'static>,
    ) -> u64 {
        let mut st = self.state.borrow_mut();
        let owner = self.actor(&st);
        let deadline = st.now.saturating_add(duration_nanos(d));
        st.timers.add_callback(deadline, period.map(duration_nanos), f, owner, at)
    }

    /// Unregisters a callback timer; true if it had not fired yet (or is periodic).
    fn stop_timer(&self, id: u64) -> bool {
        if self.teardown.get() {
            return false;
        }
        self.state.borrow_mut().timers.remove_callback(id)
    }

    /// Re-arms callback timer `id` to fire `d` from now, registering `f` again if it had
    /// fired or been stopped. Returns whether it was still pending.
    fn reset_timer(
        &self,
        id: u64,
        d: Duration,
        period: Option<Duration>,
        f: &TimerFn,
        at: &'static Location<'static>,
    ) -> bool {
        let mut st = self.state.borrow_mut();
        let owner = self.actor(&st);
        let deadline = st.now.saturating_add(duration_nanos(d));
        st.timers.reset_callback(id, deadline, period.map(duration_nanos), f, owner, at)
    }
}
