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
    /// An empty scratch workspace (anything from an earlier run is removed).
    pub(crate) fn new(root: &Path, name: &str) -> std::io::Result<Workspace> {
        let dir = root.join("target/checker").join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
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
        let dir = self.dir.join(&name);
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
        self.members.push(name);
        Ok(Crate { dir, scratch: true })
    }

    /// Writes the workspace manifest (same profile as the course, its lock file) so the
    /// scratch crates reuse the course's compiled dependencies.
    pub(crate) fn finish(&self) -> Result<(), String> {
        let members: Vec<String> = self.members.iter().map(|m| format!("\"{m}\"")).collect();
        let manifest = format!(
            "[workspace]\nresolver = \"3\"\nmembers = [{}]\n\n[profile.dev]\nopt-level = 1\n",
            members.join(", ")
        );
        std::fs::write(self.dir.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
        std::fs::copy(self.root.join("Cargo.lock"), self.dir.join("Cargo.lock"))
            .map_err(|e| format!("cannot copy Cargo.lock: {e}"))?;
        Ok(())
    }

    /// Deletes the scratch workspace (its build products stay in the shared target dir).
    pub(crate) fn remove(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
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
