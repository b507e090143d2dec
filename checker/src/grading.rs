//! Grading one built suite: list its properties, run each in its own child process, and turn
//! how each process ended into a verdict.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use grade_wire::{Kind, Outcome, PropertyInfo, Status, Verdict};

use crate::child::{self, Captured, Ended};

/// One property's grade, with what its process printed.
#[derive(Clone, Debug)]
pub(crate) struct Graded {
    pub(crate) info: PropertyInfo,
    pub(crate) outcome: Outcome,
    /// What the code printed on stdout while this property ran.
    pub(crate) output: Captured,
}

impl Graded {
    pub(crate) fn passed(&self) -> bool {
        self.outcome.status == Status::Pass
    }
}

/// A scratch file for a child's results, unique to this process and call.
fn results_file(dir: &Path, tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Relaxed);
    dir.join(format!("{}-{n}-{tag}.json", std::process::id()))
}

/// The suite's properties (`--list`).
pub(crate) fn list(exe: &Path, scratch: &Path) -> Result<Vec<PropertyInfo>, String> {
    let file = results_file(scratch, "list");
    let mut cmd = Command::new(exe);
    cmd.arg("--list").arg("--results").arg(&file);
    let ended = child::run(cmd, Duration::from_secs(30))
        .map_err(|e| format!("cannot run the suite {}: {e}", exe.display()))?;
    let text = std::fs::read_to_string(&file).map_err(|_| {
        format!(
            "the suite did not list its properties ({}):\n{}",
            describe(ended.status),
            ended.stderr.shown()
        )
    })?;
    let _ = std::fs::remove_file(&file);
    serde_json::from_str(&text).map_err(|e| format!("the suite's property list is malformed: {e}"))
}

/// Runs every property, `jobs` at a time, each with `limit` of wall-clock time.
pub(crate) fn run_all(
    exe: &Path,
    scratch: &Path,
    infos: &[PropertyInfo],
    limit: Duration,
    jobs: usize,
) -> Vec<Graded> {
    let next = Mutex::new(0usize);
    let done: Mutex<Vec<Option<Graded>>> = Mutex::new(vec![None; infos.len()]);
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, infos.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(info) = infos.get(i) else { break };
                    let mut cmd = Command::new(exe);
                    cmd.arg("--run").arg(&info.name);
                    let graded = run_one(cmd, scratch, info, limit);
                    done.lock().unwrap()[i] = Some(graded);
                }
            });
        }
    });
    done.into_inner().unwrap().into_iter().map(|g| g.expect("every property ran")).collect()
}

/// Replays a token (`--replay`), with the whole timeline.
pub(crate) fn replay(exe: &Path, scratch: &Path, token: &str, limit: Duration) -> Graded {
    let name = token.split('@').next().unwrap_or(token).to_string();
    let info = PropertyInfo { name, demand: String::new(), task: 0, file: String::new(), line: 0 };
    let mut cmd = Command::new(exe);
    cmd.arg("--replay").arg(token);
    run_one(cmd, scratch, &info, limit)
}

fn run_one(mut cmd: Command, scratch: &Path, info: &PropertyInfo, limit: Duration) -> Graded {
    let file = results_file(scratch, &info.name);
    // A green thread that never yields is stopped by the runtime's watchdog after 1 s of wall
    // time (its default is 5 s): long enough for any honest step, short for a learner.
    cmd.arg("--results").arg(&file).env("RUST_BACKTRACE", "0").env("GORT_WATCHDOG_MS", "1000");
    let outcome = match child::run(cmd, limit) {
        Ok(ended) => {
            let reported = std::fs::read_to_string(&file).ok();
            let _ = std::fs::remove_file(&file);
            let outcome = classify(&info.name, &ended, reported.as_deref(), limit);
            return Graded { info: info.clone(), outcome, output: ended.stdout };
        }
        Err(e) => Outcome::fail(
            &info.name,
            Verdict::new(Kind::Error, format!("cannot run the suite: {e}")),
            0,
            0,
            0,
        ),
    };
    Graded { info: info.clone(), outcome, output: Captured::default() }
}

/// Turns how a property's process ended into its outcome.
pub(crate) fn classify(
    name: &str,
    ended: &Ended,
    reported: Option<&str>,
    limit: Duration,
) -> Outcome {
    let millis = ended.elapsed.as_millis() as u64;
    let fail = |v: Verdict| Outcome::fail(name, v, 0, 0, millis);
    let total_mib = (ended.stdout.total + ended.stderr.total) as f64 / (1024.0 * 1024.0);
    if ended.flooded {
        return fail(Verdict::new(
            Kind::OutputLimit,
            format!(
                "the code printed more than {} MiB ({total_mib:.1} MiB before it was stopped), so the checker stopped it.\n\
                 Printing inside a loop that runs many times (or forever)? The first lines are under `output`.",
                child::FLOOD / (1024 * 1024)
            ),
        ));
    }
    if let Some(text) = reported {
        return match serde_json::from_str::<Outcome>(text) {
            Ok(outcome) => outcome,
            Err(e) => {
                fail(Verdict::new(Kind::Error, format!("the suite's result is malformed: {e}")))
            }
        };
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
    // The runtime's watchdog and overflow handler print their own report and hint; its
    // `replay token:` line is the runtime's, not one `checker replay` takes, so it goes.
    for (marker, kind) in [
        ("fatal error: watchdog", Kind::NoYield),
        ("fatal error: stack overflow", Kind::StackOverflow),
    ] {
        if let Some(at) = stderr.find(marker) {
            let text: Vec<&str> =
                stderr[at..].lines().filter(|l| !l.starts_with("replay token:")).collect();
            return fail(Verdict::new(kind, text.join("\n").trim_end()));
        }
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

fn describe(status: Option<std::process::ExitStatus>) -> String {
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
