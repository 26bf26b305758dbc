//! uv.lock (version 1): packages, their sources and files, and the edges of the resolution: runtime
//! dependencies, extras (`[package.optional-dependencies]`) and development groups
//! (`[package.dev-dependencies]`), each with its marker.

use toml_edit::{Item, TableLike};

use super::SbomError;
use super::graph::{Artifact, Edge, EdgeKind, Graph, Package, Source};

/// Reads a uv.lock; `path` names it in errors, `root_name` is the project's (normalised) name.
pub(crate) fn read(path: &str, text: &str, root_name: Option<&str>) -> Result<Graph, SbomError> {
    let bad = |message: String| SbomError::Lock { path: path.to_owned(), message };
    let doc = super::parse_lock(path, text)?;
    let doc = doc.as_table();
    let entries = super::package_tables(path, doc)?;
    let mut graph = Graph::default();
    let mut tables = Vec::new();
    for (i, table) in entries.iter().enumerate() {
        let field = |key: &str| table.get(key).and_then(Item::as_str).map(str::to_owned);
        let name = field("name").ok_or_else(|| bad(format!("package {} has no name", i + 1)))?;
        // A virtual workspace root has no version.
        let version = field("version").unwrap_or_default();
        let source = table
            .get("source")
            .and_then(Item::as_table_like)
            .map(source_of)
            .ok_or_else(|| bad(format!("package `{name}` has no source")))?;
        let mut artifacts = Vec::new();
        if let Some(sdist) = table.get("sdist").and_then(Item::as_table_like) {
            artifacts.extend(artifact(sdist));
        }
        if let Some(wheels) = table.get("wheels").and_then(Item::as_array) {
            artifacts.extend(wheels.iter().filter_map(|w| w.as_inline_table()).filter_map(|w| artifact(w)));
        }
        graph.packages.push(Package { name, version, source, hashes: Vec::new(), artifacts });
        tables.push(table);
    }
    for (from, table) in tables.iter().enumerate() {
        let mut add = |list: Option<&Item>, kind: EdgeKind| -> Result<(), SbomError> {
            for dep in list.and_then(Item::as_array).into_iter().flatten() {
                let dep = dep.as_inline_table().ok_or_else(|| {
                    bad(format!("a dependency of `{}` is not a table", graph.packages[from].name))
                })?;
                let to = find(&graph.packages, dep).ok_or_else(|| {
                    bad(format!(
                        "`{}` depends on `{}`, which the lock does not hold",
                        graph.packages[from].name,
                        dep.get("name").and_then(|v| v.as_str()).unwrap_or("?")
                    ))
                })?;
                let marker = dep.get("marker").and_then(|v| v.as_str()).map(str::to_owned);
                graph.edges.push(Edge { from, to, kind: kind.clone(), marker });
            }
            Ok(())
        };
        add(table.get("dependencies"), EdgeKind::Normal)?;
        for (key, kind) in [
            ("optional-dependencies", EdgeKind::Extra as fn(String) -> EdgeKind),
            ("dev-dependencies", EdgeKind::Dev),
        ] {
            if let Some(groups) = table.get(key).and_then(Item::as_table_like) {
                for (group, list) in groups.iter() {
                    add(Some(list), kind(group.to_owned()))?;
                }
            }
        }
    }
    graph.members = members(doc, &graph, root_name);
    graph.root = graph.members.first().copied();
    if graph.members.is_empty() {
        return Err(bad("no package is the project: no editable, virtual or workspace source".to_owned()));
    }
    Ok(graph)
}

/// The workspace members: `[manifest] members`, else every editable or virtual package; the one named
/// `root_name` (or the one at `.`) first.
fn members(doc: &toml_edit::Table, graph: &Graph, root_name: Option<&str>) -> Vec<usize> {
    let listed: Vec<String> = doc
        .get("manifest")
        .and_then(|m| m.get("members"))
        .and_then(Item::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let mut members: Vec<usize> = graph
        .packages
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            if listed.is_empty() {
                matches!(&p.source, Source::Path(path) if path.starts_with("editable:") || path.starts_with("virtual:"))
            } else {
                listed.contains(&p.name)
            }
        })
        .map(|(i, _)| i)
        .collect();
    let is_root = |i: &usize| {
        let p = &graph.packages[*i];
        root_name
            .map_or_else(|| matches!(&p.source, Source::Path(path) if path.ends_with(":.")), |n| p.name == n)
    };
    if let Some(pos) = members.iter().position(is_root) {
        let root = members.remove(pos);
        members.insert(0, root);
    }
    members
}

fn source_of(source: &dyn TableLike) -> Source {
    let get = |key: &str| source.get(key).and_then(Item::as_str).map(str::to_owned);
    if let Some(url) = get("registry") {
        return Source::Registry(url);
    }
    if let Some(url) = get("git") {
        // `https://host/repo?rev=…#<commit>`: the fragment is the resolved commit.
        let (url, commit) = match url.split_once('#') {
            Some((url, commit)) => (url.to_owned(), Some(commit.to_owned())),
            None => (url, None),
        };
        let url = url.split_once('?').map_or(url.clone(), |(u, _)| u.to_owned());
        return Source::Git { url, commit };
    }
    for kind in ["editable", "virtual", "directory", "path", "url"] {
        if let Some(path) = get(kind) {
            return Source::Path(format!("{kind}:{path}"));
        }
    }
    Source::Workspace
}

fn artifact(file: &dyn TableLike) -> Option<Artifact> {
    let url = file.get("url").and_then(Item::as_str).or_else(|| file.get("path").and_then(Item::as_str))?;
    let hash = file.get("hash").and_then(Item::as_str).and_then(|h| {
        let (alg, hex) = h.split_once(':')?;
        let alg = match alg {
            "sha256" => "SHA-256",
            "sha384" => "SHA-384",
            "sha512" => "SHA-512",
            _ => return None,
        };
        hex.bytes().all(|b| b.is_ascii_hexdigit()).then(|| (alg, hex.to_ascii_lowercase()))
    });
    Some(Artifact { url: url.to_owned(), hash })
}

/// The package a dependency entry names: by name, then (when the lock holds several versions of it)
/// by version and source.
fn find(packages: &[Package], dep: &toml_edit::InlineTable) -> Option<usize> {
    let name = dep.get("name")?.as_str()?;
    let candidates: Vec<usize> =
        packages.iter().enumerate().filter(|(_, p)| p.name == name).map(|(i, _)| i).collect();
    if candidates.len() <= 1 {
        return candidates.first().copied();
    }
    let version = dep.get("version").and_then(|v| v.as_str());
    let source = dep.get("source").and_then(|v| v.as_inline_table()).map(|s| source_of(s));
    candidates.into_iter().find(|&i| {
        version.is_none_or(|v| packages[i].version == v)
            && source.as_ref().is_none_or(|s| &packages[i].source == s)
    })
}
