//! tagwright's one HTTP transport. Every request tagwright sends (to a registry, to GitHub, to
//! Fulcio, Rekor or an OIDC issuer) goes through a client built here, under one set of rules:
//!
//! - **One client builder**, [`client`]: rustls with ring (no C build), the system's roots plus any
//!   the caller adds, a connect timeout and a read timeout on every request, [`USER_AGENT`], and a
//!   [`Redirects`] policy the caller picks (none, or a few).
//! - **One loopback rule**, [`is_loopback`] and [`checked_url`]: HTTPS everywhere, plain HTTP only to
//!   `localhost` and loopback addresses.
//! - **One capped reader**, [`read_capped`]: a body longer than its cap is an error, never a larger
//!   allocation.
//! - **One retry policy**, [`RetryPolicy`] and [`retry`]: attempts, exponential backoff, a budget,
//!   a deadline and `Retry-After` ([`retry_after`]).
//! - **Typed errors**, [`HttpError`]: each names the method and the URL, with any user and password
//!   removed from it ([`redact`]).
//!
//! ```
//! use tagwright_http::{checked_url, is_loopback, redact};
//!
//! assert!(is_loopback("127.0.0.1:5000") && !is_loopback("ghcr.io"));
//! assert!(checked_url("http://ghcr.io/v2/").is_err());
//! assert!(checked_url("http://localhost:8080/v2/").is_ok());
//! assert_eq!(redact("https://user:token@example.com/a"), "https://example.com/a");
//! ```

#![deny(missing_docs)]

mod client;
mod error;
mod headers;
mod json;
mod retry;

pub use client::{ClientOptions, Redirects, USER_AGENT, client};
pub use error::{HttpError, RequestFailure, error_text, final_failure};
pub use headers::{Origin, checked_url, is_loopback, next_link, parse_challenge, redact, retry_after};
pub use json::{get_json, post, post_json, read_capped};
pub use retry::{Attempt, RetryPolicy, retry, retryable};

/// Re-exported so that callers name the client and its parts without depending on reqwest
/// themselves.
pub use reqwest;
