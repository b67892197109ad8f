//! Doctor checks contributed by later capabilities: each configured provider answers its
//! model listing, and the sandbox backend works (Docker reachable, image present).

use super::check::Check;
use crate::config::{Config, HarnessPaths};
use crate::sandbox::SandboxBackend;
use std::sync::Arc;
use std::time::Duration;

pub async fn capability_checks(config: Option<&Config>, paths: &HarnessPaths) -> Vec<Check> {
    let Some(config) = config else {
        return Vec::new();
    };
    let mut checks = Vec::new();
    let health = Arc::new(crate::providers::health::HealthRegistry::default());
    for (name, provider_config) in &config.providers {
        let detail = match crate::providers::build_provider(provider_config, health.clone()) {
            Err(e) => Err(e.to_string()),
            Ok(provider) => {
                match tokio::time::timeout(Duration::from_secs(20), provider.list_models()).await {
                    Ok(Ok(models)) => Ok(format!(
                        "{name} ({}, {}): {} model(s) at {}",
                        provider_config.kind.as_str(),
                        provider_config.origin.describe(),
                        models.len(),
                        provider_config.base_url
                    )),
                    Ok(Err(e)) => Err(format!(
                        "{name} ({}): {e}",
                        provider_config.origin.describe()
                    )),
                    Err(_) => Err(format!(
                        "{name}: no answer from {} within 20 s",
                        provider_config.base_url
                    )),
                }
            }
        };
        checks.push(match detail {
            Ok(d) => Check::pass("provider", d),
            Err(e) => Check::fail("provider", e),
        });
    }
    if config.providers.is_empty() {
        checks.push(Check::fail(
            "provider",
            crate::config::env_providers::no_provider_message(&paths.config_file),
        ));
    }
    checks.push(match config.sandbox.backend {
        SandboxBackend::Docker => match crate::sandbox::docker::doctor_check(&config.sandbox).await {
            Ok(d) => Check::pass("sandbox", format!("docker: {d}")),
            Err(e) => Check::fail("sandbox", format!("docker: {e}")),
        },
        SandboxBackend::Host => Check::pass(
            "sandbox",
            "host backend: tool commands run directly on this machine, confined only to the workspace for file tools",
        ),
    });
    checks
}
