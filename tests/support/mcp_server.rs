//! The test MCP server (`tests/bin/mcp_test_server.rs`, an example target): built on first use
//! with the same cargo and target directory as the tests, then run over stdio by harness or
//! over streamable HTTP by the test itself.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

/// The built server's path.
pub fn server_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("test exe");
        // target/debug/deps/all-HASH -> target/debug
        let profile_dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "--example", "mcp_test_server"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env(
                "CARGO_TARGET_DIR",
                profile_dir.parent().expect("target root"),
            )
            .status()
            .expect("run cargo build --example mcp_test_server");
        assert!(status.success(), "building the test MCP server failed");
        let bin = profile_dir.join("examples").join("mcp_test_server");
        assert!(bin.exists(), "{} missing", bin.display());
        bin
    })
    .clone()
}

/// The server over streamable HTTP on 127.0.0.1, killed when dropped.
pub struct HttpServer {
    child: Child,
    pub url: String,
}

impl HttpServer {
    pub fn start() -> Self {
        let mut child = Command::new(server_bin())
            .args(["--http", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the HTTP MCP server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read its address");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Self {
            child,
            url: format!("http://{addr}/mcp"),
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
