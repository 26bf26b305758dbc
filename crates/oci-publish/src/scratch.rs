//! Temporary files and directories that must not outlive the process, even when a signal ends it.
//!
//! A download is streamed into a temporary file beside its final place and renamed when its digest
//! checks out; an error drops the file. A signal (SIGINT from a terminal, SIGTERM from a CI runner
//! cancelling a job) runs no destructors, so every such path is also registered here while it exists,
//! and the binary's signal handler calls [`remove_all`] before it exits.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Registered paths, by registration number; `true` for a directory.
static LIVE: Mutex<BTreeMap<u64, (PathBuf, bool)>> = Mutex::new(BTreeMap::new());
static NEXT: AtomicU64 = AtomicU64::new(0);

/// Registers `path` until the returned guard is dropped.
fn register(path: &Path, dir: bool) -> Registration {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut live) = LIVE.lock() {
        live.insert(id, (path.to_path_buf(), dir));
    }
    Registration(id)
}

/// Keeps a path registered while it lives.
#[derive(Debug)]
struct Registration(u64);

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut live) = LIVE.lock() {
            live.remove(&self.0);
        }
    }
}

/// A temporary file that is removed on drop and by [`remove_all`].
#[derive(Debug)]
pub(crate) struct TempFile {
    // Dropped first: the file is removed before it is unregistered.
    file: tagwright_fs::Staged,
    _registration: Registration,
}

impl TempFile {
    /// A new file (mode 0666 less the umask) in `dir`, named `<prefix>…`.
    pub(crate) fn new_in(dir: &Path, prefix: &str) -> std::io::Result<TempFile> {
        let file = tagwright_fs::Staged::new_in(dir, prefix)?;
        let registration = register(file.path(), false);
        Ok(TempFile { file, _registration: registration })
    }

    pub(crate) fn as_file_mut(&mut self) -> &mut std::fs::File {
        self.file.file_mut()
    }

    /// Syncs the file and renames it onto `target` (keeping `target`'s mode), as `tagwright_fs` does.
    pub(crate) fn persist(self, target: &Path) -> std::io::Result<()> {
        self.file.persist(target)
    }
}

/// A temporary directory that is removed on drop and by [`remove_all`].
#[derive(Debug)]
pub(crate) struct TempDir {
    dir: tempfile::TempDir,
    _registration: Registration,
}

impl TempDir {
    /// A new directory in the system's temporary directory, named `<prefix>…`.
    pub(crate) fn new(prefix: &str) -> std::io::Result<TempDir> {
        let dir = tempfile::Builder::new().prefix(prefix).tempdir()?;
        let registration = register(dir.path(), true);
        Ok(TempDir { dir, _registration: registration })
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Removes every temporary file and directory this library holds open. For a signal handler, just
/// before the process exits: whatever was being written is abandoned.
pub fn remove_all() {
    let paths: Vec<(PathBuf, bool)> = match LIVE.lock() {
        Ok(live) => live.values().cloned().collect(),
        Err(poisoned) => poisoned.into_inner().values().cloned().collect(),
    };
    for (path, dir) in paths {
        let _ = if dir { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_paths_go_with_remove_all_and_on_drop() {
        let dir = tempfile::tempdir().expect("tempdir");
        let kept = TempFile::new_in(dir.path(), ".t.").expect("temp");
        let kept_path = kept.file.path().to_path_buf();
        let scratch = TempDir::new("tagwright-test-").expect("tempdir");
        let scratch_path = scratch.path().to_path_buf();
        std::fs::write(scratch_path.join("x"), "x").expect("write");
        remove_all();
        assert!(!kept_path.exists() && !scratch_path.exists());
        drop((kept, scratch));
        let dropped = TempFile::new_in(dir.path(), ".t.").expect("temp");
        let path = dropped.file.path().to_path_buf();
        drop(dropped);
        assert!(!path.exists());
        assert!(LIVE.lock().expect("lock").values().all(|(p, _)| p != &path));
    }
}
