//! Listings of "Under the hood": scheduler, green threads, executor, replay, diagnostics.

// ANCHOR: imports
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use gort::diag::{Failure, Op};
use gort::sim::{self, Config, Strategy};
use gort::{chan, go, sched, select, time};
// ANCHOR_END: imports

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};

// ---------------------------------------------------------------------------------------
// Listings that abort the process (the watchdog, a stack overflow) run in a child process:
// the parent test re-runs this binary with only the `child_*` test and reads its stderr.

/// Set in the child process: only then do the `child_*` tests run their program.
const CHILD_ENV: &str = "BOOK_UNDER_THE_HOOD_CHILD";

fn in_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

/// Runs the test `name` of this binary in a child process and returns how it ended and what
/// it wrote to stderr. Fails if the child takes more than a minute.
fn run_child(name: &str) -> (ExitStatus, String) {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut child = Command::new(exe)
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("could not start the child test process");
    let mut pipe = child.stderr.take().expect("stderr is piped");
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        let _ = done_tx.send(text);
    });
    let Ok(stderr) = done_rx.recv_timeout(Duration::from_secs(60)) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the child test {name} did not finish within a minute");
    };
    (child.wait().expect("waiting for the child"), stderr)
}

/// Asserts the child died of SIGABRT (the runtime's fatal errors abort) and said `needles`.
#[track_caller]
fn assert_aborted_saying(name: &str, needles: &[&str]) {
    use std::os::unix::process::ExitStatusExt;
    const SIGABRT: i32 = 6;
    let (status, stderr) = run_child(name);
    assert!(
        status.signal() == Some(SIGABRT) || status.code() == Some(128 + SIGABRT),
        "the child should abort, but ended with {status:?}; its stderr:\n{stderr}"
    );
    for needle in needles {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
    assert!(!stderr.contains("Segmentation fault"), "{stderr}");
    assert!(!stderr.contains("unreachable"), "{stderr}");
}

// ---------------------------------------------------------------------------------------
// 1. Go's scheduler and gort's: processors and the watchdog.

// ANCHOR: processors
/// Runs two jobs of one second each on their own green threads, with `processors` virtual
/// processors, and returns how much virtual time they took together. A CPU-bound job
/// (`time::work`) occupies a processor; an I/O-bound one (`time::sleep`) does not.
fn two_jobs(processors: usize, cpu_bound: bool) -> Duration {
    let config = Config::default().with_processors(processors);
    let report = sim::run(&config, move || {
        let jobs: Vec<_> = (0..2)
            .map(|_| {
                go(move || {
                    if cpu_bound {
                        time::work(Duration::from_secs(1));
                    } else {
                        time::sleep(Duration::from_secs(1));
                    }
                })
            })
            .collect();
        jobs.into_iter().for_each(|job| job.join().unwrap());
        time::now().elapsed_since_start()
    });
    report.unwrap()
}

#[test]
fn processors_bound_cpu_work_not_waiting() {
    assert_eq!(two_jobs(1, true), Duration::from_secs(2)); // one processor: one after the other
    assert_eq!(two_jobs(2, true), Duration::from_secs(1)); // two processors: side by side
    assert_eq!(two_jobs(1, false), Duration::from_secs(1)); // waiting needs no processor
}
// ANCHOR_END: processors

// ANCHOR: never_yields
/// Spins on a flag that another green thread sets after 1 ms. The loop has no scheduling
/// point, so the other thread never runs and the clock never reaches 1 ms: in Go before
/// 1.14 with GOMAXPROCS=1 this hung forever. Here the watchdog stops it after 200 ms of
/// wall-clock time.
fn spin_without_scheduling_points() {
    let config = Config::default().with_watchdog(Duration::from_millis(200));
    let report = sim::run(&config, || {
        let ready = Arc::new(AtomicBool::new(false));
        let setter = ready.clone();
        go(move || {
            time::sleep(Duration::from_millis(1));
            setter.store(true, SeqCst);
        });
        while !ready.load(SeqCst) {}
    });
    unreachable!("the watchdog aborts the process first: {report}");
}
// ANCHOR_END: never_yields

/// The child half of the watchdog listing.
#[test]
fn child_never_yields() {
    if in_child() {
        spin_without_scheduling_points();
    }
}

#[test]
fn a_loop_without_scheduling_points_is_stopped_by_the_watchdog() {
    if in_child() {
        return;
    }
    assert_aborted_saying(
        "child_never_yields",
        &[
            "fatal error: watchdog: green thread #1 \"main\" has not reached a scheduling \
             point for 200ms",
            "its last scheduling point was at ",
            "replay token: gort1:",
        ],
    );
}

// ANCHOR: blocks_instead
#[test]
fn blocking_instead_of_spinning() {
    let report = sim::run(&Config::default(), || {
        let (ready_tx, ready_rx) = chan::unbuffered();
        go(move || {
            time::sleep(Duration::from_millis(1));
            ready_tx.send(()).unwrap();
        });
        ready_rx.recv().unwrap(); // main blocks: it leaves the run queue, so the clock can move
        time::now().elapsed_since_start()
    });
    assert_eq!(report.unwrap(), Duration::from_millis(1));
}
// ANCHOR_END: blocks_instead

// ---------------------------------------------------------------------------------------
// 2. Green threads: scheduling points, park and unpark.

// ANCHOR: between_points
/// Two green threads each add 1 to a counter with a separate load and store. With `pause`,
/// each yields between the two: a scheduling point where the other may run.
fn two_increments(pause: bool) -> u32 {
    let counter = Arc::new(AtomicU32::new(0));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let counter = counter.clone();
            go(move || {
                let v = counter.load(SeqCst);
                if pause {
                    sched::yield_now();
                }
                counter.store(v + 1, SeqCst);
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    counter.load(SeqCst)
}

#[test]
fn code_between_scheduling_points_runs_as_one_step() {
    // The final counts seen over 100 schedules.
    let counts = |pause: bool| -> BTreeSet<u32> {
        (0..100)
            .map(|seed| sim::run(&Config::default().with_seed(seed), || two_increments(pause)))
            .map(|report| report.unwrap())
            .collect()
    };
    assert_eq!(counts(false), BTreeSet::from([2])); // load and store are never split
    assert_eq!(counts(true), BTreeSet::from([1, 2])); // some schedules lose an update
}
// ANCHOR_END: between_points

// ANCHOR: park
#[test]
fn park_blocks_until_unpark() {
    let report = sim::run(&Config::default(), || {
        let main = sched::current();
        let waker = go(move || {
            time::sleep(Duration::from_millis(50));
            main.unpark(); // makes main runnable; not a scheduling point
        });
        sched::park(); // main leaves the run queue until the unpark
        let woke_at = time::now().elapsed_since_start();
        waker.join().unwrap();
        woke_at
    });
    // In main's events: park, then blocked at 0 s; woken at 50 ms.
    let main_events: Vec<(Op, Duration)> = report
        .trace()
        .events()
        .filter(|e| e.thread.as_u64() == 1)
        .map(|e| (e.op, e.time))
        .collect();
    let park = main_events.iter().position(|&(op, _)| op == Op::Park).unwrap();
    assert_eq!(main_events[park + 1], (Op::Block, Duration::ZERO));
    assert!(main_events.contains(&(Op::Wake, Duration::from_millis(50))));
    assert_eq!(report.unwrap(), Duration::from_millis(50));
}
// ANCHOR_END: park

// ---------------------------------------------------------------------------------------
// 3. The deterministic executor: the virtual clock, seeds, strategies.

// ANCHOR: clock
#[test]
fn the_clock_jumps_to_the_next_deadline() {
    let ms = Duration::from_millis;
    let report = sim::run(&Config::default(), move || {
        // Three 200 ms sleeps, one after the other.
        let t0 = time::now();
        for _ in 0..3 {
            time::sleep(ms(200));
        }
        let sequential = time::now() - t0;

        // The same three sleeps on three green threads.
        let t1 = time::now();
        let sleepers: Vec<_> = (0..3).map(|_| go(move || time::sleep(ms(200)))).collect();
        sleepers.into_iter().for_each(|s| s.join().unwrap());
        let concurrent = time::now() - t1;

        // A receive that nothing will satisfy, with a 250 ms timeout.
        let (_keep_open, never) = chan::unbuffered::<u8>();
        let t2 = time::now();
        let timed_out = select! {
            recv(never) -> _ => false,
            recv(time::after(ms(250))) => true,
        };
        let waited = time::now() - t2;

        // Computing takes no virtual time; `work` stands for CPU time.
        let t3 = time::now();
        let sum: u64 = std::hint::black_box(0..1_000_000u64).sum();
        let computing = time::now() - t3;
        time::work(ms(5));
        let working = time::now() - t3;

        (sequential, concurrent, timed_out, waited, sum > 0, computing, working)
    });
    assert_eq!(report.unwrap(), (ms(600), ms(200), true, ms(250), true, ms(0), ms(5)));
}
// ANCHOR_END: clock

// ANCHOR: ties
/// Two green threads sleep exactly 10 ms; returns the order in which they woke.
fn wake_order(seed: u64) -> Vec<&'static str> {
    let report = sim::run(&Config::default().with_seed(seed), || {
        let (tx, rx) = chan::bounded(2);
        for name in ["a", "b"] {
            let tx = tx.clone();
            go(move || {
                time::sleep(Duration::from_millis(10));
                tx.send(name).unwrap();
            });
        }
        drop(tx);
        rx.into_iter().collect()
    });
    report.unwrap()
}

#[test]
fn timers_due_together_fire_in_seeded_order() {
    let orders: BTreeSet<Vec<&str>> = (0..20).map(wake_order).collect();
    assert_eq!(orders.len(), 2); // both orders happen across seeds,
    assert!((0..20).all(|seed| wake_order(seed) == wake_order(seed))); // each seed always one
}
// ANCHOR_END: ties

// ANCHOR: same_seed
/// A producer sends 1, 2, 3 through a channel of capacity 1; main sums them.
fn pipeline() -> u32 {
    let (tx, rx) = chan::bounded(1);
    let producer = go(move || (1..=3).for_each(|i| tx.send(i).unwrap()));
    let sum = rx.into_iter().sum();
    producer.join().unwrap();
    sum
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    let run = |seed: u64| sim::run(&Config::default().with_seed(seed), pipeline);

    let (first, second) = (run(7), run(7));
    assert_eq!(first.trace().to_string(), second.trace().to_string()); // event for event
    assert_eq!(first.token(), second.token());

    // Other seeds interleave producer and consumer in other ways, to the same sum.
    let schedules: BTreeSet<u64> = (0..20).map(|seed| run(seed).trace().fingerprint()).collect();
    assert!(schedules.len() > 1);
    assert!((0..20).all(|seed| run(seed).unwrap() == 6));
}
// ANCHOR_END: same_seed

// ANCHOR: yield_spin
#[test]
fn yielding_does_not_move_the_clock() {
    let config = Config::default().with_max_steps(10_000);
    let report = sim::run(&config, || {
        let ready = Arc::new(AtomicBool::new(false));
        let setter = ready.clone();
        go(move || {
            time::sleep(Duration::from_millis(1));
            setter.store(true, SeqCst);
        });
        while !ready.load(SeqCst) {
            sched::yield_now(); // main stays runnable, so the clock stays at 0
        }
    });
    assert_eq!(report.failure(), Some(&Failure::StepLimit { limit: 10_000 }));
    assert_eq!(report.stats().virtual_time, Duration::ZERO);
}
// ANCHOR_END: yield_spin

// ANCHOR: lossy
/// A logger that never blocks its caller: `try_send` drops a line when the buffer is full.
/// A burst of 17 lines into a buffer of 16 loses one only if the consumer takes none of
/// them while the burst lasts.
fn lossy_logger() {
    let (lines, log) = chan::bounded::<u32>(16);
    let consumer = go(move || log.into_iter().count());
    let producer = go(move || (0..17).filter(|&i| lines.try_send(i).is_err()).count());
    let dropped = producer.join().unwrap();
    let written = consumer.join().unwrap();
    assert_eq!(written, 17, "the logger dropped {dropped} lines");
}

#[test]
fn pct_finds_what_random_scheduling_misses() {
    // How many of 200 seeds make the logger drop a line, under a strategy.
    let failing = |strategy: Strategy| {
        (0..200)
            .filter(|&seed| {
                let config = Config::default().with_seed(seed).with_strategy(strategy);
                !sim::run(&config, lossy_logger).is_ok()
            })
            .count()
    };
    assert_eq!(failing(Strategy::Random), 0);
    let pct = failing(Strategy::Pct { depth: 1, horizon: 100 });
    assert!((50..=100).contains(&pct), "{pct}"); // about a third of the seeds
}
// ANCHOR_END: lossy

// ---------------------------------------------------------------------------------------
// 4. Finding and replaying a race.

// ANCHOR: explore_replay
/// The lost update of `two_increments`, as a check: panics if an update was lost.
fn racy_counter() {
    assert_eq!(two_increments(true), 2, "lost update");
}

#[test]
fn explore_finds_the_race_and_replay_reproduces_it() {
    let config = Config::default();
    let failing = sim::explore(&config, 100, racy_counter).unwrap_err();
    let Some(Failure::Panic(panic)) = failing.failure() else { panic!("{failing}") };
    assert!(panic.message.contains("lost update"));

    // The token names the schedule; replaying it runs the same schedule again.
    let token = failing.token().to_string();
    let again = sim::replay(&config, &token, racy_counter).unwrap();
    let Some(Failure::Panic(replayed)) = again.failure() else { panic!("{again}") };
    assert_eq!(replayed.message, panic.message);
    assert_eq!(again.trace().to_string(), failing.trace().to_string());
    assert!(again.replay_check().unwrap().reproduced());
}
// ANCHOR_END: explore_replay

// ANCHOR: diverge
/// Depends on something the scheduler does not control: whether it ran before in this
/// process. Only the first run yields.
fn not_deterministic() {
    static RUNS: AtomicU32 = AtomicU32::new(0);
    if RUNS.fetch_add(1, SeqCst) == 0 {
        sched::yield_now();
    }
}

#[test]
fn a_replay_says_when_it_diverges() {
    let config = Config::default();
    let first = sim::run(&config, not_deterministic);
    let again = sim::replay(&config, &first.token().to_string(), not_deterministic).unwrap();
    let check = again.replay_check().unwrap();
    assert!(!check.reproduced());
    assert!(check.to_string().starts_with("replay diverged"));
}
// ANCHOR_END: diverge

#[test]
fn the_token_records_how_explore_found_the_race() {
    let failing = sim::explore(&Config::default(), 100, racy_counter).unwrap_err();
    let token = failing.token();
    assert!(token.to_string().starts_with("gort1:"));
    assert_eq!(token.steps(), Some(failing.stats().steps));
    assert_eq!(token.fingerprint(), Some(failing.trace().fingerprint()));
    // explore replays the failing schedule once itself, to check the program is deterministic.
    assert!(failing.replay_check().unwrap().reproduced());
}

// ---------------------------------------------------------------------------------------
// 5. Diagnostics.

// ANCHOR: deadlock
#[test]
fn a_deadlock_report_names_what_each_thread_waits_on() {
    let report = sim::run(&Config::default(), || {
        let (jobs_tx, jobs_rx) = chan::Builder::new().name("jobs").bounded::<u32>(0);
        let (sum_tx, sum_rx) = chan::Builder::new().name("sum").bounded::<u32>(0);
        sched::Builder::new()
            .name("adder")
            .spawn(move || {
                let sum = jobs_rx.into_iter().sum(); // ends when `jobs` is closed
                sum_tx.send(sum).unwrap();
            })
            .unwrap();
        for job in 1..=3 {
            jobs_tx.send(job).unwrap();
        }
        // Forgot `drop(jobs_tx)`: the adder waits for a fourth job, main for the sum.
        sum_rx.recv().unwrap()
    });
    assert_eq!(report.failure(), Some(&Failure::Deadlock));
    let text = report.to_string();
    assert!(text.starts_with("fatal error: all green threads are asleep - deadlock!"));
    assert!(text.contains("green thread #1 \"main\" [chan receive]:"));
    assert!(text.contains("    receiving from unbuffered chan \"sum\" (created at "));
    assert!(text.contains("green thread #2 \"adder\" [chan receive]:"));
    assert!(text.contains("    receiving from unbuffered chan \"jobs\" (created at "));
    assert!(text.contains("    spawned at "));
    assert!(text.contains("replay token: gort1:"));
}
// ANCHOR_END: deadlock

// ANCHOR: overflow
/// Recursion whose 1 KiB frame stays alive across the call (so it cannot become a loop).
fn depth(n: u64) -> u64 {
    let frame = [n as u8; 1024];
    if n == 0 {
        return 0;
    }
    depth(n - 1) + u64::from(std::hint::black_box(&frame)[0] & 1)
}

/// About 10 MiB of frames on a 64 KiB stack: the guard page below the stack catches it.
fn overflow_a_small_stack() {
    let report = sim::run(&Config::default(), || {
        let deep = sched::Builder::new().name("deep").stack_size(64 * 1024);
        deep.spawn(|| depth(10_000)).unwrap().join().unwrap()
    });
    unreachable!("the overflow report aborts the process first: {report}");
}
// ANCHOR_END: overflow

/// The child half of the stack-overflow listing.
#[test]
fn child_overflows_its_stack() {
    if in_child() {
        overflow_a_small_stack();
    }
}

#[test]
fn a_stack_overflow_is_reported_not_a_segfault() {
    if in_child() {
        return;
    }
    assert_aborted_saying(
        "child_overflows_its_stack",
        &[
            "fatal error: stack overflow in green thread #2 \"deep\"",
            "its stack is 65536 bytes; spawned at ",
            "replay token: gort1:",
        ],
    );
}

// ---------------------------------------------------------------------------------------
// The parallel executor.

// ANCHOR: parallel
#[test]
fn the_parallel_executor_runs_the_same_program() {
    let config = gort::par::Config::default().with_processors(2);
    let report = gort::par::run_report(&config, || {
        let (tx, rx) = chan::bounded(8);
        for chunk in 0..100u64 {
            let tx = tx.clone();
            go(move || {
                let part: u64 = (chunk * 100..(chunk + 1) * 100).sum();
                time::work(Duration::from_micros(50)); // a little CPU per thread
                tx.send(part).unwrap();
            });
        }
        drop(tx);
        rx.into_iter().sum::<u64>() // ends when every sender is gone
    });
    assert_eq!(report.threads_spawned(), 100);
    assert!(report.warnings().is_empty()); // nobody held a carrier
    assert_eq!(report.into_result().unwrap(), 49_995_000);
}
// ANCHOR_END: parallel
