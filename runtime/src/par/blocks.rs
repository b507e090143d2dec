//! Small blocks of memory cached per carrier (≈ Go's per-P `mcache` for small objects), for
//! the one allocation every spawn makes: the packet a `JoinHandle` shares with its thread.
//!
//! A spawn allocates the packet on the spawning carrier, and the thread's end often frees
//! it on another. Through malloc that pattern is slow (glibc's per-thread cache fills on the
//! freeing side and runs dry on the allocating side), so blocks of up to [`MAX`] bytes go
//! through caches of their size class instead: a carrier's own list first, then the run's
//! shared list, moved [`BATCH`] blocks at a time under one lock, then the allocator.
//!
//! Every block is allocated with its class's layout, so any of them may also be freed
//! straight to the allocator: off a carrier (a handle dropped after its run), when the run's
//! lists are dropped, or for a layout no class fits.

use std::alloc::{self, Layout};
use std::cell::RefCell;
use std::ptr::NonNull;

use parking_lot::Mutex;

use crate::spin;

use super::thread::BATCH;

/// Size classes are multiples of this; it is also their alignment.
const STEP: usize = 16;
/// The largest block a class holds.
const MAX: usize = 256;
const CLASSES: usize = MAX / STEP;
/// A carrier's list of one class gives half back to the shared list at this length.
const LOCAL_MAX: usize = 4 * BATCH;

/// The size class of `layout`, if one fits it.
fn class_of(layout: Layout) -> Option<usize> {
    (layout.size() != 0 && layout.size() <= MAX && layout.align() <= STEP)
        .then(|| layout.size().div_ceil(STEP) - 1)
}

/// The layout every block of class `class` is allocated with.
fn class_layout(class: usize) -> Layout {
    Layout::from_size_align((class + 1) * STEP, STEP).expect("size classes are valid layouts")
}

/// A free block of some class: plain memory, owned by whichever list holds it.
struct Block(NonNull<u8>);

// SAFETY: a free block is memory nobody else refers to; whoever holds it owns it.
unsafe impl Send for Block {}

/// Allocates a block for `layout` from the allocator.
fn allocate(layout: Layout) -> NonNull<u8> {
    // SAFETY: `layout` has a non-zero size (`Packet` has a reference count).
    NonNull::new(unsafe { alloc::alloc(layout) })
        .unwrap_or_else(|| alloc::handle_alloc_error(layout))
}

/// Frees a block of class `class` to the allocator.
fn release(block: Block, class: usize) {
    // SAFETY: every block of a class list was allocated by `allocate(class_layout(class))`
    // and is no longer used (it is on a free list).
    unsafe { alloc::dealloc(block.0.as_ptr(), class_layout(class)) }
}

/// The run's shared lists, one per class.
pub(super) struct Depot {
    classes: [Mutex<Vec<Block>>; CLASSES],
}

impl Depot {
    pub(super) fn new() -> Depot {
        Depot { classes: std::array::from_fn(|_| Mutex::new(Vec::new())) }
    }
}

impl Drop for Depot {
    fn drop(&mut self) {
        for (class, list) in self.classes.iter_mut().enumerate() {
            list.get_mut().drain(..).for_each(|b| release(b, class));
        }
    }
}

/// A carrier's own lists, one per class.
pub(super) struct Blocks {
    classes: RefCell<[Vec<Block>; CLASSES]>,
}

impl Blocks {
    pub(super) fn new() -> Blocks {
        Blocks { classes: RefCell::new(std::array::from_fn(|_| Vec::new())) }
    }

    /// A block that fits `layout`: from this carrier's list, a batch from `depot`'s, or the
    /// allocator.
    #[inline]
    pub(super) fn take(&self, depot: &Depot, layout: Layout) -> NonNull<u8> {
        let Some(class) = class_of(layout) else { return allocate(layout) };
        let mut classes = self.classes.borrow_mut();
        let local = &mut classes[class];
        if let Some(block) = local.pop() {
            return block.0;
        }
        Self::refill(depot, class, local).unwrap_or_else(|| allocate(class_layout(class)))
    }

    /// 1. Takes up to a batch from the shared list into `local`; 2. hands one out.
    #[cold]
    fn refill(depot: &Depot, class: usize, local: &mut Vec<Block>) -> Option<NonNull<u8>> {
        let mut shared = spin::lock(&depot.classes[class]);
        let n = shared.len().saturating_sub(BATCH);
        local.extend(shared.drain(n..));
        drop(shared);
        local.pop().map(|b| b.0)
    }

    /// Keeps a block for reuse, giving half of a long list back to `depot`.
    ///
    /// # Safety
    ///
    /// `p` came from [`Blocks::take`] (of any carrier) or [`take_off_carrier`] with the same
    /// `layout`, and is no longer used.
    #[inline]
    pub(super) unsafe fn give(&self, depot: &Depot, p: NonNull<u8>, layout: Layout) {
        let Some(class) = class_of(layout) else {
            // SAFETY: a layout without a class was allocated with `allocate(layout)`.
            unsafe { alloc::dealloc(p.as_ptr(), layout) };
            return;
        };
        let mut classes = self.classes.borrow_mut();
        let local = &mut classes[class];
        local.push(Block(p));
        if local.len() >= LOCAL_MAX {
            spin::lock(&depot.classes[class]).extend(local.drain(LOCAL_MAX / 2..));
        }
    }
}

impl Drop for Blocks {
    fn drop(&mut self) {
        for (class, list) in self.classes.get_mut().iter_mut().enumerate() {
            list.drain(..).for_each(|b| release(b, class));
        }
    }
}

/// A block for `layout` off any carrier (the deterministic executor, or outside a run).
pub(crate) fn take_off_carrier(layout: Layout) -> NonNull<u8> {
    allocate(class_of(layout).map_or(layout, class_layout))
}

/// Frees a block off any carrier.
///
/// # Safety
///
/// As for [`Blocks::give`].
pub(crate) unsafe fn free_off_carrier(p: NonNull<u8>, layout: Layout) {
    let layout = class_of(layout).map_or(layout, class_layout);
    // SAFETY: blocks are allocated with their class's layout, or `layout` without a class
    // (caller's contract).
    unsafe { alloc::dealloc(p.as_ptr(), layout) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_round_up_to_sixteen_bytes() {
        assert_eq!(class_of(Layout::new::<[u8; 1]>()), Some(0));
        assert_eq!(class_of(Layout::new::<[u64; 2]>()), Some(0));
        assert_eq!(class_of(Layout::new::<[u64; 5]>()), Some(2));
        assert_eq!(class_of(Layout::new::<[u8; MAX]>()), Some(CLASSES - 1));
        assert_eq!(class_of(Layout::new::<[u8; MAX + 1]>()), None);
        assert_eq!(class_of(Layout::from_size_align(64, 64).unwrap()), None);
        assert_eq!(class_layout(2).size(), 48);
    }

    #[test]
    fn blocks_move_between_carriers_through_the_depot() {
        let depot = Depot::new();
        let (a, b) = (Blocks::new(), Blocks::new());
        let layout = Layout::new::<[u64; 5]>();
        // `a` allocates, `b` frees: `b`'s list overflows into the depot, and `a` refills
        // from it instead of allocating.
        let taken: Vec<_> = (0..LOCAL_MAX).map(|_| a.take(&depot, layout)).collect();
        let first = taken[0];
        for p in taken {
            // SAFETY: each block came from `take` with this layout and is not used.
            unsafe { b.give(&depot, p, layout) };
        }
        assert_eq!(b.classes.borrow()[2].len(), LOCAL_MAX / 2);
        assert_eq!(depot.classes[2].lock().len(), LOCAL_MAX / 2);
        let again = a.take(&depot, layout);
        assert_eq!(depot.classes[2].lock().len(), LOCAL_MAX / 2 - BATCH);
        assert_ne!(again, first, "the depot holds the later half");
        // SAFETY: as above.
        unsafe { a.give(&depot, again, layout) };
    }
}
