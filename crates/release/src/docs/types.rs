//! What docs-deploy is asked and what it reports.

use std::path::PathBuf;

use super::tree::AliasType;
use super::versions::DocVersion;

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
