//! `Op::UserTurnAs`, what a custom slash command with `agent`/`model` front matter sends: the
//! turn reaches the provider with that model and runs as that agent, and the session's own
//! agent and model are back for the next turn; an unknown agent or model refuses the turn.

use crate::support::core::{build, errors, send, session, until_done};
use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use harness::message::MessageStatus;
use harness::protocol::{Event, Op};

async fn setup(
    server: &FakeProvider,
) -> (tempfile::TempDir, std::sync::Arc<harness::core::CoreDeps>) {
    let home = tempfile::tempdir().unwrap();
    let workspace = home.path().join("ws");
    std::fs::create_dir_all(&workspace).unwrap();
    let config = format!(
        "default_model = \"fake/model-x\"\n{}\n[sandbox]\nbackend = \"host\"\n\
         [agents.reviewer]\ndescription = \"reviews\"\nsystem_prompt = \"You are REVIEWER.\"\ntools = []\n",
        server.config_toml("fake")
    );
    let (deps, _) = build(home.path(), &workspace, &config);
    (home, deps)
}

fn settings(events: &[Event]) -> Vec<(String, Option<String>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::SettingsChanged { agent, model } => Some((agent.clone(), model.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_as_another_agent_and_model_then_the_sessions_own_again() {
    let server = FakeProvider::start(Flavor::Anthropic).await;
    let (_home, deps) = setup(&server).await;
    let mut s = session(&deps).await;
    server.push(Reply::text("reviewed"));
    s.ops
        .send(Op::UserTurnAs {
            text: "review this".into(),
            agent: Some("reviewer".into()),
            model: Some("fake/model-y".into()),
        })
        .unwrap();
    let (done, seen) = until_done(&mut s).await;
    assert!(
        matches!(
            done,
            Event::TurnComplete {
                status: MessageStatus::Complete,
                ..
            }
        ),
        "{done:?} after {seen:?}"
    );
    assert_eq!(
        settings(&seen),
        [
            ("reviewer".to_string(), Some("fake/model-y".to_string())),
            ("general".to_string(), None),
        ],
        "switched for the turn, then back before its end: {seen:?}"
    );
    let first = &server.chat_requests()[0];
    assert_eq!(first.body["model"], "model-y");
    assert!(
        first.body_text.contains("You are REVIEWER."),
        "the agent's prompt"
    );

    server.push(Reply::text("plain"));
    send(&s, "and now as usual");
    let (_, seen) = until_done(&mut s).await;
    assert!(errors(&seen).is_empty(), "{seen:?}");
    let second = &server.chat_requests()[1];
    assert_eq!(
        second.body["model"], "model-x",
        "the session's model (auto) again"
    );
    assert!(
        !second.body_text.contains("You are REVIEWER."),
        "the session's agent again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_agent_or_model_refuses_the_turn_and_changes_nothing() {
    let server = FakeProvider::start(Flavor::Anthropic).await;
    let (_home, deps) = setup(&server).await;
    let mut s = session(&deps).await;
    for (agent, model, want) in [
        (Some("nobody"), None, "nobody"),
        (None, Some("nowhere/model"), "nowhere"),
    ] {
        s.ops
            .send(Op::UserTurnAs {
                text: "hi".into(),
                agent: agent.map(Into::into),
                model: model.map(Into::into),
            })
            .unwrap();
        let (done, seen) = until_done(&mut s).await;
        assert!(
            matches!(
                done,
                Event::TurnComplete {
                    status: MessageStatus::Error,
                    ..
                }
            ),
            "{done:?}"
        );
        let errors = errors(&seen);
        assert_eq!(errors.len(), 1, "{seen:?}");
        assert!(errors[0].contains(want), "{errors:?}");
        assert!(settings(&seen).is_empty(), "nothing switched: {seen:?}");
    }
    assert!(server.chat_requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_run_expands_a_custom_command_too() {
    use crate::support::home::TempHome;
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let home = TempHome::new();
    home.write_config(&format!(
        "default_model = \"fake/model-x\"\n{}\n[sandbox]\nbackend = \"host\"\n",
        server.config_toml("fake")
    ));
    let workspace = home.path().join("ws");
    let project = workspace.join(".harness/commands");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("second.md"),
        "---\nmodel: fake/model-y\n---\nSecond opinion on $ARGUMENTS.",
    )
    .unwrap();
    let user = home.path().join("commands");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(user.join("hello.md"), "Say hello.").unwrap();
    server.push(Reply::text("second"));
    server.push(Reply::text("hello"));
    server.push(Reply::text("as typed"));
    for prompt in ["/second the plan", "/hello to Ada", "/unknown stays text"] {
        let mut cmd = home.cmd();
        cmd.current_dir(&workspace).args(["run", prompt]);
        let out = tokio::process::Command::from(cmd).output().await.unwrap();
        assert!(out.status.success(), "{prompt}: {out:?}");
    }
    let sent: Vec<(String, String)> = server
        .chat_requests()
        .iter()
        .map(|r| {
            let last = r.body["messages"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()
                .clone();
            (
                r.body["model"].as_str().unwrap().to_string(),
                last["content"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        sent,
        [
            ("model-y".into(), "Second opinion on the plan.".into()),
            ("model-x".into(), "Say hello.\n\nto Ada".into()),
            ("model-x".into(), "/unknown stays text".into()),
        ]
    );
}
