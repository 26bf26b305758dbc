//! The HTTP client of the Sigstore and GitHub calls: rustls with the system's roots, timeouts on
//! every request, no redirects, HTTPS only (plain HTTP on loopback), and answers of at most 1 MiB.

use std::io::Read as _;
use std::time::Duration;

use serde_json::Value;

pub(crate) fn client() -> Result<reqwest::blocking::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .user_agent(concat!("tagwright/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(15))
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot set up an HTTP client: {e}"))
}

/// GETs a JSON document of at most 1 MiB over HTTPS (plain HTTP only on loopback), with `bearer` if
/// given.
pub(crate) fn get_json(
    client: &reqwest::blocking::Client,
    url: &str,
    bearer: Option<&str>,
) -> Result<Value, String> {
    let parsed = checked_url(url)?;
    let mut request = client.get(parsed).header("accept", "application/json");
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().map_err(|e| format!("GET {url}: {}", tagwright_text::error_chain(&e)))?;
    if !response.status().is_success() {
        return Err(format!("GET {url}: HTTP {}", response.status().as_u16()));
    }
    let body = capped(response, "GET", url)?;
    serde_json::from_slice(&body).map_err(|e| format!("GET {url}: not JSON: {e}"))
}

/// POSTs `body` as JSON and returns the status and the JSON answer (at most 1 MiB), under the same
/// rules as [`get_json`].
pub(crate) fn post_json(
    client: &reqwest::blocking::Client,
    url: &str,
    body: &Value,
    bearer: Option<&str>,
) -> Result<(u16, Value), String> {
    let parsed = checked_url(url)?;
    let mut request = client
        .post(parsed)
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().map_err(|e| format!("POST {url}: {}", tagwright_text::error_chain(&e)))?;
    let status = response.status().as_u16();
    let body = capped(response, "POST", url)?;
    let value =
        serde_json::from_slice(&body).map_err(|e| format!("POST {url}: HTTP {status}, not JSON: {e}"))?;
    Ok((status, value))
}

fn checked_url(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url}: not a URL: {e}"))?;
    let host = parsed.host_str().unwrap_or_default().trim_matches(['[', ']']);
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
        return Err(format!("{url}: only HTTPS (plain HTTP on loopback)"));
    }
    Ok(parsed)
}

fn capped(response: reqwest::blocking::Response, method: &str, url: &str) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    response.take((1 << 20) + 1).read_to_end(&mut body).map_err(|e| format!("{method} {url}: {e}"))?;
    if body.len() > 1 << 20 {
        return Err(format!("{method} {url}: the answer is larger than 1 MiB"));
    }
    Ok(body)
}
