//! Figure: concurrency is not parallelism; three jobs that sleep vs three that compute.

use std::time::Duration;

use gort::diag::{Op, Trace};
use gort::{go, sim, time};

use crate::chart::{Axis, Bar, Chart, Lane, Panel, Style};
use crate::svg::num;
use crate::trace::{describe, exit_time, main_thread, ms, spans, spawned, thread_label};

/// The file this figure is written to, in `book/src/img/`.
pub const FILE: &str = "concurrency_parallelism.svg";

/// How long each job takes.
pub const JOB: Duration = Duration::from_millis(100);
/// How many jobs run at once.
pub const JOBS: usize = 3;

/// Runs [`JOBS`] green threads that each `sleep` (if `cpu` is false) or `work` for [`JOB`]
/// on `processors` simulated processors, joins them, and returns the trace.
pub fn run(cpu: bool, processors: usize) -> Trace {
    let config = sim::Config::default().with_processors(processors);
    let report = sim::run(&config, move || {
        let jobs: Vec<_> = (0..JOBS)
            .map(|_| go(move || if cpu { time::work(JOB) } else { time::sleep(JOB) }))
            .collect();
        for job in jobs {
            job.join().expect("a job panicked");
        }
    });
    let trace = report.trace().clone();
    report.unwrap();
    trace
}

/// One panel: a lane per job. A `sleep` is one bar. A `work(d)` that ends at `t` held a
/// processor from `t - d` to `t`; before that it was waiting for one.
fn panel(title: String, trace: &Trace) -> (Panel, f64) {
    let mut lanes = vec![];
    for (k, thread) in spawned(trace, main_thread(trace)).into_iter().enumerate() {
        let mut bars = vec![];
        let picked = spans(trace, thread, |e| matches!(e.op, Op::Sleep(_) | Op::Work(_)));
        for span in picked {
            let how = format!(
                "starts: {}\nends: {}",
                describe(trace, span.start),
                describe(trace, span.end_event)
            );
            let (start, end) = (ms(span.start.time), ms(span.end));
            match span.start.op {
                Op::Sleep(_) => bars.push(Bar {
                    start,
                    end,
                    style: Style::Sleeping,
                    text: format!("sleep {} ms", num(end - start)),
                    short: "sleep".to_string(),
                    tooltip: format!(
                        "sleeping {} to {} ms, no processor needed\n{how}",
                        num(start),
                        num(end)
                    ),
                }),
                Op::Work(d) => {
                    let ran = end - ms(d);
                    if ran > start {
                        bars.push(Bar {
                            start,
                            end: ran,
                            style: Style::Waiting,
                            text: "waiting for a processor".to_string(),
                            short: "waiting".to_string(),
                            tooltip: format!(
                                "ready, waiting for a processor {} to {} ms\n{how}",
                                num(start),
                                num(ran)
                            ),
                        });
                    }
                    bars.push(Bar {
                        start: ran,
                        end,
                        style: Style::Busy,
                        text: format!("work {} ms", num(ms(d))),
                        short: "work".to_string(),
                        tooltip: format!(
                            "running on a processor {} to {} ms\n{how}",
                            num(ran),
                            num(end)
                        ),
                    });
                }
                _ => unreachable!("picked sleeps and works only"),
            }
        }
        lanes.push(Lane {
            label: format!("job {}", k + 1),
            tooltip: thread_label(trace, thread),
            bars,
        });
    }
    let total = ms(exit_time(trace, main_thread(trace)));
    (
        Panel { title: format!("{title}: all done at {} ms", num(total)), lanes, marks: vec![] },
        total,
    )
}

/// The figure: sleeping jobs on one processor, computing jobs on one, computing jobs on three.
pub fn chart() -> Chart {
    let (io, io_total) = panel("3 jobs that sleep, 1 processor".to_string(), &run(false, 1));
    let (cpu1, cpu1_total) =
        panel("3 jobs that compute (time::work), 1 processor".to_string(), &run(true, 1));
    let (cpu3, cpu3_total) = panel("3 jobs that compute, 3 processors".to_string(), &run(true, 3));
    assert_eq!((io_total, cpu1_total, cpu3_total), (100.0, 300.0, 100.0));
    Chart {
        title: "Concurrency is not parallelism".to_string(),
        caption: "Traces of three green threads under gort::sim with 1 or 3 simulated processors \
                  (Config::with_processors)."
            .to_string(),
        axis: Axis {
            max: 350.0,
            step: 50.0,
            unit: " ms",
            label: "virtual time (ms)".to_string(),
            slots: false,
        },
        panels: vec![io, cpu1, cpu3],
        legend: vec![
            (Style::Sleeping, "sleeping (no processor needed)".to_string()),
            (Style::Busy, "running on a processor".to_string()),
            (Style::Waiting, "ready, waiting for a processor".to_string()),
        ],
    }
}

/// The figure as an SVG document.
pub fn svg() -> String {
    chart().render()
}
