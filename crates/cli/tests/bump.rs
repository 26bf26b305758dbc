//! `tagwright bump`, run as a user runs it.

use std::path::Path;

use tagwright_test_support::{
    RENAMES, Run, assert_same_tree, cargo_bin, fixture, peer_command, run, run_ok, tree, under_strace,
};

fn tagwright(args: &[&str], repo: Option<&Path>) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
    command.args(args);
    if let Some(repo) = repo {
        command.arg("--repo").arg(repo);
    }
    run(&mut command)
}

#[test]
fn bump_dry_run_prints_the_diff_and_writes_nothing() {
    let repo = fixture("make_advisoryhub.sh", &[]);
    let before = tree(repo.path());
    let out = tagwright(&["bump", "0.2.0", "--dry-run"], Some(repo.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("pyproject.toml:4: project.version 0.1.0 -> 0.2.0\n"), "{}", out.stdout);
    assert!(out.stdout.contains("--- a/uv.lock\n+++ b/uv.lock\n@@ -9,7 +9,7 @@\n"), "{}", out.stdout);
    assert!(out.stdout.ends_with("dry run: nothing was written\n"), "{}", out.stdout);
    assert_same_tree(&before, &tree(repo.path()));
}

#[test]
fn bump_rewrites_every_source_and_the_lock_stays_sound() {
    let repo = fixture("make_advisoryhub.sh", &[]);
    let out = tagwright(&["bump", "1.0.0-rc.1"], Some(repo.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.ends_with("bumped 3 file(s) from 0.1.0 to 1.0.0-rc.1\n"), "{}", out.stdout);
    run_ok(peer_command("uv").args(["lock", "--check", "--offline"]).current_dir(repo.path()));
    let mut check = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
    check.args(["bump", "1.0.0-rc.1", "--dry-run"]).arg("--repo").arg(repo.path());
    let again = run(&mut check);
    assert_eq!(again.code, 2, "bumping to the same version is refused");
    assert!(
        again.stderr.contains("1.0.0-rc.1 is not newer than the current version 1.0.0-rc.1"),
        "{}",
        again.stderr
    );
}

#[test]
fn bump_json_describes_the_plan() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let out = tagwright(&["bump", "0.2.0", "--dry-run", "--json"], Some(repo.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    tagwright_test_support::assert_snapshot(
        "crates/cli/tests/snapshots/tagwright-bump.shape.json",
        &tagwright_test_support::json_shape(&out.stdout),
    );
    // A failure with --json is a document too, in the one envelope.
    let bad = tagwright(&["bump", "not-a-version", "--json"], Some(repo.path()));
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    tagwright_test_support::assert_snapshot("crates/cli/tests/snapshots/tagwright-error.json", &bad.stdout);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["plan"]["new"], "0.2.0");
    assert_eq!(doc["plan"]["files"][2]["changes"][1]["field"], "appVersion");
}

#[test]
fn bad_input_exits_2_and_changes_nothing() {
    let repo = fixture("make_advisoryhub.sh", &[]);
    let chart = repo.path().join("charts/advisoryhub/Chart.yaml");
    let text = std::fs::read_to_string(&chart).expect("chart");
    std::fs::write(&chart, text.replace("name: advisoryhub", "name: [advisoryhub")).expect("write");
    let before = tree(repo.path());
    for args in [&["bump", "0.2.0"][..], &["bump", "0.0.9"], &["bump", "not-a-version"], &["bump", "1.2"]] {
        let out = tagwright(args, Some(repo.path()));
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert_same_tree(&before, &tree(repo.path()));
    }
    let out = tagwright(&["bump", "0.2.0"], Some(repo.path()));
    assert!(out.stderr.contains("charts/advisoryhub/Chart.yaml:"), "{}", out.stderr);
}

#[test]
fn a_source_replaced_by_a_directory_fails_before_anything_is_written() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let chart = repo.path().join("charts/advisoryhub/Chart.yaml");
    std::fs::remove_file(&chart).expect("remove");
    std::fs::create_dir(&chart).expect("mkdir");
    let before = tree(repo.path());
    let out = tagwright(&["bump", "0.2.0"], Some(repo.path()));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("charts/advisoryhub/Chart.yaml: cannot read"), "{}", out.stderr);
    assert_same_tree(&before, &tree(repo.path()));
}

#[test]
fn the_bump_writes_only_inside_the_repository_and_through_symlinks() {
    // A symlinked chart directory leading out of the repository: refused, and nothing is written.
    let outside = tempfile::tempdir().expect("tempdir");
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    std::fs::create_dir_all(outside.path().join("chart")).expect("mkdir");
    let foreign = "apiVersion: v2\nname: other\nversion: 0.1.0\n";
    std::fs::write(outside.path().join("chart/Chart.yaml"), foreign).expect("write");
    std::os::unix::fs::symlink(outside.path().join("chart"), repo.path().join("charts/other"))
        .expect("symlink");
    let before = tree(repo.path());
    let out = tagwright(&["bump", "0.2.0"], Some(repo.path()));
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("charts/other/Chart.yaml: resolves to "), "{}", out.stderr);
    assert_same_tree(&before, &tree(repo.path()));
    assert_eq!(std::fs::read_to_string(outside.path().join("chart/Chart.yaml")).expect("read"), foreign);

    // A symlinked Chart.yaml whose target is inside the repository: written through, still a symlink.
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let chart = repo.path().join("charts/advisoryhub/Chart.yaml");
    std::fs::create_dir_all(repo.path().join("deploy")).expect("mkdir");
    std::fs::rename(&chart, repo.path().join("deploy/Chart.yaml")).expect("move");
    std::os::unix::fs::symlink("../../deploy/Chart.yaml", &chart).expect("symlink");
    let out = tagwright(&["bump", "0.2.0"], Some(repo.path()));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(chart.symlink_metadata().expect("lstat").file_type().is_symlink(), "the symlink stays");
    let target = std::fs::read_to_string(repo.path().join("deploy/Chart.yaml")).expect("read");
    assert!(target.contains("version: 0.2.0\n") && target.contains("appVersion: \"0.2.0\""), "{target}");
}

#[test]
fn a_v_prefixed_version_says_the_v_belongs_to_the_tag() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let out = tagwright(&["bump", "v0.5.0"], Some(repo.path()));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("`v0.5.0`: the `v` belongs to the tag, not the version: give 0.5.0"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_next_bump_rolls_back_a_killed_one_then_bumps() {
    let repo = fixture("make_advisoryhub.sh", &[]);
    // strace kills the bump at rename 3: the journal and pyproject.toml are in place, the rest not.
    let mut killed = under_strace(RENAMES, "signal=KILL:when=3", env!("CARGO_BIN_EXE_tagwright"));
    killed.args(["bump", "0.2.0", "--repo"]).arg(repo.path());
    let out = run(&mut killed);
    assert_ne!(out.code, 0, "the bump was killed");
    let pyproject = std::fs::read_to_string(repo.path().join("pyproject.toml")).expect("read");
    assert!(pyproject.contains("version = \"0.2.0\""), "killed after pyproject.toml: {pyproject}");
    assert!(repo.path().join(".git/tagwright-bump.journal").is_file(), "the journal stays");

    let dry = tagwright(&["bump", "0.3.0", "--dry-run"], Some(repo.path()));
    assert_eq!(dry.code, 2, "a dry run does not recover: {}", dry.stderr);
    assert!(dry.stderr.contains("a bump was interrupted"), "{}", dry.stderr);

    let out = tagwright(&["bump", "0.3.0"], Some(repo.path()));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("an interrupted bump to 0.2.0 was rolled back: restored pyproject.toml; untouched: uv.lock, charts/advisoryhub/Chart.yaml"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.ends_with("bumped 3 file(s) from 0.1.0 to 0.3.0\n"), "{}", out.stdout);
    run_ok(peer_command("uv").args(["lock", "--check", "--offline"]).current_dir(repo.path()));
    let status =
        run_ok(peer_command("git").args(["status", "--porcelain", "--ignored"]).current_dir(repo.path()));
    assert!(!status.stdout.contains(".tagwright"), "no temporary files stay: {}", status.stdout);
}

/// Issue 15, item 9: an unrelated manifest (jj's docs `pyproject.toml` beside its Cargo workspace)
/// does not ride along. version-check names the disagreement and prints the `tagwright.toml` that
/// selects the release's sources (which then passes); the bump refuses, naming each record that
/// would change from which version, and writes nothing, unless `--allow-mismatch`.
#[test]
fn an_unrelated_manifest_is_named_and_not_bumped_without_allow_mismatch() {
    let repo = tempfile::tempdir().expect("tempdir");
    let dir = repo.path();
    std::fs::write(dir.join("pyproject.toml"), "[project]\nname = \"jj-docs\"\nversion = \"0.1.0\"\n")
        .expect("write");
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"jj\"\nversion = \"1.2.0\"\nedition = \"2021\"\n",
    )
    .expect("write");
    std::fs::create_dir_all(dir.join("src")).expect("mkdir");
    std::fs::write(dir.join("src/lib.rs"), "").expect("write");
    std::fs::write(
        dir.join("Cargo.lock"),
        "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 4\n\n[[package]]\nname = \"jj\"\nversion = \"1.2.0\"\n",
    )
    .expect("write");
    let mut check = cargo_bin(env!("CARGO_BIN_EXE_version-check"));
    check.arg("--repo").arg(dir);
    let checked = run(&mut check);
    assert_eq!(checked.code, 1, "{}", checked.stderr);
    assert!(checked.stderr.contains("pyproject.toml:3: project.version is 0.1.0"), "{}", checked.stderr);
    let suggested = "[versions]\nsources = [\n  \"Cargo.toml\",\n  \"Cargo.lock\",\n]\n";
    assert!(checked.stderr.contains(suggested), "{}", checked.stderr);

    let before = tree(dir);
    let refused = tagwright(&["bump", "1.3.0"], Some(dir));
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("pyproject.toml:3: project.version would change from 0.1.0 to 1.3.0"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("--allow-mismatch"), "{}", refused.stderr);
    assert_same_tree(&before, &tree(dir));

    // The suggested configuration selects the release's sources: they agree, and bump alone.
    std::fs::write(dir.join("tagwright.toml"), suggested).expect("write");
    let mut check = cargo_bin(env!("CARGO_BIN_EXE_version-check"));
    check.arg("--repo").arg(dir);
    assert_eq!(run(&mut check).code, 0);
    let bumped = tagwright(&["bump", "1.3.0"], Some(dir));
    assert_eq!(bumped.code, 0, "{}", bumped.stderr);
    assert!(std::fs::read_to_string(dir.join("pyproject.toml")).expect("read").contains("0.1.0"));
    assert!(std::fs::read_to_string(dir.join("Cargo.toml")).expect("read").contains("1.3.0"));

    // --allow-mismatch bumps every discovered source.
    std::fs::remove_file(dir.join("tagwright.toml")).expect("rm");
    let all = tagwright(&["bump", "1.4.0", "--allow-mismatch"], Some(dir));
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert!(std::fs::read_to_string(dir.join("pyproject.toml")).expect("read").contains("1.4.0"));
}
