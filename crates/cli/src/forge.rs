//! `release-notes`' forge: the GitHub REST API ([`tagwright_github`]) behind
//! [`tagwright_notes::Forge`], configured as git-cliff configures its GitHub client.

use std::time::Duration;

use tagwright_github::{GITHUB_API, Github, same_origin};
use tagwright_notes::{Forge, ForgeCommit, ForgeData, ForgeError, ForgePullRequest, RemoteRepo};

/// GitHub, reached as git-cliff reaches it: the API URL from `GITHUB_API_URL`, else `[remote.github]
/// api_url`, else `https://api.github.com`; the token is `[remote.github] token`, which
/// `--github-token` or `GITHUB_TOKEN` overrides.
///
/// One difference from git-cliff: the token goes only to the API the user chose (`GITHUB_API_URL`,
/// `GIT_CLIFF__REMOTE__GITHUB__API_URL`, or the default). An `api_url` that the repository's
/// configuration names elsewhere is asked without it, and a warning says so.
#[derive(Debug, Clone)]
pub struct GithubForge {
    /// `GITHUB_API_URL`, when set.
    pub api_from_env: Option<String>,
    /// `GIT_CLIFF__REMOTE__GITHUB__API_URL`, when set: the user's own choice of `api_url`.
    pub api_url_from_env: Option<String>,
    /// Each request's deadline, retries included (`--http-timeout`).
    pub timeout: Duration,
}

impl GithubForge {
    /// The API to ask, and whether the token may go there.
    fn endpoint(&self, remote: &RemoteRepo) -> (String, bool) {
        let chosen = |url: &Option<String>| url.clone().filter(|a| !a.is_empty());
        if let Some(api) = chosen(&self.api_from_env) {
            return (api, true);
        }
        match chosen(&remote.api_url) {
            None => (GITHUB_API.to_owned(), true),
            Some(api) => {
                let users = chosen(&self.api_url_from_env).is_some_and(|u| u == api);
                let trusted = users || same_origin(&api, GITHUB_API);
                (api, trusted)
            }
        }
    }
}

impl Forge for GithubForge {
    fn github(&self, remote: &RemoteRepo, ref_name: Option<&str>) -> Result<ForgeData, ForgeError> {
        let (api, trusted) = self.endpoint(remote);
        if !trusted && remote.token.is_some() {
            eprintln!(
                "release-notes: warning: [remote.github] api_url {api} is not the GitHub API you chose (GITHUB_API_URL, or {GITHUB_API}): it is asked without the token"
            );
        }
        let token = remote.token.as_deref().filter(|_| trusted);
        let github = Github::with_timeout(&api, token, self.timeout).map_err(ForgeError::client)?;
        let commits =
            github.repo_commits(&remote.owner, &remote.repo, ref_name).map_err(ForgeError::client)?;
        let pulls = github.closed_pull_requests(&remote.owner, &remote.repo).map_err(ForgeError::client)?;
        Ok(ForgeData {
            commits: commits
                .into_iter()
                .map(|c| ForgeCommit::new(c.sha, c.login, c.date.as_deref()))
                .collect(),
            pull_requests: pulls
                .into_iter()
                .map(|p| ForgePullRequest {
                    number: p.number,
                    title: p.title,
                    labels: p.labels,
                    merge_commit: p.merge_commit_sha,
                    author: p.author,
                })
                .collect(),
        })
    }
}
