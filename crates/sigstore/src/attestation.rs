//! cosign's attestations: the `sha256-<hex>.att` tag beside an OCI artifact, whose layers are DSSE
//! envelopes of in-toto statements naming the artifact's digest, signed with a key or keylessly.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use tagwright_oci_publish::registry::Registry;
use tagwright_oci_publish::{Digest, RegistryRef};

use crate::dsse::{SigningKey, VerifyingKey};
use crate::oci::{
    BUNDLE_ANNOTATION, CERTIFICATE_ANNOTATION, CHAIN_ANNOTATION, SIGNATURE_ANNOTATION, SigLayer,
    SignatureError, Signed, Trust, append, attestation_tag, fetch, keyless_annotations, layers, resolve,
    sha256_bytes, shown,
};

/// The media type of an attestation layer: a DSSE envelope.
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";

/// Attests the artifact at `target`: an in-toto v1 Statement whose subject is its digest, with
/// `predicate` of `predicate_type`, in a DSSE envelope signed by `key`, as a layer of its `.att`
/// manifest (annotated with the predicate type, and the empty signature annotation cosign writes).
pub fn attest(
    registry: &Registry,
    target: &RegistryRef,
    key: &SigningKey,
    predicate_type: &str,
    predicate: serde_json::Value,
) -> Result<Signed, SignatureError> {
    let digest = resolve(registry, target)?;
    let statement = statement(target, &digest, predicate_type, predicate);
    let envelope = crate::dsse::sign(IN_TOTO, &statement, key, None)
        .map_err(|e| SignatureError::Invalid { reference: shown(target), message: e.to_string() })?;
    let body = serde_json::to_vec(&envelope).unwrap_or_default();
    let annotations = [
        (SIGNATURE_ANNOTATION.to_owned(), String::new()),
        ("predicateType".to_owned(), predicate_type.to_owned()),
    ]
    .into();
    append(registry, target, digest, &attestation_tag, DSSE_ENVELOPE, &body, annotations)
}

/// The payload type of in-toto statements.
pub const IN_TOTO: &str = "application/vnd.in-toto+json";

/// An in-toto v1 Statement whose subject is `digest` (named by its repository).
fn statement(
    target: &RegistryRef,
    digest: &Digest,
    predicate_type: &str,
    predicate: serde_json::Value,
) -> Vec<u8> {
    let hex = digest.as_str().split_once(':').map_or("", |(_, h)| h).to_owned();
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": format!("{}/{}", target.host, target.repository), "digest": {"sha256": hex}}],
        "predicateType": predicate_type,
        "predicate": predicate
    })
    .to_string()
    .into_bytes()
}

/// Attests the artifact at `target` keylessly: the statement as [`attest`] makes it, signed by
/// `signer` into a DSSE envelope logged in Rekor (a `dsse` entry), which must verify against `root`
/// before it is pushed. The `.att` layer carries cosign's keyless annotations.
pub fn attest_keyless(
    registry: &Registry,
    target: &RegistryRef,
    signer: &crate::keyless::Signer,
    root: &crate::bundle::TrustedRoot,
    predicate_type: &str,
    predicate: serde_json::Value,
) -> Result<Signed, SignatureError> {
    let invalid = |message: String| SignatureError::Invalid { reference: shown(target), message };
    if signer.rekor_version() != 1 {
        return Err(invalid(
            "cosign's `.att` attestations carry Rekor v1's signed entry timestamp; a Rekor v2 entry has none: attest with a signing config that names Rekor v1 (--rekor-version 1)"
                .to_owned(),
        ));
    }
    let digest = resolve(registry, target)?;
    let statement = statement(target, &digest, predicate_type, predicate);
    let signature = signer.sign_dsse(IN_TOTO, &statement).map_err(|e| invalid(e.to_string()))?;
    let verifier =
        crate::bundle::BlobVerifier::for_own_signatures(root).map_err(|e| invalid(e.to_string()))?;
    verifier
        .verify_digest(
            sha256_bytes(&digest),
            &signature.bundle().to_string(),
            &crate::bundle::Identity::any(),
        )
        .map_err(|e| {
            invalid(format!(
                "the attestation Fulcio and Rekor made does not verify, so it was not pushed: {e}"
            ))
        })?;
    let body = serde_json::to_vec(&signature.envelope).unwrap_or_default();
    let annotations = [
        (SIGNATURE_ANNOTATION.to_owned(), String::new()),
        ("predicateType".to_owned(), predicate_type.to_owned()),
        (CERTIFICATE_ANNOTATION.to_owned(), signer.certificate_pem().to_owned()),
        (CHAIN_ANNOTATION.to_owned(), signer.chain_pem()),
        (BUNDLE_ANNOTATION.to_owned(), signature.entry.rekor_bundle_annotation().unwrap_or_default()),
    ]
    .into();
    append(registry, target, digest, &attestation_tag, DSSE_ENVELOPE, &body, annotations)
}

/// Verifies the artifact's attestations: every `.att` layer whose DSSE envelope verifies with one of
/// `keys` and whose statement's subject is the artifact's digest (and, with `predicate_type`, whose
/// predicate is of that type). Returns the verified statements; none is a failure naming why.
pub fn verify_attestations(
    registry: &Registry,
    target: &RegistryRef,
    keys: &[VerifyingKey],
    predicate_type: Option<&str>,
) -> Result<Vec<serde_json::Value>, SignatureError> {
    verify_attestations_with(registry, target, Trust::Keys(keys), predicate_type)
}

/// Verifies the artifact's attestations against `trust` (keys, or keyless with an identity), as
/// [`verify_attestations`] does with keys.
pub fn verify_attestations_with(
    registry: &Registry,
    target: &RegistryRef,
    trust: Trust<'_>,
    predicate_type: Option<&str>,
) -> Result<Vec<serde_json::Value>, SignatureError> {
    let digest = resolve(registry, target)?;
    let reference = format!("{}/{}@{digest}", target.host, target.repository);
    let unverified = |reason: String| SignatureError::Unverified { reference: reference.clone(), reason };
    let tag = attestation_tag(&digest);
    let layers = layers(registry, target, &tag)?;
    if layers.is_empty() {
        return Err(unverified(format!("no attestations: the tag {tag} does not exist")));
    }
    let mut statements = Vec::new();
    let mut reasons = Vec::new();
    for layer in layers.iter().filter(|l| l.media_type == DSSE_ENVELOPE) {
        match check_attestation(&fetch(registry, target, layer), layer, trust, &digest, predicate_type) {
            Ok(statement) => statements.push(statement),
            Err(reason) => reasons.push(reason),
        }
    }
    if statements.is_empty() {
        reasons.dedup();
        return Err(unverified(if reasons.is_empty() {
            "the attestation tag holds no DSSE layer".to_owned()
        } else {
            reasons.join("; ")
        }));
    }
    Ok(statements)
}

/// One attestation layer's blob: the envelope's signature (by a key, or keyless through its
/// annotations), the statement's subject, its type.
fn check_attestation(
    blob: &Result<Vec<u8>, String>,
    layer: &SigLayer,
    trust: Trust<'_>,
    digest: &Digest,
    predicate_type: Option<&str>,
) -> Result<serde_json::Value, String> {
    let bytes = blob.as_ref().map_err(Clone::clone)?;
    let envelope: crate::dsse::Envelope =
        serde_json::from_slice(bytes).map_err(|e| format!("not a DSSE envelope: {e}"))?;
    let payload = match trust {
        Trust::Keys(keys) => {
            crate::dsse::verify(&envelope, keys)
                .map_err(|_| "the envelope's signature does not verify with the key".to_owned())?
                .payload
        }
        Trust::Keyless { root, identity } => {
            let (certificate, entry) = keyless_annotations(layer)?;
            let bundle = crate::keyless::legacy_dsse_bundle(&envelope, certificate, &entry)
                .ok_or_else(|| format!("the {CERTIFICATE_ANNOTATION} annotation is not a PEM certificate"))?;
            let verifier = crate::bundle::BlobVerifier::new(root).map_err(|e| e.to_string())?;
            verifier
                .verify_digest(sha256_bytes(digest), &bundle.to_string(), identity)
                .map_err(|e| e.to_string())?;
            STANDARD
                .decode(&envelope.payload)
                .map_err(|_| "the envelope's payload is not base64".to_owned())?
        }
    };
    crate::bundle::reject_duplicate_keys(&payload).map_err(|e| format!("the statement: {e}"))?;
    let statement: serde_json::Value =
        serde_json::from_slice(&payload).map_err(|_| "the statement is not JSON".to_owned())?;
    let hex = digest.as_str().split_once(':').map_or("", |(_, h)| h);
    if !statement["subject"].as_array().into_iter().flatten().any(|s| s["digest"]["sha256"] == hex) {
        return Err(format!("the statement's subject is not sha256:{hex}"));
    }
    if let Some(wanted) = predicate_type
        && statement["predicateType"] != wanted
    {
        return Err(format!("the predicate type is {}, not {wanted}", statement["predicateType"]));
    }
    Ok(statement)
}
