//! `Mutex<T>`: mutual exclusion that parks the green thread (≈ Go's `sync.Mutex`).

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::panic::Location;

use super::lock::RawLock;
use super::mutex_par::ParMutex;
use crate::sched::rt;

/// A mutual-exclusion lock protecting a `T`: Go's `sync.Mutex`, with the data inside, as in
/// Rust's `std::sync::Mutex`.
///
/// [`lock`](Mutex::lock) returns a guard; the lock is released when the guard is dropped
/// (Go's `defer mu.Unlock()` is the end of the guard's scope). `Send` and `Sync` when `T:
/// Send`. A `Mutex` is created inside a run (it is named in reports by its creation site).
///
/// * **Blocking.** `lock` parks the green thread, not the OS thread, and is a scheduling
///   point. Releasing is not a scheduling point and never blocks.
/// * **Fairness.** Under the deterministic executor ([`sim`](crate::sim)), waiters are served
///   first come, first served, and an unlock hands the lock straight to the next waiter (no
///   barging): Go's "starvation mode" all the time, simpler to reason about, and no waiter
///   can starve. On the parallel executor ([`par`](crate::par)) it is Go's algorithm: a woken
///   waiter competes with running threads, which may take a just-released lock ("barging")
///   after spinning briefly, so a running thread can lock and unlock many times without a
///   switch; a waiter that has waited more than 1 ms switches the mutex to starvation mode,
///   where an unlock hands the lock to the first waiter and newcomers queue, until the
///   queue empties or a waiter got the lock within 1 ms.
/// * **Misuse.** Locking a mutex the thread already holds, or a cycle of threads each waiting
///   for a lock another holds, fails the run at once with
///   [`Failure::LockCycle`](crate::diag::Failure::LockCycle), naming the threads, locks and
///   lines. Go would hang (and report "all goroutines are asleep" only if everything else
///   stops too), and so does the parallel executor, which keeps no record of holders: the
///   run fails with a deadlock report once every thread is blocked.
///
/// Differences from Go: the guard cannot be sent to another thread, so a mutex is unlocked by
/// the thread that locked it (Go allows unlocking from anywhere). There is no poisoning: a
/// thread that panics while holding the lock releases it, as a Go `defer` would.
///
/// # Examples
///
/// ```
/// use gort::{go, sim, sync::Mutex};
/// use std::sync::Arc;
///
/// let total = sim::run(&sim::Config::default(), || {
///     let counter = Arc::new(Mutex::new(0));
///     let handles: Vec<_> = (0..10)
///         .map(|_| {
///             let counter = counter.clone();
///             go(move || *counter.lock() += 1)
///         })
///         .collect();
///     for h in handles {
///         h.join().unwrap();
///     }
///     let n = *counter.lock();
///     n
/// });
/// assert_eq!(total.unwrap(), 10);
/// ```
pub struct Mutex<T: ?Sized> {
    raw: Raw,
    data: UnsafeCell<T>,
}

/// The lock behind a [`Mutex`], chosen once, at creation, by the executor of the run (a
/// mutex is only used in the run that created it).
enum Raw {
    /// The deterministic executor: FIFO hand-off, every step recorded (lock cycles, traces).
    Fifo(RawLock),
    /// The parallel executor: Go's algorithm (barging, spinning, starvation mode).
    Go(ParMutex),
}

impl Raw {
    #[inline]
    fn lock(&self, at: &'static Location<'static>) {
        match self {
            Raw::Go(m) => m.lock(at),
            Raw::Fifo(l) => l.lock(true, at),
        }
    }

    fn try_lock(&self, at: &'static Location<'static>) -> bool {
        match self {
            Raw::Go(m) => m.try_lock(at),
            Raw::Fifo(l) => l.try_lock(true, at),
        }
    }

    #[inline]
    fn unlock(&self, at: &'static Location<'static>) {
        match self {
            Raw::Go(m) => m.unlock(at),
            Raw::Fifo(l) => l.unlock(true, at),
        }
    }
}

// SAFETY: the lock gives one thread at a time access to `data`, so sharing a `Mutex` only
// ever moves `T` between threads: `T: Send` suffices, as for `std::sync::Mutex`.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}
// SAFETY: both kinds of raw lock are `Send`; the `T` moves with the mutex.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}

impl<T> Mutex<T> {
    /// A new, unlocked mutex holding `value`.
    ///
    /// # Panics
    ///
    /// Outside a run.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::Mutex};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let m = Mutex::new(vec![1]);
    ///     m.lock().push(2);
    ///     assert_eq!(m.into_inner(), [1, 2]);
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn new(value: T) -> Mutex<T> {
        let at = Location::caller();
        let raw = if rt::is_sim() {
            Raw::Fifo(RawLock::new("sync.Mutex", at))
        } else {
            Raw::Go(ParMutex::new("sync.Mutex", at))
        };
        Mutex { raw, data: UnsafeCell::new(value) }
    }

    /// Consumes the mutex and returns the data. Needs no locking: nobody else can hold it.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::Mutex};
    ///
    /// sim::run(&sim::Config::default(), || assert_eq!(Mutex::new(7).into_inner(), 7)).unwrap();
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex, parking the green thread until it is free: Go's `mu.Lock()`.
    ///
    /// A scheduling point. Blocks while another thread holds the lock. Under the
    /// deterministic executor waiters get it in arrival order; on the parallel executor a
    /// running thread may take it ahead of waiters, except in starvation mode (see
    /// [`Mutex`]'s fairness).
    ///
    /// # Panics
    ///
    /// Outside a run. Locking a mutex this thread already holds does not panic: under the
    /// deterministic executor the run fails with a
    /// [`LockCycle`](crate::diag::Failure::LockCycle) report instead (on the parallel one, the
    /// thread blocks, as in Go).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::Mutex};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let m = Mutex::new(String::new());
    ///     {
    ///         let mut s = m.lock();
    ///         s.push_str("held");
    ///     } // unlocked here
    ///     assert_eq!(*m.lock(), "held");
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        let at = Location::caller();
        self.raw.lock(at);
        MutexGuard { mutex: self, at, _not_send: PhantomData }
    }

    /// Locks the mutex if it is free now: Go's `mu.TryLock()`. Never blocks; a scheduling
    /// point.
    ///
    /// Returns `None` if another thread holds it. Under the deterministic executor, also if
    /// threads are waiting for it; on the parallel executor, also in starvation mode (the
    /// lock is reserved for the first waiter), as Go's `TryLock`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::Mutex};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let m = Mutex::new(1);
    ///     let held = m.lock();
    ///     assert!(m.try_lock().is_none());
    ///     drop(held);
    ///     assert_eq!(*m.try_lock().unwrap(), 1);
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let at = Location::caller();
        self.raw.try_lock(at).then(|| MutexGuard { mutex: self, at, _not_send: PhantomData })
    }

    /// The data, through an exclusive borrow: no locking needed.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::Mutex};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let mut m = Mutex::new(1);
    ///     *m.get_mut() += 1;
    ///     assert_eq!(*m.lock(), 2);
    /// })
    /// .unwrap();
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: ?Sized> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex").finish_non_exhaustive()
    }
}

/// Access to a [`Mutex`]'s data while it is locked; dropping it unlocks.
///
/// Not `Send`: the thread that locked is the one that unlocks.
///
/// # Examples
///
/// ```
/// use gort::{sim, sync::Mutex};
///
/// sim::run(&sim::Config::default(), || {
///     let m = Mutex::new(0);
///     let mut guard = m.lock();
///     *guard += 1;
///     drop(guard); // Go's mu.Unlock()
///     assert_eq!(*m.lock(), 1);
/// })
/// .unwrap();
/// ```
#[must_use = "the mutex is unlocked as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    at: &'static Location<'static>,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: a shared guard only gives `&T`, so it may be shared when `T: Sync`.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this thread holds the lock.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only access through the guard.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.raw.unlock(self.at);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
