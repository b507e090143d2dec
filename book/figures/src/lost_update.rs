//! Figure: lesson 04's lost update, the loads and stores of two racing threads in order.

use gort::diag::{Event, Op, Trace};
use gort::sched::ThreadId;
use gort::sim;

use crate::chart::{Axis, Bar, Chart, Lane, Panel, Style};
use crate::trace::{main_thread, spawned, thread_label};

/// The file this figure is written to, in `book/src/img/`.
pub const FILE: &str = "lost_update.svg";

/// Threads racing in `racy_count`.
pub const THREADS: usize = 2;
/// Increments per thread.
pub const ITERS: usize = 2;

/// A load or a store of the shared counter, placed in the run's order of execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    /// The thread that made it.
    pub thread: ThreadId,
    /// `false` for a load, `true` for a store.
    pub store: bool,
    /// The value loaded, or stored.
    pub value: u64,
    /// The trace step of the scheduling point that ends the slice it ran in.
    pub step: u64,
    /// For a store: the index (in the access list) of the load it was computed from.
    pub from_load: Option<usize>,
}

/// The first seed under which `racy_count(THREADS, ITERS)` loses exactly one update, with the
/// run's trace and its result.
pub fn run() -> (u64, Trace, u64) {
    let want = (THREADS * ITERS) as u64 - 1;
    (0..1024)
        .find_map(|seed| {
            let config = sim::Config::default().with_seed(seed);
            let report = sim::run(&config, || races::racy_count(THREADS, ITERS));
            (*report.value()? == want).then(|| (seed, report.trace().clone(), want))
        })
        .expect("some seed loses exactly one update")
}

/// Rebuilds the loads and stores from the trace. `racy_count` loads, calls `yield_now`, and
/// stores what it loaded plus one; on one processor nothing runs between two scheduling
/// points of a thread. So a load sits just before the thread's `yield` event, and its store
/// just before the thread's next event (its next `yield`, or its `exit`).
pub fn accesses(trace: &Trace) -> Vec<Access> {
    let counters = spawned(trace, main_thread(trace));
    let mut pending: Vec<Option<usize>> = vec![None; counters.len()];
    let mut counter = 0;
    let mut out: Vec<Access> = vec![];
    for e in trace.events() {
        let Some(k) = counters.iter().position(|&t| t == e.thread) else { continue };
        if let Some(load) = pending[k].take() {
            counter = out[load].value + 1;
            out.push(Access {
                thread: e.thread,
                store: true,
                value: counter,
                step: e.step,
                from_load: Some(load),
            });
        }
        if e.op == Op::Yield {
            pending[k] = Some(out.len());
            out.push(Access {
                thread: e.thread,
                store: false,
                value: counter,
                step: e.step,
                from_load: None,
            });
        }
    }
    out
}

/// The lost updates, as `(overwritten, overwriter)` pairs of store indices: a store computed
/// from a load that did not see another thread's later store erases that store's update.
pub fn lost(accesses: &[Access]) -> Vec<(usize, usize)> {
    let mut out = vec![];
    for (j, a) in accesses.iter().enumerate() {
        let Some(load) = a.from_load else { continue };
        let between = accesses.iter().enumerate().take(j).skip(load + 1);
        out.extend(between.filter(|(_, b)| b.store && b.thread != a.thread).map(|(k, _)| (k, j)));
    }
    out
}

fn event_at(trace: &Trace, step: u64) -> Option<&Event> {
    trace.events().find(|e| e.step == step)
}

/// The panel's title: what happens in the slots that lose the update.
fn story(acc: &[Access], lost: usize, overwriter: usize) -> String {
    let (l, o) = (&acc[lost], &acc[overwriter]);
    let load = o.from_load.expect("a store follows its load");
    format!(
        "{} loads {} at {}, {} stores {} at {}, {} stores {} over it at {}: one update lost",
        o.thread,
        acc[load].value,
        load + 1,
        l.thread,
        l.value,
        lost + 1,
        o.thread,
        o.value,
        overwriter + 1
    )
}

/// The figure: one lane per counting thread, and the counter's value, slot by slot.
pub fn chart() -> Chart {
    let (seed, trace, count) = run();
    let acc = accesses(&trace);
    let last_store = acc.iter().rev().find(|a| a.store).expect("the threads store");
    assert_eq!(last_store.value, count, "the rebuilt accesses end where racy_count did");
    let lost = lost(&acc);
    assert_eq!(lost.len(), 1, "exactly one update lost");
    let (lost, overwriter) = lost[0];

    let counters = spawned(&trace, main_thread(&trace));
    let mut lanes: Vec<Lane> = counters
        .iter()
        .map(|&t| Lane {
            label: format!("thread {t}"),
            tooltip: thread_label(&trace, t),
            bars: vec![],
        })
        .collect();
    let mut values = Lane {
        label: "counter".to_string(),
        tooltip: "the shared AtomicU64".to_string(),
        bars: vec![],
    };
    let mut counter = 0;
    for (i, a) in acc.iter().enumerate() {
        let lane = counters.iter().position(|&t| t == a.thread).expect("a counting thread");
        let next =
            event_at(&trace, a.step).map_or(String::new(), |e| format!("{} {}", e.thread, e.op));
        let (style, text, tooltip) = if !a.store {
            (
                Style::Load,
                format!("load {}", a.value),
                format!(
                    "{} loads {}, then yields (trace step {}: {next})",
                    a.thread, a.value, a.step
                ),
            )
        } else {
            counter = a.value;
            let load = a.from_load.expect("a store follows its load");
            let from = format!("{} + 1, from its load in slot {}", acc[load].value, load + 1);
            if i == lost {
                (
                    Style::Lost,
                    format!("store {}", a.value),
                    format!(
                        "{} stores {} ({from}); overwritten before anyone loads it: this update is lost",
                        a.thread, a.value
                    ),
                )
            } else if i == overwriter {
                (
                    Style::Stale,
                    format!("store {}", a.value),
                    format!(
                        "{} stores {} ({from}): a stale value, it overwrites the other thread's update (before trace step {}: {next})",
                        a.thread, a.value, a.step
                    ),
                )
            } else {
                (
                    Style::Store,
                    format!("store {}", a.value),
                    format!(
                        "{} stores {} ({from}) (before trace step {}: {next})",
                        a.thread, a.value, a.step
                    ),
                )
            }
        };
        let (start, end) = (i as f64 + 0.06, i as f64 + 0.94);
        lanes[lane].bars.push(Bar { start, end, style, text, short: String::new(), tooltip });
        values.bars.push(Bar {
            start,
            end,
            style: Style::Value,
            text: counter.to_string(),
            short: String::new(),
            tooltip: format!("the counter after slot {}: {counter}", i + 1),
        });
    }
    lanes.push(values);
    let expected = THREADS * ITERS;
    Chart {
        title: format!(
            "A lost update: racy_count({THREADS}, {ITERS}) ends at {count}, not {expected}"
        ),
        caption: format!(
            "Trace of lesson 04's racy_count under seed {seed}: each thread loads, yields, \
             stores what it loaded + 1."
        ),
        axis: Axis {
            max: acc.len() as f64,
            step: 1.0,
            unit: "",
            label: "order of execution (one processor; virtual time stays at 0 ms)".to_string(),
            slots: true,
        },
        panels: vec![Panel { title: story(&acc, lost, overwriter), lanes, marks: vec![] }],
        legend: vec![
            (Style::Load, "load".to_string()),
            (Style::Store, "store".to_string()),
            (Style::Lost, "overwritten: update lost".to_string()),
            (Style::Stale, "store from a stale load".to_string()),
            (Style::Value, "counter value".to_string()),
        ],
    }
}

/// The figure as an SVG document.
pub fn svg() -> String {
    chart().render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rebuilt_accesses_match_the_runtime_and_lose_one_update() {
        let (_, trace, count) = run();
        let acc = accesses(&trace);
        assert_eq!(acc.len(), 2 * THREADS * ITERS, "a load and a store per increment");
        assert_eq!(acc.iter().rev().find(|a| a.store).map(|a| a.value), Some(count));
        let lost = lost(&acc);
        assert_eq!(lost.len(), THREADS * ITERS - count as usize);
        let (overwritten, overwriter) = lost[0];
        assert_ne!(acc[overwritten].thread, acc[overwriter].thread);
        assert_eq!(acc[overwritten].value, acc[overwriter].value, "the same value, stored twice");
    }
}
