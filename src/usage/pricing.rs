//! What one request cost, and how that is known: the provider's own figure when it reports one
//! (OpenRouter), else prices from config.toml (`[models.X] *_price_per_mtok`), laid over the
//! dated table shipped in `prices.toml`, else unknown. Local models (Ollama) cost nothing.
//! Unknown is `None`, never zero.

use crate::config::{Config, ProviderKind};
use crate::message::{ModelRef, Usage};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Where a ledger row's cost came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostSource {
    /// The provider reported it with the reply.
    Provider,
    /// Prices in config.toml (alone, or over the table).
    Config,
    /// The shipped price table (or a local model).
    Table,
    /// No price known.
    Unknown,
}

impl CostSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CostSource::Provider => "provider",
            CostSource::Config => "config",
            CostSource::Table => "table",
            CostSource::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "provider" => CostSource::Provider,
            "config" => CostSource::Config,
            "table" => CostSource::Table,
            _ => CostSource::Unknown,
        }
    }
}

/// A request's cost and its source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Priced {
    pub cost_usd: Option<f64>,
    pub source: CostSource,
}

/// Prices of one model in USD per million tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input: Option<f64>,
    pub output: Option<f64>,
    /// Input read from the prompt cache (default: `input`).
    pub cached_input: Option<f64>,
    /// Input written to the prompt cache (default: `input`).
    pub cache_write: Option<f64>,
}

/// The shipped table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    /// The date the prices were copied (YYYY-MM-DD).
    pub as_of: String,
    pub models: BTreeMap<String, Price>,
}

const SHIPPED: &str = include_str!("prices.toml");

/// The table shipped in the binary (parsed once; a test keeps it parseable).
pub fn shipped_table() -> &'static PriceTable {
    static TABLE: OnceLock<PriceTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        toml::from_str(SHIPPED).unwrap_or_else(|e| {
            tracing::error!("the shipped price table does not parse: {e}");
            PriceTable {
                as_of: String::new(),
                models: BTreeMap::new(),
            }
        })
    })
}

fn normalise(id: &str) -> String {
    id.rsplit('/')
        .next()
        .unwrap_or(id)
        .to_lowercase()
        .replace('.', "-")
}

impl PriceTable {
    /// The entry for a model id: exact, else the longest entry the id starts with followed by
    /// `-` (a dated or suffixed id).
    pub fn lookup(&self, model_id: &str) -> Option<&Price> {
        let id = normalise(model_id);
        let mut best: Option<(usize, &Price)> = None;
        for (key, price) in &self.models {
            let key = normalise(key);
            let fits = id == key
                || id
                    .strip_prefix(key.as_str())
                    .is_some_and(|rest| rest.starts_with('-'));
            if fits && best.is_none_or(|(len, _)| key.len() > len) {
                best = Some((key.len(), price));
            }
        }
        best.map(|(_, p)| p)
    }
}

/// The cost of `usage` on `model` ([`price_with`] over the shipped table).
pub fn price(usage: &Usage, model: &ModelRef, config: &Config) -> Priced {
    price_with(usage, model, config, shipped_table())
}

/// The cost of `usage` on `model`: the provider's figure, else config prices over `table`'s,
/// else unknown.
pub fn price_with(usage: &Usage, model: &ModelRef, config: &Config, table: &PriceTable) -> Priced {
    if let Some(cost) = usage.cost_usd {
        return Priced {
            cost_usd: Some(cost),
            source: CostSource::Provider,
        };
    }
    let reference = model.to_string();
    let configured = config
        .models
        .values()
        .find(|a| a.id == reference)
        .map(|a| Price {
            input: a.input_price_per_mtok,
            output: a.output_price_per_mtok,
            cached_input: a.cached_input_price_per_mtok,
            cache_write: None,
        })
        .unwrap_or_default();
    let local = config
        .providers
        .get(&model.provider)
        .is_some_and(|p| p.kind == ProviderKind::Ollama);
    let base = if local {
        Some(Price {
            input: Some(0.0),
            output: Some(0.0),
            ..Price::default()
        })
    } else {
        table.lookup(&model.model).copied()
    };
    let from_config = configured.input.is_some()
        || configured.output.is_some()
        || configured.cached_input.is_some();
    let base = base.unwrap_or_default();
    let merged = Price {
        input: configured.input.or(base.input),
        output: configured.output.or(base.output),
        cached_input: configured.cached_input.or(base.cached_input),
        cache_write: base.cache_write,
    };
    match cost_of(usage, &merged) {
        Some(cost) => Priced {
            cost_usd: Some(cost),
            source: if from_config {
                CostSource::Config
            } else {
                CostSource::Table
            },
        },
        None => Priced {
            cost_usd: None,
            source: CostSource::Unknown,
        },
    }
}

/// `usage` at `price`; `None` unless both the input and output prices are known.
pub fn cost_of(usage: &Usage, price: &Price) -> Option<f64> {
    let input = price.input?;
    let output = price.output?;
    let cached = price.cached_input.unwrap_or(input);
    let write = price.cache_write.unwrap_or(input);
    let per = |tokens: u64, usd_per_mtok: f64| tokens as f64 * usd_per_mtok / 1e6;
    Some(
        per(usage.input_tokens, input)
            + per(usage.cached_input_tokens, cached)
            + per(usage.cache_write_input_tokens, write)
            + per(usage.output_tokens, output),
    )
}

#[cfg(test)]
#[path = "pricing_tests.rs"]
mod tests;
