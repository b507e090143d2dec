//! The book lint's rules on what the text says, not how it is built.
//!
//! Over every learner-facing page (`book/src/*.md`, `exercises/*/README.md`,
//! `solutions/*/README.md`), it fails when:
//!
//! - the text points outside the repository: a relative link that leaves it, or a path into
//!   the course authors' own files (`shared/`, where the articles were kept);
//! - an article is cited by its number (`001 §`, "article 004") in a page that never names
//!   it by its title, or a section is cited with `§` instead of by its name;
//! - a claim that was checked and found false comes back (`FALSE_CLAIMS`, with the reason).
//!
//! And over the book's chapters (not `checker.md`, which is generated from real output):
//!
//! - a measured figure (a time in ns or µs, a decimal size, bytes per thread, a
//!   ratio such as "1.57 times") has no command beside it: the paragraph, or the one that
//!   leads into its table or list, must name a `cargo run`, `cargo bench` or `cargo test`
//!   whose example or bench exists in the repository;
//! - the text reads like a changelog (targets met, "went from", futex counts): the history
//!   of a figure belongs in BENCHMARKS.md, the book says what it means;
//! - a mermaid diagram has a `#` that is not an entity code (mermaid cuts the label there:
//!   write `#35;`), a flowchart label longer than `MERMAID_LABEL` characters, or a
//!   left-to-right flowchart of more than `MERMAID_SIDEWAYS` boxes (mermaid shrinks a chart
//!   that is too wide for the page until its text is unreadable).

use super::*;

/// The five articles the course started from, by number, with words that name each: its
/// title, or for the two that have none, how the book names them.
const ARTICLES: [(&str, &str); 5] = [
    ("000", "dashboard article"),
    ("001", "Understanding Goroutines"),
    ("002", "Mastering Concurrency with Goroutines"),
    ("003", "The problem with waiting"),
    ("004", "Concurrency Made Composable"),
];

/// Sentences checked against their source and found false, with what is true instead.
/// Matched on the text with its line breaks made spaces.
const FALSE_CLAIMS: [(&str, &str); 5] = [
    (
        "(both numbers are Go's)",
        "Go does not cut a runnext chain after 61 picks: the woken goroutine inherits the \
         time slice (runtime/proc.go, runqget and execute), and sysmon preempts the pair after \
         10 ms",
    ),
    (
        "instead of queueing them: its channel holds at most one.",
        "since Go 1.23 a timer's channel is unbuffered (cap 0) and Stop and Reset discard a \
         pending tick; say how gort's channel compares",
    ),
    (
        "a goroutine is created in user space in a few microseconds",
        "vs_go measures a goroutine's spawn and join at about 150 ns",
    ),
    ("(2 KiB, as measured below)", "nothing measures it below: it is Go's minimum stack size"),
    (
        "passing a value between two coroutines through a queue about 6 ns per hop",
        "no command in the repository measures it",
    ),
];

/// Words of a changelog, which the book leaves to BENCHMARKS.md.
const HISTORY: [&str; 4] = [": ok |", "went from", "futex calls", "What closed the gaps"];

/// The longest label a mermaid flowchart may have.
const MERMAID_LABEL: usize = 32;

/// The most boxes a left-to-right mermaid flowchart may have.
const MERMAID_SIDEWAYS: usize = 4;

/// The learner-facing pages: the book's chapters and the lessons' READMEs, sorted.
fn pages(root: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    if let Ok(dir) = fs::read_dir(root.join("book/src")) {
        out.extend(
            dir.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "md")),
        );
    }
    for kind in ["exercises", "solutions"] {
        if let Ok(dir) = fs::read_dir(root.join(kind)) {
            out.extend(
                dir.filter_map(|e| e.ok().map(|e| e.path().join("README.md")))
                    .filter(|p| p.is_file()),
            );
        }
    }
    out.sort();
    out
}

/// A page's prose lines (outside fenced blocks), with their numbers, as written.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = vec![];
    let mut fence_open: Option<(char, usize)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = strip_container(raw);
        match (fence_open, fence(line)) {
            (None, Some((c, len, _))) => fence_open = Some((c, len)),
            (Some((c, len)), Some((c2, len2, rest)))
                if c == c2 && len2 >= len && rest.is_empty() =>
            {
                fence_open = None;
            }
            (None, None) => out.push((i + 1, raw)),
            _ => {}
        }
    }
    out
}

/// Paragraphs of prose: runs of non-blank prose lines, with the first line's number, the
/// text as written (code spans kept) and without code spans, lines joined by spaces.
fn paragraphs(text: &str) -> Vec<(usize, String, String)> {
    let mut out: Vec<(usize, String, String)> = vec![];
    let mut last = 0;
    for (number, line) in prose_lines(text) {
        let t = strip_container(line).trim();
        if t.is_empty() {
            last = 0;
            continue;
        }
        match out.last_mut() {
            Some((_, raw, bare)) if last + 1 == number => {
                raw.push(' ');
                raw.push_str(t);
                bare.push(' ');
                bare.push_str(&without_code_spans(t));
            }
            _ => out.push((number, t.to_string(), without_code_spans(t))),
        }
        last = number;
    }
    out
}

/// The article numbers (`000` to `004`) cited in `bare` (prose without code spans): a
/// three-digit token, not part of a longer number such as `1,000` or `0.004`.
fn cited_articles(bare: &str) -> Vec<&'static str> {
    let b = bare.as_bytes();
    let mut out = vec![];
    for (number, _) in ARTICLES {
        let mut from = 0;
        while let Some(at) = bare[from..].find(number) {
            let (start, end) = (from + at, from + at + 3);
            from = end;
            let before = start.checked_sub(1).map(|i| b[i]);
            let after = b.get(end).copied();
            let digit_after_sep = matches!(after, Some(b',' | b'.'))
                && b.get(end + 1).is_some_and(u8::is_ascii_digit);
            let glued_before =
                before.is_some_and(|c| c.is_ascii_alphanumeric() || b",._#".contains(&c));
            let glued_after = after.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_');
            if !glued_before && !glued_after && !digit_after_sep && !out.contains(&number) {
                out.push(number);
            }
        }
    }
    out
}

/// The measured figures in `bare` (prose without code spans), as they are written.
fn measured_figures(bare: &str) -> Vec<String> {
    let chars: Vec<char> = bare.chars().collect();
    let mut out = vec![];
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i].is_ascii_digit()
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '.'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut decimal = false;
        while j < chars.len()
            && (chars[j].is_ascii_digit()
                || (matches!(chars[j], ',' | '.')
                    && chars.get(j + 1).is_some_and(char::is_ascii_digit)))
        {
            decimal |= chars[j] == '.';
            j += 1;
        }
        let mut k = j;
        if chars.get(k).is_some_and(|&c| c == ' ' || c == '\u{a0}') {
            k += 1;
        }
        let rest: String = chars[k..chars.len().min(k + 12)].iter().collect();
        let unit_is = |u: &str| {
            rest.starts_with(u)
                && !rest[u.len()..].chars().next().is_some_and(|c| c.is_alphanumeric())
        };
        let measured = ["ns", "µs", "us"].iter().any(|u| unit_is(u))
            || (decimal
                && ["KiB", "MiB", "GiB", "KB", "MB", "GB", "times"].iter().any(|u| unit_is(u)))
            || rest.starts_with("B/")
            || rest.starts_with("bytes per");
        if measured {
            let end = (k + rest.split(' ').next().unwrap_or("").chars().count()).min(chars.len());
            out.push(chars[i..end].iter().collect());
        }
        i = j.max(i + 1);
    }
    out
}

/// The `cargo run` / `cargo bench` / `cargo test` commands named in code spans of `raw`.
fn commands(raw: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = raw;
    while let Some(at) = rest.find("`cargo ") {
        let after = &rest[at + 1..];
        let end = after.find('`').unwrap_or(after.len());
        let command = &after[..end];
        if ["cargo run", "cargo bench", "cargo test"].iter().any(|c| command.starts_with(c)) {
            out.push(command.to_string());
        }
        rest = &after[end.min(after.len())..];
        if let Some(r) = rest.strip_prefix('`') {
            rest = r;
        }
    }
    out
}

/// Why `command` is not a command of this repository, if it is not: its `--example` or
/// `--bench` target must be a file under some `*/examples/` or `*/benches/` directory.
fn missing_target(root: &Path, command: &str) -> Option<String> {
    let words: Vec<&str> = command.split_whitespace().collect();
    for (flag, dir) in [("--example", "examples"), ("--bench", "benches")] {
        let Some(name) = words.iter().position(|w| *w == flag).and_then(|i| words.get(i + 1))
        else {
            continue;
        };
        let file = format!("{name}.rs");
        let found = fs::read_dir(root).into_iter().flatten().filter_map(Result::ok).any(|e| {
            let p = e.path();
            p.join(dir).join(&file).is_file()
                || fs::read_dir(&p)
                    .into_iter()
                    .flatten()
                    .filter_map(Result::ok)
                    .any(|e| e.path().join(dir).join(&file).is_file())
        });
        if !found {
            return Some(format!("`{command}`: no {dir}/{file} in the repository"));
        }
    }
    None
}

/// The labels on one line of a mermaid flowchart: `"quoted"`, `[boxed]` or `|on an edge|`.
fn labels(line: &str) -> Vec<&str> {
    let mut out = vec![];
    let mut rest = line;
    while let Some(at) = rest.find(['"', '[', '|']) {
        let open = rest.as_bytes()[at];
        let after = &rest[at + 1..];
        let close = match open {
            b'[' if after.starts_with('"') => {
                rest = after;
                continue;
            }
            b'[' => ']',
            b'|' => '|',
            _ => '"',
        };
        let Some(end) = after.find(close) else { break };
        out.push(&after[..end]);
        rest = &after[end + 1..];
    }
    out
}

/// Problems with a mermaid block's lines: `#` cut labels, and too-long flowchart labels.
fn mermaid_problems(block: &Block) -> Vec<(usize, String)> {
    let mut out = vec![];
    let flowchart = block.lines.iter().find(|(_, l)| !l.trim().is_empty()).is_some_and(|(_, l)| {
        let t = l.trim();
        t.starts_with("flowchart") || t.starts_with("graph")
    });
    let sideways = block.lines.iter().find(|(_, l)| !l.trim().is_empty()).filter(|(_, l)| {
        let mut words = l.split_whitespace();
        matches!(words.next(), Some("flowchart" | "graph"))
            && matches!(words.next(), Some("LR" | "RL"))
    });
    let boxes: usize = block.lines.iter().map(|(_, l)| l.matches('[').count()).sum();
    if let Some((number, _)) = sideways
        && boxes > MERMAID_SIDEWAYS
    {
        out.push((
            *number,
            format!(
                "a left-to-right flowchart of {boxes} boxes: mermaid shrinks it to the page's \
                 width until it cannot be read; draw it top to bottom (`flowchart TB`)"
            ),
        ));
    }
    for (number, line) in &block.lines {
        let t = line.trim();
        if ["style", "classDef", "linkStyle", "%%"].iter().any(|k| t.starts_with(k)) {
            continue;
        }
        let mut rest = t;
        while let Some(at) = rest.find('#') {
            let after = &rest[at + 1..];
            let code: String = after.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            if code.is_empty() || !after[code.len()..].starts_with(';') {
                out.push((
                    *number,
                    format!(
                        "mermaid cuts a label at `#` (`{}`): write `#35;` for the character",
                        clip(t)
                    ),
                ));
                break;
            }
            rest = &after[code.len()..];
        }
        if flowchart {
            for label in labels(t) {
                if label.chars().count() > MERMAID_LABEL {
                    out.push((
                        *number,
                        format!(
                            "a flowchart label of {} characters (`{}`): mermaid shrinks a chart \
                             too wide for the page until it cannot be read; keep labels to \
                             {MERMAID_LABEL} and say the rest in the prose",
                            label.chars().count(),
                            clip(label)
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// Lints what the learner-facing pages of the repository at `root` say.
pub(super) fn lint(root: &Path) -> Vec<Problem> {
    let mut problems = vec![];
    for page in pages(root) {
        let rel = page.strip_prefix(root).unwrap_or(&page).to_path_buf();
        let at = |line: usize, message: String| Problem { file: rel.clone(), line, message };
        let Ok(text) = fs::read_to_string(&page) else { continue };
        let dir = page.parent().expect("a page is in a directory");

        // Nothing points outside the repository.
        for (line, raw) in prose_lines(&text) {
            if raw.contains("shared/") {
                problems.push(at(
                    line,
                    "points into `shared/`, which is not in the repository: name the article by \
                     its title and say what it shows"
                        .to_string(),
                ));
            }
            if without_code_spans(raw).contains('§') {
                problems.push(at(
                    line,
                    "cites a section with `§`: name the article by its title and the section by \
                     its heading"
                        .to_string(),
                ));
            }
        }
        for (line, target) in parse(&text).links {
            if let Some(local) = local_target(&target)
                && !resolve(dir, &local).starts_with(root)
            {
                problems.push(at(line, format!("link to `{target}` leaves the repository")));
            }
        }

        // Articles cited by number are named by title on the same page.
        let paras = paragraphs(&text);
        let whole = paras.iter().map(|(_, raw, _)| raw.as_str()).collect::<Vec<_>>().join(" ");
        let whole_lower = whole.to_lowercase();
        let mut reported = vec![];
        for (line, _, bare) in &paras {
            for number in cited_articles(bare) {
                let (_, title) = ARTICLES.iter().find(|(n, _)| *n == number).expect("known");
                if !whole_lower.contains(&title.to_lowercase()) && !reported.contains(&number) {
                    reported.push(number);
                    problems.push(at(
                        *line,
                        format!(
                            "cites article {number} but never names it: say \"{title}\" on this \
                             page"
                        ),
                    ));
                }
            }
        }
        for (line, raw, _) in &paras {
            for (claim, why) in FALSE_CLAIMS {
                if raw.contains(claim) {
                    problems.push(at(*line, format!("`{claim}` is false: {why}")));
                }
            }
        }

        let in_book = rel.starts_with("book/src");
        let name = page.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !in_book || name == "checker.md" || name == "SUMMARY.md" {
            continue;
        }

        // Measured figures name their command; no changelog.
        for (k, (line, raw, bare)) in paras.iter().enumerate() {
            let figures = measured_figures(bare);
            let mut named = commands(raw);
            if let Some((_, before, _)) = k.checked_sub(1).and_then(|i| paras.get(i)) {
                named.extend(commands(before));
            }
            if let Some(figure) = figures.first()
                && named.is_empty()
            {
                problems.push(at(
                    *line,
                    format!(
                        "`{figure}` is a measured figure with no command beside it: name the \
                         `cargo run`/`cargo bench` that gives it, or remove it"
                    ),
                ));
            }
            for command in commands(raw) {
                if let Some(why) = missing_target(root, &command) {
                    problems.push(at(*line, why));
                }
            }
            for word in HISTORY {
                if raw.contains(word) {
                    problems.push(at(
                        *line,
                        format!(
                            "`{}` reads like a changelog: say what the figure means, and leave \
                             its history to BENCHMARKS.md",
                            word.trim_start_matches(": ").trim_end_matches(" |")
                        ),
                    ));
                }
            }
        }
        for block in parse(&text).blocks {
            if block.words().first() == Some(&"mermaid") {
                problems.extend(mermaid_problems(&block).into_iter().map(|(l, m)| at(l, m)));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use crate::fixture::{assert_one, edit, problems, write};
    use std::fs;

    const CH1: &str = "book/src/01_spawn.md";
    const README: &str = "exercises/01_spawn/README.md";
    const README_TEXT: &str = "The chapter: [spawning](../../book/src/01_spawn.md).";

    /// Adds `sentence` after the README's link to its chapter.
    fn add_to_readme(root: &std::path::Path, sentence: &str) {
        edit(root, README, README_TEXT, &format!("{README_TEXT} {sentence}"));
    }

    #[test]
    fn a_pointer_outside_the_repository_is_caught() {
        let root = write("outside_path");
        add_to_readme(&root, "Read the articles in `../shared/seeds/`.");
        let found = problems(&root);
        assert!(found.iter().any(|p| p.contains("points into `shared/`")), "{found:#?}");

        let root = write("outside_link");
        edit(
            &root,
            README,
            "(../../book/src/01_spawn.md)",
            "(../../book/src/01_spawn.md) [x](../../../notes.md)",
        );
        assert_one(&root, README, 3, "link to `../../../notes.md` leaves the repository");
    }

    #[test]
    fn an_article_cited_by_number_is_named_by_its_title() {
        let root = write("untitled_article");
        add_to_readme(&root, "Article 004 waits by sleeping; 1,000 goroutines do.");
        assert_one(&root, README, 3, "cites article 004 but never names it");

        let root = write("titled_article");
        add_to_readme(
            &root,
            "*Chapter 5: Goroutines — Concurrency Made Composable* (article 004) sleeps.",
        );
        assert_eq!(problems(&root), Vec::<String>::new());
    }

    #[test]
    fn a_section_sign_is_caught() {
        let root = write("section_sign");
        add_to_readme(&root, "Understanding Goroutines (001) § WaitGroups.");
        assert_one(&root, README, 3, "cites a section with `§`");
    }

    #[test]
    fn a_claim_found_false_is_caught() {
        let root = write("false_claim");
        edit(
            &root,
            CH1,
            "Code spans are not links",
            "Runnext chains are cut (both numbers are Go's). Code spans are not links",
        );
        assert_one(&root, CH1, 28, "is false: Go does not cut a runnext chain");
    }

    #[test]
    fn a_measured_figure_names_its_command() {
        let root = write("figure_without_command");
        edit(
            &root,
            CH1,
            "Code spans are not links",
            "A switch takes 2.4 ns, a sleep 200 ms. Code spans are not links",
        );
        assert_one(&root, CH1, 28, "`2.4 ns,` is a measured figure with no command beside it");

        let root = write("figure_with_a_missing_command");
        let with_command = "A switch takes 2.4 ns (`cargo run --release -p gort --example costs`). Code spans are not links";
        edit(&root, CH1, "Code spans are not links", with_command);
        assert_one(&root, CH1, 28, "no examples/costs.rs in the repository");

        fs::create_dir_all(root.join("runtime/examples")).expect("mkdir");
        fs::write(root.join("runtime/examples/costs.rs"), "fn main() {}\n").expect("write");
        assert_eq!(problems(&root), Vec::<String>::new());
    }

    #[test]
    fn a_changelog_is_caught() {
        let root = write("changelog");
        edit(
            &root,
            CH1,
            "Code spans are not links",
            "Spawning went from 640 to 320 ns (`cargo test -p gort`). Code spans are not links",
        );
        assert_one(&root, CH1, 28, "`went from` reads like a changelog");
    }

    #[test]
    fn mermaid_hashes_and_wide_labels_are_caught() {
        let root = write("mermaid_hash");
        let diagram = "```mermaid\nsequenceDiagram\n    participant S as sender (thread #2)\n```";
        edit(&root, CH1, "```go\ngo f()\n```", diagram);
        assert_one(&root, CH1, 26, "mermaid cuts a label at `#`");

        let root = write("mermaid_entity");
        let diagram =
            "```mermaid\nsequenceDiagram\n    participant S as sender (thread #35;2)\n```";
        edit(&root, CH1, "```go\ngo f()\n```", diagram);
        assert_eq!(problems(&root), Vec::<String>::new());

        let root = write("mermaid_wide");
        let diagram = "```mermaid\nflowchart LR\n    A[\"a\"] -- \"when a local queue is empty, and every 61st round\" --> B[b]\n```";
        edit(&root, CH1, "```go\ngo f()\n```", diagram);
        assert_one(&root, CH1, 26, "a flowchart label of 49 characters");

        let root = write("mermaid_sideways");
        let boxes = "A[a] --> B[b] --> C[c] --> D[d] --> E[e]";
        let diagram = format!("```mermaid\nflowchart LR\n    {boxes}\n```");
        edit(&root, CH1, "```go\ngo f()\n```", &diagram);
        assert_one(&root, CH1, 25, "a left-to-right flowchart of 5 boxes");
        let root = write("mermaid_top_down");
        edit(&root, CH1, "```go\ngo f()\n```", &diagram.replace("LR", "TB"));
        assert_eq!(problems(&root), Vec::<String>::new());
    }
}
