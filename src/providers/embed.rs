//! Embeddings through the provider clients: Ollama's `POST /api/embed` and the OpenAI-style
//! `POST /embeddings` (OpenAI, OpenRouter, Z.ai). Inputs go in batches of [`BATCH`]; each batch
//! is one JSON call with the chat clients' timeouts, retried like a chat request that has not
//! streamed anything yet (retryable errors only, exponential backoff with jitter or the server's
//! `Retry-After`), and its errors are the same [`ProviderError`]s.

use super::ProviderError;
use super::stream::HttpCore;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// Texts per request.
pub const BATCH: usize = 64;

/// The two wire formats of an embedding call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedWire {
    /// `POST {base}/api/embed` `{model, input: [..]}` → `{embeddings: [[..], ..]}`.
    Ollama,
    /// `POST {base}/embeddings` `{model, input: [..]}` → `{data: [{index, embedding}, ..]}`.
    OpenAi,
}

impl EmbedWire {
    pub fn url(self, base_url: &str) -> String {
        match self {
            EmbedWire::Ollama => format!("{base_url}/api/embed"),
            EmbedWire::OpenAi => format!("{base_url}/embeddings"),
        }
    }
}

/// Embed `inputs` with `model`: one vector per input, in order.
pub async fn embed(
    core: &HttpCore,
    wire: EmbedWire,
    base_url: &str,
    headers: &HeaderMap,
    model: &str,
    inputs: &[String],
) -> Result<Vec<Vec<f32>>, ProviderError> {
    let url = wire.url(base_url);
    let mut out = Vec::with_capacity(inputs.len());
    for batch in inputs.chunks(BATCH) {
        let body = json!({"model": model, "input": batch});
        let value = call_with_retries(core, &url, headers, body).await?;
        let vectors = parse(wire, &value, batch.len()).map_err(|m| core.invalid(m))?;
        out.extend(vectors);
    }
    Ok(out)
}

async fn call_with_retries(
    core: &HttpCore,
    url: &str,
    headers: &HeaderMap,
    body: Value,
) -> Result<Value, ProviderError> {
    let mut retry = 0;
    loop {
        let result = core
            .json_call(reqwest::Method::POST, url, headers, Some(body.clone()))
            .await;
        match result {
            Ok(value) => return Ok(value),
            Err(e) if e.is_retryable() && retry < core.retry.max_retries => {
                let after = match &e {
                    ProviderError::RateLimited { retry_after, .. } => *retry_after,
                    _ => None,
                };
                let delay = core.retry.delay(retry, after, fastrand::f64());
                tracing::info!(provider = %core.name, error = %e, ?delay, "embedding call failed; retrying");
                tokio::time::sleep(delay).await;
                retry += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The vectors of one response, checked against the number of inputs.
pub fn parse(wire: EmbedWire, value: &Value, expected: usize) -> Result<Vec<Vec<f32>>, String> {
    let vectors: Vec<Vec<f32>> = match wire {
        EmbedWire::Ollama => value
            .get("embeddings")
            .and_then(Value::as_array)
            .ok_or("/api/embed answered without an `embeddings` array")?
            .iter()
            .map(numbers)
            .collect::<Result<_, _>>()?,
        EmbedWire::OpenAi => {
            let data = value
                .get("data")
                .and_then(Value::as_array)
                .ok_or("/embeddings answered without a `data` array")?;
            let mut indexed: Vec<(u64, Vec<f32>)> = data
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let index = item
                        .get("index")
                        .and_then(Value::as_u64)
                        .unwrap_or(i as u64);
                    let v = item
                        .get("embedding")
                        .ok_or("an /embeddings item has no `embedding`")?;
                    Ok((index, numbers(v)?))
                })
                .collect::<Result<_, String>>()?;
            indexed.sort_by_key(|(i, _)| *i);
            indexed.into_iter().map(|(_, v)| v).collect()
        }
    };
    if vectors.len() != expected {
        return Err(format!(
            "asked for {expected} embeddings, got {}",
            vectors.len()
        ));
    }
    if let Some(first) = vectors.first() {
        if first.is_empty() || vectors.iter().any(|v| v.len() != first.len()) {
            return Err("the embeddings are empty or of different lengths".to_string());
        }
    }
    Ok(vectors)
}

fn numbers(value: &Value) -> Result<Vec<f32>, String> {
    value
        .as_array()
        .ok_or("an embedding is not an array of numbers")?
        .iter()
        .map(|n| {
            n.as_f64()
                .map(|f| f as f32)
                .ok_or_else(|| "an embedding holds something that is not a number".to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_of_both_wires_parse_in_input_order() {
        let cases = [
            (
                EmbedWire::Ollama,
                json!({"model": "m", "embeddings": [[1.0, 2.0], [3.0, 4.0]]}),
                Ok(vec![vec![1.0, 2.0], vec![3.0, 4.0]]),
            ),
            (
                EmbedWire::OpenAi,
                json!({"object": "list", "data": [
                    {"object": "embedding", "index": 1, "embedding": [3.0, 4.0]},
                    {"object": "embedding", "index": 0, "embedding": [1.0, 2.0]}]}),
                Ok(vec![vec![1.0, 2.0], vec![3.0, 4.0]]),
            ),
            (
                EmbedWire::Ollama,
                json!({"embeddings": [[1.0, 2.0]]}),
                Err("asked for 2 embeddings, got 1".to_string()),
            ),
            (
                EmbedWire::OpenAi,
                json!({"error": "x"}),
                Err("/embeddings answered without a `data` array".to_string()),
            ),
            (
                EmbedWire::Ollama,
                json!({"embeddings": [[1.0], [1.0, 2.0]]}),
                Err("the embeddings are empty or of different lengths".to_string()),
            ),
            (
                EmbedWire::Ollama,
                json!({"embeddings": [["a"], [1.0]]}),
                Err("an embedding holds something that is not a number".to_string()),
            ),
        ];
        for (wire, value, want) in cases {
            assert_eq!(parse(wire, &value, 2), want, "{value}");
        }
    }

    #[test]
    fn urls_follow_each_wire() {
        assert_eq!(
            EmbedWire::Ollama.url("http://127.0.0.1:11434"),
            "http://127.0.0.1:11434/api/embed"
        );
        assert_eq!(
            EmbedWire::OpenAi.url("https://api.openai.com/v1"),
            "https://api.openai.com/v1/embeddings"
        );
    }
}
