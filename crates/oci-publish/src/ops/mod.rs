//! The operations a release needs, over registries and OCI layouts alike: push and pull a chart, read a
//! manifest, wait for an image, delete a version, and copy an artifact. One module per operation.
//!
//! Everything read from a registry or a layout is checked before it is used: manifests through
//! [`crate::manifest::parse`], blobs against their descriptor's digest and size, chart names and
//! versions by Helm's rules before they name a file.

mod copy;
mod delete;
pub(crate) mod error;
mod pull;
mod push;
mod wait;

pub use copy::CopyReport;
pub use delete::Deletion;
pub use error::OciError;
pub use pull::ChartPull;
pub use push::{ChartId, ChartPush};
pub use wait::{WaitOptions, WaitOutcome};

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use crate::digest::Digest;
use crate::layout::Layout;
use crate::manifest::ParsedManifest;
use crate::reference::{Reference, Target};
use crate::registry::{CopyError, Manifest, Registry};
use crate::store::Store;
use crate::{Credentials, Events, RegistryOptions};
use tagwright_github::Github;

/// Reaches registries and layouts with one set of options and per-host credentials.
pub struct Publisher {
    options: RegistryOptions,
    credentials: HashMap<String, Credentials>,
    github: Option<Github>,
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
    let io = |source| OciError::Registry(tagwright_fs::at(path)(source).into());
    let mut file = std::fs::File::open(path).map_err(io)?;
    crate::registry::copy_hashing(
        &mut file,
        &mut std::io::sink(),
        crate::digest::Algorithm::Sha256,
        u64::MAX,
        |_| {},
    )
    .map_err(|e| match e {
        CopyError::Read(source) | CopyError::Write(source) => io(source),
        CopyError::TooLong => io(std::io::Error::other("the file grew past 16 EiB")),
    })
}

/// Seconds since the epoch as RFC 3339 UTC (`2026-01-05T10:00:00Z`).
pub fn rfc3339(seconds: u64) -> String {
    let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
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
    pub fn with_github(mut self, github: Github) -> Publisher {
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
}
