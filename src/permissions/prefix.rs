//! The `cmd:*` pattern the core offers with a bash approval request, for "always allow
//! commands like this": the program, plus its subcommand for tools that have them
//! (`cargo test --release` -> `cargo test:*`, `ls -la` -> `ls:*`). Nothing is offered where a
//! prefix would allow more than the user saw: compound or opaque commands, leading
//! assignments, redirections, and programs that run other commands (shells, `sudo`, `xargs`).

use super::shell::{SHELLS, WRAPPERS, analyse, basename, is_redirect_word};

/// Programs whose first argument is a subcommand, so "always allow" is offered for the
/// program and that subcommand (`cargo test:*`), not the whole program.
const SUBCOMMAND_TOOLS: &[&str] = &[
    "git",
    "cargo",
    "npm",
    "pnpm",
    "yarn",
    "bun",
    "deno",
    "go",
    "docker",
    "podman",
    "kubectl",
    "helm",
    "gh",
    "pip",
    "pip3",
    "uv",
    "poetry",
    "rustup",
    "dotnet",
    "mvn",
    "gradle",
    "make",
    "just",
    "brew",
    "apt",
    "apt-get",
    "systemctl",
    "terraform",
    "npx",
    "composer",
    "bundle",
    "rake",
    "mix",
    "swift",
    "zig",
    "nix",
];

/// The pattern offered for "always allow commands like this": the program, plus its
/// subcommand for tools that have them. `None` for compound or opaque commands, and for
/// programs that run other commands (a shell, `sudo`, `xargs`, `eval`), where a prefix would
/// allow anything.
pub fn suggest_prefix(command: &str) -> Option<String> {
    let analysis = analyse(command).ok()?;
    if analysis.opaque || analysis.commands.len() != 1 {
        return None;
    }
    let cmd = &analysis.commands[0];
    if cmd.words.iter().any(|w| is_redirect_word(w)) {
        return None;
    }
    let argv = cmd.argv();
    if argv.len() != cmd.words.len() {
        return None; // leading assignments
    }
    let program = *argv.first()?;
    let base = basename(program);
    if base.is_empty()
        || SHELLS.contains(&base)
        || WRAPPERS.contains(&base)
        || base == "eval"
        || program.contains(['$', '`', '*', '?', '['])
    {
        return None;
    }
    let sub = argv.get(1).filter(|s| {
        SUBCOMMAND_TOOLS.contains(&base)
            && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':')
    });
    Some(match sub {
        Some(sub) => format!("{program} {sub}:*"),
        None => format!("{program}:*"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_offered_for_always() {
        let cases = [
            ("cargo test --release", Some("cargo test:*")),
            ("ls -la", Some("ls:*")),
            ("git status", Some("git status:*")),
            ("git -C x status", Some("git:*")),
            ("npm run build", Some("npm run:*")),
            ("python3 script.py", Some("python3:*")),
            ("./build.sh --fast", Some("./build.sh:*")),
            ("git status && ls", None),
            ("ls | wc -l", None),
            ("echo $(id)", None),
            ("sudo rm x", None),
            ("bash -c 'ls'", None),
            ("xargs rm", None),
            ("FOO=1 make", None),
            ("ls > out", None),
            ("echo 'unclosed", None),
            ("", None),
        ];
        for (cmd, want) in cases {
            assert_eq!(suggest_prefix(cmd).as_deref(), want, "{cmd}");
        }
    }
}
