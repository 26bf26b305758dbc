//! `cargo xtask publish`: the registry half of the runbook's Release workflow.
//!
//! The version gate (every recorded version agrees, and matches the tag when one is given), then a wait
//! for the release image `<image>:<appVersion>` (and its platforms), and only then the chart push, so
//! that a chart is never published without the image it deploys. A timeout exits 3 with nothing pushed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use tagwright_cli::out;
use tagwright_oci_publish::{
    Events, OciError, Platform, Publisher, RegistryOptions, Target, WaitOptions, WaitOutcome,
};
use tagwright_versions::{SourceKind, Status, check, read};

use crate::{Failure, RepoArg, check_failed};

/// Arguments of `cargo xtask publish`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    repo: RepoArg,
    /// Where charts go: `oci://host/namespace` (the chart lands at `<namespace>/<name>:<version>`) or
    /// `oci-layout:DIR`.
    #[arg(long, value_name = "OCI_REF")]
    charts: String,
    /// The release image's repository, such as ghcr.io/org/advisoryhub; its tag is the chart's appVersion.
    #[arg(long, value_name = "HOST/REPO")]
    image: String,
    /// The release tag the versions must match, such as v1.2.0.
    #[arg(long)]
    tag: Option<String>,
    /// Platforms the image must offer, such as linux/amd64,linux/arm64.
    #[arg(long, value_delimiter = ',', value_name = "OS/ARCH")]
    platform: Vec<Platform>,
    /// How long to wait for the image.
    #[arg(long, default_value = "20m", value_parser = tagwright_cli::parse_duration)]
    timeout: Duration,
    /// The first delay between checks for the image.
    #[arg(long, default_value = "1s", value_parser = tagwright_cli::parse_duration)]
    interval: Duration,
    /// Reach HOST over plain HTTP (loopback hosts always are, unless --ca-file is given).
    #[arg(long = "insecure-registry", value_name = "HOST")]
    insecure: Vec<String>,
    /// Trust the CA certificates in this PEM file.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// Check the gate and the image, package the chart, and push nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Waiting and retries as log lines.
struct Log;

impl Events for Log {
    fn retry(&self, what: &str, attempt: u32, delay: Duration, reason: &str) {
        out(&format!("  {reason}; retrying {what} (attempt {attempt}) in {delay:.1?}\n"));
    }

    fn waiting(&self, reference: &str, attempt: u32, elapsed: Duration, next: Duration, state: &str) {
        out(&format!(
            "  waiting for {reference}: {state} (check {attempt}, {}s elapsed); next check in {next:.0?}\n",
            elapsed.as_secs()
        ));
    }
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    tagwright_cli::remove_temporary_files_on_signals();
    let repo = &args.repo.repo;
    out("[1/3] version gate\n");
    let inventory = read(repo)?;
    let report = check(&inventory, args.tag.as_deref())?;
    if report.status != Status::Ok {
        return Err(check_failed(report.problems().join("\n")));
    }
    let version = report.expected.map(|v| v.to_string()).unwrap_or_default();
    out(&format!("  ok: {} sources agree on {version}\n", report.sources.len()));
    let chart = inventory
        .records
        .iter()
        .find(|r| r.kind == SourceKind::Chart && r.field == "version")
        .with_context(|| {
            format!("{}: no Chart.yaml records a version, so there is no chart to publish", repo.display())
        })?;
    let app_version = inventory
        .records
        .iter()
        .find(|r| r.kind == SourceKind::Chart && r.file == chart.file && r.field == "appVersion")
        .map_or_else(|| chart.value.clone(), |r| r.value.clone());
    let chart_dir =
        repo.join(&chart.file).parent().map(PathBuf::from).context("Chart.yaml has a directory")?;

    let mut options = RegistryOptions::default();
    options.insecure_hosts.clone_from(&args.insecure);
    options.ca_file.clone_from(&args.ca_file);
    let mut publisher = Publisher::new(options, Arc::new(Log));
    let image = Target::parse(&format!("{}:{app_version}", args.image))?;
    let charts = Target::parse(&args.charts)?;
    for target in [&image, &charts] {
        if let Target::Registry(r) = target
            && let Some(c) = tagwright_cli::registry_credentials(&r.host, None).map_err(anyhow::Error::msg)?
        {
            publisher = publisher.with_credentials(&r.host, c);
        }
    }

    out(&format!("[2/3] wait for the release image {image} (up to {:.0?})\n", args.timeout));
    let mut wait = WaitOptions::default();
    wait.timeout = args.timeout;
    wait.initial_interval = args.interval;
    wait.platforms.clone_from(&args.platform);
    match publisher.wait(&image, &wait).map_err(oci)? {
        WaitOutcome::Ready { digest, .. } => out(&format!("  ok: {image} is {digest}\n")),
        WaitOutcome::TimedOut { last, elapsed, .. } => {
            return Err(Failure {
                code: tagwright_cli::exit::TIMEOUT,
                message: format!(
                    "{image} was not ready after {elapsed:.0?} (last: {last}); the chart was not pushed, so no chart points at a missing image"
                ),
            }
            .into());
        }
    }

    out(&format!(
        "[3/3] {} the chart {} to {charts}\n",
        if args.dry_run { "package (dry run: not push)" } else { "package and push" },
        chart_dir.display()
    ));
    let pushed = publisher.push_chart(&chart_dir, &charts, args.dry_run).map_err(oci)?;
    let verb = if pushed.dry_run {
        "would push"
    } else if pushed.unchanged {
        "unchanged"
    } else {
        "pushed"
    };
    out(&format!("  {verb} {} {}\n", pushed.reference, pushed.digest));
    Ok(ExitCode::SUCCESS)
}

/// A registry failure exits 1; bad input (a reference, the chart) exits 2.
fn oci(err: OciError) -> anyhow::Error {
    let code =
        if err.is_input_error() { tagwright_cli::exit::USAGE } else { tagwright_cli::exit::CHECK_FAILED };
    Failure { code, message: tagwright_cli::error_chain(&err) }.into()
}
