//! The screens of `book/src/checker.md`, made by the checker's own rendering of real grades:
//! lesson 01's solution, lesson 02's stub, and two mistakes kept as mutants (lesson 02's `go`
//! that counts inside the new thread, lesson 03's `gather` that keeps its own Sender), graded
//! in scratch copies and shown as if they were the learner's exercise.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::grading::{self, LessonResult, Request};
use crate::registry::Course;
use crate::render;
use crate::scratch::{self, Source};
use crate::state::Progress;
use crate::suite::{self, Binary};
use crate::term::strip_ansi;

/// The mistakes shown: lesson, mutant.
const BUGGY_GO: (&str, &str) = ("02_wait_group", "go_adds_inside_the_thread");
const DEADLOCK: (&str, &str) = ("03_channels", "gather_keeps_its_sender");

/// Every screen, by the name its marker in the chapter gives it.
pub(crate) fn all(
    root: &Path,
    course: &Course,
    jobs: usize,
) -> Result<BTreeMap<String, String>, String> {
    let lesson = |name: &str| course.lesson(name).cloned();
    let (spawn, wait_group) = (lesson("01_spawn")?, lesson(BUGGY_GO.0)?);
    let mut ws = scratch::Workspace::new(root, "screens").map_err(|e| e.to_string())?;
    let stub = scratch::stub_request(root, &wait_group, &mut ws)?;
    let mut mutant = |(name, mutant): (&str, &str)| {
        let l = course.lesson(name)?;
        let patch = root.join(l.mutants()).join(format!("{mutant}.patch"));
        let krate = ws.add(mutant, l, Source::Patch(&patch), None)?;
        Ok::<_, String>(Request { lesson: l.clone(), krate })
    };
    let requests =
        vec![Request::solution(root, &spawn), stub, mutant(BUGGY_GO)?, mutant(DEADLOCK)?];
    ws.finish()?;
    let results = grading::grade_all(root, &requests, false, jobs);
    let [passed, stub, buggy, deadlock] = &results[..] else { unreachable!("four requests") };
    // Scratch copies are shown where the learner's code is.
    let tidy = |text: String, (name, mutant): (&str, &str)| {
        let text = strip_ansi(&text).replace(&format!("{}/", root.display()), "");
        if mutant.is_empty() {
            return text;
        }
        text.replace(&format!("target/checker/screens/{mutant}/"), &format!("exercises/{name}/"))
            .replace(&format!("{mutant}/src/"), &format!("exercises/{name}/src/"))
    };
    let show = |r: &LessonResult, case| tidy(render::lesson_result(root, r), case);

    let mut progress = Progress::default();
    progress.passed.insert(spawn.name.clone(), 0);
    let current = Some(1);
    let mut screens = BTreeMap::new();
    screens.insert(
        "first-run".to_string(),
        format!(
            "grading {} ...\n{}grading {} ...\n{}\n{}{}",
            spawn.name,
            show(passed, ("", "")),
            wait_group.name,
            show(buggy, BUGGY_GO),
            render::progress(course, &progress, current),
            render::next_step(root, course, current)
        ),
    );
    let stub_tag = scratch::stub_tag(&wait_group);
    screens.insert("check-stub".into(), show(stub, (&wait_group.name, &stub_tag)));
    screens.insert("deadlock".into(), show(deadlock, DEADLOCK));
    let failure = buggy.first_failure().ok_or("the buggy go passes its suite")?;
    let token = failure.outcome.verdict.as_ref().and_then(|v| v.token.clone()).ok_or("no token")?;
    let exe = buggy.exe.as_deref().ok_or("the buggy go was not built")?;
    let scratch = grading::scratch_dir(root);
    let b = Binary { exe, crate_dir: &buggy.dir, scratch: &scratch };
    let replayed = suite::replay(b, &token, Duration::from_secs(wait_group.time_limit));
    screens.insert(
        "replay".into(),
        tidy(render::replayed(root, &wait_group.name, replayed), BUGGY_GO),
    );
    screens.insert("hint".into(), strip_ansi(&render::hints(&wait_group, 1)));
    screens.insert("list".into(), strip_ansi(&render::list(course, &progress, current)));
    let json = serde_json::to_string_pretty(&crate::exercism::results(root, buggy))
        .map_err(|e| e.to_string())?;
    screens.insert("json".into(), json_head(&json));
    ws.remove();
    Ok(screens)
}

/// The JSON results up to the end of the first test, its `test_code` cut short.
fn json_head(json: &str) -> String {
    let mut out = String::new();
    for line in json.lines() {
        match line.trim_start().strip_prefix("\"test_code\": \"") {
            Some(code) => {
                let cut: String = code.chars().take(56).collect();
                let cut = cut.trim_end_matches('\\');
                let indent = &line[..line.len() - line.trim_start().len()];
                out.push_str(&format!("{indent}\"test_code\": \"{cut} ...\",\n"));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
        if line == "    }," {
            break;
        }
    }
    out
}

/// `text` with each ```text block that follows a `<!-- screen: NAME -->` line replaced by
/// that screen.
pub(crate) fn fill(text: &str, screens: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::new();
    let mut lines = text.split_inclusive('\n');
    while let Some(line) = lines.next() {
        out.push_str(line);
        let Some(name) =
            line.trim().strip_prefix("<!-- screen: ").and_then(|r| r.strip_suffix(" -->"))
        else {
            continue;
        };
        let screen = screens.get(name).ok_or_else(|| format!("no screen called `{name}`"))?;
        if lines.next().map(str::trim_end) != Some("```text") {
            return Err(format!("the screen marker `{name}` is not followed by a ```text block"));
        }
        let mut old = String::new();
        for l in lines.by_ref() {
            if l.trim_end() == "```" {
                break;
            }
            old.push_str(l);
        }
        let mut new = String::new();
        for l in screen.trim_end().lines() {
            new.push_str(l.trim_end());
            new.push('\n');
        }
        // Timings differ on every run: a screen that differs only there keeps the old ones.
        let same = without_timings(&old) == without_timings(&new);
        out.push_str(&format!("```text\n{}```\n", if same { &old } else { &new }));
    }
    Ok(out)
}

/// `text` with timings (`0.03 s`) masked, for comparing screens across runs.
pub(crate) fn without_timings(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_inclusive([' ', '(']) {
        let bare = word.trim_end_matches([' ', '(']);
        if !bare.is_empty()
            && bare.chars().all(|c| c.is_ascii_digit() || c == '.')
            && bare.contains('.')
        {
            out.push_str(&word.replace(bare, "N"));
        } else {
            out.push_str(word);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marked_block_is_replaced() {
        let text = "a\n<!-- screen: x -->\n```text\nold\n```\nb\n```text\nkept\n```\n";
        let screens = BTreeMap::from([("x".to_string(), "new  \nlines\n".to_string())]);
        assert_eq!(
            fill(text, &screens).unwrap(),
            "a\n<!-- screen: x -->\n```text\nnew\nlines\n```\nb\n```text\nkept\n```\n"
        );
        assert!(fill("<!-- screen: y -->\n", &screens).unwrap_err().contains("`y`"));
        let timed = BTreeMap::from([("x".to_string(), "took 0.50 s\n".to_string())]);
        let text = "<!-- screen: x -->\n```text\ntook 2.25 s\n```\n";
        assert_eq!(fill(text, &timed).unwrap(), text);
    }

    #[test]
    fn timings_are_masked() {
        assert_eq!(
            without_timings("built in 21.69 s, graded in 0.17 s) 7 props"),
            "built in N s, graded in N s) 7 props"
        );
    }
}
