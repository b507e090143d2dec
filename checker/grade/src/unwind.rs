//! A panic that escapes a `Drop` while its thread is already unwinding: Rust aborts the whole
//! process, so no result can be reported. Before the abort, the harness says on stderr what
//! happened, where, for which input, and how to replay it (the checker shows a crashed
//! property's last words on stderr).

use std::cell::RefCell;
use std::fmt::Write as _;
use std::panic::{self, PanicHookInfo};
use std::sync::{Once, OnceLock};

use crate::token::ReplayToken;
use crate::wire::tidy_path;

/// The message of the panic Rust raises, without unwinding, when a destructor panics during
/// unwinding (`core::panicking::panic_in_cleanup`).
const IN_CLEANUP: &str = "panic in a destructor during cleanup";

/// Characters of the input shown at most (the replay token carries all of it).
const INPUT_SHOWN: usize = 300;
/// Characters of a panic message shown at most (its first line only).
const MESSAGE_SHOWN: usize = 160;

static INSTALL: Once = Once::new();
static LESSON: OnceLock<String> = OnceLock::new();

/// What the harness is trying when a panic comes.
struct Attempt {
    property: String,
    input: String,
    json: String,
}

thread_local! {
    static ATTEMPT: RefCell<Option<Attempt>> = const { RefCell::new(None) };
    /// The last two panics on this OS thread (message, location), newest last.
    static RECENT: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

/// Names the lesson for the replay command.
pub(crate) fn set_lesson(lesson: &str) {
    let _ = LESSON.set(lesson.to_string());
}

/// Records the input about to be tried on this OS thread, and installs the hook (once, on top
/// of gort's own, so that it sees panics inside green threads too).
pub(crate) fn attempting(property: &str, input: String, json: String) {
    INSTALL.call_once(|| {
        // gort installs its hook with its first run: make sure it is there to be wrapped.
        let _ = gort::sim::run(&gort::sim::Config::default(), || ());
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            note(info);
            previous(info);
        }));
    });
    ATTEMPT.with(|a| {
        *a.borrow_mut() = Some(Attempt { property: property.to_string(), input, json });
    });
}

fn note(info: &PanicHookInfo<'_>) {
    let message = info.payload_as_str().unwrap_or("Box<dyn Any>");
    if message == IN_CLEANUP {
        // What follows this hook is the abort: say why while we still can.
        eprint!("{}", explain());
        return;
    }
    let at =
        info.location().map_or_else(|| "an unknown line".into(), |l| tidy_path(&l.to_string()));
    let _ = RECENT.try_with(|r| {
        if let Ok(mut r) = r.try_borrow_mut() {
            if r.len() == 2 {
                r.remove(0);
            }
            r.push((shortened(message, MESSAGE_SHOWN), at));
        }
    });
}

/// The words printed before the abort (at most eleven lines: the checker shows twelve).
fn explain() -> String {
    let mut text = String::from(
        "panic while unwinding: a destructor (a Drop, such as a guard's) panicked while its \
         thread was already unwinding from a panic, and Rust then aborts the whole process.\n",
    );
    let recent = RECENT.try_with(|r| r.try_borrow().map(|r| r.clone()).unwrap_or_default());
    let recent = recent.unwrap_or_default();
    if let Some((message, at)) = recent.last() {
        let _ = writeln!(text, "  the panic that escaped the Drop: {message:?} at {at}");
    }
    if let [(message, at), _] = recent.as_slice() {
        let _ = writeln!(text, "  the panic it was unwinding from: {message:?} at {at}");
    }
    let attempt = ATTEMPT.try_with(|a| {
        a.try_borrow()
            .ok()
            .and_then(|a| a.as_ref().map(|a| (a.property.clone(), a.input.clone(), a.json.clone())))
    });
    if let Ok(Some((property, input, json))) = attempt {
        let input = shortened(&input, INPUT_SHOWN);
        let token = ReplayToken { property: property.clone(), input: json, schedule: None };
        let lesson = LESSON.get().map_or("LESSON", String::as_str);
        let _ = writeln!(text, "  property: {property}; input: {input}");
        let _ = writeln!(text, "  replay: cargo run -p checker -- replay {lesson} {token}");
    }
    text.push_str(
        "A Drop that can run during unwinding must not panic: look at what it calls (a done \
         past zero panics, so does an assert), and check std::thread::panicking() if it must \
         behave differently then.\n",
    );
    text
}

/// The first line of `text`, cut to `max` characters (with "..." when cut).
fn shortened(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    let mut out: String = line.chars().take(max).collect();
    if out.len() < text.len() {
        out.push_str("...");
    }
    out
}
