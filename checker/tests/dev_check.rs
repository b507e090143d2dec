//! `cargo test` runs the instructor's `dev check --sample`: every stub (as committed, so a
//! learner's solved working copy does not fail it) fails with a message pointing at its task,
//! every solution passes, one mutant a lesson is rejected by the property it targets, and the
//! registry, suites, hints and chapters are consistent. CI (`.ci/run`) also runs the full
//! `dev check`, which grades every mutant.

use std::process::Command;

#[test]
fn the_course_is_sound() {
    let out = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(["dev", "check", "--sample"])
        .env("NO_COLOR", "1")
        .output()
        .expect("run the checker");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "dev check failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("the course is sound"), "{stdout}");
}
