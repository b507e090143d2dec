//! Lesson mutants: plausible wrong solutions kept as patches, each of which the suite must
//! reject with the property it targets.

use std::path::{Path, PathBuf};

use grade_wire::Status;

use crate::grading::{self, Request, State};
use crate::registry::{Course, Lesson};
use crate::scratch::{self, Source};

/// Mutants every lesson keeps at least.
pub(crate) const LEAST: usize = 5;

/// One mutant, from its patch header.
#[derive(Clone, Debug)]
pub(crate) struct Mutant {
    pub(crate) lesson: String,
    pub(crate) name: String,
    pub(crate) patch: PathBuf,
    /// What the mistake is (`# mutant:`).
    pub(crate) what: String,
    /// The property that must reject it (`# expect:`).
    pub(crate) expect: String,
    /// Text the verdict must contain (`# message:`), if any.
    pub(crate) message: Option<String>,
}

/// The mutants of a lesson, sorted by name; a patch without the header lines is an error.
pub(crate) fn list(root: &Path, l: &Lesson) -> Result<Vec<Mutant>, String> {
    let dir = root.join(l.mutants());
    let mut patches: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "patch"))
        .collect();
    patches.sort();
    patches
        .into_iter()
        .map(|patch| {
            let text = std::fs::read_to_string(&patch)
                .map_err(|e| format!("cannot read {}: {e}", patch.display()))?;
            let field = |key: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(&format!("# {key}:")))
                    .map(|v| v.trim().to_string())
            };
            let missing = |key: &str| format!("{} has no `# {key}:` line", patch.display());
            Ok(Mutant {
                lesson: l.name.clone(),
                name: patch.file_stem().unwrap_or_default().to_string_lossy().into_owned(),
                what: field("mutant").ok_or_else(|| missing("mutant"))?,
                expect: field("expect").ok_or_else(|| missing("expect"))?,
                message: field("message"),
                patch,
            })
        })
        .collect()
}

/// Builds and grades every mutant of every lesson; reports each one that survives through
/// `fail(lesson, problem)`. Returns (rejected as expected, total).
pub(crate) fn check_all(
    root: &Path,
    course: &Course,
    jobs: usize,
    sample: bool,
    fail: &mut dyn FnMut(&str, String),
) -> Result<(usize, usize), String> {
    let mut ws = scratch::Workspace::new(root, "mutants").map_err(|e| e.to_string())?;
    let mut requests = Vec::new();
    let mut mutants = Vec::new();
    for l in &course.lessons {
        let Ok(list) = list(root, l) else { continue };
        let take = if sample { 1 } else { usize::MAX };
        for m in list.into_iter().take(take) {
            match ws.add(&format!("{}_{}", l.name, m.name), l, Source::Patch(&m.patch), None) {
                Ok(krate) => {
                    requests.push(Request { lesson: l.clone(), krate });
                    mutants.push(m);
                }
                Err(e) => fail(&l.name, format!("mutant `{}`: {e}", m.name)),
            }
        }
    }
    if requests.is_empty() {
        return Ok((0, 0));
    }
    ws.finish()?;
    let grades = grading::grade_all(root, &requests, false, jobs);
    let mut caught = 0;
    for (m, g) in mutants.iter().zip(&grades) {
        match verdict(m, g) {
            Ok(()) => caught += 1,
            Err(problem) => fail(&m.lesson, format!("mutant `{}` ({}): {problem}", m.name, m.what)),
        }
    }
    Ok((caught, mutants.len()))
}

/// Whether the grade rejects the mutant as its header says.
fn verdict(m: &Mutant, g: &grading::LessonResult) -> Result<(), String> {
    match &g.state {
        State::Passed => return Err("survived: every property passes".into()),
        State::Broken(text) => {
            return Err(format!("does not compile:\n{}", crate::term::strip_ansi(text)));
        }
        State::Refused(why) => return Err(format!("not graded: {why}")),
        State::Failed => {}
    }
    let Some(p) = g.properties.iter().find(|p| p.info.name == m.expect) else {
        return Err(format!("the suite has no property `{}`", m.expect));
    };
    if p.outcome.status == Status::Pass {
        let by: Vec<&str> =
            g.properties.iter().filter(|p| !p.passed()).map(|p| p.info.name.as_str()).collect();
        return Err(format!("`{}` passes it (rejected only by: {})", m.expect, by.join(", ")));
    }
    if let (Some(want), Some(v)) = (&m.message, &p.outcome.verdict) {
        let text = v.to_string();
        if !text.contains(want.as_str()) {
            return Err(format!(
                "`{}` rejects it, but its verdict does not say `{want}`:\n{text}",
                m.expect
            ));
        }
    }
    Ok(())
}
