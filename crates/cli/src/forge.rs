//! `release-notes`' forge: the GitHub REST API ([`tagwright_github`]) behind
//! [`tagwright_notes::Forge`], configured as git-cliff configures its GitHub client.

use std::time::Duration;

use tagwright_github::{GITHUB_API, Github};
use tagwright_notes::{Forge, ForgeCommit, ForgeData, ForgePullRequest, RemoteRepo};

/// GitHub, reached as git-cliff reaches it: the API URL from `GITHUB_API_URL`, else `[remote.github]
/// api_url`, else `https://api.github.com`; the token is `[remote.github] token`, which
/// `--github-token` or `GITHUB_TOKEN` overrides.
#[derive(Debug, Clone)]
pub struct GithubForge {
    /// `GITHUB_API_URL`, when set.
    pub api_from_env: Option<String>,
    /// Each request's timeout (`--http-timeout`).
    pub timeout: Duration,
}

impl Forge for GithubForge {
    fn github(&self, remote: &RemoteRepo, ref_name: Option<&str>) -> Result<ForgeData, String> {
        let api = self
            .api_from_env
            .clone()
            .filter(|a| !a.is_empty())
            .or_else(|| remote.api_url.clone())
            .unwrap_or_else(|| GITHUB_API.to_owned());
        let github =
            Github::with_timeout(&api, remote.token.as_deref(), self.timeout).map_err(|e| e.to_string())?;
        let commits =
            github.repo_commits(&remote.owner, &remote.repo, ref_name).map_err(|e| e.to_string())?;
        let pulls = github.closed_pull_requests(&remote.owner, &remote.repo).map_err(|e| e.to_string())?;
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
