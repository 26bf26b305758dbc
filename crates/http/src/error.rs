//! How a request fails. Every error names the method and the URL, with credentials removed.

use reqwest::Method;

use crate::redact;

/// A request that failed: its method, its URL (which never carries credentials) and what happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{method} {url}: {message}")]
pub struct RequestFailure {
    /// The method.
    pub method: String,
    /// The URL.
    pub url: String,
    /// What failed.
    pub message: String,
}

impl RequestFailure {
    /// A failure of `method url`, the URL redacted.
    pub fn new(method: &Method, url: &str, message: impl Into<String>) -> RequestFailure {
        RequestFailure { method: method.to_string(), url: redact(url), message: message.into() }
    }
}

/// Why an HTTP request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The URL is not one tagwright sends to: not a URL, or plain HTTP off loopback.
    #[error("{url}: {message}")]
    Url {
        /// The URL, redacted.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// The server could not be reached, the connection broke, or no answer came in time.
    #[error(transparent)]
    Connection(RequestFailure),
    /// The TLS handshake failed (an untrusted or invalid certificate, or a server that does not speak
    /// TLS). Trying again cannot mend it.
    #[error("{} {}: TLS failed: {}", .0.method, .0.url, .0.message)]
    Tls(RequestFailure),
    /// A redirect loop, or a redirect where none is followed. Trying again cannot mend it.
    #[error(transparent)]
    Redirect(RequestFailure),
    /// The answer is larger than its cap.
    #[error(transparent)]
    TooLarge(RequestFailure),
    /// The server answered with an error status.
    #[error("{method} {url}: HTTP {status}{}", .detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Status {
        /// The method.
        method: String,
        /// The URL, redacted.
        url: String,
        /// The status code.
        status: u16,
        /// The server's message, shortened and without control characters.
        detail: Option<String>,
    },
    /// The answer is not what was asked for (not JSON).
    #[error(transparent)]
    Invalid(RequestFailure),
    /// The client could not be built.
    #[error("{0}")]
    Setup(String),
}

impl HttpError {
    /// The HTTP status, when the server answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The status error of `method url`.
    pub fn status_of(method: &Method, url: &str, status: u16, detail: Option<String>) -> HttpError {
        HttpError::Status { method: method.to_string(), url: redact(url), status, detail }
    }
}

/// The message of a reqwest error and its causes (URLs it names carry no credentials: reqwest
/// removes them).
pub fn error_text(error: &reqwest::Error) -> String {
    tagwright_text::error_chain(error)
}

/// The failures that trying again cannot mend: a certificate that is not trusted (or a TLS handshake
/// that fails), and a redirect loop. `None` for every other error.
pub fn final_failure(method: &Method, url: &str, error: &reqwest::Error) -> Option<HttpError> {
    if error.is_redirect() {
        let message = format!("too many redirects (a redirect loop?): {}", error_text(error));
        return Some(HttpError::Redirect(RequestFailure::new(method, url, message)));
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        // `io::Error` hides the error it wraps from `source()` (and wraps may nest): look inside.
        let mut candidate = Some(current);
        while let Some(inner) = candidate {
            if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                return Some(HttpError::Tls(RequestFailure::new(method, url, tls.to_string())));
            }
            candidate = inner
                .downcast_ref::<std::io::Error>()
                .and_then(|e| e.get_ref())
                .map(|e| e as &(dyn std::error::Error + 'static));
        }
        cause = current.source();
    }
    None
}
