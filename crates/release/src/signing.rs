//! Signing during publish: the chart by digest (cosign's `.sig` tag, and with keyless signing cosign
//! 3's bundle referrer too), and `release-manifest.json` as a blob: a Sigstore bundle beside it, with
//! a certificate (keyless) or with the key's hint, as `cosign sign-blob --key --bundle` writes it in
//! the new bundle format (no log entry: key-based signatures are not logged here).
//!
//! The chart's postcondition is observable: a signature that verifies, by our key or by our identity
//! (the token's, from the trusted root). When it holds, nothing is signed again.

use std::cell::OnceCell;
use std::path::PathBuf;

use tagwright_oci_publish::{Digest, Reference, RegistryOptions, Target};
use tagwright_sigstore::bundle::{Identity, Matcher, TrustedRoot};
use tagwright_sigstore::dsse::SigningKey;
use tagwright_sigstore::keyless::{IdentityToken, Instance, Signer};
use tagwright_sigstore::signature::{self, BundleFormat, Trust};

use crate::{Error, ErrorKind, ReleaseAsset};

/// How a release is signed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Signing {
    /// With a cosign key file (its password, if encrypted).
    Key {
        /// The key file.
        path: PathBuf,
        /// `COSIGN_PASSWORD`.
        password: Option<Vec<u8>>,
    },
    /// Keylessly: a Fulcio certificate for the identity token, logged in Rekor.
    Keyless {
        /// The identity token; `None` takes GitHub Actions' ambient one.
        token: Option<String>,
        /// Fulcio and Rekor.
        instance: Instance,
        /// The trusted root (JSON) our signatures must verify against; `None`: the public-good one.
        trusted_root: Option<String>,
    },
}

/// A signer, made once per run. The keyless one asks Fulcio for a certificate only when something
/// needs signing.
pub(crate) enum Prepared {
    Key(SigningKey),
    Keyless {
        token: Box<IdentityToken>,
        instance: Instance,
        root: Box<TrustedRoot>,
        identity: Identity,
        signer: OnceCell<Signer>,
    },
}

fn input(message: String) -> Error {
    Error::new(ErrorKind::Input, message)
}

impl Signing {
    /// Reads the key, or gets the token and a Fulcio certificate.
    pub(crate) fn prepare(&self) -> Result<Prepared, Error> {
        match self {
            Signing::Key { path, password } => {
                let text =
                    std::fs::read_to_string(path).map_err(|e| input(format!("{}: {e}", path.display())))?;
                let key = tagwright_sigstore::cosign_key::read_private_key(&text, password.as_deref())
                    .map_err(|e| input(format!("{}: {e}", path.display())))?;
                Ok(Prepared::Key(key))
            }
            Signing::Keyless { token, instance, trusted_root } => {
                let token = match token {
                    Some(raw) => IdentityToken::parse(raw).map_err(|e| Error::caused(ErrorKind::Input, e))?,
                    None => IdentityToken::from_github_actions(|name| std::env::var(name).ok())
                        .map_err(|e| Error::caused(ErrorKind::Input, e))?
                        .ok_or_else(|| {
                            input(
                                "keyless signing needs an identity token: outside GitHub Actions, give one"
                                    .into(),
                            )
                        })?,
                };
                let root = tagwright_sigstore::bundle::trusted_root(trusted_root.as_deref())
                    .map_err(|e| Error::caused(ErrorKind::Input, e))?;
                let identity = Identity {
                    subject: Matcher::Exact(token.certificate_identity.clone()),
                    issuer: Matcher::Exact(token.issuer.clone()),
                };
                Ok(Prepared::Keyless {
                    token: Box::new(token),
                    instance: instance.clone(),
                    root: Box::new(root),
                    identity,
                    signer: OnceCell::new(),
                })
            }
        }
    }
}

/// What signing the chart did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct ChartSignature {
    /// The signature tag, `host/repo:sha256-<hex>.sig`.
    pub signature: String,
    /// A signature by us was already there: nothing was signed.
    pub already_signed: bool,
}

impl Prepared {
    /// The keyless signer, certified by Fulcio on first use.
    fn keyless_signer<'a>(
        token: &IdentityToken,
        instance: &Instance,
        cell: &'a OnceCell<Signer>,
    ) -> Result<&'a Signer, Error> {
        if let Some(signer) = cell.get() {
            return Ok(signer);
        }
        let signer = Signer::new(instance, token).map_err(|e| Error::caused(ErrorKind::Check, e))?;
        Ok(cell.get_or_init(|| signer))
    }

    /// Signs the chart at `reference` (`host/repo:tag`) by `digest`, unless our signature is there.
    pub(crate) fn sign_chart(
        &self,
        reference: &str,
        digest: &Digest,
        options: &RegistryOptions,
    ) -> Result<ChartSignature, Error> {
        let Ok(Target::Registry(mut target)) = Target::parse(reference) else {
            return Err(input(format!("{reference}: signing needs a registry, not a layout")));
        };
        target.reference = Some(Reference::Digest(digest.clone()));
        let failed = |e: signature::SignatureError| Error::caused(ErrorKind::Check, e);
        let registry = signature::registry(&target, options).map_err(failed)?;
        let tag = format!("{}/{}:{}", target.host, target.repository, signature::signature_tag(digest));
        let ours = match self {
            Prepared::Key(key) => signature::verify(&registry, &target, &[key.verifying_key()]),
            Prepared::Keyless { root, identity, .. } => {
                signature::verify_with(&registry, &target, Trust::Keyless { root, identity })
            }
        };
        if ours.is_ok() {
            return Ok(ChartSignature { signature: tag, already_signed: true });
        }
        let signed = match self {
            Prepared::Key(key) => signature::sign(&registry, &target, key),
            Prepared::Keyless { token, instance, root, signer, .. } => {
                let signer = Prepared::keyless_signer(token, instance, signer)?;
                signature::sign_keyless(&registry, &target, signer, root, BundleFormat::LegacyAndV03)
            }
        }
        .map_err(failed)?;
        Ok(ChartSignature { signature: signed.signature, already_signed: false })
    }

    /// The signature of `release-manifest.json`, as an asset: a Sigstore bundle, verified before it
    /// is published.
    pub(crate) fn sign_manifest(&self, manifest: &[u8]) -> Result<ReleaseAsset, Error> {
        let asset = |bundle: String| ReleaseAsset {
            name: crate::MANIFEST_BUNDLE.to_owned(),
            content_type: "application/vnd.dev.sigstore.bundle.v0.3+json".to_owned(),
            bytes: bundle.into_bytes(),
        };
        match self {
            Prepared::Key(key) => {
                let public = key.verifying_key();
                let bundle = tagwright_sigstore::bundle::key_bundle(
                    &public,
                    manifest,
                    &key.sign_bytes(manifest),
                    None,
                );
                let root = tagwright_sigstore::bundle::trusted_root(None)
                    .map_err(|e| Error::caused(ErrorKind::Check, e))?;
                tagwright_sigstore::bundle::BlobVerifier::new(&root)
                    .and_then(|v| {
                        v.verify_with_keys(
                            manifest,
                            &bundle,
                            &[public],
                            tagwright_sigstore::bundle::Tlog::IfPresent,
                        )
                    })
                    .map_err(|e| Error::caused(ErrorKind::Check, e))?;
                Ok(asset(bundle))
            }
            Prepared::Keyless { token, instance, root, signer, .. } => {
                let signer = Prepared::keyless_signer(token, instance, signer)?;
                let signature = signer.sign(manifest).map_err(|e| Error::caused(ErrorKind::Check, e))?;
                let bundle = signature.bundle().to_string();
                tagwright_sigstore::bundle::BlobVerifier::for_own_signatures(root)
                    .and_then(|v| v.verify(manifest, &bundle, &Identity::any()))
                    .map_err(|e| Error::caused(ErrorKind::Check, e))?;
                Ok(asset(bundle))
            }
        }
    }
}
