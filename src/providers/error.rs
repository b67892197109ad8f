//! `ProviderError`: every way a model call can fail, typed so that retry, fallback and the
//! user-facing message can each decide on the kind, not on a string.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    #[error(
        "authentication failed for {provider}: {message} (check the api_key in [providers.{provider}])"
    )]
    Auth { provider: String, message: String },
    #[error("{provider}: billing or quota exhausted: {message}")]
    Quota { provider: String, message: String },
    #[error("{provider}: rate limited: {message}")]
    RateLimited {
        provider: String,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("{provider}: overloaded: {message}")]
    Overloaded { provider: String, message: String },
    #[error(
        "{provider}: the conversation is too long for the model's context window: {message} (try /compact)"
    )]
    ContextLength { provider: String, message: String },
    #[error("{provider}: bad request: {message}")]
    BadRequest { provider: String, message: String },
    #[error("{provider}: model not found: {message} (see `harness models --provider {provider}`)")]
    ModelNotFound { provider: String, message: String },
    #[error("{provider}: server error (HTTP {status}): {message}")]
    Server {
        provider: String,
        status: u16,
        message: String,
    },
    #[error("{provider}: connection failed: {message} (is base_url right and the server up?)")]
    Transport { provider: String, message: String },
    #[error("{provider}: timed out {phase}")]
    Timeout {
        provider: String,
        phase: TimeoutPhase,
    },
    #[error("{provider}: the stream ended before the reply was complete")]
    StreamIncomplete { provider: String },
    #[error("{provider}: unreadable response: {message}")]
    InvalidResponse { provider: String, message: String },
    #[error("{provider}: circuit open after repeated failures; retrying in {cooldown_secs}s")]
    CircuitOpen {
        provider: String,
        cooldown_secs: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    Connect,
    FirstByte,
    BetweenChunks,
}

impl std::fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimeoutPhase::Connect => "while connecting",
            TimeoutPhase::FirstByte => "waiting for the first byte of the reply",
            TimeoutPhase::BetweenChunks => "waiting for the next chunk of the stream",
        })
    }
}

impl ProviderError {
    /// Whether trying the same request again may succeed (before any content was produced).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ProviderError::RateLimited { .. }
                | ProviderError::Overloaded { .. }
                | ProviderError::Server { .. }
                | ProviderError::Transport { .. }
                | ProviderError::Timeout { .. }
                | ProviderError::StreamIncomplete { .. }
        )
    }

    /// Whether a fallback to another model/provider is reasonable (the router's view).
    pub fn allows_fallback(&self) -> bool {
        !matches!(
            self,
            ProviderError::BadRequest { .. } | ProviderError::ContextLength { .. }
        )
    }

    /// The same error with the provider's request id in its message (errors without a
    /// message are returned as they are).
    pub fn with_request_id(mut self, id: &str) -> Self {
        match &mut self {
            ProviderError::Auth { message, .. }
            | ProviderError::Quota { message, .. }
            | ProviderError::RateLimited { message, .. }
            | ProviderError::Overloaded { message, .. }
            | ProviderError::ContextLength { message, .. }
            | ProviderError::BadRequest { message, .. }
            | ProviderError::ModelNotFound { message, .. }
            | ProviderError::Server { message, .. }
            | ProviderError::InvalidResponse { message, .. } => {
                if !message.contains(id) {
                    message.push_str(&format!(" (request id {id})"));
                }
            }
            ProviderError::Transport { .. }
            | ProviderError::Timeout { .. }
            | ProviderError::StreamIncomplete { .. }
            | ProviderError::CircuitOpen { .. } => {}
        }
        self
    }

    /// Whether the user may simply try again after this error ended a turn: as
    /// [`Self::is_retryable`], except that once content has streamed only a broken connection
    /// counts; an error the provider sent inside the stream (in band) after content is its
    /// verdict on this request, and repeating it would repeat the reply.
    pub fn retryable_after(&self, content_streamed: bool) -> bool {
        if !content_streamed {
            return self.is_retryable();
        }
        matches!(
            self,
            ProviderError::Transport { .. }
                | ProviderError::Timeout { .. }
                | ProviderError::StreamIncomplete { .. }
        )
    }

    pub fn provider(&self) -> &str {
        match self {
            ProviderError::Auth { provider, .. }
            | ProviderError::Quota { provider, .. }
            | ProviderError::RateLimited { provider, .. }
            | ProviderError::Overloaded { provider, .. }
            | ProviderError::ContextLength { provider, .. }
            | ProviderError::BadRequest { provider, .. }
            | ProviderError::ModelNotFound { provider, .. }
            | ProviderError::Server { provider, .. }
            | ProviderError::Transport { provider, .. }
            | ProviderError::Timeout { provider, .. }
            | ProviderError::StreamIncomplete { provider }
            | ProviderError::InvalidResponse { provider, .. }
            | ProviderError::CircuitOpen { provider, .. } => provider,
        }
    }
}
