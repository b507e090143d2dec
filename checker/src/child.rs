//! Running a suite binary in a child process: a wall-clock limit, capped output, no stdin.

use std::io::Read;
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
}

enum Event {
    Flood,
}

/// Runs `cmd` to its end, or kills it at `limit` or when it floods its output.
pub(crate) fn run(mut cmd: Command, limit: Duration) -> std::io::Result<Ended> {
    let start = Instant::now();
    // Its own process group, so a stop reaches whatever it started (and holds our pipes).
    let mut child = cmd
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
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
}
