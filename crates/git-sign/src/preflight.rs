//! The checks a release makes before it changes anything, each returning a typed reason.

use std::path::PathBuf;

use git2::{Repository, Status, StatusOptions};
use tagwright_versions::{Scheme, TagFormat, Version};

use crate::allowed::AllowedSigners;
use crate::git_error::{GitError, in_repo};
use crate::signer::{Signer, SignerError, SignerOptions};

/// Why a release cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PreflightError {
    /// HEAD is not the release branch.
    #[error("releases are cut from `{expected}`, but HEAD is {}", .actual.as_deref().map_or_else(|| "detached".to_owned(), |b| format!("on `{b}`")))]
    WrongBranch {
        /// The release branch.
        expected: String,
        /// The current branch, `None` when detached.
        actual: Option<String>,
    },
    /// Tracked files are modified or staged.
    #[error("the tree is not clean: {}", describe_dirty(.modified, .staged))]
    Dirty {
        /// Modified (unstaged) tracked files.
        modified: Vec<String>,
        /// Staged files.
        staged: Vec<String>,
    },
    /// No signing key is usable.
    #[error("no signing key: {0}")]
    NoSigningKey(#[from] SignerError),
    /// The signing key is not in the allowed-signers file.
    #[error("the signing key {fingerprint} is not allowed to sign in {}", .allowed_signers.display())]
    KeyNotAllowed {
        /// The key.
        fingerprint: String,
        /// The allowed-signers file.
        allowed_signers: PathBuf,
    },
    /// The tag already exists.
    #[error("the tag {tag} already exists ({})", .refs.join(", "))]
    TagExists {
        /// The tag.
        tag: String,
        /// The refs that hold it.
        refs: Vec<String>,
    },
    /// The version is not newer than the latest release.
    #[error("{new} is not newer than the latest release {latest_tag}")]
    NotNewer {
        /// The requested version.
        new: Version,
        /// The latest release tag.
        latest_tag: String,
    },
    /// The repository could not be read.
    #[error(transparent)]
    Git(#[from] GitError),
}

fn describe_dirty(modified: &[String], staged: &[String]) -> String {
    let mut parts = Vec::new();
    if !staged.is_empty() {
        parts.push(format!("staged: {}", staged.join(", ")));
    }
    if !modified.is_empty() {
        parts.push(format!("modified: {}", modified.join(", ")));
    }
    format!("{} (untracked files are fine; commit or stash these)", parts.join("; "))
}

/// The branch HEAD points to, or `None` when detached.
pub fn current_branch(repo: &Repository) -> Result<Option<String>, PreflightError> {
    let head = match repo.head() {
        Ok(head) => head,
        Err(e) if e.code() == git2::ErrorCode::UnbornBranch => {
            let reference = repo.find_reference("HEAD").map_err(in_repo(repo, "read HEAD"))?;
            let target = reference.symbolic_target().ok().flatten();
            return Ok(target.and_then(|t| t.strip_prefix("refs/heads/")).map(str::to_owned));
        }
        Err(e) => return Err(in_repo(repo, "read HEAD")(e).into()),
    };
    Ok(if head.is_branch() { head.shorthand().ok().map(str::to_owned) } else { None })
}

/// HEAD must be the release branch.
pub fn check_branch(repo: &Repository, expected: &str) -> Result<(), PreflightError> {
    let actual = current_branch(repo)?;
    if actual.as_deref() == Some(expected) {
        Ok(())
    } else {
        Err(PreflightError::WrongBranch { expected: expected.to_owned(), actual })
    }
}

/// No tracked file may be modified or staged; untracked files are fine.
pub fn check_clean(repo: &Repository) -> Result<(), PreflightError> {
    let mut options = StatusOptions::new();
    options.include_untracked(false).include_ignored(false).exclude_submodules(true);
    let statuses =
        repo.statuses(Some(&mut options)).map_err(in_repo(repo, "read the status of the work tree"))?;
    let (mut modified, mut staged) = (Vec::new(), Vec::new());
    for entry in statuses.iter() {
        let path = String::from_utf8_lossy(entry.path_bytes()).into_owned();
        let status = entry.status();
        if status.intersects(
            Status::INDEX_NEW
                | Status::INDEX_MODIFIED
                | Status::INDEX_DELETED
                | Status::INDEX_RENAMED
                | Status::INDEX_TYPECHANGE,
        ) {
            staged.push(path.clone());
        }
        if status.intersects(
            Status::WT_MODIFIED
                | Status::WT_DELETED
                | Status::WT_RENAMED
                | Status::WT_TYPECHANGE
                | Status::CONFLICTED,
        ) {
            modified.push(path);
        }
    }
    if modified.is_empty() && staged.is_empty() {
        Ok(())
    } else {
        Err(PreflightError::Dirty { modified, staged })
    }
}

/// A signing key must be available and, when an allowed-signers file is given, be allowed to sign for git.
pub fn check_signer(
    repo: &Repository,
    options: &SignerOptions,
    allowed: Option<&AllowedSigners>,
) -> Result<Signer, PreflightError> {
    let signer = Signer::from_git_config(repo, options)?;
    if let Some(allowed) = allowed
        && !allowed
            .for_key(signer.public_key())
            .any(|line| line.allows_namespace(crate::signer::GIT_NAMESPACE))
    {
        return Err(PreflightError::KeyNotAllowed {
            fingerprint: signer.fingerprint(),
            allowed_signers: allowed.path.clone(),
        });
    }
    Ok(signer)
}

/// The tag must not exist locally, nor under any remote-tracking namespace present.
pub fn check_tag_absent(repo: &Repository, tag: &str) -> Result<(), PreflightError> {
    let local = format!("refs/tags/{tag}");
    let mut refs = Vec::new();
    for reference in repo.references().map_err(in_repo(repo, "list the refs"))?.flatten() {
        let Ok(name) = reference.name() else { continue };
        let remote_copy = name.starts_with("refs/remotes/")
            && (name.ends_with(&format!("/tags/{tag}")) || name.rsplit('/').next() == Some(tag));
        if name == local || remote_copy {
            refs.push(name.to_owned());
        }
    }
    if refs.is_empty() { Ok(()) } else { Err(PreflightError::TagExists { tag: tag.to_owned(), refs }) }
}

/// The latest release tag (by version, ordered by `scheme`) among the tags that fit `format`.
pub fn latest_release(
    repo: &Repository,
    format: &TagFormat,
    scheme: Scheme,
) -> Result<Option<(String, Version)>, PreflightError> {
    let names = repo.tag_names(None).map_err(in_repo(repo, "list the tags"))?;
    let latest = names
        .iter()
        .filter_map(|n| n.ok().flatten())
        .filter_map(|name| format.version_of(name).ok().map(|v| (name.to_owned(), v)))
        .max_by(|a, b| scheme.cmp(&a.1, &b.1));
    Ok(latest)
}

/// The new version must be greater than the latest release tag, ordered by `scheme` (PEP 440 for a
/// repository whose every version source is Python's: `Inventory::scheme`).
pub fn check_newer(
    repo: &Repository,
    format: &TagFormat,
    scheme: Scheme,
    new: &Version,
) -> Result<(), PreflightError> {
    match latest_release(repo, format, scheme)? {
        Some((latest_tag, latest)) if scheme.cmp(new, &latest).is_le() => {
            Err(PreflightError::NotNewer { new: new.clone(), latest_tag })
        }
        _ => Ok(()),
    }
}
