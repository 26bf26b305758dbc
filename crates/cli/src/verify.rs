//! `tagwright verify vX.Y.Z`: its arguments, and the report: a line per check.

use std::path::PathBuf;

use tagwright_release::VerifyOptions;

use crate::{Failure, out};

/// Arguments of `tagwright verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The release tag, such as v1.2.0.
    pub tag: String,
    #[command(flatten)]
    pub repo: crate::flows::RepoArg,
    /// The GitHub repository of the release (token: GITHUB_TOKEN or GH_TOKEN; API: GITHUB_API_URL).
    #[arg(long, value_name = "OWNER/REPO")]
    pub github: String,
    /// The allowed-signers file for the tag (default: git's gpg.ssh.allowedSignersFile).
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
    /// Who signed the chart, the image and the manifest (default: the repository's workflow that runs
    /// `tagwright publish`, from GitHub Actions). cosign's flags; give an identity and an issuer.
    #[command(flatten)]
    pub identity: crate::attest::IdentityArgs,
    /// The public key (`cosign.pub`) a release published with `publish --key` is signed with, instead
    /// of an identity. Repeatable: a signature by any of the keys counts.
    #[arg(long = "key", value_name = "PUB", conflicts_with = "identity_flags")]
    pub keys: Vec<PathBuf>,
    /// The trusted root (default: the public-good instance's, embedded).
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    #[command(flatten)]
    pub registry: crate::RegistryAccess,
    #[command(flatten)]
    pub http: crate::HttpTimeout,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `tagwright verify`: exit 0 when every check holds, 1 when one fails, 2 on bad input.
pub fn verify(args: &VerifyArgs) -> Result<(), Failure> {
    let github = crate::github_target(&args.github, &args.http)?;
    let overridden = [
        &args.identity.certificate_identity,
        &args.identity.certificate_identity_regexp,
        &args.identity.certificate_oidc_issuer,
        &args.identity.certificate_oidc_issuer_regexp,
    ]
    .iter()
    .any(|f| f.is_some());
    let identity = if overridden { Some(args.identity.identity()?) } else { None };
    let trusted_root = match &args.trusted_root {
        Some(path) => Some(
            String::from_utf8(crate::attest::read(path)?)
                .map_err(|_| Failure::input(format!("{}: not UTF-8", path.display())))?,
        ),
        None => None,
    };
    let mut options = VerifyOptions::new(&args.repo.repo, &args.tag, github);
    options.allowed_signers.clone_from(&args.allowed_signers);
    options.identity = identity;
    options.keys = crate::attest::read_public_keys(&args.keys)?;
    options.trusted_root = trusted_root;
    options.registry = args.registry.options();
    let report = tagwright_release::verify(&options)?;
    let failure = (!report.ok())
        .then(|| Failure::check(format!("{}: not verified: {}", report.tag, report.failed().join(", "))));
    if args.json {
        crate::document(if failure.is_some() { "failed" } else { "ok" }, &report)?;
    } else {
        let mut text = format!("{} (signatures by {})\n", report.tag, report.identity);
        for check in &report.checks {
            let mark = if check.ok { "ok  " } else { "FAIL" };
            text.push_str(&format!("  {mark} {}: {}\n", check.name, check.detail));
        }
        out(&text);
    }
    failure.map_or(Ok(()), Err)
}
