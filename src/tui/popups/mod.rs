//! Overlays drawn above the transcript: the slash-command completion list, the `@` file
//! finder's list, list pickers
//! (/model, /agent, /theme), the /history browser, the approval dialog, the large-message
//! confirmation, /status and the tool-output pager. Each owns its state and key handling and answers with an outcome
//! the App acts on; lists and key hints are drawn by the shared [`list`] module.

pub mod approval;
pub mod confirm_send;
pub mod files;
pub mod history;
pub mod list;
pub mod picker;
pub mod slash;
pub mod status;
pub mod tool_output;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Clear, Widget};

/// A rectangle of at most `width` x `height` centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Clear `area` so the popup is drawn over, not mixed with, what is below.
pub fn clear(area: Rect, buf: &mut Buffer) {
    Clear.render(area, buf);
}

/// Truncate `text` to `width` display columns, with an ellipsis when cut.
pub fn truncate(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    let total: usize = text.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return text.to_string();
    }
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}
