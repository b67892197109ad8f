//! What a bash command really runs, as far as permission rules are concerned: the command text
//! is parsed with a real shell parser (`brush-parser`) and every simple command in it is listed,
//! wherever it sits: after `;`, `&&`, `||`, `|` or a newline, inside `( )`, `{ }`, `if`/`while`/
//! `for`/`case` bodies, `$(...)`, backticks, `<(...)`, here-documents that expand, and the
//! string given to `sh -c`/`bash -c`/`eval`. Each simple command is kept as its words (quotes
//! removed, assignments and redirections included, in order), so a rule compares words, never
//! raw text: `git status:*` matches `git status -s` but not `git statusx` or `git status; rm`.
//!
//! Whatever the analysis cannot see into (a parameter or arithmetic expansion that itself runs
//! a command, a function definition, a word the parser rejects) makes the command *opaque*: an
//! allow rule can then never approve it. Every word and redirection target is also listed as a
//! possible path, for the protected-path checks in `paths.rs`.

use brush_parser::ast;
use brush_parser::word::WordPiece;

/// Shells whose `-c STRING` argument is itself a command to analyse.
pub(super) const SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "ksh", "ash", "fish"];

/// Commands that run the command given in their arguments; a rule for the inner command also
/// matches through them when it denies or asks (never when it allows).
pub(super) const WRAPPERS: &[&str] = &[
    "sudo", "doas", "env", "command", "builtin", "exec", "nohup", "nice", "time", "timeout",
    "xargs", "stdbuf", "setsid", "unbuffer", "ionice", "chrt", "taskset", "watch",
];

/// One simple command: its words with quoting removed, assignments (`A=b`) and redirections
/// (`>` then the target) included where they appear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    pub words: Vec<String>,
}

impl SimpleCommand {
    /// The words that name the command and its arguments (no assignments, no redirections).
    pub fn argv(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let mut skip_next = false;
        for w in &self.words {
            if skip_next {
                skip_next = false;
                continue;
            }
            if is_redirect_word(w) {
                skip_next = true;
                continue;
            }
            if out.is_empty() && is_assignment(w) {
                continue;
            }
            out.push(w.as_str());
        }
        out
    }

    /// The ways a deny or ask rule may see this command: as written, without leading
    /// assignments and wrappers (`sudo`, `env`, `timeout 5`, ...), and with the program's
    /// directory dropped (`/bin/rm` as `rm`).
    pub fn variants(&self) -> Vec<Vec<String>> {
        let mut out = vec![self.words.clone()];
        let mut argv: Vec<String> = self.argv().into_iter().map(str::to_string).collect();
        let push = |v: &Vec<String>, out: &mut Vec<Vec<String>>| {
            if !v.is_empty() && !out.contains(v) {
                out.push(v.clone());
            }
        };
        loop {
            push(&argv, &mut out);
            if let Some(first) = argv.first() {
                let base = basename(first).to_string();
                if base != *first {
                    let mut b = argv.clone();
                    b[0] = base.clone();
                    push(&b, &mut out);
                }
                if WRAPPERS.contains(&base.as_str()) {
                    argv = strip_wrapper(&argv);
                    continue;
                }
            }
            break;
        }
        out
    }
}

/// The analysis of one command line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Analysis {
    pub commands: Vec<SimpleCommand>,
    /// Something runs that the analysis cannot see: no allow rule may approve the command.
    pub opaque: bool,
    /// Every word and redirection target, unquoted (possible paths).
    pub words: Vec<String>,
}

/// Parse `command`. `Err` carries the parser's complaint; such a command is never allowed by a
/// rule.
pub fn analyse(command: &str) -> Result<Analysis, String> {
    if command.len() > MAX_COMMAND_BYTES {
        return Err(format!(
            "the command is {} bytes, over the {MAX_COMMAND_BYTES} bytes rules are checked on",
            command.len()
        ));
    }
    // The parser recurses per nesting level: refuse pathological nesting before it does
    // (counted over-generously: quoted brackets count too).
    let mut depth = 0usize;
    let mut deepest = 0usize;
    for c in command.chars() {
        match c {
            '(' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if deepest > MAX_NESTING {
        return Err(format!(
            "the command nests brackets {deepest} deep, over the {MAX_NESTING} levels rules are checked on"
        ));
    }
    let mut a = Analysis::default();
    analyse_into(command, &mut a, 0)?;
    Ok(a)
}

/// Nesting beyond this (`$( $( $( ...`) is not followed; the command becomes opaque.
const MAX_DEPTH: usize = 8;
/// Longer commands are not analysed (they ask).
const MAX_COMMAND_BYTES: usize = 64 * 1024;
/// Deeper bracket nesting is not analysed (it asks).
const MAX_NESTING: usize = 64;

fn analyse_into(command: &str, a: &mut Analysis, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        a.opaque = true;
        return Ok(());
    }
    let options = brush_parser::ParserOptions::default();
    let mut parser = brush_parser::Parser::new(
        std::io::Cursor::new(command.as_bytes()),
        &options,
        &brush_parser::SourceInfo::default(),
    );
    let program = parser.parse_program().map_err(|e| e.to_string())?;
    let mut walker = Walker { a, depth };
    for complete in &program.complete_commands {
        walker.compound_list(complete);
    }
    Ok(())
}

struct Walker<'a> {
    a: &'a mut Analysis,
    depth: usize,
}

impl Walker<'_> {
    fn compound_list(&mut self, list: &ast::CompoundList) {
        for item in &list.0 {
            self.and_or(&item.0);
        }
    }

    fn and_or(&mut self, list: &ast::AndOrList) {
        self.pipeline(&list.first);
        for next in &list.additional {
            match next {
                ast::AndOr::And(p) | ast::AndOr::Or(p) => self.pipeline(p),
            }
        }
    }

    fn pipeline(&mut self, p: &ast::Pipeline) {
        for c in &p.seq {
            self.command(c);
        }
    }

    fn command(&mut self, c: &ast::Command) {
        match c {
            ast::Command::Simple(s) => self.simple(s),
            ast::Command::Compound(compound, redirects) => {
                self.compound(compound);
                if let Some(list) = redirects {
                    let mut words = Vec::new();
                    for r in &list.0 {
                        self.redirect(r, &mut words);
                    }
                }
            }
            // A function body runs later under a name no rule knows: never approved by a rule.
            ast::Command::Function(_) => self.a.opaque = true,
            ast::Command::ExtendedTest(expr) => self.extended_test(expr),
        }
    }

    /// `[[ ... ]]` runs nothing itself, but its words expand (`$(...)` in them runs).
    fn extended_test(&mut self, expr: &ast::ExtendedTestExpr) {
        match expr {
            ast::ExtendedTestExpr::And(a, b) | ast::ExtendedTestExpr::Or(a, b) => {
                self.extended_test(a);
                self.extended_test(b);
            }
            ast::ExtendedTestExpr::Not(e) | ast::ExtendedTestExpr::Parenthesized(e) => {
                self.extended_test(e)
            }
            ast::ExtendedTestExpr::UnaryTest(_, w) => self.word(&w.value),
            ast::ExtendedTestExpr::BinaryTest(_, a, b) => {
                self.word(&a.value);
                self.word(&b.value);
            }
        }
    }

    fn compound(&mut self, c: &ast::CompoundCommand) {
        match c {
            ast::CompoundCommand::BraceGroup(ast::BraceGroupCommand(list))
            | ast::CompoundCommand::Subshell(ast::SubshellCommand(list)) => {
                self.compound_list(list)
            }
            ast::CompoundCommand::ForClause(f) => {
                for w in f.values.iter().flatten() {
                    self.word(&w.value);
                }
                self.compound_list(&f.body.0);
            }
            ast::CompoundCommand::CaseClause(case) => {
                self.word(&case.value.value);
                for item in &case.cases {
                    for p in &item.patterns {
                        self.word(&p.value);
                    }
                    if let Some(cmd) = &item.cmd {
                        self.compound_list(cmd);
                    }
                }
            }
            ast::CompoundCommand::IfClause(i) => {
                self.compound_list(&i.condition);
                self.compound_list(&i.then);
                for e in i.elses.iter().flatten() {
                    if let Some(cond) = &e.condition {
                        self.compound_list(cond);
                    }
                    self.compound_list(&e.body);
                }
            }
            ast::CompoundCommand::WhileClause(w) | ast::CompoundCommand::UntilClause(w) => {
                self.compound_list(&w.0);
                self.compound_list(&(w.1).0);
            }
            ast::CompoundCommand::Arithmetic(_) | ast::CompoundCommand::ArithmeticForClause(_) => {
                self.a.opaque = true
            }
        }
    }

    fn simple(&mut self, s: &ast::SimpleCommand) {
        let mut words = Vec::new();
        let items = s
            .prefix
            .iter()
            .flat_map(|p| p.0.iter().map(Item::Prefix))
            .chain(s.word_or_name.iter().map(Item::Word))
            .chain(s.suffix.iter().flat_map(|p| p.0.iter().map(Item::Prefix)));
        for item in items {
            match item {
                Item::Word(w) => self.push_word(&w.value, &mut words),
                Item::Prefix(ast::CommandPrefixOrSuffixItem::Word(w)) => {
                    self.push_word(&w.value, &mut words)
                }
                Item::Prefix(ast::CommandPrefixOrSuffixItem::AssignmentWord(_, w)) => {
                    self.push_word(&w.value, &mut words)
                }
                Item::Prefix(ast::CommandPrefixOrSuffixItem::IoRedirect(r)) => {
                    self.redirect(r, &mut words)
                }
                Item::Prefix(ast::CommandPrefixOrSuffixItem::ProcessSubstitution(_, sub)) => {
                    words.push("<(...)".to_string());
                    self.compound_list(&sub.0);
                }
            }
        }
        let command = SimpleCommand { words };
        self.nested_shell(&command);
        if !command.words.is_empty() {
            self.a.commands.push(command);
        }
    }

    /// `sh -c STRING`, `bash -c STRING`, `eval ARGS`: the string is a command too.
    fn nested_shell(&mut self, command: &SimpleCommand) {
        let argv = command.argv();
        let Some(first) = argv.first() else { return };
        let program = basename(first);
        let inner = if program == "eval" {
            Some(argv[1..].join(" "))
        } else if SHELLS.contains(&program) {
            argv.iter()
                .position(|w| w.starts_with('-') && !w.starts_with("--") && w.contains('c'))
                .and_then(|i| argv.get(i + 1))
                .map(|s| s.to_string())
        } else {
            None
        };
        if let Some(inner) = inner {
            let mut nested = Analysis::default();
            match analyse_into(&inner, &mut nested, self.depth + 1) {
                Ok(()) => {
                    self.a.opaque |= nested.opaque;
                    self.a.commands.extend(nested.commands);
                    self.a.words.extend(nested.words);
                }
                Err(_) => self.a.opaque = true,
            }
        }
    }

    fn redirect(&mut self, r: &ast::IoRedirect, words: &mut Vec<String>) {
        match r {
            ast::IoRedirect::File(fd, kind, target) => {
                let op = format!("{}{}", fd.map(|f| f.to_string()).unwrap_or_default(), kind);
                words.push(op);
                match target {
                    ast::IoFileRedirectTarget::Filename(w)
                    | ast::IoFileRedirectTarget::Duplicate(w) => self.push_word(&w.value, words),
                    ast::IoFileRedirectTarget::Fd(n) => words.push(n.to_string()),
                    ast::IoFileRedirectTarget::ProcessSubstitution(_, sub) => {
                        words.push("(...)".to_string());
                        self.compound_list(&sub.0);
                    }
                }
            }
            ast::IoRedirect::OutputAndError(w, append) => {
                words.push(if *append { "&>>" } else { "&>" }.to_string());
                self.push_word(&w.value, words);
            }
            ast::IoRedirect::HereString(_, w) => {
                words.push("<<<".to_string());
                self.push_word(&w.value, words);
            }
            ast::IoRedirect::HereDocument(_, doc) => {
                words.push("<<".to_string());
                if doc.requires_expansion {
                    // The body expands like a double-quoted string: `$(...)` in it runs.
                    self.word(&format!("\"{}\"", doc.doc.value.replace('"', "\\\"")));
                }
            }
        }
    }

    /// Record a word of a command and analyse what it runs.
    fn push_word(&mut self, raw: &str, words: &mut Vec<String>) {
        self.word(raw);
        let plain = unquote(raw);
        self.a.words.push(plain.clone());
        words.push(plain);
    }

    /// Analyse the commands a word runs when it is expanded.
    fn word(&mut self, raw: &str) {
        if !raw.contains(['$', '`', '<', '>']) {
            return;
        }
        match brush_parser::word::parse(raw, &brush_parser::ParserOptions::default()) {
            Ok(pieces) => {
                for p in pieces {
                    self.piece(&p.piece, raw.get(p.start_index..p.end_index).unwrap_or(raw));
                }
            }
            Err(_) => self.a.opaque = true,
        }
    }

    fn piece(&mut self, piece: &WordPiece, source: &str) {
        match piece {
            WordPiece::CommandSubstitution(inner)
            | WordPiece::BackquotedCommandSubstitution(inner) => {
                let mut nested = Analysis::default();
                match analyse_into(inner, &mut nested, self.depth + 1) {
                    Ok(()) => {
                        self.a.opaque |= nested.opaque;
                        self.a.commands.extend(nested.commands);
                        self.a.words.extend(nested.words);
                    }
                    Err(_) => self.a.opaque = true,
                }
            }
            WordPiece::DoubleQuotedSequence(seq) | WordPiece::GettextDoubleQuotedSequence(seq) => {
                for p in seq {
                    self.piece(&p.piece, source);
                }
            }
            // Expansions whose text holds a substitution (`${x:-$(cmd)}`, `$(( $(cmd) ))`) run
            // it; they are not taken apart here.
            WordPiece::ParameterExpansion(_) | WordPiece::ArithmeticExpression(_) => {
                if source.contains("$(") || source.contains('`') || source.contains("<(") {
                    self.a.opaque = true;
                }
            }
            WordPiece::Text(_)
            | WordPiece::SingleQuotedText(_)
            | WordPiece::AnsiCQuotedText(_)
            | WordPiece::TildePrefix(_)
            | WordPiece::EscapeSequence(_) => {}
        }
    }
}

/// The word after quote removal (one level, as the shell does): `'a "b"'` is `a "b"`.
/// Expansions are kept as written.
pub fn unquote(raw: &str) -> String {
    fn pieces(list: &[brush_parser::word::WordPieceWithSource], raw: &str, out: &mut String) {
        for p in list {
            match &p.piece {
                WordPiece::Text(t)
                | WordPiece::SingleQuotedText(t)
                | WordPiece::AnsiCQuotedText(t) => out.push_str(t),
                WordPiece::EscapeSequence(e) => out.push_str(e.strip_prefix('\\').unwrap_or(e)),
                WordPiece::TildePrefix(t) => {
                    out.push('~');
                    out.push_str(t);
                }
                WordPiece::DoubleQuotedSequence(seq)
                | WordPiece::GettextDoubleQuotedSequence(seq) => pieces(seq, raw, out),
                WordPiece::ParameterExpansion(_)
                | WordPiece::CommandSubstitution(_)
                | WordPiece::BackquotedCommandSubstitution(_)
                | WordPiece::ArithmeticExpression(_) => {
                    out.push_str(raw.get(p.start_index..p.end_index).unwrap_or(""))
                }
            }
        }
    }
    let options = brush_parser::ParserOptions {
        tilde_expansion: false,
        ..Default::default()
    };
    match brush_parser::word::parse(raw, &options) {
        Ok(list) => {
            let mut out = String::new();
            pieces(&list, raw, &mut out);
            out
        }
        Err(_) => brush_parser::unquote_str(raw),
    }
}

enum Item<'a> {
    Word(&'a ast::Word),
    Prefix(&'a ast::CommandPrefixOrSuffixItem),
}

pub(super) fn is_redirect_word(w: &str) -> bool {
    let op = w.trim_start_matches(|c: char| c.is_ascii_digit());
    matches!(
        op,
        ">" | ">>" | "<" | "<>" | ">|" | "<&" | ">&" | "&>" | "&>>" | "<<<" | "<<"
    )
}

fn is_assignment(w: &str) -> bool {
    match w.split_once('=') {
        Some((name, _)) => {
            let name = name.trim_end_matches('+');
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

pub(super) fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// `sudo -u x rm -rf /` -> `rm -rf /`; `env A=1 rm` -> `rm`; `timeout 5 rm` -> `rm`. Flags of
/// the wrapper are dropped, and for `timeout` and `nice -n` their value too (best effort).
fn strip_wrapper(argv: &[String]) -> Vec<String> {
    let wrapper = basename(&argv[0]).to_string();
    let mut i = 1;
    while i < argv.len() {
        let w = &argv[i];
        if w == "--" {
            i += 1;
            break;
        }
        if w.starts_with('-') {
            // Flags with a separate value.
            let takes_value = matches!(
                (wrapper.as_str(), w.as_str()),
                ("sudo", "-u" | "-g" | "-C" | "-D" | "-h" | "-p" | "-U")
                    | ("nice", "-n")
                    | ("timeout", "-s" | "-k" | "--signal" | "--kill-after")
                    | (
                        "xargs",
                        "-I" | "-n" | "-P" | "-L" | "-s" | "-d" | "-E" | "-a"
                    )
                    | ("env", "-u" | "-C" | "-S")
                    | ("ionice", "-c" | "-n" | "-p")
                    | ("watch", "-n" | "-d")
                    | ("chrt" | "taskset", _)
            );
            i += if takes_value { 2 } else { 1 };
            continue;
        }
        if wrapper == "env" && is_assignment(w) {
            i += 1;
            continue;
        }
        if wrapper == "timeout" && w.starts_with(|c: char| c.is_ascii_digit()) {
            i += 1;
        }
        break;
    }
    argv.get(i..).map(<[String]>::to_vec).unwrap_or_default()
}

/// Split a rule's command pattern into words the way the shell would (quotes removed).
/// `Err` when it is not one plain command.
pub fn pattern_words(pattern: &str) -> Result<Vec<String>, String> {
    let analysis = analyse(pattern).map_err(|e| format!("not a shell command ({e})"))?;
    if analysis.commands.len() != 1 || analysis.opaque {
        return Err(
            "a rule matches one plain command: write one rule per command, without `;`, `&&`, `|` or `$(...)`"
                .to_string(),
        );
    }
    Ok(analysis.commands[0].words.clone())
}

#[cfg(test)]
#[path = "shell_tests.rs"]
mod tests;
