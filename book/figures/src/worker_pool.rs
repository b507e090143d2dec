//! Figure: lesson 06's worker pool, three workers taking nine jobs of uneven cost.

use std::time::Duration;

use gort::diag::{Op, Trace};
use gort::{sim, time};

use crate::chart::{Axis, Bar, Chart, Lane, Mark, Panel, Style};
use crate::svg::num;
use crate::trace::{describe, main_thread, ms, spans, spawned, thread_label};

/// The file this figure is written to, in `book/src/img/`.
pub const FILE: &str = "worker_pool.svg";

/// The jobs' costs in ms, in queue order. All different, so a `sleep` in the trace names
/// its job.
pub const COSTS: [u64; 9] = [30, 80, 50, 120, 40, 70, 20, 90, 60];

/// The number of workers.
pub const WORKERS: usize = 3;

/// Runs the lesson's solution `worker_pool` over [`COSTS`]: each job sleeps for its cost
/// (a job waiting on I/O). Returns the results and the run's trace.
pub fn run() -> (Vec<u64>, Trace) {
    let report = sim::run(&sim::Config::default(), || {
        worker_pool::worker_pool(COSTS.to_vec(), WORKERS, |cost: u64| {
            time::sleep(Duration::from_millis(cost));
            cost * 2
        })
    });
    let trace = report.trace().clone();
    (report.unwrap(), trace)
}

/// The figure: one lane per worker, one bar per job.
pub fn chart() -> Chart {
    let (results, trace) = run();
    assert_eq!(results, COSTS.map(|c| c * 2), "results come back in job order");
    let main = main_thread(&trace);
    let mut lanes = vec![];
    let mut last_end: f64 = 0.0;
    let mut jobs_seen = 0;
    for worker in spawned(&trace, main) {
        let name = trace.thread(worker).and_then(|t| t.name()).unwrap_or("worker").to_string();
        let mut bars = vec![];
        for span in spans(&trace, worker, |e| matches!(e.op, Op::Sleep(_))) {
            let Op::Sleep(d) = span.start.op else { unreachable!("picked sleeps only") };
            let cost = d.as_millis() as u64;
            // Jobs are numbered from 0, their index in the queue, as the chapter's listing
            // (`Job { id, .. }`) and its prose number them.
            let job = COSTS.iter().position(|&c| c == cost).expect("every sleep is a job");
            let (start, end) = (ms(span.start.time), ms(span.end));
            last_end = last_end.max(end);
            jobs_seen += 1;
            bars.push(Bar {
                start,
                end,
                style: Style::Busy,
                text: format!("job {job}: {cost} ms"),
                short: format!("{job}"),
                tooltip: format!(
                    "job {job} ({cost} ms) on {}: {} to {} ms\nstarts: {}\nends: {}",
                    name,
                    num(start),
                    num(end),
                    describe(&trace, span.start),
                    describe(&trace, span.end_event),
                ),
            });
        }
        lanes.push(Lane { label: name, tooltip: thread_label(&trace, worker), bars });
    }
    assert_eq!(jobs_seen, COSTS.len(), "every job ran once");
    let total: u64 = COSTS.iter().sum();
    Chart {
        title: format!("A worker pool: {WORKERS} workers, {} jobs of uneven cost", COSTS.len()),
        caption: format!(
            "Trace of lesson 06's solution (worker_pool). Each worker takes the next job when \
             it is free: {total} ms of jobs end at {} ms.",
            num(last_end)
        ),
        axis: Axis {
            max: 250.0,
            step: 25.0,
            unit: " ms",
            label: "virtual time (ms)".to_string(),
            slots: false,
        },
        panels: vec![Panel {
            title: format!("Job costs in ms, in queue order: {}", cost_list()),
            lanes,
            marks: vec![Mark {
                at: last_end,
                text: format!("done at {} ms", num(last_end)),
                style: Style::Total,
            }],
        }],
        legend: vec![(
            Style::Busy,
            "job n: its cost, on the worker that took it (a job sleeps for its cost)".to_string(),
        )],
    }
}

fn cost_list() -> String {
    COSTS.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
}

/// The figure as an SVG document.
pub fn svg() -> String {
    chart().render()
}
