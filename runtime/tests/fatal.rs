//! Fatal errors that abort the process (the watchdog, stack overflow), checked in a child process.
//!
//! The watchdog is sim only (`par` warns about a held carrier instead); overflows on both.

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gort::sched::Builder;
use gort::{par, sim};

/// Set in the child process: only then do the `child_*` tests do anything.
const CHILD_ENV: &str = "GORT_FATAL_CHILD";

/// Set in the child process: the file its runs write fatal records to.
const RECORD_ENV: &str = "GORT_FATAL_RECORD_FILE";

/// How long the parent waits for a child before killing it.
const CHILD_TIMEOUT: Duration = Duration::from_secs(30);

/// SIGABRT on Linux.
const SIGABRT: i32 = 6;

fn in_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

/// What a child test process left behind.
struct ChildOutput {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    /// The fatal record it wrote, as `(key, value)` lines.
    record: Vec<(String, String)>,
}

/// In the child: a file descriptor for fatal records, open until the process ends.
fn record_fd() -> std::os::fd::RawFd {
    use std::os::fd::IntoRawFd;
    let path = std::env::var_os(RECORD_ENV).expect("set by run_child");
    std::fs::File::create(path).expect("the record file").into_raw_fd()
}

/// The value of `key` in a record, if it has that line.
fn field<'r>(record: &'r [(String, String)], key: &str) -> Option<&'r str> {
    record.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Re-runs this test binary with only the test `name`, as a child, and collects its output.
/// Fails if it takes longer than [`CHILD_TIMEOUT`].
#[track_caller]
fn run_child(name: &str) -> ChildOutput {
    let exe = std::env::current_exe().expect("the test binary's path");
    let record_file =
        std::env::temp_dir().join(format!("gort-fatal-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&record_file);
    let mut child = Command::new(exe)
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .env(RECORD_ENV, &record_file)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("could not start the child test process");
    // Each pipe is drained by its own thread, which reports when the child closes it.
    let (done_tx, done_rx) = mpsc::channel();
    let readers = [
        (0, Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>),
        (1, Box::new(child.stderr.take().unwrap())),
    ]
    .map(|(which, mut pipe)| {
        let done_tx = done_tx.clone();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            let _ = done_tx.send(which);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    });
    let deadline = Instant::now() + CHILD_TIMEOUT;
    let mut open = 2;
    while open > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        match done_rx.recv_timeout(left) {
            Ok(_) => open -= 1,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the child test {name} did not finish within {CHILD_TIMEOUT:?}");
            }
        }
    }
    let status = child.wait().expect("waiting for the child");
    let [stdout, stderr] = readers.map(|r| r.join().expect("a pipe reader panicked"));
    let text = std::fs::read_to_string(&record_file).unwrap_or_default();
    let _ = std::fs::remove_file(&record_file);
    let record = text
        .lines()
        .map(|line| match line.split_once(' ') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (line.to_string(), String::new()),
        })
        .collect();
    ChildOutput { status, stdout, stderr, record }
}

/// Asserts the child was killed by SIGABRT.
#[track_caller]
fn assert_aborted(out: &ChildOutput) {
    use std::os::unix::process::ExitStatusExt;
    let aborted = out.status.signal() == Some(SIGABRT) || out.status.code() == Some(128 + SIGABRT);
    assert!(
        aborted,
        "the child should abort, but exited with {:?}\n--- stdout:\n{}\n--- stderr:\n{}",
        out.status, out.stdout, out.stderr
    );
}

#[track_caller]
fn assert_stderr_contains(out: &ChildOutput, needles: &[&str]) {
    for needle in needles {
        assert!(
            out.stderr.contains(needle),
            "missing {needle:?} in the child's stderr:\n{}",
            out.stderr
        );
    }
}

/// Spins forever without reaching a scheduling point.
fn spin() {
    loop {
        std::hint::black_box(0u64);
    }
}

#[test]
fn child_watchdog() {
    if !in_child() {
        return;
    }
    let config = sim::Config::default()
        .with_watchdog(Duration::from_millis(300))
        .with_fatal_record(record_fd());
    let report = sim::run(&config, || {
        let h = Builder::new().name("spinner").spawn(spin).unwrap();
        h.join().unwrap();
    });
    // Unreachable if the watchdog works.
    eprintln!("the run returned instead of aborting: {report}");
}

#[test]
fn the_watchdog_aborts_a_thread_that_never_yields() {
    if in_child() {
        return;
    }
    let out = run_child("child_watchdog");
    assert_aborted(&out);
    assert_stderr_contains(
        &out,
        &[
            "fatal error: watchdog",
            "green thread #2 \"spinner\"",
            "has not reached a scheduling point",
            "spawned at ",
            file!(),
            "replay token: gort1:",
        ],
    );
    let r = &out.record;
    assert_eq!(
        r.first().map(|(k, v)| (k.as_str(), v.as_str())),
        Some(("gort-fatal", "1")),
        "{r:?}"
    );
    assert_eq!(field(r, "kind"), Some("watchdog"), "{r:?}");
    assert_eq!(field(r, "thread"), Some("2"), "{r:?}");
    assert_eq!(field(r, "name"), Some("spinner"), "{r:?}");
    assert!(field(r, "spawned").is_some_and(|s| s.starts_with(file!())), "{r:?}");
    assert_eq!(field(r, "limit_ms"), Some("300"), "{r:?}");
    assert!(field(r, "token").is_some_and(|t| t.starts_with("gort1:")), "{r:?}");
    assert_eq!(r.last().map(|(k, _)| k.as_str()), Some("end"), "{r:?}");
}

/// Recurses until the stack runs out; the array keeps every frame real.
fn recurse(depth: u64) -> u64 {
    let mut frame = [0u8; 512];
    frame[0] = depth as u8;
    std::hint::black_box(&mut frame);
    if std::hint::black_box(depth) == u64::MAX {
        return 0;
    }
    recurse(depth + 1).wrapping_add(u64::from(std::hint::black_box(&frame)[0]))
}

#[test]
fn child_stack_overflow() {
    if !in_child() {
        return;
    }
    let config = sim::Config::default().with_fatal_record(record_fd());
    let report = sim::run(&config, || {
        let h = Builder::new().name("recurse").stack_size(64 * 1024).spawn(|| recurse(0)).unwrap();
        h.join().unwrap()
    });
    // Unreachable if the overflow is caught.
    eprintln!("the run returned instead of aborting: {report}");
}

#[test]
fn a_stack_overflow_names_the_green_thread() {
    if in_child() {
        return;
    }
    let out = run_child("child_stack_overflow");
    assert_aborted(&out);
    assert_stderr_contains(
        &out,
        &[
            "fatal error: stack overflow in green thread #2 \"recurse\"",
            "65536",
            "spawned at ",
            file!(),
            "replay token: gort1:",
        ],
    );
    assert!(!out.stderr.contains("Segmentation fault"), "{}", out.stderr);
    assert!(!out.stderr.contains("has overflowed its stack"), "{}", out.stderr);
    let r = &out.record;
    assert_eq!(field(r, "kind"), Some("stack-overflow"), "{r:?}");
    assert_eq!(field(r, "thread"), Some("2"), "{r:?}");
    assert_eq!(field(r, "name"), Some("recurse"), "{r:?}");
    assert_eq!(field(r, "stack_bytes"), Some("65536"), "{r:?}");
    assert!(field(r, "token").is_some_and(|t| t.starts_with("gort1:")), "{r:?}");
    assert_eq!(r.last().map(|(k, _)| k.as_str()), Some("end"), "{r:?}");
}

#[test]
fn child_stack_overflow_on_the_parallel_executor() {
    if !in_child() {
        return;
    }
    let result = par::run(&par::Config::default().with_processors(2), || {
        let h = Builder::new().name("recurse").stack_size(64 * 1024).spawn(|| recurse(0)).unwrap();
        h.join().unwrap()
    });
    // Unreachable if the overflow is caught.
    eprintln!("the run returned instead of aborting: {result:?}");
}

#[test]
fn a_stack_overflow_on_the_parallel_executor_names_the_green_thread() {
    if in_child() {
        return;
    }
    let out = run_child("child_stack_overflow_on_the_parallel_executor");
    assert_aborted(&out);
    assert_stderr_contains(
        &out,
        &[
            "fatal error: stack overflow in green thread #2 \"recurse\"",
            "65536",
            "spawned at ",
            file!(),
        ],
    );
    assert!(!out.stderr.contains("replay token"), "{}", out.stderr);
    assert!(!out.stderr.contains("Segmentation fault"), "{}", out.stderr);
    assert!(!out.stderr.contains("has overflowed its stack"), "{}", out.stderr);
}
