//! `harness run`: one user turn, including its tool loop, through the same core session the
//! TUI drives. Plain mode prints the answer text to stdout (tool activity and errors on
//! stderr); `--json` prints every event as a JSON line (docs/protocol.md). Exit code 0 when the
//! turn completed, 1 when it failed or was cut short, 2 for bad usage or config.
//!
//! The output path is built for speed: events are drained without waiting while any are
//! ready, written into one buffer, and flushed when the queue runs dry, every 50 ms, and at
//! the end, so a burst of deltas becomes one write.
//!
//! Ctrl+C, SIGTERM and SIGHUP (the terminal closed) all stop the turn the same way: the core
//! cancels it and stores the partial reply, the session removes its sandbox container, and the
//! process exits once that is done. A second signal exits without waiting.

use super::args::{ApproveArg, RunArgs};
use super::{CliContext, CliError, CliResult};
use crate::config::Overrides;
use crate::core::{SessionOptions, SessionStart};
use crate::message::MessageStatus;
use crate::protocol::{ApprovalMode, Event, Op};
use std::io::{IsTerminal, Read, Write};
use std::time::{Duration, Instant};

/// Longest time written text waits in the buffer before it is flushed.
const FLUSH_EVERY: Duration = Duration::from_millis(10);

/// Long by design: the headless front end's loop, one arm per event with the output mode in each.
pub async fn run(ctx: &CliContext, args: RunArgs) -> CliResult {
    let prompt = read_prompt(&args.prompt)?;
    let approval = args.approve.map(|a| match a {
        ApproveArg::Ask => ApprovalMode::Ask,
        ApproveArg::Auto => ApprovalMode::Auto,
        ApproveArg::Deny => ApprovalMode::Deny,
    });
    // Installed first: from here on SIGTERM/SIGHUP no longer kill the process outright.
    let mut stops = Stops::install()?;
    let config = ctx.load_config(&Overrides::default())?;
    if config.providers.is_empty() {
        return Err(CliError::usage(
            crate::config::env_providers::no_provider_message(&ctx.paths.config_file),
        ));
    }
    // A conversation with its own worktree works there (and holds its lock while it runs).
    let (deps, start, _worktree_lock) = if args.worktree {
        super::worktree::prepare(ctx, config, args.agent.as_deref()).await?
    } else {
        let start = SessionStart::from_flags(args.conversation.clone(), args.continue_last);
        super::worktree::continue_in(ctx, config, start).await?
    };
    let turn = custom_command_turn(prompt, &deps.workspace, &ctx.paths);
    let mut session = crate::core::spawn(
        deps,
        SessionOptions {
            start,
            model: args.model.clone(),
            agent: args.agent.clone(),
            approval,
            headless: true,
        },
    )
    .await
    .map_err(|e| CliError::usage(e.to_string()))?;
    session
        .ops
        .send(turn)
        .map_err(|_| CliError::failed("the session stopped before the turn started"))?;

    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    let mut out = Output::new(stdout.lock(), args.json);
    if terminal {
        // On a terminal the model's text must not drive it; a pipe gets it byte for byte.
        out.strip = Some(crate::sanitize::Stripper::default());
    }
    let show_routes = std::io::stderr().is_terminal();
    let mut interrupts = 0;
    let mut last_error: Option<String> = None;
    let mut routed = false;
    let status = loop {
        let event = match session.events.try_recv() {
            Ok(event) => Some(event),
            Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => None,
            Err(tokio::sync::mpsc::error::TryRecvError::Empty) => {
                // Nothing ready: wait for more, but write what is buffered by its deadline, so
                // a burst of deltas becomes one write and a slow stream still shows progress.
                let deadline = out.flush_deadline();
                tokio::select! {
                    event = session.events.recv() => event,
                    _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now).into()), if deadline.is_some() => {
                        out.flush();
                        continue;
                    }
                    _ = stops.next() => {
                        interrupts += 1;
                        if interrupts > 1 {
                            out.flush();
                            return Err(CliError::failed("interrupted twice: stopped without waiting"));
                        }
                        let _ = session.ops.send(Op::Interrupt);
                        continue;
                    }
                }
            }
        };
        let Some(event) = event else {
            break MessageStatus::Error;
        };
        if out.json {
            out.event(&event);
        }
        if matches!(event, Event::RouteChosen { .. }) {
            routed = true;
        }
        match event {
            Event::TextDelta { text } => out.text(&text),
            Event::RouteChosen { model, reason } if !out.json && show_routes => {
                out.note(&format!("harness: {model} ({reason})"));
            }
            Event::ToolCallBegin {
                name, arguments, ..
            } if !out.json => {
                out.note(&format!(
                    "→ {name} {}",
                    one_line(&arguments.to_string(), 200)
                ));
            }
            Event::ToolCallEnd {
                output, is_error, ..
            } if !out.json => {
                let mark = if is_error { "✗" } else { "✓" };
                out.note(&format!("{mark} {}", one_line(&output, 200)));
            }
            Event::Notice { message } if !out.json => out.note(&format!("harness: {message}")),
            Event::SubagentStarted {
                agent,
                description,
                conversation_id,
                ..
            } if !out.json => out.note(&format!(
                "↳ subagent {agent} ({}): {}",
                &conversation_id.to_string()[..8],
                one_line(&description, 120)
            )),
            Event::SubagentFinished {
                status,
                conversation_id,
                ..
            } if !out.json => out.note(&format!(
                "↳ subagent {} ended {}",
                &conversation_id.to_string()[..8],
                status.as_str()
            )),
            Event::MemoryRecalled { memories, .. } if !out.json => {
                out.note(&format!(
                    "harness: {}",
                    crate::memory::recall::transcript_line_of(&memories)
                ));
            }
            Event::McpStatus {
                server,
                state,
                error: Some(error),
                ..
            } if !out.json && state == "failed" => {
                out.note(&format!(
                    "harness: MCP server {server} failed: {}",
                    one_line(&error, 300)
                ));
            }
            Event::HookResult {
                event,
                command,
                outcome,
                output,
                ..
            } if !out.json && outcome != "ok" => {
                out.note(&format!(
                    "harness: {event} hook `{}` {outcome}: {}",
                    one_line(&command, 80),
                    one_line(&output, 300)
                ));
            }
            Event::Error { message, .. } => {
                if !out.json {
                    out.note(&format!("harness: {message}"));
                }
                last_error = Some(message);
            }
            Event::TurnComplete { status, .. } => break status,
            _ => {}
        }
    };
    out.finish();
    let _ = session.ops.send(Op::Shutdown);
    // The session removes its container on the way out; a stuck daemon must not hang the exit.
    let _ = tokio::time::timeout(Duration::from_secs(15), session.task).await;
    crate::sandbox::docker::orphans::finish_sweep(Duration::from_secs(10)).await;
    match status {
        MessageStatus::Complete => Ok(()),
        // Nothing was sent: the configuration cannot route this message (no rule, no default).
        MessageStatus::Error if !routed => Err(CliError::usage(
            last_error.unwrap_or_else(|| "no model could be chosen".to_string()),
        )),
        other => Err(CliError {
            code: 1,
            message: match last_error {
                Some(e) if !out.json => {
                    format!("the turn ended {}: {}", other.as_str(), first_line(&e))
                }
                _ => format!("the turn ended {}", other.as_str()),
            },
        }),
    }
}

/// The ways a user stops `harness run`: Ctrl+C, SIGTERM, SIGHUP.
struct Stops {
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Stops {
    fn install() -> Result<Self, CliError> {
        use tokio::signal::unix::{SignalKind, signal};
        let install = |kind| {
            signal(kind).map_err(|e| CliError::failed(format!("cannot watch for signals: {e}")))
        };
        Ok(Self {
            term: install(SignalKind::terminate())?,
            hup: install(SignalKind::hangup())?,
        })
    }

    async fn next(&mut self) {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
        }
    }
}

/// Build the shared core from a loaded config, with the current directory as the workspace.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

fn one_line(text: &str, max: usize) -> String {
    let flat: String = crate::sanitize::strip(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if flat.chars().count() > max {
        format!("{}…", flat.chars().take(max).collect::<String>())
    } else {
        flat
    }
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
/// quietly; events are still consumed so the exit code stays meaningful.
struct Output<W: Write> {
    out: std::io::BufWriter<W>,
    json: bool,
    /// When the oldest unflushed byte was written.
    pending_since: Option<Instant>,
    wrote_text: bool,
    ends_with_newline: bool,
    broken: bool,
    /// Set when writing to a terminal: escape sequences are removed, across deltas.
    strip: Option<crate::sanitize::Stripper>,
}

impl<W: Write> Output<W> {
    fn new(out: W, json: bool) -> Self {
        Self {
            out: std::io::BufWriter::with_capacity(64 * 1024, out),
            json,
            pending_since: None,
            wrote_text: false,
            ends_with_newline: true,
            broken: false,
            strip: None,
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        if !self.broken && self.out.write_all(bytes).is_err() {
            self.broken = true;
        }
        let since = *self.pending_since.get_or_insert_with(Instant::now);
        if since.elapsed() >= FLUSH_EVERY {
            self.flush();
        }
    }

    /// When buffered output must be written, if any is waiting.
    fn flush_deadline(&self) -> Option<Instant> {
        self.pending_since.map(|t| t + FLUSH_EVERY)
    }

    fn text(&mut self, text: &str) {
        if text.is_empty() || self.json {
            return;
        }
        let clean;
        let text = match self.strip.as_mut() {
            Some(s) => {
                clean = s.clean(text);
                clean.as_str()
            }
            None => text,
        };
        if text.is_empty() {
            return;
        }
        self.wrote_text = true;
        self.ends_with_newline = text.ends_with('\n');
        self.write(text.as_bytes());
    }

    fn event(&mut self, event: &Event) {
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
        self.pending_since = None;
    }

    fn finish(&mut self) {
        if !self.json && self.wrote_text && !self.ends_with_newline {
            self.write(b"\n");
        }
        self.flush();
    }
}

/// The turn for `prompt`: `/name args` naming a custom command (`.harness/commands/NAME.md`,
/// `commands/NAME.md` in the harness home) is its expanded prompt, with its front matter's agent
/// and model for this turn (as in the TUI); anything else is sent as typed.
fn custom_command_turn(
    prompt: String,
    workspace: &std::path::Path,
    paths: &crate::config::HarnessPaths,
) -> Op {
    use crate::tui::commands::custom::{CustomCommands, Scope, invocation};
    if !prompt.trim_start().starts_with('/') {
        return Op::UserTurn { text: prompt };
    }
    let found = CustomCommands::load(vec![
        (workspace.join(".harness").join("commands"), Scope::Project),
        (paths.commands_dir(), Scope::User),
    ]);
    match invocation(&prompt, found.commands()) {
        Some((cmd, args)) if cmd.front.agent.is_some() || cmd.front.model.is_some() => {
            Op::UserTurnAs {
                text: cmd.expand(args),
                agent: cmd.front.agent.clone(),
                model: cmd.front.model.clone(),
            }
        }
        Some((cmd, args)) => Op::UserTurn {
            text: cmd.expand(args),
        },
        None => Op::UserTurn { text: prompt },
    }
}
