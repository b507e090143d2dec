//! Suites are single-sourced and untouched: each crate's suite target is the registry's file,
//! and that file matches the checksum recorded in `checker/suites/SUMS` as the course's
//! history has it.
//!
//! Grading trusts the sums committed in git (the upstream branch `origin/HEAD`, else `HEAD`),
//! else, outside a git checkout, those compiled into the checker; never the working file, so
//! a learner's edit to a suite can only be restored, not blessed. `dev` commands, run by an
//! instructor on purpose, trust the working file instead (see [`trust_working_sums`]). The
//! checksum (64-bit FNV-1a) catches edits, accidental or not; the README says what it cannot.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// The checksum file, relative to the workspace root.
pub(crate) const SUMS: &str = "checker/suites/SUMS";

/// The checksum of `bytes`.
pub(crate) fn fnv(bytes: &[u8]) -> u64 {
    grade_wire::fnv1a(grade_wire::FNV_OFFSET, bytes)
}

/// The sums as the checker was built: used outside a git checkout.
const BUILT_IN: &str = include_str!("../suites/SUMS");

/// Set by `dev` commands: grade against the working `SUMS` (an instructor's own edits).
static WORKING: AtomicBool = AtomicBool::new(false);

/// Makes grading in this process trust the working `checker/suites/SUMS` (what `dev sums`
/// wrote) instead of the course's history. Only `dev` commands call it.
pub(crate) fn trust_working_sums() {
    WORKING.store(true, Relaxed);
}

/// The working file's sums: file name -> checksum.
pub(crate) fn read_sums(root: &Path) -> BTreeMap<String, u64> {
    parse_sums(&std::fs::read_to_string(root.join(SUMS)).unwrap_or_default())
}

/// Where the trusted sums came from, and what they are.
#[derive(Clone, Debug)]
struct Trusted {
    /// `origin/HEAD`, `HEAD`, or the checker's build.
    from: String,
    sums: BTreeMap<String, u64>,
}

/// The sums grading trusts: the committed `SUMS` of the upstream branch or of `HEAD`, else
/// the ones compiled in. Read once per process.
fn trusted(root: &Path) -> &'static Trusted {
    static TRUSTED: OnceLock<Trusted> = OnceLock::new();
    TRUSTED.get_or_init(|| {
        for rev in ["origin/HEAD", "HEAD"] {
            let out = std::process::Command::new("git")
                .current_dir(root)
                .args(["show", &format!("{rev}:{SUMS}")])
                .stderr(std::process::Stdio::null())
                .output();
            if let Ok(out) = out
                && out.status.success()
            {
                let sums = parse_sums(&String::from_utf8_lossy(&out.stdout));
                if !sums.is_empty() {
                    return Trusted { from: format!("git {rev}"), sums };
                }
            }
        }
        Trusted { from: "the checker's build".into(), sums: parse_sums(BUILT_IN) }
    })
}

/// Parses the text of a sums file.
fn parse_sums(text: &str) -> BTreeMap<String, u64> {
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
    let actual = std::fs::read(dir.join(path))
        .map(|b| fnv(&b))
        .map_err(|e| format!("cannot read {}: {e}", suite.display()))?;
    if WORKING.load(Relaxed) {
        judge(suite, actual, &read_sums(root), None)
    } else {
        let t = trusted(root);
        judge(suite, actual, &t.sums, Some(&t.from))
    }
}

/// Compares a suite's checksum with the recorded ones (`from`: where grading found them; `None`
/// for the working file, which an instructor may rewrite with `dev sums`).
fn judge(
    suite: &Path,
    actual: u64,
    sums: &BTreeMap<String, u64>,
    from: Option<&str>,
) -> Result<(), String> {
    let name = suite.file_name().unwrap_or_default().to_string_lossy().into_owned();
    match (sums.get(&name).copied(), from) {
        (Some(sum), _) if sum == actual => Ok(()),
        (Some(_), _) => Err(format!(
            "the property suite {} was edited. The suite is what grades you, so the checker will \
             not grade with a changed one. Restore it: git checkout -- {}",
            suite.display(),
            suite.display()
        )),
        (None, None) => Err(format!(
            "{SUMS} has no checksum for {name}: run `cargo run -p checker -- dev sums`"
        )),
        (None, Some(from)) => Err(format!(
            "the course's history ({from}) has no checksum for the suite {}, so the checker \
             cannot tell it is the course's own and will not grade with it. Restore the suites \
             and their checksums: git checkout -- checker/suites",
            suite.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_published_vectors() {
        assert_eq!(fnv(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn the_trusted_sums_are_the_committed_ones() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let t = trusted(root);
        // Tests run in a git checkout of the course (or from its build, outside one).
        assert!(t.from.starts_with("git ") || t.from == "the checker's build", "{}", t.from);
        assert!(t.sums.contains_key("01_spawn.rs"), "{:?}", t.sums);
        assert!(parse_sums(BUILT_IN).contains_key("01_spawn.rs"));
    }

    #[test]
    fn a_missing_checksum_is_restored_from_history_never_blessed() {
        let suite = Path::new("checker/suites/01_spawn.rs");
        let none = BTreeMap::new();
        // Grading: the history has no sum (SUMS deleted and committed): restore, no `dev sums`.
        let why = judge(suite, 1, &none, Some("git HEAD")).unwrap_err();
        assert!(why.contains("git checkout -- checker/suites"), "{why}");
        assert!(!why.contains("dev sums"), "{why}");
        // An edited suite whose sum a learner wrote into the working SUMS is still refused:
        // grading never reads the working file.
        let edited = BTreeMap::from([("01_spawn.rs".to_string(), 2)]);
        assert!(judge(suite, 2, &edited, None).is_ok(), "the working file, for dev commands");
        let why = judge(suite, 2, &BTreeMap::from([("01_spawn.rs".into(), 1)]), Some("git HEAD"))
            .unwrap_err();
        assert!(why.contains("Restore it: git checkout -- checker/suites/01_spawn.rs"), "{why}");
        // Only for an instructor's `dev` command does a missing sum suggest `dev sums`.
        assert!(judge(suite, 1, &none, None).unwrap_err().contains("dev sums"));
    }
}
