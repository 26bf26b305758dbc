//! URLs and headers: the loopback rule, origins, redaction, `Retry-After`, `WWW-Authenticate` and
//! `Link`. Everything here reads what a server sent, so nothing trusts it.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use reqwest::Url;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::HttpError;

/// Whether `host` (`name`, `name:port`, `[v6]:port` or a bare address) is this machine: `localhost`
/// or a loopback address. The one place that decides where plain HTTP may go.
pub fn is_loopback(host: &str) -> bool {
    let name = if host.starts_with('[') {
        host.split(']').next().unwrap_or(host).trim_start_matches('[')
    } else if host.matches(':').count() > 1 {
        host
    } else {
        host.split(':').next().unwrap_or(host)
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `url` parsed, if tagwright may send to it: HTTPS, or plain HTTP on loopback.
pub fn checked_url(url: &str) -> Result<Url, HttpError> {
    let invalid = |message: String| HttpError::Url { url: redact(url), message };
    let parsed = Url::parse(url).map_err(|e| invalid(format!("not a URL: {e}")))?;
    let loopback = parsed.host_str().is_some_and(is_loopback);
    if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
        return Err(invalid("only HTTPS (plain HTTP on loopback)".to_owned()));
    }
    Ok(parsed)
}

/// `url` without the user and password it may carry (`https://user:token@host/…`), for messages.
/// Text that is not a URL is returned as it is.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://{host}{tail}"),
        None => url.to_owned(),
    }
}

/// A URL's scheme, host (lowercased) and port: where a credential may follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The scheme.
    pub scheme: String,
    /// The host, lowercased.
    pub host: String,
    /// The port, or the scheme's default.
    pub port: Option<u16>,
}

impl Origin {
    /// The origin of `url`.
    pub fn of(url: &Url) -> Origin {
        Origin {
            scheme: url.scheme().to_owned(),
            host: url.host_str().unwrap_or_default().to_ascii_lowercase(),
            port: url.port_or_known_default(),
        }
    }

    /// The origin of `url`, if it is a URL.
    pub fn parse(url: &str) -> Option<Origin> {
        Url::parse(url).ok().map(|u| Origin::of(&u))
    }

    /// Whether two URLs share an origin.
    pub fn same(a: &str, b: &str) -> bool {
        Origin::parse(a).is_some_and(|o| Some(o) == Origin::parse(b))
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
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
        for host in ["127.0.0.1:5000", "localhost", "LOCALHOST:80", "[::1]:80", "::1", "127.8.9.10"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["ghcr.io", "localhost.example.com", "10.0.0.1:5000", "[2001:db8::1]:443", ""] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn only_https_off_loopback_and_no_credentials_in_messages() {
        assert!(checked_url("https://ghcr.io/v2/").is_ok());
        assert!(checked_url("http://[::1]:5000/v2/").is_ok());
        let refused = checked_url("http://user:secret@ghcr.io/v2/").expect_err("plain HTTP off loopback");
        assert_eq!(refused.to_string(), "http://ghcr.io/v2/: only HTTPS (plain HTTP on loopback)");
        assert!(checked_url("ftp://localhost/").is_err() && checked_url("not a url").is_err());
        assert_eq!(
            redact("https://x-access-token:ghs_1@github.com/o/r.git?a=@b"),
            "https://github.com/o/r.git?a=@b"
        );
        assert_eq!(redact("https://github.com/o/r"), "https://github.com/o/r");
        assert!(Origin::same("https://API.github.com/x", "https://api.github.com:443/y"));
        assert!(!Origin::same("https://api.github.com/", "http://api.github.com/"));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().expect("value"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(RETRY_AFTER, "Sun, 06 Nov 1994 08:49:37 GMT".parse().expect("value"));
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, "soon".parse().expect("value"));
        assert_eq!(retry_after(&headers), None);
    }
}
