//! A repository's history as GitHub knows it, for release notes: who authored each commit (their
//! GitHub login), and the closed pull requests with their numbers, titles, labels, authors and merge
//! commits. This is what git-cliff's `[remote.github]` integration reads:
//! `GET /repos/{owner}/{repo}/commits` and `GET /repos/{owner}/{repo}/pulls?state=closed`.
//!
//! Both lists are read page by page, each page reduced to the few fields kept, and capped in pages.

use serde_json::Value;

use crate::client::{Github, GithubError};

/// At most this many pages (100 items each) of commits or pull requests are read.
const MAX_HISTORY_PAGES: usize = 2000;

/// A commit as GitHub lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoCommit {
    /// The full SHA.
    pub sha: String,
    /// The GitHub login of its author, when GitHub matched the author's email to an account.
    pub login: Option<String>,
    /// The author date as GitHub writes it (RFC 3339).
    pub date: Option<String>,
}

/// A closed pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// Its number.
    pub number: i64,
    /// Its title.
    pub title: Option<String>,
    /// The commit that merged it (or squashed or rebased it in), when it was merged.
    pub merge_commit_sha: Option<String>,
    /// Its label names.
    pub labels: Vec<String>,
    /// The login of who opened it.
    pub author: Option<String>,
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

fn is_sha(text: &str) -> bool {
    (7..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Github {
    /// Every commit GitHub lists for the repository, newest first: from the default branch, or from
    /// `sha` (a branch, tag or commit) when given.
    pub fn repo_commits(
        &self,
        owner: &str,
        repo: &str,
        sha: Option<&str>,
    ) -> Result<Vec<RepoCommit>, GithubError> {
        let mut url = format!("{}/commits", self.repo_url(owner, repo)?);
        if let Some(sha) = sha {
            url = format!("{url}?sha={}", crate::client::segment(sha));
        }
        let mut commits = Vec::new();
        let found = self.paginate_with(&url, MAX_HISTORY_PAGES, |page| {
            for item in page {
                let Some(sha) = item["sha"].as_str().filter(|s| is_sha(s)) else {
                    return Err(GithubError::Invalid {
                        url: url.clone(),
                        message: "a commit without a SHA".to_owned(),
                    });
                };
                commits.push(RepoCommit {
                    sha: sha.to_ascii_lowercase(),
                    login: text(&item["author"]["login"]),
                    date: text(&item["commit"]["author"]["date"]),
                });
            }
            Ok(())
        })?;
        if !found {
            return Err(not_found(&url));
        }
        Ok(commits)
    }

    /// Every closed pull request of the repository, newest first.
    pub fn closed_pull_requests(&self, owner: &str, repo: &str) -> Result<Vec<PullRequest>, GithubError> {
        let url = format!("{}/pulls?state=closed", self.repo_url(owner, repo)?);
        let mut pulls = Vec::new();
        let found = self.paginate_with(&url, MAX_HISTORY_PAGES, |page| {
            for item in page {
                let Some(number) = item["number"].as_i64() else {
                    return Err(GithubError::Invalid {
                        url: url.clone(),
                        message: "a pull request without a number".to_owned(),
                    });
                };
                pulls.push(PullRequest {
                    number,
                    title: text(&item["title"]),
                    merge_commit_sha: text(&item["merge_commit_sha"]),
                    labels: item["labels"]
                        .as_array()
                        .map(|labels| labels.iter().filter_map(|l| text(&l["name"])).collect())
                        .unwrap_or_default(),
                    author: text(&item["user"]["login"]),
                });
            }
            Ok(())
        })?;
        if !found {
            return Err(not_found(&url));
        }
        Ok(pulls)
    }
}

fn not_found(url: &str) -> GithubError {
    GithubError::Status {
        method: "GET".to_owned(),
        url: url.to_owned(),
        status: 404,
        message: "Not Found; is the repository's owner/name right, and can the token read it?".to_owned(),
    }
}
