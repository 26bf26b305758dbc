//! The transport: one HTTP client with timeouts, GitHub's headers, the token only where it belongs,
//! retries on transient failures, rate-limit waits within a bound, pagination, and capped answers.

use std::io::Read as _;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tagwright_http::reqwest::blocking::{Client, Response};
use tagwright_http::reqwest::{Method, StatusCode, Url, header};
use tagwright_http::{Attempt, ClientOptions, HttpError, Origin, RetryPolicy, redact};

/// The public GitHub REST API.
pub const GITHUB_API: &str = "https://api.github.com";
/// The REST API version every request asks for.
const API_VERSION: &str = "2022-11-28";
/// The largest JSON answer read.
const MAX_JSON: u64 = 8 << 20;
/// At most this many pages are followed (100 items each).
const MAX_PAGES: usize = 100;

/// Why a GitHub call failed. Names the method and URL; never includes the token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GithubError {
    /// The API answered with an error status.
    #[error("{method} {url}: HTTP {status}: {message}")]
    Status {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// GitHub's message, and what to do about it.
        message: String,
    },
    /// The API could not be reached, or the connection broke.
    #[error("{method} {url}: {message}")]
    Connection {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// What happened.
        message: String,
    },
    /// The rate limit is exhausted for longer than the policy waits.
    #[error(
        "{method} {url}: GitHub's rate limit is exhausted for {wait_seconds} s more (at most {max_seconds} s are waited): {message}"
    )]
    RateLimited {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// How long GitHub asks to wait.
        wait_seconds: u64,
        /// The policy's bound.
        max_seconds: u64,
        /// GitHub's message.
        message: String,
    },
    /// The API answered something unexpected, or a name is not one to put in a URL.
    #[error("{url}: {message}")]
    Invalid {
        /// The URL (or the value) concerned.
        url: String,
        /// What is wrong.
        message: String,
    },
}

impl From<HttpError> for GithubError {
    fn from(error: HttpError) -> GithubError {
        match error {
            HttpError::Status { method, url, status, detail } => {
                GithubError::Status { method, url, status, message: detail.unwrap_or_default() }
            }
            HttpError::Connection(f) | HttpError::Tls(f) | HttpError::Redirect(f) => {
                GithubError::Connection { method: f.method, url: f.url, message: f.message }
            }
            HttpError::TooLarge(f) | HttpError::Invalid(f) => {
                GithubError::Invalid { url: f.url, message: f.message }
            }
            HttpError::Url { url, message } => GithubError::Invalid { url, message },
            other => GithubError::Invalid { url: String::new(), message: other.to_string() },
        }
    }
}

/// How long rate limits and transient failures are waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitPolicy {
    /// The longest single wait (a reset further away is an error that says when).
    pub max_wait: Duration,
    /// Attempts per request, the first included.
    pub attempts: u32,
}

impl Default for RateLimitPolicy {
    fn default() -> RateLimitPolicy {
        RateLimitPolicy { max_wait: Duration::from_secs(300), attempts: 5 }
    }
}

/// The deadline of one request, its retries and waits included, unless the caller sets another.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(300);

/// A GitHub REST API client.
pub struct Github {
    http: Client,
    api: String,
    token: Option<String>,
    policy: RateLimitPolicy,
    deadline: Duration,
}

impl std::fmt::Debug for Github {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Github")
            .field("api", &self.api)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("policy", &self.policy)
            .field("deadline", &self.deadline)
            .finish()
    }
}

/// The GitHub token of the environment `get` reads: `GITHUB_TOKEN`, else `GH_TOKEN` (as `gh` reads
/// them); empty values count as unset. The one place tagwright reads it.
pub fn token_from_env(get: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    ["GITHUB_TOKEN", "GH_TOKEN"].iter().find_map(|name| get(name).filter(|v| !v.is_empty()))
}

/// The GitHub API of the environment `get` reads: `GITHUB_API_URL` (GitHub Enterprise), else
/// [`GITHUB_API`].
pub fn api_from_env(get: &dyn Fn(&str) -> Option<String>) -> String {
    get("GITHUB_API_URL").filter(|v| !v.is_empty()).unwrap_or_else(|| GITHUB_API.to_owned())
}

/// Whether two URLs share an origin (scheme, host and port): where a token may follow.
pub fn same_origin(a: &str, b: &str) -> bool {
    Origin::same(a, b)
}

/// The origin GitHub uploads release assets to for `api`: `uploads.github.com` for `api.github.com`,
/// and the API's own origin on GitHub Enterprise Server (`https://HOST/api/uploads`).
fn uploads_origin(api: &str) -> Option<Origin> {
    let mut origin = Origin::parse(api)?;
    if origin.host == "api.github.com" {
        "uploads.github.com".clone_into(&mut origin.host);
    }
    Some(origin)
}

/// HTTPS, or plain HTTP on loopback only ([`tagwright_http::checked_url`]).
fn checked(url: &str) -> Result<Url, GithubError> {
    tagwright_http::checked_url(url).map_err(GithubError::from)
}

/// Percent-encodes one path segment (everything but RFC 3986's unreserved characters).
pub(crate) fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `Link: <…>; rel="next"`.
fn next_link(response: &Response) -> Option<String> {
    tagwright_http::next_link(response.headers().get(header::LINK)?.to_str().ok()?)
}

fn header_u64(response: &Response, name: &str) -> Option<u64> {
    response.headers().get(name)?.to_str().ok()?.trim().parse().ok()
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// How long GitHub asks us to wait before trying again, if this answer is a rate limit or a
/// transient failure: `retry-after` (secondary limits, 429, 503), `x-ratelimit-remaining: 0` until
/// `x-ratelimit-reset` (primary limit), and 5xx with the policy's backoff.
fn wait_for(response: &Response, attempt: u32, retry: &RetryPolicy) -> Option<Duration> {
    let status = response.status();
    let limited = status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::FORBIDDEN;
    if let Some(wait) = tagwright_http::retry_after(response.headers())
        && (limited || status.is_server_error())
    {
        return Some(wait);
    }
    if limited && header_u64(response, "x-ratelimit-remaining") == Some(0) {
        let reset = header_u64(response, "x-ratelimit-reset").unwrap_or_else(now);
        return Some(Duration::from_secs(reset.saturating_sub(now())));
    }
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        return Some(retry.backoff(attempt));
    }
    None
}

/// An answer's body, at most `cap` bytes ([`tagwright_http::read_capped`]).
fn read_capped(method: &Method, url: &str, response: Response, cap: u64) -> Result<Vec<u8>, GithubError> {
    tagwright_http::read_capped(method, url, response, cap, "the answer").map_err(GithubError::from)
}

fn status_error(method: &Method, url: &str, response: Response) -> GithubError {
    let status = response.status().as_u16();
    let body = read_capped(method, url, response, 64 << 10).unwrap_or_default();
    let parsed: Value = serde_json::from_slice(&body).unwrap_or_default();
    let mut message = parsed["message"].as_str().unwrap_or("no message").to_owned();
    if let Some(errors) = parsed["errors"].as_array() {
        let details: Vec<String> = errors
            .iter()
            .map(|e| e["message"].as_str().or_else(|| e["code"].as_str()).unwrap_or("?").to_owned())
            .collect();
        message = format!("{message} ({})", details.join(", "));
    }
    match status {
        401 => message.push_str("; the token is missing, expired or revoked (GITHUB_TOKEN, GH_TOKEN)"),
        403 | 404 => message.push_str("; the token may lack `contents: write` on the repository"),
        _ => {}
    }
    GithubError::Status { method: method.to_string(), url: url.to_owned(), status, message }
}

/// A request body: its content type and bytes.
pub(crate) type Body<'a> = Option<(&'a str, &'a [u8])>;

impl Github {
    /// A client for `api` (such as `https://api.github.com`, or `https://HOST/api/v3` on GitHub
    /// Enterprise Server) with an optional token.
    pub fn new(api: &str, token: Option<&str>) -> Result<Github, GithubError> {
        Github::with_timeout(api, token, DEFAULT_DEADLINE)
    }

    /// [`Github::new`] where each request, its retries and rate-limit waits included, ends within
    /// `deadline` (connecting takes at most 15 s of it per attempt).
    pub fn with_timeout(api: &str, token: Option<&str>, deadline: Duration) -> Result<Github, GithubError> {
        checked(api)?;
        let http = tagwright_http::client(&ClientOptions::with_timeouts(
            deadline.min(Duration::from_secs(15)),
            deadline,
        ))?;
        Ok(Github {
            http,
            api: api.trim_end_matches('/').to_owned(),
            token: token.filter(|t| !t.is_empty()).map(str::to_owned),
            policy: RateLimitPolicy::default(),
            deadline,
        })
    }

    /// A client for `GITHUB_API_URL` (default `https://api.github.com`) with the token from
    /// `GITHUB_TOKEN`, else `GH_TOKEN`.
    pub fn from_env() -> Result<Github, GithubError> {
        Github::from_env_with(|name| std::env::var(name).ok())
    }

    /// [`Github::from_env`] with the environment read through `get`.
    pub fn from_env_with(get: impl Fn(&str) -> Option<String>) -> Result<Github, GithubError> {
        Github::new(&api_from_env(&get), token_from_env(&get).as_deref())
    }

    /// The same client with another rate-limit policy.
    pub fn with_rate_limit_policy(mut self, policy: RateLimitPolicy) -> Github {
        self.policy = policy;
        self
    }

    /// The API's base URL.
    pub fn api(&self) -> &str {
        &self.api
    }

    /// Whether a token is set.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// `{api}/repos/{owner}/{repo}`, after checking that both are GitHub names.
    pub(crate) fn repo_url(&self, owner: &str, repo: &str) -> Result<String, GithubError> {
        for (what, name) in [("owner", owner), ("repository", repo)] {
            let valid = !name.is_empty()
                && name.len() <= 100
                && name != "."
                && name != ".."
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
            if !valid {
                return Err(GithubError::Invalid {
                    url: name.to_owned(),
                    message: format!("not a GitHub {what} name"),
                });
            }
        }
        Ok(format!("{}/repos/{owner}/{repo}", self.api))
    }

    /// Sends one request, waiting out rate limits and retrying transient failures within the policy,
    /// and all of it within the deadline. The token goes to the API's origin, and for an `upload` to
    /// GitHub's uploads origin for that API, which is the only origin an upload goes to.
    pub(crate) fn send(
        &self,
        method: Method,
        url: &str,
        body: Body<'_>,
        upload: bool,
    ) -> Result<Response, GithubError> {
        self.send_accepting(method, url, body, upload, "application/vnd.github+json")
    }

    /// [`Github::send`] asking for `accept`.
    pub(crate) fn send_accepting(
        &self,
        method: Method,
        url: &str,
        body: Body<'_>,
        upload: bool,
        accept: &str,
    ) -> Result<Response, GithubError> {
        let parsed = checked(url)?;
        let target = Origin::parse(url);
        let authorized = if upload {
            if target != uploads_origin(&self.api) {
                return Err(GithubError::Invalid {
                    url: url.to_owned(),
                    message: format!("not GitHub's uploads host for {}: nothing was sent", self.api),
                });
            }
            true
        } else {
            target == Origin::parse(&self.api)
        };
        let started = Instant::now();
        let connection = |message: String| GithubError::Connection {
            method: method.to_string(),
            url: redact(url),
            message,
        };
        let out_of_time = || {
            connection(format!(
                "no answer within {} s (the deadline of a request, retries included; --http-timeout sets it)",
                self.deadline.as_secs()
            ))
        };
        let mut retry = RetryPolicy::default();
        (retry.attempts, retry.initial_delay, retry.max_delay, retry.budget) =
            (self.policy.attempts, Duration::from_millis(500), self.policy.max_wait, self.deadline);
        tagwright_http::retry(
            &retry,
            Some(started + self.deadline),
            |_, _, _| {},
            |attempt| {
                let remaining = self.deadline.checked_sub(started.elapsed()).filter(|r| !r.is_zero());
                let Some(remaining) = remaining else { return Attempt::Fail(out_of_time()) };
                let mut request = self
                    .http
                    .request(method.clone(), parsed.clone())
                    .timeout(remaining)
                    .header(header::ACCEPT, accept)
                    .header("X-GitHub-Api-Version", API_VERSION);
                if let (true, Some(token)) = (authorized, &self.token) {
                    request = request.bearer_auth(token);
                }
                if let Some((content_type, bytes)) = body {
                    request = request.header(header::CONTENT_TYPE, content_type).body(bytes.to_vec());
                }
                let response = match request.send() {
                    Ok(response) => response,
                    Err(e) if e.is_timeout() && started.elapsed() >= self.deadline => {
                        return Attempt::Fail(out_of_time());
                    }
                    Err(e) if (e.is_connect() || e.is_timeout()) && method != Method::POST => {
                        return Attempt::Retry { reason: tagwright_http::error_text(&e), after: None };
                    }
                    Err(e) => return Attempt::Fail(connection(tagwright_http::error_text(&e))),
                };
                let Some(wait) = wait_for(&response, attempt, &retry) else { return Attempt::Done(response) };
                let late = started.elapsed() + wait >= self.deadline;
                if wait > self.policy.max_wait || attempt >= self.policy.attempts || late {
                    return Attempt::Fail(self.gave_up(&method, url, response, wait));
                }
                Attempt::Retry { reason: format!("HTTP {}", response.status().as_u16()), after: Some(wait) }
            },
            connection,
        )
    }

    /// The error of an answer that is still a rate limit or a server error when the policy is spent.
    fn gave_up(&self, method: &Method, url: &str, response: Response, wait: Duration) -> GithubError {
        if response.status().is_server_error() {
            return status_error(method, url, response);
        }
        let message = status_error(method, url, response).to_string();
        GithubError::RateLimited {
            method: method.to_string(),
            url: redact(url),
            wait_seconds: wait.as_secs(),
            max_seconds: self.policy.max_wait.min(self.deadline).as_secs(),
            message,
        }
    }

    /// A JSON call: the status and the parsed answer (`Null` for an empty one). Error statuses are
    /// errors, except 404, which callers see as `(404, Null)`.
    pub(crate) fn json(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), GithubError> {
        let text = body.map(Value::to_string);
        let payload = text.as_deref().map(|t| ("application/json", t.as_bytes()));
        let response = self.send(method.clone(), url, payload, false)?;
        let status = response.status().as_u16();
        if status == 404 {
            return Ok((404, Value::Null));
        }
        if !response.status().is_success() {
            return Err(status_error(&method, url, response));
        }
        let bytes = read_capped(&method, url, response, MAX_JSON)?;
        if bytes.is_empty() {
            return Ok((status, Value::Null));
        }
        let value = serde_json::from_slice(&bytes)
            .map_err(|e| GithubError::Invalid { url: url.to_owned(), message: format!("not JSON: {e}") })?;
        Ok((status, value))
    }

    /// An asset's bytes (at most `cap`), written to `sink` as they arrive: `GET` with `Accept:
    /// application/octet-stream`, following one redirect to the storage GitHub names (the token is
    /// not sent to another origin). Returns how many bytes were written.
    pub(crate) fn download(
        &self,
        url: &str,
        cap: u64,
        sink: &mut dyn std::io::Write,
    ) -> Result<u64, GithubError> {
        self.download_accepting(url, "application/octet-stream", cap, sink)
    }

    /// [`Github::download`] asking for `accept`.
    pub(crate) fn download_accepting(
        &self,
        url: &str,
        octets: &str,
        cap: u64,
        sink: &mut dyn std::io::Write,
    ) -> Result<u64, GithubError> {
        let mut response = self.send_accepting(Method::GET, url, None, false, octets)?;
        let mut at = url.to_owned();
        if response.status().is_redirection()
            && let Some(location) = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok())
        {
            at = Url::parse(url).and_then(|base| base.join(location)).map(String::from).unwrap_or_default();
            response = self.send_accepting(Method::GET, &at, None, false, octets)?;
        }
        if !response.status().is_success() {
            return Err(status_error(&Method::GET, &at, response));
        }
        let failed = |e: std::io::Error| GithubError::Connection {
            method: "GET".to_owned(),
            url: at.clone(),
            message: e.to_string(),
        };
        let copied = std::io::copy(&mut response.take(cap + 1), sink).map_err(failed)?;
        if copied > cap {
            return Err(GithubError::Invalid {
                url: at,
                message: format!("the answer is larger than {cap} bytes"),
            });
        }
        Ok(copied)
    }

    /// A raw call whose error statuses are errors; for uploads.
    pub(crate) fn checked_json(
        &self,
        method: Method,
        url: &str,
        body: Body<'_>,
        upload: bool,
    ) -> Result<Value, GithubError> {
        let response = self.send(method.clone(), url, body, upload)?;
        if !response.status().is_success() {
            return Err(status_error(&method, url, response));
        }
        let bytes = read_capped(&method, url, response, MAX_JSON)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| GithubError::Invalid { url: url.to_owned(), message: format!("not JSON: {e}") })
    }

    /// Every item of a paginated list (`per_page=100`, following `rel="next"` on the API's origin
    /// only, at most 100 pages). `None` when the first page is 404.
    pub(crate) fn paginate(&self, url: &str) -> Result<Option<Vec<Value>>, GithubError> {
        let mut items = Vec::new();
        let found = self.paginate_with(url, MAX_PAGES, |page| {
            items.extend(page);
            Ok(())
        })?;
        Ok(found.then_some(items))
    }

    /// Each page of a paginated list, as [`Github::paginate`] reads it, handed to `each` as it arrives
    /// so that a long list is never held whole; at most `max_pages` pages. False when the first page
    /// is 404.
    pub(crate) fn paginate_with(
        &self,
        url: &str,
        max_pages: usize,
        mut each: impl FnMut(Vec<Value>) -> Result<(), GithubError>,
    ) -> Result<bool, GithubError> {
        let separator = if url.contains('?') { '&' } else { '?' };
        let mut next = Some(format!("{url}{separator}per_page=100"));
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > max_pages {
                return Err(GithubError::Invalid { url, message: format!("more than {max_pages} pages") });
            }
            let response = self.send(Method::GET, &url, None, false)?;
            if response.status() == StatusCode::NOT_FOUND && pages == 1 {
                return Ok(false);
            }
            if !response.status().is_success() {
                return Err(status_error(&Method::GET, &url, response));
            }
            next = next_link(&response);
            if let Some(link) = &next
                && Origin::parse(link) != Origin::parse(&self.api)
            {
                return Err(GithubError::Invalid {
                    url,
                    message: format!("the next page is on another origin ({link}); not followed"),
                });
            }
            let bytes = read_capped(&Method::GET, &url, response, MAX_JSON)?;
            let page: Value = serde_json::from_slice(&bytes)
                .map_err(|e| GithubError::Invalid { url: url.clone(), message: format!("not JSON: {e}") })?;
            let Value::Array(page) = page else {
                return Err(GithubError::Invalid { url, message: "expected a JSON array".to_owned() });
            };
            each(page)?;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_segments_encoded() {
        let github = Github::new(GITHUB_API, Some("ghp_s3cr3t")).expect("client");
        assert!(!format!("{github:?}").contains("s3cr3t"));
        assert_eq!(
            github.repo_url("acme", "advisory-hub.py").expect("ok"),
            "https://api.github.com/repos/acme/advisory-hub.py"
        );
        for (owner, repo) in [("acme", ".."), ("a/b", "c"), ("acme", "x?y"), ("", "r")] {
            assert!(github.repo_url(owner, repo).is_err(), "{owner}/{repo}");
        }
        assert_eq!(segment("v1.2.0"), "v1.2.0");
        assert_eq!(segment("release/1.2 x"), "release%2F1.2%20x");
        assert!(Github::new("http://api.example.com", None).is_err(), "plain HTTP only on loopback");
    }

    #[test]
    fn the_environment_names_the_api_and_the_token() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        };
        let github = Github::from_env_with(env(&[("GH_TOKEN", "t")])).expect("client");
        assert_eq!((github.api(), github.has_token()), (GITHUB_API, true));
        let ghes =
            Github::from_env_with(env(&[("GITHUB_API_URL", "https://ghe.example/api/v3/")])).expect("client");
        assert_eq!((ghes.api(), ghes.has_token()), ("https://ghe.example/api/v3", false));
        // GITHUB_TOKEN first, GH_TOKEN as gh reads it, and an empty value is unset.
        let token = |pairs| token_from_env(&env(pairs));
        assert_eq!(token(&[("GITHUB_TOKEN", "a"), ("GH_TOKEN", "b")]).as_deref(), Some("a"));
        assert_eq!(token(&[("GITHUB_TOKEN", ""), ("GH_TOKEN", "b")]).as_deref(), Some("b"));
        assert_eq!(token(&[("GITHUB_TOKEN", ""), ("GH_TOKEN", "")]), None);
    }
}
