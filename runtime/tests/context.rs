//! `context`: cancellation reaches every descendant at one instant and nothing else;
//! deadlines fire at exactly their virtual time.
//!
//! Both executors ([`common`]), except tests of virtual instants and of one-processor atomicity.

mod common;

use std::sync::Arc;
use std::time::Duration;

use gort::context::{self, Context, ContextError};
use gort::sim::{self, Config};
use gort::sync::Mutex;
use gort::{go, par, select, time};

#[test]
fn with_timeout_is_done_at_exactly_t0_plus_d_for_many_durations_and_seeds() {
    for (seed, millis) in (0..100).zip([1u64, 7, 50, 333, 1000].into_iter().cycle()) {
        sim::run(&Config::default().with_seed(seed), move || {
            time::sleep(Duration::from_micros(seed * 13));
            let t0 = time::now();
            let d = Duration::from_millis(millis);
            let (ctx, _cancel) = context::with_timeout(&Context::background(), d);
            ctx.done().recv().unwrap_err();
            assert_eq!(time::now() - t0, d);
            assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
        })
        .unwrap();
    }
}

#[test]
fn cancelling_a_parent_reaches_every_descendant_at_the_same_instant() {
    sim::explore(&Config::default(), 300, || {
        let root = Context::background();
        let (parent, cancel) = context::with_cancel(&root);
        let (a, _ca) = context::with_cancel(&parent);
        let (b, _cb) = context::with_timeout(&parent, Duration::from_secs(60));
        let (a1, _ca1) = context::with_cancel(&a);
        let b1 = context::with_value(&b, 5u8);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let watchers: Vec<_> = [a, b, a1, b1]
            .into_iter()
            .map(|ctx| {
                let seen = seen.clone();
                go(move || {
                    ctx.done().recv().unwrap_err();
                    seen.lock().push((time::now(), ctx.err()));
                })
            })
            .collect();
        time::sleep(Duration::from_secs(1));
        cancel.cancel();
        // Nothing can run between the cancellation of the parent and of its descendants.
        assert_eq!(parent.err(), Some(ContextError::Canceled));
        watchers.into_iter().for_each(|w| w.join().unwrap());
        let seen = seen.lock().clone();
        assert_eq!(seen.len(), 4);
        assert!(
            seen.iter().all(|&(t, e)| t.elapsed_since_start() == Duration::from_secs(1)
                && e == Some(ContextError::Canceled)),
            "{seen:?}"
        );
        assert_eq!(root.err(), None);
    })
    .unwrap_or_else(|report| panic!("{report}"));
}

/// Sim-only: on one processor nothing runs during a cancel; on several, another thread may
/// look at the descendants while they are being cancelled.
#[test]
fn descendants_are_all_cancelled_before_any_other_thread_runs() {
    sim::explore(&Config::default(), 300, || {
        let (parent, cancel) = context::with_cancel(&Context::background());
        let kids: Vec<_> = (0..5).map(|_| context::with_cancel(&parent)).collect();
        let kids_ctx: Vec<Context> = kids.iter().map(|(c, _)| c.clone()).collect();
        let observer = go(move || {
            // Whenever this runs, either no descendant is cancelled or all are.
            let n = kids_ctx.iter().filter(|c| c.err().is_some()).count();
            assert!(n == 0 || n == 5, "{n} of 5 descendants cancelled");
        });
        cancel.cancel();
        observer.join().unwrap();
    })
    .unwrap_or_else(|report| panic!("{report}"));
}

#[test]
fn cancelling_a_child_touches_neither_parent_nor_siblings_and_is_idempotent() {
    common::both(|| {
        let (parent, _cp) = context::with_cancel(&Context::background());
        let (child, cancel_child) = context::with_cancel(&parent);
        let (sibling, _cs) = context::with_cancel(&parent);
        cancel_child.cancel();
        cancel_child.cancel();
        drop(cancel_child);
        assert_eq!(child.err(), Some(ContextError::Canceled));
        assert_eq!(parent.err(), None);
        assert_eq!(sibling.err(), None);
        let parent_ready = select! { recv(parent.done()) => true, default => false };
        assert!(!parent_ready);
    });
}

#[test]
fn a_child_of_a_cancelled_parent_is_born_cancelled_and_err_is_sticky() {
    let program = |timeout: Duration| {
        move || {
            let (parent, cancel) = context::with_timeout(&Context::background(), timeout);
            time::sleep(timeout * 2);
            let (child, _c) = context::with_cancel(&parent);
            assert_eq!(child.err(), Some(ContextError::DeadlineExceeded));
            cancel.cancel();
            assert_eq!(parent.err(), Some(ContextError::DeadlineExceeded));
        }
    };
    sim::run(&Config::default(), program(Duration::from_secs(1))).unwrap();
    common::on_par(program(Duration::from_millis(10)));
}

#[test]
fn a_past_deadline_cancels_at_once_and_a_cancelled_context_stops_its_timer() {
    let program = || {
        let (ctx, _c) = context::with_deadline(&Context::background(), time::now());
        assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
        let (ctx, cancel) = context::with_timeout(&Context::background(), Duration::from_secs(30));
        drop(cancel);
        assert_eq!(ctx.err(), Some(ContextError::Canceled));
    };
    let report = sim::run(&Config::default(), program);
    assert!(report.is_ok(), "{report}");
    // The stopped timer did not move the clock.
    assert_eq!(report.stats().virtual_time, Duration::ZERO);
    // Nor does it hold the parallel run open: main's return ends it at once.
    let start = std::time::Instant::now();
    common::on_par(program);
    assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
}

#[test]
fn waiting_on_a_context_nobody_cancels_is_a_deadlock_naming_it() {
    let program = || {
        let (ctx, _cancel) = context::with_cancel(&Context::background());
        ctx.done().recv().unwrap_err();
    };
    let report = sim::run(&Config::default(), program);
    let text = report.to_string();
    assert!(text.contains("context.WithCancel"), "{text}");
    // The parallel executor says it is a deadlock, and where main waits.
    let err = par::run(&common::par_config(), program).unwrap_err();
    assert_eq!(err.failure(), &gort::diag::Failure::Deadlock, "{err}");
    assert!(err.to_string().contains(file!()), "{err}");
}

const MIN_DEADLINE: &str = "a child's deadline is the earlier of its own and its parent's";

#[test]
fn a_childs_deadline_is_the_earlier_of_its_own_and_its_parents() {
    sim::run(&Config::default(), || {
        let t0 = time::now();
        let (parent, _p) =
            context::with_timeout(&Context::background(), Duration::from_millis(100));
        let (later, _l) = context::with_timeout(&parent, Duration::from_millis(500));
        let (sooner, _s) = context::with_timeout(&parent, Duration::from_millis(40));
        assert_eq!(later.deadline(), Some(t0 + Duration::from_millis(100)), "{MIN_DEADLINE}");
        assert_eq!(sooner.deadline(), Some(t0 + Duration::from_millis(40)), "{MIN_DEADLINE}");
        sooner.done().recv().unwrap_err();
        assert_eq!(time::now() - t0, Duration::from_millis(40));
        later.done().recv().unwrap_err();
        assert_eq!(time::now() - t0, Duration::from_millis(100));
        assert_eq!(later.err(), Some(ContextError::DeadlineExceeded));
    })
    .unwrap();
}
