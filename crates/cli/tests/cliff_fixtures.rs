//! git-cliff's own fixture suite (`tests/fixtures/git-cliff-suite`, copied from orhun/git-cliff with
//! its licence), run differentially: for every row of its test-fixtures matrix that needs no
//! network, the same repository (the fixture's `commit.sh` in a fresh `git init`), the same
//! configuration and the same arguments go to the real git-cliff (PyPI, installed by `cargo xtask
//! setup`) and to `release-notes`. They must agree on success or failure, and on every byte of
//! the output.
//!
//! The rows where the two still differ are listed in `KNOWN`, each with the reason. The test fails
//! when an unlisted row differs, and when a listed row starts to agree (so the list only shrinks).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tagwright_test_support::{Run, cargo_bin, peer_command, run, run_ok, workspace_root};
use tagwright_text::yaml::{self, Node};

/// Rows (`fixture` or `fixture <command>`) where release-notes differs from git-cliff today, and why.
const KNOWN: &[(&str, &str)] = &[];

fn suite() -> PathBuf {
    workspace_root().join("tests/fixtures/git-cliff-suite")
}

/// One matrix row.
#[derive(Debug, Clone)]
struct Row {
    fixture: String,
    command: String,
    include_path_env: Option<String>,
}

impl Row {
    fn label(&self) -> String {
        if self.command.is_empty() {
            self.fixture.clone()
        } else {
            format!("{} {}", self.fixture, self.command)
        }
    }
}

/// The matrix of git-cliff's test-fixtures workflow.
fn matrix() -> Vec<Row> {
    let text = std::fs::read_to_string(suite().join("test-fixtures.yml")).expect("test-fixtures.yml");
    let doc = yaml::parse(&text).expect("the workflow parses");
    let include = ["jobs", "test-fixtures", "strategy", "matrix", "include"]
        .iter()
        .try_fold(&doc, |node, key| node.get(key))
        .expect("jobs.test-fixtures.strategy.matrix.include");
    let scalar = |row: &Node, key: &str| row.get(key).and_then(Node::as_str).map(str::to_owned);
    include
        .items()
        .expect("include is a list")
        .iter()
        .map(|row| Row {
            fixture: scalar(row, "fixtures-name").expect("fixtures-name"),
            command: scalar(row, "command").unwrap_or_default(),
            include_path_env: scalar(row, "include-path-env"),
        })
        .collect()
}

/// Splits a command line as the workflow's shell does: words, with '…' and "…" quoting.
fn split(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            (None, c) => word.push(c),
        }
    }
    if started || !word.is_empty() {
        words.push(word);
    }
    words
}

/// Why a row cannot run here, if it cannot.
fn offline_reason(row: &Row, dir: &Path) -> Option<&'static str> {
    if !dir.is_dir() {
        return Some("its commit.sh fetches, or its configuration names a forge (not copied)");
    }
    if row.command.contains("--config-url") {
        return Some("it downloads its configuration");
    }
    None
}

/// A fresh repository with the fixture's history, as the workflow makes it.
fn repository(dir: &Path) -> tempfile::TempDir {
    let repo = tempfile::tempdir().expect("tempdir");
    let git = |args: &[&str]| run_ok(peer_command("git").current_dir(repo.path()).args(args));
    git(&["init", "--quiet", "--initial-branch=master"]);
    git(&["config", "user.name", "github-actions[bot]"]);
    git(&["config", "user.email", "github-actions[bot]@users.noreply.github.com"]);
    let mut script = peer_command("bash");
    script
        .arg(dir.join("commit.sh"))
        .current_dir(repo.path())
        .env("FIXTURES_DIR", dir)
        .env("GIT_AUTHOR_NAME", "github-actions[bot]")
        .env("GIT_AUTHOR_EMAIL", "github-actions[bot]@users.noreply.github.com")
        .env("GIT_COMMITTER_NAME", "github-actions[bot]")
        .env("GIT_COMMITTER_EMAIL", "github-actions[bot]@users.noreply.github.com");
    run_ok(&mut script);
    repo
}

/// The arguments both tools get: the fixture's configuration, then the row's command, with names of
/// the fixture's own files made absolute.
fn arguments(row: &Row, dir: &Path) -> Vec<String> {
    let mut args = Vec::new();
    for config in ["cliff.toml", "Cargo.toml", "pyproject.toml"] {
        if dir.join(config).is_file() {
            args.extend(["--config".to_owned(), dir.join(config).display().to_string()]);
            break;
        }
    }
    for word in split(&row.command) {
        let local = dir.join(&word);
        if !word.starts_with('-') && !word.contains('/') && local.is_file() {
            args.push(local.display().to_string());
        } else {
            args.push(word);
        }
    }
    args
}

fn tool(mut command: std::process::Command, repo: &Path, row: &Row, args: &[String]) -> Run {
    command.current_dir(repo).args(args).env_remove("GIT_CLIFF_INCLUDE_PATH").env_remove("GITHUB_TOKEN");
    if let Some(paths) = &row.include_path_env {
        command.env("GIT_CLIFF_INCLUDE_PATH", paths);
    }
    run(&mut command)
}

/// Runs every runnable row; returns the rows that differ, with what differed.
fn differences() -> (usize, BTreeMap<String, String>) {
    let mut ran = 0;
    let mut differ = BTreeMap::new();
    for row in matrix() {
        let dir = suite().join("fixtures").join(&row.fixture);
        if offline_reason(&row, &dir).is_some() {
            continue;
        }
        ran += 1;
        let repo = repository(&dir);
        let args = arguments(&row, &dir);
        let theirs = tool(peer_command("git-cliff"), repo.path(), &row, &args);
        let ours = tool(cargo_bin(env!("CARGO_BIN_EXE_release-notes")), repo.path(), &row, &args);
        let same_outcome = (theirs.code == 0) == (ours.code == 0);
        if !same_outcome {
            differ.insert(
                row.label(),
                format!(
                    "git-cliff exited {}, release-notes {}: {}",
                    theirs.code,
                    ours.code,
                    ours.stderr.trim()
                ),
            );
        } else if theirs.code == 0 && theirs.stdout != ours.stdout {
            differ.insert(
                row.label(),
                format!("===== git-cliff\n{}\n===== release-notes\n{}", theirs.stdout, ours.stdout),
            );
        }
    }
    (ran, differ)
}

#[test]
fn git_cliffs_own_fixtures_give_the_same_bytes() {
    let (ran, differ) = differences();
    assert!(ran >= 45, "only {ran} rows ran");
    let known: BTreeMap<&str, &str> = KNOWN.iter().copied().collect();
    let unexpected: Vec<String> = differ
        .iter()
        .filter(|(label, _)| !known.contains_key(label.as_str()))
        .map(|(label, detail)| format!("--- {label}\n{detail}"))
        .collect();
    let fixed: Vec<&str> = known.keys().filter(|label| !differ.contains_key(**label)).copied().collect();
    // The counts, for the log of a failing run (the test prints nothing when it passes).
    let counts = format!("{ran} rows ran; {} agree; {} differ as listed", ran - differ.len(), known.len());
    assert!(
        unexpected.is_empty(),
        "{counts}; rows that differ and are not listed:\n{}",
        unexpected.join("\n")
    );
    assert!(fixed.is_empty(), "{counts}; listed rows that now agree (take them off KNOWN): {fixed:?}");
}

#[test]
fn the_command_lines_split_as_the_shell_splits_them() {
    assert_eq!(split(r#"--tag-pattern "alpha.*""#), ["--tag-pattern", "alpha.*"]);
    assert_eq!(
        split("--include-path 'website/**/*' --include-path 'docs/**/*'"),
        ["--include-path", "website/**/*", "--include-path", "docs/**/*"]
    );
    assert_eq!(split(r#"--with-tag-message "Some text" """#), ["--with-tag-message", "Some text", ""]);
}
