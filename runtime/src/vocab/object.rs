//! What the trace records about runtime objects and operations: ops, object ids and kinds,
//! and the handle a primitive carries to name itself to its executor.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use super::display::{DisplayDuration, FNV_OFFSET, fnv1a};
use super::thread::ThreadId;

/// A visible operation, as recorded in the trace and named in reports.
///
/// # Examples
///
/// ```
/// use gort::diag::Op;
/// use std::time::Duration;
///
/// assert_eq!(Op::Sleep(Duration::from_millis(200)).to_string(), "sleep 200ms");
/// assert_eq!(Op::Send.to_string(), "send");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Op {
    /// The thread spawned the given thread.
    Spawn(ThreadId),
    /// `yield_now()`.
    Yield,
    /// A blocking channel send.
    Send,
    /// A blocking channel receive.
    Recv,
    /// `try_send`, which never blocks.
    TrySend,
    /// `try_recv`, which never blocks.
    TryRecv,
    /// Dropping the last sender (closes the channel) or the last receiver.
    Close,
    /// `time::sleep(d)`.
    Sleep(Duration),
    /// `time::work(d)`: occupying a virtual processor.
    Work(Duration),
    /// Waiting for a free virtual processor before `work`.
    WaitProcessor,
    /// `sched::park()`.
    Park,
    /// Waiting for the given thread to finish (`JoinHandle::join`).
    Join(ThreadId),
    /// The thread blocked in the operation it had just started.
    Block,
    /// The thread became runnable again.
    Wake,
    /// The thread's closure returned (or panicked) and the thread ended.
    Exit,
    /// The thread panicked.
    Panic,
    /// A `select!`: the point where it polls its arms (and blocks if none is ready).
    Select,
    /// `Mutex::lock`, or `RwLock::write`: waiting for exclusive access.
    Lock,
    /// `RwLock::read`: waiting for shared access.
    RLock,
    /// Releasing a `Mutex` or `RwLock` (a guard dropped).
    Unlock,
    /// `WaitGroup::wait`: waiting for the counter to reach zero.
    WaitGroup,
    /// `Once::call_once` waiting for another thread's call to finish.
    Once,
    /// A timer (`time::after`, a `Ticker`, a context deadline) fired; recorded for the thread
    /// that armed it.
    Timer,
    /// An operation named by a primitive outside this module.
    Other(&'static str),
}

impl Op {
    /// A stable numeric code for the trace fingerprint (independent of `Debug` output).
    pub(super) fn code(self) -> (u64, u64) {
        match self {
            Op::Spawn(t) => (2, t.as_u64()),
            Op::Yield => (3, 0),
            Op::Send => (4, 0),
            Op::Recv => (5, 0),
            Op::TrySend => (6, 0),
            Op::TryRecv => (7, 0),
            Op::Close => (8, 0),
            Op::Sleep(d) => (9, d.as_nanos() as u64),
            Op::Work(d) => (10, d.as_nanos() as u64),
            Op::WaitProcessor => (11, 0),
            Op::Park => (12, 0),
            Op::Join(t) => (13, t.as_u64()),
            Op::Block => (14, 0),
            Op::Wake => (15, 0),
            Op::Exit => (16, 0),
            Op::Panic => (17, 0),
            Op::Other(name) => (18, fnv1a(FNV_OFFSET, name.as_bytes())),
            Op::Select => (19, 0),
            Op::Lock => (20, 0),
            Op::RLock => (21, 0),
            Op::Unlock => (22, 0),
            Op::WaitGroup => (23, 0),
            Op::Once => (24, 0),
            Op::Timer => (25, 0),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Spawn(t) => write!(f, "go {t}"),
            Op::Yield => f.write_str("yield"),
            Op::Send => f.write_str("send"),
            Op::Recv => f.write_str("recv"),
            Op::TrySend => f.write_str("try_send"),
            Op::TryRecv => f.write_str("try_recv"),
            Op::Close => f.write_str("close"),
            Op::Sleep(d) => write!(f, "sleep {}", DisplayDuration(*d)),
            Op::Work(d) => write!(f, "work {}", DisplayDuration(*d)),
            Op::WaitProcessor => f.write_str("wait for a processor"),
            Op::Park => f.write_str("park"),
            Op::Join(t) => write!(f, "join {t}"),
            Op::Block => f.write_str("blocked"),
            Op::Wake => f.write_str("woken"),
            Op::Exit => f.write_str("exit"),
            Op::Panic => f.write_str("panic"),
            Op::Other(name) => f.write_str(name),
            Op::Select => f.write_str("select"),
            Op::Lock => f.write_str("lock"),
            Op::RLock => f.write_str("read-lock"),
            Op::Unlock => f.write_str("unlock"),
            Op::WaitGroup => f.write_str("wait"),
            Op::Once => f.write_str("once"),
            Op::Timer => f.write_str("timer fires"),
        }
    }
}

/// Identifies a runtime object (a channel, a lock, ...) within one run.
///
/// Ids are handed out in creation order, so they are the same in every replay of a run.
///
/// # Examples
///
/// ```
/// use gort::{chan, sim};
///
/// let report = sim::run(&sim::Config::default(), || {
///     let (tx, rx) = chan::Builder::new().name("jobs").bounded::<u32>(1);
///     tx.send(1).unwrap();
///     rx.recv().unwrap()
/// });
/// let send = report.trace().events().find(|e| e.op == gort::diag::Op::Send).unwrap();
/// let jobs = report.trace().object(send.object.unwrap()).unwrap();
/// assert_eq!(jobs.name(), Some("jobs"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(pub(crate) u32);

/// What kind of object an [`ObjectId`] names.
///
/// # Examples
///
/// ```
/// use gort::diag::ObjectKind;
/// assert_eq!(ObjectKind::Channel { capacity: 0 }.to_string(), "unbuffered chan");
/// assert_eq!(ObjectKind::Channel { capacity: 3 }.to_string(), "chan (capacity 3)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectKind {
    /// A channel and its capacity (0 for a rendezvous channel).
    Channel {
        /// Buffer capacity.
        capacity: usize,
    },
    /// Any other primitive, by its Go-style name ("sync.Mutex", ...).
    Other(&'static str),
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectKind::Channel { capacity: 0 } => f.write_str("unbuffered chan"),
            ObjectKind::Channel { capacity } => write!(f, "chan (capacity {capacity})"),
            ObjectKind::Other(name) => f.write_str(name),
        }
    }
}

/// What a run knows about an object: its kind, optional name and creation site.
///
/// # Examples
///
/// ```
/// use gort::{chan, sim};
///
/// let report = sim::run(&sim::Config::default(), || {
///     let (tx, _rx) = chan::bounded::<u8>(2);
///     tx.try_send(1).unwrap();
/// });
/// let meta = report.trace().objects().next().unwrap();
/// assert_eq!(meta.kind(), gort::diag::ObjectKind::Channel { capacity: 2 });
/// assert!(meta.created().file().ends_with(".rs"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectMeta {
    pub(crate) id: ObjectId,
    pub(crate) kind: ObjectKind,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) created: &'static Location<'static>,
}

impl ObjectMeta {
    /// The object's id within its run.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let _first = chan::bounded::<u8>(0);
    ///     let _second = chan::bounded::<u8>(0);
    /// });
    /// let ids: Vec<_> = report.trace().objects().map(|o| o.id()).collect();
    /// assert!(ids[0] < ids[1]); // handed out in creation order
    /// assert_eq!(report.trace().object(ids[1]).unwrap().id(), ids[1]);
    /// ```
    pub fn id(&self) -> ObjectId {
        self.id
    }
    /// Its kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, diag::ObjectKind, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let _ch = chan::unbuffered::<u8>();
    /// });
    /// let meta = report.trace().objects().next().unwrap();
    /// assert_eq!(meta.kind(), ObjectKind::Channel { capacity: 0 });
    /// ```
    pub fn kind(&self) -> ObjectKind {
        self.kind
    }
    /// The name given at creation, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let _named = chan::Builder::new().name("events").bounded::<u8>(1);
    ///     let _anonymous = chan::bounded::<u8>(1);
    /// });
    /// let names: Vec<Option<&str>> = report.trace().objects().map(|o| o.name()).collect();
    /// assert_eq!(names, [Some("events"), None]);
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    /// Where it was created.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let line = line!() + 1;
    ///     let _ch = chan::bounded::<u8>(0);
    ///     line
    /// });
    /// let meta = report.trace().objects().next().unwrap();
    /// assert_eq!(meta.created().line(), *report.value().unwrap());
    /// assert_eq!(meta.created().file(), file!());
    /// ```
    pub fn created(&self) -> &'static Location<'static> {
        self.created
    }
}

impl fmt::Display for ObjectMeta {
    /// `unbuffered chan "results" (created at src/lib.rs:8:19)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        write!(f, " (created at {})", self.created)
    }
}

/// A primitive's identity: the run that created it and its id there.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ObjRef {
    pub(crate) run: u64,
    pub(crate) id: ObjectId,
    pub(crate) created: &'static Location<'static>,
}
