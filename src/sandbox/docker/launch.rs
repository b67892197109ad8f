//! Starting one ready sandbox container: resolve the image, choose the user, build the hardened
//! configuration, and start it with the agent as its main process (falling back to the plain
//! `sleep` keeper and `docker exec` when the agent cannot run). Used by a conversation's sandbox
//! on its first call and by the pool, which starts containers before any conversation asks.

use super::agent::{self, channel::AgentChannel};
use super::connect::DockerClient;
use super::{container, image, orphans};
use crate::config::SandboxConfig;
use crate::message::ConversationId;
use crate::sandbox::SandboxError;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A started container.
pub struct Launched {
    pub id: String,
    /// Its agent; `None`: calls go through `docker exec`.
    pub agent: Option<Arc<AgentChannel>>,
    /// Why the agent is not there, said once with the next command's output.
    pub notice: Option<String>,
}

/// What a container is made from. Two launches with equal recipes are interchangeable.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipe {
    pub config: SandboxConfig,
    /// Canonical.
    pub workspace: PathBuf,
    pub agent_binary: Option<PathBuf>,
}

/// Start a container for `conversation` (its label and name carry the id).
pub async fn launch(
    client: &DockerClient,
    recipe: &Recipe,
    conversation: ConversationId,
) -> Result<Launched, SandboxError> {
    let spec = container_spec(client, &recipe.config, &recipe.workspace, conversation).await?;
    let files = recipe
        .agent_binary
        .as_ref()
        .map(|binary| agent::AgentFiles::locate(binary));
    let why = match files {
        None => None,
        Some(Err(why)) => Some(why),
        Some(Ok(files)) => {
            match agent::start_container(client, spec.clone(), &files, conversation).await {
                Ok((id, channel)) => {
                    return Ok(Launched {
                        id,
                        agent: Some(Arc::new(channel)),
                        notice: None,
                    });
                }
                Err(agent::StartFailure::Sandbox(e)) => return Err(e),
                Err(agent::StartFailure::Unavailable(why)) => Some(why),
            }
        }
    };
    let notice = why.map(|why| {
        tracing::warn!("sandbox agent unavailable, using docker exec: {why}");
        agent::fallback_notice(&why)
    });
    let id = container::create_and_start(client, spec, conversation).await?;
    Ok(Launched {
        id,
        agent: None,
        notice,
    })
}

/// The container configuration (image resolved, user chosen).
async fn container_spec(
    client: &DockerClient,
    config: &SandboxConfig,
    workspace: &Path,
    conversation: ConversationId,
) -> Result<bollard::container::Config<String>, SandboxError> {
    let (image, info) = tokio::join!(
        image::resolve_image(client, &config.image, workspace),
        client.docker.info()
    );
    let image = image?;
    let mode = match info {
        Ok(info) => container::daemon_mode(&info.security_options.unwrap_or_default()),
        Err(e) => return Err(orphans::request_error(client, "describe itself", &e)),
    };
    let user = container::sandbox_user(
        nix::unistd::getuid().as_raw(),
        nix::unistd::getgid().as_raw(),
        owner_of(workspace),
        mode,
    );
    Ok(container::container_config(
        config,
        &image,
        workspace,
        conversation,
        user,
        &orphans::OwnerIdentity::current(),
        // Not followed: a `.git` symlink would mount whatever it points to.
        std::fs::symlink_metadata(workspace.join(container::GIT_DIR)).is_ok_and(|m| m.is_dir()),
    ))
}

fn owner_of(path: &Path) -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.uid(), m.gid()))
}
