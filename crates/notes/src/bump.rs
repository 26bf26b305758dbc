//! The next version of the unreleased changes, as git-cliff's `--bump` computes it: the previous
//! release's version (a `v` or other prefix kept) bumped by the commits with the rules of the
//! `next_version` crate (0.3) that git-cliff uses, as configured in `[bump]`.

use regex::Regex;
use semver::{Prerelease, Version};

use crate::conventional;
use crate::release::Changelog;

pub use crate::bump_config::{BumpConfig, BumpError, BumpType, DEFAULT_INITIAL_TAG};

/// Gives the newest release, when it is unreleased, its next version (and the time now), as
/// git-cliff's `Changelog::bump_version`. `None` when there is no unreleased release to version.
pub fn bump_version(
    changelog: &mut Changelog,
    config: &BumpConfig,
    now: i64,
) -> Result<Option<String>, BumpError> {
    let Some(release) = changelog.releases.first_mut() else { return Ok(None) };
    if release.version.is_some() {
        return Ok(None);
    }
    let previous = release.previous.as_ref().and_then(|p| p.version.clone());
    let next = match previous {
        None => config.initial_tag(),
        Some(version) => {
            let messages: Vec<String> =
                release.commits.iter().map(|c| c.message.trim_end().to_owned()).collect();
            next_version(&version, &messages, config)?
        }
    };
    release.version = Some(next.clone());
    release.timestamp = Some(now);
    Ok(Some(next))
}

/// The version after `version`, for `messages`.
pub fn next_version(version: &str, messages: &[String], config: &BumpConfig) -> Result<String, BumpError> {
    let (prefix, current) = split_prefix(version)?;
    let next = match config.bump_type {
        Some(BumpType::Major) => increment_major(&current),
        Some(BumpType::Minor) => increment_minor(&current),
        Some(BumpType::Patch) => increment_patch(&current),
        None => {
            let rules = Rules {
                features_minor: config.features_always_bump_minor.unwrap_or(true),
                breaking_major: config.breaking_always_bump_major.unwrap_or(true),
                custom_major: config
                    .regex("custom_major_increment_regex", config.custom_major_increment_regex.as_ref())?,
                custom_minor: config
                    .regex("custom_minor_increment_regex", config.custom_minor_increment_regex.as_ref())?,
                no_increment: config.regex("no_increment_regex", config.no_increment_regex.as_ref())?,
            };
            rules.increment(&current, messages)
        }
    };
    Ok(format!("{prefix}{next}"))
}

/// `v1.2.3` → (`v`, 1.2.3), as git-cliff finds the version after a prefix.
fn split_prefix(version: &str) -> Result<(String, Version), BumpError> {
    let error = |source| BumpError::Semver { version: version.to_owned(), source };
    let parsed = Version::parse(version);
    if parsed.is_ok() || version.split('.').count() < 2 {
        return parsed.map(|v| (String::new(), v)).map_err(error);
    }
    let mut found_numeric = false;
    for (i, c) in version.char_indices() {
        if c.is_numeric() && !found_numeric {
            found_numeric = true;
            if let Ok(v) = Version::parse(&version[i..]) {
                return Ok((version[..i].to_owned(), v));
            }
        } else if !c.is_numeric() && found_numeric {
            found_numeric = false;
        }
    }
    parsed.map(|v| (String::new(), v)).map_err(error)
}

fn increment_major(v: &Version) -> Version {
    Version { major: v.major + 1, minor: 0, patch: 0, pre: Prerelease::EMPTY, build: v.build.clone() }
}

fn increment_minor(v: &Version) -> Version {
    Version { minor: v.minor + 1, patch: 0, pre: Prerelease::EMPTY, ..v.clone() }
}

fn increment_patch(v: &Version) -> Version {
    Version { patch: v.patch + 1, pre: Prerelease::EMPTY, ..v.clone() }
}

/// `rc.1` → `rc.2`; `rc` → `rc.1`.
fn increment_prerelease(v: &Version) -> Version {
    let pre = v.pre.as_str();
    let next = match pre.rsplit_once('.') {
        Some((left, right)) => match right.parse::<u32>() {
            Ok(n) => format!("{left}.{}", n + 1),
            Err(_) => format!("{pre}.1"),
        },
        None => format!("{pre}.1"),
    };
    Version { pre: Prerelease::new(&next).unwrap_or_else(|_| v.pre.clone()), ..v.clone() }
}

/// `next_version`'s `VersionUpdater`.
struct Rules {
    features_minor: bool,
    breaking_major: bool,
    custom_major: Option<Regex>,
    custom_minor: Option<Regex>,
    no_increment: Option<Regex>,
}

impl Rules {
    fn increment(&self, current: &Version, messages: &[String]) -> Version {
        let counted: Vec<&String> = messages
            .iter()
            .filter(|m| {
                !self.no_increment.as_ref().is_some_and(|r| {
                    let part = conventional::parse(m).map_or_else(|| (*m).clone(), |c| c.type_);
                    r.is_match(&part)
                })
            })
            .collect();
        if counted.is_empty() {
            return current.clone();
        }
        if !current.pre.is_empty() {
            return increment_prerelease(current);
        }
        let mut types = Vec::new();
        let mut breaking = false;
        let mut plain = Vec::new();
        for message in &counted {
            match conventional::parse(message) {
                Some(c) => {
                    breaking |= c.breaking;
                    types.push(c.type_);
                }
                None => plain.push(message.as_str()),
            }
        }
        let custom = |regex: &Option<Regex>| {
            regex
                .as_ref()
                .is_some_and(|r| types.iter().any(|t| r.is_match(t)) || plain.iter().any(|m| r.is_match(m)))
        };
        let feature = types.iter().any(|t| t.eq_ignore_ascii_case("feat"));
        let major = (breaking || custom(&self.custom_major)) && (current.major != 0 || self.breaking_major);
        let minor = (feature && (current.major != 0 || self.features_minor))
            || (current.major == 0 && current.minor != 0 && breaking)
            || custom(&self.custom_minor);
        if major {
            increment_major(current)
        } else if minor {
            increment_minor(current)
        } else {
            increment_patch(current)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(version: &str, messages: &[&str], config: &BumpConfig) -> String {
        let messages: Vec<String> = messages.iter().map(|m| (*m).to_owned()).collect();
        next_version(version, &messages, config).expect("bumps")
    }

    #[test]
    fn the_rules_are_next_versions() {
        let config = BumpConfig::default();
        assert_eq!(next("v1.2.3", &["fix: a"], &config), "v1.2.4");
        assert_eq!(next("1.2.3", &["feat: a"], &config), "1.3.0");
        assert_eq!(next("1.2.3", &["feat!: a"], &config), "2.0.0");
        assert_eq!(next("0.2.3", &["feat!: a"], &config), "1.0.0");
        assert_eq!(next("1.0.0-rc.1", &["feat: a"], &config), "1.0.0-rc.2");
        assert_eq!(next("release-0.1.0", &["Feat: a"], &config), "release-0.2.0");
        let keep_zero = BumpConfig {
            breaking_always_bump_major: Some(false),
            features_always_bump_minor: Some(false),
            ..BumpConfig::default()
        };
        assert_eq!(next("0.2.3", &["feat!: a"], &keep_zero), "0.3.0");
        assert_eq!(next("0.2.3", &["feat: a"], &keep_zero), "0.2.4");
        let custom = BumpConfig {
            custom_minor_increment_regex: Some("minor|more".into()),
            no_increment_regex: Some("^chore$".into()),
            ..BumpConfig::default()
        };
        assert_eq!(next("1.0.0", &["minor: a"], &custom), "1.1.0");
        assert_eq!(next("1.0.0", &["chore: a"], &custom), "1.0.0");
        let forced = BumpConfig { bump_type: Some(BumpType::Major), ..BumpConfig::default() };
        assert_eq!(next("v0.1.0", &[], &forced), "v1.0.0");
        assert!(next_version("not.a version", &[], &BumpConfig::default()).is_err());
    }
}
