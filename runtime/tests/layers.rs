//! The runtime's layering, written down once and checked: a module imports only modules of
//! lower layers (never a higher one, never another module of its own layer).
//!
//! The checker reads every file under `src/`, drops comments, and follows each path that
//! starts at `crate::` (also `$crate::` in macros, and grouped `use crate::{a, b}`) or climbs
//! out of its module with `super::` (counting inline `mod x { .. }` blocks). A module it does
//! not know is reported too, so a new module has to be given its place here. Exported macros
//! (`$crate::name!`) live at the crate root whoever defines them, and are not followed.

use std::path::{Path, PathBuf};

/// The layers, lowest first. Modules of one layer do not import each other.
const LAYERS: &[(&str, &[&str])] = &[
    ("the shared vocabulary: ids, wakers, ops, events, traces, failures", &["vocab"]),
    ("the runtime's internal lock", &["spin"]),
    ("guard-paged stacks", &["stack"]),
    ("the executor interface, with the panic hook, overflow handler and watchdog", &["exec"]),
    ("the two executors, which never import each other", &["sim", "par"]),
    ("the dispatcher and green threads' own API", &["sched"]),
    ("primitives written against the dispatcher", &["chan", "sync"]),
    ("timers and time, built on channels", &["time"]),
    ("contexts, built on channels and time", &["context"]),
    ("public re-exports only", &["diag", "lib"]),
];

/// The layer of a top-level module (`lib` for the crate root), if it has one.
fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, modules)| modules.contains(&module))
}

/// A file's module path from its path under `src/`: `chan/queue.rs` is `["chan", "queue"]`,
/// `chan/mod.rs` is `["chan"]`, `lib.rs` is `[]`.
fn module_path(file: &str) -> Vec<String> {
    let mut parts: Vec<String> =
        file.trim_end_matches(".rs").split('/').map(String::from).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The source without comments (line and block comments, doc comments included) and without
/// the contents of string literals, so that prose naming a path is not taken for an import.
fn code_only(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    if c == '\n' {
                        out.push('\n');
                    }
                    last = c;
                }
            }
            '"' => {
                out.push('"');
                let mut escaped = false;
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                    }
                    if !escaped && c == '"' {
                        break;
                    }
                    escaped = !escaped && c == '\\';
                }
                out.push('"');
            }
            _ => out.push(c),
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The first segment of each path that follows `rest` (which starts right after `crate::` or
/// a chain of `super::`): `chan::Sender` gives `chan`, `{vocab::Op, chan}` gives both, and a
/// macro (`name!`) gives nothing.
fn first_segments(rest: &str) -> Vec<String> {
    let rest = rest.trim_start();
    if let Some(group) = rest.strip_prefix('{') {
        let mut depth = 0;
        let mut items = vec![String::new()];
        for c in group.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => items.push(String::new()),
                _ if depth == 0 => items.last_mut().expect("never empty").push(c),
                _ => {}
            }
        }
        items
            .iter()
            .map(|item| item.trim().chars().take_while(|&c| is_ident(c)).collect::<String>())
            .filter(|name| !name.is_empty())
            .collect()
    } else {
        let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
        if name.is_empty() || rest[name.len()..].starts_with('!') { Vec::new() } else { vec![name] }
    }
}

/// The top-level modules a file refers to, each with the line that does it.
fn references(file: &str, source: &str) -> Vec<(String, String)> {
    let code = code_only(source);
    let mut found = Vec::new();
    // Inline modules open on this line or before: the brace depth each one closes at.
    let mut inline: Vec<usize> = Vec::new();
    let mut depth = 0;
    for (line_no, line) in code.lines().enumerate() {
        let here = module_path(file).len() + inline.len();
        let trimmed = line.trim_start();
        let opens_module = ["mod ", "pub mod ", "pub(crate) mod ", "pub(super) mod "]
            .iter()
            .any(|p| trimmed.starts_with(p))
            && trimmed.trim_end().ends_with('{');
        for c in line.chars() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if inline.last() == Some(&depth) {
                        inline.pop();
                    }
                }
                _ => {}
            }
        }
        if opens_module {
            inline.push(depth - 1);
        }
        let original = source.lines().nth(line_no).unwrap_or(line).trim().to_string();
        let mut from = 0;
        while let Some(pos) = line[from..].find("crate::").map(|p| p + from) {
            from = pos + "crate::".len();
            let before = line[..pos].chars().next_back();
            if before.is_some_and(is_ident) {
                continue; // `my_crate::` is another crate
            }
            for name in first_segments(&line[from..]) {
                found.push((name, original.clone()));
            }
        }
        let mut from = 0;
        while let Some(pos) = line[from..].find("super::").map(|p| p + from) {
            if line[..pos].chars().next_back().is_some_and(|c| is_ident(c) || c == ':') {
                from = pos + "super::".len();
                continue; // the second `super::` of a chain, counted with the first
            }
            let mut ups = 0;
            let mut rest = &line[pos..];
            while let Some(r) = rest.strip_prefix("super::") {
                ups += 1;
                rest = r;
            }
            from = line.len() - rest.len();
            let base = here.saturating_sub(ups);
            if base > 0 {
                continue; // still inside this top-level module
            }
            for name in first_segments(rest) {
                found.push((name, original.clone()));
            }
        }
    }
    found
}

/// Every import that breaks the layering, as `file: message`.
fn violations(files: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (file, source) in files {
        let here = module_path(file);
        let module = here.first().map_or("lib", String::as_str);
        let Some(mine) = layer_of(module) else {
            out.push(format!(
                "src/{file}: module `{module}` has no layer; give it one in LAYERS (tests/layers.rs)"
            ));
            continue;
        };
        for (target, line) in references(file, source) {
            if target == module || target == "self" {
                continue;
            }
            match layer_of(&target) {
                None => out.push(format!(
                    "src/{file}: `{line}` names `crate::{target}`, which is not a module with a \
                     layer (import from the module that defines it)"
                )),
                Some(theirs) if theirs >= mine => {
                    let how = if theirs == mine {
                        "another module of its own layer"
                    } else {
                        "a higher layer"
                    };
                    out.push(format!(
                        "src/{file}: `{line}`: `{module}` (layer {mine}: {}) imports `{target}` \
                         (layer {theirs}: {}), {how}",
                        LAYERS[mine].0, LAYERS[theirs].0
                    ));
                }
                Some(_) => {}
            }
        }
    }
    out
}

fn sources(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("src/ is readable")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let name =
                path.strip_prefix(root).expect("under src").to_string_lossy().replace('\\', "/");
            out.push((name, std::fs::read_to_string(&path).expect("a readable source file")));
        }
    }
}

#[test]
fn every_runtime_module_imports_only_lower_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    assert!(files.len() > 40, "expected the runtime's sources under {}", root.display());
    let bad = violations(&files);
    assert!(bad.is_empty(), "imports against the layering:\n{}", bad.join("\n"));
}

fn check(file: &str, source: &str) -> Vec<String> {
    violations(&[(file.to_string(), source.to_string())])
}

#[test]
fn an_executor_importing_the_dispatcher_is_named_with_file_and_import() {
    let bad = check("sim/run.rs", "use crate::sched::rt;\n");
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].starts_with("src/sim/run.rs: `use crate::sched::rt;`"), "{}", bad[0]);
    assert!(bad[0].contains("a higher layer"), "{}", bad[0]);
}

#[test]
fn the_two_executors_may_not_import_each_other() {
    let bad = check("par/mod.rs", "fn f() { crate::sim::exec::current(); }\n");
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].contains("another module of its own layer"), "{}", bad[0]);
}

#[test]
fn grouped_imports_and_macro_paths_are_read() {
    let bad = check("vocab/trace.rs", "use crate::{exec::Site, vocab::Op};\n");
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].contains("imports `exec`"), "{}", bad[0]);
    let bad = check("chan/select.rs", "$crate::time::after(d)\n");
    assert_eq!(bad.len(), 1, "{bad:?}");
}

#[test]
fn super_paths_that_leave_the_module_count() {
    // From `sched/mod.rs`, `super::` is the crate root.
    assert_eq!(check("sched/mod.rs", "use super::chan::Sender;\n").len(), 1);
    // From `sched/park.rs`, `super::` is `sched` itself; two steps up is the crate root.
    assert!(check("sched/park.rs", "use super::rt;\n").is_empty());
    assert_eq!(check("sched/park.rs", "use super::super::time;\n").len(), 1);
}

#[test]
fn inline_modules_and_exported_macros_are_understood() {
    let source = "mod tests {\n    use super::super::queue;\n}\n$crate::__select_parse!(x)\n";
    assert!(check("chan/select.rs", source).is_empty());
    let source = "mod tests {\n    use super::super::super::time;\n}\n";
    assert_eq!(check("chan/select.rs", source).len(), 1);
}

#[test]
fn comments_strings_and_downward_imports_pass() {
    let source = "//! see crate::context::Context\n\
                  /// [`x`](crate::chan::Sender)\n\
                  use crate::vocab::Op;\n\
                  use crate::exec::{Executor, Site};\n\
                  const S: &str = \"crate::time\";\n";
    assert_eq!(check("sim/exec.rs", source), Vec::<String>::new());
}

#[test]
fn a_module_without_a_layer_is_reported() {
    let bad = check("net/mod.rs", "use crate::vocab::Op;\n");
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].contains("has no layer"), "{}", bad[0]);
}
