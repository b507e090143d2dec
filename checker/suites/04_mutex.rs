//! The property suite of lesson 04 (mutexes and race conditions): a lost update found and
//! replayed, the locked counter exact under every schedule, a map of counters, and transfers
//! that cannot deadlock.
use std::sync::Arc;

use gort::diag::Op;
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

/// Joins a thread of the property; a panic in it is the verdict, with what an overflow means
/// here.
#[track_caller]
fn joined<T>(h: JoinHandle<T>, what: &str) -> T {
    joined_with(h, what, |e| {
        if e.message().contains("subtract with overflow") {
            " (a balance went below zero: two transfers both saw enough money and both took it. Check the balance and move the money under the same locks)".to_string()
        } else {
            String::new()
        }
    })
}

/// The opening balance of the two accounts of `money_is_never_in_flight`.
const OPENING: u64 = 100;

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
        .property(
            Property::explore(
                "transfer_moves_exactly_when_covered",
                "a transfer goes through exactly when the balance covers the amount (a balance \
                 that equals it included), and a transfer to the account itself returns true \
                 and moves nothing, whatever the amount",
                (1u64..100, 0usize..4, 1u64..200),
                |&(balance, pick, extra): &(u64, usize, u64)| {
                    // Around the edge: exactly the balance, one more, one less (at least 1), or
                    // about half of it.
                    let amount = [balance, balance + 1, (balance - 1).max(1), balance / 2 + 1][pick];
                    let a = Account::new(1, balance);
                    let b = Account::new(2, 50);
                    let ok = transfer(&a, &b, amount);
                    check_eq!(
                        ok,
                        balance >= amount,
                        "transfer of {amount} from an account holding {balance}: it goes through \
                         when the balance covers the amount, an amount equal to the balance \
                         included (the balance then reaches 0)"
                    );
                    let want = if ok { (balance - amount, 50 + amount) } else { (balance, 50) };
                    check_eq!(
                        (a.balance(), b.balance()),
                        want,
                        "balances (from, to) after transfer({amount}) returned {ok}, from {balance} \
                         and 50: a transfer that returns true moves exactly the amount, one that \
                         returns false moves nothing"
                    );
                    let held = a.balance();
                    let big = held + extra;
                    check!(
                        transfer(&a, &a, big),
                        "a transfer of {big} from an account holding {held} to itself must \
                         return true: it moves nothing, so it needs no money. Test for the same \
                         account before the balance"
                    );
                    check_eq!(a.balance(), held, "a transfer to the account itself moves nothing");
                },
            )
            .cases(32)
            .schedules(2)
            .task(4),
        )
        .property(
            Property::explore(
                "money_is_never_in_flight",
                "while transfers run, money is always in exactly one account: an auditor never \
                 sees it in neither (debited, not yet credited) nor in both",
                (vec(1u64..60, 1..4), 1usize..3),
                |(amounts, rounds): &(Vec<u64>, usize)| {
                    let a = Arc::new(Account::new(1, OPENING));
                    let b = Arc::new(Account::new(2, OPENING));
                    // Two auditors read one account after the other, in opposite orders. Money
                    // only moves from a to b, so a correct transfer between a reader's two reads
                    // can only make it count some money twice if it reads a first, or miss some
                    // if it reads b first; the opposite means it was in flight.
                    let auditor = |source_first: bool| {
                        let (a, b, rounds) = (a.clone(), b.clone(), *rounds);
                        go(move || {
                            (0..rounds)
                                .map(|_| {
                                    if source_first {
                                        let x = a.balance();
                                        x + b.balance()
                                    } else {
                                        let y = b.balance();
                                        y + a.balance()
                                    }
                                })
                                .collect::<Vec<u64>>()
                        })
                    };
                    let (low, high) = (auditor(true), auditor(false));
                    for &x in amounts {
                        transfer(&a, &b, x);
                    }
                    let total = 2 * OPENING;
                    let low = joined(low, "the auditor reading a, then b");
                    let high = joined(high, "the auditor reading b, then a");
                    if let Some(sum) = low.iter().find(|&&s| s < total) {
                        check!(
                            false,
                            "an auditor read account 1, then account 2, while transfers moved \
                             money from 1 to 2, and found {sum} in the two, less than the {total} \
                             there is: some money was in neither account, taken from one and not \
                             yet given to the other. Hold both locks from the balance check to \
                             the credit, so nobody can see a transfer half done"
                        );
                    }
                    if let Some(sum) = high.iter().find(|&&s| s > total) {
                        check!(
                            false,
                            "an auditor read account 2, then account 1, while transfers moved \
                             money from 1 to 2, and found {sum} in the two, more than the \
                             {total} there is: some money was in both accounts at once, given \
                             before it was taken. Hold both locks from the balance check to the \
                             last update, so nobody can see a transfer half done"
                        );
                    }
                    check_eq!(a.balance() + b.balance(), total, "transfers move money, never make or lose any");
                },
            )
            .cases(16)
            .schedules(48)
            .task(4),
        )
        .property(
            Property::check(
                "locked_count_yields_inside_the_lock",
                "locked_count keeps racy_count's yield between the read and the write, inside \
                 the critical section: every yield happens while the thread holds the lock",
                (1usize..4, 1usize..4),
                |&(threads, iters): &(usize, usize)| {
                    let report = sim::run(&Config::default(), move || locked_count(threads, iters));
                    if let Some(fail) = Fail::from_report(&report) {
                        return Err(fail);
                    }
                    let mut holding = std::collections::HashMap::new();
                    let (mut inside, mut outside) = (0, Vec::new());
                    for e in report.trace().events() {
                        match e.op {
                            Op::Lock => {
                                holding.insert(e.thread, true);
                            }
                            Op::Unlock => {
                                holding.insert(e.thread, false);
                            }
                            Op::Yield if holding.get(&e.thread) == Some(&true) => inside += 1,
                            Op::Yield => outside.push(e.location),
                            _ => {}
                        }
                    }
                    if let Some(at) = outside.first() {
                        return Err(Fail::new(format!(
                            "locked_count yielded outside the critical section (at {at}): keep \
                             racy_count's read, yield_now and write together under one guard. \
                             The yield is where another thread gets to run; inside the lock it \
                             shows the lock protecting the update, outside it only luck does"
                        )));
                    }
                    let want = threads * iters;
                    if inside != want {
                        return Err(Fail::new(format!(
                            "locked_count({threads}, {iters}) yielded {inside} times inside the \
                             lock, not {want}: keep racy_count's yield_now between each read and \
                             its write, one per increment"
                        )));
                    }
                    Ok(())
                },
            )
            .cases(8)
            .task(2),
        )
        .main();
}
