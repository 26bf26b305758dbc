//! `oci-publish --json`: one typed document per command. The shapes are a stable contract
//! (docs/STABILITY.md), snapshot-tested in `tests/oci_publish.rs`. `chart push` prints
//! [`tagwright_oci_publish::ChartPush`] itself.

use std::path::PathBuf;

use serde::Serialize;
use tagwright_oci_publish::manifest::Descriptor;
use tagwright_oci_publish::{ChartId, Digest};

pub use crate::json::Document;

/// `chart package`.
#[derive(Debug, Serialize)]
pub struct Packaged {
    /// The archive written.
    pub path: PathBuf,
    /// The chart's name.
    pub name: String,
    /// The chart's version.
    pub version: String,
    /// The archive's digest.
    pub digest: Digest,
    /// The archive's size.
    pub size: u64,
    /// The time stamped on every entry, in seconds since the epoch.
    pub mtime: u64,
    /// Where that time came from.
    pub mtime_source: String,
}

/// `chart pull`.
#[derive(Debug, Serialize)]
pub struct Pulled {
    /// What was pulled.
    pub reference: String,
    /// The manifest's digest.
    pub digest: Digest,
    /// The archive written.
    pub path: PathBuf,
    /// The chart.
    pub chart: ChartId,
    /// The chart layer.
    pub layer: Descriptor,
    /// The layer had Helm's legacy media type.
    pub legacy_media_type: bool,
}

/// `manifest`.
#[derive(Debug, Serialize)]
pub struct ManifestShown {
    /// What was read.
    pub reference: String,
    /// The manifest's digest.
    pub digest: Digest,
    /// Its media type.
    #[serde(rename = "mediaType")]
    pub media_type: String,
    /// Its size.
    pub size: u64,
    /// The manifest itself.
    pub manifest: serde_json::Value,
}

/// `wait`, when the artifact is there (`status: ready`).
#[derive(Debug, Serialize)]
pub struct Ready {
    /// What was awaited.
    pub reference: String,
    /// Its digest.
    pub digest: Digest,
    /// Its media type.
    #[serde(rename = "mediaType")]
    pub media_type: String,
    /// Checks made.
    pub checks: u32,
    /// Seconds spent.
    pub elapsed_seconds: f64,
}

/// `wait`, when the time ran out (`status: timeout`, exit 3).
#[derive(Debug, Serialize)]
pub struct TimedOut {
    /// What was awaited.
    pub reference: String,
    /// What the last check found.
    pub last: String,
    /// Checks made.
    pub checks: u32,
    /// Seconds spent.
    pub elapsed_seconds: f64,
}

/// `delete`.
#[derive(Debug, Serialize)]
pub struct Deleted {
    /// What was deleted.
    pub reference: String,
    /// The deleted manifest's digest.
    pub digest: Digest,
    /// Other tags that named it, deleted with it.
    pub shared_tags: Vec<String>,
    /// Its cosign signature and attestation tags.
    pub signatures: Vec<String>,
    /// `registry`, `layout` or `github-packages`.
    pub via: String,
    /// GitHub package versions deleted.
    pub package_versions: Vec<u64>,
    /// Nothing was deleted: a dry run.
    pub dry_run: bool,
}

/// `copy`.
#[derive(Debug, Serialize)]
pub struct Copied {
    /// The source.
    pub source: String,
    /// The destination.
    pub destination: String,
    /// The copied manifest's digest.
    pub digest: Digest,
    /// Blobs referenced.
    pub blobs: usize,
    /// Blobs sent.
    pub uploaded: usize,
    /// Bytes sent.
    pub bytes: u64,
    /// The destination already had it.
    pub unchanged: bool,
}
