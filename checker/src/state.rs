//! The learner's progress: a plain-text file under `.checker/`, written atomically.
//!
//! ```text
//! format 1
//! passed 01_spawn 3f2a9c0d11e4b7a8
//! hints 02_wait_group 2
//! ```
//!
//! `passed` records the checksum of the exercise's sources when it passed, so an edit after
//! passing is regraded rather than trusted. A file that cannot be read (or a directory in its
//! place) is moved aside once and rebuilt by grading every lesson; nothing in it is needed to
//! keep the learner's code.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::registry::Course;

/// The progress file, relative to the workspace root.
pub(crate) const PROGRESS: &str = ".checker/progress.txt";

/// What the learner has done.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Lessons passed, with the checksum of their sources at the time.
    pub(crate) passed: BTreeMap<String, u64>,
    /// Hint levels revealed per lesson.
    pub(crate) hints: BTreeMap<String, usize>,
}

/// Loading found a problem the learner should hear about (the file was set aside).
#[derive(Debug)]
pub(crate) struct Loaded {
    pub(crate) progress: Progress,
    pub(crate) warning: Option<String>,
    /// The file was unreadable and set aside: grade every lesson to rebuild it.
    pub(crate) rebuild: bool,
}

impl Progress {
    pub(crate) fn path(root: &Path) -> PathBuf {
        root.join(PROGRESS)
    }

    /// Reads the progress file; a missing file is a fresh start, a corrupt one is moved aside.
    pub(crate) fn load(root: &Path, course: &Course) -> Loaded {
        let path = Self::path(root);
        let parsed = match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8(bytes)
                .map_err(|_| "it is not text".to_string())
                .and_then(|t| Self::parse(&t, course)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Loaded { progress: Progress::default(), warning: None, rebuild: false };
            }
            Err(_) if path.is_dir() => Err("it is a directory".to_string()),
            Err(e) => Err(e.to_string()),
        };
        match parsed {
            Ok((progress, stale)) => {
                let warning = (!stale.is_empty()).then(|| {
                    format!(
                        "{PROGRESS} named lessons this course does not have ({}); they were dropped",
                        stale.join(", ")
                    )
                });
                Loaded { progress, warning, rebuild: false }
            }
            Err(why) => {
                let aside = (0..)
                    .map(|n| match n {
                        0 => path.with_extension("txt.corrupt"),
                        n => path.with_extension(format!("txt.corrupt.{n}")),
                    })
                    .find(|p| std::fs::symlink_metadata(p).is_err())
                    .expect("some name is free");
                let warning = match std::fs::rename(&path, &aside) {
                    Ok(()) => format!(
                        "{PROGRESS} could not be read ({why}); it was moved to {} and your \
                         progress is being rebuilt by grading every lesson. Your code is \
                         untouched.",
                        aside.strip_prefix(root).unwrap_or(&aside).display()
                    ),
                    Err(e) => format!(
                        "{PROGRESS} could not be read ({why}) nor moved aside ({e}): remove it \
                         so that progress can be saved. Your code is untouched."
                    ),
                };
                Loaded { progress: Progress::default(), warning: Some(warning), rebuild: true }
            }
        }
    }

    /// Parses the text; returns the progress and the lesson names the course does not have.
    fn parse(text: &str, course: &Course) -> Result<(Progress, Vec<String>), String> {
        let mut progress = Progress::default();
        let mut stale = Vec::new();
        let mut format_seen = false;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            let bad = || format!("line {} is not understood: `{line}`", n + 1);
            match words.as_slice() {
                ["format", "1"] => format_seen = true,
                ["format", other] => {
                    return Err(format!("format {other} is not one this checker reads"));
                }
                ["passed", lesson, sum] | ["hints", lesson, sum] => {
                    if course.lessons.iter().all(|l| l.name != *lesson) {
                        stale.push(lesson.to_string());
                        continue;
                    }
                    if words[0] == "passed" {
                        progress.passed.insert(
                            lesson.to_string(),
                            u64::from_str_radix(sum, 16).map_err(|_| bad())?,
                        );
                    } else {
                        progress.hints.insert(lesson.to_string(), sum.parse().map_err(|_| bad())?);
                    }
                }
                _ => return Err(bad()),
            }
        }
        if !format_seen {
            return Err("its `format` line is missing".into());
        }
        stale.sort();
        stale.dedup();
        Ok((progress, stale))
    }

    /// Saves atomically (a temporary file, then a rename).
    pub(crate) fn save(&self, root: &Path) -> std::io::Result<()> {
        let mut text = String::from(
            "# The course checker's record of your progress. Safe to delete: the checker\n\
             # rebuilds it by grading. Your code lives in exercises/, never here.\nformat 1\n",
        );
        for (lesson, sum) in &self.passed {
            text.push_str(&format!("passed {lesson} {sum:016x}\n"));
        }
        for (lesson, level) in &self.hints {
            text.push_str(&format!("hints {lesson} {level}\n"));
        }
        write_atomic(&Self::path(root), &text)
    }
}

/// Writes `text` to `path` through a temporary file and a rename, so a crash never leaves a
/// half-written file.
pub(crate) fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        // Never leave the temporary file behind (say, when `path` is a directory).
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The checksum of a crate's sources (`Cargo.toml` and everything under `src/`).
pub(crate) fn source_sum(dir: &Path) -> u64 {
    let mut files = vec![dir.join("Cargo.toml")];
    let mut stack = vec![dir.join("src")];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() { stack.push(p) } else { files.push(p) }
        }
    }
    files.sort();
    let mut bytes = Vec::new();
    for f in files {
        bytes.extend_from_slice(f.to_string_lossy().as_bytes());
        bytes.extend(std::fs::read(&f).unwrap_or_default());
    }
    grade_wire::fnv1a(grade_wire::FNV_OFFSET, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn course() -> Course {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
        Course::load(&root).unwrap()
    }

    #[test]
    fn progress_round_trips() {
        let course = course();
        let first = course.lessons[0].name.clone();
        let mut p = Progress::default();
        p.passed.insert(first.clone(), 0xabc);
        p.hints.insert(first, 2);
        let dir = std::env::temp_dir().join(format!("checker-state-{}", std::process::id()));
        p.save(&dir).unwrap();
        let loaded = Progress::load(&dir, &course);
        assert_eq!(loaded.progress, p);
        assert!(loaded.warning.is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_corrupt_file_is_moved_aside_and_reported() {
        let course = course();
        let dir = std::env::temp_dir().join(format!("checker-corrupt-{}", std::process::id()));
        write_atomic(&Progress::path(&dir), "format 1\npassed 01_spawn zzz\n").unwrap();
        let loaded = Progress::load(&dir, &course);
        assert_eq!(loaded.progress, Progress::default());
        assert!(loaded.rebuild, "every lesson is graded to rebuild it");
        let warning = loaded.warning.unwrap();
        assert!(warning.contains("line 2 is not understood"), "{warning}");
        assert!(dir.join(".checker/progress.txt.corrupt").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_in_place_of_the_file_is_reported_and_set_aside() {
        let course = course();
        let dir = std::env::temp_dir().join(format!("checker-dir-{}", std::process::id()));
        std::fs::create_dir_all(Progress::path(&dir)).unwrap();
        let loaded = Progress::load(&dir, &course);
        assert!(loaded.rebuild);
        assert!(loaded.warning.unwrap().contains("it is a directory"));
        assert!(dir.join(".checker/progress.txt.corrupt").is_dir());
        // Set aside once: the next load is a quiet fresh start, and saving works.
        let again = Progress::load(&dir, &course);
        assert!(again.warning.is_none() && !again.rebuild);
        Progress::default().save(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_save_leaves_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("checker-tmp-{}", std::process::id()));
        std::fs::create_dir_all(Progress::path(&dir)).unwrap();
        assert!(Progress::default().save(&dir).is_err());
        let left: Vec<_> = std::fs::read_dir(dir.join(".checker"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["progress.txt"], "only the directory stays");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_lessons_are_dropped_with_a_note() {
        let course = course();
        let dir = std::env::temp_dir().join(format!("checker-stale-{}", std::process::id()));
        write_atomic(&Progress::path(&dir), "format 1\npassed 99_gone 1f\n").unwrap();
        let loaded = Progress::load(&dir, &course);
        assert!(loaded.warning.unwrap().contains("99_gone"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
