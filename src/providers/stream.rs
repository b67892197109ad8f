//! The one streaming driver every client uses: open the request, map a non-2xx answer to its
//! typed error, feed body chunks to the flavour's [`WireDecoder`], enforce the first-byte and
//! idle timeouts, retry retryable failures that happen before any content, and report each
//! request's outcome to the circuit breaker. Clients only build requests and decode bytes.

use super::health::{Admission, HealthRegistry};
use super::http::{
    ErrorInfo, RedactedHeaders, build_client, classify, error_from_response, request_id,
};
use super::retry::{RetryPolicy, Timeouts};
use super::{ProviderError, ProviderEvent, ProviderStream};
use crate::config::ProviderConfig;
use crate::providers::error::TimeoutPhase;
use crate::secret::Secret;
use futures::StreamExt;
use futures::future::BoxFuture;
use reqwest::header::HeaderMap;
use std::collections::VecDeque;
use std::sync::Arc;

/// Turns a flavour's body bytes into events. `feed` may push events and then fail (the events
/// before an in-band error are still delivered). `finish` is called at the end of the body and
/// must fail with `StreamIncomplete` unless the terminal marker was seen.
pub trait WireDecoder: Send {
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<ProviderEvent>) -> Result<(), ProviderError>;
    fn finish(&mut self, out: &mut Vec<ProviderEvent>) -> Result<(), ProviderError>;
}

/// A request ready to send (and to send again on retry).
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    pub url: String,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

/// What every client of one provider shares: name, HTTP client, key, policies, health.
pub struct HttpCore {
    pub name: String,
    pub client: reqwest::Client,
    pub api_key: Option<Secret>,
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
    pub health: Arc<HealthRegistry>,
}

impl std::fmt::Debug for HttpCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpCore")
            .field("name", &self.name)
            .field("api_key", &self.api_key)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl HttpCore {
    pub fn new(
        cfg: &ProviderConfig,
        health: Arc<HealthRegistry>,
        retry: RetryPolicy,
    ) -> Result<Self, ProviderError> {
        let timeouts = Timeouts::from_config(cfg);
        Ok(Self {
            name: cfg.name.clone(),
            client: build_client(&cfg.name, timeouts.connect)?,
            api_key: cfg.api_key.clone(),
            timeouts,
            retry,
            health,
        })
    }

    pub fn map_reqwest_error(&self, e: &reqwest::Error, phase: TimeoutPhase) -> ProviderError {
        let provider = self.name.clone();
        if e.is_timeout() {
            let phase = if e.is_connect() {
                TimeoutPhase::Connect
            } else {
                phase
            };
            return ProviderError::Timeout { provider, phase };
        }
        let mut message = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        ProviderError::Transport {
            provider,
            message: super::http::scrub(&message, self.api_key.as_ref()),
        }
    }

    /// One non-streamed JSON call (model listing, Ollama `/api/show`), bounded by the first-byte
    /// timeout for the headers and again for the body.
    pub async fn json_call(
        &self,
        method: reqwest::Method,
        url: &str,
        headers: &HeaderMap,
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value, ProviderError> {
        tracing::debug!(provider = %self.name, %url, headers = %RedactedHeaders(headers), "{method}");
        let mut req = self.client.request(method, url).headers(headers.clone());
        if let Some(b) = body {
            req = req.json(&b);
        }
        let first_byte = self.timeouts.first_byte;
        let resp = tokio::time::timeout(first_byte, req.send())
            .await
            .map_err(|_| self.timeout(TimeoutPhase::FirstByte))?
            .map_err(|e| self.map_reqwest_error(&e, TimeoutPhase::FirstByte))?;
        let status = resp.status();
        let resp_headers = resp.headers().clone();
        let bytes = tokio::time::timeout(first_byte, resp.bytes())
            .await
            .map_err(|_| self.timeout(TimeoutPhase::BetweenChunks))?
            .map_err(|e| self.map_reqwest_error(&e, TimeoutPhase::BetweenChunks))?;
        if !status.is_success() {
            let err = error_from_response(
                &self.name,
                status.as_u16(),
                &resp_headers,
                &bytes,
                self.api_key.as_ref(),
            );
            let id = request_id(&resp_headers);
            tracing::warn!(provider = %self.name, %url, request_id = id.as_deref().unwrap_or("-"), error = %err, "request failed");
            return Err(match id {
                Some(id) => err.with_request_id(&id),
                None => err,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| self.invalid(format!("{e} in {url}")))
    }

    pub fn timeout(&self, phase: TimeoutPhase) -> ProviderError {
        ProviderError::Timeout {
            provider: self.name.clone(),
            phase,
        }
    }

    pub fn invalid(&self, message: impl Into<String>) -> ProviderError {
        ProviderError::InvalidResponse {
            provider: self.name.clone(),
            message: message.into(),
        }
    }
}

pub type DecoderFactory = Box<dyn Fn() -> Box<dyn WireDecoder> + Send>;

/// Start the driver. `prepare` runs once, lazily, on the first poll.
pub fn drive(
    core: Arc<HttpCore>,
    prepare: BoxFuture<'static, Result<PreparedRequest, ProviderError>>,
    new_decoder: DecoderFactory,
) -> ProviderStream {
    let decoder = new_decoder();
    let driver = Driver {
        core,
        prepare: Some(prepare),
        prepared: None,
        new_decoder,
        decoder,
        response: None,
        awaiting_first_chunk: false,
        queue: VecDeque::new(),
        scratch: Vec::new(),
        pending_error: None,
        produced_content: false,
        retries: 0,
        finished: false,
        request_id: None,
    };
    futures::stream::unfold(driver, |mut d| async move {
        let item = d.next().await?;
        Some((item, d))
    })
    .boxed()
}

struct Driver {
    core: Arc<HttpCore>,
    prepare: Option<BoxFuture<'static, Result<PreparedRequest, ProviderError>>>,
    prepared: Option<PreparedRequest>,
    new_decoder: DecoderFactory,
    decoder: Box<dyn WireDecoder>,
    response: Option<reqwest::Response>,
    awaiting_first_chunk: bool,
    queue: VecDeque<ProviderEvent>,
    scratch: Vec<ProviderEvent>,
    pending_error: Option<ProviderError>,
    produced_content: bool,
    retries: u32,
    finished: bool,
    /// The provider's id for the latest request (`request-id` / `x-request-id`), quoted in
    /// errors and logs so a user can cite it to the provider.
    request_id: Option<String>,
}

impl Driver {
    async fn next(&mut self) -> Option<Result<ProviderEvent, ProviderError>> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                match event {
                    ProviderEvent::TextDelta(_)
                    | ProviderEvent::ReasoningDelta(_)
                    | ProviderEvent::ToolCall(_) => self.produced_content = true,
                    ProviderEvent::Done { .. } => {
                        self.finished = true;
                        self.queue.clear();
                        self.response = None;
                        self.core.health.record_success(&self.core.name);
                    }
                    ProviderEvent::Usage(_) => {}
                }
                return Some(Ok(event));
            }
            if self.finished {
                return None;
            }
            if let Some(err) = self.pending_error.take() {
                match self.recover(err).await {
                    Ok(()) => continue,
                    Err(err) => {
                        self.finished = true;
                        self.response = None;
                        return Some(Err(err));
                    }
                }
            }
            if let Err(e) = self.step().await {
                self.pending_error = Some(e);
            }
        }
    }

    /// Decide what an error means: wait and retry (Ok), or end the stream with it (Err).
    async fn recover(&mut self, err: ProviderError) -> Result<(), ProviderError> {
        let core = Arc::clone(&self.core);
        if matches!(err, ProviderError::CircuitOpen { .. }) {
            return Err(err);
        }
        if err.is_retryable() && !self.produced_content && self.retries < core.retry.max_retries {
            let retry_after = match &err {
                ProviderError::RateLimited { retry_after, .. } => *retry_after,
                _ => None,
            };
            let delay = core.retry.delay(self.retries, retry_after, fastrand::f64());
            tracing::warn!(provider = %core.name, retry = self.retries + 1, delay_ms = delay.as_millis() as u64, error = %err, "retrying");
            self.retries += 1;
            self.response = None;
            self.queue.clear();
            self.decoder = (self.new_decoder)();
            tokio::time::sleep(delay).await;
            return Ok(());
        }
        if err.is_retryable() {
            core.health.record_failure(&core.name);
        } else {
            core.health.record_success(&core.name);
        }
        let err = match &self.request_id {
            Some(id) => err.with_request_id(id),
            None => err,
        };
        tracing::warn!(provider = %core.name, request_id = self.request_id.as_deref().unwrap_or("-"), error = %err, "model call failed");
        Err(err)
    }

    /// Long by design: one step of the connect/retry/stream state machine, one arm per state.
    async fn step(&mut self) -> Result<(), ProviderError> {
        let core = Arc::clone(&self.core);
        if let Some(prepare) = self.prepare.take() {
            if let Admission::Rejected { remaining } = core.health.admit(&core.name) {
                return Err(ProviderError::CircuitOpen {
                    provider: core.name.clone(),
                    cooldown_secs: remaining.as_secs().max(1),
                });
            }
            self.prepared = Some(prepare.await?);
        }
        let Some(prepared) = &self.prepared else {
            return Err(core.invalid("internal: request was not prepared"));
        };
        let Some(response) = &mut self.response else {
            tracing::debug!(provider = %core.name, url = %prepared.url, headers = %RedactedHeaders(&prepared.headers), "POST (stream)");
            let request = core
                .client
                .post(&prepared.url)
                .headers(prepared.headers.clone())
                .body(prepared.body.clone());
            let response = tokio::time::timeout(core.timeouts.first_byte, request.send())
                .await
                .map_err(|_| core.timeout(TimeoutPhase::FirstByte))?
                .map_err(|e| core.map_reqwest_error(&e, TimeoutPhase::FirstByte))?;
            let status = response.status();
            self.request_id = request_id(response.headers());
            if !status.is_success() {
                let headers = response.headers().clone();
                let body = tokio::time::timeout(core.timeouts.first_byte, response.bytes())
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .unwrap_or_default();
                return Err(error_from_response(
                    &core.name,
                    status.as_u16(),
                    &headers,
                    &body,
                    core.api_key.as_ref(),
                ));
            }
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_ascii_lowercase();
            if content_type.starts_with("text/html") {
                return Err(core.invalid(
                    "the server answered an HTML page instead of a stream (is base_url right?)",
                ));
            }
            if content_type.starts_with("application/json") {
                // Some gateways answer a streaming request with a plain JSON error and 200.
                let body = tokio::time::timeout(core.timeouts.first_byte, response.bytes())
                    .await
                    .map_err(|_| core.timeout(TimeoutPhase::FirstByte))?
                    .map_err(|e| core.map_reqwest_error(&e, TimeoutPhase::FirstByte))?;
                if let Some(info) = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .as_ref()
                    .and_then(ErrorInfo::from_json)
                {
                    return Err(classify(
                        &core.name,
                        None,
                        &info,
                        None,
                        core.api_key.as_ref(),
                    ));
                }
                let result = match self
                    .decoder
                    .feed(&body, &mut self.scratch)
                    .and_then(|()| self.decoder.finish(&mut self.scratch))
                {
                    Err(ProviderError::StreamIncomplete { .. }) => {
                        Err(core.invalid("the server answered JSON instead of a stream"))
                    }
                    other => other,
                };
                self.queue.extend(self.scratch.drain(..));
                return result;
            }
            self.response = Some(response);
            self.awaiting_first_chunk = true;
            return Ok(());
        };
        let (wait, phase) = if self.awaiting_first_chunk {
            (core.timeouts.first_byte, TimeoutPhase::FirstByte)
        } else {
            (core.timeouts.idle, TimeoutPhase::BetweenChunks)
        };
        let chunk = tokio::time::timeout(wait, response.chunk())
            .await
            .map_err(|_| core.timeout(phase))?;
        self.awaiting_first_chunk = false;
        let result = match chunk {
            Ok(Some(bytes)) => self.decoder.feed(&bytes, &mut self.scratch),
            Ok(None) => {
                self.response = None;
                self.decoder.finish(&mut self.scratch).and_then(|()| {
                    // A decoder that saw its marker pushed Done; anything else is incomplete.
                    if self
                        .scratch
                        .iter()
                        .any(|e| matches!(e, ProviderEvent::Done { .. }))
                    {
                        Ok(())
                    } else {
                        Err(ProviderError::StreamIncomplete {
                            provider: core.name.clone(),
                        })
                    }
                })
            }
            Err(e) => {
                tracing::debug!(provider = %core.name, error = %e, "body read failed");
                self.response = None;
                Err(ProviderError::StreamIncomplete {
                    provider: core.name.clone(),
                })
            }
        };
        self.queue.extend(self.scratch.drain(..));
        result
    }
}
