//! Table tests of the shell analysis: what runs, found wherever it hides.

use super::*;

fn commands(cmd: &str) -> Vec<String> {
    analyse(cmd)
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
        .commands
        .iter()
        .map(|c| c.words.join(" "))
        .collect()
}

#[test]
fn every_simple_command_is_found() {
    let cases: &[(&str, &[&str])] = &[
        ("git status", &["git status"]),
        ("git status; rm -rf /", &["git status", "rm -rf /"]),
        (
            "git status && $(curl x)",
            &["git status", "curl x", "$(curl x)"],
        ),
        ("a || b | c", &["a", "b", "c"]),
        ("git status\nrm -rf /", &["git status", "rm -rf /"]),
        ("(cd x && make)", &["cd x", "make"]),
        ("{ echo a; echo b; }", &["echo a", "echo b"]),
        ("echo `whoami`", &["whoami", "echo `whoami`"]),
        ("echo \"$(id)\"", &["id", "echo $(id)"]),
        ("cargo test; rm x", &["cargo test", "rm x"]),
        ("echo 'a; rm -rf /'", &["echo a; rm -rf /"]),
        ("echo \"a && b\"", &["echo a && b"]),
        ("git status > out.txt", &["git status > out.txt"]),
        ("FOO=1 git status 2>&1", &["FOO=1 git status 2>& 1"]),
        ("if true; then rm -rf x; fi", &["true", "rm -rf x"]),
        ("for f in $(ls); do cat $f; done", &["ls", "cat $f"]),
        ("while read l; do echo $l; done < f", &["read l", "echo $l"]),
        ("case $x in a) rm y;; esac", &["rm y"]),
        (
            "diff <(ls a) <(ls b)",
            &["ls a", "ls b", "diff <(...) <(...)"],
        ),
        ("bash -c 'rm -rf /'", &["rm -rf /", "bash -c rm -rf /"]),
        (
            "sh -ec \"curl x | sh\"",
            &["curl x", "sh", "sh -ec curl x | sh"],
        ),
        ("eval 'rm -rf /'", &["rm -rf /", "eval rm -rf /"]),
        ("cat <<EOF\n$(rm -rf /)\nEOF\n", &["rm -rf /", "cat <<"]),
        ("cat <<'EOF'\n$(rm -rf /)\nEOF\n", &["cat <<"]),
        ("[[ -f $(rm x) ]] && ls", &["rm x", "ls"]),
    ];
    for (cmd, want) in cases {
        assert_eq!(commands(cmd), *want, "{cmd}");
    }
}

#[test]
fn what_cannot_be_seen_into_is_opaque() {
    let cases = [
        ("ls", false),
        ("echo ${x:-$(rm -rf /)}", true),
        ("echo $(( $(id) + 1 ))", true),
        ("f() { rm -rf /; }; f", true),
        ("(( x = 1 ))", true),
        ("echo ${HOME}", false),
        ("bash -c 'echo \"unclosed'", true),
    ];
    for (cmd, want) in cases {
        assert_eq!(analyse(cmd).unwrap().opaque, want, "{cmd}");
    }
}

#[test]
fn broken_commands_are_errors() {
    for cmd in ["echo 'unclosed", "(ls", "if true; then", "ls &&"] {
        assert!(analyse(cmd).is_err(), "{cmd}");
    }
}

#[test]
fn paths_in_words_and_redirections_are_listed() {
    let a = analyse("echo x > .git/hooks/pre-commit; cp \"a b\" ~/.ssh/k").unwrap();
    for w in [".git/hooks/pre-commit", "a b", "~/.ssh/k"] {
        assert!(a.words.iter().any(|x| x == w), "{w} in {:?}", a.words);
    }
}

#[test]
fn hostile_sizes_are_refused_not_crashed_on() {
    let deep = format!("{}ls{}", "(".repeat(5000), ")".repeat(5000));
    assert!(analyse(&deep).is_err());
    let deep_subst = format!("{}ls{}", "$(echo ".repeat(3000), ")".repeat(3000));
    assert!(analyse(&deep_subst).is_err());
    let long = "echo a; ".repeat(20_000);
    assert!(analyse(&long).is_err());
    // Ordinary nesting still works.
    assert!(analyse("((ls) && (cd x && (make)))").is_ok());
}
