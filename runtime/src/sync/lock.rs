//! The lock behind [`RwLock`](super::RwLock), and [`Mutex`](super::Mutex) under `sim`: readers
//! and writers, first come first served, with Go's writer preference (≈ `sync/rwmutex.go`).
//!
//! Policy, all under `state`'s lock:
//! * A writer gets the lock at once only if nobody holds it and nobody waits; otherwise it
//!   queues.
//! * A reader gets it at once only if no writer holds it and nobody waits (a queued waiter
//!   means a writer holds or waits): once a writer waits, new readers queue behind it.
//! * Unlocking hands the lock over directly (no barging): a writer's unlock admits every
//!   queued reader at once, or else the first queued writer; the last reader's unlock admits
//!   the first queued writer.
//!
//! Every hand-over is recorded with the executor (`rt::lock_holder`), which is how lock
//! cycles are found the moment they close.

use std::collections::VecDeque;
use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::sched::rt::{self, ObjRef, Waker};
use crate::vocab::{ObjectKind, Op};

pub(super) struct RawLock {
    state: parking_lot::Mutex<State>,
    obj: ObjRef,
}

#[derive(Default)]
struct State {
    writer: bool,
    readers: usize,
    waiters: VecDeque<Waiter>,
}

struct Waiter {
    thread: Waker,
    write: bool,
    granted: Arc<AtomicBool>,
}

impl RawLock {
    pub(super) fn new(kind: &'static str, at: &'static Location<'static>) -> RawLock {
        let obj = rt::register_object(ObjectKind::Other(kind), None, at, kind);
        RawLock { state: parking_lot::Mutex::new(State::default()), obj }
    }

    fn free_for(&self, s: &State, write: bool) -> bool {
        !s.writer && s.waiters.is_empty() && (!write || s.readers == 0)
    }

    fn take(&self, s: &mut State, write: bool) {
        if write {
            s.writer = true;
        } else {
            s.readers += 1;
        }
        rt::lock_holder(self.obj, rt::current_waker("sync"), write, true);
    }

    /// Locks for writing (`write`) or reading, blocking the green thread until granted.
    pub(super) fn lock(&self, write: bool, at: &'static Location<'static>) {
        let op = if write { Op::Lock } else { Op::RLock };
        rt::point(op, Some(self.obj), at);
        let mut s = self.state.lock();
        if self.free_for(&s, write) {
            self.take(&mut s, write);
            return;
        }
        self.lock_slow(s, write, op, at);
    }

    #[cold]
    fn lock_slow(
        &self,
        mut s: parking_lot::MutexGuard<'_, State>,
        write: bool,
        op: Op,
        at: &'static Location<'static>,
    ) {
        // 1. Queue behind everyone already waiting.
        let granted = Arc::new(AtomicBool::new(false));
        s.waiters.push_back(Waiter {
            thread: rt::current_waker("sync"),
            write,
            granted: granted.clone(),
        });
        drop(s);
        // 2. Park until an unlock hands the lock over (it records us as the holder).
        while !granted.load(Ordering::Acquire) {
            rt::park(op, Some(self.obj), at);
        }
    }

    /// Takes the lock if that needs no waiting. Not a scheduling point's block: it never
    /// parks.
    pub(super) fn try_lock(&self, write: bool, at: &'static Location<'static>) -> bool {
        rt::point(Op::Other(if write { "try_lock" } else { "try_read" }), Some(self.obj), at);
        let mut s = self.state.lock();
        if self.free_for(&s, write) {
            self.take(&mut s, write);
            true
        } else {
            false
        }
    }

    /// Releases the calling thread's hold and hands the lock to whoever is next. Never
    /// blocks and is not a scheduling point (it may run during a panic's unwinding).
    pub(super) fn unlock(&self, write: bool, at: &'static Location<'static>) {
        let me = rt::current_waker("sync");
        let mut s = self.state.lock();
        if write {
            s.writer = false;
        } else {
            s.readers -= 1;
        }
        rt::lock_holder(self.obj, me, write, false);
        rt::note(Op::Unlock, Some(self.obj), at);
        let woken = self.hand_over(&mut s, write);
        drop(s);
        for w in woken {
            rt::wake(w, at);
        }
    }

    /// After an unlock (by a writer if `writer_left`): who gets the lock next.
    fn hand_over(&self, s: &mut State, writer_left: bool) -> Vec<Waker> {
        let mut woken = Vec::new();
        if s.writer || s.readers > 0 || s.waiters.is_empty() {
            return woken;
        }
        if writer_left && s.waiters.iter().any(|w| !w.write) {
            // A writer just left: admit every queued reader (those queued behind a second
            // writer too, as Go's RWMutex does).
            let mut keep = VecDeque::with_capacity(s.waiters.len());
            for w in s.waiters.drain(..) {
                if w.write {
                    keep.push_back(w);
                } else {
                    s.readers += 1;
                    woken.push(self.grant(w));
                }
            }
            s.waiters = keep;
        } else if let Some(i) = s.waiters.iter().position(|w| w.write) {
            let w = s.waiters.remove(i).expect("position is in range");
            s.writer = true;
            woken.push(self.grant(w));
        }
        woken
    }

    fn grant(&self, w: Waiter) -> Waker {
        rt::lock_holder(self.obj, w.thread, w.write, true);
        w.granted.store(true, Ordering::Release);
        w.thread
    }
}
