//! Spawning and identity: `go`, `Builder`, `JoinHandle`, panics, `yield_now`, park/unpark, misuse.
//!
//! Both executors ([`common`]), except tests of traces, virtual instants and timer orders.

mod common;

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::Duration;

use gort::diag::{Failure, Op, ThreadState};
use gort::sched::{self, Builder, MIN_STACK_SIZE, SpawnError};
use gort::{chan, go, par, sim, time};

/// Runs `main` under the default config and returns its value, or fails with the report.
#[track_caller]
fn run<T>(main: impl FnOnce() -> T + Send) -> T {
    sim::run(&sim::Config::default(), main).unwrap()
}

/// The message of a caught panic payload.
#[track_caller]
fn panic_message(payload: Box<dyn Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        panic!("panic payload is not a string")
    }
}

#[test]
fn go_returns_the_value_through_join() {
    let got = common::both(|| {
        let h = go(|| 6 * 7);
        let s = go(|| String::from("hello"));
        (h.join().unwrap(), s.join().unwrap())
    });
    assert_eq!(got, (42, "hello".to_string()));
}

#[test]
fn many_threads_each_return_their_own_value() {
    let sum = common::both(|| {
        let hs: Vec<_> = (0..50u64).map(|i| go(move || i * i)).collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
    });
    assert_eq!(sum, (0..50u64).map(|i| i * i).sum());
}

#[test]
fn nested_spawns_work_and_join_sees_the_finished_thread() {
    let got = common::both(|| {
        let outer = go(|| {
            let inner = go(|| 1);
            inner.join().unwrap() + 10
        });
        let v = outer.join().unwrap();
        v + 100
    });
    assert_eq!(got, 111);
}

#[test]
fn is_finished_turns_true_after_the_thread_ends() {
    run(|| {
        let h = go(|| time::sleep(Duration::from_millis(5)));
        assert!(!h.is_finished());
        time::sleep(Duration::from_millis(10));
        assert!(h.is_finished());
        h.join().unwrap();
    });
}

#[test]
fn builder_sets_the_name() {
    let (name, unnamed) = common::both(|| {
        let named = Builder::new()
            .name("fetcher")
            .spawn(|| sched::current().name().map(String::from))
            .unwrap();
        assert_eq!(named.thread().name(), Some("fetcher"));
        let unnamed = go(|| sched::current().name().map(String::from));
        assert_eq!(unnamed.thread().name(), None);
        (named.join().unwrap(), unnamed.join().unwrap())
    });
    assert_eq!(name.as_deref(), Some("fetcher"));
    assert_eq!(unnamed, None);
}

#[test]
fn builder_stack_size_is_honoured() {
    // 512 KiB of locals do not fit the default 256 KiB stack, but fit a 1 MiB one.
    let got = common::both(|| {
        Builder::new()
            .name("big")
            .stack_size(1 << 20)
            .spawn(|| {
                let mut buf = [0u8; 512 * 1024];
                std::hint::black_box(&mut buf);
                buf[buf.len() - 1] = 7;
                std::hint::black_box(&buf)[buf.len() - 1]
            })
            .unwrap()
            .join()
            .unwrap()
    });
    assert_eq!(got, 7);
}

#[test]
fn the_minimum_stack_size_is_enough_for_a_small_thread() {
    let got = common::both(|| {
        Builder::new().stack_size(MIN_STACK_SIZE).spawn(|| 1 + 1).unwrap().join().unwrap()
    });
    assert_eq!(got, 2);
}

#[test]
fn thread_ids_count_from_main_in_spawn_order() {
    let (main_id, main_name, children) = common::both(|| {
        let me = sched::current();
        let hs: Vec<_> = (0..3)
            .map(|i| {
                Builder::new()
                    .name(format!("w{i}"))
                    .spawn(|| {
                        let t = sched::current();
                        (t.id().as_u64(), t.name().map(String::from))
                    })
                    .unwrap()
            })
            .collect();
        let handle_ids: Vec<String> = hs.iter().map(|h| h.thread().id().to_string()).collect();
        assert_eq!(handle_ids, ["#2", "#3", "#4"]);
        let children: Vec<_> = hs.into_iter().map(|h| h.join().unwrap()).collect();
        (me.id().as_u64(), me.name().map(String::from), children)
    });
    assert_eq!(main_id, 1);
    assert_eq!(main_name.as_deref(), Some("main"));
    assert_eq!(
        children,
        [(2, Some("w0".to_string())), (3, Some("w1".to_string())), (4, Some("w2".to_string()))]
    );
}

#[test]
fn ids_restart_at_one_in_every_run() {
    for _ in 0..3 {
        let ids =
            common::both(|| (sched::current().id().as_u64(), go(|| ()).thread().id().as_u64()));
        assert_eq!(ids, (1, 2));
    }
}

#[test]
fn join_returns_a_panic_error_with_message_thread_and_location() {
    let (message, id, name, location, display) = common::both(|| {
        let h = Builder::new()
            .name("doomed")
            .spawn(|| -> u32 { panic!("index {} out of range", 7) })
            .unwrap();
        let err = h.join().unwrap_err();
        (
            err.message().to_string(),
            err.thread().id().as_u64(),
            err.thread().name().map(String::from),
            err.report().location.clone(),
            err.to_string(),
        )
    });
    assert_eq!(message, "index 7 out of range");
    assert_eq!(id, 2);
    assert_eq!(name.as_deref(), Some("doomed"));
    let location = location.expect("the panic location is known");
    assert!(location.starts_with(file!()), "location {location:?} is not in {}", file!());
    assert!(
        display.starts_with("green thread #2 \"doomed\" panicked at "),
        "unexpected display: {display}"
    );
    assert!(display.ends_with(": index 7 out of range"), "unexpected display: {display}");
}

#[test]
fn into_panic_gives_the_payload_back() {
    let (literal, formatted, custom) = common::both(|| {
        let a = go(|| panic!("boom")).join().unwrap_err().into_panic();
        let b = go(|| panic!("n = {}", std::hint::black_box(5))).join().unwrap_err().into_panic();
        let c = go(|| std::panic::panic_any(42i32)).join().unwrap_err().into_panic();
        (
            *a.downcast_ref::<&str>().unwrap(),
            b.downcast_ref::<String>().unwrap().clone(),
            *c.downcast_ref::<i32>().unwrap(),
        )
    });
    assert_eq!(literal, "boom");
    assert_eq!(formatted, "n = 5");
    assert_eq!(custom, 42);
}

#[test]
fn a_panic_re_raised_in_main_fails_the_run_as_main() {
    let program = || {
        let payload = go(|| panic!("boom")).join().unwrap_err().into_panic();
        std::panic::resume_unwind(payload);
    };
    let report = sim::run(&sim::Config::default(), program);
    let Some(Failure::Panic(p)) = report.failure() else {
        panic!("expected a panic failure, got {report}");
    };
    assert_eq!(p.thread.id().as_u64(), 1);
    assert_eq!(p.message, "boom");
    let err = par::run(&common::par_config(), program).unwrap_err();
    let Failure::Panic(p) = err.failure() else {
        panic!("expected a panic failure, got {err}");
    };
    assert_eq!(p.thread.id().as_u64(), 1);
    assert_eq!(p.message, "boom");
}

#[test]
fn yield_now_lets_another_thread_run() {
    for seed in 0..20 {
        let config = sim::Config::default().with_seed(seed);
        let report = sim::run(&config, || {
            let flag = Arc::new(AtomicBool::new(false));
            let f = flag.clone();
            let h = go(move || f.store(true, SeqCst));
            let mut spins = 0u32;
            while !flag.load(SeqCst) {
                sched::yield_now();
                spins += 1;
            }
            h.join().unwrap();
            spins
        });
        assert!(report.is_ok(), "seed {seed}: {report}");
        let yields =
            report.trace().events().filter(|e| e.op == Op::Yield && e.thread.as_u64() == 1).count();
        assert_eq!(yields as u32, *report.value().unwrap(), "seed {seed}");
    }
}

#[test]
fn yield_now_does_not_advance_time() {
    let t = run(|| {
        for _ in 0..10 {
            sched::yield_now();
        }
        time::now().elapsed_since_start()
    });
    assert_eq!(t, Duration::ZERO);
}

#[test]
fn unpark_before_park_makes_park_return_at_once() {
    let t = run(|| {
        let me = sched::current();
        me.unpark();
        sched::park(); // consumes the permit
        time::now().elapsed_since_start()
    });
    assert_eq!(t, Duration::ZERO);
    common::on_par(|| {
        sched::current().unpark();
        sched::park(); // returns: a lost permit would be a deadlock
    });
}

#[test]
fn unpark_is_a_single_permit() {
    let program = || {
        let me = sched::current();
        me.unpark();
        me.unpark();
        sched::park(); // the one permit
        sched::park(); // nothing left: nobody will ever unpark main
    };
    let report = sim::run(&sim::Config::default(), program);
    assert_eq!(report.failure(), Some(&Failure::Deadlock));
    assert!(matches!(report.threads()[0].state, ThreadState::Blocked { op: Op::Park, .. }));
    assert!(report.to_string().contains("parked, waiting for an unpark"), "{report}");
    let err = par::run(&common::par_config(), program).unwrap_err();
    assert_eq!(err.failure(), &Failure::Deadlock);
    assert!(matches!(err.threads()[0].state, ThreadState::Blocked { op: Op::Park, .. }));
    assert!(err.to_string().contains("parked, waiting for an unpark"), "{err}");
}

#[test]
fn park_returns_when_another_thread_unparks() {
    let program = |wait: Duration| {
        move || {
            let me = sched::current();
            let h = go(move || {
                time::sleep(wait);
                me.unpark();
            });
            sched::park();
            let t = time::now().elapsed_since_start();
            h.join().unwrap();
            t
        }
    };
    assert_eq!(run(program(Duration::from_secs(1))), Duration::from_secs(1));
    // On the real clock: not before the unpark.
    assert!(common::on_par(program(Duration::from_millis(20))) >= Duration::from_millis(20));
}

#[test]
fn unpark_of_a_finished_thread_is_harmless() {
    common::both(|| {
        let h = go(|| ());
        let t = h.thread().clone();
        h.join().unwrap();
        t.unpark();
    });
}

#[test]
fn stack_size_zero_is_refused_with_a_clear_error() {
    let err = common::both(|| Builder::new().stack_size(0).spawn(|| ()).unwrap_err());
    assert_eq!(err, SpawnError::StackTooSmall { requested: 0 });
    let text = err.to_string();
    assert!(text.contains("16384"), "{text}");
    assert!(text.contains("stack"), "{text}");
}

#[test]
fn stack_size_just_below_the_minimum_is_refused() {
    let err = common::both(|| Builder::new().stack_size(MIN_STACK_SIZE - 1).spawn(|| ()).err());
    assert_eq!(err, Some(SpawnError::StackTooSmall { requested: MIN_STACK_SIZE - 1 }));
}

#[test]
fn go_outside_a_run_panics_with_a_clear_message() {
    let payload = catch_unwind(|| {
        go(|| ());
    })
    .unwrap_err();
    let message = panic_message(payload);
    assert!(message.contains("outside a run"), "{message}");
}

#[test]
fn builder_spawn_outside_a_run_is_an_error() {
    let err = Builder::new().spawn(|| ()).unwrap_err();
    assert_eq!(err, SpawnError::OutsideRun);
    assert!(err.to_string().contains("outside a run"), "{err}");
}

#[test]
fn other_primitives_outside_a_run_panic_with_a_clear_message() {
    let cases: [(&str, fn()); 4] = [
        ("chan::bounded", || drop(chan::bounded::<u8>(1))),
        ("time::now", || {
            let _ = time::now();
        }),
        ("sched::current", || drop(sched::current())),
        ("yield_now", sched::yield_now),
    ];
    for (what, f) in cases {
        let message = panic_message(catch_unwind(f).unwrap_err());
        assert!(message.contains("outside a run"), "{what}: {message}");
    }
}

#[test]
fn nested_runs_panic_with_a_clear_message() {
    let message = run(|| {
        let payload = catch_unwind(AssertUnwindSafe(|| {
            sim::run(&sim::Config::default(), || 1).into_result().ok();
        }))
        .unwrap_err();
        panic_message(payload)
    });
    assert!(message.contains("do not nest"), "{message}");
    // Under the parallel executor too, and across executors.
    let message = run(|| nested_message(|| drop(par::run(&common::par_config(), || 1))));
    assert!(message.contains("do not nest"), "par in sim: {message}");
    let message = common::on_par(|| nested_message(|| drop(par::run(&common::par_config(), || 1))));
    assert!(message.contains("do not nest"), "par in par: {message}");
}

/// The message `f` panics with, or "(no panic)".
fn nested_message(f: impl FnOnce()) -> String {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(()) => String::from("(no panic)"),
        Err(payload) => panic_message(payload),
    }
}

/// par BUG: `sim::run` on a carrier of the parallel executor runs instead of panicking.
#[test]

fn a_sim_run_inside_a_parallel_run_panics() {
    let message = common::on_par(|| {
        nested_message(|| drop(sim::run(&sim::Config::default(), || 1).into_result()))
    });
    assert!(message.contains("do not nest"), "sim in par: {message}");
}

#[test]
fn a_channel_used_in_another_run_panics() {
    let tx = run(|| {
        let (tx, _rx) = chan::bounded::<u32>(1);
        tx
    });
    let report = sim::run(&sim::Config::default(), move || {
        let _ = tx.send(1);
    });
    let Some(Failure::Panic(p)) = report.failure() else {
        panic!("expected a panic failure, got {report}");
    };
    assert!(p.message.contains("belongs to another run"), "{}", p.message);
    assert_eq!(p.thread.id().as_u64(), 1);
}

#[test]
fn a_receiver_used_in_another_run_panics() {
    let rx = run(|| {
        let (tx, rx) = chan::bounded::<u32>(1);
        tx.send(5).unwrap();
        rx
    });
    let report = sim::run(&sim::Config::default(), move || rx.try_recv().ok());
    let Some(Failure::Panic(p)) = report.failure() else {
        panic!("expected a panic failure, got {report}");
    };
    assert!(p.message.contains("belongs to another run"), "{}", p.message);
}

#[test]
fn a_thread_handle_used_in_another_run_panics() {
    let thread = run(sched::current);
    let report = sim::run(&sim::Config::default(), move || thread.unpark());
    let Some(Failure::Panic(p)) = report.failure() else {
        panic!("expected a panic failure, got {report}");
    };
    assert!(p.message.contains("belongs to another run"), "{}", p.message);
}

/// A misuse panic raised inside the runtime is still a panic in a green thread: its report
/// says where it happened, like any other (and it goes to the report, not to stderr).
#[test]
fn a_foreign_object_panic_has_a_location() {
    let tx = run(|| chan::bounded::<u32>(1).0);
    let report = sim::run(&sim::Config::default(), move || {
        let _ = tx.send(1);
    });
    let Some(Failure::Panic(p)) = report.failure() else {
        panic!("expected a panic failure, got {report}");
    };
    assert!(p.location.is_some(), "no location in {p:?}");
}

/// par BUG: the parallel executor does not check that a channel belongs to its run.
#[test]

fn a_channel_from_another_run_panics_on_the_parallel_executor() {
    let (tx, rx) = common::on_par(|| chan::bounded::<u32>(1));
    let err = par::run(&common::par_config(), move || {
        tx.send(1).unwrap();
        rx.recv().unwrap()
    })
    .expect_err("the channel belongs to another run");
    let Failure::Panic(p) = err.failure() else {
        panic!("expected a panic failure, got {err}");
    };
    assert!(p.message.contains("belongs to another run"), "{}", p.message);
}
