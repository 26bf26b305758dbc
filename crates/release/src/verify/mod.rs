//! `tagwright verify vX.Y.Z`: everything a user would check about a release, one check per line.
//!
//! The checks: the SSH-signed tag (allowed signers); the versions in lockstep at the tag (read from
//! the tag's tree, not the work tree); the release manifest's signature; every asset against
//! `checksums.txt`; the SBOM's shape; every artifact the manifest lists, at its digest (the chart's
//! tag still naming that digest); the chart's and the image's signatures, with the identity derived
//! from the repository and its workflow (overridable). A failed check is a line of the report, not an
//! error: every check runs, and the command line exits 1 when one failed.

use std::path::{Path, PathBuf};

use tagwright_attest::bundle::{BlobVerifier, Identity, Matcher, TrustedRoot};
use tagwright_attest::signature::{self, Trust};
use tagwright_github::Github;
use tagwright_oci_publish::{Digest, Reference, RegistryOptions, Target};

use crate::publish::GithubTarget;
use crate::{CHECKSUMS, Error, ErrorKind, RELEASE_MANIFEST};

/// The GitHub Actions issuer.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// The largest asset downloaded for checking.
const MAX_ASSET: u64 = 512 << 20;

/// What to verify, and against what.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// The repository.
    pub repo: PathBuf,
    /// The release tag.
    pub tag: String,
    /// Where the release is.
    pub github: GithubTarget,
    /// The allowed-signers file for the tag (default: git's `gpg.ssh.allowedSignersFile`).
    pub allowed_signers: Option<PathBuf>,
    /// Who must have signed the chart, the image and the manifest; `None` derives it: the
    /// repository's workflow that runs `tagwright publish`, from GitHub Actions' issuer.
    pub identity: Option<Identity>,
    /// The trusted root (JSON); `None`: the public-good instance's.
    pub trusted_root: Option<String>,
    /// Registry connection settings.
    pub registry: RegistryOptions,
}

impl VerifyOptions {
    /// Verifies `tag` of `repo`, released in `github`, with the derived identity and the public-good
    /// root.
    pub fn new(repo: impl Into<PathBuf>, tag: &str, github: GithubTarget) -> VerifyOptions {
        VerifyOptions {
            repo: repo.into(),
            tag: tag.to_owned(),
            github,
            allowed_signers: None,
            identity: None,
            trusted_root: None,
            registry: RegistryOptions::default(),
        }
    }
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// Whether it held.
    pub ok: bool,
    /// What was found, or why it failed.
    pub detail: String,
}

/// Every check, in order.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct VerifyReport {
    /// The tag.
    pub tag: String,
    /// The identity signatures were checked against.
    pub identity: String,
    /// The checks.
    pub checks: Vec<Check>,
}

impl VerifyReport {
    /// Whether every check held.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    /// The names of the checks that failed.
    pub fn failed(&self) -> Vec<&str> {
        self.checks.iter().filter(|c| !c.ok).map(|c| c.name.as_str()).collect()
    }

    fn record(&mut self, name: &str, outcome: Result<String, String>) {
        let (ok, detail) = match outcome {
            Ok(detail) => (true, detail),
            Err(detail) => (false, detail),
        };
        self.checks.push(Check { name: name.to_owned(), ok, detail });
    }
}

/// The identity a repository's releases are signed with: its workflow that runs `tagwright publish`
/// (`.github/workflows/*.yml`, else `release.yml`), on any ref, from GitHub Actions.
pub fn derived_identity(repo: &Path, github: &GithubTarget) -> Identity {
    let workflows = repo.join(".github/workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&workflows)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    let workflow = files
        .iter()
        .find(|f| std::fs::read_to_string(f).is_ok_and(|t| t.contains("tagwright publish")))
        .and_then(|f| f.file_name())
        .map_or_else(|| "release.yml".to_owned(), |n| n.to_string_lossy().into_owned());
    let pattern = format!(
        "^https://github\\.com/{}/{}/\\.github/workflows/{}@",
        regex::escape(&github.owner),
        regex::escape(&github.repo),
        regex::escape(&workflow)
    );
    Identity {
        subject: Matcher::Regexp(regex::Regex::new(&pattern).expect("an escaped pattern compiles")),
        issuer: Matcher::Exact(GITHUB_ISSUER.to_owned()),
    }
}

fn describe(identity: &Identity) -> String {
    let text = |m: &Matcher| match m {
        Matcher::Exact(value) => value.clone(),
        Matcher::Regexp(pattern) => format!("/{pattern}/"),
    };
    format!("{} from {}", text(&identity.subject), text(&identity.issuer))
}

/// Runs every check. Bad input (an unreadable root, a bad API URL) is an error; a failed check is a
/// line of the report ([`VerifyReport::ok`] says whether all held).
pub fn verify(options: &VerifyOptions) -> Result<VerifyReport, Error> {
    let identity =
        options.identity.clone().unwrap_or_else(|| derived_identity(&options.repo, &options.github));
    let root = tagwright_attest::bundle::trusted_root(options.trusted_root.as_deref())
        .map_err(|e| Error::caused(ErrorKind::Input, e))?;
    let github = options.github.client()?;
    let mut report =
        VerifyReport { tag: options.tag.clone(), identity: describe(&identity), checks: Vec::new() };
    report.record("signed tag", signed_tag(options));
    report.record("versions at the tag", versions_at_tag(options));
    let assets = release_assets(&github, options);
    let manifest = match &assets {
        Ok(assets) => assets.iter().find(|(n, _)| n == RELEASE_MANIFEST).map(|(_, b)| b.clone()),
        Err(_) => None,
    };
    match &assets {
        Ok(assets) => {
            report.record("release manifest signature", manifest_signature(assets, &root, &identity));
            report.record("checksums", checksums(assets));
            report.record("SBOM", sbom(assets));
        }
        Err(e) => report.record("GitHub release", Err(e.clone())),
    }
    match manifest.as_deref().map(serde_json::from_slice::<serde_json::Value>) {
        Some(Ok(manifest)) => {
            let assets = assets.as_deref().unwrap_or_default();
            report.record("manifest artifacts", artifacts(&manifest, assets, options));
            for (name, label) in [("chart", "chart signature"), ("image", "image signature")] {
                report.record(label, signed_artifact(&manifest, name, options, &root, &identity));
            }
        }
        Some(Err(e)) => {
            report.record("manifest artifacts", Err(format!("{RELEASE_MANIFEST} is not JSON: {e}")))
        }
        None => report.record("manifest artifacts", Err(format!("the release has no {RELEASE_MANIFEST}"))),
    }
    Ok(report)
}

fn signed_tag(options: &VerifyOptions) -> Result<String, String> {
    let repo = git2::Repository::discover(&options.repo)
        .map_err(|e| format!("{}: {}", options.repo.display(), e.message()))?;
    let path = match &options.allowed_signers {
        Some(path) => path.clone(),
        None => {
            let configured = repo.config().and_then(|c| c.get_path("gpg.ssh.allowedSignersFile"));
            let path = configured.map_err(|_| {
                "no allowed-signers file: pass --allowed-signers or set gpg.ssh.allowedSignersFile".to_owned()
            })?;
            if path.is_relative() { repo.workdir().unwrap_or(Path::new(".")).join(path) } else { path }
        }
    };
    let allowed = tagwright_git_sign::AllowedSigners::load(&path).map_err(|e| e.to_string())?;
    let reference = repo
        .find_reference(&format!("refs/tags/{}", options.tag))
        .map_err(|_| format!("no tag {}", options.tag))?;
    let oid = reference.target().ok_or_else(|| format!("{} is a symbolic reference", options.tag))?;
    let verified =
        tagwright_git_sign::verify_tag(&repo, oid, &allowed).map_err(|e| format!("{}: {e}", options.tag))?;
    Ok(format!("signed by {} ({})", verified.principal, verified.fingerprint))
}

fn versions_at_tag(options: &VerifyOptions) -> Result<String, String> {
    let repo = git2::Repository::discover(&options.repo).map_err(|e| e.message().to_owned())?;
    let object = repo
        .revparse_single(&format!("refs/tags/{}", options.tag))
        .map_err(|_| format!("no tag {}", options.tag))?;
    let tree = object.peel_to_tree().map_err(|e| e.message().to_owned())?;
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut failure = None;
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() != Some(git2::ObjectType::Blob) {
            return git2::TreeWalkResult::Ok;
        }
        let name = entry.name().unwrap_or_default();
        let path = scratch.path().join(dir).join(name);
        let written = entry.to_object(&repo).ok().and_then(|o| o.into_blob().ok()).map(|blob| {
            path.parent()
                .map(std::fs::create_dir_all)
                .transpose()
                .and_then(|_| std::fs::write(&path, blob.content()))
        });
        if !matches!(written, Some(Ok(()))) {
            failure = Some(format!("cannot export {dir}{name} from the tag"));
            return git2::TreeWalkResult::Abort;
        }
        git2::TreeWalkResult::Ok
    })
    .map_err(|e| failure.clone().unwrap_or_else(|| e.message().to_owned()))?;
    let inventory = tagwright_versions::read(scratch.path()).map_err(|e| e.to_string())?;
    let report = tagwright_versions::check(&inventory, Some(&options.tag)).map_err(|e| e.to_string())?;
    if report.status != tagwright_versions::Status::Ok {
        return Err(report.problems().join("; "));
    }
    Ok(format!(
        "{} sources agree on {}",
        report.sources.len(),
        report.expected.map(|v| v.to_string()).unwrap_or_default()
    ))
}

type Assets = Vec<(String, Vec<u8>)>;

fn release_assets(github: &Github, options: &VerifyOptions) -> Result<Assets, String> {
    let (owner, repo) = (&options.github.owner, &options.github.repo);
    let release = github
        .release_by_tag(owner, repo, &options.tag)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no GitHub release of {} in {owner}/{repo}", options.tag))?;
    if release.draft {
        return Err(format!("the release {} is still a draft", release.html_url));
    }
    let listed = github.assets(owner, repo, release.id).map_err(|e| e.to_string())?;
    listed
        .iter()
        .map(|a| {
            github
                .download_asset(owner, repo, a.id, MAX_ASSET)
                .map(|bytes| (a.name.clone(), bytes))
                .map_err(|e| e.to_string())
        })
        .collect()
}

fn find<'a>(assets: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    assets.iter().find(|(n, _)| n == name).map(|(_, b)| b.as_slice())
}

fn manifest_signature(
    assets: &[(String, Vec<u8>)],
    root: &TrustedRoot,
    identity: &Identity,
) -> Result<String, String> {
    let manifest =
        find(assets, RELEASE_MANIFEST).ok_or_else(|| format!("the release has no {RELEASE_MANIFEST}"))?;
    let bundle = find(assets, &format!("{RELEASE_MANIFEST}.sigstore.json"))
        .ok_or_else(|| format!("the release has no {RELEASE_MANIFEST}.sigstore.json"))?;
    let verifier = BlobVerifier::new(root).map_err(|e| e.to_string())?;
    let verified =
        verifier.verify(manifest, &String::from_utf8_lossy(bundle), identity).map_err(|e| e.to_string())?;
    Ok(format!("signed by {} ({})", verified.identity, verified.issuer))
}

fn checksums(assets: &[(String, Vec<u8>)]) -> Result<String, String> {
    let list = find(assets, CHECKSUMS).ok_or_else(|| format!("the release has no {CHECKSUMS}"))?;
    let text = String::from_utf8_lossy(list);
    let mut checked = 0;
    let mut problems = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let Some((hex, name)) = line.split_once("  ").or_else(|| line.split_once(" *")) else {
            problems.push(format!("a line of {CHECKSUMS} is not `HEX  NAME`: {line}"));
            continue;
        };
        match find(assets, name) {
            None => problems.push(format!("{name} is listed but not on the release")),
            Some(bytes) if Digest::sha256(bytes).as_str() != format!("sha256:{hex}") => {
                problems.push(format!("{name} does not match its checksum"));
            }
            Some(_) => checked += 1,
        }
    }
    for (name, _) in assets {
        let listed = text.lines().any(|l| l.ends_with(&format!("  {name}")));
        if !listed && name != CHECKSUMS && !name.starts_with(&format!("{RELEASE_MANIFEST}.sig")) {
            problems.push(format!("{name} is on the release but not in {CHECKSUMS}"));
        }
    }
    if problems.is_empty() { Ok(format!("{checked} assets match")) } else { Err(problems.join("; ")) }
}

fn sbom(assets: &[(String, Vec<u8>)]) -> Result<String, String> {
    let bytes = find(assets, "sbom.cdx.json").ok_or("the release has no sbom.cdx.json")?;
    let bom: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("sbom.cdx.json is not JSON: {e}"))?;
    if bom["bomFormat"] != "CycloneDX" || !matches!(bom["specVersion"].as_str(), Some("1.5" | "1.6")) {
        return Err("sbom.cdx.json is not a CycloneDX 1.5 or 1.6 document".to_owned());
    }
    let components = bom["components"].as_array().map_or(&[][..], Vec::as_slice);
    let mut refs: Vec<&str> = components.iter().filter_map(|c| c["bom-ref"].as_str()).collect();
    refs.extend(bom["metadata"]["component"]["bom-ref"].as_str());
    let total = refs.len();
    refs.sort_unstable();
    refs.dedup();
    if refs.len() != total {
        return Err("sbom.cdx.json has duplicate bom-refs".to_owned());
    }
    let dangling = bom["dependencies"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|d| std::iter::once(&d["ref"]).chain(d["dependsOn"].as_array().into_iter().flatten()))
        .filter_map(serde_json::Value::as_str)
        .find(|r| refs.binary_search(r).is_err());
    if let Some(missing) = dangling {
        return Err(format!("sbom.cdx.json's dependency graph names {missing}, which is not a component"));
    }
    Ok(format!(
        "CycloneDX {}, {} component(s)",
        bom["specVersion"].as_str().unwrap_or_default(),
        components.len()
    ))
}

/// `host/repo@sha256:…` of a manifest artifact.
fn location<'a>(manifest: &'a serde_json::Value, name: &str) -> Option<(&'a str, &'a str)> {
    let artifact = manifest["artifacts"].as_array()?.iter().find(|a| a["name"] == name)?;
    Some((artifact["location"].as_str()?, artifact["digest"].as_str()?))
}

fn artifacts(
    manifest: &serde_json::Value,
    assets: &[(String, Vec<u8>)],
    options: &VerifyOptions,
) -> Result<String, String> {
    let version = manifest["version"].as_str().unwrap_or_default();
    let mut problems = Vec::new();
    let mut checked = 0;
    for artifact in manifest["artifacts"].as_array().into_iter().flatten() {
        let (name, digest) =
            (artifact["name"].as_str().unwrap_or_default(), artifact["digest"].as_str().unwrap_or_default());
        let location = artifact["location"].as_str().unwrap_or_default();
        let outcome = if location.starts_with("release asset ") {
            match find(assets, name) {
                Some(bytes) if Digest::sha256(bytes).as_str() == digest => Ok(()),
                Some(_) => Err(format!("{name} on the release is not {digest}")),
                None => Err(format!("{name} is gone from the release")),
            }
        } else {
            exists_at(location, name, version, options)
        };
        match outcome {
            Ok(()) => checked += 1,
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(format!("{checked} artifacts at their digests"))
    } else {
        Err(problems.join("; "))
    }
}

/// The artifact exists at `location` (`host/repo@digest`); for the chart, its version tag still names
/// that digest.
fn exists_at(location: &str, name: &str, version: &str, options: &VerifyOptions) -> Result<(), String> {
    let Ok(Target::Registry(target)) = Target::parse(location) else {
        return Err(format!("{name}: {location} is not a registry reference"));
    };
    let registry = signature::registry(&target, &options.registry).map_err(|e| format!("{name}: {e}"))?;
    let digest = signature::resolve(&registry, &target).map_err(|e| format!("{name}: {e}"))?;
    if registry
        .get_manifest(&target.repository, &Reference::Digest(digest.clone()))
        .map_err(|e| format!("{name}: {e}"))?
        .is_none()
    {
        return Err(format!("{name}: {location} is gone"));
    }
    if name == "chart" {
        let mut tagged = target.clone();
        tagged.reference = Some(Reference::Tag(version.to_owned()));
        let now = signature::resolve(&registry, &tagged).map_err(|e| format!("chart: {e}"))?;
        if now != digest {
            return Err(format!(
                "chart: {}/{}:{version} is now {now}, not {digest}: re-pushed with other bytes",
                target.host, target.repository
            ));
        }
    }
    Ok(())
}

fn signed_artifact(
    manifest: &serde_json::Value,
    name: &str,
    options: &VerifyOptions,
    root: &TrustedRoot,
    identity: &Identity,
) -> Result<String, String> {
    let (location, _) = location(manifest, name).ok_or_else(|| format!("the manifest lists no {name}"))?;
    let Ok(Target::Registry(target)) = Target::parse(location) else {
        return Err(format!("{location} is not a registry reference"));
    };
    let registry = signature::registry(&target, &options.registry).map_err(|e| e.to_string())?;
    let verified = signature::verify_with(&registry, &target, Trust::Keyless { root, identity })
        .map_err(|e| e.to_string())?;
    Ok(format!("{} signature(s) ({}) on {}", verified.signatures, verified.format, verified.digest))
}
