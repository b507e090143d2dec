//! The suite binary's command line: `--list`, `--run NAME`, `--replay TOKEN`, or a summary;
//! `--watchdog-ms N` and `--fatal PATH` say how the runs are supervised.

use std::io::Write as _;
use std::os::fd::IntoRawFd;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

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
        crate::unwind::set_lesson(&self.lesson);
        main(self)
    }
}

/// The parsed command line.
struct Args {
    command: Command,
    results: Option<PathBuf>,
    /// The runtime's watchdog limit for every run (absent: the runtime's default).
    watchdog: Option<Duration>,
    /// Where the runtime writes a fatal record if the watchdog or a stack overflow ends a run.
    fatal: Option<PathBuf>,
}

fn main(mut suite: Suite) {
    let code = match parse(std::env::args().skip(1)) {
        Ok(args) => match supervise(&mut suite, &args) {
            Ok(()) => execute(&suite, args.command, args.results.as_deref()),
            Err(why) => {
                eprintln!("grade: {why}");
                ExitCode::from(2)
            }
        },
        Err(usage) => {
            eprintln!("{usage}");
            ExitCode::from(2)
        }
    };
    std::process::exit(if code == ExitCode::SUCCESS { 0 } else { 1 });
}

/// Puts the watchdog limit and the fatal record file into every run's `sim::Config`: the
/// suite's own, and (through the process default) those the code under test makes itself.
fn supervise(suite: &mut Suite, args: &Args) -> Result<(), String> {
    let fatal = match &args.fatal {
        // Opened once and never closed: the runtime may write to it until the process ends.
        Some(path) => Some(
            std::fs::File::create(path)
                .map_err(|e| {
                    format!("cannot create the fatal record file {}: {e}", path.display())
                })?
                .into_raw_fd(),
        ),
        None => None,
    };
    let apply = |mut config: gort::sim::Config| {
        if let Some(limit) = args.watchdog {
            config = config.with_watchdog(limit);
        }
        if let Some(fd) = fatal {
            config = config.with_fatal_record(fd);
        }
        config
    };
    apply(gort::sim::Config::default()).set_process_watchdog();
    suite.configure_runs(apply);
    Ok(())
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let usage = "usage: SUITE [--list | --run PROPERTY | --replay TOKEN | FILTER] [--results FILE] \
                 [--watchdog-ms N] [--fatal FILE]";
    let mut parsed =
        Args { command: Command::Summary(None), results: None, watchdog: None, fatal: None };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value\n{usage}"));
        match arg.as_str() {
            "--list" => parsed.command = Command::List,
            "--run" => parsed.command = Command::Run(value()?),
            "--replay" => parsed.command = Command::Replay(value()?),
            "--results" => parsed.results = Some(PathBuf::from(value()?)),
            "--watchdog-ms" => {
                let text = value()?;
                let ms = text.parse::<u64>().ok().filter(|&ms| ms > 0).ok_or_else(|| {
                    format!("--watchdog-ms needs a positive number of milliseconds, not {text:?}\n{usage}")
                })?;
                parsed.watchdog = Some(Duration::from_millis(ms));
            }
            "--fatal" => parsed.fatal = Some(PathBuf::from(value()?)),
            "--help" | "-h" => return Err(usage.to_string()),
            // libtest flags that `cargo test` may pass along: harmless here.
            s if s.starts_with("--") => {}
            filter => parsed.command = Command::Summary(Some(filter.to_string())),
        }
    }
    Ok(parsed)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(args: &[&str]) -> Result<Args, String> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn supervision_flags_are_parsed() {
        let args =
            parse_all(&["--run", "p", "--watchdog-ms", "1000", "--fatal", "/tmp/f"]).unwrap();
        assert!(matches!(args.command, Command::Run(ref name) if name == "p"));
        assert_eq!(args.watchdog, Some(Duration::from_secs(1)));
        assert_eq!(args.fatal.as_deref(), Some(Path::new("/tmp/f")));
        let plain = parse_all(&["--list"]).unwrap();
        assert_eq!((plain.watchdog, plain.fatal), (None, None));
    }

    #[test]
    fn a_watchdog_limit_must_be_a_positive_number() {
        for bad in ["0", "-5", "1s", ""] {
            let Err(err) = parse_all(&["--watchdog-ms", bad]) else { panic!("{bad:?} accepted") };
            assert!(err.contains("positive number of milliseconds"), "{err}");
        }
        let Err(err) = parse_all(&["--watchdog-ms"]) else { panic!("no value accepted") };
        assert!(err.contains("needs a value"), "{err}");
    }
}
