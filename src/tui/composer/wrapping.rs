//! Soft wrapping of the composer's draft: each line of the draft is cut into screen rows at
//! the composer's width (after a space when the row has one, else inside the word), and the
//! cursor is mapped between the editor's (line, char) position and its (row, column) on
//! screen. The editing itself stays tui-textarea's; this owns where the text is drawn and
//! where Up/Down/Home/End go on wrapped rows.
//!
//! The last column of a row is kept for the cursor (or for the space a row breaks at), so a
//! cursor at the end of a row never falls outside the composer.

use unicode_width::UnicodeWidthChar;

/// One screen row of the draft: chars `start..end` of the draft's line `line`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub line: usize,
    pub start: usize,
    pub end: usize,
    /// The last row of its line (a cursor at `end` stays on it).
    pub last: bool,
}

/// Columns a char takes in the composer (a control, e.g. a tab, is drawn as one space).
pub fn char_width(c: char) -> usize {
    if c.is_control() {
        1
    } else {
        c.width().unwrap_or(0)
    }
}

/// The char ranges of the rows `line` wraps into at `width` columns (at least one row).
pub fn wrap_line(line: &[char], width: usize) -> Vec<(usize, usize)> {
    let room = width.saturating_sub(1).max(1);
    let mut rows = Vec::new();
    let mut start = 0;
    while start < line.len() {
        let mut used = 0;
        let mut end = start;
        while end < line.len() {
            let w = char_width(line[end]);
            if used + w > room && end > start {
                break;
            }
            used += w;
            end += 1;
        }
        if end < line.len() {
            if line[end] == ' ' && end + 1 < line.len() {
                // The space the row breaks at takes the column kept free.
                end += 1;
            } else if let Some(space) = (start + 1..end).rev().find(|&i| line[i - 1] == ' ') {
                // Break after the row's last space: the word moves down whole.
                end = space;
            }
        }
        rows.push((start, end));
        start = end;
    }
    if rows.is_empty() {
        rows.push((0, 0));
    }
    rows
}

/// Every screen row of `lines` at `width` columns, in order.
pub fn layout(lines: &[String], width: usize) -> Vec<Row> {
    let mut rows = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let ranges = wrap_line(&chars, width);
        let n = ranges.len();
        rows.extend(ranges.into_iter().enumerate().map(|(k, (start, end))| Row {
            line: i,
            start,
            end,
            last: k + 1 == n,
        }));
    }
    rows
}

/// The screen row and column of the editor's cursor `(line, char)`.
pub fn cursor_cell(rows: &[Row], lines: &[String], cursor: (usize, usize)) -> (usize, usize) {
    let (line, col) = cursor;
    let Some(index) = rows
        .iter()
        .rposition(|r| r.line == line && r.start <= col)
        .or_else(|| rows.iter().position(|r| r.line == line))
    else {
        return (0, 0);
    };
    let row = rows[index];
    let x = lines
        .get(line)
        .map(|l| {
            l.chars()
                .skip(row.start)
                .take(col.saturating_sub(row.start))
                .map(char_width)
                .sum()
        })
        .unwrap_or(0);
    (index, x)
}

/// The editor position on screen row `index` nearest to column `x` (never past a row's
/// end unless it is its line's last row, so the cursor stays on that row).
pub fn position_at(rows: &[Row], lines: &[String], index: usize, x: usize) -> (usize, usize) {
    let Some(row) = rows.get(index) else {
        return (0, 0);
    };
    let max = if row.last {
        row.end
    } else {
        row.end.saturating_sub(1).max(row.start)
    };
    let mut col = row.start;
    let mut used = 0;
    if let Some(line) = lines.get(row.line) {
        for c in line.chars().skip(row.start) {
            let w = char_width(c);
            if col >= max || used + w > x {
                break;
            }
            used += w;
            col += 1;
        }
    }
    (row.line, col)
}

/// The first screen row to show so that row `cursor` is visible in `height` rows, given the
/// previous one (the view moves only as far as needed).
pub fn scroll_top(previous: usize, cursor: usize, height: usize) -> usize {
    let height = height.max(1);
    if cursor < previous {
        cursor
    } else if cursor >= previous + height {
        cursor + 1 - height
    } else {
        previous
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, width: usize) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        wrap_line(&chars, width)
            .into_iter()
            .map(|(a, b)| chars[a..b].iter().collect())
            .collect()
    }

    #[test]
    fn wraps_by_word_and_breaks_long_words() {
        let cases: &[(&str, usize, &[&str])] = &[
            ("", 10, &[""]),
            ("short", 10, &["short"]),
            ("the quick brown fox", 10, &["the quick ", "brown fox"]),
            ("abcdefghijklmnop", 6, &["abcde", "fghij", "klmno", "p"]),
            ("a verylongwordhere", 8, &["a ", "verylon", "gwordhe", "re"]),
            // A space exactly at the edge takes the kept column.
            ("abcd efgh", 5, &["abcd ", "efgh"]),
            // A trailing space at the edge starts a row, so the cursor after it fits.
            ("abcd ", 5, &["abcd", " "]),
            ("日本語のテキスト", 7, &["日本語", "のテキ", "スト"]),
        ];
        for (text, width, want) in cases {
            assert_eq!(rows(text, *width), *want, "{text:?} at {width}");
        }
    }

    #[test]
    fn the_cursor_maps_to_rows_and_back() {
        let lines = vec!["the quick brown fox".to_string(), "end".to_string()];
        let layout = layout(&lines, 10);
        assert_eq!(layout.len(), 3);
        // Row 0 is "the quick " (0..10), row 1 "brown fox" (10..19), row 2 "end".
        assert_eq!(cursor_cell(&layout, &lines, (0, 4)), (0, 4));
        assert_eq!(cursor_cell(&layout, &lines, (0, 10)), (1, 0));
        assert_eq!(cursor_cell(&layout, &lines, (0, 19)), (1, 9));
        assert_eq!(cursor_cell(&layout, &lines, (1, 3)), (2, 3));
        // Column 9 of row 0 is its last char (the space), never the next row's start.
        assert_eq!(position_at(&layout, &lines, 0, 40), (0, 9));
        assert_eq!(position_at(&layout, &lines, 1, 40), (0, 19));
        assert_eq!(position_at(&layout, &lines, 1, 3), (0, 13));
        assert_eq!(position_at(&layout, &lines, 2, 8), (1, 3));
    }

    #[test]
    fn the_view_follows_the_cursor() {
        assert_eq!(scroll_top(0, 3, 5), 0);
        assert_eq!(scroll_top(0, 7, 5), 3);
        assert_eq!(scroll_top(4, 2, 5), 2);
    }
}
