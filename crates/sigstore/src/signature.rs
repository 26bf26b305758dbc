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

pub use crate::attestation::{
    DSSE_ENVELOPE, IN_TOTO, attest, attest_keyless, verify_attestations, verify_attestations_with,
};
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
    /// The bundle v0.3 referrer written beside it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer: Option<Digest>,
}

/// What verified.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct Verified {
    /// The verified digest.
    pub digest: Digest,
    /// The payloads' `docker-reference`s, of the signatures that verified.
    pub docker_references: Vec<String>,
    /// How many signatures verified.
    pub signatures: usize,
    /// Where they were: `bundle-v0.3` (referrers) or `legacy` (the `.sig` tag).
    pub format: &'static str,
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

pub(crate) fn shown(target: &RegistryRef) -> String {
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
pub(crate) struct SigLayer {
    pub(crate) media_type: String,
    pub(crate) digest: String,
    pub(crate) size: u64,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub(crate) annotations: std::collections::BTreeMap<String, String>,
}

/// The layers of the manifest at `tag` (none when there is no such tag).
pub(crate) fn layers(
    registry: &Registry,
    target: &RegistryRef,
    tag: &str,
) -> Result<Vec<SigLayer>, SignatureError> {
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
    format: BundleFormat,
) -> Result<Signed, SignatureError> {
    let digest = resolve(registry, target)?;
    let payload = payload(&format!("{}/{}", target.host, target.repository), &digest);
    let invalid = |message: String| SignatureError::Invalid { reference: shown(target), message };
    let signature = signer.sign(&payload).map_err(|e| invalid(e.to_string()))?;
    let verifier = crate::bundle::BlobVerifier::new(root).map_err(|e| invalid(e.to_string()))?;
    let any = crate::bundle::Identity::any();
    verifier.verify(&payload, &signature.bundle().to_string(), &any).map_err(|e| {
        invalid(format!("the signature Fulcio and Rekor made does not verify, so it was not pushed: {e}"))
    })?;
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
    let annotations = [
        (SIGNATURE_ANNOTATION.to_owned(), STANDARD.encode(&signature.signature)),
        (CERTIFICATE_ANNOTATION.to_owned(), signer.certificate_pem().to_owned()),
        (CHAIN_ANNOTATION.to_owned(), signer.chain_pem()),
        (BUNDLE_ANNOTATION.to_owned(), signature.entry.rekor_bundle_annotation()),
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

/// The 32 bytes of a `sha256:` digest.
pub(crate) fn sha256_bytes(digest: &Digest) -> [u8; 32] {
    let hex = digest.as_str().split_once(':').map_or("", |(_, h)| h);
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = hex.get(2 * i..2 * i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or(0);
    }
    out
}

/// Pushes `blob` and appends it as a layer (`media_type`, `annotations`) to the manifest at
/// `tag_of(digest)`, with the image config containers/image writes (verifiers ignore it). A layer
/// already there with the same blob and annotations is not added twice.
pub(crate) fn append(
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
        referrer: None,
    })
}

/// A keyless layer's certificate (PEM) and its Rekor entry, from cosign's annotations.
pub(crate) fn keyless_annotations(layer: &SigLayer) -> Result<(&str, crate::keyless::LogEntry), String> {
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
pub(crate) fn fetch(registry: &Registry, target: &RegistryRef, layer: &SigLayer) -> Result<Vec<u8>, String> {
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
    if let Trust::Keyless { root, identity } = trust {
        // cosign 3: bundles first; the legacy tag only when there is none.
        let bundles = crate::referrer::bundles(registry, target, &digest)?;
        if !bundles.is_empty() {
            return verify_bundles(&bundles, &digest, root, identity).map_err(unverified);
        }
    }
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

/// The referrers' bundles: each must verify for `digest` with `identity`, over a statement of
/// cosign's signing predicate type; at least one must.
fn verify_bundles(
    bundles: &[Result<String, String>],
    digest: &Digest,
    root: &crate::bundle::TrustedRoot,
    identity: &crate::bundle::Identity,
) -> Result<Verified, String> {
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
            let verified =
                verifier.verify_digest(sha256_bytes(digest), json, identity).map_err(|e| e.to_string())?;
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
