//! The set of tools a conversation can use, and the one door a model's tool call goes through:
//! the name is looked up, the arguments are checked against the tool's JSON schema, and any
//! problem (unknown tool, arguments that are not JSON, a missing or mistyped argument) comes back
//! as an error result the model can read and correct, never as a panic or a lost call. The
//! checks themselves are in `arguments.rs`.

use super::arguments::{normalise_arguments, validate_arguments};
use super::{ApprovalPreview, BUILTIN_TOOL_NAMES, Tool, ToolContext, ToolOutput};
use crate::message::{ToolCall, ToolSpec};
use crate::sandbox::truncate::{DEFAULT_MODEL_CAP, cap_text};
use std::sync::Arc;

/// Hard limit on one result's size; above the tools' own caps so their status lines survive.
const SAFETY_CAP: usize = DEFAULT_MODEL_CAP + 2_000;

/// The tools offered to a model, in a fixed order.
#[derive(Clone)]
pub struct ToolRegistry {
    tools: Vec<Arc<dyn Tool>>,
}

impl std::fmt::Debug for ToolRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// An agent named a tool that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown tool `{name}` in the agent's tool list: use any of {}", BUILTIN_TOOL_NAMES.join(", "))]
pub struct UnknownToolName {
    pub name: String,
}

impl ToolRegistry {
    /// All six built-in tools.
    pub fn builtin() -> Self {
        let tools: Vec<Arc<dyn Tool>> = vec![
            Arc::new(super::bash::BashTool),
            Arc::new(super::read::ReadTool),
            Arc::new(super::write::WriteTool),
            Arc::new(super::edit::EditTool),
            Arc::new(super::glob::GlobTool),
            Arc::new(super::grep::GrepTool),
        ];
        Self { tools }
    }

    /// Only the tools an agent lists (in the registry's order, each once). A name that is not
    /// a tool is an error, so a typo in an agent file is reported instead of silently offering
    /// less.
    /// Optional and MCP tool names (`task`, `memory_save`, `mcp__...`) that this registry does
    /// not hold are skipped: the session adds those tools itself when their feature is on.
    pub fn restricted_to(&self, names: &[String]) -> Result<Self, UnknownToolName> {
        if let Some(unknown) = names
            .iter()
            .find(|n| self.get(n).is_none() && !crate::message::is_known_tool_name(n))
        {
            return Err(UnknownToolName {
                name: unknown.clone(),
            });
        }
        Ok(Self {
            tools: self
                .tools
                .iter()
                .filter(|t| names.iter().any(|n| n == t.name()))
                .cloned()
                .collect(),
        })
    }

    /// This registry with `tool` added at the end (replacing a tool of the same name).
    pub fn with(mut self, tool: Arc<dyn Tool>) -> Self {
        self.tools.retain(|t| t.name() != tool.name());
        self.tools.push(tool);
        self
    }

    pub fn get(&self, name: &str) -> Option<&dyn Tool> {
        self.tools
            .iter()
            .find(|t| t.name() == name)
            .map(|t| t.as_ref())
    }

    pub fn names(&self) -> Vec<&str> {
        self.tools.iter().map(|t| t.name()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// What providers are told about the tools.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools.iter().map(|t| t.spec()).collect()
    }

    /// The tool a call names, with its arguments checked; the error is what the model sees.
    pub fn validate(&self, call: &ToolCall) -> Result<&dyn Tool, ToolOutput> {
        let Some(tool) = self.get(&call.name) else {
            return Err(ToolOutput::error(format!(
                "unknown tool `{}`: the tools available are {}",
                call.name,
                self.names().join(", ")
            )));
        };
        let arguments = normalise_arguments(tool.name(), &call.arguments)
            .map_err(|e| ToolOutput::error(e.to_string()))?;
        if !tool.checks_own_arguments() {
            validate_arguments(tool.name(), &tool.parameters(), &arguments)
                .map_err(|e| ToolOutput::error(e.to_string()))?;
        }
        Ok(tool)
    }

    /// What to show the user before running `call`; an error goes back to the model instead.
    pub fn preview(&self, call: &ToolCall, ctx: &ToolContext) -> Result<ApprovalPreview, String> {
        let tool = self.validate(call).map_err(|out| out.content)?;
        let arguments =
            normalise_arguments(tool.name(), &call.arguments).map_err(|e| e.to_string())?;
        tool.preview(&arguments, ctx)
    }

    /// Run `call`. Whatever goes wrong becomes an error result; the content is capped near
    /// [`DEFAULT_MODEL_CAP`] bytes whatever the tool returned (tools cap their own output
    /// below that and add a status line, which this leaves alone).
    pub async fn execute(&self, call: &ToolCall, ctx: ToolContext) -> ToolOutput {
        let tool = match self.validate(call) {
            Ok(tool) => tool,
            Err(out) => return out,
        };
        let arguments = match normalise_arguments(tool.name(), &call.arguments) {
            Ok(arguments) => arguments,
            Err(e) => return ToolOutput::error(e.to_string()),
        };
        let mut output = tool.execute(arguments, ctx).await;
        if output.content.len() > SAFETY_CAP {
            output.content = cap_text(&output.content, SAFETY_CAP);
        }
        output
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    #[test]
    fn registry_lists_and_restricts_tools() {
        let all = ToolRegistry::builtin();
        assert_eq!(all.names(), BUILTIN_TOOL_NAMES.to_vec());
        assert_eq!(all.specs().len(), 6);
        for spec in all.specs() {
            assert_eq!(spec.parameters["type"], "object", "{}", spec.name);
            assert!(!spec.description.is_empty());
        }
        let some = all
            .restricted_to(&["grep".to_string(), "read".to_string()])
            .unwrap();
        assert_eq!(some.names(), vec!["read", "grep"]);
        assert!(some.get("bash").is_none());
        let err = all.restricted_to(&["shell".to_string()]).unwrap_err();
        assert!(err.to_string().contains("unknown tool `shell`"), "{err}");
        assert!(all.restricted_to(&[]).unwrap().is_empty());
    }

    fn validation_error(registry: &ToolRegistry, call: &ToolCall) -> ToolOutput {
        match registry.validate(call) {
            Ok(tool) => panic!("{} accepted {:?}", tool.name(), call.arguments),
            Err(out) => out,
        }
    }

    #[test]
    fn unknown_tools_and_bad_arguments_become_error_results() {
        let registry = ToolRegistry::builtin()
            .restricted_to(&["read".into()])
            .unwrap();
        let call = |name: &str, arguments: Value| ToolCall {
            id: "c1".into(),
            name: name.into(),
            arguments,
        };
        let err = validation_error(&registry, &call("bash", json!({"command": "ls"})));
        assert!(err.is_error);
        assert!(
            err.content
                .contains("unknown tool `bash`: the tools available are read")
        );
        let err = validation_error(&registry, &call("read", json!("{not json")));
        assert!(err.content.contains("not a JSON object"), "{}", err.content);
        let err = validation_error(&registry, &call("read", json!({})));
        assert!(
            err.content.contains("needs the argument `path`"),
            "{}",
            err.content
        );
        assert!(
            registry
                .validate(&call("read", json!({"path": "x"})))
                .is_ok()
        );
    }
}
