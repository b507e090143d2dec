//! The property suite of lesson 02 (WaitGroup): a WaitGroup on park/unpark, its guard, and
//! fetching services concurrently.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gort::diag::{Failure, ObjectKind, Op};
use gort::time;
use grade::prelude::*;
use wait_group::{Service, WaitGroup, fetch_all};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn elapsed() -> Duration {
    time::now().elapsed_since_start()
}

fn longest(delays: &[u64]) -> Duration {
    ms(delays.iter().copied().max().unwrap_or(0))
}

/// Names for the services of `fetch_all`, the articles' first.
/// One `wg.go` per job `(d, fails)`: it sleeps `d` × 100 ms, counts itself in `ended`, then
/// panics if the job fails and otherwise returns its index.
fn go_jobs(
    wg: &WaitGroup,
    jobs: &[(u64, bool)],
    ended: &Arc<AtomicUsize>,
) -> Vec<gort::sched::JoinHandle<usize>> {
    jobs.iter()
        .enumerate()
        .map(|(i, &(d, fails))| {
            let ended = ended.clone();
            wg.go(move || {
                time::sleep(ms(d * 100));
                ended.fetch_add(1, Ordering::SeqCst);
                if fails {
                    panic!("job {i} failed");
                }
                i
            })
        })
        .collect()
}

const NAMES: [&str; 6] = ["users", "orders", "inventory", "profile", "preferences", "cart"];

fn main() {
    Suite::new("02_wait_group")
        .property(
            Property::explore(
                "wait_returns_at_the_last_done",
                "wait returns at the virtual instant of the last done (max of the workers' \
                 times), never before, at once when the count is zero, and the group can be used \
                 again",
                vec(vec(0u64..5, 0..5), 1..4),
                |rounds: &Vec<Vec<u64>>| {
                    let wg = WaitGroup::new();
                    for delays in rounds {
                        let delays: Vec<u64> = delays.iter().map(|d| d * 100).collect();
                        let n = delays.len();
                        let start = elapsed();
                        let finished = Arc::new(AtomicUsize::new(0));
                        wg.add(n);
                        let handles: Vec<_> = delays
                            .iter()
                            .map(|&d| {
                                let (wg, finished) = (wg.clone(), finished.clone());
                                go(move || {
                                    time::sleep(ms(d));
                                    finished.fetch_add(1, Ordering::SeqCst);
                                    wg.done();
                                })
                            })
                            .collect();
                        wg.wait();
                        let done = finished.load(Ordering::SeqCst);
                        check!(
                            done == n,
                            "wait returned while {} of {n} workers had not called done yet: it \
                             must block until the counter is back to zero",
                            n - done
                        );
                        check_eq!(
                            elapsed() - start,
                            longest(&delays),
                            "wait must return exactly when the last worker calls done (workers \
                             sleeping {delays:?} ms)"
                        );
                        for h in handles {
                            joined(h, "a worker");
                        }
                    }
                },
            )
            .task(2)
            .cases(24)
            .schedules(32),
        )
        .property(
            Property::explore(
                "every_waiter_wakes",
                "when the counter reaches zero, every thread blocked in wait returns, at that \
                 instant",
                (2usize..5, vec(0u64..5, 1..5)),
                |(waiters, delays): &(usize, Vec<u64>)| {
                    let delays: Vec<u64> = delays.iter().map(|d| d * 100).collect();
                    let wg = WaitGroup::new();
                    wg.add(delays.len());
                    let woke = Arc::new(Mutex::new(Vec::new()));
                    let waiting: Vec<_> = (0..*waiters)
                        .map(|_| {
                            let (wg, woke) = (wg.clone(), woke.clone());
                            go(move || {
                                wg.wait();
                                woke.lock().unwrap().push(elapsed());
                            })
                        })
                        .collect();
                    let workers: Vec<_> = delays
                        .iter()
                        .map(|&d| {
                            let wg = wg.clone();
                            go(move || {
                                time::sleep(ms(d));
                                wg.done();
                            })
                        })
                        .collect();
                    for h in waiting.into_iter().chain(workers) {
                        joined(h, "a waiter or a worker");
                    }
                    let woke = woke.lock().unwrap().clone();
                    check_eq!(
                        woke,
                        vec![longest(&delays); *waiters],
                        "each of the {waiters} waiters must return when the last done brings the \
                         counter to zero (the virtual times at which they returned)"
                    );
                },
            )
            .task(2)
            .cases(16)
            .schedules(32),
        )
        .property(
            Property::check(
                "done_past_zero_panics",
                "a done with the counter at zero panics with Go's message \"sync: negative \
                 WaitGroup counter\", and only then",
                0usize..5,
                |&k: &usize| {
                    let ok_dones = Arc::new(AtomicUsize::new(0));
                    let report = {
                        let ok_dones = ok_dones.clone();
                        sim::run(&sim::Config::default(), move || {
                            let wg = WaitGroup::new();
                            wg.add(k);
                            for _ in 0..k {
                                wg.done();
                                ok_dones.fetch_add(1, Ordering::SeqCst);
                            }
                            wg.done(); // one more than added
                        })
                    };
                    let ok_dones = ok_dones.load(Ordering::SeqCst);
                    let want = "sync: negative WaitGroup counter";
                    match report.failure() {
                        None => Err(Fail::new(format!(
                            "after add({k}) and {} done calls, one more done returned normally: \
                             it must panic with \"{want}\", as Go does (the counter cannot go \
                             below zero)",
                            k
                        ))),
                        Some(Failure::Panic(p)) if p.message.starts_with("not yet implemented") => {
                            Err(Fail::from_report(&report).expect("a failure"))
                        }
                        Some(Failure::Panic(p)) if ok_dones < k => Err(Fail::new(format!(
                            "after add({k}), done call {} of {k} panicked (\"{}\"): the first {k} \
                             done calls must succeed",
                            ok_dones + 1,
                            p.message
                        ))),
                        Some(Failure::Panic(p)) if p.message != want => Err(Fail::new(format!(
                            "a done past zero must panic with Go's message\n  expected: \
                             {want:?}\n    actual: {:?}",
                            p.message
                        ))),
                        Some(Failure::Panic(_)) => Ok(()),
                        Some(_) => Err(Fail::from_report(&report).expect("a failure")),
                    }
                },
            )
            .task(1)
            .cases(5),
        )
        .property(
            Property::explore(
                "guard_calls_done_on_panic",
                "a DoneGuard calls done when it is dropped, also when its thread panics, so wait \
                 still returns at the last worker's time",
                vec((0u64..5, any::<bool>()), 1..6),
                |workers: &Vec<(u64, bool)>| {
                    let wg = WaitGroup::new();
                    wg.add(workers.len());
                    let handles: Vec<_> = workers
                        .iter()
                        .enumerate()
                        .map(|(i, &(d, fails))| {
                            let guard = wg.done_guard();
                            go(move || {
                                let _done = guard;
                                time::sleep(ms(d * 100));
                                if fails {
                                    panic!("worker {i} failed");
                                }
                            })
                        })
                        .collect();
                    wg.wait();
                    let delays: Vec<u64> = workers.iter().map(|w| w.0 * 100).collect();
                    check_eq!(
                        elapsed(),
                        longest(&delays),
                        "wait must return when the last guard is dropped (workers sleeping \
                         {delays:?} ms)"
                    );
                    for (h, &(_, fails)) in handles.into_iter().zip(workers) {
                        check_eq!(h.join().is_err(), fails, "only the failing workers panic");
                    }
                },
            )
            .task(3)
            .cases(24)
            .schedules(32),
        )
        .property(
            Property::explore(
                "go_calls_done_when_f_ends",
                "wg.go(f) calls done when f returns or panics, not before: while f runs, even \
                 after its thread has started, a wait blocks",
                vec((1u64..5, any::<bool>()), 1..5),
                |jobs: &Vec<(u64, bool)>| {
                    let wg = WaitGroup::new();
                    let ended = Arc::new(AtomicUsize::new(0));
                    let handles = go_jobs(&wg, jobs, &ended);
                    // Every thread has started by now, and every f is sleeping.
                    time::sleep(ms(10));
                    wg.wait();
                    let n = jobs.len();
                    let ended = ended.load(Ordering::SeqCst);
                    check!(
                        ended == n,
                        "wait returned at {:?} with {} of {n} closures still running, though \
                         every thread had started: done ran before f ended. The guard that \
                         calls done must live in the new thread until f is over: `let _ = \
                         guard;` drops it at once (`_` binds nothing), and a guard not moved \
                         into the closure is dropped when go returns. Bind it to a name inside \
                         the closure (`let _done = guard;`)",
                        elapsed(),
                        n - ended
                    );
                    for (h, &(_, fails)) in handles.into_iter().zip(jobs) {
                        check_eq!(h.join().is_err(), fails, "only the failing jobs panic");
                    }
                },
            )
            .task(3)
            .cases(16)
            .schedules(16),
        )
        .property(
            Property::explore(
                "go_counts_before_it_spawns",
                "wg.go(f) counts f before it returns and calls done when f returns or panics, \
                 so a wait right after the go calls returns when the last f ends",
                vec((0u64..5, any::<bool>()), 0..6),
                |jobs: &Vec<(u64, bool)>| {
                    let wg = WaitGroup::new();
                    let ended = Arc::new(AtomicUsize::new(0));
                    let handles = go_jobs(&wg, jobs, &ended);
                    wg.wait();
                    let n = jobs.len();
                    let ended = ended.load(Ordering::SeqCst);
                    check!(
                        ended == n,
                        "wait, called right after the go calls, returned at {:?} with {} of {n} \
                         closures still running: the count was zero before they ended. go must \
                         add(1) on the caller, before it spawns (added inside the new thread, \
                         the count is still zero when go returns), and done must run when f \
                         ends (see go_calls_done_when_f_ends)",
                        elapsed(),
                        n - ended
                    );
                    let delays: Vec<u64> = jobs.iter().map(|j| j.0 * 100).collect();
                    check_eq!(
                        elapsed(),
                        longest(&delays),
                        "wait must return when the last closure ends (closures sleeping \
                         {delays:?} ms)"
                    );
                    for (i, (h, &(_, fails))) in handles.into_iter().zip(jobs).enumerate() {
                        match h.join() {
                            Ok(v) => check!(
                                !fails && v == i,
                                "go must return the thread's handle: job {i} gave {v}"
                            ),
                            Err(_) => check!(fails, "job {i} did not panic, yet its join failed"),
                        }
                    }
                },
            )
            .task(3)
            .cases(24)
            .schedules(32),
        )
        .property(
            Property::explore(
                "fetch_all_takes_the_slowest",
                "fetch_all returns every reply in service order at exactly max(latency): three \
                 200 ms services take 200 ms, not 600",
                prop_oneof![
                    Just(vec![200u64, 200, 200]),
                    vec((0u64..6).prop_map(|l| l * 100), 0..6)
                ],
                |latencies: &Vec<u64>| {
                    let services: Vec<Service> = latencies
                        .iter()
                        .zip(NAMES)
                        .map(|(&l, name)| Service::new(name, ms(l)))
                        .collect();
                    let want: Vec<String> =
                        services.iter().map(|s| format!("{}: ok", s.name)).collect();
                    let replies = fetch_all(&services);
                    check_eq!(
                        replies,
                        want,
                        "fetch_all must return one reply per service, reply i from service i"
                    );
                    let sum: u64 = latencies.iter().sum();
                    check_eq!(
                        elapsed(),
                        longest(latencies),
                        "the calls must overlap: services of latencies {latencies:?} ms take the \
                         slowest one's time, not the sum ({sum} ms)"
                    );
                },
            )
            .task(4)
            .cases(16)
            .schedules(32),
        )
        .property(
            Property::check(
                "fetch_all_waits_with_the_wait_group",
                "fetch_all counts the calls with the lesson's WaitGroup and waits with it: main \
                 blocks in wait, not in joining the calls' threads and not in sleeping",
                vec(1u64..4, 1..5),
                |latencies: &Vec<u64>| {
                    let services: Vec<Service> = latencies
                        .iter()
                        .zip(NAMES)
                        .map(|(&l, name)| Service::new(name, ms(l * 100)))
                        .collect();
                    let report = sim::run(&sim::Config::default(), move || fetch_all(&services));
                    if let Some(fail) = Fail::from_report(&report) {
                        return Err(fail);
                    }
                    // Main's first wait: a park (the WaitGroup), a receive (one built on a
                    // channel), or something else.
                    let first = report.trace().events().find(|e| {
                        e.thread.as_u64() == 1
                            && matches!(
                                e.op,
                                Op::Park | Op::Recv | Op::Select | Op::Join(_) | Op::Sleep(_)
                            )
                    });
                    match first {
                        Some(e) if matches!(e.op, Op::Join(_) | Op::Sleep(_)) => {
                            Err(Fail::new(format!(
                                "fetch_all waited for the calls with `{}` (at {}) instead of your \
                             WaitGroup: the calls are counted with wg.add or wg.go, and main \
                             waits with wg.wait(), which parks it until the last done. (Joining \
                             the handles works too, but this lesson is the WaitGroup, as in \
                             Go, where a goroutine has no handle to join.)",
                                e.op, e.location
                            )))
                        }
                        Some(_) => Ok(()),
                        None => Err(Fail::new(
                            "fetch_all returned without ever waiting, though every call takes at \
                             least 100 ms: it must block in wg.wait() until the last call is done",
                        )),
                    }
                },
            )
            .task(4)
            .cases(8),
        )
        .property(
            Property::check(
                "built_on_park_not_on_sync_wait_group",
                "the WaitGroup and fetch_all are built on park/unpark (or channels): the trace of \
                 a run that uses them shows no gort::sync::WaitGroup",
                0u64..1000,
                |&seed: &u64| {
                    let report = sim::run(&sim::Config::default().with_seed(seed), || {
                        let wg = WaitGroup::new();
                        wg.add(1);
                        let worker = {
                            let wg = wg.clone();
                            go(move || {
                                time::sleep(ms(10));
                                wg.done();
                            })
                        };
                        let guard = wg.done_guard();
                        wg.add(1);
                        let guarded = go(move || drop(guard));
                        let job = wg.go(|| time::sleep(ms(20)));
                        wg.wait();
                        for h in [worker, guarded, job] {
                            joined(h, "a worker");
                        }
                        let services =
                            [Service::new("users", ms(200)), Service::new("orders", ms(100))];
                        fetch_all(&services)
                    });
                    if report.failure().is_some() {
                        return Err(Fail::from_report(&report).expect("a failure"));
                    }
                    let trace = report.trace();
                    let used = trace.events().find(|e| {
                        e.op == Op::WaitGroup
                            || matches!(e.op, Op::Other(name) if name.starts_with("WaitGroup"))
                    });
                    if let Some(e) = used {
                        return Err(Fail::new(format!(
                            "the run used gort::sync::WaitGroup (`{}` at {}): this lesson builds \
                             its own, so use sched::park and Thread::unpark (or a channel) \
                             instead",
                            e.op, e.location
                        )));
                    }
                    if let Some(o) =
                        trace.objects().find(|o| o.kind() == ObjectKind::Other("sync.WaitGroup"))
                    {
                        return Err(Fail::new(format!(
                            "the run created a gort::sync::WaitGroup (at {}): this lesson builds \
                             its own, so use sched::park and Thread::unpark (or a channel) \
                             instead",
                            o.created()
                        )));
                    }
                    Ok(())
                },
            )
            .task(2)
            .cases(8),
        )
        .main();
}
