//! What `tagwright doctor` checks and what it found.

use std::path::PathBuf;

use tagwright_oci_publish::{RegistryOptions, Target};

use crate::GithubTarget;

/// What to check.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DoctorOptions {
    /// The repository.
    pub repo: PathBuf,
    /// The release branch; `None`: `[release] branch` in `tagwright.toml`, else `main`.
    pub branch: Option<String>,
    /// The remote to ask; `None`: not asked.
    pub remote: Option<String>,
    /// The uv that checks the lock; `None` looks on `PATH`.
    pub uv: Option<PathBuf>,
    /// Check what `publish` needs too.
    pub publish: Option<PublishSetup>,
}

impl DoctorOptions {
    /// Checks `repo` against its `origin`, without the publishing checks.
    pub fn new(repo: impl Into<PathBuf>) -> DoctorOptions {
        DoctorOptions {
            repo: repo.into(),
            branch: None,
            remote: Some("origin".to_owned()),
            uv: None,
            publish: None,
        }
    }
}

/// Where `publish` will push, and with what.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PublishSetup {
    /// Where charts go (`oci://host/namespace`); `None`: not checked, and said so.
    pub charts: Option<Target>,
    /// Registry credentials and connection settings.
    pub registry: RegistryOptions,
    /// The GitHub repository of the release; `None`: not checked, and said so.
    pub github: Option<GithubTarget>,
    /// The environment's `GITHUB_ACTIONS`, `ACTIONS_ID_TOKEN_REQUEST_URL` and
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, as `(name, value)`.
    pub actions_env: Vec<(String, String)>,
}

/// One check's outcome, and what to do when it failed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// What was checked.
    pub name: String,
    /// Whether it holds.
    pub ok: bool,
    /// What was found.
    pub detail: String,
    /// What to do, for a failure.
    pub fix: Option<String>,
}

/// Every finding, in order.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct DoctorReport {
    /// The repository's root.
    pub repo: String,
    /// The findings.
    pub checks: Vec<Finding>,
}

impl DoctorReport {
    /// Whether a release would succeed: every check holds.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    pub(crate) fn pass(&mut self, name: &str, detail: impl Into<String>) {
        self.checks.push(Finding { name: name.to_owned(), ok: true, detail: detail.into(), fix: None });
    }

    pub(crate) fn fail(&mut self, name: &str, detail: impl Into<String>, fix: impl Into<String>) {
        let (detail, fix) = (detail.into(), Some(fix.into()));
        self.checks.push(Finding { name: name.to_owned(), ok: false, detail, fix });
    }
}
