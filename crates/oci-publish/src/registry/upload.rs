//! Blob uploads: a monolithic `PUT` for small blobs, `PATCH` chunks for large ones, resumed from the
//! registry's reported offset after a dropped connection.

use tagwright_http::reqwest::blocking::Response;
use tagwright_http::reqwest::{Method, StatusCode, Url, header};

use super::{BlobSource, Registry, RegistryError, RequestFailure, first_push_remedy};
use crate::digest::Digest;

use super::http::{error_text, final_failure, retry_after, retryable, status_error};

impl Registry {
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
            let blob = Blob { digest, size, source, scope: &scope };
            let result = if whole {
                self.put_whole(&location, &blob).map(|()| Upload::Done)
            } else {
                self.put_chunked(&location, &blob)
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
                    return Err(RegistryError::Connection(RequestFailure {
                        method: "PATCH".to_owned(),
                        url: self.url(&format!("/v2/{repository}/blobs/uploads/")),
                        message: "the upload session was lost 3 times".to_owned(),
                    }));
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
        self.location(&response).ok_or_else(|| {
            RegistryError::Connection(RequestFailure {
                method: "POST".to_owned(),
                url,
                message: "the registry sent no upload Location".to_owned(),
            })
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
    fn put_whole(&self, location: &str, blob: &Blob<'_>) -> Result<(), RegistryError> {
        let Blob { digest, size, source, scope } = *blob;
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
    fn put_chunked(&self, location: &str, blob: &Blob<'_>) -> Result<Upload, RegistryError> {
        let Blob { digest, size, source, scope } = *blob;
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
    pub(super) fn push_error(&self, method: &Method, url: &str, response: Response) -> RegistryError {
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
}

/// How a chunked upload ended.
enum Upload {
    Done,
    /// The session is gone: start a new one.
    Restart,
    /// The registry does not take chunks (the status it answered).
    ChunksRefused(u16),
}

/// One blob on its way up: its digest and size, where its bytes come from, and the auth scope.
#[derive(Clone, Copy)]
struct Blob<'a> {
    digest: &'a Digest,
    size: u64,
    source: &'a BlobSource,
    scope: &'a str,
}
