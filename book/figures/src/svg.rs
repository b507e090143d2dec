//! A tiny SVG writer: rectangles, lines and text with `<title>` tooltips, as plain strings.

use std::fmt::Write as _;

/// The font every figure uses; mdBook's default sans-serif stack, so labels match the prose.
pub const FONT: &str = "'Open Sans', 'Helvetica Neue', Arial, sans-serif";

/// An SVG document being written: a white background first, then shapes in paint order.
#[derive(Debug)]
pub struct Svg {
    width: f64,
    height: f64,
    body: String,
}

/// How a rectangle is painted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Paint {
    /// Fill colour (`#rrggbb`).
    pub fill: &'static str,
    /// Outline colour, or `None` for no outline.
    pub stroke: Option<&'static str>,
    /// Outline width in px.
    pub stroke_width: f64,
    /// Whether the outline is dashed.
    pub dashed: bool,
}

/// How a run of text is set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Font {
    /// Size in px.
    pub size: f64,
    /// Colour (`#rrggbb`).
    pub fill: &'static str,
    /// Bold or regular.
    pub bold: bool,
    /// Where `x` is: `"start"`, `"middle"` or `"end"`.
    pub anchor: &'static str,
}

impl Font {
    /// Regular text of `size` px in `fill`, anchored at its start.
    pub const fn new(size: f64, fill: &'static str) -> Font {
        Font { size, fill, bold: false, anchor: "start" }
    }
    /// The same font in bold.
    pub const fn bold(self) -> Font {
        Font { bold: true, ..self }
    }
    /// The same font anchored at `anchor` (`"start"`, `"middle"`, `"end"`).
    pub const fn anchored(self, anchor: &'static str) -> Font {
        Font { anchor, ..self }
    }
}

/// An estimate of how wide `text` is in `font`, in px: labels that would not fit a bar
/// are moved or dropped (the tooltip still has them). Deliberately generous.
pub fn text_width(text: &str, font: Font) -> f64 {
    let per_char = if font.bold { 0.6 } else { 0.55 };
    text.chars().count() as f64 * font.size * per_char
}

/// A coordinate as SVG text: at most one decimal, no trailing `.0`, the same on every machine.
pub fn num(x: f64) -> String {
    let tenths = (x * 10.0).round() as i64;
    if tenths % 10 == 0 {
        format!("{}", tenths / 10)
    } else {
        format!("{:.1}", tenths as f64 / 10.0)
    }
}

/// `text` with the five XML special characters escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

impl Svg {
    /// An empty `width` x `height` document on a white background (so it reads the same on
    /// mdBook's light and dark themes), titled `title` for screen readers.
    pub fn new(width: f64, height: f64, title: &str) -> Svg {
        let mut body = String::new();
        let _ = writeln!(body, "<title>{}</title>", escape(title));
        let _ = writeln!(body, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
        Svg { width, height, body }
    }

    /// A rectangle, with a tooltip when `tooltip` is not empty.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, paint: Paint, tooltip: &str) {
        let mut attrs = format!(
            r#"x="{}" y="{}" width="{}" height="{}" rx="2" fill="{}""#,
            num(x),
            num(y),
            num(w.max(0.5)),
            num(h),
            paint.fill
        );
        if let Some(stroke) = paint.stroke {
            let _ =
                write!(attrs, r#" stroke="{stroke}" stroke-width="{}""#, num(paint.stroke_width));
            if paint.dashed {
                attrs.push_str(r#" stroke-dasharray="4 2""#);
            }
        }
        if tooltip.is_empty() {
            let _ = writeln!(self.body, "<rect {attrs}/>");
        } else {
            let _ = writeln!(self.body, "<rect {attrs}><title>{}</title></rect>", escape(tooltip));
        }
    }

    /// A straight line; `dash` is an SVG dash pattern such as `"5 3"`, or empty for solid.
    pub fn line(&mut self, from: (f64, f64), to: (f64, f64), stroke: &str, width: f64, dash: &str) {
        let dash =
            if dash.is_empty() { String::new() } else { format!(r#" stroke-dasharray="{dash}""#) };
        let _ = writeln!(
            self.body,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{stroke}" stroke-width="{}"{dash}/>"#,
            num(from.0),
            num(from.1),
            num(to.0),
            num(to.1),
            num(width)
        );
    }

    /// Text with its baseline at `y`, with a tooltip when `tooltip` is not empty.
    pub fn text(&mut self, x: f64, y: f64, text: &str, font: Font, tooltip: &str) {
        let weight = if font.bold { r#" font-weight="bold""# } else { "" };
        let anchor = if font.anchor == "start" {
            String::new()
        } else {
            format!(r#" text-anchor="{}""#, font.anchor)
        };
        let title = if tooltip.is_empty() {
            String::new()
        } else {
            format!("<title>{}</title>", escape(tooltip))
        };
        let _ = writeln!(
            self.body,
            r#"<text x="{}" y="{}" font-size="{}" fill="{}"{weight}{anchor}>{title}{}</text>"#,
            num(x),
            num(y),
            num(font.size),
            font.fill,
            escape(text)
        );
    }

    /// The finished document.
    pub fn finish(self) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" font-family=\"{font}\">\n{body}</svg>\n",
            w = num(self.width),
            h = num(self.height),
            font = FONT.replace('\'', "&apos;").replace('"', "&quot;"),
            body = self.body
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.25), "12.3");
        assert_eq!(num(-0.04), "0");
        assert_eq!(num(0.5), "0.5");
    }

    #[test]
    fn text_is_escaped_and_tooltips_are_titles() {
        let mut svg = Svg::new(100.0, 50.0, "a <b>");
        svg.text(1.0, 2.0, "x < y & \"z\"", Font::new(12.0, "#000000"), "tip");
        let out = svg.finish();
        assert!(out.contains("<title>a &lt;b&gt;</title>"));
        assert!(out.contains("<title>tip</title>x &lt; y &amp; &quot;z&quot;</text>"));
        assert!(out.contains(r##"<rect width="100%" height="100%" fill="#ffffff"/>"##));
    }
}
