//! Saying plainly when the sandbox, not the command, said no. A command that fails because the
//! sandbox has no network or a read-only file system prints the tool's own error ("Could not
//! resolve host", "Read-only file system"), which a model tends to "fix" by retrying or changing
//! the command. This module recognises the common wordings in a command's output and produces one
//! note line to append; the output itself is never rewritten.

/// What the sandbox that ran the command refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The sandbox has no network.
    pub no_network: bool,
    /// The workspace's `.git` is mounted read-only.
    pub git_read_only: bool,
    /// Everything but the workspace, /tmp and the home directory is read-only.
    pub read_only_root: bool,
}

/// Phrases of name resolution and connection failures (curl, wget, git, pip, npm, busybox, ...).
const NETWORK_FAILURES: [&str; 9] = [
    "could not resolve host",
    "temporary failure in name resolution",
    "network is unreachable",
    "name or service not known",
    "getaddrinfo",
    "bad address",
    "no address associated with hostname",
    "failed to resolve",
    "eai_again",
];

const READ_ONLY: &str = "read-only file system";

/// Message prefix of every refusal, so the model (and a reader) can tell it from the command's
/// own failures.
pub const DENIED: &str = "denied by the sandbox";

/// The note for `output`, or `None` when nothing in it looks like a refusal by the sandbox.
pub fn note(output: &str, limits: Limits) -> Option<String> {
    let lower = output.to_ascii_lowercase();
    let mut notes = Vec::new();
    if limits.no_network && NETWORK_FAILURES.iter().any(|p| lower.contains(p)) {
        notes.push(format!(
            "[{DENIED}: no network access (the sandbox has no network; set [sandbox] network = \
             true to allow it)]"
        ));
    }
    if lower.contains(READ_ONLY) {
        let git = limits.git_read_only
            && lower
                .lines()
                .any(|l| l.contains(READ_ONLY) && l.contains(".git"));
        if git {
            notes.push(format!(
                "[{DENIED}: read-only file system (.git is read-only; set [sandbox] git_writable \
                 = true)]"
            ));
        } else if limits.read_only_root {
            notes.push(format!(
                "[{DENIED}: read-only file system (only /workspace, /tmp and $HOME are writable)]"
            ));
        }
    }
    (!notes.is_empty()).then(|| notes.join("\n"))
}

/// `output` with the note appended on its own line, if there is one.
pub fn annotate(output: &mut String, limits: Limits) {
    if let Some(note) = note(output, limits) {
        if !output.is_empty() && !output.ends_with('\n') {
            output.push('\n');
        }
        output.push_str(&note);
        output.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCKER: Limits = Limits {
        no_network: true,
        git_read_only: true,
        read_only_root: true,
    };
    const OPEN: Limits = Limits {
        no_network: false,
        git_read_only: false,
        read_only_root: false,
    };

    #[test]
    fn refusals_are_recognised_and_named() {
        let cases: [(&str, Limits, Option<&str>); 9] = [
            (
                "curl: (6) Could not resolve host: example.com\n",
                DOCKER,
                Some("no network access (the sandbox has no network"),
            ),
            (
                "wget: bad address 'example.com'\n",
                DOCKER,
                Some("no network access"),
            ),
            (
                "connect: Network is unreachable\n",
                DOCKER,
                Some("no network access"),
            ),
            ("curl: (6) Could not resolve host: x\n", OPEN, None),
            (
                "touch: .git/hooks/x: Read-only file system\n",
                DOCKER,
                Some(".git is read-only; set [sandbox] git_writable = true"),
            ),
            (
                "touch: /usr/x: Read-only file system\n",
                DOCKER,
                Some("only /workspace, /tmp and $HOME are writable"),
            ),
            ("touch: /usr/x: Read-only file system\n", OPEN, None),
            ("all good\n", DOCKER, None),
            ("", DOCKER, None),
        ];
        for (output, limits, want) in cases {
            let got = note(output, limits);
            match want {
                Some(part) => {
                    let got = got.unwrap_or_default();
                    assert!(
                        got.starts_with("[denied by the sandbox: "),
                        "{output}: {got}"
                    );
                    assert!(got.contains(part), "{output}: {got}");
                }
                None => assert_eq!(got, None, "{output}"),
            }
        }
    }

    #[test]
    fn the_note_is_appended_not_rewritten() {
        let mut out = "curl: (6) Could not resolve host: example.com".to_string();
        annotate(&mut out, DOCKER);
        assert!(out.starts_with("curl: (6) Could not resolve host: example.com\n[denied"));
        assert!(out.ends_with("]\n"));
        let mut fine = "ok\n".to_string();
        annotate(&mut fine, DOCKER);
        assert_eq!(fine, "ok\n");
    }
}
