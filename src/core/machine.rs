//! The turn state machine: everything a user turn does, as pure data. `handle(input)` takes one
//! thing that happened (the turn started, a provider event arrived, a stream failed, a tool
//! finished, the user answered an approval or interrupted) and returns the [`Effect`]s the
//! session must perform, in order. No I/O, no async, no clock: the whole turn logic, fallback
//! and interrupt rules included, is table-tested without tokio or a network.
//!
//! Rules it enforces:
//! - a `route` event precedes every model request; a fallback is a new `route` whose reason
//!   says `fallback` and why the previous model failed;
//! - fallback happens only before the first content of a request; after content, a failure
//!   stores the partial text as `incomplete` and says so;
//! - every tool call gets exactly one result (run, denied, cancelled or skipped), so the next
//!   request is always valid;
//! - an interrupt stops the stream, the tool or the compaction at once and keeps what was
//!   produced;
//! - a turn the router cannot place still stores the user's message and ends with an error;
//! - a conversation over the compaction threshold of the chosen model is summarised (once per
//!   turn, at its first request) before the request; a failed summary sends it whole.

use crate::message::{MessageStatus, ModelRef, ToolCall, Usage};
use crate::protocol::{ApprovalDecision, Event};
use crate::providers::{ProviderError, ProviderEvent, StopReason};
use crate::tools::approval::denied_output;
use std::collections::VecDeque;

mod batch;
mod permissions;
pub use batch::{CONCURRENT_TOOLS, runs_concurrently};
pub use permissions::{Disposition, Permissions};

/// A model the router offered for this turn, with the reason shown to the user.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub model: ModelRef,
    pub reason: String,
    /// The request history passes this model's compaction threshold: summarise it first.
    pub needs_compaction: bool,
}

/// Something that happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A user message; `candidates` is the router's ordered fallback chain (at least one).
    Start {
        text: String,
        candidates: Vec<Candidate>,
    },
    /// A user message the router could not place (no model available, a bad pin...).
    RouteFailed {
        text: String,
        error: String,
    },
    /// The compaction asked for ended: the number of messages summarised, or why it failed.
    CompactionFinished(Result<usize, String>),
    Provider(ProviderEvent),
    /// The stream failed (transport, HTTP, in-band error, or ended without its terminal marker).
    StreamFailed(ProviderError),
    ApprovalAnswered {
        call_id: String,
        decision: ApprovalDecision,
    },
    ToolFinished {
        call_id: String,
        content: String,
        is_error: bool,
    },
    Interrupt,
}

/// Something the session must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Store the user message (before any model is called).
    PersistUser {
        text: String,
    },
    /// Build the request from the stored history and start streaming from `model`.
    StartStream {
        model: ModelRef,
        step: u32,
    },
    /// Drop the running stream.
    CancelStream,
    /// Summarise the older part of the conversation with `model` (a task the session polls,
    /// answering with `Input::CompactionFinished`), then rebuild the request history.
    Compact {
        model: ModelRef,
    },
    /// Stop the running compaction (its summary, if already stored, stays).
    CancelCompaction,
    /// Create the assistant row (status `streaming`) now that content has started.
    BeginAssistant {
        model: ModelRef,
        reason: String,
    },
    /// Store the assistant message's final state (creating the row if it was never begun).
    FinishAssistant(FinishedReply),
    AskApproval {
        call: ToolCall,
        /// The `cmd:*` pattern to offer for "always allow commands like this" (bash only).
        prefix: Option<String>,
    },
    RunTool {
        call: ToolCall,
    },
    /// Kill the running tool.
    CancelTool,
    PersistToolResult {
        call_id: String,
        content: String,
        is_error: bool,
    },
    Emit(Event),
    TurnDone {
        status: MessageStatus,
        usage: Usage,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct FinishedReply {
    pub model: ModelRef,
    pub reason: String,
    pub text: String,
    pub reasoning: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub status: MessageStatus,
    pub usage: Usage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Compacting,
    Streaming,
    AwaitingApproval,
    RunningTool,
    Done,
}

/// One user turn, from the user message to `TurnDone`.
#[derive(Debug, Clone)]
pub struct TurnMachine {
    phase: Phase,
    candidates: Vec<Candidate>,
    candidate: usize,
    /// The reason shown in the latest `route` event (what the stored reply records).
    route_reason: String,
    step: u32,
    max_steps: u32,
    /// Compaction was tried in this turn (it is, at most once).
    compacted: bool,
    /// The route reason of the request waiting for the compaction (a fallback's).
    deferred_reason: Option<String>,
    permissions: Permissions,
    // the current request
    began: bool,
    text: String,
    reasoning: String,
    calls: Vec<ToolCall>,
    request_usage: Usage,
    /// The session's estimate of the current request's input tokens (an interrupted reply's
    /// input count when the provider's usage never arrived).
    request_estimate: u64,
    // the tool phase
    queue: VecDeque<ToolCall>,
    current: Option<ToolCall>,
    /// Calls running side by side, in call order (`batch.rs`).
    batch: Vec<batch::Slot>,
    turn_usage: Usage,
}

impl TurnMachine {
    pub fn new(permissions: Permissions, max_steps: u32) -> Self {
        Self {
            phase: Phase::Idle,
            candidates: Vec::new(),
            candidate: 0,
            route_reason: String::new(),
            step: 0,
            max_steps: max_steps.max(1),
            compacted: false,
            deferred_reason: None,
            permissions,
            began: false,
            text: String::new(),
            reasoning: String::new(),
            calls: Vec::new(),
            request_usage: Usage::default(),
            request_estimate: 0,
            queue: VecDeque::new(),
            current: None,
            batch: Vec::new(),
            turn_usage: Usage::default(),
        }
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    pub fn permissions(&self) -> &Permissions {
        &self.permissions
    }

    /// Take the permissions back (they outlive the turn: "always" answers persist).
    pub fn into_permissions(self) -> Permissions {
        self.permissions
    }

    /// The text streamed so far in the current request (for periodic saves).
    pub fn partial(&self) -> (&str, &str) {
        (&self.text, &self.reasoning)
    }

    /// The estimated input tokens of the request just started (the session builds it).
    pub fn set_request_estimate(&mut self, tokens: u64) {
        self.request_estimate = tokens;
    }

    /// The usage of the request being interrupted: the provider's when it arrived, else an
    /// estimate (input: the request's estimate; output: what streamed so far), marked so.
    fn interrupted_usage(&self) -> Usage {
        if self.request_usage != Usage::default() {
            return self.request_usage;
        }
        let streamed = crate::core::context::estimate_text(&self.text)
            + crate::core::context::estimate_text(&self.reasoning)
            + self
                .calls
                .iter()
                .map(|c| crate::core::context::estimate_text(&c.arguments.to_string()))
                .sum::<u64>();
        Usage {
            input_tokens: self.request_estimate,
            output_tokens: streamed,
            estimated: true,
            ..Usage::default()
        }
    }

    pub fn handle(&mut self, input: Input) -> Vec<Effect> {
        let mut fx = Vec::new();
        match (self.phase, input) {
            (Phase::Idle, Input::Start { text, candidates }) if candidates.is_empty() => {
                let error = "no model to send this to: configure a provider and a model (see `harness config check`)";
                self.route_failed(&mut fx, text, error.to_string());
            }
            (Phase::Idle, Input::Start { text, candidates }) => {
                fx.push(Effect::PersistUser { text });
                self.candidates = candidates;
                self.step = 1;
                self.start_request(&mut fx, None);
            }
            (Phase::Idle, Input::RouteFailed { text, error }) => {
                self.route_failed(&mut fx, text, error)
            }
            (Phase::Compacting, Input::CompactionFinished(outcome)) => {
                fx.push(Effect::Emit(match outcome {
                    Ok(summarized_messages) => Event::Compacted {
                        summarized_messages,
                    },
                    Err(e) => Event::Error {
                        message: format!(
                            "could not compact the conversation ({e}); sending it whole"
                        ),
                        retryable: false,
                    },
                }));
                let reason = self.deferred_reason.take();
                self.start_request(&mut fx, reason);
            }
            (Phase::Compacting, Input::Interrupt) => {
                fx.push(Effect::CancelCompaction);
                self.finish(&mut fx, MessageStatus::Cancelled);
            }
            (Phase::Streaming, Input::Provider(event)) => self.on_provider(&mut fx, event),
            (Phase::Streaming, Input::StreamFailed(error)) => self.on_stream_failed(&mut fx, error),
            (Phase::Streaming, Input::Interrupt) => {
                fx.push(Effect::CancelStream);
                if self.began || !self.text.is_empty() {
                    // The reply and the turn count what was really spent (or our estimate).
                    self.request_usage = self.interrupted_usage();
                    self.turn_usage.add(&self.request_usage);
                    self.finish_reply(&mut fx, MessageStatus::Cancelled, false);
                }
                self.finish(&mut fx, MessageStatus::Cancelled);
            }
            (Phase::AwaitingApproval, Input::ApprovalAnswered { call_id, decision }) => {
                self.on_answer(&mut fx, call_id, decision)
            }
            (
                Phase::RunningTool,
                Input::ToolFinished {
                    call_id,
                    content,
                    is_error,
                },
            ) if self.in_batch(&call_id) => {
                self.batch_finished(&mut fx, call_id, content, is_error)
            }
            // While waiting for approval a result means the preview failed (e.g. an edit whose
            // old_string does not match): it goes back to the model without asking.
            (
                Phase::RunningTool | Phase::AwaitingApproval,
                Input::ToolFinished {
                    call_id,
                    content,
                    is_error,
                },
            ) if self.current.as_ref().is_some_and(|c| c.id == call_id) => {
                self.current = None;
                self.result(&mut fx, call_id, content, is_error);
                self.next_tool(&mut fx);
            }
            (Phase::AwaitingApproval | Phase::RunningTool, Input::Interrupt) => {
                self.interrupt_tools(&mut fx)
            }
            // Anything else (late events after an interrupt, a second Start) changes nothing.
            _ => {}
        }
        fx
    }

    fn on_answer(&mut self, fx: &mut Vec<Effect>, call_id: String, decision: ApprovalDecision) {
        let Some(call) = self.current.clone().filter(|c| c.id == call_id) else {
            return; // an answer to a call that is not waiting: ignore
        };
        if let Some(message) = self.permissions.policy.record(&call, &decision) {
            fx.push(Effect::Emit(Event::Notice { message }));
        }
        match decision {
            ApprovalDecision::Once | ApprovalDecision::Always { .. } => self.run(fx, call),
            ApprovalDecision::Deny { reason } => {
                let out =
                    denied_output(&call.name, self.permissions.policy.mode, reason.as_deref());
                self.current = None;
                self.result(fx, call.id, out.content, true);
                self.next_tool(fx);
            }
        }
    }

    /// Stop the running tool (or the question about it) and answer every call left.
    fn interrupt_tools(&mut self, fx: &mut Vec<Effect>) {
        if self.phase == Phase::RunningTool {
            fx.push(Effect::CancelTool);
        }
        self.interrupt_batch(fx);
        if let Some(call) = self.current.take() {
            let msg = if self.phase == Phase::RunningTool {
                "Interrupted by the user while running; output discarded."
            } else {
                "Cancelled by the user before it ran."
            };
            self.result(fx, call.id, msg.to_string(), true);
        }
        while let Some(call) = self.queue.pop_front() {
            fx.push(Effect::Emit(Event::tool_call(&call)));
            self.result(
                fx,
                call.id,
                "Cancelled by the user before it ran.".to_string(),
                true,
            );
        }
        self.finish(fx, MessageStatus::Cancelled);
    }

    fn current_candidate(&self) -> &Candidate {
        &self.candidates[self.candidate.min(self.candidates.len() - 1)]
    }

    fn route_failed(&mut self, fx: &mut Vec<Effect>, text: String, error: String) {
        // The message is kept even though nothing could answer it.
        fx.push(Effect::PersistUser { text });
        fx.push(Effect::Emit(Event::Error {
            message: error,
            retryable: false,
        }));
        self.finish(fx, MessageStatus::Error);
    }

    fn start_request(&mut self, fx: &mut Vec<Effect>, reason_override: Option<String>) {
        let c = self.current_candidate().clone();
        if self.step == 1 && c.needs_compaction && !self.compacted {
            // Only at a turn's first request: mid-loop the tool pairs must stay verbatim.
            self.compacted = true;
            self.phase = Phase::Compacting;
            fx.push(Effect::Emit(Event::RouteChosen {
                model: c.model.to_string(),
                reason: "compaction summary".to_string(),
            }));
            fx.push(Effect::Compact { model: c.model });
            self.deferred_reason = reason_override;
            return;
        }
        self.began = false;
        self.text.clear();
        self.reasoning.clear();
        self.calls.clear();
        self.request_usage = Usage::default();
        self.phase = Phase::Streaming;
        let reason = reason_override.unwrap_or_else(|| {
            if self.step > 1 {
                format!("{} (step {})", c.reason, self.step)
            } else {
                c.reason.clone()
            }
        });
        self.route_reason = reason.clone();
        fx.push(Effect::Emit(Event::RouteChosen {
            model: c.model.to_string(),
            reason,
        }));
        fx.push(Effect::StartStream {
            model: c.model,
            step: self.step,
        });
    }

    fn begin(&mut self, fx: &mut Vec<Effect>) {
        if !self.began {
            self.began = true;
            fx.push(Effect::BeginAssistant {
                model: self.current_candidate().model.clone(),
                reason: self.route_reason.clone(),
            });
        }
    }

    fn on_provider(&mut self, fx: &mut Vec<Effect>, event: ProviderEvent) {
        match event {
            ProviderEvent::TextDelta(text) => {
                if text.is_empty() {
                    return;
                }
                self.begin(fx);
                self.text.push_str(&text);
                fx.push(Effect::Emit(Event::TextDelta { text }));
            }
            ProviderEvent::ReasoningDelta(text) => {
                if text.is_empty() {
                    return;
                }
                self.begin(fx);
                self.reasoning.push_str(&text);
                fx.push(Effect::Emit(Event::ReasoningDelta { text }));
            }
            ProviderEvent::ToolCall(call) => {
                self.begin(fx);
                self.calls.push(call);
            }
            // Providers report cumulative usage for the request; keep the latest.
            ProviderEvent::Usage(usage) => self.request_usage = usage,
            ProviderEvent::Done { stop_reason } => self.on_done(fx, stop_reason),
        }
    }

    fn on_done(&mut self, fx: &mut Vec<Effect>, stop_reason: StopReason) {
        self.turn_usage.add(&self.request_usage);
        fx.push(Effect::Emit(Event::Usage {
            usage: self.request_usage,
        }));
        let calls = self.calls.clone();
        self.finish_reply(fx, MessageStatus::Complete, true);
        if calls.is_empty() {
            if stop_reason == StopReason::MaxTokens {
                fx.push(Effect::Emit(Event::Error {
                    message: "the reply was cut at the model's output token limit".to_string(),
                    retryable: false,
                }));
            }
            self.finish(fx, MessageStatus::Complete);
            return;
        }
        self.queue = calls.into();
        self.next_tool(fx);
    }

    fn on_stream_failed(&mut self, fx: &mut Vec<Effect>, error: ProviderError) {
        let has_next = self.candidate + 1 < self.candidates.len();
        if !self.began && error.allows_fallback() && has_next {
            let failed = self.current_candidate().model.to_string();
            self.candidate += 1;
            let next = self.current_candidate().reason.clone();
            let reason = format!("fallback from {failed}: {error}; {next}");
            self.start_request(fx, Some(reason));
            return;
        }
        let status = if self.began {
            MessageStatus::Incomplete
        } else {
            MessageStatus::Error
        };
        // Tool calls of a broken reply are never run (their arguments may be cut).
        self.finish_reply(fx, status, false);
        let message = if self.began {
            format!("{error}; the partial reply was kept as incomplete")
        } else {
            error.to_string()
        };
        fx.push(Effect::Emit(Event::Error {
            message,
            retryable: error.retryable_after(self.began),
        }));
        self.finish(fx, status);
    }

    fn finish_reply(&mut self, fx: &mut Vec<Effect>, status: MessageStatus, keep_calls: bool) {
        fx.push(Effect::FinishAssistant(FinishedReply {
            model: self.current_candidate().model.clone(),
            reason: self.route_reason.clone(),
            text: std::mem::take(&mut self.text),
            reasoning: Some(std::mem::take(&mut self.reasoning)).filter(|r| !r.is_empty()),
            tool_calls: if keep_calls {
                std::mem::take(&mut self.calls)
            } else {
                self.calls.clear();
                Vec::new()
            },
            status,
            usage: self.request_usage,
        }));
    }

    fn next_tool(&mut self, fx: &mut Vec<Effect>) {
        while let Some(call) = self.queue.pop_front() {
            fx.push(Effect::Emit(Event::tool_call(&call)));
            match self.permissions.disposition(&call) {
                Disposition::Run => {
                    if runs_concurrently(&call.name) {
                        self.start_batch(fx, call);
                    } else {
                        self.run(fx, call);
                    }
                    return;
                }
                Disposition::Ask { prefix } => {
                    self.phase = Phase::AwaitingApproval;
                    self.current = Some(call.clone());
                    fx.push(Effect::AskApproval { call, prefix });
                    return;
                }
                Disposition::Deny(message) => self.result(fx, call.id, message, true),
            }
        }
        // Every call of this step has its result: ask the model again, within the step limit.
        if self.step >= self.max_steps {
            fx.push(Effect::Emit(Event::Error {
                message: format!(
                    "stopped after {} model calls in one turn (session.max_steps); send another message to continue",
                    self.max_steps
                ),
                retryable: false,
            }));
            self.finish(fx, MessageStatus::Incomplete);
            return;
        }
        self.step += 1;
        self.start_request(fx, None);
    }

    fn run(&mut self, fx: &mut Vec<Effect>, call: ToolCall) {
        self.phase = Phase::RunningTool;
        self.current = Some(call.clone());
        fx.push(Effect::RunTool { call });
    }

    fn result(&mut self, fx: &mut Vec<Effect>, call_id: String, content: String, is_error: bool) {
        fx.push(Effect::PersistToolResult {
            call_id: call_id.clone(),
            content: content.clone(),
            is_error,
        });
        fx.push(Effect::Emit(Event::ToolCallEnd {
            id: call_id,
            output: content,
            is_error,
        }));
    }

    fn finish(&mut self, fx: &mut Vec<Effect>, status: MessageStatus) {
        self.phase = Phase::Done;
        self.current = None;
        fx.push(Effect::TurnDone {
            status,
            usage: self.turn_usage,
        });
    }
}

#[cfg(test)]
mod tests;
