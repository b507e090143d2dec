//! `WaitGroup`: wait for a collection of green threads to finish (≈ Go's `sync.WaitGroup`).

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

use crate::sched::rt::{self, ObjRef, Waker};
use crate::sched::{self, JoinHandle};
use crate::vocab::{ObjectKind, Op};
use crossbeam_utils::CachePadded;

/// A counter of outstanding work that [`wait`](WaitGroup::wait) blocks on until it is zero:
/// Go's `sync.WaitGroup`.
///
/// [`add`](WaitGroup::add) before starting work, [`done`](WaitGroup::done) when it finishes
/// (or hold a [`DoneGuard`], which calls `done` when dropped, even by a panic), and `wait` for
/// zero. [`go`](WaitGroup::go) does all three for one closure, like Go 1.25's `wg.Go(f)`.
///
/// Clones share one counter (Go passes a `*WaitGroup`; here each thread gets a clone). `Send`
/// and `Sync`. Created inside a run; a new group counts zero.
///
/// Differences from Go: `add` takes a count of new tasks (`usize`), not a signed delta;
/// `done` is the only way down. Go's "WaitGroup is reused before previous Wait has returned"
/// check is not made: a `wait` returns once the counter has been zero after it started.
///
/// # Examples
///
/// ```
/// use gort::{sim, sync::{Mutex, WaitGroup}};
/// use std::sync::Arc;
///
/// let report = sim::run(&sim::Config::default(), || {
///     let wg = WaitGroup::new();
///     let results = Arc::new(Mutex::new(Vec::new()));
///     for i in 0..3 {
///         let results = results.clone();
///         wg.go(move || results.lock().push(i * 10));
///     }
///     wg.wait();
///     let mut r = results.lock().clone();
///     r.sort();
///     r
/// });
/// assert_eq!(report.unwrap(), [0, 10, 20]);
/// ```
#[derive(Clone)]
pub struct WaitGroup {
    inner: Arc<Inner>,
}

struct Inner {
    /// The counter. Every `done` of every thread lands on it, so it has a cache line of its
    /// own, away from the `Arc`'s counts and the fields only read.
    count: CachePadded<AtomicUsize>,
    /// The waiters, changed when a `wait` blocks and when the counter reaches zero.
    state: parking_lot::Mutex<State>,
    obj: ObjRef,
}

#[derive(Default)]
struct State {
    /// Bumped each time the count drops to zero, so a waiter knows it happened.
    generation: u64,
    waiters: Vec<Waker>,
}

impl WaitGroup {
    /// A new group with a zero counter.
    ///
    /// # Panics
    ///
    /// Outside a run.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::WaitGroup};
    ///
    /// sim::run(&sim::Config::default(), || WaitGroup::new().wait()).unwrap(); // zero: no wait
    /// ```
    #[track_caller]
    #[allow(clippy::new_without_default)] // needs a run, so no `Default`
    pub fn new() -> WaitGroup {
        let obj = rt::register_object(
            ObjectKind::Other("sync.WaitGroup"),
            None,
            Location::caller(),
            "WaitGroup::new",
        );
        WaitGroup {
            inner: Arc::new(Inner {
                count: CachePadded::new(AtomicUsize::new(0)),
                state: parking_lot::Mutex::new(State::default()),
                obj,
            }),
        }
    }

    /// Adds `n` to the counter: Go's `wg.Add(n)`. Call it before starting the work it counts
    /// (before `go`), or `wait` may return early. Never blocks; not a scheduling point.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sim, sync::WaitGroup};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let wg = WaitGroup::new();
    ///     wg.add(2);
    ///     for _ in 0..2 {
    ///         let wg = wg.clone();
    ///         go(move || wg.done());
    ///     }
    ///     wg.wait();
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn add(&self, n: usize) {
        let count = &*self.inner.count;
        if count.fetch_update(AcqRel, Acquire, |c| c.checked_add(n)).is_err() {
            panic!("sync: WaitGroup counter overflow");
        }
        rt::note(Op::Other("WaitGroup.Add"), Some(self.inner.obj), Location::caller());
    }

    /// Subtracts one from the counter: Go's `wg.Done()`. When it reaches zero every waiter
    /// wakes. A scheduling point (except while unwinding a panic); never blocks.
    ///
    /// # Panics
    ///
    /// "sync: negative WaitGroup counter" if the counter is already zero: more `done` calls
    /// than `add`ed.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::WaitGroup};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let wg = WaitGroup::new();
    ///     wg.add(1);
    ///     wg.done();
    ///     wg.done(); // one too many
    /// });
    /// assert!(report.to_string().contains("sync: negative WaitGroup counter"));
    /// ```
    #[track_caller]
    pub fn done(&self) {
        self.done_at(Location::caller());
    }

    fn done_at(&self, at: &'static Location<'static>) {
        // One atomic step, as Go's `Add(-1)`; a `wait` checks the counter again under the
        // lock this takes when it reaches zero, so no wake-up is lost.
        let woken = match self.inner.count.fetch_sub(1, AcqRel) {
            0 => {
                self.inner.count.fetch_add(1, AcqRel);
                panic!("sync: negative WaitGroup counter");
            }
            1 => self.zero(),
            _ => Vec::new(),
        };
        if std::thread::panicking() {
            rt::note(Op::Other("WaitGroup.Done"), Some(self.inner.obj), at);
        } else {
            rt::point(Op::Other("WaitGroup.Done"), Some(self.inner.obj), at);
        }
        for w in woken {
            rt::wake(w, at);
        }
    }

    /// The counter reached zero: the waiters to wake.
    #[cold]
    fn zero(&self) -> Vec<Waker> {
        let mut s = self.inner.state.lock();
        s.generation += 1;
        std::mem::take(&mut s.waiters)
    }

    /// Blocks until the counter is zero: Go's `wg.Wait()`. A scheduling point; returns at
    /// once if it is zero already.
    ///
    /// A wait that can never end (a `done` missing) is reported as a deadlock that names this
    /// group and where it was created.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::WaitGroup};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let wg = WaitGroup::new();
    ///     wg.add(1); // and nobody calls done
    ///     wg.wait();
    /// });
    /// assert!(report.to_string().contains("sync.WaitGroup"));
    /// ```
    #[track_caller]
    pub fn wait(&self) {
        let at = Location::caller();
        rt::point(Op::WaitGroup, Some(self.inner.obj), at);
        if self.inner.count.load(Acquire) == 0 {
            return;
        }
        let mut s = self.inner.state.lock();
        if self.inner.count.load(Acquire) == 0 {
            return;
        }
        let generation = s.generation;
        s.waiters.push(rt::current_waker("WaitGroup::wait"));
        drop(s);
        while self.inner.state.lock().generation == generation {
            rt::park(Op::WaitGroup, Some(self.inner.obj), at);
        }
    }

    /// Counts one task and runs `f` on a new green thread, calling `done` when `f` returns or
    /// panics: Go 1.25's `wg.Go(f)`. As in Go, `wait` returning means every `f` has returned,
    /// not that their threads have exited (the `done` is a scheduling point before the exit). Returns the thread's handle (join it, or let it go: a
    /// panic of a thread whose handle is dropped fails the run, as in Go).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::WaitGroup};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let wg = WaitGroup::new();
    ///     let h = wg.go(|| 6 * 7);
    ///     wg.wait(); // f has returned; its thread may not have exited yet
    ///     assert_eq!(h.join().unwrap(), 42);
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn go<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.add(1);
        let guard = self.done_guard();
        sched::go(move || {
            let _done = guard;
            f()
        })
    }

    /// A guard that calls [`done`](WaitGroup::done) when dropped, also when the thread
    /// panics: Go's `defer wg.Done()`. It does not `add`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sim, sync::WaitGroup};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let wg = WaitGroup::new();
    ///     wg.add(1);
    ///     let done = wg.done_guard();
    ///     let h = go(move || {
    ///         let _done = done;
    ///         panic!("worker failed"); // done still happens
    ///     });
    ///     wg.wait();
    ///     assert!(h.join().is_err());
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn done_guard(&self) -> DoneGuard {
        DoneGuard { wg: self.clone(), at: Location::caller() }
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup").field("count", &self.inner.count.load(Relaxed)).finish()
    }
}

/// Calls [`WaitGroup::done`] when dropped: see [`WaitGroup::done_guard`].
///
/// # Examples
///
/// ```
/// use gort::{sim, sync::WaitGroup};
///
/// sim::run(&sim::Config::default(), || {
///     let wg = WaitGroup::new();
///     wg.add(1);
///     drop(wg.done_guard());
///     wg.wait(); // already zero
/// })
/// .unwrap();
/// ```
#[must_use = "the guard calls done as soon as it is dropped"]
pub struct DoneGuard {
    wg: WaitGroup,
    at: &'static Location<'static>,
}

impl Drop for DoneGuard {
    fn drop(&mut self) {
        self.wg.done_at(self.at);
    }
}

impl fmt::Debug for DoneGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DoneGuard").field("wg", &self.wg).finish()
    }
}
