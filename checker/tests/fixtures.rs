//! The real checker binary on a corpus of broken submissions to lesson 01, one per failure
//! kind: each must get the right verdict and a readable report (pinned with insta snapshots,
//! with paths, timings, byte counts and replay tokens normalised).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Runs `checker dev try 01_spawn ARGS...` from the workspace root; returns its stdout.
fn try_files(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_checker"))
        .current_dir(root())
        .args(["dev", "try", "01_spawn"])
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("run the checker");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.code() == Some(1),
        "every fixture fails, so the checker exits 1; got {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Replaces what changes from run to run (or machine to machine) with placeholders.
fn normalise(text: &str) -> String {
    let root = format!("{}/", root().display());
    let mut out = Vec::new();
    for line in text.replace(&root, "").lines() {
        let mut words: Vec<String> = Vec::new();
        for w in line.split(' ') {
            let w = if let Some(at) = w.find("gort1:") {
                format!("{}gort1:<schedule>", &w[..at])
            } else if w.starts_with("/rustc/") {
                "/rustc/<hash>/...".to_string()
            } else if w.starts_with("target/checker/try-") {
                w.split('/').skip(3).collect::<Vec<_>>().join("/")
            } else {
                w.to_string()
            };
            words.push(w);
        }
        let mut line = words.join(" ");
        for unit in [" s", " s)", " ms", " MiB", " bytes"] {
            line = mask_numbers_before(&line, unit);
        }
        out.push(line);
    }
    out.join("\n")
}

/// `12.5 s` -> `<n> s`: timings and sizes differ between runs.
fn mask_numbers_before(line: &str, unit: &str) -> String {
    let mut result = String::new();
    let mut rest = line;
    while let Some(i) = rest.find(unit) {
        let (head, tail) = rest.split_at(i);
        let start = head
            .char_indices()
            .rfind(|&(_, c)| !(c.is_ascii_digit() || c == '.'))
            .map_or(0, |(j, c)| j + c.len_utf8());
        if start < head.len() {
            result.push_str(&head[..start]);
            result.push_str("<n>");
        } else {
            result.push_str(head);
        }
        result.push_str(unit);
        rest = &tail[unit.len()..];
    }
    result.push_str(rest);
    result
}

fn fixture(name: &str) -> String {
    root().join("checker/fixtures/01_spawn").join(format!("{name}.patch")).display().to_string()
}

const KINDS: [&str; 12] = [
    "compile_error",
    "wrong_answer",
    "panic",
    "deadlock",
    "leak",
    "non_yielding",
    "stack_overflow",
    "process_exit",
    "output_flood",
    "thread_sleep",
    "forged_pass",
    "memory_hog",
];

#[test]
fn every_failure_kind_gets_its_verdict() {
    let stub = root().join("exercises/01_spawn/src/lib.rs").display().to_string();
    let mut args: Vec<String> = KINDS.iter().map(|k| fixture(k)).collect();
    args.push(stub);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = normalise(&try_files(&refs));
    let mut sections = out.split("=== ").skip(1);
    let expected = [
        ("compile_error", "does not compile"),
        ("wrong_answer", "verdict: wrong result:"),
        ("panic", "verdict: panic: attempt to subtract with overflow"),
        ("deadlock", "verdict: deadlock:"),
        ("leak", "verdict: leaked green threads:"),
        ("non_yielding", "verdict: never yields:"),
        ("stack_overflow", "verdict: stack overflow:"),
        ("process_exit", "verdict: exited early:"),
        ("output_flood", "verdict: too much output:"),
        ("thread_sleep", "verdict: never yields:"),
        // What a results file forged by the code under test amounts to now: nothing arrived on
        // the harness's channel.
        ("forged_pass", "verdict: exited early:"),
        ("memory_hog", "verdict: too much memory: the code used more than <n> MiB"),
        ("lib", "verdict: not implemented yet:"),
    ];
    for (name, verdict) in expected {
        let section = sections.next().unwrap_or_else(|| panic!("no section for {name}:\n{out}"));
        let (head, body) = section.split_once(" ===\n").unwrap();
        assert_eq!(head, name);
        assert!(body.contains(verdict), "{name} should say `{verdict}`:\n{body}");
        let snapshot = if name == "lib" { "todo_stub" } else { name };
        insta::assert_snapshot!(snapshot, body);
    }
}

#[test]
fn an_edited_suite_is_refused() {
    let suite = root().join("checker/suites/01_spawn.rs");
    let text = std::fs::read_to_string(&suite).unwrap();
    let edited = std::env::temp_dir().join(format!("edited-suite-{}.rs", std::process::id()));
    // The kind of edit a learner makes to get past a demand: the check removed.
    std::fs::write(&edited, text.replacen("check_eq!(", "let _ = (", 1)).unwrap();
    let solution = root().join("solutions/01_spawn/src/lib.rs").display().to_string();
    let out = normalise(&try_files(&[&solution, "--suite", &edited.display().to_string()]));
    std::fs::remove_file(&edited).unwrap();
    assert!(out.contains("was not graded: the property suite"), "{out}");
    insta::assert_snapshot!("edited_suite", out);
}

#[test]
fn results_in_the_exercism_format() {
    let out = try_files(&[&fixture("wrong_answer"), "--json"]);
    let json: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(json["version"], 3);
    assert_eq!(json["status"], "fail");
    let tests = json["tests"].as_array().unwrap();
    assert!(tests.iter().all(|t| t["task_id"].as_u64().is_some_and(|id| id >= 1)));
    assert!(
        tests.iter().all(|t| t["test_code"].as_str().is_some_and(|c| c.starts_with("Property::")))
    );
    assert!(
        tests.iter().any(|t| t["status"] == "pass") && tests.iter().any(|t| t["status"] == "fail")
    );
}

#[test]
fn a_damaged_replay_token_is_refused() {
    let replay = |token: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_checker"))
            .current_dir(root())
            .args(["replay", "01_spawn", token])
            .env("NO_COLOR", "1")
            .output()
            .expect("run the checker");
        assert_eq!(out.status.code(), Some(1), "a refused token is a failure");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // A token as the checker prints it, with one digit of its schedule's seed changed.
    let token = grade_wire::seal("each_task_runs_once@W10@gort1:r:1f:9a3c02e1:812:5b1d");
    let damaged = token.replace(":1f:", ":1e:");
    let out = replay(&damaged);
    assert!(out.contains("is damaged: its checksum does not match"), "{out}");
    let out = replay("each_task_runs_once@W10@gort1:r:1f:9a3c02e1:812:5b1d");
    assert!(out.contains("has no checksum"), "{out}");
}
