//! Stack-overflow reports: a SIGSEGV handler that recognises a hit on a green thread's guard
//! page, names the thread, and aborts.
//!
//! Rust's own handler only knows OS threads' guard pages, so without this an overflowing
//! green thread dies as a bare "Segmentation fault". The handler runs on an alternate signal
//! stack (the overflowing stack has no room left), reads a per-OS-thread record of the green
//! thread running now, and writes its report with `write(2)` only: no allocation, no locks,
//! nothing that is not async-signal-safe. Faults anywhere else go to the handler that was
//! installed before ours.

use std::cell::Cell;
use std::os::fd::RawFd;
use std::panic::Location;
use std::ptr;
use std::sync::{Once, OnceLock};

use super::record::{self, Record, decimal};

use crate::stack;
use crate::vocab::{ThreadId, ThreadLabel};

/// What the handler needs to know about the green thread running on this OS thread.
#[derive(Clone, Copy)]
pub(crate) struct Running {
    guard_lo: usize,
    guard_hi: usize,
    stack_size: usize,
    thread: u64,
    name: (*const u8, usize),
    site: *const Location<'static>,
    token: (*const u8, usize),
    /// Where to write a fatal record too (-1: nowhere).
    fatal: RawFd,
}

impl Running {
    const NONE: Running = Running {
        guard_lo: 0,
        guard_hi: 0,
        stack_size: 0,
        thread: 0,
        name: (ptr::null(), 0),
        site: ptr::null(),
        token: (ptr::null(), 0),
        fatal: -1,
    };

    /// The record for `label`'s thread. The strings it points to must outlive the time it
    /// is [`enter`]ed: the thread's name lives as long as its run, and so does the token.
    pub(crate) fn new(
        label: &ThreadLabel,
        stack_size: usize,
        guard_lo: usize,
        token: &str,
    ) -> Running {
        let name = label.name.as_deref().unwrap_or("");
        Running::for_thread(label.id, name, label.spawn_site, stack_size, guard_lo, token)
    }

    /// As [`Running::new`], from the label's parts.
    pub(crate) fn for_thread(
        id: ThreadId,
        name: &str,
        site: &'static Location<'static>,
        stack_size: usize,
        guard_lo: usize,
        token: &str,
    ) -> Running {
        Running {
            // Accept faults up to 64 KiB below the guard too: a frame larger than a page
            // whose probe skipped past it.
            guard_lo: guard_lo.saturating_sub(64 * 1024),
            guard_hi: stack::guard_hi(guard_lo),
            stack_size,
            thread: id.as_u64(),
            name: (name.as_ptr(), name.len()),
            site,
            token: (token.as_ptr(), token.len()),
            fatal: -1,
        }
    }

    /// Also writes a fatal record (see [`record`]) to `fd`, if given.
    pub(crate) fn recording_to(self, fd: Option<RawFd>) -> Running {
        Running { fatal: fd.unwrap_or(-1), ..self }
    }
}

thread_local! {
    static RUNNING: Cell<Running> = const { Cell::new(Running::NONE) };
}

pub(crate) fn enter(running: Running) {
    RUNNING.set(running);
}

pub(crate) fn leave() {
    RUNNING.set(Running::NONE);
}

static INSTALL: Once = Once::new();
static PREVIOUS_SEGV: OnceLock<libc::sigaction> = OnceLock::new();
static PREVIOUS_BUS: OnceLock<libc::sigaction> = OnceLock::new();

/// Installs the handler (once per process) and makes sure this OS thread has an alternate
/// signal stack to run it on.
pub(crate) fn install() {
    INSTALL.call_once(|| {
        for (signal, previous) in [(libc::SIGSEGV, &PREVIOUS_SEGV), (libc::SIGBUS, &PREVIOUS_BUS)] {
            // SAFETY: a zeroed sigaction is a valid "no handler" value; we fill the fields we
            // use. sigaction(2) only reads `new` and writes `old`, both valid for the call.
            unsafe {
                let mut new: libc::sigaction = std::mem::zeroed();
                new.sa_sigaction = handler as *const () as usize;
                new.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut new.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(signal, &new, &mut old) == 0 {
                    let _ = previous.set(old);
                }
            }
        }
    });
    ALT_STACK.with(|_| {});
}

/// This OS thread's alternate signal stack, if it had none (std gives one to the threads it
/// starts; a thread started some other way may not have one).
struct AltStack(Option<(*mut libc::c_void, usize)>);

const ALT_STACK_SIZE: usize = 64 * 1024;

thread_local! {
    static ALT_STACK: AltStack = AltStack::ensure();
}

impl AltStack {
    fn ensure() -> AltStack {
        // SAFETY: sigaltstack with a null `new` only reads the current setting into `old`.
        let enabled = unsafe {
            let mut old: libc::stack_t = std::mem::zeroed();
            libc::sigaltstack(ptr::null(), &mut old) == 0 && old.ss_flags & libc::SS_DISABLE == 0
        };
        if enabled {
            return AltStack(None);
        }
        // SAFETY: an anonymous private mapping with no address hint has no preconditions.
        let mem = unsafe {
            libc::mmap(
                ptr::null_mut(),
                ALT_STACK_SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if mem == libc::MAP_FAILED {
            return AltStack(None);
        }
        let stack = libc::stack_t { ss_sp: mem, ss_flags: 0, ss_size: ALT_STACK_SIZE };
        // SAFETY: `stack` describes the mapping above, which stays mapped until `drop`
        // disables the alternate stack first.
        unsafe { libc::sigaltstack(&stack, ptr::null_mut()) };
        AltStack(Some((mem, ALT_STACK_SIZE)))
    }
}

impl Drop for AltStack {
    fn drop(&mut self) {
        if let Some((mem, len)) = self.0 {
            let disable =
                libc::stack_t { ss_sp: ptr::null_mut(), ss_flags: libc::SS_DISABLE, ss_size: 0 };
            // SAFETY: disabling the alternate stack before unmapping it, on the thread that
            // installed it; the mapping is ours and no longer in use.
            unsafe {
                libc::sigaltstack(&disable, ptr::null_mut());
                libc::munmap(mem, len);
            }
        }
    }
}

extern "C" fn handler(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    _context: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid siginfo_t for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    let running = RUNNING.get();
    if running.guard_hi != 0 && (running.guard_lo..running.guard_hi).contains(&addr) {
        report(&running);
        // SAFETY: abort is async-signal-safe.
        unsafe { libc::abort() };
    }
    // Not ours: put the previous handler back and return, so the fault happens again and
    // reaches it (Rust's own handler, or the default action).
    let previous = if signal == libc::SIGBUS { PREVIOUS_BUS.get() } else { PREVIOUS_SEGV.get() };
    // SAFETY: restoring a sigaction that sigaction(2) gave us; a zeroed one means SIG_DFL.
    unsafe {
        match previous {
            Some(old) => libc::sigaction(signal, old, ptr::null_mut()),
            None => {
                let mut dfl: libc::sigaction = std::mem::zeroed();
                dfl.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(signal, &dfl, ptr::null_mut())
            }
        };
    }
}

/// Writes the report with write(2) only.
fn report(r: &Running) {
    let mut digits = [0u8; 20];
    write_str("fatal error: stack overflow in green thread #");
    write_bytes(decimal(r.thread, &mut digits));
    if r.name.1 > 0 {
        write_str(" \"");
        // SAFETY: `name` points into the thread's `Arc<str>` name, alive for the whole run.
        write_bytes(unsafe { std::slice::from_raw_parts(r.name.0, r.name.1) });
        write_str("\"");
    }
    write_str("\n    its stack is ");
    write_bytes(decimal(r.stack_size as u64, &mut digits));
    write_str(" bytes");
    if !r.site.is_null() {
        // SAFETY: `site` came from a `&'static Location<'static>`.
        let site = unsafe { &*r.site };
        write_str("; spawned at ");
        write_str(site.file());
        write_str(":");
        write_bytes(decimal(u64::from(site.line()), &mut digits));
        write_str(":");
        write_bytes(decimal(u64::from(site.column()), &mut digits));
    }
    write_str(
        "\n\nhint: deep or unbounded recursion? Make it iterative, or give this thread a \
         bigger stack with sched::Builder::stack_size (or sim::Config::with_stack_size).\n",
    );
    if r.token.1 > 0 {
        write_str("\nreplay token: ");
        // SAFETY: `token` points into a string owned by the run, alive while it executes.
        write_bytes(unsafe { std::slice::from_raw_parts(r.token.0, r.token.1) });
        write_str("\n");
    }
    if r.fatal >= 0 {
        write_record(r);
    }
}

/// The same as a fatal record for a supervising process.
fn write_record(r: &Running) {
    let record = Record::begin(r.fatal, "stack-overflow");
    record.number("thread", r.thread);
    if r.name.1 > 0 {
        // SAFETY: as in `report`.
        record.field("name", unsafe { std::slice::from_raw_parts(r.name.0, r.name.1) });
    }
    if !r.site.is_null() {
        // SAFETY: as in `report`.
        record.location("spawned", unsafe { &*r.site });
    }
    record.number("stack_bytes", r.stack_size as u64);
    if r.token.1 > 0 {
        // SAFETY: as in `report`.
        record.field("token", unsafe { std::slice::from_raw_parts(r.token.0, r.token.1) });
    }
    record.end();
}

fn write_str(s: &str) {
    write_bytes(s.as_bytes());
}

fn write_bytes(bytes: &[u8]) {
    record::write_all(2, bytes);
}
