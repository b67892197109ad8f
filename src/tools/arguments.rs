//! A tool call's arguments, checked before any tool runs: the shapes providers send are
//! normalised to one JSON object, the object is checked against the tool's JSON schema, and every
//! problem comes back as a message the model can read and correct. The schema check covers what
//! the built-in schemas use: an object with typed properties (`string`, `integer`, `boolean`),
//! `required`, `minimum`, and no unknown properties. `null` for an optional argument counts as
//! leaving it out. Kept apart from the registry so each tool can parse its own arguments without
//! importing the registry that imports it.

use super::Tool;
use serde_json::{Map, Value};

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
///
/// Long by design: one arm per JSON-schema keyword the tools use.
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
}
