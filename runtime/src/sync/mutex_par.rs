//! [`Mutex`](super::Mutex) on the parallel executor: Go's algorithm (`sync/mutex.go`), one
//! compare-and-swap to lock, barging in normal mode, hand-off in starvation mode.
//!
//! The state word packs, as Go's does:
//! * `LOCKED`: a thread holds the lock;
//! * `WOKEN`: a waiter has been woken, or a spinning thread is about to take the lock, so
//!   an unlock need not wake another waiter;
//! * `STARVING`: starvation mode (below);
//! * the bits from `WAITER_SHIFT` up: how many threads wait (counted before they queue).
//!
//! **Normal mode.** Waiters queue first come, first served, but a woken waiter does not own
//! the lock: it competes with the threads arriving at that moment, which have the advantage
//! of already running (and may have spun a little before giving up). A waiter that loses
//! goes back to the *front* of the queue. So a running thread can take and release the lock
//! many times in a row without a switch, which is what makes a contended mutex cheap.
//!
//! **Starvation mode.** A waiter that has waited more than 1 ms switches the mutex to
//! starvation mode the next time it fails to take it. Then an unlock hands ownership
//! straight to the first waiter; arriving threads neither take the lock nor spin, they queue
//! at the back. The waiter that receives the lock switches back to normal mode if it is the
//! last waiter or waited less than 1 ms (otherwise two threads could go lock-step for ever,
//! as Go's comment puts it).
//!
//! Waiting goes through a small semaphore (≈ Go's `runtime_SemacquireMutex`): a queue of
//! parked green threads and a count of releases that found nobody queued, behind a
//! `parking_lot` lock taken only on slow paths. A waiter is counted in the state word before
//! it queues, so a release may come first: it leaves a permit that the waiter then takes
//! without parking. Green threads park with `rt::park` (never the OS thread), and loop on
//! their `granted` flag, since a park may return early.
//!
//! The deterministic executor never uses this: there `Mutex` keeps [`RawLock`]'s FIFO
//! hand-off, whose every step is a recorded event and whose holders feed lock-cycle reports.
//!
//! [`RawLock`]: super::lock::RawLock

use std::collections::VecDeque;
use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::{
    AtomicBool, AtomicU64,
    Ordering::{Acquire, Relaxed, Release},
};
use std::time::{Duration, Instant};

use crate::sched::rt::{self, ObjRef, Waker};
use crate::vocab::{ObjectKind, Op};

/// A thread holds the lock.
const LOCKED: u64 = 1;
/// A waiter is awake (woken, or spinning), so an unlock wakes nobody.
const WOKEN: u64 = 1 << 1;
/// Starvation mode: unlock hands the lock to the first waiter.
const STARVING: u64 = 1 << 2;
/// The waiter count starts at this bit.
const WAITER_SHIFT: u32 = 3;
/// One waiter in the count.
const WAITER: u64 = 1 << WAITER_SHIFT;

/// A waiter waiting longer than this switches the mutex to starvation mode (Go's
/// `starvationThresholdNs`).
const STARVATION: Duration = Duration::from_millis(1);
/// Spin rounds before parking (Go's `active_spin`).
const SPINS: u32 = 4;
/// Pause instructions per spin round (Go's `active_spin_cnt`).
const SPIN_PAUSES: u32 = 30;

/// Go's `sync.Mutex` for the parallel executor.
pub(super) struct ParMutex {
    state: AtomicU64,
    sema: parking_lot::Mutex<Sema>,
    obj: ObjRef,
}

/// The semaphore waiters park on.
#[derive(Default)]
struct Sema {
    /// Releases that found nobody queued: the next acquires take them without parking.
    permits: u64,
    waiters: VecDeque<SemaWaiter>,
}

struct SemaWaiter {
    thread: Waker,
    /// Set (under `sema`'s lock) by the release that dequeues this waiter.
    granted: Arc<AtomicBool>,
}

impl ParMutex {
    /// A new, unlocked mutex, registered with the current run as `kind`.
    pub(super) fn new(kind: &'static str, at: &'static Location<'static>) -> ParMutex {
        let obj = rt::register_object(ObjectKind::Other(kind), None, at, kind);
        ParMutex { state: AtomicU64::new(0), sema: parking_lot::Mutex::default(), obj }
    }

    /// Locks, parking the green thread until it gets the lock. A scheduling point.
    #[inline]
    pub(super) fn lock(&self, at: &'static Location<'static>) {
        rt::point(Op::Lock, Some(self.obj), at);
        if let Err(seen) = self.state.compare_exchange(0, LOCKED, Acquire, Relaxed) {
            self.lock_slow(seen, at);
        }
    }

    /// The contended lock, from state `old`: Go's `lockSlow`.
    #[cold]
    #[inline(never)]
    fn lock_slow(&self, mut old: u64, at: &'static Location<'static>) {
        let mut wait_start: Option<Instant> = None;
        let mut starving = false;
        let mut awoke = false;
        let mut iter = 0;
        loop {
            // 1. Held in normal mode: spin a little if another carrier may be running the
            //    holder. Not in starvation mode: the lock goes to the first waiter anyway.
            if old & (LOCKED | STARVING) == LOCKED && iter < SPINS && rt::can_spin() {
                // Tell unlock not to wake a waiter: this thread is about to take the lock.
                if !awoke
                    && old & WOKEN == 0
                    && old >> WAITER_SHIFT != 0
                    && self.state.compare_exchange(old, old | WOKEN, Relaxed, Relaxed).is_ok()
                {
                    awoke = true;
                }
                for _ in 0..SPIN_PAUSES {
                    std::hint::spin_loop();
                }
                iter += 1;
                old = self.state.load(Relaxed);
                continue;
            }
            // 2. The state to install: the lock if it is free in normal mode (a starving
            //    mutex goes to its first waiter), else one more waiter; starvation mode if
            //    this waiter has starved and the lock is still held; our WOKEN flag cleared.
            let mut new = old;
            if old & STARVING == 0 {
                new |= LOCKED;
            }
            if old & (LOCKED | STARVING) != 0 {
                new += WAITER;
            }
            if starving && old & LOCKED != 0 {
                new |= STARVING;
            }
            if awoke {
                debug_assert!(new & WOKEN != 0, "gort: inconsistent mutex state");
                new &= !WOKEN;
            }
            if let Err(seen) = self.state.compare_exchange(old, new, Acquire, Relaxed) {
                old = seen;
                continue;
            }
            // 3. Took it.
            if old & (LOCKED | STARVING) == 0 {
                return;
            }
            // 4. Counted as a waiter: queue (at the front if we have waited before) and park
            //    until an unlock releases the semaphore.
            let lifo = wait_start.is_some();
            let since = *wait_start.get_or_insert_with(Instant::now);
            self.acquire_sema(lifo, at);
            starving = starving || since.elapsed() > STARVATION;
            old = self.state.load(Relaxed);
            // 5. Starvation mode: the unlock handed the lock to us, but left LOCKED clear and
            //    us counted as a waiter. Fix both; leave starvation mode if we are the last
            //    waiter or did not starve.
            if old & STARVING != 0 {
                debug_assert!(
                    old & (LOCKED | WOKEN) == 0 && old >> WAITER_SHIFT != 0,
                    "gort: inconsistent mutex state"
                );
                let mut sub = WAITER - LOCKED;
                if !starving || old >> WAITER_SHIFT == 1 {
                    sub += STARVING;
                }
                self.state.fetch_sub(sub, Acquire);
                return;
            }
            // 6. Normal mode: woken, not owner. Compete with the newcomers again (our WOKEN
            //    flag is set by the unlock that woke us).
            awoke = true;
            iter = 0;
        }
    }

    /// Takes the lock if it is free and not reserved for a starving waiter: Go's `TryLock`.
    /// Never parks; a scheduling point.
    pub(super) fn try_lock(&self, at: &'static Location<'static>) -> bool {
        rt::point(Op::Other("try_lock"), Some(self.obj), at);
        let old = self.state.load(Relaxed);
        old & (LOCKED | STARVING) == 0
            && self.state.compare_exchange(old, old | LOCKED, Acquire, Relaxed).is_ok()
    }

    /// Releases the lock and wakes (normal mode) or hands the lock to (starvation mode) a
    /// waiter, if any. Never blocks and is not a scheduling point: it may run during a
    /// panic's unwinding.
    #[inline]
    pub(super) fn unlock(&self, at: &'static Location<'static>) {
        let new = self.state.fetch_sub(LOCKED, Release).wrapping_sub(LOCKED);
        if new != 0 {
            self.unlock_slow(new, at);
        }
    }

    /// An unlock that found waiters or flags: Go's `unlockSlow`.
    #[cold]
    #[inline(never)]
    fn unlock_slow(&self, new: u64, at: &'static Location<'static>) {
        debug_assert!(new.wrapping_add(LOCKED) & LOCKED != 0, "gort: unlock of an unlocked mutex");
        if new & STARVING != 0 {
            // 1. Starvation mode: hand the lock to the first waiter. It is still counted, and
            //    LOCKED stays clear until it fixes the state, but newcomers see STARVING and
            //    queue, so nobody takes the lock in between.
            self.release_sema(at);
            return;
        }
        // 2. Normal mode: wake one waiter, unless there are none or one is already awake, or
        //    another thread took the lock meanwhile (its unlock will see to the waiters).
        let mut old = new;
        loop {
            if old >> WAITER_SHIFT == 0 || old & (LOCKED | WOKEN | STARVING) != 0 {
                return;
            }
            // 3. Take the right to wake one: uncount it and mark the mutex WOKEN.
            match self.state.compare_exchange(old, (old - WAITER) | WOKEN, Relaxed, Relaxed) {
                Ok(_) => {
                    self.release_sema(at);
                    return;
                }
                Err(seen) => old = seen,
            }
        }
    }

    /// Waits for a release of the semaphore (≈ Go's `runtime_SemacquireMutex`): takes a
    /// permit left by a release that found nobody queued, or queues (at the front with
    /// `lifo`) and parks until a release dequeues us.
    fn acquire_sema(&self, lifo: bool, at: &'static Location<'static>) {
        let thread = rt::current_waker("sync.Mutex");
        let mut sema = self.sema.lock();
        if sema.permits > 0 {
            sema.permits -= 1;
            return;
        }
        let granted = Arc::new(AtomicBool::new(false));
        let waiter = SemaWaiter { thread, granted: granted.clone() };
        if lifo {
            sema.waiters.push_front(waiter);
        } else {
            sema.waiters.push_back(waiter);
        }
        drop(sema);
        // A park may return early (a stray wake-up): the flag is what counts.
        while !granted.load(Acquire) {
            rt::park(Op::Lock, Some(self.obj), at);
        }
    }

    /// Releases the semaphore once: wakes the first queued waiter, or leaves a permit for a
    /// waiter that is counted but not queued yet. Never blocks for long (the lock guards a
    /// few instructions).
    fn release_sema(&self, at: &'static Location<'static>) {
        let mut sema = self.sema.lock();
        match sema.waiters.pop_front() {
            Some(w) => {
                w.granted.store(true, Release);
                drop(sema);
                rt::wake(w.thread, at);
            }
            None => sema.permits += 1,
        }
    }
}
