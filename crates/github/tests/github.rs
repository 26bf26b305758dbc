//! The GitHub client against a stand-in for GitHub's REST API (it cannot run here;
//! `tagwright_test_support::github`). The stand-in is kept honest two ways: every answer it gives is
//! validated against GitHub's own OpenAPI description (`@octokit/openapi`, with openapi-core), and
//! PyGithub, a real GitHub client, drives it.

use tagwright_github::{Github, GithubError, NewRelease, RateLimitPolicy, ReleasePatch};
use tagwright_test_support::github::{GithubStandIn, Limit, ListedCommit, ListedPull, TOKEN};
use tagwright_test_support::{node_peers, peer_command, run, workspace_root};

/// Validates every exchange the stand-in recorded against GitHub's OpenAPI description. Returns how
/// many were validated, and the exchanges whose status the description does not document.
fn validate_against_openapi(stand_in: &GithubStandIn) -> (usize, Vec<String>) {
    let exchanges: Vec<serde_json::Value> = stand_in
        .exchanges()
        .iter()
        .map(|e| {
            serde_json::json!({"method": e.method, "path": e.path, "status": e.status,
                "body": String::from_utf8_lossy(&e.body)})
        })
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("exchanges.json");
    std::fs::write(&file, serde_json::to_vec(&exchanges).expect("json")).expect("write");
    let spec = node_peers().join("node_modules/@octokit/openapi/generated/api.github.com.json");
    let script = workspace_root().join("tests/fixtures/github/validate_openapi.py");
    let checked = run(peer_command("python3").arg(&script).arg(&spec).arg(&file));
    assert_eq!(checked.code, 0, "openapi-core:\n{}", checked.stderr);
    let report: serde_json::Value = serde_json::from_str(&checked.stdout).expect("report");
    assert_eq!(
        report["failures"],
        serde_json::json!([]),
        "answers GitHub's OpenAPI description does not allow"
    );
    let undocumented: Vec<String> = report["undocumented"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u.as_str().map(str::to_owned))
        .collect();
    (report["checked"].as_u64().expect("count") as usize - undocumented.len(), undocumented)
}

fn client(stand_in: &GithubStandIn) -> Github {
    Github::new(&stand_in.url(), Some(TOKEN)).expect("client")
}

/// Uses the GitHub stand-in. A release's whole life through our client: found (a draft, through the
/// list), created, assets uploaded through `upload_url` and listed across pages, a duplicate name
/// refused, published, deleted with its tag; rate limits waited out. Every answer is valid for
/// GitHub's OpenAPI description.
#[test]
fn a_release_round_trips_and_every_answer_is_githubs_shape() {
    let stand_in = GithubStandIn::start("acme", "advisoryhub");
    stand_in.add_tag("v1.2.0");
    let github = client(&stand_in);
    // The token's access to the repository (what `tagwright doctor --publish` asks).
    let access = github.access("acme", "advisoryhub").expect("access").expect("the repository");
    assert!(access.pull && access.push, "{access:?}");
    stand_in.read_only(true);
    let access = github.access("acme", "advisoryhub").expect("access").expect("the repository");
    assert!(access.pull && !access.push, "{access:?}");
    stand_in.read_only(false);
    assert_eq!(github.access("acme", "other").expect("access"), None, "another repository: 404");
    assert_eq!(github.release_by_tag("acme", "advisoryhub", "v1.2.0").expect("lookup"), None);
    let mut new = NewRelease::draft("v1.2.0");
    new.body = Some("notes".into());
    let draft = github.create_release("acme", "advisoryhub", &new).expect("create");
    assert!(draft.draft);
    let found = github.release_by_tag("acme", "advisoryhub", "v1.2.0").expect("lookup").expect("the draft");
    assert_eq!(found.id, draft.id);

    stand_in.page_size(2);
    for i in 0..5 {
        let asset = github
            .upload_asset(&draft, &format!("asset {i}.txt"), "text/plain", format!("bytes {i}").as_bytes())
            .expect("upload");
        assert_eq!(asset.name, format!("asset {i}.txt"));
        assert_eq!(asset.size, 7);
    }
    let uploads: Vec<String> = stand_in
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.contains("/assets"))
        .map(|r| r.path.clone())
        .collect();
    assert!(
        uploads.iter().all(|p| p.starts_with("/api/uploads/repos/acme/advisoryhub/releases/")),
        "{uploads:?}"
    );
    assert!(uploads[0].ends_with("/assets?name=asset%200.txt"), "{uploads:?}");
    let assets = github.assets("acme", "advisoryhub", draft.id).expect("assets");
    assert_eq!(assets.len(), 5, "three pages of two");
    assert!(assets[0].digest.as_deref().is_some_and(|d| d.starts_with("sha256:")));
    let duplicate =
        github.upload_asset(&draft, "asset 0.txt", "text/plain", b"other").expect_err("a duplicate");
    assert!(matches!(duplicate, GithubError::Status { status: 422, .. }), "{duplicate}");
    assert!(duplicate.to_string().contains("already_exists"), "{duplicate}");

    stand_in.limit_next(&[Limit::Secondary, Limit::TooMany, Limit::Primary]);
    let published = github
        .update_release("acme", "advisoryhub", draft.id, &ReleasePatch::publish("the notes"))
        .expect("publish");
    assert_eq!((published.draft, published.body.as_deref()), (false, Some("the notes")));
    let by_tag = github.release_by_tag("acme", "advisoryhub", "v1.2.0").expect("lookup").expect("published");
    assert_eq!(by_tag.assets.len(), 5);
    assert!(github.delete_asset("acme", "advisoryhub", assets[0].id).expect("delete"));
    assert!(!github.delete_asset("acme", "advisoryhub", assets[0].id).expect("gone"));
    assert!(github.delete_release("acme", "advisoryhub", draft.id).expect("delete"));
    assert!(!github.delete_release("acme", "advisoryhub", draft.id).expect("gone"));
    assert!(github.delete_tag("acme", "advisoryhub", "v1.2.0").expect("delete tag"));
    assert!(!github.delete_tag("acme", "advisoryhub", "v1.2.0").expect("no tag"));
    assert!(!stand_in.has_tag("v1.2.0"));

    let (validated, undocumented) = validate_against_openapi(&stand_in);
    assert_eq!(validated + undocumented.len(), stand_in.exchanges().len());
    // The description documents no rate-limit answers for this operation: only those three are not
    // validated.
    let limits =
        ["403", "429", "403"].map(|s| format!("PATCH /repos/acme/advisoryhub/releases/{} -> {s}", draft.id));
    assert_eq!(undocumented, limits);
    assert!(validated > 20, "{validated}");
}

/// Uses the GitHub stand-in. Without the right token every call fails with 401 and says what to set;
/// a rate limit further away than the policy waits is an error that says how long.
#[test]
fn bad_tokens_and_long_rate_limits_are_named() {
    let stand_in = GithubStandIn::start("acme", "advisoryhub");
    let anonymous = Github::new(&stand_in.url(), None).expect("client");
    let refused = anonymous.create_release("acme", "advisoryhub", &NewRelease::draft("v1")).expect_err("401");
    assert!(
        refused.to_string().contains("HTTP 401") && refused.to_string().contains("GITHUB_TOKEN"),
        "{refused}"
    );
    let impatient = client(&stand_in)
        .with_rate_limit_policy(RateLimitPolicy { max_wait: std::time::Duration::ZERO, attempts: 1 });
    stand_in.limit_next(&[Limit::Secondary]);
    let limited = impatient.release_by_tag("acme", "advisoryhub", "v1").expect_err("limited");
    assert!(matches!(limited, GithubError::RateLimited { .. }), "{limited}");
    assert!(limited.to_string().contains("secondary rate limit"), "{limited}");
    assert!(client(&stand_in).release_by_tag("acme", "../x", "v1").is_err(), "names are checked before use");
}

/// Uses the GitHub stand-in. PyGithub, a real GitHub client, reads the release our client made and
/// makes one of its own, with an asset uploaded through `upload_url`; our client reads that back.
#[test]
fn pygithub_and_our_client_read_each_others_releases() {
    let stand_in = GithubStandIn::start("acme", "advisoryhub");
    let github = client(&stand_in);
    let mut new = NewRelease::draft("v1.2.0");
    new.body = Some("our notes".into());
    let ours = github.create_release("acme", "advisoryhub", &new).expect("create");
    github.upload_asset(&ours, "checksums.txt", "text/plain", b"0123  chart.tgz\n").expect("upload");
    github
        .update_release("acme", "advisoryhub", ours.id, &ReleasePatch::publish("our notes"))
        .expect("publish");

    let dir = tempfile::tempdir().expect("tempdir");
    let asset = dir.path().join("pygithub.txt");
    std::fs::write(&asset, b"from python\n").expect("write");
    let script = workspace_root().join("tests/fixtures/github/pygithub_release.py");
    let python = run(peer_command("python3")
        .arg(&script)
        .args([&stand_in.url(), TOKEN, "v1.2.0", "v2.0.0"])
        .arg(&asset));
    assert_eq!(python.code, 0, "PyGithub:\n{}\n{}", python.stdout, python.stderr);
    let read: serde_json::Value = serde_json::from_str(&python.stdout).expect("json");
    assert_eq!(read["id"], ours.id);
    assert_eq!(read["body"], "our notes");
    assert_eq!(read["assets"], serde_json::json!([["checksums.txt", 16]]));
    assert_eq!(read["created"]["draft"], false);

    let theirs = github.release_by_tag("acme", "advisoryhub", "v2.0.0").expect("lookup").expect("PyGithub's");
    assert_eq!(theirs.body.as_deref(), Some("published by PyGithub"));
    assert_eq!(theirs.assets.len(), 1);
    assert_eq!(theirs.assets[0].name, "pygithub.txt");
    assert_eq!(stand_in.assets_of("v2.0.0"), [("pygithub.txt".to_owned(), b"from python\n".to_vec())]);
    let (_, undocumented) = validate_against_openapi(&stand_in);
    assert!(undocumented.is_empty(), "{undocumented:?}");
}

/// A hostile server in GitHub's place (a stand-in that lies): a next page on another origin is not
/// followed, so the token never goes there; an endless answer stops at the cap.
#[test]
fn hostile_answers_keep_the_token_home() {
    use tagwright_test_support::hostile::{Hostile, Reply};
    let other = Hostile::start(|_| Reply::json(200, "[]"));
    let link = format!("<http://{}/steal?page=2>; rel=\"next\"", other.host());
    let lying = Hostile::start(move |request| {
        if request.path.contains("/releases/tags/") {
            Reply::json(404, r#"{"message":"Not Found"}"#)
        } else {
            Reply::with(200, &[("Content-Type", "application/json"), ("Link", &link)], b"[]")
        }
    });
    let github = Github::new(&format!("http://{}", lying.host()), Some(TOKEN)).expect("client");
    let refused = github.release_by_tag("acme", "advisoryhub", "v1").expect_err("another origin");
    assert!(refused.to_string().contains("not followed"), "{refused}");
    assert!(other.requests().is_empty(), "nothing, and no token, went to the other origin");

    let endless = Hostile::start(|_| Reply::Endless {
        status: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        chunk: b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".to_vec(),
    });
    let github = Github::new(&format!("http://{}", endless.host()), Some(TOKEN)).expect("client");
    let capped = github.assets("acme", "advisoryhub", 1).expect_err("capped");
    assert!(capped.to_string().contains("larger than"), "{capped}");
}

fn history(stand_in: &GithubStandIn) {
    let commit = |n: u8, login: Option<&str>| ListedCommit {
        sha: format!("{n:02x}").repeat(20),
        login: login.map(str::to_owned),
        date: format!("2026-01-0{n}T10:00:00Z"),
        message: format!("feat: change {n}"),
    };
    stand_in.set_commits(vec![
        commit(5, Some("alice")),
        commit(4, None),
        commit(3, Some("bob")),
        commit(2, Some("alice")),
        commit(1, Some("carol")),
    ]);
    stand_in.set_pulls(vec![
        ListedPull {
            number: 7,
            title: "Add search".into(),
            author: "alice".into(),
            labels: vec!["feature".into(), "api".into()],
            merge_commit_sha: Some("05".repeat(20)),
        },
        ListedPull {
            number: 6,
            title: "Abandoned".into(),
            author: "dave".into(),
            labels: vec![],
            merge_commit_sha: None,
        },
        ListedPull {
            number: 5,
            title: "Fix it".into(),
            author: "bob".into(),
            labels: vec!["bug".into()],
            merge_commit_sha: Some("03".repeat(20)),
        },
    ]);
}

/// Uses the GitHub stand-in. The commit list and the closed pull requests (what release notes credit)
/// are read across pages by our client and by PyGithub alike, without a token (the repository is
/// public); every answer is valid for GitHub's OpenAPI description; a token that is wrong is refused.
#[test]
fn commits_and_closed_pull_requests_are_read_across_pages_by_us_and_by_pygithub() {
    let stand_in = GithubStandIn::start("acme", "advisoryhub");
    history(&stand_in);
    stand_in.page_size(2);
    let anonymous = Github::new(&stand_in.url(), None).expect("client");
    let commits = anonymous.repo_commits("acme", "advisoryhub", None).expect("commits");
    let logins: Vec<Option<&str>> = commits.iter().map(|c| c.login.as_deref()).collect();
    assert_eq!(logins, [Some("alice"), None, Some("bob"), Some("alice"), Some("carol")]);
    assert_eq!(commits[0].date.as_deref(), Some("2026-01-05T10:00:00Z"));
    let from = anonymous.repo_commits("acme", "advisoryhub", Some(&"03".repeat(20))).expect("from a sha");
    assert_eq!(from.len(), 3, "listed from the third commit");
    let pulls = anonymous.closed_pull_requests("acme", "advisoryhub").expect("pulls");
    let read: Vec<String> = pulls
        .iter()
        .map(|p| {
            let merged = p.merge_commit_sha.as_deref().map_or("-", |s| &s[..2]);
            format!("#{} by {:?}, merged {merged}, labels {:?}", p.number, p.author.as_deref(), p.labels)
        })
        .collect();
    assert_eq!(
        read,
        [
            "#7 by Some(\"alice\"), merged 05, labels [\"feature\", \"api\"]",
            "#6 by Some(\"dave\"), merged -, labels []",
            "#5 by Some(\"bob\"), merged 03, labels [\"bug\"]",
        ]
    );
    let script = workspace_root().join("tests/fixtures/github/pygithub_history.py");
    let python = run(peer_command("python3").arg(&script).arg(stand_in.url()));
    assert_eq!(python.code, 0, "PyGithub:\n{}\n{}", python.stdout, python.stderr);
    let theirs: serde_json::Value = serde_json::from_str(&python.stdout).expect("json");
    let their_logins: Vec<Option<&str>> =
        theirs["commits"].as_array().expect("commits").iter().map(|c| c[1].as_str()).collect();
    assert_eq!(their_logins, logins);
    let their_pulls: Vec<i64> =
        theirs["pulls"].as_array().expect("pulls").iter().filter_map(|p| p[0].as_i64()).collect();
    assert_eq!(their_pulls, [7, 6, 5]);
    assert_eq!(theirs["pulls"][0][3], serde_json::json!(["feature", "api"]));
    let (checked, undocumented) = validate_against_openapi(&stand_in);
    assert!(checked >= 10, "{checked} answers validated");
    assert!(undocumented.is_empty(), "{undocumented:?}");

    let wrong = Github::new(&stand_in.url(), Some("ghp_wrong")).expect("client");
    let err = wrong.repo_commits("acme", "advisoryhub", None).expect_err("a wrong token");
    assert!(matches!(err, GithubError::Status { status: 401, .. }), "{err}");
}

/// Issue 21, item 6: a release whose `upload_url` names another host than GitHub's uploads host for
/// the API sends that host nothing: no asset, and no token. Hostile loopback servers.
#[test]
fn an_upload_url_elsewhere_gets_nothing() {
    use tagwright_test_support::hostile::{Hostile, Reply};
    let other = Hostile::start(|_| Reply::json(201, "{}"));
    let release = format!(
        r#"{{"id":1,"tag_name":"v1","draft":true,"prerelease":false,"html_url":"https://github.com/acme/app/releases/v1","upload_url":"http://{}/repos/acme/app/releases/1/assets{{?name,label}}","assets":[]}}"#,
        other.host()
    );
    let lying = Hostile::start(move |_| Reply::json(200, &release));
    let github = Github::new(&format!("http://{}", lying.host()), Some(TOKEN)).expect("client");
    let release = github.release_by_tag("acme", "app", "v1").expect("read").expect("a release");
    let refused = github.upload_asset(&release, "a.txt", "text/plain", b"bytes").expect_err("elsewhere");
    assert!(refused.to_string().contains("not GitHub's uploads host"), "{refused}");
    assert!(other.requests().is_empty(), "nothing, and no token, went to the other host");
}

/// Issue 21, item 6: an API that accepts connections and never answers ends each request, its retries
/// included, at the deadline (before, every attempt waited the whole timeout, five times over).
/// A hostile loopback server.
#[test]
fn a_silent_api_ends_at_the_deadline() {
    use tagwright_test_support::hostile::{Hostile, Reply};
    let silent = Hostile::start(|_| Reply::Silent);
    let deadline = std::time::Duration::from_secs(2);
    let github =
        Github::with_timeout(&format!("http://{}", silent.host()), Some(TOKEN), deadline).expect("client");
    let started = std::time::Instant::now();
    let failed = github.release_by_tag("acme", "app", "v1").expect_err("no answer");
    let took = started.elapsed();
    assert!(failed.to_string().contains("no answer within 2 s"), "{failed}");
    assert!(took >= deadline && took < deadline * 2, "ended at the deadline, not after retries: {took:?}");
}

/// A repository with an SSH-signed annotated tag `v1.2.0` over `src/pkg/__init__.py`, a 1.5 MB file
/// (over what the contents API answers inline), and `.github/workflows/release.yml`.
fn tagged_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let git = |args: &[&str]| {
        tagwright_test_support::run_ok(
            peer_command("git")
                .current_dir(dir.path())
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .args(["-c", "user.name=Rel Eng", "-c", "user.email=rel@example.com"])
                .args(args),
        )
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::create_dir_all(dir.path().join("src/pkg")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join(".github/workflows")).expect("mkdir");
    std::fs::write(dir.path().join("src/pkg/__init__.py"), "__version__ = \"1.2.0\"\n").expect("write");
    std::fs::write(dir.path().join(".github/workflows/release.yml"), "on: push\n").expect("write");
    std::fs::write(dir.path().join("big.bin"), vec![b'x'; 1_500_000]).expect("write");
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "feat: 1.2.0"]);
    let key = tagwright_test_support::ssh_keygen(dir.path(), "signing", "ed25519", "");
    std::fs::write(dir.path().join(".gitignore"), "signing\nsigning.pub\n").expect("write");
    let key = key.to_str().expect("utf-8").to_owned();
    git(&[
        "-c",
        "gpg.format=ssh",
        "-c",
        &format!("user.signingkey={key}"),
        "tag",
        "-s",
        "-m",
        "v1.2.0",
        "v1.2.0",
    ]);
    dir
}

/// Uses the GitHub stand-in, serving a real repository's git data. Our client and PyGithub, both
/// anonymous, read the same ref, tag object (payload and signature as git stores them), tree and blob;
/// the contents API answers `encoding: none` over 1 MB; every answer is GitHub's shape.
#[test]
fn git_data_reads_the_same_through_our_client_and_pygithub() {
    let repo = tagged_repository();
    let stand_in = GithubStandIn::start("acme", "advisoryhub");
    stand_in.serve_git(repo.path());
    let github = Github::new(&stand_in.url(), None).expect("an anonymous client");
    let reference = github.tag_ref("acme", "advisoryhub", "v1.2.0").expect("ref").expect("the tag");
    assert_eq!(reference.object.kind, "tag");
    let tag = github.git_tag("acme", "advisoryhub", &reference.object.sha).expect("tag").expect("object");
    let raw = run(peer_command("git").current_dir(repo.path()).args(["cat-file", "tag", "v1.2.0"])).stdout;
    let verification = &tag.verification;
    let (payload, signature) =
        (verification.payload.as_deref().expect("payload"), verification.signature.as_deref().expect("sig"));
    assert_eq!(format!("{payload}{signature}"), raw, "payload and signature are the tag object, split");
    assert!(verification.verified && verification.reason == "valid");
    let commit =
        github.git_commit("acme", "advisoryhub", &tag.object.sha).expect("commit").expect("the commit");
    let tree = github.git_tree("acme", "advisoryhub", &commit.tree.sha).expect("tree").expect("the tree");
    let entries = &tree.tree;
    let init = entries.iter().find(|e| e.path == "src/pkg/__init__.py").expect("the module");
    assert_eq!(init.size, Some(22));
    let blob = github.git_blob("acme", "advisoryhub", &init.sha, 1024).expect("blob");
    assert_eq!(blob, b"__version__ = \"1.2.0\"\n");
    let big = entries.iter().find(|e| e.path == "big.bin").expect("the big file");
    let capped = github.git_blob("acme", "advisoryhub", &big.sha, 1024).expect_err("over the cap");
    assert!(capped.to_string().contains("larger than 1024 bytes"), "{capped}");
    assert!(
        github.git_tag("acme", "advisoryhub", "../../releases").is_err(),
        "not an object id: nothing sent"
    );

    let script = workspace_root().join("tests/fixtures/github/pygithub_git.py");
    let python = run(peer_command("python3").arg(&script).args([
        &stand_in.url(),
        "v1.2.0",
        "src/pkg/__init__.py",
        "big.bin",
    ]));
    assert_eq!(python.code, 0, "PyGithub:\n{}\n{}", python.stdout, python.stderr);
    let theirs: serde_json::Value = serde_json::from_str(&python.stdout).expect("json");
    assert_eq!(theirs["object"], serde_json::json!(["tag", reference.object.sha]));
    assert_eq!(theirs["tagged"], serde_json::json!(["commit", tag.object.sha]));
    assert_eq!(theirs["verification"]["payload"], payload);
    assert_eq!(theirs["tree"], commit.tree.sha);
    let ours: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    let mut sorted = ours.clone();
    sorted.sort_unstable();
    assert_eq!(theirs["paths"], serde_json::json!(sorted));
    assert_eq!(theirs["blob"], "__version__ = \"1.2.0\"\n");
    assert_eq!(theirs["contents"], "__version__ = \"1.2.0\"\n");
    assert_eq!(theirs["large"], serde_json::json!(["none", 1_500_000]));
    assert_eq!(theirs["listing"], serde_json::json!(["__init__.py"]));
    let (checked, undocumented) = validate_against_openapi(&stand_in);
    assert!(checked >= 10, "{checked} answers validated");
    assert!(undocumented.is_empty(), "{undocumented:?}");
}
