//! `tagwright retag vX.Y.Z`: its arguments, and the plan it prints.

use tagwright_release::RetagOptions;

use crate::{Failure, out};

/// Arguments of `tagwright retag`.
#[derive(Debug, clap::Args)]
pub struct RetagArgs {
    /// The release tag to undo, such as v1.2.0.
    pub tag: String,
    #[command(flatten)]
    pub repo: crate::flows::RepoArg,
    /// The GitHub repository: its release and remote tag are deleted (token: GITHUB_TOKEN or
    /// GH_TOKEN; API: GITHUB_API_URL).
    #[arg(long, value_name = "OWNER/REPO")]
    pub github: Option<String>,
    /// Where the chart was pushed: `oci://host/namespace`; its version is deleted.
    #[arg(long, value_name = "OCI_REF")]
    pub charts: Option<String>,
    /// The release image's repository; its appVersion tag is deleted.
    #[arg(long, value_name = "HOST/REPO")]
    pub image: Option<String>,
    #[command(flatten)]
    pub registry: crate::RegistryAccess,
    #[command(flatten)]
    pub http: crate::HttpTimeout,
    /// Print the ordered plan, delete nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `tagwright retag`.
pub fn retag(args: &RetagArgs) -> Result<(), Failure> {
    let mut options = RetagOptions::new(&args.repo.repo, &args.tag);
    options.github = args.github.as_deref().map(|g| crate::github_target(g, &args.http)).transpose()?;
    options.charts.clone_from(&args.charts);
    options.image.clone_from(&args.image);
    options.registry = args.registry.options();
    options.dry_run = args.dry_run;
    let report = tagwright_release::retag(&options)?;
    if args.json {
        return crate::json::print("ok", &report);
    }
    let mut text = String::new();
    for warning in &report.warnings {
        eprintln!("tagwright: warning: {warning}");
    }
    for (index, step) in report.steps.iter().enumerate() {
        text.push_str(&format!("  {}. {}: {}\n", index + 1, step.action, step.state));
    }
    if report.nothing_to_do {
        text.push_str(&format!("nothing to do: {} is already gone everywhere\n", args.tag));
    }
    out(&text);
    Ok(())
}
