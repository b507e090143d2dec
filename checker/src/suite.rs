//! Running one built suite binary: list its properties, run each in its own child process
//! (the protocol's arguments: `--run`, `--watchdog-ms`, `--fatal`, and the results channel's
//! `--results-fd` and `--nonce-fd`), and collect how each ended.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use grade_wire::channel::unframe;
use grade_wire::{Kind, Outcome, PropertyInfo, Status, Verdict};

use crate::child::{self, Captured};
use crate::classify::{self, Process};

/// The watchdog's limit for graded runs, in milliseconds of wall-clock time.
const WATCHDOG_MS: u64 = 1000;

/// One property's result, with what its process printed.
#[derive(Clone, Debug)]
pub(crate) struct PropertyResult {
    pub(crate) info: PropertyInfo,
    pub(crate) outcome: Outcome,
    /// What the code printed on stdout while this property ran.
    pub(crate) output: Captured,
}

impl PropertyResult {
    pub(crate) fn passed(&self) -> bool {
        self.outcome.status == Status::Pass
    }
}

/// A scratch file for a child's results, unique to this process and call.
fn results_file(dir: &Path, tag: &str, extension: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Relaxed);
    dir.join(format!("{}-{n}-{tag}.{extension}", std::process::id()))
}

/// A built suite binary, and where it runs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Binary<'a> {
    pub(crate) exe: &'a Path,
    /// The crate it grades: the binary runs there, as under `cargo test`, so the paths the
    /// compiler recorded resolve from it or one of its parents.
    pub(crate) crate_dir: &'a Path,
    /// Where results and fatal-record files go.
    pub(crate) scratch: &'a Path,
}

impl Binary<'_> {
    fn command(&self) -> Command {
        let mut cmd = Command::new(self.exe);
        cmd.current_dir(self.crate_dir);
        cmd
    }
}

/// The suite's properties (`--list`).
pub(crate) fn list(b: Binary<'_>) -> Result<Vec<PropertyInfo>, String> {
    let file = results_file(b.scratch, "list", "json");
    let mut cmd = b.command();
    cmd.arg("--list").arg("--results").arg(&file);
    let ended = child::run(cmd, Duration::from_secs(30))
        .map_err(|e| format!("cannot run the suite {}: {e}", b.exe.display()))?;
    let text = std::fs::read_to_string(&file).map_err(|_| {
        format!(
            "the suite did not list its properties ({}):\n{}",
            classify::describe(ended.status),
            ended.stderr.shown()
        )
    })?;
    let _ = std::fs::remove_file(&file);
    serde_json::from_str(&text).map_err(|e| format!("the suite's property list is malformed: {e}"))
}

/// Runs every property, `jobs` at a time, each with `limit` of wall-clock time.
pub(crate) fn run_all(
    b: Binary<'_>,
    infos: &[PropertyInfo],
    limit: Duration,
    jobs: usize,
) -> Vec<PropertyResult> {
    let next = Mutex::new(0usize);
    let done: Mutex<Vec<Option<PropertyResult>>> = Mutex::new(vec![None; infos.len()]);
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
                    let result = run_one(b, &["--run", &info.name], info, limit);
                    done.lock().unwrap()[i] = Some(result);
                }
            });
        }
    });
    done.into_inner().unwrap().into_iter().map(|g| g.expect("every property ran")).collect()
}

/// Replays a token (`--replay`), with the whole timeline.
pub(crate) fn replay(b: Binary<'_>, token: &str, limit: Duration) -> PropertyResult {
    let name = token.split('@').next().unwrap_or(token).to_string();
    let info = PropertyInfo { name, demand: String::new(), task: 0, file: String::new(), line: 0 };
    run_one(b, &["--replay", token], &info, limit)
}

/// Runs the suite binary with `command` (`--run NAME` or `--replay TOKEN`) and the protocol's
/// options, and classifies how it ended.
fn run_one(
    b: Binary<'_>,
    command: &[&str],
    info: &PropertyInfo,
    limit: Duration,
) -> PropertyResult {
    let fatal = results_file(b.scratch, &info.name, "fatal");
    // A green thread that never yields is stopped by the runtime's watchdog after 1 s of wall
    // time (its default is 5 s): long enough for any honest step, short for a learner.
    let mut cmd = b.command();
    cmd.arg("--watchdog-ms").arg(WATCHDOG_MS.to_string()).arg("--fatal").arg(&fatal);
    cmd.args(command).env("RUST_BACKTRACE", "0");
    let _ = std::fs::remove_file(&fatal);
    // The outcome comes back on a pipe, framed with this run's nonce: no file that code under
    // test could write a pass into.
    let nonce = child::nonce();
    let outcome = match child::run_graded(cmd, limit, &nonce) {
        Ok(ended) => {
            let record = std::fs::read_to_string(&fatal).ok();
            let _ = std::fs::remove_file(&fatal);
            let text = ended.record.as_deref().map(String::from_utf8_lossy);
            let reported = text.as_deref().filter(|t| !t.is_empty()).map(|t| unframe(&nonce, t));
            let ended = Process { ended: &ended, reported, fatal: record.as_deref() };
            let outcome = classify::outcome(&info.name, &ended, limit);
            return PropertyResult {
                info: info.clone(),
                outcome,
                output: ended.ended.stdout.clone(),
            };
        }
        Err(e) => Outcome::fail(
            &info.name,
            Verdict::new(Kind::Error, format!("cannot run the suite: {e}")),
            0,
            0,
            0,
        ),
    };
    PropertyResult { info: info.clone(), outcome, output: Captured::default() }
}
