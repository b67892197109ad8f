//! Lines written into the terminal's own scrollback (inline mode), as text with SGR styles and
//! a real newline at the end, trailing blanks left out. Written this way, rather than as a
//! full-width row of cells, a line is an ordinary line of terminal output: a narrower window
//! wraps only what is really longer than it, and copying it gives no trailing spaces.

use crossterm::queue;
use crossterm::style::{
    Attribute, Color as CColor, Print, SetAttribute, SetBackgroundColor, SetForegroundColor,
};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use std::io::{self, Write};

/// Write `lines` at the cursor, each followed by CR LF (the terminal scrolls at the bottom,
/// pushing rows into its scrollback).
pub fn write_lines(out: &mut impl Write, lines: &[Line<'_>]) -> io::Result<()> {
    for line in lines {
        write_line(out, line)?;
        queue!(out, SetAttribute(Attribute::Reset), Print("\r\n"))?;
    }
    Ok(())
}

/// One line's spans with their styles, trailing whitespace dropped.
fn write_line(out: &mut impl Write, line: &Line<'_>) -> io::Result<()> {
    let total: usize = line.spans.iter().map(|s| s.content.trim_end().len()).sum();
    if total == 0 {
        return Ok(());
    }
    // The text ends with the last span that has something visible.
    let last = line
        .spans
        .iter()
        .rposition(|s| !s.content.trim_end().is_empty())
        .unwrap_or(0);
    for (i, span) in line.spans.iter().enumerate().take(last + 1) {
        let text = if i == last {
            span.content.trim_end()
        } else {
            span.content.as_ref()
        };
        if text.is_empty() {
            continue;
        }
        queue!(out, SetAttribute(Attribute::Reset))?;
        apply(out, line.style.patch(span.style))?;
        queue!(out, Print(text))?;
    }
    Ok(())
}

fn apply(out: &mut impl Write, style: Style) -> io::Result<()> {
    if let Some(fg) = style.fg.filter(|c| *c != Color::Reset) {
        queue!(out, SetForegroundColor(CColor::from(fg)))?;
    }
    if let Some(bg) = style.bg.filter(|c| *c != Color::Reset) {
        queue!(out, SetBackgroundColor(CColor::from(bg)))?;
    }
    let m = style.add_modifier - style.sub_modifier;
    let attributes = [
        (Modifier::BOLD, Attribute::Bold),
        (Modifier::DIM, Attribute::Dim),
        (Modifier::ITALIC, Attribute::Italic),
        (Modifier::UNDERLINED, Attribute::Underlined),
        (Modifier::REVERSED, Attribute::Reverse),
        (Modifier::CROSSED_OUT, Attribute::CrossedOut),
    ];
    for (modifier, attribute) in attributes {
        if m.contains(modifier) {
            queue!(out, SetAttribute(attribute))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::write_lines;
    use ratatui::style::{Color, Style};
    use ratatui::text::{Line, Span};

    fn written(lines: &[Line<'_>]) -> String {
        let mut out = Vec::new();
        write_lines(&mut out, lines).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn lines_end_with_a_newline_without_trailing_blanks() {
        let plain = written(&[Line::from("› hello   "), Line::from("   "), Line::from("x")]);
        let text: String = plain.replace("\u{1b}[0m", "").chars().collect();
        assert_eq!(text, "› hello\r\n\r\nx\r\n");
    }

    #[test]
    fn styles_become_sgr_sequences() {
        let line = Line::from(vec![
            Span::styled("◆ ", Style::default().fg(Color::Cyan)),
            Span::raw("reply  "),
        ]);
        let out = written(&[line]);
        assert!(out.contains("\u{1b}[38;5;6m◆ "), "{out:?}");
        assert!(out.ends_with("reply\u{1b}[0m\r\n"), "{out:?}");
    }
}
