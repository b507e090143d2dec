//! Figure: lesson 05's dashboard, sequential vs concurrent vs concurrent under a timeout.

use std::sync::Arc;
use std::time::Duration;

use cancellation::{Dashboard, RequestCounter, Service, Services, call_service, dashboard};
use gort::context::{Context, ContextError};
use gort::diag::{Op, Trace};
use gort::sched::ThreadId;
use gort::sim;

use crate::chart::{Axis, Bar, Chart, Lane, Mark, Panel, Style};
use crate::trace::{describe, exit_time, main_thread, ms, spans, spawned, thread_label};

/// The file this figure is written to, in `book/src/img/`.
pub const FILE: &str = "dashboard.svg";

/// The three services and their latencies (article 000's dashboard).
pub fn services() -> Services {
    let ms = |n| Some(Duration::from_millis(n));
    Services {
        profile: Service { name: "profile", latency: ms(120) },
        orders: Service { name: "orders", latency: ms(300) },
        preferences: Service { name: "preferences", latency: ms(200) },
    }
}

/// The page's timeout in the third panel.
pub const TIMEOUT: Duration = Duration::from_millis(250);

/// One traced run of the page: what it answered and the trace of how.
#[derive(Debug)]
pub struct PageRun {
    /// The three answers.
    pub page: Dashboard,
    /// The run's trace.
    pub trace: Trace,
}

/// Calls the three services one after another on the main thread.
pub fn sequential() -> PageRun {
    let report = sim::run(&sim::Config::default(), || {
        let (ctx, s, requests) = (Context::background(), services(), RequestCounter::new());
        let profile = call_service(&ctx, s.profile, &requests);
        let orders = call_service(&ctx, s.orders, &requests);
        let preferences = call_service(&ctx, s.preferences, &requests);
        Dashboard { profile, orders, preferences }
    });
    let trace = report.trace().clone();
    PageRun { page: report.unwrap(), trace }
}

/// Calls them with the lesson's solution `dashboard`: three green threads under `timeout`.
pub fn concurrent(timeout: Duration) -> PageRun {
    let report = sim::run(&sim::Config::default(), move || {
        let requests = Arc::new(RequestCounter::new());
        dashboard(&Context::background(), services(), timeout, &requests)
    });
    let trace = report.trace().clone();
    PageRun { page: report.unwrap(), trace }
}

/// The lanes of one run: one per service (its call, from the `select` in `sleep_ctx` to the
/// wake-up that ended it), then the page as a whole (the main thread, start to exit).
fn lanes(run: &PageRun, calls: &[(ThreadId, usize)]) -> (Vec<Lane>, f64) {
    let s = services();
    let answers = [&run.page.profile, &run.page.orders, &run.page.preferences];
    let mut lanes: Vec<Lane> = [s.profile, s.orders, s.preferences]
        .iter()
        .map(|svc| Lane { label: svc.name.to_string(), tooltip: String::new(), bars: vec![] })
        .collect();
    for (k, &(thread, nth)) in calls.iter().enumerate() {
        let span = &spans(&run.trace, thread, |e| e.op == Op::Select)[nth];
        let (start, end) = (ms(span.start.time), ms(span.end));
        let name = lanes[k].label.clone();
        let (style, text, outcome) = match answers[k] {
            Ok(_) => (Style::Busy, format!("{} ms", crate::svg::num(end - start)), "answered"),
            Err(ContextError::DeadlineExceeded) => {
                (Style::Cut, "cut off: no data".to_string(), "gave up: deadline exceeded")
            }
            Err(_) => (Style::Cut, "cancelled".to_string(), "gave up: cancelled"),
        };
        let tooltip = format!(
            "{name} call on {}: {outcome}.\nstarts: {}\nends: {}",
            thread_label(&run.trace, thread),
            describe(&run.trace, span.start),
            describe(&run.trace, span.end_event),
        );
        lanes[k].tooltip = thread_label(&run.trace, thread);
        lanes[k].bars.push(Bar {
            start,
            end,
            style,
            text: format!("{name} {text}"),
            short: text,
            tooltip,
        });
    }
    let main = main_thread(&run.trace);
    let total = ms(exit_time(&run.trace, main));
    let missing: Vec<&str> = answers
        .iter()
        .zip(&lanes)
        .filter(|(a, _)| a.is_err())
        .map(|(_, l)| l.label.as_str())
        .collect();
    let page_text = match missing.as_slice() {
        [] => format!("page ready: {} ms", crate::svg::num(total)),
        m => format!("page ready: {} ms, without {}", crate::svg::num(total), m.join(", ")),
    };
    lanes.push(Lane {
        label: "page".to_string(),
        tooltip: thread_label(&run.trace, main),
        bars: vec![Bar {
            start: 0.0,
            end: total,
            style: Style::Total,
            text: page_text.clone(),
            short: String::new(),
            tooltip: format!("{page_text}: the main thread exits at {} ms", crate::svg::num(total)),
        }],
    });
    (lanes, total)
}

/// The figure: three panels from three traced runs.
pub fn chart() -> Chart {
    let seq = sequential();
    let main = main_thread(&seq.trace);
    let (seq_lanes, seq_total) = lanes(&seq, &[(main, 0), (main, 1), (main, 2)]);
    assert_eq!(seq_total, 620.0, "120 + 300 + 200 ms one after another");

    let conc = concurrent(Duration::from_secs(10));
    let threads = spawned(&conc.trace, main_thread(&conc.trace));
    let calls: Vec<_> = threads.iter().map(|&t| (t, 0)).collect();
    let (conc_lanes, conc_total) = lanes(&conc, &calls);
    assert_eq!(conc_total, 300.0, "the slowest call");

    let cut = concurrent(TIMEOUT);
    let threads = spawned(&cut.trace, main_thread(&cut.trace));
    let calls: Vec<_> = threads.iter().map(|&t| (t, 0)).collect();
    let (cut_lanes, cut_total) = lanes(&cut, &calls);
    assert_eq!(cut_total, 250.0, "cut off at the timeout");
    assert_eq!(cut.page.orders, Err(ContextError::DeadlineExceeded));

    Chart {
        title: "The dashboard: three service calls, one page".to_string(),
        caption: "Traces of lesson 05's solution (call_service, dashboard) under gort::sim; \
                  virtual time, exact."
            .to_string(),
        axis: Axis {
            max: 650.0,
            step: 50.0,
            unit: " ms",
            label: "virtual time (ms)".to_string(),
            slots: false,
        },
        panels: vec![
            Panel {
                title: "Sequential: one call after another, 120 + 300 + 200 = 620 ms".to_string(),
                lanes: seq_lanes,
                marks: vec![],
            },
            Panel {
                title: "Concurrent: one green thread per call, max(120, 300, 200) = 300 ms"
                    .to_string(),
                lanes: conc_lanes,
                marks: vec![],
            },
            Panel {
                title: "Concurrent under a 250 ms timeout: min(300, 250) = 250 ms".to_string(),
                lanes: cut_lanes,
                marks: vec![Mark {
                    at: ms(TIMEOUT),
                    text: "timeout 250 ms".to_string(),
                    style: Style::Cut,
                }],
            },
        ],
        legend: vec![
            (Style::Busy, "a service call that answered".to_string()),
            (Style::Cut, "a call cut off by the timeout".to_string()),
            (Style::Total, "the page, until main returns".to_string()),
        ],
    }
}

/// The figure as an SVG document.
pub fn svg() -> String {
    chart().render()
}
