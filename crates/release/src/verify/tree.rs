//! A tag's tree as [`tagwright_versions::Files`]: version sources read straight from git's object
//! database, never written anywhere.
//!
//! The tree is hostile (anyone can write a tree object with entries named `..`, `/etc/passwd` or
//! `a/b`): only plain names are ever looked up or listed, symlinks are followed only while they stay
//! inside the tree (at most 16 of them), and a blob is read only when it is at most
//! [`MAX_SOURCE`] bytes, its size taken from the object's header first.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use git2::{Oid, Repository, Tree};
use tagwright_versions::{Files, ReadError};

/// The largest version source read from a tag: 64 MiB.
pub(crate) const MAX_SOURCE: usize = 64 << 20;
/// The most symlinks followed for one path.
const MAX_LINKS: usize = 16;
/// The longest symlink target read.
const MAX_LINK: usize = 4096;

/// A commit's tree, read through the object database.
pub(crate) struct GitTree<'r> {
    repo: &'r Repository,
    root: Tree<'r>,
}

/// What a path leads to.
enum Found<'r> {
    File { oid: Oid, path: Vec<String> },
    Dir(Tree<'r>),
}

fn is_plain(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

fn io_error(path: &Path, message: impl Into<String>) -> ReadError {
    ReadError::Io { path: path.display().to_string(), source: std::io::Error::other(message.into()) }
}

impl<'r> GitTree<'r> {
    pub(crate) fn new(repo: &'r Repository, root: Tree<'r>) -> GitTree<'r> {
        GitTree { repo, root }
    }

    /// Where `path` leads, symlinks followed inside the tree.
    fn find(&self, path: &Path) -> Result<Found<'r>, ReadError> {
        let mut remaining: VecDeque<String> =
            path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        let mut trees = vec![self.root.clone()];
        let mut names: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(name) = remaining.pop_front() {
            match name.as_str() {
                "" | "." => continue,
                ".." => {
                    if names.pop().is_none() {
                        return Err(io_error(path, "leads outside the tag's tree"));
                    }
                    trees.pop();
                    continue;
                }
                _ if !is_plain(&name) => {
                    return Err(io_error(path, format!("`{name}` is not a plain path component")));
                }
                _ => {}
            }
            let current = trees.last().expect("the root is never popped");
            let Some((id, mode)) = current.get_name(&name).map(|e| (e.id(), e.filemode())) else {
                return Err(ReadError::Io {
                    path: path.display().to_string(),
                    source: std::io::Error::from(std::io::ErrorKind::NotFound),
                });
            };
            match mode {
                0o040000 => {
                    let tree = self.repo.find_tree(id).map_err(|e| io_error(path, e.message()))?;
                    trees.push(tree);
                    names.push(name);
                }
                0o120000 => {
                    links += 1;
                    let target = self.small_blob(id, MAX_LINK, path)?;
                    let target = String::from_utf8(target)
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
                0o100644 | 0o100755 => {
                    if remaining.iter().any(|n| !n.is_empty() && n != ".") {
                        return Err(io_error(path, format!("{name} is a file, not a directory")));
                    }
                    names.push(name);
                    return Ok(Found::File { oid: id, path: names });
                }
                _ => return Err(io_error(path, format!("{name} is a submodule, not a file"))),
            }
        }
        Ok(Found::Dir(trees.pop().expect("the root is never popped")))
    }

    /// The bytes of the blob `oid`, when it is at most `cap` bytes (its size read from its header).
    fn small_blob(&self, oid: Oid, cap: usize, path: &Path) -> Result<Vec<u8>, ReadError> {
        let odb = self.repo.odb().map_err(|e| io_error(path, e.message()))?;
        let (size, _) = odb.read_header(oid).map_err(|e| io_error(path, e.message()))?;
        if size > cap {
            return Err(io_error(path, format!("{size} bytes, more than the {cap} read")));
        }
        let blob = self.repo.find_blob(oid).map_err(|e| io_error(path, e.message()))?;
        Ok(blob.content().to_vec())
    }
}

impl Files for GitTree<'_> {
    fn read(&self, path: &Path) -> Result<(Vec<u8>, PathBuf), ReadError> {
        match self.find(path)? {
            Found::File { oid, path: names } => {
                Ok((self.small_blob(oid, MAX_SOURCE, path)?, names.iter().collect()))
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
        let tree =
            if dir.as_os_str().is_empty() { Ok(Found::Dir(self.root.clone())) } else { self.find(dir) };
        match tree {
            Ok(Found::Dir(tree)) => {
                tree.iter().filter_map(|e| e.name().ok().filter(|n| is_plain(n)).map(str::to_owned)).collect()
            }
            _ => Vec::new(),
        }
    }
}
