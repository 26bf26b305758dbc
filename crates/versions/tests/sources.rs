//! Reading and checking every source kind, on repositories built by `tests/fixtures/make_advisoryhub.sh`
//! (real git, real uv) and, for Cargo, manifests locked by the real cargo.

use std::path::Path;
use std::process::Command;

use tagwright_test_support::{fixture, run_ok};
use tagwright_versions::{Basis, ReadError, SourceKind, Status, TagError, check, read};

fn write(dir: &Path, path: &str, contents: &str) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    std::fs::write(full, contents).expect("write");
}

/// (file, field, line, value) of every record.
fn rows(dir: &Path) -> Vec<(String, String, usize, String)> {
    read(dir).expect("readable").records.into_iter().map(|r| (r.file, r.field, r.line, r.value)).collect()
}

fn row(file: &str, field: &str, line: usize, value: &str) -> (String, String, usize, String) {
    (file.to_owned(), field.to_owned(), line, value.to_owned())
}

#[test]
fn advisoryhub_records_its_version_in_four_places() {
    let repo = fixture("make_advisoryhub.sh", &[]);
    assert_eq!(
        rows(repo.path()),
        vec![
            row("pyproject.toml", "project.version", 4, "0.1.0"),
            row("uv.lock", "package[advisoryhub].version", 12, "0.1.0"),
            row("charts/advisoryhub/Chart.yaml", "version", 7, "0.1.0"),
            row("charts/advisoryhub/Chart.yaml", "appVersion", 9, "0.1.0"),
        ]
    );
    let report = check(&read(repo.path()).expect("readable"), Some("v0.1.0")).expect("tag parses");
    assert_eq!(report.status, Status::Ok);
    assert_eq!(report.basis, Basis::Tag);
}

#[test]
fn the_committed_demo_lock_is_the_one_uv_writes() {
    // The fixture script deletes uv.lock and runs `uv lock`; the demo embeds the committed copy.
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let generated = std::fs::read_to_string(repo.path().join("uv.lock")).expect("uv wrote a lock");
    let committed = include_str!("../../../tests/fixtures/advisoryhub/uv.lock");
    assert_eq!(committed, generated, "regenerate tests/fixtures/advisoryhub/uv.lock with `uv lock`");
}

#[test]
fn a_virtual_root_is_found_in_uv_lock() {
    let repo = fixture("make_advisoryhub.sh", &["--virtual", "--no-git"]);
    let lock = std::fs::read_to_string(repo.path().join("uv.lock")).expect("lock");
    assert!(lock.contains("source = { virtual = \".\" }"), "uv wrote a virtual root:\n{lock}");
    assert!(rows(repo.path()).contains(&row("uv.lock", "package[advisoryhub].version", 12, "0.1.0")));
}

#[test]
fn a_poetry_version_is_read() {
    let repo = fixture("make_advisoryhub.sh", &["--poetry", "--no-git"]);
    let records = rows(repo.path());
    assert_eq!(records[0].1, "tool.poetry.version");
    assert_eq!(records[0].3, "0.1.0");
    assert_eq!(records.len(), 3, "pyproject + chart version + appVersion: {records:?}");
}

#[test]
fn a_dynamic_version_is_an_input_error_that_says_why() {
    let repo = tempfile::tempdir().expect("tempdir");
    write(repo.path(), "pyproject.toml", "[project]\nname = \"x\"\ndynamic = [\"readme\", \"version\"]\n");
    let err = read(repo.path()).expect_err("dynamic");
    assert!(matches!(err, ReadError::Syntax { line: 3, column: 22, .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with("pyproject.toml:3:22: the version is dynamic"), "{text}");
    assert!(text.contains("a build backend computes it"), "{text}");
}

/// Issue 15, item 11: a dynamic version's error names the backend's setting that holds it.
#[test]
fn a_dynamic_version_names_the_backend_setting_that_holds_it() {
    let cases = [
        (
            "[tool.hatch.version]\npath = \"src/x/__init__.py\"\n",
            "hatchling reads it from `[tool.hatch.version] path` (src/x/__init__.py)",
        ),
        (
            "[tool.hatch.version]\nsource = \"vcs\"\n",
            "hatchling computes it with `[tool.hatch.version] source = \"vcs\"`",
        ),
        (
            "[tool.setuptools.dynamic]\nversion = { attr = \"x.__version__\" }\n",
            "setuptools reads it from `[tool.setuptools.dynamic] version.attr` (x.__version__)",
        ),
        ("[tool.setuptools.dynamic]\nversion = { file = \"VERSION\" }\n", "version.file` (VERSION)"),
        ("[tool.setuptools_scm]\n", "setuptools-scm computes it from the git tags"),
        (
            "[tool.pdm.version]\nsource = \"file\"\npath = \"x/_v.py\"\n",
            "PDM reads it from `[tool.pdm.version] path` (x/_v.py, source \"file\")",
        ),
        (
            "[build-system]\nbuild-backend = \"flit_core.buildapi\"\n",
            "flit reads it from the module's `__version__`",
        ),
    ];
    for (tool, expected) in cases {
        let repo = tempfile::tempdir().expect("tempdir");
        write(
            repo.path(),
            "pyproject.toml",
            &format!("[project]\nname = \"x\"\ndynamic = [\"version\"]\n\n{tool}"),
        );
        let text = read(repo.path()).expect_err("dynamic").to_string();
        assert!(text.contains(expected), "{tool}: {text}");
    }
}

#[test]
fn discovery_finds_root_files_and_charts_under_charts() {
    let repo = tempfile::tempdir().expect("tempdir");
    write(repo.path(), "Chart.yaml", "apiVersion: v2\nname: root\nversion: 1.0.0\n");
    write(repo.path(), "charts/a/Chart.yaml", "name: a\nversion: 1.0.0\nappVersion: v1.0.0\n");
    write(repo.path(), "charts/b/Chart.yaml", "name: b\nversion: '1.0.0'\n");
    // Not discovered: deeper charts and other directories need tagwright.toml.
    write(repo.path(), "charts/a/charts/sub/Chart.yaml", "name: sub\nversion: 9.9.9\n");
    write(repo.path(), "deploy/Chart.yaml", "name: d\nversion: 9.9.9\n");
    // A pyproject.toml without a version is only tool configuration.
    write(repo.path(), "pyproject.toml", "[tool.ruff]\nline-length = 100\n");
    let inventory = read(repo.path()).expect("readable");
    let found: Vec<_> =
        inventory.records.iter().map(|r| (r.file.as_str(), r.field.as_str(), r.value.as_str())).collect();
    assert_eq!(
        found,
        vec![
            ("Chart.yaml", "version", "1.0.0"),
            ("charts/a/Chart.yaml", "version", "1.0.0"),
            ("charts/a/Chart.yaml", "appVersion", "v1.0.0"),
            ("charts/b/Chart.yaml", "version", "1.0.0"),
        ]
    );
    assert_eq!(inventory.notes.len(), 1, "{:?}", inventory.notes);
    assert_eq!(check(&inventory, None).expect("no tag").status, Status::Ok);
}

#[test]
fn no_sources_is_an_input_error() {
    let repo = tempfile::tempdir().expect("tempdir");
    write(repo.path(), "README.md", "nothing here\n");
    assert!(matches!(read(repo.path()), Err(ReadError::NoSources { .. })));
}

fn cargo_generate_lockfile(dir: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    run_ok(Command::new(cargo).args(["generate-lockfile", "--offline", "--quiet"]).current_dir(dir));
}

#[test]
fn a_cargo_workspace_records_its_version_in_manifests_and_the_lock() {
    let repo = tempfile::tempdir().expect("tempdir");
    let dir = repo.path();
    write(
        dir,
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n\n[workspace.package]\nversion = \"0.3.0\" # lockstep\n\n\
         [workspace.dependencies]\nalpha = { path = \"crates/alpha\", version = \"=0.3.0\" }\n",
    );
    write(
        dir,
        "crates/alpha/Cargo.toml",
        "[package]\nname = \"alpha\"\nversion.workspace = true\nedition = \"2021\"\n",
    );
    write(dir, "crates/alpha/src/lib.rs", "");
    write(
        dir,
        "crates/beta/Cargo.toml",
        "[package]\nname = \"beta\"\nversion = \"9.0.0\"\nedition = \"2021\"\n\n[dependencies]\nalpha = { path = \"../alpha\", version = \"0.3.0\" }\n",
    );
    write(dir, "crates/beta/src/lib.rs", "");
    cargo_generate_lockfile(dir);
    let records = rows(dir);
    let lock = std::fs::read_to_string(dir.join("Cargo.lock")).expect("lock");
    let alpha_line = lock.lines().position(|l| l == "name = \"alpha\"").expect("alpha in lock") + 2;
    assert_eq!(
        records,
        vec![
            row("Cargo.toml", "workspace.package.version", 6, "0.3.0"),
            row("Cargo.toml", "workspace.dependencies.alpha.version", 9, "=0.3.0"),
            row("crates/beta/Cargo.toml", "dependencies.alpha.version", 7, "0.3.0"),
            row("Cargo.lock", "package[alpha].version", alpha_line, "0.3.0"),
        ],
        "beta has its own version and is not in lockstep"
    );
}

#[test]
fn a_single_cargo_package_and_its_lock() {
    let repo = tempfile::tempdir().expect("tempdir");
    write(repo.path(), "Cargo.toml", "[package]\nname = \"solo\"\nversion = '1.4.0'\nedition = \"2021\"\n");
    write(repo.path(), "src/lib.rs", "");
    cargo_generate_lockfile(repo.path());
    let records = rows(repo.path());
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[0], row("Cargo.toml", "package.version", 3, "1.4.0"));
    assert_eq!(records[1].1, "package[solo].version");
}

#[test]
fn tagwright_toml_lists_sources_and_sets_the_tag_format() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    write(repo.path(), "deploy/app.yaml", "# not called Chart.yaml\nname: app\nversion: 0.1.0\n");
    write(
        repo.path(),
        "tagwright.toml",
        "[versions]\ntag-format = \"advisoryhub-{version}\"\nsources = [\n  \"pyproject.toml\",\n  \
         { path = \"deploy/app.yaml\", kind = \"chart\" },\n]\n",
    );
    let inventory = read(repo.path()).expect("readable");
    let files: Vec<_> = inventory.records.iter().map(|r| (r.kind, r.file.as_str())).collect();
    assert_eq!(
        files,
        vec![(SourceKind::Pyproject, "pyproject.toml"), (SourceKind::Chart, "deploy/app.yaml")]
    );
    assert_eq!(check(&inventory, Some("advisoryhub-0.1.0")).expect("tag").status, Status::Ok);
    assert!(matches!(check(&inventory, Some("v0.1.0")), Err(TagError::Mismatch { .. })));
}

#[test]
fn tagwright_toml_mistakes_name_the_file_and_line() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    write(repo.path(), "tagwright.toml", "[versions]\n\nsource = [\"pyproject.toml\"]\n");
    let err = read(repo.path()).expect_err("typo").to_string();
    assert!(err.starts_with("tagwright.toml:3:"), "{err}");
    assert!(err.contains("unknown key `versions.source`"), "{err}");
    write(repo.path(), "tagwright.toml", "[versions]\nsources = [\"charts/*/Chart.yml\"]\n");
    let err = read(repo.path()).expect_err("missing");
    assert_eq!(err.to_string(), "charts/*/Chart.yml: not found (listed in tagwright.toml)");
    write(repo.path(), "tagwright.toml", "[versions]\ntag-format = \"v\"\n");
    assert!(read(repo.path()).expect_err("format").to_string().contains("{version}"));
}

#[test]
fn one_source_off_is_named_against_the_majority() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let chart = repo.path().join("charts/advisoryhub/Chart.yaml");
    let text = std::fs::read_to_string(&chart)
        .expect("chart")
        .replace("appVersion: \"0.1.0\"", "appVersion: \"0.1.1\"");
    std::fs::write(&chart, text).expect("write");
    let report = check(&read(repo.path()).expect("readable"), None).expect("no tag");
    assert_eq!(report.status, Status::Mismatch);
    assert_eq!(report.basis, Basis::Majority { agreeing: 3, total: 4 });
    assert_eq!(
        report.problems(),
        vec!["charts/advisoryhub/Chart.yaml:9: appVersion is 0.1.1, but the majority (3 of 4) says 0.1.0"]
    );
}

#[test]
fn a_tag_mismatch_names_every_source() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let report = check(&read(repo.path()).expect("readable"), Some("v0.2.0")).expect("tag");
    assert_eq!(report.status, Status::Mismatch);
    assert_eq!(report.mismatches().count(), 4);
    assert!(report.problems()[0].ends_with("but the tag v0.2.0 says 0.2.0"), "{:?}", report.problems());
}

#[test]
fn a_tie_has_no_expected_version() {
    let repo = tempfile::tempdir().expect("tempdir");
    write(repo.path(), "charts/a/Chart.yaml", "name: a\nversion: 1.0.0\nappVersion: 1.0.1\n");
    let report = check(&read(repo.path()).expect("readable"), None).expect("no tag");
    assert_eq!(report.basis, Basis::Tie);
    assert_eq!(report.mismatches().count(), 2);
}

#[test]
fn pep440_and_semver_prereleases_agree() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git", "--version", "1.2.0rc1", "1.2.0-rc.1"]);
    let inventory = read(repo.path()).expect("readable");
    let values: Vec<_> = inventory.records.iter().map(|r| r.value.as_str()).collect();
    assert_eq!(values, vec!["1.2.0rc1", "1.2.0rc1", "1.2.0-rc.1", "1.2.0-rc.1"]);
    assert_eq!(check(&inventory, Some("v1.2.0-rc.1")).expect("tag").status, Status::Ok);
    assert_eq!(check(&inventory, Some("v1.2.0-rc.2")).expect("tag").status, Status::Mismatch);
}

#[test]
fn values_that_are_not_versions_are_input_errors_with_a_location() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let chart = repo.path().join("charts/advisoryhub/Chart.yaml");
    let text = std::fs::read_to_string(&chart)
        .expect("chart")
        .replace("appVersion: \"0.1.0\"", "appVersion: latest");
    std::fs::write(&chart, text).expect("write");
    let err = read(repo.path()).expect_err("latest");
    assert!(
        err.to_string().starts_with("charts/advisoryhub/Chart.yaml:9:13: appVersion = `latest`"),
        "{err}"
    );
}
