//! The shape of the code, checked so that it stays as ARCHITECTURE.md and the style guide say:
//! binaries under 300 lines, functions under 120, files under 800, no import circle between the
//! files of a crate, and ARCHITECTURE.md's crate graph equal to `cargo metadata`'s.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sources::rust_files;

mod sources;

fn sources() -> (PathBuf, Vec<PathBuf>) {
    let root = tagwright_test_support::workspace_root();
    let mut files = Vec::new();
    for top in ["crates", "xtask", "tests", "fuzz/fuzz_targets", "fuzz/src"] {
        rust_files(&root.join(top), &mut files);
    }
    files.sort();
    (root, files)
}

/// The functions of `text` longer than `limit` lines: a line that opens `fn` at some indentation,
/// up to the line that closes it at the same indentation.
fn long_functions(text: &str, limit: usize) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut long = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let signature = ["fn ", "pub fn ", "pub(crate) fn ", "pub(super) fn ", "const fn ", "pub const fn "]
            .iter()
            .find_map(|p| trimmed.strip_prefix(p));
        let Some(rest) = signature else { continue };
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let closing = format!("{indent}}}");
        if let Some(end) = lines[i + 1..].iter().position(|l| *l == closing) {
            // A declaration without a body (a trait's) ends at `;` before any closing brace.
            let body = &lines[i..=i + 1 + end];
            let declared_only =
                body.iter().take_while(|l| !l.contains('{')).any(|l| l.trim_end().ends_with(';'));
            if !declared_only && end + 2 > limit {
                long.push((name, end + 2));
            }
        }
    }
    long
}

#[test]
fn binaries_functions_and_files_stay_small() {
    let (root, files) = sources();
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("utf-8");
        let name = file.strip_prefix(&root).expect("in the workspace").display().to_string();
        let lines = text.lines().count();
        let binary =
            name.contains("/src/bin/") || name.ends_with("/src/main.rs") && !name.starts_with("xtask");
        if binary && lines > 300 {
            problems.push(format!("{name}: a binary of {lines} lines (at most 300)"));
        }
        if lines > 800 {
            problems.push(format!("{name}: {lines} lines (at most 800)"));
        }
        for (function, length) in long_functions(&text, 120) {
            problems.push(format!("{name}: fn {function} is {length} lines (at most 120)"));
        }
    }
    assert!(problems.is_empty(), "split these:\n{}", problems.join("\n"));
}

#[test]
fn the_length_check_sees_functions() {
    let short = "fn a() {\n    1\n}\n";
    assert!(long_functions(short, 120).is_empty());
    let long = format!("    pub fn b(x: u8) -> u8 {{\n{}    }}\n", "        x;\n".repeat(130));
    assert_eq!(long_functions(&long, 120), [("b".to_owned(), 132)]);
    let declared = format!("    fn c(&self);\n{}    }}\n", "x\n".repeat(130));
    assert!(long_functions(&declared, 120).is_empty(), "a trait method without a body");
}

/// A crate's modules: module path (`crate::a::b`) to file, and file to module path.
struct Modules {
    by_path: BTreeMap<String, PathBuf>,
}

impl Modules {
    /// The modules of the crate whose root is `root_file` (`lib.rs`, `main.rs`).
    fn of(root_file: &Path) -> Modules {
        let mut by_path = BTreeMap::new();
        let mut pending = vec![("crate".to_owned(), root_file.to_path_buf())];
        while let Some((path, file)) = pending.pop() {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let dir = match file.file_name().and_then(|n| n.to_str()) {
                Some("lib.rs" | "main.rs" | "mod.rs") => file.parent().expect("dir").to_path_buf(),
                _ => file.with_extension(""),
            };
            for line in text.lines() {
                let line = line.trim();
                let declared = ["mod ", "pub mod ", "pub(crate) mod ", "pub(super) mod "]
                    .iter()
                    .find_map(|p| line.strip_prefix(p))
                    .and_then(|rest| rest.strip_suffix(';'));
                let Some(name) = declared else { continue };
                for candidate in [dir.join(format!("{name}.rs")), dir.join(name).join("mod.rs")] {
                    if candidate.is_file() {
                        pending.push((format!("{path}::{name}"), candidate));
                        break;
                    }
                }
            }
            by_path.insert(path, file);
        }
        Modules { by_path }
    }

    /// Whether `file` is a submodule of `module` (at any depth).
    fn is_descendant(&self, file: &Path, module: &str) -> bool {
        self.by_path.iter().any(|(path, f)| f == file && path.starts_with(&format!("{module}::")))
    }

    /// The file a path names, from module `from`: the longest prefix that is a module.
    fn resolve(&self, from: &str, path: &str) -> Option<&PathBuf> {
        let mut segments: Vec<String> = Vec::new();
        let mut parts = path.split("::").peekable();
        match parts.peek().copied() {
            Some("crate") => {
                segments.push("crate".to_owned());
                parts.next();
            }
            Some("self") => {
                segments.extend(from.split("::").map(str::to_owned));
                parts.next();
            }
            Some("super") => {
                segments.extend(from.split("::").map(str::to_owned));
                while parts.peek() == Some(&"super") {
                    parts.next();
                    segments.pop();
                }
            }
            Some(first) if self.by_path.contains_key(&format!("{from}::{first}")) => {
                segments.extend(from.split("::").map(str::to_owned));
            }
            _ => return None,
        }
        segments.extend(parts.map(str::to_owned));
        (1..=segments.len()).rev().find_map(|n| self.by_path.get(&segments[..n].join("::")))
    }
}

/// Every path of a `use` tree (`a::{b, c::{d, e}}` is `a::b`, `a::c::d`, `a::c::e`).
fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or(tree).trim();
        out.push(if prefix.is_empty() { path.to_owned() } else { format!("{prefix}::{path}") });
        return;
    };
    let head = tree[..open].trim_end_matches("::");
    let prefix = match (prefix.is_empty(), head.is_empty()) {
        (true, _) => head.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}::{head}"),
    };
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                expand(&prefix, &inner[start..i], out);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !inner[start..].trim().is_empty() {
        expand(&prefix, &inner[start..], out);
    }
}

/// The code of a file without comments, string literals and `#[cfg(test)] mod tests { … }`.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| {
            let l = l.trim_start();
            if l.starts_with("//") { "" } else { l.split(" //").next().unwrap_or(l) }
        })
        .map(|l| {
            let mut kept = String::new();
            let mut quoted = false;
            for c in l.chars() {
                if c == '"' {
                    quoted = !quoted;
                } else if !quoted {
                    kept.push(c);
                }
            }
            kept
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The files of the crate each file depends on: its `use` declarations and the `crate::`, `super::`
/// and child-module paths in its code. A module's use of its own submodules is not counted: a parent
/// owns its children (it declares them and re-exports their items); a child's use of its parent, and
/// every use between modules of different branches, is.
fn file_graph(modules: &Modules) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut graph = BTreeMap::new();
    for (module, file) in &modules.by_path {
        let code = code_of(&std::fs::read_to_string(file).unwrap_or_default());
        let mut paths = Vec::new();
        for statement in code.split(';') {
            let statement = statement.trim();
            let used = ["use ", "pub use ", "pub(crate) use ", "pub(super) use "]
                .iter()
                .find_map(|p| statement.rsplit('\n').next().and_then(|l| l.trim().strip_prefix(p)))
                .map(|_| statement[statement.find("use ").expect("use") + 4..].to_owned());
            if let Some(tree) = used {
                expand("", &tree.replace('\n', " "), &mut paths);
            }
        }
        let words = code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'));
        paths.extend(words.filter(|w| w.contains("::")).map(str::to_owned));
        let targets: BTreeSet<PathBuf> = paths
            .iter()
            .filter_map(|p| modules.resolve(module, p.trim_start_matches("::")))
            .filter(|target| *target != file && !modules.is_descendant(target, module))
            .cloned()
            .collect();
        graph.insert(file.clone(), targets);
    }
    graph
}

/// The strongly connected components of more than one file.
fn circles(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    let nodes: Vec<&PathBuf> = graph.keys().collect();
    let reach = |from: &PathBuf| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(node) = stack.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&PathBuf, BTreeSet<PathBuf>> = nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut done = BTreeSet::new();
    let mut found = Vec::new();
    for node in &nodes {
        if done.contains(*node) {
            continue;
        }
        let component: Vec<PathBuf> = nodes
            .iter()
            .filter(|other| reachable[node].contains(**other) && reachable[**other].contains(*node))
            .map(|p| (*p).clone())
            .collect();
        done.extend(component.iter().cloned());
        if component.len() > 1 {
            found.push(component);
        }
    }
    found
}

#[test]
fn no_import_circle_between_files() {
    let (root, files) = sources();
    let crate_roots: Vec<&PathBuf> = files
        .iter()
        .filter(|f| {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            (name == "lib.rs" || name == "main.rs") && f.parent().is_some_and(|p| p.ends_with("src"))
        })
        .collect();
    assert!(crate_roots.len() >= 10, "found the crates: {crate_roots:?}");
    let mut problems = Vec::new();
    for crate_root in crate_roots {
        let modules = Modules::of(crate_root);
        for circle in circles(&file_graph(&modules)) {
            let names: Vec<String> = circle
                .iter()
                .map(|f| f.strip_prefix(&root).expect("in workspace").display().to_string())
                .collect();
            problems.push(names.join(" <-> "));
        }
    }
    assert!(
        problems.is_empty(),
        "import circles (extract what both sides share into a module both import):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_circle_check_sees_circles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path();
    std::fs::write(src.join("lib.rs"), "//! x\nmod a;\nmod b;\nmod c;\npub use a::A;\n").expect("write");
    std::fs::write(src.join("a.rs"), "//! a\nuse crate::b::{B, other::{X}};\npub struct A;\n")
        .expect("write");
    std::fs::write(src.join("b.rs"), "//! b\npub struct B;\nfn f() { let _ = super::a::A; }\n")
        .expect("write");
    std::fs::write(
        src.join("c.rs"),
        "//! c\n// use crate::a::A; in a comment\nconst S: &str = \"crate::a::A\";\n",
    )
    .expect("write");
    let modules = Modules::of(&src.join("lib.rs"));
    let graph = file_graph(&modules);
    assert_eq!(circles(&graph), [vec![src.join("a.rs"), src.join("b.rs")]]);
    assert!(graph[&src.join("c.rs")].is_empty(), "comments and strings are not imports");
    assert!(graph[&src.join("lib.rs")].is_empty(), "a parent's use of its children is not counted");
}

/// `cargo metadata --no-deps`: every workspace package.
fn metadata() -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(tagwright_test_support::workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON")
}

#[test]
fn architecture_md_draws_the_crate_graph_cargo_metadata_has() {
    let metadata = metadata();
    let packages = metadata["packages"].as_array().expect("packages");
    let names: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let actual: BTreeMap<String, BTreeSet<String>> = packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"].as_array().expect("dependencies").iter();
            let normal = deps
                .filter(|d| d["kind"].is_null() && names.contains(d["name"].as_str().unwrap_or_default()))
                .map(|d| d["name"].as_str().unwrap_or_default().to_owned());
            (p["name"].as_str().unwrap_or_default().to_owned(), normal.collect())
        })
        .collect();
    let doc = std::fs::read_to_string(tagwright_test_support::workspace_root().join("docs/ARCHITECTURE.md"))
        .expect("ARCHITECTURE.md");
    let start = doc.find("<!-- crate-graph").expect("the crate-graph table");
    let end = doc.find("<!-- /crate-graph -->").expect("its end");
    let drawn: BTreeMap<String, BTreeSet<String>> = doc[start..end]
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let names = |cell: &str| -> BTreeSet<String> {
                cell.split(',')
                    .map(|n| n.trim().trim_matches('`').to_owned())
                    .filter(|n| n.starts_with("tagwright") || n == "xtask")
                    .collect()
            };
            (cells[1].trim_matches('`').to_owned(), names(cells[2]))
        })
        .collect();
    assert_eq!(drawn, actual, "docs/ARCHITECTURE.md's crate graph differs from cargo metadata's");
}

/// The names a dependency is used by in Rust code (`serde_json` for `serde_json`, and the `lib` name
/// it renames to, such as `tagwright_checksums`).
fn used_in(sources: &str, dependency: &str) -> bool {
    let name = dependency.replace('-', "_");
    let mut rest = sources;
    while let Some(i) = rest.find(&name) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + name.len()..].chars().next();
        let bounded = !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && !after.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if bounded {
            return true;
        }
        rest = &rest[i + name.len()..];
    }
    false
}

#[test]
fn every_declared_dependency_is_used() {
    let metadata = metadata();
    let mut unused = Vec::new();
    for package in metadata["packages"].as_array().expect("packages") {
        let name = package["name"].as_str().unwrap_or_default();
        let manifest = PathBuf::from(package["manifest_path"].as_str().unwrap_or_default());
        let dir = manifest.parent().expect("a directory");
        let mut files = Vec::new();
        rust_files(dir, &mut files);
        let sources: String = files.iter().map(|f| std::fs::read_to_string(f).unwrap_or_default()).collect();
        for dependency in package["dependencies"].as_array().expect("dependencies") {
            let dep = dependency["rename"].as_str().or(dependency["name"].as_str()).unwrap_or_default();
            if !used_in(&sources, dep) {
                let kind = dependency["kind"].as_str().unwrap_or("normal");
                unused.push(format!("{name}: {dep} ({kind})"));
            }
        }
    }
    assert!(unused.is_empty(), "declared but not used (remove them from Cargo.toml):\n{}", unused.join("\n"));
}

#[test]
fn the_unused_check_sees_names() {
    assert!(used_in("use serde_json::Value;", "serde_json"));
    assert!(used_in("tagwright_http::client()", "tagwright-http"));
    assert!(!used_in("use serde_json_x::Value; // serde", "serde_json"));
    assert!(!used_in("let my_serde_json = 1;", "serde_json"));
}

/// The public signatures of `text` whose error is a bare `String`: `pub fn`s, trait methods of a
/// `pub trait`, and `FromStr` impls.
fn string_errors(text: &str) -> Vec<String> {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut found = Vec::new();
    let mut in_pub_trait = false;
    for (i, line) in code.lines().enumerate() {
        let trimmed = line.trim_start();
        if line.starts_with("pub trait ") {
            in_pub_trait = true;
        } else if line == "}" {
            in_pub_trait = false;
        }
        let public = trimmed.starts_with("pub fn ") || (in_pub_trait && trimmed.starts_with("fn "));
        if trimmed.starts_with("type Err = String") {
            found.push(format!("line {}: type Err = String", i + 1));
        }
        if !public {
            continue;
        }
        let rest = &code[code.lines().take(i).map(|l| l.len() + 1).sum::<usize>()..];
        let signature = &rest[..rest.find(['{', ';']).unwrap_or(rest.len())];
        let returns = signature.rsplit_once("->").map(|(_, r)| r.split(" where").next().unwrap_or(r).trim());
        if returns.is_some_and(|r| r.starts_with("Result<") && r.replace(' ', "").ends_with(",String>")) {
            found.push(format!("line {}: {}", i + 1, trimmed.split('(').next().unwrap_or(trimmed)));
        }
    }
    found
}

#[test]
fn public_results_have_typed_errors() {
    let (root, files) = sources();
    let mut found = Vec::new();
    for file in &files {
        let name = file.strip_prefix(&root).expect("in the workspace").display().to_string();
        // The library crates; the binaries' own crate (`cli`) and the test tooling map errors to exit
        // codes and messages.
        let library =
            name.starts_with("crates/") && name.contains("/src/") && !name.starts_with("crates/cli/");
        if !library {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("utf-8");
        found.extend(string_errors(&text).into_iter().map(|f| format!("{name}: {f}")));
    }
    assert!(found.is_empty(), "give these a thiserror type:\n{}", found.join("\n"));
}

#[test]
fn the_string_error_check_sees_them() {
    let text = "pub fn a(x: &str)\n    -> Result<(), String> {\n}\nfn private() -> Result<(), String> {\n}\npub trait T {\n    fn f(&self) -> Result<u8, String>;\n}\nimpl FromStr for X {\n    type Err = String;\n}\npub fn ok() -> Result<(), Typed> {\n}\n";
    let found = string_errors(text);
    assert_eq!(found.len(), 3, "{found:?}");
}
