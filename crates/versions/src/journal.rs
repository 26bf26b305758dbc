//! The bump's journal: what a bump killed half-way needs to be finished or undone.
//!
//! [`crate::bump::Plan::apply`] writes the journal before it stages or renames anything: every file's
//! contents before and after, and the temporary file it is staged in. The bumping process holds an
//! exclusive `flock` on it until it is done, and removes it at the end, success or rollback. A journal
//! that is still there with no process holding it means a bump was killed; [`recover`] then finishes
//! it (when every file already holds the new contents) or rolls it back, and removes the temporary
//! files.
//!
//! The journal lives in `.git/` when the repository has a git directory, where a repository's own
//! content cannot plant one, else at the root as `.tagwright-bump.journal`. Recovery writes only the
//! files the journal names, only inside the repository (never under `.git/`), and only where a file
//! still holds exactly what the bump wrote.

use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The journal's name inside `.git/`.
const IN_GIT: &str = "tagwright-bump.journal";
/// The journal's name at the root of a directory that is not a git work tree.
const AT_ROOT: &str = ".tagwright-bump.journal";
/// The largest journal read: 256 MiB (it holds the version files twice).
const MAX_JOURNAL: u64 = 256 << 20;

/// Where the journal of the repository at `root` lives.
pub fn journal_path(root: &Path) -> PathBuf {
    let git = root.join(".git");
    if git.symlink_metadata().is_ok_and(|m| m.is_dir()) { git.join(IN_GIT) } else { root.join(AT_ROOT) }
}

/// Where the journal is written whole before it is renamed into place: `<journal>.new`.
fn staged_path(journal: &Path) -> PathBuf {
    let name = journal.file_name().and_then(|n| n.to_str()).unwrap_or(AT_ROOT);
    journal.with_file_name(format!("{name}.new"))
}

/// The journal's contents.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Journal {
    /// The format; 1.
    pub(crate) format: u32,
    /// The version being written.
    pub(crate) version: String,
    /// The files, in the order they are renamed.
    pub(crate) files: Vec<Entry>,
}

/// One file of the bump.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// The source as reports name it.
    pub(crate) path: String,
    /// The file written (symlinks resolved), relative to the resolved repository root.
    pub(crate) target: String,
    /// The temporary file it is staged in, relative to the resolved repository root.
    pub(crate) temp: String,
    /// The contents before the bump.
    pub(crate) before: String,
    /// The contents after the bump.
    pub(crate) after: String,
}

/// A journal written and locked by this process; the lock ends when it is dropped.
#[derive(Debug)]
pub(crate) struct Held {
    path: PathBuf,
    _file: File,
}

/// Writes the journal for the repository at `root` and locks it. Fails if one is already there.
pub(crate) fn begin(root: &Path, journal: &Journal) -> std::io::Result<Held> {
    let path = journal_path(root);
    if path.symlink_metadata().is_ok() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "a journal of another bump is there: recover it first",
        ));
    }
    let text = serde_json::to_vec(journal).map_err(std::io::Error::other)?;
    // Written whole beside its place, then renamed: a journal that exists is always complete.
    let staged = staged_path(&path);
    // Locked before it is renamed into place: no other bump can take a journal that is there.
    let file = tagwright_fs::stage(&path, &staged, &text)?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive)?;
    tagwright_fs::commit(&staged, &path)?;
    Ok(Held { path, _file: file })
}

impl Held {
    /// Removes the journal: the bump is over, one way or the other.
    pub(crate) fn finish(self) {
        let _ = std::fs::remove_file(&self.path);
        if let Some(dir) = self.path.parent() {
            tagwright_fs::sync_dir(dir);
        }
    }
}

/// What [`recover`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Recovery {
    /// Every file already held the new version: the bump had finished its renames. Only the journal
    /// and temporary files were left; they are gone.
    Completed {
        /// The version the bump wrote.
        version: String,
        /// The files it changed.
        files: Vec<String>,
    },
    /// The bump was undone: the files it had replaced hold their old contents again.
    RolledBack {
        /// The version the bump was writing.
        version: String,
        /// Files put back to their contents before the bump.
        restored: Vec<String>,
        /// Files the bump had not replaced yet.
        untouched: Vec<String>,
        /// Files that hold neither the old nor the new contents: someone changed them; left as they are.
        changed_by_others: Vec<String>,
    },
}

impl std::fmt::Display for Recovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Recovery::Completed { version, files } => write!(
                f,
                "an interrupted bump to {version} had replaced every file ({}): completed it",
                files.join(", ")
            ),
            Recovery::RolledBack { version, restored, untouched, changed_by_others } => {
                write!(f, "an interrupted bump to {version} was rolled back: ")?;
                if restored.is_empty() {
                    write!(f, "it had replaced no file yet")?;
                } else {
                    write!(f, "restored {}", restored.join(", "))?;
                }
                if !untouched.is_empty() {
                    write!(f, "; untouched: {}", untouched.join(", "))?;
                }
                if !changed_by_others.is_empty() {
                    write!(
                        f,
                        "; left as they are, because someone else changed them: {}",
                        changed_by_others.join(", ")
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// Why an interrupted bump could not be recovered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecoverError {
    /// Another process holds the journal: a bump is running.
    #[error("{}: a bump is in progress in another process; wait for it to finish", .path.display())]
    InProgress {
        /// The journal.
        path: PathBuf,
    },
    /// The journal is not one tagwright wrote, or names files it may not touch.
    #[error("{}: {message}; inspect it, then remove it", .path.display())]
    Invalid {
        /// The journal.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read, restored or removed.
    #[error(transparent)]
    Io(#[from] tagwright_fs::FileError),
}

/// Finishes or rolls back a bump that was interrupted in the repository at `root`; `Ok(None)` when
/// there is nothing to recover. A stale temporary journal (a bump killed while writing it, before it
/// touched anything) is removed.
pub fn recover(root: &Path) -> Result<Option<Recovery>, RecoverError> {
    let path = journal_path(root);
    let io = |path: &Path| {
        let at = tagwright_fs::at(path);
        move |source| RecoverError::Io(at(source))
    };
    let invalid = |message: String| RecoverError::Invalid { path: path.clone(), message };
    let staged = staged_path(&path);
    if let Ok(meta) = staged.symlink_metadata()
        && meta.is_file()
        && let Ok(file) = File::open(&staged)
        && rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_ok()
    {
        let _ = std::fs::remove_file(&staged);
    }
    let meta = match path.symlink_metadata() {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&path)(e)),
    };
    if !meta.is_file() {
        return Err(invalid("not a regular file".to_owned()));
    }
    let mut file = File::open(&path).map_err(io(&path))?;
    if rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err() {
        return Err(RecoverError::InProgress { path });
    }
    let mut text = Vec::new();
    (&mut file).take(MAX_JOURNAL + 1).read_to_end(&mut text).map_err(io(&path))?;
    if text.len() as u64 > MAX_JOURNAL {
        return Err(invalid("larger than 256 MiB".to_owned()));
    }
    let journal: Journal =
        serde_json::from_slice(&text).map_err(|e| invalid(format!("not a tagwright bump journal: {e}")))?;
    if journal.format != 1 {
        return Err(invalid(format!("journal format {} is not one this tagwright reads", journal.format)));
    }
    let canonical = root.canonicalize().map_err(io(root))?;
    let mut files = Vec::with_capacity(journal.files.len());
    for entry in &journal.files {
        let target = inside(&canonical, &entry.target).ok_or_else(|| {
            invalid(format!("it names `{}`, which is not a file inside the repository", entry.target))
        })?;
        let temp = inside(&canonical, &entry.temp)
            .filter(|t| {
                t.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.') && n.ends_with(".tagwright"))
            })
            .ok_or_else(|| invalid(format!("it names `{}` as a temporary file", entry.temp)))?;
        let current = match std::fs::read(&target) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(&target)(e)),
        };
        files.push((entry, target, temp, current));
    }
    for (_, _, temp, _) in &files {
        if temp.symlink_metadata().is_ok_and(|m| m.is_file()) {
            std::fs::remove_file(temp).map_err(io(temp))?;
        }
    }
    let names = |keep: &dyn Fn(&Entry, Option<&[u8]>) -> bool| -> Vec<String> {
        files.iter().filter(|(e, _, _, c)| keep(e, c.as_deref())).map(|(e, _, _, _)| e.path.clone()).collect()
    };
    let recovery = if files.iter().all(|(e, _, _, c)| c.as_deref() == Some(e.after.as_bytes())) {
        Recovery::Completed { version: journal.version.clone(), files: names(&|_, _| true) }
    } else {
        for (entry, target, temp, current) in &files {
            if current.as_deref() == Some(entry.after.as_bytes()) {
                restore(target, temp, entry.before.as_bytes()).map_err(io(target))?;
            }
        }
        Recovery::RolledBack {
            version: journal.version.clone(),
            restored: names(&|e, c| c == Some(e.after.as_bytes())),
            untouched: names(&|e, c| c == Some(e.before.as_bytes())),
            changed_by_others: names(&|e, c| c != Some(e.after.as_bytes()) && c != Some(e.before.as_bytes())),
        }
    };
    std::fs::remove_file(&path).map_err(io(&path))?;
    if let Some(dir) = path.parent() {
        tagwright_fs::sync_dir(dir);
    }
    Ok(Some(recovery))
}

/// `relative` joined to the resolved root, if it is a plain relative path to a file inside it and
/// outside `.git/`, whose directory resolves inside the root too.
fn inside(canonical: &Path, relative: &str) -> Option<PathBuf> {
    let path = Path::new(relative);
    let plain = path.components().all(|c| matches!(c, Component::Normal(_)))
        && path.components().next().is_some_and(|c| c.as_os_str() != ".git");
    if !plain {
        return None;
    }
    let full = canonical.join(path);
    let parent = full.parent()?.canonicalize().ok()?;
    parent.starts_with(canonical).then_some(full)
}

/// Writes `contents` to `target` through `temp` (staged, synced, renamed).
pub(crate) fn restore(target: &Path, temp: &Path, contents: &[u8]) -> std::io::Result<()> {
    drop(tagwright_fs::stage(target, temp, contents)?);
    tagwright_fs::commit(temp, target)
}

/// The temporary file a target is staged in: `.<name>.tagwright` beside it.
pub(crate) fn temp_for(target: &Path) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    target.with_file_name(format!(".{name}.tagwright"))
}
