//! Channel errors, one type per operation; those of sending operations give the value back.

use std::fmt;

/// `send` failed because every [`Receiver`](super::Receiver) is gone; the value comes back.
///
/// In Go a send nobody can ever receive blocks forever; with Rust's ownership the runtime
/// knows no receiver is left and returns the value instead.
///
/// # Examples
///
/// ```
/// use gort::{chan, sim};
///
/// sim::run(&sim::Config::default(), || {
///     let (tx, rx) = chan::bounded(1);
///     drop(rx);
///     assert_eq!(tx.send("lost?").unwrap_err().0, "lost?");
/// })
/// .unwrap();
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

/// `try_send` could not send without blocking; the value comes back.
///
/// # Examples
///
/// ```
/// use gort::{chan::{self, TrySendError}, sim};
///
/// sim::run(&sim::Config::default(), || {
///     let (tx, rx) = chan::bounded(1);
///     tx.try_send(1).unwrap();
///     assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
///     drop(rx);
///     assert_eq!(tx.try_send(3), Err(TrySendError::Disconnected(3)));
/// })
/// .unwrap();
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// The buffer is full, or (unbuffered) no receiver is waiting.
    Full(T),
    /// Every receiver is gone.
    Disconnected(T),
}

/// `recv` failed: the channel is closed (every [`Sender`](super::Sender) dropped) and its
/// buffer is empty. Go's `v, ok := <-ch` with `ok == false`.
///
/// # Examples
///
/// ```
/// use gort::{chan::{self, RecvError}, sim};
///
/// sim::run(&sim::Config::default(), || {
///     let (tx, rx) = chan::bounded::<u8>(1);
///     drop(tx);
///     assert_eq!(rx.recv(), Err(RecvError));
/// })
/// .unwrap();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecvError;

/// `try_recv` could not receive without blocking.
///
/// # Examples
///
/// ```
/// use gort::{chan::{self, TryRecvError}, sim};
///
/// sim::run(&sim::Config::default(), || {
///     let (tx, rx) = chan::bounded::<u8>(1);
///     assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
///     drop(tx);
///     assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
/// })
/// .unwrap();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing to receive now, but senders remain.
    Empty,
    /// The channel is closed and drained.
    Disconnected,
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a channel whose receivers are all gone")
    }
}

impl<T> std::error::Error for SendError<T> {}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Disconnected(_) => f.write_str("Disconnected(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("sending on a full channel"),
            TrySendError::Disconnected(_) => {
                f.write_str("sending on a channel whose receivers are all gone")
            }
        }
    }
}

impl<T> std::error::Error for TrySendError<T> {}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(e: SendError<T>) -> Self {
        TrySendError::Disconnected(e.0)
    }
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let (tx, _rx) = chan::bounded(0); // nobody is waiting, so try_send cannot complete
    ///     let err = tx.try_send(String::from("retry me")).unwrap_err();
    ///     assert_eq!(err.into_inner(), "retry me");
    /// })
    /// .unwrap();
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(v) | TrySendError::Disconnected(v) => v,
        }
    }
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("receiving on an empty and closed channel")
    }
}

impl std::error::Error for RecvError {}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("receiving on an empty channel"),
            TryRecvError::Disconnected => f.write_str("receiving on an empty and closed channel"),
        }
    }
}

impl std::error::Error for TryRecvError {}

impl From<RecvError> for TryRecvError {
    fn from(_: RecvError) -> Self {
        TryRecvError::Disconnected
    }
}
