//! Locks and coordination that park green threads (≈ Go's `sync`).
//!
//! | Go | gort |
//! |---|---|
//! | `var wg sync.WaitGroup`; `wg.Add(n)`; `wg.Done()`; `wg.Wait()` | [`WaitGroup::new`], [`add`](WaitGroup::add), [`done`](WaitGroup::done), [`wait`](WaitGroup::wait) |
//! | `defer wg.Done()` | `let _done = wg.done_guard();` |
//! | `wg.Go(f)` (Go 1.25) | [`wg.go(f)`](WaitGroup::go) |
//! | `var mu sync.Mutex`; `mu.Lock(); defer mu.Unlock()` | `let m = Mutex::new(data)`; `let guard = m.lock();` (unlocks on drop) |
//! | `sync.RWMutex`: `RLock`, `Lock` | [`RwLock::read`], [`RwLock::write`] |
//! | `once.Do(f)` | [`Once::call_once`] |
//! | `sync/atomic`: `atomic.Int64`, `atomic.Bool`, ... | [`atomic`]: [`AtomicI64`](atomic::AtomicI64), [`AtomicBool`](atomic::AtomicBool), ... |
//!
//! Every blocking call parks the green thread (never the OS thread) and is a scheduling
//! point, so the deterministic executor explores the interleavings around it. Locks keep their
//! data inside (Rust's style): the borrow checker then proves you never touch it unlocked.
//!
//! Do not use `std::sync::Mutex` or `parking_lot` locks to wait for another green thread:
//! they block the OS thread that runs every green thread of the run, so the holder can never
//! run again and the watchdog ends the program.

pub mod atomic;
mod lock;
mod mutex;
mod mutex_par;
mod once;
mod rwlock;
mod waitgroup;

pub use mutex::{Mutex, MutexGuard};
pub use once::Once;
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use waitgroup::{DoneGuard, WaitGroup};
