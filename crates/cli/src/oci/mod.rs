//! `oci-publish`'s commands: each calls [`tagwright_oci_publish`] and prints its result as text or as
//! one typed JSON document ([`output`]).

pub mod output;
mod progress;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use tagwright_oci_publish::{
    Credentials, OciError, Publisher, RegistryOptions, Target, WaitOptions, WaitOutcome, chart, credentials,
    ghcr,
};

use crate::{Failure, exit, out};
use output::Document;
pub use progress::Reporter;
use tagwright_oci_publish::ChartId;

impl From<OciError> for Failure {
    /// A registry or content failure exits 1; bad input (a reference, a chart, a file) exits 2.
    fn from(err: OciError) -> Failure {
        Failure::of(tagwright_release::ErrorKind::of_oci(&err), &err)
    }
}

/// Prints `body` as a JSON document under `status` with `--json`, else `text`.
fn emit(json: bool, status: &'static str, body: impl serde::Serialize, text: &str) {
    out(&if json { Document::new(status, body).render() } else { text.to_owned() });
}

/// A reference the user typed, as a target.
pub fn target(text: &str) -> Result<Target, Failure> {
    Target::parse(text).map_err(|e| Failure::input(e.to_string()))
}

/// The password of `--username NAME --password-stdin`.
pub fn credentials_from_stdin(username: &str) -> Result<Credentials, Failure> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|e| Failure::input(format!("cannot read the password from stdin: {e}")))?;
    let password = password.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        return Err(Failure::input("--password-stdin: standard input was empty"));
    }
    Ok(Credentials { username: username.to_owned(), password })
}

/// A publisher for `references`, with each registry host's credentials ([`credentials::lookup`]) and,
/// when `github_deletes` and a ghcr.io host is among them, a GitHub Packages client (`GITHUB_TOKEN`,
/// `GITHUB_API_URL`).
pub fn publisher(
    options: RegistryOptions,
    reporter: Arc<Reporter>,
    explicit: Option<&Credentials>,
    references: &[&str],
    github_deletes: bool,
) -> Result<Publisher, Failure> {
    let mut publisher = Publisher::new(options, reporter);
    for reference in references {
        let Target::Registry(r) = target(reference)? else { continue };
        if let Some(found) =
            credentials::lookup(&r.host, explicit).map_err(|e| Failure::input(e.to_string()))?
        {
            publisher = publisher.with_credentials(&r.host, found);
        }
        if !(github_deletes && ghcr::is_ghcr(&r.host)) {
            continue;
        }
        let env = |name: &str| std::env::var(name).ok();
        let token = tagwright_github::token_from_env(&env).or_else(|| explicit.map(|c| c.password.clone()));
        if let Some(token) = token {
            let api = tagwright_github::api_from_env(&env);
            let github = tagwright_github::Github::new(&api, Some(&token))
                .map_err(|e| Failure::input(e.to_string()))?;
            publisher = publisher.with_github(github);
        }
    }
    Ok(publisher)
}

/// `chart package`.
pub fn package(chart_dir: &Path, output: &Path, json: bool) -> Result<u8, Failure> {
    let packaged = chart::package(chart_dir, output).map_err(|e| Failure::from(OciError::from(e)))?;
    let bytes = std::fs::read(&packaged.path)
        .map_err(|e| Failure::input(format!("{}: {e}", packaged.path.display())))?;
    let digest = tagwright_oci_publish::Digest::sha256(&bytes);
    let text = format!(
        "Successfully packaged chart and saved it to: {}\nDigest: {digest}\nTimes: {} (from {})\n",
        packaged.path.display(),
        tagwright_oci_publish::rfc3339(packaged.mtime),
        packaged.time_source
    );
    let body = output::Packaged {
        path: packaged.path,
        name: packaged.metadata.name,
        version: packaged.metadata.version,
        digest,
        size: bytes.len() as u64,
        mtime: packaged.mtime,
        mtime_source: packaged.time_source.to_owned(),
    };
    emit(json, "ok", body, &text);
    Ok(exit::OK)
}

/// `chart push`.
pub fn push(
    publisher: &Publisher,
    chart: &Path,
    remote: &str,
    dry_run: bool,
    json: bool,
) -> Result<u8, Failure> {
    let pushed = publisher.push_chart(chart, &target(remote)?, dry_run)?;
    let verb = if pushed.dry_run {
        "Would push"
    } else if pushed.unchanged {
        "Unchanged"
    } else {
        "Pushed"
    };
    let text = format!("{verb}: {}\nDigest: {}\n", pushed.reference, pushed.digest);
    emit(json, "ok", pushed, &text);
    Ok(exit::OK)
}

/// `chart pull`.
pub fn pull(publisher: &Publisher, reference: &str, destination: &Path, json: bool) -> Result<u8, Failure> {
    let pulled = publisher.pull_chart(&target(reference)?, destination)?;
    let text = format!("Pulled: {reference}\nDigest: {}\nSaved: {}\n", pulled.digest, pulled.path.display());
    let body = output::Pulled {
        reference: reference.to_owned(),
        digest: pulled.digest,
        path: pulled.path,
        chart: ChartId { name: pulled.name, version: pulled.version },
        layer: pulled.layer,
        legacy_media_type: pulled.legacy,
    };
    emit(json, "ok", body, &text);
    Ok(exit::OK)
}

/// `manifest`.
pub fn manifest(publisher: &Publisher, reference: &str, json: bool) -> Result<u8, Failure> {
    let manifest = publisher.manifest(&target(reference)?)?;
    let text = format!(
        "Digest: {}\nMedia-Type: {}\nSize: {}\n\n{}\n",
        manifest.digest,
        manifest.media_type,
        manifest.bytes.len(),
        String::from_utf8_lossy(&manifest.bytes)
    );
    let body = output::ManifestShown {
        reference: reference.to_owned(),
        size: manifest.bytes.len() as u64,
        manifest: serde_json::from_slice(&manifest.bytes).unwrap_or(serde_json::Value::Null),
        digest: manifest.digest,
        media_type: manifest.media_type,
    };
    emit(json, "ok", body, &text);
    Ok(exit::OK)
}

/// `wait`: exit 0 when ready, 3 on timeout.
pub fn wait(
    publisher: &Publisher,
    reporter: &Reporter,
    reference: &str,
    options: &WaitOptions,
    json: bool,
) -> Result<u8, Failure> {
    let outcome = publisher.wait(&target(reference)?, options)?;
    reporter.clear();
    match outcome {
        WaitOutcome::Ready { digest, media_type, attempts, elapsed } => {
            let text = format!("{digest}\n");
            let reference = reference.to_owned();
            let body = output::Ready {
                reference,
                digest,
                media_type,
                checks: attempts,
                elapsed_seconds: elapsed.as_secs_f64(),
            };
            emit(json, "ready", body, &text);
            Ok(exit::OK)
        }
        WaitOutcome::TimedOut { last, attempts, elapsed } => {
            let message =
                format!("{reference} was not ready after {elapsed:.0?} ({attempts} checks); last: {last}");
            let body = output::TimedOut {
                reference: reference.to_owned(),
                last,
                checks: attempts,
                elapsed_seconds: elapsed.as_secs_f64(),
            };
            emit(json, "timeout", body, "");
            Err(Failure { code: exit::TIMEOUT, message })
        }
    }
}

/// `delete`.
pub fn delete(
    publisher: &Publisher,
    program: &str,
    reference: &str,
    dry_run: bool,
    json: bool,
) -> Result<u8, Failure> {
    let deletion = publisher.delete(&target(reference)?, dry_run)?;
    let (would, deleted) = if deletion.dry_run {
        ("Would delete", "they would be deleted")
    } else {
        ("Deleted", "they were deleted")
    };
    if !deletion.shared_tags.is_empty() {
        eprintln!(
            "{program}: warning: {} also named {}; {deleted} with it",
            deletion.shared_tags.join(", "),
            deletion.digest
        );
    }
    let mut text = format!("{would}: {} ({}) via {}\n", deletion.reference, deletion.digest, deletion.via);
    for tag in &deletion.signatures {
        text.push_str(&format!("{would} signature: {tag}\n"));
    }
    let body = output::Deleted {
        reference: deletion.reference,
        digest: deletion.digest,
        shared_tags: deletion.shared_tags,
        signatures: deletion.signatures,
        via: deletion.via.to_owned(),
        package_versions: deletion.package_versions,
        dry_run: deletion.dry_run,
    };
    emit(json, "ok", body, &text);
    Ok(exit::OK)
}

/// `copy`.
pub fn copy(publisher: &Publisher, source: &str, destination: &str, json: bool) -> Result<u8, Failure> {
    let report = publisher.copy(&target(source)?, &target(destination)?)?;
    let text = if report.unchanged {
        format!("Unchanged: {destination}\nDigest: {}\n", report.digest)
    } else {
        format!(
            "Copied: {source} -> {destination}\nDigest: {}\nUploaded {} of {} blobs ({})\n",
            report.digest,
            report.uploaded,
            report.blobs,
            progress::mib(report.bytes)
        )
    };
    let body = output::Copied {
        source: source.to_owned(),
        destination: destination.to_owned(),
        digest: report.digest,
        blobs: report.blobs,
        uploaded: report.uploaded,
        bytes: report.bytes,
        unchanged: report.unchanged,
    };
    emit(json, "ok", body, &text);
    Ok(exit::OK)
}

/// Reports a failure: a JSON error document on stdout with `--json`, and the message on stderr.
pub fn fail(program: &str, failure: &Failure, json: bool) -> std::process::ExitCode {
    if json && failure.code != exit::TIMEOUT {
        crate::json::print_failure(failure);
    }
    failure.report(program)
}
