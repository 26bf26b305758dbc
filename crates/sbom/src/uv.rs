//! uv.lock (version 1): packages, their sources and files, and the edges of the resolution: runtime
//! dependencies, extras (`[package.optional-dependencies]`) and development groups
//! (`[package.dev-dependencies]`), each with its marker.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::SbomError;
use super::graph::{Artifact, Edge, EdgeKind, Graph, Label, Package, Source, pieces};

#[derive(Debug, Deserialize)]
struct Lock {
    #[serde(default)]
    manifest: Option<Manifest>,
    #[serde(default)]
    package: Vec<Entry>,
}

#[derive(Debug, Default, Deserialize)]
struct Manifest {
    #[serde(default)]
    members: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    name: String,
    /// A virtual workspace root has none.
    #[serde(default)]
    version: String,
    source: BTreeMap<String, String>,
    #[serde(default)]
    dependencies: Vec<Dep>,
    #[serde(default, rename = "optional-dependencies")]
    extras: BTreeMap<String, Vec<Dep>>,
    #[serde(default, rename = "dev-dependencies")]
    groups: BTreeMap<String, Vec<Dep>>,
    #[serde(default)]
    sdist: Option<File>,
    #[serde(default)]
    wheels: Vec<File>,
}

#[derive(Debug, Deserialize)]
struct Dep {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    source: Option<BTreeMap<String, String>>,
    #[serde(default)]
    marker: Option<String>,
    /// The extras of the dependency this edge asks for.
    #[serde(default)]
    extra: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct File {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    hash: Option<String>,
}

/// A dependency as read, before the package it names is found (all packages must be read first).
struct Pending {
    from: usize,
    kind: EdgeKind,
    name: Label,
    version: Option<Label>,
    source: Option<Box<Source>>,
    marker: Option<Label>,
    extras: Box<[Label]>,
}

/// Reads a uv.lock; `path` names it in errors, `root_name` is the project's (normalised) name. Each
/// `[[package]]` is parsed on its own ([`pieces`]) and its dependencies kept as labels, so that memory
/// stays a small multiple of the lock's size however dense its graph.
pub(crate) fn read(path: &str, text: &str, root_name: Option<&str>) -> Result<Graph, SbomError> {
    let bad = |message: String| SbomError::Lock { path: path.to_owned(), message };
    let mut graph = Graph::default();
    let mut manifest: Option<Manifest> = None;
    let mut pending: Vec<Pending> = Vec::new();
    for piece in pieces(text) {
        let lock: Lock = toml::from_str(piece).map_err(|e| bad(e.to_string().trim_end().to_owned()))?;
        if let Some(found) = lock.manifest {
            if manifest.is_some() {
                return Err(bad("[manifest] appears twice".to_owned()));
            }
            manifest = Some(found);
        }
        for entry in lock.package {
            let from = graph.packages.len();
            let mut lists = vec![(EdgeKind::Normal, entry.dependencies)];
            for (extra, deps) in entry.extras {
                lists.push((EdgeKind::Extra(graph.label(&extra)), deps));
            }
            for (group, deps) in entry.groups {
                lists.push((EdgeKind::Dev(graph.label(&group)), deps));
            }
            for (kind, deps) in lists {
                for dep in deps {
                    pending.push(Pending {
                        from,
                        kind,
                        name: graph.label(&dep.name),
                        version: dep.version.as_deref().map(|v| graph.label(v)),
                        source: dep.source.as_ref().map(|s| Box::new(source_of(s))),
                        marker: dep.marker.as_deref().map(|m| graph.label(m)),
                        extras: dep.extra.iter().map(|x| graph.label(x)).collect(),
                    });
                }
            }
            let artifacts = entry.sdist.iter().chain(&entry.wheels).filter_map(artifact).collect();
            graph.packages.push(Package {
                name: entry.name,
                version: entry.version,
                source: source_of(&entry.source),
                hashes: Vec::new(),
                artifacts,
            });
        }
    }
    if graph.packages.is_empty() {
        return Err(bad("no [[package]] entries".to_owned()));
    }
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in graph.packages.iter().enumerate() {
        by_name.entry(p.name.as_str()).or_default().push(i);
    }
    let mut edges = Vec::with_capacity(pending.len());
    for dep in pending {
        let to = find(&graph, &by_name, &dep).ok_or_else(|| {
            bad(format!(
                "`{}` depends on `{}`, which the lock does not hold",
                graph.packages[dep.from].name,
                graph.text(dep.name)
            ))
        })?;
        edges.push(Edge { from: dep.from, to, kind: dep.kind, marker: dep.marker, extras: dep.extras });
    }
    drop(by_name);
    graph.edges = edges;
    let listed = manifest.unwrap_or_default().members;
    graph.members = members(&graph, &listed, root_name);
    if graph.members.is_empty() {
        return Err(bad("no package is the project: no editable, virtual or workspace source".to_owned()));
    }
    graph.root = graph.members.first().copied();
    Ok(graph)
}

/// The workspace members: `[manifest] members`, else every editable or virtual package; the one named
/// `root_name` (or the one at `.`) first.
fn members(graph: &Graph, listed: &[String], root_name: Option<&str>) -> Vec<usize> {
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

fn source_of(source: &BTreeMap<String, String>) -> Source {
    if let Some(url) = source.get("registry") {
        return Source::Registry(url.clone());
    }
    if let Some(url) = source.get("git") {
        // `https://host/repo?rev=…#<commit>`: the fragment is the resolved commit.
        let (url, commit) = match url.split_once('#') {
            Some((url, commit)) => (url, Some(commit.to_owned())),
            None => (url.as_str(), None),
        };
        let url = url.split_once('?').map_or(url, |(u, _)| u).to_owned();
        return Source::Git { url, commit };
    }
    for kind in ["editable", "virtual", "directory", "path", "url"] {
        if let Some(path) = source.get(kind) {
            return Source::Path(format!("{kind}:{path}"));
        }
    }
    Source::Workspace
}

fn artifact(file: &File) -> Option<Artifact> {
    let url = file.url.as_ref().or(file.path.as_ref())?;
    let hash = file.hash.as_deref().and_then(|h| {
        let (alg, hex) = h.split_once(':')?;
        let alg = match alg {
            "sha256" => "SHA-256",
            "sha384" => "SHA-384",
            "sha512" => "SHA-512",
            _ => return None,
        };
        hex.bytes().all(|b| b.is_ascii_hexdigit()).then(|| (alg, hex.to_ascii_lowercase()))
    });
    Some(Artifact { url: url.clone(), hash })
}

/// The package a dependency entry names: by name, then (when the lock holds several versions of it)
/// by version and source.
fn find(graph: &Graph, by_name: &HashMap<&str, Vec<usize>>, dep: &Pending) -> Option<usize> {
    let candidates = by_name.get(graph.text(dep.name))?;
    if candidates.len() <= 1 {
        return candidates.first().copied();
    }
    candidates.iter().copied().find(|&i| {
        let package = &graph.packages[i];
        dep.version.is_none_or(|v| package.version == graph.text(v))
            && dep.source.as_deref().is_none_or(|s| &package.source == s)
    })
}
