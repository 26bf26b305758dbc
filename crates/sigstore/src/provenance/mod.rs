//! SLSA v1 provenance in an in-toto v1 Statement.
//!
//! Inside GitHub Actions ([`github`]), the predicate is what `actions/attest-build-provenance` builds
//! (npm `@actions/attest`, `buildSLSAProvenancePredicate`): every field comes from the claims of an
//! OIDC ID token that was verified against the issuer's published keys, not from environment
//! variables. Elsewhere ([`local_predicate`]), the builder is tagwright on this machine and the
//! resolved dependency is the repository's HEAD commit.

pub mod github;
mod jwt;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

/// The in-toto Statement type.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The SLSA provenance v1 predicate type.
pub const PREDICATE_TYPE: &str = "https://slsa.dev/provenance/v1";
/// The build type of a provenance made outside GitHub Actions.
pub const LOCAL_BUILD_TYPE: &str = "https://github.com/tagwright/tagwright/buildtypes/local/v1";

/// An in-toto v1 Statement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    /// Always [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub kind: &'static str,
    /// What the statement is about.
    pub subject: Vec<Subject>,
    /// Always [`PREDICATE_TYPE`] here.
    #[serde(rename = "predicateType")]
    pub predicate_type: &'static str,
    /// The SLSA predicate.
    pub predicate: Value,
}

/// A subject: a name and its digests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subject {
    /// A file name, or an artifact's name (an image's repository).
    pub name: String,
    /// `sha256` → lowercase hex.
    pub digest: BTreeMap<String, String>,
}

/// Why no provenance could be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProvenanceError {
    /// A subject could not be read or parsed.
    #[error("subject `{subject}`: {message}")]
    Subject {
        /// The subject as given.
        subject: String,
        /// What is wrong.
        message: String,
    },
    /// The repository has no HEAD commit to name.
    #[error("{path}: {message}")]
    Repository {
        /// The repository.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The ID token could not be had or did not verify.
    #[error("OIDC: {0}")]
    Oidc(String),
}

impl Subject {
    /// `FILE` (hashed with SHA-256, named by its file name) or `NAME@sha256:HEX`.
    pub fn parse(text: &str) -> Result<Subject, ProvenanceError> {
        let bad = |message: String| ProvenanceError::Subject { subject: text.to_owned(), message };
        if let Some((name, hex)) = text.rsplit_once("@sha256:") {
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
                return Err(bad("the digest is not 64 lowercase hex digits".to_owned()));
            }
            if name.is_empty() {
                return Err(bad("no name before `@sha256:`".to_owned()));
            }
            return Ok(Subject {
                name: name.to_owned(),
                digest: BTreeMap::from([("sha256".to_owned(), hex.to_owned())]),
            });
        }
        let path = Path::new(text);
        let digest = tagwright_checksums::hash_file(tagwright_checksums::Algorithm::Sha256, path)
            .map_err(|e| bad(format!("cannot read: {e}")))?;
        let name =
            path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| text.to_owned());
        Ok(Subject { name, digest: BTreeMap::from([("sha256".to_owned(), digest.to_hex())]) })
    }
}

/// The Statement about `subjects` with `predicate`.
pub fn statement(subjects: Vec<Subject>, predicate: Value) -> Statement {
    Statement { kind: STATEMENT_TYPE, subject: subjects, predicate_type: PREDICATE_TYPE, predicate }
}

/// The provenance of a build on this machine: tagwright as the builder, the repository's HEAD commit
/// (and its branch or tag) as the resolved dependency.
pub fn local_predicate(repo: &Path) -> Result<Value, ProvenanceError> {
    let failed = |message: String| ProvenanceError::Repository { path: repo.display().to_string(), message };
    let git = git2::Repository::discover(repo).map_err(|e| failed(e.message().to_owned()))?;
    let head = git.head().map_err(|e| failed(format!("no HEAD commit: {}", e.message())))?;
    let commit = head.peel_to_commit().map_err(|e| failed(e.message().to_owned()))?.id().to_string();
    let reference = head.name().unwrap_or("HEAD").to_owned();
    let location =
        git.find_remote("origin").ok().and_then(|r| r.url().ok().map(tagwright_http::redact)).unwrap_or_else(
            || {
                git.workdir()
                    .unwrap_or_else(|| git.path())
                    .components()
                    .collect::<std::path::PathBuf>()
                    .display()
                    .to_string()
            },
        );
    let version = env!("CARGO_PKG_VERSION");
    Ok(json!({
        "buildDefinition": {
            "buildType": LOCAL_BUILD_TYPE,
            "externalParameters": {"source": {"repository": location, "ref": reference}},
            "internalParameters": {"tagwright": {"version": version}},
            "resolvedDependencies": [{"uri": format!("git+{location}@{reference}"), "digest": {"gitCommit": commit}}]
        },
        "runDetails": {
            "builder": {"id": format!("https://github.com/tagwright/tagwright/builders/local@v{version}")}
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_urls_lose_their_credentials() {
        assert_eq!(
            tagwright_http::redact("https://x-access-token:ghs_secret@github.com/acme/app.git"),
            "https://github.com/acme/app.git"
        );
        assert_eq!(tagwright_http::redact("https://github.com/acme/app"), "https://github.com/acme/app");
        assert_eq!(tagwright_http::redact("ssh://git@host:22/repo"), "ssh://host:22/repo");
        assert_eq!(tagwright_http::redact("git@github.com:acme/app.git"), "git@github.com:acme/app.git");
    }

    #[test]
    fn subjects_are_files_or_names_with_digests() {
        let hex = "ab".repeat(32);
        let named = Subject::parse(&format!("ghcr.io/acme/app@sha256:{hex}")).expect("named");
        assert_eq!(
            (named.name.as_str(), named.digest["sha256"].as_str()),
            ("ghcr.io/acme/app", hex.as_str())
        );
        assert!(Subject::parse(&format!("app@sha256:{}", "AB".repeat(32))).is_err(), "uppercase hex");
        assert!(Subject::parse("@sha256:00").is_err());
        assert!(
            Subject::parse("/nonexistent/file").expect_err("missing").to_string().contains("cannot read")
        );
    }
}
