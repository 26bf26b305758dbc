//! `release-notes`' arguments (git-cliff's command line) and how they resolve: the repository and
//! working directory, the configuration found from there, and the flags that override it
//! ([`tagwright_notes::flags::Overrides`]).

#![allow(clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{Parser, ValueEnum};
use tagwright_notes::bump::BumpType;
use tagwright_notes::flags::{ForgeFlags, Overrides};
use tagwright_notes::{Config, ConfigSource, Generator, Scope, Selection, SortCommits, Strip};

use crate::Failure;

/// The program's name in messages.
pub const PROGRAM: &str = "release-notes";

/// Release notes from conventional commits, rendered from a git-cliff configuration (cliff.toml,
/// [tool.git-cliff] in pyproject.toml, or git-cliff metadata in Cargo.toml).
#[derive(Debug, Clone, Parser)]
#[command(name = PROGRAM, version)]
pub struct Args {
    /// The repository.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// The configuration file (default: found in the repository, else git-cliff's defaults).
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Only the commits after the last tag.
    #[arg(short, long)]
    pub unreleased: bool,
    /// Only the last release (--unreleased wins when both are given, as in git-cliff).
    #[arg(short, long)]
    pub latest: bool,
    /// Only the release HEAD's tag names.
    #[arg(long)]
    pub current: bool,
    /// A revision range, such as v1.0.0..v1.1.0.
    #[arg(value_name = "RANGE")]
    pub range: Option<String>,
    /// Name the newest release with this tag (it may not exist yet).
    #[arg(short, long, value_name = "TAG")]
    pub tag: Option<String>,
    /// Leave out the header, the footer, or both.
    #[arg(short, long, value_enum)]
    pub strip: Option<StripArg>,
    /// Write the notes to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Insert the notes at the top of FILE, replacing its header (needs --unreleased, --latest or a range).
    #[arg(short, long, value_name = "FILE")]
    pub prepend: Option<PathBuf>,
    /// Print the structured data (releases, commits, groups) as JSON instead of notes.
    #[arg(short = 'x', long)]
    pub context: bool,
    /// The repository (git-cliff's name for --repo).
    #[arg(short = 'r', long = "repository", value_name = "DIR", conflicts_with = "repo")]
    pub repository: Option<PathBuf>,
    /// Work in DIR (git-cliff's `-w`): the repository is found from it, the configuration, --repo,
    /// --prepend and --body-file are relative to it, and only commits that change files under it
    /// count (it replaces --include-path).
    #[arg(short = 'w', long, value_name = "DIR")]
    pub workdir: Option<PathBuf>,
    /// Write a configuration to start from (to -c FILE, default cliff.toml) and stop: git-cliff's
    /// default, or one of its built-in templates (keepachangelog, detailed, minimal, scoped,
    /// scopesorted, unconventional, cocogitto, statistics, github, github-keepachangelog, gitlab,
    /// gitlab-keepachangelog, azure-devops-keepachangelog). An existing file is not overwritten.
    #[arg(long, value_name = "TEMPLATE", num_args = 0..=1, default_missing_value = "default")]
    pub init: Option<String>,
    /// Print the names of the templates --init knows (built-in, and those in --templates-dir).
    #[arg(long)]
    pub list_templates: bool,
    /// A directory of your own templates (NAME.toml) for --init; one named like a built-in one wins.
    #[arg(long, value_name = "DIR")]
    pub templates_dir: Option<PathBuf>,
    /// With no range asked for, only the releases of the last N tags (`git.limit_tags`; also
    /// GIT_CLIFF_LIMIT_TAGS; 0 is no limit).
    #[arg(long, value_name = "N")]
    pub limit_tags: Option<usize>,
    /// Ask no forge: GitHub's pull requests and contributors stay empty.
    #[arg(long)]
    pub offline: bool,
    /// The GitHub repository whose pull requests and contributors the notes credit (OWNER/REPO or
    /// its URL; also GITHUB_REPO). GitHub is then asked even when no template reads its data.
    #[arg(long, value_name = "OWNER/REPO")]
    pub github_repo: Option<String>,
    /// The GitHub token (also GITHUB_TOKEN; else `[remote.github] token`).
    #[arg(long, value_name = "TOKEN")]
    pub github_token: Option<String>,
    /// The GitLab project, for templates' `remote.gitlab` (also GITLAB_REPO).
    #[arg(long, value_name = "OWNER/REPO")]
    pub gitlab_repo: Option<String>,
    /// The GitLab token (also GITLAB_TOKEN). Accepted; GitLab is not asked.
    #[arg(long, value_name = "TOKEN")]
    pub gitlab_token: Option<String>,
    /// The Gitea repository, for templates' `remote.gitea` (also GITEA_REPO).
    #[arg(long, value_name = "OWNER/REPO")]
    pub gitea_repo: Option<String>,
    /// The Gitea token (also GITEA_TOKEN). Accepted; Gitea is not asked.
    #[arg(long, value_name = "TOKEN")]
    pub gitea_token: Option<String>,
    /// The Bitbucket repository, for templates' `remote.bitbucket` (also BITBUCKET_REPO).
    #[arg(long, value_name = "OWNER/REPO")]
    pub bitbucket_repo: Option<String>,
    /// The Bitbucket token (also BITBUCKET_TOKEN). Accepted; Bitbucket is not asked.
    #[arg(long, value_name = "TOKEN")]
    pub bitbucket_token: Option<String>,
    /// The Azure DevOps repository, for templates' `remote.azure_devops` (also AZURE_DEVOPS_REPO).
    #[arg(long, value_name = "OWNER/REPO")]
    pub azure_devops_repo: Option<String>,
    /// The Azure DevOps token (also AZURE_DEVOPS_TOKEN). Accepted; Azure DevOps is not asked.
    #[arg(long, value_name = "TOKEN")]
    pub azure_devops_token: Option<String>,
    /// Each forge request's timeout, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub http_timeout: u64,
    /// Accepted for git-cliff's command lines: the one TLS stack is rustls with the system's roots.
    #[arg(long)]
    pub use_native_tls: bool,
    /// Run no command: the `replace_command` of preprocessors and postprocessors is dropped.
    #[arg(long)]
    pub no_exec: bool,
    /// Order the tags topologically instead of by date (`git.topo_order`).
    #[arg(long)]
    pub topo_order: bool,
    /// The order of commits within a release (`git.sort_commits`).
    #[arg(long, value_enum, value_name = "ORDER")]
    pub sort: Option<SortArg>,
    /// Only tags that match this regex are releases (`git.tag_pattern`).
    #[arg(long, value_name = "REGEX")]
    pub tag_pattern: Option<String>,
    /// Tags that match this regex are not releases: their commits join the next release (`git.ignore_tags`).
    #[arg(long, value_name = "REGEX")]
    pub ignore_tags: Option<String>,
    /// Tags that match this regex are releases left out, with their commits (`git.skip_tags`).
    #[arg(long, value_name = "REGEX")]
    pub skip_tags: Option<String>,
    /// Only tags that match this regex count as releases; the others' commits join them (`git.count_tags`).
    #[arg(long, value_name = "REGEX")]
    pub count_tags: Option<String>,
    /// Only tags reachable from the current branch (`git.use_branch_tags`).
    #[arg(long)]
    pub use_branch_tags: bool,
    /// Leave out the commit with this id (repeatable).
    #[arg(long = "skip-commit", value_name = "SHA")]
    pub skip_commits: Vec<String>,
    /// Only commits that change a path matching these globs (space-separated or repeated; also
    /// GIT_CLIFF_INCLUDE_PATH), added to `git.include_paths`.
    #[arg(long = "include-path", value_name = "PATTERN", num_args = 1.., value_delimiter = ' ')]
    pub include_paths: Vec<String>,
    /// Leave out commits whose changed paths all match these globs (also GIT_CLIFF_EXCLUDE_PATH),
    /// added to `git.exclude_paths`.
    #[arg(long = "exclude-path", value_name = "PATTERN", num_args = 1.., value_delimiter = ' ')]
    pub exclude_paths: Vec<String>,
    /// Version the unreleased changes: the next version after the last release, from the commits
    /// (`auto`, with the `[bump]` rules), or a forced `major`, `minor` or `patch` increment.
    #[arg(long, value_name = "BUMP", num_args = 0..=1, default_missing_value = "auto", value_enum)]
    pub bump: Option<BumpArg>,
    /// Print only the next version (as --bump computes it).
    #[arg(long)]
    pub bumped_version: bool,
    /// Render this context (what --context printed, or `-` for stdin) instead of reading the history.
    #[arg(long, value_name = "FILE")]
    pub from_context: Option<PathBuf>,
    /// The body template from this file (`changelog.body`).
    #[arg(long, value_name = "FILE", conflicts_with = "body")]
    pub body_file: Option<PathBuf>,
    /// More output on stderr (accepted for git-cliff's command lines; warnings are always shown).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Add a commit with this message to the newest release (repeatable).
    #[arg(long = "with-commit", value_name = "MESSAGE")]
    pub with_commits: Vec<String>,
    /// The tag message of the newest release (`{{ message }}` in templates).
    #[arg(long, value_name = "MESSAGE")]
    pub with_tag_message: Option<String>,
    /// The body template, instead of the configuration's (`changelog.body`).
    #[arg(short = 'b', long, value_name = "TEMPLATE")]
    pub body: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BumpArg {
    Auto,
    Major,
    Minor,
    Patch,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SortArg {
    Oldest,
    Newest,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StripArg {
    Header,
    Footer,
    All,
}

fn usage(message: impl std::fmt::Display) -> Failure {
    Failure::input(message.to_string())
}

/// The repository, the configuration and the arguments as git-cliff resolves them: `-w DIR`, or
/// (with no repository named) the repository the current directory is in, reading only the changes
/// under that directory unless include paths are set; the configuration is searched from there up
/// to the repository's root.
pub fn configure(args: &Args) -> Result<(Args, Config), Failure> {
    let repo = args.repository.clone().unwrap_or_else(|| args.repo.clone());
    let implicit = args.workdir.is_none() && args.repository.is_none() && repo == Path::new(".");
    let (args, start, under) = match &args.workdir {
        Some(workdir) => {
            let (args, pattern) = in_workdir(args, workdir, &repo)?;
            (Args { include_paths: vec![pattern], ..args }, workdir.clone(), None)
        }
        // Run from a subdirectory of a repository, as git-cliff is.
        None if implicit && !Path::new(".git").exists() && crate::git_root(Path::new(".")).is_some() => {
            let (args, pattern) = in_workdir(args, Path::new("."), &repo)?;
            (args, PathBuf::from("."), Some(pattern))
        }
        None => (Args { repo: repo.clone(), ..args.clone() }, repo, None),
    };
    let mut config = Config::load(&start, args.config.as_deref()).map_err(usage)?;
    if config.source == ConfigSource::Default && args.config.is_none() {
        // Up from the working directory to the repository's root, as git-cliff 2.14 searches.
        let root = args.repo.canonicalize().unwrap_or_else(|_| args.repo.clone());
        let start = start.canonicalize().unwrap_or(start);
        for dir in start.ancestors().skip(1).take_while(|dir| dir.starts_with(&root)) {
            let found = Config::load(dir, None).map_err(usage)?;
            if found.source != ConfigSource::Default {
                config = found;
                break;
            }
        }
    }
    args.overrides().apply(&mut config, &|name| std::env::var(name).ok()).map_err(usage)?;
    if let Some(pattern) = under
        && config.git.include_paths.is_empty()
    {
        config.git.include_paths.push(glob::Pattern::new(&pattern).map_err(usage)?);
    }
    if config.source == ConfigSource::Default && !args.context {
        // git-cliff's words, naming the file asked for (or the default name).
        let asked = args.config.as_deref().unwrap_or(Path::new("cliff.toml"));
        let asked = args.workdir.as_ref().map_or_else(|| asked.to_path_buf(), |w| w.join(asked));
        eprintln!("{PROGRAM}: warning: {asked:?} is not found, using the default configuration");
    }
    Ok((args, config))
}

/// The repository `dir` is in: the nearest directory up from it that holds `.git`.
/// What `-w DIR` changes, as git-cliff's `--workdir`: the repository is the one DIR is in (`--repo`
/// joined to DIR), --prepend and --body-file are read relative to DIR; returns them with the include
/// path DIR stands for, relative to the repository's root (all of it for the root).
pub fn in_workdir(args: &Args, workdir: &Path, repo: &Path) -> Result<(Args, String), Failure> {
    let canonical =
        |path: &Path| path.canonicalize().map_err(|e| usage(format!("--workdir {}: {e}", path.display())));
    let root = crate::git_root(&canonical(&workdir.join(repo))?)
        .ok_or_else(|| usage(format!("--workdir {}: not inside a git repository", workdir.display())))?;
    let under = canonical(workdir)?;
    let relative = under.strip_prefix(&root).map(Path::to_path_buf).unwrap_or_default();
    let relative: Vec<String> =
        relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    let pattern = if relative.is_empty() {
        "**".to_owned()
    } else {
        format!("{}/**", glob::Pattern::escape(&relative.join("/")))
    };
    let joined = |path: &Option<PathBuf>| path.as_ref().map(|p| workdir.join(p));
    let args = Args {
        repo: root,
        repository: None,
        prepend: joined(&args.prepend),
        body_file: joined(&args.body_file),
        ..args.clone()
    };
    Ok((args, pattern))
}

/// Which commits the arguments ask for.
pub fn selection(args: &Args) -> Selection {
    let scope = if args.unreleased {
        Scope::Unreleased
    } else if args.current {
        Scope::Current
    } else if args.latest {
        Scope::Latest
    } else if let Some(range) = &args.range {
        Scope::Range(range.clone())
    } else {
        Scope::All
    };
    let mut selection = Selection::new(scope);
    if let Some(tag) = &args.tag {
        selection = selection.tag(tag.clone());
    }
    for message in &args.with_commits {
        selection = selection.with_commit(message.clone());
    }
    selection
}

/// A saved `--context` (`-` for stdin).
pub fn read_context(path: &Path) -> Result<serde_json::Value, Failure> {
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| usage(format!("--from-context -: cannot read stdin: {e}")))?;
        text
    } else {
        std::fs::read_to_string(path).map_err(|e| usage(format!("--from-context {}: {e}", path.display())))?
    };
    let context: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| usage(format!("--from-context {}: not JSON: {e}", path.display())))?;
    if !context.is_array() {
        return Err(usage(format!("--from-context {}: not a list of releases", path.display())));
    }
    Ok(context)
}

/// A warning for each forge other than GitHub whose data the templates read: it is not asked.
pub fn warn_of_unasked_forges(generator: &Generator) {
    if generator.config().remote.offline {
        return;
    }
    let forges = [
        ("GitLab", "gitlab"),
        ("Gitea", "gitea"),
        ("Bitbucket", "bitbucket"),
        ("Azure DevOps", "azure_devops"),
    ];
    for (name, forge) in forges {
        if generator.reads_forge(forge) && generator.config().remote.forge(forge).is_some_and(|r| r.is_set())
        {
            eprintln!(
                "{PROGRAM}: warning: the templates read {name}'s data, which release-notes does not fetch; they render it empty, as with --offline"
            );
        }
    }
}

/// The GitHub client the notes ask, when a template needs it and not --offline.
pub fn forge(args: &Args) -> crate::forge::GithubForge {
    crate::forge::GithubForge {
        api_from_env: std::env::var("GITHUB_API_URL").ok(),
        api_url_from_env: std::env::var("GIT_CLIFF__REMOTE__GITHUB__API_URL").ok(),
        timeout: std::time::Duration::from_secs(args.http_timeout.max(1)),
    }
}

pub fn strip_of(strip: Option<StripArg>) -> Option<Strip> {
    strip.map(|s| match s {
        StripArg::Header => Strip::Header,
        StripArg::Footer => Strip::Footer,
        StripArg::All => Strip::All,
    })
}

impl Args {
    /// The flags that override the configuration, as [`Overrides`].
    pub fn overrides(&self) -> Overrides {
        let forges = [
            ("github", &self.github_repo, &self.github_token),
            ("gitlab", &self.gitlab_repo, &self.gitlab_token),
            ("gitea", &self.gitea_repo, &self.gitea_token),
            ("bitbucket", &self.bitbucket_repo, &self.bitbucket_token),
            ("azure_devops", &self.azure_devops_repo, &self.azure_devops_token),
        ];
        let mut overrides = Overrides::default();
        overrides.offline = self.offline;
        overrides.forges = forges
            .into_iter()
            .map(|(forge, repo, token)| {
                (forge.to_owned(), ForgeFlags { repo: repo.clone(), token: token.clone() })
            })
            .collect::<BTreeMap<_, _>>();
        overrides.tag_pattern.clone_from(&self.tag_pattern);
        overrides.ignore_tags.clone_from(&self.ignore_tags);
        overrides.skip_tags.clone_from(&self.skip_tags);
        overrides.count_tags.clone_from(&self.count_tags);
        overrides.use_branch_tags = self.use_branch_tags;
        overrides.limit_tags = self.limit_tags;
        overrides.topo_order = self.topo_order;
        overrides.sort = self.sort.map(|sort| match sort {
            SortArg::Oldest => SortCommits::Oldest,
            SortArg::Newest => SortCommits::Newest,
        });
        overrides.no_exec = self.no_exec;
        overrides.skip_commits.clone_from(&self.skip_commits);
        overrides.body.clone_from(&self.body);
        overrides.body_file.clone_from(&self.body_file);
        overrides.tag.clone_from(&self.tag);
        overrides.bump = match self.bump {
            Some(BumpArg::Major) => Some(BumpType::Major),
            Some(BumpArg::Minor) => Some(BumpType::Minor),
            Some(BumpArg::Patch) => Some(BumpType::Patch),
            Some(BumpArg::Auto) | None => None,
        };
        overrides.include_paths.clone_from(&self.include_paths);
        overrides.exclude_paths.clone_from(&self.exclude_paths);
        overrides
    }
}
