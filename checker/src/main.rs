//! The course's checker: grades each exercise in isolation, explains failures, keeps progress.
//!
//! `cargo run -p checker` grades the lessons in order up to the first that does not pass yet;
//! `cargo run -p checker -- help` lists the commands (see `cli.rs`).

mod child;
mod classify;
mod cli;
mod commands;
mod compile;
mod derived;
mod dev;
mod exercism;
mod grading;
mod integrity;
mod manifest;
mod mutants;
mod registry;
mod render;
mod scaffold;
mod scratch;
mod screens;
mod session;
mod state;
mod suite;
mod term;
mod watch;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = <cli::Cli as clap::Parser>::parse();
    match cli.run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{} {message}", term::red("error:"));
            ExitCode::from(2)
        }
    }
}
