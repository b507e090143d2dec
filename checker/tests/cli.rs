//! The checker's command line as a shell user meets it: pipes, progress files, help texts.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// `checker list | head -0`: the reader is gone before the first line; the checker ends
/// quietly (no panic message) with the status of a process killed by SIGPIPE.
#[test]
fn a_closed_pipe_ends_the_checker_quietly() {
    // The read end is closed before the checker starts, so its first line meets EPIPE.
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_checker"))
        .current_dir(root())
        .arg("list")
        .env("NO_COLOR", "1")
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run the checker");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}

/// `check --help` says what `--all --json` prints: an array of v3 documents.
#[test]
fn check_help_says_all_json_is_an_array_of_documents() {
    let out = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(["check", "--help"])
        .env("NO_COLOR", "1")
        .output()
        .expect("run the checker");
    let help =
        String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("a JSON array holding one document per lesson"), "{help}");
}
