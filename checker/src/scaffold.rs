//! `dev new NN_topic`: creates every place a lesson lives, so that `dev check` passes at once
//! on a working (if trivial) lesson for the instructor to rewrite.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use grade_wire::PropertyInfo;

use crate::derived;
use crate::manifest::{self, Kind};
use crate::registry::{Course, Lesson, REGISTRY};
use crate::render::CHECKER;
use crate::session::Session;
use crate::term::{bold, green};

/// The template lesson's one property, as its suite declares it.
const PROPERTY: &str = "sums_everything";
const DEMAND: &str = "sum_on_a_thread returns the sum of every element";

const STUB: &str = r#"//! Lesson {nn}: {topic} (the exercise: replace each `todo!()`).
#![allow(unused_variables)]

/// Returns the sum of `xs`, computed on a green thread spawned with `gort::go`.
pub fn sum_on_a_thread(xs: Vec<u64>) -> u64 {
    todo!("task 1: spawn a green thread that sums xs, and join it")
}
"#;

const SOLVED: &str = r#"//! Lesson {nn}: {topic} (the reference solution).

/// Returns the sum of `xs`, computed on a green thread spawned with `gort::go`.
///
/// # Examples
///
/// ```
/// let report = gort::sim::run(&gort::sim::Config::default(), || {lib}::sum_on_a_thread(vec![1, 2]));
/// assert_eq!(report.unwrap(), 3);
/// ```
pub fn sum_on_a_thread(xs: Vec<u64>) -> u64 {
    gort::go(move || xs.iter().sum()).join().unwrap()
}
"#;

/// The solution's body line, and the mutants of it the suite must reject.
const BODY: &str = "    gort::go(move || xs.iter().sum()).join().unwrap()";
const MUTANTS: [(&str, &str, &str); 5] = [
    ("zero", "returns 0 without summing", "    0"),
    (
        "skips_first",
        "skips the first element",
        "    gort::go(move || xs.iter().skip(1).sum()).join().unwrap()",
    ),
    ("first_only", "returns the first element", "    xs.first().copied().unwrap_or(0)"),
    ("counts", "counts the elements instead of adding them", "    xs.len() as u64"),
    ("largest", "returns the largest element", "    xs.iter().copied().max().unwrap_or(0)"),
];

const SUITE: &str = r#"//! The property suite of lesson {name}.

use grade::prelude::*;
use {lib}::sum_on_a_thread;

fn main() {
    Suite::new("{name}")
        .property(
            Property::explore(
                "{property}",
                "{demand}",
                vec(0u64..1000, 0..10),
                |xs: &Vec<u64>| {
                    let want: u64 = xs.iter().sum();
                    check_eq!(sum_on_a_thread(xs.clone()), want, "the sum of {xs:?}");
                },
            )
            .task(1),
        )
        .main();
}
"#;

const LISTINGS: &str = r#"//! Listings of chapter {nn} ({topic}).

// ANCHOR: sum
use gort::{go, sim};

#[test]
fn sum_on_a_thread() {
    let report =
        sim::run(&sim::Config::default(), || go(|| (1..=3u64).sum::<u64>()).join().unwrap());
    assert_eq!(report.unwrap(), 6);
}
// ANCHOR_END: sum
"#;

const CHAPTER: &str = r#"# {title}

The concepts first, each with a tested listing:

```rust
{{#include ../listings/tests/ch{name}.rs:sum}}
```

Then the exercise: [exercises/{name}](../../exercises/{name}/README.md).
"#;

fn fill(template: &str, name: &str, lib: &str, title: &str) -> String {
    let (nn, topic) = (&name[..2], name[3..].replace('_', " "));
    template
        .replace("{nn}", nn)
        .replace("{topic}", &topic)
        .replace("{lib}", lib)
        .replace("{title}", title)
        .replace("{property}", PROPERTY)
        .replace("{demand}", DEMAND)
        .replace("{name}", name)
}

/// A mutant patch: `line` of the solution replaced, one line of context either side.
fn mutant_patch(solved: &str, what: &str, line: &str) -> String {
    let lines: Vec<&str> = solved.lines().collect();
    let at = lines.iter().position(|l| *l == BODY).expect("the template has its body line");
    format!(
        "# mutant: {what}\n# expect: {PROPERTY}\n--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -{start},3 +{start},3 @@\n {}\n-{BODY}\n+{line}\n {}\n",
        lines[at - 1],
        lines[at + 1],
        start = at
    )
}

fn write(root: &Path, rel: &str, text: &str) -> Result<(), String> {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(&path, text).map_err(|e| format!("cannot write {rel}: {e}"))?;
    println!("  {} {rel}", green("+"));
    Ok(())
}

/// Every file a new lesson has, relative to the root, with its text.
fn files(name: &str, title: &str) -> Vec<(String, String)> {
    let lib = &name[3..];
    let (nn, topic) = (&name[..2], name[3..].replace('_', " "));
    let solved = fill(SOLVED, name, lib, title);
    let mut files = vec![
        (
            format!("exercises/{name}/Cargo.toml"),
            manifest::render(Kind::Exercise, name, &format!("ex{name}"), lib),
        ),
        (format!("exercises/{name}/src/lib.rs"), fill(STUB, name, lib, title)),
        (
            format!("exercises/{name}/README.md"),
            format!(
                "# Lesson {nn}: {topic}\n\nWhat this lesson teaches, and which sections of the articles it mirrors (by title).\n\n\
                 ## Tasks\n\nEdit `src/lib.rs`. The doc comment of each function states exactly what it must do.\n\n\
                 1. `sum_on_a_thread(xs)`: ...\n"
            ),
        ),
        (
            format!("solutions/{name}/Cargo.toml"),
            manifest::render(Kind::Solution, name, &format!("sol{name}"), lib),
        ),
        (format!("solutions/{name}/src/lib.rs"), solved.clone()),
        (
            format!("solutions/{name}/README.md"),
            format!("# Lesson {nn}: the solution\n\nThe decisions, in a paragraph.\n"),
        ),
        (format!("checker/suites/{name}.rs"), fill(SUITE, name, lib, title)),
        (format!("book/src/{name}.md"), fill(CHAPTER, name, lib, title)),
        (format!("book/listings/tests/ch{name}.rs"), fill(LISTINGS, name, lib, title)),
    ];
    for (file, what, line) in MUTANTS {
        files.push((
            format!("checker/mutants/{name}/{file}.patch"),
            mutant_patch(&solved, what, line),
        ));
    }
    files
}

pub(crate) fn new_lesson(s: &Session, name: &str) -> Result<ExitCode, String> {
    let (root, course) = (s.root.as_path(), &s.course);
    let title = name[3.min(name.len())..].replace('_', " ");
    let entry = format!(
        "\n[[lesson]]\nname = \"{name}\"\ntitle = \"{title}\"\nhints = [\"A nudge.\", \"Nearly the answer.\"]\n"
    );
    if let Err(e) = Course::parse(root, &format!("format = 1\n{entry}"))
        && e.field.as_deref() == Some("name")
        && !e.problem.starts_with("its ")
    {
        return Err(e.problem);
    }
    if course.lessons.iter().any(|l| l.name == name) {
        return Err(format!("lesson {name} already exists"));
    }
    let files = files(name, &title);
    if let Some((rel, _)) = files.iter().find(|(rel, _)| root.join(rel).exists()) {
        return Err(format!("{rel} already exists"));
    }
    println!("{} lesson {name}:", bold("Scaffolding"));
    for (rel, text) in &files {
        write(root, rel, text)?;
    }
    let registry = root.join(REGISTRY);
    let mut text = std::fs::read_to_string(&registry).map_err(|e| e.to_string())?;
    text.push_str(&entry);
    crate::state::write_atomic(&registry, &text).map_err(|e| e.to_string())?;
    println!("  {} {REGISTRY} (entry)", green("~"));

    // What is derived: members, SUMMARY.md, README.md, and this lesson's "Done means".
    let course = Course::load(root).map_err(|e| e.to_string())?;
    let lesson: &Lesson = course.lesson(name)?;
    let info = PropertyInfo {
        name: PROPERTY.into(),
        demand: DEMAND.into(),
        task: 1,
        file: String::new(),
        line: 0,
    };
    let properties = BTreeMap::from([(lesson.name.clone(), vec![info])]);
    let expected = derived::expected(root, &course, &properties, None)?;
    for d in derived::stale(root, &expected) {
        crate::state::write_atomic(&root.join(&d.path), &d.text).map_err(|e| e.to_string())?;
        println!("  {} {}", green("~"), d.path.display());
    }
    crate::integrity::write_sums(root).map_err(|e| e.to_string())?;
    println!("  {} {}", green("~"), crate::integrity::SUMS);
    println!(
        "\nA trivial lesson that `{CHECKER} dev check` passes. Now write its tasks, suite, mutants, hints and chapter\n\
         (checker/AUTHORING.md), then `{CHECKER} dev sums`, `{}` and `{CHECKER} dev check`.",
        derived::SYNC
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutants_change_only_the_body_line() {
        let solved = fill(SOLVED, "07_x", "x", "x");
        let patch = mutant_patch(&solved, "w", "    0");
        let start = solved.lines().position(|l| l == BODY).unwrap();
        assert!(
            patch.contains(&format!("@@ -{start},3 +{start},3 @@\n pub fn sum_on_a_thread")),
            "{patch}"
        );
        assert!(patch.ends_with("+    0\n }\n"), "{patch}");
    }

    #[test]
    fn the_suite_declares_the_property_the_readme_lists() {
        let suite = fill(SUITE, "07_x", "x", "x");
        assert!(
            suite.contains(&format!("\"{PROPERTY}\",\n                \"{DEMAND}\"")),
            "{suite}"
        );
    }
}
