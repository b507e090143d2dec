//! Channels with Go's semantics and Rust's ownership (≈ Go's `chan`, `runtime/chan.go`).
//!
//! | Go | gort |
//! |---|---|
//! | `ch := make(chan T)` | `let (tx, rx) = chan::bounded::<T>(0)` (or `chan::unbuffered()`) |
//! | `ch := make(chan T, n)` | `let (tx, rx) = chan::bounded::<T>(n)` |
//! | `ch <- v` | `tx.send(v)` (returns the value in an error if no receiver is left) |
//! | `v, ok := <-ch` | `rx.recv()` (`Err(RecvError)` when closed and drained) |
//! | `close(ch)` | drop the last `Sender` (or call [`Sender::close`]) |
//! | `for v := range ch` | `for v in rx` |
//! | `select { ... }` | [`select!`](crate::select) |
//! | a one-arm `select` with `default` | `try_send` / `try_recv` |
//!
//! A capacity-0 channel is a rendezvous: a send completes only when a receiver takes the
//! value, at the receiver's instant. A buffered channel's send blocks exactly when the buffer
//! is full; values come out in the order they went in. Senders and receivers are both
//! `Clone` (many producers, many consumers) and `Send + Sync` when `T: Send`. Waiting
//! senders and receivers are served first come, first served.
//!
//! Every send and receive is a scheduling point. Every channel remembers where it was created
//! and may carry a name ([`Builder::name`]); both appear in deadlock reports and timelines.
//!
//! Differences from Go: there are no nil channels (a receiver that never gets a value stands
//! in for one); sending when every receiver is gone returns `Err` instead of blocking forever;
//! a channel cannot be closed twice or sent on after close, because closing consumes the
//! last `Sender`.

mod error;
mod queue;
mod select;

/// What `select!` expands to; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use super::select::{ArmRef, RecvArm, SendArm, select, select_forever};
}

use std::fmt;
use std::panic::Location;
use std::sync::Arc;

pub use error::{RecvError, SendError, TryRecvError, TrySendError};
use queue::Shared;

use crate::sched::rt;
use crate::vocab::ObjectKind;

/// Creates a channel of capacity `cap`: `make(chan T, cap)`. Capacity 0 is a rendezvous.
///
/// # Panics
///
/// Outside a run.
///
/// # Examples
///
/// ```
/// use gort::{chan, go, sim};
///
/// let got = sim::run(&sim::Config::default(), || {
///     let (tx, rx) = chan::bounded(2);
///     tx.send(1).unwrap();
///     tx.send(2).unwrap(); // fits: the buffer holds 2
///     drop(tx); // close
///     rx.into_iter().collect::<Vec<i32>>()
/// });
/// assert_eq!(got.unwrap(), [1, 2]);
/// ```
#[track_caller]
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    Builder::new().build(cap, Location::caller())
}

/// Creates a rendezvous channel: `make(chan T)`. The same as `bounded(0)`.
///
/// # Panics
///
/// Outside a run.
///
/// # Examples
///
/// ```
/// use gort::{chan, go, sim, time};
/// use std::time::Duration;
///
/// let sent_at = sim::run(&sim::Config::default(), || {
///     let (tx, rx) = chan::unbuffered();
///     let h = go(move || {
///         tx.send("hi").unwrap(); // completes only when main receives, at t = 1s
///         time::now().elapsed_since_start()
///     });
///     time::sleep(Duration::from_secs(1));
///     rx.recv().unwrap();
///     h.join().unwrap()
/// });
/// assert_eq!(sent_at.unwrap(), Duration::from_secs(1));
/// ```
#[track_caller]
pub fn unbuffered<T>() -> (Sender<T>, Receiver<T>) {
    Builder::new().build(0, Location::caller())
}

/// Creates channels with a name for reports.
///
/// # Examples
///
/// ```
/// use gort::{chan, sim};
///
/// let report = sim::run(&sim::Config::default(), || {
///     let (tx, rx) = chan::Builder::new().name("results").bounded::<u32>(0);
///     tx.send(1).unwrap(); // blocks forever: main is the only receiver
///     drop(rx);
/// });
/// assert!(report.to_string().contains("sending on unbuffered chan \"results\""));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Builder {
    name: Option<Arc<str>>,
}

impl Builder {
    /// A builder for an unnamed channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let (tx, _rx) = chan::Builder::new().bounded::<u8>(1);
    ///     tx.send(1).unwrap();
    /// });
    /// // Unnamed: reports name it by kind and creation line instead.
    /// assert_eq!(report.trace().objects().next().unwrap().name(), None);
    /// ```
    pub fn new() -> Self {
        Builder::default()
    }

    /// Names the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let (_tx, rx) = chan::Builder::new().name("replies").bounded::<u8>(0);
    ///     rx.recv().unwrap(); // nobody sends: deadlock
    /// });
    /// assert_eq!(report.trace().objects().next().unwrap().name(), Some("replies"));
    /// assert!(report.to_string().contains("receiving from unbuffered chan \"replies\""));
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(Arc::from(name.into()));
        self
    }

    /// Creates the channel with capacity `cap` (0: rendezvous).
    ///
    /// # Panics
    ///
    /// Outside a run.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let (tx, rx) = chan::Builder::new().name("jobs").bounded(2);
    ///     assert_eq!((tx.capacity(), rx.capacity()), (2, 2));
    ///     tx.send(1).unwrap();
    ///     tx.send(2).unwrap(); // does not block: the buffer holds 2
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn bounded<T>(self, cap: usize) -> (Sender<T>, Receiver<T>) {
        self.build(cap, Location::caller())
    }

    fn build<T>(self, cap: usize, at: &'static Location<'static>) -> (Sender<T>, Receiver<T>) {
        let obj = rt::register_object(
            ObjectKind::Channel { capacity: cap },
            self.name,
            at,
            "chan::bounded",
        );
        let shared = Arc::new(Shared::new(cap, obj));
        (Sender { shared: shared.clone() }, Receiver { shared })
    }
}

/// The sending side a timer holds (`time::after`, `Ticker`, a context's done channel): it
/// sends from the scheduler loop without blocking, and never closes the channel, so a stopped
/// timer's channel blocks forever, as in Go.
pub(crate) struct TimerSender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> TimerSender<T> {
    /// Delivers `value` unless the buffer is full or no receiver is left.
    pub(crate) fn fire(&self, value: T, at: &'static Location<'static>) -> rt::Fired {
        self.shared.timer_send(value, at)
    }

    /// Drops a tick nobody received yet.
    pub(crate) fn clear(&self) {
        self.shared.clear();
    }

    /// Stops `timer` when the channel's last receiver is dropped.
    pub(crate) fn stop_with_receivers(&self, timer: rt::TimerId) {
        self.shared.set_timer(timer);
    }
}

/// The state of a channel that reports name by the runtime object of kind `kind`
/// ("context.WithCancel", "time.Ticker") instead of as a chan.
fn runtime_shared<T>(
    kind: &'static str,
    cap: usize,
    at: &'static Location<'static>,
) -> Arc<Shared<T>> {
    let obj = rt::register_object(ObjectKind::Other(kind), None, at, kind);
    Arc::new(Shared::new(cap, obj))
}

/// A channel reports name as the runtime object of kind `kind`: see [`runtime_shared`].
pub(crate) fn runtime_channel<T>(
    kind: &'static str,
    cap: usize,
    at: &'static Location<'static>,
) -> (Sender<T>, Receiver<T>) {
    let shared = runtime_shared(kind, cap, at);
    (Sender { shared: shared.clone() }, Receiver { shared })
}

/// A capacity-1 channel fed by a timer: see [`TimerSender`].
pub(crate) fn timer_channel<T>(
    kind: &'static str,
    at: &'static Location<'static>,
) -> (TimerSender<T>, Receiver<T>) {
    let shared = runtime_shared(kind, 1, at);
    (TimerSender { shared: shared.clone() }, Receiver { shared })
}

/// The sending half of a channel.
///
/// Clone it for more producers. Dropping the last `Sender` closes the channel: receivers
/// drain what is buffered, then get `Err(RecvError)`, and `for v in rx` ends.
///
/// # Examples
///
/// ```
/// use gort::{chan, go, sim};
///
/// let total = sim::run(&sim::Config::default(), || {
///     let (tx, rx) = chan::bounded(0);
///     for id in 0..3 {
///         let tx = tx.clone();
///         go(move || tx.send(id).unwrap());
///     }
///     drop(tx); // main's copy; the channel closes when the three producers finish
///     rx.into_iter().sum::<i32>()
/// });
/// assert_eq!(total.unwrap(), 3);
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// The receiving half of a channel.
///
/// Clone it for more consumers: each value goes to exactly one of them. Dropping the last
/// `Receiver` makes every send fail with the value given back.
///
/// # Examples
///
/// ```
/// use gort::{chan, go, sim};
///
/// let squares = sim::run(&sim::Config::default(), || {
///     let (tx, rx) = chan::bounded(0);
///     go(move || {
///         for i in 1..=3 {
///             tx.send(i * i).unwrap();
///         }
///     });
///     rx.iter().collect::<Vec<u32>>()
/// });
/// assert_eq!(squares.unwrap(), [1, 4, 9]);
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, blocking while the buffer is full (capacity 0: until a receiver takes
    /// it). A scheduling point.
    ///
    /// The send happens-before the matching receive completes. With capacity 0 the send
    /// completes at the virtual instant the receiver takes the value.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if every receiver is gone, before or while blocked.
    ///
    /// # Panics
    ///
    /// Outside the run that created the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, go, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let (tx, rx) = chan::bounded(0);
    ///     let h = go(move || rx.recv().unwrap());
    ///     tx.send(5).unwrap();
    ///     assert_eq!(h.join().unwrap(), 5);
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.shared.send(value, Location::caller())
    }

    /// Sends `value` only if that needs no waiting: a receiver is blocked ready to take it,
    /// or the buffer has room. Never blocks; a scheduling point.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] if it would block, [`TrySendError::Disconnected`] if every
    /// receiver is gone; both give the value back.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan::{self, TrySendError}, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let (tx, _rx) = chan::bounded(0);
    ///     // Nobody is waiting to receive, so an unbuffered try_send cannot complete.
    ///     assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.shared.try_send(value, Location::caller())
    }

    /// Drops this sender, closing the channel if it was the last one, with this call's
    /// location in the trace. The same as `drop(tx)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let (tx, rx) = chan::bounded::<u8>(1);
    ///     tx.close();
    ///     assert!(rx.recv().is_err());
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn close(self) {
        self.close_at(Location::caller(), true);
    }

    /// Drops this sender, recording the close at `at`; with `switch` false the close is not a
    /// scheduling point (a context cancelling its whole subtree at one instant).
    pub(crate) fn close_at(self, at: &'static Location<'static>, switch: bool) {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped or used again, so moving its Arc out releases the
        // reference exactly once (here, instead of in `Drop`).
        let shared = unsafe { std::ptr::read(&this.shared) };
        shared.drop_sender(Some(at), switch);
    }

    /// How many values are buffered now. Not a scheduling point.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let (tx, rx) = chan::bounded(4);
    ///     "ab".chars().for_each(|c| tx.send(c).unwrap());
    ///     assert_eq!(tx.len(), 2);
    ///     rx.recv().unwrap();
    ///     assert_eq!(tx.len(), 1);
    /// })
    /// .unwrap();
    /// ```
    pub fn len(&self) -> usize {
        self.shared.len()
    }

    /// True if nothing is buffered. Not a scheduling point.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let (tx, _rx) = chan::bounded(1);
    ///     assert!(tx.is_empty());
    ///     tx.send(()).unwrap();
    ///     assert!(!tx.is_empty());
    /// })
    /// .unwrap();
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The buffer capacity (0 for a rendezvous channel).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let (tx, _rx) = chan::bounded::<u8>(3);
    ///     assert_eq!(tx.capacity(), 3);
    ///     let (rendezvous, _rx) = chan::unbuffered::<u8>();
    ///     assert_eq!(rendezvous.capacity(), 0);
    /// })
    /// .unwrap();
    /// ```
    pub fn capacity(&self) -> usize {
        self.shared.capacity()
    }
}

impl<T> Receiver<T> {
    /// Receives a value, blocking while the channel is empty and open. A scheduling point.
    ///
    /// Values arrive in the order their sends completed; each value goes to one receiver.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the channel is closed (every sender dropped) and drained.
    ///
    /// # Panics
    ///
    /// Outside the run that created the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let (tx, rx) = chan::bounded(1);
    ///     tx.send('a').unwrap();
    ///     drop(tx);
    ///     assert_eq!(rx.recv(), Ok('a')); // buffered values survive the close
    ///     assert!(rx.recv().is_err());
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn recv(&self) -> Result<T, RecvError> {
        self.shared.recv(Location::caller())
    }

    /// Receives a value only if one is ready (buffered, or a sender is blocked). Never
    /// blocks; a scheduling point.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if it would block, [`TryRecvError::Disconnected`] if the
    /// channel is closed and drained.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan::{self, TryRecvError}, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let (tx, rx) = chan::bounded(1);
    ///     assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    ///     tx.send(9).unwrap();
    ///     assert_eq!(rx.try_recv(), Ok(9));
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.shared.try_recv(Location::caller())
    }

    /// An iterator that receives until the channel is closed and drained: `for v := range ch`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, go, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let (tx, rx) = chan::bounded(0);
    ///     go(move || (1..=3).for_each(|i| tx.send(i).unwrap())); // tx dropped at the end: close
    ///     assert_eq!(rx.iter().collect::<Vec<i32>>(), [1, 2, 3]);
    ///     assert!(rx.recv().is_err()); // `iter` only borrowed rx; the channel is closed now
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { rx: self, at: Location::caller() }
    }

    /// How many values are buffered now. Not a scheduling point.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let (tx, rx) = chan::bounded(2);
    ///     tx.send(1).unwrap();
    ///     tx.send(2).unwrap();
    ///     assert_eq!(rx.len(), 2);
    ///     rx.recv().unwrap();
    ///     assert_eq!(rx.len(), 1);
    /// })
    /// .unwrap();
    /// ```
    pub fn len(&self) -> usize {
        self.shared.len()
    }

    /// True if nothing is buffered. Not a scheduling point.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let (tx, rx) = chan::bounded(1);
    ///     tx.send(7).unwrap();
    ///     assert!(!rx.is_empty());
    ///     rx.recv().unwrap();
    ///     assert!(rx.is_empty());
    /// })
    /// .unwrap();
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The buffer capacity (0 for a rendezvous channel).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let (_tx, rx) = chan::bounded::<u8>(5);
    ///     assert_eq!(rx.capacity(), 5);
    ///     assert_eq!(rx.len(), 0); // capacity is the room, len what is buffered
    /// })
    /// .unwrap();
    /// ```
    pub fn capacity(&self) -> usize {
        self.shared.capacity()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.add_sender();
        Sender { shared: self.shared.clone() }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.add_receiver();
        Receiver { shared: self.shared.clone() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.shared.drop_sender(None, true);
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.drop_receiver();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_chan(f, "Sender", &self.shared)
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_chan(f, "Receiver", &self.shared)
    }
}

/// A channel end's `Debug`: where the channel was made, what it buffers, who waits on it.
fn debug_chan<T>(f: &mut fmt::Formatter<'_>, end: &str, shared: &Shared<T>) -> fmt::Result {
    let (buffered, senders, receivers) = shared.counts();
    f.debug_struct(end)
        .field("chan", &shared.describe())
        .field("buffered", &buffered)
        .field("blocked_senders", &senders)
        .field("blocked_receivers", &receivers)
        .finish()
}

/// Receives until the channel is closed and drained; see [`Receiver::iter`].
///
/// # Examples
///
/// ```
/// use gort::{chan, sim};
///
/// sim::run(&sim::Config::default(), || {
///     let (tx, rx) = chan::bounded(3);
///     (1..=3).for_each(|i| tx.send(i).unwrap());
///     drop(tx);
///     assert_eq!(rx.iter().sum::<i32>(), 6);
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
pub struct Iter<'a, T> {
    rx: &'a Receiver<T>,
    at: &'static Location<'static>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.shared.recv(self.at).ok()
    }
}

/// Owns the receiver and receives until the channel is closed and drained: `for v in rx`.
///
/// # Examples
///
/// ```
/// use gort::{chan, sim};
///
/// sim::run(&sim::Config::default(), || {
///     let (tx, rx) = chan::bounded(2);
///     tx.send("a").unwrap();
///     drop(tx);
///     for v in rx {
///         assert_eq!(v, "a");
///     }
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
pub struct IntoIter<T> {
    rx: Receiver<T>,
    at: &'static Location<'static>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.shared.recv(self.at).ok()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    #[track_caller]
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { rx: self, at: Location::caller() }
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    #[track_caller]
    fn into_iter(self) -> Iter<'a, T> {
        Iter { rx: self, at: Location::caller() }
    }
}
