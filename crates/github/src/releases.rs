//! Releases, their assets, and git tags ("REST API endpoints for releases", "… for release
//! assets", "… for Git references").

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tagwright_http::reqwest::Method;

use crate::client::{Github, GithubError, segment};

/// A release, as the API describes it (the fields a release tool uses).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Release {
    /// Its id.
    pub id: u64,
    /// Its tag.
    pub tag_name: String,
    /// Its title.
    #[serde(default)]
    pub name: Option<String>,
    /// Its notes.
    #[serde(default)]
    pub body: Option<String>,
    /// A draft (invisible to the public).
    pub draft: bool,
    /// A pre-release.
    pub prerelease: bool,
    /// Immutable releases cannot be changed or deleted.
    #[serde(default)]
    pub immutable: bool,
    /// The RFC 6570 template assets are uploaded through (`…/assets{?name,label}`).
    pub upload_url: String,
    /// The release page.
    pub html_url: String,
    /// Its assets.
    #[serde(default)]
    pub assets: Vec<Asset>,
}

/// A release asset.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Asset {
    /// Its id.
    pub id: u64,
    /// Its file name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// `uploaded`, or `open` while an upload is unfinished.
    pub state: String,
    /// Its media type.
    pub content_type: String,
    /// `sha256:<hex>`, where GitHub records it.
    #[serde(default)]
    pub digest: Option<String>,
    /// Where browsers download it.
    pub browser_download_url: String,
}

/// A release to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NewRelease {
    /// The tag (which should exist; GitHub creates it from `target_commitish` otherwise).
    pub tag_name: String,
    /// The title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Create it as a draft.
    pub draft: bool,
    /// Mark it as a pre-release.
    pub prerelease: bool,
}

impl NewRelease {
    /// A draft release of `tag`, titled with the tag.
    pub fn draft(tag: &str) -> NewRelease {
        NewRelease {
            tag_name: tag.to_owned(),
            name: Some(tag.to_owned()),
            body: None,
            draft: true,
            prerelease: false,
        }
    }
}

/// Changes to a release; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ReleasePatch {
    /// The title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Draft, or published (`Some(false)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draft: Option<bool>,
}

impl ReleasePatch {
    /// Publishes the release with `body` as its notes.
    pub fn publish(body: &str) -> ReleasePatch {
        ReleasePatch { name: None, body: Some(body.to_owned()), draft: Some(false) }
    }
}

fn parse<T: serde::de::DeserializeOwned>(url: &str, value: Value) -> Result<T, GithubError> {
    serde_json::from_value(value).map_err(|e| GithubError::Invalid {
        url: url.to_owned(),
        message: format!("not a GitHub release object: {e}"),
    })
}

/// The upload URL for `name`: the `upload_url` template's RFC 6570 form-style query expansion
/// (`{?name,label}`), with `name` set and `label` left out.
pub(crate) fn expand_upload_url(template: &str, name: &str) -> Result<String, GithubError> {
    let invalid =
        |message: &str| GithubError::Invalid { url: template.to_owned(), message: message.to_owned() };
    let (base, rest) =
        template.split_once('{').ok_or_else(|| invalid("the upload_url has no {?name} template"))?;
    let variables = rest
        .strip_suffix('}')
        .and_then(|v| v.strip_prefix('?'))
        .ok_or_else(|| invalid("the upload_url's template is not {?…}"))?;
    if !variables.split(',').any(|v| v == "name") {
        return Err(invalid("the upload_url's template has no `name`"));
    }
    let separator = if base.contains('?') { '&' } else { '?' };
    Ok(format!("{base}{separator}name={}", segment(name)))
}

/// What the token may do in a repository: `GET /repos/{owner}/{repo}`'s `permissions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Access {
    /// Read it.
    pub pull: bool,
    /// Write to it: releases, assets and tags.
    pub push: bool,
}

impl Github {
    /// What the token may do in `owner/repo`; `None` when the repository is not there for it (404:
    /// missing, or private and not visible to the token).
    pub fn access(&self, owner: &str, repo: &str) -> Result<Option<Access>, GithubError> {
        let url = self.repo_url(owner, repo)?;
        let (status, value) = self.json(Method::GET, &url, None)?;
        if status == 404 {
            return Ok(None);
        }
        let allowed = |what: &str| value["permissions"][what].as_bool().unwrap_or(false);
        Ok(Some(Access { pull: allowed("pull"), push: allowed("push") }))
    }

    /// The release of `tag`, drafts included (the by-tag endpoint does not return drafts, so the
    /// list is read when it answers 404); `None` when there is none.
    pub fn release_by_tag(&self, owner: &str, repo: &str, tag: &str) -> Result<Option<Release>, GithubError> {
        let base = self.repo_url(owner, repo)?;
        let url = format!("{base}/releases/tags/{}", segment(tag));
        let (status, value) = self.json(Method::GET, &url, None)?;
        if status != 404 {
            return parse(&url, value).map(Some);
        }
        let list = format!("{base}/releases");
        let releases = self.paginate(&list)?.unwrap_or_default();
        match releases.into_iter().find(|r| r["tag_name"] == tag) {
            Some(release) => parse(&list, release).map(Some),
            None => Ok(None),
        }
    }

    /// Creates a release.
    pub fn create_release(
        &self,
        owner: &str,
        repo: &str,
        release: &NewRelease,
    ) -> Result<Release, GithubError> {
        let url = format!("{}/releases", self.repo_url(owner, repo)?);
        let body = serde_json::to_value(release)
            .map_err(|e| GithubError::Invalid { url: url.clone(), message: e.to_string() })?;
        let (status, value) = self.json(Method::POST, &url, Some(&body))?;
        if status == 404 {
            return Err(GithubError::Status {
                method: "POST".into(),
                url,
                status,
                message: "Not Found; the repository does not exist, or the token cannot write to it".into(),
            });
        }
        parse(&url, value)
    }

    /// Changes a release (publishes it, with [`ReleasePatch::publish`]).
    pub fn update_release(
        &self,
        owner: &str,
        repo: &str,
        id: u64,
        patch: &ReleasePatch,
    ) -> Result<Release, GithubError> {
        let url = format!("{}/releases/{id}", self.repo_url(owner, repo)?);
        let body = serde_json::to_value(patch)
            .map_err(|e| GithubError::Invalid { url: url.clone(), message: e.to_string() })?;
        let (status, value) = self.json(Method::PATCH, &url, Some(&body))?;
        if status == 404 {
            return Err(GithubError::Status {
                method: "PATCH".into(),
                url,
                status,
                message: "no such release".into(),
            });
        }
        parse(&url, value)
    }

    /// Deletes a release (not its tag). `false` when it was already gone.
    pub fn delete_release(&self, owner: &str, repo: &str, id: u64) -> Result<bool, GithubError> {
        let url = format!("{}/releases/{id}", self.repo_url(owner, repo)?);
        Ok(self.json(Method::DELETE, &url, None)?.0 != 404)
    }

    /// Every asset of a release, following pagination.
    pub fn assets(&self, owner: &str, repo: &str, release: u64) -> Result<Vec<Asset>, GithubError> {
        let url = format!("{}/releases/{release}/assets", self.repo_url(owner, repo)?);
        let items = self.paginate(&url)?.unwrap_or_default();
        items.into_iter().map(|item| parse(&url, item)).collect()
    }

    /// Uploads an asset through the release's `upload_url` template.
    pub fn upload_asset(
        &self,
        release: &Release,
        name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<Asset, GithubError> {
        if name.is_empty() || name.contains(['/', '\\']) || name.chars().any(char::is_control) {
            return Err(GithubError::Invalid {
                url: name.to_owned(),
                message: "not an asset file name".to_owned(),
            });
        }
        let url = expand_upload_url(&release.upload_url, name)?;
        let value = self.checked_json(Method::POST, &url, Some((content_type, bytes)), true)?;
        parse(&url, value)
    }

    /// An asset's bytes, at most `cap` of them.
    pub fn download_asset(
        &self,
        owner: &str,
        repo: &str,
        asset: u64,
        cap: u64,
    ) -> Result<Vec<u8>, GithubError> {
        let mut bytes = Vec::new();
        self.download_asset_to(owner, repo, asset, cap, &mut bytes)?;
        Ok(bytes)
    }

    /// An asset's bytes, at most `cap` of them, written to `sink` as they arrive (a hasher, say), so
    /// that no asset is held whole. Returns how many bytes were written.
    pub fn download_asset_to(
        &self,
        owner: &str,
        repo: &str,
        asset: u64,
        cap: u64,
        sink: &mut dyn std::io::Write,
    ) -> Result<u64, GithubError> {
        let url = format!("{}/releases/assets/{asset}", self.repo_url(owner, repo)?);
        self.download(&url, cap, sink)
    }

    /// Deletes an asset (an upload to redo, say). `false` when it was already gone.
    pub fn delete_asset(&self, owner: &str, repo: &str, asset: u64) -> Result<bool, GithubError> {
        let url = format!("{}/releases/assets/{asset}", self.repo_url(owner, repo)?);
        Ok(self.json(Method::DELETE, &url, None)?.0 != 404)
    }

    /// Whether the remote tag `refs/tags/{tag}` exists.
    pub fn tag_exists(&self, owner: &str, repo: &str, tag: &str) -> Result<bool, GithubError> {
        let url = format!("{}/git/ref/tags/{}", self.repo_url(owner, repo)?, segment(tag));
        Ok(self.json(Method::GET, &url, None)?.0 != 404)
    }

    /// Deletes the remote tag `refs/tags/{tag}`. `false` when it did not exist.
    pub fn delete_tag(&self, owner: &str, repo: &str, tag: &str) -> Result<bool, GithubError> {
        let url = format!("{}/git/refs/tags/{}", self.repo_url(owner, repo)?, segment(tag));
        match self.json(Method::DELETE, &url, None) {
            Ok((status, _)) => Ok(status != 404),
            // GitHub answers 422 "Reference does not exist" for a missing ref.
            Err(GithubError::Status { status: 422, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_urls_come_from_the_template() {
        let template = "https://uploads.github.com/repos/acme/app/releases/1/assets{?name,label}";
        assert_eq!(
            expand_upload_url(template, "advisoryhub 1.2.0.tgz").expect("expands"),
            "https://uploads.github.com/repos/acme/app/releases/1/assets?name=advisoryhub%201.2.0.tgz"
        );
        for bad in ["https://uploads.github.com/x", "https://u/x{name}", "https://u/x{?label}"] {
            assert!(expand_upload_url(bad, "a").is_err(), "{bad}");
        }
    }
}
