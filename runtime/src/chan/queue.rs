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
//!
//! A `select!` queues one waiter per arm, all sharing a [`SelectToken`]. Whoever completes
//! one of them must first claim the token (a compare-and-swap, ≈ Go's `selectDone`); a
//! waiter whose token another arm already claimed is stale and is skipped and dropped. The
//! stale-waiter rule weakens the invariants above: a queue may hold stale waiters that do not
//! satisfy them.

use std::collections::VecDeque;
use std::panic::Location;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::{Mutex, MutexGuard};

use super::{RecvError, SendError, TryRecvError, TrySendError};
use crate::diag::Op;
use crate::sched::rt::{self, ObjRef, Waker};

pub(super) struct Shared<T> {
    /// Protects every field of `Inner`.
    inner: Mutex<Inner<T>>,
    obj: ObjRef,
    cap: usize,
    /// For a channel fed by a timer: the timer, stopped when the last receiver goes.
    timer: OnceLock<rt::TimerId>,
}

pub(super) struct Inner<T> {
    buf: VecDeque<T>,
    senders: usize,
    receivers: usize,
    sendq: VecDeque<Arc<Waiter<T>>>,
    recvq: VecDeque<Arc<Waiter<T>>>,
}

/// A blocked sender (holding its value) or receiver (waiting for one).
pub(super) struct Waiter<T> {
    thread: Waker,
    slot: Mutex<Slot<T>>,
    /// For a `select!` arm: the token its arms share, and this arm's index.
    select: Option<Arc<SelectToken>>,
    /// For a `select!` arm: its index (kept apart from the token so the waiter stays small:
    /// one per blocked thread).
    case: u32,
}

/// Shared by the waiters of one blocked `select!`: which arm completed, if any.
#[derive(Debug)]
pub(super) struct SelectToken {
    chosen: AtomicUsize,
}

/// Under contention, a lock is retried this many times before parking_lot's slow path
/// (which soon calls `sched_yield`), each retry after [`PAUSES`] spin-loop hints: Go's
/// runtime lock spins the same 4 x 30. Reading the lock word between tries, rather than
/// hammering it with compare-and-swaps, leaves its cache line with the holder; on the worker
/// pool benchmark (two carriers, two busy channels) this halves the time.
const SPINS: usize = 4;
/// Spin-loop hints between two looks at a contended lock.
const PAUSES: usize = 30;

const NOT_CHOSEN: usize = usize::MAX;

impl SelectToken {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(SelectToken { chosen: AtomicUsize::new(NOT_CHOSEN) })
    }

    /// The arm that completed, once one has.
    pub(super) fn chosen(&self) -> Option<usize> {
        let c = self.chosen.load(Ordering::Acquire);
        (c != NOT_CHOSEN).then_some(c)
    }

    /// Claims the select for `case`. False if another arm got there first.
    fn claim(&self, case: usize) -> bool {
        self.chosen.compare_exchange(NOT_CHOSEN, case, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }
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
    fn new(
        thread: Waker,
        value: Option<T>,
        select: Option<(Arc<SelectToken>, usize)>,
    ) -> Arc<Self> {
        let (select, case) = match select {
            Some((token, case)) => (Some(token), u32::try_from(case).expect("arms fit in u32")),
            None => (None, 0),
        };
        Arc::new(Waiter { thread, slot: Mutex::new(Slot::Waiting(value)), select, case })
    }

    /// Takes the waiter for this completion: always for a plain waiter; for a select arm,
    /// only if no other arm of its select completed first.
    fn claim(&self) -> bool {
        self.select.as_ref().is_none_or(|token| token.claim(self.case as usize))
    }

    /// Gives a waiting receiver its value; returns it if the waiter is no longer waiting.
    fn deliver(&self, value: T) -> Result<(), T> {
        let mut slot = self.slot.lock();
        match &*slot {
            Slot::Waiting(_) if self.claim() => {
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
            Slot::Waiting(value) if self.claim() => {
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
            Slot::Waiting(value) if self.claim() => {
                let value = value.take();
                *slot = Slot::Closed(value);
                true
            }
            _ => false,
        }
    }

    /// The outcome, once there is one.
    pub(super) fn outcome(&self) -> Option<Result<Option<T>, Option<T>>> {
        let mut slot = self.slot.lock();
        match &mut *slot {
            Slot::Waiting(_) => None,
            Slot::Done(value) => Some(Ok(value.take())),
            Slot::Closed(value) => Some(Err(value.take())),
        }
    }
}

/// What a send finds, under the lock.
pub(super) enum SendPoll<T> {
    /// Handed to a receiver (to be woken) or buffered.
    Done(Option<Waker>),
    /// Every receiver is gone.
    Disconnected(T),
    /// It would block.
    Full(T),
}

/// What a receive finds, under the lock.
pub(super) enum RecvPoll<T> {
    /// A value, and the sender to wake, if one was blocked.
    Got(T, Option<Waker>),
    /// Closed and drained.
    Closed,
    /// It would block.
    Empty,
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
            timer: OnceLock::new(),
        }
    }

    /// Takes the lock: one compare-and-swap when free; under contention, spins as Go's
    /// runtime lock does before falling back to parking_lot's own slow path.
    #[inline]
    fn lock(&self) -> MutexGuard<'_, Inner<T>> {
        match self.inner.try_lock() {
            Some(guard) => guard,
            None => self.lock_contended(),
        }
    }

    #[cold]
    fn lock_contended(&self) -> MutexGuard<'_, Inner<T>> {
        for _ in 0..SPINS {
            for _ in 0..PAUSES {
                std::hint::spin_loop();
            }
            if !self.inner.is_locked()
                && let Some(guard) = self.inner.try_lock()
            {
                return guard;
            }
        }
        self.inner.lock()
    }

    /// Ties a timer's registration to this channel's receivers.
    pub(crate) fn set_timer(&self, timer: rt::TimerId) {
        let _ = self.timer.set(timer);
    }

    pub(super) fn obj(&self) -> ObjRef {
        self.obj
    }

    pub(super) fn capacity(&self) -> usize {
        self.cap
    }

    pub(super) fn len(&self) -> usize {
        self.lock().buf.len()
    }

    pub(super) fn describe(&self) -> String {
        format!("capacity {} created at {}", self.cap, self.obj.created)
    }

    pub(super) fn add_sender(&self) {
        self.lock().senders += 1;
    }

    pub(super) fn add_receiver(&self) {
        self.lock().receivers += 1;
    }

    /// A send without blocking: to a blocked receiver, into the buffer, or not at all.
    pub(super) fn poll_send(&self, inner: &mut Inner<T>, mut value: T) -> SendPoll<T> {
        if inner.receivers == 0 {
            return SendPoll::Disconnected(value);
        }
        while let Some(w) = inner.recvq.pop_front() {
            match w.deliver(value) {
                Ok(()) => return SendPoll::Done(Some(w.thread)),
                Err(back) => value = back,
            }
        }
        if inner.buf.len() < self.cap {
            inner.buf.push_back(value);
            return SendPoll::Done(None);
        }
        SendPoll::Full(value)
    }

    /// A receive without blocking: the oldest buffered value (refilling the buffer from the
    /// first blocked sender), or straight from a blocked sender.
    pub(super) fn poll_recv(&self, inner: &mut Inner<T>) -> RecvPoll<T> {
        if let Some(value) = inner.buf.pop_front() {
            while let Some(w) = inner.sendq.pop_front() {
                if let Some(next) = w.take() {
                    inner.buf.push_back(next);
                    return RecvPoll::Got(value, Some(w.thread));
                }
            }
            return RecvPoll::Got(value, None);
        }
        while let Some(w) = inner.sendq.pop_front() {
            if let Some(value) = w.take() {
                return RecvPoll::Got(value, Some(w.thread));
            }
        }
        if inner.senders == 0 { RecvPoll::Closed } else { RecvPoll::Empty }
    }

    pub(super) fn send(
        &self,
        value: T,
        at: &'static Location<'static>,
    ) -> Result<(), SendError<T>> {
        rt::point(Op::Send, Some(self.obj), at);
        let mut inner = self.lock();
        match self.poll_send(&mut inner, value) {
            SendPoll::Done(woken) => {
                drop(inner);
                wake(woken, at);
                Ok(())
            }
            SendPoll::Disconnected(value) => Err(SendError(value)),
            SendPoll::Full(value) => self.send_blocking(inner, value, at),
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
        let me = Waiter::new(rt::current_waker("Sender::send"), Some(value), None);
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
        let mut inner = self.lock();
        match self.poll_send(&mut inner, value) {
            SendPoll::Done(woken) => {
                drop(inner);
                wake(woken, at);
                Ok(())
            }
            SendPoll::Disconnected(value) => Err(TrySendError::Disconnected(value)),
            SendPoll::Full(value) => Err(TrySendError::Full(value)),
        }
    }

    /// A timer's send, from the scheduler loop: no scheduling point, never blocks; the value
    /// is dropped if the buffer is full or nobody can receive.
    pub(crate) fn timer_send(&self, value: T, at: &'static Location<'static>) -> rt::Fired {
        let mut inner = self.lock();
        match self.poll_send(&mut inner, value) {
            SendPoll::Done(woken) => {
                drop(inner);
                rt::note(Op::Timer, Some(self.obj), at);
                wake(woken, at);
                rt::Fired::Changed
            }
            SendPoll::Full(_) => rt::Fired::Idle,
            SendPoll::Disconnected(_) => rt::Fired::Done,
        }
    }

    /// Empties the buffer (a stopped or reset timer's stale tick).
    pub(crate) fn clear(&self) {
        // Dropped after the lock is released: a value's destructor may use channels.
        let stale = std::mem::take(&mut self.lock().buf);
        drop(stale);
    }

    pub(super) fn recv(&self, at: &'static Location<'static>) -> Result<T, RecvError> {
        rt::point(Op::Recv, Some(self.obj), at);
        let mut inner = self.lock();
        match self.poll_recv(&mut inner) {
            RecvPoll::Got(value, woken) => {
                drop(inner);
                wake(woken, at);
                Ok(value)
            }
            RecvPoll::Closed => Err(RecvError),
            RecvPoll::Empty => self.recv_blocking(inner, at),
        }
    }

    #[cold]
    fn recv_blocking(
        &self,
        mut inner: MutexGuard<'_, Inner<T>>,
        at: &'static Location<'static>,
    ) -> Result<T, RecvError> {
        // 1. Queue ourselves behind earlier receivers.
        let me = Waiter::new(rt::current_waker("Receiver::recv"), None, None);
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
        let mut inner = self.lock();
        match self.poll_recv(&mut inner) {
            RecvPoll::Got(value, woken) => {
                drop(inner);
                wake(woken, at);
                Ok(value)
            }
            RecvPoll::Closed => Err(TryRecvError::Disconnected),
            RecvPoll::Empty => Err(TryRecvError::Empty),
        }
    }

    /// One sender fewer; the last one closes the channel and wakes every blocked receiver.
    /// With `switch` false the close is not a scheduling point (see [`rt::close_point`]).
    pub(super) fn drop_sender(&self, at: Option<&'static Location<'static>>, switch: bool) {
        let mut inner = self.lock();
        inner.senders -= 1;
        if inner.senders > 0 {
            return;
        }
        let waiting: Vec<_> = inner.recvq.drain(..).collect();
        drop(inner);
        self.closed(Op::Close, waiting, at, switch);
    }

    /// One receiver fewer; the last one fails every blocked sender, giving values back.
    pub(super) fn drop_receiver(&self) {
        let mut inner = self.lock();
        inner.receivers -= 1;
        if inner.receivers > 0 {
            return;
        }
        if let Some(&timer) = self.timer.get() {
            // Nobody can receive its ticks any more.
            rt::stop_timer(timer);
        }
        let waiting: Vec<_> = inner.sendq.drain(..).collect();
        drop(inner);
        if !waiting.is_empty() {
            self.closed(Op::Other("drop last receiver"), waiting, None, true);
        }
    }

    fn closed(
        &self,
        op: Op,
        waiting: Vec<Arc<Waiter<T>>>,
        at: Option<&'static Location<'static>>,
        switch: bool,
    ) {
        let at = rt::close_point(op, self.obj, at, switch);
        for w in waiting {
            if w.close()
                && let Some(at) = at
            {
                rt::wake(w.thread, at);
            }
        }
    }
}

/// The part of a channel a `select!` arm drives while it holds the channel's lock.
impl<T> Shared<T> {
    /// The lock's address: select takes the locks of all its channels in address order.
    pub(super) fn lock_addr(&self) -> usize {
        &self.inner as *const Mutex<Inner<T>> as usize
    }

    /// Takes the lock and keeps it until [`Shared::unlock_raw`].
    pub(super) fn lock_raw(&self) {
        std::mem::forget(self.lock());
    }

    /// # Safety
    ///
    /// The calling thread holds the lock through [`Shared::lock_raw`].
    pub(super) unsafe fn unlock_raw(&self) {
        // SAFETY: the caller holds the lock taken by `lock_raw`, whose guard was forgotten.
        unsafe { self.inner.force_unlock() };
    }

    /// The state behind the lock.
    ///
    /// # Safety
    ///
    /// The calling thread holds the lock through [`Shared::lock_raw`], and drops the
    /// reference before unlocking.
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn locked(&self) -> &mut Inner<T> {
        // SAFETY: the lock is held (caller's contract), so nothing else accesses the data.
        unsafe { &mut *self.inner.data_ptr() }
    }

    /// Queues a select arm's waiter: a sender (with its value) or a receiver.
    pub(super) fn enqueue(
        inner: &mut Inner<T>,
        thread: Waker,
        value: Option<T>,
        token: &Arc<SelectToken>,
        case: usize,
    ) -> Arc<Waiter<T>> {
        let sending = value.is_some();
        let w = Waiter::new(thread, value, Some((token.clone(), case)));
        if sending {
            inner.sendq.push_back(w.clone());
        } else {
            inner.recvq.push_back(w.clone());
        }
        w
    }

    /// Removes a select arm's waiter that another arm beat, if it is still queued.
    pub(super) fn dequeue(&self, w: &Arc<Waiter<T>>) {
        let mut inner = self.lock();
        inner.sendq.retain(|q| !Arc::ptr_eq(q, w));
        inner.recvq.retain(|q| !Arc::ptr_eq(q, w));
    }
}

/// Wakes the counterpart of a completed operation, if it was blocked.
pub(super) fn wake(woken: Option<Waker>, at: &'static Location<'static>) {
    if let Some(thread) = woken {
        rt::wake(thread, at);
    }
}
