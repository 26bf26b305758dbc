//! `cargo xtask bump X.Y.Z`: the lockstep bump.

use std::process::ExitCode;

use anyhow::{Context, Result};
use tagwright_cli::out;
use tagwright_versions::{Version, bump};

use crate::{RepoArg, check_failed};

/// Arguments of `cargo xtask bump`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The new version, as SemVer (1.2.0-rc.1) or PEP 440 (1.2.0rc1).
    #[arg(value_name = "X.Y.Z")]
    version: String,
    #[command(flatten)]
    repo: RepoArg,
    /// Print the unified diff and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Allow a version lower than or equal to the current one.
    #[arg(long)]
    allow_downgrade: bool,
    /// Print the plan as JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let new = parse_version(&args.version)?;
    // A dry run writes nothing, recovery included: with a journal there, reading says what to do.
    if !args.dry_run {
        recover(&args.repo.repo)?;
    }
    let inventory = tagwright_versions::read(&args.repo.repo)?;
    let options = bump::BumpOptions::default().allow_downgrade(args.allow_downgrade);
    let plan = bump::plan(&inventory, &new, &options)?;
    if args.json {
        let doc = serde_json::json!({ "schema_version": 1, "dry_run": args.dry_run, "plan": &plan });
        out(&format!("{}\n", serde_json::to_string_pretty(&doc).context("serialize the plan")?));
    } else {
        out(&describe(&plan));
    }
    if args.dry_run {
        if !args.json {
            out(&plan.diff());
            out("dry run: nothing was written\n");
        }
        return Ok(ExitCode::SUCCESS);
    }
    plan.apply().map_err(|e| check_failed(format!("bump to {new} failed: {e}")))?;
    if !args.json {
        out(&format!("bumped {} file(s) from {} to {new}\n", plan.files.len(), plan.current));
    }
    Ok(ExitCode::SUCCESS)
}

/// Finishes or undoes a bump that was killed half-way in `repo`, and says which.
pub(crate) fn recover(repo: &std::path::Path) -> Result<()> {
    if let Some(recovery) = tagwright_versions::recover(repo)? {
        eprintln!("xtask: note: {recovery}");
    }
    Ok(())
}

/// Parses the version a user typed: SemVer first, then PEP 440; three release components required.
pub(crate) fn parse_version(text: &str) -> Result<Version> {
    if let Some(bare) = text.strip_prefix(['v', 'V'])
        && bare.starts_with(|c: char| c.is_ascii_digit())
    {
        anyhow::bail!(
            "`{text}`: the `v` belongs to the tag, not the version: give {bare} (the tag becomes {text})"
        );
    }
    let version =
        Version::parse_semver(text).or_else(|_| Version::parse_pep440(text)).with_context(|| {
            format!("`{text}` is not a version (expected X.Y.Z, such as 1.2.0 or 1.2.0-rc.1)")
        })?;
    let release = text.split(|c: char| !(c.is_ascii_digit() || c == '.')).next().unwrap_or_default();
    anyhow::ensure!(
        release.trim_end_matches('.').split('.').count() == 3,
        "`{text}` must have three release components (X.Y.Z)"
    );
    Ok(version)
}

/// One line per changed value: `file:line field old -> new`.
pub(crate) fn describe(plan: &bump::Plan) -> String {
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
