//! A temporary HARNESS_HOME and a way to run the built binary inside it.

use std::path::{Path, PathBuf};
use std::process::Output;

pub struct TempHome {
    pub dir: tempfile::TempDir,
}

impl TempHome {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn db(&self) -> PathBuf {
        self.path().join("harness.db")
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(self.path().join("config.toml"), text).expect("write config");
    }

    /// A `harness` command with HARNESS_HOME set and no stray provider keys or config.
    pub fn cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_harness"));
        cmd.env("HARNESS_HOME", self.path())
            .env_remove("HARNESS_MODEL")
            .env_remove("HARNESS_AGENT")
            .env_remove("HARNESS_APPROVAL")
            .env_remove("HARNESS_SANDBOX")
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1")
            .current_dir(self.path());
        cmd
    }

    /// Run `harness ARGS` and return its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run harness")
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
