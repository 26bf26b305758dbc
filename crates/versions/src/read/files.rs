//! Where a repository's files are read from: its work tree ([`Disk`]), or any other tree a caller
//! implements [`Files`] for (a commit's tree, read straight from git's object database).

use std::path::{Component, Path, PathBuf};

use super::ReadError;
use crate::text::display_path;

/// Read access to a repository's files, by path relative to its root.
///
/// Every path a reader passes is made of plain components (no `..`, no root); an implementation
/// keeps what it reads inside the repository, symlinks included, or fails naming the path.
pub trait Files {
    /// The bytes of the file at `path`, and where they live (the path a bump writes: `path` with
    /// every symlink resolved).
    fn read(&self, path: &Path) -> Result<(Vec<u8>, PathBuf), ReadError>;
    /// Whether `path` is a file (through symlinks that stay inside the repository).
    fn is_file(&self, path: &Path) -> bool;
    /// Whether `path` exists, as a file or a directory.
    fn exists(&self, path: &Path) -> bool;
    /// The names in the directory `dir`, in no order (none when it is not a directory).
    fn names(&self, dir: &Path) -> Vec<String>;
}

/// Whether `name` is a plain path component: not empty, not `.` or `..`, and without `/`, `\` or NUL.
pub(crate) fn is_plain(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// A path made only of plain components, or the error naming it.
pub(crate) fn plain(path: &Path) -> Result<(), ReadError> {
    let ok = path.components().all(|c| matches!(c, Component::Normal(n) if n.to_str().is_some_and(is_plain)));
    if ok && path.components().next().is_some() {
        return Ok(());
    }
    Err(ReadError::Outside {
        path: display_path(path),
        resolved: path.display().to_string(),
        root: "the repository".to_owned(),
    })
}

/// The work tree at a root, symlinks resolved: only files inside the root are read.
#[derive(Debug)]
pub struct Disk {
    root: PathBuf,
    canonical: PathBuf,
}

impl Disk {
    /// The files under `root`.
    pub fn new(root: &Path) -> Result<Disk, ReadError> {
        let canonical = root
            .canonicalize()
            .map_err(|source| ReadError::Io { path: root.display().to_string(), source })?;
        Ok(Disk { root: root.to_path_buf(), canonical })
    }

    /// Where `path` leads, with every symlink resolved: only inside the repository.
    fn resolve(&self, path: &Path) -> Result<PathBuf, ReadError> {
        let resolved = self
            .root
            .join(path)
            .canonicalize()
            .map_err(|source| ReadError::Io { path: display_path(path), source })?;
        if !resolved.starts_with(&self.canonical) {
            return Err(ReadError::Outside {
                path: display_path(path),
                resolved: resolved.display().to_string(),
                root: self.canonical.display().to_string(),
            });
        }
        Ok(resolved)
    }
}

impl Files for Disk {
    fn read(&self, path: &Path) -> Result<(Vec<u8>, PathBuf), ReadError> {
        let target = self.resolve(path)?;
        let bytes =
            std::fs::read(&target).map_err(|source| ReadError::Io { path: display_path(path), source })?;
        Ok((bytes, target))
    }

    fn is_file(&self, path: &Path) -> bool {
        self.root.join(path).is_file()
    }

    fn exists(&self, path: &Path) -> bool {
        self.root.join(path).exists()
    }

    fn names(&self, dir: &Path) -> Vec<String> {
        std::fs::read_dir(self.root.join(dir))
            .map(|entries| entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
            .unwrap_or_default()
    }
}

/// Expands a relative path pattern whose components may contain `*` and `?` (no `**`).
///
/// Results are relative to `root`, byte-sorted, and only name paths that exist.
pub(crate) fn glob(files: &dyn Files, pattern: &str) -> Vec<PathBuf> {
    let mut current = vec![PathBuf::new()];
    for component in pattern.split('/').filter(|c| !c.is_empty() && *c != ".") {
        let mut next = Vec::new();
        for base in &current {
            if component.contains(['*', '?']) {
                let mut names: Vec<String> = files
                    .names(base)
                    .into_iter()
                    .filter(|name| !name.starts_with('.') && tagwright_text::wildcard_match(component, name))
                    .collect();
                names.sort();
                next.extend(names.into_iter().map(|name| base.join(name)));
            } else {
                let candidate = base.join(component);
                if files.exists(&candidate) {
                    next.push(candidate);
                }
            }
        }
        current = next;
    }
    current.retain(|p| !p.as_os_str().is_empty());
    current
}
