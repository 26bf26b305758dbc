//! `attest`'s commands: each calls [`tagwright_sigstore`] and writes its result, or maps its failure to
//! an exit code.

use std::path::{Path, PathBuf};

use tagwright_sbom::{SbomError, SbomOptions};
use tagwright_sigstore::{bundle, cosign_key, dsse, signature};

pub use crate::artifact::{RegistryArgs, predicate_type};
use crate::artifact::{read, read_predicate, registry_target, signature_failure};
use crate::{Failure, out};

/// `attest sbom`: the SBOM on stdout or in `output`; an inconsistent SBOM exits 1, bad input 2.
pub fn write_sbom(options: &SbomOptions, output: Option<&Path>) -> Result<(), Failure> {
    let (_, json) = tagwright_sbom::sbom_json(options).map_err(|e| match e {
        SbomError::Invalid(_) => Failure::check(e.to_string()),
        other => Failure::input(other.to_string()),
    })?;
    emit(output, &json)
}

fn pem(path: &Path) -> Result<String, Failure> {
    String::from_utf8(read(path)?).map_err(|_| Failure::input(format!("{}: not a PEM file", path.display())))
}

fn emit(output: Option<&Path>, text: &str) -> Result<(), Failure> {
    match output {
        Some(path) => tagwright_fs::write_output(path, text.as_bytes())
            .map_err(|e| Failure::input(format!("{}: {e}", path.display()))),
        None => {
            out(text);
            Ok(())
        }
    }
}

/// `attest dsse sign`: `file` signed with the PKCS#8 PEM `key` into an envelope.
pub fn dsse_sign(
    key: &Path,
    payload_type: &str,
    keyid: Option<&str>,
    file: &Path,
    output: Option<&Path>,
) -> Result<(), Failure> {
    let signing = private_key(key)?;
    let envelope =
        dsse::sign(payload_type, &read(file)?, &signing, keyid).map_err(|e| Failure::input(e.to_string()))?;
    let text = serde_json::to_string(&envelope).map_err(|e| Failure::input(e.to_string()))?;
    emit(output, &format!("{text}\n"))
}

/// `attest sign-blob FILE --key KEY [--bundle OUT]`: a key-signed Sigstore bundle v0.3 with no log
/// entry, as cosign's `sign-blob --key` writes it with a signing config that lists no log; verified
/// with the key's own public half before it is written.
pub fn sign_blob_with_key(file: &Path, key: &Path, output: Option<&Path>, json: bool) -> Result<(), Failure> {
    let signing = private_key(key)?;
    let artifact = read(file)?;
    let public = signing.verifying_key();
    let text = bundle::key_bundle(&public, &artifact, &signing.sign_bytes(&artifact), None);
    let root = crate::keyless::trusted_root(None)?;
    let verifier = bundle::BlobVerifier::new(&root).map_err(|e| Failure::input(e.to_string()))?;
    verifier
        .verify_with_keys(&artifact, &text, std::slice::from_ref(&public), bundle::Tlog::Ignored)
        .map_err(|e| {
            Failure::check(format!(
                "the bundle does not verify with the key's public half, so it was not written: {e}"
            ))
        })?;
    let output = crate::keyless::write_blob_bundle(file, output, &text)?;
    #[derive(serde::Serialize)]
    struct SignedBlob<'a> {
        bundle: &'a Path,
        key: String,
    }
    let report = SignedBlob { bundle: &output, key: public.hint() };
    let text =
        format!("Signed {} with the key {}; bundle: {}\n", file.display(), report.key, output.display());
    crate::report(json, &report, &text)
}

/// A private key file: cosign's (encrypted with `COSIGN_PASSWORD`, or plain PEM), or PKCS#8 PEM.
fn private_key(path: &Path) -> Result<dsse::SigningKey, Failure> {
    let password = std::env::var_os("COSIGN_PASSWORD").map(|p| p.into_encoded_bytes());
    cosign_key::read_private_key(&pem(path)?, password.as_deref())
        .map_err(|e| Failure::input(format!("{}: {e}", path.display())))
}

/// `attest generate-key-pair`: `PREFIX.key` (0600, encrypted with `COSIGN_PASSWORD`, which may be empty
/// but must be set) and `PREFIX.pub`; an existing file is never replaced.
pub fn generate_key_pair(prefix: &Path) -> Result<(), Failure> {
    let password = std::env::var_os("COSIGN_PASSWORD")
        .ok_or_else(|| Failure::input("set COSIGN_PASSWORD to the key's password (it may be empty)"))?;
    let pair = cosign_key::generate_key_pair(password.as_encoded_bytes())
        .map_err(|e| Failure::input(e.to_string()))?;
    let with = |ext: &str| {
        let mut name = prefix.as_os_str().to_owned();
        name.push(ext);
        PathBuf::from(name)
    };
    let (private, public) = (with(".key"), with(".pub"));
    if public.exists() {
        return Err(Failure::input(format!("{}: already exists; not replaced", public.display())));
    }
    tagwright_fs::write_private(&private, pair.private_pem.as_bytes())
        .map_err(|e| Failure::input(format!("{}: {e}; not replaced", private.display())))?;
    tagwright_fs::write_output(&public, pair.public_pem.as_bytes())
        .map_err(|e| Failure::input(format!("{}: {e}", public.display())))?;
    eprintln!("attest: private key written to {}, public key to {}", private.display(), public.display());
    Ok(())
}

/// `attest dsse verify`: the payload on stdout when a signature verifies with one of `keys`, else exit 1.
pub fn dsse_verify(keys: &[PathBuf], file: &Path) -> Result<(), Failure> {
    let keys = keys
        .iter()
        .map(|k| {
            dsse::VerifyingKey::from_pem(&pem(k)?)
                .map_err(|e| Failure::input(format!("{}: {e}", k.display())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let envelope: dsse::Envelope = serde_json::from_slice(&read(file)?)
        .map_err(|e| Failure::input(format!("{}: not a DSSE envelope: {e}", file.display())))?;
    let verified = dsse::verify(&envelope, &keys).map_err(|e| match e {
        dsse::DsseError::Unverified { .. } => Failure::check(format!("{}: {e}", file.display())),
        other => Failure::input(format!("{}: {other}", file.display())),
    })?;
    eprintln!(
        "attest: {}: good signature (keyid {}), payload type {}",
        file.display(),
        verified.keyid,
        verified.payload_type
    );
    std::io::Write::write_all(&mut std::io::stdout().lock(), &verified.payload)
        .map_err(|e| Failure::input(format!("stdout: {e}")))
}

/// `attest provenance`: the Statement; in GitHub Actions from the verified ID token (a token that does
/// not verify exits 1), elsewhere from the repository's HEAD.
pub fn provenance(
    subjects: &[String],
    repo: &Path,
    issuer: Option<&str>,
    output: Option<&Path>,
) -> Result<(), Failure> {
    use tagwright_sigstore::provenance::{self, ProvenanceError, Subject, github};
    let input = |e: ProvenanceError| Failure::input(e.to_string());
    let subjects =
        subjects.iter().map(|s| Subject::parse(s)).collect::<Result<Vec<_>, _>>().map_err(input)?;
    let predicate = match github::Job::from_env(|name| std::env::var(name).ok()).map_err(input)? {
        Some(mut job) => {
            job.issuer = issuer.map(str::to_owned);
            let claims = github::claims(&job).map_err(|e| Failure::check(e.to_string()))?;
            github::predicate(&job.server_url, &claims)
        }
        None => provenance::local_predicate(repo).map_err(input)?,
    };
    let statement = provenance::statement(subjects, predicate);
    let text = serde_json::to_string_pretty(&statement).map_err(|e| Failure::input(e.to_string()))?;
    emit(output, &format!("{text}\n"))
}

/// The key of a key-based signature, or `None` to sign keylessly; both or neither is bad usage.
fn key_or_keyless(
    key: Option<&Path>,
    keyless: &crate::keyless::KeylessArgs,
) -> Result<Option<dsse::SigningKey>, Failure> {
    match (key, keyless.keyless) {
        (Some(_), false) if keyless.any_option() => Err(Failure::input(
            "--identity-token, --fulcio-url, --rekor-url and --signing-config go with --keyless, not --key",
        )),
        (Some(key), false) => Ok(Some(private_key(key)?)),
        (None, true) => Ok(None),
        _ => Err(Failure::input("sign with --key KEY or --keyless")),
    }
}

/// `attest sign REF --key KEY | --keyless`: the `.sig` tag, by digest.
pub fn sign(
    reference: &str,
    key: Option<&Path>,
    keyless: (&crate::keyless::KeylessArgs, crate::keyless::BundleFormatArg),
    args: &RegistryArgs,
) -> Result<(), Failure> {
    let Some(key) = key_or_keyless(key, keyless.0)? else {
        return crate::keyless::sign(reference, keyless.0, keyless.1, args);
    };
    if !matches!(key, dsse::SigningKey::P256(_)) {
        return Err(Failure::input("cosign signatures are ECDSA P-256: this key is Ed25519"));
    }
    let (registry, target) = registry_target(reference, args)?;
    let signed = signature::sign(&registry, &target, &key).map_err(signature_failure)?;
    let text =
        format!("Signed {} ({} signature(s) in {})\n", signed.digest, signed.signatures, signed.signature);
    crate::report(args.json, &signed, &text)
}

/// Who must have signed, for `verify` and `verify-attestation`: keys, or a keyless identity.
#[derive(Debug, clap::Args)]
pub struct TrustArgs {
    /// The public key (`cosign.pub`, PKIX PEM). Repeatable. Without it, the identity flags.
    #[arg(long = "key", value_name = "PUB")]
    pub keys: Vec<PathBuf>,
    #[command(flatten)]
    pub identity: IdentityArgs,
    /// The trusted root of keyless signatures (default: the public-good instance's, embedded).
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// Accept key-based signatures without a transparency-log entry (cosign's flag; key-based
    /// signatures are not logged here).
    #[arg(long)]
    pub insecure_ignore_tlog: bool,
    /// Accept keyless certificates without a verified SCT (cosign's flag): for a private Fulcio that
    /// logs to no CT log. `verify-blob` only.
    #[arg(long)]
    pub insecure_ignore_sct: bool,
}

/// What [`TrustArgs`] name, read and parsed.
enum Material {
    Keys(Vec<dsse::VerifyingKey>),
    Keyless(tagwright_sigstore::bundle::TrustedRoot, tagwright_sigstore::bundle::Identity),
}

impl Material {
    fn trust(&self) -> signature::Trust<'_> {
        match self {
            Material::Keys(keys) => signature::Trust::Keys(keys),
            Material::Keyless(root, identity) => signature::Trust::Keyless { root, identity },
        }
    }
}

impl TrustArgs {
    fn material(&self) -> Result<Material, Failure> {
        if self.keys.is_empty() {
            let identity = self.identity.identity()?;
            Ok(Material::Keyless(crate::keyless::trusted_root(self.trusted_root.as_deref())?, identity))
        } else {
            Ok(Material::Keys(public_keys(&self.keys, self.insecure_ignore_tlog)?))
        }
    }
}

/// `attest verify REF` with `--key PUB --insecure-ignore-tlog`, or keyless with the identity flags.
pub fn verify(reference: &str, trust: &TrustArgs, args: &RegistryArgs) -> Result<(), Failure> {
    let material = trust.material()?;
    let (registry, target) = registry_target(reference, args)?;
    let verified = signature::verify_with(&registry, &target, material.trust()).map_err(signature_failure)?;
    let by = if trust.keys.is_empty() { "keyless signature(s)" } else { "signature(s) by the key" };
    let text = if verified.format == "legacy" {
        format!(
            "Verified {}: {} {by} in the .sig tag; signed as {}\n",
            verified.digest,
            verified.signatures,
            verified.docker_references.join(", ")
        )
    } else {
        format!("Verified {}: {} {by} in bundle v0.3 referrers\n", verified.digest, verified.signatures)
    };
    crate::report(args.json, &verified, &text)
}

/// The public keys of a key-based verification, which (without Rekor entries) needs
/// `--insecure-ignore-tlog`, as cosign does.
fn public_keys(keys: &[PathBuf], ignore_tlog: bool) -> Result<Vec<dsse::VerifyingKey>, Failure> {
    if !ignore_tlog {
        return Err(Failure::input(
            "key-based signatures are made without a transparency-log entry here: pass --insecure-ignore-tlog, as cosign asks",
        ));
    }
    read_public_keys(keys)
}

/// The public keys (`cosign.pub`, PKIX PEM) in `paths`.
pub(crate) fn read_public_keys(paths: &[PathBuf]) -> Result<Vec<dsse::VerifyingKey>, Failure> {
    paths
        .iter()
        .map(|k| {
            cosign_key::read_public_key(&pem(k)?).map_err(|e| Failure::input(format!("{}: {e}", k.display())))
        })
        .collect()
}

/// `attest attest REF --predicate FILE --type TYPE --key KEY | --keyless`.
pub fn attest(
    reference: &str,
    predicate: &Path,
    kind: &str,
    key: Option<&Path>,
    keyless: &crate::keyless::KeylessArgs,
    args: &RegistryArgs,
) -> Result<(), Failure> {
    let predicate_type = predicate_type(kind)?;
    let key = key_or_keyless(key, keyless)?;
    let value = read_predicate(predicate)?;
    let (registry, target) = registry_target(reference, args)?;
    let signed = match key {
        Some(key) => signature::attest(&registry, &target, &key, &predicate_type, value),
        None => {
            let (signer, root) = keyless.signer()?;
            signature::attest_keyless(&registry, &target, &signer, &root, &predicate_type, value)
        }
    }
    .map_err(signature_failure)?;
    let text = format!(
        "Attested {} ({predicate_type}; {} attestation(s) in {})\n",
        signed.digest, signed.signatures, signed.signature
    );
    crate::report(args.json, &signed, &text)
}

/// `attest verify-attestation REF [--type TYPE]` with `--key PUB --insecure-ignore-tlog`, or keyless
/// with the identity flags: the statements.
pub fn verify_attestation(
    reference: &str,
    kind: Option<&str>,
    trust: &TrustArgs,
    args: &RegistryArgs,
) -> Result<(), Failure> {
    let wanted = kind.map(predicate_type).transpose()?;
    let material = trust.material()?;
    let (registry, target) = registry_target(reference, args)?;
    let statements =
        signature::verify_attestations_with(&registry, &target, material.trust(), wanted.as_deref())
            .map_err(signature_failure)?;
    #[derive(serde::Serialize)]
    struct Statements {
        statements: Vec<serde_json::Value>,
    }
    let text: String = statements.iter().map(|s| format!("{s}\n")).collect();
    crate::report(args.json, &Statements { statements }, &text)
}

/// cosign's keyless identity flags: one of each pair is required.
#[derive(Debug, clap::Args)]
#[group(id = "identity_flags")]
pub struct IdentityArgs {
    /// The certificate's identity (its SAN: a workflow URI, an email address), exactly.
    #[arg(long, value_name = "ID")]
    pub certificate_identity: Option<String>,
    /// A regexp the certificate's identity matches (unanchored, as cosign's).
    #[arg(long, value_name = "REGEXP", conflicts_with = "certificate_identity")]
    pub certificate_identity_regexp: Option<String>,
    /// The certificate's OIDC issuer, exactly.
    #[arg(long, value_name = "URL")]
    pub certificate_oidc_issuer: Option<String>,
    /// A regexp the certificate's OIDC issuer matches (unanchored).
    #[arg(long, value_name = "REGEXP", conflicts_with = "certificate_oidc_issuer")]
    pub certificate_oidc_issuer_regexp: Option<String>,
}

impl IdentityArgs {
    pub(crate) fn identity(&self) -> Result<tagwright_sigstore::bundle::Identity, Failure> {
        Ok(tagwright_sigstore::bundle::Identity {
            subject: matcher(&self.certificate_identity, &self.certificate_identity_regexp)?,
            issuer: self.issuer()?,
        })
    }

    /// The issuer alone (`--certificate-oidc-issuer[-regexp]`).
    pub(crate) fn issuer(&self) -> Result<tagwright_sigstore::bundle::Matcher, Failure> {
        matcher(&self.certificate_oidc_issuer, &self.certificate_oidc_issuer_regexp)
    }
}

/// An exact value, else a regexp; neither is a usage error naming the flags.
fn matcher(
    exact: &Option<String>,
    pattern: &Option<String>,
) -> Result<tagwright_sigstore::bundle::Matcher, Failure> {
    use tagwright_sigstore::bundle::Matcher;
    match (exact, pattern) {
        (Some(value), _) => Ok(Matcher::Exact(value.clone())),
        (None, Some(pattern)) => regex::Regex::new(pattern)
            .map(Matcher::Regexp)
            .map_err(|e| Failure::input(format!("`{pattern}` is not a regexp: {e}"))),
        (None, None) => Err(Failure::input(
            "give the certificate's identity (--certificate-identity[-regexp]) and its OIDC issuer (--certificate-oidc-issuer[-regexp]), or --key",
        )),
    }
}

/// `attest verify-blob FILE… [--bundle B]` with the identity flags, or with `--key PUB
/// [--insecure-ignore-tlog]`: each file's bundle is `--bundle` (one file only) or, as sigstore-python
/// finds it, `FILE.sigstore.json`, else `FILE.sigstore`. All must verify.
pub fn verify_blob(
    files: &[PathBuf],
    bundle: Option<&Path>,
    trust: &TrustArgs,
    json: bool,
) -> Result<(), Failure> {
    use tagwright_sigstore::bundle::{self, BundleError};
    if bundle.is_some() && files.len() > 1 {
        return Err(Failure::input("--bundle names the bundle of one file: give one file, or none"));
    }
    // A bundle's log entry is verified with the keys too: --insecure-ignore-tlog is a choice here.
    let material = if trust.keys.is_empty() {
        Material::Keyless(
            crate::keyless::trusted_root(trust.trusted_root.as_deref())?,
            trust.identity.identity()?,
        )
    } else {
        Material::Keys(read_public_keys(&trust.keys)?)
    };
    let root = match &material {
        Material::Keyless(root, _) => root.clone(),
        Material::Keys(_) => crate::keyless::trusted_root(trust.trusted_root.as_deref())?,
    };
    let verifier = bundle::BlobVerifier::new(&root).map_err(|e| Failure::input(e.to_string()))?;
    let verifier = if trust.insecure_ignore_sct { verifier.without_sct() } else { verifier };
    #[derive(serde::Serialize)]
    struct Verified<'a> {
        file: &'a Path,
        #[serde(flatten)]
        bundle: bundle::VerifiedBundle,
    }
    // Each file on its own: the cryptography (P-256 and P-384) is the cost, so the files are shared
    // among the cores, and the results kept in the order given.
    let one = |file: &PathBuf| -> Result<Result<bundle::VerifiedBundle, String>, Failure> {
        let path = match bundle {
            Some(path) => path.to_owned(),
            None => {
                let json = PathBuf::from(format!("{}.sigstore.json", file.display()));
                if json.exists() { json } else { PathBuf::from(format!("{}.sigstore", file.display())) }
            }
        };
        let artifact = read(file)?;
        let bundle_json = String::from_utf8(read(&path)?)
            .map_err(|_| Failure::input(format!("{}: not UTF-8", path.display())))?;
        let verified = match &material {
            Material::Keyless(_, identity) => verifier.verify(&artifact, &bundle_json, identity),
            Material::Keys(keys) => {
                let tlog =
                    if trust.insecure_ignore_tlog { bundle::Tlog::Ignored } else { bundle::Tlog::Required };
                verifier.verify_with_keys(&artifact, &bundle_json, keys, tlog)
            }
        };
        match verified {
            Ok(verified) => Ok(Ok(verified)),
            Err(e @ BundleError::Input(_)) => Err(Failure::input(format!("{}: {e}", path.display()))),
            Err(e) => Ok(Err(format!("{}: {e}", file.display()))),
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from).min(files.len()).max(1);
    let chunk = files.len().div_ceil(threads);
    let results: Vec<_> = std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    let mut verified = Vec::new();
    let mut failures = Vec::new();
    for (file, result) in files.iter().zip(results) {
        match result? {
            Ok(bundle) => verified.push(Verified { file, bundle }),
            Err(failure) => failures.push(failure),
        }
    }
    if !failures.is_empty() {
        return Err(Failure::check(failures.join("\n")));
    }
    let text: String = verified
        .iter()
        .map(|v| match &v.bundle.key {
            Some(hint) => format!("Verified {}: signed by the key {hint}\n", v.file.display()),
            None => format!(
                "Verified {}: signed by {} ({})\n",
                v.file.display(),
                v.bundle.identity,
                v.bundle.issuer
            ),
        })
        .collect();
    #[derive(serde::Serialize)]
    struct Document<'a> {
        verified: Vec<Verified<'a>>,
    }
    crate::report(json, &Document { verified }, &text)
}
