//! MCP servers end to end: `harness run` (the built binary) against the fake provider, with
//! the test MCP server (`tests/bin/mcp_test_server.rs`, rmcp's server side) over stdio and over
//! streamable HTTP. The model's call reaches the server and the result reaches the next
//! request; approvals and permission rules apply; a server that exits at start, one that never
//! answers and one that is not installed are reported and the session goes on; a crash mid-call;
//! tool-list changes; the server's environment; the server goes with the harness.

use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use crate::support::home::{TempHome, stderr, stdout};
use crate::support::mcp_server::{HttpServer, server_bin};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Output;

struct Env {
    home: TempHome,
    server: FakeProvider,
    workspace: PathBuf,
}

impl Env {
    async fn new(extra: &str) -> Self {
        let server = FakeProvider::start(Flavor::OpenAi).await;
        let home = TempHome::new();
        home.write_config(&format!(
            "default_model = \"fake/model-x\"\n{}\n[sandbox]\nbackend = \"host\"\n{extra}\n",
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
        cmd.current_dir(&self.workspace)
            .args(args)
            .env("SECRET_TOKEN", "do-not-leak")
            .env("HARNESS_TEST_GREETING", "hello from the config");
        let mut cmd = tokio::process::Command::from(cmd);
        cmd.kill_on_drop(true);
        cmd.output().await.unwrap()
    }

    /// The tool results the model got back in request `n` (0-based), in order.
    fn results_in_request(&self, n: usize) -> Vec<String> {
        let requests = self.server.chat_requests();
        assert!(requests.len() > n, "only {} requests", requests.len());
        requests[n].body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == "tool")
            .map(|m| m["content"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// The tool names offered in request `n`.
    fn tools_in_request(&self, n: usize) -> Vec<String> {
        self.server.chat_requests()[n].body["tools"]
            .as_array()
            .map(|tools| {
                tools
                    .iter()
                    .map(|t| {
                        t["function"]["name"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn stdio_server(name: &str, extra: &str) -> String {
    format!(
        "[mcp.servers.{name}]\ncommand = \"{}\"\n{extra}\n",
        server_bin().display()
    )
}

fn events(out: &Output, kind: &str) -> Vec<Value> {
    stdout(out)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["type"] == kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_calls_an_mcp_tool_and_its_result_reaches_the_next_request() {
    let env = Env::new(&stdio_server("srv", "")).await;
    env.server.push(Reply::tool_call(
        "c1",
        "mcp__srv__echo",
        json!({"text": "hi there"}),
    ));
    env.server
        .push(Reply::tool_call("c2", "mcp__srv__picture", json!({})));
    env.server.push(Reply::text("done"));
    let out = env
        .run(&["run", "--json", "--approve", "auto", "use the echo tool"])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let first = &env.server.chat_requests()[0].body;
    let echo = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["function"]["name"] == "mcp__srv__echo")
        .expect("the MCP tool is offered in the first request");
    assert_eq!(echo["function"]["description"], "Says the text back");
    assert_eq!(
        echo["function"]["parameters"]["required"],
        json!(["text"]),
        "the server's schema is passed on"
    );
    assert_eq!(env.results_in_request(1), vec!["echo: hi there"]);
    assert_eq!(
        env.results_in_request(2)[1],
        "[image: image/png, 8 bytes]",
        "an image becomes a short description"
    );

    let statuses = events(&out, "mcp_status");
    let ready = statuses
        .iter()
        .find(|e| e["state"] == "ready")
        .expect("a ready mcp_status event");
    assert_eq!(ready["server"], "srv");
    assert!(
        ready["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("mcp__srv__echo"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approvals_and_permission_rules_apply_to_mcp_tools() {
    // Headless `ask`: no one can approve, so the call is refused.
    let env = Env::new(&stdio_server("srv", "")).await;
    env.server.push(Reply::tool_call(
        "c1",
        "mcp__srv__echo",
        json!({"text": "x"}),
    ));
    env.server.push(Reply::text("ok"));
    let out = env.run(&["run", "--json", "--approve", "ask", "go"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let result = &env.results_in_request(1)[0];
    assert!(
        !result.contains("echo: x"),
        "ran without approval: {result}"
    );

    // An allow rule for the whole server lets it run under `ask`.
    let env = Env::new(&format!(
        "{}[permissions]\nallow = [\"mcp__srv__*\"]\n",
        stdio_server("srv", "")
    ))
    .await;
    env.server.push(Reply::tool_call(
        "c1",
        "mcp__srv__echo",
        json!({"text": "x"}),
    ));
    env.server.push(Reply::text("ok"));
    let out = env.run(&["run", "--json", "--approve", "ask", "go"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.results_in_request(1), vec!["echo: x"]);

    // A deny rule wins even in `auto`.
    let env = Env::new(&format!(
        "{}[permissions]\ndeny = [\"mcp__srv__echo\"]\n",
        stdio_server("srv", "")
    ))
    .await;
    env.server.push(Reply::tool_call(
        "c1",
        "mcp__srv__echo",
        json!({"text": "x"}),
    ));
    env.server.push(Reply::text("ok"));
    let out = env.run(&["run", "--json", "--approve", "auto", "go"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let result = &env.results_in_request(1)[0];
    assert!(result.contains("mcp__srv__echo"), "{result}");
    assert!(!result.contains("echo: x"), "{result}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamable_http_server_works_like_a_stdio_one() {
    let http = HttpServer::start();
    let env = Env::new(&format!("[mcp.servers.web]\nurl = \"{}\"\n", http.url)).await;
    let listed = env.run(&["mcp", "list", "--json"]).await;
    assert_eq!(listed.status.code(), Some(0), "{}", stderr(&listed));
    let servers: Value = serde_json::from_str(&stdout(&listed)).unwrap();
    assert_eq!(servers[0]["name"], "web");
    assert_eq!(servers[0]["transport"], "http");
    assert_eq!(servers[0]["state"], "ready", "{servers}");

    env.server.push(Reply::tool_call(
        "c1",
        "mcp__web__echo",
        json!({"text": "over http"}),
    ));
    env.server.push(Reply::text("ok"));
    let out = env.run(&["run", "--json", "--approve", "auto", "go"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.results_in_request(1), vec!["echo: over http"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_that_fail_are_reported_and_the_session_goes_on() {
    let config = format!(
        "{}{}{}[mcp.servers.missing]\ncommand = \"/nonexistent/mcp-server\"\n{}",
        stdio_server("crashy", "args = [\"--exit-at-start\"]"),
        stdio_server("slow", "args = [\"--hang\"]\nstartup_timeout_secs = 1"),
        stdio_server("off", "enabled = false"),
        stdio_server("srv", ""),
    );
    let env = Env::new(&config).await;

    let listed = env.run(&["mcp", "list", "--json"]).await;
    assert_eq!(listed.status.code(), Some(0), "{}", stderr(&listed));
    let servers: Vec<Value> = serde_json::from_str(&stdout(&listed)).unwrap();
    let by_name = |n: &str| servers.iter().find(|s| s["name"] == n).unwrap().clone();
    let crashy = by_name("crashy");
    assert_eq!(crashy["state"], "failed", "{crashy}");
    assert!(
        crashy["error"]
            .as_str()
            .unwrap()
            .contains("cannot open its database"),
        "the server's stderr explains the failure: {crashy}"
    );
    let slow = by_name("slow");
    assert_eq!(slow["state"], "failed");
    assert!(
        slow["error"]
            .as_str()
            .unwrap()
            .contains("did not answer within 1s"),
        "{slow}"
    );
    let missing = by_name("missing");
    assert!(
        missing["error"]
            .as_str()
            .unwrap()
            .contains("could not start"),
        "{missing}"
    );
    assert_eq!(by_name("off")["state"], "disabled");
    assert_eq!(by_name("srv")["state"], "ready");

    let plain = env.run(&["mcp", "list"]).await;
    assert!(
        stdout(&plain).contains("crashy (stdio): failed"),
        "{}",
        stdout(&plain)
    );
    assert!(stdout(&plain).contains("mcp__srv__echo"));

    let doctor = env.run(&["doctor"]).await;
    let report = stdout(&doctor);
    assert!(report.contains("FAIL mcp"), "{report}");
    assert!(report.contains("srv (stdio): ready"), "{report}");

    env.server.push(Reply::tool_call(
        "c1",
        "mcp__srv__echo",
        json!({"text": "still here"}),
    ));
    env.server.push(Reply::text("ok"));
    let out = env.run(&["run", "--json", "--approve", "auto", "go"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.results_in_request(1), vec!["echo: still here"]);
    let failed: Vec<Value> = events(&out, "mcp_status")
        .into_iter()
        .filter(|e| e["state"] == "failed")
        .collect();
    assert_eq!(failed.len(), 3, "{failed:?}");
    let offered = env.tools_in_request(0);
    assert!(
        !offered.iter().any(|t| t.starts_with("mcp__crashy")),
        "{offered:?}"
    );

    env.server.push(Reply::text("ok"));
    let plain = env.run(&["run", "--approve", "auto", "go"]).await;
    assert!(
        stderr(&plain).contains("MCP server crashy failed"),
        "{}",
        stderr(&plain)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_crashes_mid_call_fails_the_call_not_the_turn() {
    let env = Env::new(&stdio_server("srv", "")).await;
    env.server
        .push(Reply::tool_call("c1", "mcp__srv__crash", json!({})));
    env.server.push(Reply::tool_call(
        "c2",
        "mcp__srv__echo",
        json!({"text": "again"}),
    ));
    env.server.push(Reply::text("ok"));
    let out = env.run(&["run", "--json", "--approve", "auto", "go"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let crash = &env.results_in_request(1)[0];
    assert!(crash.contains("MCP server `srv`"), "{crash}");
    let again = &env.results_in_request(2)[1];
    assert!(again.contains("srv"), "{again}");
    assert!(!again.contains("echo: again"), "{again}");
    assert!(
        events(&out, "mcp_status")
            .iter()
            .any(|e| e["state"] == "failed" && {
                let error = e["error"].as_str().unwrap();
                error.contains("exited") || error.contains("connection was lost")
            }),
        "{}",
        stdout(&out)
    );
    assert!(
        !env.tools_in_request(2)
            .iter()
            .any(|t| t.starts_with("mcp__srv")),
        "a crashed server's tools are withdrawn"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_list_change_is_picked_up_before_the_next_request() {
    let env = Env::new(&stdio_server("srv", "")).await;
    env.server
        .push(Reply::tool_call("c1", "mcp__srv__grow", json!({})));
    env.server
        .push(Reply::tool_call("c2", "mcp__srv__extra", json!({})));
    env.server.push(Reply::text("ok"));
    let out = env.run(&["run", "--json", "--approve", "auto", "go"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !env.tools_in_request(0)
            .contains(&"mcp__srv__extra".to_string())
    );
    assert!(
        env.tools_in_request(1)
            .contains(&"mcp__srv__extra".to_string())
    );
    assert_eq!(env.results_in_request(2), vec!["grown", "extra here"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_servers_get_a_clean_environment_and_go_with_the_harness() {
    let pid_file = tempfile::NamedTempFile::new().unwrap();
    let env = Env::new(&stdio_server(
        "srv",
        &format!(
            "env = {{ GREETING = \"${{HARNESS_TEST_GREETING}}\", MCP_TEST_PID_FILE = \"{}\" }}",
            pid_file.path().display()
        ),
    ))
    .await;
    env.server.push(Reply::tool_call(
        "c1",
        "mcp__srv__env",
        json!({"name": "SECRET_TOKEN"}),
    ));
    env.server.push(Reply::tool_call(
        "c2",
        "mcp__srv__env",
        json!({"name": "GREETING"}),
    ));
    env.server.push(Reply::text("ok"));
    let out = env.run(&["run", "--json", "--approve", "auto", "go"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        env.results_in_request(2),
        vec!["unset", "hello from the config"],
        "credentials stay out; the configured env (with ${{VAR}}) goes in"
    );
    let pid: i32 = std::fs::read_to_string(pid_file.path())
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The harness has exited: its server must not outlive it (a zombie is gone too once
    // reaped by init, so look at the process state, not only its existence).
    let alive = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| !s.contains(") Z "))
            .unwrap_or(false)
    };
    for _ in 0..50 {
        if !alive() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(!alive(), "the MCP server {pid} outlived harness");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unset_variable_fails_that_server_alone() {
    let env = Env::new(&format!(
        "{}{}",
        stdio_server("needy", "env = { TOKEN = \"${HARNESS_TEST_UNSET_VAR}\" }"),
        stdio_server("srv", "")
    ))
    .await;
    let listed = env.run(&["mcp", "list", "--json"]).await;
    assert_eq!(listed.status.code(), Some(0), "{}", stderr(&listed));
    let servers: Vec<Value> = serde_json::from_str(&stdout(&listed)).unwrap();
    assert_eq!(servers[0]["name"], "needy");
    assert_eq!(servers[0]["state"], "failed");
    assert!(
        servers[0]["error"]
            .as_str()
            .unwrap()
            .contains("HARNESS_TEST_UNSET_VAR"),
        "{servers:?}"
    );
    assert_eq!(servers[1]["state"], "ready");
}

#[test]
fn bad_server_tables_are_config_errors() {
    let home = TempHome::new();
    for (text, want) in [
        ("[mcp.servers.x]\nargs = []\n", "neither command nor url"),
        (
            "[mcp.servers.x]\ncommand = \"a\"\nurl = \"http://b\"\n",
            "both command and url",
        ),
        ("[mcp.servers.\"a__b\"]\ncommand = \"a\"\n", "no `__`"),
        ("[mcp.servers.x]\ncommand = \"a\"\nbogus = 1\n", "bogus"),
        (
            "[permissions]\nallow = [\"mcp__x__y(z)\"]\n",
            "take no pattern",
        ),
    ] {
        home.write_config(text);
        let out = home.run(&["config", "check"]);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(stderr(&out).contains(want), "{text}: {}", stderr(&out));
    }
}
