//! `cargo xtask release X.Y.Z`: the runbook's "Cutting a release", as one command.
//!
//! Preflight, the lockstep bump, the lock re-sync, the version gate, the notes preview, then the
//! SSH-signed commit `chore(release): vX.Y.Z` (only the version files) and the SSH-signed annotated tag
//! carrying the notes, a self-verification, and the commands to review and push. Nothing is pushed.
//! If any step fails, the files, index, HEAD and refs are put back exactly as they were.

use std::path::{Path, PathBuf};

use std::process::{Command, ExitCode};

use anyhow::{Context, Result};
use git2::Repository;
use tagwright_cli::out;
use tagwright_git_sign::{
    AllowedSigners, Signer, SignerOptions, Snapshot, create_signed_commit, create_signed_tag, preflight,
    verify_commit, verify_tag,
};
use tagwright_versions::{SourceKind, Status, Version, bump};

use crate::{RepoArg, check_failed, cmd, setup};

/// Arguments of `cargo xtask release`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The version to release.
    #[arg(value_name = "X.Y.Z")]
    version: String,
    #[command(flatten)]
    repo: RepoArg,
    /// Show the plan, the diff and the notes; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Verify the key before signing, and both signatures after, against this allowed-signers file.
    #[arg(long, value_name = "FILE")]
    allowed_signers: Option<PathBuf>,
    /// The branch releases are cut from.
    #[arg(long, default_value = "main")]
    branch: String,
}

impl Args {
    /// A release of `version` in `repo`, signed and verified against `allowed_signers`.
    pub(crate) fn new(version: &str, repo: &Path, allowed_signers: Option<PathBuf>) -> Args {
        Args {
            version: version.to_owned(),
            repo: RepoArg { repo: repo.to_path_buf() },
            dry_run: false,
            allowed_signers,
            branch: "main".to_owned(),
        }
    }
}

const STEPS: [&str; 9] = [
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

fn step(n: usize) {
    out(&format!("\n[{}/{}] {}\n", n, STEPS.len(), STEPS[n - 1]));
}

/// A failure, named by its step.
fn failed_at(n: usize, err: impl std::fmt::Display) -> anyhow::Error {
    check_failed(format!("step {n} ({}) failed: {err}", STEPS[n - 1]))
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let new = crate::bump::parse_version(&args.version)?;
    let dir = args.repo.repo.as_path();
    if !args.dry_run {
        crate::bump::recover(dir)?;
    }
    let repo = Repository::open(dir).with_context(|| format!("{}: not a git repository", dir.display()))?;
    let allowed = args.allowed_signers.as_deref().map(AllowedSigners::load).transpose()?;

    step(1);
    let inventory = tagwright_versions::read(dir)?;
    let tag = inventory.tag_format.render(&new);
    let signer = run_preflight(&repo, args, &inventory.tag_format, &new, &tag, allowed.as_ref())?;
    out(&format!(
        "branch {}, clean tree, tag {tag} is free, {new} is newer than the last release; signing key {} ({})\n",
        args.branch,
        signer.fingerprint(),
        signer.source()
    ));

    step(2);
    let plan = bump::plan(&inventory, &new, &bump::BumpOptions::default()).map_err(|e| failed_at(2, e))?;
    out(&crate::bump::describe(&plan));
    if args.dry_run {
        out(&plan.diff());
        out(&format!("\n[dry run] would re-sync, gate on {tag}, and sign this commit and tag:\n"));
        out(&format!("  commit: chore(release): {tag}  ({} file(s))\n", plan.files.len()));
        out(&format!("  tag:    {tag}, carrying these notes:\n\n"));
        out(&tagwright_notes::release_notes(dir, &tag).map_err(|e| failed_at(5, e))?);
        out("\ndry run: nothing was changed\n");
        return Ok(ExitCode::SUCCESS);
    }

    let branch_ref = format!("refs/heads/{}", args.branch);
    let tag_ref = format!("refs/tags/{tag}");
    let snapshot = Snapshot::capture(repo.path(), &[&branch_ref, &tag_ref])
        .context("cannot save the repository state")?;
    plan.apply().map_err(|e| failed_at(2, e))?;
    let result = cut(&repo, dir, args, &plan, &new, &tag, &branch_ref, &tag_ref, &signer, allowed.as_ref());
    if let Err(err) = result {
        let files = plan.revert();
        let state = snapshot.restore();
        return Err(check_failed(match (files, state) {
            (Ok(()), Ok(())) => {
                format!("{err}; the repository was restored: files, index, HEAD and refs are as they were")
            }
            (files, state) => format!(
                "{err}; restoring failed ({}{}): check `git status` and `git log -1`",
                files.err().map(|e| e.to_string()).unwrap_or_default(),
                state.err().map(|e| format!(" {e}")).unwrap_or_default()
            ),
        }));
    }
    Ok(ExitCode::SUCCESS)
}

fn run_preflight(
    repo: &Repository,
    args: &Args,
    format: &tagwright_versions::TagFormat,
    new: &Version,
    tag: &str,
    allowed: Option<&AllowedSigners>,
) -> Result<Signer> {
    let fail = |e: preflight::PreflightError| failed_at(1, e);
    preflight::check_branch(repo, &args.branch).map_err(fail)?;
    preflight::check_clean(repo).map_err(fail)?;
    preflight::check_tag_absent(repo, tag).map_err(fail)?;
    preflight::check_newer(repo, format, new).map_err(fail)?;
    repo.signature().map_err(|e| {
        failed_at(1, format!("no git identity ({}): set user.name and user.email", e.message()))
    })?;
    preflight::check_signer(repo, &SignerOptions::default(), allowed).map_err(fail)
}

#[allow(clippy::too_many_arguments)]
fn cut(
    repo: &Repository,
    dir: &Path,
    args: &Args,
    plan: &bump::Plan,
    new: &Version,
    tag: &str,
    branch_ref: &str,
    tag_ref: &str,
    signer: &Signer,
    allowed: Option<&AllowedSigners>,
) -> Result<()> {
    step(3);
    resync(dir, plan, new).map_err(|e| failed_at(3, e))?;

    step(4);
    let inventory = tagwright_versions::read(dir).map_err(|e| failed_at(4, e))?;
    let report = tagwright_versions::check(&inventory, Some(tag)).map_err(|e| failed_at(4, e))?;
    if report.status != Status::Ok {
        return Err(failed_at(4, report.problems().join("; ")));
    }
    out(&format!("ok: {} sources agree on {new} and match {tag}\n", report.sources.len()));

    step(5);
    let mut notes = tagwright_notes::release_notes(dir, tag).map_err(|e| failed_at(5, e))?;
    if notes.trim().is_empty() {
        notes = format!("Release {tag}\n");
    }
    out(&notes);

    step(6);
    let message = format!("chore(release): {tag}\n");
    let head = repo.head().and_then(|h| h.peel_to_commit()).map_err(|e| failed_at(6, e.message()))?;
    let commit =
        commit_version_files(repo, plan, &head, &message, signer, branch_ref).map_err(|e| failed_at(6, e))?;
    out(&format!("{} {}", short(commit), message));

    step(7);
    let tagger = repo.signature().map_err(|e| failed_at(7, e.message()))?;
    let tag_oid =
        create_signed_tag(repo, tag, commit, &tagger, &notes, signer).map_err(|e| failed_at(7, e))?;
    repo.reference(tag_ref, tag_oid, false, &format!("tag: {tag}")).map_err(|e| failed_at(7, e.message()))?;
    out(&format!("{tag} -> {} (annotated, signed, carries the notes)\n", short(commit)));

    step(8);
    match allowed {
        Some(allowed) => {
            let commit_signer =
                verify_commit(repo, commit, allowed).map_err(|e| failed_at(8, format!("commit: {e}")))?;
            let tag_signer =
                verify_tag(repo, tag_oid, allowed).map_err(|e| failed_at(8, format!("tag: {e}")))?;
            out(&format!(
                "commit: good signature by {} ({})\ntag:    good signature by {} ({})\n",
                commit_signer.principal,
                commit_signer.fingerprint,
                tag_signer.principal,
                tag_signer.fingerprint
            ));
        }
        None => out("skipped: pass --allowed-signers FILE to verify both signatures before pushing\n"),
    }

    step(9);
    let allowed_flag = args
        .allowed_signers
        .as_ref()
        .map(|p| format!("-c gpg.ssh.allowedSignersFile={} ", p.display()))
        .unwrap_or_default();
    out(&format!(
        "nothing was pushed. Review, then push both at once:\n  git -C {dir} show --stat {tag}\n  git -C {dir} {allowed_flag}verify-tag {tag}\n  git -C {dir} push --atomic origin {} {tag}\n",
        args.branch,
        dir = dir.display()
    ));
    Ok(())
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
) -> Result<git2::Oid> {
    let head_tree = head.tree()?;
    let mut update = git2::build::TreeUpdateBuilder::new();
    for file in &plan.files {
        let blob = repo.blob(file.after().as_bytes())?;
        let mode = head_tree.get_path(Path::new(&file.path)).map_or(git2::FileMode::Blob, |e| {
            if e.filemode() == i32::from(git2::FileMode::BlobExecutable) {
                git2::FileMode::BlobExecutable
            } else {
                git2::FileMode::Blob
            }
        });
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

/// Proves the lock agrees with the manifest: `uv lock --check --offline` when uv is installed, else our
/// own check that uv.lock's root entry records the new version.
fn resync(dir: &Path, plan: &bump::Plan, new: &Version) -> Result<()> {
    if !plan.files.iter().any(|f| f.path.ends_with("uv.lock")) {
        out("no uv.lock: nothing to re-sync\n");
        return Ok(());
    }
    let uv = cmd::find("uv").or_else(|| Some(setup::venv().join("bin/uv")).filter(|p| p.is_file()));
    match uv {
        Some(uv) => {
            let mut command = Command::new(&uv);
            command
                .args(["lock", "--check", "--offline"])
                .current_dir(dir)
                .env("UV_PYTHON_DOWNLOADS", "never")
                .env("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt");
            cmd::output(&mut command)?;
            out("uv lock --check --offline: the lock agrees with pyproject.toml\n");
        }
        None => {
            let inventory = tagwright_versions::read(dir)?;
            let root = inventory.records.iter().find(|r| r.kind == SourceKind::UvLock);
            match root {
                Some(record) if record.version == *new => out(&format!(
                    "uv is not installed: tagwright's own check ran instead; {}:{} records {}\n",
                    record.file, record.line, record.value
                )),
                Some(record) => anyhow::bail!(
                    "{}:{}: uv.lock's root entry records {}, not {new}",
                    record.file,
                    record.line,
                    record.value
                ),
                None => anyhow::bail!("uv.lock has no root entry"),
            }
        }
    }
    Ok(())
}

fn short(oid: git2::Oid) -> String {
    oid.to_string().chars().take(7).collect()
}
