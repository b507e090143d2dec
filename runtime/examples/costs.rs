//! What a thread costs: Rust's `std::thread` against a gort green thread, measured in one run.
//!
//! The book's introduction and its "Under the hood" chapter quote these figures; this
//! example is the command that reproduces them on your machine:
//!
//! ```text
//! cargo run --release -p gort --example costs            # 10,000 parked threads of each kind
//! cargo run --release -p gort --example costs -- 20000   # another count
//! ```
//!
//! It measures, in this order:
//!
//! 1. **switch**: one resume and one suspend of a bare coroutine (the `corosensei` crate the
//!    runtime is built on), the raw cost under every green-thread switch;
//! 2. **stack from scratch**: mapping a 256 KiB stack plus a guard page, making all but the
//!    guard writable, touching its top page and unmapping it again, which is what the
//!    runtime's stack pool saves;
//! 3. **spawn+join, one at a time**: a `std::thread` spawned and joined, then a green thread
//!    spawned and joined on the parallel executor (its stack comes from the pool);
//! 4. **parked**: `N` threads of each kind blocked on a receive, with the time to spawn them
//!    all and the growth of the process's resident memory (`VmRSS`) and address space
//!    (`VmSize`) per thread, and for `std::thread` the kernel's own stack per thread (the
//!    system-wide `KernelStack` of `/proc/meminfo`, so other processes can blur it).
//!
//! Each timed loop runs 5 times after a warm-up and prints the median. Linux only (it reads
//! `/proc`). Figures move by 10 to 30% between runs on a busy machine.

use std::hint::black_box;
use std::sync::{Arc, Barrier, mpsc};
use std::time::{Duration, Instant};

use corosensei::{Coroutine, CoroutineResult};
use gort::sched::JoinHandle;
use gort::{chan, par, sync, time};

/// A field of `/proc/self/status` (`VmRSS`, `VmSize`) in bytes.
fn proc_status(field: &str) -> u64 {
    kib_field("/proc/self/status", field)
}

/// The system's `KernelStack` (all threads' kernel stacks) in bytes.
fn kernel_stack() -> u64 {
    kib_field("/proc/meminfo", "KernelStack")
}

/// A `Name:   1234 kB` line of a `/proc` file, in bytes (0 when absent).
fn kib_field(path: &str, field: &str) -> u64 {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// Runs `round` once to warm up, then 5 times, and returns the median time per iteration
/// (`round` does `iters` iterations).
fn median_per_iter(iters: u32, mut round: impl FnMut()) -> Duration {
    round();
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            round();
            t.elapsed() / iters
        })
        .collect();
    times.sort();
    times[2]
}

fn ns(d: Duration) -> f64 {
    d.as_secs_f64() * 1e9
}

fn kib(bytes: f64) -> f64 {
    bytes / 1024.0
}

/// A bare coroutine that suspends forever: resume + suspend, `n` times.
fn switch(n: u32) -> Duration {
    let mut co: Coroutine<(), (), ()> = Coroutine::new(|y, ()| {
        loop {
            y.suspend(());
        }
    });
    median_per_iter(n, || {
        for _ in 0..n {
            match co.resume(()) {
                CoroutineResult::Yield(()) => {}
                CoroutineResult::Return(()) => unreachable!("the coroutine never returns"),
            }
        }
    })
}

/// Maps, guards, touches and unmaps a 256 KiB stack, `n` times.
fn stack_from_scratch(n: u32) -> Duration {
    const PAGE: usize = 4096;
    const SIZE: usize = 256 * 1024;
    median_per_iter(n, || {
        for _ in 0..n {
            // SAFETY: a fresh anonymous private mapping that nothing else refers to; it is
            // made writable before the one write, within its bounds, and unmapped at once.
            unsafe {
                let base = libc::mmap(
                    std::ptr::null_mut(),
                    SIZE + PAGE,
                    libc::PROT_NONE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                    -1,
                    0,
                );
                assert_ne!(base, libc::MAP_FAILED, "mmap failed");
                let usable = base.cast::<u8>().add(PAGE);
                let rc = libc::mprotect(usable.cast(), SIZE, libc::PROT_READ | libc::PROT_WRITE);
                assert_eq!(rc, 0, "mprotect failed");
                usable.add(SIZE - 8).write_volatile(1);
                libc::munmap(base, SIZE + PAGE);
            }
        }
    })
}

/// `std::thread::spawn(..).join()`, one after another, `n` times.
fn std_spawn_join(n: u32) -> Duration {
    median_per_iter(n, || {
        for i in 0..n {
            std::thread::spawn(move || black_box(i)).join().unwrap();
        }
    })
}

/// `gort::go(..).join()` on the parallel executor, one after another, `n` times.
fn gort_spawn_join(n: u32) -> Duration {
    par::run(&par::Config::default(), move || {
        median_per_iter(n, || {
            for i in 0..n {
                gort::go(move || black_box(i)).join().unwrap();
            }
        })
    })
    .expect("the run succeeds")
}

/// What `count` parked threads cost: spawn time, resident memory, address space, kernel.
struct Parked {
    spawn: Duration,
    rss: f64,
    vm: f64,
    kernel: f64,
}

/// `count` OS threads, each blocked on a channel receive until main hangs up.
// Plain OS threads, outside any gort run: std's sleep blocks nothing else here.
#[allow(clippy::disallowed_methods)]
fn std_parked(count: usize) -> Parked {
    let (tx, rx) = mpsc::channel::<()>();
    let rx = Arc::new(std::sync::Mutex::new(rx));
    let started = Arc::new(Barrier::new(count + 1));
    let mut handles = Vec::with_capacity(count);
    let (rss0, vm0, k0) = (proc_status("VmRSS"), proc_status("VmSize"), kernel_stack());
    let t = Instant::now();
    for _ in 0..count {
        let (rx, started) = (rx.clone(), started.clone());
        handles.push(std::thread::spawn(move || {
            started.wait();
            let _ = rx.lock().map(|rx| rx.recv()); // one holds the lock, the rest wait on it
        }));
    }
    started.wait();
    let spawn = t.elapsed();
    std::thread::sleep(Duration::from_millis(100)); // the last ones reach their wait
    let per = |after: u64, before: u64| (after as f64 - before as f64) / count as f64;
    let p = Parked {
        spawn,
        rss: per(proc_status("VmRSS"), rss0),
        vm: per(proc_status("VmSize"), vm0),
        kernel: per(kernel_stack(), k0),
    };
    drop(tx);
    for h in handles {
        h.join().unwrap();
    }
    p
}

/// `count` green threads (default `par` stacks), each blocked on an unbuffered receive.
fn gort_parked(count: usize) -> Parked {
    par::run(&par::Config::default(), move || {
        let (tx, rx) = chan::bounded::<()>(0);
        let started = sync::WaitGroup::new();
        started.add(count);
        let mut handles: Vec<JoinHandle<()>> = Vec::with_capacity(count);
        let (rss0, vm0) = (proc_status("VmRSS"), proc_status("VmSize"));
        let t = Instant::now();
        for _ in 0..count {
            let (rx, started) = (rx.clone(), started.clone());
            handles.push(gort::go(move || {
                started.done();
                let _ = rx.recv();
            }));
        }
        started.wait();
        let spawn = t.elapsed();
        time::sleep(Duration::from_millis(100));
        let per = |after: u64, before: u64| (after as f64 - before as f64) / count as f64;
        let p = Parked {
            spawn,
            rss: per(proc_status("VmRSS"), rss0),
            vm: per(proc_status("VmSize"), vm0),
            kernel: 0.0,
        };
        drop((tx, rx));
        for h in handles {
            h.join().unwrap();
        }
        p
    })
    .expect("the run succeeds")
}

/// `1234567` as `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .map_or(10_000, |a| a.replace(['_', ','], "").parse().expect("the count must be a number"));
    println!("costs: std::thread against gort green threads (parallel executor, default config)");
    println!();
    println!("switch, coroutine resume + suspend:         {:8.1} ns", ns(switch(1_000_000)));
    let scratch = stack_from_scratch(10_000);
    println!("stack from scratch (256 KiB, guard, touch): {:8.2} µs", ns(scratch) / 1e3);
    let std_sj = std_spawn_join(2_000);
    let gort_sj = gort_spawn_join(100_000);
    println!("spawn+join one at a time, std::thread:      {:8.2} µs", ns(std_sj) / 1e3);
    println!(
        "spawn+join one at a time, gort:             {:8.0} ns (stack from the pool)",
        ns(gort_sj)
    );
    println!();
    let s = std_parked(count);
    let g = gort_parked(count);
    let each = |d: Duration| ns(d) / count as f64 / 1e3;
    let bytes = |b: f64| format!("{} B", grouped(b.max(0.0).round() as u64));
    println!("{} threads parked on a receive, per thread:", grouped(count as u64));
    println!("                          {:>14}  {:>14}", "std::thread", "gort");
    println!("  spawn                   {:>11.2} µs  {:>11.2} µs", each(s.spawn), each(g.spawn));
    println!("  resident (VmRSS)        {:>14}  {:>14}", bytes(s.rss), bytes(g.rss));
    println!("  kernel stack            {:>14}  {:>14}", bytes(s.kernel), "none");
    println!("  address space (VmSize)  {:>10.0} KiB  {:>10.0} KiB", kib(s.vm), kib(g.vm));
    println!();
    println!(
        "std::thread / gort: spawn+join {:.0} times, resident memory with the kernel stack {:.1} times",
        ns(std_sj) / ns(gort_sj),
        (s.rss + s.kernel) / g.rss
    );
}
