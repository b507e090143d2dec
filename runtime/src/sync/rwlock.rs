//! `RwLock<T>`: many readers or one writer, parking the green thread (≈ Go's `sync.RWMutex`).

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::panic::Location;

use super::lock::RawLock;

/// A reader-writer lock protecting a `T`: Go's `sync.RWMutex`, with the data inside, as in
/// Rust's `std::sync::RwLock`.
///
/// Any number of threads may hold [`read`](RwLock::read) guards at once, or one thread a
/// [`write`](RwLock::write) guard. `Send` and `Sync` when `T: Send + Sync`. Created inside a
/// run.
///
/// * **Blocking.** `read` and `write` park the green thread and are scheduling points;
///   dropping a guard is neither.
/// * **Fairness, as Go's RWMutex.** Once a writer waits, new readers queue behind it, so a
///   stream of readers cannot starve a writer. When a writer unlocks, every queued reader is
///   admitted at once; when the last reader unlocks, the first queued writer gets the lock.
/// * **Misuse.** Because of that writer preference, read-locking again while already holding a
///   read guard deadlocks as soon as a writer queues in between (the reader waits for the
///   writer, which waits for the reader). That, write-locking twice, and lock-order cycles
///   fail the run at once with [`Failure::LockCycle`](crate::diag::Failure::LockCycle).
///
/// Differences from Go: guards are not `Send` (the locking thread unlocks), and there is no
/// poisoning.
///
/// # Examples
///
/// ```
/// use gort::{go, sim, sync::RwLock};
/// use std::sync::Arc;
///
/// sim::run(&sim::Config::default(), || {
///     let config = Arc::new(RwLock::new(String::from("v1")));
///     let reader = {
///         let config = config.clone();
///         go(move || config.read().clone())
///     };
///     *config.write() = String::from("v2");
///     let seen = reader.join().unwrap();
///     assert!(seen == "v1" || seen == "v2"); // the schedule decides, never a torn value
/// })
/// .unwrap();
/// ```
pub struct RwLock<T: ?Sized> {
    raw: RawLock,
    data: UnsafeCell<T>,
}

// SAFETY: readers share `&T` across threads (needs `T: Sync`) and a writer may move a `T`
// in from another thread (needs `T: Send`), as for `std::sync::RwLock`.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}
// SAFETY: the `T` moves with the lock.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}

impl<T> RwLock<T> {
    /// A new, unlocked lock holding `value`.
    ///
    /// # Panics
    ///
    /// Outside a run.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::RwLock};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let l = RwLock::new(5);
    ///     assert_eq!(*l.read(), 5);
    ///     assert_eq!(l.into_inner(), 5);
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn new(value: T) -> RwLock<T> {
        RwLock {
            raw: RawLock::new("sync.RWMutex", Location::caller()),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock and returns the data.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::RwLock};
    ///
    /// sim::run(&sim::Config::default(), || assert_eq!(RwLock::new('x').into_inner(), 'x'))
    ///     .unwrap();
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Locks for shared reading: Go's `rw.RLock()`. A scheduling point; blocks while a writer
    /// holds the lock or waits for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::RwLock};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let l = RwLock::new(1);
    ///     let (a, b) = (l.read(), l.read()); // readers share
    ///     assert_eq!(*a + *b, 2);
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        let at = Location::caller();
        self.raw.lock(false, at);
        RwLockReadGuard { lock: self, at, _not_send: PhantomData }
    }

    /// Locks for exclusive writing: Go's `rw.Lock()`. A scheduling point; blocks while anyone
    /// holds the lock or waits ahead.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::RwLock};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let l = RwLock::new(vec![]);
    ///     l.write().push(1);
    ///     assert_eq!(*l.read(), [1]);
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        let at = Location::caller();
        self.raw.lock(true, at);
        RwLockWriteGuard { lock: self, at, _not_send: PhantomData }
    }

    /// Read-locks if that needs no waiting: Go's `rw.TryRLock()`. Never blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::RwLock};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let l = RwLock::new(0);
    ///     let w = l.write();
    ///     assert!(l.try_read().is_none());
    ///     drop(w);
    ///     assert!(l.try_read().is_some());
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        let at = Location::caller();
        self.raw.try_lock(false, at).then(|| RwLockReadGuard {
            lock: self,
            at,
            _not_send: PhantomData,
        })
    }

    /// Write-locks if that needs no waiting: Go's `rw.TryLock()`. Never blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::RwLock};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let l = RwLock::new(0);
    ///     let r = l.read();
    ///     assert!(l.try_write().is_none());
    ///     drop(r);
    ///     assert!(l.try_write().is_some());
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        let at = Location::caller();
        self.raw.try_lock(true, at).then(|| RwLockWriteGuard {
            lock: self,
            at,
            _not_send: PhantomData,
        })
    }

    /// The data, through an exclusive borrow: no locking needed.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::RwLock};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let mut l = RwLock::new(1);
    ///     *l.get_mut() = 3;
    ///     assert_eq!(*l.read(), 3);
    /// })
    /// .unwrap();
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: ?Sized> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLock").finish_non_exhaustive()
    }
}

/// Shared access to an [`RwLock`]'s data; dropping it read-unlocks (Go's `rw.RUnlock()`).
///
/// # Examples
///
/// ```
/// use gort::{sim, sync::RwLock};
///
/// sim::run(&sim::Config::default(), || {
///     let l = RwLock::new(2);
///     let g = l.read();
///     assert_eq!(*g * 2, 4);
/// })
/// .unwrap();
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    at: &'static Location<'static>,
    _not_send: PhantomData<*const ()>,
}

/// Exclusive access to an [`RwLock`]'s data; dropping it unlocks (Go's `rw.Unlock()`).
///
/// # Examples
///
/// ```
/// use gort::{sim, sync::RwLock};
///
/// sim::run(&sim::Config::default(), || {
///     let l = RwLock::new(2);
///     *l.write() *= 10;
///     assert_eq!(*l.read(), 20);
/// })
/// .unwrap();
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    at: &'static Location<'static>,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: shared guards only give `&T`.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this thread holds a read lock: no writer.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this thread holds the write lock.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the write lock is exclusive, and `&mut self` makes this the only access.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.raw.unlock(false, self.at);
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.raw.unlock(true, self.at);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
