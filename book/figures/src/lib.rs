//! The book's figures, drawn as SVG from the traces of real `gort::sim` runs.
//!
//! Each figure module runs a lesson's solution (or a small program) under the deterministic
//! executor, reads the trace (time, thread, operation, object, location of every event) and
//! draws a lane chart. The output is the same, byte for byte, on every run and machine:
//! `cargo run -p book-figures` writes it to `book/src/img/`, and `tests/fresh.rs` fails when
//! the committed files differ.

#![warn(missing_docs)]

pub mod chart;
pub mod dashboard;
pub mod lost_update;
pub mod parallelism;
pub mod svg;
pub mod trace;
pub mod worker_pool;

/// Every figure: its file name in `book/src/img/` and its SVG text.
pub fn figures() -> Vec<(&'static str, String)> {
    vec![
        (dashboard::FILE, dashboard::svg()),
        (worker_pool::FILE, worker_pool::svg()),
        (lost_update::FILE, lost_update::svg()),
        (parallelism::FILE, parallelism::svg()),
    ]
}

/// Where the figures go: `book/src/img/`, found from this crate's manifest, so the result
/// does not depend on the directory `cargo run` is started from.
pub fn img_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../src/img")
}
