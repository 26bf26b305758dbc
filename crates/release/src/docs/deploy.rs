//! The docs-deploy flow, one function per step: the source commit, the site, the branch's tip, the
//! commit, the push.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use git2::{Oid, Repository};

use super::types::{DocsDeployOptions, DocsDeployReport, MovedAlias, STEPS, Site};
use super::{site, tree, versions};
use crate::{Error, ErrorKind, Event, Events, Step};

fn input(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Input, message)
}

/// Deploys a version's docs to the docs branch (and, with `push`, to the remote).
pub fn docs_deploy(options: &DocsDeployOptions, events: Arc<dyn Events>) -> Result<DocsDeployReport, Error> {
    let step = |i: usize| {
        let step = Step::of(STEPS, i);
        events.event(&Event::Step(step));
        step
    };
    let (branch_ref, remote_ref) = check_names(options)?;

    // 1. The source commit: the version's tag, else HEAD.
    let s = step(1);
    let repo = open(options, &branch_ref).map_err(|e| e.at(s))?;
    // A dry run composes in memory: its blobs and trees go to a pack that is never written.
    let odb = repo.odb().map_err(|e| git_failed(e).at(s))?;
    let _in_memory = if options.dry_run {
        Some(odb.add_new_mempack_backend(1000).map_err(|e| git_failed(e).at(s))?)
    } else {
        None
    };
    let source = Source::find(&repo, options).map_err(|e| e.at(s))?;
    let signer = signer(&repo, options, events.as_ref()).map_err(|e| e.at(s))?;
    events.event(&Event::Note(&format!(
        "{} ({}); SOURCE_DATE_EPOCH={}",
        source.name, source.short, source.epoch
    )));

    // 2. The site.
    let s = step(2);
    let scratch = tempfile::tempdir().map_err(|e| input(format!("a temporary directory: {e}")).at(s))?;
    let site = build_site(&repo, options, &source, scratch.path(), events.as_ref()).map_err(|e| e.at(s))?;
    let deploy = tree::Deploy {
        version: &options.version,
        title: options.title.as_deref(),
        aliases: &options.aliases,
        update_aliases: options.update_aliases,
        alias_type: options.alias_type,
        use_directory_urls: site.use_directory_urls,
        set_default: options.set_default.as_deref(),
        site: &site.files,
    };
    let message = commit_message(options, &source.short, site.built_with.as_deref());
    let mut report = DocsDeployReport {
        version: options.version.clone(),
        aliases: Vec::new(),
        moved: Vec::new(),
        alias_type: options.alias_type,
        default: options.set_default.clone(),
        branch: branch_ref.clone(),
        source: source.id.to_string(),
        source_ref: source.name.clone(),
        source_date_epoch: source.epoch,
        built_with: site.built_with.clone(),
        files: site.files.len(),
        parent: None,
        commit: None,
        tree: String::new(),
        changed: false,
        pushed: false,
        attempts: 0,
        versions: Vec::new(),
        dry_run: options.dry_run,
    };
    let branch = Branch {
        options,
        repo: &repo,
        git: Git { program: options.git.clone().unwrap_or_else(|| PathBuf::from("git")), repo: repo.path() },
        branch_ref: &branch_ref,
        remote_ref: &remote_ref,
        message: &message,
        events: events.as_ref(),
    };
    loop {
        report.attempts += 1;
        // 3. The branch's tip: the local branch, fast-forwarded to the remote's when it is behind.
        let s = step(3);
        let tips = branch.tips().map_err(|e| e.at(s))?;
        // 4. The commit.
        let s = step(4);
        let composed = branch.compose(&tips, &deploy, &mut report).map_err(|e| e.at(s))?;
        if options.dry_run {
            return Ok(report);
        }
        let commit = branch.commit(&tips, composed, &report, signer.as_ref()).map_err(|e| e.at(s))?;
        report.commit = commit.map(|id| id.to_string());
        if !options.push {
            if let Some(id) = commit {
                set_branch(&repo, &branch_ref, tips.local, id, &message).map_err(|e| e.at(s))?;
            }
            return Ok(report);
        }
        // 5. The push: refused when the remote moved; then rebuilt on its new tip.
        let s = step(5);
        if branch.push(&tips, commit, &mut report).map_err(|e| e.at(s))? {
            return Ok(report);
        }
    }
}

/// The version, aliases, default, branch and remote are names that may enter paths and refs; the
/// branch's and the remote-tracking ref's full names.
fn check_names(options: &DocsDeployOptions) -> Result<(String, String), Error> {
    versions::check_name(&options.version, "version").map_err(|e| input(e.to_string()))?;
    for alias in &options.aliases {
        versions::check_name(alias, "alias").map_err(|e| input(e.to_string()))?;
    }
    if let Some(default) = &options.set_default {
        versions::check_name(default, "default").map_err(|e| input(e.to_string()))?;
    }
    let branch_ref = format!("refs/heads/{}", options.branch);
    if !git2::Reference::is_valid_name(&branch_ref) {
        return Err(input(format!("--branch {:?} is not a valid branch name", options.branch)));
    }
    let remote_ref = format!("refs/remotes/{}/{}", options.remote, options.branch);
    if options.remote.starts_with('-') || !git2::Reference::is_valid_name(&remote_ref) {
        return Err(input(format!("--remote {:?} is not a valid remote name", options.remote)));
    }
    Ok((branch_ref, remote_ref))
}

/// The repository, unless the docs branch is its checked-out branch (never touched).
fn open(options: &DocsDeployOptions, branch_ref: &str) -> Result<Repository, Error> {
    let repo = Repository::discover(&options.repo)
        .map_err(|e| input(format!("{}: not a git repository: {}", options.repo.display(), e.message())))?;
    if let Ok(head) = repo.find_reference("HEAD")
        && head.symbolic_target().ok().flatten() == Some(branch_ref)
        && !repo.is_bare()
    {
        return Err(input(format!(
            "{} is the checked-out branch of {}: docs-deploy never touches the work tree; check out another branch",
            options.branch,
            options.repo.display()
        )));
    }
    Ok(repo)
}

/// The commit the docs come from.
struct Source {
    id: Oid,
    /// `tag v1.2.0` or `HEAD`.
    name: String,
    short: String,
    /// The build time: the option, else the commit's time.
    epoch: i64,
}

impl Source {
    fn find(repo: &Repository, options: &DocsDeployOptions) -> Result<Source, Error> {
        let (id, name) = source_commit(repo, &options.version)?;
        let commit = repo.find_commit(id).map_err(|e| input(e.message().to_owned()))?;
        let short = commit
            .as_object()
            .short_id()
            .ok()
            .and_then(|b| b.as_str().ok().map(str::to_owned))
            .unwrap_or_else(|| id.to_string()[..7].to_owned());
        let epoch = options.source_date_epoch.unwrap_or_else(|| commit.time().seconds());
        Ok(Source { id, name, short, epoch })
    }
}

/// The signer of the docs commit, with `--sign` (none in a dry run).
fn signer(
    repo: &Repository,
    options: &DocsDeployOptions,
    events: &dyn Events,
) -> Result<Option<tagwright_git_sign::Signer>, Error> {
    if !options.sign || options.dry_run {
        return Ok(None);
    }
    let signer =
        tagwright_git_sign::Signer::from_git_config(repo, &tagwright_git_sign::SignerOptions::default())
            .map_err(|e| Error::caused(ErrorKind::Input, e))?;
    events.event(&Event::Note(&format!("signing with {} ({})", signer.fingerprint(), signer.source())));
    Ok(Some(signer))
}

/// The site's files, what built them, and whether its pages are directories.
struct BuiltSite {
    files: Vec<site::SiteFile>,
    built_with: Option<String>,
    use_directory_urls: bool,
}

/// Builds the site into `scratch` (or takes the built one) and reads it.
fn build_site(
    repo: &Repository,
    options: &DocsDeployOptions,
    source: &Source,
    scratch: &Path,
    events: &dyn Events,
) -> Result<BuiltSite, Error> {
    let workdir = repo.workdir().map(Path::to_path_buf).unwrap_or_else(|| options.repo.clone());
    let (site_dir, built_with) = match &options.site {
        Site::Dir(dir) => (dir.clone(), None),
        Site::Build { mkdocs } => {
            if let Ok(head) = repo.head().and_then(|h| h.peel_to_commit())
                && head.id() != source.id
            {
                events.event(&Event::Note(&format!(
                    "warning: the work tree is at {}, not at {}'s commit {}: the site is built from the work tree",
                    head.id(),
                    source.name,
                    source.short
                )));
            }
            let out = scratch.join("site");
            let build = site::Build {
                project: &workdir,
                mkdocs: mkdocs.as_deref(),
                version: &options.version,
                source_date_epoch: source.epoch,
            };
            let version = site::build(&build, &out)?;
            (out, Some(version))
        }
    };
    let files = site::read_site(&site_dir)?;
    events.event(&Event::Note(&format!(
        "{} files{}",
        files.len(),
        built_with.as_ref().map(|b| format!(", built with {b} and mike's plugin")).unwrap_or_default()
    )));
    if files.is_empty() {
        return Err(input(format!("the site {} has no files", site_dir.display())));
    }
    let use_directory_urls = site::find_config(&workdir)
        .and_then(|p| std::fs::read_to_string(p).ok())
        .is_none_or(|c| site::use_directory_urls(&c));
    Ok(BuiltSite { files, built_with, use_directory_urls })
}

/// The commit message: the option, else mike's form.
fn commit_message(options: &DocsDeployOptions, short: &str, built_with: Option<&str>) -> String {
    options.message.clone().unwrap_or_else(|| {
        let mut m = format!(
            "Deployed {short} to {} with {}tagwright {}",
            options.version,
            built_with.map(|b| format!("{b} and ")).unwrap_or_default(),
            env!("CARGO_PKG_VERSION")
        );
        if let Some(default) = &options.set_default {
            m.push_str(&format!("\n\nSet default version to {default}"));
        }
        m
    })
}

/// The docs branch, here and on the remote.
struct Branch<'a> {
    options: &'a DocsDeployOptions,
    repo: &'a Repository,
    git: Git<'a>,
    branch_ref: &'a str,
    remote_ref: &'a str,
    message: &'a str,
    events: &'a dyn Events,
}

/// The branch's tips: here, on the remote (as last fetched), and the one to build on.
struct Tips {
    local: Option<Oid>,
    remote: Option<Oid>,
    parent: Option<Oid>,
}

impl Branch<'_> {
    /// Step 3: fetches (with `push`), and picks the tip to build on.
    fn tips(&self) -> Result<Tips, Error> {
        let options = self.options;
        if options.push && options.dry_run {
            self.events.event(&Event::Note(&format!(
                "dry run: {} was not fetched; the plan starts from the branches as they are here",
                options.remote
            )));
        } else if options.push {
            self.git.fetch(&options.remote, &options.branch, self.remote_ref)?;
        }
        let local = self.repo.refname_to_id(self.branch_ref).ok();
        let remote = self.repo.refname_to_id(self.remote_ref).ok();
        let parent = base(self.repo, local, remote, self.branch_ref, self.remote_ref)?;
        self.events.event(&Event::Note(&match parent {
            Some(p) => format!("{} is at {p}", options.branch),
            None => format!("{} does not exist yet: a new branch", options.branch),
        }));
        Ok(Tips { local, remote, parent })
    }

    /// Step 4, the tree: composed on the parent, and the report filled from it.
    fn compose(
        &self,
        tips: &Tips,
        deploy: &tree::Deploy<'_>,
        report: &mut DocsDeployReport,
    ) -> Result<Oid, Error> {
        let composed = tree::compose(self.repo, tips.parent, deploy).map_err(|e| {
            let kind =
                if matches!(e, tree::ComposeError::Git(_)) { ErrorKind::Check } else { ErrorKind::Input };
            Error::new(kind, format!("{}: {e}", self.options.branch))
        })?;
        report.aliases = composed.aliases.clone();
        report.moved = composed
            .moved
            .iter()
            .map(|(from, alias)| MovedAlias { alias: alias.clone(), from: from.clone() })
            .collect();
        report.versions = composed.versions.entries();
        report.tree = composed.tree.to_string();
        report.parent = tips.parent.map(|p| p.to_string());
        let parent_tree = match tips.parent {
            Some(p) => Some(self.repo.find_commit(p).map(|c| c.tree_id()).map_err(git_failed)?),
            None => None,
        };
        report.changed = parent_tree != Some(composed.tree);
        Ok(composed.tree)
    }

    /// Step 4, the commit of `tree` on the parent (signed with a signer); none when nothing changed.
    fn commit(
        &self,
        tips: &Tips,
        tree: Oid,
        report: &DocsDeployReport,
        signer: Option<&tagwright_git_sign::Signer>,
    ) -> Result<Option<Oid>, Error> {
        if !report.changed {
            return Ok(None);
        }
        let repo = self.repo;
        let signature = committer(repo)?;
        let tree = repo.find_tree(tree).map_err(git_failed)?;
        let parents = match tips.parent {
            Some(p) => vec![repo.find_commit(p).map_err(git_failed)?],
            None => Vec::new(),
        };
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        let id = match signer {
            Some(signer) => tagwright_git_sign::create_signed_commit(
                repo,
                &signature,
                &signature,
                self.message,
                &tree,
                &parents,
                signer,
            )
            .map_err(|e| Error::caused(ErrorKind::Check, e))?,
            None => repo
                .commit(None, &signature, &signature, self.message, &tree, &parents)
                .map_err(git_failed)?,
        };
        Ok(Some(id))
    }

    /// Step 5: pushes the new tip. True when done; false when the remote moved and another attempt is
    /// left (after a short wait); an error when none is.
    fn push(&self, tips: &Tips, commit: Option<Oid>, report: &mut DocsDeployReport) -> Result<bool, Error> {
        let options = self.options;
        let Some(tip) = commit.or(tips.parent) else { return Ok(true) };
        if tips.remote == Some(tip) {
            report.pushed = true;
            if let Some(id) = commit {
                set_branch(self.repo, self.branch_ref, tips.local, id, self.message)?;
            }
            return Ok(true);
        }
        let max = options.max_attempts.max(1);
        match self.git.push(&options.remote, tip, self.branch_ref)? {
            Pushed::Done => {
                report.pushed = true;
                // The remote-tracking ref follows, as after a `git push`.
                let _ = self.repo.reference(self.remote_ref, tip, true, "docs-deploy: pushed");
                if tips.local != Some(tip) {
                    set_branch(self.repo, self.branch_ref, tips.local, tip, self.message)?;
                }
                Ok(true)
            }
            Pushed::Moved(reason) if report.attempts < max => {
                let delay = Duration::from_millis(100 * u64::from(report.attempts));
                self.events.event(&Event::Retry {
                    what: &format!("push {} to {}", options.branch, options.remote),
                    attempt: report.attempts,
                    delay,
                    reason: &reason,
                });
                std::thread::sleep(delay);
                report.commit = None;
                Ok(false)
            }
            Pushed::Moved(reason) => Err(Error::new(
                ErrorKind::Check,
                format!(
                    "{} moved on {} during each of {max} attempts ({reason}); the commit {tip} was made but not pushed, and the local branch is unchanged",
                    options.branch, options.remote
                ),
            )),
        }
    }
}

fn git_failed(e: git2::Error) -> Error {
    Error::new(ErrorKind::Check, e.message().to_owned())
}

/// The commit the docs come from: the tag `v<version>` or `<version>`, else `HEAD`.
fn source_commit(repo: &Repository, version: &str) -> Result<(Oid, String), Error> {
    for tag in [format!("v{version}"), version.to_owned()] {
        if let Ok(reference) = repo.find_reference(&format!("refs/tags/{tag}"))
            && let Ok(commit) = reference.peel_to_commit()
        {
            return Ok((commit.id(), format!("tag {tag}")));
        }
    }
    let head = repo
        .head()
        .and_then(|h| h.peel_to_commit())
        .map_err(|e| input(format!("no tag v{version} and no HEAD commit: {}", e.message())))?;
    Ok((head.id(), "HEAD".to_owned()))
}

/// The commit to build on, as mike decides it: the local branch, or the remote's when the local one
/// is missing or behind. Diverged branches are an error naming both commits.
fn base(
    repo: &Repository,
    local: Option<Oid>,
    remote: Option<Oid>,
    branch_ref: &str,
    remote_ref: &str,
) -> Result<Option<Oid>, Error> {
    match (local, remote) {
        (None, r) => Ok(r),
        (l, None) => Ok(l),
        (Some(l), Some(r)) if l == r => Ok(Some(l)),
        (Some(l), Some(r)) => {
            if repo.graph_descendant_of(l, r).map_err(git_failed)? {
                Ok(Some(l))
            } else if repo.graph_descendant_of(r, l).map_err(git_failed)? {
                Ok(Some(r))
            } else {
                Err(Error::new(
                    ErrorKind::Check,
                    format!(
                        "{branch_ref} ({l}) has diverged from {remote_ref} ({r}): neither contains the other; reconcile them (or delete the local branch to take the remote's)"
                    ),
                ))
            }
        }
    }
}

/// The committer: `GIT_COMMITTER_NAME`/`_EMAIL`, else the repository's `user.name`/`user.email`.
fn committer(repo: &Repository) -> Result<git2::Signature<'static>, Error> {
    let config = repo.config().map_err(git_failed)?;
    let get = |env: &str, key: &str| {
        std::env::var(env).ok().filter(|v| !v.is_empty()).or_else(|| config.get_string(key).ok())
    };
    let (Some(name), Some(email)) =
        (get("GIT_COMMITTER_NAME", "user.name"), get("GIT_COMMITTER_EMAIL", "user.email"))
    else {
        return Err(input(
            "no committer: set user.name and user.email (git config) or GIT_COMMITTER_NAME and GIT_COMMITTER_EMAIL",
        ));
    };
    git2::Signature::now(&name, &email)
        .map_err(|e| input(format!("committer {name} <{email}>: {}", e.message())))
}

/// Points the local branch at `id`, only if it is still where it was read (`expected`).
fn set_branch(
    repo: &Repository,
    name: &str,
    expected: Option<Oid>,
    id: Oid,
    message: &str,
) -> Result<(), Error> {
    let subject = message.lines().next().unwrap_or_default();
    let log = format!("docs-deploy: {subject}");
    let result = match expected {
        Some(old) => repo.reference_matching(name, id, true, old, &log),
        None => repo.reference(name, id, false, &log),
    };
    result.map(|_| ()).map_err(|e| {
        Error::new(
            ErrorKind::Check,
            format!("{name} moved while the docs were deployed; the commit {id} was made but {name} was left as it is: {}", e.message()),
        )
    })
}

/// The `git` program, for the network: fetch and push use the user's transports and credentials.
struct Git<'a> {
    program: PathBuf,
    repo: &'a Path,
}

enum Pushed {
    Done,
    /// Refused because the remote branch is not an ancestor of ours: it moved.
    Moved(String),
}

impl Git<'_> {
    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.arg("--git-dir").arg(self.repo).env("GIT_TERMINAL_PROMPT", "0");
        command
    }

    /// Fetches the remote's branch into its remote-tracking ref (which is removed when the remote has
    /// no such branch).
    fn fetch(&self, remote: &str, branch: &str, tracking: &str) -> Result<(), Error> {
        let refspec = format!("+refs/heads/{branch}:{tracking}");
        let ls = self
            .command()
            .args(["ls-remote", "--heads", "--", remote, &format!("refs/heads/{branch}")])
            .output()
            .map_err(|e| Error::new(ErrorKind::Check, format!("cannot run git ls-remote {remote}: {e}")))?;
        if !ls.status.success() {
            return Err(Error::new(
                ErrorKind::Check,
                format!("git ls-remote {remote}: {}", String::from_utf8_lossy(&ls.stderr).trim_end()),
            ));
        }
        if ls.stdout.is_empty() {
            let _ = self.command().args(["update-ref", "-d", tracking]).output();
            return Ok(());
        }
        crate::tools::run(self.command().args(["fetch", "--quiet", "--no-tags", "--", remote, &refspec]))
            .map_err(|e| Error::new(ErrorKind::Check, e))
    }

    /// Pushes `id` to the remote's branch, without force.
    fn push(&self, remote: &str, id: Oid, branch_ref: &str) -> Result<Pushed, Error> {
        let output = self
            .command()
            .args(["push", "--porcelain", "--", remote, &format!("{id}:{branch_ref}")])
            .output()
            .map_err(|e| Error::new(ErrorKind::Check, format!("cannot run git push {remote}: {e}")))?;
        if output.status.success() {
            return Ok(Pushed::Done);
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let rejected = stdout.lines().find(|l| l.starts_with('!'));
        match rejected {
            Some(line)
                if [
                    "non-fast-forward",
                    "fetch first",
                    "stale info",
                    "cannot lock ref",
                    "failed to update ref",
                ]
                .iter()
                .any(|r| line.contains(r) || stderr.contains(r)) =>
            {
                Ok(Pushed::Moved(line.split('\t').next_back().unwrap_or(line).trim().to_owned()))
            }
            _ => Err(Error::new(
                ErrorKind::Check,
                format!(
                    "git push {remote} {id}:{branch_ref} failed: {}{}; the commit was made but not pushed, and the local branch is unchanged",
                    stdout.trim_end(),
                    stderr.trim_end()
                ),
            )),
        }
    }
}
