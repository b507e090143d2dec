//! Port of src/context/context_test.go: cancellation, deadlines and values across a context tree.
//!
//! The tests (run upstream through src/context/x_test.go) check that a background context
//! never finishes, that cancelling a context finishes it and every descendant synchronously
//! while its parent and siblings stay live, that a child of a finished parent is born
//! finished, that deadlines and timeouts fire with `DeadlineExceeded` (the earlier of a
//! child's and its parent's), and that values are found through any stack of layers with the
//! nearest one winning. Deviations: values are keyed by type, so Go's distinct keys become
//! distinct newtypes and a `nil` value becomes `None` inside one; timing assertions are exact
//! (the virtual time at which a context finishes equals its deadline) under the deterministic
//! executor, and bounded (never early, at most [`SLACK`](crate::SLACK) late) on the parallel
//! one's real clock, where the waits are shortened ([`Clock::pick`]); "should have timed out
//! by now" guards become `time::after` arms that fail the test; `Context` is a concrete
//! type, so Go's `otherContext` wrapper (a foreign `Context` implementation around a native
//! one) is dropped and the native context is used directly;
//! there is no `String` method, so the `fmt.Sprint(ctx)` checks are dropped; a
//! `CancelHandle` cancels when dropped, so every `c, _ := WithCancel(..)` binds the handle
//! (`_cancel`) to keep the context live; the random layer stacks of `TestLayers*` come from
//! eight fixed seeds (Go seeds from the clock), each run under 50 schedules.
//!
//! Ported:
//! * `TestBackground`: never done, no error, no deadline, no values.
//! * `TestWithCancel`: cancel reaches the context and its child synchronously.
//! * `TestParentFinishesChild`: cancelling a parent finishes cancel, value and timer children.
//! * `TestChildFinishesFirst`: cancelling a child leaves its parent (background or not) live.
//! * `TestDeadline`, `TestTimeout`: fire at exactly the deadline; past/now deadlines at once.
//! * `TestCanceledTimeout`: a timer context cancelled early says `Canceled`, for ever.
//! * `TestValues`: lookup through value layers, nearest wins, a `None` value shadows.
//! * `TestSimultaneousCancels`: a tree whose every handle is cancelled concurrently.
//! * `TestInterlockedCancels`: a child cancelled from a goroutine woken by its parent's cancel.
//! * `TestLayersCancel`, `TestLayersTimeout`: random stacks of value, cancel and timer layers.
//! * `TestWithCancelCanceledParent`: a child of a cancelled parent is born cancelled.
//! * `TestDeadlineExceededSupportsTimeout`: the errors are `std::error::Error`s with Go's text.
//!
//! Skipped:
//! * `TestTODO`: there is no `TODO()`, only `Context::background()`.
//! * `TestAllocs`: allocation counts, not semantics.
//! * `TestCancelRemoves` and the linkage checks of `TestParentFinishesChild` and
//!   `TestChildFinishesFirst`: a parent's list of children is private, not observable.
//! * `TestWithValueChecksKey`: checked at compile time here (a key is a type, never nil or
//!   uncomparable), so there is nothing left to panic at run time.
//! * `TestCustomContextGoroutines`, `TestInvalidDerivedFail`: `Context` is a concrete type, not
//!   an interface, so there are no custom implementations.
//! * `TestCause`, `TestCauseRace`, `TestWithoutCancel` and the `AfterFunc` tests: not in the API.

use std::error::Error;
use std::time::Duration;

use gort::context::{self, CancelHandle, Context, ContextError};
use gort::par;
use gort::sim::{self, Config};
use gort::sync::WaitGroup;
use gort::{chan, go, select, time};

use crate::Clock;

/// Go's `shortDuration`: a deadline the test waits for.
const SHORT: Duration = Duration::from_millis(1);
/// Go's `veryLongDuration`: a deadline no test reaches.
const VERY_LONG: Duration = Duration::from_secs(1000 * 3600);
/// Go's `quiescent`: how long to wait for something that should already have happened
/// (within the run's default virtual-time limit, unlike [`VERY_LONG`]). Only a failing test
/// waits this long on the real clock.
const GUARD: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Whether `ctx.done()` is ready now, without blocking.
fn is_done(ctx: &Context) -> bool {
    select! {
        recv(ctx.done()) -> v => {
            assert!(v.is_err(), "a done channel only ever closes");
            true
        },
        default => false,
    }
}

#[track_caller]
fn assert_live(ctx: &Context, name: &str) {
    assert!(!is_done(ctx), "{name}.done() is ready, but it should block");
    assert_eq!(ctx.err(), None, "{name}.err()");
}

#[track_caller]
fn assert_finished(ctx: &Context, name: &str, want: ContextError) {
    assert!(is_done(ctx), "{name}.done() blocks, but it should be ready");
    assert_eq!(ctx.err(), Some(want), "{name}.err()");
}

#[test]
fn background() {
    #[derive(Debug)]
    struct Key;
    crate::conform_timed(|clock| {
        let c = Context::background();
        assert_live(&c, "background");
        assert_eq!(c.deadline(), None);
        assert!(c.value::<Key>().is_none());
        // A clone is the same context: still never done, even after time passes.
        let c2 = c.clone();
        time::sleep(clock.pick(GUARD, ms(20)));
        assert_live(&c2, "background clone");
    });
}

#[test]
fn with_cancel() {
    crate::conform(|| {
        let (c1, cancel) = context::with_cancel(&Context::background());
        let (c2, _cancel2) = context::with_cancel(&c1);
        let contexts = [c1, c2];
        for (i, c) in contexts.iter().enumerate() {
            assert_live(c, &format!("c[{i}]"));
        }
        cancel.cancel(); // propagates synchronously: no sleep needed, unlike old Go versions
        for (i, c) in contexts.iter().enumerate() {
            assert_finished(c, &format!("c[{i}]"), ContextError::Canceled);
        }
    });
}

#[derive(Debug, PartialEq)]
struct StrKey(&'static str);

#[test]
fn parent_finishes_child() {
    crate::conform_timed(|clock| {
        // parent -> cancel_child; parent -> value_child -> timer_child
        let (parent, cancel) = context::with_cancel(&Context::background());
        let (cancel_child, _stop1) = context::with_cancel(&parent);
        let value_child = context::with_value(&parent, StrKey("value"));
        let (timer_child, _stop2) = context::with_timeout(&value_child, VERY_LONG);

        select! {
            recv(parent.done()) => panic!("parent.done() should block"),
            recv(cancel_child.done()) => panic!("cancel_child.done() should block"),
            recv(timer_child.done()) => panic!("timer_child.done() should block"),
            recv(value_child.done()) => panic!("value_child.done() should block"),
            default => {}
        }

        // Beyond upstream: a goroutine blocked on the timer child wakes at the cancel.
        let tc = timer_child.clone();
        let watcher = go(move || {
            tc.done().recv().unwrap_err();
            (time::now(), tc.err())
        });
        time::sleep(clock.pick(Duration::from_secs(1), ms(5))); // the watcher blocks
        let t_cancel = time::now();
        cancel.cancel();

        assert_finished(&parent, "parent", ContextError::Canceled);
        assert_finished(&cancel_child, "cancel_child", ContextError::Canceled);
        assert_finished(&value_child, "value_child", ContextError::Canceled);
        assert_finished(&timer_child, "timer_child", ContextError::Canceled);
        let (woke_at, err) = watcher.join().unwrap();
        assert_eq!(err, Some(ContextError::Canceled));
        clock.assert_at(woke_at, t_cancel, "the watcher woke at the cancel");

        // A context derived from a cancelled parent is cancelled from the start.
        let precancelled = context::with_value(&parent, StrKey("value"));
        assert_finished(&precancelled, "precancelled", ContextError::Canceled);
        assert_eq!(precancelled.value::<StrKey>(), Some(&StrKey("value")));
    });
}

#[test]
fn child_finishes_first() {
    crate::conform(|| {
        let (cancelable, _stop) = context::with_cancel(&Context::background());
        for parent in [Context::background(), cancelable] {
            let (child, cancel) = context::with_cancel(&parent);
            select! {
                recv(parent.done()) => panic!("parent.done() should block"),
                recv(child.done()) => panic!("child.done() should block"),
                default => {}
            }
            cancel.cancel();
            assert_finished(&child, "child", ContextError::Canceled);
            assert_live(&parent, "parent");
        }
    });
}

/// Go's `testDeadline`, made exact: `c` must finish with `DeadlineExceeded` at `want_at`
/// (exactly, on the virtual clock), and within [`GUARD`].
#[track_caller]
fn expect_deadline(clock: Clock, c: &Context, name: &str, want_at: time::Instant) {
    let guard = time::after(GUARD);
    select! {
        recv(guard) => panic!("{name}: context not timed out after {GUARD:?}"),
        recv(c.done()) => {}
    }
    assert_eq!(c.err(), Some(ContextError::DeadlineExceeded), "{name}: err()");
    clock.assert_at(time::now(), want_at, &format!("{name}: finished at the wrong time"));
}

/// Asserts that `c`'s deadline is `want`: exactly on the virtual clock; on the real one, a
/// deadline computed from `time::now()` a little after `want` was is a little later.
#[track_caller]
fn assert_deadline(clock: Clock, c: &Context, want: time::Instant, name: &str) {
    let got = c.deadline().unwrap_or_else(|| panic!("{name}: no deadline"));
    clock.assert_at(got, want, &format!("{name}.deadline()"));
}

/// Asserts that a timer context whose deadline is `deadline` is still live: on the real
/// clock, unless the deadline has passed meanwhile (checked after looking, so a context
/// that finished early still fails).
#[track_caller]
fn assert_live_before(clock: Clock, ctx: &Context, deadline: time::Instant, name: &str) {
    if clock.exact() {
        return assert_live(ctx, name);
    }
    let done = is_done(ctx);
    assert!(!done || time::now() >= deadline, "{name} finished before its deadline {deadline:?}");
}

#[test]
fn deadline() {
    crate::conform_timed(|clock| {
        let bg = Context::background();

        let d = time::now() + SHORT;
        let (c, _c1) = context::with_deadline(&bg, d);
        assert_eq!(c.deadline(), Some(d));
        expect_deadline(clock, &c, "WithDeadline", d);

        // A later deadline under an earlier one: the parent's wins.
        let d = time::now() + SHORT;
        let (p, _c2) = context::with_deadline(&bg, d);
        let (c, _c3) = context::with_deadline(&p, time::now() + VERY_LONG);
        assert_eq!(c.deadline(), Some(d));
        expect_deadline(clock, &c, "WithDeadline+WithDeadline", d);

        // An instant already past: done at once, no time passes.
        let past = time::now();
        time::sleep(SHORT);
        let now = time::now();
        let (c, _c4) = context::with_deadline(&bg, past);
        expect_deadline(clock, &c, "WithDeadline+inthepast", now);

        let now = time::now();
        let (c, _c5) = context::with_deadline(&bg, now);
        expect_deadline(clock, &c, "WithDeadline+now", now);
    });
}

#[test]
fn timeout() {
    crate::conform_timed(|clock| {
        let bg = Context::background();

        let t0 = time::now();
        let (c, _c1) = context::with_timeout(&bg, SHORT);
        assert_deadline(clock, &c, t0 + SHORT, "WithTimeout");
        expect_deadline(clock, &c, "WithTimeout", t0 + SHORT);

        let t0 = time::now();
        let (p, _c2) = context::with_timeout(&bg, SHORT);
        let (c, _c3) = context::with_timeout(&p, VERY_LONG);
        assert_eq!(c.deadline(), p.deadline(), "the parent's deadline wins");
        assert_deadline(clock, &c, t0 + SHORT, "WithTimeout+WithTimeout");
        expect_deadline(clock, &c, "WithTimeout+WithTimeout", t0 + SHORT);

        // Beyond upstream: an earlier child deadline fires first and leaves the parent live.
        let (child_d, parent_d) = (
            clock.pick(Duration::from_secs(1), ms(20)),
            clock.pick(Duration::from_secs(2), ms(40)),
        );
        let t0 = time::now();
        let (p, _c4) = context::with_timeout(&bg, parent_d);
        let (c, _c5) = context::with_timeout(&p, child_d);
        expect_deadline(clock, &c, "child before parent", t0 + child_d);
        assert_live_before(clock, &p, p.deadline().unwrap(), "parent");
        expect_deadline(clock, &p, "parent after child", t0 + parent_d);
    });
}

#[test]
fn canceled_timeout() {
    crate::conform_timed(|clock| {
        let t0 = time::now();
        let d = clock.pick(Duration::from_secs(1), ms(20));
        let (p, _stop) = context::with_timeout(&Context::background(), d);
        let (c, cancel) = context::with_timeout(&p, VERY_LONG);
        cancel.cancel(); // synchronous
        assert_finished(&c, "c", ContextError::Canceled);
        assert_live_before(clock, &p, p.deadline().unwrap(), "parent");
        // Beyond upstream: the parent still times out on time, and the child's reason sticks.
        expect_deadline(clock, &p, "parent", t0 + d);
        assert_finished(&c, "c", ContextError::Canceled);
    });
}

// Go keys values by (type, value): k1 = key1(1), k2 = key2(1), k3 = key2(3). Keyed by type
// here, each key is its own type; `None` plays Go's nil value.
#[derive(Debug)]
struct K1(Option<&'static str>);
#[derive(Debug)]
struct K2(Option<&'static str>);
#[derive(Debug)]
struct K3(Option<&'static str>);

#[track_caller]
fn check_values(c: &Context, name: &str, v1: &str, v2: &str, v3: &str) {
    let got = |v: Option<Option<&'static str>>| v.flatten().unwrap_or("");
    assert_eq!(got(c.value::<K1>().map(|k| k.0)), v1, "{name}.value::<K1>()");
    assert_eq!(got(c.value::<K2>().map(|k| k.0)), v2, "{name}.value::<K2>()");
    assert_eq!(got(c.value::<K3>().map(|k| k.0)), v3, "{name}.value::<K3>()");
}

#[test]
fn values() {
    crate::conform(|| {
        let c0 = Context::background();
        check_values(&c0, "c0", "", "", "");

        let c1 = context::with_value(&Context::background(), K1(Some("c1k1")));
        check_values(&c1, "c1", "c1k1", "", "");

        let c2 = context::with_value(&c1, K2(Some("c2k2")));
        check_values(&c2, "c2", "c1k1", "c2k2", "");

        let c3 = context::with_value(&c2, K3(Some("c3k3")));
        check_values(&c3, "c3", "c1k1", "c2k2", "c3k3");

        let c4 = context::with_value(&c3, K1(None));
        check_values(&c4, "c4", "", "c2k2", "c3k3");

        // Go's o4, without the otherContext wrapper.
        let c5 = context::with_value(&c4, K3(None));
        check_values(&c5, "c5", "", "c2k2", "");

        // Ancestors are unchanged by their descendants.
        check_values(&c1, "c1", "c1k1", "", "");
        check_values(&c3, "c3", "c1k1", "c2k2", "c3k3");

        // Values are found through cancel and timer layers too.
        let (c6, _stop) = context::with_cancel(&c3);
        let (c7, _stop2) = context::with_timeout(&c6, VERY_LONG);
        check_values(&c7, "c7", "c1k1", "c2k2", "c3k3");
    });
}

/// Builds a 4-ary tree of cancellable contexts with at least `min` nodes, breadth first.
fn cancel_tree(min: usize) -> Vec<(Context, CancelHandle)> {
    let mut nodes = vec![context::with_cancel(&Context::background())];
    let mut next = 0;
    while nodes.len() < min {
        let parent = nodes[next].0.clone();
        next += 1;
        for _ in 0..4 {
            nodes.push(context::with_cancel(&parent));
        }
    }
    nodes
}

#[test]
fn simultaneous_cancels() {
    crate::conform_timed(|clock| {
        let t0 = time::now();
        let (contexts, cancels): (Vec<Context>, Vec<CancelHandle>) =
            cancel_tree(100).into_iter().unzip();
        let wg = WaitGroup::new();
        // Every cancel races with the others (and with the cancels of its ancestors).
        let cancellers: Vec<_> = cancels
            .into_iter()
            .map(|cancel| {
                wg.go(move || {
                    cancel.cancel();
                })
            })
            .collect();
        // Wait on the contexts in the reverse order of creation: leaves first.
        for (i, ctx) in contexts.iter().enumerate().rev() {
            select! {
                recv(ctx.done()) => {}
                recv(time::after(Duration::from_secs(1))) => {
                    panic!("timed out waiting for context {i}")
                }
            }
            assert_eq!(ctx.err(), Some(ContextError::Canceled));
        }
        let (done_tx, done) = chan::unbuffered::<()>();
        let closer = go(move || {
            wg.wait();
            drop(done_tx); // Go's close(done)
        });
        select! {
            recv(done) -> v => assert!(v.is_err()),
            recv(time::after(Duration::from_secs(1))) => {
                panic!("timed out waiting for the cancels")
            }
        }
        clock.assert_at(time::now(), t0, "cancellation took virtual time");
        closer.join().unwrap();
        cancellers.into_iter().for_each(|h| h.join().unwrap());
    });
}

#[test]
fn interlocked_cancels() {
    crate::conform(|| {
        let (parent, cancel_parent) = context::with_cancel(&Context::background());
        let (child, cancel_child) = context::with_cancel(&parent);
        let p = parent.clone();
        let h = go(move || {
            p.done().recv().unwrap_err();
            cancel_child.cancel();
        });
        cancel_parent.cancel();
        select! {
            recv(child.done()) => {}
            recv(time::after(Duration::from_secs(1))) => {
                panic!("timed out waiting for child.done()")
            }
        }
        assert_eq!(child.err(), Some(ContextError::Canceled));
        h.join().unwrap();
    });
}

/// A value layer's key: Go makes a fresh pointer key per layer; here there are four key
/// types, picked by layer, so later layers shadow earlier ones of the same type.
#[derive(Debug)]
struct Slot<const K: usize>(usize);

const SLOTS: usize = 4;

fn put_value(ctx: &Context, slot: usize, v: usize) -> Context {
    match slot {
        0 => context::with_value(ctx, Slot::<0>(v)),
        1 => context::with_value(ctx, Slot::<1>(v)),
        2 => context::with_value(ctx, Slot::<2>(v)),
        _ => context::with_value(ctx, Slot::<3>(v)),
    }
}

fn get_value(ctx: &Context, slot: usize) -> Option<usize> {
    match slot {
        0 => ctx.value::<Slot<0>>().map(|s| s.0),
        1 => ctx.value::<Slot<1>>().map(|s| s.0),
        2 => ctx.value::<Slot<2>>().map(|s| s.0),
        _ => ctx.value::<Slot<3>>().map(|s| s.0),
    }
}

/// A small deterministic generator (xorshift64*), seeded per program.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

/// Go's `testLayers`: a random stack of at least `MIN_LAYERS` value, cancel and timer
/// layers, then either a random layer's cancel or a wait for the timers.
fn layers(clock: Clock, seed: u64, test_timeout: bool) {
    const MIN_LAYERS: usize = 30;
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let t0 = time::now();
    let timer = if test_timeout { SHORT } else { VERY_LONG };
    let mut ctx = Context::background();
    // Every context on the stack, each with the index of its first cancel layer at or below.
    let mut stack: Vec<(Context, Option<usize>)> = Vec::new();
    let mut newest: [Option<usize>; SLOTS] = [None; SLOTS];
    let mut cancels: Vec<CancelHandle> = Vec::new();
    let mut timers = 0;
    let mut values = 0;
    let mut i = 0;
    while i < MIN_LAYERS || timers == 0 || cancels.is_empty() || values == 0 {
        match rng.below(3) {
            0 => {
                let slot = i % SLOTS;
                ctx = put_value(&ctx, slot, i);
                newest[slot] = Some(i);
                values += 1;
            }
            1 => {
                let (c, cancel) = context::with_cancel(&ctx);
                ctx = c;
                cancels.push(cancel);
            }
            _ => {
                let (c, cancel) = context::with_timeout(&ctx, timer);
                ctx = c;
                cancels.push(cancel);
                timers += 1;
            }
        }
        stack.push((ctx.clone(), cancels.len().checked_sub(1)));
        i += 1;
    }
    let check_values = |when: &str| {
        for (slot, want) in newest.iter().enumerate() {
            assert_eq!(get_value(&ctx, slot), *want, "seed={seed}: {when}: slot {slot}");
        }
    };
    assert!(test_timeout || !is_done(&ctx), "seed={seed}: ctx should not be cancelled yet");
    assert_deadline(clock, &ctx, t0 + timer, &format!("seed={seed}: ctx"));
    check_values("before cancel");
    if test_timeout {
        select! {
            recv(ctx.done()) => {}
            recv(time::after(GUARD)) => panic!("seed={seed}: ctx should have timed out"),
        }
        let what = format!("seed={seed}: timed out at the wrong time");
        clock.assert_at(time::now(), t0 + SHORT, &what);
        assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded), "seed={seed}");
        check_values("after timeout");
    } else {
        let k = rng.below(cancels.len());
        cancels[k].cancel();
        assert!(is_done(&ctx), "seed={seed}: ctx should be cancelled");
        // Beyond upstream: exactly the layers from the cancelled one up are finished.
        for (depth, (c, below)) in stack.iter().enumerate() {
            let want = below.is_some_and(|b| b >= k).then_some(ContextError::Canceled);
            assert_eq!(c.err(), want, "seed={seed}: layer {depth} (cancel {k})");
        }
        check_values("after cancel");
    }
}

#[test]
fn layers_cancel() {
    for seed in 0..8 {
        crate::conform_timed_n(50, move |clock| layers(clock, seed, false));
    }
}

#[test]
fn layers_timeout() {
    for seed in 0..8 {
        crate::conform_timed_n(50, move |clock| layers(clock, seed, true));
    }
}

#[test]
fn with_cancel_canceled_parent() {
    crate::conform_timed(|clock| {
        let (parent, pcancel) = context::with_cancel(&Context::background());
        pcancel.cancel();
        let (c, _cancel) = context::with_cancel(&parent);
        select! {
            recv(c.done()) => {}
            recv(time::after(Duration::from_secs(5))) => panic!("timeout waiting for done"),
        }
        assert_eq!(c.err(), Some(ContextError::Canceled), "child not cancelled");
        // The same for a timer child: cancelled, not timed out, and no time passes.
        let (t, _cancel2) = context::with_timeout(&parent, SHORT);
        assert_finished(&t, "timer child", ContextError::Canceled);
        clock.assert_at(time::now(), time::Instant::default(), "no time passes");
    });
}

#[test]
fn deadline_exceeded_is_an_error() {
    // Go checks for a `Timeout() bool` method; here the errors are `std::error::Error`s.
    let program = || {
        let (ctx, _cancel) = context::with_timeout(&Context::background(), SHORT);
        ctx.done().recv().unwrap_err();
        let err: Box<dyn Error + Send + Sync> = Box::new(ctx.err().unwrap());
        (err.to_string(), err.source().is_none())
    };
    let want = ("context deadline exceeded".to_string(), true);
    assert_eq!(sim::run(&Config::default(), program).unwrap(), want);
    let config = par::Config::default().with_processors(2);
    assert_eq!(par::run(&config, program).unwrap_or_else(|e| panic!("{e}")), want);
    let canceled: &dyn Error = &ContextError::Canceled;
    assert_eq!(canceled.to_string(), "context canceled");
}
