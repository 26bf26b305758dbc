//! Moving blob bytes: hashing while copying (up to a limit), and request bodies read afresh from a
//! file or memory for every attempt, with progress.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Arc;

use crate::Events;
use crate::digest::{Digest, Hasher};
use crate::registry::error::RegistryError;

/// Why [`copy_hashing`] stopped.
pub(crate) enum CopyError {
    /// Reading the input failed.
    Read(std::io::Error),
    /// Writing the output failed.
    Write(std::io::Error),
    /// The input had more than the limit.
    TooLong,
}

/// Copies `input` to `output` in 256 KiB blocks, hashing with `algorithm` on the way, and reading at
/// most `limit` bytes (one more is [`CopyError::TooLong`]); calls `progress` with the bytes done after
/// each block. Returns the digest and the size.
pub(crate) fn copy_hashing(
    input: &mut dyn Read,
    output: &mut dyn Write,
    algorithm: crate::digest::Algorithm,
    limit: u64,
    mut progress: impl FnMut(u64),
) -> Result<(Digest, u64), CopyError> {
    let mut hasher = Hasher::new(algorithm);
    let mut buffer = vec![0u8; 256 * 1024];
    let mut done = 0u64;
    let mut input = input.take(limit.saturating_add(1));
    loop {
        let n = input.read(&mut buffer).map_err(CopyError::Read)?;
        if n == 0 {
            break;
        }
        if done + n as u64 > limit {
            return Err(CopyError::TooLong);
        }
        hasher.update(&buffer[..n]);
        output.write_all(&buffer[..n]).map_err(CopyError::Write)?;
        done += n as u64;
        progress(done);
    }
    Ok((hasher.finish(), done))
}

/// Request bodies up to this size are read into one buffer; larger ones are streamed.
const IN_MEMORY_BODY: u64 = 64 << 20;

/// Where a blob's bytes come from.
#[derive(Debug, Clone)]
pub enum BlobSource {
    /// A file, read afresh on every attempt.
    File(PathBuf),
    /// Bytes in memory (configs, small blobs).
    Bytes(Vec<u8>),
}

impl BlobSource {
    /// A request body for `length` bytes from `offset`, streamed and reporting progress.
    pub(crate) fn body(
        &self,
        offset: u64,
        length: u64,
        digest: &Digest,
        events: Arc<dyn Events>,
    ) -> Result<tagwright_http::reqwest::blocking::Body, RegistryError> {
        match self {
            BlobSource::Bytes(bytes) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(bytes.len());
                let end =
                    start.saturating_add(usize::try_from(length).unwrap_or(usize::MAX)).min(bytes.len());
                Ok(tagwright_http::reqwest::blocking::Body::from(bytes[start..end].to_vec()))
            }
            BlobSource::File(path) => {
                let io = |source| RegistryError::from(tagwright_fs::at(path)(source));
                let mut file = std::fs::File::open(path).map_err(io)?;
                file.seek(SeekFrom::Start(offset)).map_err(io)?;
                if length <= IN_MEMORY_BODY {
                    // One buffer per request: hyper sends it in large writes. (reqwest pumps a streamed
                    // body 8 KiB at a time, one write each, which costs a core at registry speeds.)
                    let mut buffer = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
                    file.take(length).read_to_end(&mut buffer).map_err(io)?;
                    if buffer.len() as u64 != length {
                        return Err(io(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "the file shrank while it was uploaded",
                        )));
                    }
                    return Ok(tagwright_http::reqwest::blocking::Body::from(buffer));
                }
                let total = std::fs::metadata(path).map(|m| m.len()).unwrap_or(length);
                let reader = Progress {
                    inner: std::io::BufReader::with_capacity(1 << 20, file.take(length)),
                    done: offset,
                    total,
                    what: format!("push {digest}"),
                    events,
                    reported: 0,
                };
                Ok(tagwright_http::reqwest::blocking::Body::sized(reader, length))
            }
        }
    }
}

/// A reader that reports progress every 8 MiB.
struct Progress<R> {
    inner: R,
    done: u64,
    total: u64,
    what: String,
    events: Arc<dyn Events>,
    reported: u64,
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if self.done - self.reported >= 8 << 20 || (n == 0 && self.done != self.reported) {
            self.reported = self.done;
            self.events.progress(&self.what, self.done, self.total);
        }
        Ok(n)
    }
}
