//! Pushing a chart as `helm push` does, packaged first when it is a directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{OciError, Publisher, file_digest, rfc3339};
use crate::chart::{self, ChartError};
use crate::digest::Digest;
use crate::gojson;
use crate::manifest::{Descriptor, OCI_MANIFEST};
use crate::reference::{Reference, Target};
use crate::registry::{BlobSource, ManifestStatus};
use crate::scratch::TempDir;

/// What a chart push did.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct ChartPush {
    /// Where it went, such as `ghcr.io/org/charts/advisoryhub:1.2.0`.
    pub reference: String,
    /// The manifest's digest.
    pub digest: Digest,
    /// The manifest's size.
    pub size: u64,
    /// The manifest's media type.
    #[serde(rename = "mediaType")]
    pub media_type: String,
    /// The config blob.
    pub config: Descriptor,
    /// The layers (the chart, and its provenance file if there is one).
    pub layers: Vec<Descriptor>,
    /// The digests that were uploaded (the others were already there).
    pub uploaded: Vec<Digest>,
    /// The destination already had this manifest under the tag: nothing was written.
    pub unchanged: bool,
    /// Nothing was written because this was a dry run.
    pub dry_run: bool,
    /// The chart.
    pub chart: ChartId,
    /// The manifest bytes.
    #[serde(skip)]
    pub manifest: Vec<u8>,
}

/// A chart's name and version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChartId {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// The JSON of a descriptor, as Go's `ocispec.Descriptor` marshals it.
fn descriptor_json(d: &Descriptor) -> String {
    gojson::Object::new()
        .str("mediaType", &d.media_type)
        .str("digest", d.digest.as_str())
        .num("size", d.size)
        .finish()
}

/// Helm's chart manifest: `ocispec.Manifest{SchemaVersion: 2, Config, Layers, Annotations}` as Go
/// marshals it (no `mediaType` field).
fn chart_manifest(
    config: &Descriptor,
    layers: &[Descriptor],
    annotations: &BTreeMap<String, String>,
) -> String {
    let layers = format!("[{}]", layers.iter().map(descriptor_json).collect::<Vec<_>>().join(","));
    gojson::Object::new()
        .num("schemaVersion", 2)
        .raw("config", Some(&descriptor_json(config)))
        .raw("layers", Some(&layers))
        .map("annotations", annotations)
        .finish()
}

impl Publisher {
    /// Packages (if `chart` is a directory) and pushes a chart as Helm does: to `<namespace>/<name>:<version>`
    /// for an `oci://host/namespace` target, or to the layout (tagged with the version unless a tag is
    /// given). Blobs and manifests already present are not sent again.
    pub fn push_chart(&self, chart: &Path, target: &Target, dry_run: bool) -> Result<ChartPush, OciError> {
        let work = TempDir::new("tagwright-chart-")
            .map_err(tagwright_fs::at(&std::env::temp_dir()))
            .map_err(ChartError::from)?;
        let (archive, metadata, created) = if chart.is_dir() {
            let packaged = chart::package(chart, work.path())?;
            (packaged.path, packaged.metadata, packaged.mtime)
        } else {
            let metadata = chart::read_archive(chart)?;
            // Helm stamps `created` with the archive's mtime; SOURCE_DATE_EPOCH wins, for reproducibility.
            let mtime = tagwright_fs::source_date_epoch().map_err(ChartError::from)?.unwrap_or_else(|| {
                std::fs::metadata(chart)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_secs())
            });
            (chart.to_path_buf(), metadata, mtime)
        };
        let tag = metadata.tag();
        let destination = match target {
            Target::Registry(r) => match &r.reference {
                None => Target::Registry(r.child(&metadata.name).at(Reference::Tag(tag.clone()))),
                Some(reference) => {
                    let last = r.repository.rsplit('/').next().unwrap_or_default();
                    if last != metadata.name || reference != &Reference::Tag(tag.clone()) {
                        return Err(OciError::Usage(format!(
                            "{r}: a chart {} {} goes to …/{}:{tag}; give the namespace (oci://{}/{}) and the name and tag follow from Chart.yaml",
                            metadata.name,
                            metadata.version,
                            metadata.name,
                            r.host,
                            r.repository.rsplit_once('/').map_or(r.repository.as_str(), |(ns, _)| ns),
                        )));
                    }
                    target.clone()
                }
            },
            Target::Layout { dir, reference } => Target::Layout {
                dir: dir.clone(),
                reference: Some(reference.clone().unwrap_or_else(|| Reference::Tag(tag.clone()))),
            },
        };
        let destination_tag = match destination.reference() {
            Some(Reference::Tag(t)) => t.clone(),
            _ => return Err(OciError::Usage(format!("{target}: a chart is pushed to a tag, not a digest"))),
        };

        let config_bytes = metadata.config_json().into_bytes();
        let config = Descriptor {
            media_type: chart::CONFIG_MEDIA_TYPE.to_owned(),
            digest: Digest::sha256(&config_bytes),
            size: config_bytes.len() as u64,
        };
        let (layer_digest, layer_size) = file_digest(&archive)?;
        let mut layers = vec![(
            Descriptor {
                media_type: chart::CHART_LAYER_MEDIA_TYPE.to_owned(),
                digest: layer_digest,
                size: layer_size,
            },
            archive.clone(),
        )];
        let provenance = PathBuf::from(format!("{}.prov", archive.display()));
        if provenance.is_file() {
            let (digest, size) = file_digest(&provenance)?;
            layers.push((
                Descriptor { media_type: chart::PROVENANCE_MEDIA_TYPE.to_owned(), digest, size },
                provenance,
            ));
        }
        // Helm sorts layers by digest, "for determinism".
        layers.sort_by(|a, b| a.0.digest.as_str().cmp(b.0.digest.as_str()));
        let descriptors: Vec<Descriptor> = layers.iter().map(|(d, _)| d.clone()).collect();
        let manifest =
            chart_manifest(&config, &descriptors, &metadata.oci_annotations(&rfc3339(created))).into_bytes();
        let digest = Digest::sha256(&manifest);
        let mut report = ChartPush {
            chart: ChartId { name: metadata.name.clone(), version: metadata.version.clone() },
            reference: destination.to_string(),
            digest: digest.clone(),
            size: manifest.len() as u64,
            media_type: OCI_MANIFEST.to_owned(),
            config: config.clone(),
            layers: descriptors,
            uploaded: Vec::new(),
            unchanged: false,
            dry_run,
            manifest: manifest.clone(),
        };
        if dry_run {
            return Ok(report);
        }
        let store = self.store(&destination, true)?;
        if let ManifestStatus::Found { digest: Some(existing), .. } =
            store.head(&Reference::Tag(destination_tag.clone()))?
            && existing == digest
        {
            report.unchanged = true;
            self.events.note(&format!("{}: already at {digest}, nothing to push", report.reference));
            return Ok(report);
        }
        if store.put_blob(&config.digest, config.size, &BlobSource::Bytes(config_bytes))? {
            report.uploaded.push(config.digest.clone());
        }
        for (layer, path) in &layers {
            if store.put_blob(&layer.digest, layer.size, &BlobSource::File(path.clone()))? {
                report.uploaded.push(layer.digest.clone());
            }
        }
        store.put_manifest(Some(&destination_tag), OCI_MANIFEST, &manifest)?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(c: char) -> Digest {
        Digest::parse(&format!("sha256:{}", c.to_string().repeat(64))).expect("digest")
    }

    #[test]
    fn chart_manifests_are_helms_shape() {
        let config =
            Descriptor { media_type: chart::CONFIG_MEDIA_TYPE.into(), digest: digest('c'), size: 10 };
        let layer =
            Descriptor { media_type: chart::CHART_LAYER_MEDIA_TYPE.into(), digest: digest('d'), size: 20 };
        let annotations = BTreeMap::from([("org.opencontainers.image.title".to_owned(), "demo".to_owned())]);
        let c = "c".repeat(64);
        let d = "d".repeat(64);
        assert_eq!(
            chart_manifest(&config, &[layer], &annotations),
            format!(
                r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"sha256:{c}","size":10}},"layers":[{{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip","digest":"sha256:{d}","size":20}}],"annotations":{{"org.opencontainers.image.title":"demo"}}}}"#
            )
        );
    }
}
