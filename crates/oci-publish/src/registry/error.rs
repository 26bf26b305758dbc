//! How a registry request fails.

use tagwright_http::{HttpError, RequestFailure};

/// A registry failure, naming the method and URL. Never includes credentials.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The registry answered with an error status.
    #[error("{method} {url}: HTTP {status}{}", .detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Status {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// The registry's error code and message, or a remedy.
        detail: Option<String>,
    },
    /// The registry could not be reached (after retries), or answered what cannot be read.
    #[error(transparent)]
    Connection(RequestFailure),
    /// Authentication failed or is needed.
    #[error("{url}: {message}")]
    Auth {
        /// The URL.
        url: String,
        /// What went wrong and what to do.
        message: String,
    },
    /// A local file could not be read or written.
    #[error(transparent)]
    Io(#[from] tagwright_fs::FileError),
    /// The TLS handshake failed (an untrusted or invalid certificate, or a server that does not speak
    /// TLS). Not retried.
    #[error("{method} {url}: TLS failed: {message}")]
    Tls {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// The registry redirected too often (a loop). Not retried.
    #[error("{method} {url}: {message}")]
    Redirect {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// What happened.
        message: String,
    },
    /// The registry sent more than the cap or the descriptor allows.
    #[error("{method} {url}: {message}")]
    TooLarge {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// What was too large.
        message: String,
    },
    /// Content did not match its digest or its size.
    #[error("{what}: expected {expected}, got {actual}")]
    DigestMismatch {
        /// What was checked.
        what: String,
        /// The digest asked for.
        expected: String,
        /// The digest of what arrived.
        actual: String,
    },
    /// The client could not be set up.
    #[error("{0}")]
    Setup(String),
    /// A downloaded blob could not be stored where the caller asked (a file, a buffer).
    #[error("{digest}: cannot store the downloaded blob: {source}")]
    Store {
        /// The blob's digest.
        digest: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl RegistryError {
    /// The HTTP status, when the registry answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            RegistryError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl From<HttpError> for RegistryError {
    fn from(error: HttpError) -> RegistryError {
        match error {
            HttpError::Status { method, url, status, detail } => {
                RegistryError::Status { method, url, status, detail }
            }
            HttpError::Tls(f) => RegistryError::Tls { method: f.method, url: f.url, message: f.message },
            HttpError::Redirect(f) => {
                RegistryError::Redirect { method: f.method, url: f.url, message: f.message }
            }
            HttpError::TooLarge(f) => {
                RegistryError::TooLarge { method: f.method, url: f.url, message: f.message }
            }
            HttpError::Connection(f) | HttpError::Invalid(f) => RegistryError::Connection(f),
            HttpError::Url { url, message } => RegistryError::Setup(format!("{url}: {message}")),
            HttpError::Setup(message) => RegistryError::Setup(message),
            other => RegistryError::Setup(other.to_string()),
        }
    }
}
