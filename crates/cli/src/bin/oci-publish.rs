//! `oci-publish`: Helm charts and OCI artifacts in registries and OCI layouts: package, push, pull,
//! read a manifest, wait for an image, delete a version, copy.
//!
//! Exit codes: 0 ok, 1 a registry or content failure, 2 bad usage or input, 3 `wait` timed out.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tagwright_cli::{Failure, oci};
use tagwright_oci_publish::manifest::Platform;
use tagwright_oci_publish::{RegistryOptions, WaitOptions};

const PROGRAM: &str = "oci-publish";

/// Package, push and pull Helm charts; wait for, delete and copy OCI artifacts.
///
/// A reference is `oci://host[:port]/namespace` (chart push), `host[:port]/repo:tag`,
/// `host[:port]/repo@sha256:…`, or `oci-layout:DIR[:tag]` for an OCI image layout on disk.
#[derive(Debug, Parser)]
#[command(name = PROGRAM, version)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Args)]
struct Global {
    /// Reach HOST over plain HTTP (repeatable). Loopback hosts use plain HTTP unless --ca-file is given.
    #[arg(long = "insecure-registry", value_name = "HOST", global = true)]
    insecure: Vec<String>,
    /// Trust the CA certificates in this PEM file (and use TLS for loopback hosts too).
    #[arg(long, value_name = "FILE", global = true)]
    ca_file: Option<PathBuf>,
    /// Registry username (the password comes from --password-stdin).
    #[arg(long, value_name = "NAME", global = true, requires = "password_stdin")]
    username: Option<String>,
    /// Read the registry password or token from standard input.
    #[arg(long, global = true, requires = "username")]
    password_stdin: bool,
    /// Print one JSON document on stdout.
    #[arg(long, global = true)]
    json: bool,
    /// Upload blobs larger than this in chunks of this size (`64MiB`; `0` for one request per blob).
    #[arg(long, value_name = "SIZE", global = true, value_parser = parse_size)]
    chunk_size: Option<u64>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Helm charts: package, push, pull.
    #[command(subcommand)]
    Chart(ChartCommand),
    /// Print a manifest and its digest.
    Manifest {
        /// The reference (with a tag or digest).
        reference: String,
    },
    /// Wait until a tag or digest exists (and, for an index, offers every required platform), then
    /// print its digest. Exits 3 on timeout.
    Wait {
        /// The reference (with a tag or digest).
        reference: String,
        /// Give up after this long (`20m`, `90s`, `1h30m`).
        #[arg(long, default_value = "20m", value_parser = tagwright_cli::parse_duration)]
        timeout: Duration,
        /// Platforms an index must offer, such as linux/amd64,linux/arm64.
        #[arg(long, value_delimiter = ',', value_name = "OS/ARCH[/VARIANT]")]
        platform: Vec<Platform>,
        /// The first delay between checks; each miss doubles it.
        #[arg(long, default_value = "1s", value_parser = tagwright_cli::parse_duration)]
        interval: Duration,
        /// The longest delay between checks.
        #[arg(long, default_value = "30s", value_parser = tagwright_cli::parse_duration)]
        max_interval: Duration,
    },
    /// Delete the version at a tag or digest (by digest: every tag naming it goes too), with its cosign
    /// signature tags. On ghcr.io this uses the GitHub Packages API (GITHUB_TOKEN).
    Delete {
        /// The reference (with a tag or digest).
        reference: String,
        /// Say what would be deleted, and delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Copy an artifact (image, index, chart) between registries and OCI layouts.
    Copy {
        /// The source reference (with a tag or digest).
        source: String,
        /// The destination (its tag defaults to the source's).
        destination: String,
    },
}

#[derive(Debug, Subcommand)]
enum ChartCommand {
    /// Package a chart directory as <name>-<version>.tgz, reproducibly.
    Package {
        /// The chart directory (with Chart.yaml).
        chart_dir: PathBuf,
        /// Where to write the archive.
        #[arg(short = 'o', long = "output", value_name = "DIR", default_value = ".")]
        output: PathBuf,
    },
    /// Push a chart (a directory is packaged first) to oci://host/namespace or an OCI layout.
    Push {
        /// The chart directory or .tgz.
        chart: PathBuf,
        /// The namespace (`oci://host/ns`; the chart goes to `host/ns/<name>:<version>`) or a layout.
        remote: String,
        /// Package and compute digests, and send nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Pull a chart, checking media types and digests, as <name>-<version>.tgz.
    Pull {
        /// The reference (with a tag or digest).
        reference: String,
        /// Where to write the archive.
        #[arg(short = 'd', long = "destination", value_name = "DIR", default_value = ".")]
        destination: PathBuf,
    },
}

/// `64MiB`, `512KiB`, `1GiB`, or bytes.
fn parse_size(text: &str) -> Result<u64, String> {
    let bad = || format!("`{text}` is not a size: use forms like 64MiB, 512KiB or 1GiB");
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let number: u64 = number.parse().map_err(|_| bad())?;
    let factor = match unit {
        "" | "B" => 1,
        "KiB" | "K" => 1 << 10,
        "MiB" | "M" => 1 << 20,
        "GiB" | "G" => 1 << 30,
        _ => return Err(bad()),
    };
    number.checked_mul(factor).ok_or_else(bad)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tagwright_cli::remove_temporary_files_on_signals();
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => oci::fail(PROGRAM, &failure, cli.global.json),
    }
}

fn run(cli: &Cli) -> Result<u8, Failure> {
    let g = &cli.global;
    let explicit = match &g.username {
        Some(username) if g.password_stdin => Some(oci::credentials_from_stdin(username)?),
        _ => None,
    };
    let mut options = RegistryOptions::default();
    options.insecure_hosts.clone_from(&g.insecure);
    options.ca_file.clone_from(&g.ca_file);
    options.chunk_size = g.chunk_size.map(|size| if size == 0 { u64::MAX } else { size });
    let reporter = Arc::new(oci::Reporter::new(PROGRAM, std::io::stderr().is_terminal()));
    let references: Vec<&str> = match &cli.command {
        Command::Chart(ChartCommand::Package { .. }) => vec![],
        Command::Chart(ChartCommand::Push { remote, .. }) => vec![remote],
        Command::Chart(ChartCommand::Pull { reference, .. })
        | Command::Manifest { reference }
        | Command::Wait { reference, .. }
        | Command::Delete { reference, .. } => vec![reference],
        Command::Copy { source, destination } => vec![source, destination],
    };
    let deletes = matches!(cli.command, Command::Delete { .. });
    let publisher = oci::publisher(options, reporter.clone(), explicit.as_ref(), &references, deletes)?;
    let json = g.json;
    match &cli.command {
        Command::Chart(ChartCommand::Package { chart_dir, output }) => oci::package(chart_dir, output, json),
        Command::Chart(ChartCommand::Push { chart, remote, dry_run }) => {
            oci::push(&publisher, chart, remote, *dry_run, json)
        }
        Command::Chart(ChartCommand::Pull { reference, destination }) => {
            oci::pull(&publisher, reference, destination, json)
        }
        Command::Manifest { reference } => oci::manifest(&publisher, reference, json),
        Command::Wait { reference, timeout, platform, interval, max_interval } => {
            let mut options = WaitOptions::default();
            options.timeout = *timeout;
            options.platforms.clone_from(platform);
            options.initial_interval = *interval;
            options.max_interval = *max_interval;
            oci::wait(&publisher, &reporter, reference, &options, json)
        }
        Command::Delete { reference, dry_run } => oci::delete(&publisher, PROGRAM, reference, *dry_run, json),
        Command::Copy { source, destination } => oci::copy(&publisher, source, destination, json),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("0"), Ok(0));
        assert!(parse_size("64XB").is_err() && parse_size("MiB").is_err());
    }
}
