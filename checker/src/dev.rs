//! Instructor commands: `dev check` (the course is sound), `dev sums`, `dev try`, `dev new`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use grade_wire::Kind;

use crate::compile;
use crate::grading::{self, LessonResult, Request, State};
use crate::registry::Lesson;
use crate::render::{self, CHECKER};
use crate::scratch::{self, Source};
use crate::session::Session;
use crate::term::{self, green, red};
use crate::{derived, integrity, mutants, screens, state};

/// `dev sync`: rewrites every derived file that is stale (see [`crate::derived`]).
pub(crate) fn sync(s: &Session) -> Result<ExitCode, String> {
    println!("{}", term::dim("building the solutions' suites for their property lists ..."));
    let properties = grading::property_lists(&s.root, &s.course.lessons)?;
    println!("{}", term::dim("grading the checker chapter's examples ..."));
    let screens = screens::all(&s.root, &s.course, s.jobs)?;
    let expected = derived::expected(&s.root, &s.course, &properties, Some(&screens))?;
    let stale = derived::stale(&s.root, &expected);
    for d in &stale {
        state::write_atomic(&s.root.join(&d.path), &d.text)
            .map_err(|e| format!("cannot write {}: {e}", d.path.display()))?;
        println!("  {} {}", green("~"), d.path.display());
    }
    println!("{} {} of {} derived files were stale", green("✓"), stale.len(), expected.len());
    Ok(ExitCode::SUCCESS)
}

/// `dev sums`: records the checksum of every suite.
pub(crate) fn sums(s: &Session) -> Result<ExitCode, String> {
    let n = integrity::write_sums(&s.root)
        .map_err(|e| format!("cannot write {}: {e}", integrity::SUMS))?;
    println!("{} recorded the checksums of {n} suites in {}", green("✓"), integrity::SUMS);
    Ok(ExitCode::SUCCESS)
}

/// `dev try`: grades each file as the lesson's `lib.rs`, in scratch copies of the solution
/// built together; with several files, each grade is headed `=== name ===`.
pub(crate) fn try_files(
    s: &Session,
    name: &str,
    files: &[PathBuf],
    suite: Option<&Path>,
    json: bool,
) -> Result<ExitCode, String> {
    let root = s.root.clone();
    let lesson = s.lesson(name)?;
    let tag = format!("try-{}", std::process::id());
    let mut ws = scratch::Workspace::new(&root, &tag).map_err(|e| e.to_string())?;
    let suite = suite.map(|s| std::fs::canonicalize(s).unwrap_or_else(|_| s.to_path_buf()));
    let mut requests = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let stem = file.file_stem().unwrap_or_default().to_string_lossy();
        // A .patch applies to the solution; any other file replaces its lib.rs.
        let full = std::fs::canonicalize(file).unwrap_or_else(|_| file.clone());
        let source = if file.extension().is_some_and(|x| x == "patch") {
            Source::Patch(&full)
        } else {
            Source::File(&text)
        };
        let krate = ws.add(&stem, &lesson, source, suite.as_deref())?;
        requests.push(Request { lesson: lesson.clone(), krate });
    }
    ws.finish()?;
    let grades = grading::grade_all(&root, &requests, term::color(), s.jobs);
    for (file, g) in files.iter().zip(&grades) {
        if files.len() > 1 {
            println!("=== {} ===", file.file_stem().unwrap_or_default().to_string_lossy());
        }
        if json {
            let results = crate::exercism::results(&root, g);
            println!("{}", serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?);
        } else {
            print!("{}", render::lesson_result(&root, g));
        }
    }
    ws.remove();
    Ok(if grades.iter().all(LessonResult::passed) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Problems found, per lesson.
#[derive(Default)]
struct Findings {
    problems: Vec<String>,
}

impl Findings {
    fn fail(&mut self, lesson: &str, what: impl Into<String>) {
        self.problems.push(format!("{lesson}: {}", what.into()));
    }
}

/// `dev check`: everything a lesson needs, for every lesson.
///
/// With `sample`, only the first mutant of each lesson is graded (the per-commit test); the
/// full check grades them all.
pub(crate) fn check(s: &Session, sample: bool) -> Result<ExitCode, String> {
    let (root, course, jobs) = (&s.root, &s.course, s.jobs);
    println!("{} registry: {} lessons", green("✓"), course.lessons.len());
    let mut f = Findings::default();
    let members = workspace_members(root)?;
    for l in &course.lessons {
        static_checks(root, l, &members, &mut f);
    }
    let sums = integrity::read_sums(root);
    for l in &course.lessons {
        let name = l.suite().file_name().unwrap_or_default().to_string_lossy().into_owned();
        let actual = std::fs::read(root.join(l.suite())).map(|b| integrity::fnv(&b)).ok();
        if actual.is_none() || sums.get(&name).copied() != actual {
            f.fail(
                &l.name,
                format!(
                    "{} is not recorded in {}: run `{CHECKER} dev sums`",
                    l.suite().display(),
                    integrity::SUMS
                ),
            );
        }
    }
    report_step("static checks (crates, API, suites, hints, links)", &f.problems, 0);
    let before = f.problems.len();

    // Every stub (as committed, whatever the learner did to the working copy) fails, every
    // solution passes: one build for all of them.
    let mut stubs = scratch::Workspace::new(root, "stubs").map_err(|e| e.to_string())?;
    let mut requests = Vec::new();
    for l in &course.lessons {
        requests.push(scratch::stub_request(root, l, &mut stubs)?);
        requests.push(Request::solution(root, l));
    }
    stubs.finish()?;
    let grades = grading::grade_all(root, &requests, false, jobs);
    for pair in grades.chunks(2) {
        stub_fails(root, &pair[0], &mut f);
        solution_passes(root, &pair[1], &mut f);
    }
    let properties = grades
        .chunks(2)
        .filter(|pair| !pair[1].properties.is_empty())
        .map(|pair| {
            (
                pair[1].lesson.name.clone(),
                pair[1].properties.iter().map(|p| p.info.clone()).collect(),
            )
        })
        .collect();
    report_step(
        "every stub fails with `not implemented yet`, every solution passes",
        &f.problems,
        before,
    );
    let before = f.problems.len();

    let screens = screens::all(root, course, jobs);
    match screens.and_then(|screens| derived::expected(root, course, &properties, Some(&screens))) {
        Ok(expected) => {
            for d in derived::stale(root, &expected) {
                f.fail("course", format!("{} is stale: run `{}`", d.path.display(), derived::SYNC));
            }
        }
        Err(e) => f.fail("course", e),
    }
    report_step(&format!("derived files are fresh (`{}`)", derived::SYNC), &f.problems, before);
    let before = f.problems.len();

    let (caught, total) =
        mutants::check_all(root, course, jobs, sample, &mut |lesson, what| f.fail(lesson, what))?;
    let of = if sample { "a sample (one a lesson; `dev check` grades all)" } else { "all" };
    report_step(
        &format!("mutants, {of}: {caught} of {total} rejected by the property they target"),
        &f.problems,
        before,
    );

    if f.problems.is_empty() {
        println!(
            "\n{} the course is sound: {} lessons",
            green("dev check passed:"),
            course.lessons.len()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("\n{} {} problems:", red("dev check failed:"), f.problems.len());
        for p in &f.problems {
            println!("  - {p}");
        }
        Ok(ExitCode::FAILURE)
    }
}

fn report_step(what: &str, problems: &[String], before: usize) {
    let mark = if problems.len() == before { green("✓") } else { red("✗") };
    println!("{mark} {what}");
}

fn stub_fails(root: &Path, g: &LessonResult, f: &mut Findings) {
    let name = &g.lesson.name;
    // The stub's crate: the exercise, or the scratch copy of its committed text.
    let homes = [
        g.lesson.exercise().display().to_string(),
        g.dir.strip_prefix(root).unwrap_or(&g.dir).display().to_string(),
        g.dir.display().to_string(),
        // A scratch crate's locations are relative to its scratch workspace.
        g.dir.file_name().unwrap_or_default().to_string_lossy().into_owned(),
    ];
    match &g.state {
        State::Failed => {
            for p in g.properties.iter().filter(|p| !p.passed()) {
                let Some(v) = &p.outcome.verdict else { continue };
                let at_task = v.kind == Some(Kind::Unfinished)
                    && v.location.as_deref().is_some_and(|at| {
                        homes.iter().any(|home| at.starts_with(&format!("{home}/")))
                    });
                if !at_task {
                    f.fail(name, format!(
                        "on the stub, property `{}` fails with `{}` (at {}) instead of pointing at a todo!() in {}",
                        p.info.name,
                        v.summary,
                        v.location.as_deref().unwrap_or("no location"),
                        g.lesson.exercise().display()
                    ));
                }
            }
            for p in g.properties.iter().filter(|p| p.passed()) {
                f.fail(
                    name,
                    format!(
                        "property `{}` passes on the stub: it cannot tell the task is undone",
                        p.info.name
                    ),
                );
            }
        }
        State::Passed => f.fail(name, "the stub passes its suite"),
        State::Broken(text) => {
            f.fail(name, format!("the stub does not compile:\n{}", term::strip_ansi(text)))
        }
        State::Refused(why) => f.fail(name, format!("the stub was not graded: {why}")),
    }
}

fn solution_passes(root: &Path, g: &LessonResult, f: &mut Findings) {
    if !g.passed() {
        f.fail(
            &g.lesson.name,
            format!(
                "the solution does not pass:\n{}",
                term::strip_ansi(&render::lesson_result(root, g))
            ),
        );
    }
}

/// The workspace's member directories.
fn workspace_members(root: &Path) -> Result<BTreeSet<PathBuf>, String> {
    let doc = compile::manifest(root)?;
    let members = doc
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
        .ok_or("the root Cargo.toml has no [workspace] members")?;
    Ok(members.iter().filter_map(|m| m.as_str()).map(PathBuf::from).collect())
}

fn static_checks(root: &Path, l: &Lesson, members: &BTreeSet<PathBuf>, f: &mut Findings) {
    let n = &l.name;
    let (ex, sol) = (root.join(l.exercise()), root.join(l.solution()));
    for dir in [&l.exercise(), &l.solution()] {
        if !members.contains(dir) {
            f.fail(
                n,
                format!("{} is not a member of the workspace (root Cargo.toml)", dir.display()),
            );
        }
    }
    match (compile::lib_name(&ex), compile::lib_name(&sol)) {
        (Ok(a), Ok(b)) if a == b => {}
        (Ok(a), Ok(b)) => f.fail(n, format!("exercise and solution have different library names (`{a}`, `{b}`): one suite cannot grade both")),
        (Err(e), _) | (_, Err(e)) => f.fail(n, e),
    }
    for (dir, scratch) in [(&ex, false), (&sol, false)] {
        if let Err(why) = integrity::verify(root, dir, &l.suite(), scratch)
            && !why.contains(integrity::SUMS)
        {
            f.fail(n, why);
        }
    }
    if l.suite().starts_with(l.exercise()) {
        f.fail(n, "the suite lives inside the exercise crate, where the learner edits");
    }
    if ex.join("tests").exists() {
        f.fail(
            n,
            format!(
                "{}/tests exists: the learner's crate must not carry its own tests",
                l.exercise().display()
            ),
        );
    }
    // The stub as committed: a learner's solved working copy is not the course's stub.
    let stub = scratch::committed_stub(root, l)
        .unwrap_or_else(|| std::fs::read_to_string(ex.join("src/lib.rs")).unwrap_or_default());
    if !stub.contains("todo!(") {
        f.fail(n, "the stub has no todo!(): what is the learner to write?");
    }
    let solved = std::fs::read_to_string(sol.join("src/lib.rs")).unwrap_or_default();
    let (a, b) = (public_api(&stub), public_api(&solved));
    for only in a.difference(&b) {
        f.fail(n, format!("public item only in the exercise: `{only}`"));
    }
    for only in b.difference(&a) {
        f.fail(n, format!("public item only in the solution: `{only}`"));
    }
    for doc in [ex.join("README.md"), root.join(l.chapter())] {
        match std::fs::read_to_string(&doc) {
            Ok(text) => {
                for target in broken_links(&doc, &text) {
                    f.fail(
                        n,
                        format!(
                            "{} links to `{target}`, which does not exist",
                            doc.strip_prefix(root).unwrap_or(&doc).display()
                        ),
                    );
                }
            }
            Err(_) => f.fail(
                n,
                format!("{} is missing", doc.strip_prefix(root).unwrap_or(&doc).display()),
            ),
        }
    }
    if !root.join(l.listings()).is_file() {
        f.fail(
            n,
            format!(
                "{} is missing: every chapter's listings are tested there",
                l.listings().display()
            ),
        );
    }
    let mutants = mutants::list(root, l).map(|m| m.len()).unwrap_or(0);
    if mutants < mutants::LEAST {
        f.fail(
            n,
            format!(
                "{mutants} mutants in {}/; every lesson keeps at least {}",
                l.mutants().display(),
                mutants::LEAST
            ),
        );
    }
}

/// The public items of a Rust file, one normalised signature each (what a learner's code and
/// the suite rely on). Line-based: enough for files formatted by rustfmt.
pub(crate) fn public_api(text: &str) -> BTreeSet<String> {
    let mut items = BTreeSet::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if current.is_none() && t.starts_with("pub ") {
            current = Some(String::new());
        }
        if let Some(sig) = current.as_mut() {
            sig.push(' ');
            sig.push_str(t);
            if t.contains('{') || t.ends_with(';') || t.ends_with(',') || t.ends_with('}') {
                let cut = sig.split('{').next().unwrap_or_default();
                let normal: Vec<&str> = cut.split_whitespace().collect();
                items.insert(normal.join(" ").trim_end_matches([';', ',']).to_string());
                current = None;
            }
        }
    }
    items
}

/// Relative Markdown links in `text` (a file at `doc`) whose target does not exist.
fn broken_links(doc: &Path, text: &str) -> Vec<String> {
    let base = doc.parent().unwrap_or(Path::new("."));
    let mut broken = Vec::new();
    for (i, _) in text.match_indices("](") {
        let rest = &text[i + 2..];
        let Some(end) = rest.find(')') else { continue };
        let target = rest[..end].split('#').next().unwrap_or_default().trim();
        if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        if !base.join(target).exists() {
            broken.push(target.to_string());
        }
    }
    broken
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_api_sees_signatures_not_bodies() {
        let a = "pub fn f(x: u32) -> u32 {\n    todo!()\n}\npub struct S {\n    pub n: u32,\n}\nfn private() {}\n";
        let b = "pub fn f(x: u32) -> u32 {\n    x + 1\n}\npub struct S {\n    pub n: u32,\n}\n";
        assert_eq!(public_api(a), public_api(b));
        let c = "pub fn f(x: u64) -> u32 {\n    1\n}\n";
        assert!(public_api(c).contains("pub fn f(x: u64) -> u32"));
    }

    #[test]
    fn broken_links_are_found() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let doc = dir.join("README.md");
        let text = "[ok](Cargo.toml) [web](https://x.org) [bad](nope.md#x)";
        assert_eq!(broken_links(&doc, text), ["nope.md"]);
    }
}
