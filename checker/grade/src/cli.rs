//! The suite binary's command line: `--list`, `--run NAME`, `--replay TOKEN`, or a summary;
//! `--watchdog-ms N` and `--fatal PATH` say how the runs are supervised; `--results-fd N` and
//! `--nonce-fd N` (from the checker) are the results channel, taken before any code under
//! test runs.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::os::fd::{AsRawFd as _, FromRawFd as _, IntoRawFd, OwnedFd};
use std::path::PathBuf;
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
    /// The inherited write end of the results pipe.
    results_fd: Option<i32>,
    /// The inherited read end of the pipe holding this run's nonce.
    nonce_fd: Option<i32>,
}

/// Where results go.
enum Sink {
    /// The checker's pipe, with this run's nonce.
    Channel { pipe: File, nonce: String },
    /// A file (`--results`), written atomically.
    File(PathBuf),
    /// Standard output, for people.
    Stdout,
}

fn main(mut suite: Suite) {
    let code = match parse(std::env::args().skip(1)) {
        // The channel first: no code under test has run yet.
        Ok(args) => {
            match take_channel(&args).and_then(|sink| Ok((sink, supervise(&mut suite, &args)?))) {
                Ok((sink, ())) => execute(&suite, args.command, sink),
                Err(why) => {
                    eprintln!("grade: {why}");
                    ExitCode::from(2)
                }
            }
        }
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
        // Kept at a high descriptor: the low ones are where code under test would guess.
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| {
                format!("cannot create the fatal record file {}: {e}", path.display())
            })?;
            Some(private(file.into(), 256)?.into_raw_fd())
        }
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

/// Takes the results channel the checker passed: reads the nonce and closes its pipe, moves
/// the results pipe to a private close-on-exec descriptor and closes the inherited one, so
/// code under test cannot find either at a known number (nor pass them to a child process).
fn take_channel(args: &Args) -> Result<Sink, String> {
    let (results, nonce) = match (args.results_fd, args.nonce_fd) {
        (Some(r), Some(n)) if r > 2 && n > 2 && r != n => (r, n),
        (None, None) => {
            return Ok(args.results.clone().map_or(Sink::Stdout, Sink::File));
        }
        _ => {
            return Err(
                "--results-fd and --nonce-fd go together, each a distinct descriptor above 2"
                    .into(),
            );
        }
    };
    // SAFETY: the checker starts this process with `nonce` open (the read end of a pipe) and
    // nothing else in the process knows or uses that number, so owning (and closing) it here
    // closes no descriptor another part of the program relies on.
    let mut nonce_pipe = File::from(unsafe { OwnedFd::from_raw_fd(nonce) });
    let mut text = String::new();
    nonce_pipe
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read the run's nonce: {e}"))?;
    drop(nonce_pipe);
    // SAFETY: as for `nonce`: the write end of the results pipe, passed open by the checker and
    // used by nothing else in this process.
    let inherited = unsafe { OwnedFd::from_raw_fd(results) };
    // A high number that changes from run to run, below the usual descriptor limit of 1024.
    let lowest = 512 + (grade_wire::fnv1a(grade_wire::FNV_OFFSET, text.as_bytes()) % 256) as i32;
    let pipe = File::from(private(inherited, lowest)?);
    Ok(Sink::Channel { pipe, nonce: text.trim().to_string() })
}

/// Moves `fd` to a close-on-exec descriptor numbered `lowest` or above, closing the original.
fn private(fd: OwnedFd, lowest: i32) -> Result<OwnedFd, String> {
    // SAFETY: fcntl(F_DUPFD_CLOEXEC) reads no memory; `fd` is open for the call.
    let moved = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, lowest) };
    if moved < 0 {
        return Err(format!(
            "cannot move descriptor {} above {lowest}: {}",
            fd.as_raw_fd(),
            std::io::Error::last_os_error()
        ));
    }
    drop(fd);
    // SAFETY: `moved` was just returned by fcntl: open, and owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(moved) })
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let usage = "usage: SUITE [--list | --run PROPERTY | --replay TOKEN | FILTER] [--results FILE] \
                 [--watchdog-ms N] [--fatal FILE]";
    let mut parsed = Args {
        command: Command::Summary(None),
        results: None,
        watchdog: None,
        fatal: None,
        results_fd: None,
        nonce_fd: None,
    };
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
            "--results-fd" | "--nonce-fd" => {
                let text = value()?;
                let fd = text.parse::<i32>().ok().filter(|&fd| fd > 2).ok_or_else(|| {
                    format!("{arg} needs a descriptor number above 2, not {text:?}\n{usage}")
                })?;
                if arg == "--results-fd" {
                    parsed.results_fd = Some(fd);
                } else {
                    parsed.nonce_fd = Some(fd);
                }
            }
            "--help" | "-h" => return Err(usage.to_string()),
            // libtest flags that `cargo test` may pass along: harmless here.
            s if s.starts_with("--") => {}
            filter => parsed.command = Command::Summary(Some(filter.to_string())),
        }
    }
    Ok(parsed)
}

fn execute(suite: &Suite, command: Command, mut results: Sink) -> ExitCode {
    let results = &mut results;
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

/// Writes `value` as JSON: framed with the nonce to the checker's pipe, to a file atomically
/// (a temporary file, then a rename), or to stdout.
fn emit<T: Serialize>(value: &T, sink: &mut Sink) {
    let json = serde_json::to_string_pretty(value).expect("results serialize");
    match sink {
        Sink::Channel { pipe, nonce } => {
            let record = grade_wire::channel::frame(nonce, &json);
            if let Err(e) = pipe.write_all(record.as_bytes()) {
                eprintln!("grade: cannot write results to the checker: {e}");
                std::process::exit(3);
            }
        }
        Sink::File(path) => {
            let tmp = path.with_extension("tmp");
            let written = std::fs::write(&tmp, json).and_then(|()| std::fs::rename(&tmp, &*path));
            if let Err(e) = written {
                eprintln!("grade: cannot write results to {}: {e}", path.display());
                std::process::exit(3);
            }
        }
        Sink::Stdout => println!("{json}"),
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
    use std::path::Path;

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
    fn the_channel_needs_both_descriptors_above_the_standard_ones() {
        let args = parse_all(&["--run", "p", "--results-fd", "3", "--nonce-fd", "4"]).unwrap();
        assert_eq!((args.results_fd, args.nonce_fd), (Some(3), Some(4)));
        for bad in ["0", "2", "-1", "x"] {
            let Err(err) = parse_all(&["--results-fd", bad]) else { panic!("{bad:?} accepted") };
            assert!(err.contains("above 2"), "{err}");
        }
        let half = parse_all(&["--run", "p", "--results-fd", "3"]).unwrap();
        let Err(err) = take_channel(&half) else { panic!("half a channel accepted") };
        assert!(err.contains("go together"), "{err}");
        let none = parse_all(&["--run", "p"]).unwrap();
        assert!(matches!(take_channel(&none), Ok(Sink::Stdout)));
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
