//! The packet a `JoinHandle` shares with its thread: a lock-protected value with two owners,
//! in a block from the executor's small-block cache instead of an `Arc`'s malloc.

use std::alloc::Layout;
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering, fence};

use parking_lot::Mutex;

use super::rt;

/// One owner of a shared `Mutex<T>` (made in pairs by [`Packet::pair`]); the last one
/// dropped frees it. `Send` and `Sync` when `T` is `Send`, as `Arc<Mutex<T>>`.
pub(super) struct Packet<T> {
    inner: NonNull<Inner<T>>,
}

struct Inner<T> {
    owners: AtomicUsize,
    value: Mutex<T>,
}

// SAFETY: a packet gives out only `&Mutex<T>`, which is `Send + Sync` for `T: Send`; the
// owner count is atomic, and the last owner drops `T` (a move to that thread, hence `Send`).
unsafe impl<T: Send> Send for Packet<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Packet<T> {}

impl<T> Packet<T> {
    /// A new packet holding `value`, and its second owner.
    pub(super) fn pair(value: T) -> (Packet<T>, Packet<T>) {
        let p = rt::take_block(Layout::new::<Inner<T>>()).cast::<Inner<T>>();
        let inner = Inner { owners: AtomicUsize::new(2), value: Mutex::new(value) };
        // SAFETY: the block fits `Inner<T>`'s layout and is not used by anything else.
        unsafe { p.as_ptr().write(inner) };
        (Packet { inner: p }, Packet { inner: p })
    }
}

impl<T> Deref for Packet<T> {
    type Target = Mutex<T>;

    fn deref(&self) -> &Mutex<T> {
        // SAFETY: the block stays initialized while any owner (this one) lives.
        unsafe { &self.inner.as_ref().value }
    }
}

impl<T> Drop for Packet<T> {
    fn drop(&mut self) {
        // SAFETY: initialized while this owner lives.
        let owners = unsafe { &self.inner.as_ref().owners };
        // Release: this owner's uses of the value happen-before the last owner frees it.
        if owners.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        // SAFETY: this was the last owner: nobody else can reach the block. It was made by
        // `take_block` with this layout in `pair`, and is not used after this.
        unsafe {
            self.inner.as_ptr().drop_in_place();
            rt::give_block(self.inner.cast(), Layout::new::<Inner<T>>());
        }
    }
}

/// The bytes a packet of `T` takes (for the size tests).
#[cfg(test)]
pub(super) fn footprint<T>() -> usize {
    size_of::<Inner<T>>()
}
