//! `[hooks]`: commands run around prompts and tool calls (`[[hooks.pre_tool]]`, ...), from
//! config.toml and, once the user trusts its content, the project's `.harness/hooks.toml`.
//! Only the values and their checks live here; running them is `hooks`'.

use serde::{Deserialize, Serialize};

/// Seconds a hook may run before it is killed, unless it says otherwise.
pub const DEFAULT_HOOK_TIMEOUT_SECS: u64 = 60;

/// The moments a hook can run at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HookEvent {
    SessionStart,
    UserPrompt,
    PreTool,
    PostTool,
    Stop,
}

impl HookEvent {
    pub const ALL: [HookEvent; 5] = [
        HookEvent::SessionStart,
        HookEvent::UserPrompt,
        HookEvent::PreTool,
        HookEvent::PostTool,
        HookEvent::Stop,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HookEvent::SessionStart => "session_start",
            HookEvent::UserPrompt => "user_prompt",
            HookEvent::PreTool => "pre_tool",
            HookEvent::PostTool => "post_tool",
            HookEvent::Stop => "stop",
        }
    }

    /// Whether `matcher` (a tool-name regex) applies.
    pub fn is_tool_event(self) -> bool {
        matches!(self, HookEvent::PreTool | HookEvent::PostTool)
    }
}

/// One hook as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookSpec {
    /// Tool-name regex, matched against the whole name (pre_tool/post_tool only; none = every
    /// tool).
    #[serde(default)]
    pub matcher: Option<String>,
    /// Run with `sh -c` in the workspace.
    pub command: String,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_timeout() -> u64 {
    DEFAULT_HOOK_TIMEOUT_SECS
}

/// `[hooks]` (and the top level of `.harness/hooks.toml`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HooksConfig {
    pub session_start: Vec<HookSpec>,
    pub user_prompt: Vec<HookSpec>,
    pub pre_tool: Vec<HookSpec>,
    pub post_tool: Vec<HookSpec>,
    pub stop: Vec<HookSpec>,
}

impl HooksConfig {
    pub fn for_event(&self, event: HookEvent) -> &[HookSpec] {
        match event {
            HookEvent::SessionStart => &self.session_start,
            HookEvent::UserPrompt => &self.user_prompt,
            HookEvent::PreTool => &self.pre_tool,
            HookEvent::PostTool => &self.post_tool,
            HookEvent::Stop => &self.stop,
        }
    }

    pub fn is_empty(&self) -> bool {
        HookEvent::ALL.iter().all(|e| self.for_event(*e).is_empty())
    }

    /// Every hook with its event, in event order.
    pub fn all(&self) -> impl Iterator<Item = (HookEvent, &HookSpec)> {
        HookEvent::ALL
            .into_iter()
            .flat_map(move |e| self.for_event(e).iter().map(move |h| (e, h)))
    }
}

/// Check every hook: a command, a timeout, a matcher that is a regex and only on tool events.
/// `origin` names the table in messages (`hooks` or `.harness/hooks.toml`).
pub fn validate(config: &HooksConfig, origin: &str) -> Result<(), String> {
    for (event, hook) in config.all() {
        let at = format!("{origin}.{}", event.as_str());
        if hook.command.trim().is_empty() {
            return Err(format!("{at}: command is empty: name the script to run"));
        }
        if hook.timeout_secs == 0 {
            return Err(format!("{at}: timeout_secs must be at least 1"));
        }
        if let Some(m) = &hook.matcher {
            if !event.is_tool_event() {
                return Err(format!(
                    "{at}: matcher applies to pre_tool and post_tool hooks only: remove it"
                ));
            }
            regex::Regex::new(m)
                .map_err(|e| format!("{at}: matcher `{m}` is not a valid regex: {e}"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<HooksConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn hooks_parse_and_validate() {
        let cases = [
            (
                "[[pre_tool]]\nmatcher = \"bash\"\ncommand = \"./check.sh\"",
                None,
            ),
            (
                "[[stop]]\ncommand = \"notify-send done\"\ntimeout_secs = 5",
                None,
            ),
            ("[[pre_tool]]\ncommand = \"\"", Some("command is empty")),
            (
                "[[pre_tool]]\nmatcher = \"(\"\ncommand = \"x\"",
                Some("not a valid regex"),
            ),
            (
                "[[user_prompt]]\nmatcher = \"x\"\ncommand = \"x\"",
                Some("pre_tool and post_tool hooks only"),
            ),
            (
                "[[pre_tool]]\ncommand = \"x\"\ntimeout_secs = 0",
                Some("at least 1"),
            ),
        ];
        for (text, want) in cases {
            let config = parse(text).expect(text);
            match (validate(&config, "hooks"), want) {
                (Ok(()), None) => {}
                (Err(e), Some(w)) => assert!(e.contains(w), "{text}: {e}"),
                (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
            }
        }
        let parsed = parse("[[pre_tool]]\ncommand = \"x\"").unwrap();
        assert_eq!(parsed.pre_tool[0].timeout_secs, DEFAULT_HOOK_TIMEOUT_SECS);
        assert!(parse("[[pre_tool]]\ncommand = \"x\"\nbogus = 1").is_err());
        assert!(parse("[[before_tool]]\ncommand = \"x\"").is_err());
    }
}
