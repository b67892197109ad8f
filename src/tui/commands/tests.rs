use super::*;

fn ctx() -> CommandContext {
    CommandContext {
        models: vec![
            "opus".into(),
            "anthropic/claude-opus-4-6".into(),
            "sonnet".into(),
        ],
        agents: vec!["general".into(), "coder".into()],
        themes: vec!["dark".into(), "light".into(), "high-contrast".into()],
        custom: Default::default(),
    }
}

#[test]
fn parses_every_command() {
    let id = "0190a0b0-0000-7000-8000-000000000000";
    let resume = format!("/resume {id}");
    let cases: Vec<(&str, SlashCommand)> = vec![
        ("/help", SlashCommand::Help),
        ("/model", SlashCommand::Model(None)),
        ("/model auto", SlashCommand::Model(Some(ModelChoice::Auto))),
        (
            "/model opus",
            SlashCommand::Model(Some(ModelChoice::Ref("opus".into()))),
        ),
        (
            "/model ollama/llama3",
            SlashCommand::Model(Some(ModelChoice::Ref("ollama/llama3".into()))),
        ),
        ("/agent", SlashCommand::Agent(None)),
        ("/agent coder", SlashCommand::Agent(Some("coder".into()))),
        ("/history", SlashCommand::History),
        ("/new", SlashCommand::New),
        ("/resume", SlashCommand::Resume(None)),
        (
            resume.as_str(),
            SlashCommand::Resume(Some(ResumeTarget::Id(id.parse().unwrap()))),
        ),
        (
            "/resume 0190A0B0",
            SlashCommand::Resume(Some(ResumeTarget::Prefix("0190a0b0".into()))),
        ),
        (
            "/title  My  title ",
            SlashCommand::Title("My  title".into()),
        ),
        ("/compact", SlashCommand::Compact),
        ("/memory", SlashCommand::Memory(None)),
        (
            "/memory staging  port",
            SlashCommand::Memory(Some("staging  port".into())),
        ),
        (
            "/remember the db is on 5433",
            SlashCommand::Remember("the db is on 5433".into()),
        ),
        ("/tools", SlashCommand::Tools),
        ("/status", SlashCommand::Status),
        ("/permissions", SlashCommand::Permissions),
        (
            "/export",
            SlashCommand::Export {
                format: ExportFormat::Markdown,
                path: None,
            },
        ),
        (
            "/export json",
            SlashCommand::Export {
                format: ExportFormat::Json,
                path: None,
            },
        ),
        (
            "/export json out.json",
            SlashCommand::Export {
                format: ExportFormat::Json,
                path: Some("out.json".into()),
            },
        ),
        (
            "/export notes.md",
            SlashCommand::Export {
                format: ExportFormat::Markdown,
                path: Some("notes.md".into()),
            },
        ),
        ("/copy", SlashCommand::Copy(None)),
        ("/copy 2", SlashCommand::Copy(Some(2))),
        ("/theme light", SlashCommand::Theme(Some("light".into()))),
        ("/theme", SlashCommand::Theme(None)),
        ("/quit", SlashCommand::Quit),
        ("  /exit  ", SlashCommand::Quit),
    ];
    for (text, want) in cases {
        assert_eq!(parse(text, &ctx()), Ok(want), "{text}");
    }
}

#[test]
fn bad_input_gives_an_error_with_a_suggestion() {
    let cases = [
        ("/modle", "unknown command /modle (did you mean `model`?)"),
        (
            "/zzzzzz",
            "unknown command /zzzzzz: /help lists the commands",
        ),
        ("/model opsu", "unknown model `opsu` (did you mean `opus`?)"),
        (
            "/agent codr",
            "unknown agent `codr` (did you mean `coder`?)",
        ),
        ("/theme drak", "unknown theme `drak` (did you mean `dark`?)"),
        ("/copy 0", "is not a code block number"),
        ("/copy x", "is not a code block number"),
        ("/new now", "/new takes no arguments"),
        ("/title", "/title needs the new title"),
        ("/remember", "/remember needs the text to save"),
        ("/resume nope", "`nope` is not a conversation id"),
    ];
    for (text, want) in cases {
        let err = parse(text, &ctx()).unwrap_err();
        assert!(err.0.contains(want), "{text}: {}", err.0);
    }
}

#[test]
fn only_slash_words_are_commands() {
    let cases = [
        ("/help", true),
        ("  /model x", true),
        ("/usr/bin/env is a path", false),
        ("// comment", false),
        ("/ alone", false),
        ("hello /help", false),
        ("", false),
    ];
    for (text, want) in cases {
        assert_eq!(is_command(text), want, "{text:?}");
    }
}

#[test]
fn completes_names_then_arguments() {
    let labels = |text: &str| -> Vec<String> {
        complete(text, &ctx())
            .into_iter()
            .map(|c| c.replacement)
            .collect()
    };
    assert_eq!(labels("/").len(), SlashCommand::all().len());
    assert_eq!(
        labels("/h"),
        ["/help", "/history", "/theme "],
        "prefix first, then substring"
    );
    assert_eq!(
        labels("/mo"),
        ["/model ", "/memory "],
        "prefix first, then substring"
    );
    assert_eq!(
        labels("/model op"),
        ["/model opus", "/model anthropic/claude-opus-4-6"]
    );
    assert_eq!(
        labels("/model "),
        [
            "/model auto",
            "/model opus",
            "/model anthropic/claude-opus-4-6",
            "/model sonnet"
        ]
    );
    assert_eq!(labels("/agent c"), ["/agent coder"]);
    assert_eq!(labels("/export j"), ["/export json"]);
    assert!(labels("/title x").is_empty());
    assert!(labels("hello").is_empty());
    assert!(labels("/model a b").is_empty());
}

#[test]
fn every_command_parses_from_its_own_name_and_is_in_help() {
    use std::mem::discriminant;
    let help = help_text(&custom::CustomCommands::default());
    let mut seen = Vec::new();
    for command in SlashCommand::all() {
        let spec = command.spec();
        // A command that needs an argument parses from its usage line (`/title TEXT`).
        let bare = format!("/{}", spec.name);
        let parsed = parse(&bare, &ctx()).or_else(|_| parse(&spec.usage(), &ctx()));
        let parsed = parsed.unwrap_or_else(|e| panic!("{bare}: {e}"));
        assert_eq!(discriminant(&parsed), discriminant(command), "{bare}");
        for alias in spec.aliases {
            let by_alias = parse(&format!("/{alias}"), &ctx()).unwrap();
            assert_eq!(discriminant(&by_alias), discriminant(command), "/{alias}");
        }
        let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(&format!("{} {}", spec.usage(), spec.description)),
            "{bare} in /help:\n{help}"
        );
        assert!(
            complete("/", &ctx())
                .iter()
                .any(|c| c.label == spec.usage()),
            "{bare} in the popup"
        );
        assert!(
            !seen.contains(&discriminant(command)),
            "{bare} listed twice"
        );
        seen.push(discriminant(command));
    }
}

#[test]
fn aliases_name_their_command_and_nothing_else() {
    let cases = [
        ("/?", SlashCommand::Help),
        ("/exit", SlashCommand::Quit),
        ("/q", SlashCommand::Quit),
    ];
    for (text, want) in cases {
        assert_eq!(parse(text, &ctx()), Ok(want), "{text}");
    }
    let names: Vec<&str> = SlashCommand::specs()
        .flat_map(|s| std::iter::once(s.name).chain(s.aliases.iter().copied()))
        .collect();
    for (i, n) in names.iter().enumerate() {
        assert!(!names[i + 1..].contains(n), "`{n}` names two commands");
    }
}

#[test]
fn help_fits_80_columns() {
    for line in help_text(&custom::CustomCommands::default()).lines() {
        assert!(
            line.chars().count() <= super::HELP_WIDTH,
            "wider than {}: {line:?}",
            super::HELP_WIDTH
        );
    }
}
