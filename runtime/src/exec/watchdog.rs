//! The wall-clock watchdog: catches a green thread that never reaches a scheduling point.
//!
//! A green thread gives up its processor only at a runtime operation, so a tight loop, a
//! `std::thread::sleep` or a std `Mutex` held across a yield stops the whole run. Such a
//! thread cannot be stopped safely from outside (unwinding it from a signal handler would be
//! undefined behaviour), so the watchdog prints a report naming it and its last scheduling
//! point (and, if the run's config asks, a fatal record for a supervising process), then
//! aborts the process. Whoever must survive that runs the program in a child process.
//!
//! Each OS thread that runs a sim owns one [`Heartbeat`]; the executor bumps its step counter
//! at every event (three relaxed stores). One watchdog OS thread, started on first use,
//! samples every heartbeat a few times per second.

use std::collections::HashMap;
use std::os::fd::RawFd;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Once, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::record::Record;
use crate::vocab::{DisplayDuration, ThreadLabel};

/// Progress of the run executing on one OS thread, as seen by the watchdog.
#[derive(Debug)]
pub(crate) struct Heartbeat {
    step: AtomicU64,
    thread: AtomicUsize,
    at: AtomicPtr<Location<'static>>,
    active: AtomicBool,
    limit_nanos: AtomicU64,
    info: Mutex<RunInfo>,
}

#[derive(Debug, Default)]
struct RunInfo {
    token: String,
    threads: Vec<ThreadLabel>,
    /// Where to write a fatal record too.
    fatal: Option<RawFd>,
}

static REGISTRY: Mutex<Vec<Weak<Heartbeat>>> = Mutex::new(Vec::new());
static START: Once = Once::new();

thread_local! {
    static HEARTBEAT: Arc<Heartbeat> = {
        let beat = Arc::new(Heartbeat {
            step: AtomicU64::new(0),
            thread: AtomicUsize::new(0),
            at: AtomicPtr::new(std::ptr::null_mut()),
            active: AtomicBool::new(false),
            limit_nanos: AtomicU64::new(0),
            info: Mutex::new(RunInfo::default()),
        });
        REGISTRY.lock().push(Arc::downgrade(&beat));
        beat
    };
}

/// This OS thread's heartbeat, armed for a new run.
pub(crate) fn heartbeat(limit: Duration, token: &str, fatal: Option<RawFd>) -> Arc<Heartbeat> {
    START.call_once(|| {
        std::thread::Builder::new()
            .name("gort-watchdog".into())
            .spawn(watch)
            .expect("gort: could not start the watchdog thread");
    });
    let beat = HEARTBEAT.with(Arc::clone);
    {
        let mut info = beat.info.lock();
        info.token.clear();
        info.token.push_str(token);
        info.threads.clear();
        info.fatal = fatal;
    }
    beat.limit_nanos.store(u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX), Relaxed);
    beat.step.store(0, Relaxed);
    beat.active.store(true, Relaxed);
    beat
}

impl Heartbeat {
    #[inline]
    pub(crate) fn beat(&self, step: u64, thread: usize, at: &'static Location<'static>) {
        self.step.store(step, Relaxed);
        self.thread.store(thread, Relaxed);
        self.at.store((at as *const Location<'static>).cast_mut(), Relaxed);
    }

    /// A context switch: `thread` runs now, its last scheduling point was `at`.
    #[inline]
    pub(crate) fn running(&self, thread: usize, at: &'static Location<'static>) {
        self.thread.store(thread, Relaxed);
        self.at.store((at as *const Location<'static>).cast_mut(), Relaxed);
    }

    pub(crate) fn add_thread(&self, label: &ThreadLabel) {
        self.info.lock().threads.push(label.clone());
    }

    pub(crate) fn stop(&self) {
        self.active.store(false, Relaxed);
    }
}

/// How often the watchdog samples.
const TICK: Duration = Duration::from_millis(50);

#[allow(clippy::disallowed_methods)] // the watchdog is an OS thread: it really sleeps
fn watch() {
    let mut seen: HashMap<usize, (u64, Instant)> = HashMap::new();
    loop {
        std::thread::sleep(TICK);
        let beats: Vec<Arc<Heartbeat>> = {
            let mut registry = REGISTRY.lock();
            registry.retain(|w| w.strong_count() > 0);
            registry.iter().filter_map(Weak::upgrade).collect()
        };
        let now = Instant::now();
        for beat in beats {
            let key = Arc::as_ptr(&beat) as usize;
            if !beat.active.load(Relaxed) {
                seen.remove(&key);
                continue;
            }
            let step = beat.step.load(Relaxed);
            let entry = seen.entry(key).or_insert((step, now));
            if entry.0 != step {
                *entry = (step, now);
                continue;
            }
            let limit = Duration::from_nanos(beat.limit_nanos.load(Relaxed));
            if now.duration_since(entry.1) >= limit && beat.active.load(Relaxed) {
                fire(&beat, limit);
            }
        }
    }
}

/// Prints the report for a stuck run and aborts the process.
fn fire(beat: &Heartbeat, limit: Duration) -> ! {
    let thread = beat.thread.load(Relaxed);
    let step = beat.step.load(Relaxed);
    let at = beat.at.load(Relaxed);
    let info = beat.info.lock();
    let label = info.threads.get(thread);
    let mut text = String::from("fatal error: watchdog: ");
    match label {
        Some(l) => {
            text.push_str(&format!("green thread {}", l.id));
            if let Some(name) = &l.name {
                text.push_str(&format!(" {name:?}"));
            }
        }
        None => text.push_str("a green thread"),
    }
    text.push_str(&format!(" has not reached a scheduling point for {}\n", DisplayDuration(limit)));
    if !at.is_null() {
        // SAFETY: `at` was stored from a `&'static Location<'static>` in `beat`.
        let at = unsafe { &*at };
        text.push_str(&format!("    its last scheduling point was at {at} (step {step})\n"));
    }
    if let Some(l) = label {
        match l.parent {
            Some(p) => {
                text.push_str(&format!("    spawned at {} by green thread {p}\n", l.spawn_site))
            }
            None => text.push_str(&format!("    started by sim::run at {}\n", l.spawn_site)),
        }
    }
    text.push_str(
        "\nhint: A green thread gives up its processor only at a runtime operation (a channel \
         send or receive, join, time::sleep, yield_now). A loop that never calls one, \
         std::thread::sleep, or a std Mutex held while another green thread needs it stops \
         every other thread. Add a scheduling point to the loop, use gort's time and sync \
         instead of std's, or raise Config::with_watchdog if this is long real computation.\n",
    );
    text.push_str(&format!("\nreplay token: {}\n", info.token));
    eprint!("{text}");
    if let Some(fd) = info.fatal {
        let record = Record::begin(fd, "watchdog");
        if let Some(l) = label {
            record.number("thread", l.id.as_u64());
            if let Some(name) = &l.name {
                record.field("name", name.as_bytes());
            }
            record.location("spawned", l.spawn_site);
        }
        if !at.is_null() {
            // SAFETY: as above.
            record.location("at", unsafe { &*at });
        }
        record.number("limit_ms", u64::try_from(limit.as_millis()).unwrap_or(u64::MAX));
        record.field("token", info.token.as_bytes());
        record.end();
    }
    std::process::abort()
}
