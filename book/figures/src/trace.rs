//! Reading a run's trace: who spawned whom, when a blocking operation started and ended.

use std::time::Duration;

use gort::diag::{Event, Op, Trace};
use gort::sched::ThreadId;

/// Milliseconds of virtual time, as the charts' axis counts them.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A blocking operation of one thread: the event that started it and the time it ended.
#[derive(Clone, Debug)]
pub struct Span<'a> {
    /// The event that started the operation (a `sleep`, a `select`, a `work`).
    pub start: &'a Event,
    /// When the thread was woken (or exited) after it.
    pub end: Duration,
    /// The event that ended it: the thread's `woken` (or `exit`) event.
    pub end_event: &'a Event,
}

/// Every operation of `thread` that `starts` picks, each ended by that thread's next `woken`
/// event (or its `exit`, when it never blocked). In trace order.
pub fn spans<'a>(
    trace: &'a Trace,
    thread: ThreadId,
    starts: impl Fn(&Event) -> bool,
) -> Vec<Span<'a>> {
    let events: Vec<&Event> = trace.events().filter(|e| e.thread == thread).collect();
    let mut out = vec![];
    for (i, start) in events.iter().enumerate() {
        if !starts(start) {
            continue;
        }
        let end_event = events[i + 1..]
            .iter()
            .find(|e| matches!(e.op, Op::Wake | Op::Exit))
            .expect("a blocked thread is woken or the run ends with it exited");
        out.push(Span { start, end: end_event.time, end_event });
    }
    out
}

/// The threads `parent` spawned, in spawn order.
pub fn spawned(trace: &Trace, parent: ThreadId) -> Vec<ThreadId> {
    trace
        .events()
        .filter(|e| e.thread == parent)
        .filter_map(|e| match e.op {
            Op::Spawn(child) => Some(child),
            _ => None,
        })
        .collect()
}

/// When `thread` exited.
pub fn exit_time(trace: &Trace, thread: ThreadId) -> Duration {
    trace
        .events()
        .find(|e| e.thread == thread && e.op == Op::Exit)
        .expect("every thread of a finished run exits")
        .time
}

/// The main thread (the one the run started with).
pub fn main_thread(trace: &Trace) -> ThreadId {
    trace.threads().next().expect("a run has a main thread").id()
}

/// How a thread is named in a tooltip: `#3 worker 1`, with where it was spawned (the file,
/// not the line, so that editing a comment elsewhere does not change the figure).
pub fn thread_label(trace: &Trace, thread: ThreadId) -> String {
    match trace.thread(thread) {
        Some(label) => format!("{label} (spawned in {})", label.spawn_site().file()),
        None => thread.to_string(),
    }
}

/// An event as a tooltip line: `#2 sleep 80ms at 30 ms, in solutions/06_worker_pool/src/lib.rs`.
pub fn describe(trace: &Trace, e: &Event) -> String {
    let mut text = format!("{} {}", e.thread, e.op);
    if let Some(obj) =
        e.object.and_then(|o| trace.object(o)).and_then(|o| o.name().map(str::to_string))
    {
        text.push(' ');
        text.push_str(&obj);
    }
    format!("{text} at {} ms, in {}", crate::svg::num(ms(e.time)), e.location.file())
}
