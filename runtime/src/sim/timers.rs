//! Virtual time's two resources: the timer heap and the simulated processors.
//!
//! The heap holds three kinds of entry: a sleeping thread's wake-up, the end of a `work`, and
//! a *callback* timer (`time::after`, a `Ticker`, a context deadline) whose closure the
//! scheduler loop runs when it fires. A callback lives in `callbacks` under its id; stopping it
//! removes it there, and the heap entry it leaves behind is skipped (and dropped) as stale, so
//! a stopped timer never moves the clock.

use crate::vocab::TimerFn;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::panic::Location;

/// What happens when a timer fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimerAction {
    /// Wake `thread` if it is still in the wait numbered `generation` (a sleep).
    Wake { thread: usize, generation: u64 },
    /// `thread` has finished its `work`: free its processor and wake it.
    WorkDone { thread: usize },
    /// Run callback `id`, if it is still armed for the deadline numbered `seq`.
    Fire { id: u64, seq: u64 },
}

/// A registered callback timer.
struct Callback {
    /// Which heap entry is the live one (bumped by every re-arm).
    seq: u64,
    /// Re-arm this many nanoseconds after each firing (a ticker).
    period: Option<u64>,
    f: TimerFn,
    /// The thread that armed it: its firings are recorded for that thread.
    owner: usize,
    at: &'static Location<'static>,
    /// The step at which a periodic firing last changed nothing.
    idle_at: Option<u64>,
}

/// A callback timer that fired, for the scheduler loop to run once the state is no longer
/// borrowed.
pub(crate) struct DueCallback {
    pub(crate) id: u64,
    pub(crate) f: TimerFn,
    pub(crate) owner: usize,
    pub(crate) at: &'static Location<'static>,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    deadline: u64,
    /// Insertion order: makes the heap order total and deterministic.
    seq: u64,
    action: TimerKey,
}

/// `TimerAction` with a total order, so the heap needs nothing else.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct TimerKey(u64, u64, u8);

impl From<TimerAction> for TimerKey {
    fn from(a: TimerAction) -> Self {
        match a {
            TimerAction::Wake { thread, generation } => TimerKey(thread as u64, generation, 0),
            TimerAction::WorkDone { thread } => TimerKey(thread as u64, 0, 1),
            TimerAction::Fire { id, seq } => TimerKey(id, seq, 2),
        }
    }
}

impl From<&TimerKey> for TimerAction {
    fn from(k: &TimerKey) -> Self {
        match k.2 {
            0 => TimerAction::Wake { thread: k.0 as usize, generation: k.1 },
            1 => TimerAction::WorkDone { thread: k.0 as usize },
            _ => TimerAction::Fire { id: k.0, seq: k.1 },
        }
    }
}

/// Pending timers, earliest deadline first.
#[derive(Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
    callbacks: BTreeMap<u64, Callback>,
    next_id: u64,
    /// Heap entries that wake a thread (sleep, work): never stale, never idle.
    thread_entries: usize,
}

impl Timers {
    pub(crate) fn add(&mut self, deadline: u64, action: TimerAction) {
        self.seq += 1;
        if !matches!(action, TimerAction::Fire { .. }) {
            self.thread_entries += 1;
        }
        self.heap.push(Reverse(Entry { deadline, seq: self.seq, action: action.into() }));
    }

    /// Registers a callback timer due at `deadline` and returns its id.
    pub(crate) fn add_callback(
        &mut self,
        deadline: u64,
        period: Option<u64>,
        f: TimerFn,
        owner: usize,
        at: &'static Location<'static>,
    ) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.reset_callback(id, deadline, period, &f, owner, at);
        id
    }

    fn arm(&mut self, id: u64, deadline: u64) {
        self.add(deadline, TimerAction::Fire { id, seq: self.seq + 1 });
        let cb = self.callbacks.get_mut(&id).expect("armed callbacks are registered");
        cb.seq = self.seq;
        cb.idle_at = None;
    }

    /// Unregisters callback `id`. True if it was still pending.
    pub(crate) fn remove_callback(&mut self, id: u64) -> bool {
        self.callbacks.remove(&id).is_some()
    }

    /// Moves callback `id` to `deadline` with a new `period`, registering it again (with `f`,
    /// `owner` and `at`) if it had fired or been stopped. True if it was still pending.
    pub(crate) fn reset_callback(
        &mut self,
        id: u64,
        deadline: u64,
        period: Option<u64>,
        f: &TimerFn,
        owner: usize,
        at: &'static Location<'static>,
    ) -> bool {
        let pending = match self.callbacks.get_mut(&id) {
            Some(cb) => {
                cb.period = period;
                true
            }
            None => {
                let cb = Callback { seq: 0, period, f: f.clone(), owner, at, idle_at: None };
                self.callbacks.insert(id, cb);
                false
            }
        };
        self.arm(id, deadline);
        pending
    }

    /// The earliest live deadline, dropping stale callback entries on the way.
    pub(crate) fn earliest(&mut self) -> Option<u64> {
        while let Some(Reverse(e)) = self.heap.peek() {
            if self.is_live(&TimerAction::from(&e.action)) {
                return Some(e.deadline);
            }
            self.heap.pop();
        }
        None
    }

    fn is_live(&self, action: &TimerAction) -> bool {
        match *action {
            TimerAction::Fire { id, seq } => self.callbacks.get(&id).is_some_and(|c| c.seq == seq),
            _ => true,
        }
    }

    /// True if every pending timer is a periodic callback whose last firing, at step `step`
    /// (that is, with nothing happening since), changed nothing: firing them again cannot
    /// wake anyone, however far the clock moves.
    pub(crate) fn all_idle(&self, step: u64) -> bool {
        self.thread_entries == 0
            && !self.callbacks.is_empty()
            && self.callbacks.values().all(|c| c.period.is_some() && c.idle_at == Some(step))
    }

    /// Takes a due callback out for running: one-shot callbacks are unregistered, periodic
    /// ones re-armed one period later. `None` if it is stale.
    pub(crate) fn take_due(&mut self, id: u64, seq: u64, now: u64) -> Option<DueCallback> {
        let cb = self.callbacks.get(&id).filter(|c| c.seq == seq)?;
        let due = DueCallback { id, f: cb.f.clone(), owner: cb.owner, at: cb.at };
        match cb.period {
            Some(period) => self.arm(id, now.saturating_add(period.max(1))),
            None => {
                self.callbacks.remove(&id);
            }
        }
        Some(due)
    }

    /// Records that callback `id`'s firing at step `step` changed nothing.
    pub(crate) fn mark_idle(&mut self, id: u64, step: u64) {
        if let Some(cb) = self.callbacks.get_mut(&id) {
            cb.idle_at = Some(step);
        }
    }

    /// Removes and returns every timer due at exactly `deadline`, in insertion order.
    pub(crate) fn pop_due(&mut self, deadline: u64) -> Vec<TimerAction> {
        let mut due = Vec::new();
        while let Some(Reverse(e)) = self.heap.peek() {
            if e.deadline != deadline {
                break;
            }
            let Some(Reverse(e)) = self.heap.pop() else { break };
            let action = TimerAction::from(&e.action);
            if !matches!(action, TimerAction::Fire { .. }) {
                self.thread_entries -= 1;
            } else if !self.is_live(&action) {
                continue;
            }
            due.push(action);
        }
        due
    }
}

/// The simulated CPUs that `time::work` occupies.
#[derive(Debug)]
pub(crate) struct Processors {
    free: usize,
    /// Threads waiting for a processor, first come first served, with their work length.
    waiting: VecDeque<(usize, u64)>,
}

impl Processors {
    pub(crate) fn new(count: usize) -> Self {
        Processors { free: count.max(1), waiting: VecDeque::new() }
    }

    pub(crate) fn try_acquire(&mut self) -> bool {
        if self.free > 0 {
            self.free -= 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn enqueue(&mut self, thread: usize, nanos: u64) {
        self.waiting.push_back((thread, nanos));
    }

    /// Frees a processor; if someone waits, hands it to them and returns who.
    pub(crate) fn release(&mut self) -> Option<(usize, u64)> {
        match self.waiting.pop_front() {
            Some(next) => Some(next),
            None => {
                self.free += 1;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_pop_in_deadline_order_and_group_ties() {
        let mut t = Timers::default();
        t.add(30, TimerAction::Wake { thread: 1, generation: 1 });
        t.add(10, TimerAction::Wake { thread: 2, generation: 1 });
        t.add(10, TimerAction::WorkDone { thread: 3 });
        assert_eq!(t.earliest(), Some(10));
        assert_eq!(
            t.pop_due(10),
            [TimerAction::Wake { thread: 2, generation: 1 }, TimerAction::WorkDone { thread: 3 }]
        );
        assert_eq!(t.earliest(), Some(30));
    }

    #[test]
    fn processors_hand_over_in_arrival_order() {
        let mut p = Processors::new(1);
        assert!(p.try_acquire());
        assert!(!p.try_acquire());
        p.enqueue(4, 100);
        p.enqueue(5, 200);
        assert_eq!(p.release(), Some((4, 100)));
        assert_eq!(p.release(), Some((5, 200)));
        assert_eq!(p.release(), None);
        assert!(p.try_acquire());
    }
}
