//! The lockstep bump: byte equality with the real `uv version`, formatting kept, atomicity under faults.

use std::path::Path;

use tagwright_test_support::{assert_same_tree, fixture, peer_command, run_ok, tree};
use tagwright_versions::bump::{self, ApplyError, BumpOptions, PlanError};
use tagwright_versions::{Status, Version, check, read};

fn plan(dir: &Path, version: &str) -> bump::Plan {
    let inventory = read(dir).expect("readable");
    bump::plan(&inventory, &Version::parse_any(version).expect("version"), &BumpOptions::default())
        .expect("plan")
}

fn copy_dir(from: &Path, to: &Path) {
    run_ok(peer_command("cp").arg("-R").arg(format!("{}/.", from.display())).arg(to));
}

/// pyproject.toml spellings that uv must preserve (or normalise) in the same way we do.
const ORIGINAL_LINE: &str = "version = \"0.1.0\"  # one version, four places: see docs/releasing.md";
const PYPROJECT_STYLES: &[&str] = &[
    ORIGINAL_LINE,
    "version   =   '0.1.0'   # single quotes, odd spacing",
    "version=\"0.1.0\"",
    "version = \"\"\"0.1.0\"\"\"",
];

#[test]
fn pyproject_and_uv_lock_are_byte_identical_to_uv_version() {
    let base = fixture("make_advisoryhub.sh", &["--no-git"]);
    for to in PYPROJECT_STYLES {
        let pyproject = std::fs::read_to_string(base.path().join("pyproject.toml")).expect("pyproject");
        assert!(pyproject.contains(ORIGINAL_LINE));
        std::fs::write(base.path().join("pyproject.toml"), pyproject.replace(ORIGINAL_LINE, to))
            .expect("write");
        for version in
            ["0.2.0", "1.0.0-rc.1", "1.0.0-alpha.2", "1.0.0-beta.1", "0.2.0-dev.3", "1.0.0-rc.1.dev.2"]
        {
            let theirs = tempfile::tempdir().expect("tempdir");
            let ours = tempfile::tempdir().expect("tempdir");
            copy_dir(base.path(), theirs.path());
            copy_dir(base.path(), ours.path());
            run_ok(
                peer_command("uv")
                    .args(["version", version, "--no-sync", "--offline"])
                    .current_dir(theirs.path()),
            );
            plan(ours.path(), version).apply().expect("apply");
            for file in ["pyproject.toml", "uv.lock"] {
                let a = std::fs::read_to_string(theirs.path().join(file)).expect("uv's");
                let b = std::fs::read_to_string(ours.path().join(file)).expect("ours");
                assert_eq!(a, b, "{file} after bumping to {version} from `{to}`");
            }
            run_ok(peer_command("uv").args(["lock", "--check", "--offline"]).current_dir(ours.path()));
        }
        std::fs::write(base.path().join("pyproject.toml"), pyproject).expect("restore");
    }
}

#[test]
fn a_virtual_root_bumps_like_uv_version() {
    let base = fixture("make_advisoryhub.sh", &["--virtual", "--no-git"]);
    let theirs = tempfile::tempdir().expect("tempdir");
    copy_dir(base.path(), theirs.path());
    run_ok(
        peer_command("uv").args(["version", "0.3.0", "--no-sync", "--offline"]).current_dir(theirs.path()),
    );
    plan(base.path(), "0.3.0").apply().expect("apply");
    for file in ["pyproject.toml", "uv.lock"] {
        assert_eq!(
            std::fs::read(theirs.path().join(file)).expect("uv's"),
            std::fs::read(base.path().join(file)).expect("ours"),
            "{file}"
        );
    }
}

#[test]
fn each_file_gets_its_own_spelling_and_keeps_its_formatting() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let chart_before =
        std::fs::read_to_string(repo.path().join("charts/advisoryhub/Chart.yaml")).expect("chart");
    plan(repo.path(), "1.2.0-rc.1").apply().expect("apply");
    let chart_after =
        std::fs::read_to_string(repo.path().join("charts/advisoryhub/Chart.yaml")).expect("chart");
    assert_eq!(
        chart_after,
        chart_before
            .replace("version: 0.1.0", "version: 1.2.0-rc.1")
            .replace("appVersion: \"0.1.0\"", "appVersion: \"1.2.0-rc.1\""),
        "only the values change; comments and quotes stay"
    );
    let pyproject = std::fs::read_to_string(repo.path().join("pyproject.toml")).expect("pyproject");
    assert!(pyproject.contains("version = \"1.2.0rc1\"  # one version, four places"), "{pyproject}");
    let report = check(&read(repo.path()).expect("readable"), Some("v1.2.0-rc.1")).expect("tag");
    assert_eq!(report.status, Status::Ok);
}

#[test]
fn the_diff_is_unified_and_nothing_is_written_by_planning() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let before = tree(repo.path());
    let diff = plan(repo.path(), "0.2.0").diff();
    assert_same_tree(&before, &tree(repo.path()));
    assert!(diff.starts_with("--- a/pyproject.toml\n+++ b/pyproject.toml\n@@ -1,7 +1,7 @@\n"), "{diff}");
    assert!(diff.contains("\n-version: 0.1.0\n+version: 0.2.0\n"), "{diff}");
    assert_eq!(diff.matches("\n+++ b/").count() + 1, 3 + 1, "three files change:\n{diff}");
}

#[test]
fn a_version_that_is_not_newer_is_refused_unless_allowed() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git", "--version", "1.0.0", "1.0.0"]);
    let inventory = read(repo.path()).expect("readable");
    for version in ["1.0.0", "0.9.0", "1.0.0-rc.1"] {
        let err = bump::plan(&inventory, &Version::parse_any(version).expect("v"), &BumpOptions::default())
            .expect_err("not newer");
        assert!(matches!(err, PlanError::NotNewer { .. }), "{version}: {err}");
    }
    let options = BumpOptions::default().allow_downgrade(true);
    let plan = bump::plan(&inventory, &Version::parse_any("0.9.0").expect("v"), &options).expect("allowed");
    plan.apply().expect("apply");
    assert_eq!(check(&read(repo.path()).expect("readable"), Some("v0.9.0")).expect("tag").status, Status::Ok);
}

#[test]
fn build_metadata_has_no_pep440_form() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let inventory = read(repo.path()).expect("readable");
    let err =
        bump::plan(&inventory, &Version::parse_semver("1.0.0+build.5").expect("v"), &BumpOptions::default())
            .expect_err("unmappable");
    let text = err.to_string();
    assert!(
        text.starts_with("pyproject.toml:4: project.version: version 1.0.0+build.5 has no PEP 440 form"),
        "{text}"
    );
    assert!(text.contains("build metadata `+build.5`"), "{text}");
}

/// Replaces `file` with a non-empty directory, so that renaming over it fails after planning.
fn sabotage(dir: &Path, file: &str) {
    let path = dir.join(file);
    std::fs::remove_file(&path).expect("remove");
    std::fs::create_dir_all(path.join("occupied")).expect("mkdir");
}

#[test]
fn when_the_last_file_fails_every_renamed_file_is_restored() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let plan = plan(repo.path(), "0.2.0");
    assert_eq!(plan.files.last().expect("files").path, "charts/advisoryhub/Chart.yaml");
    sabotage(repo.path(), "charts/advisoryhub/Chart.yaml");
    let before = tree(repo.path());
    let err = plan.apply().expect_err("the chart cannot be replaced");
    assert!(
        matches!(err, ApplyError::RolledBack { ref path, .. } if path == "charts/advisoryhub/Chart.yaml"),
        "{err}"
    );
    assert_same_tree(&before, &tree(repo.path()));
}

#[test]
fn when_the_second_file_fails_the_first_is_restored() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let plan = plan(repo.path(), "0.2.0");
    assert_eq!(plan.files[1].path, "uv.lock");
    sabotage(repo.path(), "uv.lock");
    let before = tree(repo.path());
    let err = plan.apply().expect_err("uv.lock cannot be replaced");
    assert!(err.to_string().contains("every file was restored"), "{err}");
    assert_same_tree(&before, &tree(repo.path()));
}

#[test]
fn a_file_changed_since_it_was_read_stops_the_bump_before_anything_is_written() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let plan = plan(repo.path(), "0.2.0");
    let pyproject = repo.path().join("pyproject.toml");
    let edited = std::fs::read_to_string(&pyproject).expect("read") + "# edited meanwhile\n";
    std::fs::write(&pyproject, &edited).expect("write");
    let before = tree(repo.path());
    let err = plan.apply().expect_err("conflict");
    assert!(matches!(err, ApplyError::Unchanged { .. }), "{err}");
    assert_same_tree(&before, &tree(repo.path()));
}

#[test]
fn no_temporary_file_is_left_behind() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let plan = plan(repo.path(), "0.2.0");
    sabotage(repo.path(), "charts/advisoryhub/Chart.yaml");
    plan.apply().expect_err("fails");
    let leftovers: Vec<_> =
        tree(repo.path()).into_keys().filter(|p| p.to_string_lossy().ends_with(".tagwright")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn this_workspace_can_bump_itself() {
    let root = tagwright_test_support::workspace_root();
    let copy = tempfile::tempdir().expect("tempdir");
    for file in ["Cargo.toml", "Cargo.lock"] {
        std::fs::copy(root.join(file), copy.path().join(file)).expect("copy");
    }
    for member in [
        "crates/versions",
        "crates/git-sign",
        "crates/notes",
        "crates/sigstore",
        "crates/oci-publish",
        "crates/cli",
        "xtask",
        "tests/support",
    ] {
        let dir = copy.path().join(member);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::copy(root.join(member).join("Cargo.toml"), dir.join("Cargo.toml")).expect("copy manifest");
    }
    let inventory = read(copy.path()).expect("our own workspace is a version source");
    assert!(inventory.records.iter().any(|r| r.field == "package[tagwright-versions].version"));
    assert!(inventory.records.iter().any(|r| r.field == "workspace.dependencies.tagwright-versions.version"));
    let current = inventory.records[0].version.clone();
    let next = Version::parse_semver(&format!(
        "{}.{}.{}",
        current.as_semver().major,
        current.as_semver().minor + 1,
        0
    ))
    .expect("v");
    bump::plan(&inventory, &next, &BumpOptions::default()).expect("plan").apply().expect("apply");
    let tag = inventory.tag_format.render(&next);
    assert_eq!(check(&read(copy.path()).expect("readable"), Some(&tag)).expect("tag").status, Status::Ok);
}

#[test]
fn chart_yaml_keeps_anchors_tags_quotes_and_comments() {
    // Each of these YAML forms once made the bump write a broken Chart.yaml; the chart_yaml fuzz
    // target's bump oracle found them.
    let dir = tempfile::tempdir().expect("tempdir");
    let before = "apiVersion: v2\nname: x\nversion: &v 0.1.0\nalias: *v\nappVersion: !!str '0.1.0' ";
    std::fs::write(dir.path().join("Chart.yaml"), before).expect("write");
    plan(dir.path(), "0.2.0").apply().expect("apply");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Chart.yaml")).expect("read"),
        "apiVersion: v2\nname: x\nversion: &v 0.2.0\nalias: *v\nappVersion: !!str '0.2.0' "
    );
    std::fs::write(dir.path().join("Chart.yaml"), "name: x\nversion: \"0.1.0\"\t# the chart's\n")
        .expect("write");
    plan(dir.path(), "0.2.0").apply().expect("apply");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Chart.yaml")).expect("read"),
        "name: x\nversion: \"0.2.0\"\t# the chart's\n"
    );
}

/// A Python-only repository (pyproject.toml alone) orders its versions as PEP 440 does, where a
/// development release comes before the release it leads to; with a chart beside it, SemVer decides.
#[test]
fn python_only_repositories_order_versions_as_pep_440_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pyproject = |version: &str| format!("[project]\nname = \"demo\"\nversion = \"{version}\"\n");
    for (from, to) in [("1.2.0rc1.dev2", "1.2.0rc1"), ("1.2.0.dev1", "1.2.0a1"), ("1.2.0b1", "1.2.0rc1.dev0")]
    {
        std::fs::write(dir.path().join("pyproject.toml"), pyproject(from)).expect("write");
        let inventory = read(dir.path()).expect("readable");
        assert_eq!(inventory.scheme(), tagwright_versions::Scheme::Pep440);
        let new = Version::parse_pep440(to).expect("version");
        let plan = bump::plan(&inventory, &new, &BumpOptions::default())
            .unwrap_or_else(|e| panic!("{from} -> {to} is an upgrade under PEP 440: {e}"));
        assert_eq!(plan.files[0].changes[0].to, to);
        // And the other way round is a downgrade.
        std::fs::write(dir.path().join("pyproject.toml"), pyproject(to)).expect("write");
        let inventory = read(dir.path()).expect("readable");
        let back =
            bump::plan(&inventory, &Version::parse_pep440(from).expect("version"), &BumpOptions::default());
        assert!(matches!(back, Err(PlanError::NotNewer { .. })), "{to} -> {from}: {back:?}");
    }

    // A chart records the same version in SemVer: the mixed repository orders by SemVer, as Helm does.
    std::fs::write(dir.path().join("pyproject.toml"), pyproject("1.2.0rc1.dev2")).expect("write");
    std::fs::write(dir.path().join("Chart.yaml"), "name: demo\nversion: 1.2.0-rc.1.dev.2\n").expect("chart");
    let inventory = read(dir.path()).expect("readable");
    assert_eq!(inventory.scheme(), tagwright_versions::Scheme::Semver);
    let err = bump::plan(&inventory, &Version::parse_pep440("1.2.0rc1").expect("v"), &BumpOptions::default())
        .expect_err("a SemVer downgrade");
    assert!(matches!(err, PlanError::NotNewer { .. }), "{err}");
}
