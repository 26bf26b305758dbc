//! HTTP details the registry client (and the GitHub Packages client) share: origins, the failures
//! that are final, capped body reads, error bodies, `Retry-After`, `WWW-Authenticate` challenges and
//! `Link` pagination. Everything here reads what a server sent, so every read is bounded.

use std::collections::HashMap;
use std::io::Read;
use std::time::{Duration, SystemTime};

use reqwest::blocking::Response;
use reqwest::{Method, StatusCode, Url, header};

use crate::registry::RegistryError;

/// The largest token answer, tag list page or error body read: 1 MiB (an error body is shortened to
/// 64 KiB).
pub(crate) const MAX_SMALL_BODY: u64 = 1 << 20;

/// A URL's scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin(String, String, Option<u16>);

impl Origin {
    pub(crate) fn of(url: &Url) -> Origin {
        Origin(
            url.scheme().to_owned(),
            url.host_str().unwrap_or_default().to_owned(),
            url.port_or_known_default(),
        )
    }

    pub(crate) fn parse(url: &str) -> Option<Origin> {
        Url::parse(url).ok().map(|u| Origin::of(&u))
    }
}

pub(crate) fn is_loopback(host: &str) -> bool {
    let name = if host.starts_with('[') {
        host.split(']').next().unwrap_or(host).trim_start_matches('[')
    } else {
        host.split(':').next().unwrap_or(host)
    };
    name == "localhost" || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

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

/// Failures that trying again cannot mend: a certificate that is not trusted (or a TLS handshake that
/// fails), and a redirect loop.
pub(crate) fn final_failure(method: &Method, url: &str, error: &reqwest::Error) -> Option<RegistryError> {
    if error.is_redirect() {
        return Some(RegistryError::Redirect {
            method: method.to_string(),
            url: url.to_owned(),
            message: format!("too many redirects (a redirect loop?): {}", error_text(error)),
        });
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        // `io::Error` hides the error it wraps from `source()` (and wraps may nest): look inside.
        let mut candidate = Some(current);
        while let Some(inner) = candidate {
            if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                return Some(RegistryError::Tls {
                    method: method.to_string(),
                    url: url.to_owned(),
                    message: tls.to_string(),
                });
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

/// Reads a response body of at most `limit` bytes.
pub(crate) fn read_capped(
    method: &Method,
    url: &str,
    mut response: Response,
    limit: u64,
    what: &str,
) -> Result<Vec<u8>, RegistryError> {
    let too_large = || RegistryError::TooLarge {
        method: method.to_string(),
        url: url.to_owned(),
        message: format!("{what} is larger than {}", human_size(limit)),
    };
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    (&mut response).take(limit + 1).read_to_end(&mut bytes).map_err(|e| {
        RegistryError::Connection(RequestFailure {
            method: method.to_string(),
            url: url.to_owned(),
            message: e.to_string(),
        })
    })?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

fn human_size(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

pub(crate) fn retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

pub(crate) fn content_type(response: &Response) -> String {
    response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// The message of a reqwest error and its causes (URLs it names carry no credentials).
pub(crate) fn error_text(error: &reqwest::Error) -> String {
    tagwright_text::error_chain(error)
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

/// `Retry-After` as seconds or an HTTP date.
pub(crate) fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = parse_http_date(value)?;
    Some(when.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), which RFC 2822 parsing covers.
fn parse_http_date(value: &str) -> Option<SystemTime> {
    let seconds = chrono::DateTime::parse_from_rfc2822(value).ok()?.timestamp();
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).ok()?))
}

/// A `WWW-Authenticate` challenge (`Bearer realm="…",service="…"`) as its scheme and its parameters
/// (names lowercased).
pub fn parse_challenge(header: &str) -> (String, HashMap<String, String>) {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let mut params = HashMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => value.extend(chars.next()),
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        params.insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    (scheme.to_owned(), params)
}

/// The `rel="next"` target of a `Link` header.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params
            .contains("rel=\"next\"")
            .then(|| target.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let (scheme, params) = parse_challenge(
            r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(scheme, "Bearer");
        assert_eq!(params["realm"], "https://ghcr.io/token");
        assert_eq!(params["scope"], "repository:a/b:pull,push");
        let (scheme, params) = parse_challenge(r#"Basic realm="test-realm""#);
        assert_eq!((scheme.as_str(), params["realm"].as_str()), ("Basic", "test-realm"));
    }

    #[test]
    fn dates_links_and_loopback() {
        let when = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").expect("date");
        assert_eq!(when.duration_since(SystemTime::UNIX_EPOCH).expect("after").as_secs(), 784_111_777);
        assert_eq!(
            next_link(r#"</v2/x/tags/list?n=2&last=b>; rel="next""#).as_deref(),
            Some("/v2/x/tags/list?n=2&last=b")
        );
        assert!(
            is_loopback("127.0.0.1:5000")
                && is_loopback("localhost")
                && is_loopback("[::1]:80")
                && !is_loopback("ghcr.io")
        );
    }
}
