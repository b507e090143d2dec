//! Grading lessons end to end: the suite is checked, every crate built in one cargo run, then each
//! lesson's properties run (one child process each, see [`crate::suite`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use grade_wire::PropertyInfo;
use std::time::{Duration, Instant};

use crate::compile::{self, Built, Crate};
use crate::integrity;
use crate::registry::Lesson;
use crate::suite::{self, Binary, PropertyResult};

/// How a lesson's grading ended.
#[derive(Clone, Debug)]
pub(crate) enum State {
    /// Every property passed.
    Passed,
    /// Some property failed.
    Failed,
    /// The crate did not compile: the compiler's output.
    Broken(String),
    /// The checker would not grade it (an edited suite): why, and how to restore it.
    Refused(String),
}

/// One lesson's result.
#[derive(Clone, Debug)]
pub(crate) struct LessonResult {
    pub(crate) lesson: Lesson,
    /// The crate graded (exercise, solution or scratch copy).
    pub(crate) dir: PathBuf,
    pub(crate) state: State,
    pub(crate) properties: Vec<PropertyResult>,
    pub(crate) build_time: Duration,
    pub(crate) run_time: Duration,
    /// The suite binary, if it was built.
    pub(crate) exe: Option<PathBuf>,
}

impl LessonResult {
    pub(crate) fn passed(&self) -> bool {
        matches!(self.state, State::Passed)
    }

    /// The first failing property, if any.
    pub(crate) fn first_failure(&self) -> Option<&PropertyResult> {
        self.properties.iter().find(|g| !g.passed())
    }
}

/// What to grade: a lesson, and the crate standing for it.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub(crate) lesson: Lesson,
    pub(crate) krate: Crate,
}

impl Request {
    /// The learner's exercise crate.
    pub(crate) fn exercise(root: &Path, lesson: &Lesson) -> Request {
        Request {
            lesson: lesson.clone(),
            krate: Crate { dir: root.join(lesson.exercise()), scratch: false },
        }
    }

    /// The reference solution.
    pub(crate) fn solution(root: &Path, lesson: &Lesson) -> Request {
        Request {
            lesson: lesson.clone(),
            krate: Crate { dir: root.join(lesson.solution()), scratch: false },
        }
    }
}

/// Where results files and scratch crates go.
pub(crate) fn scratch_dir(root: &Path) -> PathBuf {
    let dir = root.join("target/checker");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Grades every request: checks the suites, builds all crates in one cargo run, then runs
/// each lesson's properties (`jobs` processes at a time).
pub(crate) fn grade_all(
    root: &Path,
    requests: &[Request],
    color: bool,
    jobs: usize,
) -> Vec<LessonResult> {
    let scratch = scratch_dir(root);
    let mut refused: Vec<Option<String>> = requests
        .iter()
        .map(|r| integrity::verify(root, &r.krate.dir, &r.lesson.suite(), r.krate.scratch).err())
        .collect();
    let to_build: Vec<usize> = (0..requests.len()).filter(|&i| refused[i].is_none()).collect();
    let crates: Vec<Crate> = to_build.iter().map(|&i| requests[i].krate.clone()).collect();
    let start = Instant::now();
    let built = compile::build(root, &crates, color);
    let build_time = start.elapsed();
    let mut exes: Vec<Option<Built>> = vec![None; requests.len()];
    for (&i, b) in to_build.iter().zip(built) {
        exes[i] = Some(b);
    }
    requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut result = LessonResult { build_time, ..empty_result(r, State::Failed) };
            if let Some(why) = refused[i].take() {
                result.state = State::Refused(why);
                return result;
            }
            match exes[i].take() {
                Some(Built::Ok(exe)) => {
                    let start = Instant::now();
                    let dir = r.krate.dir.clone();
                    let b = Binary { exe: &exe, crate_dir: &dir, scratch: &scratch };
                    run_suite(&mut result, b, jobs);
                    result.run_time = start.elapsed();
                    // Code under test could rewrite the suite while it ran: no grade then.
                    let suite = r.lesson.suite();
                    if let Err(why) = integrity::verify(root, &dir, &suite, r.krate.scratch) {
                        result.state = State::Refused(format!(
                            "{} changed while its properties ran, so this run does not count. {why}",
                            suite.display()
                        ));
                    }
                    result.exe = Some(exe);
                }
                Some(Built::Failed(text)) => result.state = State::Broken(text),
                None => result.state = State::Broken("not built".into()),
            }
            result
        })
        .collect()
}

fn run_suite(result: &mut LessonResult, b: Binary<'_>, jobs: usize) {
    let infos = match suite::list(b) {
        Ok(infos) => infos,
        Err(why) => {
            result.state = State::Broken(why);
            return;
        }
    };
    let limit = Duration::from_secs(result.lesson.time_limit);
    result.properties = suite::run_all(b, &infos, limit, jobs);
    result.state = if result.properties.iter().all(PropertyResult::passed) && !infos.is_empty() {
        State::Passed
    } else {
        State::Failed
    };
}

/// Each lesson's property list, from its solution's suite (built in one cargo run).
pub(crate) fn property_lists(
    root: &Path,
    lessons: &[Lesson],
) -> Result<BTreeMap<String, Vec<PropertyInfo>>, String> {
    let crates: Vec<Crate> =
        lessons.iter().map(|l| Crate { dir: root.join(l.solution()), scratch: false }).collect();
    let scratch = scratch_dir(root);
    let mut lists = BTreeMap::new();
    for ((l, krate), built) in lessons.iter().zip(&crates).zip(compile::build(root, &crates, false))
    {
        let Built::Ok(exe) = built else {
            return Err(format!("{}: the solution does not build", l.name));
        };
        let b = Binary { exe: &exe, crate_dir: &krate.dir, scratch: &scratch };
        lists.insert(l.name.clone(), suite::list(b).map_err(|e| format!("{}: {e}", l.name))?);
    }
    Ok(lists)
}

/// Replays a token against the learner's exercise.
pub(crate) fn replay(
    root: &Path,
    lesson: &Lesson,
    token: &str,
    color: bool,
) -> Result<PropertyResult, Box<LessonResult>> {
    let request = Request::exercise(root, lesson);
    // A damaged token would replay some other input or schedule: refused before building.
    if let Err(why) = grade_wire::unseal(token) {
        return Err(Box::new(empty_result(&request, State::Refused(why))));
    }
    if let Err(why) = integrity::verify(root, &request.krate.dir, &lesson.suite(), false) {
        return Err(Box::new(empty_result(&request, State::Refused(why))));
    }
    match compile::build(root, std::slice::from_ref(&request.krate), color).pop() {
        Some(Built::Ok(exe)) => {
            let scratch = scratch_dir(root);
            let b = Binary { exe: &exe, crate_dir: &request.krate.dir, scratch: &scratch };
            Ok(suite::replay(b, token, Duration::from_secs(lesson.time_limit)))
        }
        Some(Built::Failed(text)) => Err(Box::new(empty_result(&request, State::Broken(text)))),
        None => Err(Box::new(empty_result(&request, State::Broken("not built".into())))),
    }
}

fn empty_result(r: &Request, state: State) -> LessonResult {
    LessonResult {
        lesson: r.lesson.clone(),
        dir: r.krate.dir.clone(),
        state,
        properties: Vec::new(),
        build_time: Duration::ZERO,
        run_time: Duration::ZERO,
        exe: None,
    }
}
