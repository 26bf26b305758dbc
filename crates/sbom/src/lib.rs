//! A CycloneDX SBOM of a project's locked dependencies, from uv.lock or Cargo.lock.
//!
//! Every locked package is a component with its purl and the hashes the lock records; the dependency
//! graph keeps the lock's edges, with markers, extras and development groups as properties. Packages
//! that only development groups pull in get `scope: excluded` (or are left out with
//! [`SbomOptions::no_dev`]); an extra of a dependency counts as runtime only when a runtime edge asks
//! for it, as `uv export --no-default-groups --all-extras` decides. Workspace members are components of their own; the project being released
//! is `metadata.component`.
//!
//! The output is deterministic: components and edges are sorted, the timestamp is
//! `SOURCE_DATE_EPOCH` (else HEAD's commit time), and the serial number is a UUID derived from the
//! content, so the same inputs give the same bytes.
//!
//! CycloneDX 1.5 and 1.6 are written with serde types of our own ([`model`]): `cyclonedx-bom` stops at
//! 1.5, and for the subset a lock file needs, one set of types serves both versions.

#![deny(missing_docs)]

mod cargo;
mod graph;
pub mod model;
mod uv;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use graph::{EdgeKind, Graph, Source};
use model::{Bom, Component, Dependency, ExternalReference, Hash, Metadata, Property, Tools};

/// The CycloneDX versions we write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Spec {
    /// CycloneDX 1.5.
    V1_5,
    /// CycloneDX 1.6.
    #[default]
    V1_6,
}

/// A CycloneDX version we do not write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a CycloneDX version we write: use 1.5 or 1.6")]
pub struct UnknownSpec(pub String);

impl std::str::FromStr for Spec {
    type Err = UnknownSpec;
    fn from_str(text: &str) -> Result<Spec, UnknownSpec> {
        match text {
            "1.5" => Ok(Spec::V1_5),
            "1.6" => Ok(Spec::V1_6),
            _ => Err(UnknownSpec(text.to_owned())),
        }
    }
}

impl Spec {
    fn as_str(self) -> &'static str {
        match self {
            Spec::V1_5 => "1.5",
            Spec::V1_6 => "1.6",
        }
    }
}

/// What to describe.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SbomOptions {
    /// The repository.
    pub repo: PathBuf,
    /// The lock file, relative to the repository: default `uv.lock`, else `Cargo.lock`.
    pub lock: Option<PathBuf>,
    /// The CycloneDX version.
    pub spec: Spec,
    /// Leave out packages that only development groups pull in.
    pub no_dev: bool,
    /// Seconds since the epoch for `metadata.timestamp`; `None` reads `SOURCE_DATE_EPOCH`, else HEAD's
    /// commit time.
    pub timestamp: Option<i64>,
}

impl SbomOptions {
    /// An SBOM of the repository at `repo`.
    pub fn new(repo: impl Into<PathBuf>) -> SbomOptions {
        SbomOptions { repo: repo.into(), ..SbomOptions::default() }
    }
}

/// Why no SBOM could be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SbomError {
    /// A file could not be read.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// The lock file is not one we can read.
    #[error("{path}: {message}")]
    Lock {
        /// The lock file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// No lock file, or no time for the timestamp.
    #[error("{0}")]
    Input(String),
    /// The BOM failed our own checks (a bug, reported rather than written).
    #[error("the SBOM is inconsistent: {0}")]
    Invalid(String),
}

/// Makes the SBOM.
pub fn sbom(options: &SbomOptions) -> Result<Bom, SbomError> {
    sbom_json(options).map(|(bom, _)| bom)
}

/// Makes the SBOM, and its JSON ([`to_json`]'s bytes), serialized once.
pub fn sbom_json(options: &SbomOptions) -> Result<(Bom, String), SbomError> {
    let repo = &options.repo;
    let lock = match &options.lock {
        Some(lock) => lock.clone(),
        None if repo.join("uv.lock").is_file() => PathBuf::from("uv.lock"),
        None if repo.join("Cargo.lock").is_file() => PathBuf::from("Cargo.lock"),
        None => {
            return Err(SbomError::Input(format!(
                "{}: no uv.lock or Cargo.lock (name one with --lock)",
                repo.display()
            )));
        }
    };
    let path = repo.join(&lock);
    let text = read_lock(&path)?;
    let shown = lock.display().to_string();
    let is_cargo = lock.file_name().is_some_and(|n| n == "Cargo.lock");
    let (graph, ecosystem) = if is_cargo {
        (cargo::read(&shown, &text, cargo_root(repo).as_deref())?, Ecosystem::Cargo)
    } else {
        (uv::read(&shown, &text, python_name(repo).as_deref())?, Ecosystem::Python)
    };
    let timestamp = match options.timestamp {
        Some(t) => t,
        None => {
            timestamp(repo, tagwright_fs::source_date_epoch().map_err(|e| SbomError::Input(e.to_string()))?)?
        }
    };
    let mut bom = build(&graph, ecosystem, repo, options, timestamp)?;
    // The serial number is a hash of the JSON with a placeholder in its place, so that the JSON is
    // written once: the placeholder is then replaced by the serial number, which has its length.
    bom.serial_number = PLACEHOLDER.to_owned();
    let mut json = to_json(&bom);
    bom.serial_number = serial(json.as_bytes());
    if let Some(at) = json.find(PLACEHOLDER) {
        json.replace_range(at..at + PLACEHOLDER.len(), &bom.serial_number);
    }
    Ok((bom, json))
}

/// The largest lock file read: 64 MiB (uv's and Cargo's locks of large workspaces are a few MiB).
pub const MAX_LOCK: u64 = 64 << 20;

/// The lock's text, at most [`MAX_LOCK`] bytes.
fn read_lock(path: &Path) -> Result<String, SbomError> {
    use std::io::Read as _;
    let io = |source| SbomError::Io { path: path.to_path_buf(), source };
    let mut text = String::new();
    std::fs::File::open(path).map_err(io)?.take(MAX_LOCK + 1).read_to_string(&mut text).map_err(io)?;
    if text.len() as u64 > MAX_LOCK {
        return Err(SbomError::Lock {
            path: path.display().to_string(),
            message: format!("larger than {} MiB, the most an SBOM is made from", MAX_LOCK >> 20),
        });
    }
    Ok(text)
}

/// What the serial number is computed over in its place.
const PLACEHOLDER: &str = "urn:uuid:00000000-0000-8000-8000-000000000000";

/// Writes the BOM as pretty JSON with a final newline.
pub fn to_json(bom: &Bom) -> String {
    let mut text = serde_json::to_string_pretty(bom).unwrap_or_default();
    text.push('\n');
    text
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ecosystem {
    Python,
    Cargo,
}

fn build(
    graph: &Graph,
    ecosystem: Ecosystem,
    repo: &Path,
    options: &SbomOptions,
    timestamp: i64,
) -> Result<Bom, SbomError> {
    let runtime = graph.runtime();
    let included: Vec<bool> = runtime.iter().map(|&r| r || !options.no_dev).collect();
    let refs = bom_refs(graph, ecosystem);
    // By index, while the edges are walked: each package's references and properties are written
    // once, when its component is.
    let mut markers: BTreeMap<usize, BTreeSet<graph::Label>> = BTreeMap::new();
    let mut through: BTreeMap<usize, BTreeSet<(EdgeKind, usize)>> = BTreeMap::new();
    let mut depends: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    let property = |name: &str, value: String| Property { name: name.to_owned(), value };
    for edge in &graph.edges {
        if !(included[edge.from] && included[edge.to])
            || (options.no_dev && matches!(edge.kind, EdgeKind::Dev(_)))
        {
            continue;
        }
        depends.entry(edge.from).or_default().insert(edge.to);
        if let Some(marker) = edge.marker {
            markers.entry(edge.to).or_default().insert(marker);
        }
        if edge.kind != EdgeKind::Normal {
            through.entry(edge.to).or_default().insert((edge.kind, edge.from));
        }
    }
    let mut properties: BTreeMap<usize, BTreeSet<Property>> = BTreeMap::new();
    for (to, labels) in markers {
        let target = properties.entry(to).or_default();
        target.extend(labels.into_iter().map(|m| property("uv:package:marker", graph.text(m).to_owned())));
    }
    for (to, kinds) in through {
        let target = properties.entry(to).or_default();
        for (kind, from) in kinds {
            let from = &graph.packages[from].name;
            target.insert(match kind {
                EdgeKind::Extra(extra) => {
                    property("uv:package:extra", format!("{from}[{}]", graph.text(extra)))
                }
                EdgeKind::Dev(group) => property("uv:package:group", format!("{from}:{}", graph.text(group))),
                EdgeKind::Normal => continue,
            });
        }
    }
    let depends_on = |targets: BTreeSet<usize>| -> Vec<String> {
        let mut names: Vec<String> = targets.into_iter().map(|t| refs[t].clone()).collect();
        names.sort();
        names
    };
    let root = graph.root;
    let mut components = Vec::new();
    for i in 0..graph.packages.len() {
        if !included[i] || Some(i) == root {
            continue;
        }
        let mut component = component(graph, i, ecosystem, &refs[i], "library");
        component.scope = (!runtime[i]).then_some("excluded");
        component.properties.extend(properties.remove(&i).unwrap_or_default());
        if graph.members.contains(&i) {
            component.properties.push(property("tagwright:workspace:member", "true".to_owned()));
        }
        components.push(component);
    }
    components.sort_by(|a, b| (&a.name, &a.version, &a.bom_ref).cmp(&(&b.name, &b.version, &b.bom_ref)));
    let root_component = match root {
        Some(i) => component(graph, i, ecosystem, &refs[i], "application"),
        None => virtual_root(graph, repo, &refs),
    };
    let root_ref = root_component.bom_ref.clone().unwrap_or_default();
    let mut dependencies = vec![Dependency {
        reference: root_ref.clone(),
        depends_on: match root {
            Some(i) => depends_on(depends.remove(&i).unwrap_or_default()),
            // A virtual workspace depends on its members.
            None => graph.members.iter().map(|&m| refs[m].clone()).collect(),
        },
    }];
    let index: BTreeMap<&str, usize> = refs.iter().enumerate().map(|(i, r)| (r.as_str(), i)).collect();
    for component in &components {
        let reference = component.bom_ref.clone().unwrap_or_default();
        let i = index.get(reference.as_str()).copied().unwrap_or_default();
        dependencies
            .push(Dependency { reference, depends_on: depends_on(depends.remove(&i).unwrap_or_default()) });
    }
    let tool = Component {
        kind: "application",
        bom_ref: None,
        name: "tagwright".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        scope: None,
        hashes: Vec::new(),
        purl: None,
        external_references: Vec::new(),
        properties: Vec::new(),
    };
    let spec = options.spec.as_str();
    let bom = Bom {
        schema: format!("http://cyclonedx.org/schema/bom-{spec}.schema.json"),
        bom_format: "CycloneDX",
        spec_version: spec.to_owned(),
        serial_number: String::new(),
        version: 1,
        metadata: Metadata {
            timestamp: rfc3339(timestamp),
            tools: Tools { components: vec![tool] },
            component: root_component,
        },
        components,
        dependencies,
    };
    check(&bom)?;
    Ok(bom)
}

/// Each package's `bom-ref`: its purl, else `name@version`; made unique with `#N` where the lock holds
/// the same name and version twice (from two sources).
fn bom_refs(graph: &Graph, ecosystem: Ecosystem) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    graph
        .packages
        .iter()
        .map(|p| {
            let base = purl(p, ecosystem).unwrap_or_else(|| format!("{}@{}", p.name, p.version));
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            if *n == 1 { base } else { format!("{base}#{n}") }
        })
        .collect()
}

fn component(graph: &Graph, i: usize, ecosystem: Ecosystem, bom_ref: &str, kind: &'static str) -> Component {
    let p = &graph.packages[i];
    let hash = |(alg, content): &(&'static str, String)| Hash { alg, content: content.clone() };
    let mut external_references: Vec<ExternalReference> = p
        .artifacts
        .iter()
        .map(|a| ExternalReference {
            kind: "distribution",
            url: a.url.clone(),
            hashes: a.hash.iter().map(hash).collect(),
        })
        .collect();
    let mut properties = Vec::new();
    match &p.source {
        Source::Git { url, .. } => {
            external_references.push(ExternalReference { kind: "vcs", url: url.clone(), hashes: Vec::new() })
        }
        Source::Path(path) => {
            properties.push(Property { name: "tagwright:source".to_owned(), value: path.clone() })
        }
        Source::Registry(_) | Source::Workspace => {}
    }
    Component {
        kind,
        bom_ref: Some(bom_ref.to_owned()),
        name: p.name.clone(),
        version: p.version.clone(),
        scope: None,
        hashes: p.hashes.iter().map(hash).collect(),
        purl: purl(p, ecosystem),
        external_references,
        properties,
    }
}

/// A Cargo virtual workspace has no root package: the project is the repository, at the version its
/// members share (the first member's).
fn virtual_root(graph: &Graph, repo: &Path, refs: &[String]) -> Component {
    let name = repo
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "project".to_owned());
    let version = graph.members.first().map(|&m| graph.packages[m].version.clone()).unwrap_or_default();
    let bom_ref = format!("{name}@{version}");
    let bom_ref = if refs.contains(&bom_ref) { format!("{bom_ref}#workspace") } else { bom_ref };
    Component {
        kind: "application",
        bom_ref: Some(bom_ref),
        name,
        version,
        scope: None,
        hashes: Vec::new(),
        purl: None,
        external_references: Vec::new(),
        properties: vec![Property { name: "tagwright:source".to_owned(), value: "workspace:.".to_owned() }],
    }
}

/// The package URL (purl spec): `pkg:pypi/NAME@VERSION` (names normalised) or `pkg:cargo/NAME@VERSION`,
/// with `vcs_url` for git sources and `repository_url` for another index. Path sources have none:
/// they are marked by a `tagwright:source` property instead.
fn purl(p: &graph::Package, ecosystem: Ecosystem) -> Option<String> {
    let (kind, name) = match ecosystem {
        Ecosystem::Python => ("pypi", p.name.to_ascii_lowercase().replace(['_', '.'], "-")),
        Ecosystem::Cargo => ("cargo", p.name.clone()),
    };
    let base = format!("pkg:{kind}/{}@{}", encode(&name), encode(&p.version));
    match &p.source {
        Source::Registry(url) if is_default_registry(url) => Some(base),
        Source::Registry(url) => Some(format!("{base}?repository_url={}", encode(url))),
        Source::Git { url, commit } => {
            let at = commit.as_deref().map(|c| format!("@{c}")).unwrap_or_default();
            Some(format!("{base}?vcs_url={}", encode(&format!("git+{url}{at}"))))
        }
        Source::Path(_) | Source::Workspace => None,
    }
}

fn is_default_registry(url: &str) -> bool {
    matches!(
        url.trim_end_matches('/'),
        "https://pypi.org/simple"
            | "https://github.com/rust-lang/crates.io-index"
            | "https://index.crates.io"
    )
}

/// Percent-encodes what a purl segment or qualifier value may not hold.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The checks the schema does not make: every `bom-ref` unique, and every `ref` and `dependsOn` naming
/// a component.
fn check(bom: &Bom) -> Result<(), SbomError> {
    let mut refs = BTreeSet::new();
    for c in std::iter::once(&bom.metadata.component).chain(&bom.components) {
        let r = c.bom_ref.as_deref().unwrap_or_default();
        if !refs.insert(r) {
            return Err(SbomError::Invalid(format!("the bom-ref `{r}` is used twice")));
        }
    }
    for d in &bom.dependencies {
        for r in std::iter::once(&d.reference).chain(&d.depends_on) {
            if !refs.contains(r.as_str()) {
                return Err(SbomError::Invalid(format!(
                    "the dependency graph names `{r}`, which no component has"
                )));
            }
        }
    }
    Ok(())
}

/// `urn:uuid:` of a UUID derived from the content (RFC 9562 version 8: the SHA-256 of the BOM's JSON
/// with [`PLACEHOLDER`] as its serial number), so that the same content has the same serial number.
fn serial(json: &[u8]) -> String {
    let digest = Sha256::digest(json);
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("urn:uuid:{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// `SOURCE_DATE_EPOCH` (`epoch`), else the commit time of HEAD.
fn timestamp(repo: &Path, epoch: Option<u64>) -> Result<i64, SbomError> {
    if let Some(epoch) = epoch {
        return i64::try_from(epoch)
            .map_err(|_| SbomError::Input(format!("SOURCE_DATE_EPOCH={epoch} is too far in the future")));
    }
    let head = git2::Repository::discover(repo)
        .and_then(|r| r.head().and_then(|h| h.peel_to_commit()).map(|c| c.time().seconds()));
    head.map_err(|e| {
        SbomError::Input(format!(
            "{}: no SOURCE_DATE_EPOCH, and no HEAD commit to take the time from ({})",
            repo.display(),
            e.message()
        ))
    })
}

fn rfc3339(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

/// The project's name in pyproject.toml, normalised as uv.lock spells it.
fn python_name(repo: &Path) -> Option<String> {
    let text = std::fs::read_to_string(repo.join("pyproject.toml")).ok()?;
    let doc: toml::Table = toml::from_str(&text).ok()?;
    let name = doc.get("project")?.get("name")?.as_str()?;
    Some(normalize(name))
}

/// PEP 503: lowercase, runs of `-`, `_` and `.` as one `-`.
fn normalize(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The package of the repository's own Cargo.toml; `None` for a virtual workspace.
fn cargo_root(repo: &Path) -> Option<String> {
    let text = std::fs::read_to_string(repo.join("Cargo.toml")).ok()?;
    let doc: toml::Table = toml::from_str(&text).ok()?;
    Some(doc.get("package")?.get("name")?.as_str()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(text: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("uv.lock"), text).expect("write");
        dir
    }

    const LOCK: &str = "version = 1\n\n[[package]]\nname = \"app\"\nversion = \"1.0.0\"\nsource = { editable = \".\" }\ndependencies = [{ name = \"Lib_X\" }]\n\n[[package]]\nname = \"Lib_X\"\nversion = \"2.0+local\"\nsource = { registry = \"https://pypi.org/simple\" }\n";

    #[test]
    fn purls_are_normalised_and_encoded() {
        let dir = lock(LOCK);
        let mut options = SbomOptions::new(dir.path());
        options.timestamp = Some(0);
        let bom = sbom(&options).expect("sbom");
        assert_eq!(bom.components[0].purl.as_deref(), Some("pkg:pypi/lib-x@2.0%2Blocal"));
        assert_eq!(bom.metadata.timestamp, "1970-01-01T00:00:00Z");
        assert!(bom.serial_number.starts_with("urn:uuid:") && bom.serial_number.as_bytes()[23] == b'8');
    }

    #[test]
    fn duplicate_and_dangling_refs_are_caught_before_writing() {
        let dir = lock(LOCK);
        let mut options = SbomOptions::new(dir.path());
        options.timestamp = Some(0);
        let mut bom = sbom(&options).expect("sbom");
        let mut twice = bom.clone();
        twice.components.push(twice.components[0].clone());
        assert!(check(&twice).expect_err("duplicate").to_string().contains("is used twice"));
        bom.dependencies[0].depends_on.push("pkg:pypi/ghost@1".to_owned());
        assert!(
            check(&bom)
                .expect_err("dangling")
                .to_string()
                .contains("`pkg:pypi/ghost@1`, which no component has")
        );
    }

    #[test]
    fn the_timestamp_is_heads_commit_time_without_source_date_epoch() {
        let dir = lock(LOCK);
        let repo = git2::Repository::init(dir.path()).expect("init");
        let tree =
            repo.treebuilder(None).and_then(|b| b.write()).and_then(|t| repo.find_tree(t)).expect("tree");
        let when = git2::Signature::new("Rel Eng", "rel@example.com", &git2::Time::new(1_767_261_600, 0))
            .expect("sig");
        repo.commit(Some("HEAD"), &when, &when, "init", &tree, &[]).expect("commit");
        assert_eq!(timestamp(dir.path(), None).map(rfc3339).expect("HEAD's time"), "2026-01-01T10:00:00Z");
        assert_eq!(timestamp(dir.path(), Some(5)).expect("epoch"), 5);
        assert!(timestamp(dir.path(), Some(u64::MAX)).is_err());
        let empty = tempfile::tempdir().expect("tempdir");
        let err = timestamp(empty.path(), None).expect_err("no HEAD").to_string();
        assert!(err.contains("no SOURCE_DATE_EPOCH, and no HEAD commit"), "{err}");
    }
}
