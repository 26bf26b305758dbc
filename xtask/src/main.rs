//! `cargo xtask <flow>`: the runbook's flows, composed from tagwright's library crates.
//!
//! Every flow that works on a repository takes `--repo DIR` (default: the current directory), so the
//! same commands release any repository, this one included.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod cmd;
mod demo;
mod dist;
mod fuzz;
mod setup;
mod test;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tagwright_cli::{Failure, flows};

const PROGRAM: &str = "xtask";

/// tagwright's maintainer flows.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build an AdvisoryHub-shaped repository in a temporary directory and run the release flow on it.
    Demo(demo::Args),
    /// `tagwright bump` on this repository (or `--repo DIR`).
    Bump(flows::BumpArgs),
    /// Run ours and the peer tool on the same input and print the ratios: `checksum`, `notes`, `oci`.
    Bench(bench::Args),
    /// `tagwright release`: bump, re-sync, gate, notes, then an SSH-signed commit and tag.
    Release(flows::ReleaseArgs),
    /// `tagwright publish`: the gate, the notes, the image, the chart (signed), the evidence and the
    /// GitHub release.
    Publish(Box<flows::PublishArgs>),
    /// `tagwright verify`: every check of a published release.
    Verify(Box<tagwright_cli::verify::VerifyArgs>),
    /// `tagwright retag`: undo a release, in order.
    Retag(Box<tagwright_cli::retag::RetagArgs>),
    /// `tagwright docs-deploy`: a version's docs onto gh-pages, as mike lays them out.
    DocsDeploy(Box<tagwright_cli::docs::DocsDeployArgs>),
    /// Build what a release ships for one target: the archive, the wheel and checksums.txt.
    Dist(dist::Args),
    /// Run every cargo-fuzz target (or one) from its seeds: `fuzz [TARGET] [--time 10m]`.
    Fuzz(fuzz::Args),
    /// Install every missing test peer (Debian packages and Python tools).
    Setup(setup::Args),
    /// Install missing peers, then run fmt --check, clippy -D warnings and every test.
    Test(test::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Bump(args) => flows::bump(&args, PROGRAM).map(|()| ExitCode::SUCCESS).map_err(Into::into),
        Command::Bench(args) => bench::run(&args),
        Command::Dist(args) => dist::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Release(args) => {
            flows::release(&args, PROGRAM).map(|()| ExitCode::SUCCESS).map_err(Into::into)
        }
        Command::Publish(args) => {
            flows::publish(&args, PROGRAM).map(|()| ExitCode::SUCCESS).map_err(Into::into)
        }
        Command::Verify(args) => {
            tagwright_cli::verify::verify(&args).map(|()| ExitCode::SUCCESS).map_err(Into::into)
        }
        Command::Retag(args) => {
            tagwright_cli::retag::retag(&args).map(|()| ExitCode::SUCCESS).map_err(Into::into)
        }
        Command::DocsDeploy(args) => {
            tagwright_cli::docs::docs_deploy(&args, PROGRAM).map(|()| ExitCode::SUCCESS).map_err(Into::into)
        }
        Command::Fuzz(args) => fuzz::run(&args),
        Command::Setup(args) => setup::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Test(args) => test::run(&args),
    };
    result.unwrap_or_else(|err| Failure::from(err).report(PROGRAM))
}

/// A failed check or step (exit 1), as opposed to bad input (exit 2).
pub(crate) fn check_failed(message: impl Into<String>) -> anyhow::Error {
    Failure::check(message).into()
}
