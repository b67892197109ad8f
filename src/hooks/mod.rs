//! Hooks: the user's own commands run at five moments of a session (`session_start`,
//! `user_prompt`, `pre_tool`, `post_tool`, `stop`), from `[hooks]` in config.toml and from the
//! project's `.harness/hooks.toml` once the user trusts its content (`trust.rs`). Each gets one
//! JSON object on stdin (`event`, `conversation_id`, `cwd`; for tools `tool`, `arguments`, and
//! for post_tool `output`, `is_error`; the prompt for user_prompt, the turn's status for stop).
//! Exit 0 goes on; exit 2 on `pre_tool` blocks the call (stderr is the result the model sees)
//! and on `user_prompt` keeps the prompt from being sent (stderr is shown); any other code, a
//! timeout or a hook that cannot start is a warning and the session goes on. Hooks run on the
//! host with the environment host commands get (`run.rs`). Every run is reported
//! (`HookReport`), so front ends can show the ones that blocked or failed.

pub mod run;
pub mod trust;

use crate::config::hooks::{HookEvent, HookSpec, HooksConfig};
use regex::Regex;
use serde::Serialize;
use serde_json::{Value, json};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use trust::PROJECT_HOOKS_FILE;

/// Characters of a hook's stderr kept in a report.
const REPORT_CHARS: usize = 4_000;

/// How one hook run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HookOutcome {
    Ok,
    /// Exit 2 on pre_tool or user_prompt.
    Blocked,
    /// Another exit code, a signal, or it could not start.
    Failed,
    TimedOut,
}

impl HookOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            HookOutcome::Ok => "ok",
            HookOutcome::Blocked => "blocked",
            HookOutcome::Failed => "failed",
            HookOutcome::TimedOut => "timed_out",
        }
    }
}

/// One hook run, as front ends see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HookReport {
    pub event: HookEvent,
    pub command: String,
    pub outcome: HookOutcome,
    pub exit_code: Option<i32>,
    /// The hook's stderr (capped), or why it failed to run.
    pub output: String,
    pub tool: Option<String>,
}

/// What a moment of the session tells its hooks.
#[derive(Debug, Clone, Default)]
pub struct HookInput<'a> {
    pub conversation_id: String,
    pub tool: Option<&'a str>,
    pub arguments: Option<&'a Value>,
    pub output: Option<&'a str>,
    pub is_error: Option<bool>,
    pub prompt: Option<&'a str>,
    pub status: Option<&'a str>,
}

/// The hooks of one event, run in order.
#[derive(Debug, Default)]
pub struct HookRun {
    /// Set when a hook blocked: what the model (pre_tool) or the user (user_prompt) is told.
    pub blocked: Option<String>,
    pub reports: Vec<HookReport>,
}

/// The state of the project's hooks file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectHooks {
    Absent,
    Trusted(PathBuf),
    /// Present but not approved in this content: its hooks do not run.
    Untrusted(PathBuf),
    /// Approved but not valid: its hooks do not run.
    Invalid {
        path: PathBuf,
        error: String,
    },
}

struct Hook {
    event: HookEvent,
    spec: HookSpec,
    matcher: Option<Regex>,
}

/// Every hook in force for one workspace.
pub struct Hooks {
    hooks: Vec<Hook>,
    workspace: PathBuf,
    env: Vec<(OsString, OsString)>,
    project: ProjectHooks,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("count", &self.hooks.len())
            .field("project", &self.project)
            .finish_non_exhaustive()
    }
}

impl Hooks {
    /// No hooks at all.
    pub fn none() -> Self {
        Self {
            hooks: Vec::new(),
            workspace: PathBuf::new(),
            env: Vec::new(),
            project: ProjectHooks::Absent,
        }
    }

    /// The config's hooks, then the project's when its content is trusted. `env_allow` is
    /// `[sandbox] env_allow`. (The config's hooks were checked when it was loaded.)
    pub fn load(
        config: &HooksConfig,
        workspace: &Path,
        trust_file: &Path,
        env_allow: &[String],
    ) -> Self {
        let mut hooks: Vec<Hook> = compile(config);
        let path = workspace.join(PROJECT_HOOKS_FILE);
        let project = match std::fs::read_to_string(&path) {
            Err(_) => ProjectHooks::Absent,
            Ok(text) if !trust::is_trusted(trust_file, &path, &text) => {
                ProjectHooks::Untrusted(path)
            }
            Ok(text) => match parse_project(&text) {
                Ok(project) => {
                    hooks.extend(compile(&project));
                    ProjectHooks::Trusted(path)
                }
                Err(error) => ProjectHooks::Invalid { path, error },
            },
        };
        Self {
            hooks,
            workspace: workspace.to_path_buf(),
            env: crate::sandbox::host::filter_env(std::env::vars_os(), env_allow),
            project,
        }
    }

    pub fn project(&self) -> &ProjectHooks {
        &self.project
    }

    /// What to tell the user about the project's hooks file, when it is not running.
    pub fn project_notice(&self) -> Option<String> {
        match &self.project {
            ProjectHooks::Untrusted(path) => Some(format!(
                "{} is not trusted, so its hooks do not run: review it, then run `harness hooks trust` in this directory",
                path.display()
            )),
            ProjectHooks::Invalid { path, error } => Some(format!(
                "{} is not used: {error} (fix it, then run `harness hooks trust` again)",
                path.display()
            )),
            _ => None,
        }
    }

    /// Whether any hook would run for `event` (on `tool`, for tool events).
    pub fn wants(&self, event: HookEvent, tool: Option<&str>) -> bool {
        self.hooks.iter().any(|h| applies(h, event, tool))
    }

    /// Run the hooks of `event`, in order, until one blocks.
    pub async fn run(&self, event: HookEvent, input: &HookInput<'_>) -> HookRun {
        let mut outcome = HookRun::default();
        let stdin = payload(event, input, &self.workspace).to_string();
        for hook in self.hooks.iter().filter(|h| applies(h, event, input.tool)) {
            let ran = run::run_command(
                &hook.spec.command,
                stdin.as_bytes(),
                &self.workspace,
                &self.env,
                Duration::from_secs(hook.spec.timeout_secs),
            )
            .await;
            let report = report(event, hook, input.tool, ran);
            if report.outcome != HookOutcome::Ok {
                tracing::warn!(
                    "hook {} `{}`: {} {}",
                    event.as_str(),
                    report.command,
                    report.outcome.as_str(),
                    report.output
                );
            }
            let blocked = report.outcome == HookOutcome::Blocked;
            if blocked {
                outcome.blocked = Some(if report.output.trim().is_empty() {
                    format!(
                        "blocked by the {} hook `{}` (exit 2, no message)",
                        event.as_str(),
                        report.command
                    )
                } else {
                    report.output.clone()
                });
            }
            outcome.reports.push(report);
            if blocked {
                break;
            }
        }
        outcome
    }

    /// Every hook in force, with its event, for `harness hooks list`.
    pub fn listed(&self) -> Vec<(HookEvent, &HookSpec)> {
        self.hooks.iter().map(|h| (h.event, &h.spec)).collect()
    }
}

/// Parse and check a project hooks file's text.
pub fn parse_project(text: &str) -> Result<HooksConfig, String> {
    let config: HooksConfig = toml::from_str(text).map_err(|e| {
        e.message()
            .lines()
            .next()
            .unwrap_or("not valid TOML")
            .to_string()
    })?;
    crate::config::hooks::validate(&config, PROJECT_HOOKS_FILE)?;
    Ok(config)
}

fn compile(config: &HooksConfig) -> Vec<Hook> {
    config
        .all()
        .filter_map(|(event, spec)| {
            let matcher = match &spec.matcher {
                None => None,
                // Anchored: `bash` means the tool bash, not every name containing it.
                Some(m) => Some(Regex::new(&format!("^(?:{m})$")).ok()?),
            };
            Some(Hook {
                event,
                spec: spec.clone(),
                matcher,
            })
        })
        .collect()
}

fn applies(hook: &Hook, event: HookEvent, tool: Option<&str>) -> bool {
    hook.event == event
        && match (&hook.matcher, tool) {
            (None, _) => true,
            (Some(m), Some(tool)) => m.is_match(tool),
            (Some(_), None) => false,
        }
}

/// The JSON object a hook reads on stdin.
fn payload(event: HookEvent, input: &HookInput<'_>, workspace: &Path) -> Value {
    let mut object = json!({
        "event": event.as_str(),
        "conversation_id": input.conversation_id,
        "cwd": workspace.display().to_string(),
    });
    let fields = [
        ("tool", input.tool.map(Value::from)),
        ("arguments", input.arguments.cloned()),
        ("output", input.output.map(Value::from)),
        ("is_error", input.is_error.map(Value::from)),
        ("prompt", input.prompt.map(Value::from)),
        ("status", input.status.map(Value::from)),
    ];
    if let Some(map) = object.as_object_mut() {
        for (key, value) in fields {
            if let Some(value) = value {
                map.insert(key.to_string(), value);
            }
        }
    }
    object
}

fn report(event: HookEvent, hook: &Hook, tool: Option<&str>, ran: run::Ran) -> HookReport {
    let blocks = matches!(event, HookEvent::PreTool | HookEvent::UserPrompt);
    let (outcome, exit_code, output) = match ran.exit {
        run::Exit::Code(0) => (HookOutcome::Ok, Some(0), ran.stderr),
        run::Exit::Code(2) if blocks => (HookOutcome::Blocked, Some(2), ran.stderr),
        run::Exit::Code(code) => (HookOutcome::Failed, Some(code), ran.stderr),
        run::Exit::Signal => (HookOutcome::Failed, None, ran.stderr),
        run::Exit::TimedOut => (
            HookOutcome::TimedOut,
            None,
            format!("killed after {}s (timeout_secs)", hook.spec.timeout_secs),
        ),
        run::Exit::NotStarted(why) => (HookOutcome::Failed, None, why),
    };
    let output = output.trim_end();
    let output = match output.char_indices().nth(REPORT_CHARS) {
        Some((at, _)) => format!("{}…", &output[..at]),
        None => output.to_string(),
    };
    HookReport {
        event,
        command: hook.spec.command.clone(),
        outcome,
        exit_code,
        output,
        tool: tool.map(str::to_string),
    }
}

#[cfg(test)]
mod tests;
