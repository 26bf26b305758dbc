//! Tag names: the configured format (`v{version}` by default) and reading a tag from the CI environment.

use std::fmt;

use crate::version::{Version, VersionError};

/// How a release tag spells its version, such as `v{version}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFormat {
    prefix: String,
    suffix: String,
}

/// A tag that does not fit the format or the environment that should name it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TagError {
    /// The format does not contain `{version}` exactly once.
    #[error("tag format `{format}` must contain `{{version}}` exactly once")]
    BadFormat {
        /// The rejected format.
        format: String,
    },
    /// The tag does not match the format.
    #[error("tag `{tag}` does not match the tag format `{format}`")]
    Mismatch {
        /// The tag.
        tag: String,
        /// The format it should match.
        format: String,
    },
    /// The tag's version part is not a version.
    #[error("tag `{tag}`: {source}")]
    BadVersion {
        /// The tag.
        tag: String,
        /// Why its version part is not a version.
        #[source]
        source: VersionError,
    },
    /// Neither `GITHUB_REF` nor `GITHUB_REF_NAME` names a tag.
    #[error("{0}")]
    NotInEnvironment(String),
}

impl Default for TagFormat {
    fn default() -> TagFormat {
        TagFormat { prefix: "v".to_owned(), suffix: String::new() }
    }
}

impl fmt::Display for TagFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{{version}}{}", self.prefix, self.suffix)
    }
}

impl TagFormat {
    /// Parses a format such as `v{version}` or `release-{version}`.
    pub fn parse(format: &str) -> Result<TagFormat, TagError> {
        match format.split_once("{version}") {
            Some((prefix, suffix)) if !suffix.contains("{version}") => {
                Ok(TagFormat { prefix: prefix.to_owned(), suffix: suffix.to_owned() })
            }
            _ => Err(TagError::BadFormat { format: format.to_owned() }),
        }
    }

    /// The tag for `version`: `v1.2.0-rc.1`.
    pub fn render(&self, version: &Version) -> String {
        format!("{}{}{}", self.prefix, version.to_semver(), self.suffix)
    }

    /// The version a tag names. The version part may be SemVer or PEP 440.
    pub fn version_of(&self, tag: &str) -> Result<Version, TagError> {
        let inner = tag
            .strip_prefix(self.prefix.as_str())
            .and_then(|rest| rest.strip_suffix(self.suffix.as_str()))
            .ok_or_else(|| TagError::Mismatch { tag: tag.to_owned(), format: self.to_string() })?;
        Version::parse_semver(inner).or_else(|_| Version::parse_pep440(inner)).map_err(|_| {
            TagError::BadVersion {
                tag: tag.to_owned(),
                source: VersionError::NotAVersion { value: inner.to_owned() },
            }
        })
    }
}

/// The tag a GitHub Actions run was triggered by, from `GITHUB_REF` (`refs/tags/…`) or `GITHUB_REF_NAME`.
///
/// `env` looks a variable up; pass `|name| std::env::var(name).ok()`.
pub fn tag_from_github_env(env: impl Fn(&str) -> Option<String>) -> Result<String, TagError> {
    if let Some(reference) = env("GITHUB_REF").filter(|r| !r.is_empty()) {
        return match reference.strip_prefix("refs/tags/") {
            Some(tag) if !tag.is_empty() => Ok(tag.to_owned()),
            _ => Err(TagError::NotInEnvironment(format!(
                "GITHUB_REF is `{reference}`, which is not a tag (refs/tags/…): was the workflow triggered by a tag push?"
            ))),
        };
    }
    match env("GITHUB_REF_NAME").filter(|r| !r.is_empty()) {
        Some(name) => Ok(name),
        None => Err(TagError::NotInEnvironment(
            "neither GITHUB_REF nor GITHUB_REF_NAME is set: pass --tag instead".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_render_and_read_back() {
        let format = TagFormat::default();
        let v = Version::parse_semver("1.2.0-rc.1").expect("semver");
        assert_eq!(format.render(&v), "v1.2.0-rc.1");
        assert_eq!(format.version_of("v1.2.0-rc.1"), Ok(v.clone()));
        assert_eq!(format.version_of("v1.2.0rc1"), Ok(v.clone()));
        let custom = TagFormat::parse("advisoryhub-{version}").expect("format");
        assert_eq!(custom.render(&v), "advisoryhub-1.2.0-rc.1");
        assert!(matches!(format.version_of("1.2.0"), Err(TagError::Mismatch { .. })));
        assert!(matches!(format.version_of("vlatest"), Err(TagError::BadVersion { .. })));
        assert!(TagFormat::parse("v").is_err());
        assert!(TagFormat::parse("{version}-{version}").is_err());
    }

    #[test]
    fn github_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        };
        assert_eq!(tag_from_github_env(env(&[("GITHUB_REF", "refs/tags/v1.0.0")])), Ok("v1.0.0".to_owned()));
        assert_eq!(tag_from_github_env(env(&[("GITHUB_REF_NAME", "v1.0.0")])), Ok("v1.0.0".to_owned()));
        let err = tag_from_github_env(env(&[("GITHUB_REF", "refs/heads/main")])).expect_err("branch");
        assert!(err.to_string().contains("refs/heads/main"));
        assert!(tag_from_github_env(env(&[])).is_err());
    }
}
