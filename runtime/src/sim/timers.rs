//! Virtual time's two resources: the timer heap and the simulated processors.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// What happens when a timer fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimerAction {
    /// Wake `thread` if it is still in the wait numbered `generation` (a sleep).
    Wake { thread: usize, generation: u64 },
    /// `thread` has finished its `work`: free its processor and wake it.
    WorkDone { thread: usize },
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
        }
    }
}

impl From<&TimerKey> for TimerAction {
    fn from(k: &TimerKey) -> Self {
        match k.2 {
            0 => TimerAction::Wake { thread: k.0 as usize, generation: k.1 },
            _ => TimerAction::WorkDone { thread: k.0 as usize },
        }
    }
}

/// Pending timers, earliest deadline first.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
}

impl Timers {
    pub(crate) fn add(&mut self, deadline: u64, action: TimerAction) {
        self.seq += 1;
        self.heap.push(Reverse(Entry { deadline, seq: self.seq, action: action.into() }));
    }

    pub(crate) fn earliest(&self) -> Option<u64> {
        self.heap.peek().map(|Reverse(e)| e.deadline)
    }

    /// Removes and returns every timer due at exactly `deadline`, in insertion order.
    pub(crate) fn pop_due(&mut self, deadline: u64) -> Vec<TimerAction> {
        let mut due = Vec::new();
        while let Some(Reverse(e)) = self.heap.peek() {
            if e.deadline != deadline {
                break;
            }
            let Some(Reverse(e)) = self.heap.pop() else { break };
            due.push(TimerAction::from(&e.action));
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
