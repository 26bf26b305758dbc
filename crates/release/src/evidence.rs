//! The release's evidence and assets, made locally and deterministically: the chart archive (the
//! bytes of the chart that was pushed), the CycloneDX SBOM of the lock, any extra files,
//! `checksums.txt` over them, as GNU `sha256sum` writes it, and `release-manifest.json`, which lists
//! every artifact with its digest and where it lives: the image, the chart, and every release asset,
//! `checksums.txt` included. Signed, the manifest covers the whole release: an asset it does not list
//! is not part of it.

use std::path::{Path, PathBuf};

use serde_json::json;
use tagwright_checksums::{Algorithm, LineFormat, format_line, hash_reader};
use tagwright_oci_publish::{ChartPush, Digest};

use crate::{Error, ErrorKind, ReleaseAsset};

/// The name of the release manifest asset.
pub const RELEASE_MANIFEST: &str = "release-manifest.json";
/// The name of the checksum list asset.
pub const CHECKSUMS: &str = "checksums.txt";
/// The name of the release manifest's signature: a Sigstore bundle (keyless, or with a key's hint).
pub const MANIFEST_BUNDLE: &str = "release-manifest.json.sigstore.json";
/// The name of the SBOM asset.
pub const SBOM: &str = "sbom.cdx.json";
/// The version of `release-manifest.json`'s layout: 2 lists every release asset, `checksums.txt`
/// included (1 did not list `checksums.txt`).
pub const MANIFEST_SCHEMA_VERSION: u32 = 2;

/// One asset, as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct AssetSummary {
    /// Its name.
    pub name: String,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
}

/// What the evidence step is given.
pub(crate) struct Inputs<'a> {
    pub(crate) repo: &'a Path,
    pub(crate) chart_dir: &'a Path,
    pub(crate) version: &'a str,
    pub(crate) tag: Option<&'a str>,
    pub(crate) image: (&'a str, &'a Digest),
    pub(crate) chart: &'a ChartPush,
    pub(crate) extra: &'a [PathBuf],
}

fn asset(name: &str, content_type: &str, bytes: Vec<u8>) -> ReleaseAsset {
    ReleaseAsset { name: name.to_owned(), content_type: content_type.to_owned(), bytes }
}

fn input(message: String) -> Error {
    Error::new(ErrorKind::Input, message)
}

/// The release assets, in order: the chart archive, the SBOM, the extra files, the checksum list
/// (over those) and the release manifest (over all of them).
pub(crate) fn assets(inputs: &Inputs<'_>) -> Result<Vec<ReleaseAsset>, Error> {
    let scratch = tempfile::tempdir().map_err(|e| input(format!("a temporary directory: {e}")))?;
    let packaged = tagwright_oci_publish::chart::package(inputs.chart_dir, scratch.path())
        .map_err(|e| Error::caused(ErrorKind::Input, e))?;
    let chart_bytes =
        std::fs::read(&packaged.path).map_err(|e| input(format!("{}: {e}", packaged.path.display())))?;
    let chart_digest = Digest::sha256(&chart_bytes);
    // The archive must be the chart that was pushed: its layer, byte for byte.
    if let Some(layer) = inputs.chart.layers.iter().find(|l| l.media_type.contains("helm.chart.content"))
        && layer.digest != chart_digest
    {
        return Err(Error::new(
            ErrorKind::Check,
            format!(
                "{}: the chart packaged now ({chart_digest}) is not the one pushed as {} ({}): the chart changed during the release",
                inputs.chart_dir.display(),
                inputs.chart.reference,
                layer.digest
            ),
        ));
    }
    let chart_name = packaged.path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let (_, sbom) = tagwright_sbom::sbom_json(&tagwright_sbom::SbomOptions::new(inputs.repo))
        .map_err(|e| Error::caused(ErrorKind::Input, e))?;
    let mut assets = vec![
        asset(&chart_name, "application/gzip", chart_bytes),
        asset(SBOM, "application/vnd.cyclonedx+json", sbom.into_bytes()),
    ];
    for path in inputs.extra {
        let bytes = std::fs::read(path).map_err(|e| input(format!("{}: {e}", path.display())))?;
        let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        if [RELEASE_MANIFEST, CHECKSUMS, MANIFEST_BUNDLE].contains(&name.as_str())
            || assets.iter().any(|a| a.name == name)
        {
            return Err(input(format!(
                "{}: an asset named {name} is already part of the release",
                path.display()
            )));
        }
        assets.push(asset(&name, "application/octet-stream", bytes));
    }
    let mut list = Vec::new();
    for asset in &assets {
        let digest =
            hash_reader(Algorithm::Sha256, asset.bytes.as_slice()).map_err(|e| input(e.to_string()))?;
        list.extend(format_line(&digest, asset.name.as_bytes(), LineFormat::default()));
    }
    assets.push(asset(CHECKSUMS, "text/plain", list));
    assets.push(asset(RELEASE_MANIFEST, "application/json", manifest(inputs, &assets).into_bytes()));
    Ok(assets)
}

/// `release-manifest.json`: the commit released, every artifact, its media type, digest and size, and
/// where it lives.
fn manifest(inputs: &Inputs<'_>, assets: &[ReleaseAsset]) -> String {
    let (image, image_digest) = inputs.image;
    let repository = image.rsplit_once(':').map_or(image, |(r, _)| r);
    let chart_repository =
        inputs.chart.reference.rsplit_once(':').map_or(inputs.chart.reference.as_str(), |(r, _)| r);
    let mut artifacts = vec![
        json!({"name": "image", "mediaType": "application/vnd.oci.image.index.v1+json", "digest": image_digest.as_str(),
               "location": format!("{repository}@{image_digest}")}),
        json!({"name": "chart", "mediaType": inputs.chart.media_type, "digest": inputs.chart.digest.as_str(),
               "size": inputs.chart.size, "location": format!("{chart_repository}@{}", inputs.chart.digest)}),
    ];
    for asset in assets {
        artifacts.push(json!({"name": asset.name, "mediaType": asset.content_type,
            "digest": Digest::sha256(&asset.bytes).as_str(), "size": asset.bytes.len(),
            "location": format!("release asset {}", asset.name)}));
    }
    let mut document = json!({
        "schemaVersion": MANIFEST_SCHEMA_VERSION,
        "version": inputs.version,
        "tag": inputs.tag,
        "artifacts": artifacts
    });
    // The commit released: what the signed tag must name (`tagwright verify` compares them).
    if let Some(commit) = released_commit(inputs.repo, inputs.tag) {
        document["commit"] = json!(commit);
    }
    format!("{}\n", serde_json::to_string_pretty(&document).unwrap_or_default())
}

/// The commit the tag names (HEAD's without a tag).
fn released_commit(repo: &Path, tag: Option<&str>) -> Option<String> {
    let repo = git2::Repository::discover(repo).ok()?;
    let spec = tag.map_or_else(|| "HEAD".to_owned(), |t| format!("refs/tags/{t}"));
    Some(repo.revparse_single(&spec).ok()?.peel_to_commit().ok()?.id().to_string())
}

/// The summary of each asset, for the report.
pub(crate) fn summaries(assets: &[ReleaseAsset]) -> Vec<AssetSummary> {
    assets
        .iter()
        .map(|a| AssetSummary {
            name: a.name.clone(),
            digest: Digest::sha256(&a.bytes).to_string(),
            size: a.bytes.len() as u64,
        })
        .collect()
}
