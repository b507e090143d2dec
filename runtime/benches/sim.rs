//! Throughput of the deterministic executor against the shuttle 0.9 anchor.
//!
//! Run with `cargo bench -p gort --bench sim`. A plain `main` (no harness): each workload is
//! warmed up once, then timed 5 times with `std::time::Instant`; the median is reported next
//! to the shuttle 0.9 figure from `shared/reference/shuttle-measured.md` (same machine class:
//! 2 cores, release build). The ratio is ours / shuttle: below 1 we are faster; the target is
//! 0.5 or less.
//!
//! Workloads:
//! * spawn+join: main spawns N empty green threads, then joins them all (one run with
//!   N = 100,000, and 100 runs with N = 1000, shuttle's `spawn1000` shape);
//! * ping-pong: two threads, one unbuffered channel each way, 100,000 round trips in one run;
//! * mutex 3x5: 3 threads x 5 iterations of {take a token from a capacity-1 channel used as a
//!   lock, increment a shared counter, yield, give the token back}, explored over 10,000
//!   schedules by one `sim::explore`, and run as 10,000 separate `sim::run` calls.
//!
//! * select: `select!` over two buffered channels that are both always ready, against a plain
//!   `recv` on one ready channel in the same invocation;
//! * sync::Mutex: uncontended lock+unlock in one thread, against the same loop on a
//!   `std::sync::Mutex` (the cost of a lock being a scheduling point); contended: 4 threads
//!   x 25,000 lock/yield/unlock; and mutex 3x5 with `sync::Mutex` instead of a channel
//!   (shuttle's own mutex workload), explored over 10,000 schedules.
//!
//! Throughput runs keep no trace (`with_trace_limit(0)`; the fingerprint is still computed);
//! spawn+join and ping-pong are also shown with the default trace limit (100,000 events).

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use gort::{chan, go, sched, select, sim, sync};

const REPS: usize = 5;

/// Runs `f` once to warm up, then `REPS` times; returns the median wall time and the last
/// value `f` returned.
fn median<R>(mut f: impl FnMut() -> R) -> (Duration, R) {
    black_box(f());
    let mut times = Vec::with_capacity(REPS);
    let mut last = None;
    for _ in 0..REPS {
        let start = Instant::now();
        let r = black_box(f());
        times.push(start.elapsed());
        last = Some(r);
    }
    times.sort();
    (times[REPS / 2], last.expect("REPS > 0"))
}

fn nanos(d: Duration) -> f64 {
    d.as_secs_f64() * 1e9
}

/// One row of the table.
struct Row {
    workload: String,
    ours: f64,
    unit: &'static str,
    anchor: Option<f64>,
    note: String,
}

impl Row {
    fn print(&self) {
        let (anchor, ratio, verdict) = match self.anchor {
            Some(a) => {
                let r = self.ours / a;
                let a = if a < 100.0 { format!("{a:.2}") } else { format!("{a:.0}") };
                (a, format!("{r:.2}"), if r <= 0.5 { "ok" } else { "MISS" })
            }
            None => ("-".into(), "-".into(), ""),
        };
        println!(
            "{:<44} {:>10} {:<6} {:>9} {:>6} {:<4}  {}",
            self.workload,
            if self.ours < 100.0 {
                format!("{:.2}", self.ours)
            } else {
                format!("{:.0}", self.ours)
            },
            self.unit,
            anchor,
            ratio,
            verdict,
            self.note
        );
    }
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpus} CPUs, {model}, {} {}", std::env::consts::OS, std::env::consts::ARCH)
}

/// Main spawns `n` empty green threads, then joins them.
fn spawn_join(n: usize) {
    let handles: Vec<_> = (0..n).map(|_| go(|| ())).collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// Main and one thread exchange `rounds` round trips over two unbuffered channels.
fn ping_pong(rounds: u64) -> u64 {
    let (ping_tx, ping_rx) = chan::bounded::<u64>(0);
    let (pong_tx, pong_rx) = chan::bounded::<u64>(0);
    let echo = go(move || {
        for v in ping_rx {
            pong_tx.send(v + 1).unwrap();
        }
    });
    let mut v = 0;
    for _ in 0..rounds {
        ping_tx.send(v).unwrap();
        v = pong_rx.recv().unwrap();
    }
    drop(ping_tx);
    echo.join().unwrap();
    v
}

const MUTEX_THREADS: u64 = 3;
const MUTEX_ITERS: u64 = 5;

/// 3 threads x 5 increments under a channel used as a lock (capacity 1, one token).
fn mutex3x5() -> u64 {
    let (unlock, lock) = chan::bounded::<()>(1);
    unlock.send(()).unwrap();
    let counter = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..MUTEX_THREADS)
        .map(|_| {
            let (unlock, lock, counter) = (unlock.clone(), lock.clone(), counter.clone());
            go(move || {
                for _ in 0..MUTEX_ITERS {
                    lock.recv().unwrap();
                    let v = counter.load(Relaxed);
                    sched::yield_now();
                    counter.store(v + 1, Relaxed);
                    unlock.send(()).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let count = counter.load(Relaxed);
    assert_eq!(count, MUTEX_THREADS * MUTEX_ITERS, "the channel lock let an update through");
    count
}

/// `n` selects over two channels that stay ready throughout; returns how many chose `a`.
fn select_two_ready(n: u64) -> u64 {
    let (a_tx, a) = chan::bounded::<u64>(n as usize);
    let (b_tx, b) = chan::bounded::<u64>(n as usize);
    for i in 0..n {
        a_tx.try_send(i).unwrap();
        b_tx.try_send(i).unwrap();
    }
    let mut from_a = 0;
    for _ in 0..n {
        select! {
            recv(a) => from_a += 1,
            recv(b) => {}
        }
    }
    from_a
}

/// The peer of `select_two_ready`: `n` plain receives from a ready channel.
fn recv_ready(n: u64) -> u64 {
    let (tx, rx) = chan::bounded::<u64>(n as usize);
    for i in 0..n {
        tx.try_send(i).unwrap();
    }
    (0..n).map(|_| rx.recv().unwrap()).sum()
}

/// `n` uncontended lock+unlock pairs on a `sync::Mutex`.
fn mutex_uncontended(n: u64) -> u64 {
    let m = sync::Mutex::new(0u64);
    for _ in 0..n {
        *m.lock() += 1;
    }
    m.into_inner()
}

const CONTENDED_THREADS: u64 = 4;
const CONTENDED_ITERS: u64 = 25_000;

/// 4 threads x 25,000 {lock, yield while holding it, unlock}: every lock is contended.
fn mutex_contended() -> u64 {
    let m = Arc::new(sync::Mutex::new(0u64));
    let handles: Vec<_> = (0..CONTENDED_THREADS)
        .map(|_| {
            let m = m.clone();
            go(move || {
                for _ in 0..CONTENDED_ITERS {
                    let mut g = m.lock();
                    sched::yield_now();
                    *g += 1;
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    *m.lock()
}

/// mutex 3x5 with `sync::Mutex`: shuttle's mutex workload, with shuttle's kind of lock.
fn sync_mutex3x5() -> u64 {
    let m = Arc::new(sync::Mutex::new(0u64));
    let handles: Vec<_> = (0..MUTEX_THREADS)
        .map(|_| {
            let m = m.clone();
            go(move || {
                for _ in 0..MUTEX_ITERS {
                    let mut g = m.lock();
                    let v = *g;
                    sched::yield_now();
                    *g = v + 1;
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let n = *m.lock();
    assert_eq!(n, MUTEX_THREADS * MUTEX_ITERS, "sync::Mutex let an update through");
    n
}

/// Explores `program` over `schedules` schedules and prints the row against shuttle's
/// mutex 3x5 anchor (8.45 µs per schedule, 49.9 decisions).
fn explore_row(config: &sim::Config, workload: &str, schedules: u32, program: fn() -> u64) {
    let (t, summary) = median(|| sim::explore(config, schedules, program));
    let summary = summary.unwrap_or_else(|report| panic!("{report}"));
    assert_eq!(summary.schedules, schedules);
    Row {
        workload: workload.into(),
        ours: nanos(t) / f64::from(schedules) / 1e3,
        unit: "µs/sch",
        anchor: Some(8.45),
        note: format!(
            "{:.1} events/schedule (shuttle: 49.9 decisions), {:.0} ns/event",
            summary.steps as f64 / f64::from(schedules),
            nanos(t) / summary.steps as f64
        ),
    }
    .print();
}

fn main() {
    let total = Instant::now();
    println!("gort deterministic executor vs shuttle 0.9 (shared/reference/shuttle-measured.md)");
    println!("machine: {}", machine());
    println!("command: cargo bench -p gort --bench sim");
    println!("each figure: median of {REPS} runs after 1 warm-up; ratio = ours / shuttle");
    println!("(< 1: faster than shuttle; target <= 0.50)\n");
    println!(
        "{:<44} {:>10} {:<6} {:>9} {:>6} {:<4}  note",
        "workload", "ours", "unit", "shuttle", "ratio", ""
    );

    // `cargo bench -p gort --bench sim -- pingpong` runs only the workloads whose key
    // (spawn/lean, spawn/trace, spawn1000,
    // pingpong/lean, pingpong/trace, explore, fresh, empty) contains the argument; for profiling.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let want = |key: &str| filter.as_deref().is_none_or(|f| key.contains(f));

    let big = sim::Config::default().with_max_steps(10_000_000);
    let lean = big.clone().with_trace_limit(0);

    // spawn+join, one run of 100,000 threads.
    const N: usize = 100_000;
    for (config, label, anchor, key) in
        [(&lean, "no trace", Some(690.0), "spawn/lean"), (&big, "trace kept", None, "spawn/trace")]
    {
        if !want(key) {
            continue;
        }
        let (t, report) = median(|| sim::run(config, || spawn_join(N)));
        assert!(report.is_ok(), "{report}");
        Row {
            workload: format!("spawn+join, N=100,000 in 1 run ({label})"),
            ours: nanos(t) / N as f64,
            unit: "ns/thr",
            anchor,
            note: format!(
                "{:.1} ms total, {:.1} events/thread",
                t.as_secs_f64() * 1e3,
                report.stats().steps as f64 / N as f64
            ),
        }
        .print();
    }

    // spawn+join, 100 runs of 1000 threads (shuttle's spawn1000).
    if want("spawn1000") {
        let (t, steps) = median(|| {
            let mut steps = 0;
            for seed in 0..100 {
                let report = sim::run(&lean.clone().with_seed(seed), || spawn_join(1000));
                assert!(report.is_ok(), "{report}");
                steps += report.stats().steps;
            }
            steps
        });
        Row {
            workload: "spawn+join, N=1000 x 100 runs (no trace)".into(),
            ours: nanos(t) / 100_000.0,
            unit: "ns/thr",
            anchor: Some(690.0),
            note: format!(
                "{:.1} µs per run, {:.1} events/thread",
                nanos(t) / 100.0 / 1e3,
                steps as f64 / 100_000.0
            ),
        }
        .print();
    }

    // ping-pong, 100,000 round trips in one run.
    const ROUNDS: u64 = 100_000;
    for (config, label, anchor, key) in [
        (&lean, "no trace", Some(235.0), "pingpong/lean"),
        (&big, "trace kept", None, "pingpong/trace"),
    ] {
        if !want(key) {
            continue;
        }
        let (t, report) = median(|| sim::run(config, || ping_pong(ROUNDS)));
        assert_eq!(report.value(), Some(&ROUNDS), "{report}");
        let msgs = 2.0 * ROUNDS as f64;
        Row {
            workload: format!("ping-pong, 100,000 round trips ({label})"),
            ours: nanos(t) / msgs,
            unit: "ns/msg",
            anchor,
            note: format!(
                "{:.1} ns per round trip, {:.1} events/msg",
                nanos(t) / ROUNDS as f64,
                report.stats().steps as f64 / msgs
            ),
        }
        .print();
    }

    // mutex 3x5 explored: 10,000 schedules in one sim::explore.
    const SCHEDULES: u32 = 10_000;
    if want("explore") {
        explore_row(&lean, "mutex 3x5, sim::explore 10,000 schedules", SCHEDULES, mutex3x5);
    }

    // mutex 3x5 as 10,000 fresh sim::run calls.
    if want("fresh") {
        let (t, steps) = median(|| {
            let mut steps = 0;
            for seed in 0..u64::from(SCHEDULES) {
                let report = sim::run(&lean.clone().with_seed(seed), mutex3x5);
                assert!(report.is_ok(), "{report}");
                steps += report.stats().steps;
            }
            steps
        });
        Row {
            workload: "mutex 3x5, 10,000 separate sim::run".into(),
            ours: nanos(t) / f64::from(SCHEDULES) / 1e3,
            unit: "µs/run",
            anchor: Some(29.8),
            note: format!(
                "shuttle: fixed cost per Runner::run; {:.1} events/run",
                steps as f64 / f64::from(SCHEDULES)
            ),
        }
        .print();
    }

    // The fixed cost of a run: an empty main, 10,000 fresh runs.
    if want("empty") {
        let (t, ()) = median(|| {
            for seed in 0..10_000 {
                let report = sim::run(&lean.clone().with_seed(seed), || ());
                assert!(report.is_ok(), "{report}");
            }
        });
        Row {
            workload: "empty main, 10,000 separate sim::run".into(),
            ours: nanos(t) / 10_000.0 / 1e3,
            unit: "µs/run",
            anchor: None,
            note: "fixed cost of one run (setup, main's coroutine, report, token)".into(),
        }
        .print();
    }

    const OPS: u64 = 100_000;
    if want("select") {
        let (t_recv, sum) = median(|| sim::run(&lean, || recv_ready(OPS)).unwrap());
        assert_eq!(sum, OPS * (OPS - 1) / 2);
        let (t_sel, from_a) = median(|| sim::run(&lean, || select_two_ready(OPS)).unwrap());
        let per_sel = nanos(t_sel) / OPS as f64;
        let per_recv = nanos(t_recv) / OPS as f64;
        Row {
            workload: "select!, 2 ready arms, 100,000 in 1 run".into(),
            ours: per_sel,
            unit: "ns/op",
            anchor: None,
            note: format!(
                "{:.2}x a plain recv ({per_recv:.0} ns, same run shape); arm a chosen {:.1}%",
                per_sel / per_recv,
                from_a as f64 * 100.0 / OPS as f64
            ),
        }
        .print();
    }

    if want("mutex") {
        let (t_ours, n) = median(|| sim::run(&lean, || mutex_uncontended(OPS)).unwrap());
        assert_eq!(n, OPS);
        let (t_std, ()) = median(|| {
            let m = std::sync::Mutex::new(0u64);
            for _ in 0..OPS {
                *black_box(&m).lock().unwrap() += 1;
            }
            assert_eq!(m.into_inner().unwrap(), OPS);
        });
        let (ours, std) = (nanos(t_ours) / OPS as f64, nanos(t_std) / OPS as f64);
        Row {
            workload: "sync::Mutex uncontended, 100,000 lock+unlock".into(),
            ours,
            unit: "ns/op",
            anchor: None,
            note: format!(
                "std::sync::Mutex outside a run: {std:.1} ns ({:.0}x): a lock is a scheduling point",
                ours / std
            ),
        }
        .print();
        let (t, n) = median(|| sim::run(&lean, mutex_contended).unwrap());
        assert_eq!(n, CONTENDED_THREADS * CONTENDED_ITERS);
        Row {
            workload: "sync::Mutex contended, 4 x 25,000 lock/yield/unlock".into(),
            ours: nanos(t) / n as f64,
            unit: "ns/op",
            anchor: None,
            note: "every lock waits and is handed over by the unlock".into(),
        }
        .print();
    }

    if want("explore-mutex") {
        let workload = "sync::Mutex 3x5, sim::explore 10,000 schedules";
        explore_row(&lean, workload, SCHEDULES, sync_mutex3x5);
    }

    println!("\ntotal bench time: {:.1} s", total.elapsed().as_secs_f64());
}
