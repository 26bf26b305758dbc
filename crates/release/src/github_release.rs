//! The GitHub release step of the Release workflow, as a reconcile: it looks at what GitHub has,
//! plans what is missing, refuses a conflict before changing anything, then does only the missing
//! part. Run again after an interruption, it finishes; run again after success, it changes nothing.
//!
//! The postconditions it observes: a release for the tag exists; every asset is there, uploaded, with
//! the bytes' SHA-256 as GitHub records it; the release is published with the notes as its body. An
//! asset left half-uploaded (its state is not `uploaded`) is deleted and uploaded again. An asset
//! with other bytes under the same name is a conflict (exit 1, naming it), unless `replace`.

use tagwright_github::{Github, NewRelease, Release, ReleasePatch};
use tagwright_oci_publish::Digest;

use crate::{Error, ErrorKind};

/// A file to attach to the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseAsset {
    /// Its name on the release.
    pub name: String,
    /// Its media type.
    pub content_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Which release, with what.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GithubReleaseOptions {
    /// The repository's owner.
    pub owner: String,
    /// The repository.
    pub repo: String,
    /// The release tag.
    pub tag: String,
    /// The notes: the release's body.
    pub notes: String,
    /// The assets.
    pub assets: Vec<ReleaseAsset>,
    /// Replace an asset whose bytes differ, instead of refusing.
    pub replace: bool,
    /// Plan only.
    pub dry_run: bool,
}

impl GithubReleaseOptions {
    /// The release of `tag` in `owner/repo`, with `notes` and no assets yet.
    pub fn new(owner: &str, repo: &str, tag: &str, notes: &str) -> GithubReleaseOptions {
        GithubReleaseOptions {
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            tag: tag.to_owned(),
            notes: notes.to_owned(),
            assets: Vec::new(),
            replace: false,
            dry_run: false,
        }
    }
}

/// What was (or, in a dry run, would be) done for each part.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct GithubReleaseReport {
    /// The release's id (none in a dry run that would create it).
    pub release_id: Option<u64>,
    /// Its page.
    pub html_url: Option<String>,
    /// The release was created (as a draft) by this run.
    pub created: bool,
    /// Assets uploaded by this run.
    pub uploaded: Vec<String>,
    /// Assets already there with the same SHA-256.
    pub skipped: Vec<String>,
    /// Assets replaced: half-uploaded ones, and (with `replace`) ones with other bytes.
    pub replaced: Vec<String>,
    /// The release was published (or its notes updated) by this run.
    pub published: bool,
    /// Nothing needed doing.
    pub up_to_date: bool,
}

enum Action {
    Upload,
    Replace(u64),
    Skip,
}

fn github_error(what: &str, e: tagwright_github::GithubError) -> Error {
    Error::new(ErrorKind::Check, format!("{what}: {}", tagwright_text::error_chain(&e)))
}

/// Reconciles the GitHub release of `options.tag` with `options`.
pub fn github_release(github: &Github, options: &GithubReleaseOptions) -> Result<GithubReleaseReport, Error> {
    let (owner, repo, tag) = (&options.owner, &options.repo, &options.tag);
    let mut report = GithubReleaseReport::default();
    let existing = github
        .release_by_tag(owner, repo, tag)
        .map_err(|e| github_error(&format!("the release of {tag}"), e))?;
    let current = match &existing {
        Some(release) => github
            .assets(owner, repo, release.id)
            .map_err(|e| github_error(&format!("the assets of the release {}", release.html_url), e))?,
        None => Vec::new(),
    };
    // The plan, and every conflict, before anything changes.
    let mut plan = Vec::new();
    let mut conflicts = Vec::new();
    for asset in &options.assets {
        let wanted = Digest::sha256(&asset.bytes).to_string();
        let action = match current.iter().find(|a| a.name == asset.name) {
            None => Action::Upload,
            Some(there) if there.state != "uploaded" => Action::Replace(there.id),
            Some(there) if there.digest.as_deref() == Some(wanted.as_str()) => Action::Skip,
            Some(there) if options.replace => Action::Replace(there.id),
            Some(there) => {
                conflicts.push(format!(
                    "{} is already on the release with other bytes ({}, {} bytes; ours: {wanted}, {} bytes)",
                    asset.name,
                    there.digest.as_deref().unwrap_or("no digest recorded"),
                    there.size,
                    asset.bytes.len()
                ));
                continue;
            }
        };
        plan.push((asset, action));
    }
    if let Some(release) = &existing
        && release.immutable
        && (!conflicts.is_empty() || plan.iter().any(|(_, a)| !matches!(a, Action::Skip)))
    {
        return Err(Error::new(
            ErrorKind::Check,
            format!(
                "the release {} is immutable: its assets cannot change; nothing was changed",
                release.html_url
            ),
        ));
    }
    if !conflicts.is_empty() {
        return Err(Error::new(
            ErrorKind::Check,
            format!("{}; nothing was changed (pass --replace to replace them)", conflicts.join("; ")),
        ));
    }
    let needs_publish =
        existing.as_ref().is_none_or(|r| r.draft || r.body.as_deref().unwrap_or_default() != options.notes);
    for (asset, action) in &plan {
        match action {
            Action::Upload => report.uploaded.push(asset.name.clone()),
            Action::Replace(_) => report.replaced.push(asset.name.clone()),
            Action::Skip => report.skipped.push(asset.name.clone()),
        }
    }
    report.created = existing.is_none();
    report.published = needs_publish;
    report.up_to_date =
        !report.created && !needs_publish && report.uploaded.is_empty() && report.replaced.is_empty();
    report.release_id = existing.as_ref().map(|r| r.id);
    report.html_url = existing.as_ref().map(|r| r.html_url.clone());
    if options.dry_run || report.up_to_date {
        return Ok(report);
    }
    let release: Release = match existing {
        Some(release) => release,
        None => {
            let mut new = NewRelease::draft(tag);
            new.body = Some(options.notes.clone());
            // A pre-release tag (v1.2.0-rc.1, v1.2.0rc1) makes a pre-release, as GitHub marks it.
            let version = tag.trim_start_matches(|c: char| !c.is_ascii_digit());
            new.prerelease = tagwright_versions::Version::parse_any(version).is_ok_and(|v| v.is_prerelease());
            github
                .create_release(owner, repo, &new)
                .map_err(|e| github_error(&format!("creating the release of {tag}"), e))?
        }
    };
    report.release_id = Some(release.id);
    report.html_url = Some(release.html_url.clone());
    let left = |done: &str| format!("; the release {} exists{done}; run again to finish", release.html_url);
    for (asset, action) in &plan {
        if let Action::Replace(id) = action {
            github
                .delete_asset(owner, repo, *id)
                .map_err(|e| github_error(&format!("deleting the old {}{}", asset.name, left("")), e))?;
        }
        if !matches!(action, Action::Skip) {
            github
                .upload_asset(&release, &asset.name, &asset.content_type, &asset.bytes)
                .map_err(|e| github_error(&format!("uploading {}{}", asset.name, left(" as a draft")), e))?;
        }
    }
    if needs_publish {
        github.update_release(owner, repo, release.id, &ReleasePatch::publish(&options.notes)).map_err(
            |e| github_error(&format!("publishing the release{}", left(" as a draft, with every asset")), e),
        )?;
    }
    Ok(report)
}
