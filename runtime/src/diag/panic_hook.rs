//! The panic hook: a panic inside a green thread goes into the run's report, not to stderr.

use std::any::Any;
use std::panic;
use std::sync::Once;

use crate::sim::exec;

static INSTALL: Once = Once::new();

/// Installs the hook once per process. Panics outside green threads still reach the hook
/// that was installed before (the default one prints as usual).
pub(crate) fn install() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let captured = exec::in_green_thread()
                && exec::try_with(|sim| match sim.state.try_borrow_mut() {
                    Ok(mut st) => {
                        let message = info.payload_as_str().unwrap_or("Box<dyn Any>").to_string();
                        let location = info.location().map(|l| l.to_string());
                        st.last_panic = Some((message, location));
                        true
                    }
                    Err(_) => false,
                })
                .unwrap_or(false)
                || crate::par::current().is_some_and(|c| {
                    let message = info.payload_as_str().unwrap_or("Box<dyn Any>").to_string();
                    c.capture_panic(message, info.location().map(|l| l.to_string()))
                });
            if !captured {
                previous(info);
            }
        }));
    });
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
