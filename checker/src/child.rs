//! Running a suite binary in a child process: a wall-clock limit, a memory limit, capped
//! output, no stdin, and (for graded runs) the results channel: a pipe and a per-run nonce.

use std::io::{Read, Write as _};
use std::os::fd::AsRawFd as _;
use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Bytes of each stream kept for the report.
pub(crate) const KEEP: usize = 64 * 1024;
/// Bytes over both streams after which the child is stopped.
pub(crate) const FLOOD: u64 = 8 * 1024 * 1024;

/// The default memory limit of each grading child, in MiB. Two children run at once on a
/// 2-core machine: 2 x 4 GiB leaves most of a 24 GiB machine free. Green-thread stacks are
/// reserved address space (`mmap`, counted by `RLIMIT_DATA` whether touched or not): an
/// honest 10,000-thread property maps about 32 MiB with the suites' stack sizes, and 10,000
/// threads at the runtime's default 256 KiB stack about 2.6 GiB, so 4 GiB leaves room for both.
pub(crate) const DEFAULT_MEMORY_MIB: u64 = 4096;

/// The memory limit of grading children, in MiB (`--memory`).
static MEMORY_MIB: AtomicU64 = AtomicU64::new(DEFAULT_MEMORY_MIB);

/// Sets the memory limit of the grading children started from now on, in MiB.
pub(crate) fn set_memory_mib(mib: u64) {
    MEMORY_MIB.store(mib, Relaxed);
}

/// The memory limit of grading children, in MiB.
pub(crate) fn memory_mib() -> u64 {
    MEMORY_MIB.load(Relaxed)
}

/// Bytes kept from the results channel (an outcome with a whole timeline fits many times).
const RECORD_CAP: usize = 32 * 1024 * 1024;

/// The descriptors a child finds its channel at: the harness moves them before any code under
/// test runs.
const RESULTS_FD: i32 = 3;
const NONCE_FD: i32 = 4;

/// A fresh nonce for one run: 128 bits from the standard library's per-process random keys,
/// a counter and the clock (unguessable by code that has not read it from the harness).
pub(crate) fn nonce() -> String {
    use std::hash::{BuildHasher as _, Hasher as _, RandomState};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let n = COUNT.fetch_add(1, Relaxed);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let word = |salt: u64| {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(salt);
        h.write_u64(n);
        h.write_u128(now);
        h.write_u32(std::process::id());
        h.finish()
    };
    format!("{:016x}{:016x}", word(1), word(2))
}

/// What a stream printed: the first [`KEEP`] bytes, and how much there was.
#[derive(Clone, Debug, Default)]
pub(crate) struct Captured {
    pub(crate) text: String,
    pub(crate) total: u64,
}

impl Captured {
    /// The kept text, with a note when some was dropped.
    pub(crate) fn shown(&self) -> String {
        let mut text = self.text.clone();
        if self.total > self.text.len() as u64 {
            text.push_str(&format!(
                "\n[... {} more bytes not shown]",
                self.total - self.text.len() as u64
            ));
        }
        text
    }
}

/// How the child ended.
#[derive(Debug)]
pub(crate) struct Ended {
    /// Its exit status (`None` if it could not be waited for).
    pub(crate) status: Option<ExitStatus>,
    /// Killed at the time limit.
    pub(crate) timed_out: bool,
    /// Killed for printing more than [`FLOOD`] bytes.
    pub(crate) flooded: bool,
    pub(crate) stdout: Captured,
    pub(crate) stderr: Captured,
    pub(crate) elapsed: Duration,
    /// What arrived on the results channel (`None`: no channel was asked for).
    pub(crate) record: Option<Vec<u8>>,
}

enum Event {
    Flood,
}

/// Runs `cmd` to its end, or kills it at `limit` or when it floods its output.
pub(crate) fn run(cmd: Command, limit: Duration) -> std::io::Result<Ended> {
    supervise(cmd, limit, None)
}

/// Runs a grading child: as [`run`], under the memory limit, with the results channel: the
/// nonce on a pipe at descriptor 4 (`--nonce-fd 4`), the results pipe's write end at 3
/// (`--results-fd 3`). [`Ended::record`] holds what the child wrote to it.
pub(crate) fn run_graded(cmd: Command, limit: Duration, nonce: &str) -> std::io::Result<Ended> {
    supervise(cmd, limit, Some(nonce))
}

fn supervise(mut cmd: Command, limit: Duration, nonce: Option<&str>) -> std::io::Result<Ended> {
    let start = Instant::now();
    let mut channel = None;
    if let Some(nonce) = nonce {
        let (results_read, results_write) = std::io::pipe()?;
        let (nonce_read, mut nonce_write) = std::io::pipe()?;
        nonce_write.write_all(nonce.as_bytes())?;
        drop(nonce_write);
        let (w, r) = (results_write.as_raw_fd(), nonce_read.as_raw_fd());
        let memory = memory_mib().saturating_mul(1024 * 1024);
        cmd.arg("--results-fd").arg(RESULTS_FD.to_string());
        cmd.arg("--nonce-fd").arg(NONCE_FD.to_string());
        // SAFETY: the closure runs in the forked child before exec and calls only
        // async-signal-safe functions (fcntl, dup2, close, setrlimit) on descriptors this
        // process owns until `spawn` returns (`results_write` and `nonce_read` outlive it). It
        // allocates nothing and takes no lock.
        unsafe {
            cmd.pre_exec(move || {
                let fail = || Err(std::io::Error::last_os_error());
                // Both ends above the target numbers first, so neither dup2 clobbers the other.
                let (hw, hr) =
                    (libc::fcntl(w, libc::F_DUPFD, 10), libc::fcntl(r, libc::F_DUPFD, 10));
                if hw < 0 || hr < 0 {
                    return fail();
                }
                if libc::dup2(hw, RESULTS_FD) < 0 || libc::dup2(hr, NONCE_FD) < 0 {
                    return fail();
                }
                libc::close(hw);
                libc::close(hr);
                let rlim = libc::rlimit { rlim_cur: memory, rlim_max: memory };
                if libc::setrlimit(libc::RLIMIT_DATA, &rlim) < 0 {
                    return fail();
                }
                Ok(())
            });
        }
        channel = Some((results_read, results_write, nonce_read));
    }
    // Its own process group, so a stop reaches whatever it started (and holds our pipes).
    let spawned = cmd
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    // The child has its copies: ours of the write end must go, or the reader never sees EOF.
    let record = channel.map(|(read, write, nonce_read)| {
        drop((write, nonce_read));
        record_reader(read)
    });
    let mut child = spawned?;
    let total = Arc::new(AtomicU64::new(0));
    let (tx, rx) = mpsc::channel();
    let out = reader(child.stdout.take(), total.clone(), tx.clone());
    let err = reader(child.stderr.take(), total, tx);
    let (mut timed_out, mut flooded) = (false, false);
    let status = loop {
        // The channel doubles as the poll interval: woken at once by a flood.
        if let Ok(Event::Flood) = rx.recv_timeout(Duration::from_millis(5)) {
            flooded = true;
            break kill(&mut child);
        }
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() >= limit => {
                timed_out = true;
                break kill(&mut child);
            }
            Ok(None) => {}
            Err(_) => break kill(&mut child),
        }
    };
    Ok(Ended {
        status,
        timed_out,
        flooded,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        elapsed: start.elapsed(),
        record: record.map(|r| r.join().unwrap_or_default()),
    })
}

/// Reads the results channel to its end (at most [`RECORD_CAP`] bytes kept).
fn record_reader(stream: std::io::PipeReader) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut kept = Vec::new();
        let _ = stream.take(RECORD_CAP as u64).read_to_end(&mut kept);
        kept
    })
}

fn kill(child: &mut Child) -> Option<ExitStatus> {
    // The whole group first (grandchildren would keep the pipes open), then the child.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    child.wait().ok()
}

/// Reads a stream to its end, keeping the first [`KEEP`] bytes and reporting a flood.
fn reader(
    stream: Option<impl Read + Send + 'static>,
    total: Arc<AtomicU64>,
    tx: mpsc::Sender<Event>,
) -> thread::JoinHandle<Captured> {
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut mine = 0u64;
        let Some(mut stream) = stream else { return Captured::default() };
        let mut buf = [0u8; 16 * 1024];
        let mut warned = false;
        loop {
            let n = match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            mine += n as u64;
            if kept.len() < KEEP {
                let room = KEEP - kept.len();
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
            if total.fetch_add(n as u64, Relaxed) + n as u64 > FLOOD && !warned {
                warned = true;
                let _ = tx.send(Event::Flood);
            }
        }
        Captured { text: String::from_utf8_lossy(&kept).into_owned(), total: mine }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hang_is_stopped_at_the_limit() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo started; exec sleep 30"]);
        let ended = run(cmd, Duration::from_millis(300)).unwrap();
        assert!(ended.timed_out);
        assert_eq!(ended.stdout.text, "started\n");
        assert!(ended.elapsed < Duration::from_secs(10));
    }

    #[test]
    fn a_flood_is_stopped_and_capped() {
        let mut cmd = Command::new("sh");
        // `yes` runs as a grandchild: stopping must reach it too.
        cmd.args(["-c", "yes flood; true"]);
        let ended = run(cmd, Duration::from_secs(30)).unwrap();
        assert!(ended.flooded && !ended.timed_out);
        assert_eq!(ended.stdout.text.len(), KEEP);
        assert!(ended.stdout.total > FLOOD);
        assert!(ended.stdout.shown().contains("more bytes not shown"));
    }

    #[test]
    fn the_channel_carries_the_nonce_and_the_record_only() {
        // The child reads the nonce from descriptor 4 and echoes it, framed, to descriptor 3;
        // what it writes to a results file or stdout is not the record.
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "read n <&4; printf 'got %s' \"$n\" >&3; echo forged; true"]);
        let ended = run_graded(cmd, Duration::from_secs(30), "abc123").unwrap();
        assert_eq!(ended.record.as_deref(), Some(&b"got abc123"[..]));
        assert_eq!(ended.stdout.text, "forged\n");
        assert_ne!(nonce(), nonce());
        assert_eq!(nonce().len(), 32);
    }

    #[test]
    fn a_graded_child_runs_under_the_memory_limit() {
        let mut cmd = Command::new("sh");
        // `ulimit -d` reports RLIMIT_DATA in KiB.
        cmd.args(["-c", "ulimit -d"]);
        let ended = run_graded(cmd, Duration::from_secs(30), "n").unwrap();
        assert_eq!(ended.stdout.text.trim(), (memory_mib() * 1024).to_string());
    }
}
