//! Cancellation, deadlines and request-scoped values across green threads (≈ Go's
//! `context`).
//!
//! | Go | gort |
//! |---|---|
//! | `context.Background()` | [`Context::background()`] |
//! | `ctx, cancel := context.WithCancel(parent)`; `defer cancel()` | `let (ctx, cancel) = context::with_cancel(&parent);` (dropping `cancel` cancels) |
//! | `context.WithTimeout(parent, d)`, `context.WithDeadline(parent, t)` | [`with_timeout`], [`with_deadline`] |
//! | `context.WithValue(parent, key, v)`; `ctx.Value(key)` | [`with_value`]`(&parent, v)`; [`ctx.value::<V>()`](Context::value) |
//! | `<-ctx.Done()` in a `select` | `recv(ctx.done()) => ...` in [`select!`](crate::select) |
//! | `ctx.Err()` | [`ctx.err()`](Context::err): `None`, `Some(Canceled)`, `Some(DeadlineExceeded)` |
//!
//! Contexts form a tree. Cancelling one (by its [`CancelHandle`], or its deadline passing)
//! cancels all its descendants at the same virtual instant, with nothing running in between,
//! and never touches its parent or siblings. A cancelled context's [`done`](Context::done)
//! channel is closed, so every receive on it, now or later, returns at once.

use std::any::{Any, TypeId};
use std::error::Error;
use std::fmt;
use std::panic::Location;
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::chan::{self, Receiver, Sender};
use crate::sched::rt::{self, Fired, TimerFn, TimerId};
use crate::time::{self, Instant};
use crate::vocab::Op;

/// Why a context was cancelled: what [`Context::err`] returns once it is done.
///
/// # Examples
///
/// ```
/// use gort::context::ContextError;
///
/// assert_eq!(ContextError::Canceled.to_string(), "context canceled");
/// assert_eq!(ContextError::DeadlineExceeded.to_string(), "context deadline exceeded");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContextError {
    /// Its [`CancelHandle`] (or an ancestor's) cancelled it: Go's `context.Canceled`.
    Canceled,
    /// Its deadline (or an ancestor's) passed: Go's `context.DeadlineExceeded`.
    DeadlineExceeded,
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ContextError::Canceled => "context canceled",
            ContextError::DeadlineExceeded => "context deadline exceeded",
        })
    }
}

impl Error for ContextError {}

/// A cancellation signal, an optional deadline and typed values, passed down a call tree and
/// to the green threads it starts: Go's `context.Context`.
///
/// Start from [`Context::background()`]; derive children with [`with_cancel`],
/// [`with_timeout`], [`with_deadline`] and [`with_value`]. A `Context` is a cheap handle:
/// clone it to pass it on. `Send` and `Sync`. Created inside a run.
///
/// Differences from Go: values are keyed by their type (wrap a value in a newtype to give it
/// its own key), and there is no `Cause`/`AfterFunc`/`WithoutCancel`.
///
/// # Examples
///
/// A worker that stops when its context is cancelled:
///
/// ```
/// use gort::{context, go, select, sim, time};
/// use std::time::Duration;
///
/// let report = sim::run(&sim::Config::default(), || {
///     let (ctx, cancel) = context::with_cancel(&context::Context::background());
///     let worker = go(move || {
///         let mut beats = 0;
///         loop {
///             select! {
///                 recv(ctx.done()) => return (beats, ctx.err()),
///                 recv(time::after(Duration::from_millis(100))) => beats += 1,
///             }
///         }
///     });
///     time::sleep(Duration::from_millis(350));
///     drop(cancel); // or cancel.cancel()
///     worker.join().unwrap()
/// });
/// assert_eq!(report.unwrap(), (3, Some(context::ContextError::Canceled)));
/// ```
#[derive(Clone)]
pub struct Context {
    node: Arc<Node>,
}

struct Node {
    parent: Option<Arc<Node>>,
    deadline: Option<Instant>,
    value: Option<(TypeId, Box<dyn Any + Send + Sync>)>,
    /// The nearest cancellable state: this node's own, or its parent's for value nodes.
    cancel: Arc<CancelState>,
}

/// The cancellation state of one `with_cancel`/`with_deadline` context (or of a background
/// context, which never cancels).
struct CancelState {
    inner: parking_lot::Mutex<CancelInner>,
    done: Receiver<()>,
    cancellable: bool,
}

struct CancelInner {
    err: Option<ContextError>,
    /// Dropping it closes `done` (never, for a background context).
    done_tx: Option<Sender<()>>,
    children: Vec<Weak<CancelState>>,
    timer: Option<TimerId>,
}

impl CancelState {
    fn new(kind: &'static str, cancellable: bool, at: &'static Location<'static>) -> Arc<Self> {
        let (tx, done) = chan::runtime_channel::<()>(kind, 0, at);
        Arc::new(CancelState {
            inner: parking_lot::Mutex::new(CancelInner {
                err: None,
                // Kept for ever by a background context, whose channel must never close.
                done_tx: Some(tx),
                children: Vec::new(),
                timer: None,
            }),
            done,
            cancellable,
        })
    }

    /// Cancels this context and its descendants with `err`, unless already cancelled. No
    /// scheduling point anywhere inside: the whole subtree is cancelled at one instant.
    fn cancel(&self, err: ContextError, at: &'static Location<'static>) {
        let (done_tx, children, timer) = {
            let mut inner = self.inner.lock();
            if inner.err.is_some() || !self.cancellable {
                return;
            }
            inner.err = Some(err);
            (inner.done_tx.take(), std::mem::take(&mut inner.children), inner.timer.take())
        };
        if let Some(timer) = timer {
            rt::stop_timer(timer);
        }
        if let Some(tx) = done_tx {
            tx.close_at(at, false);
        }
        for child in children.iter().filter_map(Weak::upgrade) {
            child.cancel(err, at);
        }
    }

    fn err(&self) -> Option<ContextError> {
        self.inner.lock().err
    }

    /// Registers `child` to be cancelled with this context; cancels it now if this one is
    /// already cancelled.
    fn adopt(&self, child: &Arc<CancelState>, at: &'static Location<'static>) {
        if !self.cancellable {
            return;
        }
        let mut inner = self.inner.lock();
        match inner.err {
            Some(err) => {
                drop(inner);
                child.cancel(err, at);
            }
            None => {
                inner.children.retain(|c| c.strong_count() > 0);
                inner.children.push(Arc::downgrade(child));
            }
        }
    }
}

impl Context {
    /// The root context: never cancelled, no deadline, no values: Go's
    /// `context.Background()`. Its [`done`](Context::done) channel never becomes ready.
    ///
    /// # Panics
    ///
    /// Outside a run.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{context::Context, select, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let ctx = Context::background();
    ///     assert_eq!(ctx.err(), None);
    ///     assert_eq!(ctx.deadline(), None);
    ///     let ready = select! { recv(ctx.done()) => true, default => false };
    ///     assert!(!ready);
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn background() -> Context {
        let cancel = CancelState::new("context.Background", false, Location::caller());
        Context { node: Arc::new(Node { parent: None, deadline: None, value: None, cancel }) }
    }

    /// A channel that is closed when this context is cancelled: Go's `ctx.Done()`. Receiving
    /// from it blocks until then, and returns `Err(RecvError)` at once afterwards; use it as a
    /// [`select!`](crate::select) arm.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{context, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let (ctx, cancel) = context::with_cancel(&context::Context::background());
    ///     cancel.cancel();
    ///     assert!(ctx.done().recv().is_err()); // closed: returns at once
    /// })
    /// .unwrap();
    /// ```
    pub fn done(&self) -> &Receiver<()> {
        &self.node.cancel.done
    }

    /// Why the context is done, or `None` while it is not: Go's `ctx.Err()`. Once set it never
    /// changes. Not a scheduling point.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::context::{self, Context, ContextError};
    /// use gort::{sim, time};
    /// use std::time::Duration;
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let (ctx, cancel) = context::with_timeout(&Context::background(), Duration::from_secs(1));
    ///     time::sleep(Duration::from_secs(2));
    ///     assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
    ///     cancel.cancel(); // too late: the first reason sticks
    ///     assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
    /// })
    /// .unwrap();
    /// ```
    pub fn err(&self) -> Option<ContextError> {
        self.node.cancel.err()
    }

    /// When the context will be cancelled by time, if ever: Go's `ctx.Deadline()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::context::{self, Context};
    /// use gort::{sim, time};
    /// use std::time::Duration;
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let (ctx, _cancel) = context::with_timeout(&Context::background(), Duration::from_secs(3));
    ///     assert_eq!(ctx.deadline(), Some(time::now() + Duration::from_secs(3)));
    /// })
    /// .unwrap();
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.node.deadline
    }

    /// The nearest value of type `V` stored by [`with_value`] in this context or an ancestor:
    /// Go's `ctx.Value(key)`, with the type as the key.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::context::{self, Context};
    /// use gort::sim;
    ///
    /// #[derive(Debug, PartialEq)]
    /// struct RequestId(u64);
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let ctx = context::with_value(&Context::background(), RequestId(7));
    ///     let (child, _cancel) = context::with_cancel(&ctx);
    ///     assert_eq!(child.value::<RequestId>(), Some(&RequestId(7)));
    ///     assert_eq!(child.value::<String>(), None);
    /// })
    /// .unwrap();
    /// ```
    pub fn value<V: Any + Send + Sync>(&self) -> Option<&V> {
        let mut node = &*self.node;
        loop {
            if let Some((id, value)) = &node.value
                && *id == TypeId::of::<V>()
            {
                return value.downcast_ref();
            }
            node = node.parent.as_deref()?;
        }
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("err", &self.err())
            .field("deadline", &self.deadline())
            .finish_non_exhaustive()
    }
}

/// Cancels its context when [`cancel`](CancelHandle::cancel) is called or when it is dropped:
/// Go's `CancelFunc`, with `defer cancel()` built in.
///
/// Keep it alive for as long as the context should live: `let (ctx, _) = with_cancel(..)`
/// drops it at once, cancelling `ctx` immediately (bind it to `_cancel` instead).
///
/// # Examples
///
/// ```
/// use gort::context::{self, Context, ContextError};
/// use gort::sim;
///
/// sim::run(&sim::Config::default(), || {
///     let (ctx, cancel) = context::with_cancel(&Context::background());
///     {
///         let _cancel = cancel; // scope ends: cancelled, like Go's defer cancel()
///     }
///     assert_eq!(ctx.err(), Some(ContextError::Canceled));
/// })
/// .unwrap();
/// ```
#[must_use = "dropping the CancelHandle cancels the context at once"]
pub struct CancelHandle {
    state: Arc<CancelState>,
    at: &'static Location<'static>,
}

impl CancelHandle {
    /// Cancels the context and all its descendants, if not already done. Idempotent; never
    /// blocks. A scheduling point before the cancellation (not inside it: the whole subtree
    /// is cancelled at one instant).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::context::{self, Context, ContextError};
    /// use gort::sim;
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let root = Context::background();
    ///     let (parent, cancel_parent) = context::with_cancel(&root);
    ///     let (child, _cancel_child) = context::with_cancel(&parent);
    ///     cancel_parent.cancel();
    ///     cancel_parent.cancel(); // no effect
    ///     assert_eq!(child.err(), Some(ContextError::Canceled));
    ///     assert_eq!(root.err(), None);
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn cancel(&self) {
        self.cancel_at(Location::caller());
    }

    fn cancel_at(&self, at: &'static Location<'static>) {
        if rt::in_green_thread() && !std::thread::panicking() {
            rt::point(Op::Other("cancel"), None, at);
        }
        self.state.cancel(ContextError::Canceled, at);
    }
}

impl Drop for CancelHandle {
    fn drop(&mut self) {
        self.cancel_at(self.at);
    }
}

impl fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelHandle").field("err", &self.state.err()).finish()
    }
}

/// Derives a context that is cancelled when the returned handle is (or dropped), or when the
/// parent is: Go's `context.WithCancel`.
///
/// # Panics
///
/// Outside a run.
///
/// # Examples
///
/// ```
/// use gort::context::{self, Context};
/// use gort::sim;
///
/// sim::run(&sim::Config::default(), || {
///     let (parent, cancel_parent) = context::with_cancel(&Context::background());
///     let (a, cancel_a) = context::with_cancel(&parent);
///     let (b, _cancel_b) = context::with_cancel(&parent);
///     cancel_a.cancel();
///     assert!(a.err().is_some());
///     assert!(parent.err().is_none() && b.err().is_none()); // parent, sibling untouched
///     drop(cancel_parent);
///     assert!(b.err().is_some());
/// })
/// .unwrap();
/// ```
#[track_caller]
pub fn with_cancel(parent: &Context) -> (Context, CancelHandle) {
    derive(parent, None, "context.WithCancel", Location::caller())
}

/// Derives a context that is also cancelled, with
/// [`DeadlineExceeded`](ContextError::DeadlineExceeded), at `deadline`: Go's
/// `context.WithDeadline`. The effective deadline is the earlier of `deadline` and the
/// parent's; a deadline already past cancels at once. The timer behind it is a callback of
/// the executor, stopped when the context is cancelled any other way.
///
/// # Panics
///
/// Outside a run.
///
/// # Examples
///
/// ```
/// use gort::context::{self, Context};
/// use gort::{sim, time};
/// use std::time::Duration;
///
/// sim::run(&sim::Config::default(), || {
///     let t0 = time::now();
///     let (parent, _p) = context::with_deadline(&Context::background(), t0 + Duration::from_secs(1));
///     let (child, _c) = context::with_deadline(&parent, t0 + Duration::from_secs(5));
///     assert_eq!(child.deadline(), Some(t0 + Duration::from_secs(1))); // the parent's is earlier
///     child.done().recv().unwrap_err();
///     assert_eq!(time::now() - t0, Duration::from_secs(1));
/// })
/// .unwrap();
/// ```
#[track_caller]
pub fn with_deadline(parent: &Context, deadline: Instant) -> (Context, CancelHandle) {
    derive(parent, Some(deadline), "context.WithDeadline", Location::caller())
}

/// Derives a context cancelled `timeout` from now: `with_deadline(parent, now() + timeout)`,
/// Go's `context.WithTimeout`.
///
/// # Panics
///
/// Outside a run.
///
/// # Examples
///
/// ```
/// use gort::context::{self, Context, ContextError};
/// use gort::{select, sim, time};
/// use std::time::Duration;
///
/// sim::run(&sim::Config::default(), || {
///     let (ctx, _cancel) = context::with_timeout(&Context::background(), Duration::from_millis(50));
///     let (_tx, never) = gort::chan::unbuffered::<u8>();
///     select! {
///         recv(never) => unreachable!(),
///         recv(ctx.done()) => assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded)),
///     }
///     assert_eq!(time::now().elapsed_since_start(), Duration::from_millis(50));
/// })
/// .unwrap();
/// ```
#[track_caller]
pub fn with_timeout(parent: &Context, timeout: Duration) -> (Context, CancelHandle) {
    let deadline = time::now() + timeout;
    derive(parent, Some(deadline), "context.WithTimeout", Location::caller())
}

/// Derives a context carrying `value`, found by [`Context::value::<V>()`](Context::value)
/// here and in descendants: Go's `context.WithValue`, keyed by type. It is cancelled with its
/// parent and has no handle of its own.
///
/// # Examples
///
/// ```
/// use gort::context::{self, Context};
/// use gort::sim;
///
/// struct User(&'static str);
///
/// sim::run(&sim::Config::default(), || {
///     let ctx = context::with_value(&Context::background(), User("ana"));
///     let ctx = context::with_value(&ctx, User("bo")); // the nearest wins
///     assert_eq!(ctx.value::<User>().unwrap().0, "bo");
/// })
/// .unwrap();
/// ```
pub fn with_value<V: Any + Send + Sync>(parent: &Context, value: V) -> Context {
    Context {
        node: Arc::new(Node {
            parent: Some(parent.node.clone()),
            deadline: parent.node.deadline,
            value: Some((TypeId::of::<V>(), Box::new(value))),
            cancel: parent.node.cancel.clone(),
        }),
    }
}

fn derive(
    parent: &Context,
    deadline: Option<Instant>,
    kind: &'static str,
    at: &'static Location<'static>,
) -> (Context, CancelHandle) {
    let state = CancelState::new(kind, true, at);
    let parent_deadline = parent.node.deadline;
    let effective = match (deadline, parent_deadline) {
        (Some(d), Some(p)) => Some(d.min(p)),
        (d, p) => d.or(p),
    };
    let ctx = Context {
        node: Arc::new(Node {
            parent: Some(parent.node.clone()),
            deadline: effective,
            value: None,
            cancel: state.clone(),
        }),
    };
    parent.node.cancel.adopt(&state, at);
    // Only a deadline earlier than the parent's needs a timer: otherwise the parent's fires.
    if let Some(d) = deadline
        && parent_deadline.is_none_or(|p| d < p)
    {
        let now = time::now();
        if d <= now {
            state.cancel(ContextError::DeadlineExceeded, at);
        } else {
            arm_deadline(&state, d - now, kind, at);
        }
    }
    (ctx, CancelHandle { state, at })
}

fn arm_deadline(
    state: &Arc<CancelState>,
    after: Duration,
    kind: &'static str,
    at: &'static Location<'static>,
) {
    let weak = Arc::downgrade(state);
    let f: TimerFn = Arc::new(move || match weak.upgrade() {
        Some(state) if state.err().is_none() => {
            state.cancel(ContextError::DeadlineExceeded, at);
            Fired::Changed
        }
        _ => Fired::Done,
    });
    let timer = rt::start_timer(after, None, f, at, kind);
    let mut inner = state.inner.lock();
    if inner.err.is_some() {
        drop(inner);
        rt::stop_timer(timer);
    } else {
        inner.timer = Some(timer);
    }
}
