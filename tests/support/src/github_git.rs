//! The GitHub stand-in's git data, served from a real repository on disk as GitHub's REST API serves
//! a repository's ("REST API endpoints for Git database", "… for repository contents"): tag refs,
//! tag objects with their `verification` (the signed payload and the signature split as GitHub splits
//! them), commits, trees (recursive), blobs (base64 JSON, or raw with `application/vnd.github.raw+json`)
//! and contents (base64, `encoding: none` over 1 MB, as GitHub answers). GitHub's verdict on a
//! signature is a setting ([`GitData::known_key`]): the stand-in does not know GitHub's keys.
//!
//! Faults make it hostile: a tree entry added to every listing, every blob answered with other bytes,
//! every git-data request redirected elsewhere.

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// What the contents API still answers inline: 1 MB.
const CONTENTS_INLINE: usize = 1 << 20;

/// A way to lie.
#[derive(Debug, Clone)]
pub enum GitFault {
    /// This entry is appended to every tree listing.
    TreeEntry(Value),
    /// Every blob is answered with these bytes.
    Blob(Vec<u8>),
    /// Every git-data request is answered `302 Found` to this URL.
    Redirect(String),
}

/// The repository served, and how.
#[derive(Debug)]
pub(crate) struct GitData {
    pub(crate) repo: PathBuf,
    /// Whether GitHub "knows" the tag's signing key: its `verification.verified`.
    pub(crate) known_key: bool,
    pub(crate) faults: Vec<GitFault>,
}

/// One answer: status, JSON body (or raw bytes), extra headers.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) raw: Option<Vec<u8>>,
    pub(crate) headers: Vec<(String, String)>,
}

fn json_answer(status: u16, body: Value) -> Answer {
    Answer { status, body, raw: None, headers: Vec::new() }
}

fn not_found() -> Answer {
    json_answer(404, json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}))
}

fn actor(signature: &git2::Signature<'_>) -> Value {
    json!({
        "name": signature.name().unwrap_or_default(),
        "email": signature.email().unwrap_or_default(),
        "date": tagwright_oci_publish::rfc3339(u64::try_from(signature.when().seconds()).unwrap_or(0))
    })
}

/// Base64 as GitHub writes a blob's content: lines of 60 characters.
fn wrapped(bytes: &[u8]) -> String {
    let text = STANDARD.encode(bytes);
    let lines: Vec<&str> =
        text.as_bytes().chunks(60).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
    lines.join("\n") + "\n"
}

impl GitData {
    /// Answers a GET of `rest` (the path after `/repos/OWNER/REPO`, with its query) under `repo_url`;
    /// `None` when it is not git data.
    pub(crate) fn route(&self, repo_url: &str, rest: &str, accept: Option<&str>) -> Option<Answer> {
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if !(path.starts_with("/git/") || path.starts_with("/contents")) {
            return None;
        }
        if let Some(GitFault::Redirect(to)) = self.faults.iter().find(|f| matches!(f, GitFault::Redirect(_)))
        {
            let mut answer = json_answer(302, Value::Null);
            answer.headers.push(("Location".to_owned(), to.clone()));
            return Some(answer);
        }
        let repo = git2::Repository::open(&self.repo).expect("the served repository");
        let answer = if let Some(tag) = path.strip_prefix("/git/ref/tags/") {
            self.tag_ref(&repo, repo_url, &crate::github_wire::percent_decode(tag))
        } else if let Some(sha) = path.strip_prefix("/git/tags/") {
            self.tag(&repo, repo_url, sha)
        } else if let Some(sha) = path.strip_prefix("/git/commits/") {
            commit(&repo, repo_url, sha)
        } else if let Some(sha) = path.strip_prefix("/git/trees/") {
            self.tree(&repo, repo_url, sha, query.contains("recursive="))
        } else if let Some(sha) = path.strip_prefix("/git/blobs/") {
            self.blob(&repo, repo_url, sha, accept == Some("application/vnd.github.raw+json"))
        } else if let Some(file) = path.strip_prefix("/contents/") {
            let reference = query.split('&').find_map(|p| p.strip_prefix("ref=")).unwrap_or("HEAD");
            contents(
                &repo,
                repo_url,
                &crate::github_wire::percent_decode(file),
                &crate::github_wire::percent_decode(reference),
            )
        } else {
            not_found()
        };
        Some(answer)
    }

    fn tag_ref(&self, repo: &git2::Repository, repo_url: &str, tag: &str) -> Answer {
        let Ok(reference) = repo.find_reference(&format!("refs/tags/{tag}")) else { return not_found() };
        let Some(oid) = reference.target() else { return not_found() };
        let kind = match repo.find_object(oid, None).ok().and_then(|o| o.kind()) {
            Some(git2::ObjectType::Tag) => "tag",
            _ => "commit",
        };
        let object_url = format!("{repo_url}/git/{}s/{oid}", kind);
        json_answer(
            200,
            json!({
                "ref": format!("refs/tags/{tag}"),
                "node_id": format!("REF_{}", &oid.to_string()[..12]),
                "url": format!("{repo_url}/git/refs/tags/{}", crate::github_wire::percent_encode(tag)),
                "object": {"type": kind, "sha": oid.to_string(), "url": object_url}
            }),
        )
    }

    fn tag(&self, repo: &git2::Repository, repo_url: &str, sha: &str) -> Answer {
        let Ok(oid) = git2::Oid::from_str(sha) else { return not_found() };
        let Ok(tag) = repo.find_tag(oid) else { return not_found() };
        let raw = repo.odb().and_then(|odb| odb.read(oid).map(|o| o.data().to_vec())).unwrap_or_default();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let split = text.find("-----BEGIN SSH SIGNATURE-----");
        let (payload, signature) = match split {
            Some(at) => (Some(text[..at].to_owned()), Some(text[at..].to_owned())),
            None => (None, None),
        };
        let verified = signature.is_some() && self.known_key;
        let reason = match (&signature, self.known_key) {
            (None, _) => "unsigned",
            (Some(_), true) => "valid",
            (Some(_), false) => "unknown_key",
        };
        let kind = tag.target_type().map_or("commit", |t| t.str());
        let message = text.split_once("\n\n").map_or(String::new(), |(_, m)| m.to_owned());
        json_answer(
            200,
            json!({
                "node_id": format!("TAG_{}", &sha[..12]),
                "tag": tag.name().unwrap_or_default(),
                "sha": sha,
                "url": format!("{repo_url}/git/tags/{sha}"),
                "message": message,
                "tagger": tag.tagger().map_or(Value::Null, |t| actor(&t)),
                "object": {"type": kind, "sha": tag.target_id().to_string(), "url": format!("{repo_url}/git/commits/{}", tag.target_id())},
                "verification": {
                    "verified": verified,
                    "reason": reason,
                    "signature": signature,
                    "payload": payload,
                    "verified_at": if verified { json!("2026-01-01T00:00:00Z") } else { Value::Null }
                }
            }),
        )
    }

    fn tree(&self, repo: &git2::Repository, repo_url: &str, sha: &str, recursive: bool) -> Answer {
        let Ok(oid) = git2::Oid::from_str(sha) else { return not_found() };
        let Ok(tree) = repo.find_object(oid, None).and_then(|o| o.peel_to_tree()) else { return not_found() };
        let mut entries = Vec::new();
        let walk = |root: &str, entry: &git2::TreeEntry<'_>| {
            let path = format!("{root}{}", entry.name().unwrap_or_default());
            let (kind, size) = match entry.kind() {
                Some(git2::ObjectType::Tree) => ("tree", None),
                Some(git2::ObjectType::Commit) => ("commit", None),
                _ => ("blob", repo.find_blob(entry.id()).ok().map(|b| b.size())),
            };
            let mut item = json!({"path": path, "mode": format!("{:06o}", entry.filemode()), "type": kind,
                "sha": entry.id().to_string(), "url": format!("{repo_url}/git/{kind}s/{}", entry.id())});
            if let Some(size) = size {
                item["size"] = json!(size);
            }
            entries.push(item);
            if recursive { git2::TreeWalkResult::Ok } else { git2::TreeWalkResult::Skip }
        };
        let _ = tree.walk(git2::TreeWalkMode::PreOrder, walk);
        for fault in &self.faults {
            if let GitFault::TreeEntry(entry) = fault {
                entries.push(entry.clone());
            }
        }
        json_answer(
            200,
            json!({"sha": tree.id().to_string(), "url": format!("{repo_url}/git/trees/{}", tree.id()), "tree": entries, "truncated": false}),
        )
    }

    fn blob(&self, repo: &git2::Repository, repo_url: &str, sha: &str, raw: bool) -> Answer {
        let Ok(oid) = git2::Oid::from_str(sha) else { return not_found() };
        let Ok(blob) = repo.find_blob(oid) else { return not_found() };
        let bytes = match self.faults.iter().find_map(|f| match f {
            GitFault::Blob(bytes) => Some(bytes.clone()),
            _ => None,
        }) {
            Some(lie) => lie,
            None => blob.content().to_vec(),
        };
        if raw {
            return Answer { status: 200, body: Value::Null, raw: Some(bytes), headers: Vec::new() };
        }
        json_answer(
            200,
            json!({"sha": sha, "node_id": format!("BLOB_{}", &sha[..12]), "size": bytes.len(),
                "url": format!("{repo_url}/git/blobs/{sha}"), "content": wrapped(&bytes), "encoding": "base64"}),
        )
    }
}

fn commit(repo: &git2::Repository, repo_url: &str, sha: &str) -> Answer {
    let Ok(oid) = git2::Oid::from_str(sha) else { return not_found() };
    let Ok(commit) = repo.find_commit(oid) else { return not_found() };
    let parents: Vec<Value> = commit
        .parent_ids()
        .map(|p| json!({"sha": p.to_string(), "url": format!("{repo_url}/git/commits/{p}"), "html_url": format!("https://github.com/commit/{p}")}))
        .collect();
    json_answer(
        200,
        json!({
            "sha": sha,
            "node_id": format!("C_{}", &sha[..12]),
            "url": format!("{repo_url}/git/commits/{sha}"),
            "html_url": format!("https://github.com/commit/{sha}"),
            "author": actor(&commit.author()),
            "committer": actor(&commit.committer()),
            "message": commit.message().unwrap_or_default(),
            "tree": {"sha": commit.tree_id().to_string(), "url": format!("{repo_url}/git/trees/{}", commit.tree_id())},
            "parents": parents,
            "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null}
        }),
    )
}

/// `GET /contents/{path}?ref=`: a file (inline base64 up to 1 MB, else `encoding: none` with no
/// content), or a directory's listing.
fn contents(repo: &git2::Repository, repo_url: &str, path: &str, reference: &str) -> Answer {
    let Ok(tree) = repo.revparse_single(reference).and_then(|o| o.peel_to_tree()) else { return not_found() };
    let Ok(entry) = tree.get_path(std::path::Path::new(path)) else { return not_found() };
    let item = |path: &str, entry: &git2::TreeEntry<'_>| {
        let name = path.rsplit('/').next().unwrap_or(path);
        let kind = if entry.kind() == Some(git2::ObjectType::Tree) { "dir" } else { "file" };
        let size = repo.find_blob(entry.id()).map(|b| b.size()).unwrap_or(0);
        let url = format!("{repo_url}/contents/{path}?ref={reference}");
        let git_url =
            format!("{repo_url}/git/{}s/{}", if kind == "dir" { "tree" } else { "blob" }, entry.id());
        let html = format!("https://github.com/blob/{reference}/{path}");
        let download = if kind == "file" {
            json!(format!("https://raw.example.invalid/{reference}/{path}"))
        } else {
            Value::Null
        };
        json!({"type": kind, "size": size, "name": name, "path": path, "sha": entry.id().to_string(), "url": url,
            "git_url": git_url, "html_url": html, "download_url": download,
            "_links": {"self": url, "git": git_url, "html": html}})
    };
    if entry.kind() == Some(git2::ObjectType::Tree) {
        let Ok(dir) = repo.find_tree(entry.id()) else { return not_found() };
        let listing: Vec<Value> =
            dir.iter().map(|e| item(&format!("{path}/{}", e.name().unwrap_or_default()), &e)).collect();
        return json_answer(200, Value::Array(listing));
    }
    let Ok(blob) = repo.find_blob(entry.id()) else { return not_found() };
    let mut file = item(path, &entry);
    if blob.size() <= CONTENTS_INLINE {
        file["content"] = json!(wrapped(blob.content()));
        file["encoding"] = json!("base64");
    } else {
        file["content"] = json!("");
        file["encoding"] = json!("none");
    }
    json_answer(200, file)
}
