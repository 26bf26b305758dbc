//! How tagwright writes a file: whole or not at all. Every crate writes through this one
//! implementation.
//!
//! A file is written into a temporary file beside its target (so that the rename stays on one file
//! system), given the target's mode (or, for a new file, 0666 less the umask, as a shell's `>` gives
//! it), synced, renamed onto the target, and the directory is synced so that the rename survives a
//! crash. A reader sees the old file or the new one, never a part.
//!
//! ```
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("checksums.txt");
//! tagwright_fs::write_atomic(&path, b"old\n")?;
//! tagwright_fs::write_atomic(&path, b"new\n")?;
//! assert_eq!(std::fs::read(&path)?, b"new\n");
//! assert_eq!(std::fs::read_dir(dir.path())?.count(), 1, "no temporary file stays");
//! # Ok::<(), std::io::Error>(())
//! ```

#![deny(missing_docs)]

use std::fs::{File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// An IO failure on a named file: `<path>: <the error>`. Every crate's `Io` error variant holds one.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", .path.display())]
pub struct FileError {
    /// The file (or directory).
    pub path: PathBuf,
    /// The IO error.
    #[source]
    pub source: io::Error,
}

/// A file whose content is not what it must be: `<path>: <what is wrong>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", .path.display())]
pub struct BadFile {
    /// The file.
    pub path: PathBuf,
    /// What is wrong, with the line where known.
    pub message: String,
}

impl BadFile {
    /// `path` holds what it must not: `message`.
    pub fn new(path: impl Into<PathBuf>, message: impl Into<String>) -> BadFile {
        BadFile { path: path.into(), message: message.into() }
    }
}

/// An environment variable whose value is not what it must be: `NAME="value" is not <expected>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}={value:?} is not {expected}")]
pub struct BadVariable {
    /// The variable.
    pub name: &'static str,
    /// Its value.
    pub value: String,
    /// What it must be.
    pub expected: &'static str,
}

/// `SOURCE_DATE_EPOCH`, the time every file tagwright makes records (reproducible-builds.org's
/// rule): unset or empty is `None`; a value that is not a number of seconds is an error that names the
/// variable. The one place tagwright reads it.
pub fn source_date_epoch() -> Result<Option<u64>, BadVariable> {
    parse_source_date_epoch(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref())
}

/// [`source_date_epoch`] of a given value.
pub fn parse_source_date_epoch(value: Option<&str>) -> Result<Option<u64>, BadVariable> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| BadVariable {
            name: "SOURCE_DATE_EPOCH",
            value: text.to_owned(),
            expected: "a number of seconds since 1970-01-01",
        }),
    }
}

/// Makes a [`FileError`] of an IO error on `path`: `.map_err(tagwright_fs::at(&path))`.
pub fn at(path: &Path) -> impl FnOnce(io::Error) -> FileError + use<> {
    let path = path.to_path_buf();
    move |source| FileError { path, source }
}

/// A temporary file beside its future place, removed on drop unless [`Staged::persist`]ed.
#[derive(Debug)]
pub struct Staged {
    file: tempfile::NamedTempFile,
}

impl Staged {
    /// A new temporary file named `<prefix>…` in `dir` (created if missing), mode 0666 less the umask.
    pub fn new_in(dir: &Path, prefix: &str) -> io::Result<Staged> {
        std::fs::create_dir_all(dir)?;
        let file = tempfile::Builder::new()
            .prefix(prefix)
            .permissions(Permissions::from_mode(0o666))
            .tempfile_in(dir)?;
        Ok(Staged { file })
    }

    /// A new temporary file beside `target`, named `.<target's name>.…`.
    pub fn beside(target: &Path) -> io::Result<Staged> {
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Staged::new_in(parent(target), &format!(".{name}."))
    }

    /// The open file, to write into.
    pub fn file_mut(&mut self) -> &mut File {
        self.file.as_file_mut()
    }

    /// Where the temporary file is.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Gives the file `target`'s mode (when `target` exists), syncs it, renames it onto `target` and
    /// syncs the directory.
    pub fn persist(mut self, target: &Path) -> io::Result<()> {
        finish(self.file.as_file_mut(), target)?;
        self.file.persist(target).map_err(|e| e.error)?;
        sync_dir(parent(target));
        Ok(())
    }
}

/// Replaces `target` with `bytes`, atomically (see the crate docs); a new file gets 0666 less the umask.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut staged = Staged::beside(target)?;
    staged.file_mut().write_all(bytes)?;
    staged.persist(target)
}

/// Creates `target` (which must not exist) with `bytes`, readable by its owner only (mode 0600), as a
/// private key must be; atomically, like [`write_atomic`].
pub fn write_private(target: &Path, bytes: &[u8]) -> io::Result<()> {
    if target.symlink_metadata().is_ok() {
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, "already exists"));
    }
    let mut staged = Staged::beside(target)?;
    staged.file_mut().set_permissions(Permissions::from_mode(0o600))?;
    staged.file_mut().write_all(bytes)?;
    // Another process may have made the file meanwhile: never replace it.
    staged.file.as_file().sync_all()?;
    staged.file.persist_noclobber(target).map_err(|e| e.error)?;
    sync_dir(parent(target));
    Ok(())
}

/// Writes `bytes` into `temp`, a staging file at a name the caller chose (and may record, to find it
/// after a crash), with `target`'s mode, synced. A stale `temp` is replaced, never written through; on
/// failure `temp` is removed. [`commit`] renames it onto `target`.
pub fn stage(target: &Path, temp: &Path, bytes: &[u8]) -> io::Result<File> {
    let mut file = create_fresh(temp)?;
    let written = file.write_all(bytes).and_then(|()| finish(&mut file, target));
    match written {
        Ok(()) => Ok(file),
        Err(e) => {
            let _ = std::fs::remove_file(temp);
            Err(e)
        }
    }
}

/// Renames a staged `temp` onto `target` and syncs the directory.
pub fn commit(temp: &Path, target: &Path) -> io::Result<()> {
    std::fs::rename(temp, target)?;
    sync_dir(parent(target));
    Ok(())
}

/// Syncs a directory, so that a rename or removal in it is durable. Best effort: a file system that
/// cannot sync directories is not a reason to fail a write that happened.
pub fn sync_dir(dir: &Path) {
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

/// Writes an output file (`-o FILE`) where and as `sha256sum > FILE` would, but never half-written:
///
/// - a symlink is written through to its target (a dangling one creates the target), and stays;
/// - a FIFO or a device is written into directly: it cannot be replaced, and must not be;
/// - a regular file is replaced atomically, keeping its mode;
/// - a new file gets mode 0666 less the umask.
pub fn write_output(path: &Path, bytes: &[u8]) -> io::Result<()> {
    // The kernel follows the symlinks (`/dev/stdout` included) to say what is there.
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(io::Error::new(io::ErrorKind::IsADirectory, "is a directory"));
        }
        Ok(meta) if !meta.is_file() => {
            let kind = meta.file_type();
            if kind.is_fifo() || kind.is_char_device() || kind.is_block_device() {
                let mut file = OpenOptions::new().write(true).open(path)?;
                file.write_all(bytes)?;
                return file.flush();
            }
            return Err(io::Error::other("not a regular file, FIFO or device"));
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    // A regular file (or none yet) is replaced where its symlinks lead, so the symlinks stay.
    write_atomic(&follow_symlinks(path)?, bytes)
}

/// The file `path` names after following every symlink (up to 40, as the kernel allows); the last one
/// may not exist yet.
fn follow_symlinks(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// Gives `file` the mode of `target` (if it exists) and syncs it.
fn finish(file: &mut File, target: &Path) -> io::Result<()> {
    if let Ok(meta) = std::fs::metadata(target) {
        file.set_permissions(Permissions::from_mode(meta.permissions().mode() & 0o7777))?;
    }
    file.sync_all()
}

/// Creates `path` anew; a stale file there (left by a killed run) is replaced, never written through.
fn create_fresh(path: &Path) -> io::Result<File> {
    let create = || OpenOptions::new().write(true).create_new(true).open(path);
    match create() {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(path)?;
            create()
        }
        other => other,
    }
}

fn parent(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

#[cfg(test)]
mod tests {
    #[test]
    fn source_date_epoch_is_seconds_or_unset_and_anything_else_names_the_variable() {
        use super::parse_source_date_epoch as parse;
        assert_eq!(parse(None), Ok(None));
        assert_eq!(parse(Some("")), Ok(None));
        assert_eq!(parse(Some("1767261600")), Ok(Some(1_767_261_600)));
        let bad = parse(Some("yesterday")).expect_err("not a number");
        assert_eq!(
            bad.to_string(),
            "SOURCE_DATE_EPOCH=\"yesterday\" is not a number of seconds since 1970-01-01"
        );
        assert!(parse(Some("-5")).is_err(), "before 1970");
    }

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("stat").permissions().mode() & 0o7777
    }

    #[test]
    fn a_replaced_file_keeps_its_mode_and_a_staged_one_commits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("run.sh");
        std::fs::write(&target, b"old").expect("write");
        std::fs::set_permissions(&target, Permissions::from_mode(0o751)).expect("chmod");
        write_atomic(&target, b"new").expect("write");
        assert_eq!((std::fs::read(&target).expect("read"), mode(&target)), (b"new".to_vec(), 0o751));

        let temp = dir.path().join(".run.sh.staged");
        std::fs::write(&temp, b"stale, from a killed run").expect("stale");
        drop(stage(&target, &temp, b"newer").expect("stage"));
        assert_eq!(mode(&temp), 0o751);
        commit(&temp, &target).expect("commit");
        assert_eq!(std::fs::read(&target).expect("read"), b"newer");
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1, "nothing else stays");
    }

    #[test]
    fn private_files_are_the_owners_alone_and_never_replace_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("cosign.key");
        write_private(&key, b"secret").expect("write");
        assert_eq!(mode(&key), 0o600);
        assert_eq!(write_private(&key, b"other").expect_err("exists").kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&key).expect("read"), b"secret");
    }

    #[test]
    fn a_dropped_staged_file_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut staged = Staged::beside(&dir.path().join("blob")).expect("staged");
        staged.file_mut().write_all(b"partial").expect("write");
        drop(staged);
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);
    }
}
