//! What a suite tells the checker: its properties, and each property's outcome, as JSON.
//!
//! The checker runs a suite binary in a child process and reads these from the results file
//! named by `--results`, never from stdout (which belongs to the learner's `println!`s).

use serde::{Deserialize, Serialize};

/// One property, as `--list` describes it.
///
/// # Examples
///
/// ```
/// use grade_wire::PropertyInfo;
///
/// let text = r#"{"name":"p","demand":"d","task":1,"file":"s.rs","line":3}"#;
/// let info: PropertyInfo = serde_json::from_str(text).unwrap();
/// assert_eq!((info.name.as_str(), info.task), ("p", 1));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyInfo {
    /// Identifier, unique in its suite (`snake_case`).
    pub name: String,
    /// One sentence: what the code under test must do.
    pub demand: String,
    /// The task of the exercise it grades (1-based), as numbered in the exercise's README.
    pub task: u32,
    /// The suite file that declares it, as the compiler saw the path.
    pub file: String,
    /// The line that declares it.
    pub line: u32,
}

/// Pass or fail.
///
/// # Examples
///
/// ```
/// use grade_wire::Status;
///
/// assert_eq!(serde_json::to_string(&Status::Pass).unwrap(), "\"pass\"");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every input passed under every schedule.
    Pass,
    /// Some input failed; see the [`Verdict`].
    Fail,
}

/// What kind of failure a verdict is.
///
/// # Examples
///
/// ```
/// use grade_wire::Kind;
///
/// assert_eq!(Kind::Unfinished.title(), "not implemented yet");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A demand of the suite did not hold (a `check!` or `check_eq!` failed).
    Assertion,
    /// The code reached a `todo!()` or `unimplemented!()`.
    Unfinished,
    /// The code under test panicked.
    Panic,
    /// Every green thread was blocked and no timer was pending.
    Deadlock,
    /// Green threads wait for each other's locks in a cycle.
    LockCycle,
    /// Green threads were still alive when the test's main returned.
    Leak,
    /// The run never finished: too many steps (a livelock or a loop that keeps yielding).
    StepLimit,
    /// Virtual time ran past the limit without the run finishing.
    TimeLimit,
    /// The harness itself could not run the property (a bad token, an internal error).
    Error,
    /// The property's process ran past its wall-clock limit and was killed.
    Timeout,
    /// A green thread never reached a scheduling point (the runtime's watchdog stopped it).
    NoYield,
    /// A green thread overflowed its stack.
    StackOverflow,
    /// The process exited (`std::process::exit`) before the property reported.
    Exit,
    /// The process died of a signal (abort, segmentation fault) before reporting.
    Crash,
    /// The process printed more than the checker keeps, and was stopped.
    OutputLimit,
    /// The process used more memory than the checker's limit allows.
    Memory,
}

impl Kind {
    /// A short title for reports.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Assertion => "wrong result",
            Kind::Unfinished => "not implemented yet",
            Kind::Panic => "panic",
            Kind::Deadlock => "deadlock",
            Kind::LockCycle => "deadlock (lock cycle)",
            Kind::Leak => "leaked green threads",
            Kind::StepLimit => "never finished (step limit)",
            Kind::TimeLimit => "never finished (virtual time limit)",
            Kind::Error => "error",
            Kind::Timeout => "timed out",
            Kind::NoYield => "never yields",
            Kind::StackOverflow => "stack overflow",
            Kind::Exit => "exited early",
            Kind::Crash => "crashed",
            Kind::OutputLimit => "too much output",
            Kind::Memory => "too much memory",
        }
    }
}

/// Why a property failed, with everything needed to act on it.
///
/// # Examples
///
/// ```
/// use grade_wire::{Kind, Verdict};
///
/// let v = Verdict::new(Kind::Assertion, "expected 3, got 2");
/// assert_eq!(v.summary, "expected 3, got 2");
/// assert!(v.token.is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The kind of failure.
    pub kind: Option<Kind>,
    /// The first line of the message.
    pub summary: String,
    /// The whole message: a panic's text, `expected`/`actual`, or the runtime's report line.
    pub message: String,
    /// `file:line:column` where it went wrong, if known.
    pub location: Option<String>,
    /// The minimal failing input, `{:#?}`-formatted.
    pub input: Option<String>,
    /// The green threads that matter (blocked, leaked), as the runtime describes them.
    pub threads: String,
    /// The runtime's advice for this kind of failure.
    pub hint: String,
    /// The tail of the run's timeline (one lane per thread).
    pub timeline: String,
    /// The replay token for `checker replay` (property, input and schedule).
    pub token: Option<String>,
    /// Whether running the same schedule again reproduced the failure.
    pub replay_check: Option<String>,
}

impl Verdict {
    /// A verdict of `kind` with `message` (its first line becomes the summary).
    pub fn new(kind: Kind, message: impl Into<String>) -> Verdict {
        let message = message.into();
        Verdict {
            kind: Some(kind),
            summary: message.lines().next().unwrap_or_default().to_string(),
            message,
            ..Verdict::default()
        }
    }
}

/// How one property went.
///
/// # Examples
///
/// ```
/// use grade_wire::{Outcome, Status};
///
/// let o = Outcome::pass("p", 32, 2048, 120);
/// assert_eq!(o.status, Status::Pass);
/// let back: Outcome = serde_json::from_str(&serde_json::to_string(&o).unwrap()).unwrap();
/// assert_eq!(back, o);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The property's name.
    pub name: String,
    /// Pass or fail.
    pub status: Status,
    /// Why it failed (`None` when it passed).
    pub verdict: Option<Verdict>,
    /// Inputs tried.
    pub cases: u32,
    /// Schedules run, over all inputs.
    pub schedules: u64,
    /// Wall time, in milliseconds.
    pub millis: u64,
}

impl Outcome {
    /// A passing outcome.
    pub fn pass(name: &str, cases: u32, schedules: u64, millis: u64) -> Outcome {
        Outcome {
            name: name.to_string(),
            status: Status::Pass,
            verdict: None,
            cases,
            schedules,
            millis,
        }
    }

    /// A failing outcome.
    pub fn fail(name: &str, verdict: Verdict, cases: u32, schedules: u64, millis: u64) -> Outcome {
        Outcome {
            name: name.to_string(),
            status: Status::Fail,
            verdict: Some(verdict),
            cases,
            schedules,
            millis,
        }
    }
}

/// The plain-text report: kind and summary, input, message, threads, hint, timeline, token.
impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = self.kind.map_or("failure", Kind::title);
        write!(f, "{kind}: {}", self.summary)?;
        if let Some(at) = &self.location {
            write!(f, "\n  at {at}")?;
        }
        let rest: Vec<&str> = self.message.lines().skip(1).collect();
        if !rest.is_empty() {
            write!(f, "\n{}", rest.join("\n"))?;
        }
        if let Some(input) = &self.input {
            write!(f, "\n\nminimal input: {input}")?;
        }
        for block in [&self.threads, &self.timeline] {
            if !block.trim().is_empty() {
                write!(f, "\n\n{}", block.trim_end())?;
            }
        }
        if !self.hint.is_empty() {
            write!(f, "\n\nhint: {}", self.hint)?;
        }
        if let Some(check) = &self.replay_check {
            write!(f, "\n{check}")?;
        }
        if let Some(token) = &self.token {
            write!(f, "\n\nreplay token: {token}")?;
        }
        Ok(())
    }
}

/// `a/b/../c` as `a/c`: cargo names a suite shared through `../../` by such paths.
///
/// # Examples
///
/// ```
/// assert_eq!(
///     grade_wire::tidy_path("exercises/01_spawn/../../checker/suites/01_spawn.rs:3:9"),
///     "checker/suites/01_spawn.rs:3:9"
/// );
/// ```
pub fn tidy_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            ".." if parts.last().is_some_and(|p| *p != ".." && !p.is_empty()) => {
                parts.pop();
            }
            "." => {}
            _ => parts.push(part),
        }
    }
    parts.join("/")
}
