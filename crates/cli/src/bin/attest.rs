//! `attest`: release evidence: a CycloneDX SBOM of the locked dependencies, DSSE envelopes, and the
//! Trivy gate.
//!
//! Exit codes: 0 ok, 1 a check failed, 2 bad usage or input.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tagwright_cli::attest;
use tagwright_sbom::{SbomOptions, Spec};

const PROGRAM: &str = "attest";

/// Release evidence that others can verify.
#[derive(Debug, Parser)]
#[command(name = PROGRAM, version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// A CycloneDX SBOM of the locked dependencies (uv.lock or Cargo.lock), deterministic.
    Sbom {
        /// The project: any directory inside it. Its lock is the nearest uv.lock or Cargo.lock from DIR
        /// up to the repository's root (a monorepo's subproject has its own).
        #[arg(long, value_name = "DIR", default_value = ".", value_parser = tagwright_cli::project_dir)]
        repo: PathBuf,
        /// The lock file, relative to the project (default: uv.lock, else Cargo.lock).
        #[arg(long, value_name = "FILE")]
        lock: Option<PathBuf>,
        /// The CycloneDX version: 1.5 or 1.6.
        #[arg(long, default_value = "1.6")]
        spec: Spec,
        /// Leave out packages that only development groups pull in (otherwise: scope excluded).
        #[arg(long)]
        no_dev: bool,
        /// Write the SBOM here (atomically) instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// SLSA v1 provenance of the subjects, as an in-toto v1 Statement. Inside GitHub Actions, built
    /// from the job's verified OIDC ID token as actions/attest-build-provenance builds it.
    Provenance {
        /// A file (hashed), or NAME@sha256:HEX (an image, say). Repeatable.
        #[arg(long = "subject", value_name = "FILE|NAME@sha256:HEX", required = true)]
        subjects: Vec<String>,
        /// The repository (outside GitHub Actions: its HEAD commit is the resolved dependency).
        #[arg(long, value_name = "DIR", default_value = ".", value_parser = tagwright_cli::repo_dir)]
        repo: PathBuf,
        /// The OIDC issuer to trust (default: GitHub's, from GITHUB_SERVER_URL).
        #[arg(long, value_name = "URL")]
        oidc_issuer: Option<String>,
        /// Write the statement here (atomically) instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// DSSE envelopes: sign any payload, verify an envelope.
    #[command(subcommand)]
    Dsse(DsseCommand),
    /// Sign an OCI artifact by digest, with a key or keylessly, as cosign's `.sig` tag (a tag is
    /// resolved first).
    Sign {
        /// The artifact: HOST/REPO:TAG or HOST/REPO@sha256:….
        reference: String,
        /// cosign's key file (password: COSIGN_PASSWORD), or a PKCS#8 PEM ECDSA P-256 key.
        #[arg(long, value_name = "KEY", conflicts_with = "keyless")]
        key: Option<PathBuf>,
        #[command(flatten)]
        keyless: tagwright_cli::keyless::KeylessArgs,
        /// Keyless: `v0.3` writes the legacy `.sig` tag and cosign 3's bundle referrer (with the
        /// tag-schema fallback index where the registry has no referrers API); `legacy` only the tag.
        #[arg(long, value_enum, default_value = "v0.3")]
        bundle_format: tagwright_cli::keyless::BundleFormatArg,
        #[command(flatten)]
        registry: attest::RegistryArgs,
    },
    /// Sign a file into a Sigstore bundle v0.3 (`FILE.sigstore.json`, or --bundle): keylessly, or with
    /// --key.
    SignBlob {
        /// The file.
        file: PathBuf,
        /// Sign with this key instead (cosign's key file, password COSIGN_PASSWORD, or PKCS#8 PEM):
        /// a bundle with the key's hint and no log entry.
        #[arg(long, value_name = "KEY", conflicts_with_all = ["keyless", "identity_token", "fulcio_url", "rekor_url", "signing_config"])]
        key: Option<PathBuf>,
        #[command(flatten)]
        blob: tagwright_cli::keyless::BlobArgs,
    },
    /// Verify an OCI artifact's `.sig` signatures with a public key, or keyless ones with the
    /// identity flags; exit 1 naming the check that failed.
    Verify {
        /// The artifact: HOST/REPO:TAG or HOST/REPO@sha256:….
        reference: String,
        #[command(flatten)]
        trust: attest::TrustArgs,
        #[command(flatten)]
        registry: attest::RegistryArgs,
    },
    /// Attest an OCI artifact by digest with a key, as cosign's `.att` tag: a DSSE envelope of an
    /// in-toto statement whose subject is the digest.
    Attest {
        /// The artifact: HOST/REPO:TAG or HOST/REPO@sha256:….
        reference: String,
        /// The predicate (JSON); a whole in-toto statement gives its `predicate`.
        #[arg(long, value_name = "FILE")]
        predicate: PathBuf,
        /// slsaprovenance1, slsaprovenance, cyclonedx, spdxjson, custom, or a URI.
        #[arg(long = "type", value_name = "TYPE", default_value = "custom")]
        predicate_type: String,
        /// cosign's key file (password: COSIGN_PASSWORD), or a PKCS#8 PEM key.
        #[arg(long, value_name = "KEY", conflicts_with = "keyless")]
        key: Option<PathBuf>,
        #[command(flatten)]
        keyless: tagwright_cli::keyless::KeylessArgs,
        #[command(flatten)]
        registry: attest::RegistryArgs,
    },
    /// Attest a file keylessly: an in-toto statement whose subject is the file, in a DSSE envelope,
    /// into a Sigstore bundle v0.3 (`FILE.sigstore.json`, or --bundle).
    AttestBlob {
        /// The file.
        file: PathBuf,
        /// The predicate (JSON); a whole in-toto statement gives its `predicate`.
        #[arg(long, value_name = "FILE")]
        predicate: PathBuf,
        /// slsaprovenance1, slsaprovenance, cyclonedx, spdxjson, custom, or a URI.
        #[arg(long = "type", value_name = "TYPE", default_value = "custom")]
        predicate_type: String,
        #[command(flatten)]
        blob: tagwright_cli::keyless::BlobArgs,
    },
    /// Verify an OCI artifact's `.att` attestations with a public key, or keyless ones with the
    /// identity flags, and print the statements.
    VerifyAttestation {
        /// The artifact: HOST/REPO:TAG or HOST/REPO@sha256:….
        reference: String,
        #[command(flatten)]
        trust: attest::TrustArgs,
        /// Only attestations of this predicate type (the names `attest attest --type` takes).
        #[arg(long = "type", value_name = "TYPE")]
        predicate_type: Option<String>,
        #[command(flatten)]
        registry: attest::RegistryArgs,
    },
    /// Verify Sigstore bundles (v0.1-v0.3) over files, offline: keyless ones with cosign's identity
    /// flags, key-signed ones with `--key` (their log entry too, unless --insecure-ignore-tlog).
    VerifyBlob {
        /// The signed files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The bundle of the one file given (default: FILE.sigstore.json, else FILE.sigstore).
        #[arg(long, value_name = "FILE")]
        bundle: Option<PathBuf>,
        #[command(flatten)]
        trust: attest::TrustArgs,
        /// Print one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Write an encrypted ECDSA P-256 key pair as cosign does: PREFIX.key (password: COSIGN_PASSWORD)
    /// and PREFIX.pub.
    GenerateKeyPair {
        /// The files' names: PREFIX.key and PREFIX.pub.
        #[arg(long, value_name = "PREFIX", default_value = "cosign")]
        output_key_prefix: PathBuf,
    },
    /// Gate on a Trivy JSON report, filtered as Trivy filters it: exit 1 if any finding remains.
    TrivyGate {
        /// The report (`trivy … --format json`).
        report: PathBuf,
        /// The severities that count.
        #[arg(long, value_delimiter = ',', default_value = "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL")]
        severity: Vec<String>,
        /// Only vulnerabilities with a fixed version count.
        #[arg(long)]
        ignore_unfixed: bool,
        /// `.trivyignore` or `.trivyignore.yaml` (by its extension), as Trivy reads them.
        #[arg(long, value_name = "FILE", default_value = ".trivyignore")]
        ignorefile: PathBuf,
        /// How to print the findings that remain.
        #[arg(long, value_enum, default_value = "table")]
        format: tagwright_cli::gate::Format,
        /// The same as `--format json`.
        #[arg(long, conflicts_with = "format")]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum DsseCommand {
    /// Sign FILE's bytes into a DSSE envelope (JSON on stdout, or -o).
    Sign {
        /// The private key: cosign's key file (password: COSIGN_PASSWORD), or PKCS#8 PEM (Ed25519 or
        /// ECDSA P-256).
        #[arg(long, value_name = "KEY")]
        key: PathBuf,
        /// The payload's type.
        #[arg(long, default_value = "application/vnd.in-toto+json")]
        payload_type: String,
        /// The signature's keyid (default: securesystemslib's keyid of the key).
        #[arg(long)]
        keyid: Option<String>,
        /// The payload.
        file: PathBuf,
        /// Write the envelope here (atomically) instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Verify an envelope with one of the public keys; print its payload. Exit 1 when none verifies.
    Verify {
        /// A public key: SubjectPublicKeyInfo PEM, Ed25519 or ECDSA P-256 (repeatable).
        #[arg(long = "key", value_name = "PUB", required = true)]
        keys: Vec<PathBuf>,
        /// The envelope.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // With a JSON document asked for, a failure is a document too.
    let json = match &cli.command {
        Command::VerifyBlob { json, .. } => *json,
        Command::TrivyGate { format, json, .. } => *json || *format == tagwright_cli::gate::Format::Json,
        _ => false,
    };
    let result = match &cli.command {
        Command::Sbom { repo, lock, spec, no_dev, output } => {
            let mut options = SbomOptions::new(repo);
            options.lock.clone_from(lock);
            options.spec = *spec;
            options.no_dev = *no_dev;
            attest::write_sbom(&options, output.as_deref())
        }
        Command::Dsse(DsseCommand::Sign { key, payload_type, keyid, file, output }) => {
            attest::dsse_sign(key, payload_type, keyid.as_deref(), file, output.as_deref())
        }
        Command::Dsse(DsseCommand::Verify { keys, file }) => attest::dsse_verify(keys, file),
        Command::GenerateKeyPair { output_key_prefix } => attest::generate_key_pair(output_key_prefix),
        Command::Sign { reference, key, keyless, bundle_format, registry } => {
            attest::sign(reference, key.as_deref(), (keyless, *bundle_format), registry)
        }
        Command::SignBlob { file, key: Some(key), blob } => {
            attest::sign_blob_with_key(file, key, blob.bundle.as_deref(), blob.json)
        }
        Command::SignBlob { file, key: None, blob } => tagwright_cli::keyless::sign_blob(file, blob),
        Command::VerifyBlob { files, bundle, trust, json } => {
            attest::verify_blob(files, bundle.as_deref(), trust, *json)
        }
        Command::Attest { reference, predicate, predicate_type, key, keyless, registry } => {
            attest::attest(reference, predicate, predicate_type, key.as_deref(), keyless, registry)
        }
        Command::AttestBlob { file, predicate, predicate_type, blob } => {
            tagwright_cli::keyless::attest_blob(file, predicate, predicate_type, blob)
        }
        Command::VerifyAttestation { reference, trust, predicate_type, registry } => {
            attest::verify_attestation(reference, predicate_type.as_deref(), trust, registry)
        }
        Command::Verify { reference, trust, registry } => attest::verify(reference, trust, registry),
        Command::Provenance { subjects, repo, oidc_issuer, output } => {
            attest::provenance(subjects, repo, oidc_issuer.as_deref(), output.as_deref())
        }
        Command::TrivyGate { report, severity, ignore_unfixed, ignorefile, format, json } => {
            let format = if *json { tagwright_cli::gate::Format::Json } else { *format };
            tagwright_cli::gate::run(PROGRAM, report, severity, *ignore_unfixed, ignorefile, format)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if json {
                tagwright_cli::json::print_failure_unless_printed(&failure);
            }
            failure.report(PROGRAM)
        }
    }
}
