//! `tagwright docs-deploy X.Y.Z`: the runbook's Docs workflow, `mike deploy X.Y.Z latest` and
//! `mike set-default`, as one flow that writes the docs branch exactly as mike 2.x lays it out.
//!
//! The site is built (`mkdocs build --strict` with mike's plugin, at the source commit's time) or
//! taken as built. The branch's next commit is composed in a temporary index on top of the
//! branch's tip ([`tree`]); only the version's directory, its aliases, `versions.json`, `.nojekyll`
//! and (with a default) the root `index.html` change. With `--push`, the remote is fetched first,
//! and a push refused because the remote moved (a concurrent deploy) is rebuilt on the new tip and
//! retried, a bounded number of times. The work tree, the index and the checked-out branch are
//! never touched.

mod site;
mod tree;
mod versions;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use git2::{Oid, Repository};

pub use tree::AliasType;
pub use versions::DocVersion;

use crate::{Error, ErrorKind, Event, Events, Step};

/// The flow's steps, in order.
pub const STEPS: &[&str] = &["source", "site", "branch", "commit", "push"];

/// Where the site comes from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Site {
    /// A site that is already built.
    Dir(PathBuf),
    /// `mkdocs build --strict` of the repository's `mkdocs.yml`, with mike's plugin, as
    /// `mike deploy` builds it; MkDocs from this path, else from `PATH`.
    Build {
        /// The MkDocs program.
        mkdocs: Option<PathBuf>,
    },
}

/// What to deploy, and where.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DocsDeployOptions {
    /// The repository whose docs branch is written (and whose `mkdocs.yml` is built).
    pub repo: PathBuf,
    /// The version: its directory on the branch.
    pub version: String,
    /// The site.
    pub site: Site,
    /// The aliases to point at the version (`latest`).
    pub aliases: Vec<String>,
    /// How aliases are written.
    pub alias_type: AliasType,
    /// Move aliases that point at another version (mike's `--update-aliases`).
    pub update_aliases: bool,
    /// Write the root redirect to this version or alias (mike's `set-default`).
    pub set_default: Option<String>,
    /// The version's title (the version itself by default).
    pub title: Option<String>,
    /// The docs branch.
    pub branch: String,
    /// The remote it is compared with, and pushed to.
    pub remote: String,
    /// Fetch, then push, rebuilding on the remote's new tip when a concurrent deploy moved it.
    pub push: bool,
    /// How many times a refused push is rebuilt and tried again.
    pub max_attempts: u32,
    /// The commit message (mike's form by default).
    pub message: Option<String>,
    /// The build time (`SOURCE_DATE_EPOCH`); the source commit's time by default.
    pub source_date_epoch: Option<i64>,
    /// The `git` program used to fetch and push; `git` from `PATH` by default.
    pub git: Option<PathBuf>,
    /// SSH-sign the docs commit with the repository's signing key (`user.signingkey`, or the
    /// ssh-agent), as `tagwright release` signs; mike cannot sign (it writes with fast-import).
    pub sign: bool,
    /// Compose and report, but write nothing: no object (the tree is composed in memory), no commit,
    /// no ref, and no fetch.
    pub dry_run: bool,
}

impl DocsDeployOptions {
    /// Deploys the already-built `site` as `version` in `repo`, to `gh-pages`, with no alias.
    pub fn new(repo: impl Into<PathBuf>, version: &str, site: Site) -> DocsDeployOptions {
        DocsDeployOptions {
            repo: repo.into(),
            version: version.to_owned(),
            site,
            aliases: Vec::new(),
            alias_type: AliasType::Symlink,
            update_aliases: false,
            set_default: None,
            title: None,
            branch: "gh-pages".to_owned(),
            remote: "origin".to_owned(),
            push: false,
            max_attempts: 5,
            message: None,
            source_date_epoch: None,
            git: None,
            sign: false,
            dry_run: false,
        }
    }
}

/// An alias that moved from another version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct MovedAlias {
    /// The alias.
    pub alias: String,
    /// The version it pointed at before.
    pub from: String,
}

/// What was deployed.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct DocsDeployReport {
    /// The version.
    pub version: String,
    /// Every alias of the version after the deploy.
    pub aliases: Vec<String>,
    /// Aliases moved from other versions.
    pub moved: Vec<MovedAlias>,
    /// How aliases were written.
    pub alias_type: AliasType,
    /// The root redirect's target, when set.
    pub default: Option<String>,
    /// The docs branch (`refs/heads/…`).
    pub branch: String,
    /// The commit the docs were built from (the tag's, else `HEAD`).
    pub source: String,
    /// What `source` is: `tag v1.2.0` or `HEAD`.
    pub source_ref: String,
    /// The build time given to MkDocs.
    pub source_date_epoch: i64,
    /// What built the site (`MkDocs 1.6.1`), when tagwright built it.
    pub built_with: Option<String>,
    /// Files in the site.
    pub files: usize,
    /// The branch's tip the commit was made on (none for a new branch).
    pub parent: Option<String>,
    /// The new commit; none when nothing changed or in a dry run.
    pub commit: Option<String>,
    /// The new tree.
    pub tree: String,
    /// Whether the tree differs from the parent's.
    pub changed: bool,
    /// Whether the remote now has the commit.
    pub pushed: bool,
    /// Push attempts (more than one when a concurrent deploy moved the remote).
    pub attempts: u32,
    /// The versions on the branch afterwards, newest first.
    pub versions: Vec<DocVersion>,
    /// Nothing was written.
    pub dry_run: bool,
}

/// Reads mike's `versions.json`, newest first. The file comes from a branch anyone with push access
/// may have written: every version and alias is checked to be a plain name (it becomes a
/// directory), and no alias may name two versions.
pub fn read_versions_json(text: &str) -> Result<Vec<DocVersion>, Error> {
    versions::Versions::parse(text).map(|v| v.entries()).map_err(|e| input(format!("versions.json: {e}")))
}

/// The bytes mike writes for the versions in `text`: sorted newest first, as `json.dumps(indent=2)`.
pub fn rewrite_versions_json(text: &str) -> Result<String, Error> {
    versions::Versions::parse(text).map(|v| v.to_json()).map_err(|e| input(format!("versions.json: {e}")))
}

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

    // 1. The source commit: the version's tag, else HEAD.
    let s = step(1);
    let repo = Repository::discover(&options.repo).map_err(|e| {
        input(format!("{}: not a git repository: {}", options.repo.display(), e.message())).at(s)
    })?;
    if let Ok(head) = repo.find_reference("HEAD")
        && head.symbolic_target().ok().flatten() == Some(branch_ref.as_str())
        && !repo.is_bare()
    {
        return Err(input(format!(
            "{} is the checked-out branch of {}: docs-deploy never touches the work tree; check out another branch",
            options.branch,
            options.repo.display()
        ))
        .at(s));
    }
    // A dry run composes in memory: its blobs and trees go to a pack that is never written.
    let odb = repo.odb().map_err(|e| git_failed(e).at(s))?;
    let _in_memory = if options.dry_run {
        Some(odb.add_new_mempack_backend(1000).map_err(|e| git_failed(e).at(s))?)
    } else {
        None
    };
    let (source, source_ref) = source_commit(&repo, &options.version).map_err(|e| e.at(s))?;
    let source_commit = repo.find_commit(source).map_err(|e| input(e.message().to_owned()).at(s))?;
    let short = source_commit
        .as_object()
        .short_id()
        .ok()
        .and_then(|b| b.as_str().ok().map(str::to_owned))
        .unwrap_or_else(|| source.to_string()[..7].to_owned());
    let epoch = options.source_date_epoch.unwrap_or_else(|| source_commit.time().seconds());
    let signer = if options.sign && !options.dry_run {
        let signer =
            tagwright_git_sign::Signer::from_git_config(&repo, &tagwright_git_sign::SignerOptions::default())
                .map_err(|e| Error::caused(ErrorKind::Input, e).at(s))?;
        events.event(&Event::Note(&format!("signing with {} ({})", signer.fingerprint(), signer.source())));
        Some(signer)
    } else {
        None
    };
    events.event(&Event::Note(&format!("{source_ref} ({short}); SOURCE_DATE_EPOCH={epoch}")));

    // 2. The site.
    let s = step(2);
    let workdir = repo.workdir().map(Path::to_path_buf).unwrap_or_else(|| options.repo.clone());
    let scratch = tempfile::tempdir().map_err(|e| input(format!("a temporary directory: {e}")).at(s))?;
    let (site_dir, built_with) = match &options.site {
        Site::Dir(dir) => (dir.clone(), None),
        Site::Build { mkdocs } => {
            if let Ok(head) = repo.head().and_then(|h| h.peel_to_commit())
                && head.id() != source
            {
                events.event(&Event::Note(&format!(
                    "warning: the work tree is at {}, not at {source_ref}'s commit {short}: the site is built from the work tree",
                    head.id()
                )));
            }
            let out = scratch.path().join("site");
            let build = site::Build {
                project: &workdir,
                mkdocs: mkdocs.as_deref(),
                version: &options.version,
                source_date_epoch: epoch,
            };
            let version = site::build(&build, &out).map_err(|e| e.at(s))?;
            (out, Some(version))
        }
    };
    let files = site::read_site(&site_dir).map_err(|e| e.at(s))?;
    events.event(&Event::Note(&format!(
        "{} files{}",
        files.len(),
        built_with.as_ref().map(|b| format!(", built with {b} and mike's plugin")).unwrap_or_default()
    )));
    if files.is_empty() {
        return Err(input(format!("the site {} has no files", site_dir.display())).at(s));
    }
    let use_directory_urls = site::find_config(&workdir)
        .and_then(|p| std::fs::read_to_string(p).ok())
        .is_none_or(|c| site::use_directory_urls(&c));
    let deploy = tree::Deploy {
        version: &options.version,
        title: options.title.as_deref(),
        aliases: &options.aliases,
        update_aliases: options.update_aliases,
        alias_type: options.alias_type,
        use_directory_urls,
        set_default: options.set_default.as_deref(),
        site: &files,
    };
    let message = options.message.clone().unwrap_or_else(|| {
        let mut m = format!(
            "Deployed {short} to {} with {}tagwright {}",
            options.version,
            built_with.as_ref().map(|b| format!("{b} and ")).unwrap_or_default(),
            env!("CARGO_PKG_VERSION")
        );
        if let Some(default) = &options.set_default {
            m.push_str(&format!("\n\nSet default version to {default}"));
        }
        m
    });

    let mut report = DocsDeployReport {
        version: options.version.clone(),
        aliases: Vec::new(),
        moved: Vec::new(),
        alias_type: options.alias_type,
        default: options.set_default.clone(),
        branch: branch_ref.clone(),
        source: source.to_string(),
        source_ref,
        source_date_epoch: epoch,
        built_with,
        files: files.len(),
        parent: None,
        commit: None,
        tree: String::new(),
        changed: false,
        pushed: false,
        attempts: 0,
        versions: Vec::new(),
        dry_run: options.dry_run,
    };
    let git = Git { program: options.git.clone().unwrap_or_else(|| PathBuf::from("git")), repo: repo.path() };
    let max = options.max_attempts.max(1);
    loop {
        report.attempts += 1;
        // 3. The branch's tip: the local branch, fast-forwarded to the remote's when it is behind.
        let s = step(3);
        if options.push && options.dry_run {
            events.event(&Event::Note(&format!(
                "dry run: {} was not fetched; the plan starts from the branches as they are here",
                options.remote
            )));
        } else if options.push {
            git.fetch(&options.remote, &options.branch, &remote_ref).map_err(|e| e.at(s))?;
        }
        let local = repo.refname_to_id(&branch_ref).ok();
        let remote = repo.refname_to_id(&remote_ref).ok();
        let parent = base(&repo, local, remote, &branch_ref, &remote_ref).map_err(|e| e.at(s))?;
        events.event(&Event::Note(&match parent {
            Some(p) => format!("{} is at {p}", options.branch),
            None => format!("{} does not exist yet: a new branch", options.branch),
        }));

        // 4. The commit.
        let s = step(4);
        let composed = tree::compose(&repo, parent, &deploy).map_err(|e| {
            let kind =
                if matches!(e, tree::ComposeError::Git(_)) { ErrorKind::Check } else { ErrorKind::Input };
            Error::new(kind, format!("{}: {e}", options.branch)).at(s)
        })?;
        report.aliases = composed.aliases.clone();
        report.moved = composed
            .moved
            .iter()
            .map(|(from, alias)| MovedAlias { alias: alias.clone(), from: from.clone() })
            .collect();
        report.versions = composed.versions.entries();
        report.tree = composed.tree.to_string();
        report.parent = parent.map(|p| p.to_string());
        let parent_tree = match parent {
            Some(p) => Some(repo.find_commit(p).map(|c| c.tree_id()).map_err(|e| git_failed(e).at(s))?),
            None => None,
        };
        report.changed = parent_tree != Some(composed.tree);
        if options.dry_run {
            return Ok(report);
        }
        let commit = if report.changed {
            let signature = committer(&repo).map_err(|e| e.at(s))?;
            let tree = repo.find_tree(composed.tree).map_err(|e| git_failed(e).at(s))?;
            let parents = match parent {
                Some(p) => vec![repo.find_commit(p).map_err(|e| git_failed(e).at(s))?],
                None => Vec::new(),
            };
            let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
            let id = match &signer {
                Some(signer) => tagwright_git_sign::create_signed_commit(
                    &repo, &signature, &signature, &message, &tree, &parents, signer,
                )
                .map_err(|e| Error::caused(ErrorKind::Check, e).at(s))?,
                None => repo
                    .commit(None, &signature, &signature, &message, &tree, &parents)
                    .map_err(|e| git_failed(e).at(s))?,
            };
            report.commit = Some(id.to_string());
            Some(id)
        } else {
            None
        };
        let tip = commit.or(parent);

        if !options.push {
            if let Some(id) = commit {
                set_branch(&repo, &branch_ref, local, id, &message).map_err(|e| e.at(s))?;
            }
            return Ok(report);
        }

        // 5. The push: refused when the remote moved; then rebuilt on its new tip.
        let s = step(5);
        let Some(tip) = tip else { return Ok(report) };
        if remote == Some(tip) {
            report.pushed = true;
            if let Some(id) = commit {
                set_branch(&repo, &branch_ref, local, id, &message).map_err(|e| e.at(s))?;
            }
            return Ok(report);
        }
        match git.push(&options.remote, tip, &branch_ref).map_err(|e| e.at(s))? {
            Pushed::Done => {
                report.pushed = true;
                // The remote-tracking ref follows, as after a `git push`.
                let _ = repo.reference(&remote_ref, tip, true, "docs-deploy: pushed");
                if local != Some(tip) {
                    set_branch(&repo, &branch_ref, local, tip, &message).map_err(|e| e.at(s))?;
                }
                return Ok(report);
            }
            Pushed::Moved(reason) if report.attempts < max => {
                let delay = Duration::from_millis(100 * u64::from(report.attempts));
                events.event(&Event::Retry {
                    what: &format!("push {} to {}", options.branch, options.remote),
                    attempt: report.attempts,
                    delay,
                    reason: &reason,
                });
                std::thread::sleep(delay);
                report.commit = None;
            }
            Pushed::Moved(reason) => {
                return Err(Error::new(
                    ErrorKind::Check,
                    format!(
                        "{} moved on {} during each of {max} attempts ({reason}); the commit {} was made but not pushed, and the local branch is unchanged",
                        options.branch,
                        options.remote,
                        tip
                    ),
                )
                .at(s));
            }
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
