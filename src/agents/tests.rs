use super::*;
use prompt::AGENTS_MD_MAX_BYTES;
use std::fs;

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn config_with_agents(toml_text: &str) -> Config {
    crate::config::parse(toml_text, Path::new("/cfg/config.toml"), &|_| None).unwrap()
}

#[test]
fn general_exists_without_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let set = load(
        &Config::default(),
        &dir.path().join("agents"),
        Some(dir.path()),
    )
    .unwrap();
    assert_eq!(set.names(), vec!["general"]);
    let general = set.resolve("general").unwrap();
    assert_eq!(general.tools, BUILTIN_TOOL_NAMES.to_vec());
    assert!(general.system_prompt.len() > 200);
    assert_eq!(general.source, AgentSource::Builtin);
    let err = set.resolve("nope").unwrap_err().to_string();
    assert!(
        err.contains("unknown agent `nope`") && err.contains("general"),
        "{err}"
    );
}

#[test]
fn project_wins_over_user_wins_over_config() {
    let dir = tempfile::tempdir().unwrap();
    let user = dir.path().join("home/agents");
    let ws = dir.path().join("ws");
    let config = config_with_agents(
        "[agents.coder]\ndescription = \"from config\"\nsystem_prompt = \"C\"\n\n[agents.only-config]\ndescription = \"cfg\"\ntools = []\n",
    );
    write(&user.join("coder.toml"), "description = \"from user\"\n");
    write(
        &user.join("reviewer.toml"),
        "description = \"user reviewer\"\ntools = [\"grep\", \"read\", \"glob\"]\nmodel = \"auto\"\n",
    );
    write(
        &ws.join(".harness/agents/coder.toml"),
        "description = \"from project\"\nsystem_prompt = \"P\"\nmodel = \"anthropic/claude-opus-4-6\"\napproval = \"auto\"\n",
    );
    write(&ws.join(".harness/agents/README.md"), "not an agent");

    let set = load(&config, &user, Some(&ws)).unwrap();
    assert_eq!(
        set.names(),
        vec!["coder", "general", "only-config", "reviewer"]
    );

    let coder = set.get("coder").unwrap();
    assert_eq!(coder.description, "from project");
    assert_eq!(coder.system_prompt, "P");
    assert_eq!(coder.model.as_deref(), Some("anthropic/claude-opus-4-6"));
    assert_eq!(coder.approval, None, "a project cannot turn off approval");
    assert_eq!(set.notices().len(), 1);
    assert!(
        set.notices()[0].contains("approval = \"auto\" is ignored"),
        "{:?}",
        set.notices()
    );
    assert!(matches!(&coder.source, AgentSource::Project { path } if path.ends_with("coder.toml")));

    let reviewer = set.get("reviewer").unwrap();
    assert_eq!(
        reviewer.tools,
        vec!["read", "glob", "grep"],
        "registry order"
    );
    assert_eq!(reviewer.model, None, "auto means no pin");
    assert!(matches!(reviewer.source, AgentSource::User { .. }));

    let only = set.get("only-config").unwrap();
    assert!(only.tools.is_empty());
    assert_eq!(
        only.source,
        AgentSource::Config {
            path: Some(PathBuf::from("/cfg/config.toml"))
        }
    );

    // Without a workspace the user file wins over config.
    let set = load(&config, &user, None).unwrap();
    assert_eq!(set.get("coder").unwrap().description, "from user");
    assert!(set.notices().is_empty());

    // Stricter modes from a project are kept; auto from the user's own files too.
    write(
        &ws.join(".harness/agents/coder.toml"),
        "approval = \"deny\"\n",
    );
    write(&user.join("auto.toml"), "approval = \"auto\"\n");
    let set = load(&config, &user, Some(&ws)).unwrap();
    assert_eq!(set.get("coder").unwrap().approval, Some(ApprovalMode::Deny));
    assert_eq!(set.get("auto").unwrap().approval, Some(ApprovalMode::Auto));
}

#[test]
fn problems_name_the_file_line_and_tool() {
    let dir = tempfile::tempdir().unwrap();
    let user = dir.path().join("agents");
    write(
        &user.join("a-broken.toml"),
        "description = \"x\"\nsystem_prompt = \"unterminated\n",
    );
    write(
        &user.join("b-tools.toml"),
        "description = \"x\"\ntools = [\n  \"read\",\n  \"shell\",\n]\n",
    );
    write(&user.join("c-unknown-key.toml"), "descripton = \"typo\"\n");
    write(&user.join("bad name.toml"), "description = \"x\"\n");
    let config = config_with_agents("[agents.cfg]\ntools = [\"browse\"]\n");

    let err = load(&config, &user, None).unwrap_err();
    let text = err.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines[0]
            .starts_with("/cfg/config.toml [agents.cfg]: agent `cfg` lists unknown tool `browse`"),
        "{text}"
    );
    assert!(lines[1].contains("a-broken.toml:2:"), "{text}");
    assert!(
        lines[2].contains(
            "b-tools.toml:4: agent `b-tools` lists unknown tool `shell`: use only bash, read"
        ),
        "{text}"
    );
    assert!(
        lines[3].contains("bad name.toml") && lines[3].contains("not a valid agent name"),
        "{text}"
    );
    assert!(
        lines[4].contains("c-unknown-key.toml:1:") && lines[4].contains("descripton"),
        "{text}"
    );
}

#[test]
fn agents_md_is_found_up_to_the_repo_root_only() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path();
    write(&outside.join("AGENTS.md"), "outside the repo");
    let repo = outside.join("repo");
    fs::create_dir_all(repo.join(".git")).unwrap();
    let sub = repo.join("crates/x");
    fs::create_dir_all(&sub).unwrap();

    // Nothing inside the repo: the file above the repo root is not used.
    assert_eq!(find_agents_md(&sub), None);
    write(&repo.join("AGENTS.md"), "repo rules");
    assert_eq!(find_agents_md(&sub), Some(repo.join("AGENTS.md")));
    write(&sub.join("AGENTS.md"), "crate rules");
    assert_eq!(find_agents_md(&sub), Some(sub.join("AGENTS.md")));

    // Outside any repository only the workspace itself counts.
    let plain = outside.join("plain/child");
    fs::create_dir_all(&plain).unwrap();
    write(&outside.join("plain/AGENTS.md"), "parent");
    assert_eq!(find_agents_md(&plain), None);
    assert_eq!(
        find_agents_md(&outside.join("plain")),
        Some(outside.join("plain/AGENTS.md"))
    );
}

#[test]
fn agents_md_is_capped_and_lossy() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = "é".repeat(AGENTS_MD_MAX_BYTES).into_bytes();
    bytes.push(0xff);
    fs::write(dir.path().join("AGENTS.md"), &bytes).unwrap();
    let got = load_agents_md(dir.path()).unwrap().unwrap();
    assert!(got.truncated);
    assert!(got.content.len() <= AGENTS_MD_MAX_BYTES);

    fs::write(dir.path().join("AGENTS.md"), b"ok \xff\n").unwrap();
    let got = load_agents_md(dir.path()).unwrap().unwrap();
    assert_eq!(got.content, "ok \u{fffd}");
    assert!(!got.truncated);

    let empty = tempfile::tempdir().unwrap();
    assert_eq!(load_agents_md(empty.path()).unwrap(), None);
}

#[test]
fn system_prompt_puts_the_agent_first_then_agents_md_then_facts() {
    let facts = WorkspaceFacts {
        workspace: PathBuf::from("/work/proj"),
        date: chrono::NaiveDate::from_ymd_opt(2026, 3, 14).unwrap(),
        os: "linux",
    };
    let mut agent = Agent::general();
    agent.system_prompt = "  You review code.\nBe terse.  ".to_string();
    let md = ProjectInstructions {
        path: PathBuf::from("/work/proj/AGENTS.md"),
        content: "Run `cargo test` before committing.".to_string(),
        truncated: false,
    };
    let cases: Vec<(Option<&ProjectInstructions>, Vec<&str>)> = vec![
        (
            Some(&md),
            vec![
                "  You review code.\nBe terse.  ",
                "From /work/proj/AGENTS.md",
                "Run `cargo test` before committing.",
                "- Workspace: /work/proj",
                "- Date: 2026-03-14",
                "- OS: linux",
            ],
        ),
        (
            None,
            vec!["  You review code.\nBe terse.  ", "- Workspace: /work/proj"],
        ),
    ];
    for (instructions, in_order) in cases {
        let prompt = build_system_prompt(&agent, instructions, &facts);
        assert!(
            prompt.starts_with(&agent.system_prompt),
            "verbatim first: {prompt}"
        );
        let mut at = 0;
        for piece in in_order {
            let found = prompt[at..]
                .find(piece)
                .unwrap_or_else(|| panic!("{piece:?} missing or out of order in {prompt}"));
            at += found + piece.len();
        }
        assert_eq!(prompt.contains("AGENTS.md"), instructions.is_some());
    }

    let cut = ProjectInstructions {
        truncated: true,
        ..md
    };
    assert!(build_system_prompt(&agent, Some(&cut), &facts).contains("cut at 65536 bytes"));

    agent.system_prompt.clear();
    assert!(build_system_prompt(&agent, None, &facts).starts_with("# Environment"));
}
