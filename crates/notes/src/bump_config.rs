//! `[bump]`: the rules of the next version, as configuration (used by `config.rs` and `bump.rs`).

use regex::Regex;
use serde::Deserialize;

/// The version of a first release (git-cliff's `DEFAULT_INITIAL_TAG`).
pub const DEFAULT_INITIAL_TAG: &str = "0.1.0";

/// A forced increment (`--bump major|minor|patch`, `bump.bump_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BumpType {
    /// The major version.
    Major,
    /// The minor version.
    Minor,
    /// The patch version.
    Patch,
}

/// `[bump]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BumpConfig {
    /// A feature bumps the minor version even before 1.0 (default true).
    pub features_always_bump_minor: Option<bool>,
    /// A breaking change bumps the major version even before 1.0 (default true).
    pub breaking_always_bump_major: Option<bool>,
    /// The version of a first release (default 0.1.0; `--tag` with `--bump`).
    pub initial_tag: Option<String>,
    /// Commit types (or messages) that bump the major version.
    pub custom_major_increment_regex: Option<String>,
    /// Commit types (or messages) that bump the minor version.
    pub custom_minor_increment_regex: Option<String>,
    /// Commit types (or messages) that bump nothing.
    pub no_increment_regex: Option<String>,
    /// A forced increment.
    pub bump_type: Option<BumpType>,
}

/// Why the next version cannot be computed.
#[derive(Debug, thiserror::Error)]
pub enum BumpError {
    /// A `[bump]` regex.
    #[error("bump.{key}: {source}")]
    Regex {
        /// The key.
        key: &'static str,
        /// The cause.
        source: regex::Error,
    },
    /// The previous version is not SemVer, even without a prefix.
    #[error("the previous release {version:?} is not a semantic version: {source}")]
    Semver {
        /// The version.
        version: String,
        /// The cause.
        source: semver::Error,
    },
}

impl BumpConfig {
    /// The version of a first release.
    pub fn initial_tag(&self) -> String {
        self.initial_tag.clone().unwrap_or_else(|| DEFAULT_INITIAL_TAG.to_owned())
    }

    pub(crate) fn regex(
        &self,
        key: &'static str,
        value: Option<&String>,
    ) -> Result<Option<Regex>, BumpError> {
        value.map(|v| Regex::new(v).map_err(|source| BumpError::Regex { key, source })).transpose()
    }
}
