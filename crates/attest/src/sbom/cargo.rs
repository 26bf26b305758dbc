//! Cargo.lock (versions 3 and 4): packages, their sources and checksums, and the dependency edges.
//! Cargo.lock does not say which edges are dev-dependencies, so every edge is a runtime one.

use serde::Deserialize;

use super::SbomError;
use super::graph::{Edge, EdgeKind, Graph, Package, Source};

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
    let lock: Lock = toml::from_str(text).map_err(|e| bad(e.to_string().trim_end().to_owned()))?;
    if lock.package.is_empty() {
        return Err(bad("no [[package]] entries".to_owned()));
    }
    let mut graph = Graph::default();
    for entry in &lock.package {
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
    for (from, entry) in lock.package.iter().enumerate() {
        for dep in &entry.dependencies {
            let to = find(&graph.packages, dep).ok_or_else(|| {
                bad(format!("`{}` depends on `{dep}`, which the lock does not hold", entry.name))
            })?;
            graph.edges.push(Edge { from, to, kind: EdgeKind::Normal, marker: None });
        }
    }
    graph.members =
        (0..graph.packages.len()).filter(|&i| graph.packages[i].source == Source::Workspace).collect();
    graph.root = root.and_then(|r| graph.members.iter().copied().find(|&i| graph.packages[i].name == r));
    Ok(graph)
}

/// The package a Cargo.lock dependency names: `name`, `name version` or `name version (source)`.
fn find(packages: &[Package], dep: &str) -> Option<usize> {
    let mut parts = dep.splitn(3, ' ');
    let name = parts.next()?;
    let version = parts.next();
    packages.iter().position(|p| p.name == name && version.is_none_or(|v| p.version == v))
}
