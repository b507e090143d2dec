//! The course's checker: grades each exercise in isolation, explains failures, keeps progress.
//!
//! `cargo run -p checker` grades the lessons in order up to the first that does not pass yet;
//! `cargo run -p checker -- help` lists the commands.

mod child;
mod classify;
mod commands;
mod compile;
mod dev;
mod exercism;
mod grading;
mod integrity;
mod mutants;
mod registry;
mod render;
mod scaffold;
mod scratch;
mod state;
mod suite;
mod term;
mod watch;

use std::process::ExitCode;

const HELP: &str = "\
The course checker: grades your exercises with property tests on a deterministic scheduler.

usage: cargo run -p checker -- [COMMAND]

  (no command)              grade the lessons in order up to the first that does not pass yet,
                            show your progress and what to do next
  list                      every lesson and its state
  check [LESSON | --all]    grade one lesson (default: the current one) or all of them
        [--json]            ... and print the results in the Exercism test-runner format (v3)
  hint LESSON               show the next hint of a lesson (one more level each time)
  watch [--manual]          regrade the current lesson whenever you save (--manual: on Enter)
  replay LESSON TOKEN       run one failing schedule again, with the whole timeline
  reset LESSON [--yes]      restore a lesson's original stub (your file is backed up first)
  solution LESSON           show the reference solution of a lesson you have passed

instructors:
  dev check                 every stub fails, every solution passes, every mutant is caught,
                            suites are single-sourced, hints and chapters are in place
  dev new NN_topic          scaffold a lesson: registry entry, crates, suite, chapter
  dev sums                  record the suites' checksums after editing a suite on purpose
  dev try LESSON FILE...    grade each FILE as the lesson's lib.rs (a .patch: applied to the
        [--suite FILE.rs]   solution) in scratch copies; --suite: with another suite file;
        [--json]            --json: Exercism results (the checker's own tests use these)

LESSON is a name such as 03_channels (or just channels).";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match commands::dispatch(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{} {message}", term::red("error:"));
            ExitCode::from(2)
        }
    }
}
