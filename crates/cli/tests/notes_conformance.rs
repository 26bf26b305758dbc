//! Conformance: the real git-cliff (installed from PyPI by `cargo xtask setup`) and `release-notes` render
//! the same repositories with the same configurations, and must print byte-identical notes.
//!
//! Configurations: git-cliff's default (no cliff.toml) and every built-in template `git cliff --init`
//! writes that needs no network. Modes: the full changelog, `--latest`, `--unreleased`,
//! `--unreleased --tag`, a range, and `--strip`. git-cliff runs with `--offline`. Every comparison
//! compares the exit codes too. Where the tools print today's date (`--tag`), a pair that ran across
//! midnight runs again.

mod notes_support;

use std::path::Path;

use notes_support::*;
use tagwright_test_support::{cargo_bin, file_mode, fixture, peer_command, run, run_ok, run_with_umask};

#[test]
fn the_default_configuration_matches_git_cliff() {
    let repo = fixture("make_notes_repo.sh", &[]);
    same_notes(repo.path(), "the default configuration");
}

#[test]
fn every_offline_built_in_template_matches_git_cliff() {
    let repo = fixture("make_notes_repo.sh", &[]);
    for name in BUILT_INS {
        std::fs::write(repo.path().join("cliff.toml"), built_in(name)).expect("write cliff.toml");
        same_notes(repo.path(), name);
    }
}

#[test]
fn links_to_the_upstream_forge_match_git_cliff() {
    let repo = fixture("make_notes_repo.sh", &[]);
    let git = |args: &[&str]| run_ok(peer_command("git").current_dir(repo.path()).args(args));
    git(&["remote", "add", "origin", "https://github.com/eclipse-csi/advisoryhub.git"]);
    git(&["config", "branch.main.remote", "origin"]);
    git(&["config", "branch.main.merge", "refs/heads/main"]);
    std::fs::write(repo.path().join("cliff.toml"), built_in("keepachangelog")).expect("write cliff.toml");
    same_notes(repo.path(), "keepachangelog with an upstream");
    let out = release_notes(repo.path(), &[]);
    assert!(
        out.stdout.contains("https://github.com/eclipse-csi/advisoryhub/compare/v0.1.0..v0.2.1"),
        "{}",
        out.stdout
    );
}

#[test]
fn the_demo_repository_matches_git_cliff() {
    let repo = fixture("make_advisoryhub.sh", &[]);
    same_notes_simple(repo.path());
}

fn same_notes_simple(repo: &Path) {
    for mode in [&[][..], &["--latest"], &["--unreleased", "--tag", "v0.2.0"]] {
        assert_same(repo, mode, "the demo repository");
    }
}

#[test]
fn configuration_is_found_in_pyproject_and_cargo_manifests() {
    let repo = fixture("make_notes_repo.sh", &[]);
    let section = "[tool.git-cliff.changelog]\nbody = \"{% for c in commits %}{{ c.message }}\\n{% endfor %}\"\ntrim = false\n";
    std::fs::write(
        repo.path().join("pyproject.toml"),
        format!("[project]\nname = \"x\"\nversion = \"1.0.0\"\n\n{section}"),
    )
    .expect("write");
    let range = "v0.2.1..v0.3.0-rc.1";
    let ours = assert_same(repo.path(), &[range], "[tool.git-cliff] in pyproject.toml");
    assert_eq!(ours, "split the module\nformat the code\nundo \"perf: faster hashing\"\n");
    std::fs::remove_file(repo.path().join("pyproject.toml")).expect("remove");
    let cargo = section.replace("[tool.git-cliff.changelog]", "[package.metadata.git-cliff.changelog]");
    std::fs::write(
        repo.path().join("Cargo.toml"),
        format!("[package]\nname = \"x\"\nversion = \"1.0.0\"\n\n{cargo}"),
    )
    .expect("write");
    assert_eq!(assert_same(repo.path(), &[range], "[package.metadata.git-cliff] in Cargo.toml"), ours);
}

#[test]
fn output_prepend_and_context() {
    let repo = fixture("make_notes_repo.sh", &[]);
    let dir = repo.path();
    let changelog = dir.join("CHANGELOG.md");
    let theirs = dir.join("THEIRS.md");
    let path = |p: &Path| p.to_str().expect("UTF-8 temp path").to_owned();
    let out = release_notes(dir, &["-o", &path(&changelog), "v0.1.0..v0.2.1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    let written = std::fs::read_to_string(&changelog).expect("written");
    let to_stdout = git_cliff(dir, &["v0.1.0..v0.2.1"]);
    assert_eq!(to_stdout.code, 0, "{}", to_stdout.stderr);
    assert_eq!(written, to_stdout.stdout);

    // --prepend puts the unreleased notes on top of the existing file, as git-cliff does.
    std::fs::copy(&changelog, &theirs).expect("copy");
    assert_eq!(release_notes(dir, &["--unreleased", "--prepend", &path(&changelog)]).code, 0);
    assert_eq!(git_cliff(dir, &["--unreleased", "--prepend", &path(&theirs)]).code, 0);
    let prepended = std::fs::read_to_string(&changelog).expect("read");
    assert_eq!(prepended, std::fs::read_to_string(&theirs).expect("read"));
    assert!(prepended.starts_with("## [unreleased]") && prepended.len() > written.len(), "{prepended}");
    let refused = release_notes(dir, &["--prepend", &path(&changelog)]);
    assert_eq!(refused.code, 2, "--prepend needs a bounded range");

    let context = release_notes(dir, &["--context", "--latest"]);
    assert_eq!(context.code, 0, "{}", context.stderr);
    let json: serde_json::Value = serde_json::from_str(&context.stdout).expect("JSON");
    let release = &json[0];
    assert_eq!(release["version"], "v0.3.0-rc.2");
    assert_eq!(release["commits"].as_array().map(Vec::len), Some(0), "the only commit is skipped");
    let full: serde_json::Value =
        serde_json::from_str(&release_notes(dir, &["--context"]).stdout).expect("JSON");
    let commit = &full[1]["commits"][0];
    for key in [
        "id",
        "message",
        "group",
        "scope",
        "breaking",
        "footers",
        "author",
        "committer",
        "statistics",
        "raw_message",
    ] {
        assert!(commit.get(key).is_some(), "context commits carry `{key}`: {commit}");
    }
    assert_eq!(commit["statistics"]["files_changed"], 1, "--context computes diff statistics");
}

#[test]
fn warnings_go_to_stderr_and_bad_input_exits_2() {
    let repo = fixture("make_notes_repo.sh", &[]);
    let out = release_notes(repo.path(), &[]);
    assert!(out.stderr.contains("using the default configuration"), "{}", out.stderr);
    assert!(out.stderr.contains("2 commit(s) were not conventional commits"), "{}", out.stderr);
    std::fs::write(repo.path().join("cliff.toml"), "[git]\ncommit_parsers = [{ message = \"(\" }]\n")
        .expect("write");
    let bad = release_notes(repo.path(), &[]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("git.commit_parsers[0].message` is not a valid regex"), "{}", bad.stderr);
    std::fs::write(repo.path().join("cliff.toml"), "[git]\nrequire_conventional = true\n").expect("write");
    let strict = release_notes(repo.path(), &[]);
    assert_eq!(strict.code, 1, "a check the configuration asks for");
    assert!(strict.stderr.contains("2 commit(s) are not conventional commits"), "{}", strict.stderr);
    let missing = release_notes(&repo.path().join("nope"), &[]);
    assert_eq!(missing.code, 2);
    let range = release_notes(repo.path(), &["v9.9.9..HEAD"]);
    assert_eq!(range.code, 2);
    assert!(range.stderr.contains("cannot resolve `v9.9.9..HEAD`"), "{}", range.stderr);
}

#[test]
fn output_files_get_git_cliffs_modes_and_symlinks_are_written_through() {
    let repo = fixture("make_notes_repo.sh", &[]);
    let theirs = run_with_umask(peer_command("git-cliff").current_dir(repo.path()).args([
        "--offline",
        "-o",
        "theirs.md",
    ]));
    assert_eq!(theirs.code, 0, "{}", theirs.stderr);
    let mut ours = cargo_bin(env!("CARGO_BIN_EXE_release-notes"));
    ours.current_dir(repo.path()).args(["-o", "ours.md"]);
    let out = run_with_umask(&mut ours);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(file_mode(&repo.path().join("ours.md")), file_mode(&repo.path().join("theirs.md")));
    assert_eq!(file_mode(&repo.path().join("ours.md")), 0o644);

    std::os::unix::fs::symlink("docs-changelog.md", repo.path().join("CHANGELOG.md")).expect("symlink");
    let mut through = cargo_bin(env!("CARGO_BIN_EXE_release-notes"));
    through.current_dir(repo.path()).args(["-o", "CHANGELOG.md"]);
    assert_eq!(run_with_umask(&mut through).code, 0);
    assert!(repo.path().join("CHANGELOG.md").symlink_metadata().expect("lstat").file_type().is_symlink());
    assert_eq!(
        std::fs::read(repo.path().join("docs-changelog.md")).expect("read"),
        std::fs::read(repo.path().join("ours.md")).expect("read")
    );
}

/// Issue 15, item 7: git-cliff 2.14 writes `<!-- git-cliff: end of header -->` after a header
/// whose template reads `releases` (in an expression or a `for`/`if`), with any body, `""` included;
/// not after a static header, nor one that names releases only in text, a comment or a `set`.
#[test]
fn the_end_of_header_marker_follows_git_cliff() {
    let repo = fixture("make_notes_repo.sh", &[]);
    let headers = [
        "H",
        "All releases",
        "{# releases #}x",
        "{{ \\\"releases\\\" }}",
        "{% set r = releases %}x",
        "n = {{ releases | length }}",
        "{% for r in releases %}{{ r.version }}\\n{% endfor %}",
        "{% if releases %}some{% endif %}",
    ];
    for header in headers {
        for body in ["\"\"", "\"B\""] {
            let config = repo.path().join("marker.toml");
            std::fs::write(&config, format!("[changelog]\nheader = \"{header}\"\nbody = {body}\n"))
                .expect("write");
            assert_same(repo.path(), &["--config", "marker.toml"], &format!("header {header:?} body {body}"));
        }
    }
}

/// Issue 15, item 6: `.cliffignore` and `.git-blame-ignore-revs` leave out the commits they list
/// (ids or prefixes), and a commit that only touches `.git-blame-ignore-revs` goes too.
#[test]
fn cliffignore_and_blame_ignore_revs_leave_out_what_git_cliff_leaves_out() {
    let repo = tempfile::tempdir().expect("tempdir");
    git_in(repo.path(), &["init", "--quiet", "--initial-branch=main"]);
    commit_file(repo.path(), "a.txt", "1", "feat: first", 1);
    git_in(repo.path(), &["tag", "v0.1.0"]);
    let formatting = commit_file(repo.path(), "a.txt", "2", "style: reformat everything", 2);
    let noisy = commit_file(repo.path(), "b.txt", "1", "fix: a fix nobody wants listed", 3);
    commit_file(repo.path(), "c.txt", "1", "feat: second", 4);
    commit_file(
        repo.path(),
        ".git-blame-ignore-revs",
        &format!("# formatting\n{}\n", &formatting[..12]),
        "chore: ignore the reformat in blame",
        5,
    );
    std::fs::write(repo.path().join(".cliffignore"), format!("# noise\n\n{noisy}\n")).expect("write");
    let notes = assert_same(repo.path(), &[], "ignore files");
    assert!(
        !notes.contains("reformat") && !notes.contains("nobody") && !notes.contains("ignore the reformat"),
        "{notes}"
    );
    assert!(notes.contains("Second"), "{notes}");
}

/// `--include-path` and `--exclude-path` (and their configuration keys) keep the commits
/// git-cliff keeps, root commit included (git-cliff lists its files as `/name`).
#[test]
fn include_and_exclude_paths_keep_the_commits_git_cliff_keeps() {
    let repo = tempfile::tempdir().expect("tempdir");
    git_in(repo.path(), &["init", "--quiet", "--initial-branch=main"]);
    commit_file(repo.path(), "docs/index.md", "1", "docs: start the docs", 1);
    commit_file(repo.path(), "src/lib.rs", "1", "feat: the library", 2);
    git_in(repo.path(), &["tag", "v0.1.0"]);
    commit_file(repo.path(), "docs/guide/install.md", "1", "docs: install guide", 3);
    commit_file(repo.path(), "src/main.rs", "1", "feat: the command", 4);
    commit_file(repo.path(), "README.md", "1", "docs: readme", 5);
    for args in [
        &["--include-path", "docs/**/*"][..],
        &["--include-path", "docs/"],
        &["--include-path", "./src/*"],
        &["--include-path", "src/** docs/**"],
        &["--exclude-path", "docs/**"],
        &["--include-path", "**/*.md", "--exclude-path", "README.md"],
        &["--include-path", "*"],
    ] {
        assert_same(repo.path(), args, "paths");
    }
    std::fs::write(
        repo.path().join("paths.toml"),
        "[git]\ninclude_paths = [\"src/**\"]\nexclude_paths = [\"src/main.rs\"]\n",
    )
    .expect("write");
    assert_same(repo.path(), &["--config", "paths.toml"], "paths from the configuration");
}

/// Preprocessors that run a command for each commit run on every core in release-notes: the notes
/// keep git-cliff's order and bytes, each command sees its own commit (`COMMIT_SHA`), and a failing
/// command leaves that commit out in both tools.
#[test]
fn command_preprocessors_run_in_parallel_with_git_cliffs_order_and_bytes() {
    let repo = tempfile::tempdir().expect("tempdir");
    git_in(repo.path(), &["init", "--quiet", "--initial-branch=main"]);
    for n in 1..=40u32 {
        let kind = if n % 3 == 0 { "fix" } else { "feat" };
        commit_file(repo.path(), &format!("f{n}.txt"), "x", &format!("{kind}: change {n}"), n % 28 + 1);
        if n % 10 == 0 {
            git_in(repo.path(), &["tag", &format!("v0.{}.0", n / 10)]);
        }
    }
    let config = r#"[changelog]
body = "{% for commit in commits %}{{ commit.message }}\n{% endfor %}"
[git]
commit_preprocessors = [
  { pattern = '.*', replace_command = 'tr a-z A-Z; printf " %s" "$(printf %s "$COMMIT_SHA" | cut -c1-7)"' },
  { pattern = 'CHANGE 13 ', replace_command = 'false' },
]
"#;
    std::fs::write(repo.path().join("cliff.toml"), config).expect("cliff.toml");
    let notes = assert_same(repo.path(), &[], "command preprocessors");
    // The conventional description of each upper-cased message.
    let lines: Vec<&str> = notes.lines().filter(|l| l.starts_with("CHANGE ")).collect();
    assert_eq!(lines.len(), 39, "40 commits, one left out by the failing command:\n{notes}");
    let first = git_in(repo.path(), &["rev-parse", "--short=7", "v0.1.0~9"]);
    assert!(notes.contains(&format!("CHANGE 1 {first}\n")), "each command saw its own commit:\n{notes}");
    assert!(!notes.contains("CHANGE 13 "), "{notes}");
}

/// `--limit-tags N` (and `git.limit_tags`, `GIT_CLIFF_LIMIT_TAGS`): the releases of the last N tags,
/// as git-cliff 2.14 picks them; a range, `--latest` and `--unreleased` win over it.
#[test]
fn limit_tags_keeps_the_releases_git_cliff_keeps() {
    let repo = tempfile::tempdir().expect("tempdir");
    git_in(repo.path(), &["init", "--quiet", "--initial-branch=main"]);
    for n in 1..=7u32 {
        commit_file(repo.path(), &format!("f{n}.txt"), "x", &format!("feat: change {n}"), n);
        if n % 2 == 0 {
            git_in(repo.path(), &["tag", &format!("v0.{n}.0")]);
        }
    }
    for args in [
        &["--limit-tags", "1"][..],
        &["--limit-tags", "2"],
        &["--limit-tags", "3"],
        &["--limit-tags", "10"],
        &["--limit-tags", "0"],
        &["--limit-tags", "2", "--latest"],
        &["--limit-tags", "2", "--unreleased"],
        &["--limit-tags", "2", "v0.2.0..HEAD"],
    ] {
        assert_same(repo.path(), args, "limit-tags");
    }
    std::fs::write(repo.path().join("cliff.toml"), "[git]\nlimit_tags = 2\n").expect("write");
    let from_config = assert_same(repo.path(), &[], "git.limit_tags");
    assert!(from_config.contains("[0.6.0]") && !from_config.contains("[0.4.0]"), "{from_config}");
    std::fs::remove_file(repo.path().join("cliff.toml")).expect("remove");
    let with_env = |tool: &mut std::process::Command| {
        run(tool.current_dir(repo.path()).env("GIT_CLIFF_LIMIT_TAGS", "3"))
    };
    let theirs = with_env(peer_command("git-cliff").arg("--offline"));
    let ours = with_env(&mut cargo_bin(env!("CARGO_BIN_EXE_release-notes")));
    assert_eq!((ours.code, ours.stdout), (theirs.code, theirs.stdout), "GIT_CLIFF_LIMIT_TAGS");
}

/// `--init [NAME]` writes git-cliff's own bytes for every built-in configuration, to `cliff.toml` or
/// `-c FILE`; where git-cliff overwrites an existing file, release-notes refuses (exit 2) and keeps it.
#[test]
fn init_writes_every_built_in_configuration_as_git_cliff_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, _) in tagwright_notes::BUILT_IN_CONFIGS {
        let theirs = dir.path().join(format!("{name}.theirs.toml"));
        let ours = dir.path().join(format!("{name}.ours.toml"));
        let name_arg: &[&str] = if name == "default" { &[] } else { &[name] };
        run_ok(
            peer_command("git-cliff")
                .current_dir(dir.path())
                .arg("--init")
                .args(name_arg)
                .arg("-c")
                .arg(&theirs),
        );
        run_ok(
            cargo_bin(env!("CARGO_BIN_EXE_release-notes"))
                .current_dir(dir.path())
                .arg("--init")
                .args(name_arg)
                .arg("-c")
                .arg(&ours),
        );
        let (theirs, ours) = (std::fs::read(&theirs).expect("theirs"), std::fs::read(&ours).expect("ours"));
        assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs), "--init {name}");
    }
    run_ok(
        cargo_bin(env!("CARGO_BIN_EXE_release-notes")).current_dir(dir.path()).args(["--init", "minimal"]),
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("cliff.toml")).expect("written"),
        tagwright_notes::built_in_config("minimal").expect("minimal")
    );
    std::fs::write(dir.path().join("cliff.toml"), "# mine\n").expect("write");
    let again = run(cargo_bin(env!("CARGO_BIN_EXE_release-notes")).current_dir(dir.path()).arg("--init"));
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(again.stderr.contains("cliff.toml: already exists"), "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(dir.path().join("cliff.toml")).expect("kept"), "# mine\n");
    let unknown = run(cargo_bin(env!("CARGO_BIN_EXE_release-notes"))
        .current_dir(dir.path())
        .args(["--init", "nope", "-c", "x.toml"]));
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("no such template (the templates are: azure-devops-keepachangelog, cocogitto"),
        "{}",
        unknown.stderr
    );
    // Your own templates: listed with the built-in ones, and one named like a built-in one wins.
    let mine = dir.path().join("mine");
    std::fs::create_dir(&mine).expect("mkdir");
    std::fs::write(mine.join("team.toml"), "[changelog]\nbody = \"team\"\n").expect("write");
    std::fs::write(mine.join("minimal.toml"), "[changelog]\nbody = \"ours\"\n").expect("write");
    std::fs::write(mine.join("notes.txt"), "not a template").expect("write");
    let dir_arg = mine.to_string_lossy().into_owned();
    for args in [&["--list-templates"][..], &["--list-templates", "--templates-dir", &dir_arg]] {
        let theirs = run_ok(peer_command("git-cliff").current_dir(dir.path()).args(args));
        let ours = run_ok(cargo_bin(env!("CARGO_BIN_EXE_release-notes")).current_dir(dir.path()).args(args));
        assert_eq!(ours.stdout, theirs.stdout, "{args:?}");
    }
    for name in ["team", "minimal"] {
        let (theirs, ours) =
            (dir.path().join(format!("{name}-t.toml")), dir.path().join(format!("{name}-o.toml")));
        let init = ["--init", name, "--templates-dir", &dir_arg, "-c"];
        run_ok(peer_command("git-cliff").current_dir(dir.path()).args(init).arg(&theirs));
        run_ok(cargo_bin(env!("CARGO_BIN_EXE_release-notes")).current_dir(dir.path()).args(init).arg(&ours));
        assert_eq!(
            std::fs::read(&ours).expect("ours"),
            std::fs::read(&theirs).expect("theirs"),
            "--init {name}"
        );
    }
}

/// `-w DIR`: the repository is found from DIR, the configuration is searched from there up to the
/// repository's root, and only commits that change files under DIR count, from inside the repository
/// and from outside it; run from a subdirectory without either, the same.
#[test]
fn a_workdir_selects_the_repository_configuration_and_paths_as_git_cliff_does() {
    let parent = tempfile::tempdir().expect("tempdir");
    let repo = parent.path().join("repo");
    std::fs::create_dir(&repo).expect("mkdir");
    git_in(&repo, &["init", "--quiet", "--initial-branch=main"]);
    commit_file(&repo, "a.txt", "1", "feat: root file", 1);
    commit_file(&repo, "sub/b.txt", "1", "feat: sub file", 2);
    git_in(&repo, &["tag", "v0.1.0"]);
    commit_file(&repo, "sub/deeper/c.txt", "1", "fix: deeper file", 3);
    commit_file(&repo, "other/d.txt", "1", "fix: other file", 4);
    std::fs::write(
        repo.join("sub/cliff.toml"),
        "[changelog]\nbody = \"{{ commits | length }} in sub's own template\\n\"\n",
    )
    .expect("write");
    let absolute = repo.display().to_string();
    let cases: [(&Path, &str); 5] = [
        (&repo, "sub"),
        (&repo, "."),
        (&repo, "sub/deeper"),
        (parent.path(), "repo"),
        (parent.path(), &absolute),
    ];
    for (cwd, workdir) in cases {
        let theirs = run(peer_command("git-cliff").current_dir(cwd).args(["--offline", "-w", workdir]));
        let ours = run(cargo_bin(env!("CARGO_BIN_EXE_release-notes")).current_dir(cwd).args(["-w", workdir]));
        assert_eq!((theirs.code, ours.code), (0, 0), "-w {workdir}:\n{}\n{}", theirs.stderr, ours.stderr);
        assert_eq!(ours.stdout, theirs.stdout, "-w {workdir} from {}", cwd.display());
    }
    // Without -w or a repository, from a subdirectory: its changes only, its configuration found
    // up the tree.
    for cwd in [repo.join("sub/deeper"), repo.join("other")] {
        let theirs = run(peer_command("git-cliff").current_dir(&cwd).arg("--offline"));
        let ours = run(cargo_bin(env!("CARGO_BIN_EXE_release-notes")).current_dir(&cwd));
        assert_eq!(
            (theirs.code, ours.code),
            (0, 0),
            "{}:\n{}\n{}",
            cwd.display(),
            theirs.stderr,
            ours.stderr
        );
        assert_eq!(ours.stdout, theirs.stdout, "from {}", cwd.display());
    }
    let sub = run_ok(cargo_bin(env!("CARGO_BIN_EXE_release-notes")).current_dir(&repo).args(["-w", "sub"]));
    // One commit under sub/ in each release; `trim` takes the template's newline.
    assert_eq!(sub.stdout, "1 in sub's own template1 in sub's own template", "{}", sub.stdout);
}

/// Issue 15, item 2: `-c pyproject.toml` and `-c Cargo.toml` read the git-cliff sections of the
/// project's manifests (Cargo.toml's first, as git-cliff), and a named configuration that does not
/// exist falls back to the manifests, then to the defaults, instead of failing.
#[test]
fn named_manifests_and_missing_configurations_resolve_as_in_git_cliff() {
    let repo = fixture("make_notes_repo.sh", &[]);
    let pyproject = "[project]\nname = \"x\"\n\n[tool.git-cliff.changelog]\nheader = \"Changelog\\n=========\\n\"\nbody = \"\"\"\n{{ version | default(value='Unreleased') }}\n{% for c in commits %}* {{ c.message }}\n{% endfor %}\"\"\"\n";
    let cargo = "[package]\nname = \"x\"\nversion = \"0.1.0\"\n\n[package.metadata.git-cliff.changelog]\nbody = \"cargo: {{ commits | length }}\\n\"\n";
    std::fs::write(repo.path().join("pyproject.toml"), pyproject).expect("write");
    let cases: &[&[&str]] = &[
        &["-c", "pyproject.toml", "--latest", "--strip", "header"],
        &["-c", "pyproject.toml"],
        &["-c", "missing.toml"],
    ];
    for args in cases {
        assert_same(repo.path(), args, "pyproject only");
    }
    std::fs::write(repo.path().join("Cargo.toml"), cargo).expect("write");
    for args in [&["-c", "pyproject.toml"][..], &["-c", "Cargo.toml"], &["-c", "missing.toml"]] {
        assert_same(repo.path(), args, "Cargo.toml and pyproject.toml");
    }
    std::fs::remove_file(repo.path().join("Cargo.toml")).expect("rm");
    std::fs::remove_file(repo.path().join("pyproject.toml")).expect("rm");
    assert_same(repo.path(), &["-c", "missing.toml"], "no manifest: the defaults");
}
