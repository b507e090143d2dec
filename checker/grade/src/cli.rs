//! The suite binary's command line: `--list`, `--run NAME`, `--replay TOKEN`, or a summary.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;

use crate::panics::quiet_panics;
use crate::property::Suite;
use crate::token::ReplayToken;
use crate::wire::{Kind, Outcome, Status, Verdict};

enum Command {
    List,
    Run(String),
    Replay(String),
    Summary(Option<String>),
}

impl Suite {
    /// Runs as the suite binary's `main`: see the crate docs for the command line. Exits the
    /// process with 0 when the properties run pass, 1 when one fails, 2 on a usage error.
    pub fn main(self) {
        main(self)
    }
}

fn main(suite: Suite) {
    let code = match parse(std::env::args().skip(1)) {
        Ok((command, results)) => execute(&suite, command, results.as_deref()),
        Err(usage) => {
            eprintln!("{usage}");
            ExitCode::from(2)
        }
    };
    std::process::exit(if code == ExitCode::SUCCESS { 0 } else { 1 });
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<(Command, Option<PathBuf>), String> {
    let usage = "usage: SUITE [--list | --run PROPERTY | --replay TOKEN | FILTER] [--results FILE]";
    let mut command = Command::Summary(None);
    let mut results = None;
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value\n{usage}"));
        match arg.as_str() {
            "--list" => command = Command::List,
            "--run" => command = Command::Run(value()?),
            "--replay" => command = Command::Replay(value()?),
            "--results" => results = Some(PathBuf::from(value()?)),
            "--help" | "-h" => return Err(usage.to_string()),
            // libtest flags that `cargo test` may pass along: harmless here.
            s if s.starts_with("--") => {}
            filter => command = Command::Summary(Some(filter.to_string())),
        }
    }
    Ok((command, results))
}

fn execute(suite: &Suite, command: Command, results: Option<&Path>) -> ExitCode {
    match command {
        Command::List => {
            let infos: Vec<_> = suite.properties.iter().map(|p| p.info()).collect();
            emit(&infos, results);
            ExitCode::SUCCESS
        }
        Command::Run(name) => {
            quiet_panics();
            let outcome = match suite.properties.iter().find(|p| p.info().name == name) {
                Some(p) => p.run(),
                None => unknown(suite, &name),
            };
            emit(&outcome, results);
            status_code(&outcome)
        }
        Command::Replay(text) => {
            quiet_panics();
            let outcome = match text.parse::<ReplayToken>() {
                Ok(token) => {
                    match suite.properties.iter().find(|p| p.info().name == token.property) {
                        Some(p) => p.replay(&token),
                        None => unknown(suite, &token.property),
                    }
                }
                Err(why) => Outcome::fail("replay", Verdict::new(Kind::Error, why), 0, 0, 0),
            };
            emit(&outcome, results);
            status_code(&outcome)
        }
        Command::Summary(filter) => summary(suite, filter.as_deref()),
    }
}

fn unknown(suite: &Suite, name: &str) -> Outcome {
    let names: Vec<_> = suite.properties.iter().map(|p| p.info().name).collect();
    let message =
        format!("suite {} has no property `{name}`; it has: {}", suite.lesson, names.join(", "));
    Outcome::fail(name, Verdict::new(Kind::Error, message), 0, 0, 0)
}

fn status_code(outcome: &Outcome) -> ExitCode {
    match outcome.status {
        Status::Pass => ExitCode::SUCCESS,
        Status::Fail => ExitCode::FAILURE,
    }
}

/// Writes `value` as JSON to `path` atomically (a temporary file, then a rename), or to
/// stdout without a path.
fn emit<T: Serialize>(value: &T, path: Option<&Path>) {
    let json = serde_json::to_string_pretty(value).expect("results serialize");
    match path {
        Some(path) => {
            let tmp = path.with_extension("tmp");
            let written = std::fs::write(&tmp, json).and_then(|()| std::fs::rename(&tmp, path));
            if let Err(e) = written {
                eprintln!("grade: cannot write results to {}: {e}", path.display());
                std::process::exit(3);
            }
        }
        None => println!("{json}"),
    }
}

/// Every property (or those whose name contains `filter`), one after the other, for people.
fn summary(suite: &Suite, filter: Option<&str>) -> ExitCode {
    quiet_panics();
    let chosen: Vec<_> = suite
        .properties
        .iter()
        .filter(|p| filter.is_none_or(|f| p.info().name.contains(f)))
        .collect();
    println!("suite {}: {} properties", suite.lesson, chosen.len());
    let mut failed = 0;
    for p in chosen {
        let info = p.info();
        print!("  {:<40} ", info.name);
        let _ = std::io::stdout().flush();
        let o = p.run();
        match &o.verdict {
            None => {
                println!("ok   ({} inputs, {} schedules, {} ms)", o.cases, o.schedules, o.millis)
            }
            Some(v) => {
                failed += 1;
                println!("FAIL ({} ms)", o.millis);
                println!("    demand: {}", info.demand);
                for line in v.to_string().lines() {
                    println!("    {line}");
                }
            }
        }
    }
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
