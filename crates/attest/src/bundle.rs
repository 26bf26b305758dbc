//! Sigstore bundles (v0.1 to v0.3) over files and DSSE envelopes, verified offline against a trusted
//! root, with cosign's identity flags.
//!
//! The cryptography is sigstore-rust's (`sigstore-verify`, which passes the Sigstore conformance
//! suite): the certificate chain to the trust root at the log's integrated time, the embedded SCT,
//! the signed entry timestamp and the inclusion proof with its checkpoint, the log entry's agreement
//! with the bundle, and the signature over the artifact. Verification decides what users trust, so
//! none of that is written here. What is ours is the identity policy, as cosign has it: the
//! certificate's SAN matches `--certificate-identity` exactly or `--certificate-identity-regexp`
//! unanchored (Go's `MatchString`), and its OIDC issuer likewise.

use regex::Regex;
use sigstore_verify::trust_root::SIGSTORE_PRODUCTION_TRUSTED_ROOT;
pub use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::{Artifact, ArtifactDigest, Bundle, Sha256Hash};
use sigstore_verify::{VerificationPolicy, Verifier};

/// A string to match exactly, or a regular expression to match anywhere in it.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Equal to this.
    Exact(String),
    /// Matching this, unanchored.
    Regexp(Regex),
}

impl Matcher {
    fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Exact(expected) => value == expected,
            Matcher::Regexp(pattern) => pattern.is_match(value),
        }
    }

    fn describe(&self) -> String {
        match self {
            Matcher::Exact(expected) => format!("`{expected}`"),
            Matcher::Regexp(pattern) => format!("the regexp `{pattern}`"),
        }
    }
}

/// Who must have signed: the certificate's identity and its OIDC issuer.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The SAN (a workflow URI, an email address).
    pub subject: Matcher,
    /// The OIDC issuer.
    pub issuer: Matcher,
}

impl Identity {
    /// Any identity from any issuer: for checking our own signatures' cryptography before they are
    /// published (who the identity is was Fulcio's to decide).
    pub fn any() -> Identity {
        let any = || Matcher::Regexp(Regex::new("").expect("the empty regexp compiles"));
        Identity { subject: any(), issuer: any() }
    }
}

/// Why a bundle did not verify, by the check that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// The bundle, the trusted root or a regexp is not one we read.
    #[error("{0}")]
    Input(String),
    /// A cryptographic check failed: the chain, the SCT, the log entry, the signature.
    #[error("not verified: {0}")]
    Crypto(String),
    /// The certificate is not the given identity's.
    #[error("not verified: the certificate's identity {actual} does not match {expected}")]
    Identity {
        /// The certificate's SAN.
        actual: String,
        /// What was required.
        expected: String,
    },
    /// The certificate's issuer is not the given one.
    #[error("not verified: the certificate's OIDC issuer {actual} does not match {expected}")]
    Issuer {
        /// The certificate's issuer.
        actual: String,
        /// What was required.
        expected: String,
    },
}

/// What verified.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct VerifiedBundle {
    /// The certificate's SAN.
    pub identity: String,
    /// Its OIDC issuer.
    pub issuer: String,
    /// When the log integrated the entry (RFC 3339), if the bundle has one.
    pub integrated_time: Option<String>,
}

/// A trusted root from its JSON; `None` is the public-good instance's, embedded.
pub fn trusted_root(json: Option<&str>) -> Result<TrustedRoot, BundleError> {
    TrustedRoot::from_json(json.unwrap_or(SIGSTORE_PRODUCTION_TRUSTED_ROOT))
        .map_err(|e| BundleError::Input(format!("the trusted root: {e}")))
}

/// Verifies `bundle` (JSON) over `artifact`'s bytes against `root`, then the identity.
pub fn verify_blob(
    artifact: &[u8],
    bundle: &str,
    root: &TrustedRoot,
    identity: &Identity,
) -> Result<VerifiedBundle, BundleError> {
    BlobVerifier::new(root)?.verify(artifact, bundle, identity)
}

/// A verifier for many bundles against one trusted root (its keys are parsed once).
pub struct BlobVerifier {
    verifier: Verifier,
}

impl std::fmt::Debug for BlobVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobVerifier").finish_non_exhaustive()
    }
}

impl BlobVerifier {
    /// A verifier trusting `root`.
    pub fn new(root: &TrustedRoot) -> Result<BlobVerifier, BundleError> {
        let verifier =
            Verifier::new(root).map_err(|e| BundleError::Input(format!("the trusted root: {e}")))?;
        Ok(BlobVerifier { verifier })
    }

    /// Verifies `bundle` (JSON) over `artifact`'s bytes, then the identity. A DSSE bundle's in-toto
    /// statement must name the artifact's digest as a subject.
    pub fn verify(
        &self,
        artifact: &[u8],
        bundle: &str,
        identity: &Identity,
    ) -> Result<VerifiedBundle, BundleError> {
        self.verify_artifact(Artifact::Blob(artifact), bundle, identity)
    }

    /// Verifies a DSSE `bundle` (JSON) whose in-toto statement names `sha256` (an OCI digest, say)
    /// as a subject, then the identity.
    pub fn verify_digest(
        &self,
        sha256: [u8; 32],
        bundle: &str,
        identity: &Identity,
    ) -> Result<VerifiedBundle, BundleError> {
        let digest = ArtifactDigest::sha256(Sha256Hash::new(sha256));
        self.verify_artifact(Artifact::Digest(digest), bundle, identity)
    }

    fn verify_artifact(
        &self,
        artifact: Artifact<'_>,
        bundle: &str,
        identity: &Identity,
    ) -> Result<VerifiedBundle, BundleError> {
        let bundle = Bundle::from_json(bundle).map_err(|e| BundleError::Input(format!("the bundle: {e}")))?;
        let result = self
            .verifier
            .verify(artifact, &bundle, &VerificationPolicy::any_identity())
            .map_err(|e| BundleError::Crypto(e.to_string()))?;
        let actual = result.identity().map(|san| san.as_str().to_owned()).unwrap_or_default();
        if !identity.subject.matches(&actual) {
            return Err(BundleError::Identity { actual, expected: identity.subject.describe() });
        }
        let issuer = result.issuer().unwrap_or_default().to_owned();
        if !identity.issuer.matches(&issuer) {
            return Err(BundleError::Issuer { actual: issuer, expected: identity.issuer.describe() });
        }
        Ok(VerifiedBundle {
            identity: actual,
            issuer,
            integrated_time: result.integrated_time().map(|t| t.to_string()),
        })
    }
}
