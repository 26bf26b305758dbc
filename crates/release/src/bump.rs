//! The lockstep bump: every recorded version rewritten to X.Y.Z, keeping each file's formatting; all
//! files or none.

use std::path::PathBuf;
use std::sync::Arc;

use tagwright_versions::{Version, bump::BumpOptions as PlanOptions, bump::Plan};

use crate::{Error, ErrorKind, Event, Events};

/// What to bump, and where.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BumpOptions {
    /// The repository.
    pub repo: PathBuf,
    /// The new version.
    pub version: Version,
    /// Plan and report only: write nothing, recovery included.
    pub dry_run: bool,
    /// Allow a version lower than or equal to the current one.
    pub allow_downgrade: bool,
    /// Bump sources that disagree today (each is rewritten to the new version).
    pub allow_mismatch: bool,
}

impl BumpOptions {
    /// A bump of `repo` to `version`.
    pub fn new(repo: impl Into<PathBuf>, version: Version) -> BumpOptions {
        BumpOptions {
            repo: repo.into(),
            version,
            dry_run: false,
            allow_downgrade: false,
            allow_mismatch: false,
        }
    }
}

/// What a bump did.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct BumpReport {
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
    /// Every file and value that changes.
    pub plan: Plan,
}

/// Bumps every recorded version in `options.repo` to `options.version`.
///
/// A bump killed half-way earlier is completed or rolled back first (and reported as
/// [`Event::Recovered`]), except in a dry run, which writes nothing.
pub fn bump(options: &BumpOptions, events: Arc<dyn Events>) -> Result<BumpReport, Error> {
    if !options.dry_run {
        recover(&options.repo, events.as_ref())?;
    }
    let inventory =
        tagwright_versions::read(&options.repo).map_err(|e| Error::caused(ErrorKind::Input, e))?;
    let last = last_release(&options.repo, &inventory);
    let plan_options = PlanOptions::default()
        .allow_downgrade(options.allow_downgrade)
        .allow_mismatch(options.allow_mismatch)
        .last_release(last);
    let plan = tagwright_versions::bump::plan(&inventory, &options.version, &plan_options)
        .map_err(|e| Error::caused(ErrorKind::Input, e))?;
    if !options.dry_run {
        plan.apply().map_err(|e| {
            let message = format!("bump to {} failed: {}", options.version, tagwright_text::error_chain(&e));
            Error::new(ErrorKind::Check, message)
        })?;
    }
    Ok(BumpReport { dry_run: options.dry_run, plan })
}

/// Finishes or undoes a bump that was killed half-way in `repo`, and reports which.
pub(crate) fn recover(repo: &std::path::Path, events: &dyn Events) -> Result<(), Error> {
    let recovery = tagwright_versions::recover(repo).map_err(|e| Error::caused(ErrorKind::Input, e))?;
    if let Some(recovery) = recovery {
        events.event(&Event::Recovered(&recovery));
    }
    Ok(())
}

/// Parses the version a user typed: SemVer first, then PEP 440; three release components required.
///
/// ```
/// let v = tagwright_release::parse_version("1.2.0rc1").unwrap();
/// assert_eq!(v, tagwright_release::parse_version("1.2.0-rc.1").unwrap());
/// assert!(tagwright_release::parse_version("v1.2.0").unwrap_err().to_string().contains("belongs to the tag"));
/// assert!(tagwright_release::parse_version("0.5").unwrap_err().to_string().ends_with("did you mean 0.5.0?"));
/// ```
pub fn parse_version(text: &str) -> Result<Version, Error> {
    let bad = |message: String| Error::new(ErrorKind::Input, message);
    if let Some(bare) = text.strip_prefix(['v', 'V'])
        && bare.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(bad(format!(
            "`{text}`: the `v` belongs to the tag, not the version: give {bare} (the tag becomes {text})"
        )));
    }
    let version = Version::parse_semver(text).or_else(|_| Version::parse_pep440(text)).map_err(|_| {
        bad(format!("`{text}` is not a version (expected X.Y.Z, such as 1.2.0 or 1.2.0-rc.1)"))
    })?;
    let release = text.split(|c: char| !(c.is_ascii_digit() || c == '.')).next().unwrap_or_default();
    let components: Vec<&str> = release.trim_end_matches('.').split('.').collect();
    if components.len() != 3 {
        let hint = if components.len() < 3 {
            let mut padded = components.clone();
            padded.resize(3, "0");
            format!(": did you mean {}{}?", padded.join("."), &text[release.len()..])
        } else {
            String::new()
        };
        return Err(bad(format!("`{text}` must have three release components (X.Y.Z){hint}")));
    }
    Ok(version)
}

/// The latest release's version: the highest of the tags in `repo` that fit the repository's tag
/// format. `None` without one, or outside a git repository.
pub fn last_release(repo: &std::path::Path, inventory: &tagwright_versions::Inventory) -> Option<Version> {
    let repo = git2::Repository::open(repo).ok()?;
    tagwright_git_sign::preflight::latest_release(&repo, &inventory.tag_format, inventory.scheme())
        .ok()
        .flatten()
        .map(|(_, v)| v)
}
