//! `run` and `replay`: drive one deterministic run from the first step to its report.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe, Location};

use corosensei::{Coroutine, CoroutineResult, Yielder};

use super::exec::{self, Installed, Sim};
use super::report::{ReplayCheck, Report};
use super::token::{Token, TokenError};
use super::{Config, Stats};
use crate::exec::{Executor, overflow, panic_hook, watchdog};
use crate::stack::{self, GuardedStack};
use crate::vocab::{FNV_OFFSET, Failure, fnv1a};

/// Runs `main` as green thread #1 under `config` and reports what happened.
///
/// All green threads run on the calling OS thread, one at a time; at every scheduling point
/// the seeded scheduler picks who runs next, and when nobody can run the virtual clock jumps
/// to the next timer. The run ends when main returns (threads still alive are leaks), or
/// with a failure: deadlock, panic, step or time limit. It never hangs: a thread that stops
/// reaching scheduling points is caught by the watchdog, which prints a report and aborts.
///
/// `main` may borrow from the caller: every green thread has finished or been unwound when
/// `run` returns.
///
/// # Panics
///
/// If called inside a run (runs do not nest).
///
/// # Examples
///
/// ```
/// use gort::{chan, go, sim, time};
/// use std::time::Duration;
///
/// let report = sim::run(&sim::Config::default(), || {
///     let (tx, rx) = chan::bounded(0);
///     go(move || {
///         time::sleep(Duration::from_millis(200));
///         tx.send("pong").unwrap();
///     });
///     let reply = rx.recv().unwrap();
///     (reply, time::now().elapsed_since_start())
/// });
/// assert_eq!(report.unwrap(), ("pong", Duration::from_millis(200)));
/// ```
#[track_caller]
pub fn run<T, F>(config: &Config, main: F) -> Report<T>
where
    F: FnOnce() -> T + Send,
{
    execute(config, program_fingerprint::<F>(config), Location::caller(), main)
}

/// Re-runs the schedule a replay token names, and says whether it reproduced the run.
///
/// `config` supplies everything but the seed and strategy, which come from the token; use the
/// same config as the run that printed the token. The report's
/// [`replay_check`](Report::replay_check) compares the new run with the recorded one.
///
/// # Errors
///
/// [`TokenError`] if the token is malformed or was recorded for another program (a closure
/// of another type, or another processor count or step limit).
///
/// # Examples
///
/// ```
/// use gort::{go, sim};
/// use std::sync::{Arc, atomic::{AtomicU32, Ordering::SeqCst}};
///
/// fn lost_update() -> u32 {
///     let n = Arc::new(AtomicU32::new(0));
///     let handles: Vec<_> = (0..2)
///         .map(|_| {
///             let n = n.clone();
///             go(move || {
///                 let v = n.load(SeqCst);
///                 gort::sched::yield_now();
///                 n.store(v + 1, SeqCst);
///             })
///         })
///         .collect();
///     handles.into_iter().for_each(|h| h.join().unwrap());
///     n.load(SeqCst)
/// }
///
/// let config = sim::Config::default();
/// let failing = (0..100)
///     .map(|seed| sim::run(&config.clone().with_seed(seed), lost_update))
///     .find(|r| *r.value().unwrap() != 2)
///     .unwrap();
/// let again = sim::replay(&config, &failing.token().to_string(), lost_update).unwrap();
/// assert_eq!(again.value(), Some(&1));
/// assert!(again.replay_check().unwrap().reproduced());
/// ```
#[track_caller]
pub fn replay<T, F>(config: &Config, token: &str, main: F) -> Result<Report<T>, TokenError>
where
    F: FnOnce() -> T + Send,
{
    let token: Token = token.parse()?;
    let program = program_fingerprint::<F>(config);
    if token.program != 0 && token.program != program {
        return Err(TokenError::OtherProgram { recorded: token.program, this: program });
    }
    let config = config.clone().with_seed(token.seed).with_strategy(token.strategy);
    let mut report = execute(&config, program, Location::caller(), main);
    report.replay = Some(ReplayCheck::compare(&token, &report.token));
    Ok(report)
}

/// Identifies a program for tokens: the type of its main closure and the settings that
/// change its schedule.
pub(crate) fn program_fingerprint<F>(config: &Config) -> u32 {
    let mut h = fnv1a(FNV_OFFSET, std::any::type_name::<F>().as_bytes());
    for word in config.schedule_affecting() {
        h = fnv1a(h, &word.to_le_bytes());
    }
    ((h >> 32) ^ h) as u32
}

type Co = Coroutine<(), (), (), GuardedStack>;

/// Creates a green thread's coroutine.
///
/// # Safety
///
/// Everything `body` borrows must stay valid until the coroutine has completed or been
/// dropped. `execute` guarantees it by storing every coroutine in its `Coroutines`, which is
/// declared after (so dropped before) everything the bodies borrow, and whose `Drop` unwinds
/// every unfinished coroutine; coroutines are never forgotten.
unsafe fn coroutine<'a>(stack: GuardedStack, body: impl FnOnce(&Yielder<(), ()>, ()) + 'a) -> Co {
    // SAFETY: the caller upholds the borrow contract above, which is exactly
    // `with_stack_unchecked`'s.
    unsafe { Co::with_stack_unchecked(stack, body) }
}

/// The coroutines of a run's threads. Dropping it unwinds every unfinished thread (running
/// destructors of what they own) and returns the stacks to the pool.
struct Coroutines<'a> {
    sim: &'a Sim,
    slots: Vec<Option<(Co, usize)>>,
}

impl<'a> Coroutines<'a> {
    fn insert(&mut self, t: usize, co: Co, guard_lo: usize) {
        if self.slots.len() <= t {
            self.slots.resize_with(t + 1, || None);
        }
        self.slots[t] = Some((co, guard_lo));
    }

    fn finish(&mut self, t: usize) {
        if let Some((co, _)) = self.slots[t].take() {
            stack::give(co.into_stack());
        }
    }
}

impl Drop for Coroutines<'_> {
    fn drop(&mut self) {
        self.sim.begin_teardown();
        for slot in &mut self.slots {
            if let Some((mut co, _)) = slot.take() {
                co.force_unwind();
                stack::give(co.into_stack());
            }
        }
    }
}

pub(crate) fn execute<T, F>(
    config: &Config,
    program: u32,
    site: &'static Location<'static>,
    main: F,
) -> Report<T>
where
    F: FnOnce() -> T,
{
    if crate::exec::claimed() {
        panic!("{}", exec::NESTED);
    }
    panic_hook::install(exec::capture_panic);
    overflow::install();
    let token_base = Token {
        strategy: config.strategy,
        seed: config.seed,
        program,
        steps: None,
        fingerprint: None,
    };
    let token_text = token_base.to_string();
    let heartbeat = watchdog::heartbeat(config.watchdog, &token_text, config.fatal_record);
    let run_id = crate::exec::next_run_id();
    let sim = Sim::new(config, run_id, heartbeat.clone());
    let installed = Installed::new(&sim);
    let main_result: RefCell<Option<T>> = RefCell::new(None);

    sim.state.borrow_mut().add_thread(Some("main".into()), site, None, None, None);
    let mut threads = Coroutines { sim: &sim, slots: Vec::new() };
    match stack::take(config.stack_size) {
        Ok(stack) => {
            let guard_lo = stack::guard_lo(&stack);
            let sim = &sim;
            let main_result = &main_result;
            let body = move |yielder: &Yielder<(), ()>, ()| {
                sim.started(0, yielder);
                match panic::catch_unwind(AssertUnwindSafe(main)) {
                    Ok(value) => *main_result.borrow_mut() = Some(value),
                    Err(payload) => {
                        if sim.tearing_down() {
                            panic::resume_unwind(payload);
                        }
                        let report = sim.panic_report(&payload);
                        sim.state.borrow_mut().fail(Failure::Panic(report));
                    }
                }
                sim.exit_current();
            };
            // SAFETY: `body` borrows `sim`, `main_result` and `main`'s captures, all created
            // before `threads`, which unwinds the coroutine before they go away.
            let co = unsafe { coroutine(stack, body) };
            threads.insert(0, co, guard_lo);
        }
        Err(e) => sim
            .state
            .borrow_mut()
            .fail(Failure::Resource { message: format!("could not allocate main's stack: {e}") }),
    }

    drive(&sim, &mut threads, &token_text);
    heartbeat.stop();

    let (failure, snapshot, stats, trace) = {
        let mut st = sim.state.borrow_mut();
        let mut failure = st.failure.take();
        if failure.is_none() && st.main_done {
            if let Some(p) = st.take_unobserved_panic() {
                failure = Some(Failure::Panic(p));
            } else if config.fail_on_leak && st.alive_others() > 0 {
                failure = Some(Failure::Leak { count: st.alive_others() });
            }
        }
        let stats = Stats {
            steps: st.steps(),
            switches: st.stats.switches,
            threads: st.stats.threads,
            virtual_time: std::time::Duration::from_nanos(st.now_nanos()),
        };
        (failure, st.snapshot(), stats, std::mem::take(&mut st.trace))
    };
    drop(threads);
    drop(installed);

    let outcome = match failure {
        Some(f) => Err(f),
        None => Ok(main_result.into_inner().expect("main finished without a failure")),
    };
    let token =
        Token { steps: Some(stats.steps), fingerprint: Some(trace.fingerprint()), ..token_base };
    Report { outcome, threads: snapshot, trace, token, stats, replay: None }
}

/// The scheduler loop: resume the chosen thread until it switches away, then choose again.
fn drive<'a>(sim: &'a Sim, threads: &mut Coroutines<'a>, token: &str) {
    let mut last = usize::MAX;
    loop {
        let next = {
            let mut st = sim.state.borrow_mut();
            loop {
                if st.failure.is_some() {
                    break None;
                }
                if let Some(n) = st.next.take() {
                    break Some(n);
                }
                if let Some(n) = st.decide() {
                    break Some(n);
                }
                if st.main_done {
                    // Main has returned and nothing else can run without time passing:
                    // whatever is still alive has leaked.
                    break None;
                }
                match st.advance_clock() {
                    None => st.fail(Failure::Deadlock),
                    Some(callbacks) if callbacks.is_empty() => {}
                    Some(callbacks) => {
                        drop(st);
                        sim.run_callbacks(callbacks);
                        st = sim.state.borrow_mut();
                    }
                }
            }
        };
        let Some(t) = next else { break };
        if threads.slots.get(t).is_none_or(Option::is_none) && !start(sim, threads, t) {
            continue;
        }
        {
            let mut st = sim.state.borrow_mut();
            st.current = t;
            if t != last {
                st.stats.switches += 1;
                last = t;
            }
        }
        let (co, guard_lo) = threads.slots[t].as_mut().expect("started above");
        let _running = sim.enter_thread(t, *guard_lo, token);
        if let CoroutineResult::Return(()) = co.resume(()) {
            drop(_running);
            threads.finish(t);
        }
    }
}

/// Creates the coroutine of thread `t` on its first run. False if it could not.
#[cold]
fn start<'a>(sim: &'a Sim, threads: &mut Coroutines<'a>, t: usize) -> bool {
    let (body, size) = {
        let mut st = sim.state.borrow_mut();
        let rec = &mut st.threads[t];
        (rec.start.take().expect("a thread without a coroutine has not started"), rec.stack_size)
    };
    match stack::take(size) {
        Ok(stack) => {
            let guard_lo = stack::guard_lo(&stack);
            let body = move |yielder: &Yielder<(), ()>, ()| {
                sim.started(t, yielder);
                body();
                sim.exit_current();
            };
            // SAFETY: `body` borrows only `sim`, which outlives `threads` (see `execute`).
            let co = unsafe { coroutine(stack, body) };
            threads.insert(t, co, guard_lo);
            true
        }
        Err(e) => {
            let name = sim.state.borrow().threads[t].label.to_string();
            sim.state.borrow_mut().fail(Failure::Resource {
                message: format!("could not allocate a {size}-byte stack for {name}: {e}"),
            });
            false
        }
    }
}
