//! The runtime's own short locks (a channel's, the shared free lists'), taken the way Go's
//! runtime lock does: spin a little, reading the lock word, before parking_lot's slow path.

use parking_lot::{Mutex, MutexGuard};

/// Under contention, a lock is retried this many times before parking_lot's slow path
/// (which soon calls `sched_yield`), each retry after [`PAUSES`] spin-loop hints: Go's
/// runtime lock spins the same 4 x 30. Reading the lock word between tries, rather than
/// hammering it with compare-and-swaps, leaves its cache line with the holder; on the worker
/// pool benchmark (two carriers, two busy channels) this halves the time.
const SPINS: usize = 4;
/// Spin-loop hints between two looks at a contended lock.
const PAUSES: usize = 30;

/// Locks `m`: one compare-and-swap when it is free; under contention, spins as Go's runtime
/// lock does before falling back to parking_lot's own slow path. For locks held only for a
/// few instructions, never across a blocking call.
#[inline]
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.try_lock() {
        Some(guard) => guard,
        None => contended(m),
    }
}

#[cold]
fn contended<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    for _ in 0..SPINS {
        for _ in 0..PAUSES {
            std::hint::spin_loop();
        }
        if !m.is_locked()
            && let Some(guard) = m.try_lock()
        {
            return guard;
        }
    }
    m.lock()
}
