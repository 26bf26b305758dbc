//! What the git-cliff conformance test files share: running both tools, comparing them, and
//! histories to run them on.

#![allow(dead_code)]

use std::path::Path;

use tagwright_test_support::{Run, cargo_bin, peer_command, run, run_ok};

/// Built-in configurations that render without a forge.
pub(crate) const BUILT_INS: &[&str] = &[
    "keepachangelog",
    "detailed",
    "minimal",
    "scoped",
    "scopesorted",
    "unconventional",
    "cocogitto",
    "statistics",
];

pub(crate) const MODES: &[&[&str]] = &[
    &[],
    &["--latest"],
    &["--unreleased"],
    &["--unreleased", "--tag", "v1.0.0"],
    &["v0.1.0..v0.2.1"],
    &["v0.2.1..HEAD", "--tag", "v0.4.0"],
    &["--strip", "all"],
    &["--strip", "header", "--latest"],
];

pub(crate) fn git_cliff(repo: &Path, args: &[&str]) -> Run {
    let mut command = peer_command("git-cliff");
    command.current_dir(repo).arg("--offline").args(args);
    run(&mut command)
}

pub(crate) fn release_notes(repo: &Path, args: &[&str]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_release-notes"));
    // From the repository, as git-cliff runs: `-w DIR` and `-c FILE` are relative to it.
    if repo.is_dir() {
        command.current_dir(repo);
    }
    command.arg("--repo").arg(repo).args(args);
    run(&mut command)
}

/// The day, local and UTC (the tools may use either for an unreleased tag's date).
pub(crate) fn today() -> String {
    let local = run_ok(peer_command("date").arg("+%F")).stdout;
    let utc = run_ok(peer_command("date").args(["-u", "+%F"])).stdout;
    format!("{local}{utc}")
}

/// git-cliff and release-notes on the same repository with the same arguments, run again while the
/// day changed between them.
pub(crate) fn both(repo: &Path, args: &[&str]) -> (Run, Run) {
    loop {
        let day = today();
        let pair = (git_cliff(repo, args), release_notes(repo, args));
        if today() == day {
            return pair;
        }
    }
}

/// Asserts that both tools exited 0 and printed the same bytes.
#[track_caller]
pub(crate) fn assert_same(repo: &Path, args: &[&str], label: &str) -> String {
    let (theirs, ours) = both(repo, args);
    assert_eq!(theirs.code, 0, "git-cliff {args:?} with {label} failed: {}", theirs.stderr);
    assert_eq!(ours.code, theirs.code, "release-notes {args:?} with {label}: {}", ours.stderr);
    assert!(
        theirs.stdout == ours.stdout,
        "{label} {args:?} differs\n===== git-cliff\n{}\n===== release-notes\n{}",
        theirs.stdout,
        ours.stdout
    );
    ours.stdout
}

/// git-cliff's own copy of a built-in configuration.
pub(crate) fn built_in(name: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    run_ok(peer_command("git-cliff").current_dir(dir.path()).args(["--init", name]));
    std::fs::read_to_string(dir.path().join("cliff.toml")).expect("git-cliff wrote cliff.toml")
}

#[track_caller]
pub(crate) fn same_notes(repo: &Path, label: &str) {
    for mode in MODES {
        let notes = assert_same(repo, mode, label);
        assert!(!notes.is_empty() || *mode == ["--latest"], "{label} {mode:?} rendered nothing");
    }
}

/// Runs `git ARGS` in `repo`.
pub(crate) fn git_in(repo: &Path, args: &[&str]) -> String {
    run_ok(peer_command("git").current_dir(repo).args(args)).stdout.trim().to_owned()
}

/// Commits `file` with `text` in `repo`, dated `day` of January 2026.
pub(crate) fn commit_file(repo: &Path, file: &str, text: &str, message: &str, day: u32) -> String {
    let path = repo.join(file);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, text).expect("write");
    git_in(repo, &["add", "-A"]);
    let date = format!("2026-01-{day:02}T10:00:00Z");
    run_ok(
        peer_command("git")
            .current_dir(repo)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .args(["commit", "--quiet", "-m", message]),
    );
    git_in(repo, &["rev-parse", "HEAD"])
}

/// A repository of empty commits, one per (day, message), with lightweight tags after some.
pub(crate) fn tagged_history(steps: &[(&str, Option<&str>)]) -> tempfile::TempDir {
    let repo = tempfile::tempdir().expect("tempdir");
    git_in(repo.path(), &["init", "--quiet", "--initial-branch=main"]);
    for (day, (message, tag)) in steps.iter().enumerate() {
        let date = format!("2024-01-{:02}T10:00:00Z", day + 1);
        run_ok(
            peer_command("git")
                .current_dir(repo.path())
                .env("GIT_AUTHOR_DATE", &date)
                .env("GIT_COMMITTER_DATE", &date)
                .args(["commit", "--quiet", "--allow-empty", "-m", message]),
        );
        if let Some(tag) = tag {
            git_in(repo.path(), &["tag", tag]);
        }
    }
    repo
}

/// A body that shows each release's version, its `previous` and its commit count.
pub(crate) const PREVIOUS_BODY: &str = "[changelog]\nbody = \"{{ version }} prev={{ previous.version | default(value='none') }} n={{ commits | length }}\\n\"\n";
