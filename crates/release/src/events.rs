//! Progress, as typed events: the flows never print, a caller renders what it wants.

use std::time::Duration;

use tagwright_oci_publish::Digest;

use crate::Step;

/// Something a flow reports while it runs.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A step begins.
    Step(Step),
    /// A bump that was killed half-way was completed or rolled back before this flow began.
    Recovered(&'a tagwright_versions::Recovery),
    /// The release's preflight passed.
    Preflight {
        /// The release branch.
        branch: &'a str,
        /// The tag to be made.
        tag: &'a str,
        /// The new version.
        version: &'a str,
        /// The signing key's SHA256 fingerprint.
        fingerprint: &'a str,
        /// Where the key came from: `ssh-agent` or `key file`.
        key_source: &'a str,
        /// What the remote said.
        remote: &'a crate::RemoteState,
    },
    /// The bump's plan: which values change.
    Planned(&'a tagwright_versions::bump::Plan),
    /// How the lock was proved to agree with the manifest.
    Resynced(&'a Resync),
    /// The version gate passed: `sources` records agree on `version` (and match `tag`, if given).
    Gated {
        /// Records read.
        sources: usize,
        /// The version they agree on.
        version: &'a str,
        /// The tag they were matched against.
        tag: Option<&'a str>,
    },
    /// The release notes the tag will carry.
    Notes(&'a str),
    /// The signed release commit was made.
    Committed {
        /// Its id.
        commit: &'a str,
        /// Its message's first line.
        subject: &'a str,
    },
    /// The signed annotated tag was made.
    Tagged {
        /// The tag's name.
        tag: &'a str,
        /// The commit it points at.
        commit: &'a str,
    },
    /// Both signatures verified against the allowed-signers file.
    Verified {
        /// The commit's signer (none when only a tag was made).
        commit: Option<&'a tagwright_git_sign::Verified>,
        /// The tag's signer.
        tag: &'a tagwright_git_sign::Verified,
    },
    /// No allowed-signers file was given: the signatures were not verified.
    VerificationSkipped,
    /// A request failed and will be tried again.
    Retry {
        /// What is retried.
        what: &'a str,
        /// The attempt that comes next.
        attempt: u32,
        /// The pause first.
        delay: Duration,
        /// Why.
        reason: &'a str,
    },
    /// An artifact is awaited and was not ready yet.
    Waiting {
        /// The awaited reference.
        reference: &'a str,
        /// Checks made.
        attempt: u32,
        /// Time spent.
        elapsed: Duration,
        /// The pause before the next check.
        next: Duration,
        /// What the last check found.
        state: &'a str,
    },
    /// Bytes moved in an upload or a download.
    Transfer {
        /// What moves.
        what: &'a str,
        /// Bytes done.
        done: u64,
        /// Bytes in all.
        total: u64,
    },
    /// The awaited image is there.
    ImageReady {
        /// The image's reference.
        reference: &'a str,
        /// Its manifest's digest.
        digest: &'a Digest,
    },
    /// A remark from a library, such as a registry quirk worked around.
    Note(&'a str),
}

/// How the lock file was proved to agree with the manifest after the bump.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Resync {
    /// The repository has no `uv.lock`.
    NoLock,
    /// `uv lock --check --offline` passed.
    Uv {
        /// The uv that ran.
        program: String,
    },
    /// `--no-lock-check`: uv did not run; tagwright's own check found the lock's root entry at the
    /// release's version.
    OwnCheck {
        /// The lock file.
        file: String,
        /// The root entry's version line.
        line: usize,
        /// The value recorded there.
        value: String,
    },
}

/// Receives a flow's events. Every method has a default that ignores them.
pub trait Events: Send + Sync {
    /// One event.
    fn event(&self, _event: &Event<'_>) {}
}

/// Ignores every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Events for Silent {}

/// Forwards the registry client's events as flow events.
pub(crate) struct Registry(pub(crate) std::sync::Arc<dyn Events>);

impl tagwright_oci_publish::Events for Registry {
    fn retry(&self, what: &str, attempt: u32, delay: Duration, reason: &str) {
        self.0.event(&Event::Retry { what, attempt, delay, reason });
    }

    fn progress(&self, what: &str, done: u64, total: u64) {
        self.0.event(&Event::Transfer { what, done, total });
    }

    fn note(&self, message: &str) {
        self.0.event(&Event::Note(message));
    }

    fn waiting(&self, reference: &str, attempt: u32, elapsed: Duration, next: Duration, state: &str) {
        self.0.event(&Event::Waiting { reference, attempt, elapsed, next, state });
    }
}
