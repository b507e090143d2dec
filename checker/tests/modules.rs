//! The checker's modules (and those of its two library crates, the harness and the wire
//! format) import each other one way: no module reaches, through `crate::` paths, back to a
//! module that reaches it. Fails naming the cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The modules of the crate whose sources are the `*.rs` files in `src` (one level), each
/// with the sibling modules it names in `crate::` paths outside comments.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "rs") {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            if stem != "main" && stem != "lib" {
                files.insert(stem, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let names: BTreeSet<String> = files.keys().cloned().collect();
    files
        .iter()
        .map(|(module, text)| {
            let mut used = BTreeSet::new();
            for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for (at, _) in line.match_indices("crate::") {
                    let rest = &line[at + "crate::".len()..];
                    // `crate::{a, b::c}` names a and b; `crate::a::...` names a.
                    let heads: Vec<&str> = match rest.strip_prefix('{') {
                        Some(list) => list
                            .split(',')
                            .map(|item| item.trim().split("::").next().unwrap_or(""))
                            .collect(),
                        None => vec![
                            rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                                .next()
                                .unwrap_or(""),
                        ],
                    };
                    for head in heads {
                        if names.contains(head) && head != module {
                            used.insert(head.to_string());
                        }
                    }
                }
            }
            (module.clone(), used)
        })
        .collect()
}

/// A cycle in the graph, as the list of modules around it.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut found = path[i..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|start| visit(start, graph, &mut Vec::new(), &mut done))
}

#[test]
fn modules_import_each_other_one_way() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for src in ["src", "grade/src", "wire/src"] {
        let graph = imports(&here.join(src));
        assert!(graph.len() > 2, "checker/{src} has modules");
        if let Some(c) = cycle(&graph) {
            panic!("checker/{src}: the modules import each other in a cycle: {}", c.join(" -> "));
        }
    }
}

#[test]
fn a_cycle_is_found_and_named() {
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec![])]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
            .collect();
    assert_eq!(cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
}
