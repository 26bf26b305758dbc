//! Signed commits and tags in git's object formats, and their verification.
//!
//! A signed commit carries the signature in a `gpgsig` header after `committer`, each continuation line
//! starting with a space; the signed payload is the commit without that header. A signed tag carries
//! the signature appended to its message; the payload is everything before `-----BEGIN`.

use git2::{ObjectType, Oid, Repository, Signature};
use ssh_key::{HashAlg, PublicKey, SshSig};

use crate::allowed::AllowedSigners;
use crate::git_error::{GitError, in_repo};
use crate::signer::{GIT_NAMESPACE, Signer, SignerError};

const SSH_SIGNATURE_START: &str = "-----BEGIN SSH SIGNATURE-----";

/// Why an object could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ObjectError {
    /// libgit2 failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// libgit2 built a commit that is not UTF-8 (a non-UTF-8 identity or message).
    #[error("the commit to sign is not UTF-8: {0}")]
    NotUtf8(std::str::Utf8Error),
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignerError),
}

/// Writes a signed commit object (git's `commit -S` format) and returns its id. No ref moves.
pub fn create_signed_commit(
    repo: &Repository,
    author: &Signature<'_>,
    committer: &Signature<'_>,
    message: &str,
    tree: &git2::Tree<'_>,
    parents: &[&git2::Commit<'_>],
    signer: &Signer,
) -> Result<Oid, ObjectError> {
    let buffer = repo
        .commit_create_buffer(author, committer, message, tree, parents)
        .map_err(in_repo(repo, format!("build the commit of tree {}", tree.id())))?;
    let content = std::str::from_utf8(&buffer).map_err(ObjectError::NotUtf8)?;
    let signature = signer.sign(content.as_bytes())?;
    // Without the trailing newline: with it, libgit2 writes a header line holding a single space.
    let commit = repo.commit_signed(content, signature.trim_end(), None);
    Ok(commit.map_err(in_repo(repo, format!("write the signed commit of tree {}", tree.id())))?)
}

/// `Name <email> seconds ±hhmm`, as git writes identities.
pub fn format_signature(signature: &Signature<'_>) -> String {
    let when = signature.when();
    let offset = when.offset_minutes();
    format!(
        "{} <{}> {} {}{:02}{:02}",
        String::from_utf8_lossy(signature.name_bytes()),
        String::from_utf8_lossy(signature.email_bytes()),
        when.seconds(),
        if offset < 0 { '-' } else { '+' },
        offset.abs() / 60,
        offset.abs() % 60
    )
}

/// Writes a signed annotated tag object (git's `tag -s` format) and returns its id. No ref is created.
///
/// The message is kept verbatim (markdown headings included), with a final newline.
pub fn create_signed_tag(
    repo: &Repository,
    name: &str,
    target: Oid,
    tagger: &Signature<'_>,
    message: &str,
    signer: &Signer,
) -> Result<Oid, ObjectError> {
    let object = repo
        .find_object(target, None)
        .map_err(in_repo(repo, format!("read {target}, the target of tag {name}")))?;
    let kind = object.kind().map_or("commit", |k| k.str());
    let mut payload =
        format!("object {target}\ntype {kind}\ntag {name}\ntagger {}\n\n{message}", format_signature(tagger));
    if !payload.ends_with('\n') {
        payload.push('\n');
    }
    let signature = signer.sign(payload.as_bytes())?;
    let object = format!("{payload}{signature}");
    let written = repo.odb().and_then(|odb| odb.write(ObjectType::Tag, object.as_bytes()));
    Ok(written.map_err(in_repo(repo, format!("write tag {name}")))?)
}

/// Who signed, according to the allowed-signers file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The principals of the matching allowed-signers line.
    pub principal: String,
    /// The key's `SHA256:` fingerprint.
    pub fingerprint: String,
    /// The line of the allowed-signers file that matched.
    pub line: usize,
}

/// Why a signature does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The object carries no SSH signature.
    #[error("{0} is not signed with an SSH key")]
    NotSigned(String),
    /// The signature block is malformed.
    #[error("malformed SSH signature: {0}")]
    Malformed(String),
    /// The signature was made in another namespace.
    #[error("the signature's namespace is `{0}`, not `git`")]
    WrongNamespace(String),
    /// The signature does not match the content (tampered, or another key).
    #[error("bad signature: the content was changed after signing, or the signature is not for it")]
    BadSignature,
    /// The key is not in the allowed-signers file.
    #[error("{fingerprint}: good signature, but the key is not in {allowed_signers}")]
    NotAllowed {
        /// The signing key.
        fingerprint: String,
        /// The allowed-signers file.
        allowed_signers: String,
    },
    /// The key's line does not permit the `git` namespace.
    #[error("{principal}: the allowed-signers line {line} does not permit the `git` namespace")]
    NamespaceNotPermitted {
        /// The principals of the line.
        principal: String,
        /// The line.
        line: usize,
    },
    /// The signature predates the key's `valid-after`.
    #[error("{principal}: the key is not yet valid at the signing time (allowed-signers line {line})")]
    NotYetValid {
        /// The principals of the line.
        principal: String,
        /// The line.
        line: usize,
    },
    /// The signature postdates the key's `valid-before`.
    #[error("{principal}: the key had expired at the signing time (allowed-signers line {line})")]
    Expired {
        /// The principals of the line.
        principal: String,
        /// The line.
        line: usize,
    },
    /// The object could not be read.
    #[error(transparent)]
    Git(#[from] GitError),
}

/// Verifies an armored SSH signature over `payload`, made at `time`, against `allowed`.
pub fn verify_payload(
    armored: &str,
    payload: &[u8],
    time: i64,
    allowed: &AllowedSigners,
) -> Result<Verified, VerifyError> {
    let signature =
        SshSig::from_pem(armored.trim_end()).map_err(|e| VerifyError::Malformed(e.to_string()))?;
    if signature.namespace() != GIT_NAMESPACE {
        return Err(VerifyError::WrongNamespace(signature.namespace().to_owned()));
    }
    let key = PublicKey::from(signature.public_key().clone());
    key.verify(GIT_NAMESPACE, payload, &signature).map_err(|_| VerifyError::BadSignature)?;
    let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
    let mut first_problem = None;
    for line in allowed.for_key(&key) {
        let principal = line.principals.clone();
        let problem = if !line.allows_namespace(GIT_NAMESPACE) {
            Some(VerifyError::NamespaceNotPermitted { principal, line: line.line })
        } else if line.valid_after.is_some_and(|after| time < after) {
            Some(VerifyError::NotYetValid { principal, line: line.line })
        } else if line.valid_before.is_some_and(|before| time > before) {
            Some(VerifyError::Expired { principal, line: line.line })
        } else {
            return Ok(Verified { principal, fingerprint, line: line.line });
        };
        first_problem = first_problem.or(problem);
    }
    Err(first_problem.unwrap_or(VerifyError::NotAllowed {
        fingerprint,
        allowed_signers: allowed.path.display().to_string(),
    }))
}

/// Verifies a commit's signature at its committer time.
pub fn verify_commit(
    repo: &Repository,
    commit: Oid,
    allowed: &AllowedSigners,
) -> Result<Verified, VerifyError> {
    let (signature, payload) = repo
        .extract_signature(&commit, None)
        .map_err(|_| VerifyError::NotSigned(format!("commit {commit}")))?;
    let time = repo
        .find_commit(commit)
        .map_err(in_repo(repo, format!("read commit {commit}")))?
        .committer()
        .when()
        .seconds();
    let armored = std::str::from_utf8(&signature).map_err(|e| VerifyError::Malformed(e.to_string()))?;
    if !armored.starts_with(SSH_SIGNATURE_START) {
        return Err(VerifyError::NotSigned(format!("commit {commit}")));
    }
    verify_payload(armored, &payload, time, allowed)
}

/// Splits a signed tag object into its payload and armored signature.
pub fn split_tag(raw: &[u8]) -> Option<(&[u8], &str)> {
    let text = std::str::from_utf8(raw).ok()?;
    let start = if text.starts_with(SSH_SIGNATURE_START) {
        0
    } else {
        text.find(&format!("\n{SSH_SIGNATURE_START}"))? + 1
    };
    Some((&raw[..start], &text[start..]))
}

/// Verifies an annotated tag's signature at its tagger time.
pub fn verify_tag(repo: &Repository, tag: Oid, allowed: &AllowedSigners) -> Result<Verified, VerifyError> {
    let what = format!("read tag object {tag}");
    let odb = repo.odb().map_err(in_repo(repo, what.as_str()))?;
    let object = odb.read(tag).map_err(in_repo(repo, what.as_str()))?;
    let (payload, armored) =
        split_tag(object.data()).ok_or_else(|| VerifyError::NotSigned(format!("tag {tag}")))?;
    let time = repo.find_tag(tag).map_err(in_repo(repo, what))?.tagger().map_or(0, |t| t.when().seconds());
    verify_payload(armored, payload, time, allowed)
}
