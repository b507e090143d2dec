//! What the primitives ask of the parallel executor: its side of the executor interface
//! ([`Executor`], which the deterministic executor implements too), on a real clock.

use std::any::Any;
use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::Ordering::{Acquire, Relaxed};
use std::time::{Duration, Instant};

use super::carrier::{After, Carrier};
use super::thread::{GRef, GThread, NO_SLOT, Unparked, Wait};
use crate::exec::{Executor, panic_hook, teardown_block};
use crate::vocab::{
    Failure, Fired, ObjRef, ObjectId, ObjectKind, Op, PanicReport, SpawnError, ThreadId,
    ThreadLabel, TimerFn, Waker,
};

impl Carrier {
    /// The green thread running on this carrier.
    fn me(&self, what: &str) -> GRef {
        match self.current.get() {
            Some(t) => t,
            None => panic!("gort: {what} was called from a timer callback, not a green thread"),
        }
    }

    /// Switches from the running green thread back to this carrier, which files it as
    /// `after` says. Returns on whichever carrier resumes it next.
    fn suspend(&self, me: &GThread, after: After) {
        self.after.set(after);
        let yielder = me.yielder.get();
        debug_assert!(!yielder.is_null());
        // SAFETY: `yielder` was stored by this thread's coroutine body when it started and
        // stays valid until the body returns; we are executing inside that body.
        unsafe { (*yielder).suspend(()) };
    }

    #[cold]
    fn preempted(&self) {
        if self.tearing_down() || std::thread::panicking() {
            return;
        }
        let me = self.me("a scheduling point");
        self.suspend(&me, After::Yield);
    }

    /// A fresh thread id from this carrier's block.
    fn next_id(&self) -> u64 {
        let (next, end) = self.ids.get();
        let (next, end) = if next < end { (next, end) } else { self.shared.thread_ids(16) };
        self.ids.set((next + 1, end));
        next
    }

    /// Keeps what the panic hook saw for the panicking thread's report. False off a green
    /// thread (the previous hook prints it as usual).
    pub(crate) fn capture_panic(&self, message: String, location: Option<String>) -> bool {
        match self.current.get() {
            Some(t) if !self.tearing_down() => {
                t.set_panic(message, location);
                true
            }
            _ => false,
        }
    }

    /// Runs a fired callback (on the monitor) and says what it did.
    pub(super) fn fire(&self, f: &TimerFn, at: &'static Location<'static>) -> Fired {
        self.firing.set(Some(at));
        let fired = f();
        self.firing.set(None);
        fired
    }
}

impl Executor for Carrier {
    fn is_deterministic(&self) -> bool {
        false
    }

    fn can_spin(&self) -> bool {
        self.can_spin_now()
    }

    /// A scheduling point: yields only if the monitor asked (the thread ran too long).
    #[inline]
    fn point(&self, _op: Op, object: Option<ObjRef>, at: &'static Location<'static>) {
        if let Some(o) = object
            && o.run != self.shared.run_id
        {
            foreign_object(o, at);
        }
        if let Some(i) = self.index
            && self.shared.status[i].preempt.load(Relaxed)
        {
            self.preempted();
        }
    }

    fn yield_now(&self, _at: &'static Location<'static>) {
        if self.tearing_down() {
            return;
        }
        let me = self.me("yield_now");
        self.suspend(&me, After::Yield);
    }

    fn park(&self, op: Op, _object: Option<ObjRef>, at: &'static Location<'static>) {
        if self.tearing_down() {
            teardown_block(op, at);
        }
        let me = self.me("park");
        if me.take_permit() {
            return;
        }
        let wait = Wait { op, at };
        me.wait.set(&wait);
        self.suspend(&me, After::Park);
        me.wait.set(std::ptr::null());
    }

    fn unpark(&self, waker: Waker, at: &'static Location<'static>) {
        if self.tearing_down() {
            return;
        }
        if waker.run != self.shared.run_id {
            panic!(
                "gort: a Thread handle used at {at} belongs to another run; runtime objects \
                 cannot outlive the run that created them"
            );
        }
        let Some(t) = self.shared.slab.get(waker.slot) else { return }; // never spawned
        if let Unparked::Schedule = t.unpark(waker.id) {
            t.prefetch_stack();
            self.ready(t);
        }
    }

    fn current_waker(&self) -> Waker {
        let me = self.me("current");
        Waker { run: self.shared.run_id, id: me.id(), slot: me.slot }
    }

    fn current_thread(&self) -> (Waker, Option<Arc<str>>) {
        let me = self.me("sched::current");
        (Waker { run: self.shared.run_id, id: me.id(), slot: me.slot }, me.name())
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
        let parent = self.current.get().map(|t| t.id());
        let id = ThreadId(self.next_id());
        let label = ThreadLabel { id, name, spawn_site: site, parent };
        let size = stack_size.unwrap_or(self.shared.default_stack);
        let t = self.take_slot();
        if let Err(e) = t.init(label, size, body) {
            self.free_slot(t.slot);
            self.shared.fail(Failure::Resource {
                message: format!(
                    "could not allocate a {size}-byte stack for green thread {id}: {e}"
                ),
            });
            // The run is stopping; the handle names no record (waking it does nothing).
            return Ok(Waker { run: self.shared.run_id, id, slot: NO_SLOT });
        }
        self.spawned.set(self.spawned.get() + 1);
        self.ready(t);
        // `go` is a scheduling point: honour a pending preemption request, so a loop that
        // spawns a million threads lets the others run (and is not reported as holding
        // its carrier).
        self.point(Op::Spawn(id), None, site);
        Ok(Waker { run: self.shared.run_id, id, slot: t.slot })
    }

    fn run_id(&self) -> u64 {
        self.shared.run_id
    }

    fn tearing_down(&self) -> bool {
        self.shared.teardown.load(Acquire)
    }

    fn in_green_thread(&self) -> bool {
        self.current.get().is_some() && !self.tearing_down()
    }

    fn thread_panicked(&self, report: PanicReport, detached: bool) {
        if detached {
            self.shared.fail(Failure::Panic(report));
        } else {
            self.shared.unobserved.lock().push(report);
        }
    }

    fn panic_observed(&self, thread: ThreadId) {
        self.shared.unobserved.lock().retain(|p| p.thread.id != thread);
    }

    fn panic_unjoined(&self, thread: ThreadId) {
        let mut unobserved = self.shared.unobserved.lock();
        if let Some(i) = unobserved.iter().position(|p| p.thread.id == thread) {
            let report = unobserved.remove(i);
            drop(unobserved);
            self.shared.fail(Failure::Panic(report));
        }
    }

    fn panic_report(&self, payload: &Box<dyn Any + Send>) -> PanicReport {
        let me = self.me("panic");
        let (message, location) = match me.take_panic() {
            Some(seen) => seen,
            None => (panic_hook::payload_message(payload), None),
        };
        PanicReport { thread: me.label(), message, location }
    }

    fn now(&self) -> Duration {
        self.shared.start.elapsed()
    }

    fn sleep(&self, d: Duration, at: &'static Location<'static>) {
        if d.is_zero() {
            self.yield_now(at);
            return;
        }
        if self.tearing_down() {
            return;
        }
        let me = self.current_waker();
        let deadline = Instant::now() + d;
        self.shared.timers.add_wake(deadline, me);
        // A stray unpark may end a park early; the timer stays armed until the deadline.
        while Instant::now() < deadline {
            let carrier = super::carrier::current().expect("green threads run on carriers");
            carrier.park(Op::Sleep(d), None, at);
        }
    }

    /// Busy work for `d`: the carrier is occupied, as by a computation.
    fn work(&self, d: Duration, _at: &'static Location<'static>) {
        let until = Instant::now() + d;
        while Instant::now() < until {
            std::hint::spin_loop();
        }
    }

    fn register_object(
        &self,
        _kind: ObjectKind,
        _name: Option<Arc<str>>,
        created: &'static Location<'static>,
    ) -> ObjRef {
        ObjRef { run: self.shared.run_id, id: ObjectId(self.shared.next_object_id()), created }
    }

    fn close_point(
        &self,
        _op: Op,
        obj: ObjRef,
        at: Option<&'static Location<'static>>,
        _switch: bool,
    ) -> Option<&'static Location<'static>> {
        if self.tearing_down() || obj.run != self.shared.run_id {
            return None;
        }
        Some(at.or(self.firing.get()).unwrap_or(obj.created))
    }

    fn random_below(&self, n: u32) -> u32 {
        (self.random() % u64::from(n.max(1))) as u32
    }

    fn start_timer(
        &self,
        d: Duration,
        period: Option<Duration>,
        f: TimerFn,
        at: &'static Location<'static>,
    ) -> u64 {
        self.shared.timers.add_callback(Instant::now() + d, period, f, at)
    }

    fn stop_timer(&self, id: u64) -> bool {
        !self.tearing_down() && self.shared.timers.stop(id)
    }

    fn reset_timer(
        &self,
        id: u64,
        d: Duration,
        period: Option<Duration>,
        f: &TimerFn,
        at: &'static Location<'static>,
    ) -> bool {
        self.shared.timers.reset(id, Instant::now() + d, period, f, at)
    }
}

#[cold]
#[track_caller]
fn foreign_object(o: ObjRef, at: &'static Location<'static>) -> ! {
    panic!(
        "gort: the object created at {} used at {at} belongs to another run; runtime objects \
         cannot outlive the run that created them (create them inside the closure passed to \
         par::run)",
        o.created
    )
}
