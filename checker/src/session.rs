//! The session a command acts on: the workspace root, the course, and the learner's progress.

use std::path::PathBuf;

use crate::grading::{self, LessonResult, Request};
use crate::registry::{self, Course, Lesson};
use crate::state::{self, Progress};
use crate::term::{self, yellow};

/// Everything a command needs: the root, the course, the progress.
pub(crate) struct Session {
    pub(crate) root: PathBuf,
    pub(crate) course: Course,
    pub(crate) progress: Progress,
    pub(crate) jobs: usize,
}

impl Session {
    pub(crate) fn open() -> Result<Session, String> {
        let root = registry::find_root()?;
        let course = Course::load(&root).map_err(|e| e.to_string())?;
        let loaded = Progress::load(&root, &course);
        if let Some(w) = loaded.warning {
            eprintln!("{} {w}", yellow("note:"));
        }
        let jobs = std::thread::available_parallelism().map_or(2, usize::from);
        let mut s = Session { root, course, progress: loaded.progress, jobs };
        if loaded.rebuild {
            // As the note says: every lesson is graded, so no passed lesson is lost and the
            // next step named is right.
            eprintln!("{}", term::dim("rebuilding progress: grading every lesson once ..."));
            let lessons = s.course.lessons.clone();
            s.grade_and_record(&lessons);
        }
        Ok(s)
    }

    pub(crate) fn save(&self) {
        if let Err(e) = self.progress.save(&self.root) {
            eprintln!("{} cannot save progress to {}: {e}", yellow("note:"), state::PROGRESS);
        }
    }

    /// Grades lessons and records passes (and un-passes) in the progress.
    pub(crate) fn grade_and_record(&mut self, lessons: &[Lesson]) -> Vec<LessonResult> {
        let requests: Vec<Request> =
            lessons.iter().map(|l| Request::exercise(&self.root, l)).collect();
        let grades = grading::grade_all(&self.root, &requests, term::color(), self.jobs);
        for g in &grades {
            if g.passed() {
                let sum = state::source_sum(&g.dir);
                self.progress.passed.insert(g.lesson.name.clone(), sum);
            } else {
                self.progress.passed.remove(&g.lesson.name);
            }
        }
        self.save();
        grades
    }

    /// True if the lesson passed and its sources have not changed since.
    pub(crate) fn still_passing(&self, l: &Lesson) -> bool {
        self.progress.passed.get(&l.name) == Some(&state::source_sum(&self.root.join(l.exercise())))
    }

    /// The first lesson not passing, by the progress file.
    pub(crate) fn current(&self) -> Option<usize> {
        self.course.lessons.iter().position(|l| !self.progress.passed.contains_key(&l.name))
    }

    pub(crate) fn lesson(&self, name: &str) -> Result<Lesson, String> {
        self.course.lesson(name).cloned()
    }
}
