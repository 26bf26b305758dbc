//! Where artifacts are read and written: a registry repository or an OCI image layout, behind one
//! interface, so that every operation works on either. Blobs from either side are checked against
//! their descriptor's size and digest on the way.

use std::io::Read;
use std::path::Path;

use crate::digest::Digest;
use crate::layout::{Layout, LayoutError, PutBlobError};
use crate::manifest::{Descriptor, MAX_MANIFEST_BYTES, OCI_MANIFEST};
use crate::ops::error::OciError;
use crate::reference::Reference;
use crate::registry::{
    BlobSource, CopyError, Manifest, ManifestStatus, Registry, RegistryError, copy_hashing,
};

/// A registry repository or a layout, opened.
pub(crate) enum Store {
    Registry { registry: Box<Registry>, repository: String },
    Layout(Layout),
}

impl Store {
    pub(crate) fn head(&self, reference: &Reference) -> Result<ManifestStatus, OciError> {
        match self {
            Store::Registry { registry, repository } => Ok(registry.head_manifest(repository, reference)?),
            Store::Layout(layout) => Ok(match layout.resolve(Some(reference))? {
                Some(d) => ManifestStatus::Found { digest: Some(d.digest), media_type: d.media_type },
                None => ManifestStatus::Missing,
            }),
        }
    }

    pub(crate) fn manifest(&self, reference: &Reference) -> Result<Option<Manifest>, OciError> {
        match self {
            Store::Registry { registry, repository } => Ok(registry.get_manifest(repository, reference)?),
            Store::Layout(layout) => {
                // A digest not named in index.json (an index's child) is still a blob.
                let found = layout.resolve(Some(reference))?.or_else(|| match reference {
                    Reference::Digest(d) if layout.has_blob(d) => {
                        Some(Descriptor { media_type: String::new(), digest: d.clone(), size: 0 })
                    }
                    _ => None,
                });
                let Some(found) = found else { return Ok(None) };
                let bytes = layout.read_blob(&found.digest)?;
                // An index's child is named by no `index.json` entry: its own `mediaType` says what it is.
                let media_type = if found.media_type.is_empty() {
                    crate::manifest::parse(&bytes, "")
                        .map_or_else(|_| OCI_MANIFEST.to_owned(), |p| p.media_type)
                } else {
                    found.media_type
                };
                Ok(Some(Manifest { bytes, media_type, digest: found.digest }))
            }
        }
    }

    /// A small blob (a config), whole: at most its descriptor's size, which is at most 4 MiB.
    pub(crate) fn small_blob(&self, blob: &Descriptor, what: &str) -> Result<Vec<u8>, OciError> {
        if blob.size > MAX_MANIFEST_BYTES {
            return Err(OciError::Content {
                reference: what.to_owned(),
                message: format!("the config is {} bytes, larger than 4 MiB", blob.size),
            });
        }
        match self {
            Store::Registry { registry, repository } => {
                let mut bytes = Vec::new();
                registry.get_blob(repository, &blob.digest, blob.size, &mut bytes)?;
                Ok(bytes)
            }
            Store::Layout(layout) => Ok(layout.read_blob(&blob.digest)?),
        }
    }

    /// Streams a blob into `file`, checking its size and digest.
    pub(crate) fn blob_into(&self, blob: &Descriptor, file: &mut std::fs::File) -> Result<u64, OciError> {
        match self {
            Store::Registry { registry, repository } => {
                Ok(registry.get_blob(repository, &blob.digest, blob.size, file)?)
            }
            Store::Layout(layout) => {
                let path = layout.blob_path(&blob.digest);
                let input = std::fs::File::open(&path)
                    .map_err(tagwright_fs::at(&path))
                    .map_err(RegistryError::from)?;
                copy_checked(input, blob, file, &path)
            }
        }
    }

    pub(crate) fn has_blob(&self, digest: &Digest) -> Result<bool, OciError> {
        match self {
            Store::Registry { registry, repository } => Ok(registry.blob_exists(repository, digest)?),
            Store::Layout(layout) => Ok(layout.has_blob(digest)),
        }
    }

    /// Stores a blob from `source` unless present; returns whether it was written.
    pub(crate) fn put_blob(&self, digest: &Digest, size: u64, source: &BlobSource) -> Result<bool, OciError> {
        match (self, source) {
            (Store::Registry { registry, repository }, _) => {
                Ok(registry.push_blob(repository, digest, size, source)?)
            }
            (Store::Layout(layout), BlobSource::Bytes(bytes)) => Ok(layout.put_blob_bytes(digest, bytes)?),
            (Store::Layout(layout), BlobSource::File(path)) => {
                let descriptor = Descriptor { media_type: String::new(), digest: digest.clone(), size };
                layout
                    .put_blob_with(digest, |file| {
                        let input = std::fs::File::open(path)
                            .map_err(tagwright_fs::at(path))
                            .map_err(RegistryError::from)?;
                        copy_checked(input, &descriptor, file, path).map(drop)
                    })
                    .map_err(flatten_put)
            }
        }
    }

    /// Stores a manifest, named by `tag` (or only by its digest).
    pub(crate) fn put_manifest(
        &self,
        tag: Option<&str>,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Digest, OciError> {
        let digest = Digest::sha256(bytes);
        match self {
            Store::Registry { registry, repository } => {
                let reference = match tag {
                    Some(tag) => Reference::Tag(tag.to_owned()),
                    None => Reference::Digest(digest),
                };
                Ok(registry.put_manifest(repository, &reference, media_type, bytes)?)
            }
            Store::Layout(layout) => match tag {
                Some(tag) => Ok(layout.put_manifest(Some(tag), media_type, bytes)?),
                None => {
                    layout.put_blob_bytes(&digest, bytes)?;
                    Ok(digest)
                }
            },
        }
    }
}

/// Copies a file's bytes into `file`, checking them against `blob`'s size and digest: an integrity
/// failure names `path`.
pub(crate) fn copy_checked(
    mut input: impl Read,
    blob: &Descriptor,
    file: &mut std::fs::File,
    path: &Path,
) -> Result<u64, OciError> {
    let integrity =
        |message: String| OciError::Layout(LayoutError::Integrity { path: path.to_path_buf(), message });
    let (actual, size) =
        copy_hashing(&mut input, file, blob.digest.algorithm(), blob.size, |_| {}).map_err(|e| match e {
            CopyError::TooLong => {
                integrity(format!("the blob is larger than the {} bytes its descriptor gives", blob.size))
            }
            CopyError::Read(source) | CopyError::Write(source) => {
                OciError::Registry(tagwright_fs::at(path)(source).into())
            }
        })?;
    if size != blob.size {
        return Err(integrity(format!("the blob has {size} bytes, its descriptor {}", blob.size)));
    }
    if actual != blob.digest {
        return Err(integrity(format!(
            "the content does not match its digest: it is {actual}, not {}",
            blob.digest
        )));
    }
    Ok(size)
}

/// A failed [`Layout::put_blob_with`] as one error.
pub(crate) fn flatten_put(error: PutBlobError<OciError>) -> OciError {
    match error {
        PutBlobError::Layout(e) => OciError::Layout(e),
        PutBlobError::Write(e) => e,
    }
}
