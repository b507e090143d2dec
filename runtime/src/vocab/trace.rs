//! The trace: every scheduling decision and visible operation of a run, in order.
//!
//! A [`Trace`] is what a failure report's timeline, the property checks ("at most W in
//! flight") and the book's figures are drawn from. Each [`Event`] records the virtual time,
//! the green thread, the operation, the object it touched and the source line that did it.

use std::collections::VecDeque;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use super::display::{DisplayDuration, FNV_OFFSET};
use super::object::{ObjectId, ObjectKind, ObjectMeta, Op};
use super::thread::ThreadId;

/// One entry of the trace.
///
/// # Examples
///
/// ```
/// use gort::{diag::Op, sim, time};
/// use std::time::Duration;
///
/// let report = sim::run(&sim::Config::default(), || time::sleep(Duration::from_secs(1)));
/// let sleep = report.trace().events().find(|e| matches!(e.op, Op::Sleep(_))).unwrap();
/// assert_eq!(sleep.time, Duration::ZERO);
/// assert_eq!(sleep.thread.as_u64(), 1); // main is green thread 1, as in Go
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Position in the run: 1 for the first event.
    pub step: u64,
    /// Virtual time when it happened.
    pub time: Duration,
    /// The green thread it belongs to.
    pub thread: ThreadId,
    /// What happened.
    pub op: Op,
    /// The object involved, if any.
    pub object: Option<ObjectId>,
    /// The source line that caused it.
    pub location: &'static Location<'static>,
}

/// The name of a green thread as shown in reports and timelines.
///
/// # Examples
///
/// ```
/// use gort::{go, sched, sim};
///
/// let report = sim::run(&sim::Config::default(), || {
///     sched::Builder::new().name("worker").spawn(|| ()).unwrap().join().unwrap();
/// });
/// let labels: Vec<String> = report.trace().threads().map(|t| t.to_string()).collect();
/// assert_eq!(labels, ["#1 main", "#2 worker"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadLabel {
    pub(crate) id: ThreadId,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) spawn_site: &'static Location<'static>,
    pub(crate) parent: Option<ThreadId>,
}

impl ThreadLabel {
    /// The thread's id.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sched, sim};
    ///
    /// let config = sim::Config::default();
    /// let report = sim::run(&config, || go(|| sched::current().id()).join().unwrap());
    /// let child = report.trace().threads().nth(1).unwrap();
    /// assert_eq!(child.id(), *report.value().unwrap());
    /// assert_eq!(child.id().as_u64(), 2);
    /// ```
    pub fn id(&self) -> ThreadId {
        self.id
    }
    /// Its name, if it was given one.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sched, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     go(|| ()).join().unwrap();
    ///     sched::Builder::new().name("db").spawn(|| ()).unwrap().join().unwrap();
    /// });
    /// let names: Vec<Option<&str>> = report.trace().threads().map(|t| t.name()).collect();
    /// assert_eq!(names, [Some("main"), None, Some("db")]);
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    /// Where `go` (or `run`, for main) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let line = line!() + 1;
    ///     go(|| ()).join().unwrap();
    ///     line
    /// });
    /// let child = report.trace().threads().nth(1).unwrap();
    /// assert_eq!(child.spawn_site().line(), *report.value().unwrap());
    /// ```
    pub fn spawn_site(&self) -> &'static Location<'static> {
        self.spawn_site
    }
    /// The thread that spawned it (`None` for main).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     go(|| go(|| ()).join().unwrap()).join().unwrap(); // main spawns #2, which spawns #3
    /// });
    /// let parents: Vec<Option<u64>> =
    ///     report.trace().threads().map(|t| t.parent().map(|p| p.as_u64())).collect();
    /// assert_eq!(parents, [None, Some(1), Some(2)]);
    /// ```
    pub fn parent(&self) -> Option<ThreadId> {
        self.parent
    }
}

impl fmt::Display for ThreadLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{} {}", self.id, name),
            None => write!(f, "{}", self.id),
        }
    }
}

/// The recorded events of one run, with the objects and threads they refer to.
///
/// Keeps at most [`Config::with_trace_limit`](crate::sim::Config::with_trace_limit) events
/// (the most recent ones); [`fingerprint`](Trace::fingerprint) still covers every event.
///
/// # Examples
///
/// ```
/// use gort::{go, sim};
///
/// fn program() -> i32 {
///     go(|| 1).join().unwrap()
/// }
/// let config = sim::Config::default().with_seed(3);
/// let a = sim::run(&config, program);
/// let b = sim::run(&config, program);
/// assert_eq!(a.trace().to_string(), b.trace().to_string());
/// assert_eq!(a.trace().fingerprint(), b.trace().fingerprint());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub(crate) events: VecDeque<Event>,
    pub(crate) dropped: u64,
    pub(crate) objects: Vec<ObjectMeta>,
    pub(crate) threads: Vec<ThreadLabel>,
    pub(crate) hash: u64,
    pub(crate) limit: usize,
}

impl Trace {
    pub(crate) fn new(limit: usize) -> Self {
        Trace { hash: FNV_OFFSET, limit, ..Default::default() }
    }

    /// Folds an event into the fingerprint and keeps it if the limit allows.
    #[inline]
    pub(crate) fn record(
        &mut self,
        step: u64,
        now_nanos: u64,
        thread: ThreadId,
        op: Op,
        object: Option<ObjectId>,
        location: &'static Location<'static>,
    ) {
        let (code, arg) = op.code();
        let mut h = self.hash;
        for word in [
            now_nanos,
            thread.as_u64() << 8 | code,
            arg,
            object.map_or(0, |o| u64::from(o.0) + 1),
            u64::from(location.line()) << 32 | u64::from(location.column()),
        ] {
            h = mix(h, word);
        }
        self.hash = h;
        if self.limit == 0 {
            self.dropped += 1;
            return;
        }
        if self.events.len() == self.limit {
            self.events.pop_front();
            self.dropped += 1;
        }
        let time = Duration::from_nanos(now_nanos);
        self.events.push_back(Event { step, time, thread, op, object, location });
    }

    /// The kept events, oldest first.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, diag::Op, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let (tx, rx) = chan::bounded(1);
    ///     tx.send(1).unwrap();
    ///     rx.recv().unwrap()
    /// });
    /// let ops: Vec<Op> = report.trace().events().map(|e| e.op).collect();
    /// let at = |op| ops.iter().position(|o| *o == op).unwrap();
    /// assert!(at(Op::Send) < at(Op::Recv)); // oldest first
    /// ```
    pub fn events(&self) -> impl DoubleEndedIterator<Item = &Event> + ExactSizeIterator {
        self.events.iter()
    }

    /// How many events happened in all (kept or not).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sim};
    ///
    /// let config = sim::Config::default().with_trace_limit(1);
    /// let report = sim::run(&config, || go(|| ()).join().unwrap());
    /// assert_eq!(report.trace().events().len(), 1); // only one is kept...
    /// assert_eq!(report.trace().len(), report.stats().steps); // ...but all are counted
    /// ```
    pub fn len(&self) -> u64 {
        self.dropped + self.events.len() as u64
    }

    /// True if nothing happened.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{diag::Trace, sim};
    ///
    /// assert!(Trace::default().is_empty());
    /// let config = sim::Config::default().with_trace_limit(0);
    /// let report = sim::run(&config, || ());
    /// assert_eq!(report.trace().events().len(), 0); // nothing kept,
    /// assert!(!report.trace().is_empty()); // but main's exit happened
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many of the oldest events were not kept.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{diag::Op, sched, sim};
    ///
    /// let config = sim::Config::default().with_trace_limit(2);
    /// let report = sim::run(&config, || (0..5).for_each(|_| sched::yield_now()));
    /// let trace = report.trace();
    /// assert_eq!(trace.events().len(), 2); // only the last 2 events are kept
    /// assert_eq!(trace.dropped(), trace.len() - 2);
    /// assert_eq!(trace.events().last().unwrap().op, Op::Exit);
    /// ```
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// A 64-bit fingerprint of every event (time, thread, operation, object, line and
    /// column): two runs with the same fingerprint took the same schedule.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, time};
    /// use std::time::Duration;
    ///
    /// fn nap(ms: u64) {
    ///     time::sleep(Duration::from_millis(ms));
    /// }
    /// let config = sim::Config::default();
    /// let (a, b) = (sim::run(&config, || nap(1)), sim::run(&config, || nap(1)));
    /// let c = sim::run(&config, || nap(2));
    /// assert_eq!(a.trace().fingerprint(), b.trace().fingerprint());
    /// assert_ne!(a.trace().fingerprint(), c.trace().fingerprint());
    /// ```
    pub fn fingerprint(&self) -> u64 {
        self.hash
    }

    /// Every object created during the run, in creation order.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let _a = chan::Builder::new().name("a").bounded::<u8>(0);
    ///     let _b = chan::Builder::new().name("b").bounded::<u8>(1);
    /// });
    /// let names: Vec<&str> = report.trace().objects().map(|o| o.name().unwrap()).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// ```
    pub fn objects(&self) -> impl Iterator<Item = &ObjectMeta> {
        self.objects.iter()
    }

    /// The object with this id.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, diag::Op, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let (tx, rx) = chan::Builder::new().name("jobs").bounded(1);
    ///     tx.send(1).unwrap();
    ///     rx.recv().unwrap()
    /// });
    /// let recv = report.trace().events().find(|e| e.op == Op::Recv).unwrap();
    /// assert_eq!(report.trace().object(recv.object.unwrap()).unwrap().name(), Some("jobs"));
    /// ```
    pub fn object(&self, id: ObjectId) -> Option<&ObjectMeta> {
        self.objects.get(id.0 as usize)
    }

    /// Every green thread of the run, in spawn order (main first).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sched, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     go(|| ()).join().unwrap();
    ///     sched::Builder::new().name("second").spawn(|| ()).unwrap().join().unwrap();
    /// });
    /// let labels: Vec<String> = report.trace().threads().map(|t| t.to_string()).collect();
    /// assert_eq!(labels, ["#1 main", "#2", "#3 second"]);
    /// ```
    pub fn threads(&self) -> impl Iterator<Item = &ThreadLabel> {
        self.threads.iter()
    }

    /// The thread with this id.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{diag::Op, sched, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let worker = sched::Builder::new().name("worker");
    ///     worker.spawn(|| sched::yield_now()).unwrap().join().unwrap();
    /// });
    /// let yielded = report.trace().events().find(|e| e.op == Op::Yield).unwrap();
    /// assert_eq!(report.trace().thread(yielded.thread).unwrap().name(), Some("worker"));
    /// ```
    pub fn thread(&self, id: ThreadId) -> Option<&ThreadLabel> {
        self.threads.get(id.index())
    }

    /// A lane chart of the last `tail` events, one column per thread; see [`Timeline`].
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || go(|| ()).join().unwrap());
    /// let chart = report.trace().timeline(3).to_string();
    /// assert_eq!(chart.lines().count(), 1 + 3); // a header, then the last 3 events
    /// assert!(chart.lines().last().unwrap().contains("exit"));
    /// ```
    pub fn timeline(&self, tail: usize) -> Timeline<'_> {
        Timeline { trace: self, tail }
    }

    pub(crate) fn describe_object(&self, id: Option<ObjectId>) -> Option<String> {
        let meta = self.object(id?)?;
        Some(match &meta.name {
            Some(name) => name.to_string(),
            None => format!("{}@{}", short_kind(meta.kind), meta.created.line()),
        })
    }
}

fn short_kind(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Channel { .. } => "chan",
        ObjectKind::Other(name) => name,
    }
}

impl fmt::Display for Trace {
    /// One line per kept event: `step time thread op [object] location`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dropped > 0 {
            writeln!(f, "({} earlier events not kept)", self.dropped)?;
        }
        for e in &self.events {
            write!(f, "{:>6} {:>9} {:<4} {}", e.step, DisplayDuration(e.time), e.thread, e.op)?;
            if let Some(obj) = self.describe_object(e.object) {
                write!(f, " {obj}")?;
            }
            writeln!(f, " at {}", e.location)?;
        }
        Ok(())
    }
}

/// A compact text timeline: one lane per green thread, one row per event.
///
/// ```text
///   step      time │ #1 main             │ #2 worker
///     12       0s  │ send jobs           │
///     13       0s  │                     │ recv jobs
/// ```
///
/// # Examples
///
/// ```
/// use gort::{chan, go, sim};
///
/// let report = sim::run(&sim::Config::default(), || {
///     let (tx, rx) = chan::bounded::<u8>(0);
///     let h = go(move || tx.send(7).unwrap());
///     assert_eq!(rx.recv().unwrap(), 7);
///     h.join().unwrap();
/// });
/// let chart = report.trace().timeline(50).to_string();
/// assert!(chart.contains("#1 main") && chart.contains("#2"));
/// assert!(chart.contains("send"));
/// ```
#[derive(Debug)]
pub struct Timeline<'a> {
    trace: &'a Trace,
    tail: usize,
}

const LANE: usize = 22;
const MAX_LANES: usize = 6;

impl fmt::Display for Timeline<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let events: Vec<&Event> = {
            let skip = self.trace.events.len().saturating_sub(self.tail);
            self.trace.events.iter().skip(skip).collect()
        };
        // Lanes: the threads that appear in the tail, in id order, at most MAX_LANES.
        let mut lanes: Vec<ThreadId> = events.iter().map(|e| e.thread).collect();
        lanes.sort();
        lanes.dedup();
        let hidden = lanes.len().saturating_sub(MAX_LANES);
        lanes.truncate(MAX_LANES);
        write!(f, "  {:>6} {:>9} ", "step", "time")?;
        for &id in &lanes {
            let label = match self.trace.thread(id) {
                Some(label) => label.to_string(),
                None => id.to_string(),
            };
            write!(f, "│ {:<w$}", clip(&label, LANE - 1), w = LANE - 1)?;
        }
        if hidden > 0 {
            write!(f, "│ (+{hidden} threads not shown)")?;
        }
        writeln!(f)?;
        for e in events {
            let Some(lane) = lanes.iter().position(|&t| t == e.thread) else { continue };
            let mut text = e.op.to_string();
            if let Some(obj) = self.trace.describe_object(e.object) {
                text.push(' ');
                text.push_str(&obj);
            }
            write!(f, "  {:>6} {:>9} ", e.step, DisplayDuration(e.time))?;
            for i in 0..lanes.len() {
                let cell = if i == lane { clip(&text, LANE - 1) } else { String::new() };
                write!(f, "│ {:<w$}", cell, w = LANE - 1)?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(width - 1).collect();
        out.push('…');
        out
    }
}

/// Folds one word into a fingerprint (a word-at-a-time multiply-rotate mix: one multiply per
/// word, on the hot path of every event). Part of the token format, like the PRNG.
#[inline]
fn mix(h: u64, word: u64) -> u64 {
    (h.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}
