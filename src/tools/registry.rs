//! The set of tools a conversation can use, and the one door a model's tool call goes through:
//! the name is looked up, the arguments are checked against the tool's JSON schema, and any
//! problem (unknown tool, arguments that are not JSON, a missing or mistyped argument) comes back
//! as an error result the model can read and correct, never as a panic or a lost call.
//!
//! The schema check covers what the built-in schemas use: an object with typed properties
//! (`string`, `integer`, `boolean`), `required`, `minimum`, and no unknown properties. `null`
//! for an optional argument counts as leaving it out.

use super::truncate::{DEFAULT_MODEL_CAP, cap_text};
use super::{ApprovalPreview, BUILTIN_TOOL_NAMES, Tool, ToolContext, ToolOutput};
use crate::message::ToolCall;
use crate::providers::ToolSpec;
use serde_json::{Map, Value};
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
    pub fn restricted_to(&self, names: &[String]) -> Result<Self, UnknownToolName> {
        if let Some(unknown) = names.iter().find(|n| self.get(n).is_none()) {
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

    pub fn get(&self, name: &str) -> Option<&dyn Tool> {
        self.tools
            .iter()
            .find(|t| t.name() == name)
            .map(|t| t.as_ref())
    }

    pub fn names(&self) -> Vec<&'static str> {
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
        validate_arguments(tool.name(), &tool.parameters(), &arguments)
            .map_err(|e| ToolOutput::error(e.to_string()))?;
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

/// Arguments that do not fit a tool's schema. Displayed to the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgumentError {
    #[error(
        "the arguments for `{tool}` are not a JSON object ({found}): send them as a JSON object, e.g. {example}"
    )]
    NotAnObject {
        tool: String,
        found: String,
        example: String,
    },
    #[error("`{tool}` needs the argument `{name}` ({kind}): {usage}")]
    Missing {
        tool: String,
        name: String,
        kind: String,
        usage: String,
    },
    #[error("`{tool}` argument `{name}` must be {expected}, got {found}: {usage}")]
    WrongType {
        tool: String,
        name: String,
        expected: String,
        found: String,
        usage: String,
    },
    #[error("`{tool}` has no argument `{name}`: {usage}")]
    Unknown {
        tool: String,
        name: String,
        usage: String,
    },
}

/// Turn what a provider delivered into the arguments object: a JSON object as is; a string
/// that itself holds a JSON object (some models encode twice) parsed; an empty string or
/// `null` as `{}`. Anything else is an error naming what was received.
pub fn normalise_arguments(tool: &str, arguments: &Value) -> Result<Value, ArgumentError> {
    let not_object = |found: String| ArgumentError::NotAnObject {
        tool: tool.to_string(),
        found,
        example: example_for(tool),
    };
    match arguments {
        Value::Object(_) => Ok(arguments.clone()),
        Value::Null => Ok(Value::Object(Map::new())),
        Value::String(raw) if raw.trim().is_empty() => Ok(Value::Object(Map::new())),
        Value::String(raw) => match serde_json::from_str::<Value>(raw) {
            Ok(inner @ Value::Object(_)) => Ok(inner),
            Ok(_) => Err(not_object(format!("got the JSON text {}", snippet(raw)))),
            Err(e) => Err(not_object(format!("could not parse {}: {e}", snippet(raw)))),
        },
        other => Err(not_object(format!("got {}", describe(other)))),
    }
}

/// Check `arguments` (an object) against an object `schema` as described in the module doc.
pub fn validate_arguments(
    tool: &str,
    schema: &Value,
    arguments: &Value,
) -> Result<(), ArgumentError> {
    let usage = usage(schema);
    let Some(given) = arguments.as_object() else {
        return Err(ArgumentError::NotAnObject {
            tool: tool.to_string(),
            found: format!("got {}", describe(arguments)),
            example: example_for(tool),
        });
    };
    let empty = Map::new();
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (name, value) in given {
        let Some(property) = properties.get(name) else {
            return Err(ArgumentError::Unknown {
                tool: tool.to_string(),
                name: name.clone(),
                usage,
            });
        };
        if value.is_null() {
            continue;
        }
        let expected = property
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("any");
        let fits = match expected {
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "object" => value.is_object(),
            "array" => value.is_array(),
            _ => true,
        };
        let below_minimum = property
            .get("minimum")
            .and_then(Value::as_i64)
            .zip(value.as_i64())
            .is_some_and(|(min, v)| v < min);
        if !fits || below_minimum {
            let expected = match property.get("minimum").and_then(Value::as_i64) {
                Some(min) if expected == "integer" => format!("an integer >= {min}"),
                _ => article(expected),
            };
            return Err(ArgumentError::WrongType {
                tool: tool.to_string(),
                name: name.clone(),
                expected,
                found: describe(value),
                usage,
            });
        }
    }
    let required = schema
        .get("required")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for name in required.iter().filter_map(Value::as_str) {
        if given.get(name).is_none_or(Value::is_null) {
            let kind = properties
                .get(name)
                .and_then(|p| p.get("type"))
                .and_then(Value::as_str)
                .unwrap_or("any");
            return Err(ArgumentError::Missing {
                tool: tool.to_string(),
                name: name.to_string(),
                kind: kind.to_string(),
                usage,
            });
        }
    }
    Ok(())
}

/// Deserialize already-validated arguments into a tool's typed argument struct. Tools call
/// this themselves so they are safe to call without the registry too.
pub(crate) fn parse_arguments<T: serde::de::DeserializeOwned>(
    tool: &dyn Tool,
    arguments: &Value,
) -> Result<T, String> {
    let arguments = normalise_arguments(tool.name(), arguments).map_err(|e| e.to_string())?;
    validate_arguments(tool.name(), &tool.parameters(), &arguments).map_err(|e| e.to_string())?;
    serde_json::from_value(arguments).map_err(|e| {
        format!(
            "invalid arguments for `{}`: {e}; {}",
            tool.name(),
            usage(&tool.parameters())
        )
    })
}

/// `arguments: command (string, required), timeout_secs (integer)`.
fn usage(schema: &Value) -> String {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let parts: Vec<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(name, p)| {
                    let kind = p.get("type").and_then(Value::as_str).unwrap_or("any");
                    if required.contains(&name.as_str()) {
                        format!("{name} ({kind}, required)")
                    } else {
                        format!("{name} ({kind})")
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    format!("arguments are {}", parts.join(", "))
}

fn example_for(tool: &str) -> String {
    match tool {
        "bash" => r#"{"command": "ls -la"}"#,
        "read" => r#"{"path": "src/main.rs"}"#,
        "write" => r#"{"path": "notes.txt", "content": "text"}"#,
        "edit" => r#"{"path": "src/main.rs", "old_string": "old", "new_string": "new"}"#,
        "glob" => r#"{"pattern": "**/*.rs"}"#,
        "grep" => r#"{"pattern": "fn main"}"#,
        _ => "{}",
    }
    .to_string()
}

fn article(kind: &str) -> String {
    match kind {
        "integer" | "array" | "object" => format!("an {kind}"),
        "any" => "a value".to_string(),
        other => format!("a {other}"),
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {}", snippet(s)),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

/// A short, quoted excerpt of `text` for error messages.
fn snippet(text: &str) -> String {
    const MAX: usize = 80;
    if text.len() <= MAX {
        return format!("{text:?}");
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{:?}...", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "command": {"type": "string"},
                "timeout_secs": {"type": "integer", "minimum": 1},
                "all": {"type": "boolean"}
            },
            "required": ["command"]
        })
    }

    #[test]
    fn arguments_are_checked_against_the_schema() {
        let cases: Vec<(Value, Result<(), &str>)> = vec![
            (json!({"command": "ls"}), Ok(())),
            (
                json!({"command": "ls", "timeout_secs": 5, "all": true}),
                Ok(()),
            ),
            (json!({"command": "ls", "timeout_secs": null}), Ok(())),
            (json!({}), Err("needs the argument `command` (string)")),
            (
                json!({"command": null}),
                Err("needs the argument `command`"),
            ),
            (
                json!({"command": 42}),
                Err("`command` must be a string, got the number 42"),
            ),
            (
                json!({"command": "ls", "timeout_secs": "5"}),
                Err("`timeout_secs` must be an integer >= 1, got the string \"5\""),
            ),
            (
                json!({"command": "ls", "timeout_secs": 0}),
                Err("must be an integer >= 1, got the number 0"),
            ),
            (
                json!({"command": "ls", "timeout_secs": 1.5}),
                Err("must be an integer >= 1"),
            ),
            (
                json!({"command": "ls", "all": "yes"}),
                Err("`all` must be a boolean"),
            ),
            (json!({"cmd": "ls"}), Err("has no argument `cmd`")),
            (json!(["ls"]), Err("not a JSON object (got an array)")),
        ];
        for (args, want) in cases {
            let got = validate_arguments("bash", &schema(), &args).map_err(|e| e.to_string());
            match (&want, &got) {
                (Ok(()), Ok(())) => {}
                (Err(fragment), Err(message)) => {
                    assert!(message.contains(fragment), "{args}: {message}");
                    assert!(
                        message.contains("arguments are") || message.contains("e.g."),
                        "{message}"
                    );
                }
                _ => panic!("{args}: want {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn provider_argument_shapes_are_normalised() {
        let cases: Vec<(Value, Result<Value, &str>)> = vec![
            (json!({"a": 1}), Ok(json!({"a": 1}))),
            (json!(null), Ok(json!({}))),
            (json!(""), Ok(json!({}))),
            (json!(r#"{"a": 1}"#), Ok(json!({"a": 1}))),
            (
                json!(r#"{"a": 1"#),
                Err("could not parse \"{\\\"a\\\": 1\""),
            ),
            (json!("[1]"), Err("got the JSON text \"[1]\"")),
            (json!(7), Err("got the number 7")),
        ];
        for (raw, want) in cases {
            let got = normalise_arguments("bash", &raw).map_err(|e| e.to_string());
            match (&want, &got) {
                (Ok(v), Ok(g)) => assert_eq!(v, g),
                (Err(fragment), Err(message)) => {
                    assert!(message.contains(fragment), "{raw}: {message}");
                    assert!(
                        message.contains(r#"e.g. {"command": "ls -la"}"#),
                        "{message}"
                    );
                }
                _ => panic!("{raw}: want {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn long_raw_arguments_are_shortened_in_messages() {
        let raw = format!("{{\"command\": \"{}", "é".repeat(500));
        let message = normalise_arguments("bash", &Value::String(raw))
            .unwrap_err()
            .to_string();
        assert!(message.len() < 400, "{message}");
        assert!(message.contains("..."));
    }

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
