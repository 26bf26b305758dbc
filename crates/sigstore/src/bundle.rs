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
//!
//! Bundles signed with a key (`verificationMaterial.publicKey`, a hint) verify against the keys the
//! caller trusts ([`BlobVerifier::verify_with_keys`]), with their log entry unless the caller ignores
//! the log, as `cosign verify-blob --key [--insecure-ignore-tlog]` does; [`key_bundle`] writes them as
//! cosign's `sign-blob --key` does.

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
    /// The hint of the key that verified a key-signed bundle (the SHA-256 of its public key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// A Sigstore bundle v0.3 of `message` signed with a key (`signature` by `key`), as cosign's
/// `sign-blob --key K --bundle B --new-bundle-format` writes it: the key's hint as the verification
/// material, the log entry when the signature was logged (none with `--tlog-upload=false`), and the
/// message's SHA-256 with the signature.
pub fn key_bundle(
    key: &crate::dsse::VerifyingKey,
    message: &[u8],
    signature: &[u8],
    entry: Option<&crate::keyless::LogEntry>,
) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut material = serde_json::json!({"publicKey": {"hint": key.hint()}});
    if let Some(entry) = entry {
        material["tlogEntries"] = serde_json::json!([entry.bundle_entry()]);
    }
    serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": material,
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": b64(&sha2::Sha256::digest(message))},
            "signature": b64(signature)
        }
    })
    .to_string()
}

/// A key-signed bundle with no log entry and no timestamp, as cosign's `sign-blob --key
/// --tlog-upload=false` writes it and its `verify-blob --key --insecure-ignore-tlog` accepts it (with
/// no observer timestamp to check). sigstore-verify requires signing-time evidence of every bundle,
/// so the two checks left are made here: the message digest, and the signature with one of the keys
/// (over the message, or over a DSSE envelope's PAE whose statement names the message's digest).
fn unlogged(
    bundle: &Bundle,
    artifact: &Artifact<'_>,
    keys: &[crate::dsse::VerifyingKey],
) -> Result<VerifiedBundle, BundleError> {
    use sha2::Digest as _;
    use sigstore_verify::types::bundle::SignatureContent;
    let crypto = |message: &str| BundleError::Crypto(message.to_owned());
    let (digest, artifact): ([u8; 32], Option<&[u8]>) = match artifact {
        Artifact::Blob(bytes) => (sha2::Sha256::digest(bytes).into(), Some(bytes)),
        Artifact::Digest(digest) => {
            (digest.as_bytes().try_into().map_err(|_| crypto("the artifact's digest is not SHA-256"))?, None)
        }
        _ => return Err(crypto("the artifact is neither bytes nor a SHA-256 digest")),
    };
    let (message, signature) = match &bundle.content {
        SignatureContent::MessageSignature(signed) => {
            let Some(artifact) = artifact else {
                return Err(crypto("a message signature signs a file's bytes, not an OCI digest"));
            };
            if let Some(declared) = &signed.message_digest
                && (declared.algorithm != sigstore_verify::types::HashAlgorithm::Sha2256
                    || declared.digest.as_bytes() != digest.as_slice())
            {
                return Err(crypto("the bundle's message digest is not the file's SHA-256"));
            }
            (std::borrow::Cow::Borrowed(artifact), signed.signature.as_bytes())
        }
        SignatureContent::DsseEnvelope(envelope) => {
            let statement: serde_json::Value = serde_json::from_slice(envelope.payload.as_bytes())
                .map_err(|_| crypto("the envelope's statement is not JSON"))?;
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            let subjects = statement["subject"].as_array().into_iter().flatten();
            if !subjects.into_iter().any(|s| s["digest"]["sha256"] == hex.as_str()) {
                return Err(crypto("the envelope's statement does not name the artifact's SHA-256"));
            }
            (std::borrow::Cow::Owned(envelope.pae()), envelope.signature.sig.as_bytes())
        }
        _ => return Err(crypto("the bundle's content is neither a message signature nor a DSSE envelope")),
    };
    let key = keys.iter().find(|k| k.verify_bytes(&message, signature)).ok_or_else(|| {
        crypto(if keys.is_empty() {
            "no key to verify with"
        } else {
            "the signature does not verify with the key"
        })
    })?;
    Ok(VerifiedBundle {
        identity: String::new(),
        issuer: String::new(),
        integrated_time: None,
        predicate_type: predicate_type(bundle),
        key: Some(key.hint()),
    })
}

/// What a key-signed bundle's transparency-log entry must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tlog {
    /// There, and verified against the trusted root (cosign's default).
    Required,
    /// Verified when there; a bundle without one is accepted (what `publish --key` writes).
    IfPresent,
    /// Not checked, there or not (cosign's `--insecure-ignore-tlog`).
    Ignored,
}

/// Parses a bundle after the checks every reader of it must agree on: no key repeated in any object,
/// one kind of content, and no key repeated in a DSSE envelope's statement.
fn parse(json: &str) -> Result<Bundle, BundleError> {
    reject_duplicate_keys(json.as_bytes()).map_err(|e| BundleError::Input(format!("the bundle: {e}")))?;
    // The content is one of the two (protobuf's `oneof`): with both, readers may differ on which.
    let top: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    if top.get("messageSignature").is_some() && top.get("dsseEnvelope").is_some() {
        let both = "the bundle has both a messageSignature and a dsseEnvelope";
        return Err(BundleError::Input(both.to_owned()));
    }
    let bundle = Bundle::from_json(json).map_err(|e| BundleError::Input(format!("the bundle: {e}")))?;
    if let sigstore_verify::types::bundle::SignatureContent::DsseEnvelope(envelope) = &bundle.content {
        reject_duplicate_keys(envelope.payload.as_bytes())
            .map_err(|e| BundleError::Input(format!("the bundle's statement: {e}")))?;
    }
    Ok(bundle)
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
    sct: bool,
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
        Ok(BlobVerifier { verifier, sct: true })
    }

    /// A verifier of our own fresh signatures before they are published: as [`BlobVerifier::new`],
    /// except that a certificate without an SCT passes when `root` lists no CT log (a Fulcio with no
    /// CT log issues such certificates; whoever verifies the release decides whether to accept them).
    pub fn for_own_signatures(root: &TrustedRoot) -> Result<BlobVerifier, BundleError> {
        let verifier = BlobVerifier::new(root)?;
        Ok(if root.ctlogs.is_empty() { verifier.without_sct() } else { verifier })
    }

    /// Accepts certificates without a verified SCT (cosign's `--insecure-ignore-sct`): for a private
    /// Fulcio that logs to no CT log.
    pub fn without_sct(mut self) -> BlobVerifier {
        self.sct = false;
        self
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
        let bundle = parse(bundle)?;
        let policy = VerificationPolicy::any_identity();
        let policy = if self.sct { policy } else { policy.skip_sct() };
        let result = self
            .verifier
            .verify(artifact, &bundle, &policy)
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
            key: None,
        })
    }

    /// Verifies `bundle` (JSON) over `artifact`'s bytes as signed by one of `keys`: the bundle's
    /// material must be a public key (a hint, which is not trusted), the signature must verify with
    /// one of the keys, and its transparency-log entry is checked against the trusted root as `tlog`
    /// says.
    pub fn verify_with_keys(
        &self,
        artifact: &[u8],
        bundle: &str,
        keys: &[crate::dsse::VerifyingKey],
        tlog: Tlog,
    ) -> Result<VerifiedBundle, BundleError> {
        self.verify_artifact_with_keys(Artifact::Blob(artifact), bundle, keys, tlog)
    }

    /// Verifies a DSSE `bundle` (JSON) whose in-toto statement names `sha256` (an OCI digest) as a
    /// subject, signed by one of `keys`; its log entry is checked as `tlog` says.
    pub fn verify_digest_with_keys(
        &self,
        sha256: [u8; 32],
        bundle: &str,
        keys: &[crate::dsse::VerifyingKey],
        tlog: Tlog,
    ) -> Result<VerifiedBundle, BundleError> {
        let digest = ArtifactDigest::sha256(Sha256Hash::new(sha256));
        self.verify_artifact_with_keys(Artifact::Digest(digest), bundle, keys, tlog)
    }

    fn verify_artifact_with_keys(
        &self,
        artifact: Artifact<'_>,
        bundle: &str,
        keys: &[crate::dsse::VerifyingKey],
        tlog: Tlog,
    ) -> Result<VerifiedBundle, BundleError> {
        use sigstore_verify::PublicKeyVerificationPolicy;
        use sigstore_verify::types::bundle::VerificationMaterialContent;
        let bundle = parse(bundle)?;
        if !matches!(bundle.verification_material.content, VerificationMaterialContent::PublicKey(_)) {
            return Err(BundleError::Crypto(
                "the bundle holds a certificate, not a key's signature: verify it with the identity flags"
                    .to_owned(),
            ));
        }
        let material = &bundle.verification_material;
        let ignore_tlog = tlog == Tlog::Ignored;
        if material.tlog_entries.is_empty() {
            if tlog == Tlog::Required {
                return Err(BundleError::Crypto(
                    "the bundle has no transparency-log entry: pass --insecure-ignore-tlog to accept it, as cosign asks".to_owned(),
                ));
            }
            if material.timestamp_verification_data.rfc3161_timestamps.is_empty() {
                return unlogged(&bundle, &artifact, keys);
            }
        }
        let mut reasons = Vec::new();
        for key in keys {
            let mut policy =
                PublicKeyVerificationPolicy::new(sigstore_verify::types::DerPublicKey::new(key.to_der()));
            if ignore_tlog {
                policy = policy.skip_tlog_unsafe();
            }
            match self.verifier.verify(artifact.clone(), &bundle, &policy) {
                Ok(result) => {
                    return Ok(VerifiedBundle {
                        identity: String::new(),
                        issuer: String::new(),
                        integrated_time: result.integrated_time().map(|t| t.to_string()),
                        predicate_type: predicate_type(&bundle),
                        key: Some(key.hint()),
                    });
                }
                Err(e) => reasons.push(e.to_string()),
            }
        }
        reasons.dedup();
        Err(BundleError::Crypto(if keys.is_empty() {
            "no key to verify with".to_owned()
        } else {
            format!("no key verifies it: {}", reasons.join("; "))
        }))
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
