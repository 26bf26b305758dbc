//! `tagwright doctor`: the whole setup checked before the first release, one finding per check, each
//! failure with its fix. Read-only: it runs what a release runs before it changes anything (git's
//! signing configuration, the branch, the remote, `uv lock --check`, the version gate, the notes),
//! and with [`DoctorOptions::publish`], what `publish` needs (the registry and its credentials, the
//! GitHub token's access, an OIDC token in GitHub Actions).

mod publish;
mod report;

use std::path::Path;

use git2::Repository;
use tagwright_git_sign::{AllowedSigners, SignerOptions, preflight};
use tagwright_versions::{SourceKind, Status};

pub use report::{DoctorOptions, DoctorReport, Finding, PublishSetup};

use crate::remote::RemoteState;
use crate::{Error, ErrorKind};

/// The guide the signing fixes point to.
const SIGNING_GUIDE: &str = "docs/signing.md";

/// Checks the setup of `options.repo`. An error only for what stops every check (no repository).
pub fn doctor(options: &DoctorOptions) -> Result<DoctorReport, Error> {
    let dir = options.repo.as_path();
    let repo = Repository::open(dir).map_err(|e| {
        Error::new(ErrorKind::Input, format!("{}: not a git repository: {}", dir.display(), e.message()))
    })?;
    let mut report = DoctorReport { repo: dir.display().to_string(), checks: Vec::new() };
    signing(&repo, dir, &mut report);
    match repo.signature() {
        Ok(identity) => report.pass(
            "git identity",
            format!("{} <{}>", identity.name().unwrap_or("?"), identity.email().unwrap_or("?")),
        ),
        Err(e) => report.fail(
            "git identity",
            e.message(),
            "git config user.name \"Your Name\" && git config user.email you@example.com",
        ),
    }
    let inventory = tagwright_versions::read(dir);
    let branch = options
        .branch
        .clone()
        .or_else(|| inventory.as_ref().ok().and_then(|i| i.release_branch.clone()))
        .unwrap_or_else(|| "main".to_owned());
    branch_and_remote(&repo, dir, &branch, options.remote.as_deref(), &mut report);
    match &inventory {
        Ok(inventory) => versions(inventory, dir, options, &mut report),
        Err(e) => report.fail(
            "version sources",
            tagwright_text::error_chain(e),
            "record the version in pyproject.toml (and uv.lock, Chart.yaml), or list the sources in tagwright.toml",
        ),
    }
    if let Some(publish) = &options.publish {
        publish::check(publish, inventory.as_ref().ok(), &mut report);
    }
    Ok(report)
}

/// git's SSH signing: `gpg.format`, the key (`user.signingkey`, in the agent), and the allowed
/// signers file holding it.
fn signing(repo: &Repository, dir: &Path, report: &mut DoctorReport) {
    let config = repo.config().ok();
    let get = |name: &str| config.as_ref().and_then(|c| c.get_string(name).ok());
    match get("gpg.format").as_deref() {
        Some("ssh") => report.pass("gpg.format", "ssh"),
        other => report.fail(
            "gpg.format",
            format!("{} (git would not sign with SSH)", other.unwrap_or("unset")),
            format!("git config gpg.format ssh  ({SIGNING_GUIDE})"),
        ),
    }
    let signer = match preflight::check_signer(repo, &SignerOptions::default(), None) {
        Ok(signer) => {
            let key = get("user.signingkey").unwrap_or_else(|| "the agent's first key".to_owned());
            report.pass("signing key", format!("{} ({}, {key})", signer.fingerprint(), signer.source()));
            Some(signer)
        }
        Err(e) => {
            report.fail(
                "signing key",
                e.to_string(),
                format!("ssh-add the key, and git config user.signingkey ~/.ssh/KEY.pub  ({SIGNING_GUIDE})"),
            );
            None
        }
    };
    let Some(path) = config.as_ref().and_then(|c| c.get_path("gpg.ssh.allowedSignersFile").ok()) else {
        report.fail(
            "allowed signers",
            "gpg.ssh.allowedSignersFile is not set: nobody can verify the signatures",
            format!(
                "add `you@example.com namespaces=\"git\" <your public key>` to .github/allowed_signers, commit it, and git config gpg.ssh.allowedSignersFile .github/allowed_signers  ({SIGNING_GUIDE})"
            ),
        );
        return;
    };
    let path = if path.is_relative() { dir.join(path) } else { path };
    let allowed = match AllowedSigners::load(&path) {
        Ok(allowed) => allowed,
        Err(e) => {
            report.fail("allowed signers", e.to_string(), format!("create it  ({SIGNING_GUIDE})"));
            return;
        }
    };
    let Some(signer) = signer else {
        report.pass("allowed signers", format!("{} (no key to look for)", path.display()));
        return;
    };
    match preflight::check_signer(repo, &SignerOptions::default(), Some(&allowed)) {
        Ok(_) => {
            report.pass("allowed signers", format!("{} allows {}", path.display(), signer.fingerprint()))
        }
        Err(e) => report.fail(
            "allowed signers",
            e.to_string(),
            format!(
                "add `you@example.com namespaces=\"git\" <your public key>` to {}  ({SIGNING_GUIDE})",
                path.display()
            ),
        ),
    }
}

/// The release branch checked out and clean, and not behind its remote.
fn branch_and_remote(
    repo: &Repository,
    dir: &Path,
    branch: &str,
    remote: Option<&str>,
    report: &mut DoctorReport,
) {
    match preflight::check_branch(repo, branch).and_then(|()| preflight::check_clean(repo)) {
        Ok(()) => report.pass("release branch", format!("on {branch}, clean")),
        Err(e) => report.fail(
            "release branch",
            e.to_string(),
            format!(
                "check out {branch} and commit or stash your changes, or name the release branch with --branch or [release] branch in tagwright.toml"
            ),
        ),
    }
    match crate::remote::check(repo, dir, remote, branch, None) {
        Ok(RemoteState::Checked { remote, tip }) => report.pass(
            "remote",
            match tip {
                Some(_) => format!("{branch} is not behind {remote}/{branch}"),
                None => format!("{remote} has no {branch} yet"),
            },
        ),
        Ok(RemoteState::NotChecked { reason }) => report.pass("remote", format!("not checked: {reason}")),
        Err(e) => report.fail("remote", e.to_string(), "bring the branch up to date before releasing"),
    }
}

/// The version sources in agreement, the lock fresh, the notes rendering.
fn versions(
    inventory: &tagwright_versions::Inventory,
    dir: &Path,
    options: &DoctorOptions,
    report: &mut DoctorReport,
) {
    let gate = tagwright_versions::check(inventory, None);
    let version = match &gate {
        Ok(gate) if gate.status == Status::Ok => {
            let version = gate.expected.clone();
            let v = version.as_ref().map(ToString::to_string).unwrap_or_default();
            report.pass("version sources", format!("{} sources agree on {v}", gate.sources.len()));
            version
        }
        Ok(gate) => {
            let last = crate::last_release(dir, inventory);
            let fix = tagwright_versions::ahead(inventory, last.as_ref()).map_or_else(
                || "make them agree: `tagwright bump X.Y.Z` rewrites every source".to_owned(),
                |a| a.to_string(),
            );
            report.fail("version sources", gate.problems().join("; "), fix);
            None
        }
        Err(e) => {
            report.fail("version sources", e.to_string(), "fix tag-format in tagwright.toml");
            None
        }
    };
    if let Some(lock) = inventory.records.iter().find(|r| r.kind == SourceKind::UvLock) {
        match crate::cut::uv_lock_check(dir, options.uv.as_deref(), &lock.file) {
            Ok(uv) => report.pass("uv.lock", format!("fresh (`uv lock --check`, {})", uv.display())),
            Err(e) if e.kind() == ErrorKind::Input => report.fail(
                "uv.lock",
                "uv is not on PATH",
                "install uv: `mise use uv`, or see docs.astral.sh/uv",
            ),
            Err(e) => report.fail("uv.lock", e.to_string(), "run `uv lock` and commit uv.lock"),
        }
    }
    let tag = version.map_or_else(|| "v0.0.0".to_owned(), |v| inventory.tag_format.render(&v));
    match tagwright_notes::release_notes(dir, &tag) {
        Ok(notes) if notes.warnings.is_empty() => report.pass("release notes", "the configuration renders"),
        Ok(notes) => report.fail(
            "release notes",
            notes.warnings.join("; "),
            "fix the template in cliff.toml (or [tool.git-cliff])",
        ),
        Err(e) => report.fail(
            "release notes",
            tagwright_text::error_chain(&e),
            "fix cliff.toml (or [tool.git-cliff]); `release-notes --unreleased` shows the error",
        ),
    }
}
