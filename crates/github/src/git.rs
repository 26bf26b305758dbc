//! A repository's git data without a clone ("REST API endpoints for Git database"): a tag's ref,
//! the tag object with GitHub's `verification` (its signed payload and signature), a commit, a
//! recursive tree, and blobs. Everything read is hostile until checked: object ids must be 40 hex
//! digits before they enter a URL, tree paths are returned as GitHub gives them and must be checked
//! by the caller (see [`Tree::plain_entries`]), a truncated tree is an error, and a blob is read raw,
//! at most `cap` bytes, and must have the size the tree said.

use serde::Deserialize;
use tagwright_http::reqwest::Method;

use crate::client::{Github, GithubError, segment};

/// An object a ref or a tag points at.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GitObject {
    /// `commit`, `tag`, `tree` or `blob`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its id.
    pub sha: String,
}

/// A ref (`refs/tags/v1.2.0`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GitRef {
    /// The full ref name.
    #[serde(rename = "ref")]
    pub name: String,
    /// What it points at: a tag object (annotated tag) or a commit (lightweight tag).
    pub object: GitObject,
}

/// Who made a tag or commit, and when (RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GitActor {
    /// The name.
    pub name: String,
    /// The email.
    pub email: String,
    /// When.
    pub date: String,
}

/// GitHub's verdict on an object's signature, with the signed payload and the signature.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Verification {
    /// Whether GitHub considers the signature verified.
    pub verified: bool,
    /// Why (`valid`, `unsigned`, `unknown_key`, `bad_email`, …).
    pub reason: String,
    /// The armored signature, if signed.
    #[serde(default)]
    pub signature: Option<String>,
    /// The signed payload (the object without its signature), if signed.
    #[serde(default)]
    pub payload: Option<String>,
}

/// An annotated tag object.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GitTag {
    /// Its id.
    pub sha: String,
    /// Its name.
    pub tag: String,
    /// Its message (the signature included, as git stores it).
    pub message: String,
    /// The tagger.
    pub tagger: GitActor,
    /// What it tags.
    pub object: GitObject,
    /// GitHub's verdict on its signature.
    pub verification: Verification,
}

/// A commit, as far as a tree is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GitCommit {
    /// Its id.
    pub sha: String,
    /// Its tree.
    pub tree: GitTreeRef,
}

/// A commit's tree (`{"sha": …}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GitTreeRef {
    /// Its id.
    pub sha: String,
}

/// One entry of a tree.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TreeEntry {
    /// Its path from the tree's root (`/`-separated in a recursive listing).
    pub path: String,
    /// Its mode: `100644`, `100755`, `040000`, `120000` (a symlink), `160000` (a submodule).
    pub mode: String,
    /// `blob`, `tree` or `commit`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its id.
    pub sha: String,
    /// A blob's size.
    #[serde(default)]
    pub size: Option<u64>,
}

/// Why a tree listing is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TreeError(pub String);

/// A tree, listed recursively.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Tree {
    /// Its id.
    pub sha: String,
    /// Its entries.
    pub tree: Vec<TreeEntry>,
    /// Whether GitHub left entries out (over its limits).
    pub truncated: bool,
}

impl Tree {
    /// A recursive tree listing from GitHub's answer, refused whole when it is truncated (what it
    /// leaves out cannot be checked) or when an entry's path is not plain or its id not an object id.
    pub fn from_answer(answer: serde_json::Value) -> Result<Tree, TreeError> {
        let tree: Tree = parse(answer, "tree").map_err(TreeError)?;
        if let Some(message) = tree.unplain() {
            return Err(TreeError(message));
        }
        if tree.truncated {
            let message = "GitHub truncated the tree (over 100,000 entries or 7 MB): it cannot be read whole";
            return Err(TreeError(message.to_owned()));
        }
        Ok(tree)
    }

    /// The first entry whose path is not plain (a component empty, `.` or `..`, or with `\` or NUL)
    /// or whose id is not 40 hex digits, described.
    fn unplain(&self) -> Option<String> {
        let plain =
            |part: &str| !part.is_empty() && part != "." && part != ".." && !part.contains(['\\', '\0']);
        self.tree.iter().find_map(|entry| {
            if !entry.path.split('/').all(plain) {
                Some(format!("the tree entry `{}` is not a plain path", entry.path.escape_debug()))
            } else if !is_object_id(&entry.sha) {
                Some(format!("the tree entry `{}` has no object id", entry.path.escape_debug()))
            } else {
                None
            }
        })
    }
}

/// Whether `sha` is a git object id: 40 lowercase hex digits (SHA-1 repositories, which GitHub's
/// are).
pub fn is_object_id(sha: &str) -> bool {
    sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `{API}/repos/OWNER/REPO/git/{kind}/{sha}`, once `sha` is checked to be an object id.
fn parse<T: serde::de::DeserializeOwned>(value: serde_json::Value, what: &str) -> Result<T, String> {
    serde_json::from_value(value).map_err(|e| format!("not a git {what}: {e}"))
}

fn object_url(
    github: &Github,
    owner: &str,
    repo: &str,
    kind: &str,
    sha: &str,
) -> Result<String, GithubError> {
    let base = github.repo_url(owner, repo)?;
    if !is_object_id(sha) {
        let message = format!("`{}` is not a git object id", sha.escape_debug());
        return Err(GithubError::Invalid { url: base, message });
    }
    Ok(format!("{base}/git/{kind}/{sha}"))
}

impl Github {
    /// A git-data document at `url`, read with `read` (which names what it is); `None` on 404.
    fn git_data<T>(
        &self,
        url: String,
        read: impl FnOnce(serde_json::Value) -> Result<T, String>,
    ) -> Result<Option<T>, GithubError> {
        match self.json(Method::GET, &url, None)? {
            (404, _) => Ok(None),
            (_, value) => read(value).map(Some).map_err(|message| GithubError::Invalid { url, message }),
        }
    }

    /// The tag ref `refs/tags/{tag}`; `None` when there is none.
    pub fn tag_ref(&self, owner: &str, repo: &str, tag: &str) -> Result<Option<GitRef>, GithubError> {
        let url = format!("{}/git/ref/tags/{}", self.repo_url(owner, repo)?, segment(tag));
        self.git_data(url, |value| parse(value, "ref"))
    }

    /// The annotated tag object `sha`; `None` when there is none.
    pub fn git_tag(&self, owner: &str, repo: &str, sha: &str) -> Result<Option<GitTag>, GithubError> {
        self.git_data(object_url(self, owner, repo, "tags", sha)?, |value| parse(value, "tag"))
    }

    /// The commit `sha`; `None` when there is none.
    pub fn git_commit(&self, owner: &str, repo: &str, sha: &str) -> Result<Option<GitCommit>, GithubError> {
        self.git_data(object_url(self, owner, repo, "commits", sha)?, |value| parse(value, "commit"))
    }

    /// The tree `sha`, listed recursively. A truncated listing is an error, since what it leaves out
    /// cannot be checked, and so is an entry whose path is not plain (`..`, `/etc/passwd`, `a//b`) or
    /// whose id is not an object id: the tree is refused whole.
    pub fn git_tree(&self, owner: &str, repo: &str, sha: &str) -> Result<Option<Tree>, GithubError> {
        let url = format!("{}?recursive=1", object_url(self, owner, repo, "trees", sha)?);
        self.git_data(url, |value| Tree::from_answer(value).map_err(|e| e.0))
    }

    /// The blob `sha`'s bytes, raw (`application/vnd.github.raw+json`), at most `cap` of them.
    pub fn git_blob(&self, owner: &str, repo: &str, sha: &str, cap: u64) -> Result<Vec<u8>, GithubError> {
        let url = object_url(self, owner, repo, "blobs", sha)?;
        let mut bytes = Vec::new();
        self.download_accepting(&url, "application/vnd.github.raw+json", cap, &mut bytes)?;
        Ok(bytes)
    }
}
