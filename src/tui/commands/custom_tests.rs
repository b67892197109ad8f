use super::*;

fn front(description: &str, hint: &str, agent: &str, model: &str) -> FrontMatter {
    let some = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
    FrontMatter {
        description: some(description),
        argument_hint: some(hint),
        agent: some(agent),
        model: some(model),
    }
}

#[test]
fn front_matter_table() {
    let ok: Vec<(&str, FrontMatter, &str)> = vec![
        ("just a prompt\n", FrontMatter::default(), "just a prompt\n"),
        ("", FrontMatter::default(), ""),
        (
            "---\ndescription: Review code\n---\nReview $ARGUMENTS\n",
            front("Review code", "", "", ""),
            "Review $ARGUMENTS\n",
        ),
        (
            "---\r\ndescription: \"quoted: with colon\"\r\nagent: 'coder'\r\nmodel: anthropic/claude-opus-4-6\r\nargument-hint: [file]\r\n---\r\nbody",
            front(
                "quoted: with colon",
                "[file]",
                "coder",
                "anthropic/claude-opus-4-6",
            ),
            "body",
        ),
        (
            "---\n# a comment\n\nmodel: opus\n---\n",
            front("", "", "", "opus"),
            "",
        ),
        (
            "\u{feff}---\ndescription:\n---\nx",
            FrontMatter::default(),
            "x",
        ),
        // A `---` later in the file is body text.
        ("text\n---\nmore", FrontMatter::default(), "text\n---\nmore"),
    ];
    for (text, want_front, want_body) in ok {
        let (f, body) = parse_file(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(f, want_front, "{text:?}");
        assert_eq!(body, want_body, "{text:?}");
    }
    let bad = [
        ("---\ndescription: x\n", "not closed"),
        ("---\njust words\n---\n", "line 2: expected `key: value`"),
        (
            "---\nallowed-tools: bash\n---\n",
            "line 2: unknown key `allowed-tools`",
        ),
        (
            "---\nmodel: a\nmodel: b\n---\n",
            "line 3: `model` is given twice",
        ),
    ];
    for (text, want) in bad {
        let err = parse_file(text).expect_err(text);
        assert!(err.contains(want), "{text:?}: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }
}

#[test]
fn names_table() {
    for (name, ok) in [
        ("review", true),
        ("fix-issue_2", true),
        ("Review", false),
        ("two words", false),
        ("dots.too", false),
        ("", false),
        ("ünï", false),
    ] {
        assert_eq!(valid_name(name), ok, "{name:?}");
    }
}

#[test]
fn arguments_expand() {
    let cmd = |body: &str| CustomCommand {
        name: "x".into(),
        scope: Scope::User,
        path: PathBuf::from("x.md"),
        front: FrontMatter::default(),
        body: body.into(),
    };
    let cases = [
        ("Fix issue $ARGUMENTS now", "42", "Fix issue 42 now"),
        ("$ARGUMENTS and $ARGUMENTS", "a b", "a b and a b"),
        ("Fix issue $ARGUMENTS", "", "Fix issue "),
        ("\nReview the diff.\n", "", "Review the diff."),
        (
            "Review the diff.",
            "carefully",
            "Review the diff.\n\ncarefully",
        ),
        ("", "only args", "only args"),
    ];
    for (body, args, want) in cases {
        assert_eq!(cmd(body).expand(args), want, "{body:?} {args:?}");
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn project_wins_over_user_and_builtins_over_both() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("ws/.harness/commands");
    let user = tmp.path().join("home/commands");
    write(
        &project,
        "review.md",
        "---\ndescription: project review\n---\nP",
    );
    write(&user, "review.md", "---\ndescription: user review\n---\nU");
    write(&user, "deploy.md", "Deploy $ARGUMENTS");
    write(&user, "model.md", "shadowed by the built-in");
    write(&user, "q.md", "shadowed by the built-in alias of /quit");
    write(&user, "Bad Name.md", "x");
    write(&user, "broken.md", "---\nmodel opus\n---\n");
    write(&user, "notes.txt", "not a command");
    let found = CustomCommands::load(vec![(project, Scope::Project), (user, Scope::User)]);
    let names: Vec<(&str, Scope, &str)> = found
        .commands()
        .iter()
        .map(|c| (c.name.as_str(), c.scope, c.body.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("deploy", Scope::User, "Deploy $ARGUMENTS"),
            ("review", Scope::Project, "P"),
        ]
    );
    let warnings = found.warnings().join("\n");
    for want in [
        "Bad Name.md: a command name is lowercase letters",
        "/model from ",
        "the built-in /model wins",
        "the built-in /q wins",
        "home/commands/review.md is not used",
        "broken.md: front matter line 2: expected `key: value`",
    ] {
        assert!(warnings.contains(want), "{want:?} in:\n{warnings}");
    }
    assert_eq!(found.warnings().len(), 5, "{warnings}");
    assert!(!warnings.contains("notes.txt"));
}

#[test]
fn a_file_added_or_edited_is_read_again_and_nothing_else_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("commands");
    let mut found = CustomCommands::load(vec![(dir.clone(), Scope::User)]);
    assert!(
        found.commands().is_empty(),
        "a missing directory is no command"
    );
    assert!(!found.refresh(), "nothing changed");
    write(&dir, "one.md", "first");
    assert!(found.refresh(), "the directory appeared");
    assert_eq!(found.commands()[0].body, "first");
    assert!(!found.refresh());
    // Modification times may be coarse: set one well apart instead of waiting.
    std::fs::write(dir.join("one.md"), "second").unwrap();
    let later = SystemTime::now() + std::time::Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(dir.join("one.md"))
        .unwrap()
        .set_modified(later)
        .unwrap();
    assert!(found.refresh(), "the file changed");
    assert_eq!(found.commands()[0].body, "second");
    // A broken file fixed in place (the directory's time unchanged) is read again too.
    std::fs::write(dir.join("two.md"), "---\nbroken\n---\n").unwrap();
    assert!(found.refresh());
    assert_eq!(found.commands().len(), 1, "{:?}", found.warnings());
    std::fs::write(dir.join("two.md"), "---\nmodel: opus\n---\nfixed").unwrap();
    let later = SystemTime::now() + std::time::Duration::from_secs(10);
    std::fs::File::options()
        .write(true)
        .open(dir.join("two.md"))
        .unwrap()
        .set_modified(later)
        .unwrap();
    assert!(found.refresh(), "the broken file changed");
    assert_eq!(found.commands().len(), 2, "{:?}", found.warnings());
    assert!(found.warnings().is_empty());
}

#[test]
fn invocations_name_custom_commands_and_never_builtins() {
    let cmds = vec![CustomCommand {
        name: "review".into(),
        scope: Scope::Project,
        path: PathBuf::from("review.md"),
        front: FrontMatter::default(),
        body: String::new(),
    }];
    let found = |t: &str| invocation(t, &cmds).map(|(c, a)| (c.name.clone(), a.to_string()));
    assert_eq!(found("/review"), Some(("review".into(), String::new())));
    assert_eq!(
        found("  /review  src/a.rs  b.rs \n"),
        Some(("review".into(), "src/a.rs  b.rs".into()))
    );
    assert_eq!(found("/reviews"), None);
    assert_eq!(found("/help"), None);
    assert_eq!(found("review"), None);
}
