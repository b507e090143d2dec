//! Terminal styling: colours and clickable paths when stdout is a terminal, plain text otherwise.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::OnceLock;

static COLOR: OnceLock<bool> = OnceLock::new();

/// Whether to colour: `CLICOLOR_FORCE` forces it, `NO_COLOR` or a pipe turns it off.
pub(crate) fn color() -> bool {
    *COLOR.get_or_init(|| {
        if std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
            return true;
        }
        std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
    })
}

fn paint(code: &str, text: &str) -> String {
    if color() { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
}

pub(crate) fn bold(text: &str) -> String {
    paint("1", text)
}

pub(crate) fn red(text: &str) -> String {
    paint("1;31", text)
}

pub(crate) fn green(text: &str) -> String {
    paint("32", text)
}

pub(crate) fn yellow(text: &str) -> String {
    paint("33", text)
}

pub(crate) fn dim(text: &str) -> String {
    paint("2", text)
}

/// `shown` as an OSC-8 hyperlink to `file` (a terminal that supports it makes it clickable;
/// others print just the text).
pub(crate) fn link(file: &Path, shown: &str) -> String {
    if color() && std::env::var_os("CI").is_none() {
        format!("\x1b]8;;file://{}\x1b\\{shown}\x1b]8;;\x1b\\", file.display())
    } else {
        shown.to_string()
    }
}

/// Removes ANSI escape sequences (colours, hyperlinks) from `text`.
pub(crate) fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            // CSI: parameters up to a final byte in @..~
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            // OSC: up to BEL or ESC \
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\x07' || (c == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// A progress bar `[#####-----]` of `width` cells.
pub(crate) fn bar(done: usize, total: usize, width: usize) -> String {
    let filled = (done * width).checked_div(total).unwrap_or(0);
    format!("[{}{}]", green(&"#".repeat(filled)), dim(&"-".repeat(width - filled)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_ansi_removes_colours_and_links() {
        let text = "\x1b[1;31merror\x1b[0m at \x1b]8;;file:///a\x1b\\a.rs\x1b]8;;\x1b\\";
        assert_eq!(strip_ansi(text), "error at a.rs");
    }
}
