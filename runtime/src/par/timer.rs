//! The parallel executor's real-clock timers: one heap serving `sleep`, `after`, `Timer`,
//! `Ticker` and context deadlines, fired by the monitor thread (≈ Go's timers plus sysmon).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::panic::Location;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::vocab::{TimerFn, Waker};

/// What a timer does when it fires.
pub(super) enum Action {
    /// Wake a sleeping thread.
    Wake(Waker),
    /// Run a callback (a channel timer, a context deadline), then re-arm it if periodic.
    Callback { id: u64, f: TimerFn, period: Option<Duration>, at: &'static Location<'static> },
}

struct Entry {
    deadline: Instant,
    seq: u64,
    action: Action,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.deadline, self.seq) == (other.deadline, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.deadline, self.seq).cmp(&(other.deadline, other.seq))
    }
}

#[derive(Default)]
pub(super) struct Heap {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
    next_id: u64,
    /// Sleep wake-ups in the heap (always live: a sleeper waits for its own).
    wakes: usize,
    /// Pending callback timers: id → current deadline. A heap entry whose id is missing or
    /// whose deadline differs was stopped or reset, and is skipped.
    callbacks: HashMap<u64, Instant>,
}

impl Heap {
    fn push(&mut self, deadline: Instant, action: Action) {
        if let Action::Wake(_) = action {
            self.wakes += 1;
        }
        self.seq += 1;
        self.heap.push(Reverse(Entry { deadline, seq: self.seq, action }));
    }

    /// Whether anything can still fire: a sleep, or a callback not stopped since (entries
    /// of stopped or reset callbacks stay in the heap until their deadline, but are dead).
    pub(super) fn is_empty(&self) -> bool {
        self.wakes == 0 && self.callbacks.is_empty()
    }

    /// The earliest deadline.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse(e)| e.deadline)
    }

    /// Pops every entry due at `now` that is still live.
    pub(super) fn due(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        while self.heap.peek().is_some_and(|Reverse(e)| e.deadline <= now) {
            let Reverse(e) = self.heap.pop().expect("peeked");
            if let Action::Wake(_) = e.action {
                self.wakes -= 1;
            }
            if let Action::Callback { id, .. } = &e.action {
                if self.callbacks.get(id) != Some(&e.deadline) {
                    continue; // stopped or reset since
                }
                self.callbacks.remove(id);
            }
            out.push(e.action);
        }
        out
    }

    /// Re-arms a periodic callback after it fired at `fired_at`.
    pub(super) fn rearm(
        &mut self,
        id: u64,
        f: TimerFn,
        period: Duration,
        at: &'static Location<'static>,
        fired_at: Instant,
    ) {
        if self.callbacks.contains_key(&id) {
            return; // reset while firing: the new deadline stands
        }
        let deadline = fired_at + period.max(Duration::from_nanos(1));
        self.callbacks.insert(id, deadline);
        self.push(deadline, Action::Callback { id, f, period: Some(period), at });
    }
}

/// The heap and the condition the monitor waits on.
pub(super) struct Timers {
    heap: Mutex<Heap>,
    cv: Condvar,
}

impl Timers {
    pub(super) fn new() -> Timers {
        Timers { heap: Mutex::new(Heap::default()), cv: Condvar::new() }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Heap> {
        self.heap.lock()
    }

    /// Wakes the monitor (a new earliest timer, a possible deadlock, shutdown).
    pub(super) fn poke(&self) {
        self.cv.notify_one();
    }

    /// Waits until `deadline` at the latest, or a poke.
    pub(super) fn wait(&self, guard: &mut MutexGuard<'_, Heap>, deadline: Instant) {
        self.cv.wait_until(guard, deadline);
    }

    /// Arms a wake-up of `thread` at `deadline`.
    pub(super) fn add_wake(&self, deadline: Instant, thread: Waker) {
        let mut heap = self.heap.lock();
        let earliest = heap.next_deadline().is_none_or(|d| deadline < d);
        heap.push(deadline, Action::Wake(thread));
        drop(heap);
        if earliest {
            self.poke();
        }
    }

    /// Arms a callback timer; returns its id.
    pub(super) fn add_callback(
        &self,
        deadline: Instant,
        period: Option<Duration>,
        f: TimerFn,
        at: &'static Location<'static>,
    ) -> u64 {
        let mut heap = self.heap.lock();
        heap.next_id += 1;
        let id = heap.next_id;
        let earliest = heap.next_deadline().is_none_or(|d| deadline < d);
        heap.callbacks.insert(id, deadline);
        heap.push(deadline, Action::Callback { id, f, period, at });
        drop(heap);
        if earliest {
            self.poke();
        }
        id
    }

    /// Stops a callback timer; true if it was pending.
    pub(super) fn stop(&self, id: u64) -> bool {
        self.heap.lock().callbacks.remove(&id).is_some()
    }

    /// Re-arms a callback timer at `deadline`; true if it was pending.
    pub(super) fn reset(
        &self,
        id: u64,
        deadline: Instant,
        period: Option<Duration>,
        f: &TimerFn,
        at: &'static Location<'static>,
    ) -> bool {
        let mut heap = self.heap.lock();
        let was = heap.callbacks.insert(id, deadline).is_some();
        heap.push(deadline, Action::Callback { id, f: f.clone(), period, at });
        drop(heap);
        self.poke();
        was
    }
}
