//! `harness models [--provider NAME] [--json]`: ask every configured provider (or one) for its
//! models, live and concurrently. A provider that fails is reported on stderr and the others are
//! still listed; the command fails (exit 1) only when every asked provider failed. The plain
//! listing opens with one `# NAME: N model(s), from ...` line per provider saying where it came
//! from (config.toml or the environment).

use super::args::ModelsArgs;
use super::{CliContext, CliError, CliResult, eprint_line, print_json, print_out};
use crate::config::{Overrides, ProviderConfig};
use crate::providers::health::HealthRegistry;
use crate::providers::{ModelInfo, build_provider};
use std::sync::Arc;

pub async fn run(ctx: &CliContext, args: ModelsArgs) -> CliResult {
    let config = ctx.load_config(&Overrides::default())?;
    if config.providers.is_empty() {
        return Err(CliError::usage(
            crate::config::env_providers::no_provider_message(&ctx.paths.config_file),
        ));
    }
    let selected: Vec<&ProviderConfig> = match &args.provider {
        Some(name) => vec![config.providers.get(name).ok_or_else(|| {
            let known: Vec<&str> = config.providers.keys().map(String::as_str).collect();
            CliError::usage(format!(
                "provider `{name}` is not configured: use one of {}",
                known.join(", ")
            ))
        })?],
        None => config.providers.values().collect(),
    };
    let health = Arc::new(HealthRegistry::default());
    let lookups = selected.iter().map(|cfg| {
        let health = Arc::clone(&health);
        async move {
            let provider = build_provider(cfg, health)?;
            provider.list_models().await
        }
    });
    let results = futures::future::join_all(lookups).await;

    let mut models: Vec<ModelInfo> = Vec::new();
    let mut failed = 0;
    let mut origins = String::new();
    for (cfg, result) in selected.iter().zip(results) {
        match result {
            Ok(list) => {
                origins.push_str(&format!(
                    "# {}: {} model(s), {}\n",
                    cfg.name,
                    list.len(),
                    cfg.origin.describe()
                ));
                models.extend(list);
            }
            Err(e) => {
                failed += 1;
                eprint_line(&format!("harness: models: {}: {e}", cfg.name));
            }
        }
    }
    if args.json {
        print_json(&models)?;
    } else {
        print_out(&origins);
        print_out(&table(&models));
    }
    if failed == selected.len() {
        return Err(CliError::failed(if failed == 1 {
            "the provider could not list its models (see above)".to_string()
        } else {
            "no provider could list its models (see above)".to_string()
        }));
    }
    Ok(())
}

/// Plain listing: reference, context window, prices per million tokens, display name.
fn table(models: &[ModelInfo]) -> String {
    let width = models
        .iter()
        .map(|m| m.reference.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for m in models {
        let context = m.context_window.map(human_tokens).unwrap_or_default();
        let price = match (m.input_price_per_mtok, m.output_price_per_mtok) {
            (Some(i), Some(o)) => format!("${i:.2}/${o:.2} per Mtok"),
            _ => String::new(),
        };
        let name = m.display_name.as_deref().unwrap_or("");
        let line = format!("{:<width$}  {context:>6}  {price:<24}  {name}", m.reference);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn human_tokens(n: u64) -> String {
    if n >= 1_000_000 && n % 1_000_000 == 0 {
        format!("{}M", n / 1_000_000)
    } else if n >= 1000 {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_counts_read_well() {
        for (n, want) in [
            (200_000, "200k"),
            (1_000_000, "1M"),
            (131_072, "131k"),
            (512, "512"),
        ] {
            assert_eq!(human_tokens(n), want);
        }
    }
}
