//! The property suite of lesson 01 (the `go` statement): spawning, joining, and why sleeping
//! is not waiting.
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gort::diag::{Failure, Op};
use gort::sched::MIN_STACK_SIZE;
use gort::time;
use grade::prelude::*;
use spawn::{Task, greet_all, greet_by_sleeping, join_all, spawn_all};

/// Seeds each run of the check properties tries.
const SEEDS: u64 = 16;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn elapsed() -> Duration {
    time::now().elapsed_since_start()
}

/// Tasks that sleep `costs[i]` ms, count their runs in `runs[i]`, log their id in `finished`
/// when done, and return their id.
fn tasks(
    costs: &[u64],
    runs: &Arc<Vec<AtomicUsize>>,
    finished: &Arc<Mutex<Vec<usize>>>,
) -> Vec<Task<usize>> {
    costs
        .iter()
        .enumerate()
        .map(|(i, &cost)| -> Task<usize> {
            let runs = Arc::clone(runs);
            let finished = Arc::clone(finished);
            Box::new(move || {
                runs[i].fetch_add(1, Ordering::SeqCst);
                time::sleep(ms(cost));
                finished.lock().unwrap().push(i);
                i
            })
        })
        .collect()
}

fn counters(n: usize) -> Arc<Vec<AtomicUsize>> {
    Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect())
}

/// Tasks that sleep `costs[i]` ms and then panic with "task i failed" if `fails[i]`, or
/// return i.
fn failing_tasks(jobs: &[(u64, bool)]) -> Vec<Task<usize>> {
    jobs.iter()
        .enumerate()
        .map(|(i, &(cost, fails))| -> Task<usize> {
            Box::new(move || {
                time::sleep(ms(cost * 10));
                if fails {
                    panic!("task {i} failed");
                }
                i
            })
        })
        .collect()
}

/// Where `greeter` sleeps, as the trace records it: each such sleep is one greeter run.
fn greeter_sleep_site() -> String {
    let report = sim::run(&sim::Config::default(), || spawn::greeter(0, ms(1)));
    let site = report.trace().events().find(|e| matches!(e.op, Op::Sleep(_))).map(|e| e.location);
    site.expect("greeter sleeps").to_string()
}

fn main() {
    Suite::new("01_spawn")
        .property(
            Property::explore(
                "each_task_runs_once",
                "spawn_all starts every task exactly once, and handle i gives task i's value",
                vec(0u64..4, 0..8),
                |costs: &Vec<u64>| {
                    let costs: Vec<u64> = costs.iter().map(|c| c * 10).collect();
                    let runs = counters(costs.len());
                    let finished = Arc::new(Mutex::new(Vec::new()));
                    let handles = spawn_all(tasks(&costs, &runs, &finished));
                    check_eq!(
                        handles.len(),
                        costs.len(),
                        "spawn_all must return one handle per task"
                    );
                    for (i, h) in handles.into_iter().enumerate() {
                        let v = h.join().unwrap();
                        check_eq!(v, i, "handle {i} must belong to task {i} (handles in task order)");
                    }
                    let counts: Vec<usize> = runs.iter().map(|r| r.load(Ordering::SeqCst)).collect();
                    check_eq!(
                        counts,
                        vec![1; costs.len()],
                        "every task must run exactly once (runs per task, in task order)"
                    );
                },
            )
            .task(1)
            .cases(16)
            .schedules(32),
        )
        .property(
            Property::explore(
                "spawn_all_does_not_wait",
                "spawn_all returns at once, at the same virtual instant it was called, while the tasks run on",
                vec(1u64..5, 1..8),
                |costs: &Vec<u64>| {
                    let costs: Vec<u64> = costs.iter().map(|c| c * 100).collect();
                    let runs = counters(costs.len());
                    let finished = Arc::new(Mutex::new(Vec::new()));
                    let handles = spawn_all(tasks(&costs, &runs, &finished));
                    check_eq!(
                        elapsed(),
                        Duration::ZERO,
                        "spawn_all must not wait for the tasks (go returns at once): virtual time \
                         passed before it returned, so it waited for (or ran) them itself"
                    );
                    check!(
                        finished.lock().unwrap().is_empty(),
                        "no task can have finished when spawn_all returns (each sleeps at least \
                         100 ms), yet {:?} had: spawn_all ran them itself instead of starting them",
                        finished.lock().unwrap()
                    );
                    for h in handles {
                        h.join().unwrap();
                    }
                },
            )
            .task(1)
            .cases(16)
            .schedules(32),
        )
        .property(
            Property::check(
                "returning_from_main_leaks_unjoined_tasks",
                "when main returns right after spawn_all without joining, every task not yet \
                 finished is still alive: gort reports exactly those as leaked",
                vec(0u64..3, 1..8),
                |costs: &Vec<u64>| {
                    let costs: Vec<u64> = costs.iter().map(|c| c * 10).collect();
                    for seed in 0..SEEDS {
                        let runs = counters(costs.len());
                        let finished = Arc::new(Mutex::new(Vec::new()));
                        let report = {
                            let (costs, runs, finished) =
                                (costs.clone(), runs.clone(), finished.clone());
                            sim::run(&sim::Config::default().with_seed(seed), move || {
                                drop(spawn_all(tasks(&costs, &runs, &finished)));
                            })
                        };
                        let leaked = match report.failure() {
                            None => 0,
                            Some(Failure::Leak { count }) => *count,
                            Some(_) => return Err(Fail::from_report(&report).expect("a failure")),
                        };
                        // The run ends when main does: whoever had not finished by then never will.
                        let done = finished.lock().unwrap().len();
                        let unfinished = costs.len() - done;
                        if leaked != unfinished {
                            return Err(Fail::new(format!(
                                "main returned with {done} of {} tasks finished, so {unfinished} \
                                 should still be alive and reported as leaked, but {leaked} were \
                                 (seed {seed}): spawn_all must start one green thread per task \
                                 and return without waiting",
                                costs.len()
                            )));
                        }
                    }
                    Ok(())
                },
            )
            .task(1)
            .cases(16),
        )
        .property(
            Property::check(
                "results_in_spawn_order_whatever_the_completion_order",
                "join_all returns result i for task i in every schedule, while the order in which \
                 the tasks finish changes from schedule to schedule",
                vec(0u64..3, 4..8),
                |costs: &Vec<u64>| {
                    // Four or more tasks with three possible costs: at least two tie, and ties
                    // finish in an order the scheduler picks.
                    let costs: Vec<u64> = costs.iter().map(|c| c * 10).collect();
                    let want: Vec<usize> = (0..costs.len()).collect();
                    let mut orders = BTreeSet::new();
                    for seed in 0..SEEDS {
                        let runs = counters(costs.len());
                        let finished = Arc::new(Mutex::new(Vec::new()));
                        let report = {
                            let (costs, runs, finished) = (costs.clone(), runs.clone(), finished.clone());
                            sim::run(&sim::Config::default().with_seed(seed), move || {
                                join_all(spawn_all(tasks(&costs, &runs, &finished)))
                            })
                        };
                        let Some(got) = report.value() else {
                            return Err(Fail::from_report(&report).expect("a failure"));
                        };
                        let order = finished.lock().unwrap().clone();
                        if *got != want {
                            return Err(Fail::new(format!(
                                "join_all must return results in spawn order (result i belongs to \
                                 task i), whatever order they finished in\n  expected: {want:?}\n    \
                                 actual: {got:?}\n  (seed {seed}: the tasks finished in the order \
                                 {order:?})"
                            )));
                        }
                        orders.insert(order);
                    }
                    if orders.len() < 2 {
                        return Err(Fail::new(format!(
                            "in all {SEEDS} schedules the tasks finished in the same order \
                             {:?}: they never ran concurrently. spawn_all must start them all \
                             before anything waits, so the scheduler can interleave them",
                            orders.first().unwrap()
                        )));
                    }
                    Ok(())
                },
            )
            .task(2)
            .cases(16),
        )
        .property(
            Property::explore(
                "join_all_takes_the_longest_not_the_sum",
                "spawn_all then join_all of tasks sleeping c1..cn returns at exactly max(ci) of \
                 virtual time, with every value",
                vec(0u64..6, 0..8),
                |costs: &Vec<u64>| {
                    let costs: Vec<u64> = costs.iter().map(|c| c * 100).collect();
                    let runs = counters(costs.len());
                    let finished = Arc::new(Mutex::new(Vec::new()));
                    let got = join_all(spawn_all(tasks(&costs, &runs, &finished)));
                    let longest = ms(costs.iter().copied().max().unwrap_or(0));
                    check_eq!(
                        got,
                        (0..costs.len()).collect::<Vec<_>>(),
                        "join_all must return every result, result i from task i"
                    );
                    check_eq!(
                        elapsed(),
                        longest,
                        "the tasks run at the same time, so waiting for all of them takes as \
                         long as the slowest one (not the sum of their costs, and not more)"
                    );
                },
            )
            .task(2)
            .cases(16)
            .schedules(32),
        )
        .property(
            Property::check(
                "join_all_raises_the_tasks_panic",
                "when a task panics, join_all raises that same panic again in the caller (its own \
                 message, the first panicking task in handle order), instead of dropping it or \
                 raising a new one",
                vec((0u64..4, any::<bool>()), 1..6),
                |jobs: &Vec<(u64, bool)>| {
                    let Some(first) = jobs.iter().position(|j| j.1) else { return Ok(()) };
                    let want = format!("task {first} failed");
                    let report = {
                        let jobs = jobs.clone();
                        sim::run(&sim::Config::default(), move || join_all(spawn_all(failing_tasks(&jobs))))
                    };
                    let failed: Vec<usize> =
                        jobs.iter().enumerate().filter(|j| j.1.1).map(|j| j.0).collect();
                    match report.failure() {
                        None => Err(Fail::new(format!(
                            "join_all returned {:?} although task(s) {failed:?} panicked: a \
                             panic in a task must reach the caller, raised again when join_all \
                             reaches its handle (std::panic::resume_unwind(e.into_panic())), not \
                             be dropped",
                            report.value().expect("a run without failure has a value")
                        ))),
                        Some(Failure::Panic(p)) if p.message.starts_with("not yet implemented") => {
                            Err(Fail::from_report(&report).expect("a failure"))
                        }
                        Some(Failure::Panic(p)) if p.message != want => Err(Fail::new(format!(
                            "task(s) {failed:?} panicked, and join_all must raise the first one's \
                             own panic again\n  expected: {want:?}\n    actual: {:?}\nunwrap(), \
                             expect() or panic!() raise a new panic about the error; \
                             std::panic::resume_unwind(e.into_panic()) raises the task's own \
                             (and joining in handle order meets the first one first)",
                            p.message
                        ))),
                        Some(Failure::Panic(_)) => Ok(()),
                        Some(_) => Err(Fail::from_report(&report).expect("a failure")),
                    }
                },
            )
            .task(2)
            .cases(24),
        )
        .property(
            Property::explore(
                "ten_thousand_green_threads",
                "spawn_all and join_all handle 10,000 tasks (green threads are cheap)",
                Just(10_000usize),
                |&n: &usize| {
                    let tasks: Vec<Task<usize>> =
                        (0..n).map(|i| -> Task<usize> { Box::new(move || i) }).collect();
                    let got = join_all(spawn_all(tasks));
                    check!(
                        got.iter().copied().eq(0..n),
                        "join_all must return 0..{n} in order for {n} tasks returning their index"
                    );
                },
            )
            .task(2)
            .cases(1)
            .schedules(2)
            .config(|c| c.with_stack_size(MIN_STACK_SIZE).with_max_steps(1_000_000).with_trace_limit(200_000)),
        )
        .property(
            Property::check(
                "sleeping_is_not_waiting",
                "greet_all returns every greeting in spawn order exactly when the slowest greeter \
                 is done, with no thread left behind, where sleeping a guessed time (the \
                 articles' time.Sleep) loses a greeter",
                (vec(0u64..6, 0..6), 0u64..4),
                |(delays, slow): &(Vec<u64>, u64)| {
                    // The articles' guess is one second; one greeter takes longer than that.
                    let guess = ms(1000);
                    let mut delays: Vec<Duration> = delays.iter().map(|d| ms(d * 150)).collect();
                    delays.insert(delays.len() / 2, ms(1100 + slow * 100));
                    let slower = delays.iter().filter(|&&d| d > guess).count();
                    let want: Vec<String> =
                        (0..delays.len()).map(|i| format!("hello from greeter {i}")).collect();
                    let longest = delays.iter().copied().max().unwrap_or_default();
                    for seed in 0..4 {
                        let config = sim::Config::default().with_seed(seed);
                        // The articles' version, given in the exercise: it must lose the slow ones.
                        let sleepy = {
                            let delays = delays.clone();
                            sim::run(&config, move || greet_by_sleeping(&delays, guess))
                        };
                        if sleepy.failure() != Some(&Failure::Leak { count: slower }) {
                            return Err(Fail::new(format!(
                                "greet_by_sleeping (given, do not change it) should lose the \
                                 {slower} greeter(s) slower than 1 s; it ended with: {sleepy}"
                            )));
                        }
                        // The learner's version: joins, so it depends on no duration.
                        let report = {
                            let delays = delays.clone();
                            sim::run(&config, move || (greet_all(&delays), elapsed()))
                        };
                        let Some((got, took)) = report.value() else {
                            return Err(Fail::from_report(&report).expect("a failure"));
                        };
                        if *got != want {
                            return Err(Fail::new(format!(
                                "greet_all must return every greeting, greeting i from greeter i \
                                 (spawn order)\n  expected: {want:?}\n    actual: {got:?}"
                            )));
                        }
                        if *took != longest {
                            return Err(Fail::new(format!(
                                "greet_all must return exactly when the slowest greeter is done, \
                                 at {longest:?} of virtual time, but it returned at {took:?}: start \
                                 every greeter before waiting for any (so they sleep at the same \
                                 time), then wait by joining, not by sleeping (a sleep is a guess: \
                                 too short loses work, too long wastes time)"
                            )));
                        }
                    }
                    Ok(())
                },
            )
            .task(3)
            .cases(16),
        )
        .property(
            Property::check(
                "greet_all_starts_each_greeter_once_and_never_sleeps",
                "greet_all runs each greeter exactly once, each on its own green thread, and \
                 waits only by joining: no thread of it sleeps, not even for the longest delay",
                vec(0u64..6, 0..6),
                |delays: &Vec<u64>| {
                    let delays: Vec<Duration> = delays.iter().map(|d| ms(d * 100)).collect();
                    let site = greeter_sleep_site();
                    let report = {
                        let delays = delays.clone();
                        sim::run(&sim::Config::default(), move || greet_all(&delays))
                    };
                    if let Some(fail) = Fail::from_report(&report) {
                        return Err(fail);
                    }
                    let trace = report.trace();
                    let (greeters, others): (Vec<_>, Vec<_>) = trace
                        .events()
                        .filter(|e| matches!(e.op, Op::Sleep(_)))
                        .partition(|e| e.location.to_string() == site);
                    if let Some(e) = others.first() {
                        return Err(Fail::new(format!(
                            "greet_all slept ({} at {}, green thread {}): it must wait by \
                             joining the greeters, never by sleeping. Even a sleep for exactly \
                             the longest delay is a guess about how long the work takes; a join \
                             returns when the work is done, whatever it took",
                            e.op, e.location, e.thread
                        )));
                    }
                    if greeters.len() != delays.len() {
                        return Err(Fail::new(format!(
                            "greet_all ran the greeter {} times for {} delays {delays:?}: start \
                             each greeter exactly once (greeter i with delays[i]), and collect \
                             their greetings by joining those same threads",
                            greeters.len(),
                            delays.len()
                        )));
                    }
                    let mut threads: Vec<u64> = greeters.iter().map(|e| e.thread.as_u64()).collect();
                    threads.sort();
                    threads.dedup();
                    if threads.len() != delays.len() || threads.contains(&1) {
                        return Err(Fail::new(format!(
                            "the {} greeters ran on {} green thread(s) ({threads:?}; main is 1): \
                             each greeter must run on its own thread, so they all sleep at once",
                            delays.len(),
                            threads.len()
                        )));
                    }
                    Ok(())
                },
            )
            .task(3)
            .cases(16),
        )
        .main();
}
