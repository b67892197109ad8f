//! Provider clients: one native streaming client per wire format (Anthropic Messages, OpenAI
//! Chat Completions and its OpenRouter / Z.ai flavours, Ollama's NDJSON `/api/chat`), behind
//! the object-safe [`Provider`] trait. A request goes in as a [`ChatRequest`]; the reply comes
//! back as a stream of [`ProviderEvent`]s. Dropping the stream cancels the HTTP request.
//!
//! Retries (before the first content only), timeouts and the per-provider circuit breaker live
//! in `retry.rs` and `health.rs` (which the router also reads), shared by every client.

pub mod anthropic;
pub mod embed;
pub mod error;
pub mod health;
pub mod http;
pub mod ndjson;
pub mod ollama;
pub mod openai;
mod openai_body;
pub mod retry;
pub mod sse;
pub mod stream;

pub use crate::message::ToolSpec;
pub use error::{ProviderError, TimeoutPhase};
pub use retry::RetryPolicy;

use crate::config::{Config, ProviderConfig, ProviderKind};
use health::HealthRegistry;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::message::{Role, ToolCall, Usage};
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

/// One message of the history sent to a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `User`, `Assistant` or `Tool`. (`System` goes in [`ChatRequest::system`]; a `Summary`
    /// is sent as a user message by the core.)
    pub role: Role,
    pub content: String,
    /// Tool calls an assistant message made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For `Tool` messages: the id of the call this answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// For `Tool` messages: whether the tool failed (Anthropic's `is_error`).
    #[serde(default)]
    pub is_error: bool,
    /// Reasoning text of an assistant message, for providers that want it back (Z.ai).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
}

impl ChatMessage {
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
            is_error: false,
            reasoning: None,
        }
    }

    pub fn assistant(content: impl Into<String>, tool_calls: Vec<ToolCall>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
            tool_calls,
            tool_call_id: None,
            is_error: false,
            reasoning: None,
        }
    }

    pub fn tool_result(
        call_id: impl Into<String>,
        content: impl Into<String>,
        is_error: bool,
    ) -> Self {
        Self {
            role: Role::Tool,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: Some(call_id.into()),
            is_error,
            reasoning: None,
        }
    }
}

/// Everything a client needs to make one streamed model call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatRequest {
    /// The model id as the provider knows it (the part after `provider/`).
    pub model: String,
    pub system: Option<String>,
    pub messages: Vec<ChatMessage>,
    pub tools: Vec<ToolSpec>,
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    /// Context window to ask for where the provider lets the client set it (Ollama `num_ctx`).
    pub context_window: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    EndTurn,
    ToolUse,
    MaxTokens,
    ContentFilter,
    Other(String),
}

/// What a streaming client yields, in order. A well-formed stream ends with exactly one `Done`;
/// a stream that ends without it is a [`ProviderError::StreamIncomplete`].
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderEvent {
    TextDelta(String),
    ReasoningDelta(String),
    ToolCall(ToolCall),
    Usage(Usage),
    Done { stop_reason: StopReason },
}

/// A model as listed by a provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Full reference `provider/model-id`.
    pub reference: String,
    pub id: String,
    pub provider: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_price_per_mtok: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_price_per_mtok: Option<f64>,
}

pub type ProviderStream = BoxStream<'static, Result<ProviderEvent, ProviderError>>;

/// A configured provider. Object-safe so the core can hold `Arc<dyn Provider>` per name.
pub trait Provider: Send + Sync {
    /// The key under `[providers]` this client was built from.
    fn name(&self) -> &str;

    fn list_models(&self) -> BoxFuture<'_, Result<Vec<ModelInfo>, ProviderError>>;

    /// Start a streamed chat. Nothing is sent until the stream is first polled; dropping the
    /// stream aborts the request.
    fn stream(&self, request: ChatRequest) -> ProviderStream;

    /// Embed `inputs` with `model` (the id after `provider/`): one vector per input, in order
    /// (see `embed.rs`). Providers without an embedding endpoint answer with an error.
    fn embed(
        &self,
        model: &str,
        inputs: Vec<String>,
    ) -> BoxFuture<'_, Result<Vec<Vec<f32>>, ProviderError>> {
        let _ = inputs;
        let error = ProviderError::BadRequest {
            provider: self.name().to_string(),
            message: format!(
                "this provider offers no embeddings (for `{model}`): set [memory] embedding_model to an ollama or openai-style provider"
            ),
        };
        Box::pin(async move { Err(error) })
    }
}

/// Build the client for one `[providers.NAME]` block, with the default retry policy.
pub fn build_provider(
    cfg: &ProviderConfig,
    health: Arc<HealthRegistry>,
) -> Result<Arc<dyn Provider>, ProviderError> {
    build_provider_with(cfg, health, RetryPolicy::from_config(cfg))
}

/// [`build_provider`] with an explicit retry policy (tests use short delays).
pub fn build_provider_with(
    cfg: &ProviderConfig,
    health: Arc<HealthRegistry>,
    retry: RetryPolicy,
) -> Result<Arc<dyn Provider>, ProviderError> {
    let core = Arc::new(stream::HttpCore::new(cfg, health, retry)?);
    Ok(match cfg.kind {
        ProviderKind::Anthropic => Arc::new(anthropic::AnthropicClient::new(cfg, core)?),
        ProviderKind::Openai => Arc::new(openai::OpenAiClient::new(
            cfg,
            core,
            openai::OpenAiFlavor::OpenAi,
        )?),
        ProviderKind::Openrouter => Arc::new(openai::OpenAiClient::new(
            cfg,
            core,
            openai::OpenAiFlavor::OpenRouter,
        )?),
        ProviderKind::Zai => Arc::new(openai::OpenAiClient::new(
            cfg,
            core,
            openai::OpenAiFlavor::Zai,
        )?),
        ProviderKind::Ollama => Arc::new(ollama::OllamaClient::new(cfg, core)?),
    })
}

/// Every configured provider, built once and shared (name -> client), with one health
/// registry the router can read.
#[derive(Clone)]
pub struct ProviderSet {
    pub health: Arc<HealthRegistry>,
    providers: BTreeMap<String, Arc<dyn Provider>>,
}

impl std::fmt::Debug for ProviderSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSet")
            .field("providers", &self.providers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl ProviderSet {
    pub fn from_config(
        config: &Config,
        health: Arc<HealthRegistry>,
    ) -> Result<Self, ProviderError> {
        let mut providers = BTreeMap::new();
        for (name, cfg) in &config.providers {
            providers.insert(name.clone(), build_provider(cfg, Arc::clone(&health))?);
        }
        Ok(Self { health, providers })
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.providers.keys().map(String::as_str)
    }
}
