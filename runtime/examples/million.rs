//! A million parked green threads on the parallel executor, and what they cost.
//!
//! Main spawns `COUNT` green threads with small stacks (16 KiB by default); each signals a
//! `WaitGroup` and blocks receiving from one shared unbuffered channel, as a million
//! goroutines would block on `<-ch`. Once all are parked, the example prints the process's
//! resident memory (`VmRSS`) before and after and the bytes per thread, the page tables
//! (`VmPTE`), and how guard pages are made ([`par::guard_kind`]: with guard markers, Linux
//! 6.13+, a whole chunk of stacks stays one kernel mapping; with `mprotect` each stack costs
//! two mappings and the process stops near 32,700). Then it closes the channel, which wakes
//! every thread, and joins them all.
//!
//! If the kernel refuses (no address space, the mapping limit, no memory), the run fails:
//! the example prints how many threads were parked by then and why, and exits with status 1.
//!
//! Run it with:
//!
//! ```text
//! cargo run --release -p gort --example million -- 1000000
//! cargo run --release -p gort --example million -- 100000 64   # 64 KiB stacks
//! ```
//!
//! Arguments: the count (default 1,000,000) and the stack size in KiB (default 16, at least
//! 16). Expect about 4-5 KiB of memory per parked thread: 4.5 GB for a million.

use std::mem::MaybeUninit;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use gort::sched::{self, JoinHandle};
use gort::{chan, par, sync, time};

/// A field of `/proc/self/status` (`VmRSS`, `VmPTE`, ...) in bytes.
fn proc_status(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let rest = status.lines().find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?;
    let kib: u64 = rest.split_whitespace().next()?.parse().ok()?;
    Some(kib * 1024)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// `1234567` as `1,234,567`.
fn grouped(n: usize) -> String {
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

/// What main measured while every thread was parked.
struct Parked {
    rss_before: u64,
    rss_parked: u64,
    pte_before: u64,
    pte_parked: u64,
    spawn_time: Duration,
    release_time: Duration,
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().map_or(1_000_000, |a| {
        a.replace(['_', ','], "").parse().expect("the count must be a number")
    });
    let stack_kib: usize =
        args.next().map_or(16, |a| a.parse().expect("the stack size (KiB) must be a number"));
    let stack = stack_kib * 1024;
    let config = par::Config::default().with_stack_size(stack);
    let max_maps = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .map_or_else(|_| "unknown".into(), |s| s.trim().to_string());
    println!(
        "million: parking {} green threads ({stack_kib} KiB stacks) on {} processors \
         (vm.max_map_count = {max_maps})",
        grouped(count),
        config.processors()
    );

    // Counted by each thread just before it blocks; read after the run, whatever happened.
    let parked = Arc::new(AtomicUsize::new(0));
    let counter = parked.clone();
    let start = Instant::now();
    let outcome = par::run(&config, move || {
        let (tx, rx) = chan::bounded::<()>(0);
        let started = sync::WaitGroup::new();
        started.add(count);
        // Allocate and touch the handles' Vec first, so that it is not counted per thread.
        let mut handles: Vec<JoinHandle<()>> = Vec::with_capacity(count);
        for slot in handles.spare_capacity_mut() {
            *slot = MaybeUninit::zeroed();
        }
        let rss_before = proc_status("VmRSS").unwrap_or(0);
        let pte_before = proc_status("VmPTE").unwrap_or(0);
        let t0 = Instant::now();
        for _ in 0..count {
            let (rx, started, counter) = (rx.clone(), started.clone(), counter.clone());
            let h = sched::Builder::new()
                .stack_size(stack)
                .spawn(move || {
                    counter.fetch_add(1, Relaxed);
                    started.done();
                    let _ = rx.recv(); // parked until the channel closes
                })
                .expect("spawn");
            handles.push(h);
        }
        started.wait();
        let spawn_time = t0.elapsed();
        time::sleep(Duration::from_millis(100)); // the last ones reach their recv
        let rss_parked = proc_status("VmRSS").unwrap_or(0);
        let pte_parked = proc_status("VmPTE").unwrap_or(0);

        let t1 = Instant::now();
        drop((tx, rx)); // close: every receiver wakes with Err
        for h in handles {
            h.join().unwrap();
        }
        Parked {
            rss_before,
            rss_parked,
            pte_before,
            pte_parked,
            spawn_time,
            release_time: t1.elapsed(),
        }
    });
    let guards = par::guard_kind().unwrap_or("unknown (no stack was made)");

    match outcome {
        Ok(p) => {
            let per = (p.rss_parked as f64 - p.rss_before as f64) / count as f64;
            let pte = (p.pte_parked as f64 - p.pte_before as f64) / count as f64;
            println!(
                "parked:   {} green threads, spawned and parked in {:.2} s ({:.0} ns each)",
                grouped(count),
                p.spawn_time.as_secs_f64(),
                p.spawn_time.as_secs_f64() * 1e9 / count as f64
            );
            println!(
                "memory:   RSS {:.1} MiB before, {:.1} MiB parked: {per:.0} bytes per thread \
                 (+ {pte:.0} bytes of page tables, VmPTE)",
                mib(p.rss_before),
                mib(p.rss_parked)
            );
            println!("guards:   {guards}");
            println!(
                "released: closed the channel and joined all {} in {:.2} s (total {:.2} s)",
                grouped(count),
                p.release_time.as_secs_f64(),
                start.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!(
                "FAILED after parking {} of {} green threads ({:.2} s)",
                grouped(parked.load(Relaxed)),
                grouped(count),
                start.elapsed().as_secs_f64()
            );
            println!("why:      {}", e.failure());
            println!("guards:   {guards}");
            println!(
                "({} threads were alive; RSS now {:.1} MiB)",
                grouped(e.threads().len()),
                mib(proc_status("VmRSS").unwrap_or(0))
            );
            ExitCode::FAILURE
        }
    }
}
