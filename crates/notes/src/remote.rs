//! Forge metadata (GitHub's, as git-cliff's `[remote.github]` integration adds it): each commit's
//! author login and pull request, and each release's contributors.
//!
//! This crate never touches the network: a [`Forge`] (the `release-notes` binary's GitHub client)
//! answers with [`ForgeData`], and it is asked only when a template reads the forge's variables or
//! the repository was named on the command line, as git-cliff decides.

use crate::contributor::RemoteContributor;
use crate::release::Release;
use crate::remote_config::RemoteRepo;

/// The variable paths that make git-cliff ask GitHub (its `TEMPLATE_VARIABLES`).
pub const GITHUB_VARIABLES: [&str; 3] = ["github", "commit.github", "commit.remote"];

/// A commit as the forge knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeCommit {
    /// The full id.
    pub id: String,
    /// The author's login on the forge.
    pub username: Option<String>,
    /// The author time (Unix seconds), when the forge gave one.
    pub timestamp: Option<i64>,
}

impl ForgeCommit {
    /// A commit with its author date as the forge writes it (RFC 3339); a date that does not parse
    /// is no date.
    pub fn new(id: String, username: Option<String>, date: Option<&str>) -> ForgeCommit {
        let timestamp =
            date.and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok()).map(|d| d.timestamp());
        ForgeCommit { id, username, timestamp }
    }
}

/// A closed pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgePullRequest {
    /// Its number.
    pub number: i64,
    /// Its title.
    pub title: Option<String>,
    /// Its label names.
    pub labels: Vec<String>,
    /// The commit that merged it.
    pub merge_commit: Option<String>,
    /// Who opened it.
    pub author: Option<String>,
}

/// What a forge says about a repository's history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForgeData {
    /// Commits, newest first.
    pub commits: Vec<ForgeCommit>,
    /// Closed pull requests.
    pub pull_requests: Vec<ForgePullRequest>,
}

/// Why a forge could not be asked: its client's error (kept with its causes), or a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ForgeError {
    /// The forge's client failed (a `tagwright_github::GithubError`, say).
    #[error(transparent)]
    Client(Box<dyn std::error::Error + Send + Sync>),
    /// What went wrong, in words.
    #[error("{0}")]
    Message(String),
}

impl ForgeError {
    /// The client's error `error`.
    pub fn client(error: impl std::error::Error + Send + Sync + 'static) -> ForgeError {
        ForgeError::Client(Box::new(error))
    }
}

/// Asks a forge for its data; implemented outside this crate (see `tagwright-github`).
pub trait Forge {
    /// GitHub's commits (listed from `ref_name` when given, else the default branch) and closed pull
    /// requests of `remote`.
    fn github(&self, remote: &RemoteRepo, ref_name: Option<&str>) -> Result<ForgeData, ForgeError>;
}

/// Adds GitHub's data to a release whose commits are not processed yet, as git-cliff's
/// `update_github_metadata` does: each of its commits that GitHub lists gets the login and the pull
/// request merged as it (by full or 12-character id); the release lists its contributors in order of
/// first commit, each with their pull requests; a contributor is first-time when no other listed
/// commit of theirs is older than the release's own commit (any other commit, for an unreleased or
/// unlisted one).
pub(crate) fn apply_github(release: &mut Release, data: &ForgeData) {
    let commits = std::sync::Arc::make_mut(&mut release.commits);
    let mut contributors: Vec<RemoteContributor> = Vec::new();
    let mut release_timestamp = None;
    let mut in_release = vec![false; data.commits.len()];
    for (index, remote) in data.commits.iter().enumerate() {
        let Some(commit) = commits.iter_mut().find(|c| c.id == remote.id) else { continue };
        in_release[index] = true;
        let short: String = remote.id.chars().take(12).collect();
        let pull = data
            .pull_requests
            .iter()
            .find(|pr| pr.merge_commit.as_deref().is_some_and(|m| m == remote.id || m == short));
        let contributor = RemoteContributor {
            username: remote.username.clone(),
            pr_author: pull.and_then(|p| p.author.clone()),
            pr_title: pull.and_then(|p| p.title.clone()),
            pr_number: pull.map(|p| p.number),
            pr_numbers: Vec::new(),
            pr_labels: pull.map(|p| p.labels.clone()).unwrap_or_default(),
            is_first_time: false,
        };
        match contributors.iter_mut().find(|c| c.username == contributor.username) {
            Some(existing) => {
                if let Some(number) = contributor.pr_number
                    && !existing.pr_numbers.contains(&number)
                {
                    existing.pr_numbers.push(number);
                }
            }
            // A release's contributor carries no `pr_author`, as in git-cliff 2.14.
            None => contributors.push(RemoteContributor {
                pr_numbers: contributor.pr_number.into_iter().collect(),
                pr_author: None,
                ..contributor.clone()
            }),
        }
        commit.github = Some(Box::new(contributor));
        if Some(&remote.id) == release.commit_id.as_ref() {
            release_timestamp = remote.timestamp;
        }
    }
    let unbounded = release.timestamp.is_none() || release_timestamp.is_none();
    for contributor in &mut contributors {
        contributor.pr_numbers.sort_unstable();
        contributor.is_first_time = !data
            .commits
            .iter()
            .zip(&in_release)
            .filter(|(commit, inside)| !**inside && (unbounded || commit.timestamp < release_timestamp))
            .any(|(commit, _)| commit.username == contributor.username);
    }
    release.github_contributors = contributors;
}
