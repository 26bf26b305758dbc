//! Issue 22: the maintainer's paths besides the direct push. A version bumped in a pull request is
//! released as a tag alone (protected `main`); the release branch is configurable; every command works
//! from a subdirectory; a stale lock fails the dry run; a hand-bumped source gets one message with both
//! fixes; and the remote is asked before anything is signed.

mod release_world;

use release_world::Release;
use tagwright_test_support::{assert_same_tree, cargo_bin, git_state, peer_command, run, run_ok};

/// Bumps to `version` as a pull request would, and merges it: a plain commit, pushed to origin.
fn merge_bump(release: &Release, version: &str) {
    let bumped = release.tagwright(&["bump", version], release.dir());
    assert_eq!(bumped.code, 0, "{}", bumped.stderr);
    release.git(&["commit", "--quiet", "-am", &format!("chore: bump to {version}")]);
}

/// Protects `main` on a bare origin as a forge does: a pre-receive hook refuses every update of it.
fn protect_main(origin: &std::path::Path) {
    let hook = origin.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\nwhile read old new ref; do\n  if [ \"$ref\" = refs/heads/main ]; then echo \"main is protected\" >&2; exit 1; fi\ndone\n",
    )
    .expect("hook");
    run_ok(peer_command("chmod").args(["755"]).arg(&hook));
}

#[test]
fn a_version_bumped_in_a_pull_request_is_released_as_a_tag_alone_and_pushes_past_branch_protection() {
    let release = Release::new();
    merge_bump(&release, "0.6.0");
    let origin = release.origin();
    protect_main(&origin);
    let head = release.git(&["rev-parse", "HEAD"]);

    let dry = release.release(&["0.6.0", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    assert!(dry.stdout.contains("sign this tag on HEAD (no commit)"), "{}", dry.stdout);

    let out = release.release_signed("0.6.0");
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("every source already records 0.6.0: no bump and no commit"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("tag:    good signature by rel@example.com"), "{}", out.stdout);
    assert!(!out.stdout.contains("commit: good signature"), "no commit was made: {}", out.stdout);
    assert_eq!(release.git(&["rev-parse", "HEAD"]), head, "HEAD did not move");
    assert_eq!(release.git(&["rev-parse", "v0.6.0^{commit}"]), head, "the tag is on HEAD");
    let message = release.git(&["tag", "-l", "--format=%(contents)", "v0.6.0"]);
    assert!(message.contains("Add advisory search endpoint"), "the tag carries the notes: {message}");

    // The printed push pushes the tag alone, and it gets past the protection of main.
    let push = out
        .stdout
        .lines()
        .find(|l| l.contains("git -C") && l.contains(" push "))
        .expect("a push line")
        .trim()
        .to_owned();
    assert!(push.ends_with("push origin v0.6.0"), "{push}");
    let words: Vec<&str> = push.split_whitespace().skip(1).collect();
    let pushed = run(peer_command("git").env("HOME", &release.home).args(&words));
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    let tags = run_ok(peer_command("git").arg("-C").arg(&origin).args(["tag", "-l"])).stdout;
    assert_eq!(tags.lines().collect::<Vec<_>>(), ["v0.1.0", "v0.6.0"]);
    // The direct flow's push of main would have been refused.
    release.git(&["commit", "--quiet", "--allow-empty", "-m", "chore: x"]);
    let main = run(peer_command("git").current_dir(release.dir()).args(["push", "origin", "main"]));
    assert!(main.stderr.contains("main is protected"), "the stand-in protection holds: {}", main.stderr);
}

#[test]
fn no_bump_requires_every_source_to_record_the_version() {
    let release = Release::new();
    release.fails_and_changes_nothing(
        |r| r.release(&["0.6.0", "--no-bump"]),
        "--no-bump needs every source to record 0.6.0, but pyproject.toml:",
    );
}

#[test]
fn the_release_branch_comes_from_the_flag_or_tagwright_toml() {
    let release = Release::new();
    release.git(&["checkout", "--quiet", "-b", "stable"]);
    std::fs::write(release.dir().join("tagwright.toml"), "[release]\nbranch = \"stable\"\n").expect("write");
    release.git(&["add", "tagwright.toml"]);
    release.git(&["commit", "--quiet", "-m", "chore: release from stable"]);
    let out = release.release(&["0.2.0", "--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("branch stable, clean tree"), "{}", out.stdout);
    // The flag wins over the file.
    release.fails_and_changes_nothing(
        |r| r.release(&["0.2.0", "--branch", "main"]),
        "releases are cut from `main`, but HEAD is on `stable`",
    );
    std::fs::write(release.dir().join("tagwright.toml"), "[release]\nbranch = \"a..b\"\n").expect("write");
    let bad = release.release(&["0.2.0", "--dry-run"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("tagwright.toml:2"), "names the line: {}", bad.stderr);
}

#[test]
fn every_command_finds_the_root_from_a_subdirectory() {
    let release = Release::new();
    let chart = release.dir().join("charts/advisoryhub");
    let bump = release.tagwright(&["bump", "0.6.0", "--dry-run"], &chart);
    assert_eq!(bump.code, 0, "{}", bump.stderr);
    for file in ["pyproject.toml", "uv.lock", "charts/advisoryhub/Chart.yaml"] {
        assert!(bump.stdout.contains(&format!("{file}:")), "{file} rides along: {}", bump.stdout);
    }
    let dry = release.tagwright(&["release", "0.6.0", "--dry-run"], &chart);
    assert_eq!(dry.code, 0, "{}", dry.stderr);

    // version-check, run inside the subdirectory with no --repo, reads the whole repository.
    std::fs::write(
        chart.join("Chart.yaml"),
        std::fs::read_to_string(chart.join("Chart.yaml"))
            .expect("read")
            .replace("version: 0.1.0", "version: 0.1.1"),
    )
    .expect("write");
    let mut check = cargo_bin(env!("CARGO_BIN_EXE_version-check"));
    let checked = run(check.current_dir(&chart));
    assert_eq!(checked.code, 1, "{}\n{}", checked.stdout, checked.stderr);
    assert!(checked.stderr.contains("charts/advisoryhub/Chart.yaml:"), "{}", checked.stderr);
}

#[test]
fn a_stale_lock_fails_the_dry_run_with_one_line_that_names_the_fix() {
    let release = Release::new();
    let pyproject = release.dir().join("pyproject.toml");
    let text = std::fs::read_to_string(&pyproject).expect("read");
    let stale = text.replace("requires-python = \">=3.11\"", "requires-python = \">=3.11.1\"");
    assert_ne!(stale, text);
    std::fs::write(&pyproject, stale).expect("write");
    release.git(&["commit", "--quiet", "-am", "build: require Python 3.11.1"]);
    let before = git_state(release.dir());
    for args in [&["0.2.0", "--dry-run"][..], &["0.2.0"][..]] {
        let out = release.release(args);
        assert_eq!(out.code, 1, "{args:?}: {}\n{}", out.stdout, out.stderr);
        let line = out.stderr.lines().find(|l| l.contains("uv.lock is out of date"));
        let line = line.unwrap_or_else(|| panic!("the one line: {}", out.stderr));
        assert!(line.contains("run `uv lock`"), "{line}");
        assert!(!out.stderr.contains("hint:"), "uv's raw output is not repeated: {}", out.stderr);
        assert_same_tree(&before, &git_state(release.dir()));
    }
}

#[test]
fn a_hand_bumped_source_gets_one_message_with_both_fixes() {
    let release = Release::new();
    let pyproject = release.dir().join("pyproject.toml");
    let text = std::fs::read_to_string(&pyproject).expect("read");
    std::fs::write(&pyproject, text.replacen("version = \"0.1.0\"", "version = \"0.5.0\"", 1))
        .expect("write");
    release.git(&["commit", "--quiet", "-am", "chore: 0.5.0"]);
    release.fails_and_changes_nothing(
        |r| r.release(&["0.5.0"]),
        "pyproject.toml:4 records 0.5.0, ahead of the other sources on 0.1.0",
    );
    let out = release.release(&["0.5.0"]);
    assert!(out.stderr.contains("or run `tagwright bump 0.5.0` to bring the others along"), "{}", out.stderr);
    assert!(!out.stderr.contains("--allow-downgrade"), "no contradiction: {}", out.stderr);

    // version-check says the same and never suggests dropping pyproject.toml from the gate.
    let mut check = cargo_bin(env!("CARGO_BIN_EXE_version-check"));
    let checked = run(check.arg("--repo").arg(release.dir()));
    assert_eq!(checked.code, 1);
    assert!(checked.stderr.contains("ahead of the other sources on 0.1.0"), "{}", checked.stderr);
    assert!(!checked.stderr.contains("sources = ["), "{}", checked.stderr);

    // The second fix works: the bump brings the others along, then the release tags it.
    merge_bump(&release, "0.5.0");
    let tagged = release.release_signed("0.5.0");
    assert_eq!(tagged.code, 0, "{}\n{}", tagged.stdout, tagged.stderr);
    assert!(tagged.stdout.contains("no bump and no commit"), "{}", tagged.stdout);
}

#[test]
fn the_remote_is_asked_before_anything_is_signed() {
    let release = Release::new();
    let origin = release.origin();
    // Someone else pushed to main: the local branch is behind.
    let other = release.keys.path().join("other");
    release.git_in(
        release.keys.path(),
        &["clone", "--quiet", "--branch", "main", origin.to_str().expect("utf-8"), "other"],
    );
    std::fs::write(other.join("NEWS.md"), "news\n").expect("write");
    release.git_in(&other, &["add", "NEWS.md"]);
    release.git_in(
        &other,
        &["-c", "user.name=O", "-c", "user.email=o@example.com", "commit", "--quiet", "-m", "docs: news"],
    );
    release.git_in(&other, &["push", "--quiet", "origin", "main"]);
    let tracking = release.git(&["for-each-ref", "refs/remotes"]);
    release.fails_and_changes_nothing(|r| r.release_signed("0.2.0"), "`main` is behind origin/main");
    assert_eq!(release.git(&["for-each-ref", "refs/remotes"]), tracking, "no remote-tracking ref moved");

    // Up to date again, but the tag exists on the remote only.
    release.git(&["pull", "--quiet", "--ff-only", "origin", "main"]);
    release.git_in(&other, &["tag", "v0.2.0"]);
    release.git_in(&other, &["push", "--quiet", "origin", "v0.2.0"]);
    release
        .fails_and_changes_nothing(|r| r.release_signed("0.2.0"), "the tag v0.2.0 already exists on origin");

    // Offline, the release says the remote was not checked.
    let offline = release.release(&["0.3.0", "--dry-run", "--offline"]);
    assert_eq!(offline.code, 0, "{}", offline.stderr);
    assert!(offline.stdout.contains("the remote was not checked: --offline"), "{}", offline.stdout);
}

#[test]
fn a_two_component_version_suggests_three() {
    let release = Release::new();
    let out = release.release(&["0.5"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("did you mean 0.5.0?"), "{}", out.stderr);
}
