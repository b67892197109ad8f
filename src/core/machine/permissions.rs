//! The approval rules a turn applies to each tool call: run it, ask the user, or refuse it with
//! a message the model reads. Pure: a function of the call and the rules held here.

use crate::message::ToolCall;
use crate::permissions::{Reason, Verdict, prefix::suggest_prefix};
use crate::protocol::ApprovalMode;
use crate::tools::approval::{ApprovalPolicy, refusal};
use std::collections::HashSet;

/// What to do with a tool call before running it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    Run,
    /// Ask the user, offering `prefix` for "always allow commands like this".
    Ask {
        prefix: Option<String>,
    },
    /// Do not run it; the text is the result the model sees.
    Deny(String),
}

/// The approval rules of one conversation: the policy (mode, permission rules, "always"
/// answers, protected places), which tools change things, and whether anyone can answer a
/// question.
#[derive(Debug, Clone, PartialEq)]
pub struct Permissions {
    pub policy: ApprovalPolicy,
    /// Names of tools that change something (bash, write, edit). Unknown names are not here:
    /// they run, and the registry answers them with an error the model can read.
    pub needs_approval: HashSet<String>,
    /// No one can answer (headless `ask`): asking becomes denying, with a message saying why.
    pub headless: bool,
}

impl Permissions {
    pub fn new(
        mode: ApprovalMode,
        needs_approval: impl IntoIterator<Item = String>,
        headless: bool,
    ) -> Self {
        Self::with_policy(ApprovalPolicy::new(mode), needs_approval, headless)
    }

    pub fn with_policy(
        policy: ApprovalPolicy,
        needs_approval: impl IntoIterator<Item = String>,
        headless: bool,
    ) -> Self {
        Self {
            policy,
            needs_approval: needs_approval.into_iter().collect(),
            headless,
        }
    }

    /// Run, ask or refuse `call`: the permission evaluation, a pure function of the call and
    /// the rules held here.
    pub fn disposition(&self, call: &ToolCall) -> Disposition {
        // An MCP tool may change anything: it asks unless a rule allows it, even when it was
        // listed after this conversation's rules were set up.
        let changes = self.needs_approval.contains(&call.name)
            || call.name.starts_with(crate::message::MCP_TOOL_PREFIX);
        let evaluation = self.policy.evaluate(call, changes);
        match evaluation.verdict {
            Verdict::Allow => Disposition::Run,
            Verdict::Ask if !self.headless => Disposition::Ask {
                // "Always allow" can only widen what the mode decided: a rule or a protected
                // place asks whatever this conversation allows.
                prefix: match (&evaluation.reason, call.name.as_str()) {
                    (Reason::Mode(_), "bash") => call
                        .arguments
                        .get("command")
                        .and_then(|c| c.as_str())
                        .and_then(suggest_prefix),
                    _ => None,
                },
            },
            Verdict::Ask | Verdict::Deny => {
                Disposition::Deny(refusal(&call.name, &evaluation, self.headless))
            }
        }
    }
}
