//! The graph of a crate's top-level modules, read from its source with `syn` the way the
//! compiler finds modules: from `src/lib.rs` through every `mod x;` (`x.rs`, `x/mod.rs` or its
//! `#[path]`) and inline `mod x { }`. An edge `a -> b` is any path in a file of module `a` that
//! names module `b` from the crate root: `use crate::b...`, `crate::b::...` in code, types and
//! macro arguments, and `super::` chains that climb out of `a`. Each edge keeps where it was
//! seen (`file:line: path`), so a failing check can say what to change.

use proc_macro2::{Spacing, TokenStream, TokenTree};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// Top-level modules and the uses that connect them.
#[derive(Debug, Default)]
pub struct ModuleGraph {
    /// Every top-level module declared in `lib.rs`.
    pub modules: BTreeSet<String>,
    /// `(from, to)` -> where each use was seen, `file:line: path`.
    pub edges: BTreeMap<(String, String), Vec<String>>,
}

impl ModuleGraph {
    /// Read the crate whose root is `src/lib.rs`.
    pub fn read(src: &Path) -> Result<Self, String> {
        let mut graph = ModuleGraph::default();
        let mut uses = Vec::new();
        let root = src.join("lib.rs");
        let file = parse(&root)?;
        let top: Vec<String> = file
            .items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Mod(m) => Some(m.ident.to_string()),
                _ => None,
            })
            .collect();
        graph.modules = top.iter().cloned().collect();
        walk_file(&root, &file, &[], &mut uses)?;
        for u in uses {
            if graph.modules.contains(&u.to) && u.from != u.to {
                graph.edges.entry((u.from, u.to)).or_default().push(u.seen);
            }
        }
        Ok(graph)
    }

    /// The modules `from` uses directly.
    pub fn targets(&self, from: &str) -> BTreeSet<&str> {
        self.edges
            .keys()
            .filter(|(a, _)| a == from)
            .map(|(_, b)| b.as_str())
            .collect()
    }

    /// One shortest cycle through each strongly connected group of modules, as
    /// `[a, b, ..., a]`, smallest module first, with every module of the group.
    pub fn cycles(&self) -> Vec<(Vec<String>, Vec<String>)> {
        let mut done: BTreeSet<String> = BTreeSet::new();
        let mut cycles = Vec::new();
        for start in &self.modules {
            if done.contains(start) {
                continue;
            }
            if let Some(cycle) = self.shortest_cycle(start) {
                // Every module reachable from `start` that reaches it back is in the same group.
                let group: Vec<String> = self
                    .modules
                    .iter()
                    .filter(|m| self.reaches(start, m) && self.reaches(m, start))
                    .cloned()
                    .collect();
                done.extend(group.iter().cloned());
                cycles.push((cycle, group));
            }
        }
        cycles
    }

    /// Where `from -> to` was seen.
    pub fn evidence(&self, from: &str, to: &str) -> &[String] {
        self.edges
            .get(&(from.to_string(), to.to_string()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// A cycle described edge by edge with the first place each edge was seen.
    pub fn describe(&self, cycle: &[String]) -> String {
        let mut text = cycle.join(" -> ");
        for pair in cycle.windows(2) {
            let seen = self.evidence(&pair[0], &pair[1]);
            text.push_str(&format!(
                "\n    {} -> {}: {}{}",
                pair[0],
                pair[1],
                seen.first().map(String::as_str).unwrap_or("?"),
                if seen.len() > 1 {
                    format!(" (and {} more)", seen.len() - 1)
                } else {
                    String::new()
                }
            ));
        }
        text
    }

    fn shortest_cycle(&self, start: &str) -> Option<Vec<String>> {
        let mut previous: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue: VecDeque<&str> = self.targets(start).into_iter().collect();
        for &t in &queue {
            previous.insert(t, start);
        }
        while let Some(node) = queue.pop_front() {
            if node == start {
                let mut path = vec![start.to_string()];
                let mut at = previous[start];
                while at != start {
                    path.push(at.to_string());
                    at = previous[at];
                }
                path.push(start.to_string());
                path.reverse();
                return Some(path);
            }
            for next in self.targets(node) {
                if let std::collections::btree_map::Entry::Vacant(e) = previous.entry(next) {
                    e.insert(node);
                    queue.push_back(next);
                }
            }
        }
        None
    }

    fn reaches(&self, from: &str, to: &str) -> bool {
        if from == to {
            return true;
        }
        let mut seen = BTreeSet::from([from]);
        let mut queue = VecDeque::from([from]);
        while let Some(node) = queue.pop_front() {
            for next in self.targets(node) {
                if next == to {
                    return true;
                }
                if seen.insert(next) {
                    queue.push_back(next);
                }
            }
        }
        false
    }
}

/// One path that names a top-level module.
struct Use {
    from: String,
    to: String,
    seen: String,
}

fn parse(path: &Path) -> Result<syn::File, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    syn::parse_file(&text).map_err(|e| {
        let at = e.span().start();
        format!("{}:{}: cannot parse: {e}", path.display(), at.line)
    })
}

/// Walk one file whose items are module `module` (empty for the crate root).
fn walk_file(
    path: &Path,
    file: &syn::File,
    module: &[String],
    uses: &mut Vec<Use>,
) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    // Where `mod x;` looks for `x.rs`: next to a root or `mod.rs` file, else in a folder named
    // after the file.
    let children = if matches!(stem, "lib" | "main" | "mod") {
        dir.clone()
    } else {
        dir.join(stem)
    };
    let mut walker = Walker {
        file: path.to_path_buf(),
        dir,
        children,
        module: module.to_vec(),
        uses,
        files: Vec::new(),
    };
    walker.visit_file(file);
    let files = std::mem::take(&mut walker.files);
    for (child, module) in files {
        let file = parse(&child)?;
        walk_file(&child, &file, &module, uses)?;
    }
    Ok(())
}

struct Walker<'a> {
    file: PathBuf,
    /// The directory of this file (`#[path]` is relative to it).
    dir: PathBuf,
    /// Where this file's `mod x;` children live, for the current inline module.
    children: PathBuf,
    module: Vec<String>,
    uses: &'a mut Vec<Use>,
    /// Out-of-line modules declared here, to read next.
    files: Vec<(PathBuf, Vec<String>)>,
}

impl Walker<'_> {
    /// Record `segments` (a path as written, from its first segment) if it leads to a
    /// top-level module other than this file's.
    fn record(&mut self, segments: &[String], line: usize) {
        let Some(target) = resolve(&self.module, segments) else {
            return;
        };
        let Some(from) = self.module.first() else {
            return;
        };
        self.uses.push(Use {
            from: from.clone(),
            to: target,
            seen: format!("{}:{line}: {}", self.file.display(), segments.join("::")),
        });
    }
}

/// The top-level module a path starting with `crate`, `self` or `super` lands in.
fn resolve(module: &[String], segments: &[String]) -> Option<String> {
    let mut base: Vec<&str> = Vec::new();
    let mut rest = segments;
    match segments.first().map(String::as_str) {
        Some("crate") => rest = &segments[1..],
        Some("self") | Some("super") => {
            base = module.iter().map(String::as_str).collect();
            if segments[0] == "self" {
                rest = &segments[1..];
            }
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    match base.first() {
        Some(top) => Some(top.to_string()),
        None => rest.first().cloned(),
    }
}

fn attr_path(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

impl<'ast> Visit<'ast> for Walker<'_> {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        let name = item.ident.to_string();
        match &item.content {
            Some((_, items)) => {
                let children = std::mem::replace(&mut self.children, PathBuf::new());
                self.children = children.join(&name);
                self.module.push(name);
                for attr in &item.attrs {
                    self.visit_attribute(attr);
                }
                for item in items {
                    self.visit_item(item);
                }
                self.module.pop();
                self.children = children;
            }
            None => {
                let file = match attr_path(&item.attrs) {
                    Some(p) => self.dir.join(p),
                    None => {
                        let flat = self.children.join(format!("{name}.rs"));
                        if flat.exists() {
                            flat
                        } else {
                            self.children.join(&name).join("mod.rs")
                        }
                    }
                };
                let mut module = self.module.clone();
                module.push(name);
                self.files.push((file, module));
            }
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut prefix = Vec::new();
        self.use_tree(&item.tree, &mut prefix);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if let Some(first) = path.segments.first() {
            self.record(&segments, first.ident.span().start().line);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }
}

impl Walker<'_> {
    fn use_tree(&mut self, tree: &syn::UseTree, prefix: &mut Vec<(String, usize)>) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push((p.ident.to_string(), p.ident.span().start().line));
                self.use_tree(&p.tree, prefix);
                prefix.pop();
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(t, prefix);
                }
            }
            syn::UseTree::Name(n) => self.use_leaf(prefix, n.ident.to_string()),
            syn::UseTree::Rename(r) => self.use_leaf(prefix, r.ident.to_string()),
            syn::UseTree::Glob(_) => self.use_leaf(prefix, String::new()),
        }
    }

    fn use_leaf(&mut self, prefix: &[(String, usize)], leaf: String) {
        let mut segments: Vec<String> = prefix.iter().map(|(s, _)| s.clone()).collect();
        if !leaf.is_empty() && leaf != "self" {
            segments.push(leaf);
        }
        let line = prefix.first().map(|(_, l)| *l).unwrap_or(0);
        self.record(&segments, line);
    }

    /// Paths inside macro arguments (`format!("{}", crate::x::y())`), which `syn` leaves as
    /// tokens.
    fn tokens(&mut self, stream: TokenStream) {
        let tokens: Vec<TokenTree> = stream.into_iter().collect();
        let mut i = 0;
        while i < tokens.len() {
            match &tokens[i] {
                TokenTree::Group(g) => {
                    self.tokens(g.stream());
                    i += 1;
                }
                TokenTree::Ident(id)
                    if matches!(id.to_string().as_str(), "crate" | "super" | "self")
                        && !preceded_by_path_or_dollar(&tokens, i) =>
                {
                    let line = id.span().start().line;
                    let mut segments = vec![id.to_string()];
                    let mut j = i + 1;
                    while let (
                        Some(TokenTree::Punct(a)),
                        Some(TokenTree::Punct(b)),
                        Some(TokenTree::Ident(next)),
                    ) = (tokens.get(j), tokens.get(j + 1), tokens.get(j + 2))
                    {
                        if a.as_char() != ':' || a.spacing() != Spacing::Joint || b.as_char() != ':'
                        {
                            break;
                        }
                        segments.push(next.to_string());
                        j += 3;
                    }
                    if segments.len() > 1 {
                        self.record(&segments, line);
                    }
                    i = j;
                }
                _ => i += 1,
            }
        }
    }
}

/// `$crate::x` (a macro's own crate) and `a::crate` are not paths from this crate's root.
fn preceded_by_path_or_dollar(tokens: &[TokenTree], i: usize) -> bool {
    i > 0
        && matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == '$' || p.as_char() == ':')
}
