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
    quiet_on_broken_pipe();
    let cli = <cli::Cli as clap::Parser>::parse();
    match cli.run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{} {message}", term::red("error:"));
            ExitCode::from(2)
        }
    }
}

/// Exit status of a Unix tool killed by SIGPIPE (128 + 13), which shells report for `head`'s
/// writers.
const BROKEN_PIPE_EXIT: i32 = 141;

/// Makes a closed stdout (`checker list | head`) end the process quietly, as Unix tools do,
/// instead of panicking with "failed printing to stdout: Broken pipe". Every other panic is
/// reported as before.
fn quiet_on_broken_pipe() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let text = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if text.contains("failed printing to stdout") && text.contains("Broken pipe") {
            std::process::exit(BROKEN_PIPE_EXIT);
        }
        previous(info);
    }));
}
