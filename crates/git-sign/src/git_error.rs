//! A libgit2 failure with its context: the repository, what was being read or written (a ref, an
//! object), and libgit2's own error.

use std::path::PathBuf;

use git2::Repository;

/// A libgit2 failure: `<repository>: <what>: <libgit2's message>`.
#[derive(Debug, thiserror::Error)]
#[error("{}: {what}: {}", .repository.display(), .source.message())]
pub struct GitError {
    /// The repository (its work tree, else its git directory).
    pub repository: PathBuf,
    /// What was being done, naming the ref or object: `read HEAD`, `write tag v1.2.0`.
    pub what: String,
    /// libgit2's error.
    #[source]
    pub source: git2::Error,
}

impl PartialEq for GitError {
    fn eq(&self, other: &GitError) -> bool {
        (&self.repository, &self.what, self.source.code(), self.source.message())
            == (&other.repository, &other.what, other.source.code(), other.source.message())
    }
}

impl Eq for GitError {}

/// Makes a [`GitError`] of a git2 error met in `repo` while doing `what`.
pub(crate) fn in_repo(repo: &Repository, what: impl Into<String>) -> impl FnOnce(git2::Error) -> GitError {
    // Through its components: libgit2 ends the path with a `/`.
    let repository = repo.workdir().unwrap_or_else(|| repo.path()).components().collect();
    let what = what.into();
    move |source| GitError { repository, what, source }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::{AllowedSigners, VerifyError, verify_tag};

    #[test]
    fn a_git_failure_names_the_repository_the_object_and_the_cause() {
        tagwright_test_support::hermetic_git2();
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = git2::Repository::init(dir.path()).expect("init");
        let allowed = AllowedSigners::parse("", Path::new("allowed_signers")).expect("empty list");
        let missing = git2::Oid::from_str("1234567890123456789012345678901234567890").expect("oid");
        let err = verify_tag(&repo, missing, &allowed).expect_err("no such tag");
        let VerifyError::Git(git) = &err else { panic!("{err:?}") };
        assert_eq!(git.repository, dir.path());
        assert_eq!(git.what, format!("read tag object {missing}"));
        assert_eq!(git.source.code(), git2::ErrorCode::NotFound);
        assert!(
            err.to_string().starts_with(&format!("{}: read tag object {missing}: ", dir.path().display())),
            "{err}"
        );
        assert!(std::error::Error::source(git).is_some(), "the git2 error is the source");
    }
}
