//! The lesson crate manifest: one template for the exercise and solution crates `dev new`
//! writes and the scratch crates (mutants, `dev try`) the checker builds.

/// Which crate a manifest is for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind<'a> {
    /// The learner's crate: a workspace member, doc examples not run.
    Exercise,
    /// The reference solution: a workspace member, doc examples run.
    Solution,
    /// A scratch copy outside the workspace: dependencies by path from the workspace `root`,
    /// and the suite by its full path.
    Scratch { root: &'a str, suite: &'a str },
}

/// The manifest of lesson `name`'s crate whose package is `package` and library `lib`.
pub(crate) fn render(kind: Kind<'_>, name: &str, package: &str, lib: &str) -> String {
    let (fields, doctest, deps, suite, lints) = match kind {
        Kind::Exercise | Kind::Solution => {
            let (nn, what) = match kind {
                Kind::Exercise => (&name[..2], "exercise"),
                _ => (&name[..2], "solution"),
            };
            (
                format!(
                    "description = \"Lesson {nn}, {}: the {what}.\"\nedition.workspace = true\n\
                     rust-version.workspace = true\nlicense.workspace = true\npublish.workspace = true\n",
                    name[3..].replace('_', " ")
                ),
                matches!(kind, Kind::Solution),
                ("{ workspace = true }".to_string(), "{ workspace = true }".to_string()),
                format!(
                    "# The property suite, shared by exercise and solution and graded by the checker\n\
                     # (`cargo run -p checker -- check {name}`), not by a plain `cargo test`.\n\
                     [[test]]\nname = \"suite\"\npath = \"../../checker/suites/{name}.rs\"\n"
                ),
                "\n[lints]\nworkspace = true\n",
            )
        }
        Kind::Scratch { root, suite } => (
            "edition = \"2024\"\npublish = false\n".to_string(),
            false,
            (
                format!("{{ path = \"{root}/runtime\" }}"),
                format!("{{ path = \"{root}/checker/grade\" }}"),
            ),
            format!("[[test]]\nname = \"suite\"\npath = \"{suite}\"\n"),
            "",
        ),
    };
    format!(
        "[package]\nname = \"{package}\"\nversion = \"0.1.0\"\n{fields}\n\
         [lib]\nname = \"{lib}\"\ntest = false\ndoctest = {doctest}\n\n\
         [dependencies]\ngort = {}\n\n[dev-dependencies]\ngrade = {}\n\n\
         {suite}harness = false\ntest = false\n{lints}",
        deps.0, deps.1
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed manifests are this template's output (their descriptions aside, which
    /// `dev new` writes from the topic and an instructor may reword).
    #[test]
    fn the_lesson_crates_follow_the_template() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let course = crate::registry::Course::load(root).unwrap();
        for l in &course.lessons {
            for (dir, kind, prefix) in
                [(l.exercise(), Kind::Exercise, "ex"), (l.solution(), Kind::Solution, "sol")]
            {
                let dir = root.join(dir);
                let lib = crate::compile::lib_name(&dir).unwrap();
                let package = format!("{prefix}{}", l.name);
                let want = render(kind, &l.name, &package, &lib);
                let have = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
                let strip = |t: &str| {
                    t.lines()
                        .filter(|l| !l.starts_with("description"))
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                assert_eq!(strip(&have), strip(&want), "{}", dir.display());
            }
        }
    }

    #[test]
    fn a_scratch_crate_points_outside_the_workspace() {
        let text = render(Kind::Scratch { root: "/r", suite: "/s.rs" }, "01_a", "scratch_x", "a");
        assert!(text.contains("gort = { path = \"/r/runtime\" }"), "{text}");
        assert!(text.contains("path = \"/s.rs\"") && !text.contains("[lints]"), "{text}");
        assert!(text.parse::<toml::Table>().is_ok());
    }
}
