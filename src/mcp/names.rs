//! How an MCP tool is named to models: `mcp__SERVER__TOOL`. Providers accept tool names of
//! letters, digits, `_` and `-` up to 64 characters, so a server's tool name is folded into that
//! alphabet and shortened; the server is always called with its own name.

use crate::message::MCP_TOOL_PREFIX;

/// The longest tool name every provider accepts.
pub const MAX_TOOL_NAME: usize = 64;

/// `mcp__SERVER__TOOL`, with `TOOL` folded to `[A-Za-z0-9_-]` and the whole cut to
/// [`MAX_TOOL_NAME`] characters.
pub fn exposed_name(server: &str, tool: &str) -> String {
    let folded: String = tool
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut name = format!("{MCP_TOOL_PREFIX}{server}__{folded}");
    name.truncate(MAX_TOOL_NAME);
    name
}

/// The server part of an exposed name (`mcp__fs__read` -> `fs`).
pub fn server_of(exposed: &str) -> Option<&str> {
    exposed
        .strip_prefix(MCP_TOOL_PREFIX)?
        .split_once("__")
        .map(|(server, _)| server)
}

/// Whether a tool name in an agent's list or a permission rule (`mcp__fs__read`, `mcp__fs__*`)
/// covers `exposed`.
pub fn pattern_covers(pattern: &str, exposed: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => prefix.starts_with(MCP_TOOL_PREFIX) && exposed.starts_with(prefix),
        None => pattern == exposed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_names_are_folded_and_capped() {
        let cases = [
            ("fs", "read_file", "mcp__fs__read_file"),
            ("gh", "create-issue", "mcp__gh__create-issue"),
            ("gh", "repo.list", "mcp__gh__repo_list"),
            ("x", "héllo wörld", "mcp__x__h_llo_w_rld"),
        ];
        for (server, tool, want) in cases {
            assert_eq!(exposed_name(server, tool), want);
        }
        let long = exposed_name("server", &"t".repeat(200));
        assert_eq!(long.len(), MAX_TOOL_NAME);
        assert!(long.starts_with("mcp__server__ttt"));
    }

    #[test]
    fn servers_and_patterns_are_read_back() {
        assert_eq!(server_of("mcp__fs__read"), Some("fs"));
        assert_eq!(server_of("read"), None);
        let cases = [
            ("mcp__fs__*", "mcp__fs__read", true),
            ("mcp__fs__*", "mcp__fsx__read", false),
            ("mcp__fs__read", "mcp__fs__read", true),
            ("mcp__fs__read", "mcp__fs__reader", false),
            ("bash", "mcp__fs__read", false),
            ("*", "mcp__fs__read", false),
        ];
        for (pattern, name, want) in cases {
            assert_eq!(pattern_covers(pattern, name), want, "{pattern} {name}");
        }
    }
}
