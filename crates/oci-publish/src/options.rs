//! What a registry client is told and what it reports: connection options, credentials, retries and
//! events. Shared by [`crate::registry::Registry`] and [`crate::Publisher`].

use std::path::PathBuf;
use std::time::Duration;

/// How requests are retried: `tagwright-http`'s one policy.
pub use tagwright_http::RetryPolicy;

/// What the client reports while it works. The library never prints; a binary implements this.
pub trait Events: Send + Sync {
    /// A request failed and will be tried again after `delay`.
    fn retry(&self, _what: &str, _attempt: u32, _delay: Duration, _reason: &str) {}
    /// Bytes of a blob were sent or received.
    fn progress(&self, _what: &str, _done: u64, _total: u64) {}
    /// Something worth a line: a skipped upload, a resumed chunk.
    fn note(&self, _message: &str) {}
    /// A wait checked `reference` (check number `attempt`, `elapsed` since it began), found it not
    /// ready for the reason in `state`, and will look again after `next`.
    fn waiting(&self, _reference: &str, _attempt: u32, _elapsed: Duration, _next: Duration, _state: &str) {}
}

/// Reports nothing.
#[derive(Debug, Default)]
pub struct Silent;

impl Events for Silent {}

/// A username and password (or token). Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The username.
    pub username: String,
    /// The password or token.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// How to reach a registry.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RegistryOptions {
    /// Hosts reached over plain HTTP (besides loopback hosts, which use it unless a CA file is given).
    pub insecure_hosts: Vec<String>,
    /// Extra trusted CA certificates (PEM). With one, loopback hosts use TLS too.
    pub ca_file: Option<PathBuf>,
    /// Credentials for the registry.
    pub credentials: Option<Credentials>,
    /// The retry policy.
    pub retry: RetryPolicy,
    /// Blobs larger than this are sent in `PATCH` chunks of this size (default 16 MiB); each chunk is
    /// read into memory (up to 64 MiB; larger chunks are streamed).
    pub chunk_size: Option<u64>,
    /// The longest wait for a connection.
    pub connect_timeout: Duration,
    /// The longest wait for a response to begin, and between any two reads of a body. A request
    /// that sends a body gets this plus the time the body takes at 64 KiB/s.
    pub read_timeout: Duration,
}

impl Default for RegistryOptions {
    fn default() -> RegistryOptions {
        RegistryOptions {
            insecure_hosts: Vec::new(),
            ca_file: None,
            credentials: None,
            retry: RetryPolicy::default(),
            chunk_size: None,
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(60),
        }
    }
}
