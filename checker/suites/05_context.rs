//! The property suite of lesson 05 (context: cancellation and timeouts): exact virtual times
//! for sleeps, workers and the dashboard, cancellation that reaches every descendant, and a
//! request counter that never loses a request.
use std::sync::Arc;
use std::time::Duration;

use cancellation::{
    RequestCounter, Service, Services, WorkReport, call_service, dashboard, sleep_ctx, worker,
};
use gort::context::{self, Context, ContextError};
use gort::sched::JoinHandle;
use gort::time;
use grade::prelude::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn elapsed() -> Duration {
    time::now().elapsed_since_start()
}

/// Starts a thread that cancels `cancel` after `after`.
fn cancel_after(cancel: context::CancelHandle, after: Duration) -> JoinHandle<()> {
    go(move || {
        time::sleep(after);
        cancel.cancel();
    })
}

/// A canceller thread if `at` is `Some`; otherwise `cancel` kept alive (dropping it would
/// cancel at once).
type Canceller = (Option<JoinHandle<()>>, Option<context::CancelHandle>);

fn maybe_cancel_after(cancel: context::CancelHandle, at: Option<u64>) -> Canceller {
    match at {
        Some(at) => (Some(cancel_after(cancel, ms(at))), None),
        None => (None, Some(cancel)),
    }
}

/// Latencies in ms (multiples of 10; `None` never answers).
fn latency() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![4 => (0u64..40).prop_map(|n| Some(n * 10)), 1 => Just(None)]
}

fn services(lat: [Option<u64>; 3]) -> Services {
    let service = |name, l: Option<u64>| Service { name, latency: l.map(ms) };
    Services {
        profile: service("profile", lat[0]),
        orders: service("orders", lat[1]),
        preferences: service("preferences", lat[2]),
    }
}

/// When a call with latency `lat` ends and what it gives, under a deadline and a cancel time
/// that never ties with a latency (the context wins a tie with the deadline).
fn expected_call(
    name: &str,
    lat: Option<u64>,
    deadline: u64,
    cancel: u64,
) -> (u64, Result<String, ContextError>) {
    let lat = lat.unwrap_or(u64::MAX);
    if lat < deadline && lat < cancel {
        (lat, Ok(format!("{name} data")))
    } else if deadline <= cancel {
        (deadline, Err(ContextError::DeadlineExceeded))
    } else {
        (cancel, Err(ContextError::Canceled))
    }
}

/// The dashboard property body: `lat` latencies, `timeout`, and the caller's context
/// cancelled `cancel` ms after the call (never, if `None`; always an odd multiple of 5 ms).
/// Times are measured from the call.
fn check_dashboard(lat: [Option<u64>; 3], timeout: u64, cancel: Option<u64>) {
    let (parent, cancel_parent) = context::with_cancel(&Context::background());
    let (canceller, _keep) = maybe_cancel_after(cancel_parent, cancel);
    let requests = Arc::new(RequestCounter::new());
    let t0 = time::now();
    let page = dashboard(&parent, services(lat), ms(timeout), &requests);
    let took = time::now().duration_since(t0);
    let c = cancel.unwrap_or(u64::MAX);
    let names = ["profile", "orders", "preferences"];
    let want: Vec<_> = (0..3).map(|i| expected_call(names[i], lat[i], timeout, c)).collect();
    let slowest = want.iter().map(|w| w.0).max().unwrap();
    check_eq!(
        took,
        ms(slowest),
        "the dashboard must return when its slowest call ends (times from the call), the calls running at the same time (latency = max, not sum), and no call may run past the timeout or past the caller's cancel (latencies {lat:?} ms, timeout {timeout} ms, caller cancels at {cancel:?} ms)"
    );
    let got = [&page.profile, &page.orders, &page.preferences];
    for i in 0..3 {
        check_eq!(
            got[i],
            &want[i].1,
            "field {} (latency {:?} ms, timeout {timeout} ms, caller cancels at {cancel:?} ms): a service that answers before the deadline gives its data, one cut off by the timeout gives DeadlineExceeded, one cut off by the caller gives Canceled; the three calls run at the same time, so a slow call does not delay the others",
            names[i],
            lat[i]
        );
    }
    check_eq!(requests.total(), 3, "one dashboard sends three requests, each counted once");
    if let Some(h) = canceller {
        joined(h, "the canceller");
    }
}

fn main() {
    Suite::new("05_context")
        .property(
            Property::explore(
                "sleep_ctx_wakes_at_the_first_event",
                "sleep_ctx returns Ok after d, or the context's error as soon as it is done (by its deadline, or by a cancel of its parent), whichever comes first",
                (0u64..8, 1u64..8, prop_oneof![Just(None), (0u64..8).prop_map(Some)]),
                |&(d, timeout, cancel): &(u64, u64, Option<u64>)| {
                    let (d, timeout, cancel) = (d * 10, timeout * 10, cancel.map(|c| c * 10 + 5));
                    let (parent, cancel_parent) = context::with_cancel(&Context::background());
                    let (ctx, _cancel) = context::with_timeout(&parent, ms(timeout));
                    let (canceller, _keep) = maybe_cancel_after(cancel_parent, cancel);
                    let got = sleep_ctx(&ctx, ms(d));
                    let took = elapsed();
                    let (at, want) = match expected_call("", Some(d), timeout, cancel.unwrap_or(u64::MAX)) {
                        (at, Ok(_)) => (at, Ok(())),
                        (at, Err(e)) => (at, Err(e)),
                    };
                    check_eq!(
                        got,
                        want,
                        "sleep_ctx(ctx, {d} ms) under a {timeout} ms timeout, parent cancelled at {cancel:?} ms: a sleep that ends at the very instant of the deadline counts as cut off (check ctx.err() after waking)"
                    );
                    check_eq!(
                        took,
                        ms(at),
                        "sleep_ctx(ctx, {d} ms) under a {timeout} ms timeout, parent cancelled at {cancel:?} ms, must return at the first of the three: wait on ctx.done() and the timer at once (select!)"
                    );
                    if let Some(h) = canceller {
                        joined(h, "the canceller");
                    }
                },
            )
            .cases(24)
            .schedules(24)
            .task(1),
        )
        .property(
            Property::explore(
                "worker_stops_at_the_deadline",
                "workers under one timeout all stop at exactly the deadline, each having completed every unit that ended before it",
                (
                    prop_oneof![(1u64..3000, 1u64..800), Just((2000u64, 500u64))],
                    1usize..4,
                ),
                |&((timeout, unit), workers): &((u64, u64), usize)| {
                    let (ctx, _cancel) = context::with_timeout(&Context::background(), ms(timeout));
                    // Main is worker 0; the others run on their own threads.
                    let handles: Vec<_> = (1..workers)
                        .map(|_| {
                            let ctx = ctx.clone();
                            go(move || (worker(&ctx, ms(unit)), elapsed()))
                        })
                        .collect();
                    let mine = (worker(&ctx, ms(unit)), elapsed());
                    let want = WorkReport {
                        units: (timeout - 1) / unit,
                        stopped_by: ContextError::DeadlineExceeded,
                    };
                    let others = handles.into_iter().map(|h| joined(h, "a worker"));
                    for (report, at) in std::iter::once(mine).chain(others) {
                        check_eq!(
                            at,
                            ms(timeout),
                            "a worker with {unit} ms units under a {timeout} ms timeout must stop at exactly the deadline: a unit in progress is cut off, not finished"
                        );
                        check_eq!(
                            report,
                            want,
                            "a worker with {unit} ms units under a {timeout} ms timeout completes the units that end strictly before the deadline (one ending at the deadline itself does not count)"
                        );
                    }
                },
            )
            .cases(24)
            .schedules(16)
            .task(2),
        )
        .property(
            Property::explore(
                "cancel_reaches_the_worker_promptly",
                "cancelling an ancestor of the worker's context stops the worker at that very instant, with Canceled",
                (2u64..500).prop_flat_map(|unit| (Just(unit), 0u64..5, 1..unit)),
                |&(unit, whole, part): &(u64, u64, u64)| {
                    let at = whole * unit + part;
                    let (root, cancel_root) = context::with_cancel(&Context::background());
                    let (child, _child_cancel) = context::with_timeout(&root, Duration::from_secs(3600));
                    let (grandchild, _grandchild_cancel) = context::with_cancel(&child);
                    let canceller = cancel_after(cancel_root, ms(at));
                    let report = worker(&grandchild, ms(unit));
                    let stopped = elapsed();
                    joined(canceller, "the canceller");
                    check_eq!(
                        stopped,
                        ms(at),
                        "the root was cancelled at {at} ms: the worker (two contexts below it, {unit} ms units) must stop then, not at the end of its unit"
                    );
                    check_eq!(
                        report,
                        WorkReport { units: whole, stopped_by: ContextError::Canceled },
                        "cancelled at {at} ms with {unit} ms units: the units completed before the cancel, and Canceled"
                    );
                },
            )
            .cases(24)
            .schedules(16)
            .task(2),
        )
        .property(
            Property::explore(
                "request_counter_is_exact",
                "RequestCounter counts every record() of every thread, under every schedule",
                vec(0usize..6, 1..5),
                |records: &Vec<usize>| {
                    let counter = Arc::new(RequestCounter::new());
                    let handles: Vec<_> = records
                        .iter()
                        .map(|&n| {
                            let counter = counter.clone();
                            go(move || (0..n).for_each(|_| counter.record()))
                        })
                        .collect();
                    for h in handles {
                        joined(h, "a thread calling record");
                    }
                    let want: usize = records.iter().sum();
                    check_eq!(
                        counter.total(),
                        want as u64,
                        "threads recording {records:?} requests: a request was lost (two threads read the same total and both wrote total + 1). Read and write under one guard"
                    );
                },
            )
            .cases(16)
            .schedules(32)
            .task(3),
        )
        .property(
            Property::explore(
                "call_service_gives_up_at_the_deadline",
                "call_service counts one request and answers after the service's latency, or gives up with DeadlineExceeded at exactly the deadline",
                (latency(), 1u64..40),
                |&(lat, timeout): &(Option<u64>, u64)| {
                    let timeout = timeout * 10;
                    let requests = Arc::new(RequestCounter::new());
                    let (ctx, _cancel) = context::with_timeout(&Context::background(), ms(timeout));
                    let service = Service { name: "orders", latency: lat.map(ms) };
                    let call = {
                        let (ctx, requests) = (ctx.clone(), requests.clone());
                        go(move || (call_service(&ctx, service, &requests), elapsed()))
                    };
                    time::sleep(ms(5));
                    let counted = requests.total();
                    let (got, took) = joined(call, "the call");
                    check_eq!(
                        counted,
                        1,
                        "5 ms into a call to a service with latency {lat:?} ms ({timeout} ms \
                         timeout), the request must be counted already: call_service counts it \
                         first, then waits (a request that gets no answer was still sent)"
                    );
                    let (at, want) = expected_call("orders", lat, timeout, u64::MAX);
                    check_eq!(
                        got,
                        want,
                        "calling a service with latency {lat:?} ms under a {timeout} ms timeout (None never answers; an answer at the very instant of the deadline is too late)"
                    );
                    check_eq!(
                        took,
                        ms(at),
                        "calling a service with latency {lat:?} ms under a {timeout} ms timeout must end at the first of the two: the call waits on ctx.done() too"
                    );
                    check_eq!(requests.total(), 1, "each call counts exactly one request");
                },
            )
            .cases(24)
            .schedules(16)
            .task(4),
        )
        .property(
            Property::explore(
                "dashboard_takes_the_slowest_call",
                "the dashboard's latency is the slowest call's, cut off at exactly the timeout, with cut-off fields DeadlineExceeded and no thread left behind",
                ([latency(), latency(), latency()], 1u64..40, 0u64..4),
                |&(lat, timeout, start): &([Option<u64>; 3], u64, u64)| {
                    // Called a little after the start of the run: the timeout counts from
                    // the call.
                    time::sleep(ms(start * 100));
                    check_dashboard(lat, timeout * 10, None);
                },
            )
            .cases(24)
            .schedules(24)
            .task(5),
        )
        .property(
            Property::explore(
                "dashboard_stops_when_its_caller_cancels",
                "cancelling the caller's context cuts every call still running off at that instant, with Canceled",
                ([latency(), latency(), latency()], 1u64..40, 0u64..40),
                |&(lat, timeout, cancel): &([Option<u64>; 3], u64, u64)| {
                    check_dashboard(lat, timeout * 10, Some(cancel * 10 + 5));
                },
            )
            .cases(24)
            .schedules(24)
            .task(5),
        )
        .property(
            Property::explore(
                "dashboard_counts_every_request",
                "dashboards called at the same time share one counter and count exactly three requests each, under every schedule",
                (1usize..5, [latency(), latency(), latency()]),
                |&(calls, lat): &(usize, [Option<u64>; 3])| {
                    let requests = Arc::new(RequestCounter::new());
                    // Main makes one of the calls; the others run on their own threads.
                    let handles: Vec<_> = (1..calls)
                        .map(|_| {
                            let requests = requests.clone();
                            go(move || {
                                dashboard(&Context::background(), services(lat), ms(150), &requests)
                            })
                        })
                        .collect();
                    dashboard(&Context::background(), services(lat), ms(150), &requests);
                    for h in handles {
                        joined(h, "a dashboard call");
                    }
                    check_eq!(
                        requests.total(),
                        3 * calls as u64,
                        "{calls} dashboards at once share the request counter: 3 requests each, none lost"
                    );
                },
            )
            .cases(16)
            .schedules(24)
            .task(5),
        )
        .main();
}
