//! Word wrapping of styled text to a terminal width. Lines are wrapped once per message per
//! width and cached by the transcript, so this runs on new or resized content only.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Display width of a line's spans.
pub fn line_width(line: &Line<'_>) -> usize {
    line.spans.iter().map(|s| s.content.width()).sum()
}

/// Wrap one logical line (spans without `\n`) to `width` columns. The first output line starts
/// with `first_prefix`, later ones with `rest_prefix`. Breaks at spaces; a word longer than the
/// line is split.
pub fn wrap_line(
    spans: &[Span<'static>],
    width: usize,
    first_prefix: &[Span<'static>],
    rest_prefix: &[Span<'static>],
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut builder = LineBuilder::new(first_prefix, width);
    for span in spans {
        let style = span.style;
        for token in tokens(&span.content) {
            let is_space = token.starts_with(' ');
            let w = token.width();
            if is_space {
                // Leading spaces are kept on the first line (code indentation), dropped after a wrap.
                if builder.used > 0 || out.is_empty() {
                    builder.pending_space.push_str(token);
                }
                continue;
            }
            let space_w = builder.pending_space.width();
            if builder.used + space_w + w <= builder.avail {
                builder.flush_space(style);
                builder.push(token, style, w);
                continue;
            }
            if w <= builder.avail && builder.used > 0 {
                out.push(builder.finish());
                builder = LineBuilder::new(rest_prefix, width);
                builder.push(token, style, w);
                continue;
            }
            // A word longer than a whole line: split it by characters.
            builder.flush_space(style);
            for c in token.chars() {
                let cw = c.width().unwrap_or(0);
                if builder.used + cw > builder.avail && builder.used > 0 {
                    out.push(builder.finish());
                    builder = LineBuilder::new(rest_prefix, width);
                }
                let mut buf = [0u8; 4];
                builder.push(c.encode_utf8(&mut buf), style, cw);
            }
        }
    }
    out.push(builder.finish());
    out
}

/// Wrap plain text (may contain `\n`) in one style.
pub fn wrap_text(
    text: &str,
    style: Style,
    width: usize,
    first_prefix: &[Span<'static>],
    rest_prefix: &[Span<'static>],
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let first = if i == 0 { first_prefix } else { rest_prefix };
        out.extend(wrap_line(
            &[Span::styled(line.to_string(), style)],
            width,
            first,
            rest_prefix,
        ));
    }
    out
}

/// Split into alternating runs of spaces and non-spaces.
fn tokens(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let space = first == ' ';
        let end = rest
            .char_indices()
            .find(|(_, c)| (*c == ' ') != space)
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let (token, tail) = rest.split_at(end);
        rest = tail;
        Some(token)
    })
}

struct LineBuilder {
    spans: Vec<Span<'static>>,
    used: usize,
    avail: usize,
    pending_space: String,
}

impl LineBuilder {
    fn new(prefix: &[Span<'static>], width: usize) -> Self {
        let prefix_w: usize = prefix.iter().map(|s| s.content.width()).sum();
        Self {
            spans: prefix.to_vec(),
            used: 0,
            avail: width.saturating_sub(prefix_w).max(1),
            pending_space: String::new(),
        }
    }

    fn flush_space(&mut self, style: Style) {
        if !self.pending_space.is_empty() {
            let space = std::mem::take(&mut self.pending_space);
            let w = space.width();
            self.push(&space, style, w);
        }
    }

    fn push(&mut self, text: &str, style: Style, w: usize) {
        self.used += w;
        if let Some(last) = self.spans.last_mut() {
            if last.style == style && self.used > w {
                last.content.to_mut().push_str(text);
                return;
            }
        }
        self.spans.push(Span::styled(text.to_string(), style));
    }

    fn finish(self) -> Line<'static> {
        Line::from(self.spans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line<'_>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn wraps_at_spaces_splits_long_words_and_applies_prefixes() {
        let p1 = [Span::raw("> ")];
        let p2 = [Span::raw("  ")];
        let cases: &[(&str, usize, &[&str])] = &[
            ("hello world", 20, &["> hello world"]),
            ("hello world", 9, &["> hello", "  world"]),
            ("aaaaaaaaaaaa", 6, &["> aaaa", "  aaaa", "  aaaa"]),
            ("", 10, &["> "]),
            ("a  b", 10, &["> a  b"]),
            ("漢字漢字漢字", 8, &["> 漢字漢", "  字漢字"]),
            ("x", 1, &["> x"]),
        ];
        for (text, width, want) in cases {
            let got = wrap_line(&[Span::raw(text.to_string())], *width, &p1, &p2);
            assert_eq!(texts(&got), *want, "{text:?} at {width}");
            for line in &got {
                assert!(line_width(line) <= (*width).max(3), "{text:?} overflows");
            }
        }
    }

    #[test]
    fn keeps_styles_across_wraps() {
        let bold = Style::default().add_modifier(ratatui::style::Modifier::BOLD);
        let spans = [Span::raw("plain "), Span::styled("bold words", bold)];
        let got = wrap_line(&spans, 11, &[], &[]);
        assert_eq!(texts(&got), ["plain bold", "words"]);
        assert_eq!(got[1].spans[0].style, bold);
    }

    #[test]
    fn wrap_text_splits_on_newlines() {
        let got = wrap_text("a\nb c", Style::default(), 3, &[], &[]);
        assert_eq!(texts(&got), ["a", "b c"]);
    }
}
