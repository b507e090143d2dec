//! The checker's screens: a lesson's grade, the failure report, and the course's progress.

use std::fmt::Write as _;
use std::path::Path;

use grade_wire::Verdict;

use crate::grading::{LessonResult, State};
use crate::registry::{Course, Lesson};
use crate::state::Progress;
use crate::suite::PropertyResult;
use crate::term::{bar, bold, dim, green, link, red, yellow};

/// The command that re-runs the course's checker, for "run this next" lines.
pub(crate) const CHECKER: &str = "cargo run -p checker --";

/// `path` relative to `root`, as a clickable link.
pub(crate) fn path_link(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    link(&root.join(rel), &rel.display().to_string())
}

/// `file:line:col` made clickable (the link points at the file).
fn location_link(root: &Path, at: &str) -> String {
    let at = tidy_paths(at);
    let file = at.split(':').next().unwrap_or(&at);
    link(&root.join(file), &at)
}

/// Every path in `text` with its `dir/..` pairs folded away lexically:
/// `exercises/01_spawn/../../checker/suites/01_spawn.rs:3` reads `checker/suites/01_spawn.rs:3`.
pub(crate) fn tidy_paths(text: &str) -> String {
    if !text.contains("/../") {
        return text.to_string();
    }
    let fold = |word: &str| {
        if !word.contains("/../") {
            return word.to_string();
        }
        let mut parts: Vec<&str> = Vec::new();
        for part in word.split('/') {
            match parts.last() {
                Some(&last) if part == ".." && last != ".." && !last.is_empty() => {
                    parts.pop();
                }
                _ => parts.push(part),
            }
        }
        parts.join("/")
    };
    text.split(' ').map(fold).collect::<Vec<_>>().join(" ")
}

/// The longest printed line shown whole; longer ones are cut with a count of the rest.
const LONGEST_LINE: usize = 200;

/// `line` cut to [`LONGEST_LINE`] characters, saying how many more there were.
fn cut_line(line: &str) -> String {
    let n = line.chars().count();
    if n <= LONGEST_LINE {
        return line.to_string();
    }
    let kept: String = line.chars().take(LONGEST_LINE).collect();
    format!("{kept}{}", dim(&format!(" [... {} more characters on this line]", n - LONGEST_LINE)))
}

fn seconds(d: std::time::Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// A lesson's grade: the verdict line, the properties, and the first failure in full.
pub(crate) fn lesson_result(root: &Path, g: &LessonResult) -> String {
    let mut out = String::new();
    let name = bold(&g.lesson.name);
    match &g.state {
        State::Passed => {
            let inputs: u64 = g.properties.iter().map(|p| u64::from(p.outcome.cases)).sum();
            let schedules: u64 = g.properties.iter().map(|p| p.outcome.schedules).sum();
            let _ = writeln!(
                out,
                "{} {name} passes: {} properties, {inputs} inputs, {schedules} schedules explored (built in {}, graded in {})",
                green("✓"),
                g.properties.len(),
                seconds(g.build_time),
                seconds(g.run_time)
            );
        }
        State::Broken(text) => {
            let _ = writeln!(out, "{} {name} does not compile; the compiler says:\n", red("✗"));
            out.push_str(text.trim_end());
            out.push('\n');
            let _ = writeln!(
                out,
                "\nFix the first error first: later ones often follow from it. File: {}",
                path_link(root, &g.dir.join("src/lib.rs"))
            );
        }
        State::Refused(why) => {
            let _ = writeln!(out, "{} {name} was not graded: {why}", red("✗"));
        }
        State::Failed => {
            let failing = g.properties.iter().filter(|p| !p.passed()).count();
            let _ = writeln!(
                out,
                "{} {name}: {failing} of {} properties fail (graded in {})\n",
                red("✗"),
                g.properties.len(),
                seconds(g.run_time)
            );
            let width = g.properties.iter().map(|p| p.info.name.len()).max().unwrap_or(0);
            for p in &g.properties {
                let mark = if p.passed() { green("✓") } else { red("✗") };
                let why = p.outcome.verdict.as_ref().and_then(|v| v.kind).map_or("", |k| k.title());
                let _ = writeln!(out, "  {mark} {:<width$}  {}", p.info.name, dim(why));
            }
            if let Some(first) = g.first_failure() {
                out.push('\n');
                out.push_str(&property_failure(root, &g.lesson.name, first));
            }
        }
    }
    out
}

/// The full report of one failing property.
pub(crate) fn property_failure(root: &Path, lesson: &str, p: &PropertyResult) -> String {
    let mut out = String::new();
    let Some(v) = &p.outcome.verdict else { return out };
    let task = if p.info.task > 0 { format!(" (task {})", p.info.task) } else { String::new() };
    let title = format!("── {}{task} ", p.info.name);
    let rule = "─".repeat(72usize.saturating_sub(title.chars().count()));
    let _ = writeln!(out, "{}", bold(&format!("{title}{rule}")));
    if !p.info.demand.is_empty() {
        let _ = writeln!(out, "demand:  {}", p.info.demand);
    }
    verdict_body(&mut out, root, v);
    let printed = p.output.text.trim_end();
    if !printed.is_empty() {
        let shown: String = printed.lines().take(20).map(cut_line).collect::<Vec<_>>().join("\n");
        let more = if printed.lines().count() > 20 || p.output.total > p.output.text.len() as u64 {
            format!("\n{}", dim(&format!("[... {} bytes printed in all]", p.output.total)))
        } else {
            String::new()
        };
        let _ = writeln!(out, "\n{}\n{shown}{more}", bold("your code printed:"));
    }
    if let Some(token) = &v.token {
        let _ = writeln!(
            out,
            "\nreplay this exact run: {}",
            bold(&format!("{CHECKER} replay {lesson} {token}"))
        );
    }
    out
}

fn verdict_body(out: &mut String, root: &Path, v: &Verdict) {
    let kind = v.kind.map_or("failure", |k| k.title());
    let _ = writeln!(out, "verdict: {} {}", red(&format!("{kind}:")), v.summary);
    let rest: Vec<&str> = v.message.lines().skip(1).collect();
    if !rest.is_empty() {
        let _ = writeln!(out, "{}", rest.join("\n"));
    }
    if let Some(at) = &v.location {
        let _ = writeln!(out, "  at {}", location_link(root, at));
    }
    if let Some(input) = &v.input {
        let _ = writeln!(out, "\nminimal input: {input}");
    }
    for block in [&v.threads, &v.timeline] {
        if !block.trim().is_empty() {
            let _ = writeln!(out, "\n{}", tidy_paths(block.trim_end()));
        }
    }
    if !v.hint.is_empty() {
        let _ = writeln!(out, "\n{} {}", yellow("hint:"), v.hint);
    }
    if let Some(check) = &v.replay_check {
        let _ = writeln!(out, "{}", dim(check));
    }
}

/// A failing replay: the property's report without the replay command (it is the one just
/// run). The replay's property info carries only the name.
pub(crate) fn replayed(root: &Path, lesson: &str, mut p: PropertyResult) -> String {
    if let Some(v) = &mut p.outcome.verdict {
        v.token = None;
    }
    property_failure(root, lesson, &p)
}

/// `hint`: the hints of `l` up to `level`, the last one in bold.
pub(crate) fn hints(l: &Lesson, level: usize) -> String {
    let mut out = format!("{} ({}):\n\n", bold(&format!("Hints for {}", l.name)), l.title);
    for (i, h) in l.hints.iter().take(level).enumerate() {
        let label = format!("hint {}/{}", i + 1, l.hints.len());
        let label = if i + 1 == level { bold(&label) } else { dim(&label) };
        let _ = writeln!(out, "{label}  {h}\n");
    }
    let last = if level < l.hints.len() {
        format!("Run `{CHECKER} hint {}` again for the next level.", l.name)
    } else {
        "That was the last hint. The chapter explains the ideas in depth.".to_string()
    };
    let _ = writeln!(out, "{}", dim(&last));
    out
}

/// `list`: the progress as last graded, and how to grade now.
pub(crate) fn list(course: &Course, progress: &Progress, current: Option<usize>) -> String {
    let note =
        "(progress as last graded; `check LESSON` grades one now, `check --all` all of them)";
    format!("{}\n{}\n", self::progress(course, progress, current), dim(note))
}

/// The course at a glance: a bar, each lesson's state, and the next step.
pub(crate) fn progress(course: &Course, progress: &Progress, current: Option<usize>) -> String {
    let mut out = String::new();
    let total = course.lessons.len();
    let done = course.lessons.iter().filter(|l| progress.passed.contains_key(&l.name)).count();
    let _ = writeln!(
        out,
        "{}  {} {done}/{total} lessons passed\n",
        bold("Progress"),
        bar(done, total, 30)
    );
    for (i, l) in course.lessons.iter().enumerate() {
        // Padded before colouring: escape codes would count toward the width.
        let pad = |word: &str| format!("{word:<10}");
        let (mark, state) = if progress.passed.contains_key(&l.name) {
            (green("✓"), green(&pad("passed")))
        } else if Some(i) == current {
            (yellow("▶"), yellow(&pad("current")))
        } else {
            (dim("·"), dim(&pad("pending")))
        };
        let _ = writeln!(out, "  {mark} {:<16} {state} {}", l.name, l.title);
    }
    out
}

/// What to do next, for the current lesson (or the end of the course).
pub(crate) fn next_step(root: &Path, course: &Course, current: Option<usize>) -> String {
    let Some(i) = current else {
        return format!(
            "\n{} Every lesson passes. Read the solutions ({CHECKER} solution <lesson>) to compare decisions, and the book: mdbook serve book\n",
            green("Done!")
        );
    };
    let l = &course.lessons[i];
    let file = root.join(l.exercise()).join("src/lib.rs");
    format!(
        "\n{} edit {} ({})\n      read {} and the chapter {}\n      then run {} again, or {} to regrade on every save.\n      Stuck? {} shows the next hint.\n",
        bold("Next:"),
        path_link(root, &file),
        l.title,
        path_link(root, &root.join(l.exercise()).join("README.md")),
        path_link(root, &root.join(l.chapter())),
        bold("cargo run -p checker"),
        bold(&format!("{CHECKER} watch")),
        bold(&format!("{CHECKER} hint {}", l.name)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_through_a_crate_directory_are_folded() {
        assert_eq!(
            tidy_paths("spawned at exercises/01_spawn/../../checker/suites/01_spawn.rs:175:29"),
            "spawned at checker/suites/01_spawn.rs:175:29"
        );
        assert_eq!(tidy_paths("../x/y"), "../x/y");
    }

    #[test]
    fn a_flood_line_is_cut_with_a_count() {
        let line = "x".repeat(65_536);
        let cut = cut_line(&line);
        assert!(cut.len() < 400, "{}", cut.len());
        assert!(cut.contains(&format!("{} more characters", 65_536 - LONGEST_LINE)), "{cut}");
    }
}
