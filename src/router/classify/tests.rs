use super::*;
use Category::*;
use std::borrow::Cow;

fn cat(text: &str) -> Category {
    cat_as(text, "general", None)
}

fn cat_as(text: &str, agent: &str, previous: Option<Category>) -> Category {
    classify(&ClassifyInput {
        text,
        agent,
        previous,
    })
    .category
}

#[test]
fn every_pattern_compiles() {
    for (name, pattern) in all_patterns() {
        assert!(pattern.0.is_some(), "pattern {name} does not compile");
    }
}

#[test]
fn category_names_round_trip() {
    for c in Category::ALL {
        assert_eq!(c.as_str().parse::<Category>(), Ok(c));
        assert_eq!(
            serde_json::to_value(c).unwrap(),
            serde_json::json!(c.as_str())
        );
    }
    let err = "coding".parse::<Category>().unwrap_err();
    assert!(
        err.contains("coding-complex") && err.contains("offline"),
        "{err}"
    );
}

const RUST_TRACE: &str = "thread 'main' panicked at src/store/mod.rs:88:14:\ncalled `Result::unwrap()` on an `Err` value: Io(Os { code: 2 })\nstack backtrace:\n   0: rust_begin_unwind\n   1: core::panicking::panic_fmt";

const PY_TRACE: &str = "Traceback (most recent call last):\n  File \"app.py\", line 12, in <module>\n    main()\n  File \"app.py\", line 8, in main\n    x = items[3]\nIndexError: list index out of range";

#[test]
fn classifies_realistic_prompts() {
    let long_pasted_code = format!(
        "Here is our module:\n```rust\n{}```\nCan you make it faster?",
        "fn f(x: u32) -> u32 { x + 1 }\n".repeat(80)
    );
    let cases: Vec<(&str, Category)> = vec![
        // coding-complex
        (
            "Refactor the storage layer across the codebase so that every module uses the new Store handle instead of opening rusqlite connections directly",
            CodingComplex,
        ),
        (
            "Design a plugin architecture for our Rust CLI: dynamic loading, versioned API, sandboxing",
            CodingComplex,
        ),
        (
            "We have a race condition in the session actor: two UserTurn ops interleave and the second one sees a stale conversation id. Find it and fix it.",
            CodingComplex,
        ),
        (
            "Migrate the whole project from actix-web to axum, keeping every endpoint and middleware working",
            CodingComplex,
        ),
        (
            "Refactor src/router/rules.rs, src/router/classify.rs and src/cli/route.rs so the trace type lives in one place",
            CodingComplex,
        ),
        (long_pasted_code.as_str(), CodingModerate),
        // coding-moderate
        (
            "Implement a `--limit` flag for `history list` that caps the number of rows",
            CodingModerate,
        ),
        (RUST_TRACE, CodingModerate),
        (PY_TRACE, CodingModerate),
        (
            "The build fails with error[E0382]: borrow of moved value: `config` in src/cli/run.rs, how do I fix it?",
            CodingModerate,
        ),
        (
            "Write a Python script that walks a directory tree and prints the ten largest files with their sizes, skipping symlinks and anything under .git",
            CodingModerate,
        ),
        (
            "```python\ndef add(a, b):\n    return a - b\n```\nThe unit tests fail for add(2, 2). Fix the function and add a test case for negatives.",
            CodingModerate,
        ),
        (
            "Add pagination to the /users endpoint in our Express API, with cursor-based paging and tests",
            CodingModerate,
        ),
        // coding-simple
        ("How do I reverse a vector in Rust?", CodingSimple),
        (
            "what's the git command to undo the last commit but keep the changes",
            CodingSimple,
        ),
        (
            "Fix the typo in README.md: 'recieve' should be 'receive'",
            CodingSimple,
        ),
        (
            "Write a regex that matches ISO dates like 2024-01-31 in JavaScript",
            CodingSimple,
        ),
        (
            "Explain what this does:\n```bash\nfind . -name '*.log' -mtime +7 -delete\n```",
            CodingSimple,
        ),
        (
            "rename the function `parse_cfg` to `parse_config` in src/config/load.rs",
            CodingSimple,
        ),
        (
            "What does this function do? `fn id<T>(x: T) -> T { x }`",
            CodingSimple,
        ),
        (
            "Why is my Docker container exiting immediately with code 137?",
            CodingModerate,
        ),
        ("what's the time complexity of quicksort?", CodingSimple),
        (
            "My React component re-renders on every keystroke, how do I stop that?",
            CodingSimple,
        ),
        ("why does my code not work", CodingSimple),
        ("convert this JSON to YAML: {\"a\": 1}", CodingSimple),
        ("Review this PR diff and point out bugs", CodingModerate),
        (
            "npm install fails with EACCES permission denied",
            CodingModerate,
        ),
        (
            "Can you write unit tests for the parser module?",
            CodingModerate,
        ),
        (
            "Write a SQL query that returns the top 5 customers by revenue",
            CodingModerate,
        ),
        (
            "Implement OAuth2 login with Google for our Django app, including refresh tokens and tests",
            CodingModerate,
        ),
        (
            "Set up GitHub Actions CI for this Rust project with clippy and tests",
            CodingModerate,
        ),
        (
            "I need to build a distributed job scheduler in Go with leader election and retries",
            CodingComplex,
        ),
        // research
        (
            "What are the latest developments in fusion energy research?",
            Research,
        ),
        (
            "Which is better for a startup, AWS or GCP? Compare them.",
            Research,
        ),
        (
            "Compare PostgreSQL and MySQL for a write-heavy analytics workload: pros and cons",
            Research,
        ),
        (
            "Research the state of the art in retrieval augmented generation and give me sources",
            Research,
        ),
        (
            "What are the trade-offs between event sourcing and CRUD?",
            Research,
        ),
        ("tokio vs async-std for a small web backend", Research),
        (
            "Investigate why solar panel efficiency drops in hot climates",
            Research,
        ),
        // summarization
        (
            "Summarize this article in three bullet points:\n\nThe city council voted on Tuesday to expand the bike lane network...",
            Summarization,
        ),
        (
            "tl;dr of the meeting notes below please\n- budget approved\n- hiring freeze lifted",
            Summarization,
        ),
        ("Give me the key points of this email thread", Summarization),
        (
            "Summarise this stack trace for the bug report:\nTraceback (most recent call last):\n  File \"a.py\", line 1",
            Summarization,
        ),
        // conversation
        ("hi!", Conversation),
        ("Thanks, that worked perfectly", Conversation),
        ("Good morning! How are you today?", Conversation),
        ("tell me a joke about penguins", Conversation),
        ("I feel a bit overwhelmed with work this week", Conversation),
        ("cool", Conversation),
        // general
        ("What is the capital of Australia?", General),
        ("Explain how vaccines train the immune system", General),
        (
            "Write a short birthday poem for my sister who loves hiking and cats",
            General,
        ),
        (
            "Fix this sentence: me and him goes to the store yesterday.",
            General,
        ),
        ("How long should I boil an egg for a runny yolk?", General),
        ("What's a good name for a bakery?", General),
        (
            "Translate this paragraph into Spanish: The weather is lovely today.",
            General,
        ),
        ("Explain the difference between TCP and UDP", General),
        ("Plan a 3-day trip to Lisbon", General),
        (
            "Help me write a cover letter for a backend engineer role",
            General,
        ),
        (
            "Draft an email to my landlord about the broken heater",
            General,
        ),
        ("Please proofread my essay below.", General),
        (
            "I want to express my thanks to the class teacher in a short note",
            General,
        ),
        // offline
        (
            "offline: what does this contract clause mean for my salary?",
            Offline,
        ),
        (
            "Use a local model for this one. Review my diary entry for tone.",
            Offline,
        ),
        (
            "This is confidential: summarise the board minutes below",
            Offline,
        ),
        (
            "Don't send this to the cloud. Refactor src/secret.rs across the codebase",
            Offline,
        ),
        // "offline" as a feature is not a privacy request
        (
            "Implement offline support for the PWA with a service worker cache in src/sw.js",
            CodingModerate,
        ),
    ];
    let mut failures = Vec::new();
    for (text, want) in &cases {
        let got = classify(&ClassifyInput {
            text,
            agent: "general",
            previous: None,
        });
        if got.category != *want {
            failures.push(format!(
                "{:?}\n   want {want}, got {} (coding {}, complexity {}): {}",
                text.chars().take(80).collect::<String>(),
                got.category,
                got.coding_score,
                got.complexity,
                got.signals
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn long_pasted_code_with_large_scale_phrase_is_complex() {
    let text = format!(
        "Redesign this for concurrency:\n```rust\n{}```",
        "let x = 1;\n".repeat(200)
    );
    assert_eq!(cat(&text), CodingComplex);
}

#[test]
fn length_alone_raises_complexity() {
    let body = "The handler in src/api/users.rs returns 500 when the email is missing. ".repeat(80);
    let got = classify(&ClassifyInput {
        text: &body,
        agent: "general",
        previous: None,
    });
    assert!(got.complexity >= 2, "{got:?}");
    assert!(matches!(got.category, CodingComplex | CodingModerate));
}

#[test]
fn the_active_agent_tips_the_balance() {
    let text = "add a --verbose option";
    assert_eq!(cat_as(text, "general", None), Conversation);
    assert_eq!(cat_as(text, "coder", None), CodingModerate);
    let question = "What do people say about the new EU AI act?";
    assert_eq!(cat_as(question, "general", None), General);
    assert_eq!(cat_as(question, "researcher", None), Research);
}

#[test]
fn short_continuations_keep_the_previous_category() {
    for text in ["yes, go ahead", "ok do it", "continue", "try again", "LGTM"] {
        assert_eq!(
            cat_as(text, "general", Some(CodingComplex)),
            CodingComplex,
            "{text}"
        );
    }
    // Without history, or when the message says more, it is classified on its own.
    assert_eq!(cat_as("ok", "general", None), Conversation);
    assert_eq!(
        cat_as("thanks!", "general", Some(CodingComplex)),
        Conversation
    );
    assert_eq!(
        cat_as(
            "yes, and also summarize what you changed for the changelog please",
            "general",
            Some(CodingComplex)
        ),
        Summarization
    );
}

#[test]
fn signals_explain_the_decision() {
    let got = classify(&ClassifyInput {
        text: RUST_TRACE,
        agent: "general",
        previous: None,
    });
    let names: Vec<String> = got.signals.iter().map(|s| s.name.clone()).collect();
    assert!(names.iter().any(|n| n == "stack trace"), "{names:?}");
    assert_eq!(
        got.coding_score,
        got.signals
            .iter()
            .filter(|s| s.score == Score::Coding)
            .map(|s| s.points)
            .sum::<i32>()
    );
    assert_eq!(
        got.complexity,
        got.signals
            .iter()
            .filter(|s| s.score == Score::Complexity)
            .map(|s| s.points)
            .sum::<i32>()
    );
}

#[test]
fn deterministic_and_total_on_odd_input() {
    let huge = "é".repeat(SCAN_HEAD + SCAN_TAIL); // multi-byte chars straddle the cut
    let inputs = [
        "",
        "   ",
        "\u{0}\u{1b}[31m",
        "```",
        "```\nunclosed fence",
        huge.as_str(),
    ];
    for text in inputs {
        let a = classify(&ClassifyInput {
            text,
            agent: "",
            previous: None,
        });
        let b = classify(&ClassifyInput {
            text,
            agent: "",
            previous: None,
        });
        assert_eq!(a, b);
    }
    assert_eq!(cat(""), Conversation);
}

#[test]
fn long_messages_are_scanned_at_both_ends() {
    let short = "abc";
    assert!(matches!(scan_text(short), Cow::Borrowed("abc")));
    for filler in ["x", "é", "日本"] {
        let text = format!("HEAD {} TAIL", filler.repeat(100_000));
        let scanned = scan_text(&text);
        assert!(scanned.len() <= SCAN_HEAD + SCAN_TAIL + 2);
        assert!(scanned.starts_with("HEAD ") && scanned.ends_with(" TAIL"));
    }
    // The instruction after a long paste still counts.
    let paste = "The committee met on Tuesday and discussed the budget at length. ".repeat(2_000);
    assert_eq!(
        cat(&format!("{paste}\n\nSummarize the above.")),
        Summarization
    );
    assert_eq!(cat(&format!("Summarize this:\n\n{paste}")), Summarization);
}

#[test]
fn word_boundaries_work_next_to_non_ascii_text() {
    assert_eq!(cat("Résumé: please summarize this für mich"), Summarization);
    assert_eq!(
        cat("¿Puedes hacer un refactor across the codebase of src/main.rs?"),
        CodingComplex
    );
}
