//! The property suite of lesson 06_worker_pool: the worker loop and the pool.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gort::chan;
use gort::diag::Failure;
use gort::time::{now, sleep, work};
use grade::prelude::*;
use worker_pool::{worker, worker_pool};

fn elapsed() -> Duration {
    now().elapsed_since_start()
}

/// `count` and the noun, singular or plural: "1 worker", "3 workers".
fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// One job's life: its index, and when it started and ended in virtual time.
type Span = (usize, Duration, Duration);

/// Runs the pool on jobs that sleep `costs[i]` ms, and returns the results (each job's own
/// index) and the spans of every call of `f`.
fn timed_pool(costs: &[u64], workers: usize) -> (Vec<usize>, Vec<Span>) {
    let spans = Arc::new(Mutex::new(Vec::new()));
    let log = spans.clone();
    let jobs: Vec<(usize, u64)> = costs.iter().copied().enumerate().collect();
    let results = worker_pool(jobs, workers, move |(index, cost): (usize, u64)| {
        let start = elapsed();
        sleep(ms(cost));
        log.lock().unwrap().push((index, start, elapsed()));
        index
    });
    let spans = spans.lock().unwrap().clone();
    (results, spans)
}

/// Jobs in flight at instant `t` (started at or before t, not yet ended).
fn in_flight(spans: &[Span], t: Duration) -> usize {
    spans.iter().filter(|&&(_, start, end)| start <= t && t < end).count()
}

fn main() {
    Suite::new("06_worker_pool")
        .property(
            Property::explore(
                "worker_drains_until_close",
                "worker processes jobs until the job channel is closed and drained, sends \
                 (index, f(job)) for each, and returns how many it processed",
                (vec(0u32..100, 0..10), 1usize..4),
                |(values, k): &(Vec<u32>, usize)| {
                    let (job_tx, job_rx) = chan::bounded(values.len());
                    let (result_tx, result_rx) = chan::bounded(values.len());
                    // Each worker reports its count on a channel; its handle is dropped, so a
                    // panic in a worker fails the run at once, with the worker's own location.
                    let (count_tx, count_rx) = chan::bounded(*k);
                    for _ in 0..*k {
                        let (jobs, results, counts) =
                            (job_rx.clone(), result_tx.clone(), count_tx.clone());
                        go(move || counts.send(worker(jobs, results, &|x: u32| x * 2)).unwrap());
                    }
                    // Main keeps its job receiver until every job is queued, so a worker that
                    // quits early leaves jobs behind instead of failing main's sends.
                    drop((result_tx, count_tx));
                    for job in values.iter().copied().enumerate() {
                        job_tx.send(job).unwrap();
                        gort::sched::yield_now();
                    }
                    drop((job_tx, job_rx)); // close(jobs)
                    let counts: Vec<usize> = count_rx.iter().collect();
                    check_eq!(
                        counts.iter().sum::<usize>(),
                        values.len(),
                        "{} shared {}, and the counts they returned ({counts:?}) must add up to \
                         the number of jobs: a worker loops until the job channel is closed and \
                         empty (`for job in jobs.iter()`), it does not stop after one job or a \
                         fixed number",
                        count(*k, "worker"),
                        count(values.len(), "job")
                    );
                    let mut got: Vec<(usize, u32)> = result_rx.iter().collect();
                    if *k == 1 {
                        let want: Vec<(usize, u32)> =
                            values.iter().map(|v| v * 2).enumerate().collect();
                        check_eq!(
                            got,
                            want,
                            "a single worker must send (index, f(job)) for each job, in the \
                             order it took them"
                        );
                    }
                    got.sort();
                    let want: Vec<(usize, u32)> = values.iter().map(|v| v * 2).enumerate().collect();
                    check_eq!(
                        got,
                        want,
                        "the workers must send exactly one (index, f(job)) per job, and the results \
                         channel must close when they return (each worker owns its Sender)"
                    );
                },
            )
            .task(1)
            .cases(20)
            .schedules(32),
        )
        .property(
            Property::explore(
                "every_job_processed_once",
                "worker_pool calls f exactly once on every job, and returns after every job is \
                 done with one result per job",
                (vec(1u64..5, 0..10), 1usize..5),
                |(costs, w): &(Vec<u64>, usize)| {
                    let (results, spans) = timed_pool(costs, *w);
                    let mut calls: Vec<usize> = spans.iter().map(|s| s.0).collect();
                    calls.sort();
                    check_eq!(
                        calls,
                        (0..costs.len()).collect::<Vec<_>>(),
                        "with {} jobs and {w} workers, f must be called once per job (the job \
                         indices f was called with, sorted)",
                        costs.len()
                    );
                    check_eq!(
                        results.len(),
                        costs.len(),
                        "worker_pool must return one result per job"
                    );
                },
            )
            .task(2)
            .cases(24)
            .schedules(32),
        )
        .property(
            Property::explore(
                "results_in_job_order",
                "worker_pool returns f(job i) at position i, whatever order the jobs finish in",
                (vec(1u64..6, 1..10), 1usize..5),
                |(costs, w): &(Vec<u64>, usize)| {
                    let (results, spans) = timed_pool(costs, *w);
                    let finished: Vec<usize> = {
                        let mut s = spans.clone();
                        s.sort_by_key(|&(i, _, end)| (end, i));
                        s.into_iter().map(|s| s.0).collect()
                    };
                    check_eq!(
                        results,
                        (0..costs.len()).collect::<Vec<_>>(),
                        "result i must be f(job i) (here each job returns its own index), but the \
                         jobs finished in the order {finished:?}: results arrive in completion \
                         order, so send the job's index along and put each result in its slot"
                    );
                },
            )
            .task(2)
            .cases(24)
            .schedules(32),
        )
        .property(
            Property::explore(
                "w_jobs_in_flight",
                "never more than W jobs are in flight, and exactly W while jobs wait in the queue",
                (vec(1u64..6, 1..12), 1usize..5),
                |(costs, w): &(Vec<u64>, usize)| {
                    let (_, spans) = timed_pool(costs, *w);
                    let mut instants: Vec<Duration> =
                        spans.iter().flat_map(|&(_, start, end)| [start, end]).collect();
                    instants.sort();
                    instants.dedup();
                    for &t in &instants {
                        let busy = in_flight(&spans, t);
                        check!(
                            busy <= *w,
                            "at {t:?}, {} were in flight with {}: a pool runs at most W jobs at \
                             once, each worker one at a time (did you start a thread per job?)",
                            count(busy, "job"),
                            count(*w, "worker")
                        );
                        let waiting = spans.iter().filter(|s| s.1 > t).count();
                        check!(
                            waiting == 0 || busy == *w,
                            "at {t:?}, {} still waiting to start but only {busy} of the {} busy: \
                             while the queue is not empty every \
                             worker must be working (a worker takes its next job as soon as it \
                             finishes one, and exits only when the job channel is closed and \
                             empty)",
                            count(waiting, "job"),
                            count(*w, "worker")
                        );
                    }
                },
            )
            .task(2)
            .cases(24)
            .schedules(24),
        )
        .property(
            Property::explore(
                "makespan_is_ceil_j_over_w",
                "J jobs of equal cost c on W workers take exactly ceil(J / W) x c of virtual time",
                (0usize..12, 1usize..5, 1u64..100),
                |&(j, w, c): &(usize, usize, u64)| {
                    let (results, _) = timed_pool(&vec![c; j], w);
                    check_eq!(results.len(), j, "one result per job");
                    let rounds = j.div_ceil(w) as u32;
                    check_eq!(
                        elapsed(),
                        ms(c) * rounds,
                        "{j} jobs of {c} ms on {w} workers run in ceil({j}/{w}) = {rounds} round(s) \
                         of {c} ms each: the pool must return as soon as the last job is done, \
                         with all {w} workers busy in every round"
                    );
                },
            )
            .task(2)
            .cases(24)
            .schedules(16),
        )
        .property(
            Property::explore(
                "sleep_overlaps_work_does_not",
                "on one processor, jobs that sleep (wait) still overlap: ceil(J / W) x c; jobs \
                 that work (busy CPU) take turns: J x c",
                (1usize..10, 1usize..5, 1u64..50),
                |&(j, w, c): &(usize, usize, u64)| {
                    let t0 = elapsed();
                    let slept = worker_pool(vec![c; j], w, |c| sleep(ms(c)));
                    let sleeping = elapsed() - t0;
                    let t1 = elapsed();
                    let worked = worker_pool(vec![c; j], w, |c| work(ms(c)));
                    let working = elapsed() - t1;
                    check_eq!((slept.len(), worked.len()), (j, j), "one result per job");
                    check_eq!(
                        sleeping,
                        ms(c) * j.div_ceil(w) as u32,
                        "{j} jobs that sleep {c} ms on {w} workers and ONE processor: a sleeping \
                         thread needs no processor, so the {w} workers overlap (concurrency)"
                    );
                    check_eq!(
                        working,
                        ms(c) * j as u32,
                        "{j} jobs that work {c} ms (busy CPU) on {w} workers and ONE processor: \
                         only one can compute at a time, so they take turns (no parallelism \
                         without processors)"
                    );
                },
            )
            .task(2)
            .config(|c| c.with_processors(1))
            .cases(20)
            .schedules(16),
        )
        .property(
            Property::check(
                "no_workers_panics",
                "worker_pool with 0 workers panics (nobody could ever run a job), whatever the \
                 jobs, instead of waiting forever or returning",
                Just(3usize),
                |&most: &usize| {
                    // Every job count up to `most`, none included: one panics by accident.
                    for n in 0..=most {
                        if let Err(fail) = zero_workers(n) {
                            return Err(fail);
                        }
                    }
                    Ok(())
                },
            )
            .task(2)
            .cases(1),
        )
        .main();
}

/// `worker_pool` with `n` jobs and no worker: it must panic on main.
fn zero_workers(n: usize) -> Result<(), Fail> {
    let report =
        sim::run(&sim::Config::default(), move || worker_pool(vec![1u32; n], 0, |x: u32| x + 1));
    match report.failure() {
        Some(Failure::Panic(p)) if p.message.starts_with("not yet implemented") => {
            Err(Fail::from_report(&report).expect("a failure"))
        }
        Some(Failure::Panic(p)) if p.thread.id().as_u64() == 1 => Ok(()),
        None => Err(Fail::new(format!(
            "worker_pool({n} jobs, 0 workers) returned {:?}: with no worker no job can ever run, \
             so it must panic, as its doc says (check `workers > 0` before starting anything)",
            report.value().expect("a run without failure has a value")
        ))),
        Some(_) => Err(Fail::new(format!(
            "worker_pool({n} jobs, 0 workers) must panic in the caller, at once (check `workers > \
             0` before starting anything), but the run ended with: {report}"
        ))),
    }
}
