//! cosign 3's signature format: a Sigstore bundle v0.3 attached to an OCI artifact as an OCI 1.1
//! referrer (a manifest whose `subject` is the artifact), holding a DSSE envelope of the statement
//! `{"subject": [{"digest": {"sha256": …}}], "predicateType": "https://sigstore.dev/cosign/sign/v1"}`.
//!
//! Registries without the referrers API (distribution 2.8, GHCR) get the OCI tag-schema fallback:
//! an image index at the tag `sha256-<hex>` that lists the referrers, kept up to date by each writer.
//! Readers ask the referrers API first, then read that index.

use serde_json::{Value, json};
use tagwright_oci_publish::manifest::OCI_MANIFEST;
use tagwright_oci_publish::registry::Registry;
use tagwright_oci_publish::{Digest, Reference, RegistryRef};

use crate::oci::SignatureError;

/// The bundle's media type, and the referrer's artifact type.
pub const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The predicate type of cosign 3's image signatures.
pub const COSIGN_SIGN: &str = "https://sigstore.dev/cosign/sign/v1";
/// The OCI image index media type.
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// The empty config (`{}`) and its media type.
const EMPTY: &[u8] = b"{}";
const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
/// At most this many referrers are read (a hostile index cannot make us fetch without end).
const MAX_REFERRERS: usize = 64;
/// The largest bundle read: 1 MiB.
const MAX_BUNDLE: u64 = 1 << 20;

/// The statement cosign 3 signs for an image: its digest as the subject, no predicate. The subject
/// also carries the repository as its `name` (cosign leaves it out; cosign ignores it, and
/// sigstore-python requires it, so with it both verify the bundle).
pub fn statement(target: &RegistryRef, digest: &Digest) -> Vec<u8> {
    let hex = digest.as_str().split_once(':').map_or("", |(_, h)| h);
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": format!("{}/{}", target.host, target.repository), "digest": {"sha256": hex}}],
        "predicateType": COSIGN_SIGN,
        "predicate": {}
    })
    .to_string()
    .into_bytes()
}

fn invalid(target: &RegistryRef, message: String) -> SignatureError {
    SignatureError::Invalid { reference: format!("{}/{}", target.host, target.repository), message }
}

/// The tag of the fallback index: `sha256-<hex>`.
pub fn fallback_tag(digest: &Digest) -> String {
    digest.as_str().replacen(':', "-", 1)
}

/// Pushes `bundle` as a referrer of `digest` (by digest), and lists it in the fallback index when
/// the registry has no referrers API. Returns the referrer manifest's digest.
pub fn push(
    registry: &Registry,
    target: &RegistryRef,
    digest: &Digest,
    bundle: &[u8],
    created: &str,
) -> Result<Digest, SignatureError> {
    let repository = &target.repository;
    let subject = registry
        .get_manifest(repository, &Reference::Digest(digest.clone()))?
        .ok_or_else(|| SignatureError::NotFound(format!("{}/{repository}@{digest}", target.host)))?;
    let bundle_digest = registry.push_blob_bytes(repository, bundle)?;
    let empty_digest = registry.push_blob_bytes(repository, EMPTY)?;
    let annotations = json!({
        "dev.sigstore.bundle.content": "dsse-envelope",
        "dev.sigstore.bundle.predicateType": COSIGN_SIGN,
        "org.opencontainers.image.created": created
    });
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": BUNDLE_V03,
        "config": {"mediaType": EMPTY_MEDIA_TYPE, "digest": empty_digest.as_str(), "size": EMPTY.len()},
        "layers": [{"mediaType": BUNDLE_V03, "digest": bundle_digest.as_str(), "size": bundle.len()}],
        "subject": {
            "mediaType": if subject.media_type.is_empty() { OCI_MANIFEST } else { subject.media_type.as_str() },
            "digest": digest.as_str(),
            "size": subject.bytes.len()
        },
        "annotations": annotations
    })
    .to_string();
    let manifest_digest = Digest::sha256(manifest.as_bytes());
    registry.put_manifest(
        repository,
        &Reference::Digest(manifest_digest.clone()),
        OCI_MANIFEST,
        manifest.as_bytes(),
    )?;
    if registry.referrers(repository, digest)?.is_none() {
        let descriptor = json!({
            "mediaType": OCI_MANIFEST,
            "digest": manifest_digest.as_str(),
            "size": manifest.len(),
            "artifactType": BUNDLE_V03,
            "annotations": annotations
        });
        let tag = Reference::Tag(fallback_tag(digest));
        let mut index = match registry.get_manifest(repository, &tag)? {
            Some(existing) => serde_json::from_slice::<Value>(&existing.bytes)
                .ok()
                .filter(|i| i["manifests"].is_array())
                .ok_or_else(|| invalid(target, format!("the fallback index {tag} is not an image index")))?,
            None => json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}),
        };
        let manifests = index["manifests"].as_array_mut().expect("checked above");
        if !manifests.iter().any(|m| m["digest"] == manifest_digest.as_str()) {
            manifests.push(descriptor);
        }
        registry.put_manifest(repository, &tag, OCI_INDEX, index.to_string().as_bytes())?;
    }
    Ok(manifest_digest)
}

/// The Sigstore bundles attached to `digest`: from the referrers API, else the fallback index. Each
/// is `Ok(bundle JSON)` or `Err(why it could not be read)`.
pub fn bundles(
    registry: &Registry,
    target: &RegistryRef,
    digest: &Digest,
) -> Result<Vec<Result<String, String>>, SignatureError> {
    let repository = &target.repository;
    let index = match registry.referrers(repository, digest)? {
        Some(bytes) => bytes,
        None => match registry.get_manifest(repository, &Reference::Tag(fallback_tag(digest)))? {
            Some(manifest) => manifest.bytes,
            None => return Ok(Vec::new()),
        },
    };
    let index: Value = serde_json::from_slice(&index)
        .map_err(|e| invalid(target, format!("the referrers index is not JSON: {e}")))?;
    let referrers: Vec<&Value> = index["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["artifactType"] == BUNDLE_V03)
        .take(MAX_REFERRERS)
        .collect();
    Ok(referrers.into_iter().map(|descriptor| bundle(registry, repository, descriptor)).collect())
}

/// One referrer's bundle: its manifest (by digest) and its bundle layer (by digest, at most 1 MiB).
fn bundle(registry: &Registry, repository: &str, descriptor: &Value) -> Result<String, String> {
    let digest = Digest::parse(descriptor["digest"].as_str().unwrap_or_default())
        .map_err(|e| format!("a referrer's digest: {e}"))?;
    let manifest = registry
        .get_manifest(repository, &Reference::Digest(digest.clone()))
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("the referrer {digest} is listed but missing"))?;
    let manifest: Value =
        serde_json::from_slice(&manifest.bytes).map_err(|e| format!("the referrer {digest}: {e}"))?;
    let layer = &manifest["layers"][0];
    if layer["mediaType"] != BUNDLE_V03 {
        return Err(format!("the referrer {digest} holds no bundle layer"));
    }
    let blob = Digest::parse(layer["digest"].as_str().unwrap_or_default())
        .map_err(|e| format!("the referrer {digest}'s layer: {e}"))?;
    let size = layer["size"].as_u64().filter(|s| *s <= MAX_BUNDLE).ok_or_else(|| {
        format!("the referrer {digest}'s bundle has no size, or more than {MAX_BUNDLE} bytes")
    })?;
    let mut bytes = Vec::new();
    registry.get_blob(repository, &blob, size, &mut bytes).map_err(|e| format!("the bundle {blob}: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("the bundle {blob} is not UTF-8"))
}
