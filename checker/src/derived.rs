//! What the course derives from the registry and the suites, in the files where people read
//! it: the workspace members, the book's table of contents and chapter headings, the README's
//! layout row, each exercise README's "Done means" list, and the screens of the checker's
//! chapter. `dev sync` writes these; `dev check` fails when one is stale.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use grade_wire::PropertyInfo;

use crate::registry::{Course, Lesson};
use crate::render::CHECKER;
use crate::screens;

/// The command that rewrites every derived file.
pub(crate) const SYNC: &str = "cargo run -p checker -- dev sync";

/// The line that opens a generated "Done means" section.
const DONE: &str = "## Done means";

/// One derived file: its path (relative to the root) and the text it should hold.
#[derive(Debug)]
pub(crate) struct Derived {
    pub(crate) path: PathBuf,
    pub(crate) text: String,
}

/// The chapter whose screens are the checker's real output.
const CHECKER_CHAPTER: &str = "book/src/checker.md";

/// Every derived file's expected text, from the files as they are now. `properties` holds
/// each lesson's property list (from its solution's suite); a lesson missing from it keeps
/// its README as it is. `screens` (see [`crate::screens`]), if given, fill the checker's
/// chapter.
pub(crate) fn expected(
    root: &Path,
    course: &Course,
    properties: &BTreeMap<String, Vec<PropertyInfo>>,
    screens: Option<&BTreeMap<String, String>>,
) -> Result<Vec<Derived>, String> {
    let read = |rel: &str| {
        std::fs::read_to_string(root.join(rel)).map_err(|e| format!("cannot read {rel}: {e}"))
    };
    let mut out = vec![
        Derived { path: "Cargo.toml".into(), text: members(&read("Cargo.toml")?, course)? },
        Derived {
            path: "book/src/SUMMARY.md".into(),
            text: summary(&read("book/src/SUMMARY.md")?, course)?,
        },
        Derived { path: "README.md".into(), text: layout_row(&read("README.md")?, course)? },
    ];
    if let Some(screens) = screens {
        let text = screens::fill(&read(CHECKER_CHAPTER)?, screens)?;
        out.push(Derived { path: CHECKER_CHAPTER.into(), text });
    }
    for l in &course.lessons {
        let chapter = l.chapter();
        let text = read(&chapter.display().to_string())?;
        out.push(Derived { path: chapter, text: heading(&text, &l.title) });
        if let Some(props) = properties.get(&l.name) {
            let readme = l.exercise().join("README.md");
            let text = read(&readme.display().to_string())?;
            out.push(Derived { path: readme, text: done_means(&text, l, props) });
        }
    }
    Ok(out)
}

/// The files whose text differs from the expected one (the checker's screens: apart from
/// timings, which differ from run to run).
pub(crate) fn stale<'a>(root: &Path, expected: &'a [Derived]) -> Vec<&'a Derived> {
    expected
        .iter()
        .filter(|d| {
            let Ok(have) = std::fs::read_to_string(root.join(&d.path)) else { return true };
            if d.path == Path::new(CHECKER_CHAPTER) {
                screens::without_timings(&have) != screens::without_timings(&d.text)
            } else {
                have != d.text
            }
        })
        .collect()
}

/// The root manifest with the lessons' crates as members, in course order, where the
/// lesson members were (or before the first member after them).
fn members(manifest: &str, course: &Course) -> Result<String, String> {
    let start = manifest.find("members = [").ok_or("the root Cargo.toml has no `members = [`")?;
    let open = start + "members = [".len();
    let close = open + manifest[open..].find(']').ok_or("`members = [` is not closed")?;
    let listed: Vec<&str> = manifest[open..close]
        .split(',')
        .map(|m| m.trim().trim_matches('"'))
        .filter(|m| !m.is_empty())
        .collect();
    let is_lesson = |m: &str| m.starts_with("exercises/") || m.starts_with("solutions/");
    let at = listed.iter().position(|m| is_lesson(m)).unwrap_or_else(|| {
        listed.iter().position(|m| m.starts_with("book/")).unwrap_or(listed.len())
    });
    let others: Vec<&str> = listed.iter().copied().filter(|m| !is_lesson(m)).collect();
    let before = listed[..at].iter().filter(|m| !is_lesson(m)).count();
    let mut all: Vec<String> = others[..before].iter().map(|m| m.to_string()).collect();
    for l in &course.lessons {
        all.push(l.exercise().display().to_string());
        all.push(l.solution().display().to_string());
    }
    all.extend(others[before..].iter().map(|m| m.to_string()));
    let mut list = String::from("\n");
    for m in all {
        let _ = writeln!(list, "    \"{m}\",");
    }
    Ok(format!("{}{list}{}", &manifest[..open], &manifest[close..]))
}

/// SUMMARY.md with one entry per lesson, its title, under `# Lessons`.
fn summary(text: &str, course: &Course) -> Result<String, String> {
    let start = text.find("# Lessons\n").ok_or("book/src/SUMMARY.md has no `# Lessons` part")?;
    let body = start + "# Lessons\n".len();
    let end = text[body..].find("\n# ").map_or(text.len(), |i| body + i + 1);
    let mut entries = String::from("\n");
    for l in &course.lessons {
        let _ = writeln!(entries, "- [{}]({}.md)", l.title, l.name);
    }
    entries.push('\n');
    Ok(format!("{}{entries}{}", &text[..body], &text[end..]))
}

/// README.md's layout row for `exercises/`, naming every lesson.
fn layout_row(text: &str, course: &Course) -> Result<String, String> {
    let prefix = "| `exercises/` | ";
    let line = text
        .lines()
        .find(|l| l.starts_with(prefix))
        .ok_or("README.md has no layout row for `exercises/`")?;
    let names: Vec<String> = course.lessons.iter().map(|l| format!("`{}`", l.name)).collect();
    let row = format!(
        "{prefix}one crate per lesson, with stubs for you to fill in: {} |",
        names.join(", ")
    );
    Ok(text.replacen(line, &row, 1))
}

/// The chapter with the lesson's title as its first heading.
fn heading(text: &str, title: &str) -> String {
    let rest = text
        .split_once('\n')
        .map_or("", |(first, rest)| if first.starts_with("# ") { rest } else { text });
    format!("# {title}\n{rest}")
}

/// The exercise README with its "Done means" section (to the end of the file) rebuilt from
/// the suite's property list.
fn done_means(text: &str, l: &Lesson, properties: &[PropertyInfo]) -> String {
    let n = &l.name;
    let head = text.find("\n## Done").map_or(text.trim_end(), |i| &text[..i]).trim_end();
    let mut out = format!(
        "{head}\n\n{DONE}\n\n<!-- Generated by `{SYNC}` from the suite's properties: edit the suite, not this list. -->\n\n\
         `{CHECKER} check {n}` passes every property:\n\n| property | task | demand |\n|---|---|---|\n"
    );
    for p in properties {
        let _ = writeln!(out, "| `{}` | {} | {} |", p.name, p.task, p.demand.replace('|', "\\|"));
    }
    let _ = write!(
        out,
        "\nStuck? `{CHECKER} hint {n}` gives a hint, a more concrete one each time you ask. A \
         failing property prints its demand, a minimal input, the schedule that broke it, and a \
         replay token (`{CHECKER} replay {n} TOKEN` runs exactly that schedule again).\n\n\
         The chapter: [../../book/src/{n}.md](../../book/src/{n}.md)\n"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn course(names: &[&str]) -> Course {
        let text: String = names
            .iter()
            .map(|n| {
                format!("[[lesson]]\nname = \"{n}\"\ntitle = \"T {n}\"\nhints = [\"a\", \"b\"]\n")
            })
            .collect();
        let lessons = toml::from_str::<toml::Table>(&text).unwrap()["lesson"].clone();
        Course { root: PathBuf::new(), lessons: lessons.try_into().unwrap() }
    }

    #[test]
    fn members_keep_the_others_and_list_lessons_in_order() {
        let manifest = "[workspace]\nmembers = [\n    \"runtime\",\n    \"exercises/01_a\",\n    \"solutions/01_a\",\n    \"book/listings\",\n]\n";
        let got = members(manifest, &course(&["01_a", "02_b"])).unwrap();
        assert_eq!(
            got,
            "[workspace]\nmembers = [\n    \"runtime\",\n    \"exercises/01_a\",\n    \"solutions/01_a\",\n    \"exercises/02_b\",\n    \"solutions/02_b\",\n    \"book/listings\",\n]\n"
        );
        assert_eq!(members(&got, &course(&["01_a", "02_b"])).unwrap(), got);
    }

    #[test]
    fn summary_lists_each_lesson_by_its_title() {
        let text = "# Summary\n\n[Intro](i.md)\n\n# Lessons\n\n- [old](01_a.md)\n\n# Beyond\n\n- [x](x.md)\n";
        let got = summary(text, &course(&["01_a", "02_b"])).unwrap();
        assert_eq!(
            got,
            "# Summary\n\n[Intro](i.md)\n\n# Lessons\n\n- [T 01_a](01_a.md)\n- [T 02_b](02_b.md)\n\n# Beyond\n\n- [x](x.md)\n"
        );
    }

    #[test]
    fn done_means_comes_from_the_properties() {
        let l = &course(&["01_a"]).lessons[0];
        let p = PropertyInfo {
            name: "p".into(),
            demand: "d | e".into(),
            task: 2,
            file: String::new(),
            line: 1,
        };
        let got = done_means("# A\n\nText.\n\n## Done\n\nold\n", l, &[p]);
        assert!(got.starts_with("# A\n\nText.\n\n## Done means\n"), "{got}");
        assert!(got.contains("| `p` | 2 | d \\| e |\n"), "{got}");
        assert!(!got.contains("old"));
        assert_eq!(done_means(&got, l, &[]).matches(DONE).count(), 1);
    }

    #[test]
    fn the_heading_is_the_title() {
        assert_eq!(heading("# Old\n\nBody\n", "New"), "# New\n\nBody\n");
        assert_eq!(heading("Body\n", "New"), "# New\nBody\n");
    }
}
