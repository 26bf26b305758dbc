//! `tagwright verify OWNER/REPO@vX.Y.Z`: the tag, and the files at it, read through GitHub's REST API
//! instead of a clone, for the people who deploy a release and have no checkout.
//!
//! The tag: its ref, then its tag object, whose `verification` holds the signed payload and the
//! SSH signature; the payload (not the API's `object` field) names the commit released. The files:
//! that commit's tree, listed recursively once, then only the blobs that are read (version sources,
//! workflows), each raw, at most 64 MiB and of the size the tree says. Every path is
//! checked to be plain before it is used, symlinks are followed only inside the tree, and nothing is
//! written anywhere.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use tagwright_github::{GitTag, Github, TreeEntry};
use tagwright_versions::ReadError;

use super::tree::{InTree, Kind, Nodes, io_error, is_plain};
use crate::publish::GithubTarget;

/// The tag as GitHub holds it.
pub(crate) struct RemoteTag {
    /// The tag object (an annotated tag), or `None` for a lightweight tag.
    pub(crate) object: Option<GitTag>,
    /// The commit released: from the signed payload's `object` line, else (lightweight) the ref's.
    pub(crate) commit: String,
}

fn gh(e: tagwright_github::GithubError) -> String {
    e.to_string()
}

/// The line `name value` of a tag payload's header.
fn header<'p>(payload: &'p str, name: &str) -> Option<&'p str> {
    payload.lines().take_while(|l| !l.is_empty()).find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
}

/// Reads the tag `tag` of the repository: two requests (the ref, the tag object).
pub(crate) fn read_tag(github: &Github, target: &GithubTarget, tag: &str) -> Result<RemoteTag, String> {
    let (owner, repo) = (&target.owner, &target.repo);
    let reference = github
        .tag_ref(owner, repo, tag)
        .map_err(gh)?
        .ok_or_else(|| format!("no tag {tag} in {owner}/{repo}"))?;
    let sha = &reference.object.sha;
    if !tagwright_github::is_object_id(sha) {
        return Err(format!("the ref of {tag} names `{}`, not an object id", sha.escape_debug()));
    }
    match reference.object.kind.as_str() {
        "commit" => Ok(RemoteTag { object: None, commit: sha.clone() }),
        "tag" => {
            let object = github
                .git_tag(owner, repo, sha)
                .map_err(gh)?
                .ok_or_else(|| format!("the tag object {sha} is missing"))?;
            let signed =
                object.verification.payload.as_deref().and_then(|p| header(p, "object")).map(str::to_owned);
            let commit = signed.unwrap_or_else(|| object.object.sha.clone());
            if !tagwright_github::is_object_id(&commit) {
                return Err(format!(
                    "the tag object {sha} names `{}`, not a commit id",
                    commit.escape_debug()
                ));
            }
            if object.object.kind != "commit" {
                return Err(format!("{tag} tags a {}, not a commit", object.object.kind));
            }
            Ok(RemoteTag { object: Some(object), commit })
        }
        other => Err(format!("the ref of {tag} names a {other}, not a tag or a commit")),
    }
}

/// The tag's signature: verified here with `allowed` (the payload GitHub returns, which must be the
/// tag object for this tag), or, without an allowed-signers file, GitHub's own verdict, said to be
/// GitHub's word.
pub(crate) fn signed_tag(
    tag: &str,
    remote: &RemoteTag,
    allowed: Option<&tagwright_git_sign::AllowedSigners>,
) -> Result<String, String> {
    let Some(object) = &remote.object else {
        return Err(format!("{tag} is a lightweight tag: it carries no signature"));
    };
    let verification = &object.verification;
    let Some(allowed) = allowed else {
        let word = "GitHub's word, not checked here: pass --allowed-signers to check the signature";
        return if verification.verified {
            Ok(format!("GitHub says the signature is verified ({}); {word}", verification.reason))
        } else {
            Err(format!("GitHub says the signature is not verified ({}); {word}", verification.reason))
        };
    };
    let (Some(payload), Some(signature)) = (&verification.payload, &verification.signature) else {
        return Err(format!("{tag} is not signed (GitHub: {})", verification.reason));
    };
    if header(payload, "tag") != Some(tag) || header(payload, "type") != Some("commit") {
        return Err(format!("the signed payload is not the tag object of {tag} for a commit"));
    }
    let time = header(payload, "tagger")
        .and_then(|t| t.rsplit(' ').nth(1))
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(0);
    let verified = tagwright_git_sign::verify_payload(signature, payload.as_bytes(), time, allowed)
        .map_err(|e| format!("{tag}: {e}"))?;
    Ok(format!("signed by {} ({}), commit {}", verified.principal, verified.fingerprint, remote.commit))
}

/// A commit's tree, read through the API: listed once, blobs fetched when read (and kept).
pub(crate) struct ApiTree<'g> {
    github: &'g Github,
    target: &'g GithubTarget,
    entries: BTreeMap<String, TreeEntry>,
    blobs: RefCell<HashMap<String, Vec<u8>>>,
}

impl<'g> ApiTree<'g> {
    /// The tree of `commit`: two requests (the commit, its tree listed recursively). A tree with an
    /// entry that is not a plain path is refused whole (by the client).
    pub(crate) fn at(
        github: &'g Github,
        target: &'g GithubTarget,
        commit: &str,
    ) -> Result<InTree<ApiTree<'g>>, String> {
        let (owner, repo) = (&target.owner, &target.repo);
        let found = github
            .git_commit(owner, repo, commit)
            .map_err(gh)?
            .ok_or_else(|| format!("no commit {commit}"))?;
        if found.sha != commit {
            return Err(format!("asked for the commit {commit}, GitHub answered {}", found.sha));
        }
        let tree = github
            .git_tree(owner, repo, &found.tree.sha)
            .map_err(gh)?
            .ok_or_else(|| format!("no tree {}", found.tree.sha))?;
        let entries = tree.tree.into_iter().map(|e| (e.path.clone(), e)).collect();
        Ok(InTree(ApiTree { github, target, entries, blobs: RefCell::new(HashMap::new()) }))
    }
}

impl Nodes for ApiTree<'_> {
    type Id = TreeEntry;

    fn entry(&self, path: &[String]) -> Option<(Kind, TreeEntry)> {
        let entry = self.entries.get(&path.join("/"))?;
        Some((Kind::of_mode(u32::from_str_radix(&entry.mode, 8).unwrap_or(0)), entry.clone()))
    }

    /// The bytes of a blob: at most `cap`, and of its listed size.
    fn blob(&self, entry: &TreeEntry, cap: usize, path: &Path) -> Result<Vec<u8>, ReadError> {
        if let Some(bytes) = self.blobs.borrow().get(&entry.sha) {
            return Ok(bytes.clone());
        }
        let size = entry.size.ok_or_else(|| io_error(path, "the tree gives no size"))?;
        if size > cap as u64 {
            return Err(io_error(path, format!("{size} bytes, more than the {cap} read")));
        }
        let bytes = self
            .github
            .git_blob(&self.target.owner, &self.target.repo, &entry.sha, cap as u64)
            .map_err(|e| io_error(path, e.to_string()))?;
        if bytes.len() as u64 != size {
            return Err(io_error(path, format!("GitHub sent {} bytes for a blob of {size}", bytes.len())));
        }
        self.blobs.borrow_mut().insert(entry.sha.clone(), bytes.clone());
        Ok(bytes)
    }

    fn children(&self, path: &[String]) -> Vec<String> {
        let prefix = if path.is_empty() { String::new() } else { format!("{}/", path.join("/")) };
        self.entries
            .keys()
            .filter_map(|key| key.strip_prefix(&prefix))
            .filter(|rest| !rest.contains('/') && is_plain(rest))
            .map(str::to_owned)
            .collect()
    }
}
