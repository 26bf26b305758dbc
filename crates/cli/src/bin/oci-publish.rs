//! `oci-publish`: Helm charts and OCI artifacts in registries and OCI layouts: package, push, pull,
//! read a manifest, wait for an image, delete a version, copy.
//!
//! Exit codes: 0 ok, 1 a registry or content failure, 2 bad usage or input, 3 `wait` timed out.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use serde_json::json;
use tagwright_cli::{exit, out};
use tagwright_oci_publish::{
    Credentials, Descriptor, Events, GithubPackages, OciError, Platform, Publisher, RegistryOptions, Target,
    WaitOptions, WaitOutcome, chart, ghcr,
};

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

/// Progress and retries on stderr: a rewritten line on a terminal, plain log lines otherwise.
struct Reporter {
    tty: bool,
    state: Mutex<(Instant, u64)>,
}

impl Reporter {
    fn line(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = if self.tty { writeln!(stderr, "\r\x1b[K{text}") } else { writeln!(stderr, "{text}") };
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}

impl Events for Reporter {
    fn retry(&self, what: &str, attempt: u32, delay: Duration, reason: &str) {
        self.line(&format!("{PROGRAM}: {reason}; retrying {what} (attempt {attempt}) in {delay:.1?}"));
    }

    fn progress(&self, what: &str, done: u64, total: u64) {
        if total < 16 << 20 {
            return;
        }
        let mut state = self.state.lock().expect("reporter state");
        let percent = done * 100 / total.max(1);
        if self.tty {
            let _ = write!(std::io::stderr(), "\r\x1b[K{what}: {} of {} ({percent}%)", mib(done), mib(total));
            if done >= total {
                let _ = writeln!(std::io::stderr());
            }
        } else if state.0.elapsed() >= Duration::from_secs(10)
            || done >= total
            || percent / 25 != state.1 / 25
        {
            *state = (Instant::now(), percent);
            let _ = writeln!(std::io::stderr(), "{what}: {} of {} ({percent}%)", mib(done), mib(total));
        }
    }

    fn note(&self, message: &str) {
        self.line(&format!("{PROGRAM}: {message}"));
    }

    fn waiting(&self, reference: &str, attempt: u32, elapsed: Duration, next: Duration, state: &str) {
        let elapsed = format!("{}m{:02}s", elapsed.as_secs() / 60, elapsed.as_secs() % 60);
        if self.tty {
            let _ = write!(
                std::io::stderr(),
                "\r\x1b[Kwaiting for {reference}: {state}; {elapsed} elapsed, check {attempt}, next in {next:.0?}"
            );
        } else {
            let _ = writeln!(
                std::io::stderr(),
                "{PROGRAM}: waiting for {reference}: {state} (check {attempt}, {elapsed} elapsed); next check in {next:.0?}"
            );
        }
    }
}

/// A failure and its exit code.
struct Failure {
    code: u8,
    message: String,
}

impl From<OciError> for Failure {
    fn from(err: OciError) -> Failure {
        let code = if err.is_input_error() { exit::USAGE } else { exit::CHECK_FAILED };
        Failure { code, message: tagwright_cli::error_chain(&err) }
    }
}

fn usage(message: impl Into<String>) -> Failure {
    Failure { code: exit::USAGE, message: message.into() }
}

fn target(text: &str) -> Result<Target, Failure> {
    Target::parse(text).map_err(|e| usage(e.to_string()))
}

fn descriptor_json(d: &Descriptor) -> serde_json::Value {
    json!({"mediaType": d.media_type, "digest": d.digest, "size": d.size})
}

fn emit(json_mode: bool, value: &serde_json::Value, text: &str) {
    if json_mode {
        out(&format!("{}\n", serde_json::to_string_pretty(value).expect("JSON")));
    } else {
        out(text);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tagwright_cli::remove_temporary_files_on_signals();
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            if cli.global.json {
                let doc = json!({"schema_version": 1, "status": "error", "error": {"message": failure.message, "exit_code": failure.code}});
                out(&format!("{}\n", serde_json::to_string_pretty(&doc).expect("JSON")));
            }
            eprintln!("{PROGRAM}: error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn run(cli: &Cli) -> Result<u8, Failure> {
    let g = &cli.global;
    let explicit = if g.password_stdin {
        let mut password = String::new();
        std::io::stdin()
            .read_to_string(&mut password)
            .map_err(|e| usage(format!("cannot read the password from stdin: {e}")))?;
        let password = password.trim_end_matches(['\n', '\r']).to_owned();
        if password.is_empty() {
            return Err(usage("--password-stdin: standard input was empty"));
        }
        Some(Credentials { username: g.username.clone().unwrap_or_default(), password })
    } else {
        None
    };
    let mut options = RegistryOptions::default();
    options.insecure_hosts.clone_from(&g.insecure);
    options.ca_file.clone_from(&g.ca_file);
    options.chunk_size = g.chunk_size.map(|size| if size == 0 { u64::MAX } else { size });
    let reporter =
        Arc::new(Reporter { tty: std::io::stderr().is_terminal(), state: Mutex::new((Instant::now(), 0)) });
    let mut publisher = Publisher::new(options, reporter);
    let references: Vec<&str> = match &cli.command {
        Command::Chart(ChartCommand::Package { .. }) => vec![],
        Command::Chart(ChartCommand::Push { remote, .. }) => vec![remote],
        Command::Chart(ChartCommand::Pull { reference, .. })
        | Command::Manifest { reference }
        | Command::Wait { reference, .. }
        | Command::Delete { reference, .. } => vec![reference],
        Command::Copy { source, destination } => vec![source, destination],
    };
    for reference in &references {
        if let Target::Registry(r) = target(reference)? {
            if let Some(c) = tagwright_cli::registry_credentials(&r.host, explicit.as_ref()).map_err(usage)? {
                publisher = publisher.with_credentials(&r.host, c);
            }
            if matches!(cli.command, Command::Delete { .. })
                && (r.host == "ghcr.io" || r.host.ends_with(".ghcr.io"))
            {
                let token = std::env::var("GITHUB_TOKEN")
                    .ok()
                    .filter(|t| !t.is_empty())
                    .or_else(|| explicit.as_ref().map(|c| c.password.clone()));
                if let Some(token) = token {
                    let api = std::env::var("GITHUB_API_URL")
                        .ok()
                        .filter(|u| !u.is_empty())
                        .unwrap_or_else(|| ghcr::GITHUB_API.to_owned());
                    let github = GithubPackages::new(&api, &token).map_err(|e| usage(e.to_string()))?;
                    publisher = publisher.with_github(github);
                }
            }
        }
    }
    let json_mode = g.json;
    match &cli.command {
        Command::Chart(ChartCommand::Package { chart_dir, output }) => {
            let packaged = chart::package(chart_dir, output).map_err(|e| Failure::from(OciError::from(e)))?;
            let bytes = std::fs::read(&packaged.path)
                .map_err(|e| usage(format!("{}: {e}", packaged.path.display())))?;
            let digest = tagwright_oci_publish::registry::sha256_digest(&bytes);
            let value = json!({
                "schema_version": 1, "status": "ok", "path": packaged.path, "name": packaged.metadata.name,
                "version": packaged.metadata.version, "digest": digest, "size": bytes.len(),
                "mtime": packaged.mtime, "mtime_source": packaged.time_source,
            });
            let text = format!(
                "Successfully packaged chart and saved it to: {}\nDigest: {digest}\nTimes: {} (from {})\n",
                packaged.path.display(),
                tagwright_oci_publish::rfc3339(packaged.mtime),
                packaged.time_source
            );
            emit(json_mode, &value, &text);
        }
        Command::Chart(ChartCommand::Push { chart, remote, dry_run }) => {
            let pushed = publisher.push_chart(chart, &target(remote)?, *dry_run)?;
            let value = json!({
                "schema_version": 1, "status": "ok", "reference": pushed.reference, "digest": pushed.digest,
                "size": pushed.size, "mediaType": pushed.media_type, "config": descriptor_json(&pushed.config),
                "layers": pushed.layers.iter().map(descriptor_json).collect::<Vec<_>>(), "uploaded": pushed.uploaded,
                "unchanged": pushed.unchanged, "dry_run": pushed.dry_run, "chart": {"name": pushed.name, "version": pushed.version},
            });
            let verb = if pushed.dry_run {
                "Would push"
            } else if pushed.unchanged {
                "Unchanged"
            } else {
                "Pushed"
            };
            emit(json_mode, &value, &format!("{verb}: {}\nDigest: {}\n", pushed.reference, pushed.digest));
        }
        Command::Chart(ChartCommand::Pull { reference, destination }) => {
            let pulled = publisher.pull_chart(&target(reference)?, destination)?;
            let value = json!({
                "schema_version": 1, "status": "ok", "reference": reference, "digest": pulled.digest,
                "path": pulled.path, "chart": {"name": pulled.name, "version": pulled.version},
                "layer": descriptor_json(&pulled.layer), "legacy_media_type": pulled.legacy,
            });
            emit(
                json_mode,
                &value,
                &format!(
                    "Pulled: {reference}\nDigest: {}\nSaved: {}\n",
                    pulled.digest,
                    pulled.path.display()
                ),
            );
        }
        Command::Manifest { reference } => {
            let manifest = publisher.manifest(&target(reference)?)?;
            let parsed: serde_json::Value =
                serde_json::from_slice(&manifest.bytes).unwrap_or(serde_json::Value::Null);
            let value = json!({
                "schema_version": 1, "status": "ok", "reference": reference, "digest": manifest.digest,
                "mediaType": manifest.media_type, "size": manifest.bytes.len(), "manifest": parsed,
            });
            let text = format!(
                "Digest: {}\nMedia-Type: {}\nSize: {}\n\n{}\n",
                manifest.digest,
                manifest.media_type,
                manifest.bytes.len(),
                String::from_utf8_lossy(&manifest.bytes)
            );
            emit(json_mode, &value, &text);
        }
        Command::Wait { reference, timeout, platform, interval, max_interval } => {
            let mut options = WaitOptions::default();
            options.timeout = *timeout;
            options.platforms.clone_from(platform);
            options.initial_interval = *interval;
            options.max_interval = *max_interval;
            let outcome = publisher.wait(&target(reference)?, &options)?;
            if std::io::stderr().is_terminal() {
                let _ = write!(std::io::stderr(), "\r\x1b[K");
            }
            match outcome {
                WaitOutcome::Ready { digest, media_type, attempts, elapsed } => {
                    let value = json!({
                        "schema_version": 1, "status": "ready", "reference": reference, "digest": digest,
                        "mediaType": media_type, "checks": attempts, "elapsed_seconds": elapsed.as_secs_f64(),
                    });
                    emit(json_mode, &value, &format!("{digest}\n"));
                }
                WaitOutcome::TimedOut { last, attempts, elapsed } => {
                    let value = json!({
                        "schema_version": 1, "status": "timeout", "reference": reference, "last": last,
                        "checks": attempts, "elapsed_seconds": elapsed.as_secs_f64(),
                    });
                    if json_mode {
                        emit(true, &value, "");
                    }
                    eprintln!(
                        "{PROGRAM}: error: {reference} was not ready after {:.0?} ({attempts} checks); last: {last}",
                        elapsed
                    );
                    return Ok(exit::TIMEOUT);
                }
            }
        }
        Command::Delete { reference, dry_run } => {
            let deletion = publisher.delete(&target(reference)?, *dry_run)?;
            if !deletion.shared_tags.is_empty() {
                eprintln!(
                    "{PROGRAM}: warning: {} also named {}; {} with it",
                    deletion.shared_tags.join(", "),
                    deletion.digest,
                    if deletion.dry_run { "they would be deleted" } else { "they were deleted" }
                );
            }
            let value = json!({
                "schema_version": 1, "status": "ok", "reference": deletion.reference, "digest": deletion.digest,
                "shared_tags": deletion.shared_tags, "signatures": deletion.signatures, "via": deletion.via,
                "package_versions": deletion.package_versions, "dry_run": deletion.dry_run,
            });
            let mut text = format!(
                "{}: {} ({}) via {}\n",
                if deletion.dry_run { "Would delete" } else { "Deleted" },
                deletion.reference,
                deletion.digest,
                deletion.via
            );
            for tag in &deletion.signatures {
                text.push_str(&format!(
                    "{}: {tag}\n",
                    if deletion.dry_run { "Would delete signature" } else { "Deleted signature" }
                ));
            }
            emit(json_mode, &value, &text);
        }
        Command::Copy { source, destination } => {
            let report = publisher.copy(&target(source)?, &target(destination)?)?;
            let value = json!({
                "schema_version": 1, "status": "ok", "source": source, "destination": destination,
                "digest": report.digest, "blobs": report.blobs, "uploaded": report.uploaded,
                "bytes": report.bytes, "unchanged": report.unchanged,
            });
            let text = if report.unchanged {
                format!("Unchanged: {destination}\nDigest: {}\n", report.digest)
            } else {
                format!(
                    "Copied: {source} -> {destination}\nDigest: {}\nUploaded {} of {} blobs ({})\n",
                    report.digest,
                    report.uploaded,
                    report.blobs,
                    mib(report.bytes)
                )
            };
            emit(json_mode, &value, &text);
        }
    }
    Ok(exit::OK)
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
