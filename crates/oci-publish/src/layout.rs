//! OCI image layouts on disk (`oci-layout`, `index.json`, `blobs/<algorithm>/<hex>`), as skopeo and
//! oras write them. Every write goes through a temporary file and a rename, and `index.json` is
//! replaced atomically. A layout is read as untrusted input: `index.json` and manifests are capped at
//! [`MAX_MANIFEST_BYTES`], their digests are parsed before they name a file, and a blob that does not
//! match its digest or its size is an integrity failure.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::digest::Digest;
use crate::manifest::{Descriptor, Entry, MAX_MANIFEST_BYTES};
use crate::scratch::TempFile;
use crate::transfer::{CopyError, copy_hashing};

/// The annotation that names a manifest in `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Why a layout could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] tagwright_fs::FileError),
    /// The directory is not a valid layout.
    #[error(transparent)]
    Invalid(#[from] tagwright_fs::BadFile),
    /// A blob does not match its digest or size: the layout was tampered with or damaged.
    #[error("{}: {message}", .path.display())]
    Integrity {
        /// The blob.
        path: PathBuf,
        /// What does not match.
        message: String,
    },
}

/// Why [`Layout::put_blob_with`] failed: the layout, or the writer.
#[derive(Debug)]
pub enum PutBlobError<E> {
    /// The layout could not be written.
    Layout(LayoutError),
    /// The writer failed.
    Write(E),
}

/// An OCI image layout directory.
#[derive(Debug, Clone)]
pub struct Layout {
    dir: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LayoutError + '_ {
    move |source| LayoutError::Io(tagwright_fs::FileError { path: path.to_path_buf(), source })
}

/// A temporary file beside `target`, to be renamed onto it.
fn temp_beside(target: &Path) -> Result<TempFile, LayoutError> {
    let dir = target.parent().unwrap_or(Path::new("."));
    TempFile::new_in(dir, ".tagwright.").map_err(io(dir))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), LayoutError> {
    let mut temp = temp_beside(path)?;
    temp.as_file_mut().write_all(bytes).map_err(io(path))?;
    temp.persist(path).map_err(io(path))
}

/// Reads a file of at most `limit` bytes; a larger one is invalid.
fn read_capped(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, LayoutError> {
    let file = std::fs::File::open(path).map_err(io(path))?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io(path))?;
    if bytes.len() as u64 > limit {
        return Err(LayoutError::Invalid(tagwright_fs::BadFile::new(
            path.to_path_buf(),
            format!("{what} is larger than {} MiB", limit >> 20),
        )));
    }
    Ok(bytes)
}

impl Layout {
    /// Opens a layout, creating `oci-layout` and an empty `index.json` when the directory has none.
    pub fn create(dir: &Path) -> Result<Layout, LayoutError> {
        let layout = Layout { dir: dir.to_path_buf() };
        if !dir.join("oci-layout").is_file() {
            write_atomically(&dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        }
        if !dir.join("index.json").is_file() {
            layout.write_index(&json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}))?;
        }
        Ok(layout)
    }

    /// Opens an existing layout.
    pub fn open(dir: &Path) -> Result<Layout, LayoutError> {
        if !dir.join("oci-layout").is_file() {
            return Err(LayoutError::Invalid(tagwright_fs::BadFile::new(
                dir.to_path_buf(),
                "not an OCI image layout (no oci-layout file)".to_owned(),
            )));
        }
        Ok(Layout { dir: dir.to_path_buf() })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where a blob lives: `blobs/<algorithm>/<hex>`, always inside the layout.
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.dir.join("blobs").join(digest.algorithm().as_str()).join(digest.hex())
    }

    /// Whether the blob is present.
    pub fn has_blob(&self, digest: &Digest) -> bool {
        self.blob_path(digest).is_file()
    }

    /// Stores a blob from bytes (unless present).
    pub fn put_blob_bytes(&self, digest: &Digest, bytes: &[u8]) -> Result<bool, LayoutError> {
        if self.has_blob(digest) {
            return Ok(false);
        }
        write_atomically(&self.blob_path(digest), bytes)?;
        Ok(true)
    }

    /// Stores a blob by copying a file (unless present), checking that the file has that digest.
    pub fn put_blob_file(&self, digest: &Digest, source: &Path) -> Result<bool, LayoutError> {
        let target = self.blob_path(digest);
        self.put_blob_with(digest, |file| {
            let mut input = std::fs::File::open(source).map_err(io(source))?;
            let (actual, _) = copy_hashing(&mut input, file, digest.algorithm(), u64::MAX, |_| {}).map_err(
                |e| match e {
                    CopyError::Write(e) => io(&target)(e),
                    CopyError::Read(e) => io(source)(e),
                    CopyError::TooLong => io(source)(std::io::Error::other("longer than 16 EiB")),
                },
            )?;
            if &actual != digest {
                return Err(LayoutError::Integrity {
                    path: source.to_path_buf(),
                    message: format!("the content does not match its digest: it is {actual}, not {digest}"),
                });
            }
            Ok(())
        })
        .map_err(|e| match e {
            PutBlobError::Layout(e) | PutBlobError::Write(e) => e,
        })
    }

    /// Stores a blob (unless present) that `write` writes into a temporary file beside its final place;
    /// `write` checks the digest (as [`crate::Registry::get_blob`] does). The file is renamed into place
    /// only when `write` succeeds; otherwise it is removed.
    pub fn put_blob_with<E>(
        &self,
        digest: &Digest,
        write: impl FnOnce(&mut std::fs::File) -> Result<(), E>,
    ) -> Result<bool, PutBlobError<E>> {
        if self.has_blob(digest) {
            return Ok(false);
        }
        let target = self.blob_path(digest);
        let mut temp = temp_beside(&target).map_err(PutBlobError::Layout)?;
        write(temp.as_file_mut()).map_err(PutBlobError::Write)?;
        temp.persist(&target).map_err(|e| PutBlobError::Layout(io(&target)(e)))?;
        Ok(true)
    }

    fn index_path(&self) -> PathBuf {
        self.dir.join("index.json")
    }

    fn read_index(&self) -> Result<Value, LayoutError> {
        let path = self.index_path();
        let bytes = read_capped(&path, MAX_MANIFEST_BYTES, "index.json")?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            LayoutError::Invalid(tagwright_fs::BadFile::new(path.clone(), format!("invalid JSON: {e}")))
        })?;
        if !value["manifests"].is_array() {
            return Err(LayoutError::Invalid(tagwright_fs::BadFile::new(
                path,
                "no manifests array".to_owned(),
            )));
        }
        Ok(value)
    }

    /// The entries of `index.json`, each checked, with the tag that names it.
    fn entries(&self) -> Result<Vec<(Descriptor, Option<String>)>, LayoutError> {
        let index = self.read_index()?;
        let path = self.index_path();
        index["manifests"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, entry)| {
                let entry = Entry::from_json(entry, &format!("manifest {}", i + 1)).map_err(|message| {
                    LayoutError::Invalid(tagwright_fs::BadFile::new(path.clone(), message))
                })?;
                Ok((entry.descriptor, entry.annotations.get(REF_NAME).cloned()))
            })
            .collect()
    }

    fn write_index(&self, index: &Value) -> Result<(), LayoutError> {
        let path = self.index_path();
        let text = serde_json::to_string(index)
            .map_err(|e| LayoutError::Invalid(tagwright_fs::BadFile::new(path.clone(), e.to_string())))?;
        write_atomically(&path, text.as_bytes())
    }

    /// Stores a manifest and names it `tag` in `index.json` (replacing an entry of the same name).
    pub fn put_manifest(
        &self,
        tag: Option<&str>,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Digest, LayoutError> {
        let digest = Digest::sha256(bytes);
        self.put_blob_bytes(&digest, bytes)?;
        let mut index = self.read_index()?;
        let Some(manifests) = index.get_mut("manifests").and_then(Value::as_array_mut) else {
            return Err(LayoutError::Invalid(tagwright_fs::BadFile::new(
                self.index_path(),
                "no manifests array".to_owned(),
            )));
        };
        let mut entry = json!({"mediaType": media_type, "digest": digest.as_str(), "size": bytes.len()});
        match tag {
            Some(tag) => {
                manifests.retain(|m| m["annotations"][REF_NAME].as_str() != Some(tag));
                entry["annotations"] = json!({ REF_NAME: tag });
            }
            None => manifests
                .retain(|m| m["digest"].as_str() != Some(digest.as_str()) || m.get("annotations").is_some()),
        }
        manifests.push(entry);
        self.write_index(&index)?;
        Ok(digest)
    }

    /// The manifest named `tag`, or the one with `digest`; with no reference, the only manifest.
    pub fn resolve(&self, reference: Option<&crate::Reference>) -> Result<Option<Descriptor>, LayoutError> {
        let entries = self.entries()?;
        let found = match reference {
            Some(crate::Reference::Tag(tag)) => entries.iter().rev().find(|(_, t)| t.as_deref() == Some(tag)),
            Some(crate::Reference::Digest(digest)) => entries.iter().find(|(d, _)| &d.digest == digest),
            None if entries.len() == 1 => entries.first(),
            None => None,
        };
        Ok(found.map(|(d, _)| d.clone()))
    }

    /// Removes every `index.json` entry for `digest` (blobs stay until a collector removes them);
    /// returns the tags that named it.
    pub fn remove(&self, digest: &Digest) -> Result<Vec<String>, LayoutError> {
        let mut index = self.read_index()?;
        let mut tags = Vec::new();
        if let Some(manifests) = index.get_mut("manifests").and_then(Value::as_array_mut) {
            manifests.retain(|m| {
                let matches = m["digest"].as_str() == Some(digest.as_str());
                if let Some(tag) = m["annotations"][REF_NAME].as_str().filter(|_| matches) {
                    tags.push(tag.to_owned());
                }
                !matches
            });
        }
        self.write_index(&index)?;
        Ok(tags)
    }

    /// Every tag in `index.json` with the digest it names.
    pub fn tags(&self) -> Result<Vec<(String, Digest)>, LayoutError> {
        Ok(self.entries()?.into_iter().filter_map(|(d, tag)| Some((tag?, d.digest))).collect())
    }

    /// Reads a small blob (a manifest or config) whole: at most [`MAX_MANIFEST_BYTES`], and it must
    /// match its digest.
    pub fn read_blob(&self, digest: &Digest) -> Result<Vec<u8>, LayoutError> {
        let path = self.blob_path(digest);
        let bytes = read_capped(&path, MAX_MANIFEST_BYTES, "the blob")?;
        let actual = Digest::of(digest.algorithm(), &bytes);
        if &actual != digest {
            return Err(LayoutError::Integrity {
                path,
                message: format!("the content does not match its digest: it is {actual}, not {digest}"),
            });
        }
        Ok(bytes)
    }
}
