//! Deleting a version by digest, with its cosign tags; through the GitHub Packages API on ghcr.io.

use super::{OciError, Publisher};
use crate::digest::Digest;
use crate::reference::{Reference, RegistryRef, Target};
use crate::registry::ManifestStatus;
use crate::store::Store;

/// What a delete did (or, in a dry run, would do).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Deletion {
    /// The reference asked for.
    pub reference: String,
    /// The digest deleted.
    pub digest: Digest,
    /// Other tags that named the same digest, deleted with it.
    pub shared_tags: Vec<String>,
    /// cosign signature and attestation tags (`sha256-<hex>.sig`, `.att`), and the referrers'
    /// fallback index (`sha256-<hex>`), deleted with it.
    pub signatures: Vec<String>,
    /// `registry`, `oci-layout` or `GitHub Packages API`.
    pub via: &'static str,
    /// GitHub package version ids deleted (ghcr.io only).
    pub package_versions: Vec<u64>,
    /// Nothing was deleted because this was a dry run.
    pub dry_run: bool,
}

/// Whether `tag` is one of cosign's tags for `digest`: `sha256-<hex>.sig`, `.att` or `.sbom`, or
/// the referrers' tag-schema fallback index `sha256-<hex>`.
fn is_signature_tag(tag: &str, digest: &Digest) -> bool {
    tag.strip_prefix(&digest.tag_prefix()).is_some_and(|rest| matches!(rest, "" | ".sig" | ".att" | ".sbom"))
}

impl Publisher {
    /// Deletes the version at `target`: resolves a tag to its digest and deletes by digest (which
    /// removes every tag naming it), with its cosign signature and attestation tags. On ghcr.io, which
    /// refuses registry deletes, it uses the GitHub Packages API.
    pub fn delete(&self, target: &Target, dry_run: bool) -> Result<Deletion, OciError> {
        let reference = Publisher::required_reference(target)?;
        if let Target::Registry(r) = target
            && crate::ghcr::is_ghcr(&r.host)
        {
            return self.delete_on_github(r, &reference, dry_run);
        }
        let store = self.store(target, false)?;
        let digest = match &reference {
            Reference::Digest(d) => d.clone(),
            Reference::Tag(_) => match store.head(&reference)? {
                ManifestStatus::Found { digest: Some(d), .. } => d,
                ManifestStatus::Found { digest: None, .. } => {
                    store
                        .manifest(&reference)?
                        .ok_or_else(|| OciError::NotFound { reference: target.to_string() })?
                        .digest
                }
                ManifestStatus::Missing => return Err(OciError::NotFound { reference: target.to_string() }),
                ManifestStatus::Throttled { status, .. } => {
                    return Err(OciError::Content {
                        reference: target.to_string(),
                        message: format!("the registry answered HTTP {status}; try again later"),
                    });
                }
            },
        };
        let mut deletion = Deletion {
            reference: target.to_string(),
            digest: digest.clone(),
            shared_tags: Vec::new(),
            signatures: Vec::new(),
            via: "registry",
            package_versions: Vec::new(),
            dry_run,
        };
        let all_tags: Vec<(String, Option<Digest>)> = match &store {
            Store::Layout(layout) => layout.tags()?.into_iter().map(|(t, d)| (t, Some(d))).collect(),
            Store::Registry { registry, repository } => {
                registry.tags(repository)?.into_iter().map(|t| (t, None)).collect()
            }
        };
        for (tag, known) in all_tags {
            if reference == Reference::Tag(tag.clone()) {
                continue;
            }
            if is_signature_tag(&tag, &digest) {
                deletion.signatures.push(tag);
                continue;
            }
            let tag_digest = match known {
                Some(d) => Some(d),
                None => match store.head(&Reference::Tag(tag.clone()))? {
                    ManifestStatus::Found { digest, .. } => digest,
                    _ => None,
                },
            };
            if tag_digest.as_ref() == Some(&digest) {
                deletion.shared_tags.push(tag);
            }
        }
        deletion.via = match store {
            Store::Layout(_) => "oci-layout",
            Store::Registry { .. } => "registry",
        };
        if dry_run {
            return Ok(deletion);
        }
        if store.head(&Reference::Digest(digest.clone()))? == ManifestStatus::Missing {
            return Err(OciError::NotFound { reference: format!("{target} ({digest})") });
        }
        match &store {
            Store::Registry { registry, repository } => registry.delete_manifest(repository, &digest)?,
            Store::Layout(layout) => {
                layout.remove(&digest)?;
            }
        }
        let mut done = format!("deleted {digest}");
        for tag in &deletion.signatures {
            let result = (|| -> Result<(), OciError> {
                let Some(signature) = store.manifest(&Reference::Tag(tag.clone()))? else { return Ok(()) };
                match &store {
                    Store::Registry { registry, repository } => {
                        registry.delete_manifest(repository, &signature.digest)?
                    }
                    Store::Layout(layout) => {
                        layout.remove(&signature.digest)?;
                    }
                }
                Ok(())
            })();
            if let Err(source) = result {
                let remaining: Vec<&str> =
                    deletion.signatures.iter().skip_while(|t| *t != tag).map(String::as_str).collect();
                return Err(OciError::Partial {
                    done,
                    remaining: format!("the signature tags {} remain", remaining.join(", ")),
                    source: Box::new(source),
                });
            }
            done.push_str(&format!(" and {tag}"));
        }
        Ok(deletion)
    }

    fn delete_on_github(
        &self,
        r: &RegistryRef,
        reference: &Reference,
        dry_run: bool,
    ) -> Result<Deletion, OciError> {
        let github = self.github.as_ref().ok_or_else(|| {
            OciError::Usage(format!(
                "{r}: ghcr.io refuses registry deletes, so tagwright uses the GitHub Packages API: set GITHUB_TOKEN \
                 to a token with read:packages and delete:packages"
            ))
        })?;
        let (owner, package) = r
            .repository
            .split_once('/')
            .ok_or_else(|| OciError::Usage(format!("{r}: expected ghcr.io/<owner>/<package>")))?;
        let (base, versions) = github.package_versions(owner, package)?;
        let version = versions
            .iter()
            .find(|v| match reference {
                Reference::Tag(t) => v.tags.contains(t),
                Reference::Digest(d) => v.name == d.as_str(),
            })
            .ok_or_else(|| OciError::NotFound {
                reference: format!("{r} (no such version of package {package} owned by {owner})"),
            })?;
        let digest = Digest::parse(&version.name).map_err(|e| OciError::Content {
            reference: r.to_string(),
            message: format!("GitHub names package version {} by {e}", version.id),
        })?;
        let signature_versions: Vec<_> =
            versions.iter().filter(|v| v.tags.iter().any(|t| is_signature_tag(t, &digest))).collect();
        let deletion = Deletion {
            reference: r.to_string(),
            shared_tags: version
                .tags
                .iter()
                .filter(|t| *reference != Reference::Tag((*t).clone()))
                .cloned()
                .collect(),
            signatures: signature_versions.iter().flat_map(|v| v.tags.iter().cloned()).collect(),
            package_versions: std::iter::once(version.id)
                .chain(signature_versions.iter().map(|v| v.id))
                .collect(),
            digest,
            via: "GitHub Packages API",
            dry_run,
        };
        if dry_run {
            return Ok(deletion);
        }
        let mut deleted = Vec::new();
        for id in &deletion.package_versions {
            if let Err(e) = github.delete_package_version(&base, *id) {
                if deleted.is_empty() {
                    return Err(e.into());
                }
                let remaining: Vec<String> =
                    deletion.package_versions[deleted.len()..].iter().map(u64::to_string).collect();
                return Err(OciError::Partial {
                    done: format!(
                        "deleted package versions {}",
                        deleted.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
                    ),
                    remaining: format!("package versions {} remain", remaining.join(", ")),
                    source: Box::new(e.into()),
                });
            }
            deleted.push(*id);
        }
        Ok(deletion)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_tags() {
        let a = Digest::parse(&format!("sha256:{}", "a".repeat(64))).expect("digest");
        assert!(is_signature_tag(&format!("sha256-{}.sig", "a".repeat(64)), &a));
        assert!(is_signature_tag(&format!("sha256-{}.att", "a".repeat(64)), &a));
        assert!(!is_signature_tag(&format!("sha256-{}.sig", "b".repeat(64)), &a));
        assert!(!is_signature_tag("1.2.0", &a));
        assert!(is_signature_tag(&format!("sha256-{}", "a".repeat(64)), &a), "the referrers' fallback index");
    }
}
