//! The registry's side of HTTP: its error bodies, and `tagwright-http`'s rules with
//! [`RegistryError`]s. Everything here reads what a server sent, so every read is bounded.

use std::io::Read;
use std::time::Duration;

use tagwright_http::reqwest::Method;
use tagwright_http::reqwest::blocking::Response;
use tagwright_http::reqwest::header;

use crate::registry::RegistryError;

/// The largest token answer, tag list page or error body read: 1 MiB (an error body is shortened to
/// 64 KiB).
pub(crate) const MAX_SMALL_BODY: u64 = 1 << 20;

pub(crate) use tagwright_http::{Origin, error_text, is_loopback, parse_challenge, retryable};

/// The failures that trying again cannot mend ([`tagwright_http::final_failure`]).
pub(crate) fn final_failure(
    method: &Method,
    url: &str,
    error: &tagwright_http::reqwest::Error,
) -> Option<RegistryError> {
    tagwright_http::final_failure(method, url, error).map(RegistryError::from)
}

/// A response body of at most `limit` bytes ([`tagwright_http::read_capped`]).
pub(crate) fn read_capped(
    method: &Method,
    url: &str,
    response: Response,
    limit: u64,
    what: &str,
) -> Result<Vec<u8>, RegistryError> {
    tagwright_http::read_capped(method, url, response, limit, what).map_err(RegistryError::from)
}

/// `Retry-After` as seconds or an HTTP date.
pub(crate) fn retry_after(response: &Response) -> Option<Duration> {
    tagwright_http::retry_after(response.headers())
}

pub(crate) fn content_type(response: &Response) -> String {
    response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

pub(crate) fn status_error(method: &Method, url: &str, response: Response) -> RegistryError {
    let status = response.status().as_u16();
    let mut raw = Vec::new();
    let _ = response.take(64 << 10).read_to_end(&mut raw);
    let body = String::from_utf8_lossy(&raw);
    let detail = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            let error = v.get("errors")?.get(0)?;
            Some(format!(
                "{} {}",
                error.get("code").and_then(|c| c.as_str()).unwrap_or_default(),
                error.get("message").and_then(|m| m.as_str()).unwrap_or_default()
            ))
        })
        .or_else(|| (!body.trim().is_empty()).then(|| body.trim().chars().take(200).collect()))
        .map(|detail: String| {
            detail.chars().map(|c| if c.is_control() { ' ' } else { c }).take(300).collect()
        });
    RegistryError::Status { method: method.to_string(), url: url.to_owned(), status, detail }
}
