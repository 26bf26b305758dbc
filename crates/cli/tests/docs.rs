//! `tagwright docs-deploy` against mike 2.2.0 itself: the same trees from the same start, each tool
//! extending the other's branch, `mike list` reading ours, and concurrent deploys to one bare remote.
//! mike, MkDocs and git are the real programs, installed by `cargo xtask setup`.

use std::path::{Path, PathBuf};

use tagwright_test_support::{Run, cargo_bin, peer_command, run, run_ok, workspace_root};

/// A repository holding the docs fixture, with tags v1.0.0, v1.1.0 and v1.2.0 on three commits.
struct Docs {
    dir: tempfile::TempDir,
}

impl Docs {
    fn new() -> Docs {
        let dir = tempfile::tempdir().expect("tempdir");
        let docs = Docs { dir };
        copy_dir(&workspace_root().join("tests/fixtures/docs-site"), docs.path());
        std::fs::write(docs.path().join(".gitignore"), "site/\n").expect("write");
        docs.git(&["init", "--quiet", "--initial-branch=main"]);
        for (i, version) in ["1.0.0", "1.1.0", "1.2.0"].iter().enumerate() {
            let page = docs.path().join("docs/guide/install.md");
            let mut text = std::fs::read_to_string(&page).expect("read");
            text.push_str(&format!("\nThis page describes {version}.\n"));
            std::fs::write(&page, text).expect("write");
            docs.git(&["add", "-A"]);
            let date = format!("2026-0{}-01T12:00:00Z", i + 1);
            run_ok(
                peer_command("git")
                    .current_dir(docs.path())
                    .env("GIT_AUTHOR_DATE", &date)
                    .env("GIT_COMMITTER_DATE", &date)
                    .args(["commit", "--quiet", "-m", &format!("docs: {version}")]),
            );
            docs.git(&["tag", "-a", &format!("v{version}"), "-m", version]);
        }
        docs
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str]) -> String {
        run_ok(peer_command("git").current_dir(self.path()).args(args)).stdout.trim_end().to_owned()
    }

    /// Checks out the docs as they were at `tag` (a detached HEAD, as the Docs workflow checks out).
    fn checkout(&self, tag: &str) {
        self.git(&["checkout", "--quiet", "--detach", tag]);
    }

    fn tree(&self, rev: &str) -> String {
        self.git(&["rev-parse", &format!("{rev}^{{tree}}")])
    }

    fn epoch(&self, tag: &str) -> String {
        self.git(&["log", "-1", "--format=%ct", tag])
    }

    /// `mike ARGS` in the repository, at the tag's commit time.
    fn mike(&self, tag: &str, args: &[&str]) -> Run {
        let mut command = peer_command("mike");
        command.current_dir(self.path()).env("SOURCE_DATE_EPOCH", self.epoch(tag)).args(args);
        run(&mut command)
    }

    fn mike_ok(&self, tag: &str, args: &[&str]) {
        let result = self.mike(tag, args);
        assert_eq!(result.code, 0, "mike {args:?}: {}", result.stderr);
    }

    /// `tagwright docs-deploy ARGS --repo DIR`.
    fn ours(&self, args: &[&str]) -> Run {
        deploy(self.path(), args)
    }

    fn ours_ok(&self, args: &[&str]) -> String {
        let result = self.ours(args);
        assert_eq!(result.code, 0, "docs-deploy {args:?}: {}\n{}", result.stderr, result.stdout);
        result.stdout
    }
}

fn deploy(repo: &Path, args: &[&str]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
    command.arg("docs-deploy").args(args).arg("--repo").arg(repo);
    run(&mut command)
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The start both tools deploy on: mike's own deploy of 1.0.0 with `latest`.
fn start(docs: &Docs, branch: &str) {
    docs.checkout("v1.0.0");
    docs.mike_ok("v1.0.0", &["deploy", "-b", branch, "1.0.0", "latest"]);
    docs.checkout("v1.1.0");
}

#[test]
fn a_build_commits_the_tree_that_mike_deploy_commits_for_each_alias_type_and_for_set_default() {
    let docs = Docs::new();
    start(&docs, "start");
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("symlink", &["-u", "1.1.0", "latest"], &[]),
        ("redirect", &["-u", "--alias-type", "redirect", "1.1.0", "latest"], &["--alias-type", "redirect"]),
        ("copy", &["-u", "--alias-type", "copy", "1.1.0", "latest"], &["--alias-type", "copy"]),
    ];
    for (name, mike_args, our_args) in cases {
        let (theirs, ours) = (format!("mike-{name}"), format!("ours-{name}"));
        docs.git(&["branch", &theirs, "start"]);
        docs.git(&["branch", &ours, "start"]);
        let mut args = vec!["deploy", "-b", &theirs];
        args.extend_from_slice(mike_args);
        docs.mike_ok("v1.1.0", &args);
        let mut args = vec!["1.1.0", "--alias", "latest", "--update-aliases", "--build", "--branch", &ours];
        args.extend_from_slice(our_args);
        docs.ours_ok(&args);
        assert_eq!(docs.tree(&ours), docs.tree(&theirs), "{name}: the trees differ");
        // One parent: the start; the work tree and HEAD are as they were.
        assert_eq!(docs.git(&["rev-parse", &format!("{ours}^")]), docs.git(&["rev-parse", "start"]));
    }
    assert_eq!(docs.git(&["status", "--porcelain", "--ignored=no"]), "");
    assert_eq!(docs.git(&["rev-parse", "HEAD"]), docs.git(&["rev-parse", "v1.1.0^{commit}"]));

    // `mike set-default latest` after the deploy, against one deploy with --set-default.
    docs.git(&["branch", "mike-default", "mike-symlink"]);
    docs.mike_ok("v1.1.0", &["set-default", "-b", "mike-default", "latest"]);
    docs.git(&["branch", "ours-default", "start"]);
    docs.ours_ok(&[
        "1.1.0",
        "--alias",
        "latest",
        "-u",
        "--build",
        "--set-default",
        "latest",
        "--branch",
        "ours-default",
    ]);
    assert_eq!(docs.tree("ours-default"), docs.tree("mike-default"));
    let index = docs.git(&["show", "ours-default:index.html"]);
    assert!(index.contains("window.location.replace(\n      \"latest/\""), "{index}");
}

#[test]
fn mike_reads_and_extends_our_branch_and_we_extend_mikes_touching_no_other_version() {
    let docs = Docs::new();
    docs.checkout("v1.0.0");
    let out = docs.ours_ok(&["1.0.0", "--alias", "latest", "--build", "--title", "One"]);
    assert!(out.contains("committed"), "{out}");
    let listed = run_ok(peer_command("mike").current_dir(docs.path()).args(["list", "--json"])).stdout;
    let listed: serde_json::Value = serde_json::from_str(&listed).expect("mike list --json");
    assert_eq!(listed, serde_json::json!([{"version": "1.0.0", "title": "One", "aliases": ["latest"]}]));
    let one = docs.git(&["rev-parse", "gh-pages:1.0.0"]);

    // mike on top of ours.
    docs.checkout("v1.1.0");
    docs.mike_ok("v1.1.0", &["deploy", "-u", "1.1.0", "latest"]);
    assert_eq!(docs.git(&["rev-parse", "gh-pages:1.0.0"]), one, "mike changed 1.0.0");

    // Ours on top of mike's: 1.2.0 takes latest; 1.0.0 and 1.1.0 stay byte for byte.
    let eleven = docs.git(&["rev-parse", "gh-pages:1.1.0"]);
    docs.checkout("v1.2.0");
    let refused = docs.ours(&["1.2.0", "--alias", "latest", "--build"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(
            "alias \"latest\" already exists for version \"1.1.0\" (move it with --update-aliases)"
        ),
        "{}",
        refused.stderr
    );
    let before = docs.git(&["rev-parse", "gh-pages"]);
    assert_eq!(docs.git(&["rev-parse", "gh-pages"]), before);
    let out = docs.ours_ok(&["1.2.0", "--alias", "latest", "-u", "--build"]);
    assert!(out.contains("alias latest moved from 1.1.0"), "{out}");
    assert_eq!(docs.git(&["rev-parse", "gh-pages:1.0.0"]), one);
    assert_eq!(docs.git(&["rev-parse", "gh-pages:1.1.0"]), eleven);
    assert_eq!(docs.git(&["cat-file", "-p", "gh-pages:latest"]), "1.2.0");
    let listed = run_ok(peer_command("mike").current_dir(docs.path()).args(["list", "--json"])).stdout;
    let listed: serde_json::Value = serde_json::from_str(&listed).expect("json");
    let versions: Vec<(&str, usize)> = listed
        .as_array()
        .expect("array")
        .iter()
        .map(|v| (v["version"].as_str().expect("version"), v["aliases"].as_array().expect("aliases").len()))
        .collect();
    assert_eq!(versions, [("1.2.0", 1), ("1.1.0", 0), ("1.0.0", 0)]);

    // Re-deploying the same site changes nothing; a re-deploy replaces only its own directory.
    let tip = docs.git(&["rev-parse", "gh-pages"]);
    let out = docs.ours_ok(&["1.2.0", "--alias", "latest", "--build"]);
    assert!(out.contains("nothing to commit"), "{out}");
    assert_eq!(docs.git(&["rev-parse", "gh-pages"]), tip);

    // The work tree, the index and HEAD were never touched.
    assert_eq!(docs.git(&["status", "--porcelain", "--ignored=no"]), "");
    assert_eq!(docs.git(&["rev-parse", "HEAD"]), docs.git(&["rev-parse", "v1.2.0^{commit}"]));
}

#[test]
fn a_dry_run_writes_nothing_and_hostile_or_checked_out_branches_are_refused() {
    let docs = Docs::new();
    let site = tempfile::tempdir().expect("tempdir");
    std::fs::write(site.path().join("index.html"), "<p>built elsewhere</p>\n").expect("write");
    let site_arg = site.path().to_str().expect("utf-8");

    // Every object and ref, as git sees them (issue 21, item 6: a dry run wrote 46 objects).
    let everything = || {
        let objects = docs.git(&["cat-file", "--batch-all-objects", "--batch-check"]);
        (objects, docs.git(&["for-each-ref"]), docs.git(&["count-objects", "-v"]))
    };
    let before = everything();
    let out = docs.ours_ok(&["1.0.0", "--site", site_arg, "--dry-run", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["changed"], true);
    assert!(report["commit"].is_null());
    assert_eq!(everything(), before, "a dry run writes no object and no ref");
    let tree = report["tree"].as_str().expect("the tree it would write").to_owned();
    let real = docs.ours_ok(&["1.0.0", "--site", site_arg, "--json"]);
    tagwright_test_support::assert_snapshot(
        "crates/cli/tests/snapshots/tagwright-docs-deploy.shape.json",
        &tagwright_test_support::json_shape(&real),
    );
    let real: serde_json::Value = serde_json::from_str(&real).expect("json");
    assert_eq!(real["tree"], tree.as_str(), "the dry run's tree is the one a deploy writes");
    docs.git(&["branch", "-D", "gh-pages"]);
    assert!(
        run(peer_command("git").current_dir(docs.path()).args(["rev-parse", "--verify", "-q", "gh-pages"]))
            .stdout
            .is_empty()
    );

    // A versions.json whose version would be a path outside its directory.
    let blob = run_ok(
        peer_command("git").current_dir(docs.path()).args(["hash-object", "-w", "--stdin"]).stdin(
            std::fs::File::open({
                let p = site.path().join("hostile.json");
                std::fs::write(&p, r#"[{"version": "../../escape", "title": "x", "aliases": []}]"#)
                    .expect("write");
                p
            })
            .expect("open"),
        ),
    )
    .stdout;
    let tree = run_ok(
        peer_command("git").current_dir(docs.path()).args(["mktree"]).stdin(
            std::fs::File::open(write(
                site.path(),
                "tree.txt",
                &format!("100644 blob {}\tversions.json\n", blob.trim()),
            ))
            .expect("open"),
        ),
    )
    .stdout;
    let commit = docs.git(&["commit-tree", tree.trim(), "-m", "hostile"]);
    docs.git(&["update-ref", "refs/heads/gh-pages", &commit]);
    std::fs::remove_file(site.path().join("hostile.json")).expect("rm");
    std::fs::remove_file(site.path().join("tree.txt")).expect("rm");
    let refused = docs.ours(&["1.0.0", "--site", site_arg]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!("versions.json at {commit}"))
            && refused.stderr.contains("\"../../escape\" is not a valid version"),
        "{}",
        refused.stderr
    );
    assert_eq!(docs.git(&["rev-parse", "gh-pages"]), commit);

    // The checked-out branch is never written.
    docs.git(&["update-ref", "-d", "refs/heads/gh-pages"]);
    docs.git(&["checkout", "--quiet", "-b", "gh-pages"]);
    let refused = docs.ours(&["1.0.0", "--site", site_arg]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("is the checked-out branch"), "{}", refused.stderr);
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

/// A bare remote with 1.0.0 deployed, and `n` clones of the project.
fn remote_and_clones(n: usize) -> (Docs, tempfile::TempDir, Vec<tempfile::TempDir>) {
    let docs = Docs::new();
    let remote = tempfile::tempdir().expect("tempdir");
    run_ok(peer_command("git").args(["init", "--quiet", "--bare"]).arg(remote.path()));
    docs.git(&["remote", "add", "origin", remote.path().to_str().expect("utf-8")]);
    docs.checkout("v1.0.0");
    docs.ours_ok(&["1.0.0", "--alias", "latest", "--build", "--push"]);
    let clones = (0..n)
        .map(|_| {
            let clone = tempfile::tempdir().expect("tempdir");
            run_ok(peer_command("git").args(["clone", "--quiet"]).arg(docs.path()).arg(clone.path()));
            let git = |args: &[&str]| run_ok(peer_command("git").current_dir(clone.path()).args(args));
            git(&["remote", "set-url", "origin", remote.path().to_str().expect("utf-8")]);
            git(&["fetch", "--quiet", "origin"]);
            clone
        })
        .collect();
    (docs, remote, clones)
}

fn site_of(dir: &Path, text: &str) -> PathBuf {
    let site = dir.join("built-site");
    std::fs::create_dir_all(site.join("guide")).expect("mkdir");
    std::fs::write(site.join("index.html"), format!("<p>{text}</p>\n")).expect("write");
    std::fs::write(site.join("guide/index.html"), format!("<p>{text} guide</p>\n")).expect("write");
    site
}

fn remote_versions(remote: &Path) -> Vec<String> {
    let text =
        run_ok(peer_command("git").arg("--git-dir").arg(remote).args(["show", "gh-pages:versions.json"]))
            .stdout;
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    value.as_array().expect("array").iter().map(|v| v["version"].as_str().expect("str").to_owned()).collect()
}

#[test]
fn two_deploys_started_together_against_one_bare_remote_both_land() {
    let (_docs, remote, clones) = remote_and_clones(2);
    let mut children = Vec::new();
    for (clone, version) in clones.iter().zip(["1.1.0", "1.2.0"]) {
        let site = site_of(clone.path(), version);
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
        command
            .args(["docs-deploy", version, "--alias", "latest", "-u", "--push", "--site"])
            .arg(&site)
            .arg("--repo")
            .arg(clone.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        children.push(command.spawn().expect("spawn"));
    }
    for child in children {
        let output = child.wait_with_output().expect("wait");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let mut versions = remote_versions(remote.path());
    versions.sort();
    assert_eq!(versions, ["1.0.0", "1.1.0", "1.2.0"]);
    for version in ["1.0.0", "1.1.0", "1.2.0"] {
        run_ok(peer_command("git").arg("--git-dir").arg(remote.path()).args([
            "cat-file",
            "-e",
            &format!("gh-pages:{version}/index.html"),
        ]));
    }
}

#[test]
fn a_push_refused_because_the_remote_moved_is_rebuilt_on_the_new_tip_and_a_diverged_branch_is_named() {
    let (_docs, remote, clones) = remote_and_clones(2);
    let (a, b) = (&clones[0], &clones[1]);
    let site_a = site_of(a.path(), "from A");
    let site_b = site_of(b.path(), "from B");
    // B's pre-push hook deploys 1.2.0 from A first, once: B's fetched tip is stale when B pushes.
    let hook = b.path().join(".git/hooks/pre-push");
    let marker = b.path().join("raced");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nif [ ! -e '{marker}' ]; then\n  touch '{marker}'\n  '{bin}' docs-deploy 1.2.0 --site '{site}' --push --repo '{repo}' >/dev/null || exit 1\nfi\n",
            marker = marker.display(),
            bin = env!("CARGO_BIN_EXE_tagwright"),
            site = site_a.display(),
            repo = a.path().display()
        ),
    )
    .expect("hook");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let result = deploy(b.path(), &["1.1.0", "--site", site_b.to_str().expect("utf-8"), "--push", "--json"]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(result.stderr.contains("retrying push gh-pages to origin (attempt 1)"), "{}", result.stderr);
    let report: serde_json::Value = serde_json::from_str(&result.stdout).expect("json");
    assert_eq!(report["attempts"], 2);
    assert_eq!(report["pushed"], true);
    assert_eq!(remote_versions(remote.path()), ["1.2.0", "1.1.0", "1.0.0"]);

    // A: its local gh-pages has 1.2.0; make it diverge from the remote (which has 1.1.0 on top).
    let git_a =
        |args: &[&str]| run_ok(peer_command("git").current_dir(a.path()).args(args)).stdout.trim().to_owned();
    let local = git_a(&["commit-tree", "gh-pages^{tree}", "-p", "gh-pages", "-m", "local only"]);
    git_a(&["update-ref", "refs/heads/gh-pages", &local]);
    let remote_tip =
        run_ok(peer_command("git").arg("--git-dir").arg(remote.path()).args(["rev-parse", "gh-pages"]))
            .stdout;
    let refused = deploy(a.path(), &["1.3.0", "--site", site_a.to_str().expect("utf-8"), "--push"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!(
            "refs/heads/gh-pages ({local}) has diverged from refs/remotes/origin/gh-pages ({})",
            remote_tip.trim()
        )),
        "{}",
        refused.stderr
    );
    assert_eq!(git_a(&["rev-parse", "gh-pages"]), local);
}

/// `--sign`: the docs commit is SSH-signed with the repository's signing key, and git itself
/// accepts it (mike writes with fast-import and cannot sign).
#[test]
fn a_signed_docs_commit_passes_git_verify_commit() {
    let docs = Docs::new();
    let keys = tempfile::tempdir().expect("tempdir");
    let key = tagwright_test_support::ssh_keygen(keys.path(), "id_ed25519", "ed25519", "");
    let allowed = keys.path().join("allowed_signers");
    std::fs::write(
        &allowed,
        format!("rel@example.com namespaces=\"git\" {}\n", tagwright_test_support::public_key(&key)),
    )
    .expect("write");
    docs.git(&["config", "user.email", "rel@example.com"]);
    docs.git(&["config", "gpg.format", "ssh"]);
    docs.git(&["config", "user.signingkey", key.to_str().expect("utf-8")]);
    let site = tempfile::tempdir().expect("tempdir");
    std::fs::write(site.path().join("index.html"), "<p>signed</p>\n").expect("write");
    let out = docs.ours_ok(&["1.0.0", "--site", site.path().to_str().expect("utf-8"), "--sign"]);
    assert!(out.contains("committed"), "{out}");
    let verified = run(peer_command("git").current_dir(docs.path()).args([
        "-c",
        &format!("gpg.ssh.allowedSignersFile={}", allowed.display()),
        "verify-commit",
        "gh-pages",
    ]));
    assert_eq!(verified.code, 0, "{}", verified.stderr);
    assert!(verified.stderr.contains("Good \"git\" signature for rel@example.com"), "{}", verified.stderr);

    // No key: refused before anything is written.
    docs.git(&["config", "--unset", "user.signingkey"]);
    let before = docs.git(&["rev-parse", "gh-pages"]);
    let refused = docs.ours(&["1.1.0", "--site", site.path().to_str().expect("utf-8"), "--sign"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert_eq!(docs.git(&["rev-parse", "gh-pages"]), before);
}
