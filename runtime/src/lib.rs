//! Green threads with Go's vocabulary and Rust's ownership, and a deterministic executor that
//! explains every failure.
//!
//! `gort` runs Go-style concurrent programs (goroutines, channels, `select`, `sync`,
//! `context`, timers) on stackful
//! green threads, on two executors with one API. The parallel executor ([`par`]) runs them
//! M:N on several OS threads with work stealing and a real clock. The deterministic
//! executor ([`sim`]) runs every green thread on one OS
//! thread, picks who runs next at every scheduling point from a seed, and keeps virtual time,
//! so a run is reproducible to the last step: a schedule that breaks a program can be named
//! by a short token and replayed. When something goes wrong it says what, in words a Go
//! programmer knows: a deadlock with what every thread waits on, leaked threads, panics,
//! livelocks, a thread that never yields, a stack overflow.
//!
//! # A tour
//!
//! ```
//! use gort::{chan, go, sim, time};
//! use std::time::Duration;
//!
//! let report = sim::run(&sim::Config::default(), || {
//!     let (tx, rx) = chan::bounded(0);
//!     for id in 0..3 {
//!         let tx = tx.clone();
//!         go(move || {
//!             time::sleep(Duration::from_millis(100 * (id + 1)));
//!             tx.send(id).unwrap();
//!         });
//!     }
//!     drop(tx); // close our copy: the channel closes when every worker is done
//!     let order: Vec<u64> = rx.into_iter().collect();
//!     (order, time::now().elapsed_since_start())
//! });
//! // Concurrent sleeps overlap: the run takes 300 ms of virtual time, and no real time.
//! assert_eq!(report.unwrap(), (vec![0, 1, 2], Duration::from_millis(300)));
//! ```
//!
//! # Go → this crate
//!
//! | Go | gort |
//! |---|---|
//! | `go f()` | [`go(f)`](go) → [`JoinHandle`](sched::JoinHandle) |
//! | `runtime.Gosched()` | [`sched::yield_now()`] |
//! | `make(chan T)` / `make(chan T, n)` | [`chan::bounded(0)`](chan::bounded) / [`chan::bounded(n)`](chan::bounded) |
//! | `ch <- v`, `v, ok := <-ch` | [`Sender::send`](chan::Sender::send), [`Receiver::recv`](chan::Receiver::recv) |
//! | `close(ch)` | drop the last [`Sender`](chan::Sender) |
//! | `for v := range ch` | `for v in rx` |
//! | `select { case v := <-a: ... case b <- x: ... default: ... }` | [`select! { recv(a) -> v => ..., send(b, x) => ..., default => ... }`](select) |
//! | `sync.WaitGroup`, `wg.Go(f)` | [`sync::WaitGroup`], [`WaitGroup::go`](sync::WaitGroup::go) |
//! | `sync.Mutex`, `sync.RWMutex`, `sync.Once` | [`sync::Mutex<T>`](sync::Mutex), [`sync::RwLock<T>`](sync::RwLock), [`sync::Once`] |
//! | `sync/atomic`: `atomic.Int64`, `atomic.Bool`, ... | [`sync::atomic`]: [`AtomicI64`](sync::atomic::AtomicI64), [`AtomicBool`](sync::atomic::AtomicBool), ... (each operation a scheduling point under [`sim`]) |
//! | `context.WithCancel`, `WithTimeout`, `ctx.Done()`, `ctx.Err()` | [`context::with_cancel`], [`context::with_timeout`], [`Context::done`](context::Context::done), [`Context::err`](context::Context::err) |
//! | `time.Now()`, `time.Sleep(d)` | [`time::now()`], [`time::sleep(d)`](time::sleep) |
//! | `time.After(d)`, `time.NewTimer`, `time.NewTicker` | [`time::after`], [`time::Timer`], [`time::Ticker`] |
//! | a busy CPU | [`time::work(d)`](time::work) |
//! | `GOMAXPROCS` | [`par::Config::with_processors`] (carrier OS threads), [`sim::Config::with_processors`] (virtual processors for `time::work`) |
//! | running a Go program | [`par::run`]: M:N on carrier threads, work stealing, a real clock |
//! | `testing/synctest` | [`sim::run`], [`sim::explore`], [`sim::replay`] |
//! | "all goroutines are asleep - deadlock!" | [`diag::Failure::Deadlock`], and [`diag::Failure::LockCycle`] for lock cycles |
//!
//! # Where Rust differs from Go
//!
//! Data races do not compile: sharing needs `Arc` and atomics or locks. Race *conditions*
//! still happen (a lost update between a load and a store, an ordering bug, a deadlock, a
//! leak), and those are what the scheduler finds and replays. A channel closes when its last
//! `Sender` is dropped, so it cannot be closed twice or sent on after close; there are no nil
//! channels.
//!
//! # Scheduling points
//!
//! A green thread gives up its processor only at a runtime operation: [`go`], channel
//! operations, [`select!`], [`JoinHandle::join`](sched::JoinHandle::join), [`sched::park`],
//! [`sched::yield_now`], [`time::sleep`], [`time::work`], locking, `WaitGroup::wait` and
//! `done`, cancelling a context. Unlocking is not one. Under the deterministic executor,
//! code between two of them runs without interruption, exactly as if it were atomic; under
//! the parallel one ([`par`]) other carriers run at the same time, so shared state needs the
//! same locks or atomics it would need in Go. A thread that stops reaching
//! scheduling points is stopped by the watchdog (see [`sim::Config::with_watchdog`]).

#![warn(missing_docs)]

// Layers, lowest first (each imports only from layers below it; `tests/layers.rs` holds the
// list and fails on an import against it): `vocab` (the shared vocabulary) -> `spin` ->
// `stack` -> `exec` (the executor interface, panic hook, overflow handler, watchdog) ->
// `sim` | `par` (the executors, never importing each other) -> `sched` (the dispatcher) ->
// `chan` | `sync` -> `time` -> `context` -> `diag` and this file (re-exports only).

pub mod chan;
pub mod context;
pub mod diag;
mod exec;
pub mod par;
pub mod sched;
pub mod sim;
mod spin;
mod stack;
pub mod sync;
pub mod time;
mod vocab;

pub use sched::go;
