//! A stand-in for GitHub's REST API (it cannot run here), on loopback: releases, release assets and
//! their uploads, git tag refs, the commit list and closed pull requests (what git-cliff's GitHub
//! integration reads), and the rate-limit headers, shaped as GitHub's OpenAPI description
//! (`@octokit/openapi`) states them. Every exchange is recorded, so that a test can validate each
//! response against that description (`crates/github/tests/github.rs` does, with openapi-core), and
//! PyGithub drives it as it drives GitHub.
//!
//! Knobs make it paginate in small pages and answer the next request with a rate limit.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::github_wire::{error, login_user, percent_decode, percent_encode, sha256_hex, user};
use crate::http::{HttpServer, Request, Response};

/// The token the stand-in accepts.
pub const TOKEN: &str = "ghp_standintoken0000000000000000000000";
const CREATED: &str = "2026-01-01T10:00:00Z";

/// A rate limit to answer the next request with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// A secondary rate limit: 403 with `retry-after: 0`.
    Secondary,
    /// The primary rate limit: 403 with `x-ratelimit-remaining: 0` and a reset that is now.
    Primary,
    /// 429 with `retry-after: 0`.
    TooMany,
}

/// One request and the stand-in's answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The method.
    pub method: String,
    /// The path with its query.
    pub path: String,
    /// The status.
    pub status: u16,
    /// The answer's body (JSON, or empty).
    pub body: Vec<u8>,
}

#[derive(Debug, Clone)]
struct StoredAsset {
    id: u64,
    release: u64,
    state: &'static str,
    name: String,
    content_type: String,
    bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
struct StoredRelease {
    id: u64,
    tag: String,
    name: Option<String>,
    body: Option<String>,
    draft: bool,
    prerelease: bool,
    immutable: bool,
}

/// A commit the stand-in lists.
#[derive(Debug, Clone)]
pub struct ListedCommit {
    /// The full SHA.
    pub sha: String,
    /// The author's GitHub login (`None`: GitHub matched no account).
    pub login: Option<String>,
    /// The author date, RFC 3339.
    pub date: String,
    /// The message.
    pub message: String,
}

/// A closed pull request the stand-in lists.
#[derive(Debug, Clone)]
pub struct ListedPull {
    /// Its number.
    pub number: u64,
    /// Its title.
    pub title: String,
    /// Who opened it.
    pub author: String,
    /// Its labels.
    pub labels: Vec<String>,
    /// The commit that merged it (`None`: closed without merging).
    pub merge_commit_sha: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    base: String,
    owner: String,
    repo: String,
    releases: Vec<StoredRelease>,
    assets: Vec<StoredAsset>,
    tags: BTreeSet<String>,
    commits: Vec<ListedCommit>,
    pulls: Vec<ListedPull>,
    next_id: u64,
    page_size: usize,
    limits: Vec<Limit>,
    remaining: u64,
    raw: Option<Vec<u8>>,
    /// Writes still allowed before every write fails (`None`: no fault).
    writes_left: Option<usize>,
    /// The token may read, not write (`permissions.push` is false).
    read_only: bool,
    /// The repository whose git data is served (`None`: tags are names only).
    git: Option<crate::github_git::GitData>,
    exchanges: Vec<Exchange>,
}

/// The running stand-in, for one repository.
#[derive(Debug)]
pub struct GithubStandIn {
    server: HttpServer,
    state: Arc<Mutex<State>>,
}

impl State {
    fn repo_url(&self) -> String {
        format!("{}/repos/{}/{}", self.base, self.owner, self.repo)
    }

    fn asset_json(&self, asset: &StoredAsset) -> Value {
        json!({
            "url": format!("{}/releases/assets/{}", self.repo_url(), asset.id),
            "browser_download_url": format!("https://github.com/{}/{}/releases/download/{}/{}",
                self.owner, self.repo, self.releases.iter().find(|r| r.id == asset.release).map_or("", |r| r.tag.as_str()),
                percent_encode(&asset.name)),
            "id": asset.id,
            "node_id": format!("RA_{}", asset.id),
            "name": asset.name,
            "label": Value::Null,
            "state": asset.state,
            "content_type": asset.content_type,
            "size": asset.bytes.len(),
            "digest": format!("sha256:{}", sha256_hex(&asset.bytes)),
            "download_count": 0,
            "created_at": CREATED,
            "updated_at": CREATED,
            "uploader": user(&self.base)
        })
    }

    fn release_json(&self, release: &StoredRelease) -> Value {
        let url = format!("{}/releases/{}", self.repo_url(), release.id);
        let assets: Vec<Value> =
            self.assets.iter().filter(|a| a.release == release.id).map(|a| self.asset_json(a)).collect();
        json!({
            "url": url,
            "html_url": format!("https://github.com/{}/{}/releases/tag/{}", self.owner, self.repo, release.tag),
            "assets_url": format!("{url}/assets"),
            "upload_url": format!("{}/api/uploads/repos/{}/{}/releases/{}/assets{{?name,label}}", self.base, self.owner, self.repo, release.id),
            "tarball_url": format!("{}/tarball/{}", self.repo_url(), release.tag),
            "zipball_url": format!("{}/zipball/{}", self.repo_url(), release.tag),
            "id": release.id,
            "node_id": format!("RE_{}", release.id),
            "tag_name": release.tag,
            "target_commitish": "main",
            "name": release.name,
            "body": release.body,
            "draft": release.draft,
            "prerelease": release.prerelease,
            "immutable": release.immutable,
            "created_at": CREATED,
            "published_at": if release.draft { Value::Null } else { CREATED.into() },
            "author": user(&self.base),
            "assets": assets
        })
    }

    /// A `repository`, as a pull request's `head.repo` and `base.repo` carry it.
    fn repository_json(&self) -> Value {
        let url = self.repo_url();
        let full = format!("{}/{}", self.owner, self.repo);
        let mut repo = json!({
            "id": 1_296_269, "node_id": "R_kgDOAAAAAQ", "name": self.repo, "full_name": full,
            "owner": login_user(&self.base, &self.owner), "private": false,
            "html_url": format!("https://github.com/{full}"), "description": null, "fork": false, "url": url,
            "clone_url": format!("https://github.com/{full}.git"), "git_url": format!("git://github.com/{full}.git"),
            "ssh_url": format!("git@github.com:{full}.git"), "svn_url": format!("https://github.com/{full}"),
            "mirror_url": null, "homepage": null, "language": "Rust", "forks": 0, "forks_count": 0,
            "stargazers_count": 0, "watchers_count": 0, "watchers": 0, "size": 1, "default_branch": "main",
            "open_issues": 0, "open_issues_count": 0, "has_issues": true, "has_projects": false, "has_wiki": false,
            "has_pages": false, "has_downloads": true, "archived": false, "disabled": false, "license": null,
            "pushed_at": CREATED, "created_at": CREATED, "updated_at": CREATED
        });
        let templates = [
            ("archive_url", "/{archive_format}{/ref}"),
            ("assignees_url", "/assignees{/user}"),
            ("blobs_url", "/git/blobs{/sha}"),
            ("branches_url", "/branches{/branch}"),
            ("collaborators_url", "/collaborators{/collaborator}"),
            ("comments_url", "/comments{/number}"),
            ("commits_url", "/commits{/sha}"),
            ("compare_url", "/compare/{base}...{head}"),
            ("contents_url", "/contents/{+path}"),
            ("contributors_url", "/contributors"),
            ("deployments_url", "/deployments"),
            ("downloads_url", "/downloads"),
            ("events_url", "/events"),
            ("forks_url", "/forks"),
            ("git_commits_url", "/git/commits{/sha}"),
            ("git_refs_url", "/git/refs{/sha}"),
            ("git_tags_url", "/git/tags{/sha}"),
            ("hooks_url", "/hooks"),
            ("issue_comment_url", "/issues/comments{/number}"),
            ("issue_events_url", "/issues/events{/number}"),
            ("issues_url", "/issues{/number}"),
            ("keys_url", "/keys{/key_id}"),
            ("labels_url", "/labels{/name}"),
            ("languages_url", "/languages"),
            ("merges_url", "/merges"),
            ("milestones_url", "/milestones{/number}"),
            ("notifications_url", "/notifications{?since,all,participating}"),
            ("pulls_url", "/pulls{/number}"),
            ("releases_url", "/releases{/id}"),
            ("stargazers_url", "/stargazers"),
            ("statuses_url", "/statuses/{sha}"),
            ("subscribers_url", "/subscribers"),
            ("subscription_url", "/subscription"),
            ("tags_url", "/tags"),
            ("teams_url", "/teams"),
            ("trees_url", "/git/trees{/sha}"),
        ];
        for (key, suffix) in templates {
            repo[key] = Value::String(format!("{url}{suffix}"));
        }
        repo
    }

    /// A `commit`, as `GET /repos/{owner}/{repo}/commits` lists it.
    fn commit_json(&self, commit: &ListedCommit) -> Value {
        let url = self.repo_url();
        let sha = &commit.sha;
        // An author GitHub matched to no account is null, as GitHub sends it.
        let author = commit.login.as_deref().map_or(Value::Null, |login| login_user(&self.base, login));
        let person = json!({"name": "Rel Eng", "email": "rel@example.com", "date": commit.date});
        json!({
            "url": format!("{url}/commits/{sha}"), "sha": sha, "node_id": format!("C_{}", &sha[..12]),
            "html_url": format!("https://github.com/{}/{}/commit/{sha}", self.owner, self.repo),
            "comments_url": format!("{url}/commits/{sha}/comments"),
            "commit": {
                "url": format!("{url}/git/commits/{sha}"), "author": person, "committer": person,
                "message": commit.message, "comment_count": 0,
                "tree": {"sha": sha256_hex(sha.as_bytes())[..40].to_owned(), "url": format!("{url}/git/trees/{sha}")},
                "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null}
            },
            "author": author, "committer": author, "parents": []
        })
    }

    /// A `pull-request-simple`, as `GET /repos/{owner}/{repo}/pulls` lists it.
    fn pull_json(&self, pull: &ListedPull) -> Value {
        let url = self.repo_url();
        let n = pull.number;
        let html = format!("https://github.com/{}/{}/pull/{n}", self.owner, self.repo);
        let labels: Vec<Value> = pull
            .labels
            .iter()
            .enumerate()
            .map(|(i, name)| json!({"id": 208_045_946 + i, "node_id": format!("LA_{i}"), "url": format!("{url}/labels/{}", percent_encode(name)), "name": name, "description": "", "color": "f29513", "default": false}))
            .collect();
        let branch = |name: &str| json!({"label": format!("{}:{name}", self.owner), "ref": name, "sha": pull.merge_commit_sha.clone().unwrap_or_else(|| "0".repeat(40)), "user": login_user(&self.base, &self.owner), "repo": self.repository_json()});
        let link = |href: String| json!({"href": href});
        let statuses = format!("{url}/statuses/{}", pull.merge_commit_sha.clone().unwrap_or_default());
        let links = json!({
            "self": link(format!("{url}/pulls/{n}")), "html": link(html.clone()), "issue": link(format!("{url}/issues/{n}")),
            "comments": link(format!("{url}/issues/{n}/comments")), "review_comments": link(format!("{url}/pulls/{n}/comments")),
            "review_comment": link(format!("{url}/pulls/comments{{/number}}")), "commits": link(format!("{url}/pulls/{n}/commits")),
            "statuses": link(statuses.clone())
        });
        let mut pr = json!({
            "url": format!("{url}/pulls/{n}"), "id": 1_000_000 + n, "node_id": format!("PR_{n}"), "html_url": html,
            "diff_url": format!("{html}.diff"), "patch_url": format!("{html}.patch"), "issue_url": format!("{url}/issues/{n}"),
            "commits_url": format!("{url}/pulls/{n}/commits"), "review_comments_url": format!("{url}/pulls/{n}/comments"),
            "review_comment_url": format!("{url}/pulls/comments{{/number}}"), "comments_url": format!("{url}/issues/{n}/comments"),
            "statuses_url": statuses, "number": n, "state": "closed", "locked": false, "title": pull.title,
            "user": login_user(&self.base, &pull.author), "body": null, "labels": labels, "milestone": null
        });
        let rest = json!({
            "active_lock_reason": null, "created_at": CREATED, "updated_at": CREATED, "closed_at": CREATED,
            "merged_at": pull.merge_commit_sha.as_ref().map(|_| CREATED), "merge_commit_sha": pull.merge_commit_sha,
            "assignee": null, "assignees": [], "requested_reviewers": [], "requested_teams": [],
            "head": branch(&format!("pr-{n}")), "base": branch("main"), "_links": links,
            "author_association": "CONTRIBUTOR", "auto_merge": null, "draft": false
        });
        if let (Value::Object(pr), Value::Object(rest)) = (&mut pr, rest) {
            pr.extend(rest);
        }
        pr
    }

    /// One page of `items` (`?page=N`), and the `Link` header to the next.
    fn page(&self, path: &str, items: Vec<Value>) -> (Value, Option<String>) {
        let query = path.split_once('?').map_or("", |(_, q)| q);
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|p| p.strip_prefix(&format!("{name}=")))
                .and_then(|v| v.parse::<usize>().ok())
        };
        let size = self.page_size.min(param("per_page").unwrap_or(30)).max(1);
        let page = param("page").unwrap_or(1).max(1);
        let start = (page - 1) * size;
        let slice: Vec<Value> = items.iter().skip(start).take(size).cloned().collect();
        let next = (start + size < items.len()).then(|| {
            // As GitHub: the other query parameters (`state`, `sha`) stay.
            let bare = path.split('?').next().unwrap_or(path);
            let kept: String = query
                .split('&')
                .filter(|p| !p.is_empty() && !p.starts_with("page=") && !p.starts_with("per_page="))
                .map(|p| format!("{p}&"))
                .collect();
            format!("<{}{bare}?{kept}per_page={size}&page={}>; rel=\"next\"", self.base, page + 1)
        });
        (Value::Array(slice), next)
    }

    fn handle(&mut self, request: &Request) -> (u16, Value, Vec<(String, String)>) {
        let mut headers = Vec::new();
        let path = request.path.split('?').next().unwrap_or_default().to_owned();
        let repo = format!("/repos/{}/{}", self.owner, self.repo);
        let uploads = format!("/api/uploads{repo}/releases/");
        let rest = path.strip_prefix(&repo).map(str::to_owned);
        // The repository is public: anything in it can be read without a token, as on GitHub; a token
        // that is sent must be right.
        let public = request.method == "GET" && rest.is_some();
        let authorization = request.header("authorization").unwrap_or_default();
        let authorized =
            authorization == format!("Bearer {TOKEN}") || authorization == format!("token {TOKEN}");
        let anonymous_read = public && authorization.is_empty();
        if !(authorized || anonymous_read) {
            let (status, body) = error(401, "Bad credentials");
            return (status, body, headers);
        }
        let full = request.path.strip_prefix(&repo).unwrap_or_default();
        if request.method == "GET"
            && let Some(git) = &self.git
            && let Some(answer) = git.route(&self.repo_url(), full, request.header("accept"))
        {
            self.raw = answer.raw;
            return (answer.status, answer.body, answer.headers);
        }
        let (status, body) = match (request.method.as_str(), rest.as_deref()) {
            ("GET", Some("")) => {
                // A `full-repository`: a `repository` and three counts, with the token's permissions.
                let mut repo = self.repository_json();
                repo.as_object_mut().expect("an object").extend([
                    ("has_discussions".to_owned(), json!(false)),
                    ("network_count".to_owned(), json!(0)),
                    ("subscribers_count".to_owned(), json!(0)),
                    (
                        "permissions".to_owned(),
                        json!({"admin": false, "maintain": false, "push": !self.read_only, "triage": true, "pull": true}),
                    ),
                ]);
                (200, repo)
            }
            ("GET", Some("/commits")) => {
                // From `sha` when it names a listed commit (the list is newest first, one line of history).
                let query = request.path.split_once('?').map_or("", |(_, q)| q);
                let from = query.split('&').find_map(|p| p.strip_prefix("sha=")).unwrap_or_default();
                let start = self.commits.iter().position(|c| c.sha == from).unwrap_or(0);
                let items: Vec<Value> = self.commits[start..].iter().map(|c| self.commit_json(c)).collect();
                self.paged(&request.path, items, &mut headers)
            }
            ("GET", Some("/pulls")) => {
                let items: Vec<Value> = self.pulls.iter().map(|p| self.pull_json(p)).collect();
                self.paged(&request.path, items, &mut headers)
            }
            ("GET", Some("/releases")) => {
                let items: Vec<Value> = self.releases.iter().rev().map(|r| self.release_json(r)).collect();
                self.paged(&request.path, items, &mut headers)
            }
            ("POST", Some("/releases")) => self.create(&request.body),
            (method, Some(rest)) if rest.starts_with("/releases/tags/") && method == "GET" => {
                let tag = percent_decode(&rest["/releases/tags/".len()..]);
                match self.releases.iter().find(|r| r.tag == tag && !r.draft) {
                    Some(release) => (200, self.release_json(release)),
                    None => error(404, "Not Found"),
                }
            }
            (method, Some(rest)) if rest.starts_with("/releases/assets/") => {
                let id = rest["/releases/assets/".len()..].parse::<u64>().unwrap_or(0);
                let octets = request.header("accept") == Some("application/octet-stream");
                match (method, self.assets.iter().position(|a| a.id == id)) {
                    ("GET", Some(i)) if octets => {
                        // The bytes themselves (GitHub redirects to its storage; one hop less here).
                        self.raw = Some(self.assets[i].bytes.clone());
                        (200, Value::Null)
                    }
                    ("GET", Some(i)) => (200, self.asset_json(&self.assets[i])),
                    ("DELETE", Some(i)) => {
                        self.assets.remove(i);
                        (204, Value::Null)
                    }
                    _ => error(404, "Not Found"),
                }
            }
            (method, Some(rest)) if rest.starts_with("/releases/") => {
                self.release_route(method, &rest["/releases/".len()..], request, &mut headers)
            }
            ("GET", Some(rest)) if rest.starts_with("/git/ref/tags/") => {
                let tag = percent_decode(&rest["/git/ref/tags/".len()..]);
                if self.tags.contains(&tag) {
                    let sha = sha256_hex(tag.as_bytes())[..40].to_owned();
                    (
                        200,
                        json!({
                            "ref": format!("refs/tags/{tag}"),
                            "node_id": format!("REF_{}", &sha[..12]),
                            "url": format!("{}/git/refs/tags/{}", self.repo_url(), percent_encode(&tag)),
                            "object": {"type": "tag", "sha": sha, "url": format!("{}/git/tags/{sha}", self.repo_url())}
                        }),
                    )
                } else {
                    error(404, "Not Found")
                }
            }
            ("DELETE", Some(rest)) if rest.starts_with("/git/refs/tags/") => {
                let tag = percent_decode(&rest["/git/refs/tags/".len()..]);
                if self.tags.remove(&tag) {
                    (204, Value::Null)
                } else {
                    error(422, "Reference does not exist")
                }
            }
            ("POST", None) if path.starts_with(&uploads) && path.ends_with("/assets") => {
                self.upload(request, &uploads)
            }
            _ => error(404, "Not Found"),
        };
        (status, body, headers)
    }

    /// `/releases/{id}` and `/releases/{id}/assets`.
    fn release_route(
        &mut self,
        method: &str,
        tail: &str,
        request: &Request,
        headers: &mut Vec<(String, String)>,
    ) -> (u16, Value) {
        let (id, sub) = tail.split_once('/').unwrap_or((tail, ""));
        let id = id.parse::<u64>().unwrap_or(0);
        let Some(index) = self.releases.iter().position(|r| r.id == id) else {
            return error(404, "Not Found");
        };
        match (method, sub) {
            ("GET", "") => (200, self.release_json(&self.releases[index])),
            ("PATCH", "") => self.update(index, &request.body),
            ("DELETE", "") if self.releases[index].immutable => {
                error(422, "Cannot delete an immutable release")
            }
            ("DELETE", "") => {
                self.releases.remove(index);
                self.assets.retain(|a| a.release != id);
                (204, Value::Null)
            }
            ("GET", "assets") => {
                let items: Vec<Value> =
                    self.assets.iter().filter(|a| a.release == id).map(|a| self.asset_json(a)).collect();
                self.paged(&request.path, items, headers)
            }
            _ => error(404, "Not Found"),
        }
    }

    /// A page of `items` as the request's `page`/`per_page` ask, with its `Link` header.
    fn paged(&self, path: &str, items: Vec<Value>, headers: &mut Vec<(String, String)>) -> (u16, Value) {
        let (page, next) = self.page(path, items);
        if let Some(link) = next {
            headers.push(("Link".to_owned(), link));
        }
        (200, page)
    }

    fn create(&mut self, body: &[u8]) -> (u16, Value) {
        let Ok(input) = serde_json::from_slice::<Value>(body) else {
            return error(400, "Problems parsing JSON");
        };
        let Some(tag) = input["tag_name"].as_str().filter(|t| !t.is_empty()) else {
            return error(422, "Validation Failed");
        };
        if self.releases.iter().any(|r| r.tag == tag) {
            return (
                422,
                json!({"message": "Validation Failed", "documentation_url": "https://docs.github.com/rest",
                "errors": [{"resource": "Release", "code": "already_exists", "field": "tag_name"}]}),
            );
        }
        self.next_id += 1;
        let release = StoredRelease {
            id: self.next_id,
            tag: tag.to_owned(),
            name: input["name"].as_str().map(str::to_owned),
            body: input["body"].as_str().map(str::to_owned),
            draft: input["draft"].as_bool().unwrap_or(false),
            prerelease: input["prerelease"].as_bool().unwrap_or(false),
            immutable: false,
        };
        self.tags.insert(tag.to_owned());
        let json = self.release_json(&release);
        self.releases.push(release);
        (201, json)
    }

    fn update(&mut self, index: usize, body: &[u8]) -> (u16, Value) {
        let Ok(input) = serde_json::from_slice::<Value>(body) else {
            return error(400, "Problems parsing JSON");
        };
        if self.releases[index].immutable {
            return error(422, "Cannot modify an immutable release");
        }
        let release = &mut self.releases[index];
        if let Some(name) = input["name"].as_str() {
            release.name = Some(name.to_owned());
        }
        if let Some(body) = input["body"].as_str() {
            release.body = Some(body.to_owned());
        }
        if let Some(draft) = input["draft"].as_bool() {
            release.draft = draft;
        }
        let release = self.releases[index].clone();
        (200, self.release_json(&release))
    }

    fn upload(&mut self, request: &Request, uploads: &str) -> (u16, Value) {
        let path = request.path.split('?').next().unwrap_or_default();
        let id = path[uploads.len()..].trim_end_matches("/assets").parse::<u64>().unwrap_or(0);
        if !self.releases.iter().any(|r| r.id == id) {
            return error(404, "Not Found");
        }
        let query = request.path.split_once('?').map_or("", |(_, q)| q);
        let Some(name) = query.split('&').find_map(|p| p.strip_prefix("name=")).map(percent_decode) else {
            return error(422, "Validation Failed");
        };
        if self.assets.iter().any(|a| a.release == id && a.name == name) {
            return (
                422,
                json!({"message": "Validation Failed", "documentation_url": "https://docs.github.com/rest",
                "errors": [{"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}]}),
            );
        }
        self.next_id += 1;
        let asset = StoredAsset {
            id: self.next_id,
            release: id,
            state: "uploaded",
            name,
            content_type: request.header("content-type").unwrap_or("application/octet-stream").to_owned(),
            bytes: request.body.clone(),
        };
        let json = self.asset_json(&asset);
        self.assets.push(asset);
        (201, json)
    }
}

impl GithubStandIn {
    /// Starts the stand-in for `owner/repo`, with no releases.
    pub fn start(owner: &str, repo: &str) -> GithubStandIn {
        let state = Arc::new(Mutex::new(State {
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            next_id: 1000,
            page_size: 100,
            remaining: 5000,
            ..State::default()
        }));
        let shared = Arc::clone(&state);
        let server = HttpServer::start(move |request: &Request| {
            let mut state = shared.lock().expect("state");
            state.remaining = state.remaining.saturating_sub(1);
            let reset =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
            let mut rate = vec![
                ("x-ratelimit-limit".to_owned(), "5000".to_owned()),
                ("x-ratelimit-resource".to_owned(), "core".to_owned()),
                ("x-ratelimit-reset".to_owned(), (reset + 3600).to_string()),
            ];
            let write = request.method != "GET";
            let faulted = write && state.writes_left == Some(0);
            if write && let Some(left) = state.writes_left.as_mut() {
                *left = left.saturating_sub(1);
            }
            let (status, body, mut headers) = if faulted {
                rate.push(("x-ratelimit-remaining".to_owned(), state.remaining.to_string()));
                let (s, b) = error(403, "Resource not accessible by integration (an injected fault)");
                (s, b, Vec::new())
            } else if state.limits.is_empty() {
                rate.push(("x-ratelimit-remaining".to_owned(), state.remaining.to_string()));
                state.handle(request)
            } else {
                let limit = state.limits.remove(0);
                let message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.";
                match limit {
                    Limit::Secondary => {
                        rate.push(("x-ratelimit-remaining".to_owned(), state.remaining.to_string()));
                        let (s, b) = error(403, message);
                        (s, b, vec![("retry-after".to_owned(), "0".to_owned())])
                    }
                    Limit::TooMany => {
                        rate.push(("x-ratelimit-remaining".to_owned(), state.remaining.to_string()));
                        let (s, b) = error(429, message);
                        (s, b, vec![("retry-after".to_owned(), "0".to_owned())])
                    }
                    Limit::Primary => {
                        rate.retain(|(k, _)| k != "x-ratelimit-reset");
                        rate.push(("x-ratelimit-remaining".to_owned(), "0".to_owned()));
                        rate.push(("x-ratelimit-reset".to_owned(), reset.to_string()));
                        let (s, b) = error(403, "API rate limit exceeded for installation ID 1.");
                        (s, b, Vec::new())
                    }
                }
            };
            headers.extend(rate);
            let raw = state.raw.take();
            let bytes = match &raw {
                Some(raw) => raw.clone(),
                None if body.is_null() => Vec::new(),
                None => body.to_string().into_bytes(),
            };
            // Downloads of an asset's raw bytes are not JSON documents: not recorded for validation.
            if raw.is_none() {
                state.exchanges.push(Exchange {
                    method: request.method.clone(),
                    path: request.path.clone(),
                    status,
                    body: bytes.clone(),
                });
            }
            let mut response = Response::json(status, "");
            if raw.is_some() {
                response.headers = vec![("Content-Type".to_owned(), "application/octet-stream".to_owned())];
            }
            response.body = bytes;
            response.headers.extend(headers);
            response
        });
        state.lock().expect("state").base = server.url();
        GithubStandIn { server, state }
    }

    /// The API's base URL (`GITHUB_API_URL`).
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Lists these commits (newest first, as `git log` prints them) from now on.
    pub fn set_commits(&self, commits: Vec<ListedCommit>) {
        self.state.lock().expect("state").commits = commits;
    }

    /// Lists these closed pull requests (newest first) from now on.
    pub fn set_pulls(&self, pulls: Vec<ListedPull>) {
        self.state.lock().expect("state").pulls = pulls;
    }

    /// Pages hold at most `size` items from now on.
    pub fn page_size(&self, size: usize) {
        self.state.lock().expect("state").page_size = size;
    }

    /// The next requests are answered with these rate limits, in order.
    pub fn limit_next(&self, limits: &[Limit]) {
        self.state.lock().expect("state").limits.extend_from_slice(limits);
    }

    /// From now on, the first `allowed` writes succeed and every later one fails with 403: a release
    /// interrupted at that boundary.
    pub fn fail_writes_after(&self, allowed: usize) {
        self.state.lock().expect("state").writes_left = Some(allowed);
    }

    /// The token may only read the repository (`permissions.push` false), or write again.
    pub fn read_only(&self, read_only: bool) {
        self.state.lock().expect("state").read_only = read_only;
    }

    /// Writes succeed again.
    pub fn heal(&self) {
        self.state.lock().expect("state").writes_left = None;
    }

    /// Serves the git data (tag refs, tag objects with GitHub's verification, commits, trees, blobs,
    /// contents) of the repository at `repo`, as GitHub serves a public repository's.
    pub fn serve_git(&self, repo: &std::path::Path) {
        self.state.lock().expect("state").git =
            Some(crate::github_git::GitData { repo: repo.to_owned(), known_key: true, faults: Vec::new() });
    }

    /// Whether GitHub "knows" the tags' signing key (its `verification.verified`); known by default.
    pub fn know_signing_key(&self, known: bool) {
        if let Some(git) = self.state.lock().expect("state").git.as_mut() {
            git.known_key = known;
        }
    }

    /// Makes the git data lie (see [`crate::github_git::GitFault`]).
    pub fn git_fault(&self, fault: crate::github_git::GitFault) {
        if let Some(git) = self.state.lock().expect("state").git.as_mut() {
            git.faults.push(fault);
        }
    }

    /// Adds the tag `refs/tags/{tag}` (as a push would).
    pub fn add_tag(&self, tag: &str) {
        self.state.lock().expect("state").tags.insert(tag.to_owned());
    }

    /// Whether the tag exists.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.state.lock().expect("state").tags.contains(tag)
    }

    /// Marks the release of `tag` immutable.
    pub fn make_immutable(&self, tag: &str) {
        let mut state = self.state.lock().expect("state");
        if let Some(release) = state.releases.iter_mut().find(|r| r.tag == tag) {
            release.immutable = true;
        }
    }

    /// Leaves an asset `name` on `tag`'s release as an interrupted upload leaves it: state `starter`,
    /// with only `bytes` of it.
    pub fn add_partial_asset(&self, tag: &str, name: &str, bytes: &[u8]) {
        self.push_asset(tag, name, bytes, "starter");
    }

    /// Adds an uploaded asset `name` to `tag`'s release even when one of that name is there, as a
    /// hostile forge (or a race GitHub lost) could list it.
    pub fn add_asset_unchecked(&self, tag: &str, name: &str, bytes: &[u8]) {
        self.push_asset(tag, name, bytes, "uploaded");
    }

    /// Stores an asset of `tag`'s release in `state` without any of the upload endpoint's checks.
    fn push_asset(&self, tag: &str, name: &str, bytes: &[u8], asset_state: &'static str) {
        let mut state = self.state.lock().expect("state");
        let Some(release) = state.releases.iter().find(|r| r.tag == tag).map(|r| r.id) else { return };
        state.next_id += 1;
        let id = state.next_id;
        state.assets.push(StoredAsset {
            id,
            release,
            state: asset_state,
            name: name.to_owned(),
            content_type: "application/octet-stream".to_owned(),
            bytes: bytes.to_vec(),
        });
    }

    /// `(name, bytes)` of the assets of `tag`'s release.
    pub fn assets_of(&self, tag: &str) -> Vec<(String, Vec<u8>)> {
        let state = self.state.lock().expect("state");
        let Some(release) = state.releases.iter().find(|r| r.tag == tag) else { return Vec::new() };
        state
            .assets
            .iter()
            .filter(|a| a.release == release.id)
            .map(|a| (a.name.clone(), a.bytes.clone()))
            .collect()
    }

    /// The release of `tag`: `(draft, body)`.
    pub fn release_state(&self, tag: &str) -> Option<(bool, Option<String>)> {
        let state = self.state.lock().expect("state");
        state.releases.iter().find(|r| r.tag == tag).map(|r| (r.draft, r.body.clone()))
    }

    /// Every exchange so far, in order.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.state.lock().expect("state").exchanges.clone()
    }

    /// Requests the stand-in served, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.server.requests()
    }
}
