//! HTTP plumbing shared by every client: the reqwest client (connect timeout, no global
//! timeout: streams are bounded by the first-byte and idle timeouts in `stream.rs`), the mapping
//! of an HTTP status or an in-band error object to a typed [`ProviderError`], `Retry-After`
//! parsing, and redaction (auth headers in traces, the key inside echoed error messages).

use super::ProviderError;
use crate::secret::Secret;
use reqwest::header::HeaderMap;
use std::time::Duration;

/// Headers whose values are secrets; printed as `***` in any trace.
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "x-api-key",
    "api-key",
    "proxy-authorization",
];

pub fn build_client(
    provider: &str,
    connect_timeout: Duration,
) -> Result<reqwest::Client, ProviderError> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .tcp_nodelay(true)
        .user_agent(concat!("harness/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ProviderError::Transport {
            provider: provider.to_string(),
            message: format!("cannot set up the HTTP client: {e}"),
        })
}

/// `Display` of a header map with secret values replaced by `***`.
pub struct RedactedHeaders<'a>(pub &'a HeaderMap);

impl std::fmt::Display for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("{")?;
        for (i, (name, value)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            let shown = if SECRET_HEADERS.contains(&name.as_str()) {
                "***"
            } else {
                value.to_str().unwrap_or("<binary>")
            };
            write!(f, "{name}: {shown}")?;
        }
        f.write_str("}")
    }
}

/// Replace every occurrence of the key in text that came back from a server (some providers
/// echo the key they rejected).
pub fn scrub(text: &str, secret: Option<&Secret>) -> String {
    match secret {
        Some(s) if s.expose().len() >= 4 && text.contains(s.expose()) => {
            text.replace(s.expose(), "***")
        }
        _ => text.to_string(),
    }
}

/// `retry-after-ms` (milliseconds), else `retry-after` (seconds, fractional allowed, or an
/// HTTP date).
pub fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(Duration::from_secs_f64(ms / 1000.0));
        }
    }
    let value = get("retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// What an error body says, whatever the provider's shape: `{"error":{"message","type","code",
/// "metadata":{"error_type"}}}` (OpenAI, OpenRouter, Z.ai, Anthropic) or `{"error":"..."}`
/// (Ollama).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ErrorInfo {
    pub message: String,
    /// `error.type`, `error.code` and `error.metadata.error_type`, lower-cased, space-joined.
    pub kinds: String,
    /// A numeric `error.code` (OpenRouter puts the HTTP status there, Z.ai a business code).
    pub numeric_code: Option<u64>,
}

impl ErrorInfo {
    /// The `error` member of a JSON value, if it has one that is not null/false.
    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        let err = value.get("error")?;
        match err {
            serde_json::Value::Null | serde_json::Value::Bool(false) => None,
            serde_json::Value::String(s) => Some(Self {
                message: s.clone(),
                ..Self::default()
            }),
            serde_json::Value::Object(o) => {
                let text = |v: Option<&serde_json::Value>| match v {
                    Some(serde_json::Value::String(s)) => Some(s.clone()),
                    Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                };
                let code = o.get("code");
                let numeric_code = match code {
                    Some(serde_json::Value::Number(n)) => n.as_u64(),
                    Some(serde_json::Value::String(s)) => s.parse().ok(),
                    _ => None,
                };
                let kinds = [
                    text(o.get("type")),
                    text(code),
                    text(o.get("metadata").and_then(|m| m.get("error_type"))),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase();
                Some(Self {
                    message: text(o.get("message")).unwrap_or_else(|| err.to_string()),
                    kinds,
                    numeric_code,
                })
            }
            other => Some(Self {
                message: other.to_string(),
                ..Self::default()
            }),
        }
    }

    /// From a non-2xx body that may be JSON, HTML or anything else.
    pub fn from_body(status: u16, body: &[u8]) -> Self {
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
            if let Some(info) = Self::from_json(&value) {
                return info;
            }
        }
        let text = String::from_utf8_lossy(body);
        let trimmed = text.trim();
        let message = if trimmed.is_empty() {
            format!("HTTP {status} with an empty body")
        } else if trimmed.starts_with('<') {
            let title = trimmed
                .find("<title>")
                .and_then(|i| {
                    let rest = &trimmed[i + 7..];
                    rest.find("</title>").map(|j| rest[..j].trim().to_string())
                })
                .filter(|t| !t.is_empty());
            match title {
                Some(t) => format!("the server answered an HTML page (\"{t}\") instead of JSON"),
                None => "the server answered an HTML page instead of JSON".to_string(),
            }
        } else {
            truncate_chars(trimmed, 300)
        };
        Self {
            message,
            ..Self::default()
        }
    }
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Z.ai business codes (docs.bigmodel.cn api-code).
fn zai_code_kind(code: u64) -> Option<&'static str> {
    Some(match code {
        1000..=1004 => "auth",
        1113 | 1304 | 1308 | 1309 | 1310 => "quota",
        1211 => "not_found",
        1261 => "context",
        1302 | 1303 | 1305 | 1313 => "rate",
        1312 => "overloaded",
        _ => return None,
    })
}

/// Map an error to its type. `status` is the HTTP status, or `None` for an error that arrived
/// inside a 200 stream.
/// An error a provider sent inside a 200 stream (`{"error": ...}`), typed like an HTTP one.
pub fn in_band_error(
    provider: &str,
    error: Option<serde_json::Value>,
    key: Option<&crate::secret::Secret>,
) -> ProviderError {
    let info = error
        .and_then(|e| ErrorInfo::from_json(&serde_json::json!({ "error": e })))
        .unwrap_or_default();
    classify(provider, None, &info, None, key)
}

/// Long by design: one table from status and body to the error kind.
pub fn classify(
    provider: &str,
    status: Option<u16>,
    info: &ErrorInfo,
    retry_after: Option<Duration>,
    secret: Option<&Secret>,
) -> ProviderError {
    let provider = provider.to_string();
    let message = scrub(&info.message, secret);
    let kinds = info.kinds.as_str();
    let lower = info.message.to_lowercase();
    // An in-band error may carry the HTTP status it stands for (OpenRouter's `code`).
    let status = status.or_else(|| {
        info.numeric_code
            .filter(|c| (400..600).contains(c))
            .map(|c| c as u16)
    });
    let zai = info.numeric_code.and_then(zai_code_kind);
    let has = |needle: &str| kinds.contains(needle);

    if has("context_length")
        || has("token_limit")
        || zai == Some("context")
        || lower.contains("context length")
        || lower.contains("context window")
        || lower.contains("prompt is too long")
        || lower.contains("maximum context")
    {
        return ProviderError::ContextLength { provider, message };
    }
    if status == Some(402)
        || has("insufficient_quota")
        || has("billing")
        || has("payment_required")
        || zai == Some("quota")
    {
        return ProviderError::Quota { provider, message };
    }
    if status == Some(529) || has("overloaded") || zai == Some("overloaded") {
        return ProviderError::Overloaded { provider, message };
    }
    if status == Some(429) || has("rate_limit") || zai == Some("rate") {
        return ProviderError::RateLimited {
            provider,
            message,
            retry_after,
        };
    }
    // A moderation or guardrail block (OpenRouter sends 403) is about the content, not the key.
    if has("content_policy")
        || has("refusal")
        || lower.contains("moderation")
        || lower.contains("flagged")
    {
        return ProviderError::BadRequest { provider, message };
    }
    if matches!(status, Some(401 | 403))
        || has("authentication")
        || has("permission")
        || zai == Some("auth")
    {
        return ProviderError::Auth { provider, message };
    }
    if status == Some(404) || has("not_found") || zai == Some("not_found") {
        return ProviderError::ModelNotFound { provider, message };
    }
    match status {
        Some(s @ (408 | 409)) | Some(s @ 500..=599) => ProviderError::Server {
            provider,
            status: s,
            message,
        },
        Some(400..=499) => ProviderError::BadRequest { provider, message },
        Some(s) => ProviderError::Server {
            provider,
            status: s,
            message,
        },
        None if has("invalid_request") => ProviderError::BadRequest { provider, message },
        None => ProviderError::Server {
            provider,
            status: 200,
            message: format!("error inside the stream: {message}"),
        },
    }
}

/// The provider's id for a request, from the response headers (Anthropic `request-id`,
/// OpenAI and most gateways `x-request-id`), if it is printable and short.
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    ["x-request-id", "request-id"]
        .iter()
        .filter_map(|name| headers.get(*name)?.to_str().ok())
        .map(str::trim)
        .find(|v| !v.is_empty() && v.len() <= 200 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_string)
}

/// Map a non-2xx response (status, headers, body) to its error.
pub fn error_from_response(
    provider: &str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    secret: Option<&Secret>,
) -> ProviderError {
    let info = ErrorInfo::from_body(status, body);
    classify(
        provider,
        Some(status),
        &info,
        parse_retry_after(headers),
        secret,
    )
}

/// The headers every request of a provider carries: its auth header (marked sensitive so no
/// debug output of the HTTP stack shows it), JSON content type, and the configured extras.
pub fn base_headers(
    cfg: &crate::config::ProviderConfig,
    auth: Option<(&'static str, String)>,
) -> Result<HeaderMap, ProviderError> {
    use reqwest::header::{HeaderName, HeaderValue};
    let bad = |what: String| ProviderError::BadRequest {
        provider: cfg.name.clone(),
        message: format!("{what}: fix [providers.{}] in config.toml", cfg.name),
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        reqwest::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some((name, value)) = auth {
        let mut value = HeaderValue::from_str(&value)
            .map_err(|_| bad("the api_key contains characters not allowed in a header".into()))?;
        value.set_sensitive(true);
        headers.insert(HeaderName::from_static(name), value);
    }
    for (name, value) in &cfg.headers {
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| bad(format!("`{name}` is not a valid header name")))?;
        let value = HeaderValue::from_str(value).map_err(|_| {
            bad(format!(
                "the value of header `{name}` is not valid in a header"
            ))
        })?;
        headers.insert(name, value);
    }
    Ok(headers)
}

/// Parse assembled tool-call arguments: empty means `{}`; text that is not JSON is kept as a
/// string so the tool layer can tell the model what was wrong.
pub fn parse_arguments(raw: &str) -> serde_json::Value {
    if raw.trim().is_empty() {
        return serde_json::Value::Object(serde_json::Map::new());
    }
    serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn retry_after_forms() {
        type Case<'a> = (Vec<(&'a str, &'a str)>, Option<Duration>);
        let cases: Vec<Case> = vec![
            (vec![("retry-after", "2")], Some(Duration::from_secs(2))),
            (
                vec![("retry-after", "1.5")],
                Some(Duration::from_millis(1500)),
            ),
            (
                vec![("retry-after-ms", "250"), ("retry-after", "9")],
                Some(Duration::from_millis(250)),
            ),
            (
                vec![("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")],
                Some(Duration::ZERO),
            ),
            (vec![("retry-after", "soon")], None),
            (vec![("retry-after", "-3")], None),
            (vec![], None),
        ];
        for (h, want) in cases {
            assert_eq!(parse_retry_after(&headers(&h)), want, "{h:?}");
        }
    }

    #[test]
    fn status_and_body_classification() {
        use ProviderError as E;
        let kind = |e: &E| -> &'static str {
            match e {
                E::Auth { .. } => "auth",
                E::Quota { .. } => "quota",
                E::RateLimited { .. } => "rate",
                E::Overloaded { .. } => "overloaded",
                E::ContextLength { .. } => "context",
                E::BadRequest { .. } => "bad",
                E::ModelNotFound { .. } => "notfound",
                E::Server { .. } => "server",
                _ => "other",
            }
        };
        let cases: Vec<(u16, &str, &str)> = vec![
            (
                401,
                r#"{"error":{"message":"Incorrect API key","type":"invalid_request_error","code":"invalid_api_key"}}"#,
                "auth",
            ),
            (
                403,
                r#"{"type":"error","error":{"type":"permission_error","message":"no"}}"#,
                "auth",
            ),
            (
                429,
                r#"{"error":{"message":"quota","type":"insufficient_quota","code":"insufficient_quota"}}"#,
                "quota",
            ),
            (
                429,
                r#"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#,
                "rate",
            ),
            (
                429,
                r#"{"error":{"code":"1113","message":"Insufficient balance"}}"#,
                "quota",
            ),
            (
                429,
                r#"{"error":{"code":"1302","message":"High concurrency"}}"#,
                "rate",
            ),
            (
                402,
                r#"{"error":{"code":402,"message":"Insufficient credits"}}"#,
                "quota",
            ),
            (
                400,
                r#"{"error":{"message":"This model's maximum context length is 8192 tokens","type":"invalid_request_error","code":"context_length_exceeded"}}"#,
                "context",
            ),
            (
                400,
                r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}"#,
                "context",
            ),
            (
                400,
                r#"{"error":{"message":"bad","type":"invalid_request_error"}}"#,
                "bad",
            ),
            (404, r#"{"error":"model 'x' not found"}"#, "notfound"),
            (
                403,
                r#"{"error":{"code":403,"message":"Input was flagged by moderation","metadata":{"reasons":["x"]}}}"#,
                "bad",
            ),
            (
                529,
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                "overloaded",
            ),
            (500, r#"{"error":{"message":"boom"}}"#, "server"),
            (
                502,
                "<html><head><title>502 Bad Gateway</title></head></html>",
                "server",
            ),
            (408, "", "server"),
            (418, "I'm a teapot", "bad"),
        ];
        for (status, body, want) in cases {
            let e = error_from_response("p", status, &HeaderMap::new(), body.as_bytes(), None);
            assert_eq!(kind(&e), want, "{status} {body}");
        }
    }

    #[test]
    fn html_body_gives_a_readable_message() {
        let e = error_from_response(
            "p",
            502,
            &HeaderMap::new(),
            b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
            None,
        );
        assert!(
            e.to_string().contains("HTML page (\"502 Bad Gateway\")"),
            "{e}"
        );
    }

    #[test]
    fn echoed_key_is_scrubbed_and_headers_redacted() {
        let key = Secret::new("sk-test-abcdef123456");
        let body = br#"{"error":{"message":"Incorrect API key provided: sk-test-abcdef123456","code":"invalid_api_key"}}"#;
        let e = error_from_response("p", 401, &HeaderMap::new(), body, Some(&key));
        assert!(!e.to_string().contains("sk-test-abcdef123456"), "{e}");
        let h = headers(&[
            ("authorization", "Bearer sk-x"),
            ("x-api-key", "sk-y"),
            ("accept", "a"),
        ]);
        let shown = RedactedHeaders(&h).to_string();
        assert!(
            !shown.contains("sk-") && shown.contains("accept: a"),
            "{shown}"
        );
    }

    #[test]
    fn request_ids_are_read_from_either_header() {
        for (pairs, want) in [
            (vec![("x-request-id", "req_abc")], Some("req_abc")),
            (vec![("request-id", "req_011")], Some("req_011")),
            (vec![("request-id", "a"), ("x-request-id", "b")], Some("b")),
            (vec![("x-request-id", "  ")], None),
            (vec![("x-request-id", "has space")], None),
            (vec![], None),
        ] {
            assert_eq!(request_id(&headers(&pairs)).as_deref(), want, "{pairs:?}");
        }
        let e =
            error_from_response("p", 500, &HeaderMap::new(), b"{}", None).with_request_id("req_9");
        assert!(e.to_string().contains("(request id req_9)"), "{e}");
        assert_eq!(
            e.clone().with_request_id("req_9").to_string(),
            e.to_string(),
            "added once"
        );
    }

    #[test]
    fn in_band_errors() {
        let or = serde_json::json!({"error":{"code":429,"message":"Rate limit exceeded","metadata":{"error_type":"rate_limit_exceeded"}}});
        let e = classify("p", None, &ErrorInfo::from_json(&or).unwrap(), None, None);
        assert!(matches!(e, ProviderError::RateLimited { .. }), "{e:?}");
        let ol = serde_json::json!({"error":"an error was encountered while running the model"});
        let e = classify("p", None, &ErrorInfo::from_json(&ol).unwrap(), None, None);
        assert!(
            matches!(e, ProviderError::Server { status: 200, .. }),
            "{e:?}"
        );
        assert!(ErrorInfo::from_json(&serde_json::json!({"error": null})).is_none());
    }
}
