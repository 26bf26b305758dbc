//! Checksum lists that GNU `sha256sum` writes and checks, computed at hardware speed.
//!
//! - [`hash_reader`], [`hash_file`] and [`hash_files`] stream their input through a fixed buffer, so
//!   memory stays flat whatever the file size; [`hash_files`] spreads files over threads and reports
//!   results in input order.
//! - [`format_line`] writes a GNU line (`<hex>  <name>`, the BSD `--tag` form, or `-z`), escaping names
//!   that contain `\`, a newline or a carriage return as coreutils does.
//! - [`expand_inputs`] turns files and directories into a reproducible list of names.
//! - [`check`] verifies a checksum list with `sha256sum -c`'s semantics and messages.
//!
//! SHA-256 and SHA-512 come from the `sha2` crate, which selects the CPU's SHA instructions at run time
//! (x86 SHA-NI, ARMv8 SHA2) and falls back to portable code; [`hardware_acceleration`] reports which.

#![deny(missing_docs)]

mod check;
mod quote;

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use sha2::Digest as _;

pub use check::{CheckIo, CheckOptions, CheckOutcome, ListLine, check, parse_list};
pub use quote::quote_name;

/// The size of each read. Large enough to amortise system calls, small enough to stay in cache.
const BUFFER_SIZE: usize = 256 * 1024;

/// A hash algorithm of the SHA-2 family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Algorithm {
    /// SHA-256, as `sha256sum`.
    #[default]
    Sha256,
    /// SHA-512, as `sha512sum`.
    Sha512,
}

impl Algorithm {
    /// The name in BSD-style lines and messages: `SHA256`.
    pub fn tag(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }

    /// The length of a digest in hexadecimal digits.
    pub fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

/// A computed digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    algorithm: Algorithm,
    bytes: Vec<u8>,
}

impl Digest {
    /// The algorithm that produced it.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The raw digest bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Lowercase hexadecimal, as checksum lists write it.
    pub fn to_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(self.bytes.len() * 2);
        for b in &self.bytes {
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
        out
    }

    /// True when `hex` (either case) spells this digest.
    pub fn matches_hex(&self, hex: &[u8]) -> bool {
        hex.len() == self.bytes.len() * 2 && hex.eq_ignore_ascii_case(self.to_hex().as_bytes())
    }
}

enum Hasher {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Hasher {
    fn new(algorithm: Algorithm) -> Hasher {
        match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    fn finish(self, algorithm: Algorithm) -> Digest {
        let bytes = match self {
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
        };
        Digest { algorithm, bytes }
    }
}

/// Hashes everything `reader` yields, reading through one fixed buffer.
pub fn hash_reader(algorithm: Algorithm, mut reader: impl Read) -> io::Result<Digest> {
    let mut hasher = Hasher::new(algorithm);
    let mut buffer = vec![0u8; BUFFER_SIZE];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buffer[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hasher.finish(algorithm))
}

/// Hashes one file. A directory fails with "Is a directory", as GNU's read does.
pub fn hash_file(algorithm: Algorithm, path: &Path) -> io::Result<Digest> {
    hash_reader(algorithm, File::open(path)?)
}

/// Hashes one file, reading on a second thread while this one hashes, so that the copy out of the page
/// cache overlaps the hashing. Worth it when a core would otherwise sit idle (one large file).
pub fn hash_file_pipelined(algorithm: Algorithm, path: &Path) -> io::Result<Digest> {
    const CHUNK: usize = 1024 * 1024;
    const IN_FLIGHT: usize = 3;
    let mut file = File::open(path)?;
    let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<(Vec<u8>, usize)>>(IN_FLIGHT);
    let (empty_tx, empty_rx) = mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT);
    for _ in 0..IN_FLIGHT {
        empty_tx.send(vec![0u8; CHUNK]).expect("the channel has room for every buffer");
    }
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for mut buffer in empty_rx {
                let filled = loop {
                    match file.read(&mut buffer) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        other => break other,
                    }
                };
                let done = !matches!(filled, Ok(n) if n > 0);
                if full_tx.send(filled.map(|n| (buffer, n))).is_err() || done {
                    break;
                }
            }
        });
        let mut hasher = Hasher::new(algorithm);
        for message in full_rx {
            let (buffer, n) = message?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            // The reader may have stopped already; a failed return is harmless.
            let _ = empty_tx.send(buffer);
        }
        drop(empty_tx);
        Ok(hasher.finish(algorithm))
    })
}

/// Hashes every path on up to `threads` threads, calling `sink` with each result in input order as soon
/// as it and every earlier result are ready.
///
/// `threads == 0` means one per available core.
pub fn hash_files(
    algorithm: Algorithm,
    paths: &[PathBuf],
    threads: usize,
    mut sink: impl FnMut(usize, io::Result<Digest>),
) {
    let threads =
        if threads == 0 { std::thread::available_parallelism().map_or(1, usize::from) } else { threads };
    if paths.len() == 1 && threads > 1 {
        sink(0, hash_file_pipelined(algorithm, &paths[0]));
        return;
    }
    let threads = threads.min(paths.len()).max(1);
    if threads == 1 {
        for (i, path) in paths.iter().enumerate() {
            sink(i, hash_file(algorithm, path));
        }
        return;
    }
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, io::Result<Digest>)>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = paths.get(i) else { break };
                    if tx.send((i, hash_file(algorithm, path))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Reorder: hold results that arrive early until every earlier one has been delivered.
        let mut pending: Vec<Option<io::Result<Digest>>> = Vec::new();
        let mut delivered = 0;
        for (i, result) in rx {
            if pending.len() <= i {
                pending.resize_with(i + 1, || None);
            }
            pending[i] = Some(result);
            while let Some(ready) = pending.get_mut(delivered).and_then(Option::take) {
                sink(delivered, ready);
                delivered += 1;
            }
        }
    });
}

/// Like [`hash_files`], but a path `-` reads `stdin`: the first one reads it to the end, later ones read
/// nothing (as GNU's do). Results still arrive in input order.
pub fn hash_inputs(
    algorithm: Algorithm,
    paths: &[PathBuf],
    threads: usize,
    mut stdin: impl Read,
    mut sink: impl FnMut(usize, io::Result<Digest>),
) {
    let is_stdin = |p: &PathBuf| p.as_os_str() == "-";
    let mut stdin_results: Vec<Option<io::Result<Digest>>> = Vec::with_capacity(paths.len());
    let mut stdin_read = false;
    for path in paths {
        if is_stdin(path) {
            let empty: &[u8] = &[];
            let result =
                if stdin_read { hash_reader(algorithm, empty) } else { hash_reader(algorithm, &mut stdin) };
            stdin_read = true;
            stdin_results.push(Some(result));
        } else {
            stdin_results.push(None);
        }
    }
    let files: Vec<PathBuf> = paths.iter().filter(|p| !is_stdin(p)).cloned().collect();
    let mut next = 0;
    let mut deliver = |file_result: Option<io::Result<Digest>>| {
        let mut file_result = file_result;
        while next < paths.len() {
            let result = match stdin_results[next].take() {
                Some(result) => result,
                None => match file_result.take() {
                    Some(result) => result,
                    None => return,
                },
            };
            sink(next, result);
            next += 1;
        }
    };
    hash_files(algorithm, &files, threads, |_, result| deliver(Some(result)));
    deliver(None);
}

/// How a checksum line is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LineFormat {
    /// The BSD form: `SHA256 (name) = <hex>`.
    pub tag: bool,
    /// Mark the file as read in binary mode (`<hex> *name`); the same bytes on GNU/Linux.
    pub binary: bool,
    /// End the line with NUL instead of a newline, and do not escape the name.
    pub zero: bool,
}

impl LineFormat {
    /// The BSD form.
    pub fn tag(mut self, tag: bool) -> LineFormat {
        self.tag = tag;
        self
    }

    /// The binary-mode marker.
    pub fn binary(mut self, binary: bool) -> LineFormat {
        self.binary = binary;
        self
    }

    /// NUL-terminated lines.
    pub fn zero(mut self, zero: bool) -> LineFormat {
        self.zero = zero;
        self
    }
}

/// One line of a checksum list, byte for byte as GNU coreutils writes it.
///
/// ```
/// use tagwright_checksums::{Algorithm, LineFormat, format_line, hash_reader};
/// let digest = hash_reader(Algorithm::Sha256, &b"a"[..]).unwrap();
/// let line = format_line(&digest, b"back\\slash", LineFormat::default());
/// assert_eq!(line, b"\\ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb  back\\\\slash\n");
/// ```
pub fn format_line(digest: &Digest, name: &[u8], format: LineFormat) -> Vec<u8> {
    let escape = !format.zero && name.iter().any(|b| matches!(b, b'\\' | b'\n' | b'\r'));
    let mut out = Vec::with_capacity(name.len() + 140);
    if escape {
        out.push(b'\\');
    }
    if format.tag {
        out.extend_from_slice(digest.algorithm.tag().as_bytes());
        out.extend_from_slice(b" (");
        push_name(&mut out, name, escape);
        out.extend_from_slice(b") = ");
        out.extend_from_slice(digest.to_hex().as_bytes());
    } else {
        out.extend_from_slice(digest.to_hex().as_bytes());
        out.push(b' ');
        out.push(if format.binary { b'*' } else { b' ' });
        push_name(&mut out, name, escape);
    }
    out.push(if format.zero { 0 } else { b'\n' });
    out
}

/// Writes a name, escaping `\`, newline and carriage return when `escape` is set.
pub(crate) fn push_name(out: &mut Vec<u8>, name: &[u8], escape: bool) {
    if !escape {
        out.extend_from_slice(name);
        return;
    }
    for &b in name {
        match b {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            _ => out.push(b),
        }
    }
}

/// One file to hash, and the name its line carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Where to read it.
    pub path: PathBuf,
    /// The name written in the checksum line.
    pub name: Vec<u8>,
}

/// Why inputs could not be listed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// A directory could not be walked.
    #[error("{}: cannot list: {source}", .path.display())]
    Walk {
        /// The directory.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: io::Error,
    },
    /// A path is not under the `--relative-to` directory.
    #[error("{}: not under {}", .path.display(), .base.display())]
    NotUnder {
        /// The path.
        path: PathBuf,
        /// The directory names are relative to.
        base: PathBuf,
    },
}

/// Expands files and directories into the list of files to hash.
///
/// A file stays as given (a missing one too: hashing it reports the error). A directory becomes its
/// regular files (and symlinks to regular files), recursively, in byte-sorted relative-path order, so
/// the same tree always gives the same list; symlinked directories are not followed. Names are the
/// given path joined with the relative path, or relative to `relative_to` when given. A path equal to
/// `exclude` (the output file) is left out.
pub fn expand_inputs(
    args: &[PathBuf],
    relative_to: Option<&Path>,
    exclude: Option<&Path>,
) -> Result<Vec<Input>, InputError> {
    use std::os::unix::ffi::OsStrExt;
    let exclude = exclude.and_then(|p| std::fs::canonicalize(p).ok());
    let base = relative_to.map(|b| std::fs::canonicalize(b).unwrap_or_else(|_| b.to_path_buf()));
    let mut inputs = Vec::new();
    let name_of = |path: &Path| -> Result<Vec<u8>, InputError> {
        match (&base, relative_to) {
            (Some(base), Some(given)) => {
                // Normalised first (`dist/../README` is `README`), then refused if it is not under DIR.
                let absolute = absolute_lexical(path);
                let relative = absolute
                    .strip_prefix(base)
                    .map(Path::to_path_buf)
                    .or_else(|_| {
                        normalize_lexically(path)
                            .strip_prefix(normalize_lexically(given))
                            .map(Path::to_path_buf)
                    })
                    .ok()
                    .filter(|r| {
                        r.components().next().is_some()
                            && r.components().all(|c| matches!(c, std::path::Component::Normal(_)))
                    })
                    .ok_or_else(|| InputError::NotUnder {
                        path: path.to_path_buf(),
                        base: given.to_path_buf(),
                    })?;
                Ok(relative.as_os_str().as_bytes().to_vec())
            }
            _ => Ok(path.as_os_str().as_bytes().to_vec()),
        }
    };
    for arg in args {
        let is_dir = std::fs::metadata(arg).map(|m| m.is_dir()).unwrap_or(false);
        if arg.as_os_str() == "-" || !is_dir {
            if exclude.is_some() && std::fs::canonicalize(arg).ok() == exclude {
                continue;
            }
            let name = if arg.as_os_str() == "-" { b"-".to_vec() } else { name_of(arg)? };
            inputs.push(Input { path: arg.clone(), name });
            continue;
        }
        let mut files = Vec::new();
        walk(arg, Path::new(""), &mut files)?;
        files.sort_by(|a, b| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
        for relative in files {
            // `checksum .` names files `a.txt`, not `./a.txt`.
            let path = if arg.as_os_str() == "." || arg.as_os_str() == "./" {
                relative
            } else {
                arg.join(&relative)
            };
            if exclude.is_some() && std::fs::canonicalize(&path).ok() == exclude {
                continue;
            }
            let name = name_of(&path)?;
            inputs.push(Input { path, name });
        }
    }
    Ok(inputs)
}

/// `path` with `.` dropped and `..` applied to what precedes it, without touching the file system.
fn normalize_lexically(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The absolute form of `path` with its parent resolved, without requiring the file to exist.
fn absolute_lexical(path: &Path) -> PathBuf {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    match (std::fs::canonicalize(parent), path.file_name()) {
        (Ok(parent), Some(name)) => parent.join(name),
        _ => path.to_path_buf(),
    }
}

fn walk(root: &Path, relative: &Path, out: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let dir = root.join(relative);
    let entries = std::fs::read_dir(&dir).map_err(|source| InputError::Walk { path: dir.clone(), source })?;
    for entry in entries {
        let entry = entry.map_err(|source| InputError::Walk { path: dir.clone(), source })?;
        let kind = entry.file_type().map_err(|source| InputError::Walk { path: entry.path(), source })?;
        let child = relative.join(entry.file_name());
        if kind.is_dir() {
            walk(root, &child, out)?;
        } else if kind.is_file()
            || (kind.is_symlink() && std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file()))
        {
            out.push(child);
        }
    }
    Ok(())
}

/// The SHA extensions this CPU offers, if any: what `sha2` uses instead of portable code.
pub fn hardware_acceleration() -> Option<&'static str> {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        if std::arch::is_x86_feature_detected!("sha")
            && std::arch::is_x86_feature_detected!("sse2")
            && std::arch::is_x86_feature_detected!("ssse3")
            && std::arch::is_x86_feature_detected!("sse4.1")
        {
            return Some("x86 SHA-NI");
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        if std::arch::is_aarch64_feature_detected!("sha2") {
            return Some("ARMv8 SHA2");
        }
    }
    None
}

/// The text of an IO error as `strerror` gives it, without Rust's `(os error N)` suffix.
pub fn strerror(err: &io::Error) -> String {
    let text = err.to_string();
    match text.rfind(" (os error ") {
        Some(i) if err.raw_os_error().is_some() => text[..i].to_owned(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        let d = hash_reader(Algorithm::Sha256, &b"abc"[..]).expect("hash");
        assert_eq!(d.to_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        let d = hash_reader(Algorithm::Sha512, &b""[..]).expect("hash");
        assert!(d.to_hex().starts_with("cf83e1357eefb8bd"));
        assert!(d.matches_hex(d.to_hex().to_uppercase().as_bytes()));
    }

    #[test]
    fn lines_escape_like_gnu() {
        let d = hash_reader(Algorithm::Sha256, &b""[..]).expect("hash");
        let hex = d.to_hex();
        assert_eq!(format_line(&d, b"a b", LineFormat::default()), format!("{hex}  a b\n").into_bytes());
        assert_eq!(
            format_line(&d, b"x", LineFormat::default().binary(true)),
            format!("{hex} *x\n").into_bytes()
        );
        assert_eq!(
            format_line(&d, b"new\nline", LineFormat::default().tag(true)),
            format!("\\SHA256 (new\\nline) = {hex}\n").into_bytes()
        );
        assert_eq!(
            format_line(&d, b"new\nline", LineFormat::default().zero(true)),
            format!("{hex}  new\nline\0").into_bytes()
        );
    }

    #[test]
    fn parallel_results_come_back_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths: Vec<PathBuf> = (0..50)
            .map(|i| {
                let p = dir.path().join(format!("f{i}"));
                std::fs::write(&p, vec![i as u8; i * 1000]).expect("write");
                p
            })
            .collect();
        let mut seen = Vec::new();
        hash_files(Algorithm::Sha256, &paths, 4, |i, r| seen.push((i, r.expect("hash"))));
        assert_eq!(seen.iter().map(|(i, _)| *i).collect::<Vec<_>>(), (0..50).collect::<Vec<_>>());
        for (i, digest) in &seen {
            assert_eq!(*digest, hash_file(Algorithm::Sha256, &paths[*i]).expect("hash"));
        }
    }

    #[test]
    fn pipelined_hashing_agrees_and_reports_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        for size in [0, 1, 1024 * 1024, 3 * 1024 * 1024 + 17] {
            let path = dir.path().join(format!("f{size}"));
            std::fs::write(&path, (0..size).map(|i| (i % 251) as u8).collect::<Vec<_>>()).expect("write");
            assert_eq!(
                hash_file_pipelined(Algorithm::Sha256, &path).expect("hash"),
                hash_file(Algorithm::Sha256, &path).expect("hash"),
                "{size} bytes"
            );
        }
        let err = hash_file_pipelined(Algorithm::Sha256, dir.path()).expect_err("a directory");
        assert_eq!(strerror(&err), "Is a directory");
    }

    #[test]
    fn strerror_drops_the_rust_suffix() {
        assert_eq!(strerror(&io::Error::from_raw_os_error(2)), "No such file or directory");
        assert_eq!(strerror(&io::Error::from_raw_os_error(21)), "Is a directory");
    }
}
