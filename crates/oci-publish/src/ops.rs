//! The operations a release needs, over registries and OCI layouts alike: push and pull a chart, read a
//! manifest, wait for an image, delete a version, and copy an artifact.
//!
//! Everything read from a registry or a layout is checked before it is used: manifests through
//! [`crate::manifest::parse`], blobs against their descriptor's digest and size, chart names and
//! versions by Helm's rules before they name a file.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::chart::{self, ChartError};
use crate::digest::Digest;
use crate::ghcr::{GithubError, GithubPackages};
use crate::gojson;
use crate::layout::{Layout, LayoutError};
use crate::manifest::{Content, Descriptor, ParsedManifest};
pub use crate::manifest::{DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST, Platform};
use crate::reference::{Reference, ReferenceError, RegistryRef, Target};
use crate::registry::{
    BlobSource, CopyError, Credentials, Events, Manifest, ManifestStatus, Registry, RegistryError,
    RegistryOptions, copy_hashing,
};
use crate::scratch::{TempDir, TempFile};
use crate::store::{Store, flatten_put};

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OciError {
    /// A reference does not parse.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// A chart is invalid or unreadable.
    #[error(transparent)]
    Chart(#[from] ChartError),
    /// The registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// An OCI layout is invalid or unwritable.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// The GitHub Packages API failed.
    #[error(transparent)]
    Github(#[from] GithubError),
    /// Nothing is at the reference.
    #[error("{reference}: not found")]
    NotFound {
        /// The reference.
        reference: String,
    },
    /// What is at the reference is not what was asked for (not a chart, a broken manifest).
    #[error("{reference}: {message}")]
    Content {
        /// The reference.
        reference: String,
        /// What is wrong.
        message: String,
    },
    /// The request itself is wrong (a missing tag, a name that does not match the chart).
    #[error("{0}")]
    Usage(String),
    /// A delete stopped half-way; says what was deleted and what remains.
    #[error("{done}; but {remaining}: {source}")]
    Partial {
        /// What was deleted.
        done: String,
        /// What remains.
        remaining: String,
        /// Why it stopped.
        #[source]
        source: Box<OciError>,
    },
}

impl OciError {
    /// Whether the input was at fault (bad reference, bad chart, bad request, an unusable layout or CA
    /// file) rather than a check or the remote side: binaries exit 2 for these, 1 otherwise. Content
    /// that does not match its digest or size is an integrity failure (1), wherever it was read.
    pub fn is_input_error(&self) -> bool {
        match self {
            OciError::Reference(_) | OciError::Chart(_) | OciError::Usage(_) => true,
            OciError::Layout(e) => !matches!(e, LayoutError::Integrity { .. }),
            OciError::Registry(e) => matches!(e, RegistryError::Setup(_) | RegistryError::Io { .. }),
            _ => false,
        }
    }
}

/// What a chart push did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ChartPush {
    /// The chart's name.
    pub name: String,
    /// The chart's version.
    pub version: String,
    /// Where it went, such as `ghcr.io/org/charts/advisoryhub:1.2.0`.
    pub reference: String,
    /// The manifest's digest.
    pub digest: Digest,
    /// The manifest's size.
    pub size: u64,
    /// The manifest's media type.
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
    /// The manifest bytes.
    pub manifest: Vec<u8>,
}

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

/// How to wait.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WaitOptions {
    /// Give up after this long.
    pub timeout: Duration,
    /// Platforms an index must offer (none: any manifest will do).
    pub platforms: Vec<Platform>,
    /// The first delay between checks; each miss doubles it.
    pub initial_interval: Duration,
    /// The longest delay between checks (a `Retry-After` may ask for more).
    pub max_interval: Duration,
}

impl Default for WaitOptions {
    fn default() -> WaitOptions {
        WaitOptions {
            timeout: Duration::from_secs(20 * 60),
            platforms: Vec::new(),
            initial_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(30),
        }
    }
}

/// How a wait ended: one of two outcomes, for good (errors are `Err`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitOutcome {
    /// The artifact is there.
    Ready {
        /// Its digest.
        digest: Digest,
        /// Its media type.
        media_type: String,
        /// Checks made.
        attempts: u32,
        /// Time spent.
        elapsed: Duration,
    },
    /// The timeout passed first.
    TimedOut {
        /// What the last check found.
        last: String,
        /// Checks made.
        attempts: u32,
        /// Time spent.
        elapsed: Duration,
    },
}

/// What a delete did (or, in a dry run, would do).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Deletion {
    /// The reference asked for.
    pub reference: String,
    /// The digest deleted.
    pub digest: Digest,
    /// Other tags that named the same digest, deleted with it.
    pub shared_tags: Vec<String>,
    /// cosign signature and attestation tags (`sha256-<hex>.sig`, `.att`) deleted with it.
    pub signatures: Vec<String>,
    /// `registry`, `oci-layout` or `GitHub Packages API`.
    pub via: &'static str,
    /// GitHub package version ids deleted (ghcr.io only).
    pub package_versions: Vec<u64>,
    /// Nothing was deleted because this was a dry run.
    pub dry_run: bool,
}

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

/// Reaches registries and layouts with one set of options and per-host credentials.
pub struct Publisher {
    options: RegistryOptions,
    credentials: HashMap<String, Credentials>,
    github: Option<GithubPackages>,
    events: Arc<dyn Events>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("options", &self.options)
            .field("hosts with credentials", &self.credentials.keys().collect::<Vec<_>>())
            .field("github", &self.github)
            .finish()
    }
}

/// Parses a manifest read from `reference`, as a content error naming it.
fn parse_manifest(manifest: &Manifest, reference: &str) -> Result<ParsedManifest, OciError> {
    crate::manifest::parse(&manifest.bytes, &manifest.media_type)
        .map_err(|e| OciError::Content { reference: reference.to_owned(), message: e.message })
}

/// The digest and size of a file, streamed.
fn file_digest(path: &Path) -> Result<(Digest, u64), OciError> {
    let io = |source| OciError::Registry(RegistryError::Io { path: path.to_path_buf(), source });
    let mut file = std::fs::File::open(path).map_err(io)?;
    copy_hashing(&mut file, &mut std::io::sink(), crate::digest::Algorithm::Sha256, u64::MAX, |_| {}).map_err(
        |e| match e {
            CopyError::Read(source) | CopyError::Write(source) => io(source),
            CopyError::TooLong => io(std::io::Error::other("the file grew past 16 EiB")),
        },
    )
}

/// Seconds since the epoch as RFC 3339 UTC (`2026-01-05T10:00:00Z`).
pub fn rfc3339(seconds: u64) -> String {
    let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
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

/// Whether `tag` is one of cosign's tags for `digest`: `sha256-<hex>.sig`, `.att` or `.sbom`.
fn is_signature_tag(tag: &str, digest: &Digest) -> bool {
    tag.strip_prefix(&digest.tag_prefix()).is_some_and(|rest| matches!(rest, ".sig" | ".att" | ".sbom"))
}

impl Publisher {
    /// A publisher with `options` for every registry; `events` hears about retries and progress.
    pub fn new(options: RegistryOptions, events: Arc<dyn Events>) -> Publisher {
        Publisher { options, credentials: HashMap::new(), github: None, events }
    }

    /// Uses `credentials` for `host` (they take the place of `options.credentials` there).
    #[must_use]
    pub fn with_credentials(mut self, host: &str, credentials: Credentials) -> Publisher {
        self.credentials.insert(host.to_owned(), credentials);
        self
    }

    /// Deletes on ghcr.io through this GitHub Packages API client.
    #[must_use]
    pub fn with_github(mut self, github: GithubPackages) -> Publisher {
        self.github = Some(github);
        self
    }

    fn registry(&self, host: &str) -> Result<Registry, OciError> {
        let mut options = self.options.clone();
        if let Some(credentials) = self.credentials.get(host) {
            options.credentials = Some(credentials.clone());
        }
        Ok(Registry::new(host, &options, self.events.clone())?)
    }

    /// Opens the store behind `target`; `create` makes a missing layout. Registry requests end by
    /// `deadline`, if given.
    fn store_until(
        &self,
        target: &Target,
        create: bool,
        deadline: Option<Instant>,
    ) -> Result<Store, OciError> {
        match target {
            Target::Registry(r) => {
                let mut registry = self.registry(&r.host)?;
                if let Some(deadline) = deadline {
                    registry = registry.with_deadline(deadline);
                }
                Ok(Store::Registry { registry: Box::new(registry), repository: r.repository.clone() })
            }
            Target::Layout { dir, .. } if create => Ok(Store::Layout(Layout::create(dir)?)),
            Target::Layout { dir, .. } => Ok(Store::Layout(Layout::open(dir)?)),
        }
    }

    fn store(&self, target: &Target, create: bool) -> Result<Store, OciError> {
        self.store_until(target, create, None)
    }

    fn required_reference(target: &Target) -> Result<Reference, OciError> {
        target.reference().cloned().ok_or_else(|| {
            OciError::Usage(format!("{target}: name a tag or a digest (such as {target}:1.2.0)"))
        })
    }

    /// Packages (if `chart` is a directory) and pushes a chart as Helm does: to `<namespace>/<name>:<version>`
    /// for an `oci://host/namespace` target, or to the layout (tagged with the version unless a tag is
    /// given). Blobs and manifests already present are not sent again.
    pub fn push_chart(&self, chart: &Path, target: &Target, dry_run: bool) -> Result<ChartPush, OciError> {
        let work = TempDir::new("tagwright-chart-")
            .map_err(|source| ChartError::Io { path: std::env::temp_dir(), source })?;
        let (archive, metadata, created) = if chart.is_dir() {
            let packaged = chart::package(chart, work.path())?;
            (packaged.path, packaged.metadata, packaged.mtime)
        } else {
            let metadata = chart::read_archive(chart)?;
            // Helm stamps `created` with the archive's mtime; SOURCE_DATE_EPOCH wins, for reproducibility.
            let mtime = chart::source_date_epoch().unwrap_or_else(|| {
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
            name: metadata.name.clone(),
            version: metadata.version.clone(),
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
        let config_json: serde_json::Value = serde_json::from_slice(&config_bytes)
            .map_err(|e| not_chart(format!("the chart config is not JSON: {e}")))?;
        let (Some(name), Some(version)) = (config_json["name"].as_str(), config_json["version"].as_str())
        else {
            return Err(not_chart("the chart config has no name or version".to_owned()));
        };
        chart::check_name(name).map_err(not_chart)?;
        chart::check_version(version).map_err(not_chart)?;
        let file_name = format!("{name}-{version}.tgz");
        // Both were checked, so this is one plain file name; say so where it matters.
        let mut components = Path::new(&file_name).components();
        if !matches!((components.next(), components.next()), (Some(std::path::Component::Normal(_)), None)) {
            return Err(not_chart(format!("`{file_name}` is not a plain file name")));
        }
        std::fs::create_dir_all(dest)
            .map_err(|source| RegistryError::Io { path: dest.to_path_buf(), source })?;
        let path = dest.join(&file_name);
        let mut temp = TempFile::new_in(dest, ".tagwright-pull.")
            .map_err(|source| RegistryError::Io { path: dest.to_path_buf(), source })?;
        store.blob_into(&layer, temp.as_file_mut())?;
        temp.persist(&path).map_err(|source| RegistryError::Io { path: path.clone(), source })?;
        Ok(ChartPull {
            name: name.to_owned(),
            version: version.to_owned(),
            digest: manifest.digest,
            path,
            layer,
            legacy,
        })
    }

    /// Waits until `target`'s tag or digest exists and, for an index, offers every required platform.
    ///
    /// Checks use `HEAD` with OCI and Docker `Accept` headers, spaced by exponential backoff (doubling
    /// from `initial_interval` up to `max_interval`, or the server's `Retry-After`). Connection failures,
    /// timeouts and throttling count as "not yet"; authentication, TLS and other client errors end the
    /// wait. Every request ends by the deadline, so the wait ends on time whatever the server does.
    pub fn wait(&self, target: &Target, options: &WaitOptions) -> Result<WaitOutcome, OciError> {
        let reference = Publisher::required_reference(target)?;
        let start = Instant::now();
        let deadline = start + options.timeout;
        let mut interval = options.initial_interval;
        let mut attempts = 0u32;
        let mut store = None;
        loop {
            attempts += 1;
            let (state, retry_after) =
                match self.check_ready(target, &reference, &options.platforms, &mut store, deadline)? {
                    Ready::Yes { digest, media_type } => {
                        return Ok(WaitOutcome::Ready {
                            digest,
                            media_type,
                            attempts,
                            elapsed: start.elapsed(),
                        });
                    }
                    Ready::No { state, retry_after } => (state, retry_after),
                };
            let now = Instant::now();
            if now >= deadline {
                return Ok(WaitOutcome::TimedOut { last: state, attempts, elapsed: start.elapsed() });
            }
            let delay = retry_after.unwrap_or(interval).min(deadline - now);
            self.events.waiting(&target.to_string(), attempts, start.elapsed(), delay, &state);
            std::thread::sleep(delay);
            interval = interval.saturating_mul(2).min(options.max_interval);
        }
    }

    fn check_ready(
        &self,
        target: &Target,
        reference: &Reference,
        platforms: &[Platform],
        store: &mut Option<Store>,
        deadline: Instant,
    ) -> Result<Ready, OciError> {
        let not_yet = |state: String| Ok(Ready::No { state, retry_after: None });
        let store = match store {
            Some(store) => store,
            None => match self.store_until(target, false, Some(deadline)) {
                Ok(opened) => store.insert(opened),
                Err(OciError::Layout(e)) => return not_yet(format!("no layout yet ({e})")),
                Err(e) => return Err(e),
            },
        };
        match self.ready(store, target, reference, platforms) {
            // A server that is down, slow or silent is "not yet"; the deadline decides.
            Err(OciError::Registry(RegistryError::Connection { message, .. })) => {
                not_yet(format!("unreachable: {message}"))
            }
            other => other,
        }
    }

    fn ready(
        &self,
        store: &Store,
        target: &Target,
        reference: &Reference,
        platforms: &[Platform],
    ) -> Result<Ready, OciError> {
        let not_yet = |state: String| Ok(Ready::No { state, retry_after: None });
        let (digest, media_type) = match store.head(reference)? {
            ManifestStatus::Found { digest, media_type } => (digest, media_type),
            ManifestStatus::Missing => return not_yet("not found".to_owned()),
            ManifestStatus::Throttled { status, retry_after } => {
                return Ok(Ready::No { state: format!("HTTP {status}"), retry_after });
            }
        };
        if let (true, Some(digest)) = (platforms.is_empty(), &digest) {
            return Ok(Ready::Yes { digest: digest.clone(), media_type });
        }
        // The platforms (or a digest the registry did not send) need the manifest itself.
        let Some(manifest) = store.manifest(reference)? else { return not_yet("not found".to_owned()) };
        if platforms.is_empty() {
            return Ok(Ready::Yes { digest: manifest.digest, media_type: manifest.media_type });
        }
        let parsed = parse_manifest(&manifest, &target.to_string())?;
        let offered: Vec<Platform> = match &parsed.content {
            Content::Index { manifests } => manifests.iter().filter_map(|(_, p)| p.clone()).collect(),
            // A single-platform image: its config says which platform it is.
            Content::Manifest { config, .. } => {
                let bytes = store.small_blob(config, &target.to_string())?;
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .as_ref()
                    .and_then(Platform::from_json)
                    .into_iter()
                    .collect()
            }
        };
        let missing: Vec<String> = platforms
            .iter()
            .filter(|want| !offered.iter().any(|o| want.satisfied_by(o)))
            .map(ToString::to_string)
            .collect();
        if missing.is_empty() {
            Ok(Ready::Yes { digest: manifest.digest, media_type: manifest.media_type })
        } else {
            not_yet(format!(
                "{} lacks {} (has {})",
                manifest.digest,
                missing.join(", "),
                if offered.is_empty() {
                    "none".to_owned()
                } else {
                    offered.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                }
            ))
        }
    }

    /// Deletes the version at `target`: resolves a tag to its digest and deletes by digest (which
    /// removes every tag naming it), with its cosign signature and attestation tags. On ghcr.io, which
    /// refuses registry deletes, it uses the GitHub Packages API.
    pub fn delete(&self, target: &Target, dry_run: bool) -> Result<Deletion, OciError> {
        let reference = Publisher::required_reference(target)?;
        if let Target::Registry(r) = target
            && crate::ghcr::is_ghcr(&r.host)
        {
            return self.delete_on_github(r, &reference, dry_run);
        }
        let store = self.store(target, false)?;
        let digest = match &reference {
            Reference::Digest(d) => d.clone(),
            Reference::Tag(_) => match store.head(&reference)? {
                ManifestStatus::Found { digest: Some(d), .. } => d,
                ManifestStatus::Found { digest: None, .. } => {
                    store
                        .manifest(&reference)?
                        .ok_or_else(|| OciError::NotFound { reference: target.to_string() })?
                        .digest
                }
                ManifestStatus::Missing => return Err(OciError::NotFound { reference: target.to_string() }),
                ManifestStatus::Throttled { status, .. } => {
                    return Err(OciError::Content {
                        reference: target.to_string(),
                        message: format!("the registry answered HTTP {status}; try again later"),
                    });
                }
            },
        };
        let mut deletion = Deletion {
            reference: target.to_string(),
            digest: digest.clone(),
            shared_tags: Vec::new(),
            signatures: Vec::new(),
            via: "registry",
            package_versions: Vec::new(),
            dry_run,
        };
        let all_tags: Vec<(String, Option<Digest>)> = match &store {
            Store::Layout(layout) => layout.tags()?.into_iter().map(|(t, d)| (t, Some(d))).collect(),
            Store::Registry { registry, repository } => {
                registry.tags(repository)?.into_iter().map(|t| (t, None)).collect()
            }
        };
        for (tag, known) in all_tags {
            if reference == Reference::Tag(tag.clone()) {
                continue;
            }
            if is_signature_tag(&tag, &digest) {
                deletion.signatures.push(tag);
                continue;
            }
            let tag_digest = match known {
                Some(d) => Some(d),
                None => match store.head(&Reference::Tag(tag.clone()))? {
                    ManifestStatus::Found { digest, .. } => digest,
                    _ => None,
                },
            };
            if tag_digest.as_ref() == Some(&digest) {
                deletion.shared_tags.push(tag);
            }
        }
        deletion.via = match store {
            Store::Layout(_) => "oci-layout",
            Store::Registry { .. } => "registry",
        };
        if dry_run {
            return Ok(deletion);
        }
        if store.head(&Reference::Digest(digest.clone()))? == ManifestStatus::Missing {
            return Err(OciError::NotFound { reference: format!("{target} ({digest})") });
        }
        match &store {
            Store::Registry { registry, repository } => registry.delete_manifest(repository, &digest)?,
            Store::Layout(layout) => {
                layout.remove(&digest)?;
            }
        }
        let mut done = format!("deleted {digest}");
        for tag in &deletion.signatures {
            let result = (|| -> Result<(), OciError> {
                let Some(signature) = store.manifest(&Reference::Tag(tag.clone()))? else { return Ok(()) };
                match &store {
                    Store::Registry { registry, repository } => {
                        registry.delete_manifest(repository, &signature.digest)?
                    }
                    Store::Layout(layout) => {
                        layout.remove(&signature.digest)?;
                    }
                }
                Ok(())
            })();
            if let Err(source) = result {
                let remaining: Vec<&str> =
                    deletion.signatures.iter().skip_while(|t| *t != tag).map(String::as_str).collect();
                return Err(OciError::Partial {
                    done,
                    remaining: format!("the signature tags {} remain", remaining.join(", ")),
                    source: Box::new(source),
                });
            }
            done.push_str(&format!(" and {tag}"));
        }
        Ok(deletion)
    }

    fn delete_on_github(
        &self,
        r: &RegistryRef,
        reference: &Reference,
        dry_run: bool,
    ) -> Result<Deletion, OciError> {
        let github = self.github.as_ref().ok_or_else(|| {
            OciError::Usage(format!(
                "{r}: ghcr.io refuses registry deletes, so tagwright uses the GitHub Packages API: set GITHUB_TOKEN \
                 to a token with read:packages and delete:packages"
            ))
        })?;
        let (owner, package) = r
            .repository
            .split_once('/')
            .ok_or_else(|| OciError::Usage(format!("{r}: expected ghcr.io/<owner>/<package>")))?;
        let (base, versions) = github.versions(owner, package)?;
        let version = versions
            .iter()
            .find(|v| match reference {
                Reference::Tag(t) => v.tags.contains(t),
                Reference::Digest(d) => v.name == d.as_str(),
            })
            .ok_or_else(|| OciError::NotFound {
                reference: format!("{r} (no such version of package {package} owned by {owner})"),
            })?;
        let digest = Digest::parse(&version.name).map_err(|e| OciError::Content {
            reference: r.to_string(),
            message: format!("GitHub names package version {} by {e}", version.id),
        })?;
        let signature_versions: Vec<_> =
            versions.iter().filter(|v| v.tags.iter().any(|t| is_signature_tag(t, &digest))).collect();
        let deletion = Deletion {
            reference: r.to_string(),
            shared_tags: version
                .tags
                .iter()
                .filter(|t| *reference != Reference::Tag((*t).clone()))
                .cloned()
                .collect(),
            signatures: signature_versions.iter().flat_map(|v| v.tags.iter().cloned()).collect(),
            package_versions: std::iter::once(version.id)
                .chain(signature_versions.iter().map(|v| v.id))
                .collect(),
            digest,
            via: "GitHub Packages API",
            dry_run,
        };
        if dry_run {
            return Ok(deletion);
        }
        let mut deleted = Vec::new();
        for id in &deletion.package_versions {
            if let Err(e) = github.delete_version(&base, *id) {
                if deleted.is_empty() {
                    return Err(e.into());
                }
                let remaining: Vec<String> =
                    deletion.package_versions[deleted.len()..].iter().map(u64::to_string).collect();
                return Err(OciError::Partial {
                    done: format!(
                        "deleted package versions {}",
                        deleted.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
                    ),
                    remaining: format!("package versions {} remain", remaining.join(", ")),
                    source: Box::new(e.into()),
                });
            }
            deleted.push(*id);
        }
        Ok(deletion)
    }

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
            .map_err(|source| RegistryError::Io { path: std::env::temp_dir(), source })?;
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
                        .map_err(|source| RegistryError::Io { path: path.clone(), source })?
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
                        .map_err(|source| RegistryError::Io { path: path.clone(), source })?;
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

/// The answer of one readiness check.
enum Ready {
    Yes { digest: Digest, media_type: String },
    No { state: String, retry_after: Option<Duration> },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(784_111_777), "1994-11-06T08:49:37Z");
        assert_eq!(rfc3339(1_767_261_600), "2026-01-01T10:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

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

    #[test]
    fn signature_tags() {
        let a = digest('a');
        assert!(is_signature_tag(&format!("sha256-{}.sig", "a".repeat(64)), &a));
        assert!(is_signature_tag(&format!("sha256-{}.att", "a".repeat(64)), &a));
        assert!(!is_signature_tag(&format!("sha256-{}.sig", "b".repeat(64)), &a));
        assert!(!is_signature_tag("1.2.0", &a));
    }
}
