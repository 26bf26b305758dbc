//! Issue 15, item 8: a Cargo virtual workspace whose members carry their own versions, shaped like
//! git-cliff's own repository. The result of a bump is checked by the real cargo: `cargo metadata
//! --offline --no-deps` reads the new versions, and `cargo update --workspace --offline` finds the lock
//! already current.

use std::path::Path;
use std::process::Command;

use tagwright_test_support::run_ok;
use tagwright_versions::bump::{self, BumpOptions};
use tagwright_versions::{Status, Version, check, read};

fn write(dir: &Path, path: &str, contents: &str) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    std::fs::write(full, contents).expect("write");
}

fn cargo(dir: &Path, args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    // The workspace under test must not see this repository's target directory or configuration.
    run_ok(Command::new(cargo).args(args).current_dir(dir).env_remove("CARGO_TARGET_DIR")).stdout
}

fn package(name: &str, version: &str, extra: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"{version}\" # managed by release.sh\nedition = \"2021\"\n{extra}"
    )
}

/// git-cliff's shape: `[workspace]` without a version; `git-cliff` requires `git-cliff-core` in a
/// dotted table; plus every requirement spelling cargo-edit keeps (`~`, `=`, `^`), a target-specific
/// table, a member with its own unrelated version, and an excluded package.
fn virtual_workspace(dir: &Path) {
    write(
        dir,
        "Cargo.toml",
        "[workspace]\nresolver = \"2\"\nmembers = [\"git-cliff-core\", \"git-cliff\", \"tools/*\"]\nexclude = [\"tools/fuzz\"]\n\n\
         [workspace.dependencies]\ngit-cliff-core = { path = \"git-cliff-core\", version = \"~2.13.1\" }\n",
    );
    write(dir, "git-cliff-core/Cargo.toml", &package("git-cliff-core", "2.13.1", ""));
    write(
        dir,
        "git-cliff/Cargo.toml",
        &package(
            "git-cliff",
            "2.13.1",
            "\n[dependencies.git-cliff-core]\nversion = \"2.13.1\" # managed by release.sh\nfeatures = []\npath = \"../git-cliff-core\"\n\n\
             [target.'cfg(unix)'.dev-dependencies]\ngit-cliff-core = { path = \"../git-cliff-core\", version = \"=2.13.1\" }\n",
        ),
    );
    write(
        dir,
        "tools/tui/Cargo.toml",
        &package(
            "git-cliff-tui",
            "2.13.1",
            "\n[dependencies]\ngit-cliff-core.workspace = true\ngit-cliff = { version = \"^2.13.1\", path = \"../../git-cliff\" }\n",
        ),
    );
    write(
        dir,
        "tools/xtask/Cargo.toml",
        &package(
            "xtask",
            "0.0.0",
            "\n[dependencies]\ngit-cliff-core = { path = \"../../git-cliff-core\", version = \"2.13.1\" }\n",
        ),
    );
    write(dir, "tools/fuzz/Cargo.toml", &package("git-cliff-fuzz", "2.13.1", "\n[workspace]\n"));
    for crate_dir in ["git-cliff-core", "git-cliff", "tools/tui", "tools/xtask", "tools/fuzz"] {
        write(dir, &format!("{crate_dir}/src/lib.rs"), "");
    }
    cargo(dir, &["generate-lockfile", "--offline", "--quiet"]);
}

#[test]
fn a_virtual_workspace_without_a_version_finds_its_members_and_their_requirements() {
    let repo = tempfile::tempdir().expect("tempdir");
    virtual_workspace(repo.path());
    let inventory = read(repo.path()).expect("discovery finds the members");
    let fields: Vec<(String, String, String)> =
        inventory.records.iter().map(|r| (r.file.clone(), r.field.clone(), r.value.clone())).collect();
    let expected = [
        ("Cargo.toml", "workspace.dependencies.git-cliff-core.version", "~2.13.1"),
        ("git-cliff-core/Cargo.toml", "package.version", "2.13.1"),
        ("git-cliff/Cargo.toml", "package.version", "2.13.1"),
        ("git-cliff/Cargo.toml", "dependencies.git-cliff-core.version", "2.13.1"),
        ("git-cliff/Cargo.toml", "target.cfg(unix).dev-dependencies.git-cliff-core.version", "=2.13.1"),
        ("tools/tui/Cargo.toml", "package.version", "2.13.1"),
        ("tools/tui/Cargo.toml", "dependencies.git-cliff.version", "^2.13.1"),
        ("tools/xtask/Cargo.toml", "dependencies.git-cliff-core.version", "2.13.1"),
        ("Cargo.lock", "package[git-cliff].version", "2.13.1"),
        ("Cargo.lock", "package[git-cliff-core].version", "2.13.1"),
        ("Cargo.lock", "package[git-cliff-tui].version", "2.13.1"),
    ];
    let expected: Vec<(String, String, String)> =
        expected.iter().map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned())).collect();
    assert_eq!(fields, expected);
    assert!(
        inventory.notes.iter().any(|n| n
            == "tools/xtask/Cargo.toml: package.version 0.0.0 is not the workspace's 2.13.1; left out of the lockstep"),
        "{:?}",
        inventory.notes
    );
    let report = check(&inventory, Some("v2.13.1")).expect("tag parses");
    assert_eq!(report.status, Status::Ok);
}

#[test]
fn a_bump_moves_members_requirements_and_the_lock_as_cargo_set_version_does() {
    let repo = tempfile::tempdir().expect("tempdir");
    let dir = repo.path();
    virtual_workspace(dir);
    let fuzz_before = std::fs::read_to_string(dir.join("tools/fuzz/Cargo.toml")).expect("fuzz");
    let inventory = read(dir).expect("readable");
    let version = Version::parse_semver("2.14.0").expect("version");
    bump::plan(&inventory, &version, &BumpOptions::default()).expect("plan").apply().expect("apply");

    let read_file = |path: &str| std::fs::read_to_string(dir.join(path)).expect("readable");
    assert!(
        read_file("git-cliff/Cargo.toml")
            .contains("[dependencies.git-cliff-core]\nversion = \"2.14.0\" # managed by release.sh\n")
    );
    assert!(read_file("git-cliff/Cargo.toml").contains("version = \"=2.14.0\" }"));
    assert!(read_file("tools/tui/Cargo.toml").contains("version = \"^2.14.0\""));
    assert!(read_file("Cargo.toml").contains("version = \"~2.14.0\""));
    assert!(
        read_file("tools/xtask/Cargo.toml").contains("version = \"0.0.0\""),
        "xtask keeps its own version"
    );
    assert!(read_file("tools/xtask/Cargo.toml").contains("version = \"2.14.0\" }"), "its requirement moves");
    assert_eq!(read_file("tools/fuzz/Cargo.toml"), fuzz_before, "an excluded package is not touched");

    // cargo reads the new versions...
    let metadata = cargo(dir, &["metadata", "--offline", "--no-deps", "--format-version", "1"]);
    let metadata: serde_json::Value = serde_json::from_str(&metadata).expect("cargo metadata JSON");
    let mut versions: Vec<(String, String)> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (p["name"].as_str().expect("name").to_owned(), p["version"].as_str().expect("version").to_owned())
        })
        .collect();
    versions.sort();
    let expected = [
        ("git-cliff", "2.14.0"),
        ("git-cliff-core", "2.14.0"),
        ("git-cliff-tui", "2.14.0"),
        ("xtask", "0.0.0"),
    ];
    let expected: Vec<(String, String)> =
        expected.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
    assert_eq!(versions, expected);
    // ...and finds the lock we wrote already current: `cargo update --workspace` changes nothing.
    let lock = read_file("Cargo.lock");
    assert_eq!(lock.matches("version = \"2.14.0\"").count(), 3, "{lock}");
    cargo(dir, &["update", "--workspace", "--offline", "--quiet"]);
    assert_eq!(read_file("Cargo.lock"), lock, "cargo update rewrote the lock: the bump left it stale");
    assert_eq!(check(&read(dir).expect("readable"), Some("v2.14.0")).expect("check").status, Status::Ok);
}

#[test]
fn a_virtual_workspace_whose_members_tie_names_none_and_says_why() {
    let repo = tempfile::tempdir().expect("tempdir");
    let dir = repo.path();
    write(dir, "Cargo.toml", "[workspace]\nmembers = [\"a\", \"b\"]\n");
    write(dir, "a/Cargo.toml", &package("a", "1.0.0", ""));
    write(dir, "b/Cargo.toml", &package("b", "2.0.0", ""));
    write(dir, "pyproject.toml", "[project]\nname = \"docs\"\nversion = \"0.1.0\"\n");
    let inventory = read(dir).expect("readable");
    assert_eq!(inventory.records.len(), 1, "only pyproject.toml: {:?}", inventory.records);
    assert!(
        inventory.notes.iter().any(|n| n.contains("members record 1.0.0 and 2.0.0 equally often")),
        "{:?}",
        inventory.notes
    );
}
