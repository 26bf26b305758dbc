//! cosign's legacy signature scheme, with a key: the `sha256-<hex>.sig` tag beside an image (or any
//! OCI artifact), whose manifest has one layer per signature. Each layer is a simple-signing payload
//! naming the signed digest, and its annotation `dev.cosignproject.cosign/signature` is the base64
//! ECDSA P-256 (DER, SHA-256) signature over the payload's bytes. Every cosign version reads it, and so
//! do skopeo and containers/image.
//!
//! Signing is always by digest: a tag is resolved once, first. Verifying checks the signature over the
//! payload with the given keys, and that the payload names the artifact's digest (as cosign's claim
//! check does; the payload's `docker-reference` is reported, not required, so that a copy of the image
//! and its signature to another repository still verifies, as with cosign).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tagwright_oci_publish::registry::Registry;
use tagwright_oci_publish::{Digest, RegistryRef};

pub use crate::attestation::{
    DSSE_ENVELOPE, IN_TOTO, attest, attest_keyless, verify_attestations, verify_attestations_with,
};
use crate::dsse::{SigningKey, VerifyingKey};
pub use crate::oci::{
    BUNDLE_ANNOTATION, CERTIFICATE_ANNOTATION, CHAIN_ANNOTATION, SIGNATURE_ANNOTATION, SIMPLE_SIGNING,
    SignatureError, Signed, Trust, Verified, attestation_tag, payload, registry, resolve, signature_tag,
};
use crate::oci::{SigLayer, append, fetch, layers, sha256_bytes, shown};

/// Signs the artifact at `target` with `key`: the payload as a layer of its `.sig` manifest (appended
/// to the signatures already there; an identical signature is not added twice).
pub fn sign(registry: &Registry, target: &RegistryRef, key: &SigningKey) -> Result<Signed, SignatureError> {
    let digest = resolve(registry, target)?;
    let payload = payload(&format!("{}/{}", target.host, target.repository), &digest);
    let signature = STANDARD.encode(key.sign_bytes(&payload));
    let annotations = [(SIGNATURE_ANNOTATION.to_owned(), signature)].into();
    append(registry, target, digest, &signature_tag, SIMPLE_SIGNING, &payload, annotations)
}

/// Signs the artifact at `target` keylessly: `signer` (an ephemeral key with its Fulcio certificate)
/// signs and logs, and each result must verify against `root` as a Sigstore bundle before anything is
/// pushed (a signature that does not verify is never published). With Rekor v1, the `.sig` layer
/// carries the signature, certificate, chain and Rekor bundle annotations, as cosign writes them, and
/// [`BundleFormat::LegacyAndV03`] adds cosign 3's bundle referrer. A Rekor v2 entry has no SET for
/// that annotation: as cosign 3 does then, only the referrer is written.
pub fn sign_keyless(
    registry: &Registry,
    target: &RegistryRef,
    signer: &crate::keyless::Signer,
    root: &crate::bundle::TrustedRoot,
    format: BundleFormat,
) -> Result<Signed, SignatureError> {
    let invalid = |message: String| SignatureError::Invalid { reference: shown(target), message };
    let legacy = signer.rekor_version() == 1;
    if !legacy && format == BundleFormat::Legacy {
        return Err(invalid(
            "a Rekor v2 entry has no signed entry timestamp for cosign's legacy `.sig` tag: sign with the bundle format (v0.3)"
                .to_owned(),
        ));
    }
    let digest = resolve(registry, target)?;
    let verifier =
        crate::bundle::BlobVerifier::for_own_signatures(root).map_err(|e| invalid(e.to_string()))?;
    let any = crate::bundle::Identity::any();
    // The legacy signature first: nothing is pushed until both are made and verified.
    let payload = payload(&format!("{}/{}", target.host, target.repository), &digest);
    let legacy_signature = if legacy {
        let signature = signer.sign(&payload).map_err(|e| invalid(e.to_string()))?;
        verifier.verify(&payload, &signature.bundle().to_string(), &any).map_err(|e| {
            invalid(format!("the signature Fulcio and Rekor made does not verify, so it was not pushed: {e}"))
        })?;
        Some(signature)
    } else {
        None
    };
    let referrer = if format == BundleFormat::LegacyAndV03 {
        let statement = crate::referrer::statement(target, &digest);
        let bundle = signer
            .sign_dsse(crate::attestation::IN_TOTO, &statement)
            .map_err(|e| invalid(e.to_string()))?
            .bundle()
            .to_string();
        verifier.verify_digest(sha256_bytes(&digest), &bundle, &any).map_err(|e| {
            invalid(format!("the bundle Fulcio and Rekor made does not verify, so it was not pushed: {e}"))
        })?;
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let created = chrono::DateTime::from_timestamp(i64::try_from(now).unwrap_or(0), 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        Some(crate::referrer::push(registry, target, &digest, bundle.as_bytes(), &created)?)
    } else {
        None
    };
    let Some(signature) = legacy_signature else {
        // Rekor v2: the referrer is the signature (the format is v0.3, checked above).
        let referrer = referrer.unwrap_or_else(|| digest.clone());
        return Ok(Signed {
            signature: format!("{}/{}@{referrer}", target.host, target.repository),
            manifest: referrer.clone(),
            digest,
            signatures: 1,
            referrer: Some(referrer),
        });
    };
    let annotations = [
        (SIGNATURE_ANNOTATION.to_owned(), STANDARD.encode(&signature.signature)),
        (CERTIFICATE_ANNOTATION.to_owned(), signer.certificate_pem().to_owned()),
        (CHAIN_ANNOTATION.to_owned(), signer.chain_pem()),
        (BUNDLE_ANNOTATION.to_owned(), signature.entry.rekor_bundle_annotation().unwrap_or_default()),
    ]
    .into();
    let mut signed = append(registry, target, digest, &signature_tag, SIMPLE_SIGNING, &payload, annotations)?;
    signed.referrer = referrer;
    Ok(signed)
}

/// Which signature formats keyless signing writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleFormat {
    /// Only the legacy `.sig` tag, which every cosign version reads.
    Legacy,
    /// The legacy tag and cosign 3's bundle v0.3 referrer (cosign 3's default).
    LegacyAndV03,
}

/// Verifies the artifact at `target`: at least one layer of its `.sig` tag must be signed by one of
/// `keys` over a payload that names the artifact's digest.
pub fn verify(
    registry: &Registry,
    target: &RegistryRef,
    keys: &[VerifyingKey],
) -> Result<Verified, SignatureError> {
    verify_with(registry, target, Trust::Keys(keys))
}

/// Verifies the artifact at `target` against `trust`: at least one layer of its `.sig` tag must
/// verify, over a payload that names the artifact's digest.
pub fn verify_with(
    registry: &Registry,
    target: &RegistryRef,
    trust: Trust<'_>,
) -> Result<Verified, SignatureError> {
    let digest = resolve(registry, target)?;
    let reference = format!("{}/{}@{digest}", target.host, target.repository);
    let unverified = |reason: String| SignatureError::Unverified { reference: reference.clone(), reason };
    // cosign 3: bundles first; keyless, the legacy tag only when there is none. With keys, a bundle
    // none of them signed (the workflow's keyless one, say) says nothing about them: the legacy tag
    // is read then too.
    let bundles = crate::referrer::bundles(registry, target, &digest)?;
    let mut bundle_failure = None;
    if !bundles.is_empty() {
        match (verify_bundles(&bundles, &digest, trust), trust) {
            (Err(reason), Trust::Keys(_)) => bundle_failure = Some(reason),
            (result, _) => return result.map_err(unverified),
        }
    }
    let unverified = |reason: String| match &bundle_failure {
        Some(bundles) => unverified(format!("{bundles}; {reason}")),
        None => unverified(reason),
    };
    let layers = layers(registry, target, &signature_tag(&digest))?;
    if layers.is_empty() {
        return Err(unverified(format!("no signatures: the tag {} does not exist", signature_tag(&digest))));
    }
    let mut verified =
        Verified { digest: digest.clone(), docker_references: Vec::new(), signatures: 0, format: "legacy" };
    let mut reasons = Vec::new();
    for layer in layers.iter().filter(|l| l.media_type == SIMPLE_SIGNING) {
        match check_layer(registry, target, layer, &digest, trust) {
            Ok(docker_reference) => {
                verified.signatures += 1;
                verified.docker_references.push(docker_reference);
            }
            Err(reason) => reasons.push(reason),
        }
    }
    if verified.signatures == 0 {
        reasons.dedup();
        return Err(unverified(if reasons.is_empty() {
            "the signature tag holds no simple-signing layer".to_owned()
        } else {
            reasons.join("; ")
        }));
    }
    Ok(verified)
}

/// The referrers' bundles: each must verify for `digest` with `trust` (keyless: the identity; keys:
/// one of them, the log entry not checked, as for the legacy tag), over a statement of cosign's
/// signing predicate type; at least one must.
fn verify_bundles(
    bundles: &[Result<String, String>],
    digest: &Digest,
    trust: Trust<'_>,
) -> Result<Verified, String> {
    let embedded;
    let root = match trust {
        Trust::Keyless { root, .. } => root,
        Trust::Keys(_) => {
            embedded = crate::bundle::trusted_root(None).map_err(|e| e.to_string())?;
            &embedded
        }
    };
    let verifier = crate::bundle::BlobVerifier::new(root).map_err(|e| e.to_string())?;
    let mut verified = Verified {
        digest: digest.clone(),
        docker_references: Vec::new(),
        signatures: 0,
        format: "bundle-v0.3",
    };
    let mut reasons = Vec::new();
    for bundle in bundles {
        // The predicate type is the verified envelope's, read after verification.
        let checked = bundle.as_ref().map_err(Clone::clone).and_then(|json| {
            let verified = match trust {
                Trust::Keyless { identity, .. } => {
                    verifier.verify_digest(sha256_bytes(digest), json, identity)
                }
                Trust::Keys(keys) => verifier.verify_digest_with_keys(
                    sha256_bytes(digest),
                    json,
                    keys,
                    crate::bundle::Tlog::Ignored,
                ),
            }
            .map_err(|e| e.to_string())?;
            match verified.predicate_type.as_deref() {
                Some(crate::referrer::COSIGN_SIGN) => Ok(verified),
                other => Err(format!("a bundle is not a cosign image signature (predicate type {other:?})")),
            }
        });
        match checked {
            Ok(_) => verified.signatures += 1,
            Err(reason) => reasons.push(reason),
        }
    }
    if verified.signatures == 0 {
        reasons.dedup();
        return Err(format!("no bundle verifies: {}", reasons.join("; ")));
    }
    Ok(verified)
}

/// One layer: the payload (by its descriptor's digest and size), the signature over it, and its
/// claim. Returns the payload's docker-reference, or which check failed.
fn check_layer(
    registry: &Registry,
    target: &RegistryRef,
    layer: &SigLayer,
    digest: &Digest,
    trust: Trust<'_>,
) -> Result<String, String> {
    let payload = fetch(registry, target, layer)?;
    let encoded = layer.annotations.get(SIGNATURE_ANNOTATION).map(String::as_str).unwrap_or_default();
    let signature =
        STANDARD.decode(encoded).map_err(|_| "a layer has no base64 signature annotation".to_owned())?;
    match trust {
        Trust::Keys(keys) => {
            if !keys.iter().any(|k| k.verify_bytes(&payload, &signature)) {
                return Err("the signature does not verify with the key".to_owned());
            }
        }
        Trust::Keyless { root, identity } => {
            let annotation = |name: &str| {
                layer
                    .annotations
                    .get(name)
                    .ok_or_else(|| format!("a layer has no {name} annotation (not keyless)"))
            };
            let certificate = annotation(CERTIFICATE_ANNOTATION)?;
            let entry =
                crate::keyless::LogEntry::from_rekor_bundle_annotation(annotation(BUNDLE_ANNOTATION)?)
                    .ok_or_else(|| format!("the {BUNDLE_ANNOTATION} annotation is malformed"))?;
            let bundle = crate::keyless::legacy_bundle(&payload, encoded, certificate, &entry)
                .ok_or_else(|| format!("the {CERTIFICATE_ANNOTATION} annotation is not a PEM certificate"))?;
            crate::bundle::verify_blob(&payload, &bundle.to_string(), root, identity)
                .map_err(|e| e.to_string())?;
        }
    }
    let claims: serde_json::Value =
        serde_json::from_slice(&payload).map_err(|_| "the signed payload is not JSON".to_owned())?;
    let critical = &claims["critical"];
    if critical["type"] != "cosign container image signature" {
        return Err("the signed payload is not a cosign container image signature".to_owned());
    }
    if critical["image"]["docker-manifest-digest"].as_str() != Some(digest.as_str()) {
        return Err(format!(
            "the signed payload names {}, not {digest}",
            critical["image"]["docker-manifest-digest"].as_str().unwrap_or("no digest")
        ));
    }
    Ok(critical["identity"]["docker-reference"].as_str().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_is_cosigns_byte_for_byte() {
        let digest = Digest::parse(&format!("sha256:{}", "a".repeat(64))).expect("digest");
        assert_eq!(
            String::from_utf8(payload("ghcr.io/org/charts/advisoryhub", &digest)).expect("utf-8"),
            format!(
                r#"{{"critical":{{"identity":{{"docker-reference":"ghcr.io/org/charts/advisoryhub"}},"image":{{"docker-manifest-digest":"sha256:{}"}},"type":"cosign container image signature"}},"optional":null}}"#,
                "a".repeat(64)
            )
        );
        assert_eq!(signature_tag(&digest), format!("sha256-{}.sig", "a".repeat(64)));
    }
}
