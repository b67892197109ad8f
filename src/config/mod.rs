//! Configuration: typed values (`types.rs`), layered loading with `${VAR}` expansion and
//! file:line errors (`load.rs`), the permission rules (`permissions.rs`), where the harness keeps
//! its files (`paths.rs`), whether the file exposes literal keys (`exposure.rs`), and the
//! `[sandbox]` values other modules name (`sandbox.rs`: the backend, the default image's tag).
//! `config` sits low in the layering: it names no module above it; checks that need agents or
//! the router are `core::check`'s.

/// `[budgets]`: spending limits and their action.
pub mod budgets;
pub mod exposure;
/// `[hooks]`: commands run around prompts and tool calls.
pub mod hooks;
pub mod load;
/// `[mcp]`: the MCP servers offered as tools.
pub mod mcp;
pub mod memory;
pub mod paths;
pub mod permissions;
pub mod sandbox;
pub mod server;
pub mod subagents;
pub mod types;

/// Providers from the environment when config.toml names none, and where each provider came from.
pub mod env_providers;
/// The commented config.toml `harness init` writes.
pub mod template;

pub use budgets::{BudgetAction, BudgetsConfig};
pub use env_providers::ProviderOrigin;
pub use load::{
    ConfigError, Overrides, expand_vars, load, missing_provider_tolerated, parse, resolve_model_ref,
};
pub use paths::HarnessPaths;
pub use sandbox::SandboxBackend;
pub use subagents::{GitConfig, SubagentsConfig};
pub use types::*;
