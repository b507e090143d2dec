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
//! A waiter (≈ Go's `sudog`) lives in the blocked thread's own frame, not on the heap: the
//! queues hold pointers to it. Its state moves `WAITING -> DONE` (the value was handed over)
//! or `WAITING -> CLOSED` (the other side went away), exactly once, under the channel lock,
//! by whoever takes it off the queue; that party copies the waiter's waker first, publishes
//! the state last, and touches the waiter no more (the blocked thread may return the moment
//! it sees the state, and its frame with the waiter goes). The waiting thread is unparked
//! after the lock is released, and re-checks the state after every wake-up, so a stray
//! unpark is harmless. A waiter's frame never ends while the waiter is queued: the thread
//! returns only once it was taken off, and a frame unwound early takes it off first
//! ([`Queued`], and `select`'s withdrawal).
//!
//! A `select!` queues one waiter per arm, all sharing a [`SelectToken`] in the select's
//! frame. Whoever completes one of them must first claim the token (a compare-and-swap,
//! ≈ Go's `selectDone`); a waiter whose token another arm already claimed is stale and is
//! skipped and dropped from the queue. The stale-waiter rule weakens the invariants above: a
//! queue may hold stale waiters that do not satisfy them.

use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::panic::Location;
use std::ptr::{self, NonNull};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use parking_lot::{Mutex, MutexGuard};

use super::{RecvError, SendError, TryRecvError, TrySendError};
use crate::sched::rt::{self, ObjRef, Waker};
use crossbeam_utils::CachePadded;

use crate::spin;
use crate::vocab::Op;

pub(super) struct Shared<T> {
    /// Protects every field of `Inner`. On cache lines of its own, so `obj` and `cap`, read
    /// at every operation before the lock is taken, stay cached on every core.
    inner: CachePadded<Mutex<Inner<T>>>,
    obj: ObjRef,
    cap: usize,
    /// For a channel fed by a timer: the timer, stopped when the last receiver goes.
    timer: OnceLock<rt::TimerId>,
}

pub(super) struct Inner<T> {
    buf: VecDeque<T>,
    senders: usize,
    receivers: usize,
    sendq: VecDeque<WaiterPtr<T>>,
    recvq: VecDeque<WaiterPtr<T>>,
}

/// A blocked sender (holding its value) or receiver (waiting for one), in its thread's frame.
pub(super) struct Waiter<T> {
    thread: Waker,
    /// `WAITING`, `DONE` or `CLOSED`; see the module docs.
    state: AtomicU8,
    /// For a `select!` arm: its index.
    case: u32,
    /// For a `select!` arm: the token its arms share (in the select's frame), else null.
    token: *const SelectToken,
    /// A sender's value until a receiver takes it (or the close gives it back); a receiver's
    /// once delivered. Written by the party that takes the waiter off the queue, then read
    /// by the waiting thread once `state` says so.
    value: UnsafeCell<Option<T>>,
}

const WAITING: u8 = 0;
const DONE: u8 = 1;
const CLOSED: u8 = 2;

/// A queued waiter.
pub(super) struct WaiterPtr<T>(NonNull<Waiter<T>>);

// SAFETY: a queued waiter is only touched under its channel's lock (or by its own thread
// once it has been taken off the queue); it moves values of `T` between threads, so `T`
// must be `Send`, as for the channel itself.
unsafe impl<T: Send> Send for WaiterPtr<T> {}

impl<T> WaiterPtr<T> {
    /// # Safety
    ///
    /// The waiter is queued (so alive: see the module docs) and the channel's lock is held.
    unsafe fn get(&self) -> &Waiter<T> {
        // SAFETY: the caller's contract.
        unsafe { self.0.as_ref() }
    }
}

/// Shared by the waiters of one blocked `select!`: which arm completed, if any.
#[derive(Debug)]
pub(super) struct SelectToken {
    chosen: AtomicUsize,
}

const NOT_CHOSEN: usize = usize::MAX;

impl SelectToken {
    pub(super) fn new() -> Self {
        SelectToken { chosen: AtomicUsize::new(NOT_CHOSEN) }
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

impl<T> Waiter<T> {
    /// A plain waiter: a sender with `Some(value)`, a receiver with `None`.
    pub(super) fn new(thread: Waker, value: Option<T>) -> Self {
        Waiter {
            thread,
            state: AtomicU8::new(WAITING),
            case: 0,
            token: ptr::null(),
            value: UnsafeCell::new(value),
        }
    }

    /// A `select!` arm's waiter.
    pub(super) fn for_select(
        thread: Waker,
        value: Option<T>,
        token: &SelectToken,
        case: usize,
    ) -> Self {
        Waiter {
            token,
            case: u32::try_from(case).expect("arms fit in u32"),
            ..Waiter::new(thread, value)
        }
    }

    /// Takes the waiter for this completion: always for a plain waiter; for a select arm,
    /// only if no other arm of its select completed first. Under the channel lock.
    fn claim(&self) -> bool {
        // SAFETY: the token lives in the select's frame, which outlives its queued waiters
        // (`select` withdraws them all before it returns or unwinds).
        self.token.is_null() || unsafe { &*self.token }.claim(self.case as usize)
    }

    /// Finishes a waiter taken off the queue: sets its state and returns its thread's
    /// waker, read before the state is published (after that the waiter may be gone).
    fn settle(&self, state: u8) -> Waker {
        let thread = self.thread;
        self.state.store(state, Ordering::Release);
        thread
    }

    /// Whether the waiter has its outcome.
    pub(super) fn settled(&self) -> bool {
        self.state.load(Ordering::Acquire) != WAITING
    }

    /// The outcome once there is one: `Ok` with a receiver's value, `Err` with a closed
    /// sender's value. By the waiting thread.
    pub(super) fn outcome(&self) -> Option<Result<Option<T>, Option<T>>> {
        match self.state.load(Ordering::Acquire) {
            WAITING => None,
            state => {
                // SAFETY: settled: the party that settled it no longer touches `value`, and
                // the waiting thread (the caller) is the only one left.
                let value = unsafe { &mut *self.value.get() }.take();
                Some(if state == DONE { Ok(value) } else { Err(value) })
            }
        }
    }
}

impl<T> WaiterPtr<T> {
    /// Gives a waiting receiver its value; returns the value if the waiter was stale.
    ///
    /// # Safety
    ///
    /// As for [`WaiterPtr::get`]; the waiter was just taken off the queue.
    unsafe fn deliver(&self, value: T) -> Result<Waker, T> {
        // SAFETY: the caller's contract.
        let w = unsafe { self.get() };
        if !w.claim() {
            return Err(value);
        }
        // SAFETY: claimed under the lock: nobody else touches `value` until `settle`.
        unsafe { *w.value.get() = Some(value) };
        Ok(w.settle(DONE))
    }

    /// Takes a waiting sender's value (`None` if the waiter was stale).
    ///
    /// # Safety
    ///
    /// As for [`WaiterPtr::deliver`].
    unsafe fn take(&self) -> Option<(T, Waker)> {
        // SAFETY: the caller's contract.
        let w = unsafe { self.get() };
        if !w.claim() {
            return None;
        }
        // SAFETY: as in `deliver`.
        let value = unsafe { &mut *w.value.get() }.take().expect("a queued sender has its value");
        Some((value, w.settle(DONE)))
    }

    /// Tells a waiter the other side is gone; its waker, or `None` if it was stale.
    ///
    /// # Safety
    ///
    /// As for [`WaiterPtr::deliver`].
    unsafe fn close(&self) -> Option<Waker> {
        // SAFETY: the caller's contract.
        let w = unsafe { self.get() };
        w.claim().then(|| w.settle(CLOSED))
    }
}

/// Keeps a plain waiter's queue entry honest: if the waiting frame unwinds while the waiter
/// is still queued (the run tearing its threads down), takes it off first.
struct Queued<'c, T> {
    channel: &'c Shared<T>,
    waiter: &'c Waiter<T>,
}

impl<T> Drop for Queued<'_, T> {
    fn drop(&mut self) {
        if self.waiter.state.load(Ordering::Acquire) == WAITING {
            self.channel.dequeue(self.waiter);
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
            inner: CachePadded::new(Mutex::new(Inner {
                buf: VecDeque::with_capacity(cap.min(1024)),
                senders: 1,
                receivers: 1,
                sendq: VecDeque::new(),
                recvq: VecDeque::new(),
            })),
            obj,
            cap,
            timer: OnceLock::new(),
        }
    }

    /// Takes the lock, spinning briefly under contention ([`spin::lock`]).
    #[inline]
    fn lock(&self) -> MutexGuard<'_, Inner<T>> {
        spin::lock(&self.inner)
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

    /// Values buffered, senders queued and receivers queued (stale `select!` arms included).
    pub(super) fn counts(&self) -> (usize, usize, usize) {
        let inner = self.lock();
        (inner.buf.len(), inner.sendq.len(), inner.recvq.len())
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
            // SAFETY: it was queued, and we hold the lock.
            match unsafe { w.deliver(value) } {
                Ok(thread) => return SendPoll::Done(Some(thread)),
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
                // SAFETY: it was queued, and we hold the lock.
                if let Some((next, thread)) = unsafe { w.take() } {
                    inner.buf.push_back(next);
                    return RecvPoll::Got(value, Some(thread));
                }
            }
            return RecvPoll::Got(value, None);
        }
        while let Some(w) = inner.sendq.pop_front() {
            // SAFETY: as above.
            if let Some((value, thread)) = unsafe { w.take() } {
                return RecvPoll::Got(value, Some(thread));
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
        let me = Waiter::new(rt::current_waker("Sender::send"), Some(value));
        inner.sendq.push_back(WaiterPtr(NonNull::from(&me)));
        drop(inner);
        let _queued = Queued { channel: self, waiter: &me };
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
        let me = Waiter::new(rt::current_waker("Receiver::recv"), None);
        inner.recvq.push_back(WaiterPtr(NonNull::from(&me)));
        drop(inner);
        let _queued = Queued { channel: self, waiter: &me };
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
        let woken = Self::close_all(&mut inner.recvq);
        drop(inner);
        self.closed(Op::Close, woken, at, switch);
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
        let woken = Self::close_all(&mut inner.sendq);
        drop(inner);
        if !woken.is_empty() {
            self.closed(Op::Other("drop last receiver"), woken, None, true);
        }
    }

    /// Tells every waiter of `queue` the other side is gone (under the lock); their wakers.
    fn close_all(queue: &mut VecDeque<WaiterPtr<T>>) -> Vec<Waker> {
        // SAFETY: each was queued, and the caller holds the lock.
        queue.drain(..).filter_map(|w| unsafe { w.close() }).collect()
    }

    /// The close's scheduling point, then the wake-ups of the waiters it failed.
    fn closed(
        &self,
        op: Op,
        woken: Vec<Waker>,
        at: Option<&'static Location<'static>>,
        switch: bool,
    ) {
        let at = rt::close_point(op, self.obj, at, switch);
        if let Some(at) = at {
            for thread in woken {
                rt::wake(thread, at);
            }
        }
    }
}

/// The part of a channel a `select!` arm drives while it holds the channel's lock.
impl<T> Shared<T> {
    /// The lock's address: select takes the locks of all its channels in address order.
    pub(super) fn lock_addr(&self) -> usize {
        &*self.inner as *const Mutex<Inner<T>> as usize
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

    /// Queues a select arm's waiter: a sender (holding its value) or a receiver.
    ///
    /// # Safety
    ///
    /// `w` stays where it is, alive, until it is taken off the queue: by a counterpart, or by
    /// [`Shared::dequeue`] (which the select calls for each arm before it returns or unwinds).
    pub(super) unsafe fn enqueue(inner: &mut Inner<T>, w: &Waiter<T>, sending: bool) {
        let queue = if sending { &mut inner.sendq } else { &mut inner.recvq };
        queue.push_back(WaiterPtr(NonNull::from(w)));
    }

    /// Takes a waiter off this channel's queues if it is still there (a select arm another
    /// arm beat, or a waiting frame unwinding).
    pub(super) fn dequeue(&self, w: &Waiter<T>) {
        let p = NonNull::from(w);
        let mut inner = self.lock();
        inner.sendq.retain(|q| q.0 != p);
        inner.recvq.retain(|q| q.0 != p);
    }
}

/// Wakes the counterpart of a completed operation, if it was blocked.
pub(super) fn wake(woken: Option<Waker>, at: &'static Location<'static>) {
    if let Some(thread) = woken {
        rt::wake(thread, at);
    }
}
