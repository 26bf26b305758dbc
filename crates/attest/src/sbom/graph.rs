//! What an SBOM is built from: the locked packages and the edges between them, whichever lock file
//! they came from.

/// Where a locked package comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// A package index (PyPI, crates.io, or another registry URL).
    Registry(String),
    /// A git repository at a commit.
    Git { url: String, commit: Option<String> },
    /// A directory or file in (or beside) the repository: a workspace member, an editable or a path
    /// dependency.
    Path(String),
    /// No source recorded (a Cargo workspace member).
    Workspace,
}

/// A file the lock records for a package (an sdist or a wheel), with its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Artifact {
    pub(crate) url: String,
    /// `(algorithm, lowercase hex)`, such as `("SHA-256", "ab…")`.
    pub(crate) hash: Option<(&'static str, String)>,
}

/// One locked package.
#[derive(Debug, Clone)]
pub(crate) struct Package {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) source: Source,
    /// The package's own hashes (Cargo's checksum).
    pub(crate) hashes: Vec<(&'static str, String)>,
    /// Its files (uv's sdist and wheels).
    pub(crate) artifacts: Vec<Artifact>,
}

/// Why an edge exists.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum EdgeKind {
    /// A runtime dependency.
    Normal,
    /// Through an extra of the dependent (`[project.optional-dependencies]`).
    Extra(String),
    /// Through a development group of the dependent (`[dependency-groups]`).
    Dev(String),
}

/// `from` depends on `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edge {
    pub(crate) from: usize,
    pub(crate) to: usize,
    pub(crate) kind: EdgeKind,
    /// The environment marker the lock records for the edge.
    pub(crate) marker: Option<String>,
}

/// The packages of one lock, the edges, and which of them are the project's own.
#[derive(Debug, Clone, Default)]
pub(crate) struct Graph {
    pub(crate) packages: Vec<Package>,
    pub(crate) edges: Vec<Edge>,
    /// The workspace members.
    pub(crate) members: Vec<usize>,
    /// The project being released, when it is a package of the lock (a Cargo virtual workspace has
    /// none).
    pub(crate) root: Option<usize>,
}

impl Graph {
    /// Which packages are reachable from the members through runtime and extra edges (`false`: only
    /// through development groups, or not at all).
    pub(crate) fn runtime(&self) -> Vec<bool> {
        let mut next: Vec<Vec<usize>> = vec![Vec::new(); self.packages.len()];
        for edge in self.edges.iter().filter(|e| !matches!(e.kind, EdgeKind::Dev(_))) {
            next[edge.from].push(edge.to);
        }
        let mut reached = vec![false; self.packages.len()];
        let mut stack: Vec<usize> = self.members.clone();
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut reached[i], true) {
                stack.extend(&next[i]);
            }
        }
        reached
    }
}
