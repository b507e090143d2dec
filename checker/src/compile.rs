//! Building suite binaries with cargo, one crate's compile errors kept to that crate.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

/// A crate whose suite target to build: a workspace package, or a scratch crate outside the
/// workspace (a mutant, a fixture) built into the same target directory.
#[derive(Clone, Debug)]
pub(crate) struct Crate {
    /// The crate's directory (holding its Cargo.toml).
    pub(crate) dir: PathBuf,
    /// Built through its own manifest (scratch) rather than as a workspace package.
    pub(crate) scratch: bool,
}

/// The result of building one crate's suite.
#[derive(Clone, Debug)]
pub(crate) enum Built {
    /// The suite binary.
    Ok(PathBuf),
    /// The compiler's output, as it printed it.
    Failed(String),
}

#[derive(Deserialize)]
struct Line {
    reason: String,
    manifest_path: Option<PathBuf>,
    target: Option<TargetInfo>,
    executable: Option<PathBuf>,
    message: Option<Message>,
}

#[derive(Deserialize)]
struct TargetInfo {
    name: String,
}

#[derive(Deserialize)]
struct Message {
    rendered: Option<String>,
}

/// `dir/Cargo.toml`, parsed.
pub(crate) fn manifest(dir: &Path) -> Result<toml::Table, String> {
    let path = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text)
        .map_err(|e| format!("{} is not valid TOML: {}", path.display(), e.message()))
}

/// The value at `table.key` in `dir/Cargo.toml`, as a string.
fn manifest_str(dir: &Path, table: &str, key: &str) -> Result<String, String> {
    manifest(dir)?
        .get(table)
        .and_then(|p| p.get(key))
        .and_then(|n| n.as_str())
        .map(str::to_string)
        .ok_or_else(|| format!("{} has no [{table}] {key}", dir.join("Cargo.toml").display()))
}

/// The package name in `dir/Cargo.toml`.
pub(crate) fn package_name(dir: &Path) -> Result<String, String> {
    manifest_str(dir, "package", "name")
}

/// The library name in `dir/Cargo.toml`.
pub(crate) fn lib_name(dir: &Path) -> Result<String, String> {
    manifest_str(dir, "lib", "name")
}

/// Builds the suite target of every crate (one cargo run for the workspace packages, one per
/// scratch crate), with colours if `color`. Returns one result per crate, in order.
pub(crate) fn build(root: &Path, crates: &[Crate], color: bool) -> Vec<Built> {
    let mut results: Vec<Option<Built>> = vec![None; crates.len()];
    let workspace: Vec<usize> = (0..crates.len()).filter(|&i| !crates[i].scratch).collect();
    if !workspace.is_empty() {
        let mut args = Vec::new();
        for &i in &workspace {
            match package_name(&crates[i].dir) {
                Ok(name) => args.extend(["-p".to_string(), name]),
                Err(e) => results[i] = Some(Built::Failed(e)),
            }
        }
        let chosen: Vec<usize> = workspace.into_iter().filter(|&i| results[i].is_none()).collect();
        if !chosen.is_empty() {
            let mut cmd = cargo(root, color);
            cmd.args(args);
            collect(cmd, crates, &chosen, &mut results);
        }
    }
    // Scratch crates: one cargo run per scratch workspace (their parent directory).
    let mut groups: Vec<(PathBuf, Vec<usize>)> = Vec::new();
    for i in (0..crates.len()).filter(|&i| crates[i].scratch) {
        let parent = crates[i].dir.parent().unwrap_or(&crates[i].dir).to_path_buf();
        match groups.iter_mut().find(|(p, _)| *p == parent) {
            Some((_, members)) => members.push(i),
            None => groups.push((parent, vec![i])),
        }
    }
    for (parent, members) in groups {
        let mut cmd = cargo(root, color);
        cmd.arg("--manifest-path").arg(parent.join("Cargo.toml")).arg("--workspace");
        collect(cmd, crates, &members, &mut results);
    }
    results.into_iter().map(|r| r.expect("every crate has a result")).collect()
}

fn cargo(root: &Path, color: bool) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    let format = if color { "json-diagnostic-rendered-ansi" } else { "json" };
    cmd.current_dir(root)
        .args(["build", "--keep-going", "--quiet", "--test", "suite"])
        .arg(format!("--message-format={format}"))
        .arg(format!("--color={}", if color { "always" } else { "never" }))
        .env("CARGO_TARGET_DIR", root.join("target"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs cargo and sorts its messages by crate.
fn collect(cmd: Command, crates: &[Crate], chosen: &[usize], results: &mut [Option<Built>]) {
    let output = match run_showing_progress(cmd) {
        Ok(output) => output,
        Err(e) => {
            for &i in chosen {
                results[i] = Some(Built::Failed(format!("cannot run cargo: {e}")));
            }
            return;
        }
    };
    let by_dir: HashMap<PathBuf, usize> = chosen
        .iter()
        .map(|&i| (crates[i].dir.canonicalize().unwrap_or_else(|_| crates[i].dir.clone()), i))
        .collect();
    let mut messages: HashMap<usize, String> = HashMap::new();
    let mut exes: HashMap<usize, PathBuf> = HashMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(line) = serde_json::from_str::<Line>(line) else { continue };
        let Some(dir) = line.manifest_path.as_deref().and_then(Path::parent) else { continue };
        // Compared canonically: the target directory may be reached through a symlink.
        let Some(&i) = by_dir.get(dir).or_else(|| by_dir.get(&dir.canonicalize().ok()?)) else {
            continue;
        };
        match line.reason.as_str() {
            "compiler-message" => {
                if let Some(text) = line.message.and_then(|m| m.rendered) {
                    messages.entry(i).or_default().push_str(&text);
                }
            }
            "compiler-artifact" if line.target.as_ref().is_some_and(|t| t.name == "suite") => {
                if let Some(exe) = line.executable {
                    exes.insert(i, exe);
                }
            }
            _ => {}
        }
    }
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    for &i in chosen {
        results[i] = Some(match exes.remove(&i) {
            Some(exe) => Built::Ok(exe),
            None => {
                let mut text = messages.remove(&i).unwrap_or_default();
                if text.trim().is_empty() {
                    text = stderr.clone();
                }
                Built::Failed(text)
            }
        });
    }
}

/// Runs cargo, and while it builds shows on a terminal's stderr what was just built and that
/// only the first build is slow (a fresh clone sits ~30 s compiling the course's crates).
fn run_showing_progress(mut cmd: Command) -> std::io::Result<std::process::Output> {
    use std::io::{BufRead as _, IsTerminal as _, Read as _, Write as _};
    let show = std::io::stderr().is_terminal();
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let mut err = child.stderr.take().expect("piped stderr");
    let stderr = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = err.read_to_end(&mut bytes);
        bytes
    });
    let mut stdout = Vec::new();
    let mut built = 0;
    if show {
        eprint!("{}", build_status(None, 0));
    }
    for line in std::io::BufReader::new(child.stdout.take().expect("piped stdout")).split(b'\n') {
        let line = line?;
        if show
            && let Ok(l) = serde_json::from_slice::<Line>(&line)
            && l.reason == "compiler-artifact"
        {
            built += 1;
            let name = l.target.as_ref().map(|t| t.name.as_str());
            eprint!("{}", build_status(name, built));
            let _ = std::io::stderr().flush();
        }
        stdout.extend_from_slice(&line);
        stdout.push(b'\n');
    }
    if show {
        eprint!("\r\x1b[K");
    }
    let status = child.wait()?;
    let stderr = stderr.join().unwrap_or_default();
    Ok(std::process::Output { status, stdout, stderr })
}

/// The one-line build status (redrawn in place): what was built last, how many so far.
fn build_status(last: Option<&str>, built: usize) -> String {
    let what = match last {
        None => "building the tests (slow only the first time) ...".to_string(),
        Some(name) => format!(
            "building the tests (slow only the first time): {built} crates built, last `{name}` ..."
        ),
    };
    format!("\r\x1b[K{}", crate::term::dim(&what))
}

#[cfg(test)]
mod progress_tests {
    use super::build_status;

    #[test]
    fn the_build_status_says_what_is_built_and_that_it_is_slow_only_once() {
        let first = build_status(None, 0);
        assert!(first.starts_with("\r\x1b[K"), "redrawn in place: {first:?}");
        assert!(first.contains("slow only the first time"), "{first}");
        let later = build_status(Some("gort"), 3);
        assert!(later.contains("3 crates built, last `gort`"), "{later}");
    }
}
