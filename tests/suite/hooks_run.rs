//! Hooks end to end: `harness run` (the built binary) against the fake provider, with hooks in
//! config.toml and in a project's `.harness/hooks.toml`. A pre_tool hook that blocks (its stderr
//! is the result the model sees), one that allows, a user_prompt hook that keeps the prompt
//! from being sent, post_tool and stop hooks reading their JSON, a hook that times out and one
//! that prints garbage (the turn goes on), and project hooks that run only once trusted.

use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use crate::support::home::{TempHome, stderr, stdout};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Output;

struct Env {
    home: TempHome,
    server: FakeProvider,
    workspace: PathBuf,
}

impl Env {
    async fn new(hooks: &str) -> Self {
        let server = FakeProvider::start(Flavor::OpenAi).await;
        let home = TempHome::new();
        home.write_config(&format!(
            "default_model = \"fake/model-x\"\n{}\n[sandbox]\nbackend = \"host\"\n{hooks}\n",
            server.config_toml("fake")
        ));
        let workspace = home.path().join("ws");
        std::fs::create_dir_all(&workspace).unwrap();
        Self {
            home,
            server,
            workspace,
        }
    }

    async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = self.home.cmd();
        cmd.current_dir(&self.workspace).args(args);
        let mut cmd = tokio::process::Command::from(cmd);
        cmd.kill_on_drop(true);
        cmd.output().await.unwrap()
    }

    fn tool_results(&self, request: usize) -> Vec<String> {
        self.server.chat_requests()[request].body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == "tool")
            .map(|m| m["content"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

fn hook_results(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["type"] == "hook_result")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pre_tool_hook_blocks_a_call_and_its_stderr_is_the_result() {
    let env = Env::new(
        "[[hooks.pre_tool]]\nmatcher = \"bash\"\ncommand = \"echo 'no bash today: use read' >&2; exit 2\"\n\
         [[hooks.pre_tool]]\nmatcher = \"read\"\ncommand = \"exit 0\"\n",
    )
    .await;
    std::fs::write(env.workspace.join("a.txt"), "file body\n").unwrap();
    env.server.push(
        Reply::tool_call("c1", "bash", json!({"command": "touch made-by-bash"})).then_tool_call(
            "c2",
            "read",
            json!({"path": "a.txt"}),
        ),
    );
    env.server.push(Reply::text("ok"));
    let out = env.run(&["run", "--json", "--approve", "auto", "go"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let results = env.tool_results(1);
    assert_eq!(results[0], "no bash today: use read");
    assert!(
        results[1].contains("file body"),
        "the allowing hook let read run: {results:?}"
    );
    assert!(
        !env.workspace.join("made-by-bash").exists(),
        "the blocked command ran"
    );
    let reports = hook_results(&out);
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert_eq!(reports[0]["event"], "pre_tool");
    assert_eq!(reports[0]["outcome"], "blocked");
    assert_eq!(reports[0]["exit_code"], 2);
    assert_eq!(reports[0]["tool"], "bash");
    assert_eq!(reports[1]["outcome"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_prompt_hook_keeps_the_prompt_from_being_sent() {
    let env = Env::new(
        "[[hooks.user_prompt]]\ncommand = \"grep -q password && { echo 'that prompt holds a password' >&2; exit 2; } || exit 0\"\n",
    )
    .await;
    env.server.push(Reply::text("fine"));
    let out = env.run(&["run", "my password is hunter2"]).await;
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("that prompt holds a password"),
        "{}",
        stderr(&out)
    );
    assert!(env.server.chat_requests().is_empty(), "the prompt was sent");

    let out = env.run(&["run", "hello"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.server.chat_requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_tool_and_stop_hooks_read_their_event_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let post = dir.path().join("post.json");
    let stop = dir.path().join("stop.json");
    let env = Env::new(&format!(
        "[[hooks.post_tool]]\ncommand = \"cat > {}\"\n[[hooks.stop]]\ncommand = \"cat > {}\"\n[[hooks.session_start]]\ncommand = \"exit 0\"\n",
        post.display(),
        stop.display()
    ))
    .await;
    env.server.push(Reply::tool_call(
        "c1",
        "bash",
        json!({"command": "echo from-bash"}),
    ));
    env.server.push(Reply::text("ok"));
    let out = env.run(&["run", "--json", "--approve", "auto", "go"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let post: Value = serde_json::from_str(&std::fs::read_to_string(&post).unwrap()).unwrap();
    assert_eq!(post["event"], "post_tool");
    assert_eq!(post["tool"], "bash");
    assert_eq!(post["arguments"]["command"], "echo from-bash");
    assert!(
        post["output"].as_str().unwrap().contains("from-bash"),
        "{post}"
    );
    assert_eq!(post["is_error"], false);
    let done = stdout(&out)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["type"] == "done")
        .unwrap();
    assert_eq!(post["conversation_id"], done["conversation_id"]);
    let stop: Value = serde_json::from_str(&std::fs::read_to_string(&stop).unwrap()).unwrap();
    assert_eq!(stop["event"], "stop");
    assert_eq!(stop["status"], "complete");
    assert!(stop["cwd"].as_str().unwrap().ends_with("ws"), "{stop}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_that_time_out_or_print_garbage_warn_and_the_turn_goes_on() {
    let env = Env::new(
        "[[hooks.pre_tool]]\ncommand = \"sleep 30\"\ntimeout_secs = 1\n\
         [[hooks.post_tool]]\ncommand = \"printf '\\\\033[2J\\\\033]0;pwned\\\\007'; head -c 100000 /dev/urandom >&2; exit 5\"\n",
    )
    .await;
    env.server.push(Reply::tool_call(
        "c1",
        "bash",
        json!({"command": "echo ran"}),
    ));
    env.server.push(Reply::text("ok"));
    let out = env.run(&["run", "--json", "--approve", "auto", "go"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        env.tool_results(1)[0].contains("ran"),
        "a timed-out hook does not block"
    );
    let reports = hook_results(&out);
    assert_eq!(reports[0]["outcome"], "timed_out", "{reports:?}");
    assert_eq!(reports[1]["outcome"], "failed");
    assert_eq!(reports[1]["exit_code"], 5);

    env.server.push(Reply::tool_call(
        "c1",
        "bash",
        json!({"command": "echo ran"}),
    ));
    env.server.push(Reply::text("ok"));
    let plain = env.run(&["run", "--approve", "auto", "go"]).await;
    assert_eq!(plain.status.code(), Some(0), "{}", stderr(&plain));
    let err = stderr(&plain);
    assert!(err.contains("pre_tool hook `sleep 30` timed_out"), "{err}");
    assert!(err.contains("post_tool hook"), "{err}");
    assert!(!err.contains('\u{1b}'), "escapes reached the terminal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_hooks_run_only_after_harness_hooks_trust() {
    let env = Env::new("").await;
    std::fs::create_dir_all(env.workspace.join(".harness")).unwrap();
    std::fs::write(
        env.workspace.join(".harness/hooks.toml"),
        "[[user_prompt]]\ncommand = \"echo 'the project says no' >&2; exit 2\"\n",
    )
    .unwrap();
    env.server.push(Reply::text("fine"));
    let out = env.run(&["run", "hello"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("harness hooks trust"),
        "the user is told why they do not run: {}",
        stderr(&out)
    );
    let listed = env.run(&["hooks", "list", "--json"]).await;
    let listing: Value = serde_json::from_str(&stdout(&listed)).unwrap();
    assert_eq!(listing["project_file"], "untrusted");

    let trusted = env.run(&["hooks", "trust"]).await;
    assert_eq!(trusted.status.code(), Some(0), "{}", stderr(&trusted));
    assert!(stdout(&trusted).contains("1 hook"), "{}", stdout(&trusted));
    let out = env.run(&["run", "hello"]).await;
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("the project says no"),
        "{}",
        stderr(&out)
    );

    // A change needs a new approval.
    std::fs::write(
        env.workspace.join(".harness/hooks.toml"),
        "[[user_prompt]]\ncommand = \"echo 'changed' >&2; exit 2\"\n",
    )
    .unwrap();
    env.server.push(Reply::text("fine"));
    let out = env.run(&["run", "hello"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
