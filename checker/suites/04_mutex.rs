//! The property suite of lesson 04 (mutexes and race conditions): a lost update found and
//! replayed, the locked counter exact under every schedule, a map of counters, and transfers
//! that cannot deadlock.
use std::sync::Arc;

use gort::sched::JoinHandle;
use gort::sim::Config;
use grade::prelude::*;
use races::{Account, SafeCounter, find_lost_update, locked_count, racy_count, transfer};

/// How many seeds `find_lost_update` is asked to search.
const SEEDS: u64 = 64;

/// The keys the counter properties increment (by index); `UNUSED` is never incremented.
const KEYS: [&str; 3] = ["home", "cart", "checkout"];
const UNUSED: &str = "never-visited";

/// What `racy_count(threads, iters)` gives under `seed`.
fn racy_under(seed: u64, threads: usize, iters: usize) -> u64 {
    let report = sim::run(&Config::default().with_seed(seed), || racy_count(threads, iters));
    *report.value().expect("racy_count runs to the end")
}

/// Joins a thread of the property; if it panicked, says so in the verdict.
fn joined<T>(h: JoinHandle<T>, what: &str) -> T {
    h.join().unwrap_or_else(|e| {
        if e.message().starts_with("not yet implemented") {
            std::panic::resume_unwind(e.into_panic());
        }
        let overdrawn = if e.message().contains("subtract with overflow") {
            " (a balance went below zero: two transfers both saw enough money and both took it. Check the balance and move the money under the same locks)"
        } else {
            ""
        };
        panic!("{what} panicked{overdrawn}: {e}")
    })
}

/// Transfers between three accounts opened with 100 each: every thread runs its list of
/// `(from, to, amount)` and records which ones went through.
type Plan = Vec<Vec<(usize, usize, u64)>>;

fn main() {
    Suite::new("04_mutex")
        .property(
            Property::check(
                "racy_count_loses_updates",
                "find_lost_update returns the first seed under which racy_count loses an update, and running that seed again loses the same one",
                (1usize..5, 1usize..4, 0u64..1000),
                |&(threads, iters, start): &(usize, usize, u64)| {
                    let total = (threads * iters) as u64;
                    let seeds = start..start + SEEDS;
                    let want = seeds.clone().find_map(|seed| {
                        let count = racy_under(seed, threads, iters);
                        (count < total).then_some((seed, count))
                    });
                    if threads >= 2 && want.is_none() {
                        return Err(Fail::new(format!(
                            "suite error: no seed in {seeds:?} loses an update with {threads} threads"
                        )));
                    }
                    let got = find_lost_update(threads, iters, seeds.clone());
                    match (got, want) {
                        (None, None) => Ok(()),
                        (Some(lost), None) => Err(Fail::new(format!(
                            "find_lost_update({threads}, {iters}, {seeds:?}) returned {lost:?}, but a single thread never loses an update: no seed should be found"
                        ))),
                        (None, Some((seed, count))) => Err(Fail::new(format!(
                            "find_lost_update({threads}, {iters}, {seeds:?}) returned None, but seed {seed} loses an update (racy_count gives {count}, not {total}): run racy_count once per seed, each in its own sim::run with Config::default().with_seed(seed)"
                        ))),
                        (Some(lost), Some((seed, count))) => {
                            let again = racy_under(lost.seed, threads, iters);
                            if again != lost.count || again >= total {
                                return Err(Fail::new(format!(
                                    "find_lost_update({threads}, {iters}, {seeds:?}) returned {lost:?}, but running racy_count under seed {} gives {again} (of {total}): the seed must replay the lost update, so run racy_count alone in a sim::run with Config::default().with_seed(seed) and report that run's count",
                                    lost.seed
                                )));
                            }
                            if lost.seed != seed {
                                return Err(Fail::new(format!(
                                    "find_lost_update({threads}, {iters}, {seeds:?}) returned seed {}, but seed {seed} is the first that loses an update (count {count} of {total}): try the seeds in order and stop at the first",
                                    lost.seed
                                )));
                            }
                            Ok(())
                        }
                    }
                },
            )
            .cases(12)
            .task(1),
        )
        .property(
            Property::explore(
                "locked_count_is_exact",
                "locked_count(threads, iters) returns exactly threads * iters under every schedule",
                (1usize..5, 0usize..5),
                |&(threads, iters): &(usize, usize)| {
                    let total = (threads * iters) as u64;
                    check_eq!(
                        locked_count(threads, iters),
                        total,
                        "locked_count({threads}, {iters}) lost updates: another thread got between a read and its write. Hold one guard from the read to the write"
                    );
                },
            )
            .cases(16)
            .schedules(48)
            .task(2),
        )
        .property(
            Property::explore(
                "safe_counter_counts_each_key",
                "SafeCounter counts every inc of every key exactly, whatever the schedule, and an unseen key counts 0",
                vec(vec(0usize..KEYS.len(), 0..5), 1..4),
                |plan: &Vec<Vec<usize>>| {
                    let counter = Arc::new(SafeCounter::new());
                    let handles: Vec<_> = plan
                        .iter()
                        .map(|keys| {
                            let (counter, keys) = (counter.clone(), keys.clone());
                            go(move || keys.into_iter().for_each(|k| counter.inc(KEYS[k])))
                        })
                        .collect();
                    for h in handles {
                        joined(h, "a thread calling inc");
                    }
                    for (k, key) in KEYS.iter().enumerate() {
                        let want = plan.iter().flatten().filter(|&&i| i == k).count() as u64;
                        check_eq!(
                            counter.value(key),
                            want,
                            "value({key:?}) after every thread's incs: an inc was lost (two threads read the same old count and both wrote count + 1). Find the key and add one under the same guard"
                        );
                    }
                    check_eq!(
                        counter.value(UNUSED),
                        0,
                        "value of a key never incremented must be 0, as Go's map gives the zero value"
                    );
                },
            )
            .cases(24)
            .schedules(32)
            .task(3),
        )
        .property(
            Property::explore(
                "transfers_never_deadlock",
                "transfers between the same two accounts in opposite directions at once never deadlock",
                (vec(1u64..60, 1..4), vec(1u64..60, 1..4)),
                |(there, back): &(Vec<u64>, Vec<u64>)| {
                    let a = Arc::new(Account::new(1, 100));
                    let b = Arc::new(Account::new(2, 100));
                    let (a2, b2, back) = (a.clone(), b.clone(), back.clone());
                    let other = go(move || {
                        back.iter().map(|&x| transfer(&b2, &a2, x)).filter(|&ok| ok).count()
                    });
                    for &x in there {
                        transfer(&a, &b, x);
                    }
                    joined(other, "the thread transferring from b to a");
                    check_eq!(
                        a.balance() + b.balance(),
                        200,
                        "the two balances must still add up to 200: transfers move money, they never make or lose any"
                    );
                },
            )
            .cases(16)
            .schedules(48)
            .task(4),
        )
        .property(
            Property::explore(
                "transfers_conserve_money",
                "concurrent transfers among three accounts (some to the account itself) move exactly the money of the transfers that returned true, and never overdraw",
                vec(vec((0usize..3, 0usize..3, 1u64..80), 1..4), 2..4),
                |plan: &Plan| {
                    let accounts: Arc<Vec<Account>> =
                        Arc::new((0..3).map(|i| Account::new(10 + i, 100)).collect());
                    check!(
                        transfer(&accounts[0], &accounts[0], 1),
                        "a transfer from an account to itself must return true (and move nothing)"
                    );
                    let handles: Vec<_> = plan
                        .iter()
                        .map(|moves| {
                            let (accounts, moves) = (accounts.clone(), moves.clone());
                            go(move || {
                                moves
                                    .into_iter()
                                    .filter(|&(f, t, x)| transfer(&accounts[f], &accounts[t], x))
                                    .collect::<Vec<_>>()
                            })
                        })
                        .collect();
                    let mut want = [100i64; 3];
                    for h in handles {
                        for (f, t, x) in joined(h, "a thread running transfers") {
                            want[f] -= x as i64;
                            want[t] += x as i64;
                        }
                    }
                    let got: Vec<i64> = accounts.iter().map(|a| a.balance() as i64).collect();
                    check_eq!(
                        got,
                        want.to_vec(),
                        "balances must be the opening 100 each plus the transfers that returned true (and a transfer to the account itself moves nothing)"
                    );
                },
            )
            .cases(24)
            .schedules(32)
            .task(4),
        )
        .main();
}
