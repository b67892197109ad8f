//! The fake's embedding endpoints: Ollama `POST /api/embed` and OpenAI-style
//! `POST {base}/embeddings`, in their real shapes. Vectors are deterministic: a hashed bag of
//! words (each lowercase word adds 1 to one of [`DIM`] slots chosen by hashing the model name
//! with the word), so texts sharing words are similar, and another model gives other vectors.

use super::wire::Flavor;
use serde_json::{Value, json};

/// Dimension of the fake's vectors.
pub const DIM: usize = 64;

/// The fake's vector for `text` under `model` (not normalised, like some real servers).
pub fn vector(model: &str, text: &str) -> Vec<f32> {
    let mut v = vec![0.0f32; DIM];
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_lowercase();
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in model.bytes().chain([0u8]).chain(word.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        v[(h % DIM as u64) as usize] += 1.0;
    }
    v
}

/// The path of the embedding endpoint of `flavor`.
pub fn path(flavor: Flavor) -> String {
    match flavor {
        Flavor::Ollama => "/api/embed".to_string(),
        _ => format!("{}/embeddings", flavor.base_path()),
    }
}

/// The response body for a request body, or an error message for a bad request.
pub fn respond(flavor: Flavor, body: &Value) -> Result<Value, String> {
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .ok_or("missing `model`")?;
    let inputs: Vec<String> = match body.get("input") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or("`input` holds a non-string")
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("missing `input`".to_string()),
    };
    let vectors: Vec<Vec<f32>> = inputs.iter().map(|t| vector(model, t)).collect();
    Ok(match flavor {
        Flavor::Ollama => json!({"model": model, "embeddings": vectors,
            "total_duration": 1000, "load_duration": 10, "prompt_eval_count": inputs.len()}),
        _ => json!({
            "object": "list",
            "data": vectors.iter().enumerate().map(|(i, v)| json!({"object": "embedding", "index": i, "embedding": v})).collect::<Vec<_>>(),
            "model": model,
            "usage": {"prompt_tokens": inputs.len(), "total_tokens": inputs.len()}
        }),
    })
}
