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

use crate::remote::RemoteState;
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
    /// The branch releases are cut from; `None`: `[release] branch` in `tagwright.toml`, else `main`.
    pub branch: Option<String>,
    /// The uv to run for the lock check; `None` looks for `uv` on `PATH`.
    pub uv: Option<PathBuf>,
    /// Bump sources that disagree today (each is rewritten to the new version).
    pub allow_mismatch: bool,
    /// Tag HEAD as it is: every source must already record the version (no bump, no commit). Without
    /// it, this mode is chosen when every source records the version.
    pub no_bump: bool,
    /// Release without `uv lock --check` (only the lock's root entry is checked, by tagwright).
    pub no_lock_check: bool,
    /// The remote the release will be pushed to, asked before signing; `None`: offline, not asked.
    pub remote: Option<String>,
}

impl ReleaseOptions {
    /// A release of `version` from `repo`'s `main` branch.
    pub fn new(repo: impl Into<PathBuf>, version: Version) -> ReleaseOptions {
        ReleaseOptions {
            repo: repo.into(),
            version,
            dry_run: false,
            allowed_signers: None,
            branch: None,
            uv: None,
            allow_mismatch: false,
            no_bump: false,
            no_lock_check: false,
            remote: Some("origin".to_owned()),
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
    /// Whether the versions were bumped and committed; `false` when HEAD already recorded the
    /// version and only the tag was made.
    pub bumped: bool,
    /// What the remote said before anything was signed.
    pub remote: RemoteState,
    /// The bump (no files when nothing was bumped).
    pub plan: bump::Plan,
    /// The notes the tag carries.
    pub notes: String,
    /// How the lock was proved to agree (not in a dry run).
    pub resync: Option<Resync>,
    /// The signed release commit's id (none when nothing was bumped).
    pub commit: Option<String>,
    /// The commit the tag points at.
    pub tagged: Option<String>,
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
    let branch = options.branch.clone().or_else(|| inventory.release_branch.clone()).unwrap_or("main".into());
    let signer = run_preflight(&repo, options, &branch, &inventory, &tag, allowed.as_ref())?;
    let remote = crate::remote::check(&repo, dir, options.remote.as_deref(), &branch, Some(&tag))
        .map_err(Step::of(&STEPS, 1).fail(ErrorKind::Check))?;
    let fingerprint = signer.fingerprint();
    events.event(&Event::Preflight {
        branch: &branch,
        tag: &tag,
        version: &new.to_string(),
        fingerprint: &fingerprint,
        key_source: signer.source(),
        remote: &remote,
    });

    events.event(&Event::Step(Step::of(&STEPS, 2)));
    let last = crate::bump::last_release(dir, &inventory);
    let bumped = plan_bump(&inventory, options, last.as_ref())?;
    let plan = bump::plan(
        &inventory,
        new,
        &bump::BumpOptions::default()
            .allow_mismatch(options.allow_mismatch)
            .allow_downgrade(!bumped)
            .last_release(last),
    )
    .map_err(Step::of(&STEPS, 2).fail(ErrorKind::Check))?;
    if bumped {
        events.event(&Event::Planned(&plan));
    } else {
        events.event(&Event::Note(&format!(
            "every source already records {new}: no bump and no commit; the tag goes on HEAD"
        )));
    }
    let mut report = ReleaseReport {
        dry_run: options.dry_run,
        branch,
        tag: tag.clone(),
        bumped,
        remote,
        plan,
        notes: String::new(),
        resync: None,
        commit: None,
        tagged: None,
        tag_object: None,
        fingerprint,
        verified: false,
    };
    if options.dry_run {
        // `uv lock --check` writes nothing: the dry run proves what the real run will.
        events.event(&Event::Step(Step::of(&STEPS, 3)));
        let expected = if bumped { report.plan.current.clone() } else { new.clone() };
        let resync = resync(dir, options, &expected)?;
        events.event(&Event::Resynced(&resync));
        report.resync = Some(resync);
        report.notes = notes(dir, &tag, events)?;
        return Ok(report);
    }

    let branch_ref = format!("refs/heads/{}", report.branch);
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

/// Whether the release bumps: not when every source already records the version (a bump merged
/// through a pull request), which `--no-bump` requires. Sources some of which were bumped by hand
/// are refused, naming both ways out.
fn plan_bump(
    inventory: &tagwright_versions::Inventory,
    options: &ReleaseOptions,
    last: Option<&Version>,
) -> Result<bool, Error> {
    let new = &options.version;
    let recorded = inventory.records.iter().all(|r| &r.version == new);
    if recorded {
        return Ok(false);
    }
    if options.no_bump {
        let found: Vec<String> = inventory
            .records
            .iter()
            .filter(|r| &r.version != new)
            .map(|r| format!("{}:{} records {}", r.file, r.line, r.value))
            .collect();
        return Err(Step::of(&STEPS, 2).failed(format!(
            "--no-bump needs every source to record {new}, but {}: run `tagwright bump {new}`, commit it, and release again",
            found.join(", ")
        )));
    }
    if !options.allow_mismatch
        && let Some(ahead) = tagwright_versions::ahead(inventory, last)
    {
        return Err(
            Step::of(&STEPS, 2).failed(format!("{ahead}, commit, then release {} again", ahead.version))
        );
    }
    Ok(true)
}

fn run_preflight(
    repo: &Repository,
    options: &ReleaseOptions,
    branch: &str,
    inventory: &tagwright_versions::Inventory,
    tag: &str,
    allowed: Option<&AllowedSigners>,
) -> Result<Signer, Error> {
    let fail = Step::of(&STEPS, 1).fail(ErrorKind::Check);
    preflight::check_branch(repo, branch).map_err(|e| {
        let actual = preflight::current_branch(repo).ok().flatten().unwrap_or_else(|| "BRANCH".to_owned());
        Step::of(&STEPS, 1).failed(format!(
            "{e}: check out `{branch}`, or release from `{actual}` with `--branch {actual}` (or `[release] branch = \"{actual}\"` in tagwright.toml)"
        ))
    })?;
    preflight::check_clean(repo).map_err(&fail)?;
    preflight::check_tag_absent(repo, tag).map_err(|e| {
        Step::of(&STEPS, 1)
            .failed(format!("{e}: release a newer version, or move the tag with `tagwright retag`"))
    })?;
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
        let resync = resync(self.dir, self.options, &self.options.version)?;
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
        let head = repo
            .head()
            .and_then(|h| h.peel_to_commit())
            .map_err(Step::of(&STEPS, 6).fail(ErrorKind::Check))?;
        let commit = if report.bumped {
            let message = format!("chore(release): {tag}\n");
            let commit = commit_version_files(repo, &report.plan, &head, &message, self.signer, branch_ref)
                .map_err(Step::of(&STEPS, 6).fail(ErrorKind::Check))?;
            let commit_id = commit.to_string();
            events.event(&Event::Committed { commit: &commit_id, subject: message.trim_end() });
            report.commit = Some(commit_id);
            commit
        } else {
            let id = head.id().to_string();
            events.event(&Event::Note(&format!(
                "no commit: {} already records {version}",
                id.get(..7).unwrap_or(&id)
            )));
            head.id()
        };
        let commit_id = commit.to_string();
        report.tagged = Some(commit_id.clone());

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
                let by_commit = if report.bumped {
                    Some(verify_commit(repo, commit, allowed).map_err(|e| {
                        Step::of(&STEPS, 8).failed(format!("commit: {}", tagwright_text::error_chain(&e)))
                    })?)
                } else {
                    None
                };
                let by_tag = verify_tag(repo, tag_oid, allowed).map_err(|e| {
                    Step::of(&STEPS, 8).failed(format!("tag: {}", tagwright_text::error_chain(&e)))
                })?;
                events.event(&Event::Verified { commit: by_commit.as_ref(), tag: &by_tag });
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

/// Proves the lock agrees with the manifest: `uv lock --check --offline` (uv from `--uv`, else
/// `PATH`). Without uv the release is refused, unless `--no-lock-check`: then tagwright checks only
/// that uv.lock's root entry records `expected`.
fn resync(dir: &Path, options: &ReleaseOptions, expected: &Version) -> Result<Resync, Error> {
    let step = Step::of(&STEPS, 3);
    let inventory = tagwright_versions::read(dir).map_err(step.fail(ErrorKind::Check))?;
    let Some(root) = inventory.records.iter().find(|r| r.kind == SourceKind::UvLock) else {
        return Ok(Resync::NoLock);
    };
    if options.no_lock_check {
        if &root.version != expected {
            return Err(step.failed(format!(
                "{}:{}: uv.lock's root entry records {}, not {expected}",
                root.file, root.line, root.value
            )));
        }
        return Ok(Resync::OwnCheck { file: root.file.clone(), line: root.line, value: root.value.clone() });
    }
    let uv = uv_lock_check(dir, options.uv.as_deref(), &root.file).map_err(|e| e.at(step))?;
    Ok(Resync::Uv { program: uv.display().to_string() })
}

/// `uv lock --check --offline` in `dir` (uv from `uv`, else `PATH`): the uv that ran. Without uv, an
/// input error that names how to get it.
pub(crate) fn uv_lock_check(dir: &Path, uv: Option<&Path>, lock: &str) -> Result<PathBuf, Error> {
    let uv = match uv {
        Some(uv) => uv.to_path_buf(),
        None => crate::tools::find_on_path("uv").ok_or_else(|| {
            Error::new(
                ErrorKind::Input,
                "uv is not on PATH, and uv.lock must be checked with it: install uv (`mise use uv`, or https://docs.astral.sh/uv/getting-started/installation/), pass --uv PATH, or --no-lock-check to release without checking uv.lock",
            )
        })?,
    };
    let mut command = Command::new(&uv);
    command.args(["lock", "--check", "--offline"]).current_dir(dir).env("UV_PYTHON_DOWNLOADS", "never");
    crate::tools::run(&mut command).map_err(|e| Error::new(ErrorKind::Check, uv_failure(lock, &e)))?;
    Ok(uv)
}

/// uv's own output, as one line that names the fix.
fn uv_failure(lock: &str, output: &str) -> String {
    if output.contains("needs to be updated") {
        return format!(
            "{lock} is out of date with pyproject.toml (`uv lock --check` says so): run `uv lock`, commit {lock}, and release again"
        );
    }
    let last = output.lines().rev().find(|l| l.trim_start().starts_with("error:")).unwrap_or(output);
    format!("`uv lock --check --offline` failed: {}", last.trim())
}
