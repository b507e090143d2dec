//! Virtual time: sleeping, simulated CPU work on virtual processors, timer ties, `Instant`.
//!
//! Sim only: virtual time is what these check; the real clock's timers are in `tests/par.rs`.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gort::diag::Op;
use gort::{go, sched, sim, time};

/// Runs `main` under `config` and returns its value, or fails with the report.
#[track_caller]
fn run_with<T>(config: &sim::Config, main: impl FnOnce() -> T + Send) -> T {
    sim::run(config, main).unwrap()
}

/// Runs `main` under the default config and returns its value, or fails with the report.
#[track_caller]
fn run<T>(main: impl FnOnce() -> T + Send) -> T {
    run_with(&sim::Config::default(), main)
}

fn now() -> Duration {
    time::now().elapsed_since_start()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Spawns `n` threads running `f` and joins them all.
fn concurrently(n: usize, f: fn()) {
    let hs: Vec<_> = (0..n).map(|_| go(f)).collect();
    hs.into_iter().for_each(|h| h.join().unwrap());
}

#[test]
fn time_starts_at_zero() {
    assert_eq!(run(now), Duration::ZERO);
}

#[test]
fn three_concurrent_sleeps_take_the_time_of_one() {
    for seed in 0..10 {
        let config = sim::Config::default().with_seed(seed);
        let t = run_with(&config, || {
            concurrently(3, || time::sleep(ms(200)));
            now()
        });
        assert_eq!(t, ms(200), "seed {seed}");
    }
}

#[test]
fn three_sequential_sleeps_add_up() {
    let t = run(|| {
        for _ in 0..3 {
            time::sleep(ms(200));
        }
        now()
    });
    assert_eq!(t, ms(600));
}

#[test]
fn sleeps_of_different_lengths_wake_in_deadline_order() {
    for seed in 0..10 {
        let config = sim::Config::default().with_seed(seed);
        let order = run_with(&config, || {
            let log = Arc::new(Mutex::new(Vec::new()));
            let hs: Vec<_> = [300u64, 100, 200]
                .into_iter()
                .map(|d| {
                    let log = log.clone();
                    go(move || {
                        time::sleep(ms(d));
                        log.lock().unwrap().push((d, now()));
                    })
                })
                .collect();
            hs.into_iter().for_each(|h| h.join().unwrap());
            log.lock().unwrap().clone()
        });
        assert_eq!(order, [(100, ms(100)), (200, ms(200)), (300, ms(300))], "seed {seed}");
    }
}

#[test]
fn sleep_zero_does_not_advance_time_and_lets_others_run() {
    for seed in 0..20 {
        let config = sim::Config::default().with_seed(seed);
        let t = run_with(&config, || {
            let flag = Arc::new(AtomicBool::new(false));
            let f = flag.clone();
            let h = go(move || f.store(true, SeqCst));
            while !flag.load(SeqCst) {
                time::sleep(Duration::ZERO);
            }
            h.join().unwrap();
            now()
        });
        assert_eq!(t, Duration::ZERO, "seed {seed}");
    }
}

/// Spins on a flag another thread sets, giving way with `give_way`, under PCT depth 1 (no
/// change points): only the deprioritising of a yielding thread lets the setter run.
#[track_caller]
fn assert_spin_wait_makes_progress_under_pct(give_way: fn()) {
    for seed in 0..20 {
        let config = sim::Config::default()
            .with_seed(seed)
            .with_strategy(sim::Strategy::Pct { depth: 1, horizon: 10 })
            .with_max_steps(10_000);
        let report = sim::run(&config, || {
            let flag = Arc::new(AtomicBool::new(false));
            let f = flag.clone();
            let h = go(move || f.store(true, SeqCst));
            while !flag.load(SeqCst) {
                give_way();
            }
            h.join().unwrap();
        });
        assert!(report.is_ok(), "seed {seed}:\n{report}");
    }
}

/// `sleep(Duration::ZERO)` is documented as a `yield_now`, which under PCT lowers the
/// caller's priority so that a spin loop cannot starve the thread it waits for.
#[test]
fn sleep_zero_spin_wait_makes_progress_under_pct() {
    assert_spin_wait_makes_progress_under_pct(|| time::sleep(Duration::ZERO));
}

#[test]
fn yield_spin_wait_makes_progress_under_pct() {
    assert_spin_wait_makes_progress_under_pct(|| sched::yield_now());
}

/// Three threads each `work(200ms)`: with P processors they take ceil(3 / P) turns.
#[test]
fn work_takes_turns_on_the_processors_there_are() {
    for (processors, expected) in [(1, 600), (2, 400), (3, 200)] {
        let config = sim::Config::default().with_processors(processors);
        let t = run_with(&config, || {
            concurrently(3, || time::work(ms(200)));
            now()
        });
        assert_eq!(t, ms(expected), "with {processors} processors");
    }
}

#[test]
fn each_worker_finishes_when_its_turn_ends() {
    let config = sim::Config::default().with_processors(1);
    let mut ends = run_with(&config, || {
        let hs: Vec<_> = (0..3)
            .map(|_| {
                go(|| {
                    time::work(ms(200));
                    now()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
    });
    ends.sort();
    assert_eq!(ends, [ms(200), ms(400), ms(600)]);
}

#[test]
fn sleeping_overlaps_with_working() {
    let config = sim::Config::default().with_processors(1);
    let (t, sleeper_done) = run_with(&config, || {
        let sleeper = go(|| {
            time::sleep(ms(400));
            now()
        });
        concurrently(2, || time::work(ms(200)));
        let sleeper_done = sleeper.join().unwrap();
        (now(), sleeper_done)
    });
    assert_eq!(sleeper_done, ms(400));
    assert_eq!(t, ms(400), "two 200ms works on one processor run while the sleeper sleeps");
}

#[test]
fn work_zero_takes_no_time() {
    let config = sim::Config::default().with_processors(1);
    let t = run_with(&config, || {
        concurrently(3, || time::work(Duration::ZERO));
        now()
    });
    assert_eq!(t, Duration::ZERO);
}

/// Four threads sleep until the same instant and log the order they wake in.
fn wake_order() -> Vec<u32> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let hs: Vec<_> = (0..4)
        .map(|i| {
            let log = log.clone();
            go(move || {
                time::sleep(ms(10));
                log.lock().unwrap().push(i);
            })
        })
        .collect();
    hs.into_iter().for_each(|h| h.join().unwrap());
    assert_eq!(now(), ms(10));
    log.lock().unwrap().clone()
}

#[test]
fn timers_due_together_fire_in_seeded_order() {
    let mut orders = BTreeSet::new();
    for seed in 0..30 {
        let config = sim::Config::default().with_seed(seed);
        let first = run_with(&config, wake_order);
        let again = run_with(&config, wake_order);
        assert_eq!(first, again, "seed {seed} must always give the same order");
        let mut sorted = first.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [0, 1, 2, 3]);
        orders.insert(first);
    }
    assert!(orders.len() >= 2, "30 seeds gave only the wake orders {orders:?}");
}

/// The order in which the timers due at 10 ms woke their threads, as the trace recorded it.
fn timer_fire_order(config: &sim::Config) -> Vec<u64> {
    let report = sim::run(config, wake_order);
    assert!(report.is_ok(), "{report}");
    report
        .trace()
        .events()
        .filter(|e| e.op == Op::Wake && e.time == ms(10))
        .map(|e| e.thread.as_u64())
        .filter(|&t| t != 1) // main wakes from its join, after the sleepers
        .collect()
}

#[test]
fn timer_ties_fire_in_seeded_order_in_the_trace() {
    let mut orders = BTreeSet::new();
    for seed in 0..30 {
        let config = sim::Config::default().with_seed(seed);
        let first = timer_fire_order(&config);
        assert_eq!(first, timer_fire_order(&config), "seed {seed}");
        let mut sorted = first.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [2, 3, 4, 5], "seed {seed}: every sleeper wakes once at 10ms");
        orders.insert(first);
    }
    assert!(orders.len() >= 2, "30 seeds fired the timers only in the orders {orders:?}");
}

#[test]
fn instant_arithmetic() {
    run(|| {
        let t0 = time::now();
        assert_eq!(t0, time::Instant::default());
        time::sleep(Duration::from_millis(1500));
        let t1 = time::now();
        assert_eq!(t1 - t0, Duration::from_millis(1500));
        assert_eq!(t0 + Duration::from_millis(1500), t1);
        assert_eq!(t1.duration_since(t0), Duration::from_millis(1500));
        assert_eq!(t0.duration_since(t1), Duration::ZERO, "saturates");
        assert_eq!(t0 - t1, Duration::ZERO, "saturates");
        assert!(t0 < t1);
        assert_eq!(t1.elapsed_since_start(), Duration::from_millis(1500));
        assert_eq!(t1.elapsed(), Duration::ZERO);
        time::sleep(ms(250));
        assert_eq!(t1.elapsed(), ms(250));
        assert_eq!(t0.elapsed(), ms(1750));
        assert_eq!(format!("{t1:?}"), "t=1.5s");
    });
}

#[test]
fn computation_between_scheduling_points_takes_no_virtual_time() {
    let t = run(|| {
        let mut x = 0u64;
        for i in 0..100_000u64 {
            x = x.wrapping_add(std::hint::black_box(i));
        }
        std::hint::black_box(x);
        now()
    });
    assert_eq!(t, Duration::ZERO);
}

#[test]
fn the_report_records_the_virtual_time() {
    let report = sim::run(&sim::Config::default(), || time::sleep(Duration::from_secs(90)));
    assert!(report.is_ok());
    assert_eq!(report.stats().virtual_time, Duration::from_secs(90));
}

/// A deadlock is declared without moving the clock unless a live timer could still wake
/// someone: so the virtual time of a deadlock report shows which timers were left registered.
#[test]
fn stopped_dropped_and_orphaned_timers_leave_nothing_registered() {
    let report = sim::run(&sim::Config::default(), || {
        let stopped = time::Timer::new(Duration::from_secs(10));
        stopped.stop();
        drop(time::Timer::new(Duration::from_secs(20)));
        drop(time::Ticker::new(Duration::from_secs(1)));
        drop(time::after(Duration::from_secs(30)));
        drop(time::tick(Duration::from_secs(2)));
        let (_ctx, cancel) = gort::context::with_timeout(
            &gort::context::Context::background(),
            Duration::from_secs(40),
        );
        drop(cancel);
        let (_tx, rx) = gort::chan::unbuffered::<u8>();
        rx.recv().unwrap(); // blocks for ever
    });
    assert_eq!(report.failure(), Some(&gort::diag::Failure::Deadlock), "{report}");
    assert_eq!(report.stats().virtual_time, Duration::ZERO, "a timer moved the clock: {report}");
}

#[test]
fn a_live_timer_moves_the_clock_before_a_deadlock_is_declared() {
    let report = sim::run(&sim::Config::default(), || {
        let _pending = time::after(Duration::from_secs(5)); // held: it may still be received
        let (_tx, rx) = gort::chan::unbuffered::<u8>();
        rx.recv().unwrap();
    });
    assert_eq!(report.failure(), Some(&gort::diag::Failure::Deadlock));
    assert_eq!(report.stats().virtual_time, Duration::from_secs(5));
}
