//! git-cliff's command line as data: the flags that change the configuration ([`Overrides`]), the
//! `--init` templates, `--prepend`'s text and `--bump`'s next version. A tool that offers git-cliff's
//! flags (the `release-notes` binary is one) fills [`Overrides`] from its arguments and applies it;
//! nothing here reads the process's environment or prints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::bump::BumpType;
use crate::{Changelog, CommitParser, Config, Generator, RemoteConfig, SortCommits};

/// Why a flag (or the variable standing for it) cannot be applied. Each names the flag and its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlagError {
    /// A value is not what its flag takes.
    #[error("--{flag} {value:?}: {message}")]
    Value {
        /// The flag, without `--` (or the variable).
        flag: String,
        /// Its value.
        value: String,
        /// What is wrong.
        message: String,
    },
    /// A file a flag names cannot be read.
    #[error("--{flag} {}: {message}", .path.display())]
    File {
        /// The flag.
        flag: String,
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// `--init NAME` names no template.
    #[error("--init {name}: no such template (the templates are: {})", .known.join(", "))]
    UnknownTemplate {
        /// The name asked for.
        name: String,
        /// The names there are.
        known: Vec<String>,
    },
}

/// A forge's flags: `--github-repo`/`--github-token` and their variables (`GITHUB_REPO`,
/// `GITHUB_TOKEN`), and likewise for GitLab, Gitea, Bitbucket and Azure DevOps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForgeFlags {
    /// `OWNER/REPO`, or a URL whose path ends so.
    pub repo: Option<String>,
    /// The token.
    pub token: Option<String>,
}

/// git-cliff's flags that change the configuration, each `None`/empty/false when not given.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Overrides {
    /// `--offline`.
    pub offline: bool,
    /// Each forge's flags, by [`RemoteConfig::FORGES`] name (`github`, `azure_devops`, …).
    pub forges: BTreeMap<String, ForgeFlags>,
    /// `--tag-pattern`.
    pub tag_pattern: Option<String>,
    /// `--ignore-tags`.
    pub ignore_tags: Option<String>,
    /// `--skip-tags`.
    pub skip_tags: Option<String>,
    /// `--count-tags`.
    pub count_tags: Option<String>,
    /// `--use-branch-tags`.
    pub use_branch_tags: bool,
    /// `--limit-tags` (`GIT_CLIFF_LIMIT_TAGS`, as text, is read when this is `None`).
    pub limit_tags: Option<usize>,
    /// `--topo-order`.
    pub topo_order: bool,
    /// `--sort`.
    pub sort: Option<SortCommits>,
    /// `--no-exec`.
    pub no_exec: bool,
    /// `--skip-commit`, in order.
    pub skip_commits: Vec<String>,
    /// `--body`.
    pub body: Option<String>,
    /// `--body-file`.
    pub body_file: Option<PathBuf>,
    /// `--tag`: also the initial tag of `--bump`.
    pub tag: Option<String>,
    /// `--bump major|minor|patch` (`auto` is `None`: the `[bump]` rules decide).
    pub bump: Option<BumpType>,
    /// `--include-path` (`GIT_CLIFF_INCLUDE_PATH`, space-separated, when empty).
    pub include_paths: Vec<String>,
    /// `--exclude-path` (`GIT_CLIFF_EXCLUDE_PATH` when empty).
    pub exclude_paths: Vec<String>,
}

fn bad(flag: &str, value: &str, message: impl Into<String>) -> FlagError {
    FlagError::Value { flag: flag.to_owned(), value: value.to_owned(), message: message.into() }
}

impl Overrides {
    /// Applies the flags to `config` as git-cliff does, reading the variables that stand for absent
    /// flags through `env`.
    pub fn apply(&self, config: &mut Config, env: &dyn Fn(&str) -> Option<String>) -> Result<(), FlagError> {
        self.apply_forges(config, env)?;
        self.apply_tags(config, env)?;
        if self.topo_order {
            config.git.topo_order = true;
        }
        if let Some(sort) = self.sort {
            config.git.sort_commits = sort;
        }
        if self.no_exec {
            for processor in
                config.git.commit_preprocessors.iter_mut().chain(config.changelog.postprocessors.iter_mut())
            {
                processor.replace_command = None;
            }
        }
        for sha in self.skip_commits.iter().rev() {
            let parser = CommitParser { sha: Some(sha.clone()), skip: Some(true), ..CommitParser::default() };
            config.git.commit_parsers.insert(0, parser);
        }
        if let Some(body) = &self.body {
            config.changelog.body.clone_from(body);
        }
        if let Some(path) = &self.body_file {
            config.changelog.body = std::fs::read_to_string(path).map_err(|e| FlagError::File {
                flag: "body-file".to_owned(),
                path: path.clone(),
                message: e.to_string(),
            })?;
        }
        if self.tag.is_some() {
            config.bump.initial_tag.clone_from(&self.tag);
        }
        if self.bump.is_some() {
            config.bump.bump_type = self.bump;
        }
        self.apply_paths(config, env)
    }

    /// `--offline` and the forges' repositories and tokens.
    fn apply_forges(
        &self,
        config: &mut Config,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), FlagError> {
        if self.offline {
            config.remote.offline = true;
        }
        for forge in RemoteConfig::FORGES {
            let Some(remote) = config.remote.forge_mut(forge) else { continue };
            let flags = self.forges.get(forge).cloned().unwrap_or_default();
            // `azure_devops`: flag `--azure-devops-repo`, variables `AZURE_DEVOPS_REPO` and `…_TOKEN`.
            let variable = forge.to_uppercase();
            let token = flags.token.or_else(|| env(&format!("{variable}_TOKEN")));
            if let Some(token) = token.filter(|t| !t.is_empty()) {
                remote.token = Some(token);
            }
            let repo = flags.repo.or_else(|| env(&format!("{variable}_REPO")));
            if let Some(repo) = repo.filter(|r| !r.is_empty()) {
                let (owner, name) = owner_repo(&format!("{}-repo", forge.replace('_', "-")), &repo)?;
                remote.owner = owner;
                remote.repo = name;
                remote.is_custom = true;
            }
        }
        Ok(())
    }

    /// The tag flags: patterns, branch tags, the limit.
    fn apply_tags(&self, config: &mut Config, env: &dyn Fn(&str) -> Option<String>) -> Result<(), FlagError> {
        let regex = |flag: &str, pattern: &str| {
            regex::Regex::new(pattern).map_err(|e| bad(flag, pattern, format!("not a valid regex: {e}")))
        };
        let patterns = [
            ("tag-pattern", &self.tag_pattern, &mut config.git.tag_pattern),
            ("ignore-tags", &self.ignore_tags, &mut config.git.ignore_tags),
            ("skip-tags", &self.skip_tags, &mut config.git.skip_tags),
            ("count-tags", &self.count_tags, &mut config.git.count_tags),
        ];
        for (flag, given, field) in patterns {
            if let Some(pattern) = given {
                *field = Some(regex(flag, pattern)?);
            }
        }
        if self.use_branch_tags {
            config.git.use_branch_tags = true;
        }
        let limit = match (self.limit_tags, env("GIT_CLIFF_LIMIT_TAGS")) {
            (Some(limit), _) => Some(limit),
            (None, Some(text)) if !text.is_empty() => Some(
                text.parse()
                    .map_err(|_| bad("limit-tags", &text, "GIT_CLIFF_LIMIT_TAGS is not a number of tags"))?,
            ),
            _ => None,
        };
        if let Some(limit) = limit {
            config.git.limit_tags = (limit > 0).then_some(limit);
        }
        Ok(())
    }

    /// `--include-path` and `--exclude-path`, added to the configuration's; as clap's `env`, the flag
    /// wins and the variable holds space-separated globs.
    fn apply_paths(
        &self,
        config: &mut Config,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), FlagError> {
        let from_env = |flag: &[String], variable: &str| -> Vec<String> {
            if !flag.is_empty() {
                return flag.to_vec();
            }
            env(variable)
                .map(|v| v.split(' ').filter(|p| !p.is_empty()).map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let glob = |flag: &str, pattern: &str| {
            glob::Pattern::new(pattern).map_err(|e| bad(flag, pattern, format!("not a valid glob: {e}")))
        };
        for pattern in from_env(&self.include_paths, "GIT_CLIFF_INCLUDE_PATH") {
            config.git.include_paths.push(glob("include-path", &pattern)?);
        }
        for pattern in from_env(&self.exclude_paths, "GIT_CLIFF_EXCLUDE_PATH") {
            config.git.exclude_paths.push(glob("exclude-path", &pattern)?);
        }
        Ok(())
    }
}

/// `OWNER/REPO`, or a URL whose path ends so, as git-cliff's `--github-repo` takes it.
pub fn owner_repo(flag: &str, value: &str) -> Result<(String, String), FlagError> {
    let path = match value.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map_or("", |(_, path)| path),
        None => value,
    };
    let path = path.trim_start_matches('/').trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    match path.rsplit_once('/') {
        Some((owner, repo)) if !owner.is_empty() && !repo.is_empty() => {
            Ok((owner.to_owned(), repo.to_owned()))
        }
        _ => Err(bad(flag, value, "expected OWNER/REPO")),
    }
}

/// The templates `--init` knows, by name: git-cliff's built-in ones (its default is not listed, as
/// git-cliff lists them), then those in `dir` (`NAME.toml`), which win over built-in ones.
pub fn templates(dir: Option<&Path>) -> Result<BTreeMap<String, String>, FlagError> {
    let mut templates: BTreeMap<String, String> = crate::BUILT_IN_CONFIGS
        .iter()
        .filter(|(name, _)| *name != "default")
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    let Some(dir) = dir else { return Ok(templates) };
    let unreadable = |path: &Path, e: std::io::Error| FlagError::File {
        flag: "templates-dir".to_owned(),
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    for entry in std::fs::read_dir(dir).map_err(|e| unreadable(dir, e))? {
        let path = entry.map_err(|e| unreadable(dir, e))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".toml"))
        else {
            continue;
        };
        if path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|e| unreadable(&path, e))?;
            templates.insert(name.to_owned(), text);
        }
    }
    Ok(templates)
}

/// The text of the template `--init NAME` writes (`NAME` or `NAME.toml`; git-cliff's default for
/// `default`), and its name.
pub fn template(name: &str, dir: Option<&Path>) -> Result<(String, String), FlagError> {
    let name = name.strip_suffix(".toml").unwrap_or(name);
    let mut known = templates(dir)?;
    match known.remove(name) {
        Some(text) => Ok((name.to_owned(), text)),
        None if name == "default" => {
            Ok((name.to_owned(), crate::built_in_config("default").unwrap_or_default().to_owned()))
        }
        None => Err(FlagError::UnknownTemplate { name: name.to_owned(), known: known.into_keys().collect() }),
    }
}

/// `--prepend`: `notes` above `before` (what the file held), without the file's old `header`.
pub fn prepended(notes: &str, before: &str, header: Option<&str>) -> String {
    let before = match header {
        Some(header) => before.replacen(header, "", 1),
        None => before.to_owned(),
    };
    let mut combined = notes.to_owned();
    if !notes.is_empty() && !before.is_empty() && !notes.ends_with('\n') && !before.starts_with(['\n', '\r'])
    {
        combined.push_str("\n\n");
    }
    combined.push_str(&before);
    combined
}

/// What `--bump` makes of the unreleased changes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NextVersion {
    /// The version the notes now carry; `None` when there is nothing to name.
    pub version: Option<String>,
    /// git-cliff's warnings ("there is nothing to bump", …).
    pub warnings: Vec<String>,
}

/// Why `--bump` gives no version.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NextVersionError {
    /// The bump rules cannot be applied (a version that is not SemVer, …).
    #[error(transparent)]
    Rules(#[from] crate::bump::BumpError),
    /// The next version does not match the tag pattern: a check that failed.
    #[error("the next version ({version}) does not match the tag pattern: {pattern}")]
    TagPattern {
        /// The next version.
        version: String,
        /// The pattern.
        pattern: String,
    },
}

/// Versions the unreleased changes as git-cliff's `--bump` does, at `now` (Unix seconds).
pub fn next_version(
    generator: &Generator,
    changelog: &mut Changelog,
    now: i64,
) -> Result<NextVersion, NextVersionError> {
    let config = &generator.config().bump;
    let mut warnings = Vec::new();
    let current = changelog
        .releases
        .first()
        .and_then(|r| r.version.clone().or_else(|| r.previous.as_ref().and_then(|p| p.version.clone())));
    let bumped = crate::bump::bump_version(changelog, config, now).map_err(NextVersionError::Rules)?;
    let next = if let Some(next) = bumped {
        if current.as_ref() == Some(&next) {
            warnings.push(
                "the next version is the same as the current version, there is nothing to bump".to_owned(),
            );
        }
        next
    } else if let Some(last) = changelog.releases.first().and_then(|r| r.version.clone()) {
        warnings.push("there is nothing to bump".to_owned());
        last
    } else if changelog.releases.is_empty() {
        config.initial_tag()
    } else {
        return Ok(NextVersion { version: None, warnings });
    };
    if let Some(pattern) = &generator.config().git.tag_pattern
        && !pattern.is_match(&next)
    {
        return Err(NextVersionError::TagPattern { version: next, pattern: pattern.to_string() });
    }
    Ok(NextVersion { version: Some(next), warnings })
}

#[cfg(test)]
mod tests;
