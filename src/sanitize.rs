//! The one place that decides what text may reach a terminal. Both front ends that draw text
//! (the TUI and the plain CLI printers) use it, so a control sequence is treated the same way
//! everywhere: removed whole, or shown whole, never half (a dropped ESC that leaves `[31m` on
//! screen is the bug this module exists to prevent).
//!
//! Two treatments:
//! - [`strip`] / [`Stripper`], for text from models, tools and the store: ANSI sequences (CSI,
//!   OSC, DCS/SOS/PM/APC strings, two-byte and charset escapes, and their C1 forms) are removed
//!   whole, other control characters and bidi overrides are dropped. [`Stripper`] keeps its
//!   parser state between chunks, so a sequence split across two streamed deltas is still
//!   removed whole.
//! - [`show`], for the user's own text (the composer, recalled prompts, the user's cells):
//!   nothing is hidden, every control becomes a visible placeholder. C0 controls and DEL become
//!   their Unicode Control Pictures (ESC is `␛`, BEL `␇`, DEL `␡`), C1 controls and bidi
//!   overrides/isolates become `<U+XXXX>`. The printable rest of a sequence stays, so `ESC[31m`
//!   reads `␛[31m`.
//!
//! Newlines and tabs are kept by both; `\r\n` becomes `\n`.

/// Spaces a tab becomes where the renderer cannot draw tabs (see [`expand_tabs`]).
const TAB: &str = "    ";

/// Whether `c` must never reach a terminal as is: C0 (except `\n` and `\t`), DEL, C1, and the
/// bidi embedding/override/isolate controls (they reorder what follows on screen).
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every escape sequence and unsafe character removed.
pub fn strip(text: &str) -> String {
    if !text.chars().any(|c| is_unsafe(c) || c == '\r') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    Stripper::default().push(text, &mut out);
    out
}

/// `text` with every unsafe character replaced by a visible placeholder.
pub fn show(text: &str) -> String {
    if !text.chars().any(|c| is_unsafe(c) || c == '\r') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            c if !is_unsafe(c) => out.push(c),
            c => out.push_str(&placeholder(c)),
        }
    }
    out
}

/// The visible stand-in for an unsafe character (see the module doc).
pub fn placeholder(c: char) -> String {
    match c as u32 {
        n @ 0x00..=0x1f => char::from_u32(0x2400 + n).map_or_else(String::new, String::from),
        0x7f => "\u{2421}".to_string(),
        n => format!("<U+{n:04X}>"),
    }
}

/// Tabs as spaces, for renderers that lay out cells themselves (a tab has no width there).
pub fn expand_tabs(text: &str) -> String {
    if text.contains('\t') {
        text.replace('\t', TAB)
    } else {
        text.to_string()
    }
}

/// [`strip`], tabs expanded: model and tool text for a cell renderer.
pub fn strip_cells(text: &str) -> String {
    expand_tabs(&strip(text))
}

/// [`show`], tabs expanded: the user's text for a cell renderer.
pub fn show_cells(text: &str) -> String {
    expand_tabs(&show(text))
}

/// Where the parser is inside a sequence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum State {
    #[default]
    Ground,
    /// After `\r`: a following `\n` makes one newline; anything else drops the `\r`.
    CarriageReturn,
    /// After ESC.
    Escape,
    /// ESC followed by intermediate bytes (charset designations like `ESC ( B`).
    EscapeIntermediate,
    /// Inside a CSI: parameter and intermediate bytes until a final byte.
    Csi,
    /// Inside an OSC/DCS/SOS/PM/APC string until BEL or ST.
    String,
    /// ESC inside a string: `\` ends it (ST); anything else starts a new escape.
    StringEscape,
}

/// A streaming [`strip`]: feed chunks in order, get the safe text of each. A sequence cut
/// between two chunks is removed whole.
#[derive(Debug, Clone, Default)]
pub struct Stripper {
    state: State,
}

impl Stripper {
    /// Append the safe text of `chunk` to `out`.
    pub fn push(&mut self, chunk: &str, out: &mut String) {
        for c in chunk.chars() {
            self.feed(c, out);
        }
    }

    /// The safe text of `chunk`.
    pub fn clean(&mut self, chunk: &str) -> String {
        let mut out = String::with_capacity(chunk.len());
        self.push(chunk, &mut out);
        out
    }

    fn feed(&mut self, c: char, out: &mut String) {
        // A character that ends a malformed sequence is itself read again from the ground.
        loop {
            match self.step(c, out) {
                Step::Done => return,
                Step::Again => {}
            }
        }
    }

    fn step(&mut self, c: char, out: &mut String) -> Step {
        use State::*;
        match self.state {
            Ground => match c {
                '\u{1b}' => self.state = Escape,
                '\u{9b}' => self.state = Csi,
                '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => self.state = String,
                '\r' => self.state = CarriageReturn,
                c if is_unsafe(c) => {}
                c => out.push(c),
            },
            CarriageReturn => {
                self.state = Ground;
                if c == '\n' {
                    out.push('\n');
                } else {
                    return Step::Again;
                }
            }
            Escape => match c {
                '[' => self.state = Csi,
                ']' | 'P' | 'X' | '^' | '_' => self.state = String,
                ' '..='/' => self.state = EscapeIntermediate,
                '0'..='~' => self.state = Ground,
                _ => {
                    self.state = Ground;
                    return Step::Again;
                }
            },
            EscapeIntermediate => match c {
                ' '..='/' => {}
                '0'..='~' => self.state = Ground,
                _ => {
                    self.state = Ground;
                    return Step::Again;
                }
            },
            Csi => match c {
                '0'..='?' | ' '..='/' => {}
                '@'..='~' => self.state = Ground,
                _ => {
                    self.state = Ground;
                    return Step::Again;
                }
            },
            String => match c {
                '\u{7}' | '\u{9c}' => self.state = Ground,
                '\u{1b}' => self.state = StringEscape,
                _ => {}
            },
            StringEscape => {
                if c == '\\' {
                    self.state = Ground;
                } else {
                    self.state = Escape;
                    return Step::Again;
                }
            }
        }
        Step::Done
    }
}

enum Step {
    Done,
    Again,
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASES: &[(&str, &str, &str)] = &[
        // (input, strip, show)
        (
            "plain text\nline 2",
            "plain text\nline 2",
            "plain text\nline 2",
        ),
        (
            "emoji 🦀 and 漢字, עברית",
            "emoji 🦀 and 漢字, עברית",
            "emoji 🦀 and 漢字, עברית",
        ),
        ("\u{1b}[31mred\u{1b}[0m", "red", "␛[31mred␛[0m"),
        ("\u{1b}[2J\u{1b}[Hcleared", "cleared", "␛[2J␛[Hcleared"),
        ("\u{1b}[?1049h\u{1b}[1;31;4mx", "x", "␛[?1049h␛[1;31;4mx"),
        (
            "title\u{1b}]0;pwned\u{7}after",
            "titleafter",
            "title␛]0;pwned␇after",
        ),
        (
            "clip\u{1b}]52;c;aGk=\u{1b}\\done",
            "clipdone",
            "clip␛]52;c;aGk=␛\\done",
        ),
        (
            "link\u{1b}]8;;http://x\u{1b}\\text\u{1b}]8;;\u{1b}\\",
            "linktext",
            "link␛]8;;http://x␛\\text␛]8;;␛\\",
        ),
        (
            "dcs\u{1b}Pq#0;2;0;0;0\u{1b}\\x",
            "dcsx",
            "dcs␛Pq#0;2;0;0;0␛\\x",
        ),
        ("c1\u{9b}31mcsi", "c1csi", "c1<U+009B>31mcsi"),
        (
            "c1 osc\u{9d}0;t\u{9c}ok",
            "c1 oscok",
            "c1 osc<U+009D>0;t<U+009C>ok",
        ),
        ("nel\u{85}x", "nelx", "nel<U+0085>x"),
        ("charset\u{1b}(Bx\u{1b}7y", "charsetxy", "charset␛(Bx␛7y"),
        (
            "bell\u{7}back\u{8}space",
            "bellbackspace",
            "bell␇back␈space",
        ),
        ("nul\0del\u{7f}", "nuldel", "nul␀del␡"),
        ("crlf\r\nnext", "crlf\nnext", "crlf\nnext"),
        (
            "progress 10%\rprogress 20%",
            "progress 10%progress 20%",
            "progress 10%␍progress 20%",
        ),
        ("tab\there", "tab\there", "tab\there"),
        (
            "bidi \u{202e}exe.txt\u{202c} \u{2066}i\u{2069}",
            "bidi exe.txt i",
            "bidi <U+202E>exe.txt<U+202C> <U+2066>i<U+2069>",
        ),
        ("ends with esc \u{1b}", "ends with esc ", "ends with esc ␛"),
        (
            "unterminated \u{1b}]0;title",
            "unterminated ",
            "unterminated ␛]0;title",
        ),
        // A malformed CSI ends at the first byte that cannot belong to it; that byte is text.
        ("bad \u{1b}[31\u{e9}t\u{e9}", "bad été", "bad ␛[31été"),
        // An ESC inside a string starts a new escape, which is removed whole too.
        ("a\u{1b}]0;t\u{1b}[31mb", "ab", "a␛]0;t␛[31mb"),
    ];

    #[test]
    fn strip_removes_sequences_whole_and_show_makes_them_visible() {
        for (input, stripped, shown) in CASES {
            let got = strip(input);
            assert_eq!(&got, stripped, "strip {input:?}");
            assert!(!got.chars().any(is_unsafe), "strip {input:?}");
            let got = show(input);
            assert_eq!(&got, shown, "show {input:?}");
            assert!(!got.chars().any(is_unsafe), "show {input:?}");
        }
    }

    #[test]
    fn a_sequence_split_between_chunks_is_still_removed_whole() {
        for (input, stripped, _) in CASES {
            let chars: Vec<char> = input.chars().collect();
            for cut in 0..=chars.len() {
                let (a, b): (String, String) =
                    (chars[..cut].iter().collect(), chars[cut..].iter().collect());
                let mut s = Stripper::default();
                let got = s.clean(&a) + &s.clean(&b);
                assert_eq!(&got, stripped, "{input:?} cut at {cut}");
            }
            // One character per chunk, as a slow stream would deliver it.
            let mut s = Stripper::default();
            let got: String = input.chars().map(|c| s.clean(&c.to_string())).collect();
            assert_eq!(&got, stripped, "{input:?} char by char");
        }
    }

    #[test]
    fn tabs_expand_for_cell_renderers() {
        assert_eq!(expand_tabs("a\tb"), "a    b");
        assert_eq!(expand_tabs("none"), "none");
    }
}
