//! The per-conversation container: its hardened configuration and its creation. Everything the
//! issue asks of the container is here in one place, so a reviewer can check the list: network
//! none, read-only root with tmpfs /tmp and home, all capabilities dropped, no-new-privileges, a
//! uid:gid that is the host user's (never another), a read-only `.git`, pids/memory (no extra swap)/CPU limits, an init process, an environment
//! that holds nothing from the host, and labels naming the harness, conversation and owner.

use super::connect::DockerClient;
use super::orphans::{
    LABEL_CONVERSATION, LABEL_HARNESS, LABEL_WORKSPACE, OwnerIdentity, force_remove, request_error,
};
use crate::config::SandboxConfig;
use crate::message::ConversationId;
use crate::sandbox::SandboxError;
use bollard::container::{Config, CreateContainerOptions, StartContainerOptions};
use bollard::models::{HostConfig, Mount, MountTypeEnum};
use std::collections::HashMap;
use std::path::Path;

/// Where the workspace appears inside the container.
pub const WORKSPACE_MOUNT: &str = "/workspace";
/// The sandbox user's home (a tmpfs owned by that user).
pub const SANDBOX_HOME: &str = "/home/harness";
/// The workspace's git directory, mounted read-only over the workspace mount unless
/// `[sandbox] git_writable`.
pub const GIT_DIR: &str = ".git";
/// The container's main process: parks forever under the init process; tool calls are execs.
const KEEPER: [&str; 2] = ["sleep", "2147483647"];
const PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Whose files the sandbox writes, as far as the daemon's uid mapping goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaemonMode {
    /// Container uids are host uids.
    Rootful,
    /// Rootless Docker: container uid 0 is the (unprivileged) host user who runs the daemon;
    /// any other container uid is a subordinate id that cannot write the user's files.
    Rootless,
}

/// Who commands run as. As the host user, never another: when the harness runs as a regular
/// user, its own uid:gid (a workspace it cannot write stays unwritable, as on the host). When the
/// harness runs as root (dev containers, CI), the workspace's owner, so files the sandbox creates
/// belong to whoever owns the workspace; a root-owned workspace means container root, with every
/// capability dropped and no-new-privileges (it can write root's files, nothing more). Under
/// rootless Docker, container uid 0, which *is* the unprivileged host user.
pub fn sandbox_user(
    host_uid: u32,
    host_gid: u32,
    workspace_owner: Option<(u32, u32)>,
    mode: DaemonMode,
) -> (u32, u32) {
    if mode == DaemonMode::Rootless {
        return (0, 0);
    }
    if host_uid != 0 {
        return (host_uid, host_gid);
    }
    workspace_owner.unwrap_or((host_uid, host_gid))
}

/// The daemon's mode from its `SecurityOptions` (`docker info`).
pub fn daemon_mode(security_options: &[String]) -> DaemonMode {
    if security_options
        .iter()
        .any(|o| o.split(',').any(|kv| kv == "name=rootless"))
    {
        DaemonMode::Rootless
    } else {
        DaemonMode::Rootful
    }
}

/// The container configuration for one conversation's sandbox.
///
/// Long by design: one literal of the container's configuration, each setting commented.
pub fn container_config(
    config: &SandboxConfig,
    image: &str,
    workspace: &Path,
    conversation: ConversationId,
    user: (u32, u32),
    owner: &OwnerIdentity,
    has_git_dir: bool,
) -> Config<String> {
    let (uid, gid) = user;
    let memory = i64::try_from(config.memory_mb.saturating_mul(1024 * 1024)).unwrap_or(i64::MAX);
    // Tmpfs pages count against the memory limit; the size only bounds one mount.
    let tmpfs_size = format!("size={}m", config.memory_mb.max(16));
    let tmpfs = HashMap::from([
        (
            "/tmp".to_string(),
            format!("rw,nosuid,nodev,mode=1777,{tmpfs_size}"),
        ),
        (
            SANDBOX_HOME.to_string(),
            format!("rw,nosuid,nodev,mode=0700,uid={uid},gid={gid},{tmpfs_size}"),
        ),
    ]);
    let mut labels = HashMap::from([
        (LABEL_HARNESS.to_string(), "1".to_string()),
        (LABEL_CONVERSATION.to_string(), conversation.to_string()),
        (LABEL_WORKSPACE.to_string(), workspace.display().to_string()),
    ]);
    labels.extend(owner.labels().map(|(k, v)| (k.to_string(), v)));
    let mut mounts = vec![Mount {
        target: Some(WORKSPACE_MOUNT.to_string()),
        source: Some(workspace.display().to_string()),
        typ: Some(MountTypeEnum::BIND),
        read_only: Some(false),
        ..Default::default()
    }];
    if has_git_dir && !config.git_writable {
        mounts.push(Mount {
            target: Some(format!("{WORKSPACE_MOUNT}/{GIT_DIR}")),
            source: Some(workspace.join(GIT_DIR).display().to_string()),
            typ: Some(MountTypeEnum::BIND),
            read_only: Some(true),
            ..Default::default()
        });
    }
    let host_config = HostConfig {
        mounts: Some(mounts),
        network_mode: Some(if config.network { "bridge" } else { "none" }.to_string()),
        readonly_rootfs: Some(true),
        tmpfs: Some(tmpfs),
        cap_drop: Some(vec!["ALL".to_string()]),
        security_opt: Some(vec!["no-new-privileges".to_string()]),
        pids_limit: Some(config.pids.max(1)),
        memory: Some(memory),
        memory_swap: Some(memory),
        nano_cpus: Some((config.cpus.max(0.01) * 1e9) as i64),
        init: Some(true),
        ipc_mode: Some("private".to_string()),
        ..Default::default()
    };
    Config {
        image: Some(image.to_string()),
        cmd: Some(KEEPER.iter().map(|s| s.to_string()).collect()),
        entrypoint: Some(vec![String::new()]),
        user: Some(format!("{uid}:{gid}")),
        working_dir: Some(WORKSPACE_MOUNT.to_string()),
        env: Some(vec![
            PATH.to_string(),
            format!("HOME={SANDBOX_HOME}"),
            "LANG=C.UTF-8".to_string(),
            "TERM=dumb".to_string(),
        ]),
        labels: Some(labels),
        network_disabled: Some(!config.network),
        attach_stdin: Some(false),
        attach_stdout: Some(false),
        attach_stderr: Some(false),
        tty: Some(false),
        host_config: Some(host_config),
        ..Default::default()
    }
}

/// Create and start the container; returns its id. A container that fails to start is removed.
pub async fn create_and_start(
    client: &DockerClient,
    config: Config<String>,
    conversation: ConversationId,
) -> Result<String, SandboxError> {
    let id = create(client, config, conversation).await?;
    start(client, &id).await?;
    Ok(id)
}

/// Create the container (not started); returns its id.
pub async fn create(
    client: &DockerClient,
    config: Config<String>,
    conversation: ConversationId,
) -> Result<String, SandboxError> {
    let short = conversation.to_string().chars().take(8).collect::<String>();
    let name = format!(
        "harness-{short}-{}-{:04x}",
        std::process::id(),
        fastrand::u16(..)
    );
    let options = CreateContainerOptions {
        name: name.clone(),
        platform: None,
    };
    let image = config.image.clone().unwrap_or_default();
    let created = client
        .docker
        .create_container(Some(options), config)
        .await
        .map_err(|e| match e {
            bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            } => SandboxError::Image(super::image::missing_image_message(&image)),
            e => request_error(client, "create the sandbox container", &e),
        })?;
    Ok(created.id)
}

/// Start a created container; one that fails to start is removed.
pub async fn start(client: &DockerClient, id: &str) -> Result<(), SandboxError> {
    if let Err(e) = client
        .docker
        .start_container(id, None::<StartContainerOptions<String>>)
        .await
    {
        let _ = force_remove(client, id).await;
        return Err(match e {
            bollard::errors::Error::DockerResponseServerError { message, .. } => {
                SandboxError::Failed(format!(
                    "the sandbox container would not start: {message}; check that the image \
                     has `sleep` and `/bin/sh` and that the workspace path can be bind-mounted"
                ))
            }
            e => request_error(client, "start the sandbox container", &e),
        });
    }
    Ok(())
}

/// Why a container stopped: its exit code and the last lines it logged (the init process says
/// when the keeper could not start), on one line.
pub async fn why_stopped(client: &DockerClient, id: &str) -> String {
    use futures::StreamExt;
    let exit = client
        .docker
        .inspect_container(id, None)
        .await
        .ok()
        .and_then(|c| c.state)
        .and_then(|s| s.exit_code);
    let options = bollard::container::LogsOptions::<String> {
        stdout: true,
        stderr: true,
        tail: "5".to_string(),
        ..Default::default()
    };
    let mut logs = client.docker.logs(id, Some(options));
    let mut text = String::new();
    while let Some(Ok(chunk)) = logs.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        if text.len() > 2000 {
            break;
        }
    }
    let logged = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match (exit, logged.is_empty()) {
        (Some(code), false) => format!("exit {code}: {logged}"),
        (Some(code), true) => format!("exit {code}"),
        (None, false) => logged,
        (None, true) => "no exit code or log".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_user_is_the_host_user_or_as_root_the_workspace_owner() {
        let cases = [
            ((1000, 1000), None, (1000, 1000)),
            ((1000, 50), Some((0, 0)), (1000, 50)),
            ((1000, 50), Some((1234, 1234)), (1000, 50)),
            ((0, 0), Some((1001, 1002)), (1001, 1002)),
            ((0, 0), Some((1001, 0)), (1001, 0)),
            ((0, 0), Some((0, 0)), (0, 0)),
            ((0, 0), None, (0, 0)),
        ];
        for ((uid, gid), owner, expected) in cases {
            let user = sandbox_user(uid, gid, owner, DaemonMode::Rootful);
            assert_eq!(user, expected, "{uid}:{gid} owner {owner:?}");
        }
        // Rootless: container root is the host user, the only id that can write their files.
        assert_eq!(sandbox_user(1000, 1000, None, DaemonMode::Rootless), (0, 0));
    }

    #[test]
    fn daemon_mode_from_security_options() {
        let opts = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cases = [
            (opts(&["name=seccomp,profile=default"]), DaemonMode::Rootful),
            (opts(&[]), DaemonMode::Rootful),
            (
                opts(&[
                    "name=seccomp,profile=default",
                    "name=rootless",
                    "name=cgroupns",
                ]),
                DaemonMode::Rootless,
            ),
            (opts(&["name=rootlessish"]), DaemonMode::Rootful),
        ];
        for (options, expected) in cases {
            assert_eq!(daemon_mode(&options), expected, "{options:?}");
        }
    }

    #[test]
    fn config_is_hardened() {
        let cfg = SandboxConfig {
            memory_mb: 512,
            cpus: 1.5,
            pids: 99,
            ..SandboxConfig::default()
        };
        let owner = OwnerIdentity::current();
        let conv = ConversationId::new();
        let c = container_config(
            &cfg,
            "img:1",
            Path::new("/w"),
            conv,
            (1000, 1001),
            &owner,
            true,
        );
        let h = c.host_config.clone().unwrap();
        assert_eq!(h.network_mode.as_deref(), Some("none"));
        assert_eq!(c.network_disabled, Some(true));
        assert_eq!(h.readonly_rootfs, Some(true));
        assert_eq!(h.cap_drop, Some(vec!["ALL".to_string()]));
        assert_eq!(h.security_opt, Some(vec!["no-new-privileges".to_string()]));
        assert_eq!(h.pids_limit, Some(99));
        assert_eq!(h.memory, Some(512 * 1024 * 1024));
        assert_eq!(h.memory_swap, h.memory, "no swap beyond the memory limit");
        assert_eq!(h.nano_cpus, Some(1_500_000_000));
        assert_eq!(h.init, Some(true));
        assert_eq!(c.user.as_deref(), Some("1000:1001"));
        let tmpfs = h.tmpfs.unwrap();
        assert!(tmpfs["/tmp"].contains("mode=1777"));
        assert!(tmpfs[SANDBOX_HOME].contains("uid=1000,gid=1001"));
        let mounts = h.mounts.unwrap();
        assert_eq!(mounts[0].target.as_deref(), Some("/workspace"));
        assert_eq!(mounts[0].source.as_deref(), Some("/w"));
        assert_eq!(mounts[1].target.as_deref(), Some("/workspace/.git"));
        assert_eq!(mounts[1].source.as_deref(), Some("/w/.git"));
        assert_eq!(mounts[1].read_only, Some(true));
        let env = c.env.unwrap();
        assert!(
            env.iter()
                .all(|e| !e.contains("KEY") && !e.contains("TOKEN"))
        );
        assert_eq!(
            env.len(),
            4,
            "only PATH, HOME, LANG, TERM: nothing from the host"
        );
        let labels = c.labels.unwrap();
        assert_eq!(labels["harness"], "1");
        assert_eq!(labels["harness.conversation"], conv.to_string());
        assert_eq!(labels["harness.owner.pid"], std::process::id().to_string());

        let open = SandboxConfig {
            network: true,
            ..cfg
        };
        let open = SandboxConfig {
            git_writable: true,
            ..open
        };
        let c = container_config(&open, "i", Path::new("/w"), conv, (1, 1), &owner, true);
        let h = c.host_config.unwrap();
        assert_eq!(h.network_mode.as_deref(), Some("bridge"));
        assert_eq!(
            h.mounts.unwrap().len(),
            1,
            "git_writable: no read-only .git mount"
        );
    }
}
