//! Deterministic classifier of one user message into the built-in router categories:
//! `coding-complex`, `coding-moderate`, `coding-simple`, `research`, `summarization`,
//! `conversation`, `general`, `offline`. Same input, same answer: no model, no randomness.
//! Every regex is compiled once, with ASCII word boundaries so non-ASCII text stays on the
//! regex engine's fast path. A long message is scanned only in its first [`SCAN_HEAD`] and
//! last [`SCAN_TAIL`] bytes (the instruction is usually before or after a paste; the length
//! signals use the whole text), so a pasted megabyte costs about the same as a page.
//!
//! # Signals
//!
//! Coding score (the message is coding when the score reaches [`CODING_THRESHOLD`] = 3):
//!
//! | signal | points |
//! |---|---|
//! | a fenced code block (```` ``` ```` or `~~~` at a line start) | +3 |
//! | three or more code-like lines without a fence (`fn `, `def `, `import `, lines ending in `;`/`{`, ...) | +3 |
//! | a stack trace (Python traceback, `panicked at`, `at f(File.java:12)`, `goroutine N [`, ...) | +3 |
//! | a compiler/runtime error (`error[E0382]`, `TypeError:`, `tests failing`, `exits with code 137`, `fails with`, `permission denied`, ...) | +2 |
//! | a file path or source file name (`src/main.rs`, `app.py`, `Cargo.toml`) | +2 |
//! | a coding verb (`refactor`, `debug`, `implement`, `compile`, `review this PR`, `write a function/script/test ...`) | +2 |
//! | a code reference (`my code`, `this script`, `the build`, `our endpoint`, ...) | +2 |
//! | the active agent is a coding agent (its name contains code, review, dev, engineer, program) | +2 |
//! | a coding question (`git command`, `one-liner`, `regex`, `time complexity`, `how do I ... in Rust`) | +2 |
//! | an engineering phrase (any large-scale phrase of the complexity table below) | +2 |
//! | an inline code snippet with code punctuation (`` `f(x);` ``, `` `a::b` ``) | +2 |
//! | other inline code (`` `x` ``) | +1 |
//! | code identifiers (`foo()`, `snake_case`, `camelCase`, `PascalCase`, `a::b`, `--flag`) | +1 |
//! | a change verb (`fix`, `add`, `rename`, `remove`, `update`, `optimise`, `convert`, ...) | +1 |
//! | programming terms (language names, `function`, `struct`, `API`, `git`, `docker`, ...) | +1 each distinct, at most +3 |
//!
//! Complexity of a coding message (complex at [`COMPLEX_THRESHOLD`] = 3 points):
//!
//! | signal | points |
//! |---|---|
//! | a large-scale phrase (`architecture`, `redesign`, `migrate`, `across the codebase`, `race condition`, `memory leak`, `from scratch`, `design a system`, ...) | +3 |
//! | `refactor` | +2 |
//! | length over 1,500 / 4,000 / 12,000 characters | +1 / +2 / +3 |
//! | two / three or more distinct file paths | +1 / +2 |
//! | more than 50 / 150 lines inside code fences | +1 / +2 |
//! | a stack trace | +1 |
//!
//! Below the threshold, a coding message is `coding-simple` when it has a small-task phrase
//! (`typo`, `rename`, `one-liner`, `regex`, `syntax`, `explain`, `what does this ... do`, `how do
//! I ... in rust`, ...) or is a short question (under 200 characters, ends with `?` or starts
//! with how/what/why/..., no fence, stack trace, error message or coding verb); otherwise
//! `coding-moderate`.
//!
//! # Order of decision (first that applies wins)
//!
//! 1. `offline`: an explicit request to stay local (`offline only`, `offline:` at the start,
//!    `air-gapped`, `use a local model`, `keep this private`, `don't send this to the cloud`,
//!    `confidential`). Privacy beats every other signal.
//! 2. a short continuation (`yes`, `go ahead`, `continue`, `try again`, ... under 60 characters)
//!    keeps the previous message's category, so "ok, do it" after a refactoring request stays
//!    on the same model.
//! 3. `summarization`: `summarise`/`summary`/`tl;dr`/`key points`/`recap`/... and no coding verb.
//! 4. coding (score >= 3), split into complex / moderate / simple as above.
//! 5. `research`: `research`, `investigate`, `compare`, `pros and cons`, `trade-offs`,
//!    `alternatives to`, `state of the art`, `sources`, `versus`, ...
//! 6. `conversation`: greetings, thanks, farewells, small talk (`how are you`, `tell me a
//!    joke`, `I feel ...`), or a very short message (24 characters or less) without a question mark.
//! 7. `research` when the active agent is a research agent (its name contains `research`).
//! 8. `general`.

use serde::Serialize;
use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

/// Bytes from the start of a message that the pattern signals look at.
pub const SCAN_HEAD: usize = 48 * 1024;
/// Bytes from the end of a long message that the pattern signals look at too.
pub const SCAN_TAIL: usize = 16 * 1024;
/// Coding score from which a message counts as coding.
pub const CODING_THRESHOLD: i32 = 3;
/// Complexity points from which a coding message is `coding-complex`.
pub const COMPLEX_THRESHOLD: i32 = 3;

/// A built-in router category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    CodingComplex,
    CodingModerate,
    CodingSimple,
    Research,
    Summarization,
    Conversation,
    General,
    Offline,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::CodingComplex,
        Category::CodingModerate,
        Category::CodingSimple,
        Category::Research,
        Category::Summarization,
        Category::Conversation,
        Category::General,
        Category::Offline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::CodingComplex => "coding-complex",
            Category::CodingModerate => "coding-moderate",
            Category::CodingSimple => "coding-simple",
            Category::Research => "research",
            Category::Summarization => "summarization",
            Category::Conversation => "conversation",
            Category::General => "general",
            Category::Offline => "offline",
        }
    }

    /// The names, comma separated, for error messages.
    pub fn names() -> String {
        Category::ALL
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown category `{s}`: use one of {}", Category::names()))
    }
}

/// What the classifier looks at.
#[derive(Debug, Clone, Copy)]
pub struct ClassifyInput<'a> {
    pub text: &'a str,
    /// Name of the active agent.
    pub agent: &'a str,
    /// Category of the previous user message in this conversation, if any.
    pub previous: Option<Category>,
}

/// Which score a signal adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Score {
    Coding,
    Complexity,
    /// A signal that decides the category by itself (offline, summary, research, ...).
    Decisive,
}

/// One signal that fired, for `harness route` and tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signal {
    pub name: String,
    pub score: Score,
    pub points: i32,
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.score {
            Score::Decisive => f.write_str(&self.name),
            Score::Coding => write!(f, "{} (coding {:+})", self.name, self.points),
            Score::Complexity => write!(f, "{} (complexity {:+})", self.name, self.points),
        }
    }
}

/// The classifier's answer and the signals behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    pub category: Category,
    pub coding_score: i32,
    pub complexity: i32,
    pub signals: Vec<Signal>,
}

/// A regex compiled on first use. The patterns are constants that the `every_pattern_compiles`
/// test checks; should one ever fail to compile it matches nothing instead of panicking.
struct Pattern(LazyLock<Option<regex::Regex>>);

impl Pattern {
    fn is_match(&self, text: &str) -> bool {
        self.0.as_ref().is_some_and(|r| r.is_match(text))
    }

    fn find_iter<'t>(&'t self, text: &'t str) -> impl Iterator<Item = regex::Match<'t>> + 't {
        self.0
            .as_ref()
            .into_iter()
            .flat_map(move |r| r.find_iter(text))
    }

    /// The first match, trimmed and lower-cased, for naming the signal.
    fn first(&self, text: &str) -> Option<String> {
        self.find_iter(text)
            .next()
            .map(|m| m.as_str().trim().to_lowercase())
    }
}

macro_rules! pattern {
    ($name:ident, $re:expr) => {
        static $name: Pattern = Pattern(LazyLock::new(|| {
            // ASCII word boundaries: a Unicode `\b` makes the regex engine leave its fast DFA
            // on non-ASCII text (measured: 64 KiB of German took ~290 ms instead of ~5 ms).
            regex::Regex::new(&$re.replace(r"\b", r"(?-u:\b)")).ok()
        }));
    };
}

pattern!(
    OFFLINE,
    r"(?i)(^\s*[#\[]?offline\b|#offline\b|\boffline[- ](only|mode)\b|\b(stay|answer|respond|work|run) offline\b|\bair-?gapped\b|\blocal[- ]only\b|\b(use|using|with|on|via) (a |the |my )?local (model|llm)\b|\bkeep (this|it|everything) (local|private|on (this|my) machine)\b|\b(don'?t|do not|never) (send|upload|share) (this|it|anything)\b[^.\n]{0,30}\b(cloud|internet|online|server|api|provider|anyone)|\bconfidential\b)"
);
pattern!(
    CONTINUATION,
    r"(?i)^\s*(yes|yep|yeah|ok|okay|sure|go ahead|continue|proceed|do it|go on|keep going|try again|retry|again|next|please do|sounds good|looks good|lgtm|more)\b[\s\w,.!']*$"
);
pattern!(
    SUMMARY,
    r"(?i)\b(summari[sz]e|summari[sz]ing|summary|summarization|summarisation|tl;?dr|key (points|takeaways)|main points|condense|recap|in a nutshell|boil (it|this) down|the gist|shorten (this|it))\b"
);
pattern!(CODE_FENCE, r"(?m)^\s*(```|~~~)");
pattern!(
    CODE_LINE,
    r"(?m)^\s*(fn |pub |def |class |import |from \S+ import |#include|function |const |let |var |return\b|if \(|for \(|while \(|public |private |package |use \w+::|impl |struct |SELECT |INSERT |CREATE TABLE )|[;{]\s*$"
);
pattern!(
    STACK_TRACE,
    r#"(?m)(Traceback \(most recent call last\)|panicked at|stack backtrace:|Exception in thread|^\s*File "[^"]+", line \d+|^\s+at [\w$.<>]+\([^)]*:\d+\)|^\s+at .+:\d+:\d+\)?\s*$|goroutine \d+ \[|Segmentation fault|core dumped)"#
);
pattern!(
    ERROR_MESSAGE,
    r"(?i)(error\[E\d{4}\]|\b\w+(Error|Exception):|\berror:|\bundefined reference\b|\bnull ?pointer\b|\bsegfault\b|\bcompil(e|er|ation) (error|errors|fails|failed)\b|\bbuild (fails|failed|is failing|breaks)\b|\btests? (fail|fails|failed|failing)\b|\bexit (code|status) \d+|\bexit(s|ed|ing)? (\w+ ){0,3}with (code|status) \d+|\b(fails|failed|failing|crashes|crashed) with\b|\bpermission denied\b|\bcommand not found\b|\bno such file or directory\b)"
);
pattern!(
    FILE_PATH,
    r"(?i)(\b[\w./-]*\w\.(rs|py|pyi|ts|tsx|js|jsx|mjs|cjs|go|java|kt|kts|swift|c|h|cc|cpp|hpp|cs|rb|php|scala|hs|ex|exs|erl|clj|lua|sh|bash|zsh|ps1|sql|toml|ya?ml|json|xml|html|css|scss|vue|svelte|gradle|tf|proto|ipynb|lock|md|rst|cfg|ini|conf|env)\b|\b(src|lib|tests?|app|cmd|pkg|internal|crates|packages)/[\w./-]+|\b(Makefile|Dockerfile|CMakeLists\.txt|package\.json)\b)"
);
pattern!(INLINE_CODE, r"`[^`\n]+`");
pattern!(
    IDENTIFIER,
    r"(\b\w+\(\)|\b[a-z][a-z0-9]*_[a-z0-9_]+\b|\b[a-z]+[A-Z][A-Za-z0-9]*\b|\b[A-Z][a-z]+[A-Z][A-Za-z0-9]*\b|\w::\w|(^|\s)--[a-z][\w-]+)"
);
pattern!(
    CODING_VERB,
    r"(?i)\b(refactor\w*|debug|debugging|debugger|implement|implementing|implementation|compile|compiling|deploy|deploying|unit[- ]tests?|code review|review (this|the|my|our) (pr|diff|code|patch|pull request|commit|changes)|write (a|an|the|some) (\w+ )?(function|script|program|class|method|test|tests|query|regex|macro|module|cli|parser|endpoint|api|component|hook|migration|dockerfile))\b"
);
pattern!(
    CODE_REFERENCE,
    r"(?i)\b(my|this|the|our|your) (code|script|program|function|build|query|tests?|repo|codebase|endpoint|component|crate|package)\b"
);
pattern!(
    CHANGE_VERB,
    r"(?i)\b(fix|fixes|fixing|add|adding|rename|renaming|remove|update|change|modify|optimi[sz]e|port|convert|install|configure)\b"
);
pattern!(
    CODING_TERM,
    r"(?i)(\b(rust|python|javascript|typescript|golang|java|kotlin|swift|haskell|ruby|php|scala|elixir|sql|bash|powershell|function|functions|method|class|struct|enum|trait|interface|variable|compiler|api|endpoint|database|schema|query|regex|git|docker|kubernetes|test suite|bug|crate|npm|cargo|pip|repo|repository|codebase|script|algorithm|async|thread|mutex|pointer|borrow checker|lifetime|closure|lambda|json|yaml|http|css|html|react|frontend|backend|cli|library|dependency|dependencies|linter|clippy|runtime|recursion|pull request|merge conflict|segfault|module|modules|caller|callers|vector|array|hashmap|iterator|stdout|stderr|commit|branch|terminal|code|tests?|bugs|diff|patch|pr|prs|quicksort|mergesort|binary search|linked list|hash table|data structures?|time complexity|component|components|props|re-?renders?|button|django|flask|rails|spring boot|node\.?js|vue|angular|nextjs|next\.js|expressjs|express\.js|oauth2?|tokens?|scheduler|leader election|microservices?|load balancer|caching|webhook|kernel)\b|\bc\+\+|\bc#)"
);
pattern!(
    LARGE_SCALE,
    r"(?i)\b(re-?architect\w*|architecture|architectural|redesign\w*|migrat(e|ion|ing)|rewrite (the|this|our|my) (whole|entire)|from scratch|across (the|all|multiple|several|many) (files|modules|crates|services|packages|codebase|repo)|(whole|entire) (codebase|project|repo|repository|system)|multi-?threaded|concurren(cy|t)|race conditions?|deadlocks?|memory leaks?|thread[- ]safe|distributed|scalab\w+|performance (issue|problem|regression|bottleneck)s?|design (a|an|the) (\w+ )?(system|architecture|service|protocol|engine|framework|database schema)|state machine|lock-?free)\b"
);
pattern!(
    CODING_QUESTION,
    r"(?i)(\b(git|shell|bash|terminal|docker|cargo|npm) command\b|\bone-?liner\b|\bregex\b|\btime complexity\b|\bbig-?o\b|\bhow (do|can|to|would|should) (i |you |we )?(\w+ ){0,6}in (rust|python|javascript|typescript|go|golang|java|kotlin|c\+\+|c#|bash|sql|shell|ruby|php)\b)"
);
pattern!(INLINE_SNIPPET, r"`[^`\n]*([(){};=]|::|->)[^`\n]*`");
pattern!(
    QUESTION,
    r"(?i)(\?\s*$|^\s*(how|what|what's|why|which|where|when|can|could|is|are|does|do|should)\b)"
);
pattern!(REFACTOR, r"(?i)\brefactor\w*\b");
pattern!(
    SMALL_TASK,
    r"(?i)(\b(typo|typos|rename|one-?liner|regex|syntax|indentation|explain|explanation)\b|\bwhat does (this|the|that) \w+ (do|mean)\b|\bwhat('s| is) the (command|syntax|flag|option)\b|\bhow (do|can) i (\w+ ){0,6}in (rust|python|javascript|typescript|go|java|bash|sql|shell)\b|\bconvert (this|a|the) \w+ (to|into)\b|\b(shell|git) command\b|\bquick question\b|\bsmall (change|fix)\b)"
);
pattern!(
    RESEARCH,
    r"(?i)\b(research|investigate|compare|comparison|comparing|pros and cons|trade-?offs?|alternatives to|state of the art|survey|literature|sources|citations?|find (me )?(papers|articles|studies|sources)|look up|latest (news|developments|research)|what are the differences|differences between|versus|vs\.?|evaluate|in-depth analysis|deep dive|market analysis)\b"
);
pattern!(
    CONVERSATION,
    r"(?i)(^\s*(hi|hello|hey|heya|yo|hiya|howdy|good (morning|afternoon|evening|night)|thanks|thank you|thx|cheers|bye|goodbye|see you)\b|\b(how are you|how's it going|what's up|tell me a joke|nice to meet you|who are you|i'm feeling|i am feeling|i feel|let's (chat|talk)|how was your day)\b)"
);
pattern!(
    CODING_AGENT,
    r"(?i)(code|coder|coding|review|dev|engineer|program)"
);
pattern!(RESEARCH_AGENT, r"(?i)research");

/// What the pattern signals scan: the whole text when short, else its head and tail joined by
/// a blank line (cut on char boundaries).
fn scan_text(text: &str) -> Cow<'_, str> {
    if text.len() <= SCAN_HEAD + SCAN_TAIL {
        return Cow::Borrowed(text);
    }
    let mut head_end = SCAN_HEAD;
    while !text.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut tail_start = text.len() - SCAN_TAIL;
    while !text.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    Cow::Owned(format!("{}\n\n{}", &text[..head_end], &text[tail_start..]))
}

/// Lines inside code fences (fence lines excluded).
fn fenced_lines(text: &str) -> usize {
    let mut inside = false;
    let mut count = 0;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            inside = !inside;
        } else if inside {
            count += 1;
        }
    }
    count
}

struct Collector {
    signals: Vec<Signal>,
}

impl Collector {
    fn add(&mut self, name: impl Into<String>, score: Score, points: i32) -> i32 {
        self.signals.push(Signal {
            name: name.into(),
            score,
            points,
        });
        points
    }
}

/// Classify one message. Pure and deterministic.
///
/// One pass over the message's signals in a fixed order; the scores add up, and splitting would
/// scatter the weights.
pub fn classify(input: &ClassifyInput<'_>) -> Classification {
    let scanned = scan_text(input.text);
    let text: &str = &scanned;
    let chars = input.text.chars().count();
    let mut c = Collector {
        signals: Vec::new(),
    };
    let done = |c: Collector, category, coding_score, complexity| Classification {
        category,
        coding_score,
        complexity,
        signals: c.signals,
    };

    if let Some(m) = OFFLINE.first(text) {
        c.add(format!("offline request `{m}`"), Score::Decisive, 0);
        return done(c, Category::Offline, 0, 0);
    }
    if let Some(previous) = input.previous
        && chars <= 60
        && CONTINUATION.is_match(text)
    {
        c.add(
            format!("short continuation: keeps the previous category {previous}"),
            Score::Decisive,
            0,
        );
        return done(c, previous, 0, 0);
    }

    // Coding score.
    let mut coding = 0;
    let fence = CODE_FENCE.is_match(text);
    if fence {
        coding += c.add("code fence", Score::Coding, 3);
    } else if CODE_LINE.find_iter(text).take(3).count() >= 3 {
        coding += c.add("code-like lines", Score::Coding, 3);
    }
    let trace = STACK_TRACE.is_match(text);
    if trace {
        coding += c.add("stack trace", Score::Coding, 3);
    }
    let error_message = ERROR_MESSAGE.first(text);
    let has_error = error_message.is_some();
    if let Some(m) = error_message {
        coding += c.add(format!("error message `{m}`"), Score::Coding, 2);
    }
    let mut paths: Vec<&str> = FILE_PATH.find_iter(text).map(|m| m.as_str()).collect();
    paths.sort_unstable();
    paths.dedup();
    if let Some(first) = paths.first() {
        coding += c.add(format!("file path `{first}`"), Score::Coding, 2);
    }
    let coding_verb = CODING_VERB.first(text);
    if let Some(m) = &coding_verb {
        coding += c.add(format!("coding verb `{m}`"), Score::Coding, 2);
    }
    if let Some(m) = CODE_REFERENCE.first(text) {
        coding += c.add(format!("code reference `{m}`"), Score::Coding, 2);
    }
    if CODING_AGENT.is_match(input.agent) {
        coding += c.add(format!("coding agent `{}`", input.agent), Score::Coding, 2);
    }
    if INLINE_SNIPPET.is_match(text) {
        coding += c.add("inline code snippet", Score::Coding, 2);
    } else if INLINE_CODE.is_match(text) {
        coding += c.add("inline code", Score::Coding, 1);
    }
    if let Some(m) = CODING_QUESTION.first(text) {
        coding += c.add(format!("coding question `{m}`"), Score::Coding, 2);
    }
    let large_scale = LARGE_SCALE.first(text);
    if let Some(m) = &large_scale {
        coding += c.add(format!("engineering phrase `{m}`"), Score::Coding, 2);
    }
    if let Some(m) = IDENTIFIER.first(text) {
        coding += c.add(format!("code identifier `{m}`"), Score::Coding, 1);
    }
    if let Some(m) = CHANGE_VERB.first(text) {
        coding += c.add(format!("change verb `{m}`"), Score::Coding, 1);
    }
    let mut terms: Vec<String> = CODING_TERM
        .find_iter(text)
        .map(|m| m.as_str().to_lowercase())
        .collect();
    terms.sort_unstable();
    terms.dedup();
    for term in terms.iter().take(3) {
        coding += c.add(format!("programming term `{term}`"), Score::Coding, 1);
    }

    if let Some(m) = SUMMARY.first(text)
        && coding_verb.is_none()
    {
        c.add(format!("summary request `{m}`"), Score::Decisive, 0);
        return done(c, Category::Summarization, coding, 0);
    }

    if coding >= CODING_THRESHOLD {
        let mut complexity = 0;
        if let Some(m) = large_scale {
            complexity += c.add(format!("large-scale `{m}`"), Score::Complexity, 3);
        }
        if REFACTOR.is_match(text) {
            complexity += c.add("refactor", Score::Complexity, 2);
        }
        let length_points = match chars {
            n if n > 12_000 => 3,
            n if n > 4_000 => 2,
            n if n > 1_500 => 1,
            _ => 0,
        };
        if length_points > 0 {
            complexity += c.add(
                format!("length {chars} chars"),
                Score::Complexity,
                length_points,
            );
        }
        match paths.len() {
            0 | 1 => {}
            2 => complexity += c.add("2 file paths", Score::Complexity, 1),
            n => complexity += c.add(format!("{n} file paths"), Score::Complexity, 2),
        }
        let fenced = if fence { fenced_lines(text) } else { 0 };
        if fenced > 150 {
            complexity += c.add(format!("{fenced} lines of code"), Score::Complexity, 2);
        } else if fenced > 50 {
            complexity += c.add(format!("{fenced} lines of code"), Score::Complexity, 1);
        }
        if trace {
            complexity += c.add("stack trace", Score::Complexity, 1);
        }

        let category = if complexity >= COMPLEX_THRESHOLD {
            Category::CodingComplex
        } else if let Some(m) = SMALL_TASK.first(text) {
            c.add(format!("small task `{m}`"), Score::Decisive, 0);
            Category::CodingSimple
        } else if chars < 200
            && QUESTION.is_match(text)
            && !fence
            && !trace
            && !has_error
            && coding_verb.is_none()
        {
            c.add("short question", Score::Decisive, 0);
            Category::CodingSimple
        } else {
            Category::CodingModerate
        };
        return done(c, category, coding, complexity);
    }

    if let Some(m) = RESEARCH.first(text) {
        c.add(format!("research request `{m}`"), Score::Decisive, 0);
        return done(c, Category::Research, coding, 0);
    }
    if let Some(m) = CONVERSATION.first(text) {
        c.add(format!("small talk `{m}`"), Score::Decisive, 0);
        return done(c, Category::Conversation, coding, 0);
    }
    if chars <= 24 && !text.contains('?') {
        c.add("very short message", Score::Decisive, 0);
        return done(c, Category::Conversation, coding, 0);
    }
    if RESEARCH_AGENT.is_match(input.agent) {
        c.add(
            format!("research agent `{}`", input.agent),
            Score::Decisive,
            0,
        );
        return done(c, Category::Research, coding, 0);
    }
    done(c, Category::General, coding, 0)
}

#[cfg(test)]
fn all_patterns() -> Vec<(&'static str, &'static Pattern)> {
    vec![
        ("OFFLINE", &OFFLINE),
        ("CONTINUATION", &CONTINUATION),
        ("SUMMARY", &SUMMARY),
        ("CODE_FENCE", &CODE_FENCE),
        ("CODE_LINE", &CODE_LINE),
        ("STACK_TRACE", &STACK_TRACE),
        ("ERROR_MESSAGE", &ERROR_MESSAGE),
        ("FILE_PATH", &FILE_PATH),
        ("INLINE_CODE", &INLINE_CODE),
        ("IDENTIFIER", &IDENTIFIER),
        ("CODING_VERB", &CODING_VERB),
        ("CHANGE_VERB", &CHANGE_VERB),
        ("CODE_REFERENCE", &CODE_REFERENCE),
        ("CODING_TERM", &CODING_TERM),
        ("LARGE_SCALE", &LARGE_SCALE),
        ("REFACTOR", &REFACTOR),
        ("CODING_QUESTION", &CODING_QUESTION),
        ("INLINE_SNIPPET", &INLINE_SNIPPET),
        ("QUESTION", &QUESTION),
        ("SMALL_TASK", &SMALL_TASK),
        ("RESEARCH", &RESEARCH),
        ("CONVERSATION", &CONVERSATION),
        ("CODING_AGENT", &CODING_AGENT),
        ("RESEARCH_AGENT", &RESEARCH_AGENT),
    ]
}

#[cfg(test)]
mod tests;

/// Compile the patterns now (they are compiled on first use, which costs tens of milliseconds):
/// call on a background thread at start-up so the first message is not the one that waits.
pub fn warm_up() {
    let _ = classify(&ClassifyInput {
        text: "warm up: refactor src/main.rs, summarize, explain `fn x() {}`",
        agent: "general",
        previous: None,
    });
}
