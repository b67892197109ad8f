//! Configuration: typed values (`types.rs`), layered loading with `${VAR}` expansion and
//! file:line errors (`load.rs`), providers from the environment when the file names none
//! (`env_providers.rs`), and where the harness keeps its files (`paths.rs`).

pub mod check;
pub mod env_providers;
pub mod load;
pub mod paths;
pub mod template;
pub mod types;

pub use env_providers::ProviderOrigin;
pub use load::{
    ConfigError, Overrides, expand_vars, load, missing_provider_tolerated, parse, resolve_model_ref,
};
pub use paths::HarnessPaths;
pub use types::*;
