//! Listings of chapter 06 (worker pools), each asserting what the chapter says.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gort::chan::{self, Receiver, Sender};
use gort::diag::Failure;
use gort::{go, sim, time};

// ANCHOR: pool
/// A job: its number and how long it takes.
#[derive(Clone, Copy, Debug)]
struct Job {
    id: usize,
    cost: Duration,
}

/// Article 001's worker: take jobs until the channel is closed and drained, send a result
/// for each. Returns how many jobs this worker did.
fn worker(jobs: Receiver<Job>, results: Sender<usize>) -> usize {
    let mut done = 0;
    for job in jobs.iter() {
        time::sleep(job.cost); // the work: a call that waits, like I/O
        results.send(job.id).unwrap();
        done += 1;
    }
    done // returning drops `results`: one Sender fewer
}

/// Runs `jobs` on `workers` green threads; returns the job ids in the order they finished,
/// and how many jobs each worker did.
fn pool(jobs: Vec<Job>, workers: usize) -> (Vec<usize>, Vec<usize>) {
    let (job_tx, job_rx) = chan::bounded(jobs.len()); // Go: make(chan Job, 100)
    let (result_tx, result_rx) = chan::bounded(jobs.len());
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let (jobs, results) = (job_rx.clone(), result_tx.clone());
            go(move || worker(jobs, results))
        })
        .collect();
    drop(result_tx); // ours: only the workers' clones keep the results channel open
    for job in jobs {
        job_tx.send(job).unwrap();
    }
    drop(job_tx); // Go: close(jobs). Each worker's range ends once the queue is drained
    let finished: Vec<usize> = result_rx.iter().collect(); // ends when the last worker exits
    let per_worker = handles.into_iter().map(|h| h.join().unwrap()).collect();
    (finished, per_worker)
}
// ANCHOR_END: pool

// ANCHOR: uneven
/// The jobs of the chapter's figure: nine jobs of uneven cost, 560 ms in all.
fn uneven_jobs() -> Vec<Job> {
    [30, 80, 50, 120, 40, 70, 20, 90, 60]
        .into_iter()
        .enumerate()
        .map(|(id, c)| Job { id, cost: ms(c) })
        .collect()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}
// ANCHOR_END: uneven

#[test]
fn a_pool_of_three() {
    for seed in 0..20 {
        let config = sim::Config::default().with_seed(seed);
        // ANCHOR: pool_check
        let report = sim::run(&config, || {
            let (finished, per_worker) = pool(uneven_jobs(), 3);
            (finished, per_worker, time::now().elapsed_since_start())
        });
        let (finished, per_worker, took) = report.unwrap();
        assert!(finished.starts_with(&[0, 2, 1, 4, 6])); // completion order, not job order
        assert!(finished.ends_with(&[7, 8])); // 3 and 5 both end at 150 ms: the seed orders them
        assert_eq!(per_worker.iter().sum::<usize>(), 9); // every job done, exactly once
        let mut shares = per_worker.clone();
        shares.sort();
        assert_eq!(shares, [2, 3, 4]); // whoever is free takes the next job
        assert_eq!(took, ms(210)); // 560 ms of work in 210 ms
        // ANCHOR_END: pool_check
    }
}

#[test]
fn forgetting_to_close_the_jobs_deadlocks() {
    // ANCHOR: no_close
    let report = sim::run(&sim::Config::default(), || {
        let (job_tx, job_rx) = chan::bounded::<Job>(9);
        let (result_tx, result_rx) = chan::bounded(9);
        for _ in 0..3 {
            let (jobs, results) = (job_rx.clone(), result_tx.clone());
            go(move || worker(jobs, results));
        }
        drop(result_tx);
        for job in uneven_jobs() {
            job_tx.send(job).unwrap();
        }
        // job_tx is never dropped: the workers wait for more jobs, main for more results.
        result_rx.iter().count()
    });
    assert_eq!(report.failure(), Some(&Failure::Deadlock));
    // ANCHOR_END: no_close
}

#[test]
fn unbuffered_channels_and_collecting_afterwards_deadlock() {
    // ANCHOR: unbuffered
    let report = sim::run(&sim::Config::default(), || {
        let (job_tx, job_rx) = chan::unbuffered::<Job>();
        let (result_tx, result_rx) = chan::unbuffered();
        for _ in 0..3 {
            let (jobs, results) = (job_rx.clone(), result_tx.clone());
            go(move || worker(jobs, results));
        }
        drop(result_tx);
        for job in uneven_jobs() {
            job_tx.send(job).unwrap(); // job 3 waits for a free worker; none will be free
        }
        drop(job_tx);
        result_rx.iter().count()
    });
    assert_eq!(report.failure(), Some(&Failure::Deadlock));
    // ANCHOR_END: unbuffered
}

// ANCHOR: equal_cost
/// `jobs` jobs, each running `job`, on `workers` workers; returns the makespan and the most
/// jobs that were ever in flight at once.
fn run_equal(jobs: usize, workers: usize, job: fn()) -> (Duration, usize) {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (job_tx, job_rx) = chan::bounded::<()>(jobs);
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let (job_rx, in_flight, peak) = (job_rx.clone(), in_flight.clone(), peak.clone());
            go(move || {
                for () in job_rx.iter() {
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    job();
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    let start = time::now();
    (0..jobs).for_each(|_| job_tx.send(()).unwrap());
    drop(job_tx);
    handles.into_iter().for_each(|h| h.join().unwrap());
    (start.elapsed(), peak.load(Ordering::SeqCst))
}

/// A job that waits 100 ms (I/O: needs no processor).
fn io_job() {
    time::sleep(Duration::from_millis(100));
}

/// A job that computes for 100 ms (holds a processor).
fn cpu_job() {
    time::work(Duration::from_millis(100));
}
// ANCHOR_END: equal_cost

#[test]
fn makespan_is_ceil_j_over_w_times_c() {
    // ANCHOR: makespan
    let cases = [(9, 3), (10, 3), (9, 1), (9, 9), (2, 5)];
    for (jobs, workers) in cases {
        let (took, peak) =
            sim::run(&sim::Config::default(), || run_equal(jobs, workers, io_job)).unwrap();
        let rounds = jobs.div_ceil(workers) as u32;
        assert_eq!(took, rounds * Duration::from_millis(100)); // ceil(J / W) × c
        assert_eq!(peak, workers.min(jobs)); // never more than W in flight
    }
    // ANCHOR_END: makespan
}

#[test]
fn concurrency_is_not_parallelism() {
    // ANCHOR: parallelism
    let one_cpu = sim::Config::default().with_processors(1);
    let three_cpus = sim::Config::default().with_processors(3);
    let took = |config: &sim::Config, job: fn()| sim::run(config, || run_equal(6, 3, job).0);

    assert_eq!(took(&one_cpu, io_job).unwrap(), ms(200)); // waits overlap: ceil(6/3) × 100
    assert_eq!(took(&one_cpu, cpu_job).unwrap(), ms(600)); // one processor: 6 × 100
    assert_eq!(took(&three_cpus, cpu_job).unwrap(), ms(200)); // three processors: in parallel
    // ANCHOR_END: parallelism
}

// ANCHOR: errors
#[derive(Debug, Clone, PartialEq)]
enum FetchError {
    Timeout,
    NotFound,
}

/// A fake HTTP GET: a status, or an error, never both and never neither.
fn get(url: &str) -> Result<u16, FetchError> {
    time::sleep(Duration::from_millis(50));
    match url {
        "https://example.com" => Ok(200),
        "https://slow.example" => Err(FetchError::Timeout),
        _ => Err(FetchError::NotFound),
    }
}

/// Fetches every URL with `workers` workers; each result carries its URL and its outcome.
fn fetch_all(
    urls: &[&'static str],
    workers: usize,
) -> Vec<(&'static str, Result<u16, FetchError>)> {
    let (url_tx, url_rx) = chan::bounded(urls.len());
    let (result_tx, result_rx) = chan::bounded(urls.len());
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let (urls, results) = (url_rx.clone(), result_tx.clone());
            go(move || {
                for url in urls.iter() {
                    let outcome = get(url); // an error is a value like any other
                    results.send((url, outcome)).unwrap();
                }
            })
        })
        .collect();
    drop(result_tx);
    urls.iter().for_each(|&u| url_tx.send(u).unwrap());
    drop(url_tx);
    let results = result_rx.iter().collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    results
}
// ANCHOR_END: errors

#[test]
fn errors_travel_as_values() {
    // ANCHOR: errors_check
    let urls = ["https://example.com", "https://slow.example", "https://nowhere.example"];
    let report = sim::run(&sim::Config::default(), || fetch_all(&urls, 2));
    let mut results = report.unwrap();
    results.sort_by_key(|&(url, _)| url);
    assert_eq!(
        results,
        [
            ("https://example.com", Ok(200)),
            ("https://nowhere.example", Err(FetchError::NotFound)),
            ("https://slow.example", Err(FetchError::Timeout)),
        ]
    );
    // ANCHOR_END: errors_check
}
