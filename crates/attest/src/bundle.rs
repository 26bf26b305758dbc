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
    /// The in-toto statement's `predicateType`, read from the envelope that was verified (a DSSE
    /// bundle only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate_type: Option<String>,
}

/// Refuses JSON that repeats a key in any object. Where readers differ on which copy counts (serde's
/// `Value` keeps the last, a typed reader may take the first), a repeated key lets one document be
/// verified and another be believed.
pub(crate) fn reject_duplicate_keys(json: &[u8]) -> Result<(), String> {
    use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
    struct Unique;
    impl<'de> Deserialize<'de> for Unique {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Unique, D::Error> {
            deserializer.deserialize_any(Unique)
        }
    }
    impl<'de> Visitor<'de> for Unique {
        type Value = Unique;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_unit<E>(self) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
            while seq.next_element::<Unique>()?.is_some() {}
            Ok(Unique)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                if !seen.insert(key.clone()) {
                    return Err(A::Error::custom(format!("the key `{key}` appears twice in one object")));
                }
                map.next_value::<Unique>()?;
            }
            Ok(Unique)
        }
    }
    serde_json::from_slice::<Unique>(json).map(|_| ()).map_err(|e| e.to_string())
}

/// The in-toto statement's `predicateType` in a DSSE bundle's envelope.
fn predicate_type(bundle: &Bundle) -> Option<String> {
    let sigstore_verify::types::bundle::SignatureContent::DsseEnvelope(envelope) = &bundle.content else {
        return None;
    };
    let statement: serde_json::Value = serde_json::from_slice(envelope.payload.as_bytes()).ok()?;
    statement["predicateType"].as_str().map(str::to_owned)
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
        reject_duplicate_keys(bundle.as_bytes())
            .map_err(|e| BundleError::Input(format!("the bundle: {e}")))?;
        // The content is one of the two (protobuf's `oneof`): with both, readers may differ on which.
        let top: serde_json::Value = serde_json::from_str(bundle).unwrap_or_default();
        if top.get("messageSignature").is_some() && top.get("dsseEnvelope").is_some() {
            let both = "the bundle has both a messageSignature and a dsseEnvelope";
            return Err(BundleError::Input(both.to_owned()));
        }
        let bundle = Bundle::from_json(bundle).map_err(|e| BundleError::Input(format!("the bundle: {e}")))?;
        if let sigstore_verify::types::bundle::SignatureContent::DsseEnvelope(envelope) = &bundle.content {
            reject_duplicate_keys(envelope.payload.as_bytes())
                .map_err(|e| BundleError::Input(format!("the bundle's statement: {e}")))?;
        }
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
            predicate_type: predicate_type(&bundle),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        for json in [r#"{"a":1,"a":2}"#, r#"{"x":[{"b":{"c":1,"c":1}}]}"#, r#"{"a":1,"\u0061":2}"#] {
            let refused = reject_duplicate_keys(json.as_bytes()).expect_err(json);
            assert!(refused.contains("appears twice"), "{json}: {refused}");
        }
        for json in [r#"{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}"#, "[]", "1", r#""s""#, "null"] {
            assert!(reject_duplicate_keys(json.as_bytes()).is_ok(), "{json}");
        }
        assert!(reject_duplicate_keys(b"{").is_err(), "not JSON");
    }
}
