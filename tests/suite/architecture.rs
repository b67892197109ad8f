//! The module layering of docs/architecture.md, enforced: no cycle between top-level modules,
//! and the TUI, a front end, never reaches below the core (store, providers, sandbox) or up into
//! `cli`, which wires it. The checker is tested on small made-up crates so it cannot pass by
//! reading nothing.

use crate::support::module_graph::ModuleGraph;
use std::path::Path;

/// Modules the TUI must not use: it speaks Op/Event to the core and is wired by `cli`.
const TUI_MUST_NOT_USE: [&str; 4] = ["store", "providers", "sandbox", "cli"];

/// Every broken rule, one message per problem, naming the edge or cycle and where it is.
fn violations(graph: &ModuleGraph) -> Vec<String> {
    let mut found = Vec::new();
    for to in TUI_MUST_NOT_USE {
        if let Some(first) = graph.evidence("tui", to).first() {
            found.push(format!(
                "tui -> {to}: the TUI must not use `{to}` ({first})"
            ));
        }
    }
    for (cycle, group) in graph.cycles() {
        let mut text = format!("module cycle: {}", graph.describe(&cycle));
        if group.len() + 1 > cycle.len() {
            text.push_str(&format!(
                "\n    (all tangled together: {})",
                group.join(", ")
            ));
        }
        found.push(text);
    }
    found
}

#[test]
fn the_top_level_modules_form_layers_without_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = ModuleGraph::read(&src).unwrap();
    // The walk must have seen the crate: a reader that found nothing would pass every rule.
    for (from, to) in [
        ("cli", "tui"),
        ("tui", "core"),
        ("core", "store"),
        ("tools", "sandbox"),
    ] {
        assert!(
            !graph.evidence(from, to).is_empty(),
            "expected {from} -> {to}; the graph is {:?}",
            graph.edges.keys().collect::<Vec<_>>()
        );
    }
    let problems = violations(&graph);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Write a made-up crate: `(path under src, text)`.
fn made_up(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[test]
fn two_modules_that_use_each_other_are_reported_as_a_cycle() {
    let dir = made_up(&[
        ("lib.rs", "pub mod a;\npub mod b;\n"),
        ("a.rs", "use crate::b::B;\npub struct A;\n"),
        (
            "b.rs",
            "pub struct B;\npub fn f() -> usize { std::mem::size_of::<super::a::A>() }\n",
        ),
    ]);
    let graph = ModuleGraph::read(dir.path()).unwrap();
    let problems = violations(&graph);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("module cycle: a -> b -> a"),
        "{}",
        problems[0]
    );
    assert!(
        problems[0].contains("a.rs:1: crate::b::B"),
        "{}",
        problems[0]
    );
    assert!(
        problems[0].contains("b.rs:2: super::a::A"),
        "{}",
        problems[0]
    );
}

#[test]
fn uses_are_found_in_nested_files_inline_modules_macros_and_path_attributes() {
    let dir = made_up(&[
        (
            "lib.rs",
            "pub mod a;\npub mod b;\npub mod c;\npub mod d;\npub mod e;\n",
        ),
        // a -> b through `super::super` from an inline test module of a nested file.
        ("a/mod.rs", "mod inner;\n"),
        (
            "a/inner.rs",
            "#[cfg(test)]\nmod tests {\n    use super::super::super::b::B;\n}\n",
        ),
        // b -> c only inside a macro's arguments.
        (
            "b.rs",
            "pub struct B;\npub fn f() -> String { format!(\"{}\", crate::c::name()) }\n",
        ),
        // c -> d in a file found through #[path], in a grouped use.
        (
            "c.rs",
            "pub fn name() -> &'static str { \"c\" }\n#[path = \"c_more.rs\"]\nmod more;\n",
        ),
        ("c_more.rs", "use crate::{d::D, e};\n"),
        // `$crate` and a same-module `super` are not edges.
        (
            "d.rs",
            "pub struct D;\nmacro_rules! m { () => { $crate::e::E } }\n",
        ),
        ("e.rs", "pub struct E;\nmod x { use super::E; }\n"),
    ]);
    let graph = ModuleGraph::read(dir.path()).unwrap();
    let edges: Vec<(&str, &str)> = graph
        .edges
        .keys()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(edges, [("a", "b"), ("b", "c"), ("c", "d"), ("c", "e")]);
    assert!(violations(&graph).is_empty());
}

#[test]
fn a_tui_that_uses_the_store_or_cli_is_reported_with_the_place() {
    let dir = made_up(&[
        ("lib.rs", "pub mod cli;\npub mod store;\npub mod tui;\n"),
        ("cli.rs", "pub fn run() { crate::tui::run() }\n"),
        ("store.rs", "pub struct Store;\n"),
        ("tui/mod.rs", "mod app;\npub fn run() {}\n"),
        ("tui/app.rs", "\nuse crate::store::Store;\n"),
    ]);
    let graph = ModuleGraph::read(dir.path()).unwrap();
    assert_eq!(
        violations(&graph),
        [format!(
            "tui -> store: the TUI must not use `store` ({}: crate::store::Store)",
            dir.path().join("tui/app.rs:2").display()
        )]
    );
}

#[test]
fn a_longer_cycle_is_named_in_order_with_each_edge() {
    let dir = made_up(&[
        ("lib.rs", "pub mod a;\npub mod b;\npub mod c;\npub mod d;\n"),
        ("a.rs", "pub fn f() { crate::b::f() }\n"),
        ("b.rs", "pub fn f() { crate::c::f() + crate::d::f() }\n"),
        ("c.rs", "pub fn f() { crate::a::f() }\n"),
        // d joins the tangle through b without being on the shortest cycle.
        ("d.rs", "pub fn f() { crate::b::f() }\n"),
    ]);
    let graph = ModuleGraph::read(dir.path()).unwrap();
    let problems = violations(&graph);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("module cycle: a -> b -> c -> a\n"),
        "{}",
        problems[0]
    );
    assert!(problems[0].contains("c -> a: "), "{}", problems[0]);
    assert!(
        problems[0].ends_with("(all tangled together: a, b, c, d)"),
        "{}",
        problems[0]
    );
}

#[test]
fn a_file_that_does_not_parse_is_an_error_naming_it() {
    let dir = made_up(&[("lib.rs", "pub mod a;\n"), ("a.rs", "fn (\n")]);
    let err = ModuleGraph::read(dir.path()).unwrap_err();
    assert!(err.contains("a.rs:1: cannot parse"), "{err}");
}
