//! A run's scheduler state: thread records, the run queue, decisions, events and the clock.
//!
//! Invariants: a thread is in `runq` if and only if its status is `Runnable`; the clock moves
//! only in `advance_clock`, called when `runq` is empty; every event gets the next step
//! number, goes into the trace fingerprint and bumps the watchdog heartbeat.

use std::panic::Location;
use std::ptr;
use std::sync::Arc;
use std::time::Duration;

use corosensei::Yielder;

use super::Stats;
use super::rng::Pcg32;
use super::strategy::{Prioritized, Scheduler};
use super::timers::{DueCallback, Processors, TimerAction, Timers};
use crate::exec::watchdog::Heartbeat;
use crate::vocab::{
    Failure, LockWait, ObjectId, Op, PanicReport, ThreadId, ThreadLabel, ThreadSnapshot,
    ThreadState, Trace,
};

impl Prioritized for ThreadRec {
    #[inline]
    fn priority(&self) -> i64 {
        self.priority
    }

    #[inline]
    fn set_priority(&mut self, priority: i64) {
        self.priority = priority;
    }
}

/// One green thread's record.
pub(crate) struct ThreadRec {
    pub(crate) label: ThreadLabel,
    pub(crate) status: Status,
    /// An unpark arrived while the thread was not parked.
    pub(crate) permit: bool,
    /// The closure to run, until the thread first runs.
    pub(crate) start: Option<Box<dyn FnOnce() + 'static>>,
    /// The thread's coroutine yielder, once it has started.
    pub(crate) yielder: *const Yielder<(), ()>,
    pub(crate) stack_size: usize,
    /// PCT priority: higher runs first.
    pub(crate) priority: i64,
    /// Bumped at every block, so a timer armed for an earlier wait cannot wake a later one.
    pub(crate) wait_gen: u64,
    pub(crate) last_point: &'static Location<'static>,
}

/// Where a thread is. `Runnable` threads (and only they) are in the run queue; the running
/// thread is `Runnable` too.
pub(crate) enum Status {
    Runnable,
    Blocked(Wait),
    Finished,
}

/// What a blocked thread waits for, for reports.
#[derive(Clone, Copy)]
pub(crate) struct Wait {
    pub(crate) op: Op,
    pub(crate) object: Option<ObjectId>,
    pub(crate) at: &'static Location<'static>,
    pub(crate) since_step: u64,
    pub(crate) since: u64,
}

pub(crate) struct State {
    pub(crate) threads: Vec<ThreadRec>,
    pub(crate) runq: Vec<u32>,
    /// Index of `threads[i]` in `runq`, or `NOT_QUEUED`.
    pub(crate) runq_pos: Vec<u32>,
    /// The thread executing now (or that last executed, while in the loop).
    pub(crate) current: usize,
    /// The thread a scheduling point chose to run next.
    pub(crate) next: Option<usize>,
    pub(crate) scheduler: Scheduler,
    pub(crate) rng: Pcg32,
    /// Virtual nanoseconds since the start of the run.
    pub(crate) now: u64,
    pub(crate) timers: Timers,
    pub(crate) procs: Processors,
    pub(crate) trace: Trace,
    pub(crate) step: u64,
    pub(crate) failure: Option<Failure>,
    pub(crate) main_done: bool,
    /// Panics of joinable threads that nobody has joined yet.
    pub(crate) unobserved: Vec<PanicReport>,
    pub(crate) max_steps: u64,
    pub(crate) max_time: u64,
    pub(crate) default_stack: usize,
    pub(crate) heartbeat: Arc<Heartbeat>,
    pub(crate) stats: Stats,
    /// The panic message and location the hook saw last, for the thread that panicked.
    pub(crate) last_panic: Option<(String, Option<String>)>,
    /// Who holds each lock, indexed by object id: thread indices, with true for a writer
    /// (or a mutex's owner). Empty for objects that are not locks.
    pub(crate) holders: Vec<Vec<(usize, bool)>>,
}

const NOT_QUEUED: u32 = u32::MAX;

/// The location main's first events report: the start of the executor, the same for every
/// run and replay.
fn main_start() -> &'static Location<'static> {
    Location::caller()
}

impl State {
    pub(crate) fn add_thread(
        &mut self,
        name: Option<Arc<str>>,
        site: &'static Location<'static>,
        parent: Option<ThreadId>,
        stack_size: Option<usize>,
        start: Option<Box<dyn FnOnce() + 'static>>,
    ) -> usize {
        let index = self.threads.len();
        let id = ThreadId::from_index(index);
        let priority = self.scheduler.initial_priority(&mut self.rng);
        let label = ThreadLabel { id, name, spawn_site: site, parent };
        // Main's spawn site is wherever `run` was called, which differs between a run and
        // its replay; its events start from a fixed location instead.
        let first_point = if parent.is_none() { main_start() } else { site };
        self.heartbeat.add_thread(&label);
        self.trace.threads.push(label.clone());
        self.threads.push(ThreadRec {
            label,
            status: Status::Blocked(Wait {
                op: Op::Block,
                object: None,
                at: site,
                since_step: 0,
                since: 0,
            }),
            permit: false,
            start,
            yielder: ptr::null(),
            stack_size: stack_size.unwrap_or(self.default_stack),
            priority,
            wait_gen: 0,
            last_point: first_point,
        });
        self.runq_pos.push(NOT_QUEUED);
        self.stats.threads += 1;
        self.make_runnable(index);
        index
    }

    pub(crate) fn last_point_of(&mut self, t: usize, at: &'static Location<'static>) {
        self.threads[t].last_point = at;
    }

    /// Records one event: next step, trace, fingerprint, heartbeat, step limit.
    pub(crate) fn event(
        &mut self,
        thread: usize,
        op: Op,
        object: Option<ObjectId>,
        at: &'static Location<'static>,
    ) {
        self.step += 1;
        let step = self.step;
        self.trace.record(step, self.now, ThreadId::from_index(thread), op, object, at);
        self.heartbeat.beat(step, thread, at);
        if step > self.max_steps && self.failure.is_none() {
            self.failure = Some(Failure::StepLimit { limit: self.max_steps });
        }
    }

    pub(crate) fn fail(&mut self, failure: Failure) {
        if self.failure.is_none() {
            self.failure = Some(failure);
        }
    }

    pub(crate) fn make_runnable(&mut self, t: usize) {
        debug_assert_eq!(self.runq_pos[t], NOT_QUEUED);
        self.threads[t].status = Status::Runnable;
        self.runq_pos[t] = self.runq.len() as u32;
        self.runq.push(t as u32);
    }

    pub(crate) fn remove_runnable(&mut self, t: usize) {
        let pos = self.runq_pos[t];
        if pos == NOT_QUEUED {
            return;
        }
        self.runq.swap_remove(pos as usize);
        if let Some(&moved) = self.runq.get(pos as usize) {
            self.runq_pos[moved as usize] = pos;
        }
        self.runq_pos[t] = NOT_QUEUED;
    }

    pub(crate) fn block(
        &mut self,
        t: usize,
        op: Op,
        object: Option<ObjectId>,
        at: &'static Location<'static>,
    ) {
        self.event(t, Op::Block, object, at);
        self.remove_runnable(t);
        let rec = &mut self.threads[t];
        rec.wait_gen += 1;
        rec.status =
            Status::Blocked(Wait { op, object, at, since_step: self.step, since: self.now });
    }

    /// Makes a blocked thread runnable, or leaves a permit for its next park.
    pub(crate) fn wake(&mut self, t: usize, at: &'static Location<'static>) {
        match self.threads[t].status {
            Status::Blocked(_) => {
                self.make_runnable(t);
                self.event(t, Op::Wake, None, at);
            }
            Status::Runnable => self.threads[t].permit = true,
            Status::Finished => {}
        }
    }

    /// The scheduling decision after the running thread's event: whether it must give way,
    /// because the run failed or because the scheduler picked another thread (kept in `next`).
    #[inline]
    pub(crate) fn must_switch(&mut self) -> bool {
        if self.failure.is_some() {
            return true;
        }
        let me = self.current;
        let next = self.decide().expect("the running thread is runnable");
        if next != me {
            self.next = Some(next);
        }
        next != me
    }

    /// Chooses the next thread among the runnable ones; `None` if there is none.
    pub(crate) fn decide(&mut self) -> Option<usize> {
        if self.runq.is_empty() {
            return None;
        }
        let current = self.current;
        Some(self.scheduler.pick(&self.runq, &mut self.threads, current, &mut self.rng))
    }

    /// Moves virtual time to the earliest timer and fires every timer due then, in seeded
    /// order. Thread wake-ups happen here; callback timers are returned for the loop to run
    /// once the state is no longer borrowed. `None` if no timer could ever wake anyone.
    pub(crate) fn advance_clock(&mut self) -> Option<Vec<DueCallback>> {
        if self.timers.all_idle(self.step) {
            return None;
        }
        let deadline = self.timers.earliest()?;
        if deadline > self.max_time {
            self.fail(Failure::TimeLimit { limit: Duration::from_nanos(self.max_time) });
            return Some(Vec::new());
        }
        let mut due = self.timers.pop_due(deadline);
        if due.len() > 1 {
            self.rng.shuffle(&mut due);
        }
        self.now = deadline;
        let mut callbacks = Vec::new();
        for action in due {
            if let TimerAction::Fire { id, seq } = action {
                callbacks.extend(self.timers.take_due(id, seq, deadline));
            } else {
                self.fire(action);
            }
        }
        Some(callbacks)
    }

    pub(crate) fn fire(&mut self, action: TimerAction) {
        match action {
            TimerAction::Fire { .. } => unreachable!("callbacks run from the loop"),
            TimerAction::Wake { thread, generation } => {
                if self.threads[thread].wait_gen == generation {
                    let at = self.wait_site(thread);
                    self.wake(thread, at);
                }
            }
            TimerAction::WorkDone { thread } => {
                let at = self.wait_site(thread);
                self.wake(thread, at);
                if let Some((waiter, nanos)) = self.procs.release() {
                    let deadline = self.now.saturating_add(nanos);
                    if let Status::Blocked(wait) = &mut self.threads[waiter].status {
                        wait.op = Op::Work(Duration::from_nanos(nanos));
                    }
                    self.timers.add(deadline, TimerAction::WorkDone { thread: waiter });
                }
            }
        }
    }

    pub(crate) fn wait_site(&self, t: usize) -> &'static Location<'static> {
        match &self.threads[t].status {
            Status::Blocked(w) => w.at,
            _ => self.threads[t].last_point,
        }
    }

    pub(crate) fn now_nanos(&self) -> u64 {
        self.now
    }

    pub(crate) fn steps(&self) -> u64 {
        self.step
    }

    pub(crate) fn take_unobserved_panic(&mut self) -> Option<PanicReport> {
        if self.unobserved.is_empty() { None } else { Some(self.unobserved.remove(0)) }
    }

    /// Threads that have not finished, other than main.
    pub(crate) fn alive_others(&self) -> usize {
        self.threads[1..].iter().filter(|t| !matches!(t.status, Status::Finished)).count()
    }

    pub(crate) fn snapshot(&self) -> Vec<ThreadSnapshot> {
        self.threads
            .iter()
            .map(|t| ThreadSnapshot {
                label: t.label.clone(),
                state: match &t.status {
                    Status::Runnable => ThreadState::Runnable { last_point: t.last_point },
                    Status::Finished => ThreadState::Finished,
                    Status::Blocked(w) => ThreadState::Blocked {
                        op: w.op,
                        object: w.object.and_then(|o| self.trace.object(o).cloned()),
                        at: w.at,
                        since_step: w.since_step,
                        since: Duration::from_nanos(w.since),
                    },
                },
            })
            .collect()
    }
}

/// Lock cycles: the wait-for graph between threads blocked in `lock`/`read`.
impl State {
    /// The threads `t` waits for, if it is blocked on a lock: for a writer, every holder; for a
    /// reader, the writer holding it and the writers queued for it (Go's RWMutex lets no new
    /// reader in once a writer waits). `true` marks a holder.
    fn lock_blockers(&self, t: usize) -> Vec<(usize, bool)> {
        let Status::Blocked(Wait { op, object: Some(o), .. }) = self.threads[t].status else {
            return Vec::new();
        };
        let held = self.holders.get(o.0 as usize).map(Vec::as_slice).unwrap_or(&[]);
        match op {
            Op::Lock => held.iter().map(|&(h, _)| (h, true)).collect(),
            Op::RLock => {
                let mut out: Vec<(usize, bool)> =
                    held.iter().filter(|&&(_, w)| w).map(|&(h, _)| (h, true)).collect();
                out.extend(self.threads.iter().enumerate().filter_map(|(i, r)| match r.status {
                    Status::Blocked(Wait { op: Op::Lock, object: Some(p), .. }) if p == o => {
                        Some((i, false))
                    }
                    _ => None,
                }));
                out
            }
            _ => Vec::new(),
        }
    }

    /// A cycle of lock waits through `start`, which has just blocked on a lock.
    pub(crate) fn lock_cycle(&self, start: usize) -> Option<Vec<LockWait>> {
        let first = self.lock_blockers(start);
        let waits_on_lock = |t: usize| {
            matches!(self.threads[t].status, Status::Blocked(Wait { op: Op::Lock | Op::RLock, .. }))
        };
        // Common case: whoever we wait for is not itself waiting for a lock.
        if !first.iter().any(|&(t, _)| t == start || waits_on_lock(t)) {
            return None;
        }
        // Depth-first search over wait-for edges; `path` holds (thread, edge taken).
        let mut path: Vec<(usize, usize, bool)> = Vec::new();
        let mut seen = vec![false; self.threads.len()];
        let mut stack = vec![(start, first, 0usize)];
        seen[start] = true;
        while let Some((t, edges, next)) = stack.last_mut() {
            let Some(&(to, holds)) = edges.get(*next) else {
                stack.pop();
                path.pop();
                continue;
            };
            *next += 1;
            let t = *t;
            if to == start {
                path.push((t, to, holds));
                return Some(self.describe_cycle(&path));
            }
            if !seen[to] {
                seen[to] = true;
                path.push((t, to, holds));
                stack.push((to, self.lock_blockers(to), 0));
            }
        }
        None
    }

    fn describe_cycle(&self, path: &[(usize, usize, bool)]) -> Vec<LockWait> {
        path.iter()
            .filter_map(|&(t, to, holds)| {
                let Status::Blocked(w) = self.threads[t].status else { return None };
                Some(LockWait {
                    thread: self.threads[t].label.clone(),
                    op: w.op,
                    object: self.trace.object(w.object?)?.clone(),
                    at: w.at,
                    blocked_by: self.threads[to].label.clone(),
                    holds,
                })
            })
            .collect()
    }
}

pub(crate) fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
