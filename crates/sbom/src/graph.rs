//! What an SBOM is built from: the locked packages and the edges between them, whichever lock file
//! they came from.
//!
//! The graph is kept small, because a lock can hold millions of edges: an edge is indices (of its
//! packages, and of its extra, group and marker in [`Graph::labels`]), never copies of their text.

use std::collections::{HashMap, HashSet};

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

/// An index into [`Graph::labels`].
pub(crate) type Label = u32;

/// Why an edge exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum EdgeKind {
    /// A runtime dependency.
    Normal,
    /// Through an extra of the dependent (`[project.optional-dependencies]`).
    Extra(Label),
    /// Through a development group of the dependent (`[dependency-groups]`).
    Dev(Label),
}

/// `from` depends on `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edge {
    pub(crate) from: usize,
    pub(crate) to: usize,
    pub(crate) kind: EdgeKind,
    /// The environment marker the lock records for the edge.
    pub(crate) marker: Option<Label>,
    /// The extras of `to` the edge asks for (uv's `extra = [...]`).
    pub(crate) extras: Box<[Label]>,
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
    /// Extra and group names and markers, each once.
    pub(crate) labels: Vec<String>,
    interned: HashMap<String, Label>,
}

impl Graph {
    /// The label of `text`, added once.
    pub(crate) fn label(&mut self, text: &str) -> Label {
        if let Some(&label) = self.interned.get(text) {
            return label;
        }
        let label = Label::try_from(self.labels.len()).unwrap_or(Label::MAX);
        self.labels.push(text.to_owned());
        self.interned.insert(text.to_owned(), label);
        label
    }

    /// The text of `label`.
    pub(crate) fn text(&self, label: Label) -> &str {
        self.labels.get(label as usize).map_or("", String::as_str)
    }

    /// Which packages a runtime install holds, as `uv export --no-default-groups --all-extras` lists
    /// them: from every extra of the members, through runtime edges and the extras edges ask for. A
    /// package's extra counts only when an edge that counts asks for it (an extra that only a
    /// development group asks for is not runtime), and development groups never count.
    pub(crate) fn runtime(&self) -> Vec<bool> {
        let mut out: Vec<Vec<usize>> = vec![Vec::new(); self.packages.len()];
        for (i, edge) in self.edges.iter().enumerate() {
            out[edge.from].push(i);
        }
        // A node is a package's runtime dependencies (`None`) or one of its extras.
        let mut seen: HashSet<(usize, Option<Label>)> = HashSet::new();
        let mut stack: Vec<(usize, Option<Label>)> = Vec::new();
        for &member in &self.members {
            stack.push((member, None));
            for &i in &out[member] {
                if let EdgeKind::Extra(extra) = self.edges[i].kind {
                    stack.push((member, Some(extra)));
                }
            }
        }
        let mut reached = vec![false; self.packages.len()];
        while let Some(node) = stack.pop() {
            if !seen.insert(node) {
                continue;
            }
            let (package, extra) = node;
            reached[package] = true;
            for edge in out[package].iter().map(|&i| &self.edges[i]) {
                let follows = match (edge.kind, extra) {
                    (EdgeKind::Normal, None) => true,
                    (EdgeKind::Extra(e), Some(wanted)) => e == wanted,
                    _ => false,
                };
                if follows {
                    stack.push((edge.to, None));
                    stack.extend(edge.extras.iter().map(|&x| (edge.to, Some(x))));
                }
            }
        }
        reached
    }
}

/// `text` cut before each `[[package]]` header line, so that each piece parses on its own: a TOML
/// parser holds a whole document's tree, about 70 times the text, and a lock's packages are read one
/// at a time instead. A header inside a multi-line string makes a piece that does not parse, never one
/// that parses differently.
pub(crate) fn pieces(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut at = 0;
        let mut cut = rest.len();
        for line in rest.split_inclusive('\n') {
            if at > 0 && line.trim_end() == "[[package]]" {
                cut = at;
                break;
            }
            at += line.len();
        }
        let (piece, tail) = rest.split_at(cut);
        rest = tail;
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_is_cut_before_each_package() {
        let text = "version = 1\n[[package]]\nname = \"a\"\n[package.x]\n[[package]]\r\nname = \"b\"\n";
        let cut: Vec<&str> = pieces(text).collect();
        assert_eq!(
            cut,
            ["version = 1\n", "[[package]]\nname = \"a\"\n[package.x]\n", "[[package]]\r\nname = \"b\"\n"]
        );
        assert_eq!(pieces("[[package]]\n").collect::<Vec<_>>(), ["[[package]]\n"]);
        assert_eq!(pieces("").count(), 0);
    }
}
