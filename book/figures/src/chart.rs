//! Lane charts: panels of labelled lanes with bars on a shared axis, a legend, tooltips.

use crate::svg::{Font, Paint, Svg, text_width};

/// Width of every figure in px: the width of mdBook's content column.
pub const WIDTH: f64 = 750.0;
const LEFT: f64 = 118.0; // lane labels sit left of this
const RIGHT: f64 = 24.0;
const LANE_H: f64 = 26.0;
const BAR_H: f64 = 18.0;
const PANEL_TITLE_H: f64 = 22.0;
const PANEL_GAP: f64 = 14.0;
const INK: &str = "#1f1f1f";
const MUTED: &str = "#555555";
const GRID: &str = "#e6e6e6";

/// What a bar or a mark means; each style has one look, and the legend names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// A thread doing the thing the figure is about (a call, a job, CPU work).
    Busy,
    /// A thread sleeping: waiting for time to pass without needing a processor.
    Sleeping,
    /// A thread that is ready but waiting for a processor, or waiting on another thread.
    Waiting,
    /// A call cut off by a deadline before it answered.
    Cut,
    /// The whole request or program, start to end.
    Total,
    /// A read of shared state.
    Load,
    /// A write of shared state that survives.
    Store,
    /// A write that a later write overwrites: its update is lost.
    Lost,
    /// A write computed from a stale read: it overwrites another thread's update.
    Stale,
    /// A neutral value cell (a counter's value after each step).
    Value,
}

impl Style {
    /// The fill and outline of a bar in this style.
    pub fn paint(self) -> Paint {
        let plain =
            |fill| Paint { fill, stroke: Some("#ffffff"), stroke_width: 1.0, dashed: false };
        match self {
            Style::Busy | Style::Store => plain("#0b6aa8"),
            Style::Sleeping => plain("#9ccbee"),
            Style::Waiting => {
                Paint { fill: "#ededed", stroke: Some("#9a9a9a"), stroke_width: 1.0, dashed: true }
            }
            Style::Cut => {
                Paint { fill: "#fbe2d2", stroke: Some("#c64f00"), stroke_width: 1.5, dashed: true }
            }
            Style::Total => plain("#4d4d4d"),
            Style::Load => plain("#9ccbee"),
            Style::Lost => {
                Paint { fill: "#c64f00", stroke: Some("#6b2a00"), stroke_width: 2.0, dashed: false }
            }
            Style::Stale => {
                Paint { fill: "#e8a33a", stroke: Some("#6b4400"), stroke_width: 1.0, dashed: false }
            }
            Style::Value => {
                Paint { fill: "#f6f6f6", stroke: Some("#c8c8c8"), stroke_width: 1.0, dashed: false }
            }
        }
    }

    /// The colour of text set on a bar in this style (chosen for contrast with the fill).
    pub fn ink(self) -> &'static str {
        match self {
            Style::Busy | Style::Store | Style::Total | Style::Lost => "#ffffff",
            Style::Cut => "#7a3000",
            Style::Stale => "#2b1b00",
            Style::Sleeping | Style::Load => "#0c2f4a",
            Style::Waiting | Style::Value => "#333333",
        }
    }
}

/// The horizontal axis: from 0 to `max`, a tick every `step`, each tick labelled with its
/// value and `unit`.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The right end of the axis.
    pub max: f64,
    /// Distance between ticks.
    pub step: f64,
    /// Printed after each tick's number ("ms"), or empty.
    pub unit: &'static str,
    /// Printed under the ticks.
    pub label: String,
    /// Whether ticks sit between slots (a discrete axis: tick `n` labels slot `n-1..n`)
    /// rather than on points in time.
    pub slots: bool,
}

/// One bar on a lane: from `start` to `end` in axis units.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// Where it starts.
    pub start: f64,
    /// Where it ends.
    pub end: f64,
    /// What it means.
    pub style: Style,
    /// The text on (or beside) the bar; may be empty.
    pub text: String,
    /// A shorter text, used when `text` does not fit; may be empty.
    pub short: String,
    /// The tooltip: what the trace says about this bar.
    pub tooltip: String,
}

/// One row of a panel: a thread, a service, a worker.
#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    /// The label left of the lane.
    pub label: String,
    /// The label's tooltip (the thread's id and spawn site, say).
    pub tooltip: String,
    /// Its bars, in any order.
    pub bars: Vec<Bar>,
}

/// A vertical line across one panel, labelled at its top: a deadline, a makespan.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// Where it stands on the axis.
    pub at: f64,
    /// Its label.
    pub text: String,
    /// Its colour and dash: [`Style::Cut`] draws a dashed deadline, anything else a solid line.
    pub style: Style,
}

/// A group of lanes under a title, sharing the figure's axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// Printed above the lanes.
    pub title: String,
    /// The lanes, top to bottom.
    pub lanes: Vec<Lane>,
    /// Vertical lines across this panel.
    pub marks: Vec<Mark>,
}

/// A whole figure: a title, a one-line caption, panels, an axis and a legend.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// The headline, also the document's `<title>`.
    pub title: String,
    /// One line under the title: where the data comes from.
    pub caption: String,
    /// The shared horizontal axis.
    pub axis: Axis,
    /// The panels, top to bottom.
    pub panels: Vec<Panel>,
    /// The legend: each style used, and what it means here.
    pub legend: Vec<(Style, String)>,
}

impl Chart {
    /// Draws the chart as an SVG document [`WIDTH`] px wide.
    pub fn render(&self) -> String {
        let plot_w = WIDTH - LEFT - RIGHT;
        let x_of = |v: f64| LEFT + v / self.axis.max * plot_w;
        let top = 58.0;
        let panels_h: f64 = self
            .panels
            .iter()
            .map(|p| PANEL_TITLE_H + LANE_H * p.lanes.len() as f64 + PANEL_GAP)
            .sum();
        let axis_y = top + panels_h - PANEL_GAP + 6.0;
        let legend_rows = self.legend_rows(WIDTH - 2.0 * 16.0);
        let height = axis_y + 44.0 + 22.0 * legend_rows.len() as f64 + 8.0;
        let mut svg = Svg::new(WIDTH, height, &self.title);

        svg.text(16.0, 26.0, &self.title, Font::new(17.0, INK).bold(), "");
        svg.text(16.0, 45.0, &self.caption, Font::new(12.5, MUTED), "");

        // Grid lines and ticks first, so bars paint over them.
        let ticks = (self.axis.max / self.axis.step).round() as usize;
        for i in 0..=ticks {
            let v = i as f64 * self.axis.step;
            let x = x_of(v);
            svg.line((x, axis_y), (x, axis_y + 5.0), MUTED, 1.0, "");
            if self.axis.slots {
                if i > 0 {
                    let mid = x_of(v - self.axis.step / 2.0);
                    let label = format!("{}", i);
                    svg.text(
                        mid,
                        axis_y + 17.0,
                        &label,
                        Font::new(11.5, MUTED).anchored("middle"),
                        "",
                    );
                }
            } else {
                let label = format!("{}{}", trim(v), if i == ticks { self.axis.unit } else { "" });
                svg.text(x, axis_y + 17.0, &label, Font::new(11.5, MUTED).anchored("middle"), "");
            }
        }
        svg.line((LEFT, axis_y), (LEFT + plot_w, axis_y), MUTED, 1.0, "");
        let label_font = Font::new(12.0, INK).anchored("middle");
        svg.text(LEFT + plot_w / 2.0, axis_y + 35.0, &self.axis.label, label_font, "");

        let mut y = top;
        for panel in &self.panels {
            svg.text(16.0, y + 15.0, &panel.title, Font::new(13.0, INK).bold(), "");
            y += PANEL_TITLE_H;
            let panel_top = y;
            let panel_bottom = y + LANE_H * panel.lanes.len() as f64;
            for i in 0..=ticks {
                let x = x_of(i as f64 * self.axis.step);
                let bottom = if std::ptr::eq(panel, self.panels.last().expect("a panel")) {
                    axis_y
                } else {
                    panel_bottom + 2.0
                };
                svg.line((x, panel_top - 2.0), (x, bottom), GRID, 1.0, "");
            }
            for lane in &panel.lanes {
                svg.text(
                    LEFT - 8.0,
                    y + LANE_H / 2.0 + 4.5,
                    &lane.label,
                    Font::new(12.5, INK).anchored("end"),
                    &lane.tooltip,
                );
                let mut bars: Vec<&Bar> = lane.bars.iter().collect();
                bars.sort_by(|a, b| a.start.total_cmp(&b.start));
                for (i, bar) in bars.iter().enumerate() {
                    let (x0, x1) = (x_of(bar.start), x_of(bar.end));
                    let by = y + (LANE_H - BAR_H) / 2.0;
                    svg.rect(x0, by, x1 - x0, BAR_H, bar.style.paint(), &bar.tooltip);
                    if bar.text.is_empty() {
                        continue;
                    }
                    let inside = Font::new(11.5, bar.style.ink()).anchored("middle");
                    let beside = Font::new(11.5, INK);
                    let room_after =
                        bars.get(i + 1).map_or(LEFT + plot_w, |next| x_of(next.start)) - x1;
                    let fits = |text: &str| text_width(text, inside) + 6.0 <= x1 - x0;
                    if fits(&bar.text) {
                        svg.text((x0 + x1) / 2.0, by + 13.0, &bar.text, inside, &bar.tooltip);
                    } else if !bar.short.is_empty() && fits(&bar.short) {
                        svg.text((x0 + x1) / 2.0, by + 13.0, &bar.short, inside, &bar.tooltip);
                    } else if text_width(&bar.text, beside) + 8.0 <= room_after {
                        svg.text(x1 + 4.0, by + 13.0, &bar.text, beside, &bar.tooltip);
                    }
                }
                y += LANE_H;
            }
            for mark in &panel.marks {
                let x = x_of(mark.at);
                let (colour, dash) = match mark.style {
                    Style::Cut => ("#c64f00", "5 3"),
                    _ => (INK, ""),
                };
                svg.line((x, panel_top - 2.0), (x, y + 2.0), colour, 1.5, dash);
                let font = Font::new(11.5, colour).bold();
                // The label goes right of the line, in the first lane where no bar is in its
                // way; above the panel if there is none.
                let (from, to) = (x + 4.0, x + 4.0 + text_width(&mark.text, font));
                let free = panel.lanes.iter().position(|lane| {
                    to <= WIDTH - 4.0
                        && lane
                            .bars
                            .iter()
                            .all(|b| x_of(b.end) <= from - 2.0 || x_of(b.start) >= to + 2.0)
                });
                match free {
                    Some(k) => {
                        let ly = panel_top + LANE_H * k as f64 + LANE_H / 2.0 + 4.0;
                        svg.text(from, ly, &mark.text, font, "");
                    }
                    None => {
                        svg.text(x - 4.0, panel_top - 6.0, &mark.text, font.anchored("end"), "")
                    }
                }
            }
            y += PANEL_GAP;
        }

        let mut ly = axis_y + 58.0;
        for row in legend_rows {
            let mut x = 16.0;
            for (style, text) in row {
                svg.rect(x, ly - 11.0, 22.0, 13.0, style.paint(), "");
                svg.text(x + 28.0, ly, text, Font::new(12.0, INK), "");
                x += legend_width(text);
            }
            ly += 22.0;
        }
        svg.finish()
    }

    /// The legend entries split into rows that fit `width` px.
    fn legend_rows(&self, width: f64) -> Vec<Vec<(Style, &str)>> {
        let mut rows: Vec<Vec<(Style, &str)>> = vec![];
        let mut used = f64::INFINITY;
        for (style, text) in &self.legend {
            let w = legend_width(text);
            if used + w > width {
                rows.push(vec![]);
                used = 0.0;
            }
            rows.last_mut().expect("a row was pushed").push((*style, text));
            used += w;
        }
        rows
    }
}

/// The width of a legend entry: swatch, text, gap. Tighter than [`text_width`], which errs
/// on the wide side so that bar labels never overflow.
fn legend_width(text: &str) -> f64 {
    28.0 + text.chars().count() as f64 * 12.0 * 0.5 + 22.0
}

/// A number as a tick label: no trailing `.0`.
fn trim(v: f64) -> String {
    crate::svg::num(v)
}
