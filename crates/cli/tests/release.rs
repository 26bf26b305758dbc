//! `tagwright release`: a signed release with a real ssh-agent, real git and a bare origin; every failing
//! preflight and a fault after the commit leave the repository byte-for-byte as it was.

mod release_world;

use std::path::{Path, PathBuf};

use release_world::Release;
use tagwright_test_support::{
    RENAMES, Run, SshAgent, assert_same_tree, cargo_bin, git_state, peer_command, public_key, run,
    ssh_keygen, tree, under_strace,
};

#[test]
fn a_signed_release_that_git_verifies_and_that_pushes_nothing() {
    let release = Release::new();
    // A bare origin with main pushed: its refs must not move.
    let origin = release.origin();
    let origin_before = tree(&origin.join("refs"));
    let packed_before = std::fs::read(origin.join("packed-refs")).ok();

    let out = release.release_signed("0.2.0");
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    for (n, name) in
        ["preflight", "bump", "re-sync", "version gate", "notes preview", "signed commit", "signed tag"]
            .iter()
            .enumerate()
    {
        assert!(
            out.stdout.contains(&format!("[{}/9] {name}", n + 1)),
            "step {name} printed:\n{}",
            out.stdout
        );
    }
    assert!(out.stdout.contains("uv lock --check --offline ("), "{}", out.stdout);
    assert!(out.stdout.contains("commit: good signature by rel@example.com"), "{}", out.stdout);
    assert!(out.stdout.contains("push --atomic origin main v0.2.0"), "{}", out.stdout);

    let allowed = format!("gpg.ssh.allowedSignersFile={}", release.allowed.display());
    let verify_commit =
        run(peer_command("git").current_dir(release.dir()).args(["-c", &allowed, "verify-commit", "HEAD"]));
    assert_eq!(verify_commit.code, 0, "{}", verify_commit.stderr);
    assert!(
        verify_commit.stderr.contains("Good \"git\" signature for rel@example.com"),
        "{}",
        verify_commit.stderr
    );
    let verify_tag =
        run(peer_command("git").current_dir(release.dir()).args(["-c", &allowed, "verify-tag", "v0.2.0"]));
    assert_eq!(verify_tag.code, 0, "{}", verify_tag.stderr);
    assert_eq!(
        release.git(&["-c", &allowed, "log", "-1", "--format=%G? %s"]).trim(),
        "G chore(release): v0.2.0"
    );

    // The commit holds only the version files; the tag carries the notes; the tree is clean.
    let changed = release.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(
        changed.lines().collect::<Vec<_>>(),
        ["charts/advisoryhub/Chart.yaml", "pyproject.toml", "uv.lock"]
    );
    let message = release.git(&["tag", "-l", "--format=%(contents)", "v0.2.0"]);
    assert!(message.starts_with("## [0.2.0] - "), "{message}");
    assert!(message.contains("- *(api)* Add advisory search endpoint"), "{message}");
    assert_eq!(release.git(&["status", "--porcelain", "--untracked-files=no"]), "");

    assert_eq!(tree(&origin.join("refs")), origin_before, "nothing was pushed");
    assert_eq!(std::fs::read(origin.join("packed-refs")).ok(), packed_before);
    let _ = &release.key;
}

#[test]
fn a_dry_run_shows_the_plan_and_changes_nothing() {
    let release = Release::new();
    let before = git_state(release.dir());
    let out = release.release(&["0.2.0", "--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("+version: 0.2.0"), "the diff: {}", out.stdout);
    assert!(out.stdout.contains("## [0.2.0]"), "the notes: {}", out.stdout);
    assert!(out.stdout.ends_with("dry run: nothing was changed\n"), "{}", out.stdout);
    assert_same_tree(&before, &git_state(release.dir()));
}

#[test]
fn a_wrong_branch_is_refused() {
    let release = Release::new();
    release.git(&["checkout", "--quiet", "-b", "feature"]);
    release.fails_and_changes_nothing(
        |r| r.release_signed("0.2.0"),
        "releases are cut from `main`, but HEAD is on `feature`: check out `main`, or release from `feature` with `--branch feature` (or `[release] branch = \"feature\"` in tagwright.toml)",
    );
}

#[test]
fn a_modified_file_is_refused() {
    let release = Release::new();
    std::fs::write(release.dir().join("README.md"), "edited\n").expect("write");
    std::fs::write(release.dir().join("TODO.md"), "untracked files are fine\n").expect("write");
    release.fails_and_changes_nothing(|r| r.release_signed("0.2.0"), "modified: README.md");
}

#[test]
fn a_staged_file_is_refused() {
    let release = Release::new();
    std::fs::write(release.dir().join("NEW.md"), "staged\n").expect("write");
    release.git(&["add", "NEW.md"]);
    release.fails_and_changes_nothing(|r| r.release_signed("0.2.0"), "staged: NEW.md");
}

#[test]
fn no_agent_or_an_empty_agent_is_refused() {
    let release = Release::new();
    release.fails_and_changes_nothing(
        |r| {
            let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
            command.env("HOME", &r.home).env_remove("SSH_AUTH_SOCK");
            command.args(["release", "0.2.0", "--repo"]).arg(r.dir());
            run(&mut command)
        },
        "SSH_AUTH_SOCK is not set",
    );
    let empty = SshAgent::start();
    release.fails_and_changes_nothing(
        |r| {
            let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
            command.env("HOME", &r.home).env("SSH_AUTH_SOCK", empty.socket());
            command.args(["release", "0.2.0", "--repo"]).arg(r.dir());
            run(&mut command)
        },
        "holds no ed25519, ECDSA or RSA key",
    );
}

#[test]
fn a_key_outside_the_allowed_signers_is_refused() {
    let release = Release::new();
    let other = ssh_keygen(release.keys.path(), "id_other", "ed25519", "");
    std::fs::write(&release.allowed, format!("rel@example.com {}\n", public_key(&other))).expect("write");
    release.fails_and_changes_nothing(|r| r.release_signed("0.2.0"), "is not allowed to sign");
}

#[test]
fn an_existing_tag_is_refused() {
    let release = Release::new();
    release.git(&["tag", "v0.2.0"]);
    release.fails_and_changes_nothing(
        |r| r.release_signed("0.2.0"),
        "the tag v0.2.0 already exists (refs/tags/v0.2.0): release a newer version, or move the tag with `tagwright retag`",
    );
}

#[test]
fn a_lower_version_is_refused() {
    let release = Release::new();
    release.fails_and_changes_nothing(
        |r| r.release_signed("0.0.9"),
        "0.0.9 is not newer than the latest release v0.1.0",
    );
}

#[test]
fn a_fault_after_the_commit_rolls_everything_back() {
    let release = Release::new();
    // A stale lock: the tag ref cannot be written, after the signed commit was made.
    std::fs::write(release.dir().join(".git/refs/tags/v0.2.0.lock"), "").expect("lock");
    let logs_before = tree(&release.dir().join(".git/logs"));
    release.fails_and_changes_nothing(|r| r.release_signed("0.2.0"), "step 7 (signed tag) failed");
    assert_eq!(tree(&release.dir().join(".git/logs")), logs_before, "the reflogs are restored too");
    let out = release.release_signed("0.2.0");
    assert!(out.stderr.contains("the repository was restored"), "{}", out.stderr);
}

#[test]
fn a_release_first_rolls_back_a_bump_that_was_killed() {
    let release = Release::new();
    // strace kills a bump at rename 3: the journal and pyproject.toml are in place, the rest not.
    let mut killed = under_strace(RENAMES, "signal=KILL:when=3", env!("CARGO_BIN_EXE_tagwright"));
    killed.args(["bump", "0.2.0", "--repo"]).arg(release.dir());
    assert_ne!(run(&mut killed).code, 0, "the bump was killed");
    assert!(release.git(&["status", "--porcelain"]).contains("pyproject.toml"), "a half-done bump");

    let out = release.release_signed("0.2.0");
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("an interrupted bump to 0.2.0 was rolled back: restored pyproject.toml"),
        "{}",
        out.stderr
    );
    assert_eq!(release.git(&["describe", "--tags", "--exact-match", "HEAD"]).trim(), "v0.2.0");
    assert_eq!(release.git(&["status", "--porcelain"]), "", "the release left nothing behind");
}

/// A `bin` directory holding only the `tagwright` binary, as `cargo install --root DIR` lays it out, and
/// a PATH of that directory, the system's directories and `extra`.
fn installed(release: &Release, extra: Option<&Path>) -> std::ffi::OsString {
    let bin = release.keys.path().join("install/bin");
    std::fs::create_dir_all(&bin).expect("bin");
    std::fs::copy(env!("CARGO_BIN_EXE_tagwright"), bin.join("tagwright")).expect("install");
    let mut path = vec![bin];
    path.extend(extra.map(Path::to_path_buf));
    // git and ssh-keygen come from the system, as on a maintainer's machine.
    path.extend([PathBuf::from("/usr/local/bin"), PathBuf::from("/usr/bin"), PathBuf::from("/bin")]);
    std::env::join_paths(path).expect("PATH")
}

fn release_installed(release: &Release, path: &std::ffi::OsStr, extra: &[&str]) -> Run {
    // Found on PATH, as a user's shell finds it; no test environment but what a shell would have.
    let mut command = std::process::Command::new("tagwright");
    command
        .env_clear()
        .env("PATH", path)
        .env("HOME", &release.home)
        .env("SSH_AUTH_SOCK", release.agent.socket())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["release", "0.5.0", "--repo"])
        .arg(release.dir())
        .args(extra);
    run(&mut command)
}

#[test]
fn the_installed_command_with_uv_on_path_cuts_a_release_that_git_verifies() {
    let release = Release::new();
    // uv alone in a directory of its own: nothing else of the test peers is on PATH.
    let uv_dir = release.keys.path().join("uv-only");
    std::fs::create_dir_all(&uv_dir).expect("uv dir");
    std::os::unix::fs::symlink(tagwright_test_support::peer("uv"), uv_dir.join("uv")).expect("symlink");
    let out = release_installed(&release, &installed(&release, Some(&uv_dir)), &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!("uv lock --check --offline ({})", uv_dir.join("uv").display())),
        "{}",
        out.stdout
    );
    let allowed = format!("gpg.ssh.allowedSignersFile={}", release.allowed.display());
    let verify_tag =
        run(peer_command("git").current_dir(release.dir()).args(["-c", &allowed, "verify-tag", "v0.5.0"]));
    assert_eq!(verify_tag.code, 0, "{}", verify_tag.stderr);
    assert!(
        verify_tag.stderr.contains("Good \"git\" signature for rel@example.com"),
        "{}",
        verify_tag.stderr
    );
}

/// Issue 22, item 4: without uv the release fails closed (exit 2, naming uv and how to get it) and
/// changes nothing; `--no-lock-check` says the user accepts an unchecked lock.
#[test]
fn without_uv_the_release_is_refused_unless_no_lock_check_says_so() {
    let release = Release::new();
    let path = installed(&release, None);
    assert!(
        std::env::split_paths(&path).all(|dir| !dir.join("uv").exists()),
        "this test needs a system without uv: {path:?}"
    );
    let before = git_state(release.dir());
    let refused = release_installed(&release, &path, &[]);
    assert_eq!(refused.code, 2, "{}\n{}", refused.stdout, refused.stderr);
    assert!(refused.stderr.contains("uv is not on PATH"), "{}", refused.stderr);
    assert!(refused.stderr.contains("--no-lock-check"), "{}", refused.stderr);
    assert_same_tree(&before, &git_state(release.dir()));

    let out = release_installed(&release, &path, &["--no-lock-check"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(
            "--no-lock-check: uv did not check the lock; tagwright checked only its root entry: uv.lock:"
        ),
        "{}",
        out.stdout
    );
    assert_eq!(release.git(&["describe", "--tags", "--exact-match", "HEAD"]).trim(), "v0.5.0");
}

#[test]
fn json_is_one_document_on_stdout_with_the_progress_on_stderr() {
    let release = Release::new();
    let before = git_state(release.dir());
    let out = release.release(&["0.2.0", "--dry-run", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    tagwright_test_support::assert_snapshot(
        "crates/cli/tests/snapshots/tagwright-release.shape.json",
        &tagwright_test_support::json_shape(&out.stdout),
    );
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON document");
    assert_eq!((doc["schema_version"].as_u64(), doc["status"].as_str()), (Some(1), Some("ok")));
    assert_eq!((doc["dry_run"].as_bool(), doc["tag"].as_str()), (Some(true), Some("v0.2.0")));
    assert_eq!(doc["plan"]["new"], "0.2.0");
    assert!(doc["notes"].as_str().is_some_and(|n| n.starts_with("## [0.2.0] - ")), "{doc}");
    assert!(doc["commit"].is_null(), "a dry run makes no commit");
    assert!(out.stderr.contains("[1/9] preflight"), "progress goes to stderr: {}", out.stderr);
    assert_same_tree(&before, &git_state(release.dir()));
}
