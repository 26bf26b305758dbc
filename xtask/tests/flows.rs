//! `cargo xtask bump` and `cargo xtask demo`, run as a user runs them.

use std::path::Path;

use tagwright_test_support::registry::{LocalRegistry, Mode};
use tagwright_test_support::{
    RENAMES, Run, assert_same_tree, cargo_bin, fixture, peer_command, run, run_ok, tree, under_strace,
};

fn xtask(args: &[&str], repo: Option<&Path>) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_xtask"));
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
    let out = xtask(&["bump", "0.2.0", "--dry-run"], Some(repo.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("pyproject.toml:4: project.version 0.1.0 -> 0.2.0\n"), "{}", out.stdout);
    assert!(out.stdout.contains("--- a/uv.lock\n+++ b/uv.lock\n@@ -9,7 +9,7 @@\n"), "{}", out.stdout);
    assert!(out.stdout.ends_with("dry run: nothing was written\n"), "{}", out.stdout);
    assert_same_tree(&before, &tree(repo.path()));
}

#[test]
fn bump_rewrites_every_source_and_the_lock_stays_sound() {
    let repo = fixture("make_advisoryhub.sh", &[]);
    let out = xtask(&["bump", "1.0.0-rc.1"], Some(repo.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.ends_with("bumped 3 file(s) from 0.1.0 to 1.0.0-rc.1\n"), "{}", out.stdout);
    run_ok(peer_command("uv").args(["lock", "--check", "--offline"]).current_dir(repo.path()));
    let mut check = cargo_bin(env!("CARGO_BIN_EXE_xtask"));
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
    let out = xtask(&["bump", "0.2.0", "--dry-run", "--json"], Some(repo.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
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
        let out = xtask(args, Some(repo.path()));
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert_same_tree(&before, &tree(repo.path()));
    }
    let out = xtask(&["bump", "0.2.0"], Some(repo.path()));
    assert!(out.stderr.contains("charts/advisoryhub/Chart.yaml:"), "{}", out.stderr);
}

#[test]
fn a_source_replaced_by_a_directory_fails_before_anything_is_written() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let chart = repo.path().join("charts/advisoryhub/Chart.yaml");
    std::fs::remove_file(&chart).expect("remove");
    std::fs::create_dir(&chart).expect("mkdir");
    let before = tree(repo.path());
    let out = xtask(&["bump", "0.2.0"], Some(repo.path()));
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
    let out = xtask(&["bump", "0.2.0"], Some(repo.path()));
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
    let out = xtask(&["bump", "0.2.0"], Some(repo.path()));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(chart.symlink_metadata().expect("lstat").file_type().is_symlink(), "the symlink stays");
    let target = std::fs::read_to_string(repo.path().join("deploy/Chart.yaml")).expect("read");
    assert!(target.contains("version: 0.2.0\n") && target.contains("appVersion: \"0.2.0\""), "{target}");
}

#[test]
fn a_v_prefixed_version_says_the_v_belongs_to_the_tag() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let out = xtask(&["bump", "v0.5.0"], Some(repo.path()));
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
    let mut killed = under_strace(RENAMES, "signal=KILL:when=3", env!("CARGO_BIN_EXE_xtask"));
    killed.args(["bump", "0.2.0", "--repo"]).arg(repo.path());
    let out = run(&mut killed);
    assert_ne!(out.code, 0, "the bump was killed");
    let pyproject = std::fs::read_to_string(repo.path().join("pyproject.toml")).expect("read");
    assert!(pyproject.contains("version = \"0.2.0\""), "killed after pyproject.toml: {pyproject}");
    assert!(repo.path().join(".git/tagwright-bump.journal").is_file(), "the journal stays");

    let dry = xtask(&["bump", "0.3.0", "--dry-run"], Some(repo.path()));
    assert_eq!(dry.code, 2, "a dry run does not recover: {}", dry.stderr);
    assert!(dry.stderr.contains("a bump was interrupted"), "{}", dry.stderr);

    let out = xtask(&["bump", "0.3.0"], Some(repo.path()));
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

#[test]
fn the_demo_runs_offline_and_cuts_a_signed_release() {
    let parent = tempfile::tempdir().expect("tempdir");
    let dir = parent.path().join("demo");
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_xtask"));
    command.args(["demo", "--dir"]).arg(&dir).env("HOME", parent.path());
    let out = run(&mut command);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    for step in
        ["== 1.", "== 2.", "== 3.", "== 4.", "== 5.", "[2/9] bump", "[6/9] signed commit", "[7/9] signed tag"]
    {
        assert!(out.stdout.contains(step), "missing {step}:\n{}", out.stdout);
    }
    assert!(out.stdout.contains("## [0.2.0] - "), "the notes of the release: {}", out.stdout);
    assert!(out.stdout.contains("- *(api)* Add advisory search endpoint"), "{}", out.stdout);
    assert!(
        out.stdout.contains("$ git verify-tag v0.2.0\nGood \"git\" signature for maintainer@example.com"),
        "{}",
        out.stdout
    );
    run_ok(peer_command("uv").args(["lock", "--check", "--offline"]).current_dir(&dir));
    let log = run_ok(peer_command("git").args(["log", "--format=%s %D"]).current_dir(&dir));
    assert_eq!(
        log.stdout.lines().next(),
        Some("chore(release): v0.2.0 HEAD -> main, tag: v0.2.0"),
        "{}",
        log.stdout
    );
    assert_eq!(log.stdout.lines().count(), 5, "{}", log.stdout);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(parent.path().join("demo-keys/id_ed25519")).expect("key").permissions(),
    );
    assert_eq!(mode & 0o077, 0, "the private key is not readable by others");

    // Step 6: the chart went to an OCI layout, which skopeo reads, and came back intact.
    assert!(out.stdout.contains("== 6."), "{}", out.stdout);
    assert!(
        out.stdout.contains("ok: the chart pulled back has the pushed manifest and layer digests"),
        "{}",
        out.stdout
    );
    let layout = parent.path().join("demo-oci/layout");
    let raw = run_ok(
        peer_command("skopeo").arg("inspect").arg("--raw").arg(format!("oci:{}:0.2.0", layout.display())),
    );
    let manifest: serde_json::Value = serde_json::from_str(&raw.stdout).expect("manifest");
    assert_eq!(manifest["config"]["mediaType"], "application/vnd.cncf.helm.config.v1+json");
    assert_eq!(manifest["layers"][0]["mediaType"], "application/vnd.cncf.helm.chart.content.v1.tar+gzip");
    assert_eq!(manifest["annotations"]["org.opencontainers.image.version"], "0.2.0");
    assert!(parent.path().join("demo-oci/pulled/advisoryhub-0.2.0.tgz").is_file());
}

#[test]
fn the_demo_pushes_its_chart_to_a_registry_when_given_one() {
    let registry = LocalRegistry::start(Mode::Plain);
    let parent = tempfile::tempdir().expect("tempdir");
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_xtask"));
    command
        .args(["demo", "--dir"])
        .arg(parent.path().join("demo"))
        .args(["--registry", &format!("oci://{}/charts", registry.host())])
        .env("HOME", parent.path());
    let out = run(&mut command);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let reference = format!("{}/charts/advisoryhub:0.2.0", registry.host());
    assert!(out.stdout.contains(&format!("pushed {reference}\n")), "{}", out.stdout);
    let raw = run_ok(peer_command("skopeo").args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{reference}"),
    ]));
    let manifest: serde_json::Value = serde_json::from_str(&raw.stdout).expect("manifest");
    assert_eq!(manifest["config"]["mediaType"], "application/vnd.cncf.helm.config.v1+json");
}
