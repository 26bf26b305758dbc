//! `tagwright verify vX.Y.Z`: its arguments, and the report: a line per check.

use std::path::PathBuf;

use tagwright_release::{Artifact, VerifyOptions};
use tagwright_sigstore::bundle::{Identity, Matcher};

use crate::{Failure, out};

/// Arguments of `tagwright verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The release: OWNER/REPO@TAG (such as eclipse-csi/advisoryhub@v1.2.0), read through GitHub's
    /// API with no clone; or TAG with --github, the tag and its files read from the clone at --repo.
    #[arg(value_name = "OWNER/REPO@TAG | TAG")]
    pub tag: String,
    #[command(flatten)]
    pub repo: crate::flows::RepoArg,
    /// The GitHub repository of the release, with TAG (token: GITHUB_TOKEN or GH_TOKEN, which only
    /// raises rate limits for a public repository; API: GITHUB_API_URL).
    #[arg(long, value_name = "OWNER/REPO")]
    pub github: Option<String>,
    /// The allowed-signers file for the tag (default: git's gpg.ssh.allowedSignersFile in a clone;
    /// without a clone and without it, GitHub's verdict on the signature is reported as GitHub's).
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
    /// Who signed every artifact (default: per artifact, the repository's workflow that signs it, from
    /// GitHub Actions). cosign's flags. An issuer alone keeps the derived identities, from that issuer.
    #[command(flatten)]
    pub identity: crate::attest::IdentityArgs,
    /// A regexp the manifest's signer matches, over the derived identity.
    #[arg(long, value_name = "REGEXP", conflicts_with = "keys")]
    pub manifest_identity: Option<String>,
    /// A regexp the chart's signer matches, over the derived identity.
    #[arg(long, value_name = "REGEXP", conflicts_with = "keys")]
    pub chart_identity: Option<String>,
    /// A regexp the image's signer matches, over the derived identity (say, the workflow that pushes
    /// the image).
    #[arg(long, value_name = "REGEXP", conflicts_with = "keys")]
    pub image_identity: Option<String>,
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
    let (tag, remote) = match args.tag.split_once('@') {
        Some((repo, tag)) if repo.contains('/') => (tag, Some(repo)),
        _ => (args.tag.as_str(), None),
    };
    let github = match (remote, &args.github) {
        (Some(repo), None) => crate::github_target(repo, &args.http)?,
        (None, Some(repo)) => crate::github_target(repo, &args.http)?,
        (Some(_), Some(_)) => {
            return Err(Failure::input("give OWNER/REPO@TAG, or TAG with --github OWNER/REPO; not both"));
        }
        (None, None) => {
            return Err(Failure::input(format!(
                "{tag}: which repository? Give OWNER/REPO@{tag} (no clone needed), or --github OWNER/REPO in a clone"
            )));
        }
    };
    let ids = &args.identity;
    let subject = ids.certificate_identity.is_some() || ids.certificate_identity_regexp.is_some();
    let issuer = ids.certificate_oidc_issuer.is_some() || ids.certificate_oidc_issuer_regexp.is_some();
    let identity = if subject { Some(ids.identity()?) } else { None };
    let issuer = match (subject, issuer) {
        (false, true) => Some(ids.issuer()?),
        _ => None,
    };
    let mut identity_for = Vec::new();
    for (artifact, pattern) in [
        (Artifact::Manifest, &args.manifest_identity),
        (Artifact::Chart, &args.chart_identity),
        (Artifact::Image, &args.image_identity),
    ] {
        let Some(pattern) = pattern else { continue };
        let subject = regex::Regex::new(pattern).map_err(|e| {
            Failure::input(format!("--{}-identity `{pattern}` is not a regexp: {e}", artifact.as_str()))
        })?;
        let issuer = match (&identity, &issuer) {
            (Some(identity), _) => identity.issuer.clone(),
            (None, Some(issuer)) => issuer.clone(),
            (None, None) => Matcher::Exact(tagwright_release::GITHUB_ISSUER.to_owned()),
        };
        identity_for.push((artifact, Identity { subject: Matcher::Regexp(subject), issuer }));
    }
    let trusted_root = match &args.trusted_root {
        Some(path) => Some(
            String::from_utf8(crate::artifact::read(path)?)
                .map_err(|_| Failure::input(format!("{}: not UTF-8", path.display())))?,
        ),
        None => None,
    };
    let mut options = match remote {
        Some(_) => VerifyOptions::remote(tag, github),
        None => VerifyOptions::new(&args.repo.repo, tag, github),
    };
    options.allowed_signers.clone_from(&args.allowed_signers);
    options.identity = identity;
    options.issuer = issuer;
    options.identity_for = identity_for;
    options.keys = crate::attest::read_public_keys(&args.keys)?;
    options.trusted_root = trusted_root;
    options.registry = args.registry.options();
    let report = tagwright_release::verify(&options)?;
    let failure = (!report.ok())
        .then(|| Failure::check(format!("{}: not verified: {}", report.tag, report.failed().join(", "))));
    if args.json {
        crate::json::print(if failure.is_some() { "failed" } else { "ok" }, &report)?;
    } else {
        let mut text = format!("{} (signatures by {})\n", report.tag, report.identity);
        for check in &report.checks {
            text.push_str(&crate::check_line(check.ok, &check.name, &check.detail));
        }
        out(&text);
    }
    failure.map_or(Ok(()), Err)
}
