//! Listings of chapter 05 (context: cancellation and timeouts), each asserting what the chapter says.

use std::collections::BTreeSet;
use std::time::Duration;

use gort::context::{self, Context, ContextError};
use gort::diag::Failure;
use gort::sched::JoinHandle;
use gort::time::{Ticker, Timer};
use gort::{chan, go, select, sim, time};

// ANCHOR: tree
/// A thread that waits until `ctx` is done, then reports when and why.
fn watch(ctx: &Context) -> JoinHandle<(Duration, Option<ContextError>)> {
    let ctx = ctx.clone();
    go(move || {
        let _ = ctx.done().recv(); // returns Err(RecvError) when done() is closed
        (time::now().elapsed_since_start(), ctx.err())
    })
}

fn cancel_a_subtree() {
    let root = Context::background();
    let (request, cancel_request) = context::with_cancel(&root);
    let (db, _cancel_db) = context::with_cancel(&request);
    let (cache, _cancel_cache) = context::with_timeout(&request, Duration::from_secs(1));
    let (other, _cancel_other) = context::with_cancel(&root);

    let watchers = [watch(&request), watch(&db), watch(&cache)];
    time::sleep(Duration::from_millis(100));
    cancel_request.cancel(); // cancels request, db and cache, at one instant

    for w in watchers {
        let (at, err) = w.join().unwrap();
        assert_eq!(at, Duration::from_millis(100));
        assert_eq!(err, Some(ContextError::Canceled));
    }
    assert_eq!(other.err(), None); // a sibling subtree: untouched
    assert_eq!(root.err(), None); // cancel flows down, never up
}
// ANCHOR_END: tree

#[test]
fn cancel_reaches_every_descendant_at_once() {
    for seed in 0..20 {
        sim::run(&sim::Config::default().with_seed(seed), cancel_a_subtree).unwrap();
    }
}

#[test]
fn a_dropped_cancel_handle_cancels() {
    sim::run(&sim::Config::default(), || {
        // ANCHOR: drop_cancels
        let (ctx, cancel) = context::with_cancel(&Context::background());
        drop(cancel); // the same as cancel.cancel(): Go's `defer cancel()`, built in
        assert_eq!(ctx.err(), Some(ContextError::Canceled));

        let (ctx, _) = context::with_timeout(&Context::background(), Duration::from_secs(5));
        assert_eq!(ctx.err(), Some(ContextError::Canceled)); // `_` dropped the handle at once

        let (ctx, _cancel) = context::with_timeout(&Context::background(), Duration::from_secs(5));
        assert_eq!(ctx.err(), None); // `_cancel` keeps it to the end of the scope
        // ANCHOR_END: drop_cancels
    })
    .unwrap();
}

// ANCHOR: loop_001
fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Article 001's worker, translated: look at the context, and if it is not done, work
/// (sleep) 500 ms and look again. Returns when it saw the context done.
fn worker_001(ctx: &Context) -> Duration {
    loop {
        select! {
            recv(ctx.done()) => return time::now().elapsed_since_start(),
            default => time::sleep(ms(500)), // Go: default: ... Sleep
        }
    }
}

fn three_workers_001(timeout: Duration) -> Vec<Duration> {
    let (ctx, _cancel) = context::with_timeout(&Context::background(), timeout);
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let ctx = ctx.clone();
            go(move || worker_001(&ctx))
        })
        .collect();
    workers.into_iter().map(|w| w.join().unwrap()).collect() // join, do not sleep 3 s
}
// ANCHOR_END: loop_001

#[test]
fn the_001_loop_overshoots() {
    // ANCHOR: loop_001_check
    let mut stop_times = BTreeSet::new();
    for seed in 0..50 {
        let config = sim::Config::default().with_seed(seed);
        stop_times.extend(sim::run(&config, || three_workers_001(ms(1800))).unwrap());
    }
    // The deadline passes at 1.8 s, in the middle of the fourth sleep. Every worker notices
    // only when that sleep ends, 200 ms late, under every seed.
    assert_eq!(stop_times, BTreeSet::from([ms(2000)]));
    // ANCHOR_END: loop_001_check
    // With a 2 s timeout the fourth sleep and the deadline end at the same instant. Every
    // timer due at an instant fires before any thread runs, so the workers see the context
    // done then, under every seed.
    for seed in 0..50 {
        let config = sim::Config::default().with_seed(seed);
        let stops = sim::run(&config, || three_workers_001(ms(2000))).unwrap();
        assert_eq!(stops, [ms(2000); 3]);
    }
}

// ANCHOR: heartbeat
/// Beats every `period` until `ctx` is done; waits on both in one select!.
fn heartbeat(ctx: &Context, period: Duration) -> (u32, Duration, Option<ContextError>) {
    let ticker = Ticker::new(period);
    let mut beats = 0;
    loop {
        select! {
            recv(ctx.done()) => return (beats, time::now().elapsed_since_start(), ctx.err()),
            recv(ticker.receiver()) => beats += 1,
        }
    }
}
// ANCHOR_END: heartbeat

#[test]
fn select_on_done_stops_at_the_deadline() {
    // ANCHOR: heartbeat_check
    let mut beats_seen = BTreeSet::new();
    for seed in 0..50 {
        let config = sim::Config::default().with_seed(seed);
        let (beats, stopped_at, err) = sim::run(&config, || {
            let (ctx, _cancel) = context::with_timeout(&Context::background(), ms(2000));
            heartbeat(&ctx, ms(500))
        })
        .unwrap();
        assert_eq!(stopped_at, ms(2000)); // exactly at the deadline, under every seed
        assert_eq!(err, Some(ContextError::DeadlineExceeded));
        beats_seen.insert(beats);
    }
    // The tick at 2 s and the deadline are ready together; select! picks either.
    assert_eq!(beats_seen, BTreeSet::from([3, 4]));
    // ANCHOR_END: heartbeat_check
}

#[test]
fn deadlines_take_the_earlier() {
    sim::run(&sim::Config::default(), || {
        // ANCHOR: deadlines
        let t0 = time::now();
        let (parent, _p) = context::with_timeout(&Context::background(), ms(1000));
        let (longer, _l) = context::with_timeout(&parent, ms(5000)); // asks for more
        let (shorter, _s) = context::with_deadline(&parent, t0 + ms(300));
        assert_eq!(longer.deadline(), Some(t0 + ms(1000))); // capped by the parent's
        assert_eq!(shorter.deadline(), Some(t0 + ms(300)));

        let _ = shorter.done().recv();
        assert_eq!(time::now() - t0, ms(300));
        assert_eq!(shorter.err(), Some(ContextError::DeadlineExceeded));
        assert_eq!(parent.err(), None); // the child's deadline is its own

        let _ = longer.done().recv();
        assert_eq!(time::now() - t0, ms(1000)); // the parent's deadline reached it
        assert_eq!(longer.err(), Some(ContextError::DeadlineExceeded));
        // ANCHOR_END: deadlines
    })
    .unwrap();
}

#[test]
fn err_is_sticky() {
    sim::run(&sim::Config::default(), || {
        // ANCHOR: sticky
        let (ctx, cancel) = context::with_timeout(&Context::background(), ms(100));
        assert_eq!(ctx.err(), None); // not done yet
        time::sleep(ms(150));
        assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
        cancel.cancel(); // too late: the first reason stays
        assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
        assert!(ctx.done().recv().is_err()); // and done() stays closed
        // ANCHOR_END: sticky
    })
    .unwrap();
}

// ANCHOR: dashboard
/// Calls a service that answers after `latency`, giving up when `ctx` is done.
fn fetch(ctx: &Context, name: &str, latency: Duration) -> Result<String, ContextError> {
    select! {
        recv(ctx.done()) => Err(ctx.err().expect("done() closed, so err() is set")),
        recv(time::after(latency)) => Ok(format!("{name} data")),
    }
}

const SERVICES: [(&str, u64); 3] = [("profile", 120), ("orders", 300), ("preferences", 200)];

/// One call after the other: the latencies add up.
fn dashboard_sequential(ctx: &Context) -> Vec<Result<String, ContextError>> {
    SERVICES.iter().map(|&(name, millis)| fetch(ctx, name, ms(millis))).collect()
}

/// All three calls at once, under one deadline for the whole page.
fn dashboard(parent: &Context, timeout: Duration) -> Vec<Result<String, ContextError>> {
    let (ctx, _cancel) = context::with_timeout(parent, timeout);
    let calls: Vec<_> = SERVICES
        .iter()
        .map(|&(name, millis)| {
            let ctx = ctx.clone();
            go(move || fetch(&ctx, name, ms(millis)))
        })
        .collect();
    calls.into_iter().map(|c| c.join().unwrap()).collect() // every call joined: no leak
}
// ANCHOR_END: dashboard

#[test]
fn the_dashboard_takes_the_slowest_call_or_the_timeout() {
    // ANCHOR: dashboard_check
    let timed = |page: fn(&Context) -> Vec<Result<String, ContextError>>| {
        sim::run(&sim::Config::default(), move || {
            let page = page(&Context::background());
            (page, time::now().elapsed_since_start())
        })
        .unwrap()
    };
    let (page, took) = timed(dashboard_sequential);
    assert_eq!(took, ms(620)); // 120 + 300 + 200
    assert!(page.iter().all(Result::is_ok));

    let (page, took) = timed(|ctx| dashboard(ctx, ms(1000)));
    assert_eq!(took, ms(300)); // max(120, 300, 200)
    assert!(page.iter().all(Result::is_ok));

    let (page, took) = timed(|ctx| dashboard(ctx, ms(250)));
    assert_eq!(took, ms(250)); // min(300, 250): the page does not wait for orders
    assert_eq!(page[0].as_deref(), Ok("profile data"));
    assert_eq!(page[1], Err(ContextError::DeadlineExceeded));
    assert_eq!(page[2].as_deref(), Ok("preferences data"));
    // ANCHOR_END: dashboard_check
}

#[test]
fn a_call_that_ignores_its_context_runs_on() {
    // ANCHOR: ignores_ctx
    let report = sim::run(&sim::Config::default(), || {
        let (ctx, _cancel) = context::with_timeout(&Context::background(), ms(250));
        let (tx, rx) = chan::bounded(1);
        go(move || {
            time::sleep(Duration::from_secs(10)); // never looks at any context
            let _ = tx.send("preferences data");
        });
        select! {
            recv(rx) -> answer => answer.ok(),
            recv(ctx.done()) => None, // the page gives up at 250 ms...
        }
    });
    // ...but the call is still running when main returns: a leak.
    assert_eq!(report.failure(), Some(&Failure::Leak { count: 1 }));
    // ANCHOR_END: ignores_ctx
}

#[test]
fn timers_and_tickers() {
    sim::run(&sim::Config::default(), || {
        // ANCHOR: timers
        let t0 = time::now();
        let fired = time::after(ms(300)).recv().unwrap(); // Go: <-time.After(300ms)
        assert_eq!(fired - t0, ms(300));

        let timer = Timer::new(ms(1000)); // Go: time.NewTimer
        assert!(timer.stop()); // stopped before it fired
        assert!(timer.receiver().try_recv().is_err()); // nothing will come

        let ticker = Ticker::new(ms(100)); // Go: time.NewTicker
        let ticks: Vec<Duration> = (0..3).map(|_| ticker.receiver().recv().unwrap() - t0).collect();
        assert_eq!(ticks, [ms(400), ms(500), ms(600)]);
        drop(ticker); // stops it: no more ticks, no timer left behind
        // ANCHOR_END: timers
    })
    .unwrap();
}

#[test]
fn a_slow_receiver_misses_ticks() {
    sim::run(&sim::Config::default(), || {
        // ANCHOR: ticker_slow
        let t0 = time::now();
        let ticker = Ticker::new(ms(100));
        assert_eq!(ticker.receiver().capacity(), 1); // Go 1.23 and later report 0
        time::sleep(ms(350)); // ticks at 100, 200 and 300 ms: one waits, two are dropped
        assert_eq!(ticker.receiver().len(), 1);
        let late = ticker.receiver().recv().unwrap();
        assert_eq!(late - t0, ms(100)); // the tick that waited, stamped when it was sent
        assert_eq!(ticker.receiver().recv().unwrap() - t0, ms(400)); // then the period again

        time::sleep(ms(150)); // the 500 ms tick waits in the channel
        ticker.stop(); // discards it, as Go's Stop does since 1.23
        assert!(ticker.receiver().try_recv().is_err());
        // ANCHOR_END: ticker_slow
    })
    .unwrap();
}

/// Waits for a value nobody will ever send.
fn block_for_ever() {
    let (_tx, rx) = chan::unbuffered::<()>();
    let _ = rx.recv();
}

#[test]
fn a_dropped_ticker_stops() {
    // ANCHOR: ticker_drop
    let config = sim::Config::default().with_max_time(Duration::from_secs(60));
    let dropped = sim::run(&config, || {
        let ticker = Ticker::new(ms(100));
        ticker.receiver().recv().unwrap();
        drop(ticker);
        block_for_ever();
    });
    // No thread can run and no timer is left: a deadlock, reported at 100 ms.
    assert_eq!(dropped.failure(), Some(&Failure::Deadlock));
    assert_eq!(dropped.stats().virtual_time, ms(100));

    // ANCHOR_END: ticker_drop
}
