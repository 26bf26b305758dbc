//! `tagwright doctor`: its arguments, and its report: one line per check, each failure with its fix.

use std::path::PathBuf;

use tagwright_oci_publish::Target;
use tagwright_release::{DoctorOptions, PublishSetup};

use crate::{Failure, out};

/// Arguments of `tagwright doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub repo: crate::flows::RepoArg,
    /// The release branch (default: `[release] branch` in tagwright.toml, else main).
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
    /// The remote a release is pushed to.
    #[arg(long, value_name = "NAME", default_value = "origin")]
    pub remote: String,
    /// Do not ask the remote.
    #[arg(long)]
    pub offline: bool,
    /// The uv that checks the lock (default: `uv` on PATH).
    #[arg(long, value_name = "PATH")]
    pub uv: Option<PathBuf>,
    /// Check what `tagwright publish` needs too: the registry (--registry) with its credentials,
    /// the GitHub token's access (--github), and an OIDC token in GitHub Actions.
    #[arg(long)]
    pub publish: bool,
    /// Where charts go, as publish takes it: oci://HOST/NAMESPACE. Also `--charts`.
    #[arg(long, alias = "charts", value_name = "OCI_REF", requires = "publish")]
    pub registry: Option<String>,
    /// The GitHub repository of the release, as publish takes it (token: GITHUB_TOKEN or GH_TOKEN).
    #[arg(long, value_name = "OWNER/REPO", requires = "publish")]
    pub github: Option<String>,
    #[command(flatten)]
    pub access: crate::RegistryAccess,
    #[command(flatten)]
    pub http: crate::HttpTimeout,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `tagwright doctor`: exit 0 when a release would succeed, 1 when a check fails, 2 on bad input.
pub fn doctor(args: &DoctorArgs) -> Result<(), Failure> {
    let mut options = DoctorOptions::new(&args.repo.repo);
    options.branch.clone_from(&args.branch);
    options.remote = (!args.offline).then(|| args.remote.clone());
    options.uv.clone_from(&args.uv);
    if args.publish {
        let mut setup = PublishSetup::default();
        setup.charts = args
            .registry
            .as_deref()
            .map(|r| Target::parse(r).map_err(|e| Failure::input(format!("--registry {r}: {e}"))))
            .transpose()?;
        setup.registry = args.access.options();
        setup.github = args.github.as_deref().map(|g| crate::github_target(g, &args.http)).transpose()?;
        setup.actions_env =
            ["GITHUB_ACTIONS", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
                .iter()
                .filter_map(|name| Some((name.to_string(), std::env::var(name).ok()?)))
                .collect();
        options.publish = Some(setup);
    }
    let report = tagwright_release::doctor(&options)?;
    let failed: Vec<&str> = report.checks.iter().filter(|c| !c.ok).map(|c| c.name.as_str()).collect();
    let failure = (!failed.is_empty())
        .then(|| Failure::check(format!("a release would fail here: {}", failed.join(", "))));
    if args.json {
        crate::json::print(if failure.is_some() { "failed" } else { "ok" }, &report)?;
    } else {
        let mut text = format!("{}\n", report.repo);
        for check in &report.checks {
            text.push_str(&crate::check_line(check.ok, &check.name, &check.detail));
            if let Some(fix) = &check.fix {
                text.push_str(&format!("       fix: {fix}\n"));
            }
        }
        out(&text);
    }
    failure.map_or(Ok(()), Err)
}
