//! Docker backend of [`Sandbox`]: one hardened container per conversation, created on the first
//! tool call (or in the background by [`DockerSandbox::warm`]) and reused, removed by
//! [`Sandbox::shutdown`]. Talks to the Engine API through bollard, never the docker CLI, and
//! never falls back to running on the host. Submodules: `connect` (daemon address, version
//! negotiation, error lines), `container` (the hardened configuration), `exec` (one call, with
//! its in-container timeout and clean-up), `image` (configured image or `.harness/Dockerfile`),
//! `default_image` (the shipped Dockerfile of the default image and `harness sandbox build`),
//! `launch` (one ready container, agent or not), `pool` (containers started before they are
//! asked for), `orphans` (owner labels, `sandbox list|prune`, start-up clean-up), `agent` (the persistent
//! exec channel: the container's main process runs each command, no Docker API round trip).

pub mod agent;
pub mod connect;
pub mod container;
pub mod default_image;
pub mod exec;
pub mod image;
pub mod launch;
pub mod orphans;
pub mod pool;

pub use connect::{DockerClient, DockerEndpoint};
pub use orphans::{OwnerState, SandboxContainer, remove_orphans};

use crate::config::SandboxConfig;
use crate::message::ConversationId;
use crate::sandbox::truncate::DEFAULT_MODEL_CAP;
use crate::sandbox::{ExecOutput, ExecRequest, Sandbox, SandboxBackend, SandboxError};
use agent::channel::AgentChannel;
use exec::ExecFailure;
use futures::future::BoxFuture;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Mutex;

/// A conversation's docker sandbox. Cheap to create: nothing happens until the first call.
pub struct DockerSandbox {
    inner: Arc<Inner>,
}

struct Inner {
    config: SandboxConfig,
    workspace: PathBuf,
    conversation: ConversationId,
    endpoint: DockerEndpoint,
    output_cap: usize,
    /// The binary that serves as the in-container agent; `None`: every call is a `docker exec`.
    agent_binary: Option<PathBuf>,
    /// Shared so a container being created can outlive the call that asked for it.
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    client: Option<DockerClient>,
    container: Option<String>,
    /// The container's agent, when it runs one.
    agent: Option<Arc<AgentChannel>>,
    /// Said once, with the next command's output (the agent could not start).
    notice: Option<String>,
}

/// Where a call goes: the client, the container and its agent (if any).
#[derive(Clone)]
struct Target {
    client: DockerClient,
    id: String,
    agent: Option<Arc<AgentChannel>>,
}

impl DockerSandbox {
    pub fn new(config: &SandboxConfig, workspace: PathBuf, conversation: ConversationId) -> Self {
        Self {
            inner: Arc::new(Inner {
                config: config.clone(),
                workspace,
                conversation,
                endpoint: DockerEndpoint::FromEnv,
                output_cap: DEFAULT_MODEL_CAP,
                agent_binary: agent::registered_binary(),
                state: Arc::new(Mutex::new(State::default())),
            }),
        }
    }

    /// Use this daemon address instead of `DOCKER_HOST` / the default socket.
    pub fn with_endpoint(self, endpoint: DockerEndpoint) -> Self {
        self.rebuild(|inner| inner.endpoint = endpoint)
    }

    /// Keep at most about `cap` bytes of each command's output (head + tail).
    pub fn with_output_cap(self, cap: usize) -> Self {
        self.rebuild(|inner| inner.output_cap = cap)
    }

    /// Run commands through this binary's agent (`harness __sandbox-agent`) instead of the one
    /// registered by the `harness` binary; `None`: always `docker exec`.
    pub fn with_agent_binary(self, binary: Option<PathBuf>) -> Self {
        self.rebuild(|inner| inner.agent_binary = binary)
    }

    /// Whether calls go through the agent (the container is up and its agent answered).
    pub async fn uses_agent(&self) -> bool {
        let state = self.inner.state.lock().await;
        state.agent.as_ref().is_some_and(|a| a.is_open())
    }

    fn rebuild(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner {
            config: self.inner.config.clone(),
            workspace: self.inner.workspace.clone(),
            conversation: self.inner.conversation,
            endpoint: self.inner.endpoint.clone(),
            output_cap: self.inner.output_cap,
            agent_binary: self.inner.agent_binary.clone(),
            state: Arc::new(Mutex::new(State::default())),
        };
        change(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    pub fn conversation(&self) -> ConversationId {
        self.inner.conversation
    }

    /// Start the container in the background so the first call does not wait for it. A failure
    /// is logged; the first call then tries again and reports it.
    pub fn warm(&self) {
        let inner = Arc::clone(&self.inner);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            if let Err(e) = inner.ensure().await {
                tracing::warn!("sandbox warm start failed: {e}");
            }
        });
    }

    /// Create the container now (if not yet) and return its id.
    pub async fn container_id(&self) -> Result<String, SandboxError> {
        Ok(self.inner.ensure().await?.id)
    }

    /// The container's id if one exists, without creating one.
    pub async fn current_container(&self) -> Option<String> {
        self.inner.state.lock().await.container.clone()
    }
}

impl Inner {
    /// The client and container, connecting and creating as needed (one at a time: concurrent
    /// first calls and a warm start share one container). Creation runs in its own task, so a
    /// caller that gives up (a cancelled turn) cannot leave a container nobody records.
    async fn ensure(self: &Arc<Self>) -> Result<Target, SandboxError> {
        let mut state = Arc::clone(&self.state).lock_owned().await;
        if let (Some(client), Some(id)) = (&state.client, &state.container) {
            return Ok(Target {
                client: client.clone(),
                id: id.clone(),
                agent: state.agent.clone(),
            });
        }
        let inner = Arc::clone(self);
        let creation = tokio::spawn(async move { inner.create(&mut state).await });
        creation.await.map_err(|e| {
            SandboxError::Failed(format!(
                "starting the sandbox container was interrupted: {e}"
            ))
        })?
    }

    async fn create(&self, state: &mut State) -> Result<Target, SandboxError> {
        let client = match &state.client {
            Some(c) => c.clone(),
            None => {
                let c = connect::connect(&self.endpoint).await?;
                state.client = Some(c.clone());
                c
            }
        };
        if let Some(id) = &state.container {
            return Ok(Target {
                client,
                id: id.clone(),
                agent: state.agent.clone(),
            });
        }
        let recipe = launch::Recipe {
            config: self.config.clone(),
            workspace: canonical_workspace(&self.workspace)?,
            agent_binary: self.agent_binary.clone(),
        };
        let launched = match pool::take(&recipe, &self.endpoint).await {
            Some(launched) => launched,
            None => launch::launch(&client, &recipe, self.conversation).await?,
        };
        let launch::Launched { id, agent, notice } = launched;
        tracing::debug!(container = %id, agent = agent.is_some(), "sandbox container started");
        state.container = Some(id.clone());
        state.agent = agent.clone();
        if notice.is_some() {
            state.notice = notice;
        }
        Ok(Target { client, id, agent })
    }

    /// Forget a container that vanished (removed behind our back, daemon restarted).
    async fn forget(&self, id: &str) {
        let mut state = self.state.lock().await;
        if state.container.as_deref() == Some(id) {
            state.container = None;
            state.agent = None;
        }
    }

    async fn exec(self: &Arc<Self>, request: ExecRequest) -> Result<ExecOutput, SandboxError> {
        let mut out = self.exec_once(request).await?;
        let limits = crate::sandbox::refusals::Limits {
            no_network: !self.config.network,
            git_read_only: !self.config.git_writable,
            read_only_root: true,
        };
        crate::sandbox::refusals::annotate(&mut out.output, limits);
        if let Some(notice) = self.state.lock().await.notice.take() {
            let gap = if out.output.is_empty() || out.output.ends_with('\n') {
                ""
            } else {
                "\n"
            };
            out.output = format!("{}{gap}{notice}\n", out.output);
        }
        Ok(out)
    }

    /// One call on `target`, through its agent when it has one.
    async fn call(
        &self,
        target: &Target,
        request: &ExecRequest,
    ) -> Result<ExecOutput, ExecFailure> {
        match &target.agent {
            Some(channel) => {
                agent::call::run(
                    &target.client,
                    &target.id,
                    channel,
                    request,
                    self.output_cap,
                )
                .await
            }
            None => exec::run(&target.client, &target.id, request, self.output_cap).await,
        }
    }

    /// One call; a container found gone before the command started is replaced and the call
    /// tried once more (a container that dies during the command is never retried).
    async fn exec_once(self: &Arc<Self>, request: ExecRequest) -> Result<ExecOutput, SandboxError> {
        let target = self.ensure().await?;
        match self.call(&target, &request).await {
            Ok(out) => Ok(out),
            Err(ExecFailure::Sandbox(e)) => Err(e),
            Err(ExecFailure::DiedDuringCall(out)) => {
                self.replace_dead(&target.client, &target.id).await;
                Ok(out)
            }
            Err(ExecFailure::ContainerGone) => {
                tracing::info!(container = %target.id, "sandbox container is gone; starting a new one");
                self.forget(&target.id).await;
                let _ = orphans::force_remove(&target.client, &target.id).await;
                let target = self.ensure().await?;
                match self.call(&target, &request).await {
                    Ok(out) => Ok(out),
                    Err(ExecFailure::Sandbox(e)) => Err(e),
                    Err(ExecFailure::DiedDuringCall(out)) => {
                        self.replace_dead(&target.client, &target.id).await;
                        Ok(out)
                    }
                    Err(ExecFailure::ContainerGone) => {
                        let (client, id) = (&target.client, &target.id);
                        let why = container::why_stopped(client, id).await;
                        self.forget(id).await;
                        let _ = orphans::force_remove(client, id).await;
                        Err(SandboxError::Failed(format!(
                            "the sandbox container would not stay up ({why}): the image needs \
                             `sleep` and `/bin/sh`; use another [sandbox] image or fix \
                             .harness/Dockerfile"
                        )))
                    }
                }
            }
        }
    }

    /// A container that died under a call: forgotten and removed, so the next call starts a
    /// fresh one.
    async fn replace_dead(&self, client: &DockerClient, id: &str) {
        tracing::info!(container = %id, "sandbox container died during a command");
        self.forget(id).await;
        let _ = orphans::force_remove(client, id).await;
    }

    async fn shutdown(&self) {
        let mut state = self.state.lock().await;
        state.agent = None;
        let (Some(client), Some(id)) = (state.client.clone(), state.container.take()) else {
            return;
        };
        if let Err(e) = orphans::force_remove(&client, &id).await {
            tracing::warn!(container = %id, "cannot remove sandbox container: {e}");
        }
    }
}

impl Drop for Inner {
    /// Best effort when a sandbox is dropped without `shutdown` (start-up clean-up catches the rest).
    fn drop(&mut self) {
        let Ok(mut state) = self.state.try_lock() else {
            return;
        };
        let (Some(client), Some(id)) = (state.client.take(), state.container.take()) else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = orphans::force_remove(&client, &id).await;
            });
        }
    }
}

impl Sandbox for DockerSandbox {
    fn backend(&self) -> SandboxBackend {
        SandboxBackend::Docker
    }

    fn workspace(&self) -> &Path {
        &self.inner.workspace
    }

    fn exec(&self, request: ExecRequest) -> BoxFuture<'_, Result<ExecOutput, SandboxError>> {
        Box::pin(self.inner.exec(request))
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.inner.shutdown())
    }
}

fn canonical_workspace(workspace: &Path) -> Result<PathBuf, SandboxError> {
    let path = workspace.canonicalize().map_err(|e| {
        SandboxError::Failed(format!(
            "the workspace {} cannot be mounted ({e}): start harness in an existing directory",
            workspace.display()
        ))
    })?;
    if !path.is_dir() {
        return Err(SandboxError::Failed(format!(
            "the workspace {} is not a directory: start harness in a directory",
            path.display()
        )));
    }
    Ok(path)
}

/// For `harness doctor`: Ok = one line of what works (engine, image); Err = what is wrong and
/// what to do. Checks the workspace's `.harness/Dockerfile` (the current directory) too.
pub async fn doctor_check(config: &SandboxConfig) -> Result<String, String> {
    if config.backend == SandboxBackend::Host {
        return Ok(
            "sandbox backend is `host`: commands run directly on this machine, docker is not used"
                .into(),
        );
    }
    let client = connect::connect(&DockerEndpoint::FromEnv)
        .await
        .map_err(|e| e.to_string())?;
    let version = client
        .docker
        .version()
        .await
        .map_err(|e| connect::unavailable(&client.address, &e).to_string())?;
    let engine = format!(
        "docker {} (API {}) at {}",
        version.version.unwrap_or_else(|| "?".into()),
        version.api_version.unwrap_or_else(|| "?".into()),
        client.address
    );
    let cwd = std::env::current_dir().ok();
    let project = match &cwd {
        Some(dir) => image::project_image(dir).map_err(|e| format!("{engine}; {e}"))?,
        None => None,
    };
    if let Some(project) = project {
        let present = image::image_present(&client, &project.tag)
            .await
            .map_err(|e| format!("{engine}; {e}"))?;
        let state = if present {
            "built"
        } else {
            "will be built on first use"
        };
        return Ok(format!(
            "{engine}; workspace image {} from .harness/Dockerfile {state}",
            project.tag
        ));
    }
    match image::image_present(&client, &config.image).await {
        Ok(true) => Ok(format!("{engine}; image {} present", config.image)),
        Ok(false) => Err(format!(
            "{engine} works, but {}",
            image::missing_image_message(&config.image)
        )),
        Err(e) => Err(format!("{engine}; {e}")),
    }
}
