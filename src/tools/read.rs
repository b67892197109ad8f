//! `read`: one page of a text file in the workspace, with line numbers (`cat -n` style), so the
//! model can quote exact text for `edit`. Large files are paged (`offset`/`limit`, and the
//! footer says how to get the next page); very long lines are cut; binary files are summarised
//! (size and kind) instead of dumped: by their first bytes, and by a NUL byte anywhere in the page
//! returned. Other control characters (ANSI escapes, carriage returns, DEL, C1 controls) never
//! reach the model raw: they are shown escaped (`\x1B`). Memory stays bounded whatever the file:
//! lines are scanned in buffered chunks, never read whole. The whole file passes through a
//! digest on the way, so `write`/`edit` can tell later whether it changed (`tools::seen`).

use super::arguments::parse_arguments;
use super::seen::{HashingReader, SeenFiles, digest_reader};
use super::{ApprovalPreview, Tool, ToolContext, ToolOutput};
use crate::sandbox::beneath::Beneath;
use crate::sandbox::paths::{Access, confine, display_relative, workspace_root};
use crate::sandbox::truncate::DEFAULT_MODEL_CAP;
use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Lines shown when the model gives no `limit`.
pub const DEFAULT_LIMIT: usize = 2000;
/// Bytes of one line shown before it is cut.
pub const MAX_LINE_BYTES: usize = 2000;
/// Bytes of numbered lines in one page; the rest of the model cap is left for the footer.
const PAGE_BUDGET: usize = DEFAULT_MODEL_CAP - 1000;
/// How much of the start of a file decides whether it is binary.
const SNIFF_BYTES: usize = 8192;

pub struct ReadTool;

#[derive(Debug, Deserialize)]
struct ReadArgs {
    path: String,
    offset: Option<u64>,
    limit: Option<u64>,
}

impl Tool for ReadTool {
    fn name(&self) -> &str {
        "read"
    }

    fn description(&self) -> &str {
        "Read a text file in the workspace. Lines are numbered from 1 (number, tab, text); the \
         numbers are not part of the file. Reads up to 2000 lines from `offset` (1-based line \
         number, default 1); `limit` sets how many lines. The end of the output says how to read \
         the next page. Binary files are summarised, not shown. Use glob to find files."
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "File path relative to the workspace."},
                "offset": {"type": "integer", "minimum": 1, "description": "First line to show (1-based)."},
                "limit": {"type": "integer", "minimum": 1, "description": "How many lines to show (default 2000)."}
            },
            "required": ["path"]
        })
    }

    fn needs_approval(&self) -> bool {
        false
    }

    fn preview(&self, arguments: &Value, _ctx: &ToolContext) -> Result<ApprovalPreview, String> {
        let args: ReadArgs = parse_arguments(self, arguments)?;
        Ok(ApprovalPreview::Command(format!("read {}", args.path)))
    }

    fn execute(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'_, ToolOutput> {
        Box::pin(async move {
            let args: ReadArgs = match parse_arguments(self, &arguments) {
                Ok(args) => args,
                Err(message) => return ToolOutput::error(message),
            };
            let root = workspace_root(ctx.sandbox.workspace());
            let seen = ctx.seen.clone();
            let job = tokio::task::spawn_blocking(move || read_page(&root, &args, &seen));
            match job.await {
                Ok(Ok(text)) => ToolOutput::ok(text),
                Ok(Err(message)) => ToolOutput::error(message),
                Err(e) => ToolOutput::error(format!("read failed unexpectedly: {e}")),
            }
        })
    }
}

fn read_page(root: &Path, args: &ReadArgs, seen: &SeenFiles) -> Result<String, String> {
    let path = confine(root, &args.path, Access::Existing).map_err(|e| e.to_string())?;
    let shown = display_relative(root, &path);
    let meta = std::fs::metadata(&path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    if meta.is_dir() {
        return Err(format!(
            "`{shown}` is a directory: use glob to list its files (e.g. pattern `{}/*`)",
            shown.trim_end_matches('/')
        ));
    }
    if !meta.is_file() {
        return Err(format!(
            "`{shown}` is not a regular file (a device, socket or pipe): only files can be read"
        ));
    }
    let mut file = Beneath::new(root)
        .and_then(|b| b.open_read(&Beneath::relative(root, &path)?))
        .map_err(|e| format!("cannot open `{shown}`: {e}"))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "`{shown}` is not a regular file (it changed while being opened): only files can be read"
        ));
    }
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut file)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    let kind = binary_kind(&head);
    let whole = HashingReader::new(std::io::Cursor::new(head).chain(file));
    if let Some(kind) = kind {
        let digest = digest_reader(whole).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
        seen.record(&path, digest);
        return Ok(binary_summary(&shown, kind, meta.len()));
    }
    let offset = args.offset.unwrap_or(1).max(1);
    let limit = args.limit.unwrap_or(DEFAULT_LIMIT as u64).max(1);
    let mut whole = whole;
    let page = collect_page(
        BufReader::with_capacity(64 * 1024, &mut whole),
        offset,
        limit,
    )
    .map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    seen.record(&path, whole.finish());
    if let Some(line) = page.nul_line {
        return Ok(binary_summary(
            &shown,
            &format!("binary data: a NUL byte on line {line}"),
            meta.len(),
        ));
    }
    page.render(&shown, offset)
}

fn binary_summary(shown: &str, kind: &str, size: u64) -> String {
    format!(
        "`{shown}` is a binary file ({kind}, {}); its contents are not shown. Use bash to \
         inspect it (e.g. `file {shown}` or `xxd {shown} | head`).",
        human_size(size)
    )
}

/// One page of numbered lines plus what the footer needs.
#[derive(Debug, Default)]
struct Page {
    text: String,
    /// Lines in the whole file.
    total_lines: u64,
    /// Number of the last line shown (0 when none).
    last_shown: u64,
    /// The page ended because the byte budget ran out, not the limit.
    budget_hit: bool,
    lossy: bool,
    /// Control characters were shown escaped.
    escaped: bool,
    /// The first line of the page holding a NUL byte: the file is binary after all.
    nul_line: Option<u64>,
}

impl Page {
    fn render(mut self, shown: &str, offset: u64) -> Result<String, String> {
        if self.total_lines == 0 {
            return Ok(format!("(`{shown}` is empty)"));
        }
        if offset > self.total_lines {
            return Err(format!(
                "`{shown}` has {} lines; offset {offset} is past the end: use an offset from 1 to {}",
                self.total_lines, self.total_lines
            ));
        }
        if self.lossy {
            self.text
                .push_str("[the file is not valid UTF-8: invalid bytes are shown as \u{FFFD}]\n");
        }
        if self.escaped {
            self.text.push_str(
                "[the file holds control characters (terminal escapes, carriage returns, ...): they \
                 are shown as \\xNN (e.g. \\x1B for ESC); the file holds the raw character, \
                 not that text]\n",
            );
        }
        if self.last_shown < self.total_lines {
            let why = if self.budget_hit {
                " (output size limit reached)"
            } else {
                ""
            };
            self.text.push_str(&format!(
                "[showing lines {offset}-{} of {}{why}; call read with offset={} to read more]",
                self.last_shown,
                self.total_lines,
                self.last_shown + 1
            ));
        } else if offset > 1 {
            self.text.push_str(&format!(
                "[showing lines {offset}-{} of {}: end of file]",
                self.last_shown, self.total_lines
            ));
        }
        Ok(self.text)
    }
}

/// Scan `reader` line by line without holding more than one (cut) line in memory.
fn collect_page(mut reader: impl BufRead, offset: u64, limit: u64) -> std::io::Result<Page> {
    let mut page = Page::default();
    let mut line = Vec::new();
    let mut line_no: u64 = 0;
    loop {
        let in_page = line_no + 1 >= offset && line_no + 1 < offset + limit && !page.budget_hit;
        let keep = if in_page { MAX_LINE_BYTES } else { 0 };
        line.clear();
        let Some(skipped) = next_line(&mut reader, &mut line, keep)? else {
            break;
        };
        line_no += 1;
        if !in_page || page.nul_line.is_some() {
            continue;
        }
        if line.contains(&0) {
            page.nul_line = Some(line_no);
            continue;
        }
        let mut text = match std::str::from_utf8(&line) {
            Ok(s) => s.to_string(),
            Err(e) if e.error_len().is_none() && skipped > 0 => {
                // The cut fell inside a character: drop the partial character.
                String::from_utf8_lossy(&line[..e.valid_up_to()]).into_owned()
            }
            Err(_) => {
                page.lossy = true;
                String::from_utf8_lossy(&line).into_owned()
            }
        };
        if let std::borrow::Cow::Owned(escaped) = escape_controls(&text) {
            page.escaped = true;
            text = escaped;
        }
        if skipped > 0 {
            text.push_str(&format!(" [... line cut: {skipped} more bytes]"));
        }
        let entry = format!("{line_no:>6}\t{text}\n");
        if page.text.len() + entry.len() > PAGE_BUDGET && page.last_shown > 0 {
            page.budget_hit = true;
            continue;
        }
        page.text.push_str(&entry);
        page.last_shown = line_no;
    }
    page.total_lines = line_no;
    Ok(page)
}

/// Read one line into `line`, keeping at most `keep` bytes of it (without the line ending).
/// Returns how many bytes of the line were not kept, or `None` at end of file.
fn next_line(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    keep: usize,
) -> std::io::Result<Option<u64>> {
    let mut skipped: u64 = 0;
    let mut saw_any = false;
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            if !saw_any {
                return Ok(None);
            }
            break;
        }
        saw_any = true;
        let (part, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        let room = keep.saturating_sub(line.len());
        let take = room.min(part.len());
        line.extend_from_slice(&part[..take]);
        skipped += (part.len() - take) as u64;
        let consumed = done.unwrap_or(buf.len());
        reader.consume(consumed);
        if done.is_some() {
            break;
        }
    }
    if line.last() == Some(&b'\r') && skipped == 0 {
        line.pop();
    }
    Ok(Some(skipped))
}

/// `text` with every control character but tab shown as `\xNN` (C0, DEL, C1), and bidi
/// overrides as `\u{NNNN}`, so that nothing the model is given can act on a terminal or hide
/// text; borrowed when there is none.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c) {
            out.push(c);
        } else if u32::from(c) < 0x100 {
            out.push_str(&format!("\\x{:02X}", u32::from(c)));
        } else {
            out.push_str(&format!("\\u{{{:04X}}}", u32::from(c)));
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Control characters but tab, and the bidirectional overrides and isolates that make text
/// read differently from what it is ("Trojan Source").
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `Some(kind)` when the start of a file says it is not text.
fn binary_kind(head: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "PNG image"),
        (b"\xff\xd8\xff", "JPEG image"),
        (b"GIF87a", "GIF image"),
        (b"GIF89a", "GIF image"),
        (b"%PDF-", "PDF document"),
        (b"PK\x03\x04", "zip archive"),
        (b"\x1f\x8b", "gzip data"),
        (b"\x28\xb5\x2f\xfd", "zstd data"),
        (b"BZh", "bzip2 data"),
        (b"\xfd7zXZ\x00", "xz data"),
        (b"\x7fELF", "ELF executable"),
        (b"\x00asm", "WebAssembly module"),
        (b"SQLite format 3\x00", "SQLite database"),
    ];
    if let Some((_, kind)) = MAGIC.iter().find(|(magic, _)| head.starts_with(magic)) {
        return Some(kind);
    }
    head.contains(&0).then_some("binary data")
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64;
    let mut unit = "bytes";
    for u in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = u;
    }
    format!("{value:.1} {unit} ({bytes} bytes)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &str, offset: u64, limit: u64) -> String {
        collect_page(
            std::io::Cursor::new(text.as_bytes().to_vec()),
            offset,
            limit,
        )
        .unwrap()
        .render("f.txt", offset)
        .unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn pages_are_numbered_and_say_how_to_continue() {
        let text = "one\ntwo\r\nthree\nfour\n";
        let cases = [
            (
                1,
                10,
                "     1\tone\n     2\ttwo\n     3\tthree\n     4\tfour\n",
            ),
            (
                1,
                2,
                "     1\tone\n     2\ttwo\n[showing lines 1-2 of 4; call read with offset=3 to read more]",
            ),
            (
                3,
                5,
                "     3\tthree\n     4\tfour\n[showing lines 3-4 of 4: end of file]",
            ),
            (
                9,
                5,
                "error: `f.txt` has 4 lines; offset 9 is past the end: use an offset from 1 to 4",
            ),
        ];
        for (offset, limit, want) in cases {
            assert_eq!(
                page(text, offset, limit),
                want,
                "offset {offset} limit {limit}"
            );
        }
        assert_eq!(page("", 1, 10), "(`f.txt` is empty)");
        assert_eq!(page("no newline", 1, 10), "     1\tno newline\n");
    }

    #[test]
    fn long_lines_are_cut_on_character_boundaries() {
        let long = "é".repeat(MAX_LINE_BYTES); // 2 bytes each
        let out = page(&format!("{long}\nshort\n"), 1, 10);
        let first = out.lines().next().unwrap();
        assert!(first.ends_with(&format!("[... line cut: {} more bytes]", MAX_LINE_BYTES)));
        assert!(!first.contains('\u{FFFD}'));
        assert!(out.contains("     2\tshort"));
    }

    #[test]
    fn the_page_stops_at_the_output_budget() {
        let line = "x".repeat(1000);
        let text = format!("{line}\n").repeat(100);
        let out = page(&text, 1, 2000);
        assert!(out.len() <= DEFAULT_MODEL_CAP, "{}", out.len());
        let last = out.lines().last().unwrap();
        assert!(
            last.contains("(output size limit reached); call read with offset="),
            "{last}"
        );
    }

    #[test]
    fn binary_files_are_recognised() {
        let cases: [(&[u8], Option<&str>); 5] = [
            (b"\x89PNG\r\n\x1a\nrest", Some("PNG image")),
            (b"\x7fELF\x02\x01", Some("ELF executable")),
            (b"text\x00with nul", Some("binary data")),
            (b"plain text\n", None),
            ("héllo".as_bytes(), None),
        ];
        for (head, want) in cases {
            assert_eq!(binary_kind(head), want, "{head:?}");
        }
        assert_eq!(human_size(10), "10 bytes");
        assert_eq!(human_size(1536), "1.5 KiB (1536 bytes)");
    }

    #[test]
    fn control_characters_are_escaped_visibly() {
        let cases = [
            ("plain\ttabbed", "plain\ttabbed"),
            ("\x1b[31mred\x1b[0m", "\\x1B[31mred\\x1B[0m"),
            ("a\rb", "a\\x0Db"),
            ("bell\x07", "bell\\x07"),
            ("del\x7f", "del\\x7F"),
            ("csi\u{9b}2J", "csi\\x9B2J"),
            ("héllo €", "héllo €"),
            ("admin\u{202E}txt.exe", "admin\\u{202E}txt.exe"),
        ];
        for (input, want) in cases {
            assert_eq!(escape_controls(input), want, "{input:?}");
        }
        let out = page("ok\n\x1b]0;title\x07\n", 1, 10);
        assert!(out.contains("     2\t\\x1B]0;title\\x07\n"), "{out}");
        assert!(!out.contains('\x1b'), "{out}");
        assert!(out.contains("shown as \\xNN"), "{out}");
    }

    #[test]
    fn a_nul_anywhere_in_the_page_makes_it_binary() {
        let text = format!("{}\nafter\0nul\n", "x".repeat(20_000));
        let page = collect_page(std::io::Cursor::new(text.into_bytes()), 1, 10).unwrap();
        assert_eq!(page.nul_line, Some(2));
        assert!(!page.text.contains('\0'));
        // Outside the page asked for, a NUL does not hide the text that is asked for.
        let text = "one\ntwo\nthree\0\n";
        let page = collect_page(std::io::Cursor::new(text.as_bytes().to_vec()), 1, 2).unwrap();
        assert_eq!(page.nul_line, None);
    }

    #[test]
    fn invalid_utf8_is_shown_lossily_with_a_note() {
        let out = collect_page(std::io::Cursor::new(b"caf\xe9\n".to_vec()), 1, 10)
            .unwrap()
            .render("f", 1)
            .unwrap();
        assert!(out.starts_with("     1\tcaf\u{FFFD}\n"));
        assert!(out.contains("not valid UTF-8"));
    }
}
