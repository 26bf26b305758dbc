//! A byte-for-byte snapshot of the repository state a release changes, and its restoration.
//!
//! A release moves a branch, creates a tag and updates the index. The snapshot records the files that
//! hold that state (`HEAD`, `index`, `packed-refs`, the loose ref files and their reflogs) so that a
//! failed release can put every one of them back exactly, or delete the ones that did not exist.
//! New objects are left in the object database: nothing refers to them, and `git gc` removes them.

use std::path::{Path, PathBuf};

/// The saved state.
#[derive(Debug, Clone)]
pub struct Snapshot {
    files: Vec<(PathBuf, Option<Vec<u8>>)>,
}

/// Why the state could not be saved or restored.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", .path.display())]
pub struct SnapshotError {
    /// The file.
    pub path: PathBuf,
    /// The IO error.
    #[source]
    pub source: std::io::Error,
}

impl Snapshot {
    /// Saves the state of `refs` (full names, such as `refs/heads/main`) in the repository at `git_dir`.
    pub fn capture(git_dir: &Path, refs: &[&str]) -> Result<Snapshot, SnapshotError> {
        let mut paths: Vec<PathBuf> =
            ["HEAD", "index", "packed-refs", "logs/HEAD"].iter().map(|p| git_dir.join(p)).collect();
        for name in refs {
            paths.push(git_dir.join(name));
            paths.push(git_dir.join("logs").join(name));
        }
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let contents = match std::fs::read(&path) {
                Ok(bytes) => Some(bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(source) => return Err(SnapshotError { path, source }),
            };
            files.push((path, contents));
        }
        Ok(Snapshot { files })
    }

    /// Puts every saved file back as it was; removes the ones that did not exist. Tries every file and
    /// reports the first failure.
    pub fn restore(&self) -> Result<(), SnapshotError> {
        let mut first_error = None;
        for (path, contents) in &self.files {
            let result = match contents {
                Some(bytes) => tagwright_fs::write_atomic(path, bytes),
                None => match std::fs::remove_file(path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                    _ => Ok(()),
                },
            };
            if let Err(source) = result {
                first_error.get_or_insert(SnapshotError { path: path.clone(), source });
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
