//! Suites are single-sourced and untouched: each crate's suite target is the registry's file,
//! and that file matches the checksum recorded in `checker/suites/SUMS`.
//!
//! The checksum (64-bit FNV-1a) catches accidental edits; it is not a defence against a
//! learner who edits the sums too, and does not try to be.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The checksum file, relative to the workspace root.
pub(crate) const SUMS: &str = "checker/suites/SUMS";

/// The checksum of `bytes`.
pub(crate) fn fnv(bytes: &[u8]) -> u64 {
    grade_wire::fnv1a(grade_wire::FNV_OFFSET, bytes)
}

/// The recorded sums: file name -> checksum.
pub(crate) fn read_sums(root: &Path) -> BTreeMap<String, u64> {
    let text = std::fs::read_to_string(root.join(SUMS)).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (sum, name) = l.split_once(char::is_whitespace)?;
            Some((name.trim().to_string(), u64::from_str_radix(sum, 16).ok()?))
        })
        .collect()
}

/// Writes the sums of every `*.rs` in `checker/suites/`.
pub(crate) fn write_sums(root: &Path) -> std::io::Result<usize> {
    let dir = root.join("checker/suites");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    names.sort();
    let mut text = String::from(
        "# Checksums of the property suites (FNV-1a 64). The checker refuses to grade with an\n\
         # edited suite. After changing a suite on purpose: cargo run -p checker -- dev sums\n",
    );
    for p in &names {
        let sum = fnv(&std::fs::read(p)?);
        text.push_str(&format!(
            "{sum:016x}  {}\n",
            p.file_name().unwrap_or_default().to_string_lossy()
        ));
    }
    crate::state::write_atomic(&root.join(SUMS), &text)?;
    Ok(names.len())
}

/// Checks that the crate in `dir` grades with `suite` (relative to `root`) and that the suite
/// is the recorded one. The error says what was changed and how to restore it.
///
/// A scratch crate (`scratch`) may point elsewhere, but what it points at must still match the
/// lesson's recorded checksum.
pub(crate) fn verify(root: &Path, dir: &Path, suite: &Path, scratch: bool) -> Result<(), String> {
    let manifest = dir.join("Cargo.toml");
    let doc = crate::compile::manifest(dir)?;
    let target = doc.get("test").and_then(|t| t.as_array()).and_then(|tests| {
        tests.iter().find(|t| t.get("name").and_then(|n| n.as_str()) == Some("suite"))
    });
    let Some(target) = target else {
        return Err(format!(
            "{} has no [[test]] target named `suite`: restore it from the course's repository",
            manifest.display()
        ));
    };
    let path = target.get("path").and_then(|p| p.as_str()).unwrap_or_default();
    let expected = root.join(suite);
    let same = dir.join(path).canonicalize().ok() == expected.canonicalize().ok();
    if !same && !scratch {
        return Err(format!(
            "{}: the `suite` test target points at `{path}`, not at the course's suite {}: restore the file",
            manifest.display(),
            suite.display()
        ));
    }
    let name = suite.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let recorded = read_sums(root).get(&name).copied();
    let actual = std::fs::read(dir.join(path))
        .map(|b| fnv(&b))
        .map_err(|e| format!("cannot read {}: {e}", suite.display()))?;
    match recorded {
        Some(sum) if sum == actual => Ok(()),
        Some(_) => Err(format!(
            "the property suite {} was edited. The suite is what grades you, so the checker will \
             not grade with a changed one. Restore it: git checkout -- {}",
            suite.display(),
            suite.display()
        )),
        None => Err(format!(
            "{SUMS} has no checksum for {name}: run `cargo run -p checker -- dev sums`"
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fnv_matches_the_published_vectors() {
        assert_eq!(super::fnv(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(super::fnv(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
