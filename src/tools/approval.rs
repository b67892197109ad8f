//! The approval policy, as pure data and logic: given the mode in force (`[approval] mode`, an
//! agent's override or `--approve`) and what the user already allowed for this conversation,
//! decide whether a tool call runs, needs asking, or is refused. The core owns the asking; this
//! module owns only the rules, so they are tested as a table.
//!
//! Rules, in order:
//! 1. A call naming no known tool runs: the registry answers it with an error result, and there
//!    is nothing to approve.
//! 2. Tools that change nothing (read, glob, grep) always run.
//! 3. `auto` runs everything; `deny` refuses every tool that changes something.
//! 4. `ask` runs tools the user answered `always` for in this conversation, and asks otherwise.

use super::ToolOutput;
use super::registry::ToolRegistry;
use crate::message::ToolCall;
use crate::protocol::{ApprovalDecision, ApprovalMode};
use std::collections::HashSet;

/// What to do with one tool call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalVerdict {
    Run,
    Ask,
    Deny,
}

/// The policy of one conversation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApprovalPolicy {
    pub mode: ApprovalMode,
    /// Tools the user answered `always` for, by name.
    pub always_allowed: HashSet<String>,
}

impl ApprovalPolicy {
    pub fn new(mode: ApprovalMode) -> Self {
        Self {
            mode,
            always_allowed: HashSet::new(),
        }
    }

    /// The verdict for a call of a tool named `tool` that does (or does not) change anything.
    pub fn verdict(&self, tool: &str, needs_approval: bool) -> ApprovalVerdict {
        if !needs_approval {
            return ApprovalVerdict::Run;
        }
        match self.mode {
            ApprovalMode::Auto => ApprovalVerdict::Run,
            ApprovalMode::Deny => ApprovalVerdict::Deny,
            ApprovalMode::Ask if self.always_allowed.contains(tool) => ApprovalVerdict::Run,
            ApprovalMode::Ask => ApprovalVerdict::Ask,
        }
    }

    /// The verdict for `call`, looking its tool up in `registry`.
    pub fn verdict_for(&self, call: &ToolCall, registry: &ToolRegistry) -> ApprovalVerdict {
        match registry.get(&call.name) {
            Some(tool) => self.verdict(tool.name(), tool.needs_approval()),
            None => ApprovalVerdict::Run,
        }
    }

    /// Remember the user's answer: `always` allows the tool for the rest of the conversation.
    pub fn record(&mut self, tool: &str, decision: &ApprovalDecision) {
        if matches!(decision, ApprovalDecision::Always { .. }) {
            self.always_allowed.insert(tool.to_string());
        }
    }
}

/// The result the model gets for a call that was not run. `reason` is the user's, if any.
pub fn denied_output(tool: &str, mode: ApprovalMode, reason: Option<&str>) -> ToolOutput {
    let why = match (mode, reason) {
        (_, Some(reason)) if !reason.trim().is_empty() => {
            format!("the user denied this `{tool}` call: {}", reason.trim())
        }
        (ApprovalMode::Deny, _) => {
            format!("`{tool}` calls are not allowed in this session (approval mode `deny`)")
        }
        _ => format!("the user denied this `{tool}` call"),
    };
    ToolOutput::error(format!(
        "{why}. It was not run. Do not retry it unchanged: continue without it, or explain what you need and why."
    ))
}

/// The result for an `ask` call in a session nobody can answer (headless `harness run`).
pub fn unattended_output(tool: &str) -> ToolOutput {
    ToolOutput::error(format!(
        "`{tool}` needs the user's approval, and nobody can approve in this non-interactive session \
         (approval mode `ask`), so it was not run. Continue without it; the user can rerun with \
         --approve auto to allow it."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn verdicts_follow_the_rules() {
        use ApprovalMode::{Ask, Auto, Deny};
        use ApprovalVerdict as V;
        // (mode, always allowed, tool, changes something, verdict)
        let cases = [
            (Ask, &[][..], "read", false, V::Run),
            (Ask, &[], "glob", false, V::Run),
            (Deny, &[], "grep", false, V::Run),
            (Auto, &[], "bash", true, V::Run),
            (Auto, &[], "write", true, V::Run),
            (Deny, &[], "bash", true, V::Deny),
            (Deny, &["bash"], "bash", true, V::Deny),
            (Ask, &[], "bash", true, V::Ask),
            (Ask, &["bash"], "bash", true, V::Run),
            (Ask, &["bash"], "edit", true, V::Ask),
            (Ask, &["write", "edit"], "edit", true, V::Run),
        ];
        for (mode, allowed, tool, needs, want) in cases {
            let policy = ApprovalPolicy {
                mode,
                always_allowed: allowed.iter().map(|s| s.to_string()).collect(),
            };
            assert_eq!(
                policy.verdict(tool, needs),
                want,
                "{mode:?} {allowed:?} {tool}"
            );
        }
    }

    #[test]
    fn always_is_remembered_once_and_deny_is_not() {
        let mut policy = ApprovalPolicy::new(ApprovalMode::Ask);
        policy.record("bash", &ApprovalDecision::Once);
        assert_eq!(policy.verdict("bash", true), ApprovalVerdict::Ask);
        policy.record("bash", &ApprovalDecision::Deny { reason: None });
        assert_eq!(policy.verdict("bash", true), ApprovalVerdict::Ask);
        policy.record("bash", &ApprovalDecision::Always { pattern: None });
        assert_eq!(policy.verdict("bash", true), ApprovalVerdict::Run);
        assert_eq!(policy.verdict("write", true), ApprovalVerdict::Ask);
    }

    #[test]
    fn calls_are_judged_by_their_tool() {
        let registry = ToolRegistry::builtin();
        let policy = ApprovalPolicy::new(ApprovalMode::Ask);
        let call = |name: &str| ToolCall {
            id: "1".into(),
            name: name.into(),
            arguments: json!({}),
        };
        let cases = [
            ("bash", ApprovalVerdict::Ask),
            ("write", ApprovalVerdict::Ask),
            ("edit", ApprovalVerdict::Ask),
            ("read", ApprovalVerdict::Run),
            ("glob", ApprovalVerdict::Run),
            ("grep", ApprovalVerdict::Run),
            ("no_such_tool", ApprovalVerdict::Run),
        ];
        for (name, want) in cases {
            assert_eq!(policy.verdict_for(&call(name), &registry), want, "{name}");
        }
    }

    #[test]
    fn refusals_tell_the_model_what_happened() {
        let out = denied_output("bash", ApprovalMode::Ask, Some("  not on main  "));
        assert!(out.is_error);
        assert!(
            out.content
                .starts_with("the user denied this `bash` call: not on main. It was not run.")
        );
        let out = denied_output("write", ApprovalMode::Deny, None);
        assert!(
            out.content.contains("approval mode `deny`"),
            "{}",
            out.content
        );
        let out = unattended_output("edit");
        assert!(out.content.contains("--approve auto"), "{}", out.content);
    }
}
