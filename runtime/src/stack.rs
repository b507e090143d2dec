//! Green-thread stacks: carved from large reservations, each with a guard page below, pooled.
//!
//! ```text
//!   high addresses   base ┌──────────────────────┐
//!                         │  usable stack        │  grows down; only touched pages are
//!                         │  (stack_size bytes)  │  resident, so size costs address space
//!                         ├──────────────────────┤
//!                         │  guard page          │  an overflow faults here and the
//!   low addresses  limit  └──────────────────────┘  SIGSEGV handler reports it
//! ```
//!
//! Stacks are carved from *chunks*: one `mmap(MAP_NORESERVE)` holding many stacks of one
//! size. How the guard page is made decides how many stacks a process can have:
//!
//! * **Guard markers** (`madvise(MADV_GUARD_INSTALL)`, Linux 6.13 and later): the guard lives
//!   in the page tables, so a whole chunk stays one kernel mapping. A million guarded stacks
//!   fit under the stock `vm.max_map_count` of 65,530.
//! * **`mprotect(PROT_NONE)`**, the fallback on older kernels (and elsewhere): each guard
//!   splits the chunk's mapping, two mappings per stack, so the process runs out near 32,700
//!   live stacks. [`take`] then fails with an error that says so; it never hands out a stack
//!   without its guard.
//!
//! A fresh stack costs a slice of a chunk and one `madvise` (about 2 µs with markers, 9 µs
//! for an `mmap` per stack); a pooled one costs a `Vec::pop` (about 20 ns). Each OS thread
//! keeps a small cache of stacks; beyond it, stacks go to a global pool, which keeps the
//! first 16,384 per size resident and gives the pages of the rest back to the kernel
//! (`MADV_DONTNEED`; the guard survives it), so an idle stack then costs address space only.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::num::NonZeroUsize;
use std::ptr;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering::Relaxed};

use corosensei::stack::{Stack, StackPointer};
use parking_lot::Mutex;

use crate::spin;

/// `MADV_GUARD_INSTALL` from Linux's `<asm-generic/mman-common.h>` (6.13+; `libc` 0.2.191
/// does not name it yet).
#[cfg(target_os = "linux")]
const MADV_GUARD_INSTALL: libc::c_int = 102;

/// Resident stacks kept per OS thread for reuse.
const LOCAL_CAP: usize = 256;

/// How much address space one chunk reserves, at least (several stacks share it).
const CHUNK_BYTES: usize = 8 << 20;

/// A green thread's stack: `size` usable bytes above one guard page, inside a chunk.
///
/// Dropping it returns it to the pool; chunks are never unmapped, so a stack's addresses stay
/// reserved for the life of the process.
#[derive(Debug)]
pub(crate) struct GuardedStack {
    /// One past the highest usable byte.
    base: NonZeroUsize,
    /// The lowest address of the guard page.
    limit: NonZeroUsize,
}

// SAFETY: `base` and `limit` delimit memory this module reserved for this stack alone: the
// guard page [limit, limit + page) faults on access, the rest is read-write and owned by the
// holder of the `GuardedStack` until it is dropped (then it goes back to the pool, never to
// two holders at once).
unsafe impl Stack for GuardedStack {
    #[inline]
    fn base(&self) -> StackPointer {
        self.base
    }

    #[inline]
    fn limit(&self) -> StackPointer {
        self.limit
    }
}

impl GuardedStack {
    /// Usable bytes (everything above the guard page).
    #[cfg(test)]
    fn usable(&self) -> usize {
        self.base.get() - self.limit.get() - page_size()
    }
}

impl Drop for GuardedStack {
    fn drop(&mut self) {
        let raw = Raw { base: self.base, limit: self.limit };
        let pushed = LOCAL.try_with(|local| {
            let mut local = local.borrow_mut();
            if local.len() >= LOCAL_CAP {
                // Full: the older half goes to the global pool in one locked batch (a
                // thread that only ends threads others spawn returns stacks this way).
                let mut global = spin::lock(&GLOBAL);
                for old in local.drain(..LOCAL_CAP / 2) {
                    to_global(&mut global, old);
                }
            }
            local.push(raw);
        });
        // The thread is exiting and its cache is gone.
        if pushed.is_err() {
            to_global(&mut spin::lock(&GLOBAL), raw);
        }
    }
}

/// A pooled stack: the same addresses, without the `Drop` that pools it.
#[derive(Clone, Copy, Debug)]
struct Raw {
    base: NonZeroUsize,
    limit: NonZeroUsize,
}

impl Raw {
    fn usable(self) -> usize {
        self.base.get() - self.limit.get() - page_size()
    }

    fn into_stack(self) -> GuardedStack {
        GuardedStack { base: self.base, limit: self.limit }
    }
}

/// Files a stack in the global pool. Past [`GLOBAL_RESIDENT`] pooled stacks of its size, its
/// resident pages go back to the kernel first.
///
/// `MADV_DONTNEED` is not free: it makes the kernel flush the TLB of every CPU running the
/// process, and the next user faults the page in again. Measured on 10,000 threads that end
/// together, a `madvise` per returned stack took 64% of the run; so the pool keeps the most
/// recent stacks resident and trims only beyond that.
fn to_global(global: &mut Global, stack: Raw) {
    let free = global.free.entry(stack.usable()).or_default();
    if free.len() >= GLOBAL_RESIDENT {
        let page = page_size();
        let lo = stack.limit.get() + page;
        // SAFETY: [lo, base) is this stack's read-write range and nobody runs on it (it is
        // being returned). MADV_DONTNEED on private anonymous memory only zeroes it; the guard
        // page below is not in the range (and a guard marker would survive it anyway).
        unsafe {
            libc::madvise(lo as *mut libc::c_void, stack.base.get() - lo, libc::MADV_DONTNEED)
        };
    }
    free.push(stack);
}

/// Pooled stacks per size kept resident (most have one or two pages touched).
const GLOBAL_RESIDENT: usize = 16 * 1024;

thread_local! {
    static LOCAL: RefCell<Vec<Raw>> = const { RefCell::new(Vec::new()) };
}

/// Stacks not cached by any thread, and the chunks still being carved.
struct Global {
    free: BTreeMap<usize, Vec<Raw>>,
    /// Per stack size: the next unused address of the current chunk, and its end.
    carving: BTreeMap<usize, (usize, usize)>,
}

static GLOBAL: Mutex<Global> =
    Mutex::new(Global { free: BTreeMap::new(), carving: BTreeMap::new() });

/// How guard pages are made on this machine, decided by the first stack.
const GUARD_UNKNOWN: u8 = 0;
const GUARD_MARKER: u8 = 1;
const GUARD_MPROTECT: u8 = 2;
static GUARD_KIND: AtomicU8 = AtomicU8::new(GUARD_UNKNOWN);

/// Stacks ever carved (live or pooled).
static CARVED: AtomicUsize = AtomicUsize::new(0);

/// How guard pages are made: `"guard marker"` (`MADV_GUARD_INSTALL`, no kernel mapping per
/// stack) or `"mprotect"` (two mappings per stack), once a stack exists.
pub(crate) fn guard_kind() -> Option<&'static str> {
    match GUARD_KIND.load(Relaxed) {
        GUARD_MARKER => Some("guard marker (MADV_GUARD_INSTALL)"),
        GUARD_MPROTECT => Some("mprotect(PROT_NONE)"),
        _ => None,
    }
}

/// The page size, asked of the kernel once (it sits on the context-switch path).
pub(crate) fn page_size() -> usize {
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

fn round_to_pages(size: usize) -> usize {
    let page = page_size();
    size.max(page).div_ceil(page) * page
}

/// A stack with at least `size` usable bytes: from this thread's cache, the global pool, or
/// carved fresh.
///
/// # Errors
///
/// The kernel refused address space, or (without guard markers) a guard page: the error says
/// which limit was hit.
pub(crate) fn take(size: usize) -> io::Result<GuardedStack> {
    let size = round_to_pages(size);
    let cached = LOCAL.with_borrow_mut(|local| {
        let i = local.iter().rposition(|s| s.usable() == size)?;
        Some(local.swap_remove(i).into_stack())
    });
    match cached {
        Some(stack) => Ok(stack),
        None => take_slow(size),
    }
}

/// The global pool, then a fresh stack.
#[cold]
fn take_slow(size: usize) -> io::Result<GuardedStack> {
    let mut global = spin::lock(&GLOBAL);
    if let Some(free) = global.free.get_mut(&size)
        && let Some(stack) = free.pop()
    {
        // Take a batch while the lock is held: a thread that only spawns threads others
        // end comes back here once per batch, not once per spawn.
        let n = free.len().saturating_sub(BATCH - 1);
        let batch: Vec<Raw> = free.drain(n..).collect();
        drop(global);
        if let Err(batch) = cache(batch) {
            // The thread is exiting and its cache is gone: back they go.
            let mut global = spin::lock(&GLOBAL);
            batch.into_iter().for_each(|s| to_global(&mut global, s));
        }
        return Ok(stack.into_stack());
    }
    carve(&mut global, size)
}

/// Adds stacks to this thread's cache, or gives them back if it is gone.
fn cache(batch: Vec<Raw>) -> Result<(), Vec<Raw>> {
    let mut batch = Some(batch);
    let done =
        LOCAL.try_with(|local| local.borrow_mut().extend(batch.take().into_iter().flatten()));
    match (done, batch) {
        (Err(_), Some(batch)) => Err(batch),
        _ => Ok(()),
    }
}

/// Stacks moved from the global pool to a thread's cache at once.
const BATCH: usize = 32;

/// Carves a new stack of `size` usable bytes:
/// 1. take the next slot of this size's chunk, mapping a new chunk when it is used up;
/// 2. make the slot's lowest page a guard (a marker, or `mprotect` where markers are not
///    supported).
fn carve(global: &mut Global, size: usize) -> io::Result<GuardedStack> {
    let page = page_size();
    let slot = size + page;
    let (next, end) = global.carving.get(&size).copied().unwrap_or((0, 0));
    let (lo, end) = if next != 0 && next + slot <= end {
        (next, end)
    } else {
        let len = slot * (CHUNK_BYTES / slot).max(1);
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing; it
        // aliases nothing.
        let chunk = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if chunk == libc::MAP_FAILED {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(
                e.kind(),
                format!("could not reserve {len} bytes of address space for stacks: {e}"),
            ));
        }
        (chunk as usize, chunk as usize + len)
    };
    install_guard(lo)?;
    global.carving.insert(size, (lo + slot, end));
    CARVED.fetch_add(1, Relaxed);
    let limit = NonZeroUsize::new(lo).expect("mmap never returns address 0");
    let base = NonZeroUsize::new(lo + slot).expect("nonzero");
    Ok(GuardedStack { base, limit })
}

/// Makes the page at `lo` a guard page.
fn install_guard(lo: usize) -> io::Result<()> {
    let page = page_size();
    #[cfg(target_os = "linux")]
    if GUARD_KIND.load(Relaxed) != GUARD_MPROTECT {
        // SAFETY: [lo, lo + page) lies in a chunk this module mapped and has not handed out.
        let r = unsafe { libc::madvise(lo as *mut libc::c_void, page, MADV_GUARD_INSTALL) };
        if r == 0 {
            GUARD_KIND.store(GUARD_MARKER, Relaxed);
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINVAL) {
            return Err(e);
        }
        // EINVAL: a kernel older than 6.13. Fall back to mprotect for good.
        GUARD_KIND.store(GUARD_MPROTECT, Relaxed);
    }
    GUARD_KIND.store(GUARD_MPROTECT, Relaxed);
    // SAFETY: as above; PROT_NONE on a page nobody uses.
    if unsafe { libc::mprotect(lo as *mut libc::c_void, page, libc::PROT_NONE) } == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::ENOMEM) {
        return Err(io::Error::new(
            io::ErrorKind::OutOfMemory,
            format!(
                "no more guarded stacks: without guard markers (MADV_GUARD_INSTALL, Linux \
                 6.13+) every guard page costs two kernel mappings, and the process reached \
                 vm.max_map_count after {} stacks; raise it (sysctl vm.max_map_count) or use \
                 a newer kernel",
                CARVED.load(Relaxed)
            ),
        ));
    }
    Err(e)
}

/// Returns a stack to the pool. The same as dropping it.
pub(crate) fn give(stack: GuardedStack) {
    drop(stack);
}

/// The lowest address of the stack's guard page.
pub(crate) fn guard_lo(stack: &GuardedStack) -> usize {
    stack.limit.get()
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
        assert_eq!(a.usable(), 64 * 1024);
        give(a);
        let b = take(64 * 1024).unwrap();
        assert_eq!(b.base().get(), base, "the pooled stack comes back");
        let c = take(128 * 1024).unwrap();
        assert_ne!(c.base().get(), base);
        assert_eq!(guard_hi(guard_lo(&c)) - guard_lo(&c), page_size());
    }

    #[test]
    fn stacks_of_a_chunk_do_not_overlap_and_are_writable() {
        let stacks: Vec<_> = (0..300).map(|_| take(16 * 1024).unwrap()).collect();
        let mut ranges: Vec<_> = stacks.iter().map(|s| (s.limit.get(), s.base.get())).collect();
        ranges.sort();
        for w in ranges.windows(2) {
            assert!(w[0].1 <= w[1].0, "stacks overlap: {w:?}");
        }
        for s in &stacks {
            // The top usable word of every stack is writable.
            let top = (s.base.get() - 8) as *mut u64;
            // SAFETY: the word lies in the stack's read-write range, which we own.
            unsafe { top.write_volatile(7) };
        }
        assert!(guard_kind().is_some());
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn this_kernel_supports_guard_markers_or_says_so() {
        drop(take(16 * 1024).unwrap());
        let kind = guard_kind().unwrap();
        eprintln!("guard pages made by: {kind}");
        assert!(kind.contains("marker") || kind.contains("mprotect"));
    }
}
