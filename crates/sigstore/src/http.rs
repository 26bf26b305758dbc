//! The Sigstore and OIDC calls' use of `tagwright-http`: its default client (no redirects, 15 s to
//! connect, 60 s per answer; HTTPS, or plain HTTP on loopback) and answers of at most 1 MiB.

use serde_json::Value;
use tagwright_http::ClientOptions;
use tagwright_http::reqwest::blocking::Client;

/// The largest answer read from Fulcio, Rekor, a token endpoint or an issuer.
const MAX_ANSWER: u64 = 1 << 20;

pub(crate) fn client() -> Result<Client, String> {
    tagwright_http::client(&ClientOptions::default()).map_err(|e| e.to_string())
}

pub(crate) fn get_json(client: &Client, url: &str, bearer: Option<&str>) -> Result<Value, String> {
    tagwright_http::get_json(client, url, bearer, MAX_ANSWER).map_err(|e| e.to_string())
}

pub(crate) fn post_json(
    client: &Client,
    url: &str,
    body: &Value,
    bearer: Option<&str>,
) -> Result<(u16, Value), String> {
    tagwright_http::post_json(client, url, body, bearer, MAX_ANSWER).map_err(|e| e.to_string())
}

/// POSTs `body` (of the media type `types.0`, accepting `types.1`) and returns the status and the
/// answer's bytes (at most `limit`), whatever the status.
pub(crate) fn post(
    client: &Client,
    url: &str,
    types: (&str, &str),
    body: Vec<u8>,
    limit: u64,
) -> Result<(u16, Vec<u8>), String> {
    tagwright_http::post(client, url, types, body, None, limit).map_err(|e| e.to_string())
}
