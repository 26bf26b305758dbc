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
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::{Method, StatusCode, Url, header};

use crate::digest::Digest;
use crate::http::{
    MAX_SMALL_BODY, Origin, content_type, error_text, final_failure, is_loopback, read_capped, retry_after,
    retryable, status_error,
};
pub use crate::http::{next_link, parse_challenge};
use crate::manifest::MAX_MANIFEST_BYTES;
use crate::reference::Reference;
pub use crate::transfer::BlobSource;
pub(crate) use crate::transfer::{CopyError, copy_hashing};

/// How requests are retried.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Tries per request, the first included.
    pub attempts: u32,
    /// The first backoff delay; each retry doubles it.
    pub initial_delay: Duration,
    /// The longest backoff delay (a `Retry-After` may ask for more, within the budget).
    pub max_delay: Duration,
    /// The longest time one request may take, retries included.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 6,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            budget: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.initial_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// What the client reports while it works. The library never prints; a binary implements this.
pub trait Events: Send + Sync {
    /// A request failed and will be tried again after `delay`.
    fn retry(&self, _what: &str, _attempt: u32, _delay: Duration, _reason: &str) {}
    /// Bytes of a blob were sent or received.
    fn progress(&self, _what: &str, _done: u64, _total: u64) {}
    /// Something worth a line: a skipped upload, a resumed chunk.
    fn note(&self, _message: &str) {}
    /// A wait checked `reference` (check number `attempt`, `elapsed` since it began), found it not
    /// ready for the reason in `state`, and will look again after `next`.
    fn waiting(&self, _reference: &str, _attempt: u32, _elapsed: Duration, _next: Duration, _state: &str) {}
}

/// Reports nothing.
#[derive(Debug, Default)]
pub struct Silent;

impl Events for Silent {}

/// A username and password (or token). Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The username.
    pub username: String,
    /// The password or token.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// How to reach a registry.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RegistryOptions {
    /// Hosts reached over plain HTTP (besides loopback hosts, which use it unless a CA file is given).
    pub insecure_hosts: Vec<String>,
    /// Extra trusted CA certificates (PEM). With one, loopback hosts use TLS too.
    pub ca_file: Option<PathBuf>,
    /// Credentials for the registry.
    pub credentials: Option<Credentials>,
    /// The retry policy.
    pub retry: RetryPolicy,
    /// Blobs larger than this are sent in `PATCH` chunks of this size (default 16 MiB); each chunk is
    /// read into memory (up to 64 MiB; larger chunks are streamed).
    pub chunk_size: Option<u64>,
    /// The longest wait for a connection.
    pub connect_timeout: Duration,
    /// The longest wait for a response to begin, and between any two reads of a body. A request
    /// that sends a body gets this plus the time the body takes at 64 KiB/s.
    pub read_timeout: Duration,
}

impl Default for RegistryOptions {
    fn default() -> RegistryOptions {
        RegistryOptions {
            insecure_hosts: Vec::new(),
            ca_file: None,
            credentials: None,
            retry: RetryPolicy::default(),
            chunk_size: None,
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(60),
        }
    }
}

/// The slowest upload rate a request's timeout allows for: 64 KiB/s.
const MIN_UPLOAD_RATE: u64 = 64 << 10;
/// A registry failure, naming the method and URL. Never includes credentials.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The registry answered with an error status.
    #[error("{method} {url}: HTTP {status}{}", .detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Status {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// The registry's error code and message, or a remedy.
        detail: Option<String>,
    },
    /// The registry could not be reached (after retries).
    #[error("{method} {url}: {message}")]
    Connection {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// Authentication failed or is needed.
    #[error("{url}: {message}")]
    Auth {
        /// The URL.
        url: String,
        /// What went wrong and what to do.
        message: String,
    },
    /// A local file could not be read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// The TLS handshake failed (an untrusted or invalid certificate, or a server that does not speak
    /// TLS). Not retried.
    #[error("{method} {url}: TLS failed: {message}")]
    Tls {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// The registry redirected too often (a loop). Not retried.
    #[error("{method} {url}: {message}")]
    Redirect {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// What happened.
        message: String,
    },
    /// The registry sent more than the cap or the descriptor allows.
    #[error("{method} {url}: {message}")]
    TooLarge {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// What was too large.
        message: String,
    },
    /// Content did not match its digest or its size.
    #[error("{what}: expected {expected}, got {actual}")]
    DigestMismatch {
        /// What was checked.
        what: String,
        /// The digest asked for.
        expected: String,
        /// The digest of what arrived.
        actual: String,
    },
    /// The client could not be set up.
    #[error("{0}")]
    Setup(String),
}

impl RegistryError {
    /// The HTTP status, when the registry answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            RegistryError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// `sha256:<hex>` of `data`.
pub fn sha256_digest(data: &[u8]) -> Digest {
    Digest::sha256(data)
}

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

/// How a chunked upload ended.
enum Upload {
    Done,
    /// The session is gone: start a new one.
    Restart,
    /// The registry does not take chunks (the status it answered).
    ChunksRefused(u16),
}

/// Control of one attempt in [`Registry::retrying`].
enum Attempt<T> {
    Done(T),
    Retry { reason: String, after: Option<Duration> },
    Fail(RegistryError),
}

impl Registry {
    /// Connects to `host` (`host[:port]`).
    pub fn new(
        host: &str,
        options: &RegistryOptions,
        events: Arc<dyn Events>,
    ) -> Result<Registry, RegistryError> {
        // One TLS stack: rustls with ring. Installing the provider twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let plain =
            options.insecure_hosts.iter().any(|h| h == host || host.split(':').next() == Some(h.as_str()))
                || (is_loopback(host) && options.ca_file.is_none());
        let mut builder = Client::builder()
            .user_agent(concat!("tagwright/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.connect_timeout)
            // The blocking client applies this to the wait for a response and to every read of its
            // body; requests that send a body set their own (see `request_timeout`).
            .timeout(options.read_timeout)
            .redirect(reqwest::redirect::Policy::limited(5));
        if let Some(ca_file) = &options.ca_file {
            let pem = std::fs::read(ca_file)
                .map_err(|source| RegistryError::Io { path: ca_file.clone(), source })?;
            let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                RegistryError::Setup(format!("{}: not a PEM certificate bundle: {e}", ca_file.display()))
            })?;
            if certificates.is_empty() {
                return Err(RegistryError::Setup(format!(
                    "{}: --ca-file holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                    ca_file.display()
                )));
            }
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let http = builder.build().map_err(|e| RegistryError::Setup(format!("cannot set up HTTP: {e}")))?;
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
        let start = Instant::now();
        let mut n = 0;
        loop {
            n += 1;
            match attempt() {
                Attempt::Done(value) => return Ok(value),
                Attempt::Fail(err) => return Err(err),
                Attempt::Retry { reason, after } => {
                    let delay = after.unwrap_or_else(|| self.retry.backoff(n));
                    let past_deadline = self.remaining().is_some_and(|left| left <= delay);
                    if n >= self.retry.attempts
                        || start.elapsed() + delay > self.retry.budget
                        || past_deadline
                    {
                        return Err(last_error(format!(
                            "{reason} (gave up after {n} attempts in {:.0?})",
                            start.elapsed()
                        )));
                    }
                    self.events.retry(what, n + 1, delay, &reason);
                    std::thread::sleep(delay);
                }
            }
        }
    }

    /// Adds the registry's token or credentials, but only to a request for the registry's own origin:
    /// an upload `Location` or a pagination link elsewhere gets none.
    fn authorize(&self, request: RequestBuilder, url: &str, scope: &str) -> RequestBuilder {
        if Origin::parse(url).as_ref() != Some(&self.origin) {
            return request;
        }
        if let Some(token) = self.tokens.lock().unwrap_or_else(|e| e.into_inner()).get(scope) {
            return request.bearer_auth(token);
        }
        match (&self.credentials, *self.basic.lock().unwrap_or_else(|e| e.into_inner())) {
            (Some(c), true) => request.basic_auth(&c.username, Some(&c.password)),
            _ => request,
        }
    }

    /// Whether credentials may go to a token `realm`: over HTTPS, or over plain HTTP to this registry's
    /// own host when the registry itself is reached over plain HTTP by choice.
    fn realm_may_have_credentials(&self, realm: &Url) -> bool {
        match realm.scheme() {
            "https" => true,
            "http" => self.plain && Origin::of(realm) == self.origin,
            _ => false,
        }
    }

    /// Answers a 401 challenge.
    fn authenticate(&self, response: &Response, scope: &str, url: &str) -> Result<(), RegistryError> {
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let auth_error = |message: String| RegistryError::Auth { url: url.to_owned(), message };
        let (kind, params) = parse_challenge(&challenge);
        match kind.to_ascii_lowercase().as_str() {
            "basic" => {
                if self.credentials.is_none() {
                    return Err(auth_error(format!(
                        "{} needs credentials: pass --username and --password-stdin, or `docker login {}`",
                        self.host, self.host
                    )));
                }
                let mut basic = self.basic.lock().unwrap_or_else(|e| e.into_inner());
                if *basic {
                    return Err(auth_error("the registry rejected the credentials".to_owned()));
                }
                *basic = true;
                Ok(())
            }
            "bearer" => {
                let realm = params
                    .get("realm")
                    .ok_or_else(|| auth_error("the Bearer challenge has no realm".to_owned()))?;
                let mut token_url = Url::parse(realm)
                    .map_err(|e| auth_error(format!("the Bearer realm `{realm}` is not a URL: {e}")))?;
                if !matches!(token_url.scheme(), "http" | "https") {
                    return Err(auth_error(format!("the Bearer realm `{realm}` is not an HTTP URL")));
                }
                let scope = params.get("scope").map_or(scope, String::as_str);
                token_url.query_pairs_mut().append_pair("scope", scope);
                if let Some(service) = params.get("service") {
                    token_url.query_pairs_mut().append_pair("service", service);
                }
                let mut request = self.request(Method::GET, token_url.as_str(), 0);
                if let Some(c) = &self.credentials {
                    if !self.realm_may_have_credentials(&token_url) {
                        return Err(auth_error(format!(
                            "the token service {realm} is neither HTTPS nor this registry's own host over plain \
                             HTTP: credentials not sent"
                        )));
                    }
                    request = request.basic_auth(&c.username, Some(&c.password));
                }
                let answer = request.send().map_err(|e| {
                    auth_error(format!("cannot reach the token service {realm}: {}", error_text(&e)))
                })?;
                if !answer.status().is_success() {
                    let status = answer.status().as_u16();
                    let hint = if self.credentials.is_none() {
                        "; pass credentials (--username/--password-stdin or docker login)"
                    } else {
                        ""
                    };
                    return Err(auth_error(format!(
                        "the token service {realm} answered HTTP {status}{hint}"
                    )));
                }
                let bytes = read_capped(&Method::GET, realm, answer, MAX_SMALL_BODY, "the token answer")?;
                let body: serde_json::Value = serde_json::from_slice(&bytes)
                    .map_err(|e| auth_error(format!("the token service {realm} sent no token: {e}")))?;
                let token = body
                    .get("token")
                    .or_else(|| body.get("access_token"))
                    .and_then(|t| t.as_str())
                    .ok_or_else(|| auth_error(format!("the token service {realm} sent no token")))?;
                self.tokens
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(scope.to_owned(), token.to_owned());
                Ok(())
            }
            _ => Err(auth_error(format!("unsupported authentication challenge `{challenge}`"))),
        }
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
            |message| RegistryError::Connection { method: method.to_string(), url: url.to_owned(), message },
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

    /// Whether the repository has the blob.
    pub fn blob_exists(&self, repository: &str, digest: &Digest) -> Result<bool, RegistryError> {
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"));
        let response = self.send(Method::HEAD, &url, &Registry::scope(repository, "pull"), 0, Ok)?;
        match response.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(status_error(&Method::HEAD, &url, response)),
        }
    }

    /// Uploads the blob from `source` unless the repository already has it. Returns whether it uploaded.
    pub fn push_blob(
        &self,
        repository: &str,
        digest: &Digest,
        size: u64,
        source: &BlobSource,
    ) -> Result<bool, RegistryError> {
        if self.blob_exists(repository, digest)? {
            self.events.note(&format!("{digest}: already in {}/{repository}, not uploaded", self.host));
            return Ok(false);
        }
        let scope = Registry::scope(repository, "pull,push");
        // Restart the whole upload a bounded number of times when a session is lost.
        let mut restarts = 0;
        loop {
            let location = self.start_upload(repository, &scope)?;
            let whole =
                size <= self.chunk_size || self.chunks_refused.load(std::sync::atomic::Ordering::Relaxed);
            let result = if whole {
                self.put_whole(&location, digest, size, source, &scope).map(|()| Upload::Done)
            } else {
                self.put_chunked(&location, digest, size, source, &scope)
            };
            match result? {
                Upload::Done => return Ok(true),
                Upload::ChunksRefused(status) => {
                    self.chunks_refused.store(true, std::sync::atomic::Ordering::Relaxed);
                    self.events.note(&format!(
                        "{}: chunked uploads refused (HTTP {status}); sending each blob in one request",
                        self.host
                    ));
                }
                Upload::Restart if restarts < 3 => {
                    restarts += 1;
                    self.events.note(&format!("{digest}: the upload session was lost; starting again"));
                }
                Upload::Restart => {
                    return Err(RegistryError::Connection {
                        method: "PATCH".to_owned(),
                        url: self.url(&format!("/v2/{repository}/blobs/uploads/")),
                        message: "the upload session was lost 3 times".to_owned(),
                    });
                }
            }
        }
    }

    fn start_upload(&self, repository: &str, scope: &str) -> Result<String, RegistryError> {
        let url = self.url(&format!("/v2/{repository}/blobs/uploads/"));
        let response =
            self.send(Method::POST, &url, scope, 0, |r| Ok(r.header(header::CONTENT_LENGTH, "0")))?;
        if response.status() != StatusCode::ACCEPTED {
            return Err(self.push_error(&Method::POST, &url, response));
        }
        self.location(&response).ok_or_else(|| RegistryError::Connection {
            method: "POST".to_owned(),
            url,
            message: "the registry sent no upload Location".to_owned(),
        })
    }

    fn location(&self, response: &Response) -> Option<String> {
        let location = response.headers().get(header::LOCATION)?.to_str().ok()?;
        let url = Url::parse(&self.base).ok()?.join(location).ok()?;
        matches!(url.scheme(), "http" | "https").then(|| url.to_string())
    }

    fn with_digest(location: &str, digest: &Digest) -> String {
        let separator = if location.contains('?') { '&' } else { '?' };
        format!("{location}{separator}digest={}", digest.as_str().replace(':', "%3A"))
    }

    /// One `PUT` with the whole blob, streamed from its source.
    fn put_whole(
        &self,
        location: &str,
        digest: &Digest,
        size: u64,
        source: &BlobSource,
        scope: &str,
    ) -> Result<(), RegistryError> {
        let url = Registry::with_digest(location, digest);
        let response = self.send(Method::PUT, &url, scope, size, |r| {
            let body = source.body(0, size, digest, self.events.clone())?;
            Ok(r.header(header::CONTENT_TYPE, "application/octet-stream")
                .header(header::CONTENT_LENGTH, size)
                .body(body))
        })?;
        if response.status() == StatusCode::CREATED || response.status().is_success() {
            self.events.progress(&format!("push {digest}"), size, size);
            Ok(())
        } else {
            Err(self.push_error(&Method::PUT, &url, response))
        }
    }

    /// `PATCH` chunks, resuming from the registry's offset after a failure.
    fn put_chunked(
        &self,
        location: &str,
        digest: &Digest,
        size: u64,
        source: &BlobSource,
        scope: &str,
    ) -> Result<Upload, RegistryError> {
        let mut location = location.to_owned();
        let mut offset = 0u64;
        let mut failures = 0;
        while offset < size {
            let end = (offset + self.chunk_size).min(size);
            let range = format!("{offset}-{}", end - 1);
            let request =
                self.authorize(self.request(Method::PATCH, &location, end - offset), &location, scope);
            let body = source.body(offset, end - offset, digest, self.events.clone())?;
            let sent = request
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .header(header::CONTENT_LENGTH, end - offset)
                .header(header::CONTENT_RANGE, range)
                .body(body)
                .send();
            let delay = match sent {
                Ok(response) if response.status() == StatusCode::ACCEPTED => {
                    location = self.location(&response).unwrap_or(location);
                    offset = end;
                    self.events.progress(&format!("push {digest}"), end, size);
                    failures = 0;
                    continue;
                }
                // The very first chunk refused for its form, not its content: no chunked uploads here.
                Ok(response)
                    if offset == 0 && matches!(response.status().as_u16(), 400 | 405 | 416 | 501) =>
                {
                    return Ok(Upload::ChunksRefused(response.status().as_u16()));
                }
                Ok(response)
                    if !(retryable(response.status())
                        || response.status() == StatusCode::RANGE_NOT_SATISFIABLE) =>
                {
                    return Err(self.push_error(&Method::PATCH, &location, response));
                }
                Ok(response) => {
                    let delay = retry_after(&response).unwrap_or_else(|| self.retry.backoff(failures + 1));
                    self.events.retry(
                        &format!("PATCH {location}"),
                        failures + 2,
                        delay,
                        &format!("HTTP {}", response.status().as_u16()),
                    );
                    delay
                }
                Err(e) => {
                    if let Some(failure) = final_failure(&Method::PATCH, &location, &e) {
                        return Err(failure);
                    }
                    let delay = self.retry.backoff(failures + 1);
                    self.events.retry(&format!("PATCH {location}"), failures + 2, delay, &error_text(&e));
                    delay
                }
            };
            failures += 1;
            if failures >= self.retry.attempts {
                return Ok(Upload::Restart);
            }
            std::thread::sleep(delay.min(self.retry.budget));
            // Ask the registry how much it has, and carry on from there.
            match self.upload_status(&location, scope)? {
                Some((next, received)) => {
                    self.events.note(&format!("{digest}: resuming at byte {received} of {size}"));
                    location = next;
                    offset = received.min(size);
                }
                None => return Ok(Upload::Restart),
            }
        }
        let url = Registry::with_digest(&location, digest);
        let response =
            self.send(Method::PUT, &url, scope, 0, |r| Ok(r.header(header::CONTENT_LENGTH, "0")))?;
        if response.status().is_success() {
            Ok(Upload::Done)
        } else {
            Err(self.push_error(&Method::PUT, &url, response))
        }
    }

    /// The upload's `Location` and how many bytes it holds; `None` when the session is gone.
    fn upload_status(&self, location: &str, scope: &str) -> Result<Option<(String, u64)>, RegistryError> {
        let response = self.send(Method::GET, location, scope, 0, Ok)?;
        if response.status() != StatusCode::NO_CONTENT && !response.status().is_success() {
            return Ok(None);
        }
        let received = response
            .headers()
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|r| r.rsplit('-').next())
            .and_then(|end| end.parse::<u64>().ok())
            .map_or(0, |end| end.saturating_add(1));
        Ok(Some((self.location(&response).unwrap_or_else(|| location.to_owned()), received)))
    }

    /// The error for a failed push, with the runbook's remedy for GHCR's first-push 403.
    fn push_error(&self, method: &Method, url: &str, response: Response) -> RegistryError {
        let mut error = status_error(method, url, response);
        if let RegistryError::Status { status, detail, .. } = &mut error
            && let Some(remedy) = first_push_remedy(&self.host, *status)
        {
            let original = detail.take().unwrap_or_default();
            *detail = Some(format!("{original}; {remedy}"));
        }
        error
    }

    /// Uploads a small blob held in memory.
    pub fn push_blob_bytes(&self, repository: &str, bytes: &[u8]) -> Result<Digest, RegistryError> {
        let digest = Digest::sha256(bytes);
        self.push_blob(repository, &digest, bytes.len() as u64, &BlobSource::Bytes(bytes.to_vec()))?;
        Ok(digest)
    }

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
                        RegistryError::Connection {
                            method: "HEAD".to_owned(),
                            url: url.clone(),
                            message: "the registry sent an invalid Docker-Content-Digest".to_owned(),
                        }
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
                final_failure(&method, url, &e).unwrap_or_else(|| RegistryError::Connection {
                    method: method.to_string(),
                    url: url.to_owned(),
                    message: error_text(&e),
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
        let response = self.send(Method::GET, &url, &Registry::scope(repository, "pull"), 0, |r| {
            Ok(r.header(header::ACCEPT, MANIFEST_MEDIA_TYPES.join(", ")))
        })?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !response.status().is_success() {
            return Err(status_error(&Method::GET, &url, response));
        }
        let media_type = content_type(&response);
        let bytes = read_capped(&Method::GET, &url, response, MAX_MANIFEST_BYTES, "the manifest")?;
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
            CopyError::Read(e) => {
                RegistryError::Connection { method: "GET".into(), url: url.clone(), message: e.to_string() }
            }
            CopyError::Write(source) => RegistryError::Io { path: PathBuf::from("<output>"), source },
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
            let body: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| RegistryError::Connection {
                    method: "GET".into(),
                    url: url.clone(),
                    message: format!("not JSON: {e}"),
                })?;
            tags.extend(
                body["tags"].as_array().into_iter().flatten().filter_map(|t| t.as_str().map(str::to_owned)),
            );
            match next.and_then(|next| Url::parse(&self.base).ok()?.join(&next).ok()) {
                Some(next) if Origin::of(&next) == self.origin => url = next.to_string(),
                Some(next) => {
                    return Err(RegistryError::Connection {
                        method: "GET".into(),
                        url,
                        message: format!("the next page is on another origin ({next}); not followed"),
                    });
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
