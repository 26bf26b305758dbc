//! `tagwright retag vX.Y.Z`: the runbook's re-tagging, planned and ordered. It removes, in this
//! order, the GitHub release, the remote tag, the local tag, and the registry versions (the image,
//! the chart, and their signature, attestation and referrer tags; on ghcr.io through the Packages
//! API). Each step first observes whether its object still exists, so a run after an interrupted one
//! finishes the cleanup, and a run after a complete one does nothing and says so. An immutable
//! release is refused before anything is deleted.

use std::path::PathBuf;
use std::sync::Arc;

use tagwright_github::Github;
use tagwright_oci_publish::{Publisher, RegistryOptions, Silent, Target};

use crate::publish::GithubTarget;
use crate::{Error, ErrorKind};

/// What to remove.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RetagOptions {
    /// The repository (its chart names the chart and the image's tag).
    pub repo: PathBuf,
    /// The tag to undo.
    pub tag: String,
    /// The GitHub repository of the release and the remote tag.
    pub github: Option<GithubTarget>,
    /// Where the chart was pushed: `oci://host/namespace`.
    pub charts: Option<String>,
    /// The release image's repository; its tag is the chart's appVersion.
    pub image: Option<String>,
    /// Registry connection settings.
    pub registry: RegistryOptions,
    /// Plan only.
    pub dry_run: bool,
}

impl RetagOptions {
    /// Undoes `tag` in `repo` (and nowhere else until the targets are set).
    pub fn new(repo: impl Into<PathBuf>, tag: &str) -> RetagOptions {
        RetagOptions {
            repo: repo.into(),
            tag: tag.to_owned(),
            github: None,
            charts: None,
            image: None,
            registry: RegistryOptions::default(),
            dry_run: false,
        }
    }
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RetagStep {
    /// What it removes.
    pub action: String,
    /// `deleted`, `to delete` (dry run) or `already gone`.
    pub state: &'static str,
}

/// The plan, and what was done.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[non_exhaustive]
pub struct RetagReport {
    /// The steps, in order.
    pub steps: Vec<RetagStep>,
    /// Tags that shared a digest with a removed version (removed with it).
    pub warnings: Vec<String>,
    /// Everything was already gone.
    pub nothing_to_do: bool,
}

enum Action {
    Release(u64, String),
    RemoteTag,
    LocalTag,
    Registry(String),
}

fn failed(what: &str) -> impl Fn(tagwright_github::GithubError) -> Error + '_ {
    move |e| Error::new(ErrorKind::Check, format!("{what}: {}", tagwright_text::error_chain(&e)))
}

/// Plans the removal, and (unless a dry run) carries it out in order.
pub fn retag(options: &RetagOptions) -> Result<RetagReport, Error> {
    let tag = &options.tag;
    let mut plan: Vec<(String, Option<Action>)> = Vec::new();
    let github = match &options.github {
        Some(target) => Some((target.client()?, target)),
        None => None,
    };
    if let Some((client, target)) = &github {
        match client.release_by_tag(&target.owner, &target.repo, tag).map_err(failed("the GitHub release"))? {
            Some(release) if release.immutable => {
                return Err(Error::new(
                    ErrorKind::Check,
                    format!(
                        "the release {} is immutable: GitHub does not let it be deleted; nothing was deleted",
                        release.html_url
                    ),
                ));
            }
            Some(release) => plan.push((
                format!("delete the GitHub release {}", release.html_url),
                Some(Action::Release(release.id, release.html_url)),
            )),
            None => plan.push((format!("delete the GitHub release of {tag}"), None)),
        }
        let remote = client.tag_exists(&target.owner, &target.repo, tag).map_err(failed("the remote tag"))?;
        plan.push((
            format!("delete the remote tag {tag} of {}/{}", target.owner, target.repo),
            remote.then_some(Action::RemoteTag),
        ));
    }
    let repo = git2::Repository::discover(&options.repo)
        .map_err(|e| Error::new(ErrorKind::Input, format!("{}: {}", options.repo.display(), e.message())))?;
    let local = repo.find_reference(&format!("refs/tags/{tag}")).is_ok();
    plan.push((format!("delete the local tag {tag}"), local.then_some(Action::LocalTag)));

    let publisher = Publisher::new(options.registry.clone(), Arc::new(Silent));
    let mut warnings = Vec::new();
    for reference in registry_references(options)? {
        let target = Target::parse(&reference).map_err(|e| Error::caused(ErrorKind::Input, e))?;
        match publisher.delete(&target, true) {
            Ok(deletion) => {
                warnings.extend(
                    deletion
                        .shared_tags
                        .iter()
                        .map(|t| format!("{reference} shares its digest with the tag {t}, which goes too")),
                );
                let with = if deletion.signatures.is_empty() {
                    String::new()
                } else {
                    format!(" with {}", deletion.signatures.join(", "))
                };
                plan.push((
                    format!("delete {reference} ({}){with}", deletion.digest),
                    Some(Action::Registry(reference.clone())),
                ));
            }
            Err(tagwright_oci_publish::OciError::NotFound { .. }) => {
                plan.push((format!("delete {reference}"), None))
            }
            Err(e) => return Err(Error::caused(ErrorKind::of_oci(&e), e)),
        }
    }

    let nothing_to_do = plan.iter().all(|(_, a)| a.is_none());
    let mut report = RetagReport { steps: Vec::new(), warnings, nothing_to_do };
    let mut done: Vec<String> = Vec::new();
    for (index, (action, todo)) in plan.iter().enumerate() {
        let state = match (todo, options.dry_run) {
            (None, _) => "already gone",
            (Some(_), true) => "to delete",
            (Some(todo), false) => {
                let remaining: Vec<&str> =
                    plan[index..].iter().filter(|(_, a)| a.is_some()).map(|(s, _)| s.as_str()).collect();
                let left = |e: Error| {
                    Error::new(
                        ErrorKind::Check,
                        format!(
                            "{e}; done: {}; remaining: {}; run retag again to finish",
                            if done.is_empty() { "nothing".to_owned() } else { done.join(", ") },
                            remaining.join(", ")
                        ),
                    )
                };
                execute(todo, &github, &repo, &publisher, tag).map_err(left)?;
                done.push(action.clone());
                "deleted"
            }
        };
        report.steps.push(RetagStep { action: action.clone(), state });
    }
    Ok(report)
}

fn execute(
    action: &Action,
    github: &Option<(Github, &GithubTarget)>,
    repo: &git2::Repository,
    publisher: &Publisher,
    tag: &str,
) -> Result<(), Error> {
    match (action, github) {
        (Action::Release(id, url), Some((client, target))) => {
            client.delete_release(&target.owner, &target.repo, *id).map_err(failed(url))?;
        }
        (Action::RemoteTag, Some((client, target))) => {
            client.delete_tag(&target.owner, &target.repo, tag).map_err(failed("the remote tag"))?;
        }
        (Action::LocalTag, _) => {
            repo.find_reference(&format!("refs/tags/{tag}"))
                .and_then(|mut r| r.delete())
                .map_err(|e| Error::new(ErrorKind::Check, format!("the local tag {tag}: {}", e.message())))?;
        }
        (Action::Registry(reference), _) => {
            let target = Target::parse(reference).map_err(|e| Error::caused(ErrorKind::Input, e))?;
            publisher.delete(&target, false).map_err(|e| Error::caused(ErrorKind::of_oci(&e), e))?;
        }
        _ => {}
    }
    Ok(())
}

/// `image:appVersion` and `charts/name:version`, from the repository's chart.
fn registry_references(options: &RetagOptions) -> Result<Vec<String>, Error> {
    if options.charts.is_none() && options.image.is_none() {
        return Ok(Vec::new());
    }
    let inventory =
        tagwright_versions::read(&options.repo).map_err(|e| Error::caused(ErrorKind::Input, e))?;
    let chart = inventory
        .records
        .iter()
        .find(|r| r.kind == tagwright_versions::SourceKind::Chart && r.field == "version")
        .ok_or_else(|| Error::new(ErrorKind::Input, format!("{}: no Chart.yaml", options.repo.display())))?;
    let chart_file = options.repo.join(&chart.file);
    let text = std::fs::read_to_string(&chart_file)
        .map_err(|e| Error::new(ErrorKind::Input, format!("{}: {e}", chart_file.display())))?;
    let metadata = tagwright_oci_publish::chart::ChartMetadata::parse(&text, &chart_file)
        .map_err(|e| Error::caused(ErrorKind::Input, e))?;
    let version = options.tag.strip_prefix('v').unwrap_or(&options.tag);
    // The work tree may have moved on: its appVersion counts only while its chart is still this version.
    let app_version = if metadata.version == version && !metadata.app_version.is_empty() {
        metadata.app_version.clone()
    } else {
        version.to_owned()
    };
    let mut references = Vec::new();
    if let Some(image) = &options.image {
        references.push(format!("{image}:{app_version}"));
    }
    if let Some(charts) = &options.charts {
        let namespace = charts.strip_prefix("oci://").unwrap_or(charts).trim_end_matches('/');
        references.push(format!("{namespace}/{}:{version}", metadata.name));
    }
    Ok(references)
}
