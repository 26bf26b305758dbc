//! Uses the GitHub stand-in (`tagwright_test_support::github`; GitHub cannot run here). git-cliff
//! 2.14.2 and `release-notes` both ask it, through `GITHUB_API_URL`, for the commits' GitHub logins
//! and the closed pull requests, and must print byte-identical notes and `--context` (pull request
//! numbers, titles, labels and authors on commits; `github.contributors` with first-timers). The
//! stand-in's answers are checked against GitHub's OpenAPI description and PyGithub in
//! `crates/github/tests/github.rs`.

use std::path::Path;

use tagwright_test_support::github::{GithubStandIn, ListedCommit, ListedPull, TOKEN};
use tagwright_test_support::{Run, cargo_bin, peer_command, run, run_ok};

/// A template that reads everything git-cliff's GitHub integration adds.
const TEMPLATE: &str = r#"
[changelog]
body = """
## {{ version | default(value="Unreleased") }}
{% for commit in commits %}
* {{ commit.message | split(pat="\n") | first | trim }}\
{% if commit.remote.username %} by @{{ commit.remote.username }}{% endif %}\
{% if commit.remote.pr_number %} in #{{ commit.remote.pr_number }} ({{ commit.remote.pr_title }}, opened by {{ commit.remote.pr_author }}, labels: {{ commit.remote.pr_labels | join(sep=",") }}){% endif %}\
{% endfor %}
{% for contributor in github.contributors %}
- @{{ contributor.username | default(value="?") }} prs={{ contributor.pr_numbers | join(sep=",") }} first={{ contributor.is_first_time }}
{%- endfor %}
"""
[git]
conventional_commits = false
"#;

const AUTHORS: [(&str, &str, Option<&str>); 5] = [
    ("Alice", "alice@example.com", Some("alice")),
    ("Bob", "bob@example.com", Some("bob")),
    ("Carol", "carol@example.com", Some("carol")),
    ("Dave", "dave@example.com", Some("dave")),
    ("Eve", "eve@example.com", None),
];

fn git(repo: &Path, args: &[&str]) -> String {
    run_ok(peer_command("git").current_dir(repo).args(args)).stdout.trim().to_owned()
}

/// A history of 8 commits by 5 authors over two releases and unreleased work; the stand-in lists
/// them with their logins (Eve's email matches no account) and 5 closed pull requests.
fn repository(stand_in: &GithubStandIn) -> tempfile::TempDir {
    let repo = tempfile::tempdir().expect("tempdir");
    let dir = repo.path();
    git(dir, &["init", "--quiet", "--initial-branch=main"]);
    let steps: [(usize, &str, Option<&str>); 8] = [
        (0, "feat: first", None),
        (2, "docs: readme", Some("v1.0.0")),
        (1, "fix: crash on start (#3)", None),
        (0, "feat: search (#5)", None),
        (1, "feat: filters (#8)", Some("v1.1.0")),
        (3, "feat: export (#9)", None),
        (4, "chore: tidy", None),
        (2, "fix: typo", None),
    ];
    for (day, (author, message, tag)) in steps.iter().enumerate() {
        let (name, email, _) = AUTHORS[*author];
        let date = format!("2026-01-{:02}T10:00:00Z", day + 1);
        run_ok(
            peer_command("git")
                .current_dir(dir)
                .env("GIT_AUTHOR_NAME", name)
                .env("GIT_AUTHOR_EMAIL", email)
                .env("GIT_AUTHOR_DATE", &date)
                .env("GIT_COMMITTER_DATE", &date)
                .args(["commit", "--quiet", "--allow-empty", "-m", message]),
        );
        if let Some(tag) = tag {
            git(dir, &["tag", tag]);
        }
    }
    let log = git(dir, &["log", "--format=%H %ae %aI %s"]);
    let mut commits = Vec::new();
    let mut by_message = std::collections::HashMap::new();
    for line in log.lines() {
        let mut parts = line.splitn(4, ' ');
        let (sha, email, date, message) = (
            parts.next().expect("sha"),
            parts.next().expect("email"),
            parts.next().expect("date"),
            parts.next().expect("subject"),
        );
        let login = AUTHORS.iter().find(|a| a.1 == email).and_then(|a| a.2).map(str::to_owned);
        by_message.insert(message.to_owned(), sha.to_owned());
        commits.push(ListedCommit {
            sha: sha.to_owned(),
            login,
            date: date.to_owned(),
            message: message.to_owned(),
        });
    }
    stand_in.set_commits(commits);
    let merged = |message: &str| by_message.get(message).cloned();
    let pull = |number: u64, title: &str, author: &str, labels: &[&str], merge: Option<String>| ListedPull {
        number,
        title: title.to_owned(),
        author: author.to_owned(),
        labels: labels.iter().map(|l| (*l).to_owned()).collect(),
        merge_commit_sha: merge,
    };
    stand_in.set_pulls(vec![
        pull(9, "Export to CSV", "dave", &["feature", "first-timer"], merged("feat: export (#9)")),
        pull(8, "Filters", "bob", &["feature"], merged("feat: filters (#8)")),
        pull(7, "Abandoned idea", "carol", &[], None),
        // Merged as its 12-character short id, which git-cliff also matches.
        pull(5, "Search", "carol", &["feature"], merged("feat: search (#5)").map(|s| s[..12].to_owned())),
        pull(3, "Crash on start", "bob", &["bug"], merged("fix: crash on start (#3)")),
    ]);
    std::fs::write(
        dir.join("cliff.toml"),
        format!("[remote.github]\nowner = \"acme\"\nrepo = \"advisoryhub\"\n{TEMPLATE}"),
    )
    .expect("cliff.toml");
    repo
}

/// git-cliff or release-notes in `repo`, asking the stand-in; their caches and homes stay in `home`.
fn tool(which: &str, repo: &Path, home: &Path, api: &str, args: &[&str]) -> Run {
    let mut command = match which {
        "git-cliff" => peer_command("git-cliff"),
        _ => cargo_bin(env!("CARGO_BIN_EXE_release-notes")),
    };
    command
        .current_dir(repo)
        .args(args)
        .env("GITHUB_API_URL", api)
        .env("GITHUB_TOKEN", TOKEN)
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env_remove("GITHUB_REPO");
    run(&mut command)
}

fn assert_same(repo: &Path, api: &str, args: &[&str]) -> String {
    let home = tempfile::tempdir().expect("tempdir");
    let theirs = tool("git-cliff", repo, home.path(), api, args);
    let ours = tool("release-notes", repo, home.path(), api, args);
    assert_eq!(theirs.code, 0, "git-cliff {args:?}:\n{}", theirs.stderr);
    assert_eq!(ours.code, theirs.code, "exit codes for {args:?}:\n{}", ours.stderr);
    assert_eq!(ours.stdout, theirs.stdout, "{args:?}");
    ours.stdout
}

#[test]
fn github_pull_requests_and_contributors_match_git_cliff() {
    let stand_in = GithubStandIn::start("acme", "advisoryhub");
    let repo = repository(&stand_in);
    // Small pages, so that both tools follow the pagination.
    stand_in.page_size(3);
    let api = stand_in.url();
    let all = assert_same(repo.path(), &api, &[]);
    assert!(
        all.contains(
            "* feat: export (#9) by @dave in #9 (Export to CSV, opened by dave, labels: feature,first-timer)"
        ),
        "{all}"
    );
    assert!(
        all.contains("* feat: search (#5) by @alice in #5 (Search, opened by carol, labels: feature)"),
        "{all}"
    );
    assert!(all.contains("* chore: tidy\n"), "Eve matches no GitHub account:\n{all}");
    assert!(all.contains("- @dave prs=9 first=true"), "{all}");
    assert!(
        all.contains("- @bob prs=3,8 first=true\n- @alice prs=5 first=false"),
        "Bob's first release:\n{all}"
    );
    assert!(all.contains("- @? prs= first=true"), "Eve, with no login:\n{all}");
    for args in [
        &["--latest"][..],
        &["--unreleased"],
        &["v1.0.0..v1.1.0"],
        &["--context"],
        &["--unreleased", "--tag", "v1.2.0"],
    ] {
        assert_same(repo.path(), &api, args);
    }
    let asked: Vec<String> = stand_in.requests().iter().map(|r| r.path.clone()).collect();
    assert!(asked.iter().any(|p| p.contains("/pulls?") && p.contains("state=closed")), "{asked:?}");
}

#[test]
fn the_github_repository_from_the_command_line_is_asked_even_when_no_template_reads_it() {
    let stand_in = GithubStandIn::start("acme", "advisoryhub");
    let repo = repository(&stand_in);
    let api = stand_in.url();
    // No [remote.github], and a template that reads none of GitHub's data.
    std::fs::write(
        repo.path().join("cliff.toml"),
        "[changelog]\nbody = \"{{ version }}: {{ commits | length }}\\n\"\n",
    )
    .expect("cliff.toml");
    let before = stand_in.requests().len();
    assert_same(repo.path(), &api, &["--github-repo", "acme/advisoryhub"]);
    assert!(stand_in.requests().len() > before, "both tools asked GitHub");
    let asked = stand_in.requests().len();
    assert_same(repo.path(), &api, &[]);
    assert_eq!(stand_in.requests().len(), asked, "neither asks without a reason");
    // --offline: nothing is asked, and the data is empty.
    std::fs::write(
        repo.path().join("cliff.toml"),
        format!("[remote.github]\nowner = \"acme\"\nrepo = \"advisoryhub\"\n{TEMPLATE}"),
    )
    .expect("cliff.toml");
    let offline = assert_same(repo.path(), &api, &["--offline"]);
    assert_eq!(stand_in.requests().len(), asked, "--offline asks nothing");
    assert!(!offline.contains(" by @"), "{offline}");
}

/// Without a reachable GitHub, git-cliff 2.14.2 panics ("Could not get github metadata", exit 101);
/// release-notes fails cleanly: exit 1, naming the repository and the URL, and pointing at --offline.
#[test]
fn an_unreachable_github_fails_cleanly_where_git_cliff_panics() {
    let stand_in = GithubStandIn::start("acme", "advisoryhub");
    let repo = repository(&stand_in);
    // A loopback port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let api = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    let home = tempfile::tempdir().expect("tempdir");
    let theirs = tool("git-cliff", repo.path(), home.path(), &api, &[]);
    assert_eq!(theirs.code, 101, "git-cliff panics:\n{}", theirs.stderr);
    let ours = tool("release-notes", repo.path(), home.path(), &api, &["--http-timeout", "5"]);
    assert_eq!(ours.code, 1, "{}", ours.stderr);
    assert!(ours.stdout.is_empty(), "nothing half-written: {}", ours.stdout);
    let message = ours.stderr.trim();
    assert!(message.starts_with("release-notes: error: GitHub acme/advisoryhub: GET http://"), "{message}");
    assert!(message.contains("/repos/acme/advisoryhub/commits?per_page=100"), "{message}");
    assert!(message.ends_with("(with --offline, notes are rendered without the forge's data)"), "{message}");
    assert!(!message.contains("panicked"), "{message}");
}

/// Issue 21, item 6 (a deliberate difference from git-cliff, which sends it): a repository's
/// `[remote.github] api_url` naming another server than the API the user chose gets no token, and a
/// warning says so; the API chosen through `GITHUB_API_URL`, or `GIT_CLIFF__REMOTE__GITHUB__API_URL`,
/// gets it. Uses two GitHub stand-ins.
#[test]
fn a_configured_api_url_elsewhere_gets_no_token() {
    let chosen = GithubStandIn::start("acme", "advisoryhub");
    let elsewhere = GithubStandIn::start("acme", "advisoryhub");
    let repo = repository(&elsewhere);
    let cliff = std::fs::read_to_string(repo.path().join("cliff.toml")).expect("cliff.toml");
    let configured =
        cliff.replace("[remote.github]\n", &format!("[remote.github]\napi_url = \"{}\"\n", elsewhere.url()));
    std::fs::write(repo.path().join("cliff.toml"), configured).expect("cliff.toml");
    let home = tempfile::tempdir().expect("tempdir");
    let notes = |env: &[(&str, &str)]| {
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_release-notes"));
        command
            .current_dir(repo.path())
            .env("GITHUB_TOKEN", TOKEN)
            .env("HOME", home.path())
            .env_remove("GITHUB_API_URL")
            .env_remove("GIT_CLIFF__REMOTE__GITHUB__API_URL");
        for (name, value) in env {
            command.env(name, value);
        }
        run(&mut command)
    };
    let tokens = |stand_in: &GithubStandIn| {
        stand_in.requests().iter().filter(|r| r.header("authorization").is_some()).count()
    };
    // Configured by the repository alone: asked (its data is public), without the token.
    let out = notes(&[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!elsewhere.requests().is_empty(), "the configured API was asked");
    assert_eq!(tokens(&elsewhere), 0, "no token went to the repository's api_url");
    assert!(out.stderr.contains("is not the GitHub API you chose"), "{}", out.stderr);
    assert!(out.stdout.contains(" by @dave"), "the public data still renders: {}", out.stdout);
    // The user's own choice, by either variable, gets the token.
    let asked = chosen.requests().len();
    let out = notes(&[("GITHUB_API_URL", &chosen.url())]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(chosen.requests().len() > asked && tokens(&chosen) > 0, "GITHUB_API_URL gets the token");
    let before = tokens(&elsewhere);
    let out = notes(&[("GIT_CLIFF__REMOTE__GITHUB__API_URL", &elsewhere.url())]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(tokens(&elsewhere) > before, "an api_url the user set in the environment gets the token");
    assert!(!out.stderr.contains("is not the GitHub API you chose"), "{}", out.stderr);
}
