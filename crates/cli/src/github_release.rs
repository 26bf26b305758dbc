//! `tagwright github-release vX.Y.Z`: the GitHub release alone, reconciled, for projects whose
//! release has no chart (tagwright's own): the notes and the files given, nothing else.

use std::path::PathBuf;

use tagwright_release::{GithubReleaseOptions, ReleaseAsset};

use crate::{Failure, out};

/// The largest asset read into memory for upload (GitHub's own limit is 2 GiB).
const MAX_ASSET: u64 = 2 << 30;

/// Arguments of `tagwright github-release`.
#[derive(Debug, clap::Args)]
pub struct GithubReleaseArgs {
    /// The release tag, such as v1.2.0.
    pub tag: String,
    #[command(flatten)]
    pub repo: crate::flows::RepoArg,
    /// The GitHub repository (token: GITHUB_TOKEN or GH_TOKEN; API: GITHUB_API_URL).
    #[arg(long, value_name = "OWNER/REPO")]
    pub github: String,
    /// The release notes (default: the tag's history, rendered as release-notes renders it).
    #[arg(long, value_name = "FILE")]
    pub notes_file: Option<PathBuf>,
    /// A file to attach (repeatable); its name on the release is its file name.
    #[arg(long = "asset", value_name = "FILE")]
    pub assets: Vec<PathBuf>,
    /// Replace an asset whose bytes differ, instead of refusing.
    #[arg(long)]
    pub replace: bool,
    #[command(flatten)]
    pub http: crate::HttpTimeout,
    /// Plan only: what would be created, uploaded, replaced and published.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The media type an asset is uploaded with, from its name.
fn content_type(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".cdx.json") {
        "application/vnd.cyclonedx+json"
    } else if lower.ends_with(".sigstore.json") {
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    } else if lower.ends_with(".intoto.jsonl") || lower.ends_with(".json") {
        "application/json"
    } else if lower.ends_with(".tgz") || lower.ends_with(".tar.gz") {
        "application/gzip"
    } else if lower.ends_with(".txt") || lower.ends_with(".md") {
        "text/plain"
    } else {
        "application/octet-stream"
    }
}

/// `tagwright github-release`.
pub fn github_release(args: &GithubReleaseArgs) -> Result<(), Failure> {
    let target = crate::github_target(&args.github, &args.http)?;
    let notes = match &args.notes_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Failure::input(format!("--notes-file {}: {e}", path.display())))?,
        None => {
            let notes = tagwright_notes::release_notes(&args.repo.repo, &args.tag).map_err(|e| {
                Failure::check(format!("the notes of {}: {}", args.tag, tagwright_text::error_chain(&e)))
            })?;
            for warning in &notes.warnings {
                eprintln!("tagwright: warning: {warning}");
            }
            notes.text
        }
    };
    let mut options = GithubReleaseOptions::new(&target.owner, &target.repo, &args.tag, &notes);
    for path in &args.assets {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Failure::input(format!("--asset {}: not a file name in UTF-8", path.display())))?
            .to_owned();
        if options.assets.iter().any(|a| a.name == name) {
            return Err(Failure::input(format!("--asset {}: two assets are named {name}", path.display())));
        }
        let size = std::fs::metadata(path)
            .map_err(|e| Failure::input(format!("--asset {}: {e}", path.display())))?
            .len();
        if size > MAX_ASSET {
            return Err(Failure::input(format!(
                "--asset {}: {size} bytes is over GitHub's 2 GiB limit",
                path.display()
            )));
        }
        let bytes =
            std::fs::read(path).map_err(|e| Failure::input(format!("--asset {}: {e}", path.display())))?;
        options.assets.push(ReleaseAsset { content_type: content_type(&name).to_owned(), name, bytes });
    }
    options.replace = args.replace;
    options.dry_run = args.dry_run;
    let client = target.client()?;
    let report = tagwright_release::github_release(&client, &options)?;
    if args.json {
        return crate::json::print("ok", &report);
    }
    let url = report.html_url.as_deref().unwrap_or("(to be created)");
    let would = if args.dry_run { "would " } else { "" };
    let state = if report.up_to_date {
        "up to date: nothing to do".to_owned()
    } else {
        format!(
            "{would}{}upload {}, replace {}, skip {}{}",
            if report.created { "create it, " } else { "" },
            report.uploaded.len(),
            report.replaced.len(),
            report.skipped.len(),
            if report.published { ", publish it" } else { "" }
        )
    };
    out(&format!("GitHub release {url}: {state}\n"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn assets_get_the_media_type_of_their_name() {
        assert_eq!(content_type("sbom.cdx.json"), "application/vnd.cyclonedx+json");
        assert_eq!(content_type("tagwright.tar.gz"), "application/gzip");
        assert_eq!(content_type("checksums.txt"), "text/plain");
        assert_eq!(content_type("tagwright"), "application/octet-stream");
    }
}
