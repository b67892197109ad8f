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

    /// A `harness` command with HARNESS_HOME set and no stray provider keys or config: the
    /// machine's provider variables are removed and the local Ollama probe is off.
    pub fn cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_harness"));
        scrub_provider_env(&mut cmd);
        cmd.env("HARNESS_HOME", self.path())
            .env_remove("HARNESS_MODEL")
            .env_remove("HARNESS_AGENT")
            .env_remove("HARNESS_APPROVAL")
            .env_remove("HARNESS_SANDBOX")
            .env_remove("HARNESS_PROFILE")
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

/// Remove every variable that can make a provider (ANTHROPIC_API_KEY, ..., OLLAMA_HOST) and
/// turn the local Ollama probe off, so the machine's environment cannot leak into a test.
pub fn scrub_provider_env(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for var in harness::config::env_providers::PROVIDER_VARS {
        cmd.env_remove(var);
    }
    cmd.env(harness::config::env_providers::PROBE_VAR, "0")
}

/// The same for a shell command line: `env -u VAR ... HARNESS_OLLAMA_PROBE=0`.
pub fn scrubbed_env_prefix() -> String {
    let mut s = String::from("env");
    for var in harness::config::env_providers::PROVIDER_VARS {
        s.push_str(&format!(" -u {var}"));
    }
    s.push_str(&format!(" {}=0", harness::config::env_providers::PROBE_VAR));
    s
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
