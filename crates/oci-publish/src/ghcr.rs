//! GitHub Packages: ghcr.io refuses registry-API deletes (`405 UNSUPPORTED`), so versions are deleted
//! through the GitHub REST API instead.
//!
//! Paths, headers and pagination follow GitHub's documentation ("REST API endpoints for packages"):
//! `GET {api}/orgs/{org}/packages/container/{package}/versions?per_page=100` (or `/users/{user}/…`),
//! following `Link: <…>; rel="next"`, and `DELETE …/versions/{id}`. The package name is URL-encoded, so
//! `charts/advisoryhub` is `charts%2Fadvisoryhub`.

use std::time::Duration;

use reqwest::blocking::{Client, Response};
use reqwest::{Method, header};

use crate::RetryPolicy;
use crate::registry::RequestFailure;

/// The public GitHub REST API.
pub const GITHUB_API: &str = "https://api.github.com";

/// One version of a container package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageVersion {
    /// The version's id, for `DELETE`.
    pub id: u64,
    /// The manifest digest (`sha256:…`).
    pub name: String,
    /// Its tags.
    pub tags: Vec<String>,
}

/// A GitHub Packages API failure, naming the method and URL. Never includes the token.
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
    /// The API could not be reached.
    #[error(transparent)]
    Connection(RequestFailure),
    /// The API answered something unexpected.
    #[error("{url}: {message}")]
    Invalid {
        /// The URL.
        url: String,
        /// What is wrong.
        message: String,
    },
}

/// A client for the GitHub Packages REST API.
pub struct GithubPackages {
    http: Client,
    api: String,
    token: String,
}

impl std::fmt::Debug for GithubPackages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubPackages").field("api", &self.api).field("token", &"<redacted>").finish()
    }
}

/// Whether `host` is GitHub's container registry (`ghcr.io`, or a subdomain of it).
pub fn is_ghcr(host: &str) -> bool {
    let name = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    name == "ghcr.io" || name.ends_with(".ghcr.io")
}

/// `charts/advisoryhub` → `charts%2Fadvisoryhub`.
pub fn encode_package(name: &str) -> String {
    crate::registry::http::percent_encode(name)
}

impl GithubPackages {
    /// A client for `api` (such as [`GITHUB_API`], or `$GITHUB_API_URL` on GitHub Enterprise) with a
    /// token that has `read:packages` and `delete:packages`.
    pub fn new(api: &str, token: &str) -> Result<GithubPackages, GithubError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = Client::builder()
            .user_agent(concat!("tagwright/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| GithubError::Invalid {
                url: api.to_owned(),
                message: format!("cannot set up an HTTP client for it: {e}"),
            })?;
        Ok(GithubPackages { http, api: api.trim_end_matches('/').to_owned(), token: token.to_owned() })
    }

    fn request(&self, method: Method, url: &str) -> Result<Response, GithubError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent = self
                .http
                .request(method.clone(), url)
                .header(header::ACCEPT, "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .bearer_auth(&self.token)
                .send();
            // The registry client's rules: 5xx, 408 and 429 (with `Retry-After`) and broken
            // connections are tried again, with the default policy's backoff.
            let again: Option<Option<Duration>> = match &sent {
                Ok(r) if crate::registry::http::retryable(r.status()) => {
                    Some(crate::registry::http::retry_after(r))
                }
                Err(e)
                    if !e.is_builder() && crate::registry::http::final_failure(&method, url, e).is_none() =>
                {
                    Some(None)
                }
                _ => None,
            };
            let policy = RetryPolicy::default();
            let delay = match again {
                Some(after) if attempt < policy.attempts => {
                    after.unwrap_or_else(|| policy.backoff(attempt)).min(policy.max_delay)
                }
                _ => {
                    return sent.map_err(|e| {
                        GithubError::Connection(RequestFailure {
                            method: method.to_string(),
                            url: url.to_owned(),
                            message: e.to_string(),
                        })
                    });
                }
            };
            std::thread::sleep(delay);
        }
    }

    /// Every version of `owner`'s container package `package` (following pagination), and the
    /// package's API path (`/orgs/…` or `/users/…`) for [`GithubPackages::delete_version`].
    pub fn versions(&self, owner: &str, package: &str) -> Result<(String, Vec<PackageVersion>), GithubError> {
        let encoded = encode_package(package);
        let mut last_404 = None;
        for kind in ["orgs", "users"] {
            let base = format!("/{kind}/{owner}/packages/container/{encoded}");
            match self.list(&base) {
                Ok(versions) => return Ok((base, versions)),
                Err(e @ GithubError::Status { status: 404, .. }) => last_404 = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(match last_404 {
            Some(GithubError::Status { method, url, status, .. }) => GithubError::Status {
                method,
                url,
                status,
                message: format!(
                    "no container package `{package}` owned by `{owner}` (as an organization or a user) that this token can see"
                ),
            },
            Some(other) => other,
            None => unreachable!("both lookups ran"),
        })
    }

    fn list(&self, base: &str) -> Result<Vec<PackageVersion>, GithubError> {
        let mut url = format!("{}{base}/versions?per_page=100", self.api);
        let mut out = Vec::new();
        loop {
            let response = self.request(Method::GET, &url)?;
            if !response.status().is_success() {
                return Err(status_error(&Method::GET, &url, response));
            }
            let next = response
                .headers()
                .get(header::LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(crate::registry::http::next_link);
            let body = crate::registry::http::json(response)
                .map_err(|message| GithubError::Invalid { url: url.clone(), message })?;
            let items = body.as_array().ok_or_else(|| GithubError::Invalid {
                url: url.clone(),
                message: "expected a JSON array".into(),
            })?;
            for item in items {
                let id = item["id"].as_u64().ok_or_else(|| GithubError::Invalid {
                    url: url.clone(),
                    message: "a version without a numeric id".into(),
                })?;
                let tags = item["metadata"]["container"]["tags"]
                    .as_array()
                    .map(|tags| tags.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default();
                out.push(PackageVersion {
                    id,
                    name: item["name"].as_str().unwrap_or_default().to_owned(),
                    tags,
                });
            }
            match next {
                // The token goes only where the API is: a next page elsewhere is not followed.
                Some(next)
                    if crate::registry::http::Origin::parse(&next)
                        == crate::registry::http::Origin::parse(&self.api) =>
                {
                    url = next
                }
                Some(next) => {
                    return Err(GithubError::Invalid {
                        url,
                        message: format!("the next page is on another origin ({next}); not followed"),
                    });
                }
                None => return Ok(out),
            }
        }
    }

    /// Deletes one version: `DELETE {api}{base}/versions/{id}`.
    pub fn delete_version(&self, base: &str, id: u64) -> Result<(), GithubError> {
        let url = format!("{}{base}/versions/{id}", self.api);
        let response = self.request(Method::DELETE, &url)?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(status_error(&Method::DELETE, &url, response))
        }
    }
}

fn status_error(method: &Method, url: &str, response: Response) -> GithubError {
    let status = response.status().as_u16();
    let body = crate::registry::http::json(response).unwrap_or_default();
    let mut message = body["message"].as_str().unwrap_or("no message").to_owned();
    match status {
        401 => message.push_str("; the token is missing, expired or revoked"),
        403 => message.push_str(
            "; the token needs read:packages and delete:packages and admin rights on the package \
             (a workflow's GITHUB_TOKEN: give the repository the Admin role under the package's \
             Manage Actions access)",
        ),
        _ => {}
    }
    GithubError::Status { method: method.to_string(), url: url.to_owned(), status, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_are_url_encoded() {
        assert_eq!(encode_package("charts/advisoryhub"), "charts%2Fadvisoryhub");
        assert_eq!(encode_package("advisory-hub_1.x"), "advisory-hub_1.x");
    }

    #[test]
    fn tokens_never_print() {
        let client = GithubPackages::new(GITHUB_API, "ghp_s3cr3t").expect("client");
        assert!(!format!("{client:?}").contains("s3cr3t"));
    }
}
