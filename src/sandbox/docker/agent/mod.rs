//! The persistent exec channel into a sandbox container (issue 19). Instead of `sleep`, the
//! container's main process is the harness binary itself (`harness __sandbox-agent`), bind-
//! mounted read-only with the dynamic loader and libraries it was loaded with, and started
//! through that loader, so it runs in any image whatever its C library (or none). The host
//! attaches to its stdin/stdout once; each tool call is then one frame out and a few frames back,
//! with no Docker API round trip. The agent runs every command under the same `wrapper.sh` a
//! `docker exec` call would, so timeouts, process-group kills, marker reaps and OOM reports are
//! unchanged. Submodules: `frame` (wire format), `serve` (inside the container), `channel` (the
//! host's end), `call` (one tool call over the channel).
//! When the agent cannot start (another architecture, an unusual loader), the sandbox falls back
//! to `docker exec` and says so once in the first command's output.

pub mod call;
pub mod channel;
pub mod frame;
pub mod serve;

use bollard::container::Config;
use bollard::models::{Mount, MountTypeEnum};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The hidden argument that turns the harness binary into the agent.
pub const AGENT_ARG: &str = "__sandbox-agent";
/// Where the agent's files appear inside the container (read-only).
pub const AGENT_DIR: &str = "/.harness-agent";

pub(crate) use super::exec::{INLINE_COMMAND_MAX, wrapper_script};

static AGENT_BINARY: OnceLock<PathBuf> = OnceLock::new();

/// Declare the binary that understands [`AGENT_ARG`] (the `harness` binary calls this with its
/// own path; a library user that never does keeps using `docker exec`). First call wins.
pub fn register_binary(path: PathBuf) {
    let _ = AGENT_BINARY.set(path);
}

/// The registered agent binary, if any.
pub fn registered_binary() -> Option<PathBuf> {
    AGENT_BINARY.get().cloned()
}

/// The host files the agent needs inside the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentFiles {
    pub binary: PathBuf,
    /// The dynamic loader; `None` for a static binary.
    pub loader: Option<PathBuf>,
    pub libraries: Vec<PathBuf>,
}

impl AgentFiles {
    /// The agent binary and the loader and libraries this process was loaded with (the agent
    /// is this program, so it needs the same ones), read from `/proc/self/maps`.
    pub fn locate(binary: &Path) -> Result<Self, String> {
        let binary = binary.canonicalize().map_err(|e| {
            format!(
                "the harness binary {} cannot be found ({e})",
                binary.display()
            )
        })?;
        let maps = std::fs::read_to_string("/proc/self/maps")
            .map_err(|e| format!("cannot read /proc/self/maps ({e})"))?;
        let (loader, libraries) = shared_objects(&maps);
        Ok(Self {
            binary,
            loader,
            libraries,
        })
    }

    /// The container's command: the agent, through the mounted loader when there is one.
    pub fn command(&self) -> Vec<String> {
        let binary = format!("{AGENT_DIR}/harness");
        match &self.loader {
            Some(loader) => vec![
                format!("{AGENT_DIR}/lib/{}", file_name(loader)),
                "--library-path".to_string(),
                format!("{AGENT_DIR}/lib"),
                binary,
                AGENT_ARG.to_string(),
            ],
            None => vec![binary, AGENT_ARG.to_string()],
        }
    }

    /// Read-only bind mounts of the binary, the loader and the libraries.
    pub fn mounts(&self) -> Vec<Mount> {
        let mount = |source: &Path, target: String| Mount {
            target: Some(target),
            source: Some(source.display().to_string()),
            typ: Some(MountTypeEnum::BIND),
            read_only: Some(true),
            ..Default::default()
        };
        let mut mounts = vec![mount(&self.binary, format!("{AGENT_DIR}/harness"))];
        for lib in self.loader.iter().chain(&self.libraries) {
            mounts.push(mount(lib, format!("{AGENT_DIR}/lib/{}", file_name(lib))));
        }
        mounts
    }

    /// Make `config` (from `container::container_config`) run the agent as its main process,
    /// with stdin open for the host's frames.
    pub fn apply(&self, config: &mut Config<String>) {
        config.cmd = Some(self.command());
        config.attach_stdin = Some(true);
        config.attach_stdout = Some(true);
        config.attach_stderr = Some(true);
        config.open_stdin = Some(true);
        config.stdin_once = Some(false);
        if let Some(host) = config.host_config.as_mut() {
            host.mounts
                .get_or_insert_with(Vec::new)
                .extend(self.mounts());
        }
    }
}

/// Why the agent did not come up.
#[derive(Debug)]
pub enum StartFailure {
    /// Nothing can start in this sandbox (image missing, daemon error): report it.
    Sandbox(crate::sandbox::SandboxError),
    /// The agent could not run here; a plain container may still work. Says why, one line.
    Unavailable(String),
}

/// How long a starting agent may take to say it is up.
const READY_LIMIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Create the container with the agent as its main process, attach, start it and wait for the
/// agent. On failure the container is removed.
pub async fn start_container(
    client: &super::DockerClient,
    mut spec: Config<String>,
    files: &AgentFiles,
    conversation: crate::message::ConversationId,
) -> Result<(String, channel::AgentChannel), StartFailure> {
    files.apply(&mut spec);
    let id = super::container::create(client, spec, conversation)
        .await
        .map_err(StartFailure::Sandbox)?;
    let attached = channel::AgentChannel::attach(client, &id).await;
    let (channel, ready) = match attached {
        Ok(pair) => pair,
        Err(e) => {
            let _ = super::orphans::force_remove(client, &id).await;
            return Err(StartFailure::Unavailable(e.to_string()));
        }
    };
    if let Err(e) = super::container::start(client, &id).await {
        return Err(StartFailure::Unavailable(e.to_string()));
    }
    match ready.wait(READY_LIMIT).await {
        Ok(()) => Ok((id, channel)),
        Err(why) => {
            let said = channel.agent_stderr();
            let stopped = super::container::why_stopped(client, &id).await;
            let _ = super::orphans::force_remove(client, &id).await;
            let detail = if said.is_empty() { stopped } else { said };
            Err(StartFailure::Unavailable(format!("{why}: {detail}")))
        }
    }
}

/// The one-line notice shown with the first command after the agent could not start.
pub fn fallback_notice(why: &str) -> String {
    format!(
        "[sandbox: the fast exec agent could not start in this image ({why}); commands run \
         through `docker exec` instead, about 50 ms slower each]"
    )
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The loader and the other shared objects mapped by a process, from its `/proc/PID/maps`
/// text: each path once, in order of appearance.
pub fn shared_objects(maps: &str) -> (Option<PathBuf>, Vec<PathBuf>) {
    let mut loader = None;
    let mut libraries: Vec<PathBuf> = Vec::new();
    for line in maps.lines() {
        // address perms offset dev inode path: the path is the sixth field and may hold spaces.
        let Some(path) = line.splitn(6, ' ').nth(5).map(str::trim) else {
            continue;
        };
        if !path.starts_with('/') || path.ends_with(" (deleted)") {
            continue;
        }
        let name = path.rsplit('/').next().unwrap_or("");
        if !name.contains(".so") {
            continue;
        }
        let path = PathBuf::from(path);
        if name.starts_with("ld-") || name.starts_with("ld64") {
            loader.get_or_insert(path);
        } else if !libraries.contains(&path) {
            libraries.push(path);
        }
    }
    (loader, libraries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_objects_from_maps() {
        let maps = "\
55d0c0000000-55d0c0100000 r--p 00000000 08:01 123 /usr/local/bin/harness
7f0000000000-7f0000001000 r--p 00000000 08:01 11 /usr/lib/x86_64-linux-gnu/libc.so.6
7f0000001000-7f0000002000 r-xp 00001000 08:01 11 /usr/lib/x86_64-linux-gnu/libc.so.6
7f0000003000-7f0000004000 r--p 00000000 08:01 12 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1
7f0000005000-7f0000006000 rw-p 00000000 00:00 0 
7f0000006000-7f0000007000 r--p 00000000 08:01 13 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7f0000008000-7f0000009000 r--p 00000000 08:01 14 /tmp/gone.so (deleted)
7ffd00000000-7ffd00001000 rw-p 00000000 00:00 0                          [stack]
7ffd00002000-7ffd00003000 r-xp 00000000 00:00 0                          [vdso]
";
        let (loader, libs) = shared_objects(maps);
        assert_eq!(
            loader,
            Some(PathBuf::from(
                "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
            ))
        );
        assert_eq!(
            libs,
            vec![
                PathBuf::from("/usr/lib/x86_64-linux-gnu/libc.so.6"),
                PathBuf::from("/usr/lib/x86_64-linux-gnu/libgcc_s.so.1"),
            ]
        );
        assert_eq!(shared_objects(""), (None, Vec::new()));
    }

    #[test]
    fn command_and_mounts_go_through_the_mounted_loader() {
        let files = AgentFiles {
            binary: "/opt/h/harness-bin".into(),
            loader: Some("/lib64/ld-linux-x86-64.so.2".into()),
            libraries: vec!["/usr/lib/libc.so.6".into()],
        };
        assert_eq!(
            files.command(),
            [
                "/.harness-agent/lib/ld-linux-x86-64.so.2",
                "--library-path",
                "/.harness-agent/lib",
                "/.harness-agent/harness",
                AGENT_ARG
            ]
        );
        let mounts = files.mounts();
        assert_eq!(mounts.len(), 3);
        assert!(mounts.iter().all(|m| m.read_only == Some(true)));
        assert_eq!(mounts[0].source.as_deref(), Some("/opt/h/harness-bin"));
        assert_eq!(
            mounts[2].target.as_deref(),
            Some("/.harness-agent/lib/libc.so.6")
        );
        let static_files = AgentFiles {
            loader: None,
            libraries: Vec::new(),
            ..files
        };
        assert_eq!(
            static_files.command(),
            ["/.harness-agent/harness", AGENT_ARG]
        );
    }
}
