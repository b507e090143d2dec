//! The parallel executor against Go, workload by workload, on the same machine and in the
//! same invocation.
//!
//! Run with `cargo bench -p gort --bench vs_go` (release build). A plain `main` (no harness):
//! each timed workload runs inside one `par::run` with as many processors as the machine has
//! cores (Go's `GOMAXPROCS`); it is warmed up once, then timed 5 times with
//! `std::time::Instant`, and the median is reported. When `go` is on `PATH`, the Go version
//! of the same workload (`benches/go/gobench.go`, built once into a temporary directory) is
//! run right after ours, with `GOMAXPROCS` set to the same count and the same warm-up and
//! median; the ratio is gort / Go, below 1 is faster. Without Go, only gort's figures are
//! printed (`apt-get install golang-go` to compare).
//!
//! Workloads:
//! * spawn+join: main spawns 100,000 green threads that each call `WaitGroup::done`, then
//!   waits on the `WaitGroup` (ns per thread; target <= 1.0);
//! * parked memory: 30,000 threads blocked on one channel's receive; the growth of the
//!   process's resident memory (`VmRSS`) per thread, measured once in a fresh process (this
//!   benchmark runs itself again as a child), with the `Vec` of handles allocated and touched
//!   before the first snapshot (bytes per thread; target <= 1.6). Shown with the default stack
//!   size and with 16 KiB stacks (the latter has no Go peer);
//! * ping-pong: main and one thread, one unbuffered channel each way, 100,000 round trips
//!   (ns per round trip; target <= 1.0);
//! * ring: 1000 threads in a ring of unbuffered channels, main is one node, the token makes 100
//!   laps (ns per hop; target <= 1.0);
//! * worker pool: a producer sends 1,000,000 jobs on a channel of capacity 1024, 8 workers
//!   square them onto a results channel of capacity 1024, main sums them (ms; target <= 1.0);
//! * mutex: 100 threads x 10,000 increments of a counter behind one `sync::Mutex` (ms;
//!   target <= 1.0);
//! * sleep: 10,000 threads each sleep 100 ms; wall time from the first spawn to the last join
//!   (ms; target: under 120 ms, that is about the 100 ms of the sleep).
//!
//! `cargo bench -p gort --bench vs_go -- ring` runs only the workloads whose key (spawn,
//! parked, pingpong, ring, pool, mutex, sleep) contains the argument.

use std::hint::black_box;
use std::mem::MaybeUninit;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gort::sched::{Builder, JoinHandle};
use gort::{chan, go, par, sync, time};

const REPS: usize = 5;

const SPAWN_N: usize = 100_000;
const PARKED_N: usize = 30_000;
const ROUNDS: u64 = 100_000;
const RING_N: usize = 1000;
const RING_LAPS: u64 = 100;
const POOL_WORKERS: usize = 8;
const POOL_JOBS: u64 = 1_000_000;
const POOL_CAP: usize = 1024;
const MUTEX_THREADS: u64 = 100;
const MUTEX_ITERS: u64 = 10_000;
const SLEEPERS: usize = 10_000;
const SLEEP_MS: u64 = 100;
/// The stack size of the second parked-memory row.
const SMALL_STACK: usize = 16 * 1024;

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

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs `main` on the parallel executor with `procs` processors.
fn run<T: Send>(procs: usize, main: impl FnOnce() -> T + Send) -> T {
    let config = par::Config::default().with_processors(procs);
    par::run(&config, main).expect("par::run failed")
}

/// What the verdict compares.
#[derive(Clone, Copy)]
enum Target {
    /// gort / Go at most this.
    Ratio(f64),
    /// gort's figure (ms) at most this.
    Below(f64),
    /// Shown for information.
    None,
}

/// One row of the table.
struct Row {
    workload: &'static str,
    gort: f64,
    go: Result<f64, String>,
    unit: &'static str,
    target: Target,
    note: String,
}

fn fmt_value(v: f64) -> String {
    if v < 100.0 { format!("{v:.2}") } else { format!("{v:.0}") }
}

impl Row {
    fn print(&self) {
        let (go, ratio) = match &self.go {
            Ok(g) => (fmt_value(*g), Some(self.gort / g)),
            Err(_) => ("-".into(), None),
        };
        let (target, verdict) = match self.target {
            Target::Ratio(max) => {
                (format!("<= {max:.1}"), ratio.map_or("", |r| if r <= max { "OK" } else { "MISS" }))
            }
            Target::Below(max) => {
                (format!("< {max:.0} ms"), if self.gort < max { "OK" } else { "MISS" })
            }
            Target::None => ("-".into(), ""),
        };
        let note = match &self.go {
            Err(why) if !why.is_empty() => format!("{}; Go: {why}", self.note),
            _ => self.note.clone(),
        };
        println!(
            "{:<34} {:>9} {:>9} {:<7} {:>6} {:>9} {:<4}  {}",
            self.workload,
            fmt_value(self.gort),
            go,
            self.unit,
            ratio.map_or("-".into(), |r| format!("{r:.2}")),
            target,
            verdict,
            note
        );
    }
}

/// A field of `/proc/self/status` (`VmRSS`, `VmPTE`, ...) in bytes.
fn proc_status(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let rest = status.lines().find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?;
    let kib: u64 = rest.split_whitespace().next()?.parse().ok()?;
    Some(kib * 1024)
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
    let kernel = Command::new("uname")
        .arg("-srm")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| format!("{} {}", std::env::consts::OS, std::env::consts::ARCH));
    format!("{cpus} CPUs, {model}, {kernel}")
}

/// The Go side: the benchmark program built once, or why there is none.
struct GoBench {
    binary: Result<PathBuf, String>,
    procs: usize,
}

impl GoBench {
    /// Builds `benches/go/gobench.go` into a temporary directory if `go` is on `PATH`.
    fn build(procs: usize) -> (GoBench, String) {
        let version = match Command::new("go").arg("version").output() {
            Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
            _ => {
                let why = "go not installed (apt-get install golang-go)".to_string();
                return (GoBench { binary: Err(why.clone()), procs }, why);
            }
        };
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/go/gobench.go");
        let dir = std::env::temp_dir().join(format!("gort-vs-go-{}", std::process::id()));
        let binary = std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))
            .and_then(|()| {
                let out = dir.join("gobench");
                let built = Command::new("go")
                    .arg("build")
                    .arg("-o")
                    .arg(&out)
                    .arg(&source)
                    .output()
                    .map_err(|e| format!("go build: {e}"))?;
                if built.status.success() {
                    Ok(out)
                } else {
                    Err(format!(
                        "go build failed: {}",
                        String::from_utf8_lossy(&built.stderr).trim()
                    ))
                }
            });
        (GoBench { binary, procs }, version)
    }

    /// Runs one workload; returns its key=value line.
    fn run(&self, args: &[&str]) -> Result<Vec<(String, String)>, String> {
        let binary = self.binary.as_ref().map_err(|_| String::new())?;
        let out = Command::new(binary)
            .arg("-procs")
            .arg(self.procs.to_string())
            .arg("-reps")
            .arg(REPS.to_string())
            .args(args)
            .env("GOMAXPROCS", self.procs.to_string())
            .output()
            .map_err(|e| format!("cannot run gobench: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "gobench {}: {}",
                args[0],
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().find(|l| l.starts_with("workload=")).ok_or("no result line")?;
        Ok(parse_line(line))
    }

    /// Runs one workload; returns its `value`.
    fn value(&self, args: &[&str]) -> Result<f64, String> {
        let kv = self.run(args)?;
        field(&kv, "value").ok_or_else(|| "no value in gobench's line".into())
    }
}

/// Removes the temporary directory of the Go binary, also when a workload panics.
impl Drop for GoBench {
    fn drop(&mut self) {
        if let Ok(bin) = &self.binary
            && let Some(dir) = bin.parent()
        {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn parse_line(line: &str) -> Vec<(String, String)> {
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn field(kv: &[(String, String)], key: &str) -> Option<f64> {
    kv.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.parse().ok())
}

/// Main spawns `n` threads that each count down a `WaitGroup`, then waits on it.
fn spawn_join(n: usize) {
    let wg = sync::WaitGroup::new();
    wg.add(n);
    for _ in 0..n {
        let wg = wg.clone();
        go(move || wg.done());
    }
    wg.wait();
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
    assert_eq!(v, rounds, "ping-pong lost a message");
    v
}

/// `n - 1` threads and main in a ring of unbuffered channels; the token goes round `laps`
/// times, each thread adding one.
fn ring(n: usize, laps: u64) -> u64 {
    let (first_tx, mut prev_rx) = chan::bounded::<u64>(0);
    let mut nodes = Vec::with_capacity(n - 1);
    for _ in 1..n {
        let (tx, rx) = chan::bounded::<u64>(0);
        let input = std::mem::replace(&mut prev_rx, rx);
        nodes.push(go(move || {
            for v in input {
                tx.send(v + 1).unwrap();
            }
        }));
    }
    let last_rx = prev_rx;
    let mut v = 0;
    for _ in 0..laps {
        first_tx.send(v).unwrap();
        v = last_rx.recv().unwrap();
    }
    drop(first_tx); // closes the ring link by link
    for node in nodes {
        node.join().unwrap();
    }
    assert_eq!(v, laps * (n as u64 - 1), "the ring lost a hop");
    v
}

/// A producer, `workers` workers squaring jobs, main summing the results.
fn pool(workers: usize, jobs: u64, cap: usize) -> u64 {
    let (job_tx, job_rx) = chan::bounded::<u64>(cap);
    let (result_tx, result_rx) = chan::bounded::<u64>(cap);
    let producer = go(move || {
        for j in 0..jobs {
            job_tx.send(j).unwrap();
        }
    });
    let workers: Vec<_> = (0..workers)
        .map(|_| {
            let (jobs, results) = (job_rx.clone(), result_tx.clone());
            go(move || {
                for j in jobs {
                    results.send(j * j).unwrap();
                }
            })
        })
        .collect();
    drop((job_rx, result_tx)); // results closes when the last worker is done
    let sum: u64 = result_rx.into_iter().sum();
    producer.join().unwrap();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(sum, (0..jobs).map(|j| j * j).sum::<u64>(), "the pool lost a job");
    sum
}

/// `threads` threads x `iters` increments of one counter behind a `sync::Mutex`.
fn mutex(threads: u64, iters: u64) -> u64 {
    let m = Arc::new(sync::Mutex::new(0u64));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let m = m.clone();
            go(move || {
                for _ in 0..iters {
                    *m.lock() += 1;
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let n = *m.lock();
    assert_eq!(n, threads * iters, "the mutex lost an update");
    n
}

/// `n` threads each sleep `d`; main joins them.
fn sleepers(n: usize, d: Duration) {
    let handles: Vec<_> = (0..n).map(|_| go(move || time::sleep(d))).collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// The child process of the parked-memory row: `n` threads blocked in one channel's receive.
/// Prints one key=value line. `stack` 0 means the default stack size.
fn parked_child(procs: usize, n: usize, stack: usize) {
    let line = run(procs, move || {
        let (tx, rx) = chan::bounded::<()>(0);
        let started = sync::WaitGroup::new();
        started.add(n);
        // The handles' Vec is allocated and its pages touched before the first snapshot.
        let mut handles: Vec<JoinHandle<()>> = Vec::with_capacity(n);
        for slot in handles.spare_capacity_mut() {
            *slot = MaybeUninit::zeroed();
        }
        let (rss0, pte0) = (proc_status("VmRSS"), proc_status("VmPTE"));
        let start = Instant::now();
        for _ in 0..n {
            let (rx, started) = (rx.clone(), started.clone());
            let body = move || {
                started.done();
                let _ = rx.recv();
            };
            let h = if stack == 0 {
                go(body)
            } else {
                Builder::new().stack_size(stack).spawn(body).expect("spawn failed")
            };
            handles.push(h);
        }
        started.wait();
        let elapsed = start.elapsed();
        time::sleep(Duration::from_millis(50)); // every thread is now blocked in recv
        let (rss1, pte1) = (proc_status("VmRSS"), proc_status("VmPTE"));
        drop(tx);
        for h in handles {
            h.join().unwrap();
        }
        let (rss0, rss1) = (rss0.unwrap_or(0), rss1.unwrap_or(0));
        let pte = pte1.unwrap_or(0) as f64 - pte0.unwrap_or(0) as f64;
        format!(
            "workload=parked value={:.3} unit=B/thread total_ns={} n={n} rss_before={rss0} \
             rss_after={rss1} pte_per={:.0}",
            (rss1 as f64 - rss0 as f64) / n as f64,
            elapsed.as_nanos(),
            pte / n as f64
        )
    });
    println!("{line}");
}

/// Runs this benchmark again as `--child parked N STACK` and parses its line.
fn parked_in_child(procs: usize, n: usize, stack: usize) -> Vec<(String, String)> {
    let exe = std::env::current_exe().expect("current_exe");
    let out = Command::new(exe)
        .args(["--child", "parked", &procs.to_string(), &n.to_string(), &stack.to_string()])
        .output()
        .expect("cannot run the parked-memory child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let head: String = stderr.lines().take(40).collect::<Vec<_>>().join("\n");
        panic!("the parked-memory child failed ({}):\n{stdout}{head}", out.status);
    }
    let line = stdout.lines().find(|l| l.starts_with("workload=")).expect("no line from child");
    parse_line(line)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        let num = |i: usize| -> usize { args[i].parse().expect("a number") };
        assert_eq!(args[1], "parked", "unknown child workload");
        parked_child(num(2), num(3), num(4));
        return;
    }
    let filter = args.iter().find(|a| !a.starts_with('-')).cloned();
    let want = |key: &str| filter.as_deref().is_none_or(|f| key.contains(f));

    let total = Instant::now();
    let procs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (gobench, go_version) = GoBench::build(procs);
    println!("gort parallel executor (par::run) vs Go, same workloads, same invocation");
    println!("machine: {}", machine());
    println!("go: {go_version}");
    println!("command: cargo bench -p gort --bench vs_go");
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        let load: Vec<&str> = load.split_whitespace().take(3).collect();
        println!("load average at start: {} (other processes share these cores)", load.join(" "));
    }
    println!("processors: {procs} (par::Config::with_processors, GOMAXPROCS)");
    println!(
        "each time: median of {REPS} runs after 1 warm-up; memory: one run in a fresh process"
    );
    println!("ratio = gort / Go (< 1: gort is faster)\n");
    println!(
        "{:<34} {:>9} {:>9} {:<7} {:>6} {:>9} {:<4}  note",
        "workload", "gort", "Go", "unit", "ratio", "target", ""
    );

    if want("parked") {
        let kv = parked_in_child(procs, PARKED_N, 0);
        let go = gobench.run(&["parked", &PARKED_N.to_string()]);
        let go_value = go
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|kv| field(kv, "value").ok_or_else(|| "no value".to_string()));
        let go_note = go.as_ref().map_or(String::new(), |kv| {
            format!(
                "; Go: StackInuse {:.0} B + heap {:.0} B per goroutine",
                field(kv, "stack_inuse_per").unwrap_or(f64::NAN),
                field(kv, "heap_inuse_per").unwrap_or(f64::NAN)
            )
        });
        Row {
            workload: "parked memory, 30,000 threads",
            gort: field(&kv, "value").expect("value"),
            go: go_value,
            unit: "B/thr",
            target: Target::Ratio(1.6),
            note: format!(
                "par::Config default stack; RSS {:.1} -> {:.1} MiB; page tables {:.0} B/thr{go_note}",
                field(&kv, "rss_before").unwrap_or(0.0) / 1048576.0,
                field(&kv, "rss_after").unwrap_or(0.0) / 1048576.0,
                field(&kv, "pte_per").unwrap_or(f64::NAN),
            ),
        }
        .print();
        let kv = parked_in_child(procs, PARKED_N, SMALL_STACK);
        Row {
            workload: "parked memory, 16 KiB stacks",
            gort: field(&kv, "value").expect("value"),
            go: Err(String::new()),
            unit: "B/thr",
            target: Target::None,
            note: format!(
                "Builder::stack_size(16 KiB); page tables {:.0} B/thr",
                field(&kv, "pte_per").unwrap_or(f64::NAN)
            ),
        }
        .print();
    }

    if want("spawn") {
        let (t, ()) = run(procs, || median(|| spawn_join(SPAWN_N)));
        Row {
            workload: "spawn+join, 100,000 (WaitGroup)",
            gort: nanos(t) / SPAWN_N as f64,
            go: gobench.value(&["spawn", &SPAWN_N.to_string()]),
            unit: "ns/thr",
            target: Target::Ratio(1.0),
            note: format!("{:.1} ms total", millis(t)),
        }
        .print();
    }

    if want("pingpong") {
        let (t, _) = run(procs, || median(|| ping_pong(ROUNDS)));
        Row {
            workload: "ping-pong, 100,000 round trips",
            gort: nanos(t) / ROUNDS as f64,
            go: gobench.value(&["pingpong", &ROUNDS.to_string()]),
            unit: "ns/rt",
            target: Target::Ratio(1.0),
            note: "two unbuffered channels".into(),
        }
        .print();
    }

    if want("ring") {
        let (t, _) = run(procs, || median(|| ring(RING_N, RING_LAPS)));
        let hops = RING_N as f64 * RING_LAPS as f64;
        Row {
            workload: "ring, 1000 threads x 100 laps",
            gort: nanos(t) / hops,
            go: gobench.value(&["ring", &RING_N.to_string(), &RING_LAPS.to_string()]),
            unit: "ns/hop",
            target: Target::Ratio(1.0),
            note: format!("{:.1} ms total, unbuffered", millis(t)),
        }
        .print();
    }

    if want("pool") {
        let (t, _) = run(procs, || median(|| pool(POOL_WORKERS, POOL_JOBS, POOL_CAP)));
        Row {
            workload: "worker pool, 8 workers, 1M jobs",
            gort: millis(t),
            go: gobench.value(&[
                "pool",
                &POOL_WORKERS.to_string(),
                &POOL_JOBS.to_string(),
                &POOL_CAP.to_string(),
            ]),
            unit: "ms",
            target: Target::Ratio(1.0),
            note: format!(
                "{:.1} ns/job, channels of capacity {POOL_CAP}",
                nanos(t) / POOL_JOBS as f64
            ),
        }
        .print();
    }

    if want("mutex") {
        let (t, _) = run(procs, || median(|| mutex(MUTEX_THREADS, MUTEX_ITERS)));
        let ops = (MUTEX_THREADS * MUTEX_ITERS) as f64;
        Row {
            workload: "mutex, 100 threads x 10,000",
            gort: millis(t),
            go: gobench.value(&["mutex", &MUTEX_THREADS.to_string(), &MUTEX_ITERS.to_string()]),
            unit: "ms",
            target: Target::Ratio(1.0),
            note: format!("{:.1} ns per lock+increment+unlock", nanos(t) / ops),
        }
        .print();
    }

    if want("sleep") {
        let d = Duration::from_millis(SLEEP_MS);
        let (t, ()) = run(procs, || median(|| sleepers(SLEEPERS, d)));
        Row {
            workload: "sleep, 10,000 threads x 100 ms",
            gort: millis(t),
            go: gobench.value(&["sleep", &SLEEPERS.to_string(), &SLEEP_MS.to_string()]),
            unit: "ms",
            target: Target::Below(120.0),
            note: "wall time, first spawn to last join".into(),
        }
        .print();
    }

    if let Err(why) = &gobench.binary {
        println!("\n{why}");
    }
    drop(gobench);
    println!("\ntotal bench time: {:.1} s", total.elapsed().as_secs_f64());
}
