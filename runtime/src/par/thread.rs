//! A green thread's record under the parallel executor, its park state, and the id table.
//!
//! Ownership: at any moment a thread's coroutine belongs to exactly one party: the run queue
//! that holds the thread, the carrier running it, or nobody while it is parked (the next
//! successful wake takes it). Only that party touches `co`.

use std::cell::UnsafeCell;
use std::collections::HashMap;
use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::{
    AtomicPtr, AtomicU8, AtomicUsize, Ordering::AcqRel, Ordering::Acquire, Ordering::Relaxed,
};

use corosensei::{Coroutine, Yielder};
use parking_lot::Mutex;

use crate::diag::{Op, ThreadLabel};
use crate::sched::ThreadId;
use crate::stack::GuardedStack;

pub(super) type Co = Coroutine<(), (), (), GuardedStack>;

/// Park states, ≈ the permit of `std::thread::park`, with "parked" made explicit.
const EMPTY: u8 = 0;
/// An unpark arrived while the thread was not parked: its next park returns at once.
const NOTIFIED: u8 = 1;
/// Suspended in `park`; the next unpark must schedule it.
const PARKED: u8 = 2;

/// What a blocked thread waits for, for the deadlock report.
#[derive(Clone, Copy, Debug)]
pub(super) struct Wait {
    pub(super) op: Op,
    pub(super) at: &'static Location<'static>,
}

pub(super) struct GThread {
    pub(super) label: ThreadLabel,
    pub(super) stack_size: usize,
    state: AtomicU8,
    /// The coroutine, once started; see the module's ownership rule.
    co: UnsafeCell<Option<Co>>,
    /// The body, until the thread first runs.
    start: UnsafeCell<Option<Box<dyn FnOnce() + Send>>>,
    /// How the thread switches back to its carrier: set when its coroutine starts, valid
    /// until it returns.
    pub(super) yielder: AtomicPtr<Yielder<(), ()>>,
    /// The lowest address of its stack's guard page, once started.
    pub(super) guard_lo: AtomicUsize,
    /// The last blocking operation (written by the thread itself before it parks).
    pub(super) wait: Mutex<Option<Wait>>,
    /// The message and location of its last panic, from the panic hook.
    pub(super) last_panic: Mutex<Option<(String, Option<String>)>>,
}

// SAFETY: `co` and `start` are only touched by the party that owns the thread (module docs):
// ownership moves between carriers through the run queues and the park state's atomic
// transitions, which order those accesses (a push/steal or an AcqRel CAS is between any two
// owners). A coroutine's stack holds only what the green thread's closure captured or
// created, and spawned closures are `Send`; code on green threads must not rely on an OS
// thread's identity across scheduling points (documented on `par`).
unsafe impl Send for GThread {}
// SAFETY: as above; every other field is immutable or behind a lock or an atomic.
unsafe impl Sync for GThread {}

/// The outcome of [`GThread::unpark`].
pub(super) enum Unparked {
    /// It was parked: the caller must schedule it.
    Schedule,
    /// It was running or queued: it keeps a permit.
    Permit,
}

impl GThread {
    pub(super) fn new(
        label: ThreadLabel,
        stack_size: usize,
        start: Box<dyn FnOnce() + Send>,
    ) -> Arc<GThread> {
        Arc::new(GThread {
            label,
            stack_size,
            state: AtomicU8::new(EMPTY),
            co: UnsafeCell::new(None),
            start: UnsafeCell::new(Some(start)),
            yielder: AtomicPtr::new(std::ptr::null_mut()),
            guard_lo: AtomicUsize::new(0),
            wait: Mutex::new(None),
            last_panic: Mutex::new(None),
        })
    }

    pub(super) fn id(&self) -> ThreadId {
        self.label.id
    }

    /// Consumes a pending permit. True if there was one (park returns at once).
    pub(super) fn take_permit(&self) -> bool {
        self.state.compare_exchange(NOTIFIED, EMPTY, Acquire, Relaxed).is_ok()
    }

    /// Called by the carrier once the thread has suspended to park: true if it is now
    /// parked, false if an unpark came in between (it must run again).
    pub(super) fn settle_parked(&self) -> bool {
        match self.state.compare_exchange(EMPTY, PARKED, AcqRel, Acquire) {
            Ok(_) => true,
            Err(_) => {
                // NOTIFIED: consume it; park returns to the caller, which re-checks.
                self.state.store(EMPTY, Relaxed);
                false
            }
        }
    }

    /// Wakes the thread: schedules it if parked, or leaves a permit.
    pub(super) fn unpark(&self) -> Unparked {
        let mut current = self.state.load(Acquire);
        loop {
            let (new, outcome) = match current {
                PARKED => (EMPTY, Unparked::Schedule),
                EMPTY => (NOTIFIED, Unparked::Permit),
                _ => return Unparked::Permit,
            };
            match self.state.compare_exchange_weak(current, new, AcqRel, Acquire) {
                Ok(_) => return outcome,
                Err(seen) => current = seen,
            }
        }
    }

    /// The coroutine slot.
    ///
    /// # Safety
    ///
    /// The caller owns the thread (module docs) for as long as it uses the reference.
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn co(&self) -> &mut Option<Co> {
        // SAFETY: the caller owns the thread, so nobody else accesses the cell.
        unsafe { &mut *self.co.get() }
    }

    /// Takes the body to start the thread.
    ///
    /// # Safety
    ///
    /// As for [`GThread::co`].
    pub(super) unsafe fn take_start(&self) -> Option<Box<dyn FnOnce() + Send>> {
        // SAFETY: the caller owns the thread.
        unsafe { (*self.start.get()).take() }
    }
}

/// Live threads by id, for waking by [`Waker`](crate::sched::rt::Waker) (a `Copy` id).
/// Sharded so that carriers waking different threads rarely meet on a lock.
pub(super) struct Table {
    shards: Box<[Shard]>,
}

type Shard = Mutex<HashMap<u64, Arc<GThread>>>;

const SHARDS: usize = 64;

impl Table {
    pub(super) fn new() -> Table {
        Table { shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect() }
    }

    fn shard(&self, id: ThreadId) -> &Shard {
        &self.shards[id.as_u64() as usize % SHARDS]
    }

    pub(super) fn insert(&self, t: Arc<GThread>) {
        self.shard(t.id()).lock().insert(t.id().as_u64(), t);
    }

    pub(super) fn remove(&self, id: ThreadId) -> Option<Arc<GThread>> {
        self.shard(id).lock().remove(&id.as_u64())
    }

    pub(super) fn get(&self, id: ThreadId) -> Option<Arc<GThread>> {
        self.shard(id).lock().get(&id.as_u64()).cloned()
    }

    /// Every live thread (for reports and teardown).
    pub(super) fn drain(&self) -> Vec<Arc<GThread>> {
        let mut all: Vec<_> = self
            .shards
            .iter()
            .flat_map(|s| s.lock().drain().map(|(_, t)| t).collect::<Vec<_>>())
            .collect();
        all.sort_by_key(|t| t.id());
        all
    }

    pub(super) fn snapshot(&self) -> Vec<Arc<GThread>> {
        let mut all: Vec<_> = self
            .shards
            .iter()
            .flat_map(|s| s.lock().values().cloned().collect::<Vec<_>>())
            .collect();
        all.sort_by_key(|t| t.id());
        all
    }
}
