//! A channel's shared state: the buffer and the queues of blocked senders and receivers
//! (≈ Go's `hchan` with its `sendq`/`recvq` of `sudog`s).
//!
//! Invariants, under `inner`'s lock:
//! * `buf.len() <= cap`.
//! * A blocked receiver is queued only while the buffer is empty and no sender is queued
//!   (a receive takes from either before it blocks).
//! * A blocked sender is queued only while the buffer is full (for capacity 0: always,
//!   until a receiver arrives).
//! * Once `senders == 0` no receiver is queued; once `receivers == 0` no sender is queued.
//!
//! A waiter's slot moves `Waiting -> Done` (the value was handed over) or
//! `Waiting -> Closed` (the other side went away), exactly once, under the channel lock;
//! the waiting thread is unparked after the lock is released, and re-checks its slot after
//! every wake-up, so a stray unpark is harmless.

use std::collections::VecDeque;
use std::panic::Location;
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};

use super::{RecvError, SendError, TryRecvError, TrySendError};
use crate::diag::Op;
use crate::sched::rt::{self, ObjRef, Waker};

pub(super) struct Shared<T> {
    /// Protects every field of `Inner`.
    inner: Mutex<Inner<T>>,
    obj: ObjRef,
    cap: usize,
}

struct Inner<T> {
    buf: VecDeque<T>,
    senders: usize,
    receivers: usize,
    sendq: VecDeque<Arc<Waiter<T>>>,
    recvq: VecDeque<Arc<Waiter<T>>>,
}

/// A blocked sender (holding its value) or receiver (waiting for one).
struct Waiter<T> {
    thread: Waker,
    slot: Mutex<Slot<T>>,
}

enum Slot<T> {
    /// Still queued; a sender's value is here.
    Waiting(Option<T>),
    /// Handed over; a receiver's value is here.
    Done(Option<T>),
    /// The other side went away; a sender's value comes back here.
    Closed(Option<T>),
}

impl<T> Waiter<T> {
    fn new(thread: Waker, value: Option<T>) -> Arc<Self> {
        Arc::new(Waiter { thread, slot: Mutex::new(Slot::Waiting(value)) })
    }

    /// Gives a waiting receiver its value; returns it if the waiter is no longer waiting.
    fn deliver(&self, value: T) -> Result<(), T> {
        let mut slot = self.slot.lock();
        match &*slot {
            Slot::Waiting(_) => {
                *slot = Slot::Done(Some(value));
                Ok(())
            }
            _ => Err(value),
        }
    }

    /// Takes a waiting sender's value.
    fn take(&self) -> Option<T> {
        let mut slot = self.slot.lock();
        match &mut *slot {
            Slot::Waiting(value) => {
                let value = value.take();
                *slot = Slot::Done(None);
                value
            }
            _ => None,
        }
    }

    /// Tells a waiter the other side is gone. False if it was no longer waiting.
    fn close(&self) -> bool {
        let mut slot = self.slot.lock();
        match &mut *slot {
            Slot::Waiting(value) => {
                let value = value.take();
                *slot = Slot::Closed(value);
                true
            }
            _ => false,
        }
    }

    /// The outcome, once there is one.
    fn outcome(&self) -> Option<Result<Option<T>, Option<T>>> {
        let mut slot = self.slot.lock();
        match &mut *slot {
            Slot::Waiting(_) => None,
            Slot::Done(value) => Some(Ok(value.take())),
            Slot::Closed(value) => Some(Err(value.take())),
        }
    }
}

impl<T> Shared<T> {
    pub(super) fn new(cap: usize, obj: ObjRef) -> Self {
        Shared {
            inner: Mutex::new(Inner {
                buf: VecDeque::with_capacity(cap.min(1024)),
                senders: 1,
                receivers: 1,
                sendq: VecDeque::new(),
                recvq: VecDeque::new(),
            }),
            obj,
            cap,
        }
    }

    pub(super) fn capacity(&self) -> usize {
        self.cap
    }

    pub(super) fn len(&self) -> usize {
        self.inner.lock().buf.len()
    }

    pub(super) fn describe(&self) -> String {
        format!("capacity {} created at {}", self.cap, self.obj.created)
    }

    pub(super) fn add_sender(&self) {
        self.inner.lock().senders += 1;
    }

    pub(super) fn add_receiver(&self) {
        self.inner.lock().receivers += 1;
    }

    /// Fast path of a send: hand the value to a blocked receiver, or buffer it.
    fn offer(&self, inner: &mut Inner<T>, mut value: T) -> Result<Option<Waker>, T> {
        while let Some(w) = inner.recvq.pop_front() {
            match w.deliver(value) {
                Ok(()) => return Ok(Some(w.thread)),
                Err(back) => value = back,
            }
        }
        if inner.buf.len() < self.cap {
            inner.buf.push_back(value);
            return Ok(None);
        }
        Err(value)
    }

    pub(super) fn send(
        &self,
        value: T,
        at: &'static Location<'static>,
    ) -> Result<(), SendError<T>> {
        rt::point(Op::Send, Some(self.obj), at);
        let mut inner = self.inner.lock();
        if inner.receivers == 0 {
            return Err(SendError(value));
        }
        match self.offer(&mut inner, value) {
            Ok(woken) => {
                drop(inner);
                if let Some(thread) = woken {
                    rt::wake(thread, at);
                }
                Ok(())
            }
            Err(value) => self.send_blocking(inner, value, at),
        }
    }

    #[cold]
    fn send_blocking(
        &self,
        mut inner: MutexGuard<'_, Inner<T>>,
        value: T,
        at: &'static Location<'static>,
    ) -> Result<(), SendError<T>> {
        // 1. Queue ourselves, holding the value, behind earlier senders.
        let me = Waiter::new(rt::current_waker("Sender::send"), Some(value));
        inner.sendq.push_back(me.clone());
        drop(inner);
        // 2. Park until a receiver takes the value or the last receiver leaves.
        loop {
            match me.outcome() {
                None => rt::park(Op::Send, Some(self.obj), at),
                Some(Ok(_)) => return Ok(()),
                Some(Err(value)) => {
                    return Err(SendError(value.expect("a closed sender keeps its value")));
                }
            }
        }
    }

    pub(super) fn try_send(
        &self,
        value: T,
        at: &'static Location<'static>,
    ) -> Result<(), TrySendError<T>> {
        rt::point(Op::TrySend, Some(self.obj), at);
        let mut inner = self.inner.lock();
        if inner.receivers == 0 {
            return Err(TrySendError::Disconnected(value));
        }
        match self.offer(&mut inner, value) {
            Ok(woken) => {
                drop(inner);
                if let Some(thread) = woken {
                    rt::wake(thread, at);
                }
                Ok(())
            }
            Err(value) => Err(TrySendError::Full(value)),
        }
    }

    /// Fast path of a receive: the oldest buffered value (refilling the buffer from the
    /// first blocked sender), or straight from a blocked sender.
    fn take_ready(&self, inner: &mut Inner<T>) -> Option<(T, Option<Waker>)> {
        if let Some(value) = inner.buf.pop_front() {
            while let Some(w) = inner.sendq.pop_front() {
                if let Some(next) = w.take() {
                    inner.buf.push_back(next);
                    return Some((value, Some(w.thread)));
                }
            }
            return Some((value, None));
        }
        while let Some(w) = inner.sendq.pop_front() {
            if let Some(value) = w.take() {
                return Some((value, Some(w.thread)));
            }
        }
        None
    }

    pub(super) fn recv(&self, at: &'static Location<'static>) -> Result<T, RecvError> {
        rt::point(Op::Recv, Some(self.obj), at);
        let mut inner = self.inner.lock();
        if let Some((value, woken)) = self.take_ready(&mut inner) {
            drop(inner);
            if let Some(thread) = woken {
                rt::wake(thread, at);
            }
            return Ok(value);
        }
        if inner.senders == 0 {
            return Err(RecvError);
        }
        self.recv_blocking(inner, at)
    }

    #[cold]
    fn recv_blocking(
        &self,
        mut inner: MutexGuard<'_, Inner<T>>,
        at: &'static Location<'static>,
    ) -> Result<T, RecvError> {
        // 1. Queue ourselves behind earlier receivers.
        let me = Waiter::new(rt::current_waker("Receiver::recv"), None);
        inner.recvq.push_back(me.clone());
        drop(inner);
        // 2. Park until a sender hands us a value or the last sender leaves.
        loop {
            match me.outcome() {
                None => rt::park(Op::Recv, Some(self.obj), at),
                Some(Ok(value)) => return Ok(value.expect("a delivered receiver has its value")),
                Some(Err(_)) => return Err(RecvError),
            }
        }
    }

    pub(super) fn try_recv(&self, at: &'static Location<'static>) -> Result<T, TryRecvError> {
        rt::point(Op::TryRecv, Some(self.obj), at);
        let mut inner = self.inner.lock();
        if let Some((value, woken)) = self.take_ready(&mut inner) {
            drop(inner);
            if let Some(thread) = woken {
                rt::wake(thread, at);
            }
            return Ok(value);
        }
        if inner.senders == 0 { Err(TryRecvError::Disconnected) } else { Err(TryRecvError::Empty) }
    }

    /// One sender fewer; the last one closes the channel and wakes every blocked receiver.
    pub(super) fn drop_sender(&self, at: Option<&'static Location<'static>>) {
        let mut inner = self.inner.lock();
        inner.senders -= 1;
        if inner.senders > 0 {
            return;
        }
        let waiting: Vec<_> = inner.recvq.drain(..).collect();
        drop(inner);
        self.closed(Op::Close, waiting, at);
    }

    /// One receiver fewer; the last one fails every blocked sender, giving values back.
    pub(super) fn drop_receiver(&self) {
        let mut inner = self.inner.lock();
        inner.receivers -= 1;
        if inner.receivers > 0 {
            return;
        }
        let waiting: Vec<_> = inner.sendq.drain(..).collect();
        drop(inner);
        if !waiting.is_empty() {
            self.closed(Op::Other("drop last receiver"), waiting, None);
        }
    }

    fn closed(&self, op: Op, waiting: Vec<Arc<Waiter<T>>>, at: Option<&'static Location<'static>>) {
        let at = rt::close_point(op, self.obj, at);
        for w in waiting {
            if w.close()
                && let Some(at) = at
            {
                rt::wake(w.thread, at);
            }
        }
    }
}
