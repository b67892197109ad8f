//! Syntax highlighting of code blocks with syntect. The syntax and theme sets are loaded on
//! first use (a conversation without code never pays for their memory or the CPU to load
//! them); in the interactive TUI that first use starts a thread and draws the block
//! plain until it is done, so no frame waits for them. Lines longer than
//! [`MAX_HIGHLIGHT_LINE`] bytes stop highlighting for the rest of the block: regex highlighting
//! of minified or generated lines is slow, and plain text is just as readable there.

use super::theme::Theme;
use ratatui::style::{Modifier, Style};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, ThemeSet};
use syntect::parsing::SyntaxSet;
use tokio::sync::Notify;

/// Longest line (bytes) that is highlighted.
pub const MAX_HIGHLIGHT_LINE: usize = 400;
/// Larger blocks are shown plain.
pub const MAX_HIGHLIGHT_LINES: usize = 2_000;

struct Sets {
    syntaxes: SyntaxSet,
    themes: ThemeSet,
}

static SETS: OnceLock<Sets> = OnceLock::new();
/// Loads happen on a thread (see [`load_in_background`]).
static BACKGROUND: AtomicBool = AtomicBool::new(false);
/// The background load has been started.
static STARTED: AtomicBool = AtomicBool::new(false);

fn load() -> Sets {
    Sets {
        syntaxes: SyntaxSet::load_defaults_newlines(),
        themes: ThemeSet::load_defaults(),
    }
}

/// Fired once when a background load (see [`load_in_background`]) has finished.
pub fn ready() -> &'static Notify {
    static READY: OnceLock<Notify> = OnceLock::new();
    READY.get_or_init(Notify::new)
}

/// Load the highlighter on a thread when the first code block asks for it, so no frame waits
/// for it: until it is ready, code blocks are drawn plain; then [`ready`] fires and the caller
/// re-lays out. Without this call, the first code block loads it synchronously (tests, benches).
pub fn load_in_background() {
    BACKGROUND.store(true, Ordering::SeqCst);
}

fn start_background_load() {
    if STARTED.swap(true, Ordering::SeqCst) {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("harness-highlight".to_string())
        .spawn(|| {
            SETS.get_or_init(load);
            ready().notify_one();
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot start the highlighter thread: {e}; code is shown plain");
    }
}

/// Whether code is being drawn plain while a background load runs.
pub fn is_loading() -> bool {
    BACKGROUND.load(Ordering::SeqCst) && SETS.get().is_none()
}

fn sets() -> Option<&'static Sets> {
    match SETS.get() {
        Some(sets) => Some(sets),
        None if BACKGROUND.load(Ordering::SeqCst) => {
            start_background_load();
            None
        }
        None => Some(SETS.get_or_init(load)),
    }
}

/// One highlighted line: (style, text) runs.
pub type StyledLine = Vec<(Style, String)>;

/// Highlight `code` as language `lang` with the syntect theme `theme_name`. `None` when the
/// language or theme is unknown, or the block is too large; the caller then renders it plain.
/// Lines after an over-long line are returned unstyled.
pub fn highlight(
    code: &str,
    lang: &str,
    theme_name: &str,
    base: Style,
) -> Option<Arc<Vec<StyledLine>>> {
    if lang.is_empty() || code.lines().count() > MAX_HIGHLIGHT_LINES {
        return None;
    }
    // The result does not depend on the width: a resize or re-layout reuses it.
    let key = {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (code, lang, theme_name, format!("{base:?}")).hash(&mut h);
        h.finish()
    };
    if let Some(hit) = cache().lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Some(hit);
    }
    let lines = Arc::new(highlight_uncached(code, lang, theme_name, base)?);
    if let Ok(mut c) = cache().lock() {
        if c.len() >= CACHE_ENTRIES {
            c.clear();
        }
        c.insert(key, lines.clone());
    }
    Some(lines)
}

/// Forget every highlighted block (benchmarks of the uncached path).
pub fn clear_cache() {
    if let Ok(mut c) = cache().lock() {
        c.clear();
    }
}

/// Highlighted blocks kept (cleared when full; a block costs far more to highlight than to keep).
const CACHE_ENTRIES: usize = 512;

fn cache() -> &'static Mutex<HashMap<u64, Arc<Vec<StyledLine>>>> {
    static CACHE: OnceLock<Mutex<HashMap<u64, Arc<Vec<StyledLine>>>>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

fn highlight_uncached(
    code: &str,
    lang: &str,
    theme_name: &str,
    base: Style,
) -> Option<Vec<StyledLine>> {
    let sets = sets()?;
    let set = &sets.syntaxes;
    let syntax = set
        .find_syntax_by_token(lang)
        .or_else(|| set.find_syntax_by_name(lang))?;
    let theme = sets.themes.themes.get(theme_name)?;
    let mut highlighter = HighlightLines::new(syntax, theme);
    let mut out = Vec::new();
    let mut plain_from_here = false;
    for line in syntect::util::LinesWithEndings::from(code) {
        let text = line.trim_end_matches(['\n', '\r']);
        if plain_from_here || line.len() > MAX_HIGHLIGHT_LINE {
            plain_from_here = true;
            out.push(vec![(base, text.to_string())]);
            continue;
        }
        let Ok(ranges) = highlighter.highlight_line(line, set) else {
            plain_from_here = true;
            out.push(vec![(base, text.to_string())]);
            continue;
        };
        let runs = ranges
            .into_iter()
            .filter_map(|(style, piece)| {
                let piece = piece.trim_end_matches(['\n', '\r']);
                (!piece.is_empty()).then(|| (convert(style), piece.to_string()))
            })
            .collect();
        out.push(runs);
    }
    Some(out)
}

fn convert(style: syntect::highlighting::Style) -> Style {
    let fg = style.foreground;
    let mut out = Style::default().fg(Theme::syntax_colour(fg.r, fg.g, fg.b));
    if style.font_style.contains(FontStyle::BOLD) {
        out = out.add_modifier(Modifier::BOLD);
    }
    if style.font_style.contains(FontStyle::ITALIC) {
        out = out.add_modifier(Modifier::ITALIC);
    }
    if style.font_style.contains(FontStyle::UNDERLINE) {
        out = out.add_modifier(Modifier::UNDERLINED);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_known_languages_and_skips_long_lines() {
        let code = format!(
            "fn main() {{}}\nlet x = \"{}\";\nlet y = 1;\n",
            "a".repeat(500)
        );
        let lines = highlight(&code, "rust", "base16-ocean.dark", Style::default()).unwrap();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].len() > 1, "first line has several coloured runs");
        assert_eq!(lines[1].len(), 1, "the long line is plain");
        assert_eq!(lines[2], vec![(Style::default(), "let y = 1;".to_string())]);
        let again = highlight(&code, "rust", "base16-ocean.dark", Style::default()).unwrap();
        assert!(
            Arc::ptr_eq(&lines, &again),
            "a second request is served from the cache"
        );
        assert!(
            highlight(
                "x",
                "no-such-language",
                "base16-ocean.dark",
                Style::default()
            )
            .is_none()
        );
        assert!(highlight("x", "rust", "no-such-theme", Style::default()).is_none());
        assert!(highlight("x", "", "base16-ocean.dark", Style::default()).is_none());
    }
}
