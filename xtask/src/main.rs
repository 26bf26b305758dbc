//! `cargo xtask <flow>`: the runbook's flows, composed from tagwright's library crates.
//!
//! Every flow that works on a repository takes `--repo DIR` (default: the current directory), so the
//! same commands release any repository, this one included.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod bump;
mod cmd;
mod demo;
mod fuzz;
mod publish;
mod release;
mod setup;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    /// Rewrite every recorded version to X.Y.Z, keeping each file's formatting; all files or none.
    Bump(bump::Args),
    /// Run ours and the peer tool on the same input and print the ratios: `checksum`, `notes`, `oci`.
    Bench(bench::Args),
    /// Cut a release: bump, re-sync, gate, notes, then an SSH-signed commit and tag. Pushes nothing.
    Release(release::Args),
    /// Publish a release's chart: the version gate, wait for the release image, then push the chart.
    Publish(publish::Args),
    /// Run every cargo-fuzz target (or one) from its seeds: `fuzz [TARGET] [--time 10m]`.
    Fuzz(fuzz::Args),
    /// Install every missing test peer (Debian packages and Python tools).
    Setup(setup::Args),
    /// Install missing peers, then run fmt --check, clippy -D warnings and every test.
    Test(test::Args),
}

/// The `--repo DIR` option shared by every flow.
#[derive(Debug, clap::Args)]
pub(crate) struct RepoArg {
    /// The repository to work on.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub(crate) repo: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Bump(args) => bump::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Release(args) => release::run(&args),
        Command::Publish(args) => publish::run(&args),
        Command::Fuzz(args) => fuzz::run(&args),
        Command::Setup(args) => setup::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Test(args) => test::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            let code = err.downcast_ref::<Failure>().map_or(tagwright_cli::exit::USAGE, |f| f.code);
            tagwright_cli::fail("xtask", &err, code)
        }
    }
}

/// An error that carries its exit code (default for other errors: 2, bad usage or input).
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// A failed check or step (exit 1), as opposed to bad input (exit 2).
pub(crate) fn check_failed(message: impl Into<String>) -> anyhow::Error {
    Failure { code: tagwright_cli::exit::CHECK_FAILED, message: message.into() }.into()
}
