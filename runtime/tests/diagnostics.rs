//! Failure reports: deadlocks, leaks, panics, step and time limits, and the timeline.
//!
//! Sim only: the deterministic executor's reports; the parallel one's failures are in `par.rs`.

use std::time::Duration;

use gort::chan::{self, TryRecvError};
use gort::diag::{Failure, ObjectKind, Op, Report, ThreadState};
use gort::sched::{self, Builder};
use gort::{go, sim, time};

/// Asserts that `text` contains every one of `needles`, showing the whole text if not.
#[track_caller]
fn assert_contains_all(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

/// The panic report of a run that must have failed with a panic.
#[track_caller]
fn panic_of<T>(report: &Report<T>) -> &gort::diag::PanicReport {
    match report.failure() {
        Some(Failure::Panic(p)) => p,
        _ => panic!("expected a panic failure, got:\n{report}"),
    }
}

#[test]
fn a_send_nobody_receives_is_a_deadlock() {
    let report = sim::run(&sim::Config::default(), || {
        let (tx, rx) = chan::Builder::new().name("results").bounded::<u32>(0);
        tx.send(1).unwrap(); // main holds the receiver but never receives
        drop(rx);
    });
    assert_eq!(report.failure(), Some(&Failure::Deadlock));
    let text = report.to_string();
    assert_contains_all(
        &text,
        &[
            "all green threads are asleep - deadlock!",
            "green thread #1 \"main\" [chan send]",
            "sending on unbuffered chan \"results\"",
            &format!("at {}:", file!()),
            "replay token: gort1:",
        ],
    );
    let ThreadState::Blocked { op, object, at, .. } = &report.threads()[0].state else {
        panic!("main must be blocked:\n{text}");
    };
    assert_eq!(*op, Op::Send);
    let object = object.as_ref().expect("the channel is known");
    assert_eq!(object.name(), Some("results"));
    assert_eq!(object.kind(), ObjectKind::Channel { capacity: 0 });
    assert_eq!(at.file(), file!());
    assert!(text.contains(&format!("at {at}")), "the blocked call's location {at} in:\n{text}");
}

#[test]
fn an_unnamed_channel_is_described_by_where_it_was_created() {
    let report = sim::run(&sim::Config::default(), || {
        let (tx, _rx) = chan::bounded::<u32>(0);
        tx.send(1).unwrap();
    });
    assert_eq!(report.failure(), Some(&Failure::Deadlock));
    assert_contains_all(
        &report.to_string(),
        &["sending on unbuffered chan (created at ", &format!("(created at {}:", file!())],
    );
}

#[test]
fn a_receive_nobody_sends_to_is_a_deadlock() {
    let report = sim::run(&sim::Config::default(), || {
        let (_tx, rx) = chan::Builder::new().name("replies").bounded::<u32>(2);
        rx.recv().unwrap();
    });
    assert_eq!(report.failure(), Some(&Failure::Deadlock));
    assert_contains_all(
        &report.to_string(),
        &["[chan receive]", "receiving from chan (capacity 2) \"replies\""],
    );
}

#[test]
fn a_two_thread_deadlock_names_both_threads_and_their_spawn_sites() {
    let report = sim::run(&sim::Config::default(), || {
        let (to_a, from_main_a) = chan::Builder::new().name("to_alpha").bounded::<u32>(0);
        let (to_b, from_main_b) = chan::Builder::new().name("to_beta").bounded::<u32>(0);
        let (to_b2, to_a2) = (to_b.clone(), to_a.clone());
        let a = Builder::new()
            .name("alpha")
            .spawn(move || {
                let v = from_main_a.recv().unwrap(); // waits for beta
                to_b2.send(v).unwrap();
            })
            .unwrap();
        let b = Builder::new()
            .name("beta")
            .spawn(move || {
                let v = from_main_b.recv().unwrap(); // waits for alpha
                to_a2.send(v).unwrap();
            })
            .unwrap();
        a.join().unwrap();
        b.join().unwrap();
        drop((to_a, to_b));
    });
    assert_eq!(report.failure(), Some(&Failure::Deadlock));
    let text = report.to_string();
    assert_contains_all(
        &text,
        &[
            "all green threads are asleep - deadlock!",
            "green thread #2 \"alpha\" [chan receive]",
            "receiving from unbuffered chan \"to_alpha\"",
            "green thread #3 \"beta\" [chan receive]",
            "receiving from unbuffered chan \"to_beta\"",
            "green thread #1 \"main\" [join]",
            "waiting for green thread #2 to finish",
        ],
    );
    for t in &report.threads()[1..] {
        let site = t.label.spawn_site();
        assert_eq!(site.file(), file!());
        assert_eq!(t.label.parent().map(|p| p.as_u64()), Some(1));
        let spawned = format!("spawned at {site} by green thread #1");
        assert!(text.contains(&spawned), "missing {spawned:?} in:\n{text}");
    }
    let [alpha, beta] = [&report.threads()[1], &report.threads()[2]];
    assert_ne!(alpha.label.spawn_site(), beta.label.spawn_site());
}

#[test]
fn a_leak_fails_the_run_and_names_the_leaked_thread() {
    let report = sim::run(&sim::Config::default(), || {
        let (tx, rx) = chan::Builder::new().name("jobs").bounded::<u32>(0);
        Builder::new()
            .name("worker")
            .spawn(move || {
                for job in rx {
                    std::hint::black_box(job);
                }
            })
            .unwrap();
        tx // main still holds the sender when it returns: the worker never ends
    });
    assert_eq!(report.failure(), Some(&Failure::Leak { count: 1 }));
    let text = report.to_string();
    assert_contains_all(
        &text,
        &[
            "leak: main returned while 1 green thread was still alive",
            "green thread #2 \"worker\" [chan receive]",
            "receiving from unbuffered chan \"jobs\"",
            &format!("spawned at {}:", file!()),
            "replay token: gort1:",
        ],
    );
    let leaked: Vec<_> = report.leaked().map(|t| t.label.name().map(String::from)).collect();
    assert_eq!(leaked, [Some("worker".to_string())]);
}

#[test]
fn leaks_can_be_reported_without_failing() {
    let config = sim::Config::default().with_fail_on_leak(false);
    let report = sim::run(&config, || {
        let (tx, rx) = chan::Builder::new().name("jobs").bounded::<u32>(0);
        Builder::new()
            .name("worker")
            .spawn(move || {
                for job in rx {
                    std::hint::black_box(job);
                }
            })
            .unwrap();
        tx
    });
    assert!(report.is_ok(), "{report}");
    let leaked: Vec<_> = report.leaked().collect();
    assert_eq!(leaked.len(), 1);
    assert_eq!(leaked[0].label.name(), Some("worker"));
    assert!(matches!(leaked[0].state, ThreadState::Blocked { op: Op::Recv, .. }));
    drop(report.unwrap()); // the sender outlives its run harmlessly
}

#[test]
fn a_thread_that_finishes_after_main_returns_is_not_a_leak() {
    let report = sim::run(&sim::Config::default(), || {
        go(|| {
            for _ in 0..3 {
                sched::yield_now();
            }
        });
    });
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.leaked().count(), 0);
}

#[test]
fn a_detached_thread_that_panics_ends_the_run() {
    let report = sim::run(&sim::Config::default(), || {
        drop(Builder::new().name("bad").spawn(|| panic!("boom {}", 1 + 1)).unwrap());
        time::sleep(Duration::from_secs(1));
        "main finished"
    });
    let p = panic_of(&report);
    assert_eq!(p.thread.id().as_u64(), 2);
    assert_eq!(p.thread.name(), Some("bad"));
    assert_eq!(p.message, "boom 2");
    let location = p.location.as_deref().expect("the location is known");
    assert!(location.starts_with(file!()), "{location}");
    assert_contains_all(
        &report.to_string(),
        &["panic: green thread #2 \"bad\" panicked at ", location, ": boom 2"],
    );
    assert!(
        report.stats().virtual_time < Duration::from_secs(1),
        "the run ends at the panic, not when main finishes"
    );
}

#[test]
fn a_joinable_thread_that_panics_but_is_never_joined_fails_the_run() {
    let report = sim::run(&sim::Config::default(), || {
        let h = Builder::new().name("ignored").spawn(|| panic!("nobody looked")).unwrap();
        time::sleep(Duration::from_secs(1));
        drop(h);
    });
    let p = panic_of(&report);
    assert_eq!(p.thread.name(), Some("ignored"));
    assert_eq!(p.message, "nobody looked");
}

#[test]
fn a_panic_whose_handle_outlives_the_run_fails_the_run() {
    let report = sim::run(&sim::Config::default(), || {
        let h = Builder::new().name("ignored").spawn(|| panic!("nobody looked")).unwrap();
        time::sleep(Duration::from_secs(1));
        h // never joined, never dropped inside the run
    });
    let p = panic_of(&report);
    assert_eq!(p.thread.name(), Some("ignored"));
    assert_eq!(p.message, "nobody looked");
}

#[test]
fn a_joined_panic_does_not_fail_the_run() {
    let report = sim::run(&sim::Config::default(), || {
        let h = go(|| panic!("handled"));
        let err = h.join().unwrap_err();
        err.message().to_string()
    });
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.unwrap(), "handled");
}

#[test]
fn main_panicking_fails_the_run_as_thread_one() {
    let report = sim::run(&sim::Config::default(), || {
        time::sleep(Duration::from_millis(5));
        let v: Option<u32> = std::hint::black_box(None);
        v.expect("main gave up")
    });
    let p = panic_of(&report);
    assert_eq!(p.thread.id().as_u64(), 1);
    assert_eq!(p.thread.name(), Some("main"));
    assert_eq!(p.message, "main gave up");
    assert!(p.location.as_deref().unwrap().starts_with(file!()));
    assert_contains_all(
        &report.to_string(),
        &["panic: green thread #1 \"main\" panicked at ", "main gave up"],
    );
}

#[test]
fn a_livelock_hits_the_step_limit() {
    let config = sim::Config::default().with_max_steps(500);
    let report = sim::run(&config, || {
        let (tx, rx) = chan::bounded::<u32>(1);
        let spinner = Builder::new()
            .name("spinner")
            .spawn(move || {
                loop {
                    match rx.try_recv() {
                        Ok(v) => return v,
                        Err(TryRecvError::Empty) => sched::yield_now(),
                        Err(TryRecvError::Disconnected) => return 0,
                    }
                }
            })
            .unwrap();
        loop {
            if spinner.is_finished() {
                break;
            }
            sched::yield_now(); // main also spins, holding the sender that never sends
        }
        drop(tx);
        spinner.join().unwrap()
    });
    assert_eq!(report.failure(), Some(&Failure::StepLimit { limit: 500 }));
    assert!(report.stats().steps > 500);
    assert_contains_all(
        &report.to_string(),
        &["step limit: the run took more than 500 steps", "\"spinner\"", "try_recv"],
    );
}

#[test]
fn a_forgotten_sleep_loop_hits_the_time_limit() {
    let config = sim::Config::default().with_max_time(Duration::from_secs(10));
    let report = sim::run(&config, || {
        loop {
            time::sleep(Duration::from_secs(1));
        }
    });
    assert_eq!(report.failure(), Some(&Failure::TimeLimit { limit: Duration::from_secs(10) }));
    assert!(report.stats().virtual_time <= Duration::from_secs(10));
    assert_contains_all(
        &report.to_string(),
        &["time limit: virtual time passed 10s without main returning", "sleep 1s"],
    );
}

#[test]
fn the_report_shows_a_timeline_with_a_lane_per_thread() {
    let report = sim::run(&sim::Config::default(), || {
        let (tx, rx) = chan::Builder::new().name("ping").bounded::<u8>(0);
        let h = Builder::new().name("pinger").spawn(move || tx.send(1).unwrap()).unwrap();
        rx.recv().unwrap();
        h.join().unwrap();
        sched::park(); // then deadlock, to get a full report
    });
    assert_eq!(report.failure(), Some(&Failure::Deadlock));
    let text = report.to_string();
    assert_contains_all(&text, &["timeline (last ", "#1 main", "#2 pinger", "send ping", "│"]);
    let chart = report.trace().timeline(100).to_string();
    assert_contains_all(&chart, &["#1 main", "#2 pinger", "recv ping", "join #2"]);
}

/// Every blocking operation records what it is before "blocked" (`recv ping`, `join #2`), so
/// a timeline says what a thread blocked in; `sched::park()` must too (`Op::Park`).
#[test]
fn a_park_appears_in_the_trace() {
    let report = sim::run(&sim::Config::default(), || {
        let me = sched::current();
        let h = go(move || {
            time::sleep(Duration::from_millis(1));
            me.unpark();
        });
        sched::park();
        h.join().unwrap();
    });
    assert!(report.is_ok(), "{report}");
    let parks = report.trace().events().filter(|e| e.op == Op::Park && e.thread.as_u64() == 1);
    assert_eq!(parks.count(), 1, "trace:\n{}", report.trace());
    assert!(report.trace().timeline(100).to_string().contains("park"));
}

#[test]
fn a_passing_report_is_one_line_with_the_token() {
    let report = sim::run(&sim::Config::default(), || go(|| 1).join().unwrap());
    let text = report.to_string();
    assert!(text.starts_with("ok: main returned at 0s"), "{text}");
    assert!(text.contains("token gort1:"), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
}

#[test]
fn stats_count_threads_and_steps() {
    let report = sim::run(&sim::Config::default(), || {
        let hs: Vec<_> = (0..4).map(|_| go(sched::yield_now)).collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
    });
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.stats().threads, 5);
    assert_eq!(report.stats().steps, report.trace().len());
    assert_eq!(report.token().steps(), Some(report.stats().steps));
}
