//! The App's status-line state: the hint on its right (what a key did, what to press next),
//! the spinner frame while a turn runs, and whether Ctrl+C was pressed once on an empty draft.

#[derive(Debug, Default)]
pub(in crate::tui) struct StatusLine {
    /// Shown on the right instead of the default key hints.
    pub hint: Option<String>,
    pub spinner: usize,
    /// Ctrl+C was pressed on an empty draft: the next one quits.
    pub ctrl_c_armed: bool,
}

impl StatusLine {
    pub fn say(&mut self, hint: impl Into<String>) {
        self.hint = Some(hint.into());
    }

    /// Any key but Ctrl+C disarms it and clears the hint.
    pub fn key_pressed(&mut self) {
        self.ctrl_c_armed = false;
        self.hint = None;
    }

    pub fn tick(&mut self) {
        self.spinner = self.spinner.wrapping_add(1);
    }
}
