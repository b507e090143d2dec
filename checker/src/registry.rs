//! The course registry (`checker/course.toml`): the lessons in order, and their consistency.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The registry's path, relative to the workspace root.
pub(crate) const REGISTRY: &str = "checker/course.toml";
/// The format this checker reads.
const FORMAT: u32 = 1;

/// One lesson, as the registry describes it: only what nothing else can say. Every path is
/// derived from the name; the tasks and their demands come from the suite's property list.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Lesson {
    /// `NN_topic`: names the crates, the suite, the mutants and the chapter.
    pub(crate) name: String,
    /// Shown in the progress list, the book's table of contents and the chapter's heading.
    pub(crate) title: String,
    /// From a nudge to nearly the answer, one more per `hint`.
    pub(crate) hints: Vec<String>,
    /// Wall-clock limit per property run, in seconds (the backstop behind the watchdog).
    #[serde(default = "default_time_limit")]
    pub(crate) time_limit: u64,
}

fn default_time_limit() -> u64 {
    20
}

impl Lesson {
    /// The learner's crate, `exercises/NN_topic`.
    pub(crate) fn exercise(&self) -> PathBuf {
        PathBuf::from("exercises").join(&self.name)
    }

    /// The reference solution, `solutions/NN_topic`.
    pub(crate) fn solution(&self) -> PathBuf {
        PathBuf::from("solutions").join(&self.name)
    }

    /// The property suite, `checker/suites/NN_topic.rs`.
    pub(crate) fn suite(&self) -> PathBuf {
        PathBuf::from(format!("checker/suites/{}.rs", self.name))
    }

    /// The chapter, `book/src/NN_topic.md`.
    pub(crate) fn chapter(&self) -> PathBuf {
        PathBuf::from(format!("book/src/{}.md", self.name))
    }

    /// The book's tested listings of the chapter, `book/listings/tests/chNN_topic.rs`.
    pub(crate) fn listings(&self) -> PathBuf {
        PathBuf::from(format!("book/listings/tests/ch{}.rs", self.name))
    }

    /// The mutants' directory, `checker/mutants/NN_topic`.
    pub(crate) fn mutants(&self) -> PathBuf {
        PathBuf::from("checker/mutants").join(&self.name)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    format: u32,
    #[serde(default, rename = "lesson")]
    lessons: Vec<Lesson>,
}

/// The course: its lessons in order, and the workspace root all paths are relative to.
#[derive(Clone, Debug)]
pub(crate) struct Course {
    pub(crate) root: PathBuf,
    pub(crate) lessons: Vec<Lesson>,
}

/// A registry problem, naming the entry and the field.
#[derive(Debug)]
pub(crate) struct RegistryError {
    pub(crate) entry: Option<String>,
    pub(crate) field: Option<String>,
    pub(crate) problem: String,
}

impl RegistryError {
    fn new(entry: &str, field: &str, problem: impl Into<String>) -> RegistryError {
        RegistryError {
            entry: Some(entry.to_string()),
            field: Some(field.to_string()),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{REGISTRY}")?;
        if let Some(entry) = &self.entry {
            write!(f, ": lesson `{entry}`")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field `{field}`")?;
        }
        write!(f, ": {}", self.problem)
    }
}

impl Course {
    /// Reads and checks the registry under `root`.
    pub(crate) fn load(root: &Path) -> Result<Course, RegistryError> {
        let path = root.join(REGISTRY);
        let text = std::fs::read_to_string(&path).map_err(|e| RegistryError {
            entry: None,
            field: None,
            problem: format!("cannot read it: {e}"),
        })?;
        Course::parse(root, &text)
    }

    /// Parses registry text; every path in it is relative to `root`.
    pub(crate) fn parse(root: &Path, text: &str) -> Result<Course, RegistryError> {
        let file: File = toml::from_str(text).map_err(|e| {
            // toml's message names the line; find the lesson around it for our own words.
            let entry = e.span().and_then(|span| lesson_at(text, span.start));
            RegistryError { entry, field: None, problem: e.message().trim().to_string() }
        })?;
        if file.format != FORMAT {
            return Err(RegistryError {
                entry: None,
                field: Some("format".into()),
                problem: format!(
                    "this checker reads format {FORMAT}, the file says {}",
                    file.format
                ),
            });
        }
        let course = Course { root: root.to_path_buf(), lessons: file.lessons };
        course.validate()?;
        Ok(course)
    }

    fn validate(&self) -> Result<(), RegistryError> {
        for (i, l) in self.lessons.iter().enumerate() {
            let n = &l.name;
            let well_formed = n.len() > 3
                && n.as_bytes()[..2].iter().all(u8::is_ascii_digit)
                && n.as_bytes()[2] == b'_'
                && n[3..]
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit());
            if !well_formed {
                return Err(RegistryError::new(
                    n,
                    "name",
                    "must look like `NN_topic` (two digits, an underscore, lowercase words)",
                ));
            }
            if self.lessons[..i].iter().any(|o| &o.name == n) {
                return Err(RegistryError::new(n, "name", "is used by an earlier lesson"));
            }
            if l.title.trim().is_empty() {
                return Err(RegistryError::new(n, "title", "is empty"));
            }
            if l.hints.len() < 2 {
                return Err(RegistryError::new(n, "hints", "needs at least 2 entries"));
            }
            if let Some(k) = l.hints.iter().position(|s| s.trim().is_empty()) {
                return Err(RegistryError::new(n, "hints", format!("entry {} is empty", k + 1)));
            }
            for (what, path, dir) in [
                ("exercise", l.exercise(), true),
                ("solution", l.solution(), true),
                ("suite", l.suite(), false),
                ("chapter", l.chapter(), false),
            ] {
                let full = self.root.join(&path);
                let ok = if dir { full.join("Cargo.toml").is_file() } else { full.is_file() };
                if !ok {
                    let kind = if dir { "a crate directory (with a Cargo.toml)" } else { "a file" };
                    return Err(RegistryError::new(
                        n,
                        "name",
                        format!("its {what}, `{}`, is not {kind}", path.display()),
                    ));
                }
            }
            if l.time_limit == 0 {
                return Err(RegistryError::new(n, "time_limit", "must be at least 1 second"));
            }
        }
        Ok(())
    }

    /// The lesson called `name`, or an error listing the names.
    pub(crate) fn lesson(&self, name: &str) -> Result<&Lesson, String> {
        self.lessons.iter().find(|l| l.name == name || l.name[3..] == *name).ok_or_else(|| {
            let names: Vec<&str> = self.lessons.iter().map(|l| l.name.as_str()).collect();
            format!("no lesson `{name}`; the lessons are: {}", names.join(", "))
        })
    }
}

/// The `name` of the `[[lesson]]` table that contains byte `at`, if any.
fn lesson_at(text: &str, at: usize) -> Option<String> {
    // A missing field's span is the whole table, starting at its `[[lesson]]` header.
    let before = &text[..(at + "[[lesson]]".len()).min(text.len())];
    let start = before.rfind("[[lesson]]")?;
    text[start..].lines().find_map(|line| {
        let rest = line.trim().strip_prefix("name")?.trim().strip_prefix('=')?;
        Some(rest.trim().trim_matches('"').to_string())
    })
}

/// The workspace root: the nearest ancestor of the current directory holding the registry.
pub(crate) fn find_root() -> Result<PathBuf, String> {
    let start =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    start.ancestors().find(|dir| dir.join(REGISTRY).is_file()).map(Path::to_path_buf).ok_or_else(
        || {
            format!(
                "{REGISTRY} not found above {}: run the checker inside the course's repository",
                start.display()
            )
        },
    )
}

#[cfg(test)]
mod tests {
    /// The code a hint spells out compiles: the snippets of lesson 01's last hint and lesson
    /// 06's second are, whitespace aside, in the solutions (built and graded by `cargo test`).
    #[test]
    fn hint_code_is_the_solutions_code() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
        let course = Course::load(&root).unwrap();
        let squash = |s: &str| s.split_whitespace().collect::<String>();
        for (lesson, hint, snippet) in [
            (
                "01_spawn",
                2,
                "let tasks: Vec<Task<String>> = delays.iter().enumerate().map(|(id, &delay)| -> Task<String> { Box::new(move || greeter(id, delay)) }).collect();",
            ),
            ("06_worker_pool", 1, "worker(jobs, results, &*f)"),
        ] {
            let l = course.lesson(lesson).unwrap();
            assert!(l.hints[hint].contains(&format!("`{snippet}`")), "{lesson} hint {hint}");
            let solution =
                std::fs::read_to_string(root.join(l.solution()).join("src/lib.rs")).unwrap();
            assert!(squash(&solution).contains(&squash(snippet)), "{lesson}: {snippet}");
        }
    }

    use super::*;

    fn entry(extra: &str) -> String {
        format!("format = 1\n[[lesson]]\nname = \"01_spawn\"\ntitle = \"t\"\n{extra}")
    }

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
    }

    #[test]
    fn a_missing_field_names_the_lesson() {
        let err = Course::parse(&root(), &entry("")).unwrap_err().to_string();
        assert!(err.contains("lesson `01_spawn`"), "{err}");
        assert!(err.contains("hints"), "{err}");
    }

    #[test]
    fn too_few_hints_names_the_field() {
        let err = Course::parse(&root(), &entry("hints = [\"only one\"]")).unwrap_err().to_string();
        assert!(err.contains("field `hints`: needs at least 2 entries"), "{err}");
    }

    #[test]
    fn an_unknown_field_is_refused() {
        let err = Course::parse(&root(), &entry("hints = [\"a\", \"b\"]\nhint = \"x\""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("01_spawn") && err.contains("hint"), "{err}");
    }

    #[test]
    fn a_lesson_without_its_crates_names_the_missing_path() {
        let text = entry("hints = [\"a\", \"b\"]").replace("01_spawn", "09_nope");
        let err = Course::parse(&root(), &text).unwrap_err().to_string();
        assert!(err.contains("its exercise, `exercises/09_nope`, is not a crate"), "{err}");
    }

    #[test]
    fn fields_no_code_reads_are_refused() {
        let err = Course::parse(&root(), &entry("hints = [\"a\", \"b\"]\ntasks = [\"t\"]"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `tasks`"), "{err}");
    }

    #[test]
    fn the_real_registry_loads() {
        let course = Course::load(&root()).unwrap();
        assert!(!course.lessons.is_empty());
    }
}
