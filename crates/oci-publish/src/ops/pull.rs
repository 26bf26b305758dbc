//! Reading a manifest, and pulling a chart as `helm pull` does.

use std::path::{Path, PathBuf};

use super::{OciError, Publisher, parse_manifest};
use crate::chart::{self};
use crate::digest::Digest;
use crate::manifest::{ChartConfig, Content, Descriptor};
use crate::reference::Target;
use crate::registry::{Manifest, RegistryError};
use crate::scratch::TempFile;

/// What a chart pull wrote.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ChartPull {
    /// The chart's name.
    pub name: String,
    /// The chart's version.
    pub version: String,
    /// The manifest's digest.
    pub digest: Digest,
    /// The archive written.
    pub path: PathBuf,
    /// The chart layer.
    pub layer: Descriptor,
    /// The layer used the legacy media type `application/tar+gzip`.
    pub legacy: bool,
}

impl Publisher {
    /// The manifest at `target` (which must name a tag or digest).
    pub fn manifest(&self, target: &Target) -> Result<Manifest, OciError> {
        let reference = Publisher::required_reference(target)?;
        let store = self.store(target, false)?;
        store.manifest(&reference)?.ok_or_else(|| OciError::NotFound { reference: target.to_string() })
    }

    /// Pulls a chart as `helm pull` does: checks the media types and digests, checks the chart's name
    /// and version by Helm's rules, then writes `<dest>/<name>-<version>.tgz` atomically.
    pub fn pull_chart(&self, target: &Target, dest: &Path) -> Result<ChartPull, OciError> {
        let reference = Publisher::required_reference(target)?;
        let store = self.store(target, false)?;
        let manifest = store
            .manifest(&reference)?
            .ok_or_else(|| OciError::NotFound { reference: target.to_string() })?;
        let parsed = parse_manifest(&manifest, &target.to_string())?;
        let not_chart = |message: String| OciError::Content { reference: target.to_string(), message };
        let (config, layers) = match parsed.content {
            Content::Index { .. } => {
                return Err(not_chart("this is an image index, not a Helm chart".to_owned()));
            }
            Content::Manifest { config, layers } => (config, layers),
        };
        if config.media_type != chart::CONFIG_MEDIA_TYPE {
            return Err(not_chart(format!(
                "the config media type is `{}`, not Helm's `{}`: not a Helm chart",
                config.media_type,
                chart::CONFIG_MEDIA_TYPE
            )));
        }
        let mut chart_layer = None;
        for layer in &layers {
            match layer.media_type.as_str() {
                chart::CHART_LAYER_MEDIA_TYPE | chart::LEGACY_CHART_LAYER_MEDIA_TYPE
                    if chart_layer.is_none() =>
                {
                    chart_layer = Some(layer.clone());
                }
                chart::CHART_LAYER_MEDIA_TYPE | chart::LEGACY_CHART_LAYER_MEDIA_TYPE => {
                    return Err(not_chart("the manifest has more than one chart layer".to_owned()));
                }
                chart::PROVENANCE_MEDIA_TYPE => {}
                other => {
                    return Err(not_chart(format!("the layer media type `{other}` is not one of Helm's")));
                }
            }
        }
        let layer = chart_layer.ok_or_else(|| not_chart("the manifest has no chart layer".to_owned()))?;
        let legacy = layer.media_type == chart::LEGACY_CHART_LAYER_MEDIA_TYPE;
        if legacy {
            self.events.note(&format!(
                "{target}: the chart layer has the deprecated media type {}",
                chart::LEGACY_CHART_LAYER_MEDIA_TYPE
            ));
        }
        let config_bytes = store.small_blob(&config, &target.to_string())?;
        let config: ChartConfig =
            serde_json::from_slice(&config_bytes).map_err(|e| not_chart(format!("the chart config: {e}")))?;
        let (name, version) = (config.name.as_str(), config.version.as_str());
        chart::check_name(name).map_err(|e| not_chart(e.to_string()))?;
        chart::check_version(version).map_err(|e| not_chart(e.to_string()))?;
        let file_name = format!("{name}-{version}.tgz");
        // Both were checked, so this is one plain file name; say so where it matters.
        let mut components = Path::new(&file_name).components();
        if !matches!((components.next(), components.next()), (Some(std::path::Component::Normal(_)), None)) {
            return Err(not_chart(format!("`{file_name}` is not a plain file name")));
        }
        std::fs::create_dir_all(dest).map_err(tagwright_fs::at(dest)).map_err(RegistryError::from)?;
        let path = dest.join(&file_name);
        let mut temp = TempFile::new_in(dest, ".tagwright-pull.")
            .map_err(tagwright_fs::at(dest))
            .map_err(RegistryError::from)?;
        store.blob_into(&layer, temp.as_file_mut())?;
        temp.persist(&path).map_err(tagwright_fs::at(&path)).map_err(RegistryError::from)?;
        Ok(ChartPull {
            name: name.to_owned(),
            version: version.to_owned(),
            digest: manifest.digest,
            path,
            layer,
            legacy,
        })
    }
}
