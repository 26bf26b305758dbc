//! `tagwright`: the release runbook's flows on any repository: `bump`, `release`, `publish`,
//! `verify`, `retag`, `docs-deploy`, `github-release` and `doctor`.
//!
//! Exit codes: 0 ok, 1 a check or step failed, 2 bad usage or input, 3 a wait timed out. With
//! `--json`, a failure is a document too (`status: error`), unless the command printed its report.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tagwright_cli::flows;

const PROGRAM: &str = "tagwright";

/// One signed git tag `vX.Y.Z` becomes a complete, verifiable release.
#[derive(Debug, Parser)]
#[command(name = PROGRAM, version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Rewrite every recorded version to X.Y.Z, keeping each file's formatting; all files or none.
    Bump(flows::BumpArgs),
    /// Cut a release: bump, re-sync, gate, notes, then an SSH-signed commit and tag. Pushes nothing.
    Release(flows::ReleaseArgs),
    /// Publish a release: the version gate, the notes, wait for the release image, push (and sign)
    /// the chart, the evidence (SBOM, release manifest, checksums) and the GitHub release. Re-runnable.
    Publish(Box<flows::PublishArgs>),
    /// Verify a published release: the signed tag, the versions at the tag, the release manifest
    /// and its signature, the checksums, the SBOM, the chart and the image and their signatures.
    Verify(Box<tagwright_cli::verify::VerifyArgs>),
    /// Undo a release, in order: the GitHub release, the remote and local tags, the image and the
    /// chart with their signatures. `--dry-run` prints the plan; a re-run finishes a half-done one.
    Retag(Box<tagwright_cli::retag::RetagArgs>),
    /// Deploy a version's docs to the docs branch as mike lays it out: `X.Y.Z/`, aliases,
    /// versions.json, the root redirect. Touches no other version, and never the work tree.
    DocsDeploy(Box<tagwright_cli::docs::DocsDeployArgs>),
    /// Check the whole setup before a release, one line per check with its fix: git's SSH signing,
    /// the branch and the remote, uv and the lock, the version sources, the notes; with --publish,
    /// the registry, the GitHub token and the OIDC token. Exit 0 when a release would succeed.
    Doctor(Box<tagwright_cli::doctor::DoctorArgs>),
    /// Create or finish a GitHub release with the given notes and files only (for a release with no
    /// chart): reconciled, so a re-run uploads only what is missing.
    GithubRelease(Box<tagwright_cli::github_release::GithubReleaseArgs>),
}

fn main() -> ExitCode {
    // clap exits 2 on bad usage, and 0 for --help and --version.
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Bump(args) => flows::bump(args, PROGRAM),
        Command::Release(args) => flows::release(args, PROGRAM),
        Command::Publish(args) => flows::publish(args, PROGRAM),
        Command::Verify(args) => tagwright_cli::verify::verify(args),
        Command::Retag(args) => tagwright_cli::retag::retag(args),
        Command::DocsDeploy(args) => tagwright_cli::docs::docs_deploy(args, PROGRAM),
        Command::Doctor(args) => tagwright_cli::doctor::doctor(args),
        Command::GithubRelease(args) => tagwright_cli::github_release::github_release(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if cli.command.json() {
                tagwright_cli::json::print_failure_unless_printed(&failure);
            }
            failure.report(PROGRAM)
        }
    }
}

impl Command {
    /// Whether `--json` was asked for: a failure is then a document too.
    fn json(&self) -> bool {
        match self {
            Command::Bump(args) => args.json,
            Command::Release(args) => args.json,
            Command::Publish(args) => args.json,
            Command::Verify(args) => args.json,
            Command::Retag(args) => args.json,
            Command::DocsDeploy(args) => args.json,
            Command::Doctor(args) => args.json,
            Command::GithubRelease(args) => args.json,
        }
    }
}
