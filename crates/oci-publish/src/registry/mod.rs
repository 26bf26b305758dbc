//! A client for the OCI distribution API, with the retries release pipelines need.
//!
//! Every request goes through one retry loop: 5xx, 408 and 429 answers and broken connections are
//! retried with exponential backoff (or the server's `Retry-After`) within a bounded budget; other 4xx
//! answers fail at once. `401` challenges are answered with Basic credentials or a Bearer token fetched
//! from the challenge's realm. Blobs are streamed from disk: small ones in one `PUT`, large ones in
//! `PATCH` chunks that resume from the registry's reported offset after a dropped connection.
//!
//! The registry is not trusted. Every request has a connect and a read timeout (and, inside
//! [`Registry::with_deadline`], ends by the deadline); manifests, token answers and error bodies are
//! read up to a cap, and blobs up to their descriptor's size and no further; certificate failures and
//! redirect loops fail at once; credentials and tokens go only to the registry's own origin, and to a
//! token realm only over HTTPS (or plain HTTP on the registry's own host, when that host is reached
//! over plain HTTP by choice).

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tagwright_http::reqwest::blocking::{Client, RequestBuilder, Response};
use tagwright_http::reqwest::{Method, StatusCode, Url, header};

use self::http::{
    Origin, content_type, error_text, final_failure, is_loopback, read_capped, retry_after, retryable,
    status_error,
};
use crate::digest::Digest;
use crate::manifest::MAX_MANIFEST_BYTES;
use crate::reference::Reference;
pub use crate::transfer::BlobSource;
pub(crate) use crate::transfer::{CopyError, copy_hashing};
use crate::{Credentials, Events, RegistryOptions, RetryPolicy};
pub use tagwright_http::{RequestFailure, next_link, parse_challenge};

mod auth;
pub(crate) mod error;
pub(crate) mod http;
mod upload;

pub use error::RegistryError;

/// The slowest upload rate a request's timeout allows for: 64 KiB/s.
const MIN_UPLOAD_RATE: u64 = 64 << 10;

/// A manifest as the registry returned it.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The raw bytes (at most [`MAX_MANIFEST_BYTES`]).
    pub bytes: Vec<u8>,
    /// The `Content-Type`.
    pub media_type: String,
    /// Its digest, computed from the bytes.
    pub digest: Digest,
}

/// The answer to a manifest `HEAD`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ManifestStatus {
    /// It exists.
    Found {
        /// `Docker-Content-Digest`, if sent.
        digest: Option<Digest>,
        /// The `Content-Type`.
        media_type: String,
    },
    /// It does not exist (yet).
    Missing,
    /// The registry asks to come back later.
    Throttled {
        /// The status (429 or 503).
        status: u16,
        /// `Retry-After`, if sent.
        retry_after: Option<Duration>,
    },
}

/// Manifest media types, for `Accept`.
pub const MANIFEST_MEDIA_TYPES: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// A connection to one registry.
pub struct Registry {
    http: Client,
    host: String,
    base: String,
    /// The registry's origin (scheme, host, port): the only place credentials and tokens go.
    origin: Origin,
    /// Reached over plain HTTP, by the caller's choice (or because it is on loopback).
    plain: bool,
    credentials: Option<Credentials>,
    /// Bearer tokens by scope; `basic` once a Basic challenge was seen.
    tokens: Mutex<HashMap<String, String>>,
    basic: Mutex<bool>,
    retry: RetryPolicy,
    chunk_size: u64,
    read_timeout: Duration,
    /// Every request ends by then.
    deadline: Option<Instant>,
    /// Set once the registry refused a chunk: later blobs go in one request.
    chunks_refused: std::sync::atomic::AtomicBool,
    events: Arc<dyn Events>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("base", &self.base).field("credentials", &self.credentials).finish()
    }
}

/// The certificates of a `--ca-file` (a PEM bundle), trusted besides the system's roots.
fn ca_certificates(
    ca_file: &std::path::Path,
) -> Result<Vec<tagwright_http::reqwest::Certificate>, RegistryError> {
    let pem = std::fs::read(ca_file).map_err(tagwright_fs::at(ca_file)).map_err(RegistryError::from)?;
    let certificates = tagwright_http::reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        RegistryError::Setup(format!("{}: not a PEM certificate bundle: {e}", ca_file.display()))
    })?;
    if certificates.is_empty() {
        return Err(RegistryError::Setup(format!(
            "{}: --ca-file holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            ca_file.display()
        )));
    }
    Ok(certificates)
}

/// Control of one attempt in [`Registry::retrying`].
type Attempt<T> = tagwright_http::Attempt<T, RegistryError>;

impl Registry {
    /// Connects to `host` (`host[:port]`).
    pub fn new(
        host: &str,
        options: &RegistryOptions,
        events: Arc<dyn Events>,
    ) -> Result<Registry, RegistryError> {
        let plain =
            options.insecure_hosts.iter().any(|h| h == host || host.split(':').next() == Some(h.as_str()))
                || (is_loopback(host) && options.ca_file.is_none());
        // The blocking client applies the timeout to the wait for a response and to every read of its
        // body; requests that send a body set their own (see `request_timeout`).
        let mut client =
            tagwright_http::ClientOptions::with_timeouts(options.connect_timeout, options.read_timeout)
                .redirects(tagwright_http::Redirects::Limited(5));
        if let Some(ca_file) = &options.ca_file {
            client.roots = ca_certificates(ca_file)?;
        }
        let http = tagwright_http::client(&client)?;
        let base = format!("{}://{host}", if plain { "http" } else { "https" });
        let origin = Origin::parse(&base)
            .ok_or_else(|| RegistryError::Setup(format!("`{host}` is not a registry host")))?;
        Ok(Registry {
            http,
            host: host.to_owned(),
            base,
            origin,
            plain,
            credentials: options.credentials.clone(),
            tokens: Mutex::new(HashMap::new()),
            basic: Mutex::new(false),
            retry: options.retry.clone(),
            chunk_size: options.chunk_size.unwrap_or(16 << 20).max(1 << 20),
            read_timeout: options.read_timeout,
            deadline: None,
            chunks_refused: std::sync::atomic::AtomicBool::new(false),
            events,
        })
    }

    /// The same registry, with every request ending by `deadline` (retries included).
    #[must_use]
    pub fn with_deadline(mut self, deadline: Instant) -> Registry {
        self.deadline = Some(deadline);
        self
    }

    /// `host[:port]`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// `http(s)://host[:port]`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The time left before the deadline, if there is one.
    fn remaining(&self) -> Option<Duration> {
        self.deadline.map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// The timeout of a request that sends `body` bytes: the read timeout, plus the body at
    /// [`MIN_UPLOAD_RATE`], cut to the deadline. `None` keeps the client's (the read timeout).
    fn request_timeout(&self, body: u64) -> Option<Duration> {
        let own = (body > 0).then(|| self.read_timeout + Duration::from_secs(body / MIN_UPLOAD_RATE));
        match (own, self.remaining()) {
            (own, Some(left)) => {
                Some(own.unwrap_or(self.read_timeout).min(left).max(Duration::from_millis(50)))
            }
            (own, None) => own,
        }
    }

    /// A request with the timeout for a body of `body` bytes.
    fn request(&self, method: Method, url: &str, body: u64) -> RequestBuilder {
        let request = self.http.request(method, url);
        match self.request_timeout(body) {
            Some(timeout) => request.timeout(timeout),
            None => request,
        }
    }

    /// Runs `attempt` until it is done, fails, or the retry policy (or the deadline) is spent.
    fn retrying<T>(
        &self,
        what: &str,
        mut attempt: impl FnMut() -> Attempt<T>,
        last_error: impl Fn(String) -> RegistryError,
    ) -> Result<T, RegistryError> {
        tagwright_http::retry(
            &self.retry,
            self.deadline,
            |next, delay, reason| self.events.retry(what, next, delay, reason),
            |_| attempt(),
            last_error,
        )
    }

    /// Sends a request built by `build` (called again for every attempt, so bodies are reopened) with a
    /// body of `body` bytes, answering auth challenges and retrying transient failures. Returns any
    /// final response.
    fn send(
        &self,
        method: Method,
        url: &str,
        scope: &str,
        body: u64,
        build: impl Fn(RequestBuilder) -> Result<RequestBuilder, RegistryError>,
    ) -> Result<Response, RegistryError> {
        let mut challenged = false;
        let what = format!("{method} {url}");
        self.retrying(
            &what,
            || {
                let request = match build(self.request(method.clone(), url, body)) {
                    Ok(r) => self.authorize(r, url, scope),
                    Err(e) => return Attempt::Fail(e),
                };
                match request.send() {
                    Ok(response) if response.status() == StatusCode::UNAUTHORIZED && !challenged => {
                        challenged = true;
                        match self.authenticate(&response, scope, url) {
                            Ok(()) => Attempt::Retry {
                                reason: "authenticating".to_owned(),
                                after: Some(Duration::ZERO),
                            },
                            Err(e) => Attempt::Fail(e),
                        }
                    }
                    Ok(response) if response.status() == StatusCode::UNAUTHORIZED => {
                        Attempt::Fail(self.rejected(url, scope))
                    }
                    Ok(response) if retryable(response.status()) => {
                        let after = retry_after(&response);
                        Attempt::Retry { reason: format!("HTTP {}", response.status().as_u16()), after }
                    }
                    Ok(response) => Attempt::Done(response),
                    Err(e) if e.is_builder() => Attempt::Fail(RegistryError::Setup(error_text(&e))),
                    Err(e) => match final_failure(&method, url, &e) {
                        Some(failure) => Attempt::Fail(failure),
                        None => Attempt::Retry { reason: error_text(&e), after: None },
                    },
                }
            },
            |message| {
                RegistryError::Connection(RequestFailure {
                    method: method.to_string(),
                    url: url.to_owned(),
                    message,
                })
            },
        )
    }

    /// The error for a 401 that survived authentication.
    fn rejected(&self, url: &str, scope: &str) -> RegistryError {
        let message = if self.credentials.is_some() {
            format!("{} rejected the credentials (for {scope})", self.host)
        } else {
            format!(
                "{} needs credentials: pass --username and --password-stdin, or `docker login {}`",
                self.host, self.host
            )
        };
        RegistryError::Auth { url: url.to_owned(), message }
    }

    fn scope(repository: &str, actions: &str) -> String {
        format!("repository:{repository}:{actions}")
    }
}

impl Registry {
    /// `PUT` a manifest under a tag or digest; returns its digest.
    pub fn put_manifest(
        &self,
        repository: &str,
        reference: &Reference,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Digest, RegistryError> {
        let url = self.url(&format!("/v2/{repository}/manifests/{reference}"));
        let length = bytes.len() as u64;
        let response =
            self.send(Method::PUT, &url, &Registry::scope(repository, "pull,push"), length, |r| {
                Ok(r.header(header::CONTENT_TYPE, media_type).body(bytes.to_vec()))
            })?;
        if !response.status().is_success() {
            return Err(self.push_error(&Method::PUT, &url, response));
        }
        let digest = Digest::sha256(bytes);
        if let Some(sent) = response.headers().get("docker-content-digest").and_then(|v| v.to_str().ok())
            && *sent != *digest.as_str()
        {
            return Err(RegistryError::DigestMismatch {
                what: format!("manifest {url}"),
                expected: digest.to_string(),
                actual: sent.chars().take(200).collect(),
            });
        }
        Ok(digest)
    }

    /// `HEAD` a manifest with OCI and Docker `Accept` headers.
    pub fn head_manifest(
        &self,
        repository: &str,
        reference: &Reference,
    ) -> Result<ManifestStatus, RegistryError> {
        let url = self.url(&format!("/v2/{repository}/manifests/{reference}"));
        // One attempt: callers that poll decide when to ask again.
        let response = self.once(Method::HEAD, &url, &Registry::scope(repository, "pull"), |r| {
            Ok(r.header(header::ACCEPT, MANIFEST_MEDIA_TYPES.join(", ")))
        })?;
        let status = response.status();
        if status.is_success() {
            let digest = match response.headers().get("docker-content-digest") {
                None => None,
                Some(value) => {
                    Some(value.to_str().ok().and_then(|text| Digest::parse(text).ok()).ok_or_else(|| {
                        RegistryError::Connection(RequestFailure {
                            method: "HEAD".to_owned(),
                            url: url.clone(),
                            message: "the registry sent an invalid Docker-Content-Digest".to_owned(),
                        })
                    })?)
                }
            };
            return Ok(ManifestStatus::Found { digest, media_type: content_type(&response) });
        }
        match status {
            StatusCode::NOT_FOUND => Ok(ManifestStatus::Missing),
            StatusCode::TOO_MANY_REQUESTS
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::BAD_GATEWAY
            | StatusCode::GATEWAY_TIMEOUT => {
                Ok(ManifestStatus::Throttled { status: status.as_u16(), retry_after: retry_after(&response) })
            }
            _ => Err(status_error(&Method::HEAD, &url, response)),
        }
    }

    /// A single attempt (auth challenges still answered), for polling.
    fn once(
        &self,
        method: Method,
        url: &str,
        scope: &str,
        build: impl Fn(RequestBuilder) -> Result<RequestBuilder, RegistryError>,
    ) -> Result<Response, RegistryError> {
        let send = || {
            let request = self.authorize(build(self.request(method.clone(), url, 0))?, url, scope);
            request.send().map_err(|e| {
                final_failure(&method, url, &e).unwrap_or_else(|| {
                    RegistryError::Connection(RequestFailure {
                        method: method.to_string(),
                        url: url.to_owned(),
                        message: error_text(&e),
                    })
                })
            })
        };
        let response = send()?;
        if response.status() == StatusCode::UNAUTHORIZED {
            self.authenticate(&response, scope, url)?;
            let response = send()?;
            if response.status() == StatusCode::UNAUTHORIZED {
                return Err(self.rejected(url, scope));
            }
            return Ok(response);
        }
        Ok(response)
    }

    /// `GET` a manifest (at most [`MAX_MANIFEST_BYTES`]); `None` when it does not exist. A manifest asked
    /// for by digest must have that digest.
    pub fn get_manifest(
        &self,
        repository: &str,
        reference: &Reference,
    ) -> Result<Option<Manifest>, RegistryError> {
        let url = self.url(&format!("/v2/{repository}/manifests/{reference}"));
        let accept = MANIFEST_MEDIA_TYPES.join(", ");
        let Some((bytes, media_type)) = self.get_document(repository, &url, &accept, "the manifest")? else {
            return Ok(None);
        };
        let digest = Digest::sha256(&bytes);
        if let Reference::Digest(expected) = reference {
            let actual = if expected.algorithm() == digest.algorithm() {
                digest.clone()
            } else {
                Digest::of(expected.algorithm(), &bytes)
            };
            if &actual != expected {
                return Err(RegistryError::DigestMismatch {
                    what: format!("manifest {url}"),
                    expected: expected.to_string(),
                    actual: actual.to_string(),
                });
            }
        }
        Ok(Some(Manifest { bytes, media_type, digest }))
    }

    /// `GET /v2/<name>/referrers/<digest>` (OCI distribution 1.1): the image index of the manifests
    /// whose subject is `digest` (at most [`MAX_MANIFEST_BYTES`]). `None` when the registry has no
    /// referrers API (404, as distribution 2.8 and GHCR answer): clients then read the tag-schema
    /// fallback index, the tag `sha256-<hex>`.
    pub fn referrers(&self, repository: &str, digest: &Digest) -> Result<Option<Vec<u8>>, RegistryError> {
        let url = self.url(&format!("/v2/{repository}/referrers/{digest}"));
        let index = "application/vnd.oci.image.index.v1+json";
        let document = self.get_document(repository, &url, index, "the referrers index")?;
        // An answer that is not an index is not the referrers API (a catch-all route, say).
        Ok(document.filter(|(_, media_type)| media_type.starts_with(index)).map(|(bytes, _)| bytes))
    }

    /// `GET` a JSON document of at most [`MAX_MANIFEST_BYTES`] with `accept`: its bytes and media
    /// type, or `None` on 404.
    fn get_document(
        &self,
        repository: &str,
        url: &str,
        accept: &str,
        what: &str,
    ) -> Result<Option<(Vec<u8>, String)>, RegistryError> {
        let response = self.send(Method::GET, url, &Registry::scope(repository, "pull"), 0, |r| {
            Ok(r.header(header::ACCEPT, accept))
        })?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !response.status().is_success() {
            return Err(status_error(&Method::GET, url, response));
        }
        let media_type = content_type(&response);
        let bytes = read_capped(&Method::GET, url, response, MAX_MANIFEST_BYTES, what)?;
        Ok(Some((bytes, media_type)))
    }

    /// Streams a blob of `size` bytes (its descriptor's) into `sink`, checking its size and digest:
    /// the download stops at the first byte past `size`. Returns the size.
    pub fn get_blob(
        &self,
        repository: &str,
        digest: &Digest,
        size: u64,
        sink: &mut dyn Write,
    ) -> Result<u64, RegistryError> {
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"));
        let mut response = self.send(Method::GET, &url, &Registry::scope(repository, "pull"), 0, Ok)?;
        if !response.status().is_success() {
            return Err(status_error(&Method::GET, &url, response));
        }
        let too_long = || RegistryError::TooLarge {
            method: "GET".into(),
            url: url.clone(),
            message: format!("the registry sent more than the {size} bytes the descriptor gives"),
        };
        if response.content_length().is_some_and(|n| n > size) {
            return Err(too_long());
        }
        let what = format!("pull {digest}");
        let (actual, done) = copy_hashing(&mut response, sink, digest.algorithm(), size, |done| {
            self.events.progress(&what, done, size);
        })
        .map_err(|e| match e {
            CopyError::Read(e) => RegistryError::Connection(RequestFailure {
                method: "GET".into(),
                url: url.clone(),
                message: e.to_string(),
            }),
            CopyError::Write(source) => RegistryError::Store { digest: digest.to_string(), source },
            CopyError::TooLong => too_long(),
        })?;
        if done != size {
            return Err(RegistryError::DigestMismatch {
                what: format!("blob {url}"),
                expected: format!("{size} bytes"),
                actual: format!("{done} bytes"),
            });
        }
        if &actual != digest {
            return Err(RegistryError::DigestMismatch {
                what: format!("blob {url}"),
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(done)
    }

    /// `DELETE` a manifest by digest.
    pub fn delete_manifest(&self, repository: &str, digest: &Digest) -> Result<(), RegistryError> {
        let url = self.url(&format!("/v2/{repository}/manifests/{digest}"));
        let response = self.send(Method::DELETE, &url, &Registry::scope(repository, "delete"), 0, Ok)?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(status_error(&Method::DELETE, &url, response))
        }
    }

    /// `GET /v2/` with the credentials for pushing to `repository`: whether the registry answers and
    /// accepts them (a token service, if any, must grant `pull,push`).
    pub fn ping(&self, repository: &str) -> Result<(), RegistryError> {
        let url = self.url("/v2/");
        let response = self.send(Method::GET, &url, &Registry::scope(repository, "pull,push"), 0, Ok)?;
        if response.status().is_success() { Ok(()) } else { Err(status_error(&Method::GET, &url, response)) }
    }

    /// Every tag of the repository (following `Link` pagination on the registry's own origin).
    pub fn tags(&self, repository: &str) -> Result<Vec<String>, RegistryError> {
        let mut url = self.url(&format!("/v2/{repository}/tags/list?n=1000"));
        let mut tags = Vec::new();
        loop {
            let response = self.send(Method::GET, &url, &Registry::scope(repository, "pull"), 0, Ok)?;
            if response.status() == StatusCode::NOT_FOUND {
                return Ok(tags);
            }
            if !response.status().is_success() {
                return Err(status_error(&Method::GET, &url, response));
            }
            let next = response.headers().get(header::LINK).and_then(|v| v.to_str().ok()).and_then(next_link);
            let bytes = read_capped(&Method::GET, &url, response, MAX_MANIFEST_BYTES, "a tag list page")?;
            let body: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
                RegistryError::Connection(RequestFailure {
                    method: "GET".into(),
                    url: url.clone(),
                    message: format!("not JSON: {e}"),
                })
            })?;
            tags.extend(
                body["tags"].as_array().into_iter().flatten().filter_map(|t| t.as_str().map(str::to_owned)),
            );
            match next.and_then(|next| Url::parse(&self.base).ok()?.join(&next).ok()) {
                Some(next) if Origin::of(&next) == self.origin => url = next.to_string(),
                Some(next) => {
                    return Err(RegistryError::Connection(RequestFailure {
                        method: "GET".into(),
                        url,
                        message: format!("the next page is on another origin ({next}); not followed"),
                    }));
                }
                None => return Ok(tags),
            }
        }
    }
}

/// What to do when ghcr.io refuses a push with 403: the runbook's remedy.
fn first_push_remedy(host: &str, status: u16) -> Option<&'static str> {
    (status == 403 && crate::ghcr::is_ghcr(host)).then_some(
        "a first push to a new ghcr.io package with a workflow's GITHUB_TOKEN can be refused: push once with a \
         personal access token (write:packages), then in the package's settings grant this repository write \
         access (Manage Actions access), delete that manual version, and re-run",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Silent;

    #[test]
    fn backoff() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff(1), Duration::from_millis(500));
        assert_eq!(policy.backoff(3), Duration::from_secs(2));
        assert_eq!(policy.backoff(30), Duration::from_secs(30));
    }

    #[test]
    fn ghcr_first_push_403_explains_the_remedy() {
        let remedy = first_push_remedy("ghcr.io", 403).expect("a remedy");
        assert!(remedy.contains("personal access token") && remedy.contains("Manage Actions access"));
        assert!(first_push_remedy("ghcr.io", 401).is_none());
        assert!(first_push_remedy("127.0.0.1:5000", 403).is_none());
    }

    #[test]
    fn credentials_go_to_https_realms_or_the_registrys_own_plain_host() {
        let url = |u: &str| Url::parse(u).expect("url");
        let mut options = RegistryOptions {
            credentials: Some(Credentials { username: "bot".into(), password: "s3cr3t".into() }),
            ..RegistryOptions::default()
        };
        let https = Registry::new("registry.example:5000", &options, Arc::new(Silent)).expect("registry");
        assert!(https.realm_may_have_credentials(&url("https://auth.example/token")));
        assert!(!https.realm_may_have_credentials(&url("http://registry.example:5000/token")));
        assert!(!https.realm_may_have_credentials(&url("http://auth.example/token")));
        options.insecure_hosts = vec!["registry.example:5000".to_owned()];
        let plain = Registry::new("registry.example:5000", &options, Arc::new(Silent)).expect("registry");
        assert!(plain.realm_may_have_credentials(&url("http://registry.example:5000/token")));
        assert!(!plain.realm_may_have_credentials(&url("http://registry.example:5001/token")));
        assert!(!plain.realm_may_have_credentials(&url("ftp://registry.example:5000/token")));

        // An upload Location or a page link on another origin gets no credentials.
        *plain.basic.lock().expect("flag") = true;
        let header = |target: &str| {
            let request = plain.authorize(plain.http.get(target), target, "repository:x:pull");
            request.build().expect("request").headers().get(header::AUTHORIZATION).is_some()
        };
        assert!(header("http://registry.example:5000/v2/x/blobs/uploads/1"));
        assert!(!header("http://elsewhere.example:5000/v2/x/blobs/uploads/1"));
        assert!(!header("https://registry.example:5000/v2/"));
    }

    #[test]
    fn credentials_never_print() {
        let c = Credentials { username: "bot".into(), password: "s3cr3t".into() };
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }
}
