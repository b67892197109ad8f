//! What the model reads of an MCP tool's result: the text blocks as they are, and a short line
//! for each image, audio clip or resource (the harness sends tool results as text), plus the
//! structured result when there is no text. Works on the result's JSON wire form, so it does
//! not depend on the SDK's types.

use serde_json::Value;

/// The model's view of a `tools/call` result (`{"content": [...], "isError": ...}`).
pub fn render_result(result: &Value) -> (String, bool) {
    let is_error = result
        .get("isError")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut parts: Vec<String> = result
        .get("content")
        .and_then(Value::as_array)
        .map(|blocks| blocks.iter().map(render_block).collect())
        .unwrap_or_default();
    if parts.iter().all(|p| p.trim().is_empty()) {
        parts.clear();
        if let Some(structured) = result.get("structuredContent").filter(|v| !v.is_null()) {
            parts.push(structured.to_string());
        }
    }
    let text = if parts.is_empty() {
        "(the tool returned no content)".to_string()
    } else {
        parts.join("\n")
    };
    (text, is_error)
}

fn render_block(block: &Value) -> String {
    let field = |name: &str| block.get(name).and_then(Value::as_str).unwrap_or("");
    match field("type") {
        "text" => field("text").to_string(),
        "image" => format!(
            "[image: {}, {}]",
            or_unknown(field("mimeType")),
            size_of_base64(field("data"))
        ),
        "audio" => format!(
            "[audio: {}, {}]",
            or_unknown(field("mimeType")),
            size_of_base64(field("data"))
        ),
        "resource" => {
            let resource = block.get("resource").cloned().unwrap_or(Value::Null);
            let get = |name: &str| resource.get(name).and_then(Value::as_str);
            match (get("text"), get("uri")) {
                (Some(text), uri) => format!("[resource {}]\n{text}", uri.unwrap_or("")),
                (None, uri) => format!(
                    "[resource {}: {}, {}]",
                    uri.unwrap_or(""),
                    or_unknown(get("mimeType").unwrap_or("")),
                    size_of_base64(get("blob").unwrap_or(""))
                ),
            }
        }
        "resource_link" => {
            let description = field("description");
            let mut line = format!("[resource link {}: {}]", field("uri"), field("name"));
            if !description.is_empty() {
                line.push(' ');
                line.push_str(description);
            }
            line
        }
        other => format!("[{} content]", or_unknown(other)),
    }
}

fn or_unknown(s: &str) -> &str {
    if s.is_empty() { "unknown type" } else { s }
}

/// `12 KB` for base64 data of that decoded size.
fn size_of_base64(data: &str) -> String {
    let bytes = data.trim_end_matches('=').len() * 3 / 4;
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn results_become_text_for_the_model() {
        let cases = [
            (
                json!({"content": [{"type": "text", "text": "hello"}]}),
                "hello",
                false,
            ),
            (
                json!({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], "isError": true}),
                "a\nb",
                true,
            ),
            (
                json!({"content": [{"type": "image", "mimeType": "image/png", "data": "AAAA"}]}),
                "[image: image/png, 3 bytes]",
                false,
            ),
            (
                json!({"content": [{"type": "audio", "mimeType": "audio/wav", "data": "A".repeat(4096)}]}),
                "[audio: audio/wav, 3 KB]",
                false,
            ),
            (
                json!({"content": [{"type": "resource", "resource": {"uri": "file:///a.txt", "text": "body"}}]}),
                "[resource file:///a.txt]\nbody",
                false,
            ),
            (
                json!({"content": [{"type": "resource", "resource": {"uri": "file:///a.bin", "mimeType": "application/zip", "blob": "AAAA"}}]}),
                "[resource file:///a.bin: application/zip, 3 bytes]",
                false,
            ),
            (
                json!({"content": [{"type": "resource_link", "uri": "file:///x", "name": "x", "description": "the x"}]}),
                "[resource link file:///x: x] the x",
                false,
            ),
            (
                json!({"content": [], "structuredContent": {"n": 1}}),
                "{\"n\":1}",
                false,
            ),
            (
                json!({"content": []}),
                "(the tool returned no content)",
                false,
            ),
            (
                json!({"content": [{"type": "hologram"}]}),
                "[hologram content]",
                false,
            ),
        ];
        for (result, text, is_error) in cases {
            assert_eq!(
                render_result(&result),
                (text.to_string(), is_error),
                "{result}"
            );
        }
    }
}
