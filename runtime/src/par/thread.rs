//! A green thread's record under the parallel executor, its park state, and the slab of
//! reusable records that wakers index.
//!
//! Records live in chunks owned by the run's [`Slab`] and are never freed before the run
//! ends: a finished thread's record goes back to a free list and is reused by a later spawn.
//! A [`Waker`](crate::sched::rt::Waker) names a record by its slot and the thread by its id;
//! the park state word carries the id, so a stale waker (its thread finished, the record
//! reused) finds another id there and does nothing. Waking costs no lock and no lookup.
//!
//! Ownership: at any moment a live record belongs to exactly one party: the spawner until it
//! queues the thread, the run queue that holds it, the carrier running it, or nobody while it
//! is parked (the next successful wake takes it). Only that party touches the fields in
//! `Cell`s and `co`. A free record belongs to the free list holding its slot. Other carriers
//! and the monitor only touch `state`, `site` and `extra` (atomics; `extra`'s box under
//! [`EXTRAS`]).

use std::cell::{Cell, UnsafeCell};
use std::io;
use std::panic::Location;
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::sync::atomic::{
    AtomicPtr, AtomicU64, Ordering::AcqRel, Ordering::Acquire, Ordering::Relaxed, Ordering::Release,
};

use corosensei::{Coroutine, Yielder};
use parking_lot::Mutex;

use crate::spin;
use crate::stack::{self, GuardedStack};
use crate::vocab::{Op, ThreadId, ThreadLabel};

pub(super) type Co = Coroutine<(), (), (), GuardedStack>;

/// Park states in the low two bits of `state`, ≈ the permit of `std::thread::park`, with
/// "parked" made explicit; the thread's id is in the bits above.
const EMPTY: u64 = 0;
/// An unpark arrived while the thread was not parked: its next park returns at once.
const NOTIFIED: u64 = 1;
/// Suspended in `park`; the next unpark must schedule it.
const PARKED: u64 = 2;
const BITS: u64 = 3;

/// A slot no record has: the handle of a thread that could not be spawned.
pub(super) const NO_SLOT: u32 = u32::MAX;

/// What a blocked thread waits for, for the deadlock report.
#[derive(Clone, Copy, Debug)]
pub(super) struct Wait {
    pub(super) op: Op,
    pub(super) at: &'static Location<'static>,
}

/// The part of a record few threads need.
#[derive(Default)]
struct Extra {
    name: Option<Arc<str>>,
    /// The message and location of the thread's panic, from the panic hook.
    last_panic: Option<(String, Option<String>)>,
}

/// Held to change or free a record's [`Extra`], and by any thread but the owner to read it.
static EXTRAS: Mutex<()> = Mutex::new(());

/// One green thread (or a free record waiting for the next spawn).
pub(super) struct GThread {
    /// `id << 2 | park state` while the thread lives; 0 while the record is free.
    state: AtomicU64,
    /// Where the record sits in the slab.
    pub(super) slot: u32,
    /// Where the thread was spawned; an atomic so the monitor may read it while the record
    /// is being reused (it re-checks the id).
    site: AtomicPtr<Location<'static>>,
    /// What few threads have (a name, a panic being reported), boxed on demand so the
    /// record, one per thread, stays at 104 bytes; null for most threads.
    extra: AtomicPtr<Extra>,
    /// The parent's id, 0 for none.
    parent: Cell<u64>,
    /// Usable stack bytes.
    stack_size: Cell<u32>,
    /// The lowest address of its stack's guard page.
    pub(super) guard_lo: Cell<usize>,
    /// How the thread switches back to its carrier: set when its coroutine starts, valid
    /// until it returns.
    pub(super) yielder: Cell<*const Yielder<(), ()>>,
    /// What the thread is parked for: a [`Wait`] in its own `park` frame, null while it
    /// is not parked. Read for reports once no carrier runs.
    pub(super) wait: Cell<*const Wait>,
    /// The coroutine; see the module's ownership rule.
    co: UnsafeCell<Option<Co>>,
}

// SAFETY: the `Cell`s and `co` are only touched by the party that owns the record (module
// docs): ownership moves between carriers through the run queues, the free lists (behind a
// lock or carrier-local) and the park state's atomic transitions, which order those accesses
// (a push/steal, a lock or an AcqRel CAS is between any two owners). A coroutine's stack
// holds only what the green thread's closure captured or created, and spawned closures are
// `Send`; code on green threads must not rely on an OS thread's identity across scheduling
// points (documented on `par`). `state`, `site` and `extra` are atomics, and `extra`'s box
// is changed, freed or read by others only under `EXTRAS`.
unsafe impl Send for GThread {}
// SAFETY: as above.
unsafe impl Sync for GThread {}

/// The outcome of [`GThread::unpark`].
pub(super) enum Unparked {
    /// It was parked: the caller must schedule it.
    Schedule,
    /// It was running or queued: it keeps a permit (or it has finished: nothing to do).
    Permit,
}

impl GThread {
    fn free(slot: u32) -> GThread {
        GThread {
            state: AtomicU64::new(0),
            slot,
            site: AtomicPtr::new(ptr::null_mut()),
            extra: AtomicPtr::new(ptr::null_mut()),
            parent: Cell::new(0),
            stack_size: Cell::new(0),
            guard_lo: Cell::new(0),
            yielder: Cell::new(ptr::null()),
            wait: Cell::new(ptr::null()),
            co: UnsafeCell::new(None),
        }
    }

    /// Makes a free record the thread `label` running `body` on a fresh stack of
    /// `stack_size` bytes. The caller owns the record (it took the slot from a free list).
    ///
    /// # Errors
    ///
    /// No stack could be had; the record stays free.
    pub(super) fn init<F>(&self, label: ThreadLabel, stack_size: usize, body: F) -> io::Result<()>
    where
        F: FnOnce() + Send + 'static,
    {
        debug_assert_eq!(self.state.load(Relaxed), 0, "a live record was reused");
        let stack = stack::take(stack_size)?;
        self.guard_lo.set(stack::guard_lo(&stack));
        self.stack_size.set(u32::try_from(stack_size).unwrap_or(u32::MAX));
        let me = self as *const GThread as usize;
        // The body goes straight onto the new stack: spawning allocates nothing.
        let co = Coroutine::with_stack(stack, move |yielder: &Yielder<(), ()>, ()| {
            // SAFETY: the record outlives its coroutine (records live until the run ends),
            // and this runs on the carrier that owns the record.
            let me = unsafe { &*(me as *const GThread) };
            me.yielder.set(yielder);
            body();
        });
        // SAFETY: the caller owns the record.
        unsafe { *self.co() = Some(co) };
        self.parent.set(label.parent.map_or(0, ThreadId::as_u64));
        if label.name.is_some() {
            self.update_extra(|e| e.name = label.name);
        }
        self.site.store(ptr::from_ref(label.spawn_site).cast_mut(), Relaxed);
        self.wait.set(ptr::null());
        self.state.store(label.id.as_u64() << 2 | EMPTY, Release);
        Ok(())
    }

    /// Marks the record free once its thread has finished (by the owning carrier).
    pub(super) fn release(&self) {
        if !self.extra.load(Relaxed).is_null() {
            let _lock = EXTRAS.lock();
            let p = self.extra.swap(ptr::null_mut(), Relaxed);
            // SAFETY: a non-null `extra` comes from `Box::into_raw` in `update_extra`; under
            // `EXTRAS` nobody else reads it, and it is no longer reachable.
            drop(unsafe { Box::from_raw(p) });
        }
        self.state.store(0, Release);
    }

    /// True while a thread lives in the record.
    pub(super) fn is_live(&self) -> bool {
        self.state.load(Acquire) != 0
    }

    pub(super) fn id(&self) -> ThreadId {
        ThreadId(self.state.load(Relaxed) >> 2)
    }

    /// The record's extra part, read by its owner (who alone changes it, so needs no lock).
    fn extra(&self) -> Option<&Extra> {
        // SAFETY: non-null means a live box from `update_extra`; only the owner (the caller)
        // changes or frees it, and not while this borrow of `self` lasts.
        unsafe { self.extra.load(Acquire).as_ref() }
    }

    /// Changes the extra part, making it first if need be (by the owner).
    fn update_extra<R>(&self, f: impl FnOnce(&mut Extra) -> R) -> R {
        let _lock = EXTRAS.lock();
        let mut p = self.extra.load(Relaxed);
        if p.is_null() {
            p = Box::into_raw(Box::default());
            self.extra.store(p, Release);
        }
        // SAFETY: a live box (made here or earlier); under `EXTRAS` no other thread reads
        // it, and the owner holds no reference into the `Extra` itself across this call
        // (`name_raw`'s bytes live in the `Arc`, which this never replaces while the
        // thread lives).
        f(unsafe { &mut *p })
    }

    /// The thread's name (cheap for unnamed threads; by its owner).
    pub(super) fn name(&self) -> Option<Arc<str>> {
        self.extra().and_then(|e| e.name.clone())
    }

    /// The name's bytes, valid until the thread finishes (by its owner, for the overflow
    /// handler, which must not allocate or lock).
    pub(super) fn name_raw(&self) -> &str {
        self.extra().and_then(|e| e.name.as_deref()).unwrap_or("")
    }

    /// Keeps the message and location of the thread's panic, from the panic hook, for its
    /// report (by the owner).
    pub(super) fn set_panic(&self, message: String, location: Option<String>) {
        self.update_extra(|e| e.last_panic = Some((message, location)));
    }

    /// Takes what [`GThread::set_panic`] kept (by the owner).
    pub(super) fn take_panic(&self) -> Option<(String, Option<String>)> {
        if self.extra.load(Relaxed).is_null() {
            return None;
        }
        self.update_extra(|e| e.last_panic.take())
    }

    pub(super) fn site(&self) -> &'static Location<'static> {
        let p = self.site.load(Relaxed);
        // SAFETY: `site` is null only in a free record, and holds a `&'static Location`
        // otherwise; callers ask live records (or check the id around the read).
        unsafe { &*p }
    }

    /// The thread's label, for reports (by its owner, or after the run).
    pub(super) fn label(&self) -> ThreadLabel {
        ThreadLabel {
            id: self.id(),
            name: self.name(),
            spawn_site: self.site(),
            parent: Some(self.parent.get()).filter(|&p| p != 0).map(ThreadId),
        }
    }

    /// Usable stack bytes.
    pub(super) fn stack_size(&self) -> usize {
        self.stack_size.get() as usize
    }

    /// Asks the CPU to fetch the top of a parked thread's stack (its `park` frame and the
    /// frames above it, which resuming it pops) while the waker goes on: with many threads,
    /// those lines have left the cache since the thread parked. By the party that now owns
    /// the record (the waker that scheduled it); only a hint, never a memory access.
    #[inline]
    pub(super) fn prefetch_stack(&self) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            let frame = self.wait.get().cast::<i8>();
            if frame.is_null() {
                return;
            }
            // From just below the park frame (the switch's saved registers) up through the
            // callers' frames: 12 cache lines.
            for line in -2..10isize {
                // SAFETY: a prefetch never faults and reads nothing the program sees; the
                // address is only computed (wrapping), never dereferenced.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(frame.wrapping_offset(line * 64)) };
            }
        }
    }

    /// What the thread is parked for (after the run: see `wait`).
    pub(super) fn waiting_for(&self) -> Option<Wait> {
        let p = self.wait.get();
        // SAFETY: non-null only while the thread is suspended in `park`, whose frame holds
        // the `Wait`; its stack is intact until the run unwinds it, after the reports.
        (!p.is_null()).then(|| unsafe { *p })
    }

    /// The label of the thread with id `id` if it still lives here, read from another
    /// thread than its owner (the monitor's warnings); `None` if the record moved on.
    pub(super) fn label_if(&self, id: ThreadId) -> Option<ThreadLabel> {
        if self.id() != id {
            return None;
        }
        let name = {
            let _lock = EXTRAS.lock();
            // SAFETY: under `EXTRAS` the box is neither changed nor freed.
            unsafe { self.extra.load(Acquire).as_ref() }.and_then(|e| e.name.clone())
        };
        let site = self.site.load(Relaxed);
        (self.id() == id && !site.is_null()).then(|| ThreadLabel {
            id,
            name,
            // SAFETY: non-null, so a `&'static Location` stored by `init`.
            spawn_site: unsafe { &*site },
            parent: None,
        })
    }

    /// Consumes a pending permit. True if there was one (park returns at once).
    pub(super) fn take_permit(&self) -> bool {
        let state = self.state.load(Relaxed);
        // Most parks find no permit: a plain load spares them a locked instruction.
        state & BITS == NOTIFIED && {
            let base = state & !BITS;
            self.state.compare_exchange(base | NOTIFIED, base | EMPTY, Acquire, Relaxed).is_ok()
        }
    }

    /// Called by the carrier once the thread has suspended to park: true if it is now
    /// parked, false if an unpark came in between (it must run again).
    pub(super) fn settle_parked(&self) -> bool {
        let base = self.state.load(Relaxed) & !BITS;
        match self.state.compare_exchange(base | EMPTY, base | PARKED, AcqRel, Acquire) {
            Ok(_) => true,
            Err(_) => {
                // NOTIFIED: consume it; park returns to the caller, which re-checks.
                self.state.store(base | EMPTY, Relaxed);
                false
            }
        }
    }

    /// Wakes thread `id`: schedules it if parked, or leaves a permit. Nothing if the record
    /// no longer holds that thread.
    pub(super) fn unpark(&self, id: ThreadId) -> Unparked {
        let base = id.as_u64() << 2;
        let mut current = self.state.load(Acquire);
        loop {
            if current & !BITS != base {
                return Unparked::Permit; // finished
            }
            let (new, outcome) = match current & BITS {
                PARKED => (base | EMPTY, Unparked::Schedule),
                EMPTY => (base | NOTIFIED, Unparked::Permit),
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
    /// The caller owns the record (module docs) for as long as it uses the reference.
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn co(&self) -> &mut Option<Co> {
        // SAFETY: the caller owns the record, so nobody else accesses the cell.
        unsafe { &mut *self.co.get() }
    }
}

/// A record of the run's slab: `Copy`, so queues and the running slot move no counts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct GRef(NonNull<GThread>);

// SAFETY: a `GRef` points into the slab, whose records stay where they are until the run's
// `Shared` drops, after every queue and carrier holding a `GRef`; `GThread` is `Sync`.
unsafe impl Send for GRef {}
// SAFETY: as above.
unsafe impl Sync for GRef {}

impl std::ops::Deref for GRef {
    type Target = GThread;

    fn deref(&self) -> &GThread {
        // SAFETY: see the `Send` impl: the record outlives every `GRef` to it.
        unsafe { self.0.as_ref() }
    }
}

/// Records per chunk.
const CHUNK: usize = 512;
/// Chunks at most: 16.7 million threads alive at once.
const MAX_CHUNKS: usize = 1 << 15;
/// Slots a carrier takes from the global free list at a time.
pub(super) const BATCH: usize = 64;

/// The run's records: chunks that never move, and the free slots between carriers.
pub(super) struct Slab {
    chunks: Box<[AtomicPtr<GThread>]>,
    /// How many chunks exist (grown under this lock).
    grown: Mutex<usize>,
    /// Free slots not cached by a carrier.
    free: Mutex<Vec<u32>>,
}

impl Slab {
    pub(super) fn new() -> Slab {
        Slab {
            chunks: (0..MAX_CHUNKS).map(|_| AtomicPtr::new(ptr::null_mut())).collect(),
            grown: Mutex::new(0),
            free: Mutex::new(Vec::new()),
        }
    }

    /// The record at `slot`, if there is one.
    pub(super) fn get(&self, slot: u32) -> Option<GRef> {
        let (chunk, i) = (slot as usize / CHUNK, slot as usize % CHUNK);
        let base = self.chunks.get(chunk)?.load(Acquire);
        // SAFETY: a non-null chunk pointer is the start of CHUNK records (see `refill`).
        NonNull::new(base).map(|b| GRef(unsafe { b.add(i) }))
    }

    /// Moves free slots into `cache` (a carrier's list): a batch from the global list, or a
    /// new chunk's worth.
    #[cold]
    pub(super) fn refill(&self, cache: &mut Vec<u32>) {
        let mut free = spin::lock(&self.free);
        if !free.is_empty() {
            let n = free.len().saturating_sub(BATCH);
            cache.extend(free.drain(n..));
            return;
        }
        drop(free);
        let mut grown = self.grown.lock();
        let chunk = *grown;
        assert!(
            chunk < MAX_CHUNKS,
            "gort: more than {} green threads alive at once, the most one parallel run holds; \
             keep fewer alive (join finished threads, or feed a pool of workers through a \
             channel instead of spawning one thread per job)",
            MAX_CHUNKS * CHUNK
        );
        let first = (chunk * CHUNK) as u32;
        let records: Box<[GThread]> = (0..CHUNK as u32).map(|i| GThread::free(first + i)).collect();
        self.chunks[chunk].store(Box::into_raw(records).cast::<GThread>(), Release);
        *grown += 1;
        cache.extend((first..first + CHUNK as u32).rev());
    }

    /// Gives slots back to the global list.
    pub(super) fn give_back(&self, slots: impl Iterator<Item = u32>) {
        spin::lock(&self.free).extend(slots);
    }

    /// Every record with a live thread, by id (for reports and teardown).
    pub(super) fn live(&self) -> Vec<GRef> {
        let grown = *self.grown.lock();
        let mut all: Vec<GRef> = (0..(grown * CHUNK) as u32)
            .filter_map(|slot| self.get(slot))
            .filter(|t| t.is_live())
            .collect();
        all.sort_by_key(|t| t.id());
        all
    }
}

impl Drop for Slab {
    fn drop(&mut self) {
        for chunk in self.chunks.iter().take(*self.grown.get_mut()) {
            let base = chunk.load(Relaxed);
            // SAFETY: `refill` made this pointer from a `Box<[GThread]>` of CHUNK records, and
            // nothing uses the records any more (the run is over).
            drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(base, CHUNK)) });
        }
    }
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    /// One record per thread: its size is part of a parked thread's memory (the
    /// benchmark's target); names and panic messages live in the boxed extra part.
    #[test]
    fn a_record_takes_104_bytes() {
        assert_eq!(size_of::<super::GThread>(), 104);
    }
}
