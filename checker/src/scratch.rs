//! Scratch crates: a lesson's solution with one file replaced or one patch applied, built
//! outside the workspace into the shared target directory (mutants, `dev try`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::compile::Crate;
use crate::manifest;
use crate::registry::Lesson;

/// A scratch workspace under `target/checker/<name>/`, holding scratch crates.
#[derive(Debug)]
pub(crate) struct Workspace {
    root: PathBuf,
    dir: PathBuf,
    members: Vec<String>,
}

/// What goes into a scratch crate's `src/lib.rs`.
pub(crate) enum Source<'a> {
    /// This text replaces the solution's `lib.rs`.
    File(&'a str),
    /// This patch (against the solution crate, paths `a/src/...`) is applied to it.
    Patch(&'a Path),
}

impl Workspace {
    /// An empty scratch workspace. Files from an earlier run with the same name are kept
    /// where their contents are unchanged (and left out of the workspace otherwise), so an
    /// unchanged scratch crate is not rebuilt: a warm `dev check` only reruns suites.
    pub(crate) fn new(root: &Path, name: &str) -> std::io::Result<Workspace> {
        let dir = root.join("target/checker").join(name);
        std::fs::create_dir_all(&dir)?;
        let stage = dir.join(STAGE);
        if stage.exists() {
            std::fs::remove_dir_all(&stage)?;
        }
        Ok(Workspace { root: root.to_path_buf(), dir, members: Vec::new() })
    }

    /// Adds a crate standing for `lesson`: its solution with `source` applied, graded by
    /// `suite` (default: the lesson's own suite).
    pub(crate) fn add(
        &mut self,
        tag: &str,
        lesson: &Lesson,
        source: Source<'_>,
        suite: Option<&Path>,
    ) -> Result<Crate, String> {
        let name: String = tag
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
            .collect();
        // Built in a staging copy, then synced file by file into place.
        let dir = self.dir.join(STAGE).join(&name);
        let _ = std::fs::remove_dir_all(&dir);
        let solution = self.root.join(lesson.solution());
        copy_dir(&solution.join("src"), &dir.join("src"))
            .map_err(|e| format!("cannot copy {}: {e}", solution.display()))?;
        let lib = crate::compile::lib_name(&solution)?;
        let suite = suite.map_or_else(|| self.root.join(lesson.suite()), Path::to_path_buf);
        let (root, suite) = (self.root.display().to_string(), suite.display().to_string());
        let kind = manifest::Kind::Scratch { root: &root, suite: &suite };
        let manifest = manifest::render(kind, &lesson.name, &format!("scratch_{name}"), &lib);
        std::fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
        match source {
            Source::File(text) => {
                std::fs::write(dir.join("src/lib.rs"), text).map_err(|e| e.to_string())?
            }
            Source::Patch(patch) => apply(&dir, patch)?,
        }
        let place = self.dir.join(&name);
        sync_dir(&dir, &place).map_err(|e| format!("cannot write {}: {e}", place.display()))?;
        let _ = std::fs::remove_dir_all(&dir);
        self.members.push(name);
        Ok(Crate { dir: place, scratch: true })
    }

    /// Writes the workspace manifest (same profile as the course, its lock file) so the
    /// scratch crates reuse the course's compiled dependencies.
    pub(crate) fn finish(&self) -> Result<(), String> {
        let members: Vec<String> = self.members.iter().map(|m| format!("\"{m}\"")).collect();
        let manifest = format!(
            "[workspace]\nresolver = \"3\"\nmembers = [{}]\n\n[profile.dev]\nopt-level = 1\n",
            members.join(", ")
        );
        write_if_changed(&self.dir.join("Cargo.toml"), manifest.as_bytes())
            .map_err(|e| e.to_string())?;
        let lock = std::fs::read(self.root.join("Cargo.lock"))
            .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
        write_if_changed(&self.dir.join("Cargo.lock"), &lock)
            .map_err(|e| format!("cannot copy Cargo.lock: {e}"))?;
        let _ = std::fs::remove_dir_all(self.dir.join(STAGE));
        Ok(())
    }

    /// Deletes the scratch workspace (its build products stay in the shared target dir).
    pub(crate) fn remove(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The staging directory inside a scratch workspace (not a member).
const STAGE: &str = ".stage";

/// Writes `bytes` to `path` unless it already holds them (its mtime then stays, so cargo
/// does not rebuild).
fn write_if_changed(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes)
}

/// Makes `to` hold exactly the files of `from`, rewriting only those that differ.
fn sync_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    let mut wanted = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        wanted.insert(entry.file_name());
        if entry.file_type()?.is_dir() {
            if target.is_file() {
                std::fs::remove_file(&target)?;
            }
            sync_dir(&entry.path(), &target)?;
        } else {
            if target.is_dir() {
                std::fs::remove_dir_all(&target)?;
            }
            write_if_changed(&target, &std::fs::read(entry.path())?)?;
        }
    }
    for entry in std::fs::read_dir(to)? {
        let entry = entry?;
        if !wanted.contains(&entry.file_name()) {
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::remove_file(&path)?;
            }
        }
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Applies `patch` inside `dir` with `git apply`, kept from treating the enclosing repository
/// as the patch's root.
fn apply(dir: &Path, patch: &Path) -> Result<(), String> {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap_or(dir))
        .args(["apply", "--whitespace=nowarn"])
        .arg(patch)
        .output()
        .map_err(|e| format!("cannot run git apply: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} does not apply to the solution: {}",
            patch.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The lesson's stub (`src/lib.rs`) as committed at git `HEAD`, when the working copy differs
/// from it; `None` when the working stub is the committed one, or the course is not a git
/// checkout (then the working files are the stubs). The instructor's checks judge this text,
/// never a learner's solved working copy.
pub(crate) fn committed_stub(root: &Path, lesson: &Lesson) -> Option<String> {
    let rel = lesson.exercise().join("src/lib.rs");
    let spec = format!("HEAD:./{}", rel.to_string_lossy().replace('\\', "/"));
    let out = Command::new("git")
        .current_dir(root)
        .args(["show", &spec])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let committed = String::from_utf8(out.stdout).ok()?;
    let working = std::fs::read_to_string(root.join(&rel)).ok();
    (working.as_deref() != Some(committed.as_str())).then_some(committed)
}

/// A request for the lesson's stub as committed: the exercise crate itself when its working
/// copy is the committed one, else a scratch crate in `ws` (tagged `stub_<lesson>`) holding
/// the committed text.
pub(crate) fn stub_request(
    root: &Path,
    lesson: &Lesson,
    ws: &mut Workspace,
) -> Result<crate::grading::Request, String> {
    Ok(match committed_stub(root, lesson) {
        None => crate::grading::Request::exercise(root, lesson),
        Some(text) => {
            let krate = ws.add(&stub_tag(lesson), lesson, Source::File(&text), None)?;
            crate::grading::Request { lesson: lesson.clone(), krate }
        }
    })
}

/// The scratch tag of a lesson's committed stub.
pub(crate) fn stub_tag(lesson: &Lesson) -> String {
    format!("stub_{}", lesson.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Course;

    fn git(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .current_dir(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"])
            .args(args)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    }

    /// A learner's solved working copy is never judged as the stub: the committed text is.
    #[test]
    fn the_stub_is_read_from_head_not_the_working_copy() {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
        let lesson = Course::load(&repo).unwrap().lessons[0].clone();
        let root = std::env::temp_dir().join(format!("checker-stub-{}", std::process::id()));
        let lib = root.join(lesson.exercise()).join("src/lib.rs");
        std::fs::create_dir_all(lib.parent().unwrap()).unwrap();
        std::fs::write(&lib, "// stub\n").unwrap();
        // Outside git, the working files are the stubs.
        assert_eq!(committed_stub(&root, &lesson), None);
        git(&root, &["init", "-q"]);
        git(&root, &["add", "."]);
        git(&root, &["commit", "-qm", "stub"]);
        assert_eq!(committed_stub(&root, &lesson), None, "unchanged: the crate itself is graded");
        std::fs::write(&lib, "// solved\n").unwrap();
        assert_eq!(committed_stub(&root, &lesson).as_deref(), Some("// stub\n"));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
