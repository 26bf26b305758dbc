//! `release-notes`: release notes from conventional commits, byte-compatible with git-cliff.
//!
//! Exit codes: 0 ok, 1 a check the configuration asks for failed (`require_conventional`,
//! `fail_on_unmatched_commit`) or GitHub could not be asked for the data a template reads, 2 bad
//! usage, configuration, template or range.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use tagwright_cli::{Failure, exit, out};
use tagwright_notes::bump::BumpType;
use tagwright_notes::{Config, ConfigSource, Generator, NotesError, Scope, Selection, Strip};

const PROGRAM: &str = "release-notes";

/// Release notes from conventional commits, rendered from a git-cliff configuration (cliff.toml,
/// [tool.git-cliff] in pyproject.toml, or git-cliff metadata in Cargo.toml).
#[derive(Debug, Clone, Parser)]
#[command(name = PROGRAM, version)]
struct Args {
    /// The repository.
    #[arg(long, value_name = "DIR", default_value = ".")]
    repo: PathBuf,
    /// The configuration file (default: found in the repository, else git-cliff's defaults).
    #[arg(short, long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Only the commits after the last tag.
    #[arg(short, long)]
    unreleased: bool,
    /// Only the last release (--unreleased wins when both are given, as in git-cliff).
    #[arg(short, long)]
    latest: bool,
    /// Only the release HEAD's tag names.
    #[arg(long)]
    current: bool,
    /// A revision range, such as v1.0.0..v1.1.0.
    #[arg(value_name = "RANGE")]
    range: Option<String>,
    /// Name the newest release with this tag (it may not exist yet).
    #[arg(short, long, value_name = "TAG")]
    tag: Option<String>,
    /// Leave out the header, the footer, or both.
    #[arg(short, long, value_enum)]
    strip: Option<StripArg>,
    /// Write the notes to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Insert the notes at the top of FILE, replacing its header (needs --unreleased, --latest or a range).
    #[arg(short, long, value_name = "FILE")]
    prepend: Option<PathBuf>,
    /// Print the structured data (releases, commits, groups) as JSON instead of notes.
    #[arg(short = 'x', long)]
    context: bool,
    /// The repository (git-cliff's name for --repo).
    #[arg(short = 'r', long = "repository", value_name = "DIR", conflicts_with = "repo")]
    repository: Option<PathBuf>,
    /// Work in DIR (git-cliff's `-w`): the repository is found from it, the configuration, --repo,
    /// --prepend and --body-file are relative to it, and only commits that change files under it
    /// count (it replaces --include-path).
    #[arg(short = 'w', long, value_name = "DIR")]
    workdir: Option<PathBuf>,
    /// Write a configuration to start from (to -c FILE, default cliff.toml) and stop: git-cliff's
    /// default, or one of its built-in templates (keepachangelog, detailed, minimal, scoped,
    /// scopesorted, unconventional, cocogitto, statistics, github, github-keepachangelog, gitlab,
    /// gitlab-keepachangelog, azure-devops-keepachangelog). An existing file is not overwritten.
    #[arg(long, value_name = "TEMPLATE", num_args = 0..=1, default_missing_value = "default")]
    init: Option<String>,
    /// Print the names of the templates --init knows (built-in, and those in --templates-dir).
    #[arg(long)]
    list_templates: bool,
    /// A directory of your own templates (NAME.toml) for --init; one named like a built-in one wins.
    #[arg(long, value_name = "DIR")]
    templates_dir: Option<PathBuf>,
    /// With no range asked for, only the releases of the last N tags (`git.limit_tags`; also
    /// GIT_CLIFF_LIMIT_TAGS; 0 is no limit).
    #[arg(long, value_name = "N")]
    limit_tags: Option<usize>,
    /// Ask no forge: GitHub's pull requests and contributors stay empty.
    #[arg(long)]
    offline: bool,
    /// The GitHub repository whose pull requests and contributors the notes credit (OWNER/REPO or
    /// its URL; also GITHUB_REPO). GitHub is then asked even when no template reads its data.
    #[arg(long, value_name = "OWNER/REPO")]
    github_repo: Option<String>,
    /// The GitHub token (also GITHUB_TOKEN; else `[remote.github] token`).
    #[arg(long, value_name = "TOKEN")]
    github_token: Option<String>,
    /// The GitLab project, for templates' `remote.gitlab` (also GITLAB_REPO).
    #[arg(long, value_name = "OWNER/REPO")]
    gitlab_repo: Option<String>,
    /// The GitLab token (also GITLAB_TOKEN). Accepted; GitLab is not asked.
    #[arg(long, value_name = "TOKEN")]
    gitlab_token: Option<String>,
    /// The Gitea repository, for templates' `remote.gitea` (also GITEA_REPO).
    #[arg(long, value_name = "OWNER/REPO")]
    gitea_repo: Option<String>,
    /// The Gitea token (also GITEA_TOKEN). Accepted; Gitea is not asked.
    #[arg(long, value_name = "TOKEN")]
    gitea_token: Option<String>,
    /// The Bitbucket repository, for templates' `remote.bitbucket` (also BITBUCKET_REPO).
    #[arg(long, value_name = "OWNER/REPO")]
    bitbucket_repo: Option<String>,
    /// The Bitbucket token (also BITBUCKET_TOKEN). Accepted; Bitbucket is not asked.
    #[arg(long, value_name = "TOKEN")]
    bitbucket_token: Option<String>,
    /// The Azure DevOps repository, for templates' `remote.azure_devops` (also AZURE_DEVOPS_REPO).
    #[arg(long, value_name = "OWNER/REPO")]
    azure_devops_repo: Option<String>,
    /// The Azure DevOps token (also AZURE_DEVOPS_TOKEN). Accepted; Azure DevOps is not asked.
    #[arg(long, value_name = "TOKEN")]
    azure_devops_token: Option<String>,
    /// Each forge request's timeout, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    http_timeout: u64,
    /// Accepted for git-cliff's command lines: the one TLS stack is rustls with the system's roots.
    #[arg(long)]
    use_native_tls: bool,
    /// Run no command: the `replace_command` of preprocessors and postprocessors is dropped.
    #[arg(long)]
    no_exec: bool,
    /// Order the tags topologically instead of by date (`git.topo_order`).
    #[arg(long)]
    topo_order: bool,
    /// The order of commits within a release (`git.sort_commits`).
    #[arg(long, value_enum, value_name = "ORDER")]
    sort: Option<SortArg>,
    /// Only tags that match this regex are releases (`git.tag_pattern`).
    #[arg(long, value_name = "REGEX")]
    tag_pattern: Option<String>,
    /// Tags that match this regex are not releases: their commits join the next release (`git.ignore_tags`).
    #[arg(long, value_name = "REGEX")]
    ignore_tags: Option<String>,
    /// Tags that match this regex are releases left out, with their commits (`git.skip_tags`).
    #[arg(long, value_name = "REGEX")]
    skip_tags: Option<String>,
    /// Only tags that match this regex count as releases; the others' commits join them (`git.count_tags`).
    #[arg(long, value_name = "REGEX")]
    count_tags: Option<String>,
    /// Only tags reachable from the current branch (`git.use_branch_tags`).
    #[arg(long)]
    use_branch_tags: bool,
    /// Leave out the commit with this id (repeatable).
    #[arg(long = "skip-commit", value_name = "SHA")]
    skip_commits: Vec<String>,
    /// Only commits that change a path matching these globs (space-separated or repeated; also
    /// GIT_CLIFF_INCLUDE_PATH), added to `git.include_paths`.
    #[arg(long = "include-path", value_name = "PATTERN", num_args = 1.., value_delimiter = ' ')]
    include_paths: Vec<String>,
    /// Leave out commits whose changed paths all match these globs (also GIT_CLIFF_EXCLUDE_PATH),
    /// added to `git.exclude_paths`.
    #[arg(long = "exclude-path", value_name = "PATTERN", num_args = 1.., value_delimiter = ' ')]
    exclude_paths: Vec<String>,
    /// Version the unreleased changes: the next version after the last release, from the commits
    /// (`auto`, with the `[bump]` rules), or a forced `major`, `minor` or `patch` increment.
    #[arg(long, value_name = "BUMP", num_args = 0..=1, default_missing_value = "auto", value_enum)]
    bump: Option<BumpArg>,
    /// Print only the next version (as --bump computes it).
    #[arg(long)]
    bumped_version: bool,
    /// Render this context (what --context printed, or `-` for stdin) instead of reading the history.
    #[arg(long, value_name = "FILE")]
    from_context: Option<PathBuf>,
    /// The body template from this file (`changelog.body`).
    #[arg(long, value_name = "FILE", conflicts_with = "body")]
    body_file: Option<PathBuf>,
    /// More output on stderr (accepted for git-cliff's command lines; warnings are always shown).
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Add a commit with this message to the newest release (repeatable).
    #[arg(long = "with-commit", value_name = "MESSAGE")]
    with_commits: Vec<String>,
    /// The tag message of the newest release (`{{ message }}` in templates).
    #[arg(long, value_name = "MESSAGE")]
    with_tag_message: Option<String>,
    /// The body template, instead of the configuration's (`changelog.body`).
    #[arg(short = 'b', long, value_name = "TEMPLATE")]
    body: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BumpArg {
    Auto,
    Major,
    Minor,
    Patch,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SortArg {
    Oldest,
    Newest,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StripArg {
    Header,
    Footer,
    All,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // Every commit is read once: libgit2's object cache would only hold memory.
    tagwright_notes::disable_object_cache();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(PROGRAM),
    }
}

fn usage(message: impl std::fmt::Display) -> Failure {
    Failure::input(message.to_string())
}

fn run(args: &Args) -> Result<(), Failure> {
    if args.list_templates {
        out(&templates(args.templates_dir.as_deref())?
            .into_keys()
            .map(|name| format!("{name}\n"))
            .collect::<String>());
        return Ok(());
    }
    if let Some(name) = &args.init {
        return init(
            name,
            args.templates_dir.as_deref(),
            args.config.as_deref().unwrap_or(Path::new("cliff.toml")),
        );
    }
    if args.prepend.is_some() && !(args.unreleased || args.latest || args.range.is_some()) {
        return Err(usage(
            "--prepend needs --unreleased, --latest or a range, so that old releases are not repeated",
        ));
    }
    if args.prepend.is_some() && args.prepend == args.output {
        return Err(usage("--output and --prepend must name different files"));
    }
    let (args, mut config) = configure(args)?;
    let args = &args;
    if args.prepend.is_some() {
        config.changelog.footer = None;
    }
    let header_text = config.changelog.header.clone();
    let configured_output =
        config.changelog.output.clone().map(|p| if p.is_absolute() { p } else { args.repo.join(p) });
    let selection = selection(args);
    let github = forge(args);
    if args.context {
        let changelog = tagwright_notes::context_with_forge(&args.repo, &config, &selection, Some(&github))
            .map_err(notes_error)?;
        return emit(args.output.as_deref(), &format!("{}\n", changelog.to_json()));
    }

    let generator = Generator::new(config).map_err(usage)?;
    if let Some(path) = &args.from_context {
        let notes = generator.render_context(&read_context(path)?, strip_of(args.strip)).map_err(usage)?;
        warn_all(&generator.render_warnings());
        return emit(args.output.clone().or(configured_output).as_deref(), &notes);
    }
    warn_of_unasked_forges(&generator);
    let mut changelog =
        generator.changelog_with_forge(&args.repo, &selection, Some(&github)).map_err(notes_error)?;
    if let Some(message) = &args.with_tag_message {
        changelog.set_latest_message(message);
    }
    if args.bump.is_some() || args.bumped_version {
        let Some(next) = bump(&generator, &mut changelog)? else { return Ok(()) };
        if args.bumped_version {
            out(&format!("{next}\n"));
            return Ok(());
        }
    }
    warn_all(changelog.warnings.iter().chain(&changelog.skip_summary()));
    let notes = generator.render(&changelog, strip_of(args.strip)).map_err(usage)?;
    warn_all(&generator.render_warnings());
    if let Some(path) = &args.prepend {
        prepend(path, &notes, header_text.as_deref())?;
    }
    let output = args.output.clone().or(configured_output);
    if output.is_some() || args.prepend.is_none() {
        emit(output.as_deref(), &notes)?;
    }
    Ok(())
}

fn warn_all<'a>(warnings: impl IntoIterator<Item = &'a String>) {
    for warning in warnings {
        eprintln!("{PROGRAM}: warning: {warning}");
    }
}

fn notes_error(err: NotesError) -> Failure {
    match err {
        NotesError::Unconventional { .. } | NotesError::Unmatched { .. } | NotesError::Forge { .. } => {
            Failure::check(err.to_string())
        }
        other => usage(other),
    }
}

/// The repository, the configuration and the arguments as git-cliff resolves them: `-w DIR`, or
/// (with no repository named) the repository the current directory is in, reading only the changes
/// under that directory unless include paths are set; the configuration is searched from there up
/// to the repository's root.
fn configure(args: &Args) -> Result<(Args, Config), Failure> {
    let repo = args.repository.clone().unwrap_or_else(|| args.repo.clone());
    let implicit = args.workdir.is_none() && args.repository.is_none() && repo == Path::new(".");
    let (args, start, under) = match &args.workdir {
        Some(workdir) => {
            let (args, pattern) = in_workdir(args, workdir, &repo)?;
            (Args { include_paths: vec![pattern], ..args }, workdir.clone(), None)
        }
        // Run from a subdirectory of a repository, as git-cliff is.
        None if implicit
            && !Path::new(".git").exists()
            && tagwright_cli::git_root(Path::new(".")).is_some() =>
        {
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
    overrides(&mut config, &args)?;
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

/// The templates `--init` knows, by name: git-cliff's built-in ones (its default is not listed, as
/// git-cliff lists them), then those in `dir` (`NAME.toml`), which win over built-in ones.
fn templates(dir: Option<&Path>) -> Result<std::collections::BTreeMap<String, String>, Failure> {
    let mut templates: std::collections::BTreeMap<String, String> = tagwright_notes::BUILT_IN_CONFIGS
        .iter()
        .filter(|(name, _)| *name != "default")
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    let Some(dir) = dir else { return Ok(templates) };
    let entries =
        std::fs::read_dir(dir).map_err(|e| usage(format!("--templates-dir {}: {e}", dir.display())))?;
    for entry in entries {
        let path = entry.map_err(|e| usage(format!("--templates-dir {}: {e}", dir.display())))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".toml"))
        else {
            continue;
        };
        if path.is_file() {
            let text =
                std::fs::read_to_string(&path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
            templates.insert(name.to_owned(), text);
        }
    }
    Ok(templates)
}

/// `--init`: writes the template `name` (git-cliff's default for `default`) to `path`, which must not
/// exist yet.
fn init(name: &str, dir: Option<&Path>, path: &Path) -> Result<(), Failure> {
    let name = name.strip_suffix(".toml").unwrap_or(name);
    let mut templates = templates(dir)?;
    let text = match templates.remove(name) {
        Some(text) => text,
        None if name == "default" => {
            tagwright_notes::built_in_config("default").unwrap_or_default().to_owned()
        }
        None => {
            let names: Vec<String> = templates.into_keys().collect();
            return Err(usage(format!(
                "--init {name}: no such template (the templates are: {})",
                names.join(", ")
            )));
        }
    };
    if path.symlink_metadata().is_ok() {
        return Err(usage(format!(
            "{}: already exists; remove it, or name another file with -c",
            path.display()
        )));
    }
    write_file(path, &text)?;
    eprintln!("{PROGRAM}: wrote {} ({name})", path.display());
    Ok(())
}

/// Which commits the arguments ask for.
fn selection(args: &Args) -> Selection {
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
fn read_context(path: &Path) -> Result<serde_json::Value, Failure> {
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
fn warn_of_unasked_forges(generator: &Generator) {
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

/// The repository `dir` is in: the nearest directory up from it that holds `.git`.
/// What `-w DIR` changes, as git-cliff's `--workdir`: the repository is the one DIR is in (`--repo`
/// joined to DIR), --prepend and --body-file are read relative to DIR; returns them with the include
/// path DIR stands for, relative to the repository's root (all of it for the root).
fn in_workdir(args: &Args, workdir: &Path, repo: &Path) -> Result<(Args, String), Failure> {
    let canonical =
        |path: &Path| path.canonicalize().map_err(|e| usage(format!("--workdir {}: {e}", path.display())));
    let root = tagwright_cli::git_root(&canonical(&workdir.join(repo))?)
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

fn strip_of(strip: Option<StripArg>) -> Option<Strip> {
    strip.map(|s| match s {
        StripArg::Header => Strip::Header,
        StripArg::Footer => Strip::Footer,
        StripArg::All => Strip::All,
    })
}

/// Versions the unreleased changes as git-cliff's `--bump` does; the version the notes now carry.
fn bump(
    generator: &Generator,
    changelog: &mut tagwright_notes::Changelog,
) -> Result<Option<String>, Failure> {
    let config = &generator.config().bump;
    let current = changelog
        .releases
        .first()
        .and_then(|r| r.version.clone().or_else(|| r.previous.as_ref().and_then(|p| p.version.clone())));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let bumped = tagwright_notes::bump::bump_version(changelog, config, now).map_err(usage)?;
    let next = if let Some(next) = bumped {
        if current.as_ref() == Some(&next) {
            eprintln!(
                "{PROGRAM}: warning: the next version is the same as the current version, there is nothing to bump"
            );
        }
        next
    } else if let Some(last) = changelog.releases.first().and_then(|r| r.version.clone()) {
        eprintln!("{PROGRAM}: warning: there is nothing to bump");
        last
    } else if changelog.releases.is_empty() {
        config.initial_tag()
    } else {
        return Ok(None);
    };
    if let Some(pattern) = &generator.config().git.tag_pattern
        && !pattern.is_match(&next)
    {
        return Err(Failure::check(format!(
            "the next version ({next}) does not match the tag pattern: {pattern}"
        )));
    }
    Ok(Some(next))
}

/// The GitHub client the notes ask, when a template needs it and not --offline.
fn forge(args: &Args) -> tagwright_cli::forge::GithubForge {
    tagwright_cli::forge::GithubForge {
        api_from_env: std::env::var("GITHUB_API_URL").ok(),
        api_url_from_env: std::env::var("GIT_CLIFF__REMOTE__GITHUB__API_URL").ok(),
        timeout: std::time::Duration::from_secs(args.http_timeout.max(1)),
    }
}

/// `OWNER/REPO`, or a URL whose path ends so, as git-cliff's `--github-repo` takes it.
fn owner_repo(flag: &str, value: &str) -> Result<(String, String), Failure> {
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
        _ => Err(usage(format!("--{flag} {value:?}: expected OWNER/REPO"))),
    }
}

/// The forge flags (and their environment variables): repositories, tokens, --offline.
fn forge_overrides(config: &mut Config, args: &Args) -> Result<(), Failure> {
    if args.offline {
        config.remote.offline = true;
    }
    let flags = [
        (&args.github_repo, &args.github_token),
        (&args.gitlab_repo, &args.gitlab_token),
        (&args.gitea_repo, &args.gitea_token),
        (&args.bitbucket_repo, &args.bitbucket_token),
        (&args.azure_devops_repo, &args.azure_devops_token),
    ];
    for (forge, (repo, token)) in tagwright_notes::RemoteConfig::FORGES.into_iter().zip(flags) {
        let Some(remote) = config.remote.forge_mut(forge) else { continue };
        // `azure_devops`: flag `--azure-devops-repo`, variables `AZURE_DEVOPS_REPO` and `…_TOKEN`.
        let flag = forge.replace('_', "-");
        let variable = forge.to_uppercase();
        let token = token.clone().or_else(|| std::env::var(format!("{variable}_TOKEN")).ok());
        if let Some(token) = token.filter(|t| !t.is_empty()) {
            remote.token = Some(token);
        }
        let repo = repo.clone().or_else(|| std::env::var(format!("{variable}_REPO")).ok());
        if let Some(repo) = repo.filter(|r| !r.is_empty()) {
            let (owner, name) = owner_repo(&format!("{flag}-repo"), &repo)?;
            remote.owner = owner;
            remote.repo = name;
            remote.is_custom = true;
        }
    }
    Ok(())
}

/// git-cliff's command-line overrides of the configuration.
fn overrides(config: &mut Config, args: &Args) -> Result<(), Failure> {
    forge_overrides(config, args)?;
    let regex = |flag: &str, pattern: &str| {
        regex::Regex::new(pattern)
            .map_err(|e| usage(format!("--{flag} {pattern:?} is not a valid regex: {e}")))
    };
    if let Some(p) = &args.tag_pattern {
        config.git.tag_pattern = Some(regex("tag-pattern", p)?);
    }
    if let Some(p) = &args.ignore_tags {
        config.git.ignore_tags = Some(regex("ignore-tags", p)?);
    }
    if let Some(p) = &args.skip_tags {
        config.git.skip_tags = Some(regex("skip-tags", p)?);
    }
    if let Some(p) = &args.count_tags {
        config.git.count_tags = Some(regex("count-tags", p)?);
    }
    if args.use_branch_tags {
        config.git.use_branch_tags = true;
    }
    let limit_tags = match (args.limit_tags, std::env::var("GIT_CLIFF_LIMIT_TAGS")) {
        (Some(limit), _) => Some(limit),
        (None, Ok(text)) if !text.is_empty() => Some(
            text.parse()
                .map_err(|_| usage(format!("GIT_CLIFF_LIMIT_TAGS={text:?} is not a number of tags")))?,
        ),
        _ => None,
    };
    if let Some(limit) = limit_tags {
        config.git.limit_tags = (limit > 0).then_some(limit);
    }
    if args.topo_order {
        config.git.topo_order = true;
    }
    if let Some(sort) = args.sort {
        config.git.sort_commits = match sort {
            SortArg::Oldest => tagwright_notes::SortCommits::Oldest,
            SortArg::Newest => tagwright_notes::SortCommits::Newest,
        };
    }
    if args.no_exec {
        for processor in
            config.git.commit_preprocessors.iter_mut().chain(config.changelog.postprocessors.iter_mut())
        {
            processor.replace_command = None;
        }
    }
    for sha in args.skip_commits.iter().rev() {
        let parser = tagwright_notes::CommitParser {
            sha: Some(sha.clone()),
            skip: Some(true),
            ..tagwright_notes::CommitParser::default()
        };
        config.git.commit_parsers.insert(0, parser);
    }
    if let Some(body) = &args.body {
        config.changelog.body.clone_from(body);
    }
    if let Some(path) = &args.body_file {
        config.changelog.body = std::fs::read_to_string(path)
            .map_err(|e| usage(format!("--body-file {}: {e}", path.display())))?;
    }
    if args.tag.is_some() {
        config.bump.initial_tag.clone_from(&args.tag);
    }
    config.bump.bump_type = match args.bump {
        Some(BumpArg::Major) => Some(BumpType::Major),
        Some(BumpArg::Minor) => Some(BumpType::Minor),
        Some(BumpArg::Patch) => Some(BumpType::Patch),
        Some(BumpArg::Auto) | None => config.bump.bump_type,
    };
    // As clap's `env`: the flag wins; the variable holds space-separated globs.
    let from_env = |flag: &[String], variable: &str| -> Vec<String> {
        if !flag.is_empty() {
            return flag.to_vec();
        }
        std::env::var(variable)
            .map(|v| v.split(' ').filter(|p| !p.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let glob = |flag: &str, pattern: &str| {
        glob::Pattern::new(pattern)
            .map_err(|e| usage(format!("--{flag} {pattern:?} is not a valid glob: {e}")))
    };
    for pattern in from_env(&args.include_paths, "GIT_CLIFF_INCLUDE_PATH") {
        config.git.include_paths.push(glob("include-path", &pattern)?);
    }
    for pattern in from_env(&args.exclude_paths, "GIT_CLIFF_EXCLUDE_PATH") {
        config.git.exclude_paths.push(glob("exclude-path", &pattern)?);
    }
    Ok(())
}

/// Writes `notes` above what `path` holds (without its old header, `header`).
fn prepend(path: &Path, notes: &str, header: Option<&str>) -> Result<(), Failure> {
    let before =
        std::fs::read_to_string(path).map_err(|e| usage(format!("{}: cannot read: {e}", path.display())))?;
    let before = match header {
        Some(header) => before.replacen(header, "", 1),
        None => before,
    };
    let mut combined = notes.to_owned();
    if !notes.is_empty() && !before.is_empty() && !notes.ends_with('\n') && !before.starts_with(['\n', '\r'])
    {
        combined.push_str("\n\n");
    }
    combined.push_str(&before);
    write_file(path, &combined)
}

fn emit(output: Option<&Path>, text: &str) -> Result<(), Failure> {
    match output {
        Some(path) if path.as_os_str() != "-" => write_file(path, text),
        _ => {
            out(text);
            Ok(())
        }
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    tagwright_fs::write_output(path, text.as_bytes()).map_err(|e| Failure {
        code: exit::CHECK_FAILED,
        message: format!("{}: cannot write: {e}", path.display()),
    })
}
