//! Cargo.lock (versions 3 and 4): packages, their sources and checksums, and the dependency edges.
//! Cargo.lock does not say which edges are dev-dependencies, so every edge is a runtime one.

use toml_edit::Item;

use super::SbomError;
use super::graph::{Edge, EdgeKind, Graph, Package, Source};

/// Reads a Cargo.lock; `path` names it in errors; `root` is the package of the repository's own
/// Cargo.toml (none for a virtual workspace).
pub(crate) fn read(path: &str, text: &str, root: Option<&str>) -> Result<Graph, SbomError> {
    let bad = |message: String| SbomError::Lock { path: path.to_owned(), message };
    let doc = super::parse_lock(path, text)?;
    let entries = super::package_tables(path, doc.as_table())?;
    let mut graph = Graph::default();
    let mut deps = Vec::new();
    for (i, table) in entries.iter().enumerate() {
        let field = |key: &str| table.get(key).and_then(Item::as_str).map(str::to_owned);
        let name = field("name").ok_or_else(|| bad(format!("package {} has no name", i + 1)))?;
        let version = field("version").ok_or_else(|| bad(format!("package `{name}` has no version")))?;
        let source = match field("source") {
            None => Source::Workspace,
            Some(s) if s.starts_with("registry+") || s.starts_with("sparse+") => {
                Source::Registry(s.split_once('+').map_or(s.clone(), |(_, url)| url.to_owned()))
            }
            Some(s) if s.starts_with("git+") => {
                let url = s.trim_start_matches("git+");
                let (url, commit) = match url.split_once('#') {
                    Some((u, c)) => (u.to_owned(), Some(c.to_owned())),
                    None => (url.to_owned(), None),
                };
                Source::Git { url: url.split_once('?').map_or(url.clone(), |(u, _)| u.to_owned()), commit }
            }
            Some(s) => Source::Path(s),
        };
        let mut hashes = Vec::new();
        if let Some(sum) = field("checksum") {
            if sum.len() != 64 || !sum.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(format!("package `{name}`: checksum `{sum}` is not SHA-256 hex")));
            }
            hashes.push(("SHA-256", sum.to_ascii_lowercase()));
        }
        let list: Vec<String> = table
            .get("dependencies")
            .and_then(Item::as_array)
            .map(|a| a.iter().filter_map(|d| d.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        deps.push(list);
        graph.packages.push(Package { name, version, source, hashes, artifacts: Vec::new() });
    }
    for (from, list) in deps.iter().enumerate() {
        for dep in list {
            let to = find(&graph.packages, dep).ok_or_else(|| {
                bad(format!(
                    "`{}` depends on `{dep}`, which the lock does not hold",
                    graph.packages[from].name
                ))
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
