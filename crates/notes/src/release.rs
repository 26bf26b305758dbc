//! Grouping commits into releases by tags, with git-cliff's semantics.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};

use crate::commit::{Commit, CommitView, Fields, SkipReason};
use crate::config::{Config, SortCommits};
use crate::repo::{Repo, RepoError, TagInfo, Tags};

/// The first and last commit of a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitRange {
    /// The first commit, in the configured order.
    pub from: String,
    /// The last commit.
    pub to: String,
}

/// A link and how often the release's commits mention it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkCount {
    /// The link text.
    pub text: String,
    /// The link target.
    pub href: String,
    /// How many times it appears.
    pub count: usize,
}

/// Release statistics, as git-cliff's `statistics` template variable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Statistics {
    /// Commits in the release.
    pub commit_count: usize,
    /// Days between the first and last commit (two commits or more).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits_timespan: Option<i64>,
    /// Conventional commits in the release.
    pub conventional_commit_count: usize,
    /// Links, most frequent first.
    pub links: Vec<LinkCount>,
    /// Days since the previous release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_passed_since_last_release: Option<i64>,
}

/// One release: a tag (or the unreleased changes) and its commits.
#[derive(Debug, Clone, Default)]
pub struct Release {
    /// The tag name; `None` for unreleased changes.
    pub version: Option<String>,
    /// The tag's annotation.
    pub message: Option<String>,
    /// The commits, in the configured order. Shared with the next release's `previous`.
    pub commits: Arc<Vec<Commit>>,
    /// The tagged (last) commit.
    pub commit_id: Option<String>,
    /// The release time: the tagged commit's, or now for a tag being made.
    pub timestamp: Option<i64>,
    /// The release before this one, as it was before its commits were processed.
    pub previous: Option<Arc<Release>>,
    /// The repository's working directory.
    pub repository: Option<String>,
    /// The first and last commit.
    pub commit_range: Option<CommitRange>,
    /// Statistics over the processed commits.
    pub statistics: Option<Statistics>,
    /// How many commits the release had before processing (decides whether an empty release shows).
    pub(crate) raw_commit_count: usize,
    /// Its contributors on GitHub (`github.contributors`), when GitHub was asked.
    pub github_contributors: Vec<crate::contributor::RemoteContributor>,
}

/// Which commits to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope {
    /// Every release.
    #[default]
    All,
    /// Commits after the last tag.
    Unreleased,
    /// The last release.
    Latest,
    /// The release HEAD's tag (`git describe --tags`) names.
    Current,
    /// A revision range, such as `v1.0.0..v1.1.0`.
    Range(String),
}

/// What to read from the repository.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Selection {
    /// Which commits.
    pub scope: Scope,
    /// Name the newest release with this tag (the tag may not exist yet).
    pub tag: Option<String>,
    /// Extra commit messages for the newest release (git-cliff's `--with-commit`); one that starts
    /// with a 40-digit id and a space takes that id.
    pub with_commits: Vec<String>,
}

impl Selection {
    /// A selection of `scope`.
    pub fn new(scope: Scope) -> Selection {
        Selection { scope, tag: None, with_commits: Vec::new() }
    }

    /// Adds a commit message to the newest release.
    pub fn with_commit(mut self, message: impl Into<String>) -> Selection {
        self.with_commits.push(message.into());
        self
    }

    /// Names the newest release.
    pub fn tag(mut self, tag: impl Into<String>) -> Selection {
        self.tag = Some(tag.into());
        self
    }
}

/// Why notes could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotesError {
    /// The repository could not be read.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// A forge was asked for its data and failed.
    #[error("{forge}: {message} (with --offline, notes are rendered without the forge's data)")]
    Forge {
        /// The forge and repository, such as `GitHub acme/advisoryhub`.
        forge: String,
        /// What went wrong.
        message: String,
    },
    /// `--current` was asked but HEAD has no tag.
    #[error("no tag exists for the current commit")]
    NoCurrentTag,
    /// `require_conventional` is on and some commits are not conventional.
    #[error("{count} commit(s) are not conventional commits (require_conventional = true): {ids}")]
    Unconventional {
        /// How many.
        count: usize,
        /// Their short ids.
        ids: String,
    },
    /// `fail_on_unmatched_commit` is on and some commits matched no parser.
    #[error("{count} commit(s) matched no commit parser (fail_on_unmatched_commit = true): {ids}")]
    Unmatched {
        /// How many.
        count: usize,
        /// Their short ids.
        ids: String,
    },
}

/// Releases, newest first, ready to render; plus the warnings a run produced.
#[derive(Debug, Clone, Default)]
pub struct Changelog {
    /// The releases, newest first.
    pub releases: Vec<Release>,
    /// The forge repositories (`remote` in templates): from `[remote]`, else GitHub from the upstream URL.
    pub remote: crate::remote_config::RemoteConfig,
    /// Commits left out, by reason.
    pub skipped: Vec<(SkipReason, usize)>,
    /// Other warnings.
    pub warnings: Vec<String>,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The commit range a scope stands for, from the tags (keys are commit ids).
fn commit_range(
    repo: &Repo,
    scope: &Scope,
    tags: &Tags,
    git: &crate::config::GitConfig,
) -> Result<Option<String>, NotesError> {
    let topo_order_commits = git.topo_order_commits;
    Ok(match scope {
        // `limit_tags`, as git-cliff 2.14: the last N tags; from the first of them (excluded) to the
        // last, or everything up to the last tag when N is 1.
        Scope::All => match git.limit_tags {
            Some(limit) if tags.len() > 0 => {
                let last = tags.len() - 1;
                let first = tags.len().saturating_sub(limit);
                match (tags.get_index(first), tags.get_index(last)) {
                    (Some((only, _)), _) if first == last => Some(only.to_owned()),
                    (Some((from, _)), Some((to, _))) => Some(format!("{from}..{to}")),
                    _ => None,
                }
            }
            _ => None,
        },
        Scope::Range(range) => Some(range.clone()),
        Scope::Unreleased => tags.last().map(|(commit, _)| format!("{commit}..HEAD")),
        Scope::Latest | Scope::Current => {
            if tags.len() < 2 {
                let oldest = repo.commits(None, topo_order_commits)?.last().map(|oid| oid.to_string());
                match (oldest, tags.get_index(0)) {
                    (Some(_), Some((only, _))) if tags.len() == 1 => Some(only.to_owned()),
                    (Some(oldest), Some((tag, _))) => Some(format!("{oldest}..{tag}")),
                    _ => None,
                }
            } else {
                let mut index = tags.len() - 2;
                if *scope == Scope::Current {
                    let current = repo.current_tag().ok_or(NotesError::NoCurrentTag)?;
                    let position = tags.position_of_name(&current.name).ok_or(NotesError::NoCurrentTag)?;
                    index = position.checked_sub(1).ok_or(NotesError::NoCurrentTag)?;
                }
                match (tags.get_index(index), tags.get_index(index + 1)) {
                    (Some((from, _)), Some((to, _))) => Some(format!("{from}..{to}")),
                    _ => None,
                }
            }
        }
    })
}

/// Reads the history and groups it into releases (oldest first, as git-cliff builds them).
///
/// `previous_commits` keeps each release's raw commits in the next release's `previous` (for templates
/// that read `previous.commits`); without it the raw commits are freed as soon as they are processed.
pub(crate) fn read_releases(
    repo: &Repo,
    config: &Config,
    selection: &Selection,
    with_statistics: bool,
    previous_commits: bool,
) -> Result<RawReleases, NotesError> {
    let git = &config.git;
    let mut warnings = Vec::new();
    let mut tags = repo.tags(git.tag_pattern.as_ref(), git.topo_order, git.use_branch_tags)?;
    // The range of --latest, --current and --unreleased comes from every tag that matches
    // tag_pattern, ignored and skipped ones included, as git-cliff computes it.
    let range = commit_range(repo, &selection.scope, &tags, git)?;
    keep_release_tags(&mut tags, git);
    let walked = repo.commits(range.as_deref(), git.topo_order_commits)?;
    let mut oids = walked.clone();
    repo.filter_commits(&mut oids, &git.include_paths, &git.exclude_paths);
    if let Some(limit) = git.limit_commits {
        oids.truncate(limit);
    }

    let mut releases = vec![Release::default()];
    let tag_timestamp = name_newest(repo, selection, &oids, &mut tags, &mut releases[0], &mut warnings);

    // Which release a commit joins is reachability from the tags through the whole walked history;
    // each commit is read once, with the graph.
    let (graph, mut read) = repo.read_history(walked, &oids, with_statistics, tags.len() > 0)?;
    let root = repo.root();
    let mut previous = Release::default();
    let mut first_tag: Option<TagInfo> = None;
    let mut current: Vec<Commit> = Vec::new();
    let order = crate::repo::release_order(&oids, &graph, &tags);
    drop(graph);
    for index in order {
        let commit = read[index].take().expect("each kept commit is read once, and placed once");
        let id = commit.id.clone();
        let time = commit.committer.timestamp;
        current.push(commit);
        let release = releases.last_mut().expect("there is always a current release");
        release.repository = Some(root.clone());
        release.commit_id = Some(id.clone());
        if let Some(tag) = tags.get(&id) {
            release.version = Some(tag.name.clone());
            release.message.clone_from(&tag.message);
            release.timestamp = Some(if selection.tag.as_deref() == Some(tag.name.as_str()) {
                tag_timestamp.unwrap_or_else(now)
            } else {
                time
            });
            first_tag.get_or_insert_with(|| tag.clone());
            release.raw_commit_count = current.len();
            current.shrink_to_fit();
            release.commits = Arc::new(std::mem::take(&mut current));
            previous.previous = None;
            release.previous = Some(Arc::new(std::mem::take(&mut previous)));
            previous = release.clone();
            if !previous_commits {
                previous.commits = Arc::default();
            }
            releases.push(Release::default());
        }
    }
    let last = releases.last_mut().expect("there is always a current release");
    last.raw_commit_count = current.len();
    last.commits = Arc::new(current);
    if releases.len() > 1 {
        previous.previous = None;
        releases.last_mut().expect("non-empty").previous = Some(Arc::new(previous));
    }
    if git.sort_commits == SortCommits::Newest {
        for release in &mut releases {
            Arc::make_mut(&mut release.commits).reverse();
        }
    }

    add_custom_commits(&mut releases, &selection.with_commits);
    link_first_release(repo, &tags, first_tag.as_ref(), &mut releases);
    set_commit_ranges(&mut releases, git.sort_commits);
    Ok(RawReleases { releases, warnings, range })
}

/// Drops the tags that are not releases: those `count_tags` does not match and those
/// `ignore_tags` matches. Skipped tags stay, so that their commits can be dropped later.
fn keep_release_tags(tags: &mut Tags, git: &crate::config::GitConfig) {
    tags.retain(|tag| {
        if git.skip_tags.as_ref().is_some_and(|r| r.is_match(&tag.name)) {
            return true;
        }
        let counted = git.count_tags.as_ref().is_none_or(|r| r.is_match(&tag.name));
        let ignored =
            git.ignore_tags.as_ref().is_some_and(|r| !r.as_str().trim().is_empty() && r.is_match(&tag.name));
        counted && !ignored
    });
}

/// `--tag`: names the newest commit's release (or, with no commit, the empty newest release).
/// Returns the time of a tag that already names the newest commit.
fn name_newest(
    repo: &Repo,
    selection: &Selection,
    oids: &[git2::Oid],
    tags: &mut Tags,
    newest: &mut Release,
    warnings: &mut Vec<String>,
) -> Option<i64> {
    let tag = selection.tag.as_ref()?;
    let Some(head) = oids.first() else {
        newest.version = Some(tag.clone());
        newest.timestamp = Some(now());
        return None;
    };
    let head_id = head.to_string();
    match tags.get(&head_id) {
        Some(existing) => {
            warnings.push(format!("there is already a tag ({}) for {head_id}", existing.name));
            Some(repo.commit_time(&head_id))
        }
        None => {
            tags.insert(head_id, repo.resolve_tag(tag));
            None
        }
    }
}

/// Custom commits (`--with-commit`) join the newest release, after the sort, as in git-cliff.
fn add_custom_commits(releases: &mut [Release], messages: &[String]) {
    if messages.is_empty() {
        return;
    }
    let newest = releases.last_mut().expect("there is always a current release");
    let commits = Arc::make_mut(&mut newest.commits);
    for message in messages {
        commits.push(Commit::custom(message));
    }
    newest.raw_commit_count += messages.len();
}

/// The first release's previous release is the tag before it.
fn link_first_release(repo: &Repo, tags: &Tags, first_tag: Option<&TagInfo>, releases: &mut [Release]) {
    if releases[0].previous.as_ref().and_then(|p| p.version.as_ref()).is_some() {
        return;
    }
    let before = match first_tag {
        Some(tag) => {
            tags.position_of_name(&tag.name).and_then(|i| i.checked_sub(1)).and_then(|i| tags.get_index(i))
        }
        None => tags.last(),
    };
    if let Some((commit_id, tag)) = before {
        releases[0].previous = Some(Arc::new(Release {
            commit_id: Some(commit_id.to_owned()),
            version: Some(tag.name.clone()),
            timestamp: Some(repo.commit_time(commit_id)),
            ..Release::default()
        }));
    }
}

/// Each release's commit range, oldest to newest commit.
fn set_commit_ranges(releases: &mut [Release], sort: SortCommits) {
    for release in releases {
        if let (Some(first), Some(last)) = (release.commits.first(), release.commits.last()) {
            let (from, to) = match sort {
                SortCommits::Oldest => (first, last),
                SortCommits::Newest => (last, first),
            };
            release.commit_range = Some(CommitRange { from: from.id.clone(), to: to.id.clone() });
        }
    }
}

/// Releases as read, before their commits are processed.
pub(crate) struct RawReleases {
    /// Oldest first.
    pub(crate) releases: Vec<Release>,
    /// Warnings so far.
    pub(crate) warnings: Vec<String>,
    /// The commit range the scope stands for (`FROM..TO`, commit ids), if any.
    pub(crate) range: Option<String>,
}

/// Processes every release's commits, then orders releases newest first and drops the empty and
/// skipped ones, as git-cliff's `Changelog::new` does.
pub(crate) fn finish(
    config: &Config,
    releases: Vec<Release>,
    warnings: Vec<String>,
) -> Result<Changelog, NotesError> {
    let git = &config.git;
    let mut skipped: HashMap<SkipReason, usize> = HashMap::new();
    let mut processed_releases = Vec::with_capacity(releases.len());
    // A preprocessor that runs a command (git-cliff's own repository runs `typos` on every commit)
    // spends its time waiting on processes: then every commit is processed first, on every core, in
    // order. Otherwise each release's raw commits are processed, then freed, one release at a time.
    let commands = git.commit_preprocessors.iter().any(|p| p.replace_command.is_some());
    let mut done_early = commands.then(|| {
        let all: Vec<&Commit> = releases.iter().flat_map(|r| r.commits.iter()).collect();
        crate::parallel::map_in_order(&all, |commit| process_one(commit, git)).into_iter()
    });
    for mut release in releases {
        let raw = std::mem::take(&mut release.commits);
        let outcomes: Vec<Vec<Result<Commit, SkipReason>>> = match done_early.as_mut() {
            Some(done) => done.by_ref().take(raw.len()).collect(),
            None => raw.iter().map(|commit| process_one(commit, git)).collect(),
        };
        drop(raw);
        let mut processed = Vec::with_capacity(outcomes.len());
        for outcome in outcomes.into_iter().flatten() {
            match outcome {
                Ok(commit) => processed.push(commit),
                Err(reason) => *skipped.entry(reason).or_default() += 1,
            }
        }
        if git.require_conventional {
            let bad: Vec<&Commit> = processed.iter().filter(|c| c.conv.is_none()).collect();
            if !bad.is_empty() {
                return Err(NotesError::Unconventional { count: bad.len(), ids: short_ids(&bad) });
            }
        }
        if git.fail_on_unmatched_commit {
            let bad: Vec<&Commit> = processed.iter().filter(|c| c.group.is_none()).collect();
            if !bad.is_empty() {
                return Err(NotesError::Unmatched { count: bad.len(), ids: short_ids(&bad) });
            }
        }
        release.commits = Arc::new(processed);
        processed_releases.push(release);
    }

    let mut skipped_tags = Vec::new();
    let mut releases: Vec<Release> = processed_releases
        .into_iter()
        .rev()
        .filter(|release| {
            if let Some(version) = &release.version
                && git.skip_tags.as_ref().is_some_and(|r| r.is_match(version))
            {
                skipped_tags.push(version.clone());
                return false;
            }
            if release.commits.is_empty() {
                return match &release.previous {
                    Some(previous) if previous.raw_commit_count == 0 => config.changelog.render_always,
                    _ => false,
                };
            }
            true
        })
        .map(|mut release| {
            release.statistics = Some(statistics(&release));
            release
        })
        .collect();
    for skipped_tag in &skipped_tags {
        let position = releases
            .iter()
            .position(|r| r.previous.as_ref().and_then(|p| p.version.as_ref()) == Some(skipped_tag));
        if let Some(index) = position {
            if let Some(previous) = releases.get_mut(index + 1) {
                // As git-cliff: the older release loses its own `previous` too, and this one
                // links to it.
                previous.previous = None;
                let previous = previous.clone();
                releases[index].previous = Some(Arc::new(previous));
            } else if index == releases.len() - 1 {
                releases[index].previous = None;
            }
        }
    }
    let mut skipped: Vec<(SkipReason, usize)> = skipped.into_iter().collect();
    skipped.sort();
    Ok(Changelog { releases, remote: config.remote.clone(), skipped, warnings })
}

/// One raw commit processed: itself, or (with `split_commits`) each of its lines, or why it was left
/// out.
fn process_one(commit: &Commit, git: &crate::config::GitConfig) -> Vec<Result<Commit, SkipReason>> {
    match commit.process(git) {
        Ok(commit) if git.split_commits => commit
            .message
            .lines()
            .filter(|line| !line.is_empty())
            .map(|line| {
                let mut split = commit.clone();
                split.message = line.to_owned();
                split.links.clear();
                split.process(git)
            })
            .collect(),
        other => vec![other],
    }
}

fn short_ids(commits: &[&Commit]) -> String {
    commits.iter().map(|c| c.id.chars().take(7).collect::<String>()).collect::<Vec<_>>().join(", ")
}

/// Whole days between two timestamps, by their UTC dates.
fn days_between(start: i64, end: i64) -> i64 {
    end.div_euclid(86_400) - start.div_euclid(86_400)
}

fn statistics(release: &Release) -> Statistics {
    let commits = &release.commits;
    let commits_timespan = if commits.len() < 2 {
        None
    } else {
        let first = commits.iter().map(|c| c.committer.timestamp).min().unwrap_or_default();
        let last = commits.iter().map(|c| c.committer.timestamp).max().unwrap_or_default();
        Some(days_between(first, last))
    };
    let mut counts: HashMap<(&str, &str), usize> = HashMap::new();
    for link in commits.iter().flat_map(|c| &c.links) {
        *counts.entry((&link.text, &link.href)).or_default() += 1;
    }
    let mut links: Vec<LinkCount> = counts
        .into_iter()
        .map(|((text, href), count)| LinkCount { text: text.to_owned(), href: href.to_owned(), count })
        .collect();
    links.sort_by(|a, b| {
        b.count.cmp(&a.count).then_with(|| a.text.cmp(&b.text)).then_with(|| a.href.cmp(&b.href))
    });
    let days_passed_since_last_release = release.previous.as_ref().and_then(|previous| {
        let current = release.timestamp.unwrap_or_else(now);
        previous.timestamp.map(|previous| days_between(previous, current))
    });
    Statistics {
        commit_count: commits.len(),
        commits_timespan,
        conventional_commit_count: commits.iter().filter(|c| c.conv.is_some()).count(),
        links,
        days_passed_since_last_release,
    }
}

/// A release's forge metadata (`github.contributors`, empty for the forges not asked).
#[derive(Serialize)]
struct RemoteReleaseMetadata<'a> {
    contributors: &'a [crate::contributor::RemoteContributor],
}

impl Serialize for Release {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ReleaseView { release: self, fields: Fields::ALL, previous: true }.serialize(serializer)
    }
}

/// A release serialized for a template: its commits with the fields the template reads, and its
/// previous release only if the template mentions it.
pub(crate) struct ReleaseView<'a> {
    pub(crate) release: &'a Release,
    pub(crate) fields: Fields,
    pub(crate) previous: bool,
}

struct CommitsView<'a>(&'a [Commit], Fields);

impl Serialize for CommitsView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|commit| CommitView { commit, fields: self.1 }))
    }
}

impl Serialize for ReleaseView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.release;
        let mut s = serializer.serialize_struct("Release", 17)?;
        s.serialize_field("version", &r.version)?;
        s.serialize_field("message", &r.message)?;
        s.serialize_field("commits", &CommitsView(&r.commits, self.fields))?;
        s.serialize_field("commit_id", &r.commit_id)?;
        s.serialize_field("timestamp", &r.timestamp)?;
        let previous = r.previous.as_deref().filter(|_| self.previous);
        s.serialize_field(
            "previous",
            &previous.map(|release| ReleaseView { release, fields: self.fields, previous: false }),
        )?;
        s.serialize_field("repository", &r.repository)?;
        s.serialize_field("commit_range", &r.commit_range)?;
        s.serialize_field("submodule_commits", &HashMap::<String, ()>::new())?;
        s.serialize_field("statistics", &r.statistics)?;
        s.serialize_field("extra", &None::<()>)?;
        s.serialize_field("bump_type", &None::<()>)?;
        s.serialize_field("github", &RemoteReleaseMetadata { contributors: &r.github_contributors })?;
        for remote in ["gitlab", "gitea", "bitbucket", "azure_devops"] {
            s.serialize_field(remote, &RemoteReleaseMetadata { contributors: &[] })?;
        }
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_follow_utc_dates() {
        assert_eq!(days_between(86_399, 86_400), 1);
        assert_eq!(days_between(0, 86_399), 0);
        assert_eq!(days_between(-1, 0), 1);
    }
}
