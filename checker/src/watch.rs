//! `watch`: regrade the current lesson whenever it is saved (debounced), or on Enter.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher as _};

use crate::commands;
use crate::registry::Lesson;
use crate::render::{self, CHECKER};
use crate::session::Session;
use crate::term::{self, bold, dim, yellow};

/// Quiet time after the last file event before regrading (editors write in bursts).
const DEBOUNCE: Duration = Duration::from_millis(200);

enum Input {
    /// A file under `exercises/` changed.
    Changed(PathBuf),
    /// The file watcher failed.
    WatchError(String),
    /// A line typed by the learner.
    Line(String),
    /// Standard input closed.
    Eof,
}

pub(crate) fn watch(s: &mut Session, manual: bool) -> Result<ExitCode, String> {
    let (tx, rx) = mpsc::channel();
    let _watcher = if manual { None } else { start_watcher(&s.root, tx.clone()) };
    let manual = manual || _watcher.is_none();
    spawn_stdin(tx);
    regrade(s);
    prompt(manual);
    loop {
        let Ok(first) = rx.recv() else { return Ok(ExitCode::SUCCESS) };
        let mut changed = Vec::new();
        match first {
            Input::Changed(p) => changed.push(p),
            Input::WatchError(e) => {
                println!(
                    "{} file watching stopped ({e}). Run `{CHECKER} watch --manual` and press Enter to regrade.",
                    yellow("note:")
                );
                return Ok(ExitCode::FAILURE);
            }
            Input::Line(line) => match line.trim() {
                "q" | "quit" | "exit" => return Ok(ExitCode::SUCCESS),
                "h" | "hint" => {
                    if let Some(i) = s.current() {
                        let name = s.course.lessons[i].name.clone();
                        if let Err(e) = commands::hint(s, &name) {
                            println!("{} {e}", yellow("note:"));
                        }
                    }
                    prompt(manual);
                    continue;
                }
                "" | "r" => {}
                other => {
                    println!(
                        "{}",
                        dim(&format!("`{other}`? Enter regrades, h shows a hint, q quits."))
                    );
                    continue;
                }
            },
            Input::Eof => {
                if manual {
                    return Ok(ExitCode::SUCCESS);
                }
                continue;
            }
        }
        // Debounce: wait until the burst of events is over.
        while let Ok(more) = rx.recv_timeout(DEBOUNCE) {
            if let Input::Changed(p) = more {
                changed.push(p);
            }
        }
        if !changed.is_empty() && !changed.iter().any(|p| is_source(p)) {
            continue;
        }
        regrade(s);
        // Events caused while grading (the build writes nothing under exercises/, but an
        // editor may) are dropped: the grade just shown is of the latest save.
        while rx.try_recv().is_ok_and(|i| matches!(i, Input::Changed(_))) {}
        prompt(manual);
    }
}

fn is_source(p: &Path) -> bool {
    p.extension().is_some_and(|x| x == "rs" || x == "toml")
}

fn start_watcher(root: &Path, tx: mpsc::Sender<Input>) -> Option<notify::RecommendedWatcher> {
    let sender = tx.clone();
    let made = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let input = match event {
            Ok(e) if e.kind.is_modify() || e.kind.is_create() || e.kind.is_remove() => {
                match e.paths.into_iter().next() {
                    Some(p) => Input::Changed(p),
                    None => return,
                }
            }
            Ok(_) => return,
            Err(e) => Input::WatchError(e.to_string()),
        };
        let _ = sender.send(input);
    });
    let result = made
        .and_then(|mut w| w.watch(&root.join("exercises"), RecursiveMode::Recursive).map(|()| w));
    match result {
        Ok(w) => Some(w),
        Err(e) => {
            println!(
                "{} file watching is not available here ({e}); falling back to manual mode. \
                 Next time, run `{CHECKER} watch --manual` directly.",
                yellow("note:")
            );
            None
        }
    }
}

fn spawn_stdin(tx: mpsc::Sender<Input>) {
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(Input::Line(line)).is_err() {
                return;
            }
        }
        let _ = tx.send(Input::Eof);
    });
}

/// Lessons recorded as passed whose sources changed since: they are regraded first, even
/// when every lesson passed, so a lesson broken again is never still shown as passed.
fn edited_since_passing(s: &Session) -> Vec<Lesson> {
    s.course
        .lessons
        .iter()
        .filter(|l| s.progress.passed.contains_key(&l.name) && !s.still_passing(l))
        .cloned()
        .collect()
}

/// Grades every lesson edited since it passed, then the current lesson (and moves on while
/// lessons pass).
fn regrade(s: &mut Session) {
    if term::color() {
        print!("\x1b[2J\x1b[H");
    }
    for l in edited_since_passing(s) {
        println!("{}", dim(&format!("grading {} (edited since it passed) ...", l.name)));
        let g = s.grade_and_record(std::slice::from_ref(&l)).remove(0);
        print!("{}", render::lesson_result(&s.root, &g));
        if !g.passed() {
            print!("{}", render::progress(&s.course, &s.progress, s.current()));
            print!("{}", render::next_step(&s.root, &s.course, s.current()));
            return;
        }
    }
    while let Some(i) = s.current() {
        let l = s.course.lessons[i].clone();
        println!("{}", dim(&format!("grading {} ...", l.name)));
        let g = s.grade_and_record(std::slice::from_ref(&l)).remove(0);
        print!("{}", render::lesson_result(&s.root, &g));
        if !g.passed() {
            break;
        }
    }
    print!("{}", render::progress(&s.course, &s.progress, s.current()));
    print!("{}", render::next_step(&s.root, &s.course, s.current()));
}

fn prompt(manual: bool) {
    let how = if manual { "press Enter to regrade" } else { "regrading on every save" };
    println!("\n{} {how} · h + Enter: hint · q + Enter: quit", bold("watch:"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Course;
    use crate::state::{self, Progress};

    #[test]
    fn a_lesson_edited_after_every_lesson_passed_is_regraded() {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
        let course = Course::load(&repo).unwrap();
        let root = std::env::temp_dir().join(format!("checker-watch-{}", std::process::id()));
        let mut progress = Progress::default();
        for l in &course.lessons {
            let src = root.join(l.exercise()).join("src");
            std::fs::create_dir_all(&src).unwrap();
            std::fs::write(src.join("lib.rs"), "// solved\n").unwrap();
            progress.passed.insert(l.name.clone(), state::source_sum(&root.join(l.exercise())));
        }
        let s = Session { root: root.clone(), course, progress, jobs: 1 };
        assert!(s.current().is_none() && edited_since_passing(&s).is_empty());
        let second = s.course.lessons[1].clone();
        std::fs::write(root.join(second.exercise()).join("src/lib.rs"), "// broken\n").unwrap();
        let edited: Vec<String> = edited_since_passing(&s).into_iter().map(|l| l.name).collect();
        assert_eq!(edited, [second.name]);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
