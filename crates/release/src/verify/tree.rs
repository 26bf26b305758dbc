//! A tag's tree as [`tagwright_versions::Files`]: version sources read straight from git's object
//! database ([`GitTree`]), or through GitHub's API (`super::remote::ApiTree`), never written anywhere.
//!
//! The tree is hostile (anyone can write a tree object with entries named `..`, `/etc/passwd` or
//! `a/b`): only plain names are ever looked up or listed, symlinks are followed only while they stay
//! inside the tree (at most 16 of them), and a blob is read only when it is at most [`MAX_SOURCE`]
//! bytes, its size known first. [`InTree`] does that for any tree that can say what a path is
//! ([`Nodes`]).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use git2::{Oid, Repository, Tree};
use tagwright_versions::{Files, ReadError};

/// The largest version source read from a tag: 64 MiB.
pub(crate) const MAX_SOURCE: usize = 64 << 20;
/// The most symlinks followed for one path.
const MAX_LINKS: usize = 16;
/// The longest symlink target read.
pub(crate) const MAX_LINK: usize = 4096;

/// What an entry of a tree is, by its git mode.
pub(crate) enum Kind {
    /// `040000`.
    Dir,
    /// `100644` or `100755`.
    File,
    /// `120000`.
    Link,
    /// A submodule, or a mode git does not write.
    Other,
}

impl Kind {
    pub(crate) fn of_mode(mode: u32) -> Kind {
        match mode {
            0o040000 => Kind::Dir,
            0o100644 | 0o100755 => Kind::File,
            0o120000 => Kind::Link,
            _ => Kind::Other,
        }
    }
}

/// A tree whose entries can be looked up by path (plain components from its root).
pub(crate) trait Nodes {
    /// How a blob is named.
    type Id: Clone;
    /// The entry at `path` (never empty), if there is one.
    fn entry(&self, path: &[String]) -> Option<(Kind, Self::Id)>;
    /// The bytes of the blob `id`, when it is at most `cap` bytes (`shown` names it in errors).
    fn blob(&self, id: &Self::Id, cap: usize, shown: &Path) -> Result<Vec<u8>, ReadError>;
    /// The plain names in the directory at `path` (the root when empty).
    fn children(&self, path: &[String]) -> Vec<String>;
}

pub(crate) fn is_plain(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

pub(crate) fn io_error(path: &Path, message: impl Into<String>) -> ReadError {
    ReadError::Io { path: path.display().to_string(), source: std::io::Error::other(message.into()) }
}

/// What a path leads to.
enum Found<Id> {
    File { id: Id, path: Vec<String> },
    Dir(Vec<String>),
}

/// A [`Nodes`] tree as [`Files`].
pub(crate) struct InTree<N>(pub(crate) N);

impl<N: Nodes> InTree<N> {
    /// Where `path` leads, symlinks followed inside the tree.
    fn find(&self, path: &Path) -> Result<Found<N::Id>, ReadError> {
        let mut remaining: VecDeque<String> =
            path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        let mut names: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(name) = remaining.pop_front() {
            match name.as_str() {
                "" | "." => continue,
                ".." => {
                    names.pop().ok_or_else(|| io_error(path, "leads outside the tag's tree"))?;
                    continue;
                }
                _ if !is_plain(&name) => {
                    return Err(io_error(path, format!("`{name}` is not a plain path component")));
                }
                _ => {}
            }
            names.push(name);
            let Some((kind, id)) = self.0.entry(&names) else {
                return Err(ReadError::Io {
                    path: path.display().to_string(),
                    source: std::io::Error::from(std::io::ErrorKind::NotFound),
                });
            };
            match kind {
                Kind::Dir => {}
                Kind::Link => {
                    links += 1;
                    names.pop();
                    let target = String::from_utf8(self.0.blob(&id, MAX_LINK, path)?)
                        .map_err(|_| io_error(path, "a symlink that is not UTF-8"))?;
                    if links > MAX_LINKS || target.starts_with('/') {
                        return Err(io_error(
                            path,
                            format!("a symlink leads outside the tag's tree ({target})"),
                        ));
                    }
                    for part in target.split('/').rev() {
                        remaining.push_front(part.to_owned());
                    }
                }
                Kind::File => {
                    if remaining.iter().any(|n| !n.is_empty() && n != ".") {
                        return Err(io_error(
                            path,
                            format!("{} is a file, not a directory", names.join("/")),
                        ));
                    }
                    return Ok(Found::File { id, path: names });
                }
                Kind::Other => {
                    return Err(io_error(path, format!("{} is a submodule, not a file", names.join("/"))));
                }
            }
        }
        Ok(Found::Dir(names))
    }
}

impl<N: Nodes> Files for InTree<N> {
    fn read(&self, path: &Path) -> Result<(Vec<u8>, PathBuf), ReadError> {
        match self.find(path)? {
            Found::File { id, path: names } => {
                Ok((self.0.blob(&id, MAX_SOURCE, path)?, names.iter().collect()))
            }
            Found::Dir(_) => Err(io_error(path, "a directory, not a file")),
        }
    }

    fn is_file(&self, path: &Path) -> bool {
        matches!(self.find(path), Ok(Found::File { .. }))
    }

    fn exists(&self, path: &Path) -> bool {
        self.find(path).is_ok()
    }

    fn names(&self, dir: &Path) -> Vec<String> {
        match self.find(dir) {
            Ok(Found::Dir(names)) => self.0.children(&names),
            _ => Vec::new(),
        }
    }
}

/// A commit's tree, read through the object database.
pub(crate) struct GitTree<'r> {
    repo: &'r Repository,
    root: Tree<'r>,
}

impl<'r> GitTree<'r> {
    pub(crate) fn new(repo: &'r Repository, root: Tree<'r>) -> InTree<GitTree<'r>> {
        InTree(GitTree { repo, root })
    }

    /// The directory at `path`.
    fn dir(&self, path: &[String]) -> Option<Tree<'r>> {
        let mut tree = self.root.clone();
        for name in path {
            let id = tree.get_name(name).filter(|e| e.filemode() == 0o040000)?.id();
            tree = self.repo.find_tree(id).ok()?;
        }
        Some(tree)
    }
}

impl Nodes for GitTree<'_> {
    type Id = Oid;

    fn entry(&self, path: &[String]) -> Option<(Kind, Oid)> {
        let (name, parent) = path.split_last()?;
        let dir = self.dir(parent)?;
        let entry = dir.get_name(name)?;
        Some((Kind::of_mode(u32::try_from(entry.filemode()).unwrap_or(0)), entry.id()))
    }

    fn blob(&self, oid: &Oid, cap: usize, path: &Path) -> Result<Vec<u8>, ReadError> {
        let odb = self.repo.odb().map_err(|e| io_error(path, e.message()))?;
        let (size, _) = odb.read_header(*oid).map_err(|e| io_error(path, e.message()))?;
        if size > cap {
            return Err(io_error(path, format!("{size} bytes, more than the {cap} read")));
        }
        let blob = self.repo.find_blob(*oid).map_err(|e| io_error(path, e.message()))?;
        Ok(blob.content().to_vec())
    }

    fn children(&self, path: &[String]) -> Vec<String> {
        self.dir(path).map_or_else(Vec::new, |tree| {
            tree.iter().filter_map(|e| e.name().ok().filter(|n| is_plain(n)).map(str::to_owned)).collect()
        })
    }
}
