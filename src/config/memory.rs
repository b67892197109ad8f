//! `[memory]`: long-term memory (README "Memory"). Whether sessions offer the memory tools and
//! recall before a turn, which `provider/model` embeds, how many memories a turn recalls and
//! how similar they must be, and whether the model's `memory_save` asks first.

use serde::{Deserialize, Serialize};

pub const DEFAULT_EMBEDDING_MODEL: &str = "ollama/nomic-embed-text";

/// `[memory] save`: whether the model's `memory_save` goes through approvals like a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SaveMode {
    /// Through approvals and permission rules, like `write`.
    #[default]
    Ask,
    /// Saved without asking.
    Auto,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MemoryConfig {
    /// Sessions offer `memory_save` / `memory_search` and recall before each turn.
    pub enabled: bool,
    /// `provider/model`: Ollama `/api/embed`, or OpenAI-style `/embeddings`.
    pub embedding_model: String,
    /// The most relevant memories join the request context before a turn.
    pub auto_recall: bool,
    /// At most this many memories are recalled for a turn.
    pub recall_limit: u32,
    /// Cosine similarity a memory needs to be recalled (0..1).
    pub recall_min_score: f32,
    pub save: SaveMode,
}

impl Default for MemoryConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            embedding_model: DEFAULT_EMBEDDING_MODEL.to_string(),
            auto_recall: true,
            recall_limit: 5,
            recall_min_score: 0.5,
            save: SaveMode::Ask,
        }
    }
}

impl MemoryConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !self.embedding_model.contains('/') {
            return Err(format!(
                "memory.embedding_model must be provider/model, e.g. \"{DEFAULT_EMBEDDING_MODEL}\" (got \"{}\")",
                self.embedding_model
            ));
        }
        if !(0.0..=1.0).contains(&self.recall_min_score) {
            return Err(format!(
                "memory.recall_min_score must be between 0 and 1, e.g. 0.5 (got {})",
                self.recall_min_score
            ));
        }
        if self.recall_limit > 50 {
            return Err(format!(
                "memory.recall_limit must be at most 50 (got {})",
                self.recall_limit
            ));
        }
        Ok(())
    }
}
