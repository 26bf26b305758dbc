//! `attest`'s keyless commands: sign an OCI artifact or a file with a Fulcio certificate and a Rekor
//! entry, and verify keyless `.sig` signatures with cosign's identity flags.

use std::path::{Path, PathBuf};

use tagwright_sigstore::bundle::{self, Identity, TrustedRoot};
use tagwright_sigstore::keyless::{IdentityToken, Instance, KeylessError, Signer};
use tagwright_sigstore::signature;

use crate::Failure;
use crate::artifact::{RegistryArgs, read, registry_target, signature_failure};

/// Where keyless signing gets its identity and which Sigstore instance it uses.
#[derive(Debug, clap::Args)]
pub struct KeylessArgs {
    /// Sign keylessly: GitHub Actions' ambient token (audience `sigstore`), or --identity-token
    /// (`sign-blob` without --key always signs keylessly).
    #[arg(long)]
    pub keyless: bool,
    /// An OIDC identity token for Fulcio (also SIGSTORE_ID_TOKEN); inside GitHub Actions, the job's
    /// own token is used without it.
    #[arg(long, value_name = "JWT")]
    pub identity_token: Option<String>,
    /// Fulcio's URL (default: the public-good instance's).
    #[arg(long, value_name = "URL")]
    pub fulcio_url: Option<String>,
    /// Rekor's URL (default: the public-good instance's).
    #[arg(long, value_name = "URL")]
    pub rekor_url: Option<String>,
    /// A Sigstore signing config (v0.2 JSON) naming Fulcio, Rekor (v1 or v2) and timestamp
    /// authorities; the newest Rekor it lists is used, and its first timestamp authority.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["fulcio_url", "rekor_url"])]
    pub signing_config: Option<PathBuf>,
    /// The Rekor API version to log to (1 or 2) where the signing config lists both.
    #[arg(long, value_name = "1|2", requires = "signing_config", value_parser = clap::value_parser!(u32).range(1..=2))]
    pub rekor_version: Option<u32>,
    /// The trusted root our own signature is checked against before it is published (default: the
    /// public-good instance's, embedded).
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
}

/// Where a blob's bundle goes, how it is signed, and `--json`.
#[derive(Debug, clap::Args)]
pub struct BlobArgs {
    /// Where the bundle goes (default: FILE.sigstore.json).
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    #[command(flatten)]
    pub keyless: KeylessArgs,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

/// A trusted root from a file, or the embedded public-good one.
pub fn trusted_root(path: Option<&Path>) -> Result<TrustedRoot, Failure> {
    let json = match path {
        Some(path) => Some(
            String::from_utf8(read(path)?)
                .map_err(|_| Failure::input(format!("{}: not UTF-8", path.display())))?,
        ),
        None => None,
    };
    bundle::trusted_root(json.as_deref()).map_err(|e| match path {
        Some(path) => Failure::input(format!("{}: {e}", path.display())),
        None => Failure::input(e.to_string()),
    })
}

fn keyless_failure(err: KeylessError) -> Failure {
    match err {
        KeylessError::Token(_) | KeylessError::Input(_) => Failure::input(err.to_string()),
        other => Failure::check(other.to_string()),
    }
}

impl KeylessArgs {
    /// Whether any keyless option is given (they mean nothing with a key).
    pub fn any_option(&self) -> bool {
        self.identity_token.is_some()
            || self.fulcio_url.is_some()
            || self.rekor_url.is_some()
            || self.signing_config.is_some()
    }

    /// The Sigstore instance: a signing config, the URL flags, or the public-good instance.
    pub(crate) fn instance(&self) -> Result<Instance, Failure> {
        if let Some(path) = &self.signing_config {
            let text = String::from_utf8(read(path)?)
                .map_err(|_| Failure::input(format!("{}: not UTF-8", path.display())))?;
            return Instance::from_signing_config_with(&text, self.rekor_version)
                .map_err(|e| Failure::input(format!("{}: {e}", path.display())));
        }
        let mut instance = Instance::public_good();
        if let Some(url) = &self.fulcio_url {
            instance.fulcio = url.trim_end_matches('/').to_owned();
        }
        if let Some(url) = &self.rekor_url {
            instance.rekor = url.trim_end_matches('/').to_owned();
        }
        Ok(instance)
    }

    /// The identity token: the flag, `SIGSTORE_ID_TOKEN`, or GitHub Actions' ambient token.
    fn token(&self) -> Result<IdentityToken, Failure> {
        let given = self
            .identity_token
            .clone()
            .or_else(|| std::env::var("SIGSTORE_ID_TOKEN").ok().filter(|t| !t.is_empty()));
        if let Some(raw) = given {
            return IdentityToken::parse(&raw).map_err(keyless_failure);
        }
        IdentityToken::from_github_actions(|name| std::env::var(name).ok())
            .map_err(keyless_failure)?
            .ok_or_else(|| {
                Failure::input(
                    "no identity token: outside GitHub Actions, pass --identity-token (or SIGSTORE_ID_TOKEN)",
                )
            })
    }

    /// The release flow's keyless signing: the given token (or, inside GitHub Actions, the ambient
    /// one, which the flow fetches), the instance, and the trusted root's JSON.
    pub fn release_signing(&self) -> Result<tagwright_release::Signing, Failure> {
        let token = self
            .identity_token
            .clone()
            .or_else(|| std::env::var("SIGSTORE_ID_TOKEN").ok().filter(|t| !t.is_empty()));
        let trusted_root = match &self.trusted_root {
            Some(path) => Some(
                String::from_utf8(read(path)?)
                    .map_err(|_| Failure::input(format!("{}: not UTF-8", path.display())))?,
            ),
            None => None,
        };
        Ok(tagwright_release::Signing::Keyless { token, instance: self.instance()?, trusted_root })
    }

    /// A signer certified by Fulcio, and the root its signatures must verify against.
    pub fn signer(&self) -> Result<(Signer, TrustedRoot), Failure> {
        let root = trusted_root(self.trusted_root.as_deref())?;
        let token = self.token()?;
        let signer = Signer::new(&self.instance()?, &token).map_err(keyless_failure)?;
        Ok((signer, root))
    }
}

/// Which formats `attest sign --keyless` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BundleFormatArg {
    /// The legacy `.sig` tag only.
    Legacy,
    /// The legacy `.sig` tag and the bundle v0.3 referrer, as cosign 3 does by default.
    #[value(name = "v0.3")]
    V03,
}

/// `attest sign REF --keyless [--bundle-format legacy|v0.3]`.
pub fn sign(
    reference: &str,
    keyless: &KeylessArgs,
    format: BundleFormatArg,
    args: &RegistryArgs,
) -> Result<(), Failure> {
    let (registry, target) = registry_target(reference, args)?;
    let (signer, root) = keyless.signer()?;
    let format = match format {
        BundleFormatArg::Legacy => signature::BundleFormat::Legacy,
        BundleFormatArg::V03 => signature::BundleFormat::LegacyAndV03,
    };
    let signed =
        signature::sign_keyless(&registry, &target, &signer, &root, format).map_err(signature_failure)?;
    let referrer =
        signed.referrer.as_ref().map_or_else(String::new, |d| format!(" and the bundle referrer {d}"));
    let text = format!(
        "Signed {} keylessly ({} signature(s) in {}{referrer})\n",
        signed.digest, signed.signatures, signed.signature
    );
    crate::report(args.json, &signed, &text)
}

/// `attest sign-blob FILE [--bundle OUT]`: a Sigstore bundle v0.3 beside the file.
pub fn sign_blob(file: &Path, args: &BlobArgs) -> Result<(), Failure> {
    let artifact = read(file)?;
    let (signer, root) = args.keyless.signer()?;
    let signature = signer.sign(&artifact).map_err(keyless_failure)?;
    let index = signature.entry.log_index;
    write_bundle(file, &artifact, &signature.bundle(), index, &root, args)
}

/// `attest attest-blob FILE --predicate P --type T [--bundle OUT]`: a DSSE bundle v0.3 of an in-toto
/// statement whose subject is the file (its name and SHA-256).
pub fn attest_blob(file: &Path, predicate: &Path, kind: &str, args: &BlobArgs) -> Result<(), Failure> {
    let predicate_type = crate::artifact::predicate_type(kind)?;
    let predicate = crate::artifact::read_predicate(predicate)?;
    let artifact = read(file)?;
    let name = file.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let statement = tagwright_sigstore::keyless::file_statement(&name, &artifact, &predicate_type, predicate);
    let (signer, root) = args.keyless.signer()?;
    let signature = signer.sign_dsse(signature::IN_TOTO, &statement).map_err(keyless_failure)?;
    let index = signature.entry.log_index;
    write_bundle(file, &artifact, &signature.bundle(), index, &root, args)
}

/// Verifies our own bundle over `artifact` against `root`, then writes it (`FILE.sigstore.json` by
/// default) and reports who signed.
fn write_bundle(
    file: &Path,
    artifact: &[u8],
    bundle_json: &serde_json::Value,
    log_index: i64,
    root: &TrustedRoot,
    args: &BlobArgs,
) -> Result<(), Failure> {
    let text = bundle_json.to_string();
    let verifier =
        bundle::BlobVerifier::for_own_signatures(root).map_err(|e| Failure::input(e.to_string()))?;
    let verified = verifier.verify(artifact, &text, &Identity::any()).map_err(|e| {
        Failure::check(format!(
            "the bundle Fulcio and Rekor made does not verify, so it was not written: {e}"
        ))
    })?;
    let output = write_blob_bundle(file, args.bundle.as_deref(), &text)?;
    let output = output.as_path();
    #[derive(serde::Serialize)]
    struct SignedBlob<'a> {
        bundle: &'a Path,
        identity: &'a str,
        issuer: &'a str,
        log_index: i64,
    }
    let report =
        SignedBlob { bundle: output, identity: &verified.identity, issuer: &verified.issuer, log_index };
    let text = format!(
        "Signed {} as {} ({}); Rekor entry {log_index}; bundle: {}\n",
        file.display(),
        verified.identity,
        verified.issuer,
        output.display()
    );
    crate::report(args.json, &report, &text)
}

/// Writes `text`, a bundle over `file`, to `output` or else `FILE.sigstore.json` (atomically), and
/// returns where.
pub(crate) fn write_blob_bundle(file: &Path, output: Option<&Path>, text: &str) -> Result<PathBuf, Failure> {
    let output =
        output.map_or_else(|| PathBuf::from(format!("{}.sigstore.json", file.display())), Path::to_owned);
    tagwright_fs::write_output(&output, text.as_bytes())
        .map_err(|e| Failure::input(format!("{}: {e}", output.display())))?;
    Ok(output)
}
