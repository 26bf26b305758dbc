//! Issue 15, items 10 and 11: Python projects beyond `[project].version`. Each bump is judged by the
//! project's own tool: `poetry version` and `poetry check --lock` for Poetry, `hatchling version` for a
//! dynamic version held in a module's `__version__`, and `uv lock --check` for a lock an older uv wrote.

use std::path::Path;
use std::process::Command;

use tagwright_test_support::{fixture, peer_command, run, run_ok};
use tagwright_versions::bump::{self, BumpOptions};
use tagwright_versions::{ReadError, SourceKind, Status, Version, check, read};

fn write(dir: &Path, path: &str, contents: &str) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    std::fs::write(full, contents).expect("write");
}

fn read_file(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path)).expect("readable")
}

fn bump(dir: &Path, version: &str) {
    let inventory = read(dir).expect("readable");
    let version = Version::parse_any(version).expect("version");
    bump::plan(&inventory, &version, &BumpOptions::default()).expect("plan").apply().expect("apply");
}

fn copy_dir(from: &Path, to: &Path) {
    run_ok(peer_command("cp").arg("-R").arg(format!("{}/.", from.display())).arg(to));
}

/// (file, field, kind, value) of every record.
fn records(dir: &Path) -> Vec<(String, String, SourceKind, String)> {
    read(dir).expect("readable").records.into_iter().map(|r| (r.file, r.field, r.kind, r.value)).collect()
}

/// Poetry, with its cache, configuration and data inside `home`: nothing is written outside the test.
fn poetry(dir: &Path, home: &Path, args: &[&str]) -> Command {
    let mut command = peer_command("poetry");
    command
        .args(args)
        .arg("--no-interaction")
        .current_dir(dir)
        .env("POETRY_CACHE_DIR", home.join("cache"))
        .env("POETRY_CONFIG_DIR", home.join("config"))
        .env("POETRY_DATA_DIR", home.join("data"))
        .env("HOME", home);
    command
}

const POETRY_PROJECT: &str = "[tool.poetry]\nname = \"advisoryhub\"\nversion = '0.1.0'  # one version\n\
    description = \"\"\nauthors = [\"Rel Eng <rel@example.com>\"]\npackage-mode = false\n\n\
    [tool.poetry.dependencies]\npython = \"^3.9\"\n\n\
    [build-system]\nrequires = [\"poetry-core\"]\nbuild-backend = \"poetry.core.masonry.api\"\n";

#[test]
fn a_poetry_project_with_a_poetry_lock_bumps_as_poetry_version_does() {
    let home = tempfile::tempdir().expect("tempdir");
    let base = tempfile::tempdir().expect("tempdir");
    write(base.path(), "pyproject.toml", POETRY_PROJECT);
    run_ok(&mut poetry(base.path(), home.path(), &["lock"]));
    assert!(read_file(base.path(), "poetry.lock").contains("content-hash"), "poetry wrote its lock");
    assert_eq!(
        records(base.path()),
        vec![(
            "pyproject.toml".to_owned(),
            "tool.poetry.version".to_owned(),
            SourceKind::Pyproject,
            "0.1.0".to_owned()
        )],
        "poetry.lock records no version of the project itself, so it is not a source"
    );
    for version in ["0.2.0", "1.0.0-rc.1", "0.2.0-dev.3"] {
        let (theirs, ours) = (tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir"));
        copy_dir(base.path(), theirs.path());
        copy_dir(base.path(), ours.path());
        let pep440 = Version::parse_any(version).expect("version").to_pep440().expect("PEP 440 form");
        run_ok(&mut poetry(theirs.path(), home.path(), &["version", &pep440]));
        bump(ours.path(), version);
        assert_eq!(
            read_file(ours.path(), "pyproject.toml"),
            read_file(theirs.path(), "pyproject.toml"),
            "{version}"
        );
        assert_eq!(read_file(ours.path(), "poetry.lock"), read_file(base.path(), "poetry.lock"));
        let shown = run_ok(&mut poetry(ours.path(), home.path(), &["version", "--short"])).stdout;
        assert_eq!(shown.trim(), pep440);
        run_ok(&mut poetry(ours.path(), home.path(), &["check", "--lock"]));
    }
}

const HATCH_PROJECT: &str = "[project]\nname = \"dyn\"\ndynamic = [\"version\"]\nrequires-python = \">=3.9\"\n\n\
    [build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n\
    [tool.hatch.version]\npath = \"src/dyn/__about__.py\"\n";

fn hatchling_version(dir: &Path, args: &[&str]) -> String {
    run_ok(peer_command("hatchling").arg("version").args(args).current_dir(dir)).stdout.trim().to_owned()
}

#[test]
fn a_dynamic_version_in_a_modules_dunder_version_is_read_and_bumped_as_hatchling_does() {
    for module in [
        "\"\"\"About dyn.\"\"\"\n\n__version__ = '1.2.0'  # bumped by the release\n__version_info__ = (1, 2, 0)\n",
        // hatchling's pattern takes `VERSION` too, and a leading `v` (but no annotation).
        "VERSION = \"v1.2.0\"\n",
    ] {
        let base = tempfile::tempdir().expect("tempdir");
        write(base.path(), "pyproject.toml", HATCH_PROJECT);
        write(base.path(), "src/dyn/__about__.py", module);
        // A dynamic version is locked by uv as no version at all (uv >= 0.6): not a source.
        write(
            base.path(),
            "uv.lock",
            "version = 1\nrevision = 3\nrequires-python = \">=3.9\"\n\n[[package]]\nname = \"dyn\"\nsource = { editable = \".\" }\n",
        );
        assert_eq!(hatchling_version(base.path(), &[]), "1.2.0");
        let inventory = read(base.path()).expect("readable");
        let variable = if module.starts_with("VERSION") { "VERSION" } else { "__version__" };
        let line = if variable == "VERSION" { 1 } else { 3 };
        let found: Vec<_> =
            inventory.records.iter().map(|r| (r.file.as_str(), r.field.as_str(), r.line)).collect();
        assert_eq!(found, vec![("src/dyn/__about__.py", variable, line)]);
        assert!(
            inventory.notes.iter().any(|n| n.contains("dynamic version, which uv does not lock")),
            "{:?}",
            inventory.notes
        );
        assert_eq!(check(&inventory, Some("v1.2.0")).expect("check").status, Status::Ok);
        for version in ["1.3.0", "2.0.0-rc.1"] {
            let (theirs, ours) =
                (tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir"));
            copy_dir(base.path(), theirs.path());
            copy_dir(base.path(), ours.path());
            let pep440 = Version::parse_any(version).expect("version").to_pep440().expect("PEP 440 form");
            hatchling_version(theirs.path(), &[&pep440]);
            bump(ours.path(), version);
            let (a, b) = (
                read_file(theirs.path(), "src/dyn/__about__.py"),
                read_file(ours.path(), "src/dyn/__about__.py"),
            );
            // Byte-identical: the quotes, the comment and a leading `v` stay.
            assert_eq!(b, a, "{version}");
            assert_eq!(hatchling_version(ours.path(), &[]), pep440);
            assert_eq!(
                read_file(ours.path(), "pyproject.toml"),
                HATCH_PROJECT,
                "pyproject.toml is not touched"
            );
        }
    }
}

#[test]
fn setuptools_pdm_and_flit_modules_are_found_in_flat_and_src_layouts() {
    // (the backend's settings, the module it reads, its text before and after a bump to 0.5.0)
    let cases = [
        (
            "[tool.setuptools.dynamic]\nversion = { attr = \"my_pkg.meta.__version__\" }\n",
            "src/my_pkg/meta.py",
            "import sys\n\n__version__: str = \"0.4.0\"\n",
            "import sys\n\n__version__: str = \"0.5.0\"\n",
        ),
        (
            "[tool.pdm.version]\nsource = \"file\"\npath = \"pkg/__init__.py\"\n",
            "pkg/__init__.py",
            "__version__ = \"0.4.0\"\n",
            "__version__ = \"0.5.0\"\n",
        ),
        (
            "[build-system]\nbuild-backend = \"flit_core.buildapi\"\n",
            "src/my_pkg/__init__.py",
            "'''Docs.'''\n__version__ = '0.4.0'\n",
            "'''Docs.'''\n__version__ = '0.5.0'\n",
        ),
    ];
    for (settings, module, before, after) in cases {
        let repo = tempfile::tempdir().expect("tempdir");
        let dir = repo.path();
        let pyproject = format!("[project]\nname = \"my-pkg\"\ndynamic = [\"version\"]\n\n{settings}");
        write(dir, "pyproject.toml", &pyproject);
        write(dir, module, before);
        let expected =
            vec![(module.to_owned(), "__version__".to_owned(), SourceKind::PythonModule, "0.4.0".to_owned())];
        assert_eq!(records(dir), expected, "{settings}");
        bump(dir, "0.5.0");
        assert_eq!(read_file(dir, module), after, "{settings}");
    }
}

#[test]
fn a_computed_dunder_version_is_an_input_error_at_its_line_naming_the_backend_setting() {
    let repo = tempfile::tempdir().expect("tempdir");
    let dir = repo.path();
    write(dir, "pyproject.toml", HATCH_PROJECT);
    write(
        dir,
        "src/dyn/__about__.py",
        "import importlib.metadata\n__version__ = importlib.metadata.version(\"dyn\")\n",
    );
    let err = read(dir).expect_err("computed");
    assert!(matches!(err, ReadError::Syntax { line: 2, column: 15, .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with("src/dyn/__about__.py:2:15: `__version__` is not a plain string assignment"),
        "{text}"
    );
    assert!(text.contains("`[tool.hatch.version] path` (src/dyn/__about__.py)"), "{text}");
    // The module missing altogether keeps the dynamic-version error on pyproject.toml.
    std::fs::remove_file(dir.join("src/dyn/__about__.py")).expect("remove");
    let text = read(dir).expect_err("missing").to_string();
    assert!(text.starts_with("pyproject.toml:3:") && text.contains("the version is dynamic"), "{text}");
}

/// Item 10: uv 0.8.24 wrote `tests/fixtures/advisoryhub/uv.revision-3.lock` from the fixture's own
/// pyproject.toml (`uv lock`; it differs from uv.lock in its `revision` line only). `uv version`
/// migrates it to revision 5 while bumping; ours changes the version line only, and today's uv
/// accepts the result as current.
#[test]
fn a_lock_written_by_an_older_uv_is_bumped_in_place_and_stays_current() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let old = include_str!("../../../tests/fixtures/advisoryhub/uv.revision-3.lock");
    std::fs::write(repo.path().join("uv.lock"), old).expect("write");
    run_ok(peer_command("uv").args(["lock", "--check", "--offline"]).current_dir(repo.path()));
    let theirs = tempfile::tempdir().expect("tempdir");
    copy_dir(repo.path(), theirs.path());
    run_ok(
        peer_command("uv").args(["version", "0.2.0", "--no-sync", "--offline"]).current_dir(theirs.path()),
    );
    assert!(read_file(theirs.path(), "uv.lock").contains("\nrevision = 5\n"), "uv migrates the lock");
    bump(repo.path(), "0.2.0");
    let ours = read_file(repo.path(), "uv.lock");
    assert_eq!(
        ours,
        old.replace(
            "name = \"advisoryhub\"\nversion = \"0.1.0\"",
            "name = \"advisoryhub\"\nversion = \"0.2.0\""
        )
    );
    assert!(ours.contains("\nrevision = 3\n"));
    let checked = run(peer_command("uv").args(["lock", "--check", "--offline"]).current_dir(repo.path()));
    assert_eq!(checked.code, 0, "uv lock --check on our bump of a revision-3 lock:\n{}", checked.stderr);
}
