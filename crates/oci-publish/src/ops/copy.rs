//! Copying an artifact between registries and layouts, blobs streamed.

use std::path::Path;

use super::{OciError, Publisher, parse_manifest};
use crate::digest::Digest;
use crate::layout::LayoutError;
use crate::manifest::Content;
use crate::reference::{Reference, Target};
use crate::registry::{BlobSource, Manifest, ManifestStatus, RegistryError};
use crate::scratch::TempDir;
use crate::store::{Store, flatten_put};

/// What a copy did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CopyReport {
    /// The manifest's digest.
    pub digest: Digest,
    /// Blobs in the artifact.
    pub blobs: usize,
    /// Blobs uploaded (the others were already there).
    pub uploaded: usize,
    /// Bytes uploaded.
    pub bytes: u64,
    /// The destination already had this manifest under the tag.
    pub unchanged: bool,
}

impl Publisher {
    /// Copies the artifact at `source` (an image, an index with its images, or a chart) to
    /// `destination` (tagged like the source unless a tag is given). Blobs are streamed.
    pub fn copy(&self, source: &Target, destination: &Target) -> Result<CopyReport, OciError> {
        let reference = Publisher::required_reference(source)?;
        let tag = match destination.reference().or(Some(&reference)) {
            Some(Reference::Tag(t)) => Some(t.clone()),
            _ => None,
        };
        let from = self.store(source, false)?;
        let to = self.store(destination, true)?;
        let manifest =
            from.manifest(&reference)?.ok_or_else(|| OciError::NotFound { reference: source.to_string() })?;
        if let Some(tag) = &tag
            && let ManifestStatus::Found { digest: Some(existing), .. } =
                to.head(&Reference::Tag(tag.clone()))?
            && existing == manifest.digest
        {
            self.events.note(&format!("{destination}: already at {existing}, nothing to copy"));
            return Ok(CopyReport { digest: existing, blobs: 0, uploaded: 0, bytes: 0, unchanged: true });
        }
        let mut report =
            CopyReport { digest: manifest.digest.clone(), blobs: 0, uploaded: 0, bytes: 0, unchanged: false };
        let scratch = TempDir::new("tagwright-copy-")
            .map_err(tagwright_fs::at(&std::env::temp_dir()))
            .map_err(RegistryError::from)?;
        self.copy_manifest(
            &from,
            &to,
            &manifest,
            tag.as_deref(),
            &source.to_string(),
            scratch.path(),
            &mut report,
        )?;
        Ok(report)
    }

    #[allow(clippy::too_many_arguments)]
    fn copy_manifest(
        &self,
        from: &Store,
        to: &Store,
        manifest: &Manifest,
        tag: Option<&str>,
        what: &str,
        scratch: &Path,
        report: &mut CopyReport,
    ) -> Result<(), OciError> {
        let parsed = parse_manifest(manifest, what)?;
        if let Content::Index { manifests } = &parsed.content {
            for (child, _) in manifests {
                let child_manifest =
                    from.manifest(&Reference::Digest(child.digest.clone()))?.ok_or_else(|| {
                        OciError::NotFound { reference: format!("{what} → {}", child.digest) }
                    })?;
                self.copy_manifest(from, to, &child_manifest, None, what, scratch, report)?;
            }
        }
        for blob in parsed.blobs() {
            report.blobs += 1;
            if to.has_blob(&blob.digest)? {
                continue;
            }
            let written = match (from, to) {
                // Into a layout: streamed from the source (which checks size and digest), renamed into place.
                (_, Store::Layout(layout)) => layout
                    .put_blob_with(&blob.digest, |file| from.blob_into(blob, file).map(drop))
                    .map_err(flatten_put)?,
                (Store::Layout(layout), Store::Registry { .. }) => {
                    // Checked before a byte leaves: a layout blob is uploaded only if it is what it claims.
                    // The path is the layout's own (the digest was checked); the registry checks the
                    // digest of what arrives, and the size is checked here before a byte leaves.
                    let path = layout.blob_path(&blob.digest);
                    let size = std::fs::metadata(&path)
                        .map_err(tagwright_fs::at(&path))
                        .map_err(RegistryError::from)?
                        .len();
                    if size != blob.size {
                        return Err(OciError::Layout(LayoutError::Integrity {
                            path,
                            message: format!("the blob has {size} bytes, its descriptor {}", blob.size),
                        }));
                    }
                    to.put_blob(&blob.digest, blob.size, &BlobSource::File(path))?
                }
                // Registry to registry: through a scratch file, which retries can read again.
                (Store::Registry { .. }, Store::Registry { .. }) => {
                    let path = scratch.join(blob.digest.tag_prefix());
                    let mut file = std::fs::File::create(&path)
                        .map_err(tagwright_fs::at(&path))
                        .map_err(RegistryError::from)?;
                    from.blob_into(blob, &mut file)?;
                    let written = to.put_blob(&blob.digest, blob.size, &BlobSource::File(path.clone()));
                    let _ = std::fs::remove_file(&path);
                    written?
                }
            };
            if written {
                report.uploaded += 1;
                report.bytes += blob.size;
            }
        }
        to.put_manifest(tag, &parsed.media_type, &manifest.bytes)?;
        Ok(())
    }
}
