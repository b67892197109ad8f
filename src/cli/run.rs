//! `harness run` (minimal, until the core session lands): one prompt to one pinned model,
//! the reply streamed to stdout. No tools, no store, no routing: `-m provider/model` (or an
//! alias, or `default_model`) is required to name a real model.
//!
//! The output path is built for speed: deltas go into a buffer that is written out at most
//! every 10 ms while the stream flows, as soon as 10 ms passed with nothing new arriving, and at
//! the end. A burst of deltas thus becomes one write, and a slow stream still shows up within
//! 10 ms. `--json` prints the CONTRACT.md event lines instead.

use super::args::RunArgs;
use super::{CliContext, CliError, CliResult};
use crate::config::{Overrides, resolve_model_ref};
use crate::message::{ConversationId, MessageStatus, Usage};
use crate::protocol::Event;
use crate::providers::{ChatMessage, ChatRequest, ProviderEvent, ProviderStream, build_provider};
use crate::router::health::HealthRegistry;
use futures::{FutureExt, StreamExt};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

const FLUSH_EVERY: Duration = Duration::from_millis(10);

pub async fn run(ctx: &CliContext, args: RunArgs) -> CliResult {
    if args.continue_last || args.conversation.is_some() {
        return Err(CliError::usage(
            "--continue/--conversation are not available in this build yet: run without them",
        ));
    }
    let config = ctx.load_config(&Overrides {
        model: None,
        agent: args.agent.clone(),
        approval: None,
    })?;
    let reference = args
        .model
        .clone()
        .unwrap_or_else(|| config.default_model.clone());
    if reference == "auto" {
        return Err(CliError::usage(
            "model `auto` needs the router, which this build does not have yet: pass -m provider/model (see `harness models`)",
        ));
    }
    let model = resolve_model_ref(&config, &reference).map_err(CliError::usage)?;
    let provider_cfg = config.providers.get(&model.provider).ok_or_else(|| {
        CliError::usage(format!("provider `{}` is not configured", model.provider))
    })?;
    let prompt = read_prompt(&args.prompt)?;
    let agent = config.agents.get(&config.default_agent);
    let request = ChatRequest {
        model: model.model.clone(),
        system: agent
            .map(|a| a.system_prompt.clone())
            .filter(|s| !s.is_empty()),
        messages: vec![ChatMessage::user(prompt)],
        context_window: config
            .models
            .get(&reference)
            .and_then(|a| a.context_window)
            .and_then(|c| u32::try_from(c).ok()),
        ..ChatRequest::default()
    };
    let provider = build_provider(provider_cfg, Arc::new(HealthRegistry::default()))
        .map_err(|e| CliError::usage(e.to_string()))?;

    let json = args.json;
    let route = Event::RouteChosen {
        model: model.to_string(),
        reason: format!("pinned by -m {reference}"),
    };
    // Consume the stream in a spawned task: it then runs on the worker that drives the HTTP
    // connection, instead of every chunk being handed across threads to `block_on`.
    tokio::spawn(async move {
        let mut out = Output::new(std::io::stdout(), json);
        out.event(&route);
        stream_reply(provider.stream(request), &mut out).await
    })
    .await
    .map_err(|e| CliError::failed(format!("the streaming task failed: {e}")))?
}

async fn stream_reply<W: Write>(mut stream: ProviderStream, out: &mut Output<W>) -> CliResult {
    let mut usage = Usage::default();
    loop {
        let item = match stream.next().now_or_never() {
            Some(item) => item,
            // Nothing ready: write out what is buffered, at most every FLUSH_EVERY, so a burst
            // of deltas becomes one write and a slow stream still shows up promptly.
            None if out.has_pending() => {
                let due = out.last_flush + FLUSH_EVERY;
                match tokio::time::timeout_at(due.into(), stream.next()).await {
                    Ok(item) => item,
                    Err(_) => {
                        out.flush();
                        stream.next().await
                    }
                }
            }
            None => stream.next().await,
        };
        match item {
            None => break,
            Some(Ok(ProviderEvent::TextDelta(t))) => out.text(t),
            Some(Ok(ProviderEvent::ReasoningDelta(t))) => {
                if out.json {
                    out.event(&Event::ReasoningDelta { text: t });
                }
            }
            Some(Ok(ProviderEvent::ToolCall(call))) => {
                if out.json {
                    out.event(&Event::tool_call(&call));
                } else {
                    out.note(&format!(
                        "harness: the model asked to run tool `{}`, but this build of `harness run` offers no tools",
                        call.name
                    ));
                }
            }
            Some(Ok(ProviderEvent::Usage(u))) => usage.add(&u),
            Some(Ok(ProviderEvent::Done { .. })) => {}
            Some(Err(e)) => {
                let status = if out.wrote_text {
                    MessageStatus::Incomplete
                } else {
                    MessageStatus::Error
                };
                out.event(&Event::Error {
                    message: e.to_string(),
                    retryable: e.is_retryable(),
                });
                out.finish(status, usage);
                let what = if out.wrote_text {
                    "the reply above is incomplete: "
                } else {
                    ""
                };
                return Err(CliError::failed(format!("{what}{e}")));
            }
        }
    }
    out.finish(MessageStatus::Complete, usage);
    Ok(())
}

fn read_prompt(parts: &[String]) -> Result<String, CliError> {
    let prompt = if parts.len() == 1 && parts[0] == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| CliError::usage(format!("cannot read the prompt from stdin: {e}")))?;
        s
    } else {
        parts.join(" ")
    };
    if prompt.trim().is_empty() {
        return Err(CliError::usage(
            "the prompt is empty: pass it as arguments or pipe it with `-`",
        ));
    }
    Ok(prompt)
}

/// Buffered stdout for plain text or JSON lines. Write errors (a closed pipe) end output
/// quietly; the stream is still consumed so the exit code stays meaningful.
struct Output<W: Write> {
    out: std::io::BufWriter<W>,
    json: bool,
    last_flush: Instant,
    /// Bytes written to the buffer since the last flush.
    pending: bool,
    wrote_text: bool,
    ends_with_newline: bool,
    broken: bool,
}

impl<W: Write> Output<W> {
    fn new(out: W, json: bool) -> Self {
        Self {
            out: std::io::BufWriter::with_capacity(64 * 1024, out),
            json,
            last_flush: Instant::now(),
            pending: false,
            wrote_text: false,
            ends_with_newline: true,
            broken: false,
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        if !self.broken && self.out.write_all(bytes).is_err() {
            self.broken = true;
        }
        self.pending = true;
        if self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush();
        }
    }

    fn has_pending(&self) -> bool {
        self.pending
    }

    fn text(&mut self, text: String) {
        if text.is_empty() {
            return;
        }
        self.wrote_text = true;
        if self.json {
            self.event(&Event::TextDelta { text });
        } else {
            self.ends_with_newline = text.ends_with('\n');
            self.write(text.as_bytes());
        }
    }

    fn event(&mut self, event: &Event) {
        if !self.json {
            return;
        }
        if let Ok(mut line) = serde_json::to_vec(event) {
            line.push(b'\n');
            self.write(&line);
        }
    }

    /// A message for the user that is not part of the reply (stderr).
    fn note(&mut self, message: &str) {
        self.flush();
        super::eprint_line(message);
    }

    fn flush(&mut self) {
        if !self.broken && self.out.flush().is_err() {
            self.broken = true;
        }
        self.pending = false;
        self.last_flush = Instant::now();
    }

    fn finish(&mut self, status: MessageStatus, usage: Usage) {
        if self.json {
            self.event(&Event::TurnComplete {
                conversation_id: ConversationId::new(),
                status,
                usage,
            });
        } else if self.wrote_text && !self.ends_with_newline {
            self.write(b"\n");
        }
        self.flush();
    }
}
