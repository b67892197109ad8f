//! The six tools through the registry, on real temporary workspaces with the host sandbox:
//! each tool's happy path, its refusals (`..`, absolute paths, symlinks out of the workspace,
//! edit with zero or several matches), schema errors, previews, timeouts and interrupts.

mod calls;
mod files;
mod search;

use harness::message::ToolCall;
use harness::sandbox::host::HostSandbox;
use harness::tools::{ToolContext, ToolOutput, ToolRegistry};
use serde_json::Value;
use std::os::unix::fs::symlink;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A workspace `ws/` with a sibling `outside/` holding a secret, and links from one to the other.
pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub ws: PathBuf,
    pub outside: PathBuf,
    pub registry: ToolRegistry,
    pub ctx: ToolContext,
}

pub const SECRET: &str = "TOP-SECRET-CONTENT";

pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let ws = base.join("ws");
    let outside = base.join("outside");
    std::fs::create_dir_all(ws.join("src")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), format!("{SECRET}\n")).unwrap();
    std::fs::write(
        ws.join("src/main.rs"),
        "fn main() {\n    println!(\"hi\");\n}\n",
    )
    .unwrap();
    symlink(outside.join("secret.txt"), ws.join("secret_link")).unwrap();
    symlink(&outside, ws.join("outside_dir")).unwrap();
    let sandbox = HostSandbox::new(&ws).unwrap();
    let ctx = ToolContext {
        sandbox: Arc::new(sandbox),
        live_output: None,
        cancel: CancellationToken::new(),
        default_timeout: Duration::from_secs(30),
        seen: Arc::default(),
        checkpoint: None,
        read_denials: Default::default(),
        services: Default::default(),
    };
    Fixture {
        _dir: dir,
        ws,
        outside,
        registry: ToolRegistry::builtin(),
        ctx,
    }
}

pub fn call(name: &str, arguments: Value) -> ToolCall {
    ToolCall {
        id: "call_1".into(),
        name: name.into(),
        arguments,
    }
}

impl Fixture {
    pub async fn run(&self, name: &str, arguments: Value) -> ToolOutput {
        self.registry
            .execute(&call(name, arguments), self.ctx.clone())
            .await
    }

    pub async fn ok(&self, name: &str, arguments: Value) -> String {
        let out = self.run(name, arguments.clone()).await;
        assert!(!out.is_error, "{name} {arguments}: {}", out.content);
        out.content
    }

    pub async fn err(&self, name: &str, arguments: Value) -> String {
        let out = self.run(name, arguments.clone()).await;
        assert!(
            out.is_error,
            "{name} {arguments} should fail: {}",
            out.content
        );
        assert!(
            !out.content.contains(SECRET),
            "secret leaked: {}",
            out.content
        );
        out.content
    }

    pub fn read_file(&self, rel: &str) -> String {
        std::fs::read_to_string(self.ws.join(rel)).unwrap()
    }

    pub fn outside_untouched(&self) {
        let names: Vec<String> = std::fs::read_dir(&self.outside)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec!["secret.txt"], "something was written outside");
        assert_eq!(
            std::fs::read_to_string(self.outside.join("secret.txt")).unwrap(),
            format!("{SECRET}\n")
        );
    }
}
