//! The embedding model of `[memory] embedding_model` (`provider/model`), reached through the
//! configured provider's client (`Provider::embed`: Ollama `/api/embed`, OpenAI-style
//! `/embeddings`). Vectors come back scaled to unit length, so similarity is a dot product.

use crate::providers::{Provider, ProviderError, ProviderSet};
use crate::store::vector::normalize;
use std::sync::Arc;

#[derive(Clone)]
pub struct Embedder {
    provider: Arc<dyn Provider>,
    model: String,
}

impl Embedder {
    /// The embedder `reference` names, or why there is none (one line for the user).
    pub fn from_config(reference: &str, providers: &ProviderSet) -> Result<Self, String> {
        let Some((provider, model)) = reference.split_once('/') else {
            return Err(format!(
                "[memory] embedding_model `{reference}` is not provider/model"
            ));
        };
        let Some(client) = providers.get(provider) else {
            return Err(format!(
                "provider `{provider}` of [memory] embedding_model is not configured"
            ));
        };
        Ok(Self {
            provider: Arc::clone(client),
            model: model.to_string(),
        })
    }

    /// One unit vector per text, in order.
    pub async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, ProviderError> {
        let mut vectors = self.provider.embed(&self.model, texts.to_vec()).await?;
        for v in &mut vectors {
            normalize(v);
        }
        Ok(vectors)
    }
}
