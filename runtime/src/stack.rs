//! Green-thread stacks: `mmap`ed with a guard page below, and pooled per OS thread.
//!
//! ```text
//!   high addresses   base ┌──────────────────────┐
//!                         │  usable stack        │  grows down; only touched pages are
//!                         │  (stack_size bytes)  │  resident, so size costs address space
//!                         ├──────────────────────┤
//!                         │  guard page          │  PROT_NONE: an overflow faults here and
//!   low addresses  limit  └──────────────────────┘  the SIGSEGV handler reports it
//! ```
//!
//! A fresh stack costs an `mmap` and an `mprotect` (about 9 µs on the reference machine); a
//! pooled one costs a `Vec::pop` (about 20 ns), so finished threads give their stacks back.
//! Each guarded stack is two kernel mappings, which caps a process near 32,000 live stacks
//! under the default `vm.max_map_count`; the deterministic executor allocates a stack only
//! when a thread first runs and frees it when the thread ends, so this caps threads alive
//! at once, not threads spawned.

use std::cell::RefCell;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use corosensei::stack::{DefaultStack, Stack};

/// Stacks kept per OS thread for reuse.
const POOL_CAP: usize = 512;

thread_local! {
    static POOL: RefCell<Vec<DefaultStack>> = const { RefCell::new(Vec::new()) };
}

/// The page size, asked of the kernel once (it sits on the context-switch path).
fn page_size() -> usize {
    static PAGE: AtomicUsize = AtomicUsize::new(0);
    match PAGE.load(Relaxed) {
        0 => {
            // SAFETY: sysconf has no preconditions.
            let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            let size = usize::try_from(size).unwrap_or(4096);
            PAGE.store(size, Relaxed);
            size
        }
        size => size,
    }
}

/// The usable size of `stack` (everything above its guard page).
fn usable(stack: &DefaultStack) -> usize {
    stack.base().get() - stack.limit().get() - page_size()
}

fn round_to_pages(size: usize) -> usize {
    let page = page_size();
    size.div_ceil(page) * page
}

/// A stack with at least `size` usable bytes, from the pool if one of that size is there.
pub(crate) fn take(size: usize) -> io::Result<DefaultStack> {
    let size = round_to_pages(size);
    let pooled = POOL.with_borrow_mut(|pool| {
        let i = pool.iter().rposition(|s| usable(s) == size)?;
        Some(pool.swap_remove(i))
    });
    match pooled {
        Some(stack) => Ok(stack),
        None => DefaultStack::new(size),
    }
}

/// Returns a stack to the pool (or unmaps it if the pool is full).
pub(crate) fn give(stack: DefaultStack) {
    POOL.with_borrow_mut(|pool| {
        if pool.len() < POOL_CAP {
            pool.push(stack);
        }
    });
}

/// The lowest address of the stack's guard page.
pub(crate) fn guard_lo(stack: &DefaultStack) -> usize {
    stack.limit().get()
}

/// One past the highest address of the guard page that starts at `guard_lo`.
pub(crate) fn guard_hi(guard_lo: usize) -> usize {
    guard_lo + page_size()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_are_reused_by_size() {
        let a = take(64 * 1024).unwrap();
        let base = a.base().get();
        assert_eq!(usable(&a), 64 * 1024);
        give(a);
        let b = take(64 * 1024).unwrap();
        assert_eq!(b.base().get(), base, "the pooled stack comes back");
        let c = take(128 * 1024).unwrap();
        assert_ne!(c.base().get(), base);
        assert_eq!(guard_hi(guard_lo(&c)) - guard_lo(&c), page_size());
    }
}
