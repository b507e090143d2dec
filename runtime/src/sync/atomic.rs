//! Atomic integers and booleans whose every operation the scheduler sees (≈ Go's `sync/atomic`).
//!
//! | Go | gort |
//! |---|---|
//! | `var n atomic.Int64`; `n.Add(1)` | `let n = AtomicI64::new(0)`; [`n.add(1)`](AtomicI64::add) |
//! | `n.Load()`, `n.Store(v)` | [`n.load(SeqCst)`](AtomicI64::load), [`n.store(v, SeqCst)`](AtomicI64::store) |
//! | `n.Swap(v)`, `n.CompareAndSwap(old, new)` | [`swap`](AtomicI64::swap), [`compare_exchange`](AtomicI64::compare_exchange) |
//! | `atomic.Int32`, `Uint32`, `Uint64`, `Uintptr`, `Bool` | [`AtomicI32`], [`AtomicU32`], [`AtomicU64`], [`AtomicUsize`], [`AtomicBool`] |
//!
//! The methods mirror `std::sync::atomic` (same names, same [`Ordering`] arguments), so code
//! written against std's atomics changes only its `use` line. The difference is what the
//! deterministic executor sees: an atomic made inside a [`sim`](crate::sim) run is an object
//! of the run, and each of its operations is a scheduling point recorded in the trace (op
//! `atomic.Load`, `atomic.Store`, ...), so the lost update of `let v = n.load(..);
//! n.store(v + 1, ..)` is found by [`sim::explore`](crate::sim::explore) and replayed. Under
//! the parallel executor (or outside any run) each type is a plain std atomic with nothing
//! recorded.
//!
//! An atomic made outside a run, or under the parallel executor, stays a plain atomic even if
//! a deterministic run later uses it: make it inside the run you want to examine.

use std::fmt;
use std::panic::Location;
use std::sync::atomic as std_atomic;

pub use std::sync::atomic::Ordering;

use crate::sched::rt::{self, ObjRef};
use crate::vocab::{ObjectKind, Op};

/// Registers a new atomic with the deterministic run of this OS thread, if there is one.
#[track_caller]
fn register(kind: &'static str, what: &'static str) -> Option<ObjRef> {
    rt::is_sim()
        .then(|| rt::register_object(ObjectKind::Other(kind), None, Location::caller(), what))
}

/// The scheduling point before an operation on an atomic of a deterministic run (none for a
/// plain atomic, none from a destructor or timer callback outside a green thread).
#[inline]
#[track_caller]
fn visible(obj: Option<ObjRef>, op: &'static str) {
    if let Some(obj) = obj
        && rt::in_green_thread()
    {
        rt::point(Op::Other(op), Some(obj), Location::caller());
    }
}

/// Defines one atomic integer type over a std atomic.
macro_rules! atomic_int {
    ($name:ident, $int:ty, $go:literal) => {
        #[doc = concat!("An `", stringify!($int), "` shared between threads: Go's `", $go, "`.")]
        ///
        /// Every operation is a scheduling point recorded in the trace when the atomic was made
        /// inside a deterministic run; a plain std atomic otherwise (see the
        /// [module docs](self)). `Send` and `Sync`: share it with an `Arc` or a reference.
        /// Integer arithmetic wraps on overflow, as std's and Go's do.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = concat!("use gort::{go, sim, sync::atomic::{", stringify!($name), ", Ordering::SeqCst}};")]
        /// use std::sync::Arc;
        ///
        /// let report = sim::run(&sim::Config::default(), || {
        #[doc = concat!("    let n = Arc::new(", stringify!($name), "::new(0));")]
        ///     let hs: Vec<_> = (0..3)
        ///         .map(|_| {
        ///             let n = n.clone();
        ///             go(move || n.fetch_add(1, SeqCst))
        ///         })
        ///         .collect();
        ///     hs.into_iter().for_each(|h| { h.join().unwrap(); });
        ///     n.load(SeqCst)
        /// });
        /// assert_eq!(report.unwrap(), 3);
        /// ```
        pub struct $name {
            v: std_atomic::$name,
            obj: Option<ObjRef>,
        }

        impl $name {
            /// A new atomic holding `v`. Never blocks; not a scheduling point. Inside a
            /// deterministic run it becomes an object of the run (named in traces by its kind
            /// and the line that made it).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use gort::sync::atomic::{", stringify!($name), ", Ordering::Relaxed};")]
            ///
            #[doc = concat!("assert_eq!(", stringify!($name), "::new(7).load(Relaxed), 7); // outside a run: a plain atomic")]
            /// ```
            #[track_caller]
            pub fn new(v: $int) -> $name {
                $name {
                    v: std_atomic::$name::new(v),
                    obj: register($go, concat!(stringify!($name), "::new")),
                }
            }

            /// Consumes the atomic and returns its value. Not a scheduling point: nobody
            /// else can reach it.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use gort::sync::atomic::", stringify!($name), ";")]
            ///
            #[doc = concat!("assert_eq!(", stringify!($name), "::new(5).into_inner(), 5);")]
            /// ```
            pub fn into_inner(self) -> $int {
                self.v.into_inner()
            }

            /// Reads the value: Go's `Load`. A scheduling point under the deterministic
            /// executor; never blocks.
            ///
            /// # Panics
            ///
            /// If `order` is `Release` or `AcqRel` (as std's `load`).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use gort::{sim, sync::atomic::{", stringify!($name), ", Ordering::SeqCst}};")]
            ///
            #[doc = concat!("let v = sim::run(&sim::Config::default(), || ", stringify!($name), "::new(3).load(SeqCst));")]
            /// assert_eq!(v.unwrap(), 3);
            /// ```
            #[track_caller]
            pub fn load(&self, order: Ordering) -> $int {
                visible(self.obj, "atomic.Load");
                self.v.load(order)
            }

            /// Writes `v`: Go's `Store`. A scheduling point under the deterministic executor;
            /// never blocks.
            ///
            /// # Panics
            ///
            /// If `order` is `Acquire` or `AcqRel` (as std's `store`).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use gort::sync::atomic::{", stringify!($name), ", Ordering::SeqCst};")]
            ///
            #[doc = concat!("let n = ", stringify!($name), "::new(0);")]
            /// n.store(9, SeqCst);
            /// assert_eq!(n.load(SeqCst), 9);
            /// ```
            #[track_caller]
            pub fn store(&self, v: $int, order: Ordering) {
                visible(self.obj, "atomic.Store");
                self.v.store(v, order)
            }

            /// Writes `v` and returns the previous value: Go's `Swap`. A scheduling point
            /// under the deterministic executor; never blocks.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use gort::sync::atomic::{", stringify!($name), ", Ordering::SeqCst};")]
            ///
            #[doc = concat!("let n = ", stringify!($name), "::new(1);")]
            /// assert_eq!(n.swap(2, SeqCst), 1);
            /// assert_eq!(n.load(SeqCst), 2);
            /// ```
            #[track_caller]
            pub fn swap(&self, v: $int, order: Ordering) -> $int {
                visible(self.obj, "atomic.Swap");
                self.v.swap(v, order)
            }

            /// Writes `new` if the value is `current`, in one step: Go's `CompareAndSwap`.
            /// A scheduling point under the deterministic executor; never blocks.
            ///
            /// # Errors
            ///
            /// `Err(actual)` if the value was not `current` (nothing is written).
            ///
            /// # Panics
            ///
            /// If `failure` is `Release` or `AcqRel` (as std's `compare_exchange`).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use gort::sync::atomic::{", stringify!($name), ", Ordering::SeqCst};")]
            ///
            #[doc = concat!("let n = ", stringify!($name), "::new(1);")]
            /// assert_eq!(n.compare_exchange(1, 2, SeqCst, SeqCst), Ok(1));
            /// assert_eq!(n.compare_exchange(1, 3, SeqCst, SeqCst), Err(2));
            /// ```
            #[track_caller]
            pub fn compare_exchange(
                &self,
                current: $int,
                new: $int,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$int, $int> {
                visible(self.obj, "atomic.CompareAndSwap");
                self.v.compare_exchange(current, new, success, failure)
            }

            /// Adds `delta` (wrapping) and returns the previous value, in one step. A
            /// scheduling point under the deterministic executor; never blocks.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use gort::sync::atomic::{", stringify!($name), ", Ordering::SeqCst};")]
            ///
            #[doc = concat!("let n = ", stringify!($name), "::new(1);")]
            /// assert_eq!(n.fetch_add(2, SeqCst), 1);
            /// assert_eq!(n.load(SeqCst), 3);
            /// ```
            #[track_caller]
            pub fn fetch_add(&self, delta: $int, order: Ordering) -> $int {
                visible(self.obj, "atomic.Add");
                self.v.fetch_add(delta, order)
            }

            /// Subtracts `delta` (wrapping) and returns the previous value, in one step. A
            /// scheduling point under the deterministic executor; never blocks.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use gort::sync::atomic::{", stringify!($name), ", Ordering::SeqCst};")]
            ///
            #[doc = concat!("let n = ", stringify!($name), "::new(3);")]
            /// assert_eq!(n.fetch_sub(2, SeqCst), 3);
            /// assert_eq!(n.load(SeqCst), 1);
            /// ```
            #[track_caller]
            pub fn fetch_sub(&self, delta: $int, order: Ordering) -> $int {
                visible(self.obj, "atomic.Sub");
                self.v.fetch_sub(delta, order)
            }

            /// Adds `delta` (wrapping) and returns the new value: Go's `Add`, sequentially
            /// consistent like every Go atomic. A scheduling point under the deterministic
            /// executor; never blocks.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use gort::sync::atomic::", stringify!($name), ";")]
            ///
            #[doc = concat!("let n = ", stringify!($name), "::new(1);")]
            /// assert_eq!(n.add(2), 3);
            /// ```
            #[track_caller]
            pub fn add(&self, delta: $int) -> $int {
                visible(self.obj, "atomic.Add");
                self.v.fetch_add(delta, Ordering::SeqCst).wrapping_add(delta)
            }
        }

        /// Shows the value, read without a scheduling point.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.v.load(Ordering::Relaxed), f)
            }
        }
    };
}

atomic_int!(AtomicI32, i32, "atomic.Int32");
atomic_int!(AtomicI64, i64, "atomic.Int64");
atomic_int!(AtomicU32, u32, "atomic.Uint32");
atomic_int!(AtomicU64, u64, "atomic.Uint64");
atomic_int!(AtomicUsize, usize, "atomic.Uintptr");

/// A `bool` shared between threads: Go's `atomic.Bool`.
///
/// Every operation is a scheduling point recorded in the trace when the atomic was made inside
/// a deterministic run; a plain std atomic otherwise (see the [module docs](self)).
///
/// # Examples
///
/// ```
/// use gort::{go, sim, sync::atomic::{AtomicBool, Ordering::SeqCst}};
/// use std::sync::Arc;
///
/// let report = sim::run(&sim::Config::default(), || {
///     let done = Arc::new(AtomicBool::new(false));
///     let d = done.clone();
///     go(move || d.store(true, SeqCst)).join().unwrap();
///     done.load(SeqCst)
/// });
/// assert!(report.unwrap());
/// ```
pub struct AtomicBool {
    v: std_atomic::AtomicBool,
    obj: Option<ObjRef>,
}

impl AtomicBool {
    /// A new atomic holding `v`. Never blocks; not a scheduling point. Inside a deterministic
    /// run it becomes an object of the run.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sync::atomic::{AtomicBool, Ordering::Relaxed};
    ///
    /// assert!(AtomicBool::new(true).load(Relaxed));
    /// ```
    #[track_caller]
    pub fn new(v: bool) -> AtomicBool {
        AtomicBool {
            v: std_atomic::AtomicBool::new(v),
            obj: register("atomic.Bool", "AtomicBool::new"),
        }
    }

    /// Consumes the atomic and returns its value. Not a scheduling point.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sync::atomic::AtomicBool;
    ///
    /// assert!(!AtomicBool::new(false).into_inner());
    /// ```
    pub fn into_inner(self) -> bool {
        self.v.into_inner()
    }

    /// Reads the value: Go's `Load`. A scheduling point under the deterministic executor;
    /// never blocks.
    ///
    /// # Panics
    ///
    /// If `order` is `Release` or `AcqRel`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, sync::atomic::{AtomicBool, Ordering::SeqCst}};
    ///
    /// assert!(sim::run(&sim::Config::default(), || AtomicBool::new(true).load(SeqCst)).unwrap());
    /// ```
    #[track_caller]
    pub fn load(&self, order: Ordering) -> bool {
        visible(self.obj, "atomic.Load");
        self.v.load(order)
    }

    /// Writes `v`: Go's `Store`. A scheduling point under the deterministic executor; never
    /// blocks.
    ///
    /// # Panics
    ///
    /// If `order` is `Acquire` or `AcqRel`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sync::atomic::{AtomicBool, Ordering::SeqCst};
    ///
    /// let b = AtomicBool::new(false);
    /// b.store(true, SeqCst);
    /// assert!(b.load(SeqCst));
    /// ```
    #[track_caller]
    pub fn store(&self, v: bool, order: Ordering) {
        visible(self.obj, "atomic.Store");
        self.v.store(v, order)
    }

    /// Writes `v` and returns the previous value: Go's `Swap`. A scheduling point under the
    /// deterministic executor; never blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sync::atomic::{AtomicBool, Ordering::SeqCst};
    ///
    /// let b = AtomicBool::new(false);
    /// assert!(!b.swap(true, SeqCst));
    /// assert!(b.swap(true, SeqCst));
    /// ```
    #[track_caller]
    pub fn swap(&self, v: bool, order: Ordering) -> bool {
        visible(self.obj, "atomic.Swap");
        self.v.swap(v, order)
    }

    /// Writes `new` if the value is `current`, in one step: Go's `CompareAndSwap`. A
    /// scheduling point under the deterministic executor; never blocks.
    ///
    /// # Errors
    ///
    /// `Err(actual)` if the value was not `current` (nothing is written).
    ///
    /// # Panics
    ///
    /// If `failure` is `Release` or `AcqRel`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sync::atomic::{AtomicBool, Ordering::SeqCst};
    ///
    /// let b = AtomicBool::new(false);
    /// assert_eq!(b.compare_exchange(false, true, SeqCst, SeqCst), Ok(false));
    /// assert_eq!(b.compare_exchange(false, true, SeqCst, SeqCst), Err(true));
    /// ```
    #[track_caller]
    pub fn compare_exchange(
        &self,
        current: bool,
        new: bool,
        success: Ordering,
        failure: Ordering,
    ) -> Result<bool, bool> {
        visible(self.obj, "atomic.CompareAndSwap");
        self.v.compare_exchange(current, new, success, failure)
    }
}

/// Shows the value, read without a scheduling point.
impl fmt::Debug for AtomicBool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.v.load(Ordering::Relaxed), f)
    }
}
