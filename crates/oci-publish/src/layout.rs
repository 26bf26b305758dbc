//! OCI image layouts on disk (`oci-layout`, `index.json`, `blobs/sha256/…`), as skopeo and oras write them.
//! Every write goes through a temporary file and a rename, and `index.json` is replaced atomically.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// The annotation that names a manifest in `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Why a layout could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// A file could not be read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// The directory is not a valid layout.
    #[error("{}: {message}", .path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
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

/// A manifest entry of `index.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    /// `mediaType`.
    pub media_type: String,
    /// `digest`.
    pub digest: String,
    /// `size`.
    pub size: u64,
}

/// An OCI image layout directory.
#[derive(Debug, Clone)]
pub struct Layout {
    dir: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LayoutError + '_ {
    move |source| LayoutError::Io { path: path.to_path_buf(), source }
}

/// A temporary file (mode 0644) beside `target`, to be renamed onto it.
fn temp_beside(target: &Path) -> Result<tempfile::NamedTempFile, LayoutError> {
    let dir = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    tempfile::Builder::new()
        .prefix(".tagwright.")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .tempfile_in(dir)
        .map_err(io(dir))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), LayoutError> {
    let mut temp = temp_beside(path)?;
    temp.write_all(bytes).map_err(io(path))?;
    temp.persist(path).map_err(|e| io(path)(e.error))?;
    Ok(())
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
            return Err(LayoutError::Invalid {
                path: dir.to_path_buf(),
                message: "not an OCI image layout (no oci-layout file)".to_owned(),
            });
        }
        Ok(Layout { dir: dir.to_path_buf() })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where a blob lives.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let (algorithm, hex) = digest.split_once(':').unwrap_or(("sha256", digest));
        self.dir.join("blobs").join(algorithm).join(hex)
    }

    /// Whether the blob is present.
    pub fn has_blob(&self, digest: &str) -> bool {
        self.blob_path(digest).is_file()
    }

    /// Stores a blob from bytes (unless present).
    pub fn put_blob_bytes(&self, digest: &str, bytes: &[u8]) -> Result<bool, LayoutError> {
        if self.has_blob(digest) {
            return Ok(false);
        }
        write_atomically(&self.blob_path(digest), bytes)?;
        Ok(true)
    }

    /// Stores a blob by copying a file (unless present).
    pub fn put_blob_file(&self, digest: &str, source: &Path) -> Result<bool, LayoutError> {
        let target = self.blob_path(digest);
        self.put_blob_with(digest, |file| {
            let mut input = std::fs::File::open(source).map_err(io(source))?;
            std::io::copy(&mut input, file).map_err(io(&target)).map(drop)
        })
        .map_err(|e| match e {
            PutBlobError::Layout(e) | PutBlobError::Write(e) => e,
        })
    }

    /// Stores a blob (unless present) that `write` writes into a temporary file beside its final place;
    /// `write` checks the digest (as [`crate::Registry::get_blob`] does). The file is renamed into place
    /// only when `write` succeeds.
    pub fn put_blob_with<E>(
        &self,
        digest: &str,
        write: impl FnOnce(&mut std::fs::File) -> Result<(), E>,
    ) -> Result<bool, PutBlobError<E>> {
        if self.has_blob(digest) {
            return Ok(false);
        }
        let target = self.blob_path(digest);
        let mut temp = temp_beside(&target).map_err(PutBlobError::Layout)?;
        write(temp.as_file_mut()).map_err(PutBlobError::Write)?;
        temp.as_file_mut().flush().map_err(|e| PutBlobError::Layout(io(&target)(e)))?;
        temp.persist(&target).map_err(|e| PutBlobError::Layout(io(&target)(e.error)))?;
        Ok(true)
    }

    fn read_index(&self) -> Result<Value, LayoutError> {
        let path = self.dir.join("index.json");
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        serde_json::from_str(&text)
            .map_err(|e| LayoutError::Invalid { path, message: format!("invalid JSON: {e}") })
    }

    fn write_index(&self, index: &Value) -> Result<(), LayoutError> {
        write_atomically(&self.dir.join("index.json"), serde_json::to_string(index).expect("JSON").as_bytes())
    }

    /// Stores a manifest and names it `tag` in `index.json` (replacing an entry of the same name).
    pub fn put_manifest(
        &self,
        tag: Option<&str>,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<String, LayoutError> {
        let digest = crate::registry::sha256_digest(bytes);
        self.put_blob_bytes(&digest, bytes)?;
        let mut index = self.read_index()?;
        let manifests =
            index.get_mut("manifests").and_then(Value::as_array_mut).ok_or_else(|| LayoutError::Invalid {
                path: self.dir.join("index.json"),
                message: "no manifests array".to_owned(),
            })?;
        let mut entry = json!({"mediaType": media_type, "digest": digest, "size": bytes.len()});
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
        let index = self.read_index()?;
        let manifests = index["manifests"].as_array().cloned().unwrap_or_default();
        let found = match reference {
            Some(crate::Reference::Tag(tag)) => {
                manifests.iter().rev().find(|m| m["annotations"][REF_NAME].as_str() == Some(tag))
            }
            Some(crate::Reference::Digest(digest)) => {
                manifests.iter().find(|m| m["digest"].as_str() == Some(digest))
            }
            None if manifests.len() == 1 => manifests.first(),
            None => None,
        };
        Ok(found.map(|m| Descriptor {
            media_type: m["mediaType"].as_str().unwrap_or_default().to_owned(),
            digest: m["digest"].as_str().unwrap_or_default().to_owned(),
            size: m["size"].as_u64().unwrap_or(0),
        }))
    }

    /// Removes every `index.json` entry for `digest` (blobs stay until a collector removes them);
    /// returns the tags that named it.
    pub fn remove(&self, digest: &str) -> Result<Vec<String>, LayoutError> {
        let mut index = self.read_index()?;
        let mut tags = Vec::new();
        if let Some(manifests) = index.get_mut("manifests").and_then(Value::as_array_mut) {
            manifests.retain(|m| {
                let matches = m["digest"].as_str() == Some(digest);
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
    pub fn tags(&self) -> Result<Vec<(String, String)>, LayoutError> {
        let index = self.read_index()?;
        Ok(index["manifests"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| {
                Some((m["annotations"][REF_NAME].as_str()?.to_owned(), m["digest"].as_str()?.to_owned()))
            })
            .collect())
    }

    /// Reads a blob whole (manifests and configs).
    pub fn read_blob(&self, digest: &str) -> Result<Vec<u8>, LayoutError> {
        let path = self.blob_path(digest);
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let actual = crate::registry::sha256_digest(&bytes);
        if actual != digest {
            return Err(LayoutError::Invalid { path, message: format!("content is {actual}, not {digest}") });
        }
        Ok(bytes)
    }
}
