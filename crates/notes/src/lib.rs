//! Release notes from conventional commits, rendered exactly as git-cliff 2.x renders them.
//!
//! A project's existing `cliff.toml` (or `[tool.git-cliff]` in `pyproject.toml`, or the git-cliff
//! metadata in `Cargo.toml`) works unchanged. The pipeline:
//!
//! 1. walk the history with git2 ([`Generator::changelog`]);
//! 2. group commits into releases by tags ([`Selection`] picks all, unreleased, latest, current or a
//!    range, and can name the coming release with a tag);
//! 3. parse conventional commits, apply preprocessors, commit parsers and link parsers;
//! 4. render with Tera templates and git-cliff's filters ([`Generator::render`]).
//!
//! [`Changelog`] is the structured result (releases, commits, groups) for tools that want data rather
//! than text; it serializes to the same JSON shape as git-cliff's `--context`.
//!
//! # Examples
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tagwright_notes::{Config, Generator, Scope, Selection, Strip};
//! let repo = std::path::Path::new(".");
//! let generator = Generator::new(Config::load(repo, None)?)?;
//! let coming = Selection::new(Scope::Unreleased).tag("v1.2.0");
//! let changelog = generator.changelog(repo, &coming)?;
//! let notes = generator.render(&changelog, Some(Strip::All))?;
//! println!("{notes}");
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

pub mod bump;
mod bump_config;
mod commit;
mod config;
mod contributor;
pub mod conventional;
pub mod flags;
mod parallel;
mod release;
mod remote;
mod remote_config;
mod repo;
mod template;

use std::path::Path;

use serde_json::Value;

pub use commit::{Commit, CommitStatistics, Link, Signature, SkipReason};
pub use config::{
    BUILT_IN_CONFIGS, ChangelogConfig, CommitParser, Config, ConfigError, ConfigSource, GitConfig,
    LinkParser, RemoteConfig, RemoteRepo, SortCommits, TextProcessor, built_in_config,
};
pub use contributor::RemoteContributor;
pub use release::{Changelog, CommitRange, LinkCount, NotesError, Release, Scope, Selection, Statistics};
pub use remote::{Forge, ForgeCommit, ForgeData, ForgeError, ForgePullRequest, GITHUB_VARIABLES};
pub use repo::{RepoError, TagInfo};
pub use template::TemplateError;

/// What git-cliff 2.14 writes after a header whose template reads `releases`.
pub const HEADER_END_MARKER: &str = "<!-- git-cliff: end of header -->";

/// Which template to leave out of the rendered notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strip {
    /// The header.
    Header,
    /// The footer.
    Footer,
    /// Both.
    All,
}

/// Any failure building notes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A template.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The history.
    #[error(transparent)]
    Notes(#[from] NotesError),
}

/// A configuration with its templates parsed, ready to read histories and render them.
#[derive(Debug)]
pub struct Generator {
    config: Config,
    header: Option<template::Template>,
    body: template::Template,
    footer: Option<template::Template>,
    groups: Value,
    /// The optional commit fields the templates read.
    fields: commit::Fields,
}

impl Generator {
    /// Parses the configuration's templates.
    pub fn new(config: Config) -> Result<Generator, TemplateError> {
        let trim = config.changelog.trim;
        let optional =
            |name: &str, text: Option<&str>| text.map(|t| template::Template::new(name, t, trim)).transpose();
        let header = optional("header", config.changelog.header.as_deref())?;
        let body = template::Template::new("body", &config.changelog.body, trim)?;
        let footer = optional("footer", config.changelog.footer.as_deref())?;
        let mut seen = std::collections::HashSet::new();
        let groups: Vec<Value> = config
            .git
            .commit_parsers
            .iter()
            .filter_map(|p| p.group.clone())
            .filter(|g| seen.insert(g.clone()))
            .map(Value::String)
            .collect();
        let fields = commit::Fields::used_by(
            header.iter().chain(std::iter::once(&body)).chain(footer.iter()).map(template::Template::source),
        );
        Ok(Generator { config, header, body, footer, groups: Value::Array(groups), fields })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The warnings of the renders so far: each credential-like environment variable a template asked
    /// `get_env` for, which rendered empty (a deliberate difference from git-cliff).
    pub fn render_warnings(&self) -> Vec<String> {
        let names: std::collections::BTreeSet<String> =
            self.templates().flat_map(template::Template::refused_env).collect();
        names
            .into_iter()
            .map(|name| {
                format!(
                    "get_env(name=\"{name}\") rendered empty: notes never read credential-like variables (names containing TOKEN, SECRET, PASSWORD or KEY)"
                )
            })
            .collect()
    }

    fn templates(&self) -> impl Iterator<Item = &template::Template> {
        self.header.iter().chain(std::iter::once(&self.body)).chain(self.footer.iter())
    }

    /// Reads the repository's history and groups it into releases.
    ///
    /// Per-commit diff statistics (`commit.statistics`) are computed only when a template uses them.
    pub fn changelog(&self, repo: &Path, selection: &Selection) -> Result<Changelog, NotesError> {
        self.changelog_with_forge(repo, selection, None)
    }

    /// [`Generator::changelog`], with GitHub's data from `forge` when [`Generator::needs_github`]
    /// says so and a GitHub repository is known (`[remote.github]`, or the upstream remote's URL).
    pub fn changelog_with_forge(
        &self,
        repo: &Path,
        selection: &Selection,
        forge: Option<&dyn Forge>,
    ) -> Result<Changelog, NotesError> {
        let statistics = self
            .templates()
            .any(|t| ["files_changed", "additions", "deletions"].iter().any(|w| t.mentions(w)));
        let previous = self.templates().any(|t| t.mentions("previous"));
        let forge = forge.filter(|_| !self.config.remote.offline);
        let options = BuildOptions { statistics, previous, forge, needs_github: self.needs_github() };
        build(repo, &self.config, selection, &options)
    }

    /// Whether GitHub's data is wanted, as git-cliff decides: the repository was named on the command
    /// line (`is_custom`), or the body or footer template reads [`GITHUB_VARIABLES`].
    pub fn needs_github(&self) -> bool {
        self.config.remote.github.is_custom && self.config.remote.github.is_set()
            || self.reads_forge("github")
    }

    /// Whether the body or footer template reads a forge's variables (`gitlab`, `commit.gitlab` or
    /// `commit.remote` for `gitlab`), as git-cliff decides whether to ask that forge.
    pub fn reads_forge(&self, forge: &str) -> bool {
        let paths = [forge.to_owned(), format!("commit.{forge}"), "commit.remote".to_owned()];
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        std::iter::once(&self.body).chain(self.footer.iter()).any(|t| t.reads_path_starting_with(&paths))
    }

    /// Renders the notes: the header, each release's body (newest first), then the footer.
    pub fn render(&self, changelog: &Changelog, strip: Option<Strip>) -> Result<String, TemplateError> {
        let postprocessors = &self.config.changelog.postprocessors;
        let mut out = String::new();
        if let Some(header) =
            self.header.as_ref().filter(|_| !matches!(strip, Some(Strip::Header | Strip::All)))
        {
            out.push_str(&header.render(self.releases_context(header, changelog), postprocessors)?);
            out.push('\n');
            // git-cliff 2.14 marks where a header that lists the releases ends.
            if header.reads_variable("releases") {
                out.push_str(HEADER_END_MARKER);
                out.push('\n');
            }
        }
        for body in self.render_bodies(changelog)? {
            out.push_str(&body);
        }
        if let Some(footer) =
            self.footer.as_ref().filter(|_| !matches!(strip, Some(Strip::Footer | Strip::All)))
        {
            out.push_str(&footer.render(self.releases_context(footer, changelog), postprocessors)?);
            out.push('\n');
        }
        Ok(out)
    }

    /// Renders a context that `--context` printed (git-cliff's `--from-context`): its releases as
    /// they are, every field kept, with the configuration's templates. As in git-cliff, the
    /// templates see the releases and `commit_parsers_groups`, and nothing from a forge.
    pub fn render_context(&self, context: &Value, strip: Option<Strip>) -> Result<String, TemplateError> {
        let postprocessors = &self.config.changelog.postprocessors;
        let releases = match context {
            Value::Array(_) => context.clone(),
            _ => Value::Array(Vec::new()),
        };
        let outer = serde_json::json!({ "releases": releases, "commit_parsers_groups": self.groups });
        let mut out = String::new();
        if let Some(header) =
            self.header.as_ref().filter(|_| !matches!(strip, Some(Strip::Header | Strip::All)))
        {
            out.push_str(&header.render(outer.clone(), postprocessors)?);
            out.push('\n');
            if header.reads_variable("releases") {
                out.push_str(HEADER_END_MARKER);
                out.push('\n');
            }
        }
        for release in releases.as_array().into_iter().flatten() {
            let mut body = release.clone();
            if let Value::Object(map) = &mut body {
                map.insert("commit_parsers_groups".to_owned(), self.groups.clone());
            }
            out.push_str(&self.body.render(body, postprocessors)?);
        }
        if let Some(footer) =
            self.footer.as_ref().filter(|_| !matches!(strip, Some(Strip::Footer | Strip::All)))
        {
            out.push_str(&footer.render(outer, postprocessors)?);
            out.push('\n');
        }
        Ok(out)
    }

    fn releases_context(&self, template: &template::Template, changelog: &Changelog) -> Value {
        let releases = if template.mentions("releases") {
            let views: Vec<release::ReleaseView<'_>> = changelog
                .releases
                .iter()
                .map(|release| release::ReleaseView {
                    release,
                    fields: self.fields,
                    previous: template.mentions("previous"),
                })
                .collect();
            serde_json::to_value(views).unwrap_or(Value::Null)
        } else {
            Value::Array(Vec::new())
        };
        serde_json::json!({
            "releases": releases,
            "commit_parsers_groups": self.groups,
            "remote": changelog.remote,
        })
    }

    /// Renders every release's body, on all cores, in order.
    fn render_bodies(&self, changelog: &Changelog) -> Result<Vec<String>, TemplateError> {
        let releases = &changelog.releases;
        let previous = self.body.mentions("previous");
        let render_one = |release: &Release| {
            let view = release::ReleaseView { release, fields: self.fields, previous };
            let mut context = serde_json::to_value(view).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut context {
                map.insert("commit_parsers_groups".to_owned(), self.groups.clone());
                map.insert(
                    "remote".to_owned(),
                    serde_json::to_value(&changelog.remote).unwrap_or(Value::Null),
                );
            }
            self.body.render(context, &self.config.changelog.postprocessors)
        };
        parallel::map_in_order(releases, render_one).into_iter().collect()
    }
}

/// What [`build`] reads beyond the releases themselves.
struct BuildOptions<'f> {
    /// Per-commit diff statistics.
    statistics: bool,
    /// Raw commits kept in `previous`.
    previous: bool,
    /// Who to ask for forge data, if anyone.
    forge: Option<&'f dyn Forge>,
    /// Whether the templates want GitHub's data.
    needs_github: bool,
}

fn build(
    repo: &Path,
    config: &Config,
    selection: &Selection,
    options: &BuildOptions<'_>,
) -> Result<Changelog, NotesError> {
    let repo = repo::Repo::open(repo)?;
    // `.cliffignore` lists commits to leave out, as skipping commit parsers first (git-cliff's way).
    let ignored = repo.cliffignore();
    let with_ignored;
    let config = if ignored.is_empty() {
        config
    } else {
        let mut copy = config.clone();
        for sha in ignored {
            let parser = CommitParser { sha: Some(sha), skip: Some(true), ..CommitParser::default() };
            copy.git.commit_parsers.insert(0, parser);
        }
        with_ignored = copy;
        &with_ignored
    };
    let release::RawReleases { mut releases, warnings, range } =
        release::read_releases(&repo, config, selection, options.statistics, options.previous)?;
    let mut remote = config.remote.clone();
    if !remote.is_any_set()
        && let Some((owner, name)) = repo.upstream_remote()
    {
        remote.github = RemoteRepo { owner, repo: name, is_custom: false, ..RemoteRepo::default() };
    }
    if let Some(forge) = options.forge
        && options.needs_github
        && remote.github.is_set()
    {
        // git-cliff lists GitHub's commits from the range's end, unless that is HEAD.
        let ref_name = range.as_deref().and_then(|r| r.split("..").last()).filter(|r| *r != "HEAD");
        let data = forge.github(&remote.github, ref_name).map_err(|e| NotesError::Forge {
            forge: format!("GitHub {}/{}", remote.github.owner, remote.github.repo),
            message: tagwright_text::error_chain(&e),
        })?;
        for release in &mut releases {
            remote::apply_github(release, &data);
        }
    }
    let mut changelog = release::finish(config, releases, warnings)?;
    changelog.remote = remote;
    Ok(changelog)
}

impl Changelog {
    /// Gives the newest release that had commits this tag message (git-cliff's
    /// `--with-tag-message`).
    pub fn set_latest_message(&mut self, message: &str) {
        if let Some(release) = self.releases.iter_mut().find(|r| r.raw_commit_count > 0) {
            release.message = Some(message.to_owned());
        }
    }

    /// The structured data as JSON, in the shape of git-cliff's `--context`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.releases).expect("releases serialize")
    }

    /// One line per kind of skipped commit, for warnings.
    pub fn skip_summary(&self) -> Vec<String> {
        self.skipped
            .iter()
            .filter(|(reason, _)| reason.warns())
            .map(|(reason, count)| format!("{count} commit(s) {}", reason.describe()))
            .collect()
    }
}

/// Turns off libgit2's object cache for the whole process.
///
/// Building notes reads every commit once, so the cache only holds memory (about 20 MB per 50,000
/// commits). One-pass tools such as `release-notes` call this first; a long-running program that reuses
/// objects through git2 should not.
pub fn disable_object_cache() {
    git2::opts::enable_caching(false);
}

/// Reads the whole structured context (with per-commit diff statistics) for `--context`.
pub fn context(repo: &Path, config: &Config, selection: &Selection) -> Result<Changelog, NotesError> {
    context_with_forge(repo, config, selection, None)
}

/// [`context`], with GitHub's data from `forge` when [`Generator::needs_github`] would ask for it and
/// a GitHub repository is known, as git-cliff's `--context` does.
pub fn context_with_forge(
    repo: &Path,
    config: &Config,
    selection: &Selection,
    forge: Option<&dyn Forge>,
) -> Result<Changelog, NotesError> {
    let forge = forge.filter(|_| !config.remote.offline);
    let needs_github = Generator::new(config.clone()).is_ok_and(|g| g.needs_github());
    let options = BuildOptions { statistics: true, previous: true, forge, needs_github };
    build(repo, config, selection, &options)
}

/// Rendered release notes, and what the render warned about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReleaseNotes {
    /// The notes.
    pub text: String,
    /// Warnings ([`Generator::render_warnings`]).
    pub warnings: Vec<String>,
}

/// The notes of the coming release `tag`, as the runbook previews them and the tag carries them:
/// the unreleased changes under `tag`, without header or footer.
pub fn release_notes(repo: &Path, tag: &str) -> Result<ReleaseNotes, Error> {
    let generator = Generator::new(Config::load(repo, None)?)?;
    let changelog = generator.changelog(repo, &Selection::new(Scope::Unreleased).tag(tag))?;
    let text = generator.render(&changelog, Some(Strip::All))?;
    Ok(ReleaseNotes { text, warnings: generator.render_warnings() })
}
