//! The book's lint: Rust blocks only include tested listings, includes and links resolve.
//!
//! It reads every `book/src/*.md` and fails, naming the file and line, when:
//!
//! - a ```` ```rust ```` block holds anything but `{{#include ...}}` / `{{#rustdoc_include ...}}`
//!   lines (pasted Rust is not compiled or tested), or includes a file that is not a tested
//!   listing under `book/listings/tests/`;
//! - an included file does not exist, or the anchor it names has no `// ANCHOR: name` and
//!   `// ANCHOR_END: name` lines;
//! - a ```` ```rust,ignore ```` block includes something outside `book/listings/compile_fail/`,
//!   or is not followed at once by a ```` ```text ```` block including the matching `.stderr`;
//! - a relative link or image points to a file that does not exist;
//! - a lesson chapter (`NN_topic.md`) does not link to `exercises/NN_topic/README.md`, or that
//!   README does not link back to the chapter.
//!
//! `book_lint/prose.rs` adds the rules on what the text says: nothing learner-facing points
//! outside the repository, articles are named by title, measured figures name the command
//! that gives them, and claims found false stay out.
//!
//! The lint is a function over a repository root, so the tests below also run it on broken
//! copies of a small book in a scratch directory and check that it says what is wrong.

use std::fmt;
use std::fs;
use std::path::{Component, Path, PathBuf};

#[path = "book_lint/prose.rs"]
mod prose;

/// One thing the lint found: where, and what.
#[derive(Debug)]
struct Problem {
    file: PathBuf,
    line: usize,
    message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// A fenced code block: its info string (` ```rust,ignore ` gives `rust,ignore`), where it
/// opens and closes (1-based lines), and its content lines with their numbers.
#[derive(Debug)]
struct Block {
    info: String,
    open: usize,
    close: usize,
    lines: Vec<(usize, String)>,
}

impl Block {
    /// The info string's words: `rust,noplayground` gives `["rust", "noplayground"]`.
    fn words(&self) -> Vec<&str> {
        self.info.split([',', ' ', '\t']).filter(|w| !w.is_empty()).collect()
    }
    fn is_rust(&self) -> bool {
        matches!(self.words().first(), Some(&("rust" | "rs")))
    }
    fn is_not_compiled(&self) -> bool {
        self.words().iter().any(|w| matches!(*w, "ignore" | "compile_fail" | "does_not_compile"))
    }
}

/// An `{{#include path}}` or `{{#rustdoc_include path:anchor}}` directive.
#[derive(Debug)]
struct Include {
    line: usize,
    path: String,
    anchor: Option<String>,
}

/// A chapter read into blocks, includes and links.
#[derive(Debug, Default)]
struct Parsed {
    blocks: Vec<Block>,
    includes: Vec<Include>,
    /// Link and image targets outside code, with their lines.
    links: Vec<(usize, String)>,
}

/// Strips what contains a line in Markdown: indentation and blockquote markers (`> `), so
/// that fences and includes inside admonitions and lists are seen too.
fn strip_container(line: &str) -> &str {
    let mut rest = line.trim_start();
    while let Some(r) = rest.strip_prefix('>') {
        rest = r.trim_start();
    }
    rest
}

/// A fence opener or closer: its character, its length, and the rest of the line.
fn fence(line: &str) -> Option<(char, usize, &str)> {
    let c = line.chars().next()?;
    if c != '`' && c != '~' {
        return None;
    }
    let len = line.chars().take_while(|&x| x == c).count();
    (len >= 3).then(|| (c, len, line[len..].trim()))
}

/// Every `{{#include ...}}` / `{{#rustdoc_include ...}}` in `line` (mdBook expands them
/// anywhere, code blocks included; a backslash before `{{` escapes one).
fn includes_in(line: &str, number: usize) -> Vec<Include> {
    let mut out = vec![];
    let mut rest = line;
    let mut offset = 0;
    while let Some(at) = rest.find("{{#") {
        let escaped = at > 0 && line.as_bytes()[offset + at - 1] == b'\\';
        let after = &rest[at + 3..];
        let Some(end) = after.find("}}") else { break };
        let body = after[..end].trim();
        offset += at + 3 + end + 2;
        rest = &after[end + 2..];
        if escaped {
            continue;
        }
        let mut parts = body.splitn(2, char::is_whitespace);
        let (kind, arg) = (parts.next().unwrap_or(""), parts.next().unwrap_or("").trim());
        if kind != "include" && kind != "rustdoc_include" {
            continue;
        }
        // `path`, `path:anchor`, or `path:10:20` / `path:10:` / `path::20` (line ranges).
        let mut pieces = arg.splitn(2, ':');
        let path = pieces.next().unwrap_or("").to_string();
        let anchor = pieces.next().and_then(|sel| {
            let first = sel.split(':').next().unwrap_or("");
            let is_range = first.is_empty() || first.chars().all(|c| c.is_ascii_digit());
            (!is_range).then(|| first.to_string())
        });
        out.push(Include { line: number, path, anchor });
    }
    out
}

/// `line` with inline code spans (`` `like this` ``) blanked, so their text is not read as links.
fn without_code_spans(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].chars().take_while(|&c| c == '`').count();
        let after = &rest[start + ticks..];
        let closer = "`".repeat(ticks);
        match after.find(&closer) {
            Some(end) => rest = &after[end + ticks..],
            None => {
                out.push_str(&rest[start..]);
                return out;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Link and image targets in one line of prose: `[text](target "title")`, `![alt](target)`,
/// `[label]: target`, and HTML `src="..."` / `href="..."`.
fn links_in(line: &str) -> Vec<String> {
    let line = without_code_spans(line);
    let mut out = vec![];
    let mut rest = line.as_str();
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let target = if let Some(inner) = after.strip_prefix('<') {
            inner.split('>').next().unwrap_or("")
        } else {
            // Up to the closing parenthesis, allowing one level of parentheses in the target.
            let mut depth = 0;
            let end = after
                .char_indices()
                .find(|&(_, c)| match c {
                    '(' => {
                        depth += 1;
                        false
                    }
                    ')' if depth == 0 => true,
                    ')' => {
                        depth -= 1;
                        false
                    }
                    _ => false,
                })
                .map_or(after.len(), |(i, _)| i);
            after[..end].split_whitespace().next().unwrap_or("")
        };
        out.push(target.to_string());
        rest = after;
    }
    let trimmed = line.trim_start();
    if trimmed.starts_with('[')
        && let Some(close) = trimmed.find("]:")
        && !trimmed[1..close].contains(']')
        && let Some(target) = trimmed[close + 2..].split_whitespace().next()
    {
        out.push(target.trim_start_matches('<').trim_end_matches('>').to_string());
    }
    for attr in ["src=\"", "href=\""] {
        let mut rest = line.as_str();
        while let Some(at) = rest.find(attr) {
            let after = &rest[at + attr.len()..];
            out.push(after.split('"').next().unwrap_or("").to_string());
            rest = after;
        }
    }
    out
}

/// Reads a chapter into its code blocks, includes and link targets.
fn parse(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut open: Option<(char, usize, Block)> = None;
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let line = strip_container(raw);
        parsed.includes.extend(includes_in(line, number));
        match &mut open {
            Some((c, len, block)) => match fence(line) {
                Some((c2, len2, rest)) if c2 == *c && len2 >= *len && rest.is_empty() => {
                    let (_, _, mut block) = open.take().expect("a block is open");
                    block.close = number;
                    parsed.blocks.push(block);
                }
                _ => block.lines.push((number, line.to_string())),
            },
            None => match fence(line) {
                Some((c, len, info)) => {
                    let block =
                        Block { info: info.to_string(), open: number, close: 0, lines: vec![] };
                    open = Some((c, len, block));
                }
                None => parsed.links.extend(links_in(line).into_iter().map(|t| (number, t))),
            },
        }
    }
    if let Some((_, _, mut block)) = open {
        block.close = text.lines().count();
        parsed.blocks.push(block);
    }
    parsed
}

/// `base` joined with `rel`, with `.` and `..` resolved by the text alone (no file system).
fn resolve(base: &Path, rel: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for part in base.join(rel).components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Decodes `%20`-style escapes in a link target.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) =
                (bytes.get(i + 1).and_then(|&b| hex(b)), bytes.get(i + 2).and_then(|&b| hex(b)))
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The local file a link target names, or `None` for a web link, a mail link or an anchor
/// on the same page.
fn local_target(target: &str) -> Option<String> {
    if target.is_empty()
        || target.starts_with('#')
        || target.contains("://")
        || target.starts_with("mailto:")
    {
        return None;
    }
    let path = target.split(['#', '?']).next().unwrap_or("");
    (!path.is_empty()).then(|| percent_decode(path))
}

/// Whether `file` has `ANCHOR: name` and `ANCHOR_END: name` lines (mdBook's anchor syntax).
fn has_anchor(text: &str, name: &str) -> (bool, bool) {
    let marks = |tag: &str| {
        text.lines().any(|l| {
            l.split(tag).skip(1).any(|after| {
                let word: String = after
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                    .collect();
                word == name
            })
        })
    };
    (marks("ANCHOR:"), marks("ANCHOR_END:"))
}

/// Lints the book of the repository at `root`; returns every problem found, in file order.
fn lint(root: &Path) -> Vec<Problem> {
    let root = &resolve(root, ".");
    let src = root.join("book/src");
    let listings = root.join("book/listings");
    let mut problems = vec![];
    let mut chapters: Vec<PathBuf> = match fs::read_dir(&src) {
        Ok(dir) => dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect(),
        Err(e) => {
            let message = format!("cannot read the book's sources: {e}");
            return vec![Problem { file: src, line: 0, message }];
        }
    };
    chapters.sort();
    for chapter in &chapters {
        let rel = chapter.strip_prefix(root).unwrap_or(chapter).to_path_buf();
        let at = |line: usize, message: String| Problem { file: rel.clone(), line, message };
        let text = match fs::read_to_string(chapter) {
            Ok(text) => text,
            Err(e) => {
                problems.push(at(0, format!("cannot read: {e}")));
                continue;
            }
        };
        let parsed = parse(&text);
        let dir = chapter.parent().expect("a chapter is in book/src");

        for inc in &parsed.includes {
            let path = resolve(dir, &inc.path);
            let Ok(body) = fs::read_to_string(&path) else {
                problems.push(at(
                    inc.line,
                    format!("`{{{{#include {}}}}}`: no such file ({})", inc.path, path.display()),
                ));
                continue;
            };
            if let Some(anchor) = &inc.anchor {
                match has_anchor(&body, anchor) {
                    (true, true) => {}
                    (start, _) => {
                        let missing = if start { "ANCHOR_END" } else { "ANCHOR" };
                        problems.push(at(
                            inc.line,
                            format!("`{}` has no `// {missing}: {anchor}` line", inc.path),
                        ));
                    }
                }
            }
        }

        for (k, block) in parsed.blocks.iter().enumerate() {
            if !block.is_rust() {
                continue;
            }
            let mut block_includes = vec![];
            for (number, line) in &block.lines {
                let t = line.trim();
                if t.is_empty() {
                    continue;
                }
                let incs = includes_in(t, *number);
                let only_include = incs.len() == 1 && t.starts_with("{{#") && t.ends_with("}}");
                if only_include {
                    block_includes.extend(incs);
                } else {
                    problems.push(at(
                        *number,
                        format!(
                            "a ```{} block may hold only `{{{{#include ...}}}}` lines, found `{}`: put the \
                             code in a tested listing (book/listings/tests/) between ANCHOR comments and \
                             include it",
                            block.info,
                            clip(t)
                        ),
                    ));
                }
            }
            if block.is_not_compiled() {
                let compile_fail = listings.join("compile_fail");
                for inc in &block_includes {
                    let path = resolve(dir, &inc.path);
                    if !path.starts_with(&compile_fail)
                        || path.extension().is_none_or(|x| x != "rs")
                    {
                        problems.push(at(
                            inc.line,
                            format!(
                                "a ```{} block must include a listing from book/listings/compile_fail/, \
                                 not `{}`",
                                block.info, inc.path
                            ),
                        ));
                        continue;
                    }
                    let stderr = inc
                        .path
                        .strip_suffix(".rs")
                        .map(|p| format!("{p}.stderr"))
                        .unwrap_or_default();
                    let next = parsed.blocks.get(k + 1);
                    let adjacent = next.is_some_and(|n| {
                        n.words().first() == Some(&"text")
                            && text
                                .lines()
                                .skip(block.close)
                                .take(n.open - block.close - 1)
                                .all(|l| strip_container(l).is_empty())
                    });
                    let shows_error = next.is_some_and(|n| {
                        n.lines
                            .iter()
                            .any(|(_, l)| includes_in(l, 0).iter().any(|i| i.path == stderr))
                    });
                    if !(adjacent && shows_error) {
                        problems.push(at(
                            block.close,
                            format!(
                                "a listing that does not compile must be followed at once by a ```text \
                                 block with `{{{{#include {stderr}}}}}` (its real compiler error)"
                            ),
                        ));
                    }
                }
            } else {
                let tests = listings.join("tests");
                for inc in &block_includes {
                    if !resolve(dir, &inc.path).starts_with(&tests) {
                        problems.push(at(
                            inc.line,
                            format!(
                                "a ```{} block must include a tested listing from book/listings/tests/, \
                                 not `{}` (a listing that must not compile goes in a ```rust,ignore block)",
                                block.info, inc.path
                            ),
                        ));
                    }
                }
            }
        }

        let mut targets = vec![];
        for (line, target) in &parsed.links {
            let Some(local) = local_target(target) else { continue };
            let path = resolve(dir, &local);
            if !path.exists() {
                problems.push(at(
                    *line,
                    format!("link to `{target}`: no such file ({})", path.display()),
                ));
            }
            targets.push(path);
        }

        // Lesson chapters link to their exercise, and the exercise links back.
        let stem = chapter.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let is_lesson = stem.len() > 3
            && stem.as_bytes()[..2].iter().all(u8::is_ascii_digit)
            && &stem[2..3] == "_";
        if is_lesson {
            let readme = root.join("exercises").join(stem).join("README.md");
            let readme_rel = readme.strip_prefix(root).unwrap_or(&readme).to_path_buf();
            if !targets.contains(&readme) {
                problems.push(at(
                    1,
                    format!(
                        "a lesson chapter must link to its exercise: `../../{}`",
                        readme_rel.display()
                    ),
                ));
            }
            match fs::read_to_string(&readme) {
                Err(_) => problems.push(at(
                    1,
                    format!("the lesson's exercise `{}` does not exist", readme_rel.display()),
                )),
                Ok(body) => {
                    let back = parse(&body).links.iter().any(|(_, t)| {
                        local_target(t).is_some_and(|l| {
                            resolve(readme.parent().expect("in a dir"), &l) == *chapter
                        })
                    });
                    if !back {
                        problems.push(Problem {
                            file: readme_rel,
                            line: 1,
                            message: format!(
                                "the exercise must link back to its chapter: `../../book/src/{stem}.md`"
                            ),
                        });
                    }
                }
            }
        }
    }
    problems.extend(prose::lint(root));
    problems
}

/// The first 60 characters of `s`, for a message.
fn clip(s: &str) -> String {
    if s.chars().count() <= 60 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(59).collect::<String>())
    }
}

/// The repository's root: two levels above this crate (`book/listings`).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_book_passes_its_lint() {
    let problems = lint(&repo_root());
    assert!(
        problems.is_empty(),
        "the book breaks its conventions ({} problems):\n{}",
        problems.len(),
        problems.iter().map(|p| format!("  {p}\n")).collect::<String>()
    );
}

/// A small book that passes, written under a scratch directory, and ways to break it.
mod fixture {
    use super::*;

    pub(super) const CHAPTER: &str = "\
# Spawning

Start the exercise: [01_spawn](../../exercises/01_spawn/README.md).

```rust,noplayground
{{#include ../listings/tests/ch01_spawn.rs:hello}}
```

> [!NOTE]
> ```rust,noplayground
> {{#rustdoc_include ../listings/tests/ch01_spawn.rs:hello}}
> ```

This does not compile, because `x` is moved:

```rust,ignore
{{#include ../listings/compile_fail/ch01_moved.rs}}
```

```text
{{#include ../listings/compile_fail/ch01_moved.stderr}}
```

```go
go f()
```

![a figure](img/fig.svg) and [the next chapter](checker.md#top), [Go](https://go.dev).
Code spans are not links: `[x](nowhere.md)`.
";

    pub(super) const LISTING: &str = "\
//! Listings of chapter 1.
#[test]
fn hello() {
    // ANCHOR: hello
    let x = 1;
    // ANCHOR_END: hello
    assert_eq!(x, 1);
}
";

    /// Writes the good book into a fresh directory named after `test` and returns its root.
    pub(super) fn write(test: &str) -> PathBuf {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("book_lint").join(test);
        let _ = fs::remove_dir_all(&root);
        let files: [(&str, &str); 8] = [
            ("book/src/01_spawn.md", CHAPTER),
            ("book/src/checker.md", "# The checker\n\nBack to [spawning](01_spawn.md).\n"),
            ("book/src/img/fig.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n"),
            ("book/listings/tests/ch01_spawn.rs", LISTING),
            ("book/listings/compile_fail/ch01_moved.rs", "fn main() {}\n"),
            ("book/listings/compile_fail/ch01_moved.stderr", "error[E0382]: use of moved value\n"),
            (
                "exercises/01_spawn/README.md",
                "# Lesson 01\n\nThe chapter: [spawning](../../book/src/01_spawn.md).\n",
            ),
            ("exercises/01_spawn/src/lib.rs", "\n"),
        ];
        for (path, text) in files {
            let path = root.join(path);
            fs::create_dir_all(path.parent().expect("a file in a dir"))
                .expect("create the scratch dirs");
            fs::write(&path, text).expect("write a scratch file");
        }
        root
    }

    /// Replaces `from` by `to` in the scratch file `path` (which must contain it).
    pub(super) fn edit(root: &Path, path: &str, from: &str, to: &str) {
        let path = root.join(path);
        let text = fs::read_to_string(&path).expect("read a scratch file");
        assert!(text.contains(from), "the fixture {} has no `{from}`", path.display());
        fs::write(&path, text.replacen(from, to, 1)).expect("write a scratch file");
    }

    /// Lints the scratch book and returns its problems as text.
    pub(super) fn problems(root: &Path) -> Vec<String> {
        lint(root).iter().map(|p| p.to_string()).collect()
    }

    /// Asserts that the lint finds exactly one problem, in `file` at `line`, saying `what`.
    pub(super) fn assert_one(root: &Path, file: &str, line: usize, what: &str) {
        let found = problems(root);
        assert_eq!(found.len(), 1, "expected one problem, found {found:#?}");
        let want = format!("{file}:{line}: ");
        assert!(found[0].starts_with(&want), "expected a problem at {want}, found {}", found[0]);
        assert!(found[0].contains(what), "expected `{what}` in {}", found[0]);
    }
}

use fixture::{assert_one, edit, problems, write};

const CH1: &str = "book/src/01_spawn.md";

#[test]
fn a_book_that_keeps_the_conventions_passes() {
    let root = write("good");
    assert_eq!(problems(&root), Vec::<String>::new());
}

#[test]
fn pasted_rust_is_caught() {
    let root = write("pasted");
    edit(
        &root,
        CH1,
        "{{#include ../listings/tests/ch01_spawn.rs:hello}}\n",
        "{{#include ../listings/tests/ch01_spawn.rs:hello}}\nlet y = 2;\n",
    );
    assert_one(&root, CH1, 7, "may hold only `{{#include ...}}` lines, found `let y = 2;`");
}

#[test]
fn pasted_rust_in_an_admonition_is_caught() {
    let root = write("pasted_in_note");
    edit(
        &root,
        CH1,
        "> {{#rustdoc_include ../listings/tests/ch01_spawn.rs:hello}}",
        "> fn main() {}",
    );
    assert_one(&root, CH1, 11, "found `fn main() {}`");
}

#[test]
fn a_missing_listing_is_caught() {
    let root = write("missing_file");
    edit(
        &root,
        CH1,
        "tests/ch01_spawn.rs:hello}}\n```\n\n>",
        "tests/ch01_spwan.rs:hello}}\n```\n\n>",
    );
    assert_one(&root, CH1, 6, "no such file");
}

#[test]
fn a_missing_anchor_is_caught() {
    let root = write("missing_anchor");
    edit(&root, CH1, "ch01_spawn.rs:hello}}", "ch01_spawn.rs:goodbye}}");
    assert_one(&root, CH1, 6, "has no `// ANCHOR: goodbye` line");
}

#[test]
fn an_anchor_without_its_end_is_caught() {
    let root = write("missing_anchor_end");
    edit(&root, "book/listings/tests/ch01_spawn.rs", "    // ANCHOR_END: hello\n", "");
    let found = problems(&root);
    assert_eq!(found.len(), 2, "both includes of `hello` break: {found:#?}");
    assert!(found.iter().all(|p| p.contains("has no `// ANCHOR_END: hello` line")), "{found:#?}");
}

#[test]
fn a_rust_block_must_include_a_tested_listing() {
    let root = write("untested_include");
    edit(
        &root,
        CH1,
        "{{#include ../listings/tests/ch01_spawn.rs:hello}}",
        "{{#include ../../exercises/01_spawn/src/lib.rs}}",
    );
    assert_one(&root, CH1, 6, "must include a tested listing from book/listings/tests/");
}

#[test]
fn an_ignored_block_must_include_a_compile_fail_listing() {
    let root = write("ignore_outside_compile_fail");
    edit(
        &root,
        CH1,
        "{{#include ../listings/compile_fail/ch01_moved.rs}}",
        "{{#include ../listings/tests/ch01_spawn.rs}}",
    );
    assert_one(&root, CH1, 17, "must include a listing from book/listings/compile_fail/");
}

#[test]
fn an_ignored_block_needs_its_error_right_after_it() {
    let root = write("no_stderr");
    edit(&root, CH1, "```text\n{{#include ../listings/compile_fail/ch01_moved.stderr}}\n```\n", "");
    assert_one(&root, CH1, 18, "followed at once by a ```text block");

    let root = write("stderr_not_adjacent");
    edit(&root, CH1, "```\n\n```text", "```\n\nSome prose in between.\n\n```text");
    assert_one(&root, CH1, 18, "{{#include ../listings/compile_fail/ch01_moved.stderr}}");

    let root = write("wrong_stderr");
    fs::write(root.join("book/listings/compile_fail/other.stderr"), "x\n").expect("write");
    edit(&root, CH1, "ch01_moved.stderr}}", "other.stderr}}");
    assert_one(&root, CH1, 18, "(its real compiler error)");
}

#[test]
fn a_broken_link_or_image_is_caught() {
    let root = write("broken_image");
    fs::remove_file(root.join("book/src/img/fig.svg")).expect("remove");
    assert_one(&root, CH1, 28, "link to `img/fig.svg`: no such file");

    let root = write("broken_link");
    edit(&root, CH1, "(checker.md#top)", "(chekcer.md#top)");
    assert_one(&root, CH1, 28, "link to `chekcer.md#top`: no such file");
}

#[test]
fn a_lesson_must_link_to_its_exercise() {
    let root = write("no_exercise_link");
    edit(&root, CH1, "[01_spawn](../../exercises/01_spawn/README.md)", "01_spawn");
    assert_one(&root, CH1, 1, "must link to its exercise: `../../exercises/01_spawn/README.md`");
}

#[test]
fn an_exercise_must_link_back_to_its_lesson() {
    let root = write("no_back_link");
    edit(
        &root,
        "exercises/01_spawn/README.md",
        "[spawning](../../book/src/01_spawn.md)",
        "the book",
    );
    assert_one(&root, "exercises/01_spawn/README.md", 1, "must link back to its chapter");
}

#[test]
fn escaped_includes_and_other_languages_are_left_alone() {
    let root = write("escaped");
    edit(
        &root,
        CH1,
        "```go\ngo f()\n```",
        "```toml\n[package]\n```\n\nWrite \\{{#include nothing.rs}} to include.",
    );
    assert_eq!(problems(&root), Vec::<String>::new());
}
