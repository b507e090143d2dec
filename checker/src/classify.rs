//! How a property's process ended, turned into its outcome: the results file it wrote, the
//! runtime's fatal record (watchdog, stack overflow), or how the process itself stopped.

use std::time::Duration;

use grade_wire::{FatalKind, FatalRecord, Kind, Outcome, Verdict, tidy_path};

use crate::child::{self, Ended};

/// Everything a property's process left behind.
#[derive(Debug)]
pub(crate) struct Process<'a> {
    pub(crate) ended: &'a Ended,
    /// What arrived on the results channel, unframed with the run's nonce (an error if the
    /// record was not this run's), if anything arrived.
    pub(crate) reported: Option<Result<&'a str, String>>,
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
    let stderr = &ended.stderr.text;
    let fatal = match p.fatal.map(FatalRecord::parse) {
        Some(Ok(record)) => record,
        Some(Err(e)) if out_of_memory(stderr).is_none() => {
            return fail(Verdict::new(Kind::Crash, e.to_string()));
        }
        _ => None,
    };
    if let Some(bytes) = out_of_memory(stderr) {
        return fail(memory_verdict(bytes, fatal.as_ref()));
    }
    match &p.reported {
        Some(Ok(text)) => return reported(name, text, ended),
        Some(Err(why)) => return fail(Verdict::new(Kind::Error, why.clone())),
        None => {}
    }
    if let Some(record) = fatal {
        return fail(fatal_verdict(&record));
    }
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

/// The outcome a property's record reports, counted as a pass only if it names this property
/// and the process then exited cleanly (code 0).
fn reported(name: &str, text: &str, ended: &Ended) -> Outcome {
    let millis = ended.elapsed.as_millis() as u64;
    let fail = |v: Verdict| Outcome::fail(name, v, 0, 0, millis);
    let outcome = match serde_json::from_str::<Outcome>(text) {
        Ok(outcome) => outcome,
        Err(e) => {
            return fail(Verdict::new(
                Kind::Error,
                format!("the suite's result is malformed: {e}"),
            ));
        }
    };
    if outcome.name != name {
        return fail(Verdict::new(
            Kind::Error,
            format!("the results record is for property `{}`, not this one", outcome.name),
        ));
    }
    let clean = ended.status.is_some_and(|s| s.success()) && !ended.timed_out;
    if outcome.status == grade_wire::Status::Pass && !clean {
        return fail(Verdict::new(
            Kind::Crash,
            format!(
                "the property reported a pass, but then the process {}: a pass counts only when \
                 the process ends cleanly.{}",
                describe(ended.status),
                tail_of(&ended.stderr.text)
            ),
        ));
    }
    stacks_out_of_memory(outcome)
}

/// A run the runtime failed because no stack could be reserved under the memory limit: the
/// memory verdict, keeping the runtime's sentence (which names the thread) and the report.
fn stacks_out_of_memory(mut outcome: Outcome) -> Outcome {
    if let Some(v) = outcome.verdict.as_mut()
        && v.message.contains("bytes of address space for stacks")
    {
        let memory = memory_verdict(None, None);
        v.message = format!("{}\n    {}", memory.message, v.message);
        v.summary = memory.summary;
        v.kind = memory.kind;
        v.hint = memory.hint;
    }
    outcome
}

/// The size of the allocation that failed, if the process ran out of memory (the standard
/// library's message before it aborts, or the runtime's when it cannot reserve stacks).
fn out_of_memory(stderr: &str) -> Option<Option<u64>> {
    if let Some(rest) = stderr.split("memory allocation of ").nth(1) {
        let bytes = rest.split(' ').next().and_then(|n| n.parse().ok());
        if rest.contains("failed") {
            return Some(bytes);
        }
    }
    stderr.contains("bytes of address space for stacks").then_some(None)
}

/// The verdict for a run that hit the memory limit (`bytes`: the allocation that failed).
fn memory_verdict(bytes: Option<u64>, record: Option<&FatalRecord>) -> Verdict {
    let mut message = format!(
        "the code used more than {} MiB of memory, the limit of each graded run",
        child::memory_mib()
    );
    if let Some(n) = bytes {
        message.push_str(&format!(
            " (an allocation of {} failed)",
            if n >= 1 << 20 { format!("{} MiB", n >> 20) } else { format!("{n} bytes") }
        ));
    }
    if let Some(r) = record {
        let name = r.name.as_deref().map(|n| format!(" {n:?}")).unwrap_or_default();
        message.push_str(&format!("\n    in green thread #{}{name}", r.thread));
        if let Some(at) = r.at.as_deref() {
            message.push_str(&format!(", last scheduling point at {}", tidy_path(at)));
        }
        if let Some(s) = r.spawned.as_deref() {
            message.push_str(&format!("\n    spawned at {}", tidy_path(s)));
        }
    }
    Verdict {
        hint: "Something grows without bound: a collection that is pushed to and never drained, \
               a buffer sized from an input, an unbounded channel fed faster than it is read, or \
               green threads spawned in a loop that never ends. An instructor can raise the limit \
               with --memory MIB."
            .to_string(),
        ..Verdict::new(Kind::Memory, message)
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
            record: None,
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
    fn running_out_of_memory_is_its_own_verdict() {
        let stderr = "memory allocation of 268435456 bytes failed\n";
        let v = classify(&aborted(stderr), None).verdict.unwrap();
        assert_eq!(v.kind, Some(Kind::Memory));
        assert!(v.message.starts_with("the code used more than 4096 MiB"), "{}", v.message);
        assert!(v.message.contains("an allocation of 256 MiB failed"), "{}", v.message);
        // The runtime's record, when the abort left one, names the thread and where it was.
        let r = record(FatalKind::StackOverflow).to_string();
        let v = classify(&aborted(stderr), Some(&r)).verdict.unwrap();
        assert_eq!(v.kind, Some(Kind::Memory));
        assert!(v.message.contains("in green thread #1 \"main\", last scheduling point at exercises/01_spawn/src/lib.rs:40:5"), "{}", v.message);
    }

    fn exited(code: i32) -> Ended {
        Ended { status: Some(std::process::ExitStatus::from_raw(code << 8)), ..aborted("") }
    }

    #[test]
    fn a_pass_counts_only_from_this_run_and_a_clean_exit() {
        let pass = serde_json::to_string(&Outcome::pass("p", 1, 1, 1)).unwrap();
        let run = |ended: &Ended, reported: Option<Result<&str, String>>| {
            outcome("p", &Process { ended, reported, fatal: None }, Duration::from_secs(20))
        };
        assert!(run(&exited(0), Some(Ok(&pass))).verdict.is_none());
        // A pass, then a crash or a non-zero exit: not a pass.
        let v = run(&aborted(""), Some(Ok(&pass))).verdict.unwrap();
        assert!(
            v.message.contains("reported a pass, but then the process aborted"),
            "{}",
            v.message
        );
        assert!(run(&exited(1), Some(Ok(&pass))).verdict.is_some());
        // Another property's record, or another run's.
        let other = serde_json::to_string(&Outcome::pass("q", 1, 1, 1)).unwrap();
        assert!(run(&exited(0), Some(Ok(&other))).verdict.unwrap().message.contains("`q`"));
        let v = run(&exited(0), Some(Err("another run's nonce".into()))).verdict.unwrap();
        assert_eq!(v.kind, Some(Kind::Error));
        // Nothing on the channel and exit 0: the code exited early (what a forged results
        // file amounts to now).
        assert_eq!(run(&exited(0), None).verdict.unwrap().kind, Some(Kind::Exit));
    }

    #[test]
    fn a_stack_the_limit_refused_is_a_memory_verdict() {
        let why = "could not allocate a 262144-byte stack for green thread #9: could not reserve \
                   8388608 bytes of address space for stacks: Cannot allocate memory";
        let failed = Outcome::fail("p", Verdict::new(Kind::Crash, why), 1, 1, 1);
        let text = serde_json::to_string(&failed).unwrap();
        let ended =
            Ended { status: Some(std::process::ExitStatus::from_raw(1 << 8)), ..aborted("") };
        let o = outcome(
            "p",
            &Process { ended: &ended, reported: Some(Ok(&text)), fatal: None },
            Duration::from_secs(20),
        );
        let v = o.verdict.unwrap();
        assert_eq!(v.kind, Some(Kind::Memory));
        assert!(
            v.message.contains("used more than") && v.message.contains("green thread #9"),
            "{}",
            v.message
        );
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
