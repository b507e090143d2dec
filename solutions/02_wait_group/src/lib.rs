//! Lesson 02, WaitGroup: a WaitGroup built on park/unpark, and the articles' "fetch three
//! services" example (the solution).
//!
//! A `WaitGroup` counts outstanding work: `add(n)` before starting it, `done()` when a piece
//! finishes, `wait()` to block until the count is zero. Go's `sync.WaitGroup` is built on the
//! runtime's park and ready; this one is built on gort's: [`sched::park`] blocks the calling
//! green thread, [`Thread::unpark`] makes it runnable again.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gort::sched::{self, JoinHandle, Thread};

/// A counter of outstanding work that [`wait`](WaitGroup::wait) blocks on until it is zero:
/// Go's `sync.WaitGroup`, built on park/unpark.
///
/// Clones share one counter (Go passes a `*WaitGroup`; here every thread gets a clone). A new
/// group counts zero. `Send` and `Sync`.
///
/// # Examples
///
/// ```
/// use gort::{go, sim, time};
/// use std::time::Duration;
/// use wait_group::WaitGroup;
///
/// let report = sim::run(&sim::Config::default(), || {
///     let wg = WaitGroup::new();
///     wg.add(3);
///     let handles: Vec<_> = (1..=3)
///         .map(|i| {
///             let wg = wg.clone();
///             go(move || {
///                 time::sleep(Duration::from_millis(100 * i));
///                 wg.done();
///             })
///         })
///         .collect();
///     wg.wait();
///     let at = time::now().elapsed_since_start();
///     handles.into_iter().for_each(|h| h.join().unwrap());
///     at
/// });
/// assert_eq!(report.unwrap(), Duration::from_millis(300)); // the last done, not the sum
/// ```
#[derive(Clone, Debug, Default)]
pub struct WaitGroup {
    state: Arc<Mutex<State>>,
}

/// What the clones share. A std `Mutex` is enough: it is never held across a scheduling
/// point (nothing in the critical sections parks, sleeps or yields), so on gort it is never
/// contended.
#[derive(Debug, Default)]
struct State {
    /// Work added and not done yet.
    count: usize,
    /// Threads parked in `wait`, to unpark when `count` reaches zero.
    waiters: Vec<Thread>,
}

impl WaitGroup {
    /// A new group with a zero counter (given).
    pub fn new() -> WaitGroup {
        WaitGroup::default()
    }

    /// Task 1: adds `n` to the counter: Go's `wg.Add(n)`. Call it before starting the work
    /// it counts. Never blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// use wait_group::WaitGroup;
    ///
    /// let wg = WaitGroup::new();
    /// wg.add(2);
    /// wg.done();
    /// wg.done(); // back to zero
    /// ```
    pub fn add(&self, n: usize) {
        let mut s = self.state.lock().unwrap();
        s.count = s.count.checked_add(n).expect("sync: WaitGroup counter overflow");
    }

    /// Task 1: subtracts one from the counter: Go's `wg.Done()`. When it reaches zero,
    /// every thread blocked in [`wait`](WaitGroup::wait) is unparked. Never blocks.
    ///
    /// # Panics
    ///
    /// With Go's message "sync: negative WaitGroup counter" if the counter is already zero
    /// (more `done`s than `add`ed).
    ///
    /// # Examples
    ///
    /// ```should_panic
    /// use wait_group::WaitGroup;
    ///
    /// let wg = WaitGroup::new();
    /// wg.add(1);
    /// wg.done();
    /// wg.done(); // one too many
    /// ```
    pub fn done(&self) {
        let waiters = {
            let mut s = self.state.lock().unwrap();
            if s.count == 0 {
                // Release the lock first: panicking while holding it would poison it.
                drop(s);
                panic!("sync: negative WaitGroup counter");
            }
            s.count -= 1;
            if s.count == 0 { std::mem::take(&mut s.waiters) } else { Vec::new() }
        };
        // Unpark outside the lock. Every waiter, not just one: `wait` is a broadcast.
        for t in waiters {
            t.unpark();
        }
    }

    /// Task 2: blocks the calling green thread until the counter is zero: Go's `wg.Wait()`.
    /// Returns at once if it is zero already. Several threads may wait at the same time;
    /// all of them return when the counter reaches zero, at the virtual instant of the last
    /// `done`, never before.
    ///
    /// Reach for [`sched::current`] (the calling thread, to leave in `waiters`),
    /// [`sched::park`] (block until unparked) and, in `done`, [`Thread::unpark`]. An unpark
    /// that comes before the park is kept as a permit, so it is not lost; still, re-check the
    /// counter after every wake-up.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sim;
    /// use wait_group::WaitGroup;
    ///
    /// sim::run(&sim::Config::default(), || WaitGroup::new().wait()).unwrap(); // zero: no wait
    /// ```
    pub fn wait(&self) {
        let me = sched::current();
        loop {
            {
                let mut s = self.state.lock().unwrap();
                if s.count == 0 {
                    return;
                }
                // Register before parking, under the lock: a `done` after this point sees us.
                if !s.waiters.iter().any(|t| t.id() == me.id()) {
                    s.waiters.push(me.clone());
                }
            }
            // If the last `done` came between the unlock and here, its unpark is kept as a
            // permit and `park` returns at once. Loop anyway: the counter decides, not the
            // wake-up (it may have gone up again since).
            sched::park();
        }
    }

    /// Task 3: a guard that calls [`done`](WaitGroup::done) when it is dropped, also when
    /// its thread panics: Rust's `defer wg.Done()`. It does not `add`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sim};
    /// use wait_group::WaitGroup;
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let wg = WaitGroup::new();
    ///     wg.add(1);
    ///     let done = wg.done_guard();
    ///     let h = go(move || {
    ///         let _done = done;
    ///         panic!("worker failed"); // the guard still calls done
    ///     });
    ///     wg.wait();
    ///     assert!(h.join().is_err());
    /// })
    /// .unwrap();
    /// ```
    pub fn done_guard(&self) -> DoneGuard {
        DoneGuard { wg: self.clone() }
    }

    /// Task 3: counts one task and runs `f` on a new green thread, calling `done` when `f`
    /// returns or panics: Go 1.25's `wg.Go(f)`. Returns the thread's handle.
    ///
    /// The count must be added before the thread is spawned, on the caller: a `wait` that
    /// starts right after `go` returns must already see it.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sim;
    /// use wait_group::WaitGroup;
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let wg = WaitGroup::new();
    ///     let h = wg.go(|| 6 * 7);
    ///     wg.wait(); // f has returned
    ///     assert_eq!(h.join().unwrap(), 42);
    /// })
    /// .unwrap();
    /// ```
    pub fn go<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // Add here, not inside the new thread: otherwise `wait` could see zero before the
        // thread has even started (Go's classic Add-inside-the-goroutine bug).
        self.add(1);
        let guard = self.done_guard();
        gort::go(move || {
            let _done = guard; // dropped when f returns or unwinds
            f()
        })
    }
}

/// Calls [`WaitGroup::done`] when dropped: see [`WaitGroup::done_guard`].
#[derive(Debug)]
#[must_use = "the guard calls done as soon as it is dropped"]
pub struct DoneGuard {
    wg: WaitGroup,
}

impl Drop for DoneGuard {
    /// Task 3: calls `done`, whether the thread is returning or unwinding.
    fn drop(&mut self) {
        self.wg.done();
    }
}

/// A remote service with a fixed latency (given): the articles' `fetchService`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// Its name, such as "users".
    pub name: String,
    /// How long a call takes.
    pub latency: Duration,
}

impl Service {
    /// A service called `name` that answers after `latency`.
    pub fn new(name: &str, latency: Duration) -> Service {
        Service { name: name.to_string(), latency }
    }

    /// Calls the service: blocks for its latency (a network wait, so it sleeps: it needs no
    /// processor), then returns `"{name}: ok"`.
    pub fn fetch(&self) -> String {
        gort::time::sleep(self.latency);
        format!("{}: ok", self.name)
    }
}

/// Task 4: calls every service at the same time and returns their replies in the order of
/// `services`, once all have answered: the articles' "fetch three services".
///
/// Returns at exactly max(latency) of virtual time after it was called (zero for no
/// services): three 200 ms services take 200 ms, not 600. Count the calls with your
/// [`WaitGroup`] (not `gort::sync::WaitGroup`), and wait with it (not by joining the
/// threads' handles).
///
/// # Examples
///
/// ```
/// use gort::{sim, time};
/// use std::time::Duration;
/// use wait_group::{Service, fetch_all};
///
/// let ms = Duration::from_millis;
/// let report = sim::run(&sim::Config::default(), move || {
///     let services = [
///         Service::new("users", ms(200)),
///         Service::new("orders", ms(200)),
///         Service::new("inventory", ms(200)),
///     ];
///     (fetch_all(&services), time::now().elapsed_since_start())
/// });
/// let (replies, elapsed) = report.unwrap();
/// assert_eq!(replies, ["users: ok", "orders: ok", "inventory: ok"]);
/// assert_eq!(elapsed, ms(200)); // not 600
/// ```
pub fn fetch_all(services: &[Service]) -> Vec<String> {
    let wg = WaitGroup::new();
    // One slot per service: each thread writes only its own, so the order is the services'
    // order whatever order the replies arrive in (Go's `results[i] = ...`).
    let replies = Arc::new(Mutex::new(vec![None; services.len()]));
    for (i, service) in services.iter().cloned().enumerate() {
        let replies = Arc::clone(&replies);
        // The handle is not needed: the group tells us when every call is done. (The threads
        // end right after their `done`; gort lets them finish even if main returns first.)
        drop(wg.go(move || {
            let reply = service.fetch();
            replies.lock().unwrap()[i] = Some(reply);
        }));
    }
    wg.wait();
    let mut replies = replies.lock().unwrap();
    replies.iter_mut().map(|r| r.take().expect("every call is done after wait")).collect()
}
