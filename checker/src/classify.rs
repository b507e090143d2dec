//! How a property's process ended, turned into its outcome: the results file it wrote, the
//! runtime's fatal record (watchdog, stack overflow), or how the process itself stopped.

use std::time::Duration;

use grade_wire::{FatalKind, FatalRecord, Kind, Outcome, Verdict, tidy_path};

use crate::child::{self, Ended};

/// Everything a property's process left behind.
#[derive(Debug)]
pub(crate) struct Process<'a> {
    pub(crate) ended: &'a Ended,
    /// The results file (`--results`), if it was written.
    pub(crate) reported: Option<&'a str>,
    /// The fatal record file (`--fatal`), if it exists.
    pub(crate) fatal: Option<&'a str>,
}

const NO_YIELD_HINT: &str = "A green thread gives up its processor only at a runtime operation \
    (a channel send or receive, join, time::sleep, yield_now). A loop that never calls one, \
    std::thread::sleep, or a std Mutex held while another green thread needs it stops every \
    other thread. Add a scheduling point to the loop, or use gort's time and sync instead of std's.";

const OVERFLOW_HINT: &str = "Deep or unbounded recursion? Make it iterative, or give this thread \
    a bigger stack with sched::Builder::stack_size (or sim::Config::with_stack_size).";

/// The verdict for a run the runtime ended, from its fatal record.
pub(crate) fn fatal_verdict(r: &FatalRecord) -> Verdict {
    let mut thread = format!("green thread #{}", r.thread);
    if let Some(name) = &r.name {
        thread.push_str(&format!(" {name:?}"));
    }
    let spawned = r.spawned.as_deref().map(|s| format!("\n    spawned at {}", tidy_path(s)));
    let (kind, mut message, hint) = match &r.kind {
        FatalKind::Watchdog => {
            let limit = match r.limit_ms {
                Some(ms) if ms % 1000 == 0 => format!(" for {} s", ms / 1000),
                Some(ms) => format!(" for {ms} ms"),
                None => String::new(),
            };
            let mut text = format!("{thread} has not reached a scheduling point{limit}");
            if let Some(at) = &r.at {
                text.push_str(&format!("\n    its last scheduling point was at {}", tidy_path(at)));
            }
            (Kind::NoYield, text, NO_YIELD_HINT)
        }
        FatalKind::StackOverflow => {
            let size = r.stack_bytes.map(|n| format!(" of {n} bytes")).unwrap_or_default();
            (Kind::StackOverflow, format!("{thread} overflowed its stack{size}"), OVERFLOW_HINT)
        }
        FatalKind::Other(what) => (Kind::Crash, format!("{thread} was stopped: {what}"), ""),
    };
    message.push_str(&spawned.unwrap_or_default());
    Verdict { hint: hint.to_string(), ..Verdict::new(kind, message) }
}

/// Turns how a property's process ended into its outcome.
pub(crate) fn outcome(name: &str, p: &Process<'_>, limit: Duration) -> Outcome {
    let ended = p.ended;
    let millis = ended.elapsed.as_millis() as u64;
    let fail = |v: Verdict| Outcome::fail(name, v, 0, 0, millis);
    let total_mib = (ended.stdout.total + ended.stderr.total) as f64 / (1024.0 * 1024.0);
    if ended.flooded {
        return fail(Verdict::new(
            Kind::OutputLimit,
            format!(
                "the code printed more than {} MiB ({total_mib:.1} MiB before it was stopped), so the checker stopped it.\n\
                 Printing inside a loop that runs many times (or forever)? The first lines are below, under \"your code printed\".",
                child::FLOOD / (1024 * 1024)
            ),
        ));
    }
    if let Some(text) = p.reported {
        return match serde_json::from_str::<Outcome>(text) {
            Ok(outcome) => outcome,
            Err(e) => {
                fail(Verdict::new(Kind::Error, format!("the suite's result is malformed: {e}")))
            }
        };
    }
    match p.fatal.map(FatalRecord::parse) {
        Some(Ok(Some(record))) => return fail(fatal_verdict(&record)),
        Some(Err(e)) => return fail(Verdict::new(Kind::Crash, e.to_string())),
        Some(Ok(None)) | None => {}
    }
    let stderr = &ended.stderr.text;
    if ended.timed_out {
        return fail(Verdict::new(
            Kind::Timeout,
            format!(
                "still running after {} s of wall-clock time, so the checker stopped it.\n\
                 Green threads kept yielding without finishing (an endless loop around a channel \
                 operation or yield_now?), or the work is far larger than the inputs need.",
                limit.as_secs()
            ),
        ));
    }
    match ended.status {
        Some(status) if status.code().is_some() => fail(Verdict::new(
            Kind::Exit,
            format!(
                "the process exited with code {} before the property reported.\n\
                 Does the code call std::process::exit? Return a value instead: exiting ends the \
                 whole program, tests included.{}",
                status.code().unwrap_or_default(),
                tail_of(stderr)
            ),
        )),
        status => fail(Verdict::new(
            Kind::Crash,
            format!(
                "the process {} before the property reported.{}",
                describe(status),
                tail_of(stderr)
            ),
        )),
    }
}

fn tail_of(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().rev().take(12).collect();
    if lines.is_empty() {
        return String::new();
    }
    let tail: Vec<&str> = lines.into_iter().rev().collect();
    format!("\nIts last words on stderr:\n{}", tail.join("\n"))
}

pub(crate) fn describe(status: Option<std::process::ExitStatus>) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Some(s) if s.code().is_some() => {
            format!("exited with code {}", s.code().unwrap_or_default())
        }
        Some(s) => match s.signal() {
            Some(6) => "aborted (SIGABRT)".into(),
            Some(9) => "was killed (SIGKILL; out of memory?)".into(),
            Some(11) => "crashed with a segmentation fault (SIGSEGV)".into(),
            Some(n) => format!("was killed by signal {n}"),
            None => "ended".into(),
        },
        None => "could not be waited for".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::child::Captured;
    use std::os::unix::process::ExitStatusExt as _;

    /// A process killed by SIGABRT (what the runtime does after writing its record), with
    /// `stderr`.
    fn aborted(stderr: &str) -> Ended {
        Ended {
            status: Some(std::process::ExitStatus::from_raw(6)),
            timed_out: false,
            flooded: false,
            stdout: Captured::default(),
            stderr: Captured { text: stderr.to_string(), total: stderr.len() as u64 },
            elapsed: Duration::from_millis(1200),
        }
    }

    fn classify(ended: &Ended, fatal: Option<&str>) -> Outcome {
        outcome("p", &Process { ended, reported: None, fatal }, Duration::from_secs(20))
    }

    #[test]
    fn the_fatal_record_decides_the_verdict() {
        let record = record(FatalKind::StackOverflow).to_string();
        let o = classify(&aborted("whatever the runtime printed"), Some(&record));
        assert_eq!(o.verdict.unwrap().kind, Some(Kind::StackOverflow));
        let o = classify(&aborted(""), Some("gort-fatal 1\nkind watchdog\n"));
        let v = o.verdict.unwrap();
        assert_eq!(v.kind, Some(Kind::Crash));
        assert!(v.message.contains("no `end` line"), "{}", v.message);
    }

    #[test]
    fn an_empty_record_is_no_record() {
        let o = classify(&aborted(""), Some(""));
        let v = o.verdict.unwrap();
        assert_eq!(v.kind, Some(Kind::Crash));
        assert!(v.message.contains("aborted (SIGABRT)"), "{}", v.message);
    }

    fn record(kind: FatalKind) -> FatalRecord {
        FatalRecord {
            kind,
            thread: 1,
            name: Some("main".into()),
            spawned: Some("exercises/01_spawn/../../checker/suites/01_spawn.rs:175:29".into()),
            at: Some("exercises/01_spawn/src/lib.rs:40:5".into()),
            limit_ms: Some(1000),
            stack_bytes: None,
            token: None,
        }
    }

    #[test]
    fn a_watchdog_record_reads_as_never_yields() {
        let v = fatal_verdict(&record(FatalKind::Watchdog));
        assert_eq!(v.kind, Some(Kind::NoYield));
        assert_eq!(
            v.message,
            "green thread #1 \"main\" has not reached a scheduling point for 1 s\n    \
             its last scheduling point was at exercises/01_spawn/src/lib.rs:40:5\n    \
             spawned at checker/suites/01_spawn.rs:175:29"
        );
        assert!(v.hint.contains("scheduling point"));
    }

    #[test]
    fn an_overflow_record_reads_as_stack_overflow() {
        let r =
            FatalRecord { stack_bytes: Some(16384), at: None, ..record(FatalKind::StackOverflow) };
        let v = fatal_verdict(&r);
        assert_eq!(v.kind, Some(Kind::StackOverflow));
        assert!(v.summary.ends_with("overflowed its stack of 16384 bytes"), "{}", v.summary);
    }
}
