//! A bump killed at every rename, killed after the last one, and a bump whose rollback races someone
//! else's edit. The bump is the real library code, run in a child process (this test binary, run
//! again as the child); strace stops it at the Nth rename with SIGKILL (`-e inject=…:signal=KILL`) or
//! holds it there (`delay_exit`), as a crash or a slow disk would. Then the real `version-check`
//! finds the journal and finishes or undoes the bump.
//!
//! A custom harness (`harness = false`), because the child must be a process of its own; it prints
//! as the standard harness does.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tagwright_test_support::{RENAMES, Run, cargo_bin, fixture, run, under_strace};

/// Set in the child: the repository to bump.
const CHILD_REPO: &str = "TAGWRIGHT_CRASH_CHILD_REPO";
const FILES: [&str; 3] = ["pyproject.toml", "uv.lock", "charts/advisoryhub/Chart.yaml"];

fn main() {
    if let Some(repo) = std::env::var_os(CHILD_REPO) {
        std::process::exit(child(Path::new(&repo)));
    }
    let tests: [(&str, fn()); 3] = [
        ("a_bump_killed_at_any_rename_is_rolled_back", killed_at_any_rename),
        ("a_bump_killed_after_its_last_rename_is_completed", killed_after_the_last_rename),
        ("a_rollback_leaves_a_file_someone_else_changed", rollback_races_an_edit),
    ];
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let mut failed = Vec::new();
    for (name, test) in tests {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        match std::panic::catch_unwind(test) {
            Ok(()) => println!("test {name} ... ok"),
            Err(_) => {
                println!("test {name} ... FAILED");
                failed.push(name);
            }
        }
    }
    if !failed.is_empty() {
        println!("failed: {failed:?}");
        std::process::exit(1);
    }
}

/// The child: bump the repository to 0.2.0 with the library, as `cargo xtask bump` does.
fn child(repo: &Path) -> i32 {
    let result = (|| -> Result<(), Box<dyn std::error::Error>> {
        let inventory = tagwright_versions::read(repo)?;
        let new = tagwright_versions::Version::parse_semver("0.2.0")?;
        let plan = tagwright_versions::bump::plan(&inventory, &new, &Default::default())?;
        plan.apply()?;
        Ok(())
    })();
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("bump: {e}");
            1
        }
    }
}

/// The child, under strace with `inject` on `syscalls`.
fn bump_under_strace(repo: &Path, syscalls: &str, inject: &str) -> Command {
    let mut command = under_strace(syscalls, inject, std::env::current_exe().expect("this test binary"));
    command.env(CHILD_REPO, repo).stdin(Stdio::null());
    command
}

fn version_check(repo: &Path) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_version-check"));
    command.arg("--repo").arg(repo);
    run(&mut command)
}

fn contents(repo: &Path) -> Vec<String> {
    FILES.iter().map(|f| std::fs::read_to_string(repo.join(f)).expect("read")).collect()
}

/// Every `.tagwright` temporary file and journal left in the repository (and its `.git`).
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".tagwright") || name.contains("tagwright-bump.journal") {
            found.push(path.clone());
        }
        if entry.file_type().expect("type").is_dir() && name != "objects" {
            found.extend(leftovers(&path));
        }
    }
    found
}

fn bumped(text: &str) -> bool {
    text.contains("0.2.0")
}

fn killed(status: ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal() == Some(9) || status.code() == Some(128 + 9)
}

fn killed_at_any_rename() {
    // Rename 1 publishes the journal; renames 2, 3 and 4 replace the three files.
    for n in 1usize..=4 {
        let repo = fixture("make_advisoryhub.sh", &[]);
        let before = contents(repo.path());
        let status = bump_under_strace(repo.path(), RENAMES, &format!("signal=KILL:when={n}"))
            .status()
            .expect("strace runs");
        assert!(killed(status), "rename {n}: the bump was not killed: {status:?}");
        let replaced = contents(repo.path()).iter().filter(|t| bumped(t)).count();
        assert_eq!(replaced, n.saturating_sub(2), "rename {n}: files replaced before the kill");
        assert!(!leftovers(repo.path()).is_empty() || n == 1, "rename {n}: the crash left no journal");

        let out = version_check(repo.path());
        assert_eq!(out.code, 0, "rename {n}: {}\n{}", out.stdout, out.stderr);
        if n >= 2 {
            assert!(
                out.stderr.contains("version-check: note: an interrupted bump to 0.2.0 was rolled back: "),
                "rename {n}: {}",
                out.stderr
            );
        }
        if n >= 3 {
            assert!(out.stderr.contains("restored pyproject.toml"), "rename {n}: {}", out.stderr);
        }
        assert!(out.stdout.contains("ok: 4 sources agree on 0.1.0"), "rename {n}: {}", out.stdout);
        assert_eq!(contents(repo.path()), before, "rename {n}: every file is as it was");
        assert_eq!(leftovers(repo.path()), Vec::<PathBuf>::new(), "rename {n}: stale files");
    }
}

fn killed_after_the_last_rename() {
    // The only file removal on the way to success is the journal's, after every rename.
    let repo = fixture("make_advisoryhub.sh", &[]);
    let status = bump_under_strace(repo.path(), "unlink,unlinkat", "signal=KILL:when=1")
        .status()
        .expect("strace runs");
    assert!(killed(status), "the bump was not killed: {status:?}");
    assert!(contents(repo.path()).iter().all(|t| bumped(t)), "every file was replaced before the kill");
    let out = version_check(repo.path());
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(
            "note: an interrupted bump to 0.2.0 had replaced every file (pyproject.toml, uv.lock, charts/advisoryhub/Chart.yaml): completed it"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("ok: 4 sources agree on 0.2.0"), "{}", out.stdout);
    assert_eq!(leftovers(repo.path()), Vec::<PathBuf>::new());
}

fn rollback_races_an_edit() {
    let repo = fixture("make_advisoryhub.sh", &[]);
    let before = contents(repo.path());
    // Rename 2 replaces pyproject.toml; the bump is then held for 3 s, as by a slow disk.
    let child = bump_under_strace(repo.path(), RENAMES, "delay_exit=3000000:when=2")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("strace runs");
    let start = Instant::now();
    while !bumped(&std::fs::read_to_string(repo.path().join(FILES[0])).expect("read")) {
        assert!(start.elapsed() < Duration::from_secs(20), "pyproject.toml was never replaced");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Meanwhile, someone edits pyproject.toml (which the bump already replaced) and Chart.yaml (so the
    // bump's own check fails there and it rolls back).
    let edited_pyproject = format!("{}# edited meanwhile\n", contents(repo.path())[0]);
    std::fs::write(repo.path().join(FILES[0]), &edited_pyproject).expect("edit");
    let edited_chart = format!("{}# edited meanwhile\n", before[2]);
    std::fs::write(repo.path().join(FILES[2]), &edited_chart).expect("edit");
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("charts/advisoryhub/Chart.yaml: cannot replace: changed on disk since it was read"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "changed by someone else after the bump wrote them, so left as they are: pyproject.toml"
        ),
        "{stderr}"
    );
    assert_eq!(
        contents(repo.path()),
        [edited_pyproject, before[1].clone(), edited_chart],
        "only uv.lock is restored"
    );
    assert_eq!(leftovers(repo.path()), Vec::<PathBuf>::new());
}
