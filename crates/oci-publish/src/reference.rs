//! Where an artifact lives: a registry repository (with a tag or digest), or an OCI image-layout directory.
//!
//! - `oci://host[:port]/namespace[/…]` names a namespace (Helm's form for chart pushes);
//! - `host[:port]/repo[:tag]` and `host[:port]/repo@sha256:…` name an artifact in a registry;
//! - `oci-layout:DIR[:tag]` names an OCI image layout on disk (as skopeo and oras write them).

use std::fmt;
use std::path::PathBuf;

use crate::digest::Digest;

/// A tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// A tag, such as `1.2.0`.
    Tag(String),
    /// A digest, such as `sha256:…`.
    Digest(Digest),
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Tag(t) => f.write_str(t),
            Reference::Digest(d) => f.write_str(d.as_str()),
        }
    }
}

/// A repository in a registry, optionally at a tag or digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRef {
    /// `host[:port]`.
    pub host: String,
    /// The repository path, such as `eclipse-csi/charts/advisoryhub`.
    pub repository: String,
    /// The tag or digest, if any.
    pub reference: Option<Reference>,
}

impl RegistryRef {
    /// The same repository at another reference.
    pub fn at(&self, reference: Reference) -> RegistryRef {
        RegistryRef { reference: Some(reference), ..self.clone() }
    }

    /// A repository below this one (`oci://host/charts` + `advisoryhub`).
    pub fn child(&self, name: &str) -> RegistryRef {
        RegistryRef {
            host: self.host.clone(),
            repository: format!("{}/{name}", self.repository),
            reference: None,
        }
    }
}

impl fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.host, self.repository)?;
        match &self.reference {
            Some(Reference::Tag(t)) => write!(f, ":{t}"),
            Some(Reference::Digest(d)) => write!(f, "@{d}"),
            None => Ok(()),
        }
    }
}

/// A place to push to or pull from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A registry.
    Registry(RegistryRef),
    /// An OCI image layout directory.
    Layout {
        /// The directory.
        dir: PathBuf,
        /// The tag (`org.opencontainers.image.ref.name`), if any.
        reference: Option<Reference>,
    },
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // A host that reads like the layout prefix keeps the `oci://` that tells them apart.
            Target::Registry(r) if r.host.starts_with("oci-layout:") => write!(f, "oci://{r}"),
            Target::Registry(r) => r.fmt(f),
            Target::Layout { dir, reference } => {
                write!(f, "oci-layout:{}", dir.display())?;
                match reference {
                    Some(Reference::Tag(t)) => write!(f, ":{t}"),
                    Some(Reference::Digest(d)) => write!(f, "@{d}"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// Why a reference does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{reference}` is not a valid reference: {reason}")]
pub struct ReferenceError {
    /// The text.
    pub reference: String,
    /// What is wrong.
    pub reason: String,
}

fn valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 128
        && tag.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn valid_repository(repository: &str) -> bool {
    !repository.is_empty()
        && repository.split('/').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
                && part.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// `name[:port]`, as the distribution reference grammar has it: DNS labels (letters, digits, inner
/// `-`) joined by `.`, or a bracketed IPv6 address; a port of up to five digits.
fn valid_host(host: &str) -> bool {
    let label = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    let (name_ok, port) = match host.strip_prefix('[').and_then(|rest| rest.split_once(']')) {
        Some((address, "")) => (address.parse::<std::net::Ipv6Addr>().is_ok(), None),
        Some((address, after)) => {
            (address.parse::<std::net::Ipv6Addr>().is_ok(), Some(after.strip_prefix(':').unwrap_or("")))
        }
        None => match host.rsplit_once(':') {
            Some((name, port)) => (name.split('.').all(label), Some(port)),
            None => (host.split('.').all(label), None),
        },
    };
    name_ok && port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A reference as written, before it is checked.
enum Written<'a> {
    Tag(&'a str),
    Digest(&'a str),
}

/// Splits `name[:tag]` / `name@digest` at the reference.
fn split_reference(text: &str) -> (&str, Option<Written<'_>>) {
    if let Some((name, digest)) = text.rsplit_once('@') {
        return (name, Some(Written::Digest(digest)));
    }
    let last_slash = text.rfind('/').map_or(0, |i| i + 1);
    match text[last_slash..].rfind(':') {
        Some(colon) => (&text[..last_slash + colon], Some(Written::Tag(&text[last_slash + colon + 1..]))),
        None => (text, None),
    }
}

/// Checks a written reference: a tag (`+` written as `_`, as Helm does) or a digest.
fn check_reference(written: Written<'_>, text: &str) -> Result<Reference, ReferenceError> {
    let err = |reason: String| ReferenceError { reference: text.to_owned(), reason };
    match written {
        Written::Tag(tag) => {
            let tag = tag.replace('+', "_");
            if !valid_tag(&tag) {
                return Err(err("a tag is up to 128 letters, digits, _ . -".to_owned()));
            }
            Ok(Reference::Tag(tag))
        }
        Written::Digest(digest) => {
            Digest::parse(digest).map(Reference::Digest).map_err(|e| err(e.to_string()))
        }
    }
}

impl Target {
    /// Parses a target; a tag with `+` (from a SemVer build suffix) is written as `_`, as Helm does.
    pub fn parse(text: &str) -> Result<Target, ReferenceError> {
        let err = |reason: &str| ReferenceError { reference: text.to_owned(), reason: reason.to_owned() };
        if let Some(rest) = text.strip_prefix("oci-layout:") {
            if rest.is_empty() {
                return Err(err("oci-layout: needs a directory"));
            }
            let (dir, reference) = split_reference(rest);
            let reference = reference.map(|r| check_reference(r, text)).transpose()?;
            return Ok(Target::Layout { dir: PathBuf::from(dir), reference });
        }
        let rest = text.strip_prefix("oci://").unwrap_or(text);
        let (host, path) = rest.split_once('/').ok_or_else(|| {
            err("expected a registry host, then the repository, such as ghcr.io/org/app:1.0")
        })?;
        if !valid_host(host) || !(host.contains('.') || host.contains(':') || host == "localhost") {
            return Err(err("the first part must be a registry host, such as ghcr.io or 127.0.0.1:5000"));
        }
        let (repository, reference) = split_reference(path);
        if !valid_repository(repository) {
            return Err(err("repository names are lowercase letters, digits and . _ - separated by /"));
        }
        let reference = reference.map(|r| check_reference(r, text)).transpose()?;
        Ok(Target::Registry(RegistryRef {
            host: host.to_owned(),
            repository: repository.to_owned(),
            reference,
        }))
    }

    /// The reference, if any.
    pub fn reference(&self) -> Option<&Reference> {
        match self {
            Target::Registry(r) => r.reference.as_ref(),
            Target::Layout { reference, .. } => reference.as_ref(),
        }
    }

    /// The same place at another reference.
    pub fn with_reference(&self, reference: Reference) -> Target {
        match self {
            Target::Registry(r) => Target::Registry(r.at(reference)),
            Target::Layout { dir, .. } => Target::Layout { dir: dir.clone(), reference: Some(reference) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(text: &str) -> RegistryRef {
        match Target::parse(text).expect(text) {
            Target::Registry(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn registry_references() {
        let r = registry("oci://ghcr.io/eclipse-csi/charts");
        assert_eq!(
            (r.host.as_str(), r.repository.as_str(), r.reference),
            ("ghcr.io", "eclipse-csi/charts", None)
        );
        let r = registry("127.0.0.1:5000/charts/advisoryhub:1.2.0+build.1");
        assert_eq!(r.host, "127.0.0.1:5000");
        assert_eq!(r.reference, Some(Reference::Tag("1.2.0_build.1".into())));
        let digest = format!("sha256:{}", "a".repeat(64));
        let r = registry(&format!("localhost:5000/app@{digest}"));
        assert_eq!(r.reference, Some(Reference::Digest(Digest::parse(&digest).expect("digest"))));
        assert_eq!(r.to_string(), format!("localhost:5000/app@{digest}"));
        assert_eq!(r.child("x").to_string(), "localhost:5000/app/x");
    }

    #[test]
    fn hosts_follow_the_reference_grammar_and_print_back() {
        for text in [
            "[::1]:5000/a:1",
            "localhost/a",
            "registry-1.example.com:443/a/b@sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "oci://oci-layout:5000/charts",
        ] {
            let target = Target::parse(text).expect(text);
            assert_eq!(
                Target::parse(&target.to_string()).expect("prints as one that parses"),
                target,
                "{text}"
            );
        }
    }

    #[test]
    fn layouts() {
        assert_eq!(
            Target::parse("oci-layout:/tmp/out:1.0.0").expect("layout"),
            Target::Layout { dir: "/tmp/out".into(), reference: Some(Reference::Tag("1.0.0".into())) }
        );
        assert_eq!(
            Target::parse("oci-layout:dist").expect("layout"),
            Target::Layout { dir: "dist".into(), reference: None }
        );
    }

    #[test]
    fn bad_references_say_why() {
        for (text, why) in [
            ("advisoryhub:1.0", "registry host"),
            ("ghcr.io/Upper/x", "lowercase"),
            ("ghcr.io/x@sha256:abc", "64 hex digits"),
            ("oci-layout:dir@sha256:../../x", "not a valid digest"),
            ("oci-layout:dir:bad tag", "a tag is"),
            ("oci://oci-layout::./char", "registry host"),
            ("ghcr.io:80x/a", "registry host"),
            ("-bad.example/a", "registry host"),
            ("ghcr.io/x:bad tag", "a tag is"),
            ("oci-layout:", "needs a directory"),
        ] {
            let err = Target::parse(text).expect_err(text).to_string();
            assert!(err.contains(why), "{text}: {err}");
        }
    }
}
