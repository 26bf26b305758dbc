//! `tagwright verify vX.Y.Z`: everything a user would check about a release, one check per line.
//!
//! The checks: the SSH-signed tag (allowed signers); the versions in lockstep at the tag (read from
//! the tag's tree in git's object database, never written out); the release's assets, each accounted
//! for by the signed manifest; the release manifest's signature; every asset against
//! `checksums.txt`; the SBOM's shape; every artifact the manifest lists, at its digest (the chart's
//! tag still naming that digest); the chart's and the image's signatures, keyless with the identity
//! derived from the repository and its workflow (overridable), or with the given keys. A failed check
//! is a line of the report, not an error: every check runs, and the command line exits 1 when one
//! failed.
//!
//! With [`VerifyOptions::remote`], nothing is read from a clone: the tag, its signature and the files
//! at the tag (version sources, workflows) come from GitHub's REST API ([`remote`]).

mod assets;
mod remote;
mod tree;

use std::path::{Path, PathBuf};

use tagwright_oci_publish::{Reference, RegistryOptions, Target};
use tagwright_sigstore::bundle::{BlobVerifier, Identity, Matcher, Tlog, TrustedRoot};
use tagwright_sigstore::dsse::VerifyingKey;
use tagwright_sigstore::signature::{self, Trust};

use crate::publish::GithubTarget;
use crate::{Error, ErrorKind, MANIFEST_BUNDLE, RELEASE_MANIFEST};
use assets::Assets;

/// The GitHub Actions issuer.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

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
    /// Who must have signed every artifact; `None` derives one identity per artifact
    /// ([`derived_identities`]), which [`VerifyOptions::identity_for`] overrides per artifact.
    pub identity: Option<Identity>,
    /// Who must have signed one kind of artifact, over the derived identity (and `identity`).
    pub identity_for: Vec<(Artifact, Identity)>,
    /// The issuer of derived identities (default: GitHub Actions', [`GITHUB_ISSUER`]).
    pub issuer: Option<Matcher>,
    /// Keys the chart, the image and the manifest are signed with (`publish --key`), instead of an
    /// identity: a signature by any of them counts.
    pub keys: Vec<VerifyingKey>,
    /// The trusted root (JSON); `None`: the public-good instance's.
    pub trusted_root: Option<String>,
    /// Registry connection settings.
    pub registry: RegistryOptions,
    /// Read the tag and the files at it through GitHub's API, not from the clone at `repo`: for
    /// `tagwright verify OWNER/REPO@TAG` without a checkout.
    pub remote: bool,
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
            identity_for: Vec::new(),
            issuer: None,
            keys: Vec::new(),
            trusted_root: None,
            registry: RegistryOptions::default(),
            remote: false,
        }
    }

    /// Verifies `tag` as released in `github`, reading nothing but GitHub's API and the registries.
    pub fn remote(tag: &str, github: GithubTarget) -> VerifyOptions {
        VerifyOptions { remote: true, ..VerifyOptions::new(PathBuf::new(), tag, github) }
    }
}

/// Who signed: an identity per artifact, or keys.
enum Signers<'a> {
    Identity(&'a Identities),
    Keys(&'a [VerifyingKey]),
}

/// The artifacts a release signs, each possibly in its own workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Artifact {
    /// `release-manifest.json`, signed by `tagwright publish`.
    Manifest,
    /// The Helm chart, signed by `tagwright publish`.
    Chart,
    /// The container image, signed where it is pushed (`attest sign`, `cosign sign`).
    Image,
}

impl Artifact {
    /// Every artifact, in report order.
    pub const ALL: [Artifact; 3] = [Artifact::Manifest, Artifact::Chart, Artifact::Image];

    /// `manifest`, `chart` or `image`.
    pub fn as_str(self) -> &'static str {
        match self {
            Artifact::Manifest => "manifest",
            Artifact::Chart => "chart",
            Artifact::Image => "image",
        }
    }

    /// What a workflow runs to sign this artifact.
    fn signed_by(self, workflow: &str) -> bool {
        match self {
            Artifact::Manifest | Artifact::Chart => workflow.contains("tagwright publish"),
            Artifact::Image => workflow.lines().any(|line| {
                let line = line.split('#').next().unwrap_or_default();
                line.contains("attest sign ")
                    || (line.contains("cosign sign ") && !line.contains("sign-blob"))
            }),
        }
    }
}

/// One identity per signed artifact.
#[derive(Debug, Clone)]
pub struct Identities {
    /// The manifest's signer.
    pub manifest: Identity,
    /// The chart's signer.
    pub chart: Identity,
    /// The image's signer.
    pub image: Identity,
}

impl Identities {
    /// The identity `artifact` must be signed by.
    pub fn of(&self, artifact: Artifact) -> &Identity {
        match artifact {
            Artifact::Manifest => &self.manifest,
            Artifact::Chart => &self.chart,
            Artifact::Image => &self.image,
        }
    }

    fn of_mut(&mut self, artifact: Artifact) -> &mut Identity {
        match artifact {
            Artifact::Manifest => &mut self.manifest,
            Artifact::Chart => &mut self.chart,
            Artifact::Image => &mut self.image,
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
    derived_identities(repo, github, None).manifest
}

/// One identity per artifact, each from the workflow that signs it (`.github/workflows/*.yml`, the
/// first by name): the manifest and the chart from the one that runs `tagwright publish`, the image
/// from the one that runs `attest sign` or `cosign sign` (else the publishing one); `release.yml`
/// when none does. On any ref, from `issuer` (default: GitHub Actions').
pub fn derived_identities(repo: &Path, github: &GithubTarget, issuer: Option<Matcher>) -> Identities {
    match tagwright_versions::Disk::new(repo) {
        Ok(disk) => derived_identities_in(&disk, github, issuer),
        Err(_) => derived_identities_in(&NoFiles, github, issuer),
    }
}

/// No files: the identities of a repository whose workflows cannot be read.
struct NoFiles;

impl tagwright_versions::Files for NoFiles {
    fn read(&self, path: &Path) -> Result<(Vec<u8>, PathBuf), tagwright_versions::ReadError> {
        Err(tagwright_versions::ReadError::Io {
            path: path.display().to_string(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        })
    }
    fn is_file(&self, _: &Path) -> bool {
        false
    }
    fn exists(&self, _: &Path) -> bool {
        false
    }
    fn names(&self, _: &Path) -> Vec<String> {
        Vec::new()
    }
}

/// [`derived_identities`] from the workflows in `files` (a work tree, or the tree at a tag read
/// through GitHub's API): `.github/workflows/*.yml` and `*.yaml` of at most 1 MiB each.
pub fn derived_identities_in(
    files: &dyn tagwright_versions::Files,
    github: &GithubTarget,
    issuer: Option<Matcher>,
) -> Identities {
    let dir = Path::new(".github/workflows");
    let mut names: Vec<String> =
        files.names(dir).into_iter().filter(|n| n.ends_with(".yml") || n.ends_with(".yaml")).collect();
    names.sort();
    let files: Vec<(String, String)> = names
        .into_iter()
        .filter_map(|name| {
            let (bytes, _) = files.read(&dir.join(&name)).ok()?;
            (bytes.len() <= 1 << 20).then(|| (name, String::from_utf8_lossy(&bytes).into_owned()))
        })
        .collect();
    let find =
        |artifact: Artifact| files.iter().find(|(_, text)| artifact.signed_by(text)).map(|(n, _)| n.clone());
    let publishing = find(Artifact::Manifest).unwrap_or_else(|| "release.yml".to_owned());
    let issuer = issuer.unwrap_or_else(|| Matcher::Exact(GITHUB_ISSUER.to_owned()));
    let identity = |workflow: &str| {
        let pattern = format!(
            "^https://github\\.com/{}/{}/\\.github/workflows/{}@",
            regex::escape(&github.owner),
            regex::escape(&github.repo),
            regex::escape(workflow)
        );
        Identity {
            subject: Matcher::Regexp(regex::Regex::new(&pattern).expect("an escaped pattern compiles")),
            issuer: issuer.clone(),
        }
    };
    Identities {
        manifest: identity(&publishing),
        chart: identity(&publishing),
        image: identity(&find(Artifact::Image).unwrap_or_else(|| publishing.clone())),
    }
}

fn describe(identity: &Identity) -> String {
    let text = |m: &Matcher| match m {
        Matcher::Exact(value) => value.clone(),
        Matcher::Regexp(pattern) => format!("/{pattern}/"),
    };
    format!("{} from {}", text(&identity.subject), text(&identity.issuer))
}

/// The checks of a report, in the order they run (a release that cannot be read adds `GitHub
/// release` after the first two).
pub const CHECKS: [&str; 9] = [
    "signed tag",
    "versions at the tag",
    "release assets",
    "release manifest signature",
    "checksums",
    "SBOM",
    "manifest artifacts",
    "chart signature",
    "image signature",
];

/// Runs every check. Bad input (an unreadable root, a bad API URL) is an error; a failed check is a
/// line of the report ([`VerifyReport::ok`] says whether all held).
pub fn verify(options: &VerifyOptions) -> Result<VerifyReport, Error> {
    let root = tagwright_sigstore::bundle::trusted_root(options.trusted_root.as_deref())
        .map_err(|e| Error::caused(ErrorKind::Input, e))?;
    let github = options.github.client()?;
    // The tag, and the files at it: from the clone, or through GitHub's API.
    let remote_tag = options.remote.then(|| remote::read_tag(&github, &options.github, &options.tag));
    let api_tree = match &remote_tag {
        Some(Ok(tag)) => Some(remote::ApiTree::at(&github, &options.github, &tag.commit)),
        _ => None,
    };
    let files: Option<&dyn tagwright_versions::Files> = match &api_tree {
        Some(Ok(tree)) => Some(tree),
        _ => None,
    };
    let mut identities = match (&options.identity, options.remote, files) {
        (Some(identity), _, _) => {
            Identities { manifest: identity.clone(), chart: identity.clone(), image: identity.clone() }
        }
        (None, false, _) => derived_identities(&options.repo, &options.github, options.issuer.clone()),
        (None, true, files) => {
            derived_identities_in(files.unwrap_or(&NoFiles), &options.github, options.issuer.clone())
        }
    };
    for (artifact, identity) in &options.identity_for {
        *identities.of_mut(*artifact) = identity.clone();
    }
    let signers =
        if options.keys.is_empty() { Signers::Identity(&identities) } else { Signers::Keys(&options.keys) };
    let mut report =
        VerifyReport { tag: options.tag.clone(), identity: signed_by(&signers), checks: Vec::new() };
    let at_tag = match &remote_tag {
        None => AtTag::from_clone(options),
        Some(remote_tag) => AtTag::from_github(remote_tag, api_tree.as_ref(), options),
    };
    let assets = match assets::download(&github, options) {
        Ok(assets) => assets,
        Err(e) => {
            report.record("signed tag", at_tag.signed);
            report.record("versions at the tag", at_tag.versions);
            // What could not be read is not missing: the checks over it say that they did not run.
            report.record("GitHub release", Err(e));
            for name in &CHECKS[2..] {
                report.record(name, Err("not checked: the GitHub release could not be read".to_owned()));
            }
            return Ok(report);
        }
    };
    let manifest = assets.bytes(RELEASE_MANIFEST).map(serde_json::from_slice::<serde_json::Value>);
    let parsed = manifest.as_ref().and_then(|m| m.as_ref().ok());
    report.record("signed tag", same_commit(at_tag.signed, at_tag.commit.as_deref(), parsed));
    report.record("versions at the tag", at_tag.versions);
    report.record("release assets", assets::accounted(&assets, parsed));
    report.record("release manifest signature", manifest_signature(&assets, &root, &signers));
    report.record("checksums", assets::checksums(&assets));
    report.record("SBOM", assets::sbom(&assets));
    match manifest {
        Some(Ok(manifest)) => {
            report.record("manifest artifacts", artifacts(&manifest, &assets, options));
            for (artifact, label) in
                [(Artifact::Chart, "chart signature"), (Artifact::Image, "image signature")]
            {
                report.record(label, signed_artifact(&manifest, artifact, options, &root, &signers));
            }
        }
        Some(Err(e)) => {
            report.record("manifest artifacts", Err(format!("{RELEASE_MANIFEST} is not JSON: {e}")))
        }
        None => report.record("manifest artifacts", Err(format!("the release has no {RELEASE_MANIFEST}"))),
    }
    Ok(report)
}

/// Who the signatures were checked against, for the report's head.
fn signed_by(signers: &Signers<'_>) -> String {
    match signers {
        Signers::Identity(identities) => {
            let all = Artifact::ALL.map(|a| describe(identities.of(a)));
            if all.iter().all(|d| d == &all[0]) {
                all[0].clone()
            } else {
                "an identity per artifact, on its line".to_owned()
            }
        }
        Signers::Keys(keys) => {
            format!("the key(s) {}", keys.iter().map(VerifyingKey::hint).collect::<Vec<_>>().join(", "))
        }
    }
}

/// The tag check, failed when the commit the tag names is not the one `release-manifest.json`
/// records (a manifest of schema 2 made before it recorded one says nothing).
fn same_commit(
    tag: Result<String, String>,
    commit: Option<&str>,
    manifest: Option<&serde_json::Value>,
) -> Result<String, String> {
    let recorded = manifest.and_then(|m| m["commit"].as_str());
    match (tag, commit, recorded) {
        (Ok(_), Some(commit), Some(recorded)) if commit != recorded => Err(format!(
            "the tag names the commit {commit}, but {RELEASE_MANIFEST} records {recorded}: the tag was moved"
        )),
        (tag, _, _) => tag,
    }
}

/// The tag's checks before the release is read: its signature, the commit it names, and the versions
/// at it.
struct AtTag {
    signed: Result<String, String>,
    commit: Option<String>,
    versions: Result<String, String>,
}

impl AtTag {
    /// From the clone, opened once: the tag's object, its commit, and its tree read in the object
    /// database (only the version sources, each at most [`tree::MAX_SOURCE`] bytes; nothing written).
    fn from_clone(options: &VerifyOptions) -> AtTag {
        let repo = match git2::Repository::discover(&options.repo) {
            Ok(repo) => repo,
            Err(e) => {
                let message = format!("{}: {}", options.repo.display(), e.message());
                return AtTag { signed: Err(message.clone()), commit: None, versions: Err(message) };
            }
        };
        let tagged = repo.revparse_single(&format!("refs/tags/{}", options.tag));
        let commit = tagged.as_ref().ok().and_then(|o| o.peel_to_commit().ok()).map(|c| c.id().to_string());
        let versions = tagged
            .map_err(|_| format!("no tag {}", options.tag))
            .and_then(|object| object.peel_to_tree().map_err(|e| e.message().to_owned()))
            .and_then(|tree| versions_in(&tree::GitTree::new(&repo, tree), &options.tag));
        AtTag { signed: signed_tag(&repo, options), commit, versions }
    }

    /// Through GitHub's API: the tag read by [`remote::read_tag`], and the tree at its commit.
    fn from_github(
        tag: &Result<remote::RemoteTag, String>,
        tree: Option<&Result<tree::InTree<remote::ApiTree<'_>>, String>>,
        options: &VerifyOptions,
    ) -> AtTag {
        let tag = match tag {
            Ok(tag) => tag,
            Err(e) => {
                return AtTag {
                    signed: Err(e.clone()),
                    commit: None,
                    versions: Err(format!("not checked: {e}")),
                };
            }
        };
        let allowed = options
            .allowed_signers
            .as_ref()
            .map(|path| tagwright_git_sign::AllowedSigners::load(path).map_err(|e| e.to_string()));
        let signed = match allowed.transpose() {
            Ok(allowed) => remote::signed_tag(&options.tag, tag, allowed.as_ref()),
            Err(e) => Err(e),
        };
        let versions = match tree {
            Some(Ok(tree)) => versions_in(tree, &options.tag),
            Some(Err(e)) => Err(format!("the tree at {}: {e}", tag.commit)),
            None => Err("not checked: no tree".to_owned()),
        };
        AtTag { signed, commit: Some(tag.commit.clone()), versions }
    }
}

fn signed_tag(repo: &git2::Repository, options: &VerifyOptions) -> Result<String, String> {
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
        tagwright_git_sign::verify_tag(repo, oid, &allowed).map_err(|e| format!("{}: {e}", options.tag))?;
    Ok(format!("signed by {} ({})", verified.principal, verified.fingerprint))
}

/// The versions in `files` (a tag's tree), in lockstep with `tag`.
fn versions_in(files: &dyn tagwright_versions::Files, tag: &str) -> Result<String, String> {
    let inventory = tagwright_versions::read_files(files, Path::new(tag)).map_err(|e| e.to_string())?;
    let report = tagwright_versions::check(&inventory, Some(tag)).map_err(|e| e.to_string())?;
    if report.status != tagwright_versions::Status::Ok {
        return Err(report.problems().join("; "));
    }
    Ok(format!(
        "{} sources agree on {}",
        report.sources.len(),
        report.expected.map(|v| v.to_string()).unwrap_or_default()
    ))
}

fn manifest_signature(assets: &Assets, root: &TrustedRoot, signers: &Signers<'_>) -> Result<String, String> {
    let manifest =
        assets.bytes(RELEASE_MANIFEST).ok_or_else(|| format!("the release has no {RELEASE_MANIFEST}"))?;
    let bundle =
        assets.bytes(MANIFEST_BUNDLE).ok_or_else(|| format!("the release has no {MANIFEST_BUNDLE}"))?;
    let bundle = String::from_utf8_lossy(bundle);
    let verifier = BlobVerifier::new(root).map_err(|e| e.to_string())?;
    match signers {
        Signers::Identity(identities) => {
            let identity = identities.of(Artifact::Manifest);
            let verified = verifier
                .verify(manifest, &bundle, identity)
                .map_err(|e| format!("{e} (expected {})", describe(identity)))?;
            Ok(format!("signed by {} ({})", verified.identity, verified.issuer))
        }
        Signers::Keys(keys) => {
            // As publish --key signs it: with the key, not logged; a log entry, if any, must hold.
            let verified = verifier
                .verify_with_keys(manifest, &bundle, keys, Tlog::IfPresent)
                .map_err(|e| e.to_string())?;
            Ok(format!("signed by the key {}", verified.key.unwrap_or_default()))
        }
    }
}

/// `host/repo@sha256:…` of a manifest artifact.
fn location<'a>(manifest: &'a serde_json::Value, name: &str) -> Option<(&'a str, &'a str)> {
    let artifact = manifest["artifacts"].as_array()?.iter().find(|a| a["name"] == name)?;
    Some((artifact["location"].as_str()?, artifact["digest"].as_str()?))
}

fn artifacts(
    manifest: &serde_json::Value,
    assets: &Assets,
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
            match assets.find(name) {
                Some(asset) if asset.digest.as_str() == digest => Ok(()),
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
    artifact: Artifact,
    options: &VerifyOptions,
    root: &TrustedRoot,
    signers: &Signers<'_>,
) -> Result<String, String> {
    let name = artifact.as_str();
    let (location, _) = location(manifest, name).ok_or_else(|| format!("the manifest lists no {name}"))?;
    let Ok(Target::Registry(target)) = Target::parse(location) else {
        return Err(format!("{location} is not a registry reference"));
    };
    let registry = signature::registry(&target, &options.registry).map_err(|e| e.to_string())?;
    let (trust, by) = match signers {
        Signers::Identity(identities) => {
            let identity = identities.of(artifact);
            (Trust::Keyless { root, identity }, format!(" by {}", describe(identity)))
        }
        Signers::Keys(keys) => (Trust::Keys(keys), String::new()),
    };
    let verified =
        signature::verify_with(&registry, &target, trust).map_err(|e| format!("{e} (expected{by})"))?;
    Ok(format!("{} signature(s) ({}) on {}{by}", verified.signatures, verified.format, verified.digest))
}
