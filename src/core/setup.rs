//! Everything a session needs, built once per process from the configuration: the store, the
//! provider clients with their shared health registry, the agents, the compiled router, the
//! tool registry, the workspace and how to make a sandbox for a conversation.

use crate::agents::AgentSet;
use crate::agents::prompt::{ProjectInstructions, load_agents_md};
use crate::config::{Config, HarnessPaths};
use crate::message::{ConversationId, ModelRef};
use crate::permissions::{Locations, RuleSet};
use crate::providers::ProviderSet;
use crate::providers::health::{BreakerPolicy, HealthRegistry};
use crate::router::rules::Router;
use crate::sandbox::{Sandbox, SandboxBackend, SandboxError};
use crate::store::{Store, StoreError};
use crate::tools::ToolRegistry;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Start(String),
}

/// Makes the sandbox of one conversation (lazily, at its first tool call).
pub type SandboxFactory =
    Arc<dyn Fn(ConversationId) -> Result<Arc<dyn Sandbox>, SandboxError> + Send + Sync>;

/// The process-wide parts every session shares (a child session gets a copy one level deeper,
/// `subagents/deps.rs`).
#[derive(Clone)]
pub struct CoreDeps {
    pub config: Arc<Config>,
    pub store: Store,
    pub providers: ProviderSet,
    pub agents: AgentSet,
    pub router: Router,
    pub tools: ToolRegistry,
    pub workspace: PathBuf,
    pub instructions: Option<ProjectInstructions>,
    pub sandbox: SandboxFactory,
    /// Permission rules from config.toml and the project's `.harness/permissions.toml`.
    pub permissions: Arc<RuleSet>,
    /// The workspace, the home directory and the harness's own files, for the places that
    /// always ask.
    pub locations: Arc<Locations>,
    /// 0 for a session a front end opened, one more for each level of subagents.
    pub lineage: super::subagents::Lineage,
    /// Long-term memory of the store's profile, when `[memory] enabled`.
    pub memory: Option<Arc<crate::memory::MemoryService>>,
    /// The MCP servers (started with the first `Core`, in the background).
    pub mcp: crate::mcp::McpManager,
    /// The hooks of config.toml and the trusted project file.
    pub hooks: Arc<crate::hooks::Hooks>,
}

impl std::fmt::Debug for CoreDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreDeps")
            .field("workspace", &self.workspace)
            .field("providers", &self.providers)
            .finish_non_exhaustive()
    }
}

impl CoreDeps {
    /// Build from a loaded config. `workspace` is the directory harness was started in.
    pub fn build(
        paths: &HarnessPaths,
        config: Config,
        workspace: PathBuf,
    ) -> Result<Self, CoreError> {
        let workspace = crate::sandbox::paths::workspace_root(&workspace);
        let agents = crate::agents::load(&config, &paths.agents_dir, Some(&workspace))
            .map_err(|e| CoreError::Config(e.to_string()))?;
        let problems = crate::core::check::problems_with_agents(&config, &agents);
        if let Some(first) = problems.first() {
            let file = paths.config_file.display();
            let more = if problems.len() > 1 {
                format!(
                    " (and {} more: run `harness config check`)",
                    problems.len() - 1
                )
            } else {
                String::new()
            };
            return Err(CoreError::Config(match first.line {
                Some(line) => format!("config error: {file}:{line}: {}{more}", first.message),
                None => format!("config error: {}{more}", first.message),
            }));
        }
        let router = Router::new(&config.router)
            .map_err(|e| CoreError::Config(format!("config error: {e}")))?;
        let health = Arc::new(HealthRegistry::new(BreakerPolicy::default()));
        let providers = ProviderSet::from_config(&config, health)
            .map_err(|e| CoreError::Config(format!("config error: {e}")))?;
        let store = Store::open(&paths.db)?;
        let instructions = load_agents_md(&workspace).unwrap_or_else(|e| {
            tracing::warn!("AGENTS.md not used: {e}");
            None
        });
        let permissions = crate::config::permissions::rule_set(
            &config.permissions,
            &paths.config_file,
            &workspace,
        )
        .map_err(|e| CoreError::Config(format!("config error: {e}")))?;
        for warning in &permissions.warnings {
            tracing::warn!("{warning}");
        }
        let locations = Locations {
            workspace: workspace.clone(),
            home: directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()),
            harness_files: vec![
                paths.config_file.clone(),
                paths.agents_dir.clone(),
                paths.db.clone(),
            ],
        };
        let sandbox = sandbox_factory(&config, workspace.clone());
        let memory = config.memory.enabled.then(|| {
            Arc::new(crate::memory::MemoryService::new(
                store.clone(),
                &providers,
                &config.memory,
            ))
        });
        let mcp =
            crate::mcp::McpManager::new(&config.mcp, workspace.clone(), &config.sandbox.env_allow);
        let hooks = Arc::new(crate::hooks::Hooks::load(
            &config.hooks,
            &workspace,
            &crate::hooks::trust::trust_file(&paths.db),
            &config.sandbox.env_allow,
        ));
        Ok(Self {
            config: Arc::new(config),
            store,
            providers,
            agents,
            router,
            tools: ToolRegistry::builtin(),
            workspace,
            instructions,
            sandbox,
            permissions: Arc::new(permissions),
            locations: Arc::new(locations),
            lineage: Default::default(),
            memory,
            mcp,
            hooks,
        })
    }

    /// The same parts acting for `profile`: its store handle and its memory.
    pub fn for_profile(&self, profile: &str) -> Self {
        let store = self.store.for_profile(profile);
        Self {
            config: Arc::clone(&self.config),
            memory: self
                .memory
                .as_ref()
                .map(|m| Arc::new(m.for_store(store.clone()))),
            store,
            providers: self.providers.clone(),
            agents: self.agents.clone(),
            router: self.router.clone(),
            tools: self.tools.clone(),
            workspace: self.workspace.clone(),
            instructions: self.instructions.clone(),
            sandbox: self.sandbox.clone(),
            permissions: Arc::clone(&self.permissions),
            locations: Arc::clone(&self.locations),
            lineage: self.lineage,
            mcp: self.mcp.clone(),
            hooks: Arc::clone(&self.hooks),
        }
    }

    /// The context window of a model: `[models.*] context_window` for it, else the provider's
    /// `context_window`, else [`super::context::DEFAULT_CONTEXT_WINDOW`].
    pub fn context_window(&self, model: &ModelRef) -> u64 {
        let reference = model.to_string();
        self.config
            .models
            .values()
            .find(|a| a.id == reference)
            .and_then(|a| a.context_window)
            .or_else(|| {
                self.config
                    .providers
                    .get(&model.provider)
                    .and_then(|p| p.context_window)
            })
            .unwrap_or(super::context::DEFAULT_CONTEXT_WINDOW)
    }

    /// Cost in USD of `usage` on `model`, when it is known (`crate::usage::pricing`).
    pub fn cost(&self, model: &ModelRef, usage: &crate::message::Usage) -> Option<f64> {
        crate::usage::price(usage, model, &self.config).cost_usd
    }
}

pub(super) fn sandbox_factory(config: &Config, workspace: PathBuf) -> SandboxFactory {
    let backend = config.sandbox.backend;
    let sandbox_config = config.sandbox.clone();
    Arc::new(move |conversation| match backend {
        SandboxBackend::Host => Ok(Arc::new(
            crate::sandbox::host::HostSandbox::new(&workspace)?
                .with_env_allow(&sandbox_config.env_allow),
        ) as Arc<dyn Sandbox>),
        SandboxBackend::Docker => {
            crate::sandbox::docker_for(&sandbox_config, &workspace, conversation)
        }
    })
}
