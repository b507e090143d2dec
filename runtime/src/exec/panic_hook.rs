//! The panic hook: a panic inside a green thread goes into the run's report, not to stderr.

use std::any::Any;
use std::panic;
use std::sync::{Once, OnceLock};

/// An executor's way to keep what the hook saw (message, `file:line:col`) for the report of
/// the green thread panicking on this OS thread. False if no green thread of it runs here.
pub(crate) type Capture = fn(message: &str, location: Option<String>) -> bool;

static INSTALL: Once = Once::new();

/// The executors' captures (one slot each), asked in turn. Set once and then only read, so
/// the hook takes no lock: several carriers may panic at once.
static CAPTURES: [OnceLock<Capture>; 2] = [OnceLock::new(), OnceLock::new()];

/// Installs the hook (once per process) and adds `capture` to what it asks. Panics outside
/// green threads still reach the hook that was installed before (the default one prints as
/// usual).
pub(crate) fn install(capture: Capture) {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let message = info.payload_as_str().unwrap_or("Box<dyn Any>");
            let captured = CAPTURES
                .iter()
                .filter_map(OnceLock::get)
                .any(|capture| capture(message, info.location().map(|l| l.to_string())));
            if !captured {
                previous(info);
            }
        }));
    });
    for slot in &CAPTURES {
        let _ = slot.set(capture);
        if slot.get().is_some_and(|&c| std::ptr::fn_addr_eq(c, capture)) {
            return;
        }
    }
    debug_assert!(false, "more panic captures than executors");
}

/// The message of a panic payload, the way the default hook would print it.
pub(crate) fn payload_message(payload: &Box<dyn Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_string()
    }
}
