//! `Once`: run an initialisation exactly once (≈ Go's `sync.Once`).

use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::sched::rt::{self, ObjRef, Waker};
use crate::vocab::{ObjectKind, Op};

/// Runs a function exactly once, however many threads ask: Go's `sync.Once`.
///
/// The first [`call_once`](Once::call_once) runs its function; calls made meanwhile from other
/// threads park until it returns; later calls return at once. `Send` and `Sync`. Created
/// inside a run.
///
/// As in Go (and unlike `std::sync::Once`), a function that panics still counts as done: the
/// panic goes on unwinding in its thread, waiting threads wake, and no later call runs again.
///
/// # Examples
///
/// ```
/// use gort::{go, sim, sync::{Mutex, Once}};
/// use std::sync::Arc;
///
/// let runs = sim::run(&sim::Config::default(), || {
///     let once = Arc::new(Once::new());
///     let runs = Arc::new(Mutex::new(0));
///     let hs: Vec<_> = (0..4)
///         .map(|_| {
///             let (once, runs) = (once.clone(), runs.clone());
///             go(move || once.call_once(|| *runs.lock() += 1))
///         })
///         .collect();
///     hs.into_iter().for_each(|h| h.join().unwrap());
///     let n = *runs.lock();
///     n
/// });
/// assert_eq!(runs.unwrap(), 1);
/// ```
pub struct Once {
    done: AtomicBool,
    state: parking_lot::Mutex<State>,
    obj: ObjRef,
}

#[derive(Default)]
struct State {
    running: bool,
    waiters: Vec<Waker>,
}

impl Once {
    /// A `Once` that has not run.
    ///
    /// # Panics
    ///
    /// Outside a run.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::Once};
    ///
    /// sim::run(&sim::Config::default(), || assert!(!Once::new().is_completed())).unwrap();
    /// ```
    #[track_caller]
    #[allow(clippy::new_without_default)] // needs a run, so no `Default`
    pub fn new() -> Once {
        let obj =
            rt::register_object(ObjectKind::Other("sync.Once"), None, Location::caller(), "Once");
        Once { done: AtomicBool::new(false), state: parking_lot::Mutex::new(State::default()), obj }
    }

    /// Runs `f` if no call has run yet: Go's `once.Do(f)`.
    ///
    /// Returns at once (no scheduling point) once the first call has finished. Otherwise a
    /// scheduling point; while another thread's `f` runs, blocks until it returns or panics.
    /// Calling `call_once` on the same `Once` from inside `f` never returns, as in Go: it
    /// waits for itself.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::Once};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let once = Once::new();
    ///     let mut n = 0;
    ///     once.call_once(|| n += 1);
    ///     once.call_once(|| n += 1);
    ///     assert_eq!(n, 1);
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn call_once(&self, f: impl FnOnce()) {
        if self.done.load(Ordering::Acquire) {
            return;
        }
        self.call_slow(f, Location::caller());
    }

    #[cold]
    fn call_slow(&self, f: impl FnOnce(), at: &'static Location<'static>) {
        // 1. A scheduling point, then: first caller runs, others wait for it.
        rt::point(Op::Once, Some(self.obj), at);
        let mut s = self.state.lock();
        if self.done.load(Ordering::Acquire) {
            return;
        }
        if s.running {
            s.waiters.push(rt::current_waker("Once::call_once"));
            drop(s);
            while !self.done.load(Ordering::Acquire) {
                rt::park(Op::Once, Some(self.obj), at);
            }
            return;
        }
        s.running = true;
        drop(s);
        // 2. Run it; mark done and wake the waiters even if it panics.
        let _finish = Finish { once: self, at };
        f();
    }

    /// True once a call has finished (returned or panicked).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::Once};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let once = Once::new();
    ///     once.call_once(|| ());
    ///     assert!(once.is_completed());
    /// })
    /// .unwrap();
    /// ```
    pub fn is_completed(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }
}

struct Finish<'a> {
    once: &'a Once,
    at: &'static Location<'static>,
}

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        let waiters = {
            let mut s = self.once.state.lock();
            s.running = false;
            self.once.done.store(true, Ordering::Release);
            std::mem::take(&mut s.waiters)
        };
        for w in waiters {
            rt::wake(w, self.at);
        }
    }
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Once").field("done", &self.is_completed()).finish()
    }
}
