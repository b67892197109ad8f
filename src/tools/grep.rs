//! `grep`: search file contents with a regular expression (Rust `regex` syntax, via the
//! ripgrep crates) under a workspace file or directory, answering `file:line:text` lines in path
//! order. Uses the same walk as `glob` (gitignore respected, symlinks not followed); binary files
//! are skipped; long lines are cut; the number of matches and the output size are capped.

use super::arguments::parse_arguments;
use super::glob::{compile_glob, search_root, walker};
use super::read::escape_controls;
use super::{ApprovalPreview, Tool, ToolContext, ToolOutput};
use crate::permissions::ReadDenials;
use crate::permissions::paths::literal_prefix;
use crate::sandbox::beneath::Beneath;
use crate::sandbox::paths::{display_relative, workspace_root};
use crate::sandbox::truncate::DEFAULT_MODEL_CAP;
use futures::future::BoxFuture;
use grep_regex::RegexMatcherBuilder;
use grep_searcher::sinks::Lossy;
use grep_searcher::{BinaryDetection, SearcherBuilder};
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::Path;
use tokio_util::sync::CancellationToken;

/// Matching lines shown in one result.
pub const MAX_MATCHES: usize = 500;
/// Bytes of one matching line shown.
pub const MAX_LINE_BYTES: usize = 500;
/// Memory the searcher may use for one file's line buffer.
const HEAP_LIMIT: usize = 32 * 1024 * 1024;
const OUTPUT_BUDGET: usize = DEFAULT_MODEL_CAP - 500;

pub struct GrepTool;

#[derive(Debug, Deserialize)]
struct GrepArgs {
    pattern: String,
    path: Option<String>,
    glob: Option<String>,
}

impl Tool for GrepTool {
    fn name(&self) -> &str {
        "grep"
    }

    fn description(&self) -> &str {
        "Search file contents with a regular expression (Rust regex syntax; `(?i)` for case \
         insensitive). Searches `path` (a file or directory in the workspace, default the whole \
         workspace), skipping binary files and files ignored by .gitignore. `glob` limits the \
         files searched (e.g. `*.rs`, or `src/**/*.ts` to match paths). Answers \
         `file:line:text` lines, at most 500."
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "pattern": {"type": "string", "description": "Regular expression to search for."},
                "path": {"type": "string", "description": "File or directory to search, relative to the workspace (default: the workspace)."},
                "glob": {"type": "string", "description": "Only search files matching this glob, e.g. *.rs"}
            },
            "required": ["pattern"]
        })
    }

    fn needs_approval(&self) -> bool {
        false
    }

    fn preview(&self, arguments: &Value, _ctx: &ToolContext) -> Result<ApprovalPreview, String> {
        let args: GrepArgs = parse_arguments(self, arguments)?;
        Ok(ApprovalPreview::Command(format!("grep {}", args.pattern)))
    }

    fn execute(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'_, ToolOutput> {
        Box::pin(async move {
            let args: GrepArgs = match parse_arguments(self, &arguments) {
                Ok(args) => args,
                Err(message) => return ToolOutput::error(message),
            };
            let root = workspace_root(ctx.sandbox.workspace());
            let cancel = ctx.cancel.clone();
            let denials = ctx.read_denials.clone();
            let job =
                tokio::task::spawn_blocking(move || grep_files(&root, &args, &cancel, denials));
            match job.await {
                Ok(Ok(text)) => ToolOutput::ok(text),
                Ok(Err(message)) => ToolOutput::error(message),
                Err(e) => ToolOutput::error(format!("grep failed unexpectedly: {e}")),
            }
        })
    }
}

/// Which files a `glob` argument selects: a pattern with `/` matches the path relative to the
/// search root, one without matches the file name (as `rg -g` does).
struct FileFilter {
    matcher: globset::GlobMatcher,
    whole_path: bool,
}

impl FileFilter {
    fn new(pattern: &str) -> Result<Self, String> {
        let pattern = pattern.trim().trim_start_matches("./");
        Ok(Self {
            matcher: compile_glob(pattern)?,
            whole_path: pattern.contains('/'),
        })
    }

    fn accepts(&self, relative: &Path) -> bool {
        if self.whole_path {
            self.matcher.is_match(relative)
        } else {
            relative
                .file_name()
                .is_some_and(|name| self.matcher.is_match(name))
        }
    }
}

/// Long by design: the walk and the matcher share the output budget and the cancel checks.
fn grep_files(
    root: &Path,
    args: &GrepArgs,
    cancel: &CancellationToken,
    denials: ReadDenials,
) -> Result<String, String> {
    if args.pattern.is_empty() {
        return Err("pattern is empty: give a regular expression, e.g. `fn main`".to_string());
    }
    let start = search_root(root, args.path.as_deref())?;
    let beneath = Beneath::new(root).map_err(|e| format!("cannot open the workspace: {e}"))?;
    let matcher = RegexMatcherBuilder::new()
        .build(&args.pattern)
        .map_err(|e| {
            format!(
                "invalid regular expression `{}`: {e}; escape special characters such as ( [ {{ . * + ? with a backslash",
                args.pattern
            )
        })?;
    let filter = args
        .glob
        .as_deref()
        .filter(|g| !g.trim().is_empty())
        .map(FileFilter::new)
        .transpose()?;
    let mut searcher = SearcherBuilder::new()
        .line_number(true)
        .binary_detection(BinaryDetection::quit(0))
        // One enormous line (minified files) must not take unbounded memory: such a file
        // fails to search and is skipped.
        .heap_limit(Some(HEAP_LIMIT))
        .build();

    let mut out = String::new();
    let mut shown = 0usize;
    let mut stopped = false;
    let explicit = match args.glob.as_deref().filter(|g| g.contains('/')) {
        Some(g) => start.join(literal_prefix(g)),
        None => start.clone(),
    };
    for entry in walker(root, &start, &explicit, denials).build() {
        if cancel.is_cancelled() {
            return Err("grep was interrupted by the user".to_string());
        }
        if stopped {
            break;
        }
        let Ok(entry) = entry else { continue };
        // Only regular files: a symlink is never followed out of the workspace.
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        if let Some(filter) = &filter {
            let relative = entry.path().strip_prefix(&start).unwrap_or(entry.path());
            // A file given directly as `path` is searched whatever the glob says.
            if entry.depth() > 0 && !filter.accepts(relative) {
                continue;
            }
        }
        let name = display_relative(root, entry.path());
        let sink = Lossy(|line_number, line: &str| {
            let entry = format!(
                "{name}:{line_number}:{}\n",
                escape_controls(&cut(line.trim_end_matches(['\n', '\r']), MAX_LINE_BYTES))
            );
            if shown >= MAX_MATCHES || out.len() + entry.len() > OUTPUT_BUDGET {
                stopped = true;
                return Ok(false);
            }
            out.push_str(&entry);
            shown += 1;
            Ok(true)
        });
        // Opened beneath the workspace (no escape by a directory swapped for a symlink during
        // the walk); unreadable files are skipped, as a search tool on a live tree must.
        let Ok(file) =
            Beneath::relative(root, entry.path()).and_then(|rel| beneath.open_read(&rel))
        else {
            continue;
        };
        let _ = searcher.search_file(&matcher, &file, sink);
    }
    if shown == 0 {
        return Ok(format!(
            "no matches for `{}` in `{}`",
            args.pattern,
            display_relative(root, &start)
        ));
    }
    if stopped {
        out.push_str(&format!(
            "[stopped after {shown} matches: narrow the pattern, path or glob to see the rest]"
        ));
    }
    Ok(out)
}

/// `line` cut to at most `max` bytes on a character boundary, marked when cut.
fn cut(line: &str, max: usize) -> String {
    if line.len() <= max {
        return line.to_string();
    }
    let mut end = max;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{} [... {} more bytes]", &line[..end], line.len() - end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_filters_match_names_or_paths() {
        let cases = [
            ("*.rs", "src/deep/main.rs", true),
            ("*.rs", "main.rs", true),
            ("*.rs", "main.py", false),
            ("src/**/*.rs", "src/deep/main.rs", true),
            ("src/**/*.rs", "tests/main.rs", false),
            ("./*.md", "docs/README.md", true),
        ];
        for (pattern, path, want) in cases {
            let filter = FileFilter::new(pattern).unwrap();
            assert_eq!(filter.accepts(Path::new(path)), want, "{pattern} vs {path}");
        }
    }

    #[test]
    fn long_lines_are_cut_on_boundaries() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("ééé", 3), "é [... 4 more bytes]");
    }
}
