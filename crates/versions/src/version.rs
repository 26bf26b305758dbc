//! One version, many spellings: the ecosystem-neutral [`Version`] and its SemVer and PEP 440 forms.
//!
//! A release is recorded in files that each spell a pre-release their own way:
//! Chart.yaml, Cargo.toml and git tags use SemVer 2 (`1.2.0-rc.1`), Python uses PEP 440 (`1.2.0rc1`).
//! [`Version`] holds the version once, in a canonical SemVer form, so that two spellings of the same
//! release compare equal, and it renders each ecosystem's canonical spelling back.
//!
//! The mapping between the two:
//!
//! | SemVer pre-release               | PEP 440        |
//! |----------------------------------|----------------|
//! | `alpha.N`, `a.N`, `alphaN`, `aN` | `aN`           |
//! | `beta.N`, `b.N`, `betaN`, `bN`   | `bN`           |
//! | `rc.N`, `c.N`, `pre.N`, `rcN`    | `rcN`          |
//! | `dev.N`                          | `.devN`        |
//! | `rc.1.dev.2`                     | `rc1.dev2`     |
//!
//! A missing number means 0, as in PEP 440 (`1.0.0-alpha` is `1.0.0a0`).
//! Anything else has no PEP 440 form: build metadata (`+build.5`), post-releases, epochs and
//! pre-release labels such as `SNAPSHOT`.

use std::cmp::Ordering;
use std::fmt;

/// A release version, held in canonical SemVer form.
///
/// Equality and ordering follow SemVer 2 precedence on the canonical form, so
/// `Version::parse_pep440("1.2.0rc1")` equals `Version::parse_semver("1.2.0-rc.1")`.
///
/// ```
/// use tagwright_versions::Version;
/// let python = Version::parse_pep440("1.2.0rc1").unwrap();
/// let chart = Version::parse_semver("1.2.0-rc.1").unwrap();
/// assert_eq!(python, chart);
/// assert_eq!(chart.to_pep440().unwrap(), "1.2.0rc1");
/// assert_eq!(python.to_string(), "1.2.0-rc.1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    inner: semver::Version,
}

/// Why a string is not a version, or has no spelling in an ecosystem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// The string is not a SemVer 2 version.
    #[error("`{value}` is not a SemVer version: {reason}")]
    NotSemver {
        /// The rejected string.
        value: String,
        /// What the SemVer parser said.
        reason: String,
    },
    /// The string is not a PEP 440 version.
    #[error("`{value}` is not a PEP 440 version: {reason}")]
    NotPep440 {
        /// The rejected string.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The string is neither a SemVer nor a PEP 440 version.
    #[error("`{value}` is not a version (neither SemVer like 1.2.0-rc.1 nor PEP 440 like 1.2.0rc1)")]
    NotAVersion {
        /// The rejected string.
        value: String,
    },
    /// The version exists in one ecosystem but cannot be spelled in another.
    #[error("version {version} has no {ecosystem} form: {reason}")]
    Unmappable {
        /// The version, in SemVer form.
        version: String,
        /// The ecosystem that cannot spell it (`PEP 440`, `SemVer`).
        ecosystem: &'static str,
        /// Why not.
        reason: String,
    },
}

impl Version {
    /// Parses a SemVer 2 version (`1.2.0`, `1.2.0-rc.1`, `1.2.0+build.5`).
    pub fn parse_semver(value: &str) -> Result<Version, VersionError> {
        let parsed = semver::Version::parse(value)
            .map_err(|err| VersionError::NotSemver { value: value.to_owned(), reason: err.to_string() })?;
        Ok(Version { inner: canonical(parsed) })
    }

    /// Parses a PEP 440 version (`1.2.0`, `1.2.0rc1`, `1.2.0.dev3`) that has a SemVer form.
    ///
    /// The release must have at most three components; missing ones are zero (`1.2` is `1.2.0`).
    pub fn parse_pep440(value: &str) -> Result<Version, VersionError> {
        let pep = Pep440::parse(value)?;
        pep.to_version(value)
    }

    /// Parses either spelling: SemVer first, then PEP 440. Used for tags and free-form fields.
    pub fn parse_any(value: &str) -> Result<Version, VersionError> {
        Version::parse_semver(value)
            .or_else(|_| Version::parse_pep440(value))
            .map_err(|_| VersionError::NotAVersion { value: value.to_owned() })
    }

    /// The canonical SemVer spelling, as written to Chart.yaml, Cargo.toml and tags.
    pub fn to_semver(&self) -> String {
        self.inner.to_string()
    }

    /// The normalised PEP 440 spelling, as `uv version` writes it to pyproject.toml and uv.lock.
    pub fn to_pep440(&self) -> Result<String, VersionError> {
        let unmappable = |reason: String| VersionError::Unmappable {
            version: self.to_semver(),
            ecosystem: "PEP 440",
            reason,
        };
        if !self.inner.build.is_empty() {
            return Err(unmappable(format!(
                "SemVer build metadata `+{}` has no PEP 440 equivalent \
                 (a PEP 440 local version is not allowed on package indexes)",
                self.inner.build
            )));
        }
        let mut out = format!("{}.{}.{}", self.inner.major, self.inner.minor, self.inner.patch);
        let ids: Vec<&str> =
            if self.inner.pre.is_empty() { Vec::new() } else { self.inner.pre.split('.').collect() };
        let mut rest = ids.as_slice();
        let numeric = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
        if let [kind @ ("alpha" | "beta" | "rc"), n, tail @ ..] = rest
            && numeric(n)
        {
            let short = match *kind {
                "alpha" => "a",
                "beta" => "b",
                _ => "rc",
            };
            out.push_str(short);
            out.push_str(n);
            rest = tail;
        }
        if let ["dev", n, tail @ ..] = rest
            && numeric(n)
        {
            out.push_str(".dev");
            out.push_str(n);
            rest = tail;
        }
        if !rest.is_empty() {
            return Err(unmappable(format!(
                "the pre-release `-{}` is not alpha.N, beta.N, rc.N or dev.N",
                self.inner.pre
            )));
        }
        Ok(out)
    }

    /// True when the version is a pre-release.
    pub fn is_prerelease(&self) -> bool {
        !self.inner.pre.is_empty()
    }

    /// The SemVer view, for callers that need its fields.
    pub fn as_semver(&self) -> &semver::Version {
        &self.inner
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        self.inner.cmp(&other.inner)
    }
}

/// How versions are ordered: SemVer 2 precedence, or PEP 440's, which differs on development releases.
///
/// PEP 440 puts a development release before the release it leads to (`1.2.0rc1.dev2` < `1.2.0rc1`)
/// and a release's own development releases before its alphas (`1.2.0.dev1` < `1.2.0a1`). SemVer,
/// on the canonical forms `1.2.0-rc.1.dev.2` and `1.2.0-dev.1`, orders both pairs the other way.
///
/// ```
/// use tagwright_versions::{Scheme, Version};
/// let dev = Version::parse_pep440("1.2.0rc1.dev2").unwrap();
/// let rc = Version::parse_pep440("1.2.0rc1").unwrap();
/// assert!(Scheme::Pep440.cmp(&dev, &rc).is_lt());
/// assert!(Scheme::Semver.cmp(&dev, &rc).is_gt());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// SemVer 2 precedence: Chart.yaml, Cargo, git tags, and any mix of ecosystems.
    Semver,
    /// PEP 440: a repository whose every version source is Python's.
    Pep440,
}

impl Scheme {
    /// Compares `a` and `b` under this scheme. Under PEP 440, a version with no PEP 440 form (such as
    /// `1.2.0-SNAPSHOT`) falls back to SemVer precedence.
    pub fn cmp(self, a: &Version, b: &Version) -> Ordering {
        match (self, pep440_key(a), pep440_key(b)) {
            (Scheme::Pep440, Some(a), Some(b)) => a.cmp(&b),
            _ => a.cmp(b),
        }
    }
}

/// (release, (phase rank, phase number), (has no dev release, dev number)).
type Pep440Key = ((u64, u64, u64), (u8, u64), (u8, u64));

/// PEP 440's sort key of a version with a PEP 440 form: the release, then the phase (a release's own
/// development releases, alpha, beta, rc, final) with its number, then the development release
/// (none sorts last).
fn pep440_key(version: &Version) -> Option<Pep440Key> {
    let v = &version.inner;
    if !v.build.is_empty() {
        return None;
    }
    let release = (v.major, v.minor, v.patch);
    let ids: Vec<&str> = if v.pre.is_empty() { Vec::new() } else { v.pre.split('.').collect() };
    let number = |n: &str| n.parse::<u64>().ok();
    let (phase, rest) = match ids.as_slice() {
        [kind @ ("alpha" | "beta" | "rc"), n, rest @ ..] => {
            let rank = match *kind {
                "alpha" => 1,
                "beta" => 2,
                _ => 3,
            };
            ((rank, number(n)?), rest)
        }
        rest => ((4, 0), rest),
    };
    let dev = match rest {
        [] => (1, 0),
        ["dev", n] => (0, number(n)?),
        _ => return None,
    };
    // `X.Y.Z.devN` belongs before every pre-release of X.Y.Z.
    let phase = if phase.0 == 4 && dev.0 == 0 { (0, 0) } else { phase };
    Some((release, phase, dev))
}

/// Rewrites the known pre-release spellings into `alpha.N`, `beta.N`, `rc.N` and `dev.N`.
///
/// Only a pre-release that is entirely one optional `alpha`/`beta`/`rc` part followed by one optional
/// `dev` part is rewritten; anything else (`alpha.beta`, `SNAPSHOT`) keeps its spelling.
fn canonical(mut version: semver::Version) -> semver::Version {
    if version.pre.is_empty() {
        return version;
    }
    let ids: Vec<&str> = version.pre.split('.').collect();
    let mut parts: Vec<(&'static str, String)> = Vec::new();
    let mut i = 0;
    while i < ids.len() {
        let (word, digits) = split_word_number(ids[i]);
        let kind = match word.to_ascii_lowercase().as_str() {
            "alpha" | "a" => "alpha",
            "beta" | "b" => "beta",
            "rc" | "c" | "pre" | "preview" => "rc",
            "dev" => "dev",
            _ => return version,
        };
        let number = if !digits.is_empty() {
            trim_zeros(digits)
        } else {
            match ids.get(i + 1) {
                Some(next) if next.bytes().all(|b| b.is_ascii_digit()) => {
                    i += 1;
                    trim_zeros(next)
                }
                _ => "0".to_owned(),
            }
        };
        parts.push((kind, number));
        i += 1;
    }
    let well_formed = match parts.as_slice() {
        [(_, _)] => true,
        [(first, _), ("dev", _)] => *first != "dev",
        _ => false,
    };
    if !well_formed {
        return version;
    }
    let text: Vec<String> = parts.iter().flat_map(|(k, n)| [(*k).to_owned(), n.clone()]).collect();
    if let Ok(pre) = semver::Prerelease::new(&text.join(".")) {
        version.pre = pre;
    }
    version
}

fn split_word_number(id: &str) -> (&str, &str) {
    let split = id.find(|c: char| c.is_ascii_digit()).unwrap_or(id.len());
    let (word, digits) = id.split_at(split);
    if digits.bytes().all(|b| b.is_ascii_digit()) { (word, digits) } else { (id, "") }
}

fn trim_zeros(digits: &str) -> String {
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() { "0".to_owned() } else { trimmed.to_owned() }
}

/// A parsed PEP 440 version (public version identifier plus an optional local label).
#[derive(Debug, PartialEq, Eq)]
struct Pep440 {
    epoch: u64,
    release: Vec<u64>,
    pre: Option<(&'static str, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Option<String>,
}

impl Pep440 {
    /// Parses with PEP 440's normalisation rules: case-insensitive, optional `v`, `-`/`_`/`.` separators,
    /// alternative spellings (`alpha`, `c`, `preview`, `rev`, `r`) and implicit numbers.
    fn parse(value: &str) -> Result<Pep440, VersionError> {
        let err =
            |reason: &str| VersionError::NotPep440 { value: value.to_owned(), reason: reason.to_owned() };
        let lower = value.trim().to_ascii_lowercase();
        let (public, local) = match lower.split_once('+') {
            Some((public, local)) => {
                if local.is_empty()
                    || !local
                        .split(['.', '-', '_'])
                        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
                {
                    return Err(err("the local version label after `+` is malformed"));
                }
                (public.to_owned(), Some(local.replace(['-', '_'], ".")))
            }
            None => (lower, None),
        };
        let mut s = public.strip_prefix('v').unwrap_or(&public);
        let mut epoch = 0;
        if let Some((e, rest)) = s.split_once('!') {
            epoch = e.parse().map_err(|_| err("the epoch before `!` is not a number"))?;
            s = rest;
        }
        let release_end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
        let mut release_str = &s[..release_end];
        let mut rest = &s[release_end..];
        // A trailing `.` belongs to the next segment (`1.0.dev1`).
        if let Some(stripped) = release_str.strip_suffix('.') {
            release_str = stripped;
            rest = &s[release_end - 1..];
        }
        if release_str.is_empty() {
            return Err(err("it does not start with a release number"));
        }
        let release = release_str
            .split('.')
            .map(|p| p.parse::<u64>().map_err(|_| err("a release component is not a number")))
            .collect::<Result<Vec<_>, _>>()?;

        let mut pre = None;
        let mut post = None;
        let mut dev = None;
        let words: [(&str, &'static str); 9] = [
            ("alpha", "a"),
            ("a", "a"),
            ("beta", "b"),
            ("b", "b"),
            ("preview", "rc"),
            ("pre", "rc"),
            ("rc", "rc"),
            ("c", "rc"),
            ("dev", "dev"),
        ];
        while !rest.is_empty() {
            let sep_trimmed = rest.trim_start_matches(['.', '-', '_']);
            let had_sep = sep_trimmed.len() != rest.len();
            // `1.0-1` is an implicit post-release.
            if had_sep && rest.starts_with('-') && sep_trimmed.starts_with(|c: char| c.is_ascii_digit()) {
                if post.is_some() || dev.is_some() {
                    return Err(err("segments are out of order"));
                }
                let (n, tail) = take_number(sep_trimmed);
                post = Some(n.unwrap_or(0));
                rest = tail;
                continue;
            }
            let pre_word = words.iter().find(|(w, _)| sep_trimmed.starts_with(*w));
            let post_word = ["post", "rev", "r"].iter().find(|w| sep_trimmed.starts_with(**w)).copied();
            if let (None, Some(word)) = (pre_word, post_word) {
                if post.is_some() || dev.is_some() {
                    return Err(err("segments are out of order"));
                }
                let (n, tail) = take_number(sep_trimmed[word.len()..].trim_start_matches(['.', '-', '_']));
                post = Some(n.unwrap_or(0));
                rest = tail;
                continue;
            }
            let Some((word, kind)) = pre_word else {
                return Err(err("unexpected text after the release number"));
            };
            let after = &sep_trimmed[word.len()..];
            let (n, tail) = take_number(after.trim_start_matches(['.', '-', '_']));
            let n = n.unwrap_or(0);
            if *kind == "dev" {
                if dev.is_some() {
                    return Err(err("more than one dev segment"));
                }
                dev = Some(n);
            } else {
                if pre.is_some() || post.is_some() || dev.is_some() {
                    return Err(err("segments are out of order"));
                }
                pre = Some((*kind, n));
            }
            rest = tail;
        }
        Ok(Pep440 { epoch, release, pre, post, dev, local })
    }

    fn to_version(&self, value: &str) -> Result<Version, VersionError> {
        let unmappable = |reason: &str| VersionError::Unmappable {
            version: value.to_owned(),
            ecosystem: "SemVer",
            reason: reason.to_owned(),
        };
        if self.epoch != 0 {
            return Err(unmappable("PEP 440 epochs have no SemVer equivalent"));
        }
        if self.post.is_some() {
            return Err(unmappable("PEP 440 post-releases have no SemVer equivalent"));
        }
        if self.local.is_some() {
            return Err(unmappable("PEP 440 local versions (`+…`) are not release versions"));
        }
        if self.release.len() > 3 {
            return Err(unmappable("the release has more than three components"));
        }
        let part = |i: usize| self.release.get(i).copied().unwrap_or(0);
        let mut pre: Vec<String> = Vec::new();
        if let Some((kind, n)) = self.pre {
            let word = match kind {
                "a" => "alpha",
                "b" => "beta",
                _ => "rc",
            };
            pre.push(word.to_owned());
            pre.push(n.to_string());
        }
        if let Some(n) = self.dev {
            pre.push("dev".to_owned());
            pre.push(n.to_string());
        }
        let mut inner = semver::Version::new(part(0), part(1), part(2));
        if !pre.is_empty() {
            inner.pre = semver::Prerelease::new(&pre.join(".")).map_err(|e| unmappable(&e.to_string()))?;
        }
        Ok(Version { inner })
    }
}

fn take_number(s: &str) -> (Option<u64>, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        return (None, s);
    }
    (s[..end].parse().ok(), &s[end..])
}

#[cfg(test)]
mod tests {

    #[test]
    fn pep_440_orders_development_releases_first() {
        let order = [
            "1.2.0.dev1",
            "1.2.0a1.dev1",
            "1.2.0a1",
            "1.2.0b2",
            "1.2.0rc1.dev2",
            "1.2.0rc1",
            "1.2.0",
            "1.2.1.dev0",
        ];
        let versions: Vec<Version> = order.iter().map(|v| Version::parse_pep440(v).expect(v)).collect();
        for pair in versions.windows(2) {
            assert!(Scheme::Pep440.cmp(&pair[0], &pair[1]).is_lt(), "{} < {}", pair[0], pair[1]);
        }
        let snapshot = Version::parse_semver("1.2.0-SNAPSHOT").expect("semver");
        assert_eq!(
            Scheme::Pep440.cmp(&snapshot, &versions[6]),
            snapshot.cmp(&versions[6]),
            "no PEP 440 form: SemVer"
        );
    }
    use super::*;

    #[track_caller]
    fn check_pep(input: &str, semver: &str, pep440: &str) {
        let v = Version::parse_pep440(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(v.to_semver(), semver, "semver form of {input}");
        assert_eq!(v.to_pep440().expect("mappable"), pep440, "pep440 form of {input}");
    }

    #[track_caller]
    fn check_semver(input: &str, semver: &str, pep440: &str) {
        let v = Version::parse_semver(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(v.to_semver(), semver, "semver form of {input}");
        assert_eq!(v.to_pep440().expect("mappable"), pep440, "pep440 form of {input}");
    }

    #[test]
    fn pep440_spellings_map_to_canonical_semver() {
        check_pep("1.2.0", "1.2.0", "1.2.0");
        check_pep("1.2", "1.2.0", "1.2.0");
        check_pep("01.02.03", "1.2.3", "1.2.3");
        check_pep("v1.2.0", "1.2.0", "1.2.0");
        check_pep("1.2.0rc1", "1.2.0-rc.1", "1.2.0rc1");
        check_pep("1.2.0-RC.1", "1.2.0-rc.1", "1.2.0rc1");
        check_pep("1.2.0c1", "1.2.0-rc.1", "1.2.0rc1");
        check_pep("1.2.0preview2", "1.2.0-rc.2", "1.2.0rc2");
        check_pep("1.2.0alpha", "1.2.0-alpha.0", "1.2.0a0");
        check_pep("1.2.0a1", "1.2.0-alpha.1", "1.2.0a1");
        check_pep("2.0.0b2", "2.0.0-beta.2", "2.0.0b2");
        check_pep("1.2.0.dev1", "1.2.0-dev.1", "1.2.0.dev1");
        check_pep("1.2.0-dev1", "1.2.0-dev.1", "1.2.0.dev1");
        check_pep("1.2.0rc1.dev2", "1.2.0-rc.1.dev.2", "1.2.0rc1.dev2");
    }

    #[test]
    fn semver_spellings_map_to_normalised_pep440() {
        check_semver("1.2.0-rc.1", "1.2.0-rc.1", "1.2.0rc1");
        check_semver("1.2.0-rc1", "1.2.0-rc.1", "1.2.0rc1");
        check_semver("1.2.0-alpha.1", "1.2.0-alpha.1", "1.2.0a1");
        check_semver("1.2.0-a.1", "1.2.0-alpha.1", "1.2.0a1");
        check_semver("1.2.0-alpha", "1.2.0-alpha.0", "1.2.0a0");
        check_semver("2.0.0-beta.2", "2.0.0-beta.2", "2.0.0b2");
        check_semver("1.2.0-dev.1", "1.2.0-dev.1", "1.2.0.dev1");
        check_semver("1.2.0-rc.1.dev.2", "1.2.0-rc.1.dev.2", "1.2.0rc1.dev2");
        check_semver("1.2.0-pre.1", "1.2.0-rc.1", "1.2.0rc1");
    }

    #[test]
    fn the_two_spellings_of_a_prerelease_are_equal() {
        assert_eq!(Version::parse_pep440("1.2.0rc1"), Version::parse_semver("1.2.0-rc.1"));
        assert_eq!(Version::parse_pep440("1.2"), Version::parse_semver("1.2.0"));
        assert_ne!(Version::parse_pep440("1.2.0rc2"), Version::parse_semver("1.2.0-rc.1"));
        assert_eq!(Version::parse_any("1.2.0rc1"), Version::parse_any("1.2.0-rc.1"));
    }

    #[test]
    fn unmappable_versions_say_why() {
        let build = Version::parse_semver("1.2.0+build.5").expect("valid semver");
        let err = build.to_pep440().expect_err("build metadata");
        assert!(err.to_string().contains("build metadata `+build.5`"), "{err}");
        let odd = Version::parse_semver("1.0.0-alpha.beta").expect("valid semver");
        assert_eq!(odd.to_semver(), "1.0.0-alpha.beta", "an unknown shape keeps its spelling");
        assert!(odd.to_pep440().is_err());
        let snapshot = Version::parse_semver("1.0.0-SNAPSHOT").expect("valid semver");
        assert!(snapshot.to_pep440().expect_err("snapshot").to_string().contains("-SNAPSHOT"));
        for (input, why) in [
            ("1.2.0.post1", "post-releases"),
            ("1!1.2.0", "epochs"),
            ("1.2.3.4", "more than three"),
            ("1.2.0+local", "local versions"),
        ] {
            let err = Version::parse_pep440(input).expect_err(input);
            assert!(err.to_string().contains(why), "{input}: {err}");
        }
    }

    #[test]
    fn malformed_versions_are_rejected() {
        for input in ["", "latest", "1.2.0rc1rc2", "1.2.0.dev1a1", "x1.2", "1.2.0+"] {
            assert!(Version::parse_pep440(input).is_err(), "{input} should not parse");
        }
        assert!(Version::parse_any("latest").is_err());
        assert!(Version::parse_semver("1.2").is_err());
    }

    #[test]
    fn ordering_is_semver_precedence() {
        let v = |s: &str| Version::parse_any(s).expect(s);
        assert!(v("1.2.0-rc.1") < v("1.2.0"));
        assert!(v("1.2.0-alpha.2") < v("1.2.0-beta.1"));
        assert!(v("1.2.0-rc.2") < v("1.2.0-rc.10"));
        assert!(v("1.10.0") > v("1.9.0"));
        assert!(v("1.2.0rc1") < v("1.2.0"));
    }
}
