//! Capped body reads, and the small JSON calls of the Sigstore and OIDC clients.

use std::io::Read as _;

use reqwest::Method;
use reqwest::blocking::{Client, Response};
use serde_json::Value;

use crate::{HttpError, RequestFailure, checked_url, error_text};

/// A response body of at most `limit` bytes (`what` names it in the error).
pub fn read_capped(
    method: &Method,
    url: &str,
    mut response: Response,
    limit: u64,
    what: &str,
) -> Result<Vec<u8>, HttpError> {
    let too_large = || {
        HttpError::TooLarge(RequestFailure::new(
            method,
            url,
            format!("{what} is larger than {}", human_size(limit)),
        ))
    };
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    (&mut response)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| HttpError::Connection(RequestFailure::new(method, url, e.to_string())))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// `1 MiB`, `64 KiB` or `100 bytes`.
fn human_size(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// GETs a JSON document of at most `limit` bytes from a [`checked_url`], with `bearer` if given.
/// An error status is an error.
pub fn get_json(client: &Client, url: &str, bearer: Option<&str>, limit: u64) -> Result<Value, HttpError> {
    let parsed = checked_url(url)?;
    let mut request = client.get(parsed).header("accept", "application/json");
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .map_err(|e| HttpError::Connection(RequestFailure::new(&Method::GET, url, error_text(&e))))?;
    if !response.status().is_success() {
        return Err(HttpError::status_of(&Method::GET, url, response.status().as_u16(), None));
    }
    let body = read_capped(&Method::GET, url, response, limit, "the answer")?;
    serde_json::from_slice(&body)
        .map_err(|e| HttpError::Invalid(RequestFailure::new(&Method::GET, url, format!("not JSON: {e}"))))
}

/// POSTs `body` as JSON to a [`checked_url`] and returns the status and the JSON answer (at most
/// `limit` bytes), whatever the status: Fulcio and Rekor explain a refusal in JSON.
pub fn post_json(
    client: &Client,
    url: &str,
    body: &Value,
    bearer: Option<&str>,
    limit: u64,
) -> Result<(u16, Value), HttpError> {
    let (status, body) = post(
        client,
        url,
        ("application/json", "application/json"),
        body.to_string().into_bytes(),
        bearer,
        limit,
    )?;
    let value = serde_json::from_slice(&body).map_err(|e| {
        HttpError::Invalid(RequestFailure::new(&Method::POST, url, format!("HTTP {status}, not JSON: {e}")))
    })?;
    Ok((status, value))
}

/// POSTs `body` of the media type `types.0` (accepting `types.1`) to a [`checked_url`], with `bearer`
/// if given, and returns the status and the answer's bytes (at most `limit`), whatever the status.
pub fn post(
    client: &Client,
    url: &str,
    types: (&str, &str),
    body: Vec<u8>,
    bearer: Option<&str>,
    limit: u64,
) -> Result<(u16, Vec<u8>), HttpError> {
    let parsed = checked_url(url)?;
    let (content_type, accept) = types;
    let mut request =
        client.post(parsed).header("accept", accept).header("content-type", content_type).body(body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .map_err(|e| HttpError::Connection(RequestFailure::new(&Method::POST, url, error_text(&e))))?;
    let status = response.status().as_u16();
    let body = read_capped(&Method::POST, url, response, limit, "the answer")?;
    Ok((status, body))
}
