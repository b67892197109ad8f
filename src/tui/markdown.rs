//! Markdown (pulldown-cmark) to wrapped, styled terminal lines. Code blocks are highlighted by
//! [`super::highlight`] and hard-wrapped, never re-flowed. A single newline inside a paragraph
//! (a CommonMark soft break) stays a line break: models break lines on purpose (verse,
//! addresses, short steps), and joining them reads wrong. [`StreamSplit`] finds the prefix of a
//! streaming reply that can no longer change its rendering (up to the last blank line outside a
//! code fence), so a streaming reply re-renders only its tail.

use super::highlight;
use super::theme::Theme;
use super::wrap::wrap_line;
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// Render `text` (already sanitised) at `width` columns.
pub fn render(text: &str, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut r = Renderer::new(width.max(1), theme);
    for event in Parser::new_ext(text, options()) {
        r.event(event);
    }
    r.finish()
}

/// The fenced and indented code blocks of a markdown text, in order (for `/copy N`).
pub fn code_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for event in Parser::new_ext(text, options()) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => current = Some(String::new()),
            Event::Text(t) => {
                if let Some(c) = current.as_mut() {
                    c.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => blocks.extend(current.take()),
            _ => {}
        }
    }
    blocks
}

struct ListState {
    next_number: Option<u64>,
}

struct Table {
    rows: Vec<Vec<Vec<Span<'static>>>>,
    header_rows: usize,
}

struct Renderer<'t> {
    width: usize,
    theme: &'t Theme,
    lines: Vec<Line<'static>>,
    spans: Vec<Span<'static>>,
    styles: Vec<Style>,
    lists: Vec<ListState>,
    /// Marker of a list item whose first line is not written yet.
    item_marker: Option<String>,
    quote_depth: usize,
    code: Option<(String, String)>,
    links: Vec<String>,
    heading: Option<HeadingLevel>,
    table: Option<Table>,
}

impl<'t> Renderer<'t> {
    fn new(width: usize, theme: &'t Theme) -> Self {
        Self {
            width,
            theme,
            lines: Vec::new(),
            spans: Vec::new(),
            styles: vec![theme.styles.text],
            lists: Vec::new(),
            item_marker: None,
            quote_depth: 0,
            code: None,
            links: Vec::new(),
            heading: None,
            table: None,
        }
    }

    fn style(&self) -> Style {
        self.styles.last().copied().unwrap_or_default()
    }

    fn push_style(&mut self, style: Style) {
        let combined = self.style().patch(style);
        self.styles.push(combined);
    }

    fn pop_style(&mut self) {
        if self.styles.len() > 1 {
            self.styles.pop();
        }
    }

    fn text(&mut self, text: &str) {
        if let Some(table) = self.table.as_mut() {
            if let Some(cell) = table.rows.last_mut().and_then(|r| r.last_mut()) {
                cell.push(Span::styled(
                    text.to_string(),
                    self.styles.last().copied().unwrap_or_default(),
                ));
            }
            return;
        }
        self.spans
            .push(Span::styled(text.to_string(), self.style()));
    }

    /// Indentation for the current block context: (first line, continuation lines).
    fn prefixes(&mut self) -> (Vec<Span<'static>>, Vec<Span<'static>>) {
        let mut base = Vec::new();
        if self.quote_depth > 0 {
            base.push(Span::styled(
                "│ ".repeat(self.quote_depth),
                self.theme.styles.quote,
            ));
        }
        let depth = self.lists.len();
        if depth == 0 {
            return (base.clone(), base);
        }
        let indent = "  ".repeat(depth - 1);
        let marker_w = self
            .item_marker
            .as_ref()
            .map(|m| m.width())
            .unwrap_or(2)
            .max(2);
        let mut rest = base.clone();
        rest.push(Span::raw(format!("{indent}{}", " ".repeat(marker_w))));
        let mut first = base;
        match self.item_marker.take() {
            Some(marker) => {
                first.push(Span::raw(indent));
                first.push(Span::styled(marker, self.theme.styles.list_marker));
            }
            None => first = rest.clone(),
        }
        (first, rest)
    }

    fn flush(&mut self) {
        if self.spans.is_empty() && self.item_marker.is_none() {
            return;
        }
        let spans = std::mem::take(&mut self.spans);
        let (first, rest) = self.prefixes();
        self.lines
            .extend(wrap_line(&spans, self.width, &first, &rest));
    }

    fn blank(&mut self) {
        if self.lines.last().is_some_and(|l| !is_blank(l)) {
            if self.quote_depth > 0 {
                self.lines.push(Line::from(Span::styled(
                    "│ ".repeat(self.quote_depth),
                    self.theme.styles.quote,
                )));
            } else {
                self.lines.push(Line::default());
            }
        }
    }

    /// Apply one parser event: a code block being collected takes its text; otherwise start
    /// and end tags, text and the leaf events each have their own method.
    fn event(&mut self, event: Event<'_>) {
        if let Some((_, code)) = self.code.as_mut() {
            match event {
                Event::Text(t) => code.push_str(&t),
                Event::End(TagEnd::CodeBlock) => self.end_code_block(),
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => {
                // Text can hold newlines (e.g. inside html blocks): keep them as line breaks.
                for (i, piece) in t.split('\n').enumerate() {
                    if i > 0 {
                        self.flush();
                    }
                    if !piece.is_empty() {
                        self.text(piece);
                    }
                }
            }
            Event::Code(code) => self.inline_code(&code),
            Event::Html(html) | Event::InlineHtml(html) => {
                let text = html.trim_end_matches('\n').to_string();
                for (i, piece) in text.split('\n').enumerate() {
                    if i > 0 {
                        self.flush();
                    }
                    self.text(piece);
                }
            }
            // The model's own line break inside a paragraph is kept (not joined into one
            // line as CommonMark would); a table cell has no room for one.
            Event::SoftBreak if self.table.is_some() => self.text(" "),
            Event::SoftBreak => self.flush(),
            Event::HardBreak => self.flush(),
            Event::Rule => self.rule(),
            Event::TaskListMarker(done) => self.text(if done { "[x] " } else { "[ ] " }),
            Event::FootnoteReference(name) => self.text(&format!("[^{name}]")),
            Event::InlineMath(m) | Event::DisplayMath(m) => self.text(&m),
        }
    }

    /// A start tag: block tags open a block (and its blank line), inline tags push a style.
    fn start(&mut self, tag: Tag<'_>) {
        let theme = self.theme;
        let s = &theme.styles;
        match tag {
            Tag::Emphasis => self.push_style(s.emphasis),
            Tag::Strong => self.push_style(s.strong),
            Tag::Strikethrough => self.push_style(s.strikethrough),
            Tag::Link { dest_url, .. } => {
                self.push_style(s.link);
                self.links.push(dest_url.to_string());
            }
            Tag::Image { dest_url, .. } => {
                self.links.push(dest_url.to_string());
                self.text("[image: ");
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some(t) = self.table.as_mut() {
                    t.rows.push(Vec::new());
                }
            }
            Tag::TableCell => {
                if let Some(row) = self.table.as_mut().and_then(|t| t.rows.last_mut()) {
                    row.push(Vec::new());
                }
            }
            Tag::Item => {
                self.flush();
                let marker = match self.lists.last_mut() {
                    Some(ListState {
                        next_number: Some(n),
                    }) => {
                        let m = format!("{n}. ");
                        *n += 1;
                        m
                    }
                    _ => "• ".to_string(),
                };
                self.item_marker = Some(marker);
            }
            tag => self.start_block(tag),
        }
    }

    /// A block that starts on a new line after a blank one: heading, quote, code, list, table.
    fn start_block(&mut self, tag: Tag<'_>) {
        let theme = self.theme;
        let s = &theme.styles;
        match tag {
            Tag::Heading { level, .. } => {
                let style = s.heading;
                self.flush();
                self.blank();
                self.heading = Some(level);
                self.push_style(style);
                let hashes = "#".repeat(level as usize);
                self.text(&format!("{hashes} "));
            }
            Tag::BlockQuote(_) => {
                let style = s.quote;
                self.flush();
                self.blank();
                self.quote_depth += 1;
                self.push_style(style);
            }
            Tag::CodeBlock(kind) => {
                self.flush();
                self.blank();
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().unwrap_or("").to_string()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new()));
            }
            Tag::List(start) => {
                self.flush();
                if self.lists.is_empty() {
                    self.blank();
                }
                self.lists.push(ListState { next_number: start });
            }
            Tag::Table(_) => {
                self.flush();
                self.blank();
                self.table = Some(Table {
                    rows: Vec::new(),
                    header_rows: 0,
                });
            }
            _ => {}
        }
    }

    /// An end tag: close the block or pop the style its start pushed.
    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => {
                self.flush();
                if self.lists.is_empty() {
                    self.blank();
                }
            }
            TagEnd::Heading(_) => {
                self.flush();
                self.pop_style();
                self.heading = None;
                self.blank();
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                if self.lines.last().is_some_and(is_blank) {
                    self.lines.pop();
                }
                self.pop_style();
                self.quote_depth = self.quote_depth.saturating_sub(1);
                self.blank();
            }
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
                if self.lists.is_empty() {
                    self.blank();
                }
            }
            TagEnd::Item => self.flush(),
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => self.pop_style(),
            TagEnd::Link => self.end_link(),
            TagEnd::Image => {
                self.links.pop();
                self.text("]");
            }
            TagEnd::Table => self.end_table(),
            TagEnd::TableHead => {
                if let Some(t) = self.table.as_mut() {
                    t.header_rows = t.rows.len();
                }
            }
            _ => {}
        }
    }

    /// After a link's text: its address, dimmed, unless the text already is the address.
    fn end_link(&mut self) {
        self.pop_style();
        if let Some(url) = self.links.pop() {
            let shown: String = self.spans.iter().map(|s| s.content.as_ref()).collect();
            if !url.is_empty() && !shown.ends_with(url.as_str()) {
                let dim = self.theme.styles.dim;
                self.spans.push(Span::styled(format!(" ({url})"), dim));
            }
        }
    }

    fn inline_code(&mut self, code: &str) {
        let style = self.style().patch(self.theme.styles.inline_code);
        if let Some(cell) = self
            .table
            .as_mut()
            .and_then(|t| t.rows.last_mut())
            .and_then(|r| r.last_mut())
        {
            cell.push(Span::styled(code.to_string(), style));
        } else {
            self.spans.push(Span::styled(code.to_string(), style));
        }
    }

    fn rule(&mut self) {
        self.flush();
        self.blank();
        let rule = "─".repeat(self.width.min(80));
        self.lines
            .push(Line::from(Span::styled(rule, self.theme.styles.rule)));
        self.blank();
    }

    fn end_code_block(&mut self) {
        let Some((lang, code)) = self.code.take() else {
            return;
        };
        let s = &self.theme.styles;
        let fence = Span::styled(format!("```{lang}"), s.dim);
        let (first, rest) = self.prefixes();
        let mut prefix = first;
        self.lines.push(Line::from(
            prefix.iter().cloned().chain([fence]).collect::<Vec<_>>(),
        ));
        prefix = rest;
        let code = code.strip_suffix('\n').unwrap_or(&code);
        let base = s.code_block;
        let highlighted = self
            .theme
            .syntax
            .as_deref()
            .and_then(|syntax| highlight::highlight(code, &lang, syntax, base));
        let styled: Vec<Vec<Span<'static>>> = match highlighted {
            Some(lines) => lines
                .iter()
                .cloned()
                .map(|runs| {
                    runs.into_iter()
                        .map(|(st, t)| Span::styled(t, st))
                        .collect()
                })
                .collect(),
            None => code
                .split('\n')
                .map(|l| vec![Span::styled(l.to_string(), base)])
                .collect(),
        };
        for spans in styled {
            self.lines
                .extend(wrap_line(&spans, self.width, &prefix, &prefix));
        }
        let mut close = prefix.clone();
        close.push(Span::styled("```", s.dim));
        self.lines.push(Line::from(close));
        self.blank();
    }

    fn end_table(&mut self) {
        let Some(table) = self.table.take() else {
            return;
        };
        let columns = table.rows.iter().map(Vec::len).max().unwrap_or(0);
        let cell_w =
            |cell: &Vec<Span<'static>>| -> usize { cell.iter().map(|s| s.content.width()).sum() };
        let mut widths = vec![0usize; columns];
        for row in &table.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell_w(cell));
            }
        }
        let total: usize = widths.iter().sum::<usize>() + columns.saturating_sub(1) * 3;
        let pad = total <= self.width;
        let sep_style = self.theme.styles.rule;
        for (r, row) in table.rows.into_iter().enumerate() {
            let mut spans: Vec<Span<'static>> = Vec::new();
            for (i, cell) in row.into_iter().enumerate() {
                if i > 0 {
                    spans.push(Span::styled(" │ ", sep_style));
                }
                let w = cell_w(&cell);
                let header = r < table.header_rows;
                for span in cell {
                    if header {
                        spans.push(Span::styled(
                            span.content,
                            span.style.patch(self.theme.styles.strong),
                        ));
                    } else {
                        spans.push(span);
                    }
                }
                if pad && i + 1 < columns {
                    spans.push(Span::raw(" ".repeat(widths[i].saturating_sub(w))));
                }
            }
            self.lines.extend(wrap_line(&spans, self.width, &[], &[]));
            if r + 1 == table.header_rows {
                let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
                let text = if pad {
                    rule.join("─┼─")
                } else {
                    "─".repeat(self.width.min(total))
                };
                self.lines.push(Line::from(Span::styled(text, sep_style)));
            }
        }
        self.blank();
    }

    fn finish(mut self) -> Vec<Line<'static>> {
        if let Some((lang, code)) = self.code.as_ref() {
            // An unterminated fence (still streaming): show what has arrived.
            let _ = (lang, code);
            self.end_code_block();
        }
        if self.table.is_some() {
            self.end_table();
        }
        self.flush();
        while self.lines.last().is_some_and(is_blank) {
            self.lines.pop();
        }
        self.lines
    }
}

/// An empty line, or one holding only quote bars.
fn is_blank(line: &Line<'_>) -> bool {
    line.spans
        .iter()
        .all(|s| s.content.chars().all(|c| c == ' ' || c == '│'))
}

/// Tracks the stable prefix of a growing markdown text: everything up to the last blank line
/// that is outside a code fence. Scans each byte once over the life of a stream.
#[derive(Debug, Default, Clone)]
pub struct StreamSplit {
    scanned: usize,
    fence: Option<(char, usize)>,
    stable: usize,
}

impl StreamSplit {
    /// Byte length of the stable prefix after `text` grew (text must only ever grow).
    pub fn update(&mut self, text: &str) -> usize {
        if text.len() < self.scanned {
            *self = Self::default();
        }
        while let Some(nl) = text[self.scanned..].find('\n') {
            let line = &text[self.scanned..self.scanned + nl];
            self.scanned += nl + 1;
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            if indent < 4 {
                if let Some(fence) = fence_of(trimmed) {
                    match self.fence {
                        None => self.fence = Some(fence),
                        Some((c, n))
                            if fence.0 == c
                                && fence.1 >= n
                                && trimmed.trim_start_matches(c).trim().is_empty() =>
                        {
                            self.fence = None
                        }
                        Some(_) => {}
                    }
                    continue;
                }
            }
            if self.fence.is_none() && line.trim().is_empty() {
                self.stable = self.scanned;
            }
        }
        self.stable
    }
}

fn fence_of(line: &str) -> Option<(char, usize)> {
    let c = line.chars().next()?;
    if c != '`' && c != '~' {
        return None;
    }
    let n = line.chars().take_while(|x| *x == c).count();
    (n >= 3).then_some((c, n))
}

#[cfg(test)]
mod tests;
