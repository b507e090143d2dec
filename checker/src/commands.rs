//! The learner's commands, each acting on the session: the course flow, list, check, hint,
//! replay, reset, solution.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::Path;
use std::process::ExitCode;

use crate::grading::{self, LessonResult};
use crate::registry::Lesson;
use crate::render::{self, CHECKER};
use crate::session::Session;
use crate::state;
use crate::term::{self, bold, dim, green};

fn code(pass: bool) -> ExitCode {
    if pass { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// No arguments: grade in order up to the first lesson not passing; show progress and next.
pub(crate) fn course_flow(s: &mut Session) -> Result<ExitCode, String> {
    let mut shown = None;
    for l in s.course.lessons.clone() {
        if s.still_passing(&l) {
            continue;
        }
        println!("{}", dim(&format!("grading {} ...", l.name)));
        let g = s.grade_and_record(std::slice::from_ref(&l)).remove(0);
        if !g.passed() {
            shown = Some(g);
            break;
        }
        print!("{}", render::lesson_result(&s.root, &g));
    }
    if let Some(g) = &shown {
        println!("{}", render::lesson_result(&s.root, g));
    }
    print!("{}", render::progress(&s.course, &s.progress, s.current()));
    print!("{}", render::next_step(&s.root, &s.course, s.current()));
    Ok(code(shown.is_none()))
}

pub(crate) fn list(s: &Session) -> Result<ExitCode, String> {
    print!("{}", render::list(&s.course, &s.progress, s.current()));
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn check(
    s: &mut Session,
    lesson: Option<&str>,
    all: bool,
    json: bool,
) -> Result<ExitCode, String> {
    let lessons: Vec<Lesson> = match (lesson, s.current()) {
        (Some(name), _) => vec![s.lesson(name)?],
        (None, Some(i)) if !all => vec![s.course.lessons[i].clone()],
        (None, _) => s.course.lessons.clone(),
    };
    let grades = s.grade_and_record(&lessons);
    let pass = grades.iter().all(LessonResult::passed);
    if json {
        let results: Vec<_> = grades.iter().map(|g| crate::exercism::results(&s.root, g)).collect();
        let text = if results.len() == 1 {
            serde_json::to_string_pretty(&results[0])
        } else {
            serde_json::to_string_pretty(&results)
        };
        println!("{}", text.map_err(|e| e.to_string())?);
        return Ok(code(pass));
    }
    for g in &grades {
        print!("{}", render::lesson_result(&s.root, g));
        if grades.len() > 1 {
            println!();
        }
    }
    if grades.len() > 1 {
        let passed = grades.iter().filter(|g| g.passed()).count();
        println!("{} {passed}/{} lessons pass", bold("Summary:"), grades.len());
    } else if pass {
        print!("{}", render::next_step(&s.root, &s.course, s.current()));
    }
    Ok(code(pass))
}

pub(crate) fn hint(s: &mut Session, name: &str) -> Result<ExitCode, String> {
    let l = s.lesson(name)?;
    let seen = s.progress.hints.get(&l.name).copied().unwrap_or(0);
    let level = (seen + 1).min(l.hints.len());
    s.progress.hints.insert(l.name.clone(), level);
    s.save();
    print!("{}", render::hints(&l, level));
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn replay(s: &Session, name: &str, token: &str) -> Result<ExitCode, String> {
    let l = s.lesson(name)?;
    match grading::replay(&s.root, &l, token, term::color()) {
        Ok(p) if p.passed() => {
            println!(
                "{} {}: this input and schedule now pass (the code changed since the token was printed, or the token is from another lesson)",
                green("✓"),
                p.info.name
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(p) => {
            print!("{}", render::replayed(&s.root, &l.name, p));
            Ok(ExitCode::FAILURE)
        }
        Err(g) => {
            print!("{}", render::lesson_result(&s.root, &g));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The stub as the course shipped it: from the upstream branch if there is one, else HEAD.
fn pristine(root: &Path, file: &Path) -> Result<String, String> {
    let rel = file.strip_prefix(root).unwrap_or(file);
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .current_dir(root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    };
    for rev in ["origin/HEAD", "HEAD"] {
        if let Some(text) = git(&["show", &format!("{rev}:{}", rel.display())])
            && text.contains("todo!(")
        {
            return Ok(text);
        }
    }
    Err(format!(
        "cannot find the original stub of {} in git (is this a clone of the course?)",
        rel.display()
    ))
}

pub(crate) fn reset(s: &mut Session, name: &str, yes: bool) -> Result<ExitCode, String> {
    let l = s.lesson(name)?;
    let file = s.root.join(l.exercise()).join("src/lib.rs");
    let original = pristine(&s.root, &file)?;
    let current = std::fs::read_to_string(&file).unwrap_or_default();
    if current == original {
        println!(
            "{} is already the original stub; nothing to do.",
            render::path_link(&s.root, &file)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let backup = s.root.join(format!(".checker/backups/{}-{stamp}.rs", l.name));
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(format!(
                "reset needs a confirmation; run `{CHECKER} reset {} --yes`",
                l.name
            ));
        }
        print!(
            "Reset {} to the original stub? Your file is saved to {} first. [y/N] ",
            l.name,
            backup.strip_prefix(&s.root).unwrap_or(&backup).display()
        );
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("Not reset.");
            return Ok(ExitCode::SUCCESS);
        }
    }
    state::write_atomic(&backup, &current)
        .map_err(|e| format!("cannot back up your file, so nothing was reset: {e}"))?;
    state::write_atomic(&file, &original)
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    s.progress.passed.remove(&l.name);
    s.save();
    println!(
        "{} {} is the original stub again; your version is in {}",
        green("✓"),
        render::path_link(&s.root, &file),
        render::path_link(&s.root, &backup)
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn solution(s: &Session, name: &str) -> Result<ExitCode, String> {
    let l = s.lesson(name)?;
    if !s.still_passing(&l) {
        return Err(format!(
            "{} does not pass yet (or changed since it passed). The solution opens once it passes: `{CHECKER} check {}`. Meanwhile, `{CHECKER} hint {}`.",
            l.name, l.name, l.name
        ));
    }
    let file = s.root.join(l.solution()).join("src/lib.rs");
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    println!("{} {}\n", bold("Reference solution:"), render::path_link(&s.root, &file));
    println!("{text}");
    let notes = s.root.join(l.solution()).join("README.md");
    if let Ok(notes) = std::fs::read_to_string(&notes) {
        println!("{}\n{notes}", bold("Why it is written this way:"));
    }
    Ok(ExitCode::SUCCESS)
}
