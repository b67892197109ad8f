//! The approval policy of one conversation, as pure data and logic: the mode in force
//! (`[approval] mode`, an agent's override or `--approve`), the permission rules from the
//! config and the project, the rules this conversation's "always" answers added, and where the
//! protected places are. It decides whether a tool call runs, needs asking, or is refused
//! (through [`crate::permissions::evaluate`]), and says so to the model in plain words when a
//! call is not run. The core owns the asking; this module owns only the rules.
//!
//! "Always" covers what was approved, not every later call of the tool: with no pattern it
//! adds an exact rule (this command line; this path), with a pattern `p` it adds `TOOL(p)`.

use super::ToolOutput;
use crate::message::ToolCall;
use crate::permissions::{
    Evaluation, Locations, Reason, Rule, RuleKind, RuleSet, Source, Verdict, evaluate,
};
use crate::protocol::{ApprovalDecision, ApprovalMode};
use std::sync::Arc;

/// The policy of one conversation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApprovalPolicy {
    pub mode: ApprovalMode,
    /// Rules from config.toml and the project's `.harness/permissions.toml`.
    pub rules: Arc<RuleSet>,
    /// Rules added by "always" answers in this conversation.
    pub session_rules: Vec<Rule>,
    pub locations: Arc<Locations>,
}

impl ApprovalPolicy {
    /// A policy with no rules (only the mode and the built-in protected places).
    pub fn new(mode: ApprovalMode) -> Self {
        Self {
            mode,
            ..Self::default()
        }
    }

    pub fn with_rules(mode: ApprovalMode, rules: Arc<RuleSet>, locations: Arc<Locations>) -> Self {
        Self {
            mode,
            rules,
            session_rules: Vec::new(),
            locations,
        }
    }

    /// Every rule in force, config and project first, then this conversation's.
    pub fn rules_in_force(&self) -> impl Iterator<Item = &Rule> {
        self.rules.rules.iter().chain(self.session_rules.iter())
    }

    /// The decision for `call`; `changes` says whether its tool changes anything.
    pub fn evaluate(&self, call: &ToolCall, changes: bool) -> Evaluation {
        let rules: Vec<&Rule> = self.rules_in_force().collect();
        evaluate(
            &call.name,
            &call.arguments,
            &rules,
            &self.locations,
            self.mode,
            changes,
        )
    }

    /// Remember the user's answer for `call`. "Always" adds a rule for this conversation; the
    /// returned text (if any) tells the user the pattern they chose could not be used.
    pub fn record(&mut self, call: &ToolCall, decision: &ApprovalDecision) -> Option<String> {
        let ApprovalDecision::Always { pattern } = decision else {
            return None;
        };
        let mut notice = None;
        if let Some(p) = pattern.as_deref().filter(|p| !p.trim().is_empty()) {
            let text = format!("{}({})", call.name, p.trim());
            match Rule::parse(&text, RuleKind::Allow, Source::Session, None) {
                Ok(rule) => {
                    self.add(rule);
                    return None;
                }
                Err(e) => {
                    notice = Some(format!(
                        "could not allow `{text}` for this conversation ({e}); only this exact call is allowed from now on"
                    ))
                }
            }
        }
        if let Some(rule) = self.exact_rule(call) {
            self.add(rule);
        }
        notice
    }

    /// The rule for exactly this call: its command line, or its workspace-relative path.
    fn exact_rule(&self, call: &ToolCall) -> Option<Rule> {
        let arg = |k: &str| call.arguments.get(k).and_then(|v| v.as_str());
        if call.name == "bash" {
            return arg("command").map(Rule::whole_command);
        }
        if call.name.starts_with(crate::message::MCP_TOOL_PREFIX) {
            // An MCP tool's arguments are the server's: "always" allows the tool.
            return Rule::parse(&call.name, RuleKind::Allow, Source::Session, None).ok();
        }
        let path = arg("path").unwrap_or(".");
        let relative = self.locations.relative(&self.locations.absolute(path))?;
        Rule::exact_path(&call.name, &relative)
    }

    fn add(&mut self, rule: Rule) {
        if !self.session_rules.contains(&rule) {
            self.session_rules.push(rule);
        }
    }

    /// Forget this conversation's "always" answers (a new conversation).
    pub fn clear_session(&mut self) {
        self.session_rules.clear();
    }
}

/// Advice appended to every refusal, so the model takes a policy for a policy.
const NOT_RUN: &str = "It was not run. This is the user's permission policy, not a broken tool: do not retry it or work around it; continue without it, or explain what you need and why.";

/// The text the model gets for a call the evaluation refused, or that asked in a session
/// nobody can answer (`headless`).
pub fn refusal(tool: &str, evaluation: &Evaluation, headless: bool) -> String {
    let why = match (&evaluation.reason, evaluation.verdict) {
        (Reason::Rule(rule), Verdict::Deny) => format!("blocked by rule {rule}"),
        (Reason::Rule(rule), _) => format!(
            "blocked: rule {rule} needs the user's approval and no one is here to answer (headless)"
        ),
        (Reason::Protected(p), _) => p.headless_message(),
        (Reason::Unparsed(e), _) => format!(
            "blocked: the command could not be parsed ({e}), so no rule can allow it; it needs the user's approval and no one is here to answer (headless). Write it as simpler commands"
        ),
        (Reason::Mode(ApprovalMode::Deny), Verdict::Deny) => {
            return denied_output(tool, ApprovalMode::Deny, None).content;
        }
        (Reason::Mode(_) | Reason::ReadOnly, _) if headless => {
            return unattended_output(tool).content;
        }
        (Reason::Mode(_) | Reason::ReadOnly, _) => format!("`{tool}` was not allowed"),
    };
    format!("{why}. {NOT_RUN}")
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
    use crate::permissions::Protected;
    use serde_json::json;
    use std::path::PathBuf;

    fn call(name: &str, args: serde_json::Value) -> ToolCall {
        ToolCall {
            id: "1".into(),
            name: name.into(),
            arguments: args,
        }
    }

    fn policy(mode: ApprovalMode) -> ApprovalPolicy {
        ApprovalPolicy::with_rules(
            mode,
            Arc::default(),
            Arc::new(Locations {
                workspace: PathBuf::from("/w"),
                home: Some(PathBuf::from("/home/u")),
                harness_files: vec![],
            }),
        )
    }

    fn verdict(p: &ApprovalPolicy, c: &ToolCall) -> Verdict {
        p.evaluate(c, matches!(c.name.as_str(), "bash" | "write" | "edit"))
            .verdict
    }

    #[test]
    fn always_covers_what_was_approved() {
        let ls = call("bash", json!({"command": "ls -la"}));
        let rm = call("bash", json!({"command": "rm x"}));
        let test = call("bash", json!({"command": "cargo test"}));
        let test_rel = call("bash", json!({"command": "cargo test --release"}));
        let w = call("write", json!({"path": "src/a.rs"}));
        let w2 = call("write", json!({"path": "./src/../src/a.rs"}));
        let w3 = call("write", json!({"path": "src/b.rs"}));
        let mut p = policy(ApprovalMode::Ask);
        // once and deny change nothing
        p.record(&ls, &ApprovalDecision::Once);
        p.record(&ls, &ApprovalDecision::Deny { reason: None });
        assert_eq!(verdict(&p, &ls), Verdict::Ask);
        // exact
        assert_eq!(
            p.record(&ls, &ApprovalDecision::Always { pattern: None }),
            None
        );
        assert_eq!(verdict(&p, &ls), Verdict::Allow);
        assert_eq!(verdict(&p, &rm), Verdict::Ask);
        // pattern
        p.record(
            &test,
            &ApprovalDecision::Always {
                pattern: Some("cargo test:*".into()),
            },
        );
        assert_eq!(verdict(&p, &test_rel), Verdict::Allow);
        assert_eq!(
            verdict(
                &p,
                &call("bash", json!({"command": "cargo test; rm -rf x"}))
            ),
            Verdict::Ask
        );
        // a path
        p.record(&w, &ApprovalDecision::Always { pattern: None });
        assert_eq!(verdict(&p, &w2), Verdict::Allow);
        assert_eq!(verdict(&p, &w3), Verdict::Ask);
        assert_eq!(p.session_rules.len(), 3);
        // a pattern that is not a rule: only the exact call, and the user is told
        let notice = p.record(
            &rm,
            &ApprovalDecision::Always {
                pattern: Some("rm; ls".into()),
            },
        );
        assert!(notice.is_some_and(|n| n.contains("only this exact call")));
        assert_eq!(verdict(&p, &rm), Verdict::Allow);
        p.clear_session();
        assert_eq!(verdict(&p, &ls), Verdict::Ask);
    }

    #[test]
    fn refusals_tell_the_model_what_happened() {
        let rule = Rule::parse(
            "bash(rm -rf:*)",
            RuleKind::Deny,
            Source::Config(PathBuf::from("/h/config.toml")),
            Some(2),
        )
        .unwrap();
        let cases = [
            (
                Evaluation {
                    verdict: Verdict::Deny,
                    reason: Reason::Rule(rule.to_string()),
                },
                "blocked by rule deny bash(rm -rf:*) (config.toml). It was not run. This is the user's permission policy",
            ),
            (
                Evaluation {
                    verdict: Verdict::Ask,
                    reason: Reason::Protected(Protected::Dir(".git/")),
                },
                "blocked: writes under .git/ always need the user's approval and no one is here to answer (headless)",
            ),
            (
                Evaluation {
                    verdict: Verdict::Ask,
                    reason: Reason::Mode(ApprovalMode::Ask),
                },
                "--approve auto",
            ),
            (
                Evaluation {
                    verdict: Verdict::Deny,
                    reason: Reason::Mode(ApprovalMode::Deny),
                },
                "approval mode `deny`",
            ),
        ];
        for (evaluation, want) in cases {
            let text = refusal("bash", &evaluation, true);
            assert!(text.contains(want), "{text}");
        }
        let out = denied_output("bash", ApprovalMode::Ask, Some("  not on main  "));
        assert!(out.is_error);
        assert!(
            out.content
                .starts_with("the user denied this `bash` call: not on main. It was not run.")
        );
    }
}
