//! The `tagwright` command's flows (`bump`, `release`, `publish`): arguments, and the progress and
//! reports of [`tagwright_release`] rendered as text or JSON. `cargo xtask` uses the same code, so its
//! aliases behave exactly as the installed command does.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tagwright_oci_publish::Target;
use tagwright_oci_publish::manifest::Platform;
use tagwright_release::{
    BumpOptions, BumpReport, Event, Events, PublishOptions, ReleaseOptions, ReleaseReport, RemoteState,
    Resync,
};

use crate::{Failure, out};

/// The `--repo DIR` option every flow takes.
#[derive(Debug, clap::Args)]
pub struct RepoArg {
    /// The repository to work on: any directory inside it (its root is found as git finds it).
    #[arg(long, value_name = "DIR", default_value = ".", value_parser = crate::repo_dir)]
    pub repo: PathBuf,
}

/// The new version and the repository of a flow that rewrites versions, and `--dry-run`.
#[derive(Debug, clap::Args)]
pub struct VersionChange {
    /// The new version, as SemVer (1.2.0-rc.1) or PEP 440 (1.2.0rc1).
    #[arg(value_name = "X.Y.Z")]
    pub version: String,
    #[command(flatten)]
    pub repo: RepoArg,
    /// Show what would change (the plan and the diff; for a release, the notes too); change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl VersionChange {
    /// The version, parsed as a user types it.
    fn version(&self) -> Result<tagwright_versions::Version, Failure> {
        Ok(tagwright_release::parse_version(&self.version)?)
    }
}

/// Arguments of `tagwright bump`.
#[derive(Debug, clap::Args)]
pub struct BumpArgs {
    #[command(flatten)]
    pub change: VersionChange,
    /// Allow a version lower than or equal to the current one.
    #[arg(long)]
    pub allow_downgrade: bool,
    /// Bump sources that disagree today, each to the new version (refused by default: the
    /// disagreement is named, with the tagwright.toml that would select the release's sources).
    #[arg(long)]
    pub allow_mismatch: bool,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `tagwright release`.
#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    #[command(flatten)]
    pub change: VersionChange,
    /// Verify the key before signing, and both signatures after, against this allowed-signers file.
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
    /// The branch releases are cut from (default: `[release] branch` in tagwright.toml, else main).
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
    /// The uv that checks the lock (default: `uv` on PATH; without one, the release is refused).
    #[arg(long, value_name = "PATH")]
    pub uv: Option<PathBuf>,
    /// Release without `uv lock --check` (tagwright then checks only uv.lock's root entry).
    #[arg(long)]
    pub no_lock_check: bool,
    /// Bump sources that disagree today, each to the new version.
    #[arg(long)]
    pub allow_mismatch: bool,
    /// Tag HEAD as it is, with no bump and no commit: every source must already record X.Y.Z (the
    /// version was bumped in a pull request). Chosen by itself when every source records it.
    #[arg(long)]
    pub no_bump: bool,
    /// The remote asked before signing (its branch and tag) and named in the push command.
    #[arg(long, value_name = "NAME", default_value = "origin")]
    pub remote: String,
    /// Do not ask the remote (the push may then meet a moved branch or an existing tag).
    #[arg(long)]
    pub offline: bool,
    /// Print the report as JSON (progress goes to stderr).
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `tagwright publish`.
#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub repo: RepoArg,
    /// Where charts go: `oci://host/namespace` (the chart lands at `<namespace>/<name>:<version>`) or
    /// `oci-layout:DIR`.
    #[arg(long = "registry", alias = "charts", value_name = "OCI_REF")]
    pub charts: String,
    /// The release image's repository, such as ghcr.io/org/advisoryhub; its tag is the chart's appVersion.
    #[arg(long, value_name = "HOST/REPO")]
    pub image: String,
    /// The release tag the versions must match, such as v1.2.0.
    #[arg(long)]
    pub tag: Option<String>,
    /// Platforms the image must offer, such as linux/amd64,linux/arm64.
    #[arg(long, value_delimiter = ',', value_name = "OS/ARCH")]
    pub platform: Vec<Platform>,
    /// How long to wait for the image.
    #[arg(long, default_value = "20m", value_parser = crate::parse_duration)]
    pub timeout: Duration,
    /// The first delay between checks for the image.
    #[arg(long, default_value = "1s", value_parser = crate::parse_duration)]
    pub interval: Duration,
    #[command(flatten)]
    pub registry: crate::RegistryAccess,
    /// The GitHub repository to make the release in (token: GITHUB_TOKEN or GH_TOKEN; API:
    /// GITHUB_API_URL). Needs --tag.
    #[arg(long, value_name = "OWNER/REPO")]
    pub github: Option<String>,
    /// Another file to attach to the release (repeatable).
    #[arg(long = "asset", value_name = "FILE")]
    pub assets: Vec<std::path::PathBuf>,
    #[command(flatten)]
    pub http: crate::HttpTimeout,
    /// Replace release assets whose bytes differ, instead of refusing.
    #[arg(long)]
    pub replace: bool,
    /// The old spelling of `--keyless`: `--sign keyless`.
    #[arg(long, value_parser = ["keyless"], conflicts_with = "key", hide = true)]
    pub sign: Option<String>,
    /// Sign the chart and the release manifest with this cosign key (password: COSIGN_PASSWORD).
    #[arg(long, value_name = "KEY")]
    pub key: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub keyless: crate::keyless::KeylessArgs,
    /// Check the gate and the image, package the chart, plan the GitHub release, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON (progress goes to stderr).
    #[arg(long)]
    pub json: bool,
}

/// Renders flow events as the progress lines a terminal shows; on stderr when stdout carries JSON.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    program: &'static str,
    to_stderr: bool,
}

impl Progress {
    /// Progress of `program`, on stderr when `to_stderr` (stdout then carries one JSON document).
    pub fn new(program: &'static str, to_stderr: bool) -> Progress {
        Progress { program, to_stderr }
    }

    fn say(&self, text: &str) {
        if self.to_stderr {
            eprint!("{text}");
        } else {
            out(text);
        }
    }
}

impl Events for Progress {
    fn event(&self, event: &Event<'_>) {
        let text = match event {
            Event::Step(step) => format!("\n[{}/{}] {}\n", step.index, step.total, step.name),
            Event::Recovered(recovery) => {
                eprintln!("{}: note: {recovery}", self.program);
                return;
            }
            Event::Preflight { branch, tag, version, fingerprint, key_source, remote } => {
                let remote = match remote {
                    RemoteState::Checked { remote, .. } => {
                        format!("here and on {remote}, and {branch} is not behind {remote}/{branch}")
                    }
                    RemoteState::NotChecked { reason } => {
                        format!("here (the remote was not checked: {reason}; the push may still fail)")
                    }
                    _ => String::new(),
                };
                format!(
                    "branch {branch}, clean tree, tag {tag} is free {remote}, {version} is newer than the last release; signing key {fingerprint} ({key_source})\n"
                )
            }
            Event::Planned(plan) => describe(plan),
            Event::Resynced(Resync::NoLock) => "no uv.lock: nothing to re-sync\n".to_owned(),
            Event::Resynced(Resync::Uv { program }) => {
                format!("uv lock --check --offline ({program}): the lock agrees with pyproject.toml\n")
            }
            Event::Resynced(Resync::OwnCheck { file, line, value }) => format!(
                "--no-lock-check: uv did not check the lock; tagwright checked only its root entry: {file}:{line} records {value}\n"
            ),
            Event::Gated { sources, version, tag: Some(tag) } => {
                format!("ok: {sources} sources agree on {version} and match {tag}\n")
            }
            Event::Gated { sources, version, tag: None } => {
                format!("ok: {sources} sources agree on {version}\n")
            }
            Event::Notes(notes) => (*notes).to_owned(),
            Event::Committed { commit, subject } => format!("{} {subject}\n", short(commit)),
            Event::Tagged { tag, commit } => {
                format!("{tag} -> {} (annotated, signed, carries the notes)\n", short(commit))
            }
            Event::Verified { commit, tag } => format!(
                "{}tag:    good signature by {} ({})\n",
                commit
                    .map(|c| format!("commit: good signature by {} ({})\n", c.principal, c.fingerprint))
                    .unwrap_or_default(),
                tag.principal,
                tag.fingerprint
            ),
            Event::VerificationSkipped => {
                "skipped: pass --allowed-signers FILE to verify both signatures before pushing\n".to_owned()
            }
            Event::Retry { what, attempt, delay, reason } => {
                format!("  {reason}; retrying {what} (attempt {attempt}) in {delay:.1?}\n")
            }
            Event::Waiting { reference, attempt, elapsed, next, state } => format!(
                "  waiting for {reference}: {state} (check {attempt}, {}s elapsed); next check in {next:.0?}\n",
                elapsed.as_secs()
            ),
            Event::ImageReady { reference, digest } => format!("  ok: {reference} is {digest}\n"),
            Event::Note(message) => format!("  {message}\n"),
            _ => return,
        };
        self.say(&text);
    }
}

fn short(id: &str) -> &str {
    id.get(..7).unwrap_or(id)
}

/// One line per changed value: `file:line field old -> new`.
pub fn describe(plan: &tagwright_versions::bump::Plan) -> String {
    let mut text = String::new();
    for file in &plan.files {
        for change in &file.changes {
            text.push_str(&format!(
                "{}:{}: {} {} -> {}\n",
                file.path, change.line, change.field, change.from, change.to
            ));
        }
    }
    text
}

/// `tagwright bump`.
pub fn bump(args: &BumpArgs, program: &'static str) -> Result<(), Failure> {
    let mut options = BumpOptions::new(&args.change.repo.repo, args.change.version()?);
    options.dry_run = args.change.dry_run;
    options.allow_downgrade = args.allow_downgrade;
    options.allow_mismatch = args.allow_mismatch;
    // The plan prints from the report, so the JSON document is the only thing on stdout.
    let report: BumpReport =
        tagwright_release::bump(&options, Arc::new(Progress::new(program, true))).map_err(Failure::from)?;
    if args.json {
        return crate::json::print("ok", &report);
    }
    out(&describe(&report.plan));
    if report.dry_run {
        out(&report.plan.diff());
        out("dry run: nothing was written\n");
    } else {
        out(&format!(
            "bumped {} file(s) from {} to {}\n",
            report.plan.files.len(),
            report.plan.current,
            report.plan.new
        ));
    }
    Ok(())
}

/// `tagwright release`.
pub fn release(args: &ReleaseArgs, program: &'static str) -> Result<(), Failure> {
    let change = &args.change;
    let mut options = ReleaseOptions::new(&change.repo.repo, change.version()?);
    options.dry_run = change.dry_run;
    options.allowed_signers.clone_from(&args.allowed_signers);
    options.branch.clone_from(&args.branch);
    options.uv.clone_from(&args.uv);
    options.allow_mismatch = args.allow_mismatch;
    options.no_bump = args.no_bump;
    options.no_lock_check = args.no_lock_check;
    options.remote = (!args.offline).then(|| args.remote.clone());
    let report: ReleaseReport =
        tagwright_release::release(&options, Arc::new(Progress::new(program, args.json)))?;
    if args.json {
        return crate::json::print("ok", &report);
    }
    let tag = &report.tag;
    if report.dry_run {
        out(&report.plan.diff());
        if report.bumped {
            out(&format!("\n[dry run] would gate on {tag}, and sign this commit and tag:\n"));
            out(&format!("  commit: chore(release): {tag}  ({} file(s))\n", report.plan.files.len()));
        } else {
            out(&format!("\n[dry run] would gate on {tag}, and sign this tag on HEAD (no commit):\n"));
        }
        out(&format!("  tag:    {tag}, carrying these notes:\n\n{}", report.notes));
        out("\ndry run: nothing was changed\n");
        return Ok(());
    }
    out(&review(&report, &change.repo.repo, &args.remote, args.allowed_signers.as_deref()));
    Ok(())
}

/// The release flow's last step: the commands that review the release and push what it made (the
/// branch and the tag at once; the tag alone when nothing was committed).
pub fn review(
    report: &ReleaseReport,
    repo: &std::path::Path,
    remote: &str,
    allowed_signers: Option<&std::path::Path>,
) -> String {
    let allowed_flag = allowed_signers
        .map(|p| format!("-c gpg.ssh.allowedSignersFile={} ", p.display()))
        .unwrap_or_default();
    let (what, push) = if report.bumped {
        ("both at once", format!("push --atomic {remote} {} {}", report.branch, report.tag))
    } else {
        ("the tag (no commit was made, so the branch needs no push)", format!("push {remote} {}", report.tag))
    };
    format!(
        "nothing was pushed. Review, then push {what}:\n  git -C {dir} show --stat {tag}\n  git -C {dir} {allowed_flag}verify-tag {tag}\n  git -C {dir} {push}\n",
        tag = report.tag,
        dir = repo.display()
    )
}

/// `tagwright publish`.
pub fn publish(args: &PublishArgs, program: &'static str) -> Result<(), Failure> {
    crate::remove_temporary_files_on_signals();
    let charts = Target::parse(&args.charts).map_err(|e| Failure::input(e.to_string()))?;
    let mut options = PublishOptions::new(&args.repo.repo, charts, &args.image);
    options.tag.clone_from(&args.tag);
    options.platforms.clone_from(&args.platform);
    options.timeout = args.timeout;
    options.interval = args.interval;
    options.dry_run = args.dry_run;
    options.registry = args.registry.options();
    options.extra_assets.clone_from(&args.assets);
    options.replace = args.replace;
    options.sign = match (&args.sign, &args.key) {
        (Some(_), _) => Some(args.keyless.release_signing()?),
        (None, Some(path)) => Some(tagwright_release::Signing::Key {
            path: path.clone(),
            password: std::env::var_os("COSIGN_PASSWORD").map(|p| p.into_encoded_bytes()),
        }),
        (None, None) if args.keyless.keyless => Some(args.keyless.release_signing()?),
        (None, None) => None,
    };
    options.github = args.github.as_deref().map(|g| crate::github_target(g, &args.http)).transpose()?;
    let report = tagwright_release::publish(&options, Arc::new(Progress::new(program, args.json)))?;
    if args.json {
        return crate::json::print("ok", &report);
    }
    let chart = &report.chart;
    let verb = if chart.dry_run {
        "would push"
    } else if chart.unchanged {
        "unchanged"
    } else {
        "pushed"
    };
    out(&format!("  {verb} {} {}\n", chart.reference, chart.digest));
    if let Some(signature) = &report.chart_signature {
        let state = if signature.already_signed { "already signed" } else { "signed" };
        out(&format!("  {state}: {}\n", signature.signature));
    }
    for asset in &report.assets {
        out(&format!("  asset {} {} ({} bytes)\n", asset.name, asset.digest, asset.size));
    }
    if let Some(github) = &report.github {
        let url = github.html_url.as_deref().unwrap_or("(to be created)");
        let state = if github.up_to_date {
            "up to date: nothing to do".to_owned()
        } else {
            let would = if chart.dry_run { "would " } else { "" };
            format!(
                "{would}{}upload {}, replace {}, skip {}{}",
                if github.created { "create it, " } else { "" },
                github.uploaded.len(),
                github.replaced.len(),
                github.skipped.len(),
                if github.published { ", publish it" } else { "" }
            )
        };
        out(&format!("  GitHub release {url}: {state}\n"));
    }
    Ok(())
}
