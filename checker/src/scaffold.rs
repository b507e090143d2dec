//! `dev new NN_topic`: scaffolds a lesson (registry entry, both crates, suite, chapter).

use std::path::Path;
use std::process::ExitCode;

use crate::registry::{Course, REGISTRY};
use crate::render::CHECKER;
use crate::session::Session;
use crate::term::{bold, green};

const CRATE: &str = r#"[package]
name = "{pkg}"
version = "0.1.0"
description = "Lesson {nn}, {topic}: the {kind}."
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish.workspace = true

[lib]
name = "{lib}"
test = false
doctest = {doctest}

[dependencies]
gort = { workspace = true }

[dev-dependencies]
grade = { workspace = true }

# The property suite, shared by exercise and solution and graded by the checker
# (`cargo run -p checker -- check {name}`), not by a plain `cargo test`.
[[test]]
name = "suite"
path = "../../checker/suites/{name}.rs"
harness = false
test = false

[lints]
workspace = true
"#;

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

const SUITE: &str = r#"//! The property suite of lesson {name}.

use grade::prelude::*;
use {lib}::sum_on_a_thread;

fn main() {
    Suite::new("{name}")
        .property(
            Property::explore(
                "sums_everything",
                "sum_on_a_thread returns the sum of every element",
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

fn fill(template: &str, name: &str, kind: &str) -> String {
    let (nn, topic) = name.split_at(2);
    let topic = &topic[1..];
    template
        .replace("{pkg}", &format!("{}{nn}_{topic}", if kind == "exercise" { "ex" } else { "sol" }))
        .replace("{nn}", nn)
        .replace("{topic}", &topic.replace('_', " "))
        .replace("{kind}", kind)
        .replace("{lib}", topic)
        .replace("{doctest}", if kind == "exercise" { "false" } else { "true" })
        .replace("{name}", name)
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

pub(crate) fn new_lesson(s: &Session, name: &str) -> Result<ExitCode, String> {
    let (root, course) = (s.root.clone(), &s.course);
    let entry_text = format!("name = \"{name}\"");
    let probe = format!("format = 1\n[[lesson]]\n{entry_text}\ntitle = \"x\"\n");
    if let Err(e) = Course::parse(&root, &probe)
        && e.field.as_deref() == Some("name")
    {
        return Err(e.problem);
    }
    if course.lessons.iter().any(|l| l.name == name) {
        return Err(format!("lesson {name} already exists"));
    }
    for dir in [format!("exercises/{name}"), format!("solutions/{name}")] {
        if root.join(&dir).exists() {
            return Err(format!("{dir} already exists"));
        }
    }
    let topic = &name[3..];
    println!("{} lesson {name}:", bold("Scaffolding"));
    write(&root, &format!("exercises/{name}/Cargo.toml"), &fill(CRATE, name, "exercise"))?;
    write(&root, &format!("exercises/{name}/src/lib.rs"), &fill(STUB, name, "exercise"))?;
    write(
        &root,
        &format!("exercises/{name}/README.md"),
        &format!(
            "# Lesson {name}\n\nWhat this lesson teaches, and which article sections it mirrors.\n\n\
             ## Tasks\n\n1. `sum_on_a_thread`: ...\n\n## Done means\n\n`{CHECKER} check {name}` passes.\n\n\
             The chapter: [../../book/src/{name}.md](../../book/src/{name}.md)\n"
        ),
    )?;
    write(&root, &format!("solutions/{name}/Cargo.toml"), &fill(CRATE, name, "solution"))?;
    write(&root, &format!("solutions/{name}/src/lib.rs"), &fill(SOLVED, name, "solution"))?;
    write(
        &root,
        &format!("solutions/{name}/README.md"),
        &format!("# Lesson {name}: the solution\n\nThe decisions, in a paragraph.\n"),
    )?;
    write(&root, &format!("checker/suites/{name}.rs"), &fill(SUITE, name, "solution"))?;
    write(
        &root,
        &format!("book/src/{name}.md"),
        &format!(
            "# {}\n\nThe concepts first, then the exercise: [exercises/{name}](../../exercises/{name}/README.md).\n",
            topic.replace('_', " ")
        ),
    )?;
    write(
        &root,
        &format!("checker/mutants/{name}/README.md"),
        "Mutants: plausible wrong solutions as patches (see checker/AUTHORING.md).\n",
    )?;

    let registry = root.join(REGISTRY);
    let mut text = std::fs::read_to_string(&registry).map_err(|e| e.to_string())?;
    text.push_str(&format!(
        "\n[[lesson]]\nname = \"{name}\"\ntitle = \"{}\"\nexercise = \"exercises/{name}\"\nsolution = \"solutions/{name}\"\n\
         suite = \"checker/suites/{name}.rs\"\nchapter = \"book/src/{name}.md\"\nmirrors = [\"NNN § Section\"]\n\
         tasks = [\"sum_on_a_thread: ...\"]\nhints = [\"A nudge.\", \"Nearly the answer.\"]\n",
        topic.replace('_', " ")
    ));
    crate::state::write_atomic(&registry, &text).map_err(|e| e.to_string())?;
    println!("  {} {REGISTRY} (entry)", green("~"));

    let manifest = root.join("Cargo.toml");
    let cargo = std::fs::read_to_string(&manifest).map_err(|e| e.to_string())?;
    let Some(end) = cargo.find("members = [").and_then(|s| cargo[s..].find(']').map(|e| s + e))
    else {
        return Err("the root Cargo.toml has no `members = [` list to add the crates to".into());
    };
    let added = format!("    \"exercises/{name}\",\n    \"solutions/{name}\",\n");
    let cargo = format!("{}{added}{}", &cargo[..end], &cargo[end..]);
    crate::state::write_atomic(&manifest, &cargo).map_err(|e| e.to_string())?;
    println!("  {} Cargo.toml (workspace members)", green("~"));
    crate::integrity::write_sums(&root).map_err(|e| e.to_string())?;
    println!("  {} {}", green("~"), crate::integrity::SUMS);
    println!(
        "\nNext: write the tasks, the suite and at least five mutants (checker/AUTHORING.md), add the chapter to book/src/SUMMARY.md, then `{CHECKER} dev check`."
    );
    Ok(ExitCode::SUCCESS)
}
