//! Reading the history with git2: tags by commit, and commits by range.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use git2::{DescribeOptions, Oid, Repository, Sort};
use regex::Regex;

use crate::commit::{Commit, CommitStatistics, Signature};

/// Signatures that git appends to annotated tag messages; they are not part of the notes.
static TAG_SIGNATURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?s)-----BEGIN (PGP|SSH|SIGNED) (SIGNATURE|MESSAGE)-----(.*?)-----END (PGP|SSH|SIGNED) (SIGNATURE|MESSAGE)-----",
    )
    .expect("valid regex")
});

/// Why the history could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RepoError {
    /// The directory is not a git repository.
    #[error("{}: not a git repository: {}", .path.display(), .source.message())]
    Open {
        /// The directory.
        path: PathBuf,
        /// What libgit2 said.
        #[source]
        source: git2::Error,
    },
    /// A revision or range does not resolve.
    #[error("{}: cannot resolve `{range}`: {}", .path.display(), .source.message())]
    Range {
        /// The repository.
        path: PathBuf,
        /// The range.
        range: String,
        /// What libgit2 said.
        #[source]
        source: git2::Error,
    },
    /// Reading an object failed.
    #[error("{}: {}", .path.display(), .source.message())]
    Git {
        /// The repository.
        path: PathBuf,
        /// What libgit2 said.
        #[source]
        source: git2::Error,
    },
}

/// Owner and repository from a remote URL.
fn parse_remote_url(url: &str) -> Option<(String, String)> {
    let url = url.strip_suffix(".git").unwrap_or(url);
    if let Some((scheme, rest)) = url.split_once("://")
        && !scheme.is_empty()
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        let path = rest.split_once('/').map_or("", |(_, path)| path);
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let segments: Vec<&str> = path.split('/').collect();
        if let [.., owner, repo] = segments.as_slice() {
            return Some(((*owner).to_owned(), (*repo).to_owned()));
        }
        return None;
    }
    if url.contains('@') && url.contains(':') && url.contains('/') {
        let owner_repo = url.split(':').nth(1)?;
        if let [owner, repo] = owner_repo.split('/').collect::<Vec<_>>().as_slice() {
            return Some(((*owner).to_owned(), (*repo).to_owned()));
        }
    }
    None
}

/// An annotated tag's message without its signature, trimmed.
fn tag_message(tag: &git2::Tag<'_>) -> Option<String> {
    tag.message().ok().flatten().map(|m| TAG_SIGNATURE.replace(m, "").trim().to_owned())
}

/// A release tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagInfo {
    /// The tag name.
    pub name: String,
    /// The annotation, without its signature, trimmed; `None` for lightweight tags.
    pub message: Option<String>,
}

/// Tags keyed by the commit they point to, in order. Like git-cliff's `IndexMap`, a second tag on the
/// same commit replaces the first one's value but keeps its position.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tags {
    order: Vec<String>,
    by_commit: HashMap<String, TagInfo>,
}

impl Tags {
    pub(crate) fn insert(&mut self, commit: String, tag: TagInfo) {
        if self.by_commit.insert(commit.clone(), tag).is_none() {
            self.order.push(commit);
        }
    }

    pub(crate) fn get(&self, commit: &str) -> Option<&TagInfo> {
        self.by_commit.get(commit)
    }

    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    pub(crate) fn get_index(&self, index: usize) -> Option<(&str, &TagInfo)> {
        let commit = self.order.get(index)?;
        Some((commit.as_str(), &self.by_commit[commit]))
    }

    pub(crate) fn last(&self) -> Option<(&str, &TagInfo)> {
        self.len().checked_sub(1).and_then(|i| self.get_index(i))
    }

    pub(crate) fn position_of_name(&self, name: &str) -> Option<usize> {
        self.order.iter().position(|commit| self.by_commit[commit].name == name)
    }

    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&TagInfo) -> bool) {
        let by_commit = &mut self.by_commit;
        self.order.retain(|commit| {
            let kept = keep(&by_commit[commit]);
            if !kept {
                by_commit.remove(commit);
            }
            kept
        });
    }
}

/// A repository opened for reading notes.
pub(crate) struct Repo {
    inner: Repository,
    path: PathBuf,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo").field("path", &self.path).finish()
    }
}

/// The file `git blame --ignore-revs-file` reads, which git-cliff honours too.
const BLAME_IGNORE_REVS: &str = ".git-blame-ignore-revs";

/// The walked history as a graph: each walked commit's parents among the walked commits.
///
/// Release ownership is reachability through this whole graph, not only through the commits that
/// path filters or `.git-blame-ignore-revs` keep: a kept commit whose parent was filtered out is
/// still reached through it.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    oids: Vec<Oid>,
    index: HashMap<Oid, usize>,
    /// Commit `i`'s parents are `parents[starts[i]..starts[i + 1]]` (one allocation for all).
    starts: Vec<u32>,
    parents: Vec<u32>,
}

impl Graph {
    fn parents_of(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        let (from, to) = (self.starts[node] as usize, self.starts[node + 1] as usize);
        self.parents[from..to].iter().map(|&p| p as usize)
    }
}

/// The order in which the kept commits `oids` (newest first, as walked) are grouped into releases,
/// oldest first, as git-cliff 2.14's `commit_tag_ownership` groups them: only tags on kept commits
/// are boundaries, and each boundary, in `tags`' order, owns the kept commits it reaches in the
/// walked history (`graph`) that no earlier boundary reaches (git-cliff walks from each tag with the
/// earlier boundaries hidden). Within a release the walk's order is kept, with the tagged commit
/// last; kept commits no boundary reaches come after (unreleased).
pub(crate) fn release_order(oids: &[Oid], graph: &Graph, tags: &Tags) -> Vec<usize> {
    let n = oids.len();
    if tags.len() == 0 {
        return (0..n).rev().collect();
    }
    let kept: HashMap<Oid, usize> = oids.iter().enumerate().map(|(i, oid)| (*oid, i)).collect();
    let mut owner: Vec<Option<usize>> = vec![None; n];
    let mut seen = vec![false; graph.oids.len()];
    let mut tips: Vec<Option<usize>> = Vec::with_capacity(tags.len());
    for index in 0..tags.len() {
        let tip =
            tags.get_index(index).and_then(|(c, _)| Oid::from_str(c).ok()).filter(|o| kept.contains_key(o));
        tips.push(tip.and_then(|o| kept.get(&o).copied()));
        let Some(start) = tip.and_then(|o| graph.index.get(&o).copied()) else { continue };
        // Whatever an earlier boundary reached, it reached with all its ancestors: stop there.
        let mut stack = vec![start];
        while let Some(node) = stack.pop() {
            if std::mem::replace(&mut seen[node], true) {
                continue;
            }
            if let Some(&k) = kept.get(&graph.oids[node]) {
                owner[k] = Some(index);
            }
            stack.extend(graph.parents_of(node).filter(|p| !seen[*p]));
        }
    }
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); tags.len() + 1];
    for i in (0..n).rev() {
        groups[owner[i].unwrap_or(tags.len())].push(i);
    }
    let mut order = Vec::with_capacity(n);
    for (index, mut group) in groups.into_iter().enumerate() {
        if let Some(Some(tip)) = tips.get(index)
            && let Some(at) = group.iter().position(|i| i == tip)
        {
            let tagged = group.remove(at);
            group.push(tagged);
        }
        order.extend(group);
    }
    order
}

/// git-cliff's normalization of a path glob: a trailing `/` gets `**`, a leading `./` goes.
fn normalize_pattern(pattern: &glob::Pattern) -> glob::Pattern {
    let text = pattern.as_str();
    let starred = if text.ends_with('/') { format!("{text}**") } else { text.to_owned() };
    let stripped = starred.strip_prefix("./").unwrap_or(&starred);
    glob::Pattern::new(stripped).unwrap_or_else(|_| pattern.clone())
}

impl Repo {
    pub(crate) fn open(path: &Path) -> Result<Repo, RepoError> {
        let inner =
            Repository::open(path).map_err(|source| RepoError::Open { path: path.to_path_buf(), source })?;
        Ok(Repo { inner, path: path.to_path_buf() })
    }

    fn git_error(&self, source: git2::Error) -> RepoError {
        RepoError::Git { path: self.path.clone(), source }
    }

    /// The working directory, as the `repository` field of a release.
    pub(crate) fn root(&self) -> String {
        let root = self.inner.workdir().unwrap_or_else(|| self.inner.path());
        root.to_string_lossy().trim_end_matches('/').to_owned()
    }

    /// Every tag (matching `pattern`), ordered by commit time unless `topo_order`.
    pub(crate) fn tags(
        &self,
        pattern: Option<&Regex>,
        topo_order: bool,
        use_branch_tags: bool,
    ) -> Result<Tags, RepoError> {
        let names = self.inner.tag_names(None).map_err(|e| self.git_error(e))?;
        let head = self.inner.head().and_then(|h| h.peel_to_commit()).map_err(|e| self.git_error(e))?;
        let mut found: Vec<(Oid, i64, TagInfo)> = Vec::new();
        for name in
            names.iter().filter_map(|n| n.ok().flatten()).filter(|n| pattern.is_none_or(|p| p.is_match(n)))
        {
            let object = self.inner.revparse_single(name).map_err(|e| self.git_error(e))?;
            let (commit, info) = if let Some(tag) = object.as_tag() {
                let Ok(commit) = object.peel_to_commit() else { continue };
                (commit, TagInfo { name: tag.name().unwrap_or(name).to_owned(), message: tag_message(tag) })
            } else if let Ok(commit) = object.peel_to_commit() {
                (commit, TagInfo { name: name.to_owned(), message: None })
            } else {
                continue;
            };
            if use_branch_tags
                && commit.id() != head.id()
                && !self.inner.graph_descendant_of(head.id(), commit.id()).map_err(|e| self.git_error(e))?
            {
                continue;
            }
            found.push((commit.id(), commit.time().seconds(), info));
        }
        if !topo_order {
            found.sort_by_key(|(_, time, _)| *time);
        }
        let mut tags = Tags::default();
        for (oid, _, info) in found {
            tags.insert(oid.to_string(), info);
        }
        Ok(tags)
    }

    /// The tag `git describe --tags` names for HEAD.
    pub(crate) fn current_tag(&self) -> Option<TagInfo> {
        let describe = self.inner.describe(DescribeOptions::new().describe_tags()).ok()?;
        let name = describe.format(None).ok()?;
        Some(self.resolve_tag(&name))
    }

    /// The tag called `name`, or a tag of that name without a message when it does not exist yet.
    pub(crate) fn resolve_tag(&self, name: &str) -> TagInfo {
        match self.inner.resolve_reference_from_short_name(name).and_then(|r| r.peel_to_tag()) {
            Ok(tag) => TagInfo { name: tag.name().unwrap_or(name).to_owned(), message: tag_message(&tag) },
            Err(_) => TagInfo { name: name.to_owned(), message: None },
        }
    }

    /// Owner and repository of the current branch's upstream remote, from its URL
    /// (`https://host/owner/repo(.git)` or `git@host:owner/repo(.git)`), as git-cliff finds them.
    pub(crate) fn upstream_remote(&self) -> Option<(String, String)> {
        let head = self.inner.head().ok()?;
        if !head.is_branch() {
            return None;
        }
        let remote_name = self.inner.branch_upstream_remote(head.name().ok()?).ok()?;
        let remote = self.inner.find_remote(remote_name.as_str().ok()?).ok()?;
        parse_remote_url(remote.url().ok()?)
    }

    /// The committer time of a commit.
    pub(crate) fn commit_time(&self, id: &str) -> i64 {
        Oid::from_str(id)
            .and_then(|oid| self.inner.find_commit(oid))
            .map(|c| c.time().seconds())
            .unwrap_or_default()
    }

    /// The commits of `range` (`A..B`, a single revision, or HEAD), newest first.
    pub(crate) fn commits(&self, range: Option<&str>, topo_order: bool) -> Result<Vec<Oid>, RepoError> {
        let mut walk = self.inner.revwalk().map_err(|e| self.git_error(e))?;
        walk.set_sorting(if topo_order { Sort::TOPOLOGICAL } else { Sort::TIME })
            .map_err(|e| self.git_error(e))?;
        let range_error = |source| RepoError::Range {
            path: self.path.clone(),
            range: range.unwrap_or("HEAD").to_owned(),
            source,
        };
        match range {
            Some(range) if range.contains("..") => walk.push_range(range).map_err(range_error)?,
            Some(rev) => {
                let oid = Oid::from_str(rev)
                    .or_else(|_| {
                        self.inner.revparse_single(rev).and_then(|o| o.peel_to_commit()).map(|c| c.id())
                    })
                    .map_err(range_error)?;
                walk.push(oid).map_err(range_error)?;
            }
            None => walk.push_head().map_err(range_error)?,
        }
        Ok(walk.filter_map(Result::ok).collect())
    }

    /// The paths a commit changes, as git-cliff lists them: the diff against its first parent, or for
    /// a root commit every blob of its tree written as `{dir}/{name}` (so `/README.md` and
    /// `docs//index.md`, which is what git-cliff matches its globs against).
    pub(crate) fn changed_files(&self, oid: Oid) -> Vec<String> {
        let mut files = Vec::new();
        let Ok(commit) = self.inner.find_commit(oid) else { return files };
        let tree = commit.tree().ok();
        match commit.parent(0) {
            Ok(parent) => {
                if let Ok(diff) =
                    self.inner.diff_tree_to_tree(tree.as_ref(), parent.tree().ok().as_ref(), None)
                {
                    files.extend(
                        diff.deltas()
                            .filter_map(|d| d.new_file().path().map(|p| p.to_string_lossy().into_owned())),
                    );
                }
            }
            Err(_) => {
                if let Some(tree) = tree {
                    let _ = tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
                        if entry.kind() == Some(git2::ObjectType::Blob) {
                            let name = entry.name().ok().unwrap_or_default();
                            files.push(format!("{dir}/{name}"));
                        }
                        git2::TreeWalkResult::Ok
                    });
                }
            }
        }
        files
    }

    /// Keeps the commits git-cliff keeps, as its `commits` and `filter_git_blame_ignore_revs` do one
    /// after the other: for `include` and `exclude` path globs, one that changes a path matching an
    /// include glob and no exclude glob (with only excludes: a path matching none); then none that
    /// `.git-blame-ignore-revs` lists (by id or prefix), nor one that changes only that file. Each
    /// commit's changed paths are computed once, and only when a rule needs them.
    pub(crate) fn filter_commits(
        &self,
        oids: &mut Vec<Oid>,
        include: &[glob::Pattern],
        exclude: &[glob::Pattern],
    ) {
        let include: Vec<glob::Pattern> = include.iter().map(normalize_pattern).collect();
        let exclude: Vec<glob::Pattern> = exclude.iter().map(normalize_pattern).collect();
        let by_path = !(include.is_empty() && exclude.is_empty());
        let ignored_text = self
            .inner
            .workdir()
            .and_then(|root| std::fs::read_to_string(root.join(BLAME_IGNORE_REVS)).ok())
            .unwrap_or_default();
        let ignored: Vec<&str> =
            ignored_text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
        if !by_path && ignored.is_empty() {
            return;
        }
        oids.retain(|oid| {
            let mut files: Option<Vec<String>> = None;
            if by_path {
                let changed = files.get_or_insert_with(|| self.changed_files(*oid));
                let kept = changed.iter().any(|path| {
                    let path = Path::new(path);
                    (include.is_empty() || include.iter().any(|p| p.matches_path(path)))
                        && !exclude.iter().any(|p| p.matches_path(path))
                });
                if !kept {
                    return false;
                }
            }
            if ignored.is_empty() {
                return true;
            }
            let id = oid.to_string();
            if ignored.iter().any(|prefix| id.starts_with(prefix)) {
                return false;
            }
            let files = files.get_or_insert_with(|| self.changed_files(*oid));
            !(files.len() == 1 && files[0] == BLAME_IGNORE_REVS)
        });
    }

    /// The commit ids `.cliffignore` lists (comments and blank lines left out).
    pub(crate) fn cliffignore(&self) -> Vec<String> {
        let Some(root) = self.inner.workdir() else { return Vec::new() };
        std::fs::read_to_string(root.join(".cliffignore"))
            .map(|text| {
                text.lines()
                    .filter(|l| !(l.starts_with('#') || l.trim().is_empty()))
                    .map(|l| l.trim().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Reads the history once: each kept commit (`kept`, a subset of `walked`), by its index in
    /// `kept`, and with `graph` the walked commits' parents (for [`release_order`]).
    pub(crate) fn read_history(
        &self,
        walked: Vec<Oid>,
        kept: &[Oid],
        statistics: bool,
        graph: bool,
    ) -> Result<(Graph, Vec<Option<Commit>>), RepoError> {
        let position: HashMap<Oid, usize> = kept.iter().enumerate().map(|(i, oid)| (*oid, i)).collect();
        let mut read: Vec<Option<Commit>> = Vec::with_capacity(kept.len());
        read.resize_with(kept.len(), || None);
        if !graph {
            for (at, oid) in kept.iter().enumerate() {
                let commit = self.inner.find_commit(*oid).map_err(|e| self.git_error(e))?;
                read[at] = Some(self.to_commit(&commit, statistics));
            }
            return Ok((Graph::default(), read));
        }
        let index: HashMap<Oid, usize> = walked.iter().enumerate().map(|(i, oid)| (*oid, i)).collect();
        let mut starts = Vec::with_capacity(walked.len() + 1);
        let mut parents = Vec::with_capacity(walked.len());
        starts.push(0);
        for oid in &walked {
            let commit = self.inner.find_commit(*oid).map_err(|e| self.git_error(e))?;
            let known =
                commit.parent_ids().filter_map(|p| index.get(&p).and_then(|&i| u32::try_from(i).ok()));
            parents.extend(known);
            starts.push(u32::try_from(parents.len()).unwrap_or(u32::MAX));
            if let Some(&at) = position.get(oid) {
                read[at] = Some(self.to_commit(&commit, statistics));
            }
        }
        Ok((Graph { oids: walked, index, starts, parents }, read))
    }

    /// A commit as the notes read it.
    fn to_commit(&self, commit: &git2::Commit<'_>, statistics: bool) -> Commit {
        let oid = commit.id();
        let signature = |s: git2::Signature<'_>| Signature {
            name: s.name().ok().map(str::to_owned),
            email: s.email().ok().map(str::to_owned),
            timestamp: s.when().seconds(),
        };
        let statistics = if statistics {
            self.statistics(commit).unwrap_or_default()
        } else {
            CommitStatistics::default()
        };
        Commit {
            id: oid.to_string(),
            message: commit.message().unwrap_or_default().trim_end().to_owned(),
            author: signature(commit.author()),
            committer: signature(commit.committer()),
            merge_commit: commit.parent_count() > 1,
            statistics,
            ..Commit::default()
        }
    }

    fn statistics(&self, commit: &git2::Commit<'_>) -> Result<CommitStatistics, git2::Error> {
        let tree = commit.tree()?;
        let parent = commit.parent(0).ok().map(|p| p.tree()).transpose()?;
        let stats = self.inner.diff_tree_to_tree(parent.as_ref(), Some(&tree), None)?.stats()?;
        Ok(CommitStatistics {
            files_changed: stats.files_changed(),
            additions: stats.insertions(),
            deletions: stats.deletions(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_urls() {
        tagwright_test_support::hermetic_git2();
        let pair = |a: &str, b: &str| Some((a.to_owned(), b.to_owned()));
        assert_eq!(
            parse_remote_url("https://github.com/eclipse-csi/advisoryhub.git"),
            pair("eclipse-csi", "advisoryhub")
        );
        assert_eq!(parse_remote_url("git@github.com:orhun/git-cliff.git"), pair("orhun", "git-cliff"));
        assert_eq!(parse_remote_url("file:///tmp/x/origin.git"), pair("x", "origin"));
        assert_eq!(parse_remote_url("/tmp/origin.git"), None);
    }
}
