//! The models `/model` offers (`Op::ListModels`): the `[models]` aliases, then every
//! configured provider's own list, asked concurrently. A provider's list is kept for
//! [`CACHE_FOR`] (per process), so reopening the picker is instant and does not ask again; a
//! provider that cannot answer within [`ASK_TIMEOUT`] or fails is named in the answer's
//! `errors`, and the others are still listed. The answer is sent by a task, so the session
//! goes on taking `Op`s meanwhile.

use super::setup::CoreDeps;
use crate::config::Config;
use crate::protocol::{Event, ModelEntry};
use crate::router::rules::Pin;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// How long a provider's list is reused.
pub const CACHE_FOR: Duration = Duration::from_secs(10 * 60);
/// How long a provider gets to list its models.
pub const ASK_TIMEOUT: Duration = Duration::from_secs(15);

/// Provider name and address -> (when asked, its model references).
type Cache = Mutex<BTreeMap<String, (Instant, Vec<String>)>>;

fn cache() -> &'static Cache {
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    CACHE.get_or_init(Cache::default)
}

/// Answer `ListModels` on `to` from a task of its own.
pub fn answer(deps: Arc<CoreDeps>, to: Vec<UnboundedSender<Event>>) {
    tokio::spawn(async move {
        let (models, errors) = list(&deps).await;
        for tx in to {
            let _ = tx.send(Event::ModelList {
                models: models.clone(),
                errors: errors.clone(),
            });
        }
    });
}

/// Aliases first (with what they stand for), then each provider's models in its order; and
/// one line per provider that could not list them.
pub async fn list(deps: &CoreDeps) -> (Vec<ModelEntry>, Vec<String>) {
    let mut models: Vec<ModelEntry> = deps
        .config
        .models
        .iter()
        .map(|(name, alias)| ModelEntry {
            reference: name.clone(),
            detail: format!("alias of {}", alias.id),
        })
        .collect();
    let names: Vec<String> = deps.providers.names().map(str::to_string).collect();
    let asks = names.iter().map(|name| provider_models(deps, name));
    let mut errors = Vec::new();
    for (name, result) in names.iter().zip(futures::future::join_all(asks).await) {
        match result {
            Ok(list) => models.extend(list.into_iter().map(|reference| ModelEntry {
                reference,
                detail: String::new(),
            })),
            Err(e) => errors.push(format!("{name}: {e}")),
        }
    }
    let mut seen = std::collections::HashSet::new();
    models.retain(|m| seen.insert(m.reference.clone()));
    (models, errors)
}

/// One provider's model references, from the cache when fresh.
async fn provider_models(deps: &CoreDeps, name: &str) -> Result<Vec<String>, String> {
    let base_url = deps.config.providers.get(name).map(|p| p.base_url.clone());
    let key = format!("{name} {}", base_url.unwrap_or_default());
    if let Ok(cache) = cache().lock() {
        if let Some((_, list)) = cache.get(&key).filter(|(at, _)| at.elapsed() < CACHE_FOR) {
            return Ok(list.clone());
        }
    }
    let provider = deps
        .providers
        .get(name)
        .cloned()
        .ok_or_else(|| "not configured".to_string())?;
    let listed = tokio::time::timeout(ASK_TIMEOUT, provider.list_models())
        .await
        .map_err(|_| format!("no answer within {}s", ASK_TIMEOUT.as_secs()))?
        .map_err(|e| e.to_string())?;
    let list: Vec<String> = listed.into_iter().map(|m| m.reference).collect();
    if let Ok(mut cache) = cache().lock() {
        cache.insert(key, (Instant::now(), list.clone()));
    }
    Ok(list)
}

/// What `auto` means when nothing routes: with no `[router]` rules and no `[router] default`,
/// the router could answer no message, so `auto` falls back to `default_model` (when that is
/// a model). `None`: the router decides.
pub fn auto_fallback(config: &Config) -> Option<String> {
    let routes = config.router.default.is_some() || !config.router.rules.is_empty();
    (!routes && config.default_model != "auto").then(|| config.default_model.clone())
}

/// `ModelPinned` for the session's pin (`auto` is no pin).
pub fn pin_event(pin: Option<&Pin>) -> Event {
    let pin = pin.filter(|p| !p.is_auto());
    Event::ModelPinned {
        model: pin.map(|p| p.model.clone()),
        pinned_by: pin.map(|p| p.source.to_string()),
    }
}
