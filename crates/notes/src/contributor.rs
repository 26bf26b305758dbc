//! A contributor as git-cliff shapes it: shared by commits, releases and the forges' data.

use serde::Serialize;

/// A contributor, in git-cliff's shape: on a commit (`commit.github`, `commit.remote`) and in a
/// release's `github.contributors`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RemoteContributor {
    /// The login.
    pub username: Option<String>,
    /// Who opened the pull request.
    pub pr_author: Option<String>,
    /// The pull request's title.
    pub pr_title: Option<String>,
    /// The pull request's number.
    pub pr_number: Option<i64>,
    /// Every pull request of this contributor in the release, ascending.
    pub pr_numbers: Vec<i64>,
    /// The pull request's labels.
    pub pr_labels: Vec<String>,
    /// Whether no earlier commit of the repository is theirs.
    pub is_first_time: bool,
}
