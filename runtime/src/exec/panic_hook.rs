//! The panic hook: a panic inside a green thread goes into the run's report, not to stderr.

use std::any::Any;
use std::panic;

use parking_lot::Mutex;

/// An executor's way to keep what the hook saw (message, `file:line:col`) for the report of
/// the green thread panicking on this OS thread. False if no green thread of it runs here.
pub(crate) type Capture = fn(message: &str, location: Option<String>) -> bool;

/// The executors' captures, asked in turn; `None` until the hook is installed.
static CAPTURES: Mutex<Option<Vec<Capture>>> = Mutex::new(None);

/// Installs the hook (once per process) and adds `capture` to what it asks. Panics outside
/// green threads still reach the hook that was installed before (the default one prints as
/// usual).
pub(crate) fn install(capture: Capture) {
    let mut captures = CAPTURES.lock();
    let list = captures.get_or_insert_with(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let message = info.payload_as_str().unwrap_or("Box<dyn Any>");
            let location = || info.location().map(|l| l.to_string());
            // Copied out, so that no capture runs with the lock held.
            let captures = CAPTURES.lock().clone().unwrap_or_default();
            if !captures.iter().any(|capture| capture(message, location())) {
                previous(info);
            }
        }));
        Vec::new()
    });
    if !list.iter().any(|&c| std::ptr::fn_addr_eq(c, capture)) {
        list.push(capture);
    }
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
