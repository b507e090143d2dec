//! Panics outside green threads: where the last one happened, kept instead of printed.

use std::cell::RefCell;

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Where the last panic outside a green thread happened (on this OS thread).
pub(crate) fn last_panic_location() -> Option<String> {
    LAST_PANIC.with(|p| p.borrow_mut().take())
}

/// Panics outside green threads are verdicts, not noise on stderr: record where they
/// happened and print nothing. (gort's own hook, installed later, wraps this one and keeps
/// green threads' panics for their reports.)
pub(crate) fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| crate::wire::tidy_path(&l.to_string()));
        LAST_PANIC.with(|p| *p.borrow_mut() = at);
    }));
}
