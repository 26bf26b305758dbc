//! The notes configuration: git-cliff's `cliff.toml` format, found and layered as git-cliff does.
//!
//! A project's configuration comes from `cliff.toml`, or `[package.metadata.git-cliff]` /
//! `[workspace.metadata.git-cliff]` in `Cargo.toml`, or `[tool.git-cliff]` in `pyproject.toml`, or
//! `.cliff.toml` / `.config/cliff.toml`; it is layered over the default configuration (git-cliff's
//! defaults), so every key it leaves out keeps its default. Tables merge key by key; arrays and values
//! replace.

use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;
use serde_json::{Map, Value};
use toml_edit::{Document, Item};

pub use crate::remote_config::{RemoteConfig, RemoteRepo};

/// The default configuration, layered under every project's.
const DEFAULT: &str = include_str!("default.toml");

/// git-cliff 2.14's built-in configurations, as `git cliff --init [NAME]` writes them (`default` for no
/// name), byte for byte. They come from git-cliff, under its MIT licence (`templates/LICENSE-MIT`).
pub const BUILT_IN_CONFIGS: [(&str, &str); 14] = [
    ("default", include_str!("../templates/default.toml")),
    ("keepachangelog", include_str!("../templates/keepachangelog.toml")),
    ("detailed", include_str!("../templates/detailed.toml")),
    ("minimal", include_str!("../templates/minimal.toml")),
    ("scoped", include_str!("../templates/scoped.toml")),
    ("scopesorted", include_str!("../templates/scopesorted.toml")),
    ("unconventional", include_str!("../templates/unconventional.toml")),
    ("cocogitto", include_str!("../templates/cocogitto.toml")),
    ("statistics", include_str!("../templates/statistics.toml")),
    ("github", include_str!("../templates/github.toml")),
    ("github-keepachangelog", include_str!("../templates/github-keepachangelog.toml")),
    ("gitlab", include_str!("../templates/gitlab.toml")),
    ("gitlab-keepachangelog", include_str!("../templates/gitlab-keepachangelog.toml")),
    ("azure-devops-keepachangelog", include_str!("../templates/azure-devops-keepachangelog.toml")),
];

/// The built-in configuration `name` (with or without `.toml`, as git-cliff takes it).
pub fn built_in_config(name: &str) -> Option<&'static str> {
    let name = name.strip_suffix(".toml").unwrap_or(name);
    BUILT_IN_CONFIGS.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{}:{line}:{column}: invalid TOML: {message}", .path.display())]
    Toml {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// A key has the wrong type or value.
    #[error("{}: {message}", .path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the key.
        message: String,
    },
}

/// Where the configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigSource {
    /// A `cliff.toml`-format file.
    File(PathBuf),
    /// The git-cliff section of `Cargo.toml` or `pyproject.toml`.
    Manifest(PathBuf),
    /// No project configuration: the defaults alone.
    Default,
}

/// A regex text processor: `{ pattern, replace }` or `{ pattern, replace_command }`.
#[derive(Debug, Clone)]
pub struct TextProcessor {
    /// What to match.
    pub pattern: Regex,
    /// The replacement (`$1` expands groups).
    pub replace: Option<String>,
    /// A shell command that gets the text on stdin and prints the replacement.
    pub replace_command: Option<String>,
}

/// A commit parser: matches a commit and sets its group and scope, or skips it.
#[derive(Debug, Clone, Default)]
pub struct CommitParser {
    /// A commit id to match exactly.
    pub sha: Option<String>,
    /// Matches the commit message.
    pub message: Option<Regex>,
    /// Matches the conventional body.
    pub body: Option<Regex>,
    /// Matches each conventional footer (`token` + `separator` + `value`).
    pub footer: Option<Regex>,
    /// The group to assign (`$1` expands groups of the matching regex).
    pub group: Option<String>,
    /// The scope when the commit has none.
    pub default_scope: Option<String>,
    /// The scope to assign.
    pub scope: Option<String>,
    /// Leave the commit out.
    pub skip: Option<bool>,
    /// A field of the commit's context (`author.name`, `body`, …) that `pattern` matches.
    pub field: Option<String>,
    /// Matches `field`.
    pub pattern: Option<Regex>,
}

/// A link parser: finds references in messages and turns them into links.
#[derive(Debug, Clone)]
pub struct LinkParser {
    /// What to find.
    pub pattern: Regex,
    /// The link target (`$1` expands groups).
    pub href: String,
    /// The link text (default: the match).
    pub text: Option<String>,
}

/// The order of commits within a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortCommits {
    /// Oldest first.
    #[default]
    Oldest,
    /// Newest first.
    Newest,
}

/// `[changelog]`.
#[derive(Debug, Clone, Default)]
pub struct ChangelogConfig {
    /// The header template.
    pub header: Option<String>,
    /// The template rendered once per release.
    pub body: String,
    /// The footer template.
    pub footer: Option<String>,
    /// Trim every template line before parsing.
    pub trim: bool,
    /// Render the body even for an empty release (when the previous one is empty too).
    pub render_always: bool,
    /// Applied to each rendered template.
    pub postprocessors: Vec<TextProcessor>,
    /// Where to write the changelog.
    pub output: Option<PathBuf>,
}

/// `[git]`.
#[derive(Debug, Clone, Default)]
#[allow(clippy::struct_excessive_bools)]
pub struct GitConfig {
    /// Parse commits as conventional commits.
    pub conventional_commits: bool,
    /// Fail when a commit is not conventional.
    pub require_conventional: bool,
    /// Leave out commits that are not conventional.
    pub filter_unconventional: bool,
    /// Treat each line of a message as its own commit.
    pub split_commits: bool,
    /// Rewrite messages before parsing.
    pub commit_preprocessors: Vec<TextProcessor>,
    /// Group, scope or skip commits.
    pub commit_parsers: Vec<CommitParser>,
    /// Never skip breaking commits.
    pub protect_breaking_commits: bool,
    /// Extract links.
    pub link_parsers: Vec<LinkParser>,
    /// Leave out commits no parser matched.
    pub filter_commits: bool,
    /// Fail when a commit no parser matched remains.
    pub fail_on_unmatched_commit: bool,
    /// Only tags matching this are releases.
    pub tag_pattern: Option<Regex>,
    /// Releases whose tags match this are left out, with their commits.
    pub skip_tags: Option<Regex>,
    /// Tags matching this are not releases: their commits join the next release.
    pub ignore_tags: Option<Regex>,
    /// Only tags matching this count as releases.
    pub count_tags: Option<Regex>,
    /// Only tags on the current branch.
    pub use_branch_tags: bool,
    /// Order tags topologically instead of by commit time.
    pub topo_order: bool,
    /// Walk commits topologically instead of by time.
    pub topo_order_commits: bool,
    /// The order of commits within a release.
    pub sort_commits: SortCommits,
    /// Keep only this many commits.
    pub limit_commits: Option<usize>,
    /// With no range asked for, only the last this many tags' releases (`git.limit_tags`,
    /// `--limit-tags`, `GIT_CLIFF_LIMIT_TAGS`; 0 is no limit).
    pub limit_tags: Option<usize>,
    /// Keep only commits that change a path matching one of these globs (`git.include_paths`,
    /// `--include-path`, `GIT_CLIFF_INCLUDE_PATH`).
    pub include_paths: Vec<glob::Pattern>,
    /// Leave out commits whose every changed path matches one of these globs (`git.exclude_paths`,
    /// `--exclude-path`, `GIT_CLIFF_EXCLUDE_PATH`).
    pub exclude_paths: Vec<glob::Pattern>,
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `[changelog]`.
    pub changelog: ChangelogConfig,
    /// `[git]`.
    pub git: GitConfig,
    /// `[remote]`.
    pub remote: RemoteConfig,
    /// `[bump]`.
    pub bump: crate::bump_config::BumpConfig,
    /// Where it came from.
    pub source: ConfigSource,
}

impl Config {
    /// The default configuration alone.
    pub fn default_config() -> Config {
        let mut value = toml_to_json(DEFAULT, Path::new("<default>")).expect("the default parses");
        let defaults =
            Config::from_value(value.clone(), ConfigSource::Default).expect("the default is valid");
        apply_environment(&mut value, std::env::vars_os());
        // A bad override falls back to the defaults; loading a file reports it instead.
        Config::from_value(value, ConfigSource::Default).unwrap_or(defaults)
    }

    /// Loads the configuration for the repository at `repo`: `explicit` when given, else the first of
    /// `cliff.toml`, `Cargo.toml`'s and `pyproject.toml`'s git-cliff sections, `.cliff.toml` and
    /// `.config/cliff.toml`; else the defaults. An `explicit` file that does not exist is not
    /// replaced by another file: as in git-cliff 2.14, only the manifests' git-cliff sections are
    /// read then, else the defaults (`source` is [`ConfigSource::Default`]; the caller warns).
    pub fn load(repo: &Path, explicit: Option<&Path>) -> Result<Config, ConfigError> {
        if let Some(path) = explicit {
            let path = if path.is_absolute() { path.to_path_buf() } else { repo.join(path) };
            if path.is_file() {
                // As git-cliff: `-c Cargo.toml` or `-c pyproject.toml` reads the git-cliff section of
                // the project's manifests (Cargo.toml first), and the file itself only when neither
                // has one.
                let manifest = path.file_name().is_some_and(|n| n == "Cargo.toml" || n == "pyproject.toml");
                if manifest && let Some(config) = Config::from_manifests(repo)? {
                    return Ok(config);
                }
                return Config::from_file(&path);
            }
            if let Some(config) = Config::from_manifests(repo)? {
                return Ok(config);
            }
            return Config::layered(Value::Object(serde_json::Map::new()), ConfigSource::Default);
        }
        let cliff = repo.join("cliff.toml");
        if cliff.is_file() {
            return Config::from_file(&cliff);
        }
        if let Some(config) = Config::from_manifests(repo)? {
            return Ok(config);
        }
        for name in [".cliff.toml", ".config/cliff.toml"] {
            let path = repo.join(name);
            if path.is_file() {
                return Config::from_file(&path);
            }
        }
        Config::layered(Value::Object(serde_json::Map::new()), ConfigSource::Default)
    }

    /// The git-cliff section of `Cargo.toml` (`[package.metadata.git-cliff]`, or the workspace's),
    /// else of `pyproject.toml` (`[tool.git-cliff]`), in `dir`.
    fn from_manifests(dir: &Path) -> Result<Option<Config>, ConfigError> {
        for (manifest, keys) in [
            (
                "Cargo.toml",
                &[&["package", "metadata", "git-cliff"][..], &["workspace", "metadata", "git-cliff"]][..],
            ),
            ("pyproject.toml", &[&["tool", "git-cliff"][..]][..]),
        ] {
            let path = dir.join(manifest);
            if !path.is_file() {
                continue;
            }
            let text = read(&path)?;
            let value = toml_to_json(&text, &path)?;
            for key in keys {
                if let Some(section) = key.iter().try_fold(&value, |v, k| v.get(*k)) {
                    return Config::layered(section.clone(), ConfigSource::Manifest(path)).map(Some);
                }
            }
        }
        Ok(None)
    }

    /// Loads a `cliff.toml`-format file, layered over the defaults.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = read(path)?;
        Config::layered(toml_to_json(&text, path)?, ConfigSource::File(path.to_path_buf()))
    }

    /// Parses `cliff.toml`-format text, layered over the defaults.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        Config::layered(toml_to_json(text, Path::new("<config>"))?, ConfigSource::Default)
    }

    fn layered(user: Value, source: ConfigSource) -> Result<Config, ConfigError> {
        let mut merged = toml_to_json(DEFAULT, Path::new("<default>")).expect("the default parses");
        merge(&mut merged, user);
        apply_environment(&mut merged, std::env::vars_os());
        Config::from_value(merged, source)
    }

    fn from_value(value: Value, source: ConfigSource) -> Result<Config, ConfigError> {
        let path = match &source {
            ConfigSource::File(p) | ConfigSource::Manifest(p) => p.clone(),
            ConfigSource::Default => PathBuf::from("<default configuration>"),
        };
        let invalid = |message: String| ConfigError::Invalid { path: path.clone(), message };
        let raw: RawConfig = serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?;
        let regex = |key: &str, pattern: &str| {
            Regex::new(pattern).map_err(|e| invalid(format!("`{key}` is not a valid regex: {e}")))
        };
        let globs = |key: &str, patterns: &[String]| -> Result<Vec<glob::Pattern>, ConfigError> {
            patterns
                .iter()
                .map(|p| {
                    glob::Pattern::new(p)
                        .map_err(|e| invalid(format!("`{key}`: {p:?} is not a valid glob: {e}")))
                })
                .collect()
        };
        let optional_regex = |key: &str, pattern: Option<String>| -> Result<Option<Regex>, ConfigError> {
            pattern.filter(|p| !p.is_empty()).map(|p| regex(key, &p)).transpose()
        };
        let processors = |key: &str, raw: Vec<RawTextProcessor>| -> Result<Vec<TextProcessor>, ConfigError> {
            raw.into_iter()
                .enumerate()
                .map(|(i, p)| {
                    Ok(TextProcessor {
                        pattern: regex(&format!("{key}[{i}].pattern"), &p.pattern)?,
                        replace: p.replace,
                        replace_command: p.replace_command,
                    })
                })
                .collect()
        };
        let mut commit_parsers = Vec::new();
        for (i, p) in raw.git.commit_parsers.into_iter().enumerate() {
            let key = |field: &str| format!("git.commit_parsers[{i}].{field}");
            commit_parsers.push(CommitParser {
                sha: p.sha,
                message: optional_regex(&key("message"), p.message)?,
                body: optional_regex(&key("body"), p.body)?,
                footer: optional_regex(&key("footer"), p.footer)?,
                group: p.group,
                default_scope: p.default_scope,
                scope: p.scope,
                skip: p.skip,
                field: p.field,
                pattern: optional_regex(&key("pattern"), p.pattern)?,
            });
        }
        let mut link_parsers = Vec::new();
        for (i, p) in raw.git.link_parsers.into_iter().enumerate() {
            link_parsers.push(LinkParser {
                pattern: regex(&format!("git.link_parsers[{i}].pattern"), &p.pattern)?,
                href: p.href,
                text: p.text,
            });
        }
        let sort_commits = match raw.git.sort_commits.to_ascii_lowercase().as_str() {
            "oldest" => SortCommits::Oldest,
            "newest" => SortCommits::Newest,
            other => {
                return Err(invalid(format!(
                    "`git.sort_commits` is `{other}`; expected `oldest` or `newest`"
                )));
            }
        };
        Ok(Config {
            changelog: ChangelogConfig {
                header: raw.changelog.header,
                body: raw.changelog.body,
                footer: raw.changelog.footer,
                trim: raw.changelog.trim,
                render_always: raw.changelog.render_always,
                postprocessors: processors("changelog.postprocessors", raw.changelog.postprocessors)?,
                output: raw.changelog.output,
            },
            git: GitConfig {
                conventional_commits: raw.git.conventional_commits,
                require_conventional: raw.git.require_conventional,
                filter_unconventional: raw.git.filter_unconventional,
                split_commits: raw.git.split_commits,
                commit_preprocessors: processors("git.commit_preprocessors", raw.git.commit_preprocessors)?,
                commit_parsers,
                protect_breaking_commits: raw.git.protect_breaking_commits,
                link_parsers,
                filter_commits: raw.git.filter_commits,
                fail_on_unmatched_commit: raw.git.fail_on_unmatched_commit,
                tag_pattern: optional_regex("git.tag_pattern", raw.git.tag_pattern)?,
                skip_tags: optional_regex("git.skip_tags", raw.git.skip_tags)?,
                ignore_tags: optional_regex("git.ignore_tags", raw.git.ignore_tags)?,
                count_tags: optional_regex("git.count_tags", raw.git.count_tags)?,
                use_branch_tags: raw.git.use_branch_tags,
                topo_order: raw.git.topo_order,
                topo_order_commits: raw.git.topo_order_commits,
                sort_commits,
                limit_commits: raw.git.limit_commits,
                limit_tags: raw.git.limit_tags.filter(|n| *n > 0),
                include_paths: globs("git.include_paths", &raw.git.include_paths)?,
                exclude_paths: globs("git.exclude_paths", &raw.git.exclude_paths)?,
            },
            remote: raw.remote,
            bump: raw.bump,
            source,
        })
    }
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Io { path: path.to_path_buf(), source })
}

/// The boolean keys, for overrides of keys the configuration does not set.
const BOOLEAN_KEYS: &[&str] = &[
    "changelog.trim",
    "changelog.render_always",
    "git.conventional_commits",
    "git.require_conventional",
    "git.filter_unconventional",
    "git.split_commits",
    "git.protect_breaking_commits",
    "git.filter_commits",
    "git.fail_on_unmatched_commit",
    "git.use_branch_tags",
    "git.topo_order",
    "git.topo_order_commits",
    "git.recurse_submodules",
    "bump.features_always_bump_minor",
    "bump.breaking_always_bump_major",
];

/// git-cliff's `GIT_CLIFF__SECTION__KEY=value` overrides (the `config` crate's environment source,
/// prefix `GIT_CLIFF`, separator `__`): the path is lowercased, and the value is a string, read as a
/// boolean or a number where the configuration holds one.
fn apply_environment(
    config: &mut Value,
    vars: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) {
    let mut overrides: Vec<(Vec<String>, String)> = vars
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter_map(|(k, v)| {
            let path = k.strip_prefix("GIT_CLIFF__")?;
            let parts: Vec<String> = path.split("__").map(str::to_lowercase).collect();
            (!parts.iter().any(String::is_empty)).then_some((parts, v))
        })
        .collect();
    overrides.sort();
    for (path, text) in overrides {
        let mut node = &mut *config;
        for part in &path[..path.len() - 1] {
            if !node.is_object() {
                *node = Value::Object(serde_json::Map::new());
            }
            node = node
                .as_object_mut()
                .expect("made an object")
                .entry(part.clone())
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
        }
        let Some(map) = node.as_object_mut() else { continue };
        let key = path[path.len() - 1].clone();
        let dotted = path.join(".");
        let kind = match map.get(&key) {
            Some(Value::Bool(_)) => "bool",
            Some(Value::Number(_)) => "number",
            _ if BOOLEAN_KEYS.contains(&dotted.as_str()) => "bool",
            _ if dotted == "git.limit_commits" || dotted == "git.limit_tags" => "number",
            _ => "string",
        };
        let value = match kind {
            "bool" => text.parse::<bool>().map_or(Value::String(text.clone()), Value::Bool),
            "number" => text
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| text.parse::<f64>().map(Value::from))
                .unwrap_or(Value::String(text.clone())),
            _ => Value::String(text),
        };
        map.insert(key, value);
    }
}

/// Merges `overlay` into `base`: tables key by key, everything else replaced.
fn merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(existing) if existing.is_object() && value.is_object() => merge(existing, value),
                    _ => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

/// Parses TOML into a JSON value, so configurations can be layered before they are typed.
fn toml_to_json(text: &str, path: &Path) -> Result<Value, ConfigError> {
    let doc = Document::parse(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start).min(text.len());
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        ConfigError::Toml {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().trim_end().to_owned(),
        }
    })?;
    Ok(item_to_json(doc.as_item()))
}

fn item_to_json(item: &Item) -> Value {
    match item {
        Item::None => Value::Null,
        Item::Value(v) => value_to_json(v),
        Item::Table(t) => Value::Object(t.iter().map(|(k, v)| (k.to_owned(), item_to_json(v))).collect()),
        Item::ArrayOfTables(a) => Value::Array(
            a.iter()
                .map(|t| Value::Object(t.iter().map(|(k, v)| (k.to_owned(), item_to_json(v))).collect()))
                .collect(),
        ),
    }
}

fn value_to_json(value: &toml_edit::Value) -> Value {
    use toml_edit::Value as V;
    match value {
        V::String(s) => Value::String(s.value().clone()),
        V::Integer(i) => Value::from(*i.value()),
        V::Float(f) => serde_json::Number::from_f64(*f.value()).map_or(Value::Null, Value::Number),
        V::Boolean(b) => Value::Bool(*b.value()),
        V::Datetime(d) => Value::String(d.value().to_string()),
        V::Array(a) => Value::Array(a.iter().map(value_to_json).collect()),
        V::InlineTable(t) => Value::Object(
            t.iter().map(|(k, v)| (k.to_owned(), value_to_json(v))).collect::<Map<String, Value>>(),
        ),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawConfig {
    changelog: RawChangelog,
    git: RawGit,
    remote: RemoteConfig,
    bump: crate::bump_config::BumpConfig,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawChangelog {
    header: Option<String>,
    body: String,
    footer: Option<String>,
    trim: bool,
    render_always: bool,
    postprocessors: Vec<RawTextProcessor>,
    output: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawGit {
    conventional_commits: bool,
    require_conventional: bool,
    filter_unconventional: bool,
    split_commits: bool,
    commit_preprocessors: Vec<RawTextProcessor>,
    commit_parsers: Vec<RawCommitParser>,
    protect_breaking_commits: bool,
    link_parsers: Vec<RawLinkParser>,
    filter_commits: bool,
    fail_on_unmatched_commit: bool,
    tag_pattern: Option<String>,
    skip_tags: Option<String>,
    ignore_tags: Option<String>,
    count_tags: Option<String>,
    use_branch_tags: bool,
    topo_order: bool,
    topo_order_commits: bool,
    sort_commits: String,
    limit_commits: Option<usize>,
    limit_tags: Option<usize>,
    include_paths: Vec<String>,
    exclude_paths: Vec<String>,
}

#[derive(Deserialize)]
struct RawTextProcessor {
    pattern: String,
    replace: Option<String>,
    replace_command: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawCommitParser {
    sha: Option<String>,
    message: Option<String>,
    body: Option<String>,
    footer: Option<String>,
    group: Option<String>,
    default_scope: Option<String>,
    scope: Option<String>,
    skip: Option<bool>,
    field: Option<String>,
    pattern: Option<String>,
}

#[derive(Deserialize)]
struct RawLinkParser {
    pattern: String,
    href: String,
    text: Option<String>,
}

#[cfg(test)]
mod environment_tests {
    use super::*;

    #[test]
    fn git_cliff_environment_overrides_set_nested_keys() {
        let mut value =
            serde_json::json!({"changelog": {"footer": "x", "trim": true}, "git": {"limit_commits": 3}});
        let vars = [
            ("GIT_CLIFF__CHANGELOG__FOOTER", "the end"),
            ("GIT_CLIFF__CHANGELOG__TRIM", "false"),
            ("GIT_CLIFF__GIT__LIMIT_COMMITS", "7"),
            ("GIT_CLIFF__GIT__TAG_PATTERN", "v.*"),
            ("GIT_CLIFF_INCLUDE_PATH", "ignored"),
            ("OTHER", "ignored"),
        ]
        .map(|(k, v)| (k.into(), v.into()));
        apply_environment(&mut value, vars.into_iter());
        assert_eq!(
            value,
            serde_json::json!({"changelog": {"footer": "the end", "trim": false}, "git": {"limit_commits": 7, "tag_pattern": "v.*"}})
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_config_keeps_the_defaults_it_does_not_set() {
        let config =
            Config::from_toml("[changelog]\nheader = \"# Changelog\"\n[git]\nfilter_commits = true\n")
                .expect("valid");
        assert_eq!(config.changelog.header.as_deref(), Some("# Changelog"));
        assert!(config.git.filter_commits);
        assert_eq!(config.git.commit_parsers.len(), 15, "inherited from the defaults");
        assert!(config.changelog.body.contains("commit_groups"));
        let replaced =
            Config::from_toml("[git]\ncommit_parsers = [{ message = \"^feat\", group = \"F\" }]\n")
                .expect("valid");
        assert_eq!(replaced.git.commit_parsers.len(), 1, "arrays replace");
    }

    /// Issue 21, item 5: no `{:?}` of a configuration, or of a generator holding one, shows a token.
    #[test]
    fn debug_never_shows_a_token() {
        let secret = "ghp_0123456789abcdefSECRET";
        let mut text = String::new();
        for forge in RemoteConfig::FORGES {
            text.push_str(&format!("[remote.{forge}]\nowner = \"o\"\nrepo = \"r\"\ntoken = \"{secret}\"\n"));
        }
        let config = Config::from_toml(&text).expect("valid");
        assert!(
            RemoteConfig::FORGES
                .iter()
                .all(|f| config.remote.forge(f).and_then(|r| r.token.as_deref()) == Some(secret))
        );
        for shown in [
            format!("{config:?}"),
            format!("{config:#?}"),
            format!("{:?}", crate::Generator::new(config.clone()).expect("templates")),
        ] {
            assert!(!shown.contains(secret), "{shown}");
            assert!(shown.contains("<redacted>"), "says that a token is set: {shown}");
        }
    }

    #[test]
    fn mistakes_name_the_key() {
        let err = Config::from_toml("[git]\ntag_pattern = \"v[\"\n").expect_err("bad regex").to_string();
        assert!(err.contains("`git.tag_pattern` is not a valid regex"), "{err}");
        let err =
            Config::from_toml("[git]\nsort_commits = \"sideways\"\n").expect_err("bad value").to_string();
        assert!(err.contains("git.sort_commits"), "{err}");
        let err = Config::from_toml("[git]\nsplit_commits = \"yes\"\n").expect_err("bad type").to_string();
        assert!(err.contains("invalid type"), "{err}");
    }
}
