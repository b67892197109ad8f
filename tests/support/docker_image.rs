//! The real Docker engine for tests: connect (or say why the test is skipped), build the small
//! test image once per run from local files (static busybox and bash from Debian's
//! busybox-static and bash-static, plus the host's curl with its libraries), cached by a tag
//! derived from the files, workspaces the sandbox user can write, and container clean-up.
#![allow(dead_code)]

use harness::config::SandboxConfig;
use harness::message::ConversationId;
use harness::sandbox::docker::image::{ProjectImage, build, context_hash, image_present};
use harness::sandbox::docker::{DockerClient, DockerEndpoint, DockerSandbox};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const BUSYBOX: &str = "/bin/busybox";
pub const BASH_STATIC: &str = "/bin/bash-static";
/// The uid:gid that owns test workspaces when tests run as root.
pub const TEST_UID: u32 = 1000;

/// The engine, or `None` after printing why the test is skipped (only when no daemon answers;
/// with `CI=true` that fails the test instead).
pub async fn engine(test: &str) -> Option<DockerClient> {
    match harness::sandbox::docker::connect::connect(&DockerEndpoint::FromEnv).await {
        Ok(c) => Some(c),
        Err(e) => {
            super::prereq::missing(test, &format!("no Docker daemon answers ({e})"));
            None
        }
    }
}

static IMAGE: tokio::sync::Mutex<Option<String>> = tokio::sync::Mutex::const_new(None);

/// The test image (`harness-test-sandbox:<hash>`): busybox applets in /bin, bash, curl.
pub async fn test_image(client: &DockerClient) -> String {
    let mut cached = IMAGE.lock().await;
    if let Some(tag) = cached.as_ref() {
        return tag.clone();
    }
    let context = tempfile::tempdir().unwrap();
    let dir = context.path();
    for (from, to) in [
        (BUSYBOX, "rootfs/bin/busybox"),
        (BASH_STATIC, "rootfs/bin/bash"),
    ] {
        assert!(
            Path::new(from).exists(),
            "{from} is missing: apt-get install busybox-static bash-static (see .ci/apt-packages.txt)"
        );
        copy_into(dir, from, to);
    }
    for file in with_libraries("/usr/bin/curl") {
        let rel = format!("rootfs{file}");
        copy_into(dir, &file, &rel);
    }
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM scratch\nCOPY rootfs/ /\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n",
    )
    .unwrap();
    let tag = format!("harness-test-sandbox:{}", &context_hash(dir).unwrap()[..16]);
    if !image_present(client, &tag).await.unwrap() {
        let project = ProjectImage {
            tag: tag.clone(),
            context: dir.to_path_buf(),
        };
        build(client, &project).await.unwrap();
    }
    *cached = Some(tag.clone());
    tag
}

/// A binary and the shared libraries `ldd` says it loads (empty when the binary is missing).
fn with_libraries(binary: &str) -> Vec<String> {
    if !Path::new(binary).exists() {
        return Vec::new();
    }
    let out = Command::new("ldd").arg(binary).output().unwrap();
    let mut files = vec![binary.to_string()];
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let path = line
            .split("=>")
            .last()
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or("");
        if path.starts_with('/') {
            files.push(path.to_string());
        }
    }
    files
}

fn copy_into(dir: &Path, from: &str, rel: &str) {
    let to = dir.join(rel);
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(std::fs::canonicalize(from).unwrap(), &to).unwrap();
}

/// A sandbox config for tests: the test image and small limits.
pub fn config(image: &str) -> SandboxConfig {
    SandboxConfig {
        image: image.to_string(),
        memory_mb: 256,
        cpus: 1.0,
        pids: 128,
        timeout_secs: 30,
        ..SandboxConfig::default()
    }
}

/// An empty workspace the sandbox user can write (chowned to a non-root user when tests run as
/// root, as the sandbox never runs as root).
pub fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    if nix::unistd::geteuid().is_root() {
        let id = Some(nix::unistd::Uid::from_raw(TEST_UID));
        let gid = Some(nix::unistd::Gid::from_raw(TEST_UID));
        nix::unistd::chown(dir.path(), id, gid).unwrap();
    }
    dir
}

/// The built `harness` binary, which the sandbox runs as its in-container agent.
pub fn agent_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_harness"))
}

/// A sandbox whose container is removed when the test ends, even if it panics.
pub struct TestSandbox {
    pub sandbox: DockerSandbox,
    pub conversation: ConversationId,
    pub workspace: PathBuf,
}

impl TestSandbox {
    pub fn new(config: &SandboxConfig, workspace: &Path) -> Self {
        let conversation = ConversationId::new();
        Self {
            sandbox: DockerSandbox::new(config, workspace.to_path_buf(), conversation)
                .with_agent_binary(Some(agent_binary())),
            conversation,
            workspace: workspace.to_path_buf(),
        }
    }
}

impl Drop for TestSandbox {
    fn drop(&mut self) {
        remove_labelled(&format!("harness.conversation={}", self.conversation));
    }
}

/// `docker rm -f` every container with this label (test clean-up; works without a runtime).
pub fn remove_labelled(label: &str) {
    let Ok(out) = Command::new("docker")
        .args(["ps", "-aq", "--filter", &format!("label={label}")])
        .output()
    else {
        return;
    };
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if !ids.is_empty() {
        let _ = Command::new("docker")
            .args(["rm", "-f"])
            .args(&ids)
            .output();
    }
}

/// The command lines of the processes in a container, seen from the host (adds none).
pub async fn processes(client: &DockerClient, container: &str) -> Vec<String> {
    let top = client
        .docker
        .top_processes(
            container,
            Some(bollard::container::TopOptions {
                ps_args: "-eo pid,args",
            }),
        )
        .await
        .unwrap();
    let titles = top.titles.unwrap_or_default();
    let col = titles
        .iter()
        .position(|t| t == "COMMAND" || t == "CMD")
        .unwrap_or(titles.len() - 1);
    top.processes
        .unwrap_or_default()
        .into_iter()
        .filter_map(|row| row.get(col).cloned())
        .collect()
}

/// Processes other than the init process and the container's keeper (`sleep`, or the agent).
pub async fn stray_processes(client: &DockerClient, container: &str) -> Vec<String> {
    processes(client, container)
        .await
        .into_iter()
        .filter(|p| {
            !p.contains("docker-init")
                && p.trim() != "sleep 2147483647"
                && !p.ends_with(harness::sandbox::docker::agent::AGENT_ARG)
        })
        .collect()
}

/// A request with a timeout in seconds and no live output.
pub fn request(command: &str, timeout_secs: u64) -> harness::sandbox::ExecRequest {
    harness::sandbox::ExecRequest {
        command: command.to_string(),
        timeout: std::time::Duration::from_secs(timeout_secs),
        live_output: None,
    }
}

/// Run `command` (30 s timeout); the sandbox must not fail.
pub async fn run(sandbox: &DockerSandbox, command: &str) -> harness::sandbox::ExecOutput {
    use harness::sandbox::Sandbox;
    sandbox.exec(request(command, 30)).await.unwrap()
}
