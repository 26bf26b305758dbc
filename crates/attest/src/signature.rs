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

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::json;
use tagwright_oci_publish::manifest::OCI_MANIFEST;
use tagwright_oci_publish::registry::{ManifestStatus, Registry, RegistryError};
use tagwright_oci_publish::{Digest, Reference, RegistryOptions, RegistryRef, Silent};

use crate::dsse::{SigningKey, VerifyingKey};

/// The media type of a simple-signing payload layer.
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The layer annotation that holds the signature.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// The largest payload read: 1 MiB (cosign's are a few hundred bytes).
const MAX_PAYLOAD: u64 = 1 << 20;

/// Why signing or verifying failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The artifact does not exist.
    #[error("{0}: not found")]
    NotFound(String),
    /// No signature tag, or no layer in it that verifies.
    #[error("{reference}: {reason}")]
    Unverified {
        /// The artifact.
        reference: String,
        /// Which check failed.
        reason: String,
    },
    /// The signature manifest is malformed.
    #[error("{reference}: {message}")]
    Invalid {
        /// The signature tag.
        reference: String,
        /// What is wrong.
        message: String,
    },
}

/// `sha256-<hex>.sig`, the tag of `digest`'s signatures.
pub fn signature_tag(digest: &Digest) -> String {
    tag_for(digest, "sig")
}

/// `sha256-<hex>.att`, the tag of `digest`'s attestations.
pub fn attestation_tag(digest: &Digest) -> String {
    tag_for(digest, "att")
}

fn tag_for(digest: &Digest, suffix: &str) -> String {
    format!("{}.{suffix}", digest.as_str().replacen(':', "-", 1))
}

/// The simple-signing payload cosign signs: the repository (`host/path`, without tag) and the digest.
pub fn payload(docker_reference: &str, digest: &Digest) -> Vec<u8> {
    let value = json!({
        "critical": {
            "identity": {"docker-reference": docker_reference},
            "image": {"docker-manifest-digest": digest.as_str()},
            "type": "cosign container image signature"
        },
        "optional": null
    });
    value.to_string().into_bytes()
}

/// What signing did.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct Signed {
    /// The signed digest.
    pub digest: Digest,
    /// The signature tag, `host/repo:sha256-<hex>.sig`.
    pub signature: String,
    /// The signature manifest's digest.
    pub manifest: Digest,
    /// The signature layers the tag now holds (ours included).
    pub signatures: usize,
}

/// What verified.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct Verified {
    /// The verified digest.
    pub digest: Digest,
    /// The payloads' `docker-reference`s, of the signatures that verified.
    pub docker_references: Vec<String>,
    /// How many signature layers verified.
    pub signatures: usize,
}

/// A registry client for `target`'s host.
pub fn registry(target: &RegistryRef, options: &RegistryOptions) -> Result<Registry, SignatureError> {
    let mut options = options.clone();
    if options.credentials.is_none() {
        options.credentials = tagwright_oci_publish::credentials::lookup(&target.host, None).ok().flatten();
    }
    Ok(Registry::new(&target.host, &options, Arc::new(Silent))?)
}

/// The digest `target` names: its own, or its tag's (resolved once).
pub fn resolve(registry: &Registry, target: &RegistryRef) -> Result<Digest, SignatureError> {
    let reference = target.reference.clone().unwrap_or_else(|| Reference::Tag("latest".to_owned()));
    if let Reference::Digest(digest) = &reference {
        return Ok(digest.clone());
    }
    match registry.head_manifest(&target.repository, &reference)? {
        ManifestStatus::Found { digest: Some(digest), .. } => Ok(digest),
        _ => registry
            .get_manifest(&target.repository, &reference)?
            .map(|m| m.digest)
            .ok_or_else(|| SignatureError::NotFound(shown(target))),
    }
}

fn shown(target: &RegistryRef) -> String {
    match &target.reference {
        Some(Reference::Tag(tag)) => format!("{}/{}:{tag}", target.host, target.repository),
        Some(Reference::Digest(digest)) => format!("{}/{}@{digest}", target.host, target.repository),
        None => format!("{}/{}", target.host, target.repository),
    }
}

#[derive(Debug, Deserialize)]
struct SigManifest {
    #[serde(default)]
    layers: Vec<SigLayer>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SigLayer {
    media_type: String,
    digest: String,
    size: u64,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    annotations: std::collections::BTreeMap<String, String>,
}

/// The layers of the manifest at `tag` (none when there is no such tag).
fn layers(registry: &Registry, target: &RegistryRef, tag: &str) -> Result<Vec<SigLayer>, SignatureError> {
    let tag = tag.to_owned();
    let Some(manifest) = registry.get_manifest(&target.repository, &Reference::Tag(tag.clone()))? else {
        return Ok(Vec::new());
    };
    let parsed: SigManifest =
        serde_json::from_slice(&manifest.bytes).map_err(|e| SignatureError::Invalid {
            reference: format!("{}/{}:{tag}", target.host, target.repository),
            message: format!("not an OCI manifest: {e}"),
        })?;
    Ok(parsed.layers)
}

/// Signs the artifact at `target` with `key`: the payload as a layer of its `.sig` manifest (appended
/// to the signatures already there; an identical signature is not added twice).
pub fn sign(registry: &Registry, target: &RegistryRef, key: &SigningKey) -> Result<Signed, SignatureError> {
    let digest = resolve(registry, target)?;
    let payload = payload(&format!("{}/{}", target.host, target.repository), &digest);
    let signature = STANDARD.encode(key.sign_bytes(&payload));
    let annotations = [(SIGNATURE_ANNOTATION.to_owned(), signature)].into();
    append(registry, target, digest, &signature_tag, SIMPLE_SIGNING, &payload, annotations)
}

/// cosign's keyless layer annotations: the signing certificate, the rest of its chain, and the Rekor
/// bundle (the SET and what it signs).
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// The chain annotation.
pub const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
/// The Rekor bundle annotation.
pub const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";

/// Signs the artifact at `target` keylessly: `signer` (an ephemeral key with its Fulcio certificate)
/// signs the payload and logs it in Rekor, and the result must verify against `root` as a Sigstore
/// bundle before anything is pushed (a signature that does not verify is never published). The layer carries the
/// signature, certificate, chain and Rekor bundle annotations, as cosign writes them.
pub fn sign_keyless(
    registry: &Registry,
    target: &RegistryRef,
    signer: &crate::keyless::Signer,
    root: &crate::bundle::TrustedRoot,
) -> Result<Signed, SignatureError> {
    let digest = resolve(registry, target)?;
    let payload = payload(&format!("{}/{}", target.host, target.repository), &digest);
    let invalid = |message: String| SignatureError::Invalid { reference: shown(target), message };
    let signature = signer.sign(&payload).map_err(|e| invalid(e.to_string()))?;
    let any = crate::bundle::Identity::any();
    crate::bundle::verify_blob(&payload, &signature.bundle().to_string(), root, &any).map_err(|e| {
        invalid(format!("the signature Fulcio and Rekor made does not verify, so it was not pushed: {e}"))
    })?;
    let annotations = [
        (SIGNATURE_ANNOTATION.to_owned(), STANDARD.encode(&signature.signature)),
        (CERTIFICATE_ANNOTATION.to_owned(), signer.certificate_pem().to_owned()),
        (CHAIN_ANNOTATION.to_owned(), signer.chain_pem()),
        (BUNDLE_ANNOTATION.to_owned(), signature.entry.rekor_bundle_annotation()),
    ]
    .into();
    append(registry, target, digest, &signature_tag, SIMPLE_SIGNING, &payload, annotations)
}

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

/// The 32 bytes of a `sha256:` digest.
fn sha256_bytes(digest: &Digest) -> [u8; 32] {
    let hex = digest.as_str().split_once(':').map_or("", |(_, h)| h);
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = hex.get(2 * i..2 * i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or(0);
    }
    out
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
    let digest = resolve(registry, target)?;
    let invalid = |message: String| SignatureError::Invalid { reference: shown(target), message };
    let statement = statement(target, &digest, predicate_type, predicate);
    let signature = signer.sign_dsse(IN_TOTO, &statement).map_err(|e| invalid(e.to_string()))?;
    let verifier = crate::bundle::BlobVerifier::new(root).map_err(|e| invalid(e.to_string()))?;
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
        (BUNDLE_ANNOTATION.to_owned(), signature.entry.rekor_bundle_annotation()),
    ]
    .into();
    append(registry, target, digest, &attestation_tag, DSSE_ENVELOPE, &body, annotations)
}

/// Pushes `blob` and appends it as a layer (`media_type`, `annotations`) to the manifest at
/// `tag_of(digest)`, with the image config containers/image writes (verifiers ignore it). A layer
/// already there with the same blob and annotations is not added twice.
fn append(
    registry: &Registry,
    target: &RegistryRef,
    digest: Digest,
    tag_of: &dyn Fn(&Digest) -> String,
    media_type: &str,
    blob: &[u8],
    annotations: std::collections::BTreeMap<String, String>,
) -> Result<Signed, SignatureError> {
    let repository = &target.repository;
    let tag = tag_of(&digest);
    let blob_digest = registry.push_blob_bytes(repository, blob)?;
    let mut layers = layers(registry, target, &tag)?;
    let ours = SigLayer {
        media_type: media_type.to_owned(),
        digest: blob_digest.to_string(),
        size: blob.len() as u64,
        annotations,
    };
    if !layers.iter().any(|l| l.digest == ours.digest && l.annotations == ours.annotations) {
        layers.push(ours);
    }
    let config = json!({"architecture": "", "os": "", "config": {}, "rootfs": {"type": "layers",
        "diff_ids": layers.iter().map(|l| l.digest.clone()).collect::<Vec<_>>()}})
    .to_string();
    let config_digest = registry.push_blob_bytes(repository, config.as_bytes())?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": config.len(), "digest": config_digest.as_str()},
        "layers": layers
    })
    .to_string();
    let manifest_digest =
        registry.put_manifest(repository, &Reference::Tag(tag.clone()), OCI_MANIFEST, manifest.as_bytes())?;
    Ok(Signed {
        digest,
        signature: format!("{}/{repository}:{tag}", target.host),
        manifest: manifest_digest,
        signatures: layers.len(),
    })
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

/// A keyless layer's certificate (PEM) and its Rekor entry, from cosign's annotations.
fn keyless_annotations(layer: &SigLayer) -> Result<(&str, crate::keyless::LogEntry), String> {
    let annotation = |name: &str| {
        layer
            .annotations
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| format!("a layer has no {name} annotation (not keyless)"))
    };
    let entry = crate::keyless::LogEntry::from_rekor_bundle_annotation(annotation(BUNDLE_ANNOTATION)?)
        .ok_or_else(|| format!("the {BUNDLE_ANNOTATION} annotation is malformed"))?;
    Ok((annotation(CERTIFICATE_ANNOTATION)?, entry))
}

/// A layer's blob, by its descriptor's digest and size (at most 1 MiB).
fn fetch(registry: &Registry, target: &RegistryRef, layer: &SigLayer) -> Result<Vec<u8>, String> {
    let blob = Digest::parse(&layer.digest).map_err(|e| format!("a layer's digest: {e}"))?;
    if layer.size > MAX_PAYLOAD {
        return Err(format!("a layer of {} bytes (at most {MAX_PAYLOAD})", layer.size));
    }
    let mut bytes = Vec::new();
    registry
        .get_blob(&target.repository, &blob, layer.size, &mut bytes)
        .map_err(|e| format!("the blob {blob}: {e}"))?;
    Ok(bytes)
}

/// Who must have signed: one of some keys, or (keyless) an identity whose certificate chains to a
/// trusted root, with its signature logged.
#[derive(Debug, Clone, Copy)]
pub enum Trust<'a> {
    /// One of these keys.
    Keys(&'a [VerifyingKey]),
    /// Keyless: the certificate chain, SCT, SET and identity, checked by [`crate::bundle`].
    Keyless {
        /// The trusted root.
        root: &'a crate::bundle::TrustedRoot,
        /// The identity and issuer required.
        identity: &'a crate::bundle::Identity,
    },
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
    let layers = layers(registry, target, &signature_tag(&digest))?;
    if layers.is_empty() {
        return Err(unverified(format!("no signatures: the tag {} does not exist", signature_tag(&digest))));
    }
    let mut verified = Verified { digest: digest.clone(), docker_references: Vec::new(), signatures: 0 };
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
