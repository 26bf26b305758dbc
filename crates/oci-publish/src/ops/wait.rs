//! Waiting for an artifact (and its platforms) to appear, within a deadline every request keeps.

use std::time::{Duration, Instant};

use super::{OciError, Publisher, parse_manifest};
use crate::digest::Digest;
use crate::manifest::{Content, ImageConfig, Platform};
use crate::reference::{Reference, Target};
use crate::registry::{ManifestStatus, RegistryError, RequestFailure};
use crate::store::Store;

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
    /// Check once and never wait (a dry run): a miss ends as [`WaitOutcome::TimedOut`] at once.
    pub once: bool,
}

impl Default for WaitOptions {
    fn default() -> WaitOptions {
        WaitOptions {
            timeout: Duration::from_secs(20 * 60),
            platforms: Vec::new(),
            initial_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(30),
            once: false,
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

impl Publisher {
    /// Waits until `target`'s tag or digest exists and, for an index, offers every required platform.
    ///
    /// Checks use `HEAD` with OCI and Docker `Accept` headers, spaced by exponential backoff (doubling
    /// from `initial_interval` up to `max_interval`, or the server's `Retry-After`). Only a missing
    /// manifest (or an index that lacks a platform) and throttling count as "not yet". A registry that
    /// cannot be reached (no such host, a refused connection) ends the wait at once, naming the URL, as
    /// do authentication, TLS and other client errors. Every request ends by the deadline, so the wait
    /// ends on time whatever the server does: a server that never answers times out.
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
            if now >= deadline || options.once {
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
            // A request the deadline cut short: the wait timed out. Any other transport failure (no
            // such host, a refused connection) will not mend by waiting: it ends the wait now.
            Err(OciError::Registry(RegistryError::Connection(RequestFailure { message, .. })))
                if Instant::now() >= deadline =>
            {
                not_yet(format!("no answer: {message}"))
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
                ImageConfig::platform(&bytes).into_iter().collect()
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
}

/// The answer of one readiness check.
enum Ready {
    Yes { digest: Digest, media_type: String },
    No { state: String, retry_after: Option<Duration> },
}
