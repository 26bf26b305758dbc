//! Cargo.lock (versions 3 and 4): packages, their sources and checksums, and the dependency edges.
//! Cargo.lock does not say which edges are dev-dependencies, so every edge is a runtime one.

use std::collections::HashMap;

use serde::Deserialize;

use super::SbomError;
use super::graph::{Edge, EdgeKind, Graph, Package, Source, pieces};

#[derive(Debug, Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    name: String,
    version: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    checksum: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

/// Reads a Cargo.lock; `path` names it in errors; `root` is the package of the repository's own
/// Cargo.toml (none for a virtual workspace).
pub(crate) fn read(path: &str, text: &str, root: Option<&str>) -> Result<Graph, SbomError> {
    let bad = |message: String| SbomError::Lock { path: path.to_owned(), message };
    // Each `[[package]]` parsed on its own: a whole document's tree is about 70 times the text.
    let mut entries = Vec::new();
    for piece in pieces(text) {
        let lock: Lock = toml::from_str(piece).map_err(|e| bad(e.to_string().trim_end().to_owned()))?;
        entries.extend(lock.package);
    }
    if entries.is_empty() {
        return Err(bad("no [[package]] entries".to_owned()));
    }
    let mut graph = Graph::default();
    for entry in &entries {
        let source = match &entry.source {
            None => Source::Workspace,
            Some(s) if s.starts_with("registry+") || s.starts_with("sparse+") => {
                Source::Registry(s.split_once('+').map_or(s.as_str(), |(_, url)| url).to_owned())
            }
            Some(s) if s.starts_with("git+") => {
                let url = s.trim_start_matches("git+");
                let (url, commit) = match url.split_once('#') {
                    Some((u, c)) => (u, Some(c.to_owned())),
                    None => (url, None),
                };
                Source::Git { url: url.split_once('?').map_or(url, |(u, _)| u).to_owned(), commit }
            }
            Some(s) => Source::Path(s.clone()),
        };
        let mut hashes = Vec::new();
        if let Some(sum) = &entry.checksum {
            if sum.len() != 64 || !sum.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(format!("package `{}`: checksum `{sum}` is not SHA-256 hex", entry.name)));
            }
            hashes.push(("SHA-256", sum.to_ascii_lowercase()));
        }
        graph.packages.push(Package {
            name: entry.name.clone(),
            version: entry.version.clone(),
            source,
            hashes,
            artifacts: Vec::new(),
        });
    }
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in graph.packages.iter().enumerate() {
        by_name.entry(p.name.as_str()).or_default().push(i);
    }
    let mut edges = Vec::new();
    for (from, entry) in entries.iter().enumerate() {
        for dep in &entry.dependencies {
            let to = find(&graph.packages, &by_name, dep).ok_or_else(|| {
                bad(format!("`{}` depends on `{dep}`, which the lock does not hold", entry.name))
            })?;
            edges.push(Edge { from, to, kind: EdgeKind::Normal, marker: None, extras: Box::default() });
        }
    }
    drop(by_name);
    graph.edges = edges;
    graph.members =
        (0..graph.packages.len()).filter(|&i| graph.packages[i].source == Source::Workspace).collect();
    graph.root = root.and_then(|r| graph.members.iter().copied().find(|&i| graph.packages[i].name == r));
    Ok(graph)
}

/// The package a Cargo.lock dependency names: `name`, `name version` or `name version (source)`.
fn find(packages: &[Package], by_name: &HashMap<&str, Vec<usize>>, dep: &str) -> Option<usize> {
    let mut parts = dep.splitn(3, ' ');
    let name = parts.next()?;
    let version = parts.next();
    by_name.get(name)?.iter().copied().find(|&i| version.is_none_or(|v| packages[i].version == v))
}
