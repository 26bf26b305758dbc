//! `attest`: release evidence: a CycloneDX SBOM of the locked dependencies.
//!
//! Exit codes: 0 ok, 1 a check failed, 2 bad usage or input.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tagwright_attest::sbom::{self, SbomError, SbomOptions, Spec};
use tagwright_cli::{Failure, out};

const PROGRAM: &str = "attest";

/// Release evidence that others can verify.
#[derive(Debug, Parser)]
#[command(name = PROGRAM, version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// A CycloneDX SBOM of the locked dependencies (uv.lock or Cargo.lock), deterministic.
    Sbom {
        /// The repository.
        #[arg(long, value_name = "DIR", default_value = ".")]
        repo: PathBuf,
        /// The lock file, relative to the repository (default: uv.lock, else Cargo.lock).
        #[arg(long, value_name = "FILE")]
        lock: Option<PathBuf>,
        /// The CycloneDX version: 1.5 or 1.6.
        #[arg(long, default_value = "1.6")]
        spec: Spec,
        /// Leave out packages that only development groups pull in (otherwise: scope excluded).
        #[arg(long)]
        no_dev: bool,
        /// Write the SBOM here (atomically) instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Sbom { repo, lock, spec, no_dev, output } => {
            let mut options = SbomOptions::new(repo);
            options.lock.clone_from(lock);
            options.spec = *spec;
            options.no_dev = *no_dev;
            write_sbom(&options, output.as_deref())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(PROGRAM),
    }
}

fn write_sbom(options: &SbomOptions, output: Option<&std::path::Path>) -> Result<(), Failure> {
    let bom = sbom::sbom(options).map_err(|e| match e {
        SbomError::Invalid(_) => Failure::check(e.to_string()),
        other => Failure::input(other.to_string()),
    })?;
    let text = sbom::to_json(&bom);
    match output {
        Some(path) => tagwright_fs::write_output(path, text.as_bytes())
            .map_err(|e| Failure::input(format!("{}: {e}", path.display()))),
        None => {
            out(&text);
            Ok(())
        }
    }
}
