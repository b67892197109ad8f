//! Hooks run for real (`/bin/sh`): what each outcome looks like, what they read on stdin,
//! matchers, and the project file's trust.

use super::*;
use crate::config::hooks::HookSpec;

fn hooks_with(
    event: HookEvent,
    command: &str,
    matcher: Option<&str>,
    timeout: u64,
) -> (Hooks, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = HooksConfig::default();
    let spec = HookSpec {
        matcher: matcher.map(str::to_string),
        command: command.to_string(),
        timeout_secs: timeout,
    };
    match event {
        HookEvent::SessionStart => config.session_start.push(spec),
        HookEvent::UserPrompt => config.user_prompt.push(spec),
        HookEvent::PreTool => config.pre_tool.push(spec),
        HookEvent::PostTool => config.post_tool.push(spec),
        HookEvent::Stop => config.stop.push(spec),
    }
    let hooks = Hooks::load(&config, dir.path(), &dir.path().join("trust.json"), &[]);
    (hooks, dir)
}

fn tool_input(tool: &str) -> HookInput<'_> {
    HookInput {
        conversation_id: "c1".into(),
        tool: Some(tool),
        ..Default::default()
    }
}

#[tokio::test]
async fn outcomes_follow_the_exit_code() {
    let cases = [
        (HookEvent::PreTool, "exit 0", HookOutcome::Ok, None),
        (
            HookEvent::PreTool,
            "echo no rm here >&2; exit 2",
            HookOutcome::Blocked,
            Some("no rm here"),
        ),
        (
            HookEvent::PreTool,
            "exit 2",
            HookOutcome::Blocked,
            Some("blocked by the pre_tool hook `exit 2` (exit 2, no message)"),
        ),
        (
            HookEvent::UserPrompt,
            "echo not that >&2; exit 2",
            HookOutcome::Blocked,
            Some("not that"),
        ),
        (HookEvent::PostTool, "exit 2", HookOutcome::Failed, None),
        (
            HookEvent::PreTool,
            "echo oops >&2; exit 7",
            HookOutcome::Failed,
            None,
        ),
        (HookEvent::Stop, "kill -9 $$", HookOutcome::Failed, None),
    ];
    for (event, command, outcome, blocked) in cases {
        let (hooks, _dir) = hooks_with(event, command, None, 10);
        let ran = hooks.run(event, &tool_input("bash")).await;
        assert_eq!(ran.reports.len(), 1, "{command}");
        assert_eq!(ran.reports[0].outcome, outcome, "{command}");
        assert_eq!(ran.blocked.as_deref(), blocked, "{command}");
    }
}

#[tokio::test]
async fn a_hook_past_its_timeout_is_killed_with_its_children() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("survived");
    let command = format!("(sleep 2; touch {}) & sleep 30", marker.display());
    let (hooks, _d) = hooks_with(HookEvent::PreTool, &command, None, 1);
    let ran = hooks.run(HookEvent::PreTool, &tool_input("bash")).await;
    assert_eq!(ran.reports[0].outcome, HookOutcome::TimedOut);
    assert!(ran.blocked.is_none(), "a timeout warns, it does not block");
    assert!(ran.reports[0].output.contains("killed after 1s"));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        !marker.exists(),
        "the hook's background child was killed too"
    );
}

#[tokio::test]
async fn garbage_output_is_kept_small_and_harmless() {
    let command = "head -c 300000 /dev/urandom; head -c 300000 /dev/urandom >&2; exit 2";
    let (hooks, _dir) = hooks_with(HookEvent::PreTool, command, None, 10);
    let ran = hooks.run(HookEvent::PreTool, &tool_input("bash")).await;
    assert_eq!(ran.reports[0].outcome, HookOutcome::Blocked);
    let blocked = ran.blocked.unwrap();
    assert!(
        blocked.chars().count() <= REPORT_CHARS + 1,
        "{}",
        blocked.len()
    );
}

#[tokio::test]
async fn hooks_read_the_event_on_stdin_and_matchers_pick_tools() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("stdin.json");
    let command = format!("cat > {}", out.display());
    let (hooks, _d) = hooks_with(HookEvent::PostTool, &command, Some("ba.h|read"), 10);
    assert!(hooks.wants(HookEvent::PostTool, Some("bash")));
    assert!(
        !hooks.wants(HookEvent::PostTool, Some("bashful")),
        "matchers are anchored"
    );
    assert!(!hooks.wants(HookEvent::PreTool, Some("bash")));
    let arguments = json!({"command": "ls"});
    let input = HookInput {
        conversation_id: "c9".into(),
        tool: Some("bash"),
        arguments: Some(&arguments),
        output: Some("a\nb"),
        is_error: Some(false),
        ..Default::default()
    };
    hooks.run(HookEvent::PostTool, &input).await;
    let seen: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(seen["event"], "post_tool");
    assert_eq!(seen["conversation_id"], "c9");
    assert_eq!(seen["tool"], "bash");
    assert_eq!(seen["arguments"]["command"], "ls");
    assert_eq!(seen["output"], "a\nb");
    assert_eq!(seen["is_error"], false);
    assert!(seen["cwd"].as_str().is_some());
    let skipped = hooks.run(HookEvent::PostTool, &tool_input("write")).await;
    assert!(skipped.reports.is_empty());
}

#[tokio::test]
async fn project_hooks_run_only_once_their_content_is_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let trust_file = dir.path().join("data/trusted-hooks.json");
    let project = dir.path().join("proj");
    std::fs::create_dir_all(project.join(".harness")).unwrap();
    let file = project.join(PROJECT_HOOKS_FILE);
    let text = "[[user_prompt]]\ncommand = \"echo project says no >&2; exit 2\"\n";
    std::fs::write(&file, text).unwrap();
    let config = HooksConfig::default();
    let input = HookInput::default();

    let hooks = Hooks::load(&config, &project, &trust_file, &[]);
    assert_eq!(hooks.project(), &ProjectHooks::Untrusted(file.clone()));
    assert!(
        hooks
            .project_notice()
            .unwrap()
            .contains("harness hooks trust")
    );
    assert!(
        hooks
            .run(HookEvent::UserPrompt, &input)
            .await
            .blocked
            .is_none()
    );

    trust::trust(&trust_file, &file, text).unwrap();
    let hooks = Hooks::load(&config, &project, &trust_file, &[]);
    assert_eq!(hooks.project(), &ProjectHooks::Trusted(file.clone()));
    assert_eq!(
        hooks
            .run(HookEvent::UserPrompt, &input)
            .await
            .blocked
            .as_deref(),
        Some("project says no")
    );

    std::fs::write(&file, format!("{text}# changed\n")).unwrap();
    let hooks = Hooks::load(&config, &project, &trust_file, &[]);
    assert!(
        matches!(hooks.project(), ProjectHooks::Untrusted(_)),
        "a change needs a new approval"
    );

    std::fs::write(&file, "[[pre_tool]]\nbogus = 1\n").unwrap();
    trust::trust(&trust_file, &file, "[[pre_tool]]\nbogus = 1\n").unwrap();
    let hooks = Hooks::load(&config, &project, &trust_file, &[]);
    assert!(matches!(hooks.project(), ProjectHooks::Invalid { .. }));
    assert!(hooks.listed().is_empty());
}
