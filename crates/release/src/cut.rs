//! Cutting a release, the runbook's "Cutting a release" as one call: preflight, the lockstep bump, the
//! lock re-sync, the version gate, the notes, then the SSH-signed commit `chore(release): vX.Y.Z` (only
//! the version files) and the SSH-signed annotated tag carrying the notes, and a self-verification.
//!
//! Nothing is pushed. If any step fails, the files, index, HEAD, refs and reflogs are put back exactly
//! as they were, and the error says so (or says what could not be restored).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use git2::Repository;
use tagwright_git_sign::{
    AllowedSigners, Signer, SignerOptions, Snapshot, create_signed_commit, create_signed_tag, preflight,
    verify_commit, verify_tag,
};
use tagwright_versions::{SourceKind, Status, Version, bump};

use crate::{Error, ErrorKind, Event, Events, Resync, Step};

/// The release flow's steps, in order.
pub const STEPS: [&str; 9] = [
    "preflight",
    "bump",
    "re-sync",
    "version gate",
    "notes preview",
    "signed commit",
    "signed tag",
    "self-verification",
    "review and push",
];

/// What to release, and how.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReleaseOptions {
    /// The repository.
    pub repo: PathBuf,
    /// The version to release.
    pub version: Version,
    /// Plan, diff and notes only: change nothing.
    pub dry_run: bool,
    /// Verify the key before signing, and both signatures after, against this allowed-signers file.
    pub allowed_signers: Option<PathBuf>,
    /// The branch releases are cut from.
    pub branch: String,
    /// The uv to run for the lock re-sync; `None` looks for `uv` on `PATH`.
    pub uv: Option<PathBuf>,
    /// Bump sources that disagree today (each is rewritten to the new version).
    pub allow_mismatch: bool,
}

impl ReleaseOptions {
    /// A release of `version` from `repo`'s `main` branch.
    pub fn new(repo: impl Into<PathBuf>, version: Version) -> ReleaseOptions {
        ReleaseOptions {
            repo: repo.into(),
            version,
            dry_run: false,
            allowed_signers: None,
            branch: "main".to_owned(),
            uv: None,
            allow_mismatch: false,
        }
    }
}

/// What a release did (or, in a dry run, would do).
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct ReleaseReport {
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// The release branch.
    pub branch: String,
    /// The tag, such as `v1.2.0`.
    pub tag: String,
    /// The bump.
    pub plan: bump::Plan,
    /// The notes the tag carries.
    pub notes: String,
    /// How the lock was proved to agree (not in a dry run).
    pub resync: Option<Resync>,
    /// The signed commit's id.
    pub commit: Option<String>,
    /// The signed tag object's id.
    pub tag_object: Option<String>,
    /// The signing key's SHA256 fingerprint.
    pub fingerprint: String,
    /// Whether both signatures were verified against the allowed-signers file.
    pub verified: bool,
}

/// Cuts a signed release of `options.version` in `options.repo`.
pub fn release(options: &ReleaseOptions, events: Arc<dyn Events>) -> Result<ReleaseReport, Error> {
    let events = events.as_ref();
    let dir = options.repo.as_path();
    if !options.dry_run {
        crate::bump::recover(dir, events)?;
    }
    let repo = Repository::open(dir).map_err(|e| {
        Error::new(ErrorKind::Input, format!("{}: not a git repository: {}", dir.display(), e.message()))
    })?;
    let allowed = options
        .allowed_signers
        .as_deref()
        .map(AllowedSigners::load)
        .transpose()
        .map_err(|e| Error::caused(ErrorKind::Input, e))?;

    events.event(&Event::Step(Step::of(&STEPS, 1)));
    let inventory = tagwright_versions::read(dir).map_err(|e| Error::caused(ErrorKind::Input, e))?;
    let new = &options.version;
    let tag = inventory.tag_format.render(new);
    let signer = run_preflight(&repo, options, &inventory, &tag, allowed.as_ref())?;
    let fingerprint = signer.fingerprint();
    events.event(&Event::Preflight {
        branch: &options.branch,
        tag: &tag,
        version: &new.to_string(),
        fingerprint: &fingerprint,
        key_source: signer.source(),
    });

    events.event(&Event::Step(Step::of(&STEPS, 2)));
    let plan =
        bump::plan(&inventory, new, &bump::BumpOptions::default().allow_mismatch(options.allow_mismatch))
            .map_err(Step::of(&STEPS, 2).fail(ErrorKind::Check))?;
    events.event(&Event::Planned(&plan));
    let mut report = ReleaseReport {
        dry_run: options.dry_run,
        branch: options.branch.clone(),
        tag: tag.clone(),
        plan,
        notes: String::new(),
        resync: None,
        commit: None,
        tag_object: None,
        fingerprint,
        verified: false,
    };
    if options.dry_run {
        report.notes = notes(dir, &tag, events)?;
        return Ok(report);
    }

    let branch_ref = format!("refs/heads/{}", options.branch);
    let tag_ref = format!("refs/tags/{tag}");
    let snapshot = Snapshot::capture(repo.path(), &[&branch_ref, &tag_ref])
        .map_err(|e| Error::caused(ErrorKind::Check, e))?;
    report.plan.apply().map_err(Step::of(&STEPS, 2).fail(ErrorKind::Check))?;
    let cut = Cut { repo: &repo, dir, options, signer: &signer, allowed: allowed.as_ref(), events };
    if let Err(err) = cut.run(&mut report, &branch_ref, &tag_ref) {
        let files = report.plan.revert();
        let state = snapshot.restore();
        return Err(match (files, state) {
            (Ok(()), Ok(())) => {
                err.then("the repository was restored: files, index, HEAD and refs are as they were")
            }
            (files, state) => err.then(&format!(
                "restoring failed ({}{}): check `git status` and `git log -1`",
                files.err().map(|e| e.to_string()).unwrap_or_default(),
                state.err().map(|e| format!(" {e}")).unwrap_or_default()
            )),
        });
    }
    events.event(&Event::Step(Step::of(&STEPS, 9)));
    Ok(report)
}

fn run_preflight(
    repo: &Repository,
    options: &ReleaseOptions,
    inventory: &tagwright_versions::Inventory,
    tag: &str,
    allowed: Option<&AllowedSigners>,
) -> Result<Signer, Error> {
    let fail = Step::of(&STEPS, 1).fail(ErrorKind::Check);
    preflight::check_branch(repo, &options.branch).map_err(&fail)?;
    preflight::check_clean(repo).map_err(&fail)?;
    preflight::check_tag_absent(repo, tag).map_err(&fail)?;
    preflight::check_newer(repo, &inventory.tag_format, inventory.scheme(), &options.version)
        .map_err(&fail)?;
    repo.signature().map_err(|e| {
        Step::of(&STEPS, 1).failed(format!("no git identity ({}): set user.name and user.email", e.message()))
    })?;
    preflight::check_signer(repo, &SignerOptions::default(), allowed).map_err(&fail)
}

/// The notes of the coming release `tag` (a line naming the release when there are no changes).
fn notes(dir: &Path, tag: &str, events: &dyn Events) -> Result<String, Error> {
    let notes =
        tagwright_notes::release_notes(dir, tag).map_err(Step::of(&STEPS, 5).fail(ErrorKind::Check))?;
    for warning in &notes.warnings {
        events.event(&Event::Note(&format!("warning: {warning}")));
    }
    Ok(if notes.text.trim().is_empty() { format!("Release {tag}\n") } else { notes.text })
}

/// The steps after the bump, which the caller undoes if any fails.
struct Cut<'a> {
    repo: &'a Repository,
    dir: &'a Path,
    options: &'a ReleaseOptions,
    signer: &'a Signer,
    allowed: Option<&'a AllowedSigners>,
    events: &'a dyn Events,
}

impl Cut<'_> {
    fn run(&self, report: &mut ReleaseReport, branch_ref: &str, tag_ref: &str) -> Result<(), Error> {
        let (events, repo, tag) = (self.events, self.repo, report.tag.clone());
        events.event(&Event::Step(Step::of(&STEPS, 3)));
        let resync = resync(self.dir, self.options)?;
        events.event(&Event::Resynced(&resync));
        report.resync = Some(resync);

        events.event(&Event::Step(Step::of(&STEPS, 4)));
        let inventory =
            tagwright_versions::read(self.dir).map_err(Step::of(&STEPS, 4).fail(ErrorKind::Check))?;
        let gate = tagwright_versions::check(&inventory, Some(&tag))
            .map_err(Step::of(&STEPS, 4).fail(ErrorKind::Check))?;
        if gate.status != Status::Ok {
            return Err(Step::of(&STEPS, 4).failed(gate.problems().join("; ")));
        }
        let version = self.options.version.to_string();
        events.event(&Event::Gated { sources: gate.sources.len(), version: &version, tag: Some(&tag) });

        events.event(&Event::Step(Step::of(&STEPS, 5)));
        report.notes = notes(self.dir, &tag, events)?;
        events.event(&Event::Notes(&report.notes));

        events.event(&Event::Step(Step::of(&STEPS, 6)));
        let message = format!("chore(release): {tag}\n");
        let head = repo
            .head()
            .and_then(|h| h.peel_to_commit())
            .map_err(Step::of(&STEPS, 6).fail(ErrorKind::Check))?;
        let commit = commit_version_files(repo, &report.plan, &head, &message, self.signer, branch_ref)
            .map_err(Step::of(&STEPS, 6).fail(ErrorKind::Check))?;
        let commit_id = commit.to_string();
        events.event(&Event::Committed { commit: &commit_id, subject: message.trim_end() });
        report.commit = Some(commit_id.clone());

        events.event(&Event::Step(Step::of(&STEPS, 7)));
        let tagger = repo.signature().map_err(Step::of(&STEPS, 7).fail(ErrorKind::Check))?;
        let tag_oid = create_signed_tag(repo, &tag, commit, &tagger, &report.notes, self.signer)
            .map_err(Step::of(&STEPS, 7).fail(ErrorKind::Check))?;
        repo.reference(tag_ref, tag_oid, false, &format!("tag: {tag}"))
            .map_err(Step::of(&STEPS, 7).fail(ErrorKind::Check))?;
        events.event(&Event::Tagged { tag: &tag, commit: &commit_id });
        report.tag_object = Some(tag_oid.to_string());

        events.event(&Event::Step(Step::of(&STEPS, 8)));
        match self.allowed {
            Some(allowed) => {
                let by_commit = verify_commit(repo, commit, allowed).map_err(|e| {
                    Step::of(&STEPS, 8).failed(format!("commit: {}", tagwright_text::error_chain(&e)))
                })?;
                let by_tag = verify_tag(repo, tag_oid, allowed).map_err(|e| {
                    Step::of(&STEPS, 8).failed(format!("tag: {}", tagwright_text::error_chain(&e)))
                })?;
                events.event(&Event::Verified { commit: &by_commit, tag: &by_tag });
                report.verified = true;
            }
            None => events.event(&Event::VerificationSkipped),
        }
        Ok(())
    }
}

/// The signed commit: HEAD's tree with the version files replaced, nothing else. Moves the branch
/// (only if it still points at `head`) and updates the index entries of those files.
fn commit_version_files(
    repo: &Repository,
    plan: &bump::Plan,
    head: &git2::Commit<'_>,
    message: &str,
    signer: &Signer,
    branch_ref: &str,
) -> Result<git2::Oid, CommitError> {
    let head_tree = head.tree()?;
    let mut update = git2::build::TreeUpdateBuilder::new();
    for file in &plan.files {
        let blob = repo.blob(file.after().as_bytes())?;
        let executable = head_tree
            .get_path(Path::new(&file.path))
            .is_ok_and(|e| e.filemode() == i32::from(git2::FileMode::BlobExecutable));
        let mode = if executable { git2::FileMode::BlobExecutable } else { git2::FileMode::Blob };
        update.upsert(&file.path, blob, mode);
    }
    let tree = repo.find_tree(update.create_updated(repo, &head_tree)?)?;
    let identity = repo.signature()?;
    let commit = create_signed_commit(repo, &identity, &identity, message, &tree, &[head], signer)?;
    repo.reference_matching(branch_ref, commit, true, head.id(), &format!("commit: {}", message.trim_end()))?;
    let mut index = repo.index()?;
    for file in &plan.files {
        index.add_path(Path::new(&file.path))?;
    }
    index.write()?;
    Ok(commit)
}

/// Why the release commit could not be made.
#[derive(Debug, thiserror::Error)]
enum CommitError {
    #[error("{}", .0.message())]
    Git(#[from] git2::Error),
    #[error(transparent)]
    Sign(#[from] tagwright_git_sign::ObjectError),
}

/// Proves the lock agrees with the manifest: `uv lock --check --offline` when uv is found (`--uv`, else
/// `PATH`), else tagwright's own check that uv.lock's root entry records the new version.
fn resync(dir: &Path, options: &ReleaseOptions) -> Result<Resync, Error> {
    let inventory = tagwright_versions::read(dir).map_err(Step::of(&STEPS, 3).fail(ErrorKind::Check))?;
    let Some(root) = inventory.records.iter().find(|r| r.kind == SourceKind::UvLock) else {
        return Ok(Resync::NoLock);
    };
    let uv = match &options.uv {
        Some(uv) => Some(uv.clone()),
        None => crate::tools::find_on_path("uv"),
    };
    if let Some(uv) = uv {
        let mut command = Command::new(&uv);
        command.args(["lock", "--check", "--offline"]).current_dir(dir).env("UV_PYTHON_DOWNLOADS", "never");
        crate::tools::run(&mut command).map_err(|e| Step::of(&STEPS, 3).failed(e))?;
        return Ok(Resync::Uv { program: uv.display().to_string() });
    }
    if root.version != options.version {
        return Err(Step::of(&STEPS, 3).failed(format!(
            "{}:{}: uv.lock's root entry records {}, not {}",
            root.file, root.line, root.value, options.version
        )));
    }
    Ok(Resync::OwnCheck { file: root.file.clone(), line: root.line, value: root.value.clone() })
}
