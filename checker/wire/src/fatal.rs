//! The runtime's fatal record: what ended a run that could not report for itself.
//!
//! When a run is stopped by the runtime's watchdog (a green thread that never reaches a
//! scheduling point) or by a stack overflow, the process cannot unwind to write its
//! [`Outcome`](crate::Outcome). Besides its report for people on stderr, the runtime writes
//! this record to the file the harness was given with `--fatal PATH`:
//!
//! ```text
//! gort-fatal 1
//! kind watchdog|stack-overflow
//! thread <decimal id>
//! name <thread name>                 (only if the thread has a name)
//! spawned <file>:<line>:<col>        (only if known)
//! at <file>:<line>:<col>             (watchdog: the last scheduling point, if known)
//! limit_ms <n>                       (watchdog only)
//! stack_bytes <n>                    (stack-overflow only)
//! token <replay token>               (only if known)
//! end
//! ```
//!
//! One `key value` per line; values never hold a newline. Readers ignore keys they do not
//! know, so the runtime may add some.

use std::fmt;

/// What ended the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FatalKind {
    /// A green thread did not reach a scheduling point within the watchdog's limit.
    Watchdog,
    /// A green thread ran past the end of its stack.
    StackOverflow,
    /// A kind this reader does not know (a newer runtime), as written.
    Other(String),
}

/// A parsed fatal record.
///
/// # Examples
///
/// ```
/// use grade_wire::{FatalKind, FatalRecord};
///
/// let text = "gort-fatal 1\nkind watchdog\nthread 1\nname main\nlimit_ms 1000\nend\n";
/// let record = FatalRecord::parse(text).unwrap().unwrap();
/// assert_eq!(record.kind, FatalKind::Watchdog);
/// assert_eq!((record.thread, record.name.as_deref()), (1, Some("main")));
/// assert_eq!(record.limit_ms, Some(1000));
/// assert_eq!(FatalRecord::parse("").unwrap(), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FatalRecord {
    /// What ended the run.
    pub kind: FatalKind,
    /// The green thread's id (`#N` in the runtime's reports).
    pub thread: u64,
    /// The thread's name, if it has one.
    pub name: Option<String>,
    /// Where the thread was spawned, `file:line:col`.
    pub spawned: Option<String>,
    /// Watchdog: the thread's last scheduling point, `file:line:col`.
    pub at: Option<String>,
    /// Watchdog: its limit, in milliseconds.
    pub limit_ms: Option<u64>,
    /// Stack overflow: the size of the thread's stack.
    pub stack_bytes: Option<u64>,
    /// The runtime's replay token of the run.
    pub token: Option<String>,
}

/// Why a record could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FatalError(String);

impl fmt::Display for FatalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the runtime's fatal record is malformed: {}", self.0)
    }
}

impl std::error::Error for FatalError {}

impl FatalRecord {
    /// Parses the first record in `text`: `Ok(None)` if there is none (an empty file: the
    /// run was not ended by the runtime). Never panics.
    ///
    /// # Errors
    ///
    /// A header of another version, a missing `kind` or `thread`, a number that does not
    /// parse, or no `end` line (the process died while writing).
    pub fn parse(text: &str) -> Result<Option<FatalRecord>, FatalError> {
        let mut lines = text.lines().map(str::trim_end).skip_while(|l| l.is_empty());
        let Some(header) = lines.next() else { return Ok(None) };
        match header.strip_prefix("gort-fatal ") {
            Some("1") => {}
            Some(v) => return Err(FatalError(format!("version {v}; this reader knows 1"))),
            None => return Err(FatalError(format!("it starts with `{header}`"))),
        }
        let number = |key: &str, v: &str| {
            v.parse::<u64>().map_err(|_| FatalError(format!("`{key}` is not a number: `{v}`")))
        };
        let (mut kind, mut thread, mut ended) = (None, None, false);
        let mut r = FatalRecord {
            kind: FatalKind::Watchdog,
            thread: 0,
            name: None,
            spawned: None,
            at: None,
            limit_ms: None,
            stack_bytes: None,
            token: None,
        };
        for line in lines {
            if line == "end" {
                ended = true;
                break;
            }
            let (key, value) = line.split_once(' ').unwrap_or((line, ""));
            let text = || Some(value.to_string());
            match key {
                "kind" => {
                    kind = Some(match value {
                        "watchdog" => FatalKind::Watchdog,
                        "stack-overflow" => FatalKind::StackOverflow,
                        other => FatalKind::Other(other.to_string()),
                    })
                }
                "thread" => thread = Some(number(key, value)?),
                "name" => r.name = text(),
                "spawned" => r.spawned = text(),
                "at" => r.at = text(),
                "limit_ms" => r.limit_ms = Some(number(key, value)?),
                "stack_bytes" => r.stack_bytes = Some(number(key, value)?),
                "token" => r.token = text(),
                _ => {} // a newer runtime's key
            }
        }
        if !ended {
            return Err(FatalError("it has no `end` line (cut off while written?)".into()));
        }
        r.kind = kind.ok_or_else(|| FatalError("it has no `kind`".into()))?;
        r.thread = thread.ok_or_else(|| FatalError("it has no `thread`".into()))?;
        Ok(Some(r))
    }
}

/// Writes the record in its text form (what the runtime writes; used in tests).
impl fmt::Display for FatalRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            FatalKind::Watchdog => "watchdog",
            FatalKind::StackOverflow => "stack-overflow",
            FatalKind::Other(k) => k,
        };
        writeln!(f, "gort-fatal 1\nkind {kind}\nthread {}", self.thread)?;
        let texts = [("name", &self.name), ("spawned", &self.spawned), ("at", &self.at)];
        for (key, value) in texts {
            if let Some(v) = value {
                writeln!(f, "{key} {v}")?;
            }
        }
        for (key, value) in [("limit_ms", self.limit_ms), ("stack_bytes", self.stack_bytes)] {
            if let Some(v) = value {
                writeln!(f, "{key} {v}")?;
            }
        }
        if let Some(t) = &self.token {
            writeln!(f, "token {t}")?;
        }
        writeln!(f, "end")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overflow() -> FatalRecord {
        FatalRecord {
            kind: FatalKind::StackOverflow,
            thread: 3,
            name: Some("worker 2".into()),
            spawned: Some("exercises/01_spawn/src/lib.rs:20:5".into()),
            at: None,
            limit_ms: None,
            stack_bytes: Some(262_144),
            token: Some("gort1:r:1:2:3:4".into()),
        }
    }

    #[test]
    fn a_record_round_trips() {
        let r = overflow();
        assert_eq!(FatalRecord::parse(&r.to_string()), Ok(Some(r)));
    }

    #[test]
    fn optional_lines_may_be_absent() {
        let r =
            FatalRecord::parse("gort-fatal 1\nkind watchdog\nthread 7\nend\n").unwrap().unwrap();
        assert_eq!((r.kind, r.thread), (FatalKind::Watchdog, 7));
        assert_eq!((r.name, r.spawned, r.at, r.limit_ms, r.token), (None, None, None, None, None));
    }

    #[test]
    fn unknown_keys_and_kinds_are_kept_apart_not_refused() {
        let text = "gort-fatal 1\nkind out-of-memory\nthread 2\ncolour blue\nend\n";
        let r = FatalRecord::parse(text).unwrap().unwrap();
        assert_eq!(r.kind, FatalKind::Other("out-of-memory".into()));
    }

    #[test]
    fn no_record_is_none() {
        assert_eq!(FatalRecord::parse(""), Ok(None));
        assert_eq!(FatalRecord::parse("\n\n"), Ok(None));
    }

    #[test]
    fn broken_records_say_what_is_wrong() {
        let err = |t: &str| FatalRecord::parse(t).unwrap_err().to_string();
        assert!(err("gort-fatal 2\n").contains("version 2"));
        assert!(err("hello\n").contains("starts with `hello`"));
        assert!(err("gort-fatal 1\nkind watchdog\nthread 1\n").contains("no `end`"));
        assert!(err("gort-fatal 1\nkind watchdog\nend\n").contains("no `thread`"));
        assert!(err("gort-fatal 1\nthread 1\nend\n").contains("no `kind`"));
        assert!(err("gort-fatal 1\nkind watchdog\nthread x\nend\n").contains("`thread` is not"));
    }

    #[test]
    fn a_name_with_spaces_is_kept_whole() {
        let text = "gort-fatal 1\nkind watchdog\nthread 4\nname pool worker 3\nend\n";
        let r = FatalRecord::parse(text).unwrap().unwrap();
        assert_eq!(r.name.as_deref(), Some("pool worker 3"));
    }
}
