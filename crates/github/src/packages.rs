//! GitHub Packages ("REST API endpoints for packages"): ghcr.io refuses registry-API deletes
//! (`405 UNSUPPORTED`), so container versions are listed and deleted here.
//!
//! `GET {api}/orgs/{org}/packages/container/{package}/versions` (or `/users/{user}/…`), paginated,
//! and `DELETE …/versions/{id}`. The package name is URL-encoded: `charts/advisoryhub` is
//! `charts%2Fadvisoryhub`.

use tagwright_http::reqwest::Method;

use crate::client::{Github, GithubError, segment};

/// One version of a container package.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PackageVersion {
    /// The version's id, for deleting it.
    pub id: u64,
    /// The manifest digest (`sha256:…`).
    pub name: String,
    /// Its tags.
    pub tags: Vec<String>,
}

/// `charts/advisoryhub` → `charts%2Fadvisoryhub`.
pub fn encode_package(name: &str) -> String {
    segment(name)
}

fn packages_hint(error: GithubError) -> GithubError {
    match error {
        GithubError::Status { method, url, status: 403, message } => GithubError::Status {
            method,
            url,
            status: 403,
            message: format!(
                "{}; the token needs read:packages and delete:packages and admin rights on the package \
                 (a workflow's GITHUB_TOKEN: give the repository the Admin role under the package's \
                 Manage Actions access)",
                message.split("; the token may lack").next().unwrap_or(&message)
            ),
        },
        other => other,
    }
}

impl Github {
    /// Every version of `owner`'s container package `package`, and the package's API path (`/orgs/…`
    /// or `/users/…`) for [`Github::delete_package_version`].
    pub fn package_versions(
        &self,
        owner: &str,
        package: &str,
    ) -> Result<(String, Vec<PackageVersion>), GithubError> {
        if owner.is_empty() || !owner.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(GithubError::Invalid {
                url: owner.to_owned(),
                message: "not a GitHub owner name".into(),
            });
        }
        let encoded = encode_package(package);
        for kind in ["orgs", "users"] {
            let base = format!("/{kind}/{owner}/packages/container/{encoded}");
            let url = format!("{}{base}/versions", self.api());
            let Some(items) = self.paginate(&url).map_err(packages_hint)? else { continue };
            let versions = items
                .iter()
                .map(|item| {
                    let id = item["id"].as_u64().ok_or_else(|| GithubError::Invalid {
                        url: url.clone(),
                        message: "a version without a numeric id".into(),
                    })?;
                    let tags = item["metadata"]["container"]["tags"]
                        .as_array()
                        .map(|tags| tags.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect())
                        .unwrap_or_default();
                    Ok(PackageVersion {
                        id,
                        name: item["name"].as_str().unwrap_or_default().to_owned(),
                        tags,
                    })
                })
                .collect::<Result<Vec<_>, GithubError>>()?;
            return Ok((base, versions));
        }
        Err(GithubError::Status {
            method: "GET".into(),
            url: format!("{}/users/{owner}/packages/container/{encoded}/versions", self.api()),
            status: 404,
            message: format!(
                "no container package `{package}` owned by `{owner}` (as an organization or a user) that this token can see"
            ),
        })
    }

    /// Deletes one version: `DELETE {api}{base}/versions/{id}`.
    pub fn delete_package_version(&self, base: &str, id: u64) -> Result<(), GithubError> {
        let url = format!("{}{base}/versions/{id}", self.api());
        let (status, _) = self.json(Method::DELETE, &url, None).map_err(packages_hint)?;
        if status == 404 {
            return Err(GithubError::Status {
                method: "DELETE".into(),
                url,
                status,
                message: "Not Found".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_are_url_encoded() {
        assert_eq!(encode_package("charts/advisoryhub"), "charts%2Fadvisoryhub");
        assert_eq!(encode_package("advisory-hub_1.x"), "advisory-hub_1.x");
    }
}
