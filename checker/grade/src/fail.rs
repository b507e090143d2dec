//! `Fail`: one failed attempt, from a runtime report or from a suite's own check.

use std::fmt;
use std::path::Path;

use gort::diag::{Failure, Report};

use crate::wire::{Kind, Verdict, tidy_path};

/// Events of the timeline kept in a verdict.
pub(crate) const TIMELINE_TAIL: usize = 16;

/// One failed attempt at a property: what went wrong, and the run that showed it.
///
/// Explore properties get theirs from the runtime's report; `check` properties return one
/// with [`Fail::new`] or [`Fail::from_report`].
///
/// # Examples
///
/// ```
/// use grade::Fail;
/// use gort::sim;
///
/// let report = sim::run(&sim::Config::default(), || gort::sched::park());
/// let fail = Fail::from_report(&report).unwrap();
/// assert!(fail.to_string().contains("deadlock"));
/// assert!(Fail::from_report(&sim::run(&sim::Config::default(), || ())).is_none());
/// ```
#[derive(Clone, Debug)]
pub struct Fail {
    pub(crate) verdict: Box<Verdict>,
    /// The runtime's own token for the failing schedule, if a run failed.
    pub(crate) schedule: Option<String>,
}

impl Fail {
    /// A failed demand, in words.
    pub fn new(message: impl Into<String>) -> Fail {
        Fail { verdict: Box::new(Verdict::new(Kind::Assertion, message)), schedule: None }
    }

    /// The failure of a run, or `None` if the run passed. Keeps the threads, the tail of the
    /// timeline and the schedule.
    pub fn from_report<T>(report: &Report<T>) -> Option<Fail> {
        Self::with_timeline(report, TIMELINE_TAIL)
    }

    /// Like [`Fail::from_report`], keeping the last `tail` events of the timeline.
    pub(crate) fn with_timeline<T>(report: &Report<T>, tail: usize) -> Option<Fail> {
        let failure = report.failure()?;
        let (kind, location) = match failure {
            Failure::Deadlock => (Kind::Deadlock, None),
            Failure::LockCycle(cycle) => {
                (Kind::LockCycle, cycle.first().map(|w| tidy_path(&w.at().to_string())))
            }
            Failure::Leak { .. } => (Kind::Leak, None),
            Failure::Panic(p) => (Kind::Panic, p.location.as_deref().map(tidy_path)),
            Failure::StepLimit { .. } => (Kind::StepLimit, None),
            Failure::TimeLimit { .. } => (Kind::TimeLimit, None),
            _ => (Kind::Error, None),
        };
        let message = match failure {
            Failure::Panic(p) => p.message.clone(),
            other => other.to_string(),
        };
        let shown: Vec<String> = match failure {
            Failure::Leak { .. } => report.leaked().map(|t| t.to_string()).collect(),
            _ => report.threads().iter().filter(|t| t.is_alive()).map(|t| t.to_string()).collect(),
        };
        let threads = match failure {
            Failure::Panic(p) => format!("{p}\n"),
            _ => shown.join("\n"),
        };
        let threads = tidy_words(&threads);
        let timeline = if report.trace().is_empty() {
            String::new()
        } else {
            let tail = tail.min(report.trace().events().len());
            format!(
                "timeline (last {tail} of {} events):\n{}",
                report.trace().len(),
                report.trace().timeline(tail)
            )
        };
        let verdict = Verdict {
            location,
            threads,
            hint: failure.hint().to_string(),
            timeline,
            replay_check: report.replay_check().map(|c| c.to_string()),
            ..Verdict::new(kind, message)
        };
        Some(Fail { verdict: Box::new(verdict), schedule: Some(report.token().to_string()) })
    }

    /// Sorts a panic into a failed demand (the panic is in the suite), unfinished work (the
    /// panic is at a `todo!()` or `unimplemented!()` in the source, whatever its message), or a
    /// panic of the code under test.
    pub(crate) fn classify(mut self, suite_file: &str) -> Fail {
        let v = &mut self.verdict;
        if v.kind == Some(Kind::Panic) {
            let in_suite =
                v.location.as_deref().is_some_and(|l| l.starts_with(&tidy_path(suite_file)));
            if let Some(task) = v.location.as_deref().and_then(stub_at) {
                // The stub's todo!(): the schedule and threads say nothing; the line does.
                v.kind = Some(Kind::Unfinished);
                v.summary = if task.is_empty() { "a todo!() was reached".into() } else { task };
                v.hint = "This is where your work starts: replace the todo!() at that line with \
                          your code. The doc comment above the function states the task."
                    .into();
                v.threads.clear();
                v.timeline.clear();
                v.replay_check = None;
                self.schedule = None;
            } else if let Some(j) = in_suite.then(|| crate::join::take(&v.message)).flatten() {
                // A thread the property joined with `joined` panicked: the panic is the
                // cause, at its line in the code under test, not a failed demand.
                v.location = j.location;
                v.threads = tidy_words(&j.thread);
                v.hint = "A green thread panicked in the code under test, at the line shown: \
                          that panic is the failure, not a wrong result. Its message says what \
                          went wrong; the replay command below runs the same schedule again."
                    .into();
            } else if in_suite {
                v.kind = Some(Kind::Assertion);
                v.threads.clear(); // it would repeat the message as "main panicked at ..."
                v.hint = "The demand did not hold for this input under the schedule shown. The \
                          timeline's last events are the interleaving that led there; the replay \
                          command below runs exactly that schedule again."
                    .into();
            }
        }
        self
    }
}

/// If the source at `location` (`file:line:col`, the file relative to the current directory
/// or one of its parents) is a `todo!(...)` or `unimplemented!(...)` call: the message literal
/// it was given (empty if none). Reading the source, not the panic's message, is what tells a
/// stub from a panic with similar words.
fn stub_at(location: &str) -> Option<String> {
    let mut parts = location.rsplitn(3, ':');
    let column: usize = parts.next()?.parse().ok()?;
    let line: usize = parts.next()?.parse().ok()?;
    let file = Path::new(parts.next()?);
    let text = if file.is_absolute() {
        std::fs::read_to_string(file).ok()?
    } else {
        let cwd = std::env::current_dir().ok()?;
        cwd.ancestors().find_map(|dir| std::fs::read_to_string(dir.join(file)).ok())?
    };
    // From that line on: rustfmt puts a long message on a line of its own.
    let rest: Vec<&str> = text.lines().skip(line.checked_sub(1)?).take(4).collect();
    let source: String = rest.join("\n").chars().skip(column.checked_sub(1)?).collect();
    let args = ["todo!(", "unimplemented!("].iter().find_map(|m| source.strip_prefix(m))?;
    let Some(literal) = args.trim_start().strip_prefix('"') else { return Some(String::new()) };
    let mut message = String::new();
    let mut chars = literal.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => message.extend(chars.next()),
            c => message.push(c),
        }
    }
    Some(message)
}

/// The runtime names locations as rustc saw them (`exercises/x/../../checker/...`): tidies
/// every such word of `text`.
fn tidy_words(text: &str) -> String {
    text.split_inclusive([' ', '\n'])
        .map(|w| if w.contains("/../") { tidy_path(w) } else { w.to_string() })
        .collect()
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.verdict.kind.map_or("failure", |k| k.title());
        write!(f, "{kind}: {}", self.verdict.summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(source: &str, column: usize) -> Option<String> {
        let dir = std::env::temp_dir().join(format!("grade-stub-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let file = dir.join(format!("lib{n}.rs"));
        std::fs::write(&file, format!("fn f() {{\n{source}\n}}\n")).unwrap();
        let found = stub_at(&format!("{}:2:{column}", file.display()));
        std::fs::remove_file(&file).unwrap();
        found
    }

    #[test]
    fn a_todo_in_the_source_is_a_stub_whatever_the_message() {
        assert_eq!(at("    todo!(\"task 1: add n\")", 5).as_deref(), Some("task 1: add n"));
        assert_eq!(at("    unimplemented!()", 5).as_deref(), Some(""));
        assert_eq!(
            at("    todo!(\n        \"task 2: on its own line\"\n    )", 5).as_deref(),
            Some("task 2: on its own line")
        );
        assert_eq!(at("    todo!(\"say \\\"hi\\\"\")", 5).as_deref(), Some("say \"hi\""));
    }

    #[test]
    fn a_panic_that_only_says_not_implemented_is_not_a_stub() {
        assert_eq!(at("    panic!(\"not yet implemented: fooled you\")", 5), None);
        assert_eq!(stub_at("no/such/file.rs:1:1"), None);
    }
}
