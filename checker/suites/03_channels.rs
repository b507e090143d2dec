//! The property suite of lesson 03_channels: gather, generator, walk and same_sequence.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use channels::{Tree, gather, generator, same_sequence, walk};
use gort::diag::{ObjectKind, Op};
use grade::prelude::*;

/// Schedules tried per input by the `check` properties (each runs its own simulations).
const SEEDS: u64 = 16;

fn now() -> Duration {
    gort::time::now().elapsed_since_start()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A deterministic shuffle (an LCG), so the input stays a plain seed.
fn shuffled(mut values: Vec<i64>, seed: u64) -> Vec<i64> {
    let mut state = seed | 1;
    for i in (1..values.len()).rev() {
        state =
            state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        values.swap(i, (state >> 33) as usize % (i + 1));
    }
    values
}

/// How many channel sends the run's green threads other than main made (failed ones too).
fn walker_sends<T>(report: &gort::diag::Report<T>) -> usize {
    report.trace().events().filter(|e| e.op == Op::Send && e.thread.as_u64() != 1).count()
}

fn main() {
    Suite::new("03_channels")
        .property(
            Property::explore(
                "gather_keeps_every_value",
                "gather returns every value of every part exactly once, each part's values in \
                 that part's order, and returns once the channel closes",
                vec(0usize..5, 0..5),
                |sizes: &Vec<usize>| {
                    // Part i holds (i, 0), (i, 1), ...: a value says who sent it and when.
                    let parts: Vec<Vec<(usize, usize)>> =
                        sizes.iter().enumerate().map(|(i, &n)| (0..n).map(|j| (i, j)).collect()).collect();
                    let got = gather(parts.clone());
                    let mut sorted = got.clone();
                    sorted.sort();
                    let want: Vec<(usize, usize)> = parts.iter().flatten().copied().collect();
                    check_eq!(
                        sorted,
                        want,
                        "gather must receive every value sent, once each ((part, index) pairs, \
                         sorted): it ranges over the receiver until the channel closes, not for \
                         a count of its own"
                    );
                    for (i, part) in parts.iter().enumerate() {
                        let from_i: Vec<(usize, usize)> =
                            got.iter().filter(|v| v.0 == i).copied().collect();
                        check_eq!(
                            from_i,
                            *part,
                            "the values of part {i} must arrive in the order part {i} holds them: \
                             one sender's values stay in order on a channel"
                        );
                    }
                },
            )
            .task(1)
            .cases(20)
            .schedules(48),
        )
        .property(
            Property::check(
                "gather_sends_each_part_from_its_own_thread",
                "gather starts one green thread per part, and the parts reach main over one \
                 unbuffered channel: main sends nothing itself",
                vec(0usize..4, 0..5),
                |sizes: &Vec<usize>| {
                    let parts: Vec<Vec<usize>> = sizes.iter().map(|&n| (0..n).collect()).collect();
                    let n = parts.len();
                    let report = sim::run(&sim::Config::default(), move || gather(parts));
                    if let Some(fail) = Fail::from_report(&report) {
                        return Err(fail);
                    }
                    let trace = report.trace();
                    let spawned = trace.events().filter(|e| matches!(e.op, Op::Spawn(_))).count();
                    if spawned != n {
                        return Err(Fail::new(format!(
                            "gather of {n} parts {sizes:?} started {spawned} green thread(s): start \
                             one per part, each sending its own part's values, so the parts are \
                             sent at the same time and interleave on the channel"
                        )));
                    }
                    if let Some(e) = trace.events().find(|e| e.op == Op::Send && e.thread.as_u64() == 1) {
                        return Err(Fail::new(format!(
                            "main sent a value itself (at {}): in gather, the parts' threads send \
                             and main only receives, ranging until the channel closes",
                            e.location
                        )));
                    }
                    for o in trace.objects() {
                        if let ObjectKind::Channel { capacity } = o.kind() {
                            if capacity != 0 {
                                return Err(Fail::new(format!(
                                    "gather made a channel of capacity {capacity} (at {}): use one \
                                     unbuffered channel (chan::unbuffered()), so each send waits \
                                     until main takes the value",
                                    o.created()
                                )));
                            }
                        }
                    }
                    Ok(())
                },
            )
            .task(1)
            .cases(12),
        )
        .property(
            Property::explore(
                "generator_yields_items_then_closes",
                "generator(items, cap) gives a receiver of capacity cap that yields the items in \
                 order, never holds more than cap of them, and is closed after the last one",
                (vec(any::<u16>(), 0..10), 0usize..4),
                |(items, cap): &(Vec<u16>, usize)| {
                    let rx = generator(items.clone(), *cap);
                    check_eq!(
                        rx.capacity(),
                        *cap,
                        "generator(items, {cap}) must make its channel with chan::bounded({cap}): \
                         the capacity is the caller's choice"
                    );
                    let mut got = Vec::new();
                    loop {
                        let buffered = rx.len();
                        check!(
                            buffered <= *cap,
                            "a channel of capacity {cap} held {buffered} values: the buffer never \
                             holds more than its capacity"
                        );
                        match rx.recv() {
                            Ok(v) => got.push(v),
                            Err(_) => break,
                        }
                        gort::time::sleep(ms(1)); // a slow consumer lets the buffer fill up
                    }
                    check_eq!(
                        got,
                        *items,
                        "ranging over the generator's receiver must give the items in order, then \
                         end: the producer drops its Sender after the last item, which closes the \
                         channel"
                    );
                },
            )
            .task(2)
            .cases(20)
            .schedules(32),
        )
        .property(
            Property::explore(
                "generator_paces_the_producer",
                "with a consumer that receives every d, the producer pulls item k at exactly \
                 max(0, k - cap) x d: with cap 0 each send completes at the instant the receiver \
                 takes the value (a rendezvous), with cap > 0 it runs at most cap items ahead",
                (1usize..8, 0usize..4, 1u64..100),
                |&(n, cap, d): &(usize, usize, u64)| {
                    let pulled_at = Arc::new(Mutex::new(Vec::new()));
                    let log = pulled_at.clone();
                    // An iterator that notes the virtual time at which each item is pulled.
                    let items = (0..n).map(move |k| {
                        log.lock().unwrap().push(now());
                        k
                    });
                    let rx = generator(items, cap);
                    let mut received_at = Vec::new();
                    for k in 0..n {
                        gort::time::sleep(ms(d));
                        check_eq!(rx.recv().ok(), Some(k), "item {k} must come out {k}th");
                        received_at.push(now());
                    }
                    check!(rx.recv().is_err(), "after the last item the channel must be closed");
                    let want: Vec<Duration> =
                        (0..n).map(|k| ms(d) * k.saturating_sub(cap) as u32).collect();
                    let got = pulled_at.lock().unwrap().clone();
                    if cap == 0 {
                        check_eq!(
                            got,
                            want,
                            "unbuffered (cap 0), with the consumer receiving every {d} ms: item \
                             k + 1 is pulled when send k returns, and a rendezvous send returns at \
                             the instant the receiver takes the value, at (k + 1) x {d} ms; pull \
                             each item only after the previous one is sent, from the producer thread"
                        );
                    } else {
                        check_eq!(
                            got,
                            want,
                            "capacity {cap}, consumer receiving every {d} ms: the producer fills \
                             the buffer at once, then each send waits for room, so item k is \
                             pulled at max(0, k - {cap}) x {d} ms: never more than {cap} ahead, and \
                             never blocked while there is room"
                        );
                    }
                },
            )
            .task(2)
            .cases(20)
            .schedules(16),
        )
        .property(
            Property::check(
                "generator_stops_when_receiver_dropped",
                "when the caller drops the receiver early, the producer stops at its next send \
                 (send returns Err once every receiver is gone) instead of pulling the rest",
                (0usize..4, 0usize..3),
                |&(taken, cap): &(usize, usize)| {
                    const LEN: usize = 500;
                    for seed in 0..SEEDS {
                        let pulled = Arc::new(AtomicUsize::new(0));
                        let count = pulled.clone();
                        let report = sim::run(&sim::Config::default().with_seed(seed), || {
                            let count = count.clone();
                            let items = (0..LEN).map(move |k| {
                                count.fetch_add(1, Ordering::SeqCst);
                                k
                            });
                            let rx = generator(items, cap);
                            let firsts: Vec<usize> = rx.iter().take(taken).collect();
                            drop(rx);
                            firsts
                        });
                        if let Some(fail) = Fail::from_report(&report) {
                            return Err(fail);
                        }
                        let firsts = report.value().expect("a passing run has a value");
                        if *firsts != (0..taken).collect::<Vec<_>>() {
                            return Err(Fail::new(format!(
                                "the first {taken} values must be 0..{taken}, got {firsts:?}"
                            )));
                        }
                        let pulled = pulled.load(Ordering::SeqCst);
                        let limit = taken + cap + 1;
                        if pulled > limit {
                            return Err(Fail::new(format!(
                                "the caller took {taken} of {LEN} items (capacity {cap}) and \
                                 dropped the receiver, but the producer went on and pulled \
                                 {pulled} items (at most {limit} expected): when send returns \
                                 Err, every receiver is gone and nobody will ever take a value, \
                                 so the producer must return (an endless generator would spin \
                                 forever)"
                            )));
                        }
                    }
                    Ok(())
                },
            )
            .task(2)
            .cases(12),
        )
        .property(
            Property::explore(
                "walk_sends_in_order",
                "walk(tree) sends the tree's values in sorted order on an unbuffered channel, \
                 then closes it",
                (vec(-20i64..20, 0..16), any::<u64>()),
                |(values, seed): &(Vec<i64>, u64)| {
                    let tree = Tree::from_values(shuffled(values.clone(), *seed));
                    let rx = walk(Arc::new(tree));
                    check_eq!(
                        rx.capacity(),
                        0,
                        "walk's channel must be unbuffered (chan::unbuffered(), Go's make(chan int))"
                    );
                    let got: Vec<i64> = rx.iter().collect();
                    let mut want = values.clone();
                    want.sort();
                    check_eq!(
                        got,
                        want,
                        "walk must send every value in order (left subtree, the node, right \
                         subtree) and close the channel at the end so that ranging stops"
                    );
                },
            )
            .task(3)
            .cases(20)
            .schedules(24),
        )
        .property(
            Property::check(
                "walk_stops_when_receiver_dropped",
                "when the receiver is dropped after k values, the walker makes no send after \
                 its first failed one and exits",
                (4usize..24, 0usize..4, any::<u64>()),
                |&(len, taken, seed): &(usize, usize, u64)| {
                    let values = shuffled((0..len as i64).collect(), seed);
                    for s in 0..SEEDS {
                        let report = sim::run(&sim::Config::default().with_seed(s), || {
                            let rx = walk(Arc::new(Tree::from_values(values.clone())));
                            let firsts: Vec<i64> = rx.iter().take(taken).collect();
                            drop(rx);
                            firsts
                        });
                        let sends = walker_sends(&report);
                        if let Some(fail) = Fail::from_report(&report) {
                            return Err(fail);
                        }
                        let firsts = report.value().expect("a passing run has a value");
                        if *firsts != (0..taken as i64).collect::<Vec<_>>() {
                            return Err(Fail::new(format!(
                                "the first {taken} values must be 0..{taken}, got {firsts:?}"
                            )));
                        }
                        if sends > taken + 1 {
                            return Err(Fail::new(format!(
                                "the caller received {taken} of {len} values and dropped the \
                                 receiver, but the walker made {sends} sends (at most {} \
                                 expected): a failed send means the receiver is gone, so stop \
                                 the walk there (return the SendError and use `?` on it)",
                                taken + 1
                            )));
                        }
                    }
                    Ok(())
                },
            )
            .task(3)
            .cases(12),
        )
        .property(
            Property::explore(
                "same_sequence_compares_sequences",
                "same_sequence(a, b) is true exactly when both trees hold the same sorted \
                 sequence of values, whatever their shapes",
                (vec(0i64..30, 0..12), any::<u64>(), 0u8..3, any::<usize>()),
                |(values, seed, mode, pick): &(Vec<i64>, u64, u8, usize)| {
                    let mut other = shuffled(values.clone(), *seed);
                    match (mode, other.len()) {
                        (0, _) | (_, 0) => {}                        // the same values
                        (1, n) => other[pick % n] += 1,              // one value changed
                        (_, n) => other.truncate(pick % n),          // a prefix
                    }
                    let mut want_a = values.clone();
                    let mut want_b = other.clone();
                    want_a.sort();
                    want_b.sort();
                    let want = want_a == want_b;
                    let a = Arc::new(Tree::from_values(values.clone()));
                    let b = Arc::new(Tree::from_values(other));
                    check_eq!(
                        same_sequence(a, b),
                        want,
                        "same_sequence must compare the two sorted sequences value by value: \
                         {want_a:?} vs {want_b:?}"
                    );
                },
            )
            .task(4)
            .cases(24)
            .schedules(24),
        )
        .property(
            Property::check(
                "same_sequence_stops_at_first_difference",
                "same_sequence returns at the first differing value, and both walkers stop \
                 right after it without leaking or panicking",
                (6usize..20, 0usize..3, any::<u64>()),
                |&(len, first_diff, seed): &(usize, usize, u64)| {
                    // a = 0, 2, 4, ...; b is a with 2k replaced by 2k + 1: they differ at k.
                    let a: Vec<i64> = (0..len as i64).map(|v| 2 * v).collect();
                    let mut b = a.clone();
                    b[first_diff] += 1;
                    let (a, b) = (shuffled(a, seed), shuffled(b, seed ^ 0x9e37));
                    for seed in 0..SEEDS {
                        let report = sim::run(&sim::Config::default().with_seed(seed), || {
                            same_sequence(
                                Arc::new(Tree::from_values(a.clone())),
                                Arc::new(Tree::from_values(b.clone())),
                            )
                        });
                        if let Some(fail) = Fail::from_report(&report) {
                            return Err(fail);
                        }
                        if report.value() == Some(&true) {
                            return Err(Fail::new(format!(
                                "the trees differ at position {first_diff} but same_sequence said \
                                 they hold the same sequence"
                            )));
                        }
                        let sends = walker_sends(&report);
                        let limit = 2 * (first_diff + 2);
                        if sends > limit {
                            return Err(Fail::new(format!(
                                "two trees of {len} values differ at position {first_diff}, but \
                                 the walkers made {sends} sends in all (at most {limit} \
                                 expected): same_sequence must stop receiving at the first \
                                 difference, and each walker must stop at its first failed \
                                 send, not walk the whole tree"
                            )));
                        }
                    }
                    Ok(())
                },
            )
            .task(4)
            .cases(12),
        )
        .main();
}
