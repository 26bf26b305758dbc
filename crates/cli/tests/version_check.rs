//! `version-check`: exit codes, messages, `--json` against committed snapshots, GitHub annotations.

use std::path::Path;
use std::process::Command;

use tagwright_test_support::{Run, assert_same_tree, assert_snapshot, cargo_bin, fixture, run, tree};

fn version_check(repo: &Path, args: &[&str]) -> Run {
    let mut command: Command = cargo_bin(env!("CARGO_BIN_EXE_version-check"));
    command.arg("--repo").arg(repo).args(args);
    run(&mut command)
}

fn edit(repo: &Path, file: &str, from: &str, to: &str) {
    let path = repo.join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} should contain {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn agreeing_sources_exit_0_with_one_row_each() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let out = version_check(repo.path(), &["--tag", "v0.1.0"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "FILE                           FIELD                         LINE  VALUE\n\
         pyproject.toml                 project.version               4     0.1.0\n\
         uv.lock                        package[advisoryhub].version  12    0.1.0\n\
         charts/advisoryhub/Chart.yaml  version                       7     0.1.0\n\
         charts/advisoryhub/Chart.yaml  appVersion                    9     0.1.0\n\
         tag v0.1.0 names 0.1.0\n\
         ok: 4 sources agree on 0.1.0 and match tag v0.1.0\n"
    );
    assert_eq!(out.stderr, "");
}

#[test]
fn one_source_off_exits_1_and_is_named() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    edit(repo.path(), "charts/advisoryhub/Chart.yaml", "version: 0.1.0", "version: 0.1.1");
    let out = version_check(repo.path(), &[]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "version-check: error: charts/advisoryhub/Chart.yaml:7: version is 0.1.1, but the majority (3 of 4) says 0.1.0\n"
    );
    assert!(out.stdout.contains("0.1.1  <- differs"), "{}", out.stdout);
}

#[test]
fn a_tag_mismatch_exits_1() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let out = version_check(repo.path(), &["--tag", "v0.1.1"]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr.lines().count(), 4, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("uv.lock:12: package[advisoryhub].version is 0.1.0, but the tag v0.1.1 says 0.1.1")
    );
}

#[test]
fn the_tag_comes_from_the_github_environment() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_version-check"));
    command.arg("--repo").arg(repo.path()).arg("--tag-from-env").env("GITHUB_REF", "refs/tags/v0.1.0");
    assert_eq!(run(&mut command).code, 0);
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_version-check"));
    command.arg("--repo").arg(repo.path()).arg("--tag-from-env").env("GITHUB_REF_NAME", "v0.2.0");
    assert_eq!(run(&mut command).code, 1);
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_version-check"));
    command.arg("--repo").arg(repo.path()).arg("--tag-from-env").env("GITHUB_REF", "refs/heads/main");
    let out = run(&mut command);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("GITHUB_REF is `refs/heads/main`, which is not a tag"), "{}", out.stderr);
}

#[test]
fn malformed_toml_exits_2_with_the_location_and_changes_nothing() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    edit(repo.path(), "pyproject.toml", "description = \"A service", "description = = \"A service");
    let before = tree(repo.path());
    let out = version_check(repo.path(), &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with("version-check: error: pyproject.toml:5:15: invalid TOML:"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "");
    assert_same_tree(&before, &tree(repo.path()));
}

#[test]
fn malformed_yaml_exits_2_with_the_location_and_changes_nothing() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    edit(repo.path(), "charts/advisoryhub/Chart.yaml", "appVersion: \"0.1.0\"", "appVersion: \"0.1.0");
    let before = tree(repo.path());
    let out = version_check(repo.path(), &[]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.starts_with("version-check: error: charts/advisoryhub/Chart.yaml:"), "{}", out.stderr);
    assert!(out.stderr.contains("invalid YAML"), "{}", out.stderr);
    assert_same_tree(&before, &tree(repo.path()));
}

#[test]
fn a_missing_repository_and_bad_flags_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = version_check(&dir.path().join("nope"), &[]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("nope: cannot read: No such file or directory"), "{}", out.stderr);
    let out = version_check(dir.path(), &[]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no version sources found"), "{}", out.stderr);
    let out = version_check(dir.path(), &["--tag", "v1", "--tag-from-env"]);
    assert_eq!(out.code, 2, "conflicting flags are a usage error");
}

#[test]
fn json_matches_the_committed_snapshot() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git", "--version", "1.2.0rc1", "1.2.0-rc.1"]);
    edit(
        repo.path(),
        "charts/advisoryhub/Chart.yaml",
        "appVersion: \"1.2.0-rc.1\"",
        "appVersion: \"1.2.0-rc.2\"",
    );
    let out = version_check(repo.path(), &["--json"]);
    assert_eq!(out.code, 1);
    assert_snapshot("crates/cli/tests/snapshots/version-check-mismatch.json", &out.stdout);
    let out = version_check(repo.path(), &["--json", "--tag", "v1.2.0-rc.1"]);
    assert_snapshot("crates/cli/tests/snapshots/version-check-tag.json", &out.stdout);
}

#[test]
fn json_input_errors_are_json_too() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    edit(
        repo.path(),
        "uv.lock",
        "version = \"0.1.0\"\nsource = { editable",
        "version = 0.1.0\nsource = { editable",
    );
    let out = version_check(repo.path(), &["--json"]);
    assert_eq!(out.code, 2);
    assert_snapshot("crates/cli/tests/snapshots/version-check-error.json", &out.stdout);
}

#[test]
fn github_format_prints_error_annotations() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    edit(repo.path(), "pyproject.toml", "version = \"0.1.0\"", "version = \"0.1.1\"");
    let out = version_check(repo.path(), &["--format", "github"]);
    assert_eq!(out.code, 1);
    let annotations: Vec<_> = out.stdout.lines().filter(|l| l.starts_with("::error")).collect();
    assert_eq!(
        annotations,
        vec![
            "::error file=pyproject.toml,line=4,col=11,title=version lockstep::project.version is 0.1.1, expected 0.1.0"
        ]
    );
}

/// The lines of `stdout` outside the `::stop-commands::TOKEN` … `::TOKEN::` block, and the token.
fn outside_stop_commands(stdout: &str) -> (Vec<&str>, String) {
    let lines: Vec<&str> = stdout.lines().collect();
    let start =
        lines.iter().position(|l| l.starts_with("::stop-commands::")).expect("a stop-commands marker");
    let token = lines[start]["::stop-commands::".len()..].to_owned();
    let end = lines.iter().position(|l| *l == format!("::{token}::")).expect("the end marker");
    let outside = lines[..start].iter().chain(&lines[end + 1..]).copied().collect();
    (outside, token)
}

#[test]
fn github_format_keeps_repository_text_out_of_workflow_commands() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    // A chart directory whose name carries a line break and a workflow command.
    let evil = repo.path().join("charts/x\n::warning::injected by the repository");
    std::fs::create_dir_all(&evil).expect("mkdir");
    std::fs::copy(repo.path().join("charts/advisoryhub/Chart.yaml"), evil.join("Chart.yaml")).expect("copy");
    let out = version_check(repo.path(), &["--format", "github"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        !out.stdout.lines().chain(out.stderr.lines()).any(|l| l.starts_with("::warning::")),
        "the repository's text became a workflow command:\n{}",
        out.stdout
    );
    let (outside, token) = outside_stop_commands(&out.stdout);
    assert!(token.len() >= 32 && token.starts_with("tagwright-"), "{token}");
    assert!(
        outside.iter().all(|l| l.starts_with("::error ")),
        "only our annotations are commands: {outside:?}"
    );
    assert!(
        out.stdout.contains("charts/x%0A::warning::injected by the repository/Chart.yaml"),
        "{}",
        out.stdout
    );

    // Two runs never share a token.
    let again = version_check(repo.path(), &["--format", "github"]);
    assert_ne!(outside_stop_commands(&again.stdout).1, token);
}

#[test]
fn sources_outside_the_repository_are_refused() {
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(outside.path().join("chart")).expect("mkdir");
    std::fs::write(outside.path().join("chart/Chart.yaml"), "apiVersion: v2\nname: x\nversion: 0.1.0\n")
        .expect("write");
    std::fs::write(outside.path().join("pyproject.toml"), "[project]\nname = \"x\"\nversion = \"0.1.0\"\n")
        .expect("write");

    // A symlinked chart directory that leads out of the repository.
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    std::os::unix::fs::symlink(outside.path().join("chart"), repo.path().join("charts/elsewhere"))
        .expect("symlink");
    let out = version_check(repo.path(), &[]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("charts/elsewhere/Chart.yaml: resolves to "), "{}", out.stderr);
    assert!(out.stderr.contains("outside the repository"), "{}", out.stderr);

    // A `../` entry in tagwright.toml.
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let name = outside.path().file_name().and_then(|n| n.to_str()).expect("name");
    std::fs::write(
        repo.path().join("tagwright.toml"),
        format!("[versions]\nsources = [\"pyproject.toml\", \"../{name}/pyproject.toml\"]\n"),
    )
    .expect("write");
    let out = version_check(repo.path(), &[]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains(&format!("../{name}/pyproject.toml: resolves to ")), "{}", out.stderr);
}

#[test]
fn duplicate_keys_are_input_errors_naming_both_lines() {
    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let chart = repo.path().join("charts/advisoryhub/Chart.yaml");
    let mut text = std::fs::read_to_string(&chart).expect("read");
    text.push_str("version: 9.9.9\n");
    std::fs::write(&chart, &text).expect("write");
    let out = version_check(repo.path(), &[]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    let last = text.lines().count();
    assert!(
        out.stderr.contains(&format!("duplicate key `version` (first at line 7, again at line {last})")),
        "{}",
        out.stderr
    );

    let repo = fixture("make_advisoryhub.sh", &["--no-git"]);
    let lock = repo.path().join("uv.lock");
    let text = std::fs::read_to_string(&lock).expect("read");
    let start = text.find("[[package]]\nname = \"advisoryhub\"").expect("the root package");
    let end = text[start + 1..].find("\n[[package]]").map_or(text.len(), |i| start + 1 + i + 1);
    let root = text[start..end].replace("version = \"0.1.0\"", "version = \"9.9.9\"");
    std::fs::write(&lock, format!("{text}\n{root}")).expect("write");
    let out = version_check(repo.path(), &[]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("a second root package `advisoryhub` (lines 10 and"), "{}", out.stderr);
}
