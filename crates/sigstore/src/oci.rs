//! cosign's OCI primitives, shared by the legacy `.sig` scheme ([`crate::signature`]), the `.att`
//! scheme and the bundle referrers: the tags, the simple-signing payload, the signature manifest's
//! layers (read capped, appended without duplicates), the keyless annotations, and the errors.

use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use tagwright_oci_publish::manifest::OCI_MANIFEST;
use tagwright_oci_publish::registry::{ManifestStatus, Registry, RegistryError};
use tagwright_oci_publish::{Digest, Reference, RegistryOptions, RegistryRef, Silent};

use crate::dsse::VerifyingKey;

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

/// cosign's keyless layer annotations: the signing certificate, the rest of its chain, and the Rekor
/// bundle (the SET and what it signs).
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// The chain annotation.
pub const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
/// The Rekor bundle annotation.
pub const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";

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
