//! Neutralises model and tool text before it is rendered: no byte that came from a model or a
//! tool may move the cursor, change colours, set the title, write the clipboard or otherwise
//! talk to the terminal. ANSI sequences (CSI, OSC, DCS and two-byte escapes) are removed whole,
//! other control characters dropped, tabs expanded, and bidi overrides removed so text cannot
//! be visually reordered.

/// Spaces a tab becomes.
const TAB: &str = "    ";

/// Return `text` safe to render. Newlines are kept; `\r\n` becomes `\n`.
pub fn sanitize(text: &str) -> String {
    if text.chars().all(|c| !is_unsafe(c) || c == '\n') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push('\n'),
            '\t' => out.push_str(TAB),
            '\u{1b}' => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => {
                    skip_string(&mut chars)
                }
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' => skip_string(&mut chars),
            c if is_unsafe(c) => {}
            c => out.push(c),
        }
    }
    out
}

fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Skip a CSI sequence: parameter and intermediate bytes up to a final byte in `@..=~`.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('@'..='~').contains(&c) {
            return;
        }
        if !(' '..='?').contains(&c) {
            // Malformed: stop skipping so ordinary text after it is not eaten.
            return;
        }
    }
}

/// Skip an OSC/DCS-style string up to BEL or ST (`ESC \` or U+009C).
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn escape_sequences_never_survive() {
        let cases = [
            ("plain text\nline 2", "plain text\nline 2"),
            ("\u{1b}[31mred\u{1b}[0m", "red"),
            ("\u{1b}[2J\u{1b}[Hcleared", "cleared"),
            ("title\u{1b}]0;pwned\u{7}after", "titleafter"),
            ("clip\u{1b}]52;c;aGk=\u{1b}\\done", "clipdone"),
            ("dcs\u{1b}Pq#0;2;0;0;0\u{1b}\\x", "dcsx"),
            ("c1\u{9b}31mcsi", "c1csi"),
            ("bell\u{7}back\u{8}space", "bellbackspace"),
            ("crlf\r\nnext", "crlf\nnext"),
            ("progress 10%\rprogress 20%", "progress 10%progress 20%"),
            ("tab\there", "tab    here"),
            ("bidi \u{202e}txt.exe", "bidi txt.exe"),
            ("ends with esc \u{1b}", "ends with esc "),
            ("unterminated \u{1b}]0;title", "unterminated "),
            ("emoji 🦀 and 漢字", "emoji 🦀 and 漢字"),
        ];
        for (input, want) in cases {
            let got = sanitize(input);
            assert_eq!(got, want, "{input:?}");
            assert!(
                !got.chars().any(|c| c.is_control() && c != '\n'),
                "{input:?}"
            );
        }
    }
}
