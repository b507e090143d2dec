//! Determinism and replay: finding a lost update, replay tokens, divergence, and same-config
//! runs giving identical traces (including a property over random programs).
//!
//! Sim only: seeds, traces and replay tokens exist only under the deterministic executor.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gort::chan::{self, TryRecvError};
use gort::diag::{Failure, ReplayCheck, Report, TokenError};
use gort::sim::{self, Config};
use gort::{go, sched, time};
use proptest::prelude::*;

/// Two threads increment a counter with a load, a yield and a store: an update can be lost.
fn lost_update() -> u32 {
    let n = Arc::new(AtomicU32::new(0));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let n = n.clone();
            go(move || {
                let v = n.load(SeqCst);
                sched::yield_now();
                n.store(v + 1, SeqCst);
            })
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    n.load(SeqCst)
}

/// The same program, failing the run when the update is lost.
fn lost_update_checked() {
    assert_eq!(lost_update(), 2, "lost update");
}

/// A different program of the same shape.
fn three_increments() -> u32 {
    let n = Arc::new(AtomicU32::new(0));
    let hs: Vec<_> = (0..3)
        .map(|_| {
            let n = n.clone();
            go(move || n.fetch_add(1, SeqCst))
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    n.load(SeqCst)
}

/// The first of seeds 0..10 under `strategy` whose run loses the update.
#[track_caller]
fn find_lost_update(strategy: sim::Strategy) -> (Config, Report<u32>) {
    for seed in 0..10 {
        let config = Config::default().with_seed(seed).with_strategy(strategy);
        let report = sim::run(&config, lost_update);
        assert!(report.is_ok(), "{report}");
        if *report.value().unwrap() != 2 {
            return (config, report);
        }
    }
    panic!("{strategy} did not find the lost update in 10 seeds");
}

/// Replays `found`'s token and checks it reproduces the same value and the same trace.
#[track_caller]
fn assert_replays(config: &Config, found: &Report<u32>) {
    let token = found.token().to_string();
    assert!(token.starts_with("gort1:"), "{token}");
    // Replay with a config whose seed and strategy differ: the token supplies both.
    let base = config.clone().with_seed(12345).with_strategy(sim::Strategy::Random);
    let again = sim::replay(&base, &token, lost_update).expect("the token is valid");
    assert_eq!(again.value(), found.value());
    assert_eq!(again.value(), Some(&1));
    let check = again.replay_check().expect("a replay is checked");
    assert!(check.reproduced(), "{check}");
    assert_eq!(again.trace().to_string(), found.trace().to_string());
    assert_eq!(again.trace().fingerprint(), found.trace().fingerprint());
    assert_eq!(again.token().to_string(), token);
    assert_eq!(again.stats(), found.stats());
}

#[test]
fn random_finds_the_lost_update_and_its_token_replays_it() {
    let (config, found) = find_lost_update(sim::Strategy::Random);
    assert_replays(&config, &found);
}

#[test]
fn pct_finds_the_lost_update_and_its_token_replays_it() {
    let (config, found) = find_lost_update(sim::Strategy::Pct { depth: 2, horizon: 50 });
    assert!(found.token().to_string().starts_with("gort1:p2.50:"), "{}", found.token());
    assert_replays(&config, &found);
}

#[test]
fn explore_finds_the_lost_update_and_checks_its_replay() {
    let config = Config::default();
    let found = sim::explore(&config, 100, lost_update_checked).unwrap_err();
    let Some(Failure::Panic(p)) = found.failure() else { panic!("expected a panic:\n{found}") };
    assert!(p.message.contains("lost update"), "{}", p.message);
    let check = found.replay_check().expect("explore replays the failure");
    assert!(check.reproduced(), "{check}");
    let text = found.to_string();
    assert!(text.contains("replay: reproduced the recorded schedule"), "{text}");

    let again = sim::replay(&config, &found.token().to_string(), lost_update_checked).unwrap();
    assert!(again.replay_check().unwrap().reproduced());
    let Some(Failure::Panic(q)) = again.failure() else { panic!("expected a panic:\n{again}") };
    assert_eq!((q.thread.id(), &q.message, &q.location), (p.thread.id(), &p.message, &p.location));
    assert_eq!(again.trace().to_string(), found.trace().to_string());
}

#[test]
fn explore_passes_a_correct_program() {
    let summary = sim::explore(&Config::default(), 50, three_increments).unwrap();
    assert_eq!(summary.schedules, 50);
    assert!(summary.longest > 0 && summary.steps >= summary.longest);
}

#[test]
fn a_token_of_another_program_is_refused() {
    let config = Config::default();
    let report = sim::run(&config, lost_update);
    let err = sim::replay(&config, &report.token().to_string(), three_increments).unwrap_err();
    assert!(matches!(err, TokenError::OtherProgram { .. }), "{err:?}");
    assert!(err.to_string().contains("another program"), "{err}");
}

#[test]
fn a_token_for_another_processor_count_is_refused() {
    let config = Config::default();
    let report = sim::run(&config, lost_update);
    let other = config.clone().with_processors(2);
    let err = sim::replay(&other, &report.token().to_string(), lost_update).unwrap_err();
    assert!(matches!(err, TokenError::OtherProgram { .. }), "{err:?}");
}

#[test]
fn malformed_tokens_are_refused() {
    for token in [
        "",
        "hello",
        "gort1:",
        "gort1:r:0:0:-",
        "gort1:r:0:0:-:-:-",
        "gort1:q:1:0:-:-",
        "gort1:r:zz:0:-:-",
        "gort1:r:0:xyz:-:-",
        "gort1:p3:0:0:-:-",
        "gort1:pa.1:0:0:-:-",
        "gort1:r:0:0:many:-",
        "gort1:r:0:0:-:nothex",
    ] {
        let err = sim::replay(&Config::default(), token, lost_update).unwrap_err();
        assert!(matches!(err, TokenError::Malformed { .. }), "{token:?}: {err:?}");
        assert!(err.to_string().contains("is not a replay token"), "{token:?}: {err}");
    }
    let err = sim::replay(&Config::default(), "gort9:r:0:0:-:-", lost_update).unwrap_err();
    assert!(matches!(err, TokenError::Version { .. }), "{err:?}");
}

#[test]
fn config_replaying_takes_seed_and_strategy_from_the_token() {
    let config = Config::default().with_processors(2);
    let found = sim::run(
        &config.clone().with_seed(77).with_strategy(sim::Strategy::Pct { depth: 3, horizon: 40 }),
        lost_update,
    );
    let replaying = config.replaying(&found.token().to_string()).unwrap();
    assert_eq!(replaying.seed(), 77);
    assert_eq!(replaying.strategy(), sim::Strategy::Pct { depth: 3, horizon: 40 });
    assert_eq!(replaying.processors(), 2);
    let again = sim::run(&replaying, lost_update);
    assert_eq!(again.trace().fingerprint(), found.trace().fingerprint());
}

static TAKE_DETOUR: AtomicBool = AtomicBool::new(false);

/// A program whose path depends on a global flag the scheduler does not control.
fn flag_dependent() -> u32 {
    let h = go(|| 1);
    if TAKE_DETOUR.load(SeqCst) {
        time::sleep(Duration::from_millis(1));
        sched::yield_now();
    }
    h.join().unwrap()
}

#[test]
fn a_changed_program_reports_a_diverged_replay() {
    let config = Config::default().with_seed(5);
    TAKE_DETOUR.store(false, SeqCst);
    let recorded = sim::run(&config, flag_dependent);
    assert!(recorded.is_ok(), "{recorded}");
    let token = recorded.token().to_string();

    let same = sim::replay(&config, &token, flag_dependent).unwrap();
    assert!(same.replay_check().unwrap().reproduced());

    TAKE_DETOUR.store(true, SeqCst);
    let changed = sim::replay(&config, &token, flag_dependent).unwrap();
    TAKE_DETOUR.store(false, SeqCst);
    let check = *changed.replay_check().unwrap();
    let ReplayCheck::Diverged { expected_steps, expected_fingerprint, steps, fingerprint } = check
    else {
        panic!("expected a divergence, got {check}");
    };
    assert_eq!(expected_steps, Some(recorded.stats().steps));
    assert_eq!(expected_fingerprint, Some(recorded.trace().fingerprint()));
    assert_eq!(steps, changed.stats().steps);
    assert_eq!(fingerprint, changed.trace().fingerprint());
    assert!(!check.reproduced());
    assert!(check.to_string().contains("replay diverged"), "{check}");
    assert!(changed.to_string().contains("replay diverged"), "{changed}");
}

/// Three threads that yield and log their progress.
fn three_yielders() -> Vec<u32> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let hs: Vec<_> = (0..3)
        .map(|i| {
            let log = log.clone();
            go(move || {
                for _ in 0..3 {
                    log.lock().unwrap().push(i);
                    sched::yield_now();
                }
            })
        })
        .collect();
    hs.into_iter().for_each(|h| h.join().unwrap());
    log.lock().unwrap().clone()
}

#[test]
fn different_seeds_give_different_schedules() {
    let mut fingerprints = BTreeSet::new();
    let mut logs = BTreeSet::new();
    for seed in 0..20 {
        let report = sim::run(&Config::default().with_seed(seed), three_yielders);
        assert!(report.is_ok(), "{report}");
        fingerprints.insert(report.trace().fingerprint());
        logs.insert(report.value().unwrap().clone());
    }
    assert!(fingerprints.len() >= 2, "20 seeds gave {} fingerprint(s)", fingerprints.len());
    assert!(logs.len() >= 2, "20 seeds gave {} interleaving(s)", logs.len());
}

#[test]
fn the_same_seed_gives_the_same_schedule() {
    for seed in 0..10 {
        let config = Config::default().with_seed(seed);
        let a = sim::run(&config, three_yielders);
        let b = sim::run(&config, three_yielders);
        assert_eq!(a.value(), b.value());
        assert_eq!(a.trace().to_string(), b.trace().to_string());
        assert_eq!(a.trace().fingerprint(), b.trace().fingerprint());
        assert_eq!(a.token().to_string(), b.token().to_string());
    }
}

// ---------------------------------------------------------------------------------------
// Property: any program, run twice under the same config, takes the same schedule.

/// Channels a generated program uses.
const CHANNELS: usize = 2;

#[derive(Clone, Debug)]
enum Step {
    /// A blocking send on channel k (buffers are large enough that it never blocks).
    Send(usize, u8),
    /// A send that gives up if the buffer is full.
    TrySend(usize, u8),
    /// A receive that never blocks.
    TryRecv(usize),
    Yield,
    Sleep(u64),
    Work(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..CHANNELS, any::<u8>()).prop_map(|(k, v)| Step::Send(k, v)),
        (0..CHANNELS, any::<u8>()).prop_map(|(k, v)| Step::TrySend(k, v)),
        (0..CHANNELS).prop_map(Step::TryRecv),
        Just(Step::Yield),
        (0u64..4).prop_map(Step::Sleep),
        (0u64..4).prop_map(Step::Work),
    ]
}

fn strategy() -> impl Strategy<Value = sim::Strategy> {
    prop_oneof![
        Just(sim::Strategy::Random),
        (1u32..=3, 1u64..60).prop_map(|(depth, horizon)| sim::Strategy::Pct { depth, horizon }),
    ]
}

/// What one thread observed: its received values (or misses) and when it finished.
type Observed = (Vec<Option<u8>>, Duration);

/// Runs the thread scripts as green threads and returns what each observed.
fn run_program(config: &Config, scripts: &[Vec<Step>]) -> Report<Vec<Observed>> {
    let scripts = scripts.to_vec();
    let sends = scripts
        .iter()
        .flatten()
        .filter(|s| matches!(s, Step::Send(..) | Step::TrySend(..)))
        .count();
    sim::run(config, move || {
        let channels: Vec<_> = (0..CHANNELS).map(|_| chan::bounded::<u8>(sends.max(1))).collect();
        let hs: Vec<_> = scripts
            .into_iter()
            .map(|script| {
                let channels = channels.clone();
                go(move || {
                    let mut seen = Vec::new();
                    for step in script {
                        match step {
                            Step::Send(k, v) => channels[k].0.send(v).unwrap(),
                            Step::TrySend(k, v) => {
                                let _ = channels[k].0.try_send(v);
                            }
                            Step::TryRecv(k) => match channels[k].1.try_recv() {
                                Ok(v) => seen.push(Some(v)),
                                Err(TryRecvError::Empty) => seen.push(None),
                                Err(TryRecvError::Disconnected) => unreachable!("main holds one"),
                            },
                            Step::Yield => sched::yield_now(),
                            Step::Sleep(ms) => time::sleep(Duration::from_millis(ms)),
                            Step::Work(ms) => time::work(Duration::from_millis(ms)),
                        }
                    }
                    (seen, time::now().elapsed_since_start())
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_same_config_always_gives_the_same_run(
        scripts in prop::collection::vec(prop::collection::vec(step(), 0..8), 1..=4),
        seed in any::<u64>(),
        strategy in strategy(),
        processors in 1usize..=3,
    ) {
        let config = Config::default()
            .with_seed(seed)
            .with_strategy(strategy)
            .with_processors(processors);
        let a = run_program(&config, &scripts);
        let b = run_program(&config, &scripts);
        prop_assert!(a.is_ok(), "{}", a);
        prop_assert_eq!(a.outcome(), b.outcome());
        prop_assert_eq!(a.trace().to_string(), b.trace().to_string());
        prop_assert_eq!(a.trace().fingerprint(), b.trace().fingerprint());
        prop_assert_eq!(a.stats(), b.stats());
        prop_assert_eq!(a.token().to_string(), b.token().to_string());
    }
}
