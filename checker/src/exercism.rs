//! `--json`: results in the Exercism test-runner format, version 3.
//!
//! Top level: `version`, `status` (`pass`, `fail`, or `error` when the code did not compile or
//! was not graded) and `message` (the compiler output for `error`). Per property, in suite
//! order: `name`, `status`, `message`, `output` (what the code printed, at most 500
//! characters), `test_code` (the property's source) and `task_id`.

use std::path::Path;

use serde::Serialize;

use crate::grading::{LessonResult, State};
use crate::term::strip_ansi;

/// Most characters of `output` per test, as the format asks.
const OUTPUT_CAP: usize = 500;
/// Most characters of `message`, as the format asks.
const MESSAGE_CAP: usize = 65_535;

#[derive(Serialize)]
pub(crate) struct Results {
    version: u32,
    status: &'static str,
    message: Option<String>,
    tests: Vec<Test>,
    /// Not part of the format: which lesson (consumers ignore unknown fields).
    lesson: String,
}

#[derive(Serialize)]
struct Test {
    name: String,
    status: &'static str,
    message: Option<String>,
    output: Option<String>,
    test_code: String,
    task_id: u32,
}

fn cap(text: &str, max: usize, note: &str) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(note.len() + 1)).collect();
    format!("{kept}\n{note}")
}

/// Paths made relative to the repository, so results do not depend on where it is.
fn relative(root: &Path, text: &str) -> String {
    let prefix = format!("{}/", root.display());
    text.replace(&prefix, "")
}

/// The results of one graded lesson.
pub(crate) fn results(root: &Path, g: &LessonResult) -> Results {
    let (status, message) = match &g.state {
        State::Passed => ("pass", None),
        State::Failed => ("fail", None),
        State::Broken(text) | State::Refused(text) => (
            "error",
            Some(cap(&relative(root, &strip_ansi(text)), MESSAGE_CAP, "[message truncated]")),
        ),
    };
    let tests = g
        .properties
        .iter()
        .map(|p| {
            let output = p.output.text.trim_end();
            Test {
                name: p.info.name.clone(),
                status: if p.passed() { "pass" } else { "fail" },
                message: p.outcome.verdict.as_ref().map(|v| {
                    let text = format!("{}\n\n{v}", p.info.demand);
                    cap(&relative(root, &text), MESSAGE_CAP, "[message truncated]")
                }),
                output: (!output.is_empty()).then(|| {
                    cap(output, OUTPUT_CAP, "Output was truncated. Please limit to 500 chars.")
                }),
                test_code: test_code(root, &p.info.file, p.info.line),
                task_id: p.info.task,
            }
        })
        .collect();
    Results { version: 3, status, message, tests, lesson: g.lesson.name.clone() }
}

/// The source of the property declared at `file:line`: from that line to where its
/// parentheses close.
pub(crate) fn test_code(root: &Path, file: &str, line: u32) -> String {
    let Ok(text) = std::fs::read_to_string(root.join(file)) else { return String::new() };
    let mut depth = 0i32;
    let mut started = false;
    let mut out = Vec::new();
    for l in text.lines().skip(line.saturating_sub(1) as usize) {
        out.push(l);
        for c in l.chars() {
            match c {
                '(' => {
                    depth += 1;
                    started = true;
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        if started && depth <= 0 {
            break;
        }
    }
    let indent = out
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    out.iter().map(|l| l.get(indent..).unwrap_or("").trim_end()).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_capped_with_the_formats_note() {
        let long = "x".repeat(600);
        let capped = cap(&long, OUTPUT_CAP, "Output was truncated. Please limit to 500 chars.");
        assert!(capped.chars().count() <= OUTPUT_CAP);
        assert!(capped.ends_with("Please limit to 500 chars."));
    }

    #[test]
    fn test_code_takes_the_whole_declaration() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let dir = std::env::temp_dir().join(format!("checker-code-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("suite.rs");
        std::fs::write(&file, "fn main() {\n    s.property(\n        P::new(\"a\", |x| {\n            f(x)\n        }),\n    );\n}\n").unwrap();
        let code = test_code(root, file.to_str().unwrap(), 2);
        assert_eq!(code, "s.property(\n    P::new(\"a\", |x| {\n        f(x)\n    }),\n);");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
