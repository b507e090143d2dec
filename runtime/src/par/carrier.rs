//! Carriers: the OS threads that run green threads (≈ Go's M bound to a P), their run
//! queues, work stealing, and idle parking.
//!
//! Each carrier has a local FIFO queue that others may steal from, and a `runnext` slot
//! (a thread just woken or spawned by the running one, run next so a hand-off does not wait
//! behind the queue; nobody steals it). A global queue takes yields and wake-ups from
//! outside a carrier. Fairness: every 61st pick starts at the global queue, and a chain of
//! `runnext` hand-offs is cut after 61 picks, so a pair of threads that keep waking each
//! other cannot starve the rest.

use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering::*, fence};
use std::time::{Duration, Instant};

use corosensei::CoroutineResult;
use crossbeam_deque::{Injector, Steal, Stealer, Worker};
use parking_lot::{Condvar, Mutex};

use super::blocks::{Blocks, Depot};
use super::thread::{BATCH, GRef, Slab};
use super::timer::Timers;
use crate::exec::overflow;
use crate::vocab::{Failure, PanicReport};

/// Picks between two looks at the global queue, as in Go.
const FAIR_TICK: u32 = 61;

/// Per-carrier state the monitor reads (on a cache line of its own: each carrier writes
/// its own at every resume).
#[derive(Default)]
#[repr(align(128))]
pub(super) struct Status {
    /// Bumped at every resume.
    pub(super) resumes: AtomicU64,
    /// The id of the thread running now, or 0.
    pub(super) running: AtomicU64,
    /// The slot of its record.
    pub(super) slot: AtomicU32,
    /// Set by the monitor: the running thread should yield at its next scheduling point.
    pub(super) preempt: AtomicBool,
}

/// State shared by the carriers and the monitor of one run.
pub(super) struct Shared {
    pub(super) run_id: u64,
    pub(super) injector: Injector<GRef>,
    pub(super) stealers: Vec<Stealer<GRef>>,
    idle: Mutex<()>,
    idle_cv: Condvar,
    sleeping: AtomicUsize,
    pub(super) shutdown: AtomicBool,
    /// Set once the run's threads are being unwound: primitives do nothing.
    pub(super) teardown: AtomicBool,
    /// Times a carrier came out of its idle sleep: the monitor's deadlock check sees every
    /// carrier asleep and nothing queued across an interval in which this did not move.
    pub(super) wakeups: AtomicU64,
    /// Every thread's record.
    pub(super) slab: Slab,
    /// Small blocks freed by carriers whose own lists are full.
    depot: Depot,
    pub(super) timers: Timers,
    pub(super) failure: Mutex<Option<Failure>>,
    /// Panics of joinable threads nobody has joined yet.
    pub(super) unobserved: Mutex<Vec<PanicReport>>,
    pub(super) status: Box<[Status]>,
    pub(super) start: Instant,
    next_thread: AtomicU64,
    next_object: AtomicU32,
    pub(super) default_stack: usize,
    pub(super) main_done: AtomicBool,
    pub(super) spawned: AtomicU64,
    pub(super) steals: AtomicU64,
}

impl Shared {
    pub(super) fn new(
        run_id: u64,
        processors: usize,
        default_stack: usize,
    ) -> (Arc<Shared>, Vec<Worker<GRef>>) {
        let workers: Vec<_> = (0..processors).map(|_| Worker::new_fifo()).collect();
        let shared = Arc::new(Shared {
            run_id,
            injector: Injector::new(),
            stealers: workers.iter().map(Worker::stealer).collect(),
            idle: Mutex::new(()),
            idle_cv: Condvar::new(),
            sleeping: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            teardown: AtomicBool::new(false),
            wakeups: AtomicU64::new(0),
            slab: Slab::new(),
            depot: Depot::new(),
            timers: Timers::new(),
            failure: Mutex::new(None),
            unobserved: Mutex::new(Vec::new()),
            status: (0..processors).map(|_| Status::default()).collect(),
            start: Instant::now(),
            next_thread: AtomicU64::new(1),
            next_object: AtomicU32::new(0),
            default_stack,
            main_done: AtomicBool::new(false),
            spawned: AtomicU64::new(0),
            steals: AtomicU64::new(0),
        });
        (shared, workers)
    }

    pub(super) fn next_thread_id(&self) -> u64 {
        self.next_thread.fetch_add(1, Relaxed)
    }

    /// A block of `n` fresh thread ids (carriers take them in batches, as Go's Ps do).
    pub(super) fn thread_ids(&self, n: u64) -> (u64, u64) {
        let first = self.next_thread.fetch_add(n, Relaxed);
        (first, first + n)
    }

    pub(super) fn next_object_id(&self) -> u32 {
        self.next_object.fetch_add(1, Relaxed)
    }

    /// Records the run's first failure and stops it.
    pub(super) fn fail(&self, failure: Failure) {
        let mut slot = self.failure.lock();
        if slot.is_none() {
            *slot = Some(failure);
        }
        drop(slot);
        self.stop();
    }

    /// Stops the run: carriers finish what they run and exit; the monitor returns.
    pub(super) fn stop(&self) {
        self.shutdown.store(true, SeqCst);
        let _idle = self.idle.lock();
        self.idle_cv.notify_all();
        drop(_idle);
        self.timers.poke();
    }

    /// Queues a thread on the global queue (a yield, or a wake-up from off a carrier).
    pub(super) fn push_global(&self, t: GRef) {
        self.injector.push(t);
        self.notify();
    }

    /// Wakes one idle carrier if any sleeps: new stealable work exists.
    #[inline]
    pub(super) fn notify(&self) {
        fence(SeqCst);
        if self.sleeping.load(SeqCst) > 0 {
            self.notify_slow();
        }
    }

    #[cold]
    fn notify_slow(&self) {
        let _idle = self.idle.lock();
        self.idle_cv.notify_one();
    }

    /// True if every carrier sleeps with nothing queued: no green thread runs or can run
    /// until a timer fires (the monitor fires them). Checked across an interval in which no
    /// carrier woke, so it held at one moment at least.
    pub(super) fn all_idle(&self) -> bool {
        let wakeups = self.wakeups.load(SeqCst);
        let all = self.status.len();
        self.sleeping.load(SeqCst) == all
            && !self.any_work()
            && self.sleeping.load(SeqCst) == all
            && self.wakeups.load(SeqCst) == wakeups
    }

    pub(super) fn any_work(&self) -> bool {
        !self.injector.is_empty() || self.stealers.iter().any(|s| !s.is_empty())
    }
}

/// What a green thread asked of its carrier when it suspended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum After {
    /// Park it (unless an unpark came in meanwhile).
    Park,
    /// Queue it behind the others on the global queue (`yield_now`, or a preemption
    /// request: on the local queue it would wait behind the carrier's `runnext` chain while
    /// threads woken by timers, which arrive on the global queue, waited longer still).
    Yield,
}

/// One carrier: an OS thread, its queues, and the green thread it runs.
pub(crate) struct Carrier {
    pub(super) shared: Arc<Shared>,
    /// Index into `shared.status`, or `None` for the monitor (which runs timer callbacks).
    pub(super) index: Option<usize>,
    local: Option<Worker<GRef>>,
    runnext: Cell<Option<GRef>>,
    pub(super) current: Cell<Option<GRef>>,
    /// Free record slots cached by this carrier.
    free: RefCell<Vec<u32>>,
    /// Small blocks cached by this carrier.
    blocks: Blocks,
    /// Thread ids reserved by this carrier: the next one and the end of the block.
    pub(super) ids: Cell<(u64, u64)>,
    /// Threads spawned on this carrier (added to the run's count when it stops).
    pub(super) spawned: Cell<u64>,
    pub(super) after: Cell<After>,
    rng: Cell<u64>,
    tick: Cell<u32>,
    streak: Cell<u32>,
    /// Inside a timer callback: where the timer was armed.
    pub(super) firing: Cell<Option<&'static Location<'static>>>,
}

thread_local! {
    static CURRENT: Cell<*const Carrier> = const { Cell::new(ptr::null()) };
}

/// The carrier of this OS thread, if it is one.
///
/// Never inlined: a green thread may resume on another OS thread after any scheduling
/// point, so the thread-local's address must be computed afresh at every call, never kept
/// by the optimizer across a switch.
#[inline(never)]
pub(crate) fn current() -> Option<&'static Carrier> {
    let p = CURRENT.get();
    // SAFETY: CURRENT is non-null only while `Installed` lives, and the carrier it points to
    // outlives that guard (see `Carrier::install`); the `'static` never escapes a call into
    // the runtime that ends before the carrier does.
    (!p.is_null()).then(|| unsafe { &*p })
}

/// Keeps a carrier installed as this OS thread's current one.
pub(super) struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        CURRENT.set(ptr::null());
    }
}

impl Carrier {
    pub(super) fn new(
        shared: Arc<Shared>,
        index: Option<usize>,
        local: Option<Worker<GRef>>,
    ) -> Carrier {
        let seed = 0x9e37_79b9_7f4a_7c15u64
            ^ (index.unwrap_or(99) as u64 + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        Carrier {
            shared,
            index,
            local,
            runnext: Cell::new(None),
            current: Cell::new(None),
            free: RefCell::new(Vec::new()),
            blocks: Blocks::new(),
            ids: Cell::new((0, 0)),
            spawned: Cell::new(0),
            after: Cell::new(After::Park),
            rng: Cell::new(seed),
            tick: Cell::new(0),
            streak: Cell::new(0),
            firing: Cell::new(None),
        }
    }

    /// Makes `self` this OS thread's carrier until the guard drops. The carrier must stay
    /// where it is until then.
    pub(super) fn install(&self) -> Installed {
        CURRENT.set(self);
        Installed
    }

    /// A pseudo-random number (xorshift64*), for steal order and `select!`.
    pub(super) fn random(&self) -> u64 {
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Makes a woken or new thread runnable: into `runnext` on a carrier that runs a
    /// thread (the old `runnext` moves to the local queue), else onto the global queue.
    pub(super) fn ready(&self, t: GRef) {
        match (&self.local, self.current.get().is_some()) {
            (Some(local), true) => {
                if let Some(old) = self.runnext.replace(Some(t)) {
                    local.push(old);
                    self.shared.notify();
                }
            }
            _ => self.shared.push_global(t),
        }
    }

    /// Whether a thread of this carrier about to park for a lock may spin first (Go's
    /// `canSpin`): there are other carriers, not all of them asleep (one may be running the
    /// holder), and nothing else waits to run here (spinning would delay it).
    pub(super) fn can_spin_now(&self) -> bool {
        let n = self.shared.status.len();
        n > 1
            && self.shared.sleeping.load(Relaxed) + 1 < n
            && self.runnext.get().is_none()
            && self.local.as_ref().is_some_and(Worker::is_empty)
    }

    /// The carrier's loop: find a thread, run it until it suspends, settle it; sleep when
    /// there is nothing to do; return at shutdown.
    pub(super) fn run(&self) {
        let index = self.index.expect("the monitor does not run threads");
        while !self.shared.shutdown.load(Acquire) {
            match self.find() {
                Some(t) => self.resume(index, t),
                None => self.idle(),
            }
        }
        self.shared.spawned.fetch_add(self.spawned.get(), Relaxed);
        // Threads still queued stay live in the slab; the run unwinds them.
        self.runnext.take();
        if let Some(local) = &self.local {
            while local.pop().is_some() {}
        }
    }

    /// The next thread to run: `runnext`, the local queue, the global queue, or a steal.
    fn find(&self) -> Option<GRef> {
        let local = self.local.as_ref().expect("a carrier has a queue");
        let tick = self.tick.get().wrapping_add(1);
        self.tick.set(tick);
        if tick.is_multiple_of(FAIR_TICK)
            && let Some(t) = self.steal_global(local)
        {
            return Some(t);
        }
        if self.streak.get() < FAIR_TICK {
            if let Some(t) = self.runnext.take() {
                self.streak.set(self.streak.get() + 1);
                return Some(t);
            }
        } else if let Some(t) = self.runnext.take() {
            // The hand-off chain used its share: behind the queue it goes.
            local.push(t);
        }
        self.streak.set(0);
        local.pop().or_else(|| self.steal_global(local)).or_else(|| self.steal_others(local))
    }

    fn steal_global(&self, local: &Worker<GRef>) -> Option<GRef> {
        loop {
            match self.shared.injector.steal_batch_and_pop(local) {
                Steal::Success(t) => return Some(t),
                Steal::Empty => return None,
                Steal::Retry => {}
            }
        }
    }

    /// Steals half of another carrier's queue, starting at a random victim.
    fn steal_others(&self, local: &Worker<GRef>) -> Option<GRef> {
        let n = self.shared.stealers.len();
        let me = self.index.unwrap_or(0);
        let first = self.random() as usize % n.max(1);
        for k in 0..n {
            let victim = (first + k) % n;
            if victim == me {
                continue;
            }
            loop {
                match self.shared.stealers[victim].steal_batch_and_pop(local) {
                    Steal::Success(t) => {
                        self.shared.steals.fetch_add(1, Relaxed);
                        return Some(t);
                    }
                    Steal::Empty => break,
                    Steal::Retry => {}
                }
            }
        }
        None
    }

    /// No work: spin a little, then sleep until notified.
    #[cold]
    fn idle(&self) {
        for _ in 0..64 {
            if self.shared.any_work() || self.shared.shutdown.load(Acquire) {
                return;
            }
            std::hint::spin_loop();
        }
        std::thread::yield_now();
        let shared = &*self.shared;
        let mut guard = shared.idle.lock();
        let sleeping = shared.sleeping.fetch_add(1, SeqCst) + 1;
        if !shared.any_work() && !shared.shutdown.load(SeqCst) {
            if sleeping == shared.status.len() {
                // The last carrier to sleep: maybe nothing can run any more; let the
                // monitor look now.
                shared.timers.poke();
            }
            shared.idle_cv.wait_for(&mut guard, Duration::from_millis(50));
        }
        shared.sleeping.fetch_sub(1, SeqCst);
        shared.wakeups.fetch_add(1, SeqCst);
    }

    /// Runs `t` until it suspends or returns, then files it where it asked to go.
    fn resume(&self, index: usize, t: GRef) {
        let shared = &*self.shared;
        // SAFETY: we popped `t` from a queue, so this carrier owns it until it is filed again.
        let co = unsafe { t.co() };
        let status = &shared.status[index];
        // Only this carrier writes it (the monitor reads): no locked add needed.
        status.resumes.store(status.resumes.load(Relaxed).wrapping_add(1), Relaxed);
        status.running.store(t.id().as_u64(), Relaxed);
        status.slot.store(t.slot, Relaxed);
        overflow::enter(overflow::Running::for_thread(
            t.id(),
            t.name_raw(),
            t.site(),
            t.stack_size(),
            t.guard_lo.get(),
            "",
        ));
        self.current.set(Some(t));
        let result = co.as_mut().expect("a live record has a coroutine").resume(());
        self.current.set(None);
        overflow::leave();
        status.running.store(0, Relaxed);
        status.preempt.store(false, Relaxed);
        match result {
            CoroutineResult::Return(()) => {
                // Give the stack back here, on a carrier, while the pool is warm.
                if let Some(co) = co.take() {
                    drop(co.into_stack());
                }
                t.release();
                self.free_slot(t.slot);
            }
            CoroutineResult::Yield(()) => match self.after.get() {
                After::Park => {
                    if !t.settle_parked() {
                        // Woken while suspending: run it again soon.
                        self.runnext_or_queue(t);
                    }
                }
                After::Yield => shared.push_global(t),
            },
        }
    }

    fn runnext_or_queue(&self, t: GRef) {
        let local = self.local.as_ref().expect("a carrier has a queue");
        if let Some(old) = self.runnext.replace(Some(t)) {
            local.push(old);
            self.shared.notify();
        }
    }

    /// A free record for a new thread, from this carrier's cache when it can.
    pub(super) fn take_slot(&self) -> GRef {
        let mut free = self.free.borrow_mut();
        if free.is_empty() {
            self.shared.slab.refill(&mut free);
        }
        let slot = free.pop().expect("refill gives at least one slot");
        self.shared.slab.get(slot).expect("free slots have records")
    }

    /// Caches a finished thread's slot, giving half the cache back when it grows large.
    pub(super) fn free_slot(&self, slot: u32) {
        let mut free = self.free.borrow_mut();
        free.push(slot);
        if free.len() >= 16 * BATCH {
            let keep = 8 * BATCH;
            self.shared.slab.give_back(free.drain(keep..));
        }
    }
}

/// Small blocks (join packets), through this carrier's cache.
impl Carrier {
    /// A block of memory that fits `layout` (uninitialized).
    pub(crate) fn take_block(&self, layout: std::alloc::Layout) -> ptr::NonNull<u8> {
        self.blocks.take(&self.shared.depot, layout)
    }

    /// Frees a block for reuse.
    ///
    /// # Safety
    ///
    /// `p` came from [`Carrier::take_block`] (of any carrier) or
    /// [`take_off_carrier`](super::blocks::take_off_carrier) with the same `layout`, and is no
    /// longer used.
    pub(crate) unsafe fn give_block(&self, p: ptr::NonNull<u8>, layout: std::alloc::Layout) {
        // SAFETY: the caller's contract is `give`'s.
        unsafe { self.blocks.give(&self.shared.depot, p, layout) }
    }
}
