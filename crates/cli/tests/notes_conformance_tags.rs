//! Conformance with git-cliff, continued: tag filters (`--latest`, `--current` after ignored or
//! skipped tags), the context, custom commits, git-cliff's environment overrides, merge-heavy
//! histories, every flag, path filters, missing configurations and `get_env`.

mod notes_support;

use notes_support::*;
use tagwright_test_support::{cargo_bin, fixture, peer_command, run, run_ok};

/// Issue 15, item 3: `--latest`, `--current` and `--unreleased` start at the previous tag even when
/// it is an `ignore_tags` or `skip_tags` tag, as git-cliff computes the range from every tag.
#[test]
fn latest_and_current_start_at_an_ignored_or_skipped_previous_tag() {
    let repo = tagged_history(&[
        ("feat: a", Some("v1.0.0")),
        ("feat: b", Some("v1.1.0")),
        ("feat: c", Some("v1.2.0-rc.0")),
        ("fix: d", None),
        ("fix: e", Some("v1.2.0")),
        ("fix: f", None),
    ]);
    for rule in ["ignore_tags", "skip_tags"] {
        std::fs::write(repo.path().join("tags.toml"), format!("{PREVIOUS_BODY}[git]\n{rule} = \"rc\"\n"))
            .expect("write");
        for mode in [&["--latest"][..], &["--unreleased"], &[]] {
            let mut args = vec!["--config", "tags.toml"];
            args.extend_from_slice(mode);
            let notes = assert_same(repo.path(), &args, rule);
            if mode == ["--latest"] {
                // Only the commits after v1.2.0-rc.0: d and e.
                assert!(notes.contains("n=2"), "{rule}: {notes}");
            }
        }
    }
    // --current needs a tag on HEAD.
    git_in(repo.path(), &["checkout", "--quiet", "v1.2.0"]);
    for rule in ["ignore_tags", "skip_tags"] {
        std::fs::write(repo.path().join("tags.toml"), format!("{PREVIOUS_BODY}[git]\n{rule} = \"rc\"\n"))
            .expect("write");
        let notes = assert_same(repo.path(), &["--config", "tags.toml", "--current"], rule);
        assert!(notes.contains("n=2"), "{rule}: {notes}");
    }
}

/// Issue 15, item 4: after a skipped release, git-cliff links the newer release past it and clears
/// the older release's own `previous`; compare links follow from that.
#[test]
fn previous_after_a_skipped_release_is_relinked_as_in_git_cliff() {
    let repo = tagged_history(&[
        ("feat: a", Some("v1.0.0")),
        ("feat: b", Some("v1.1.0-alpha.0")),
        ("feat: c", Some("v1.1.0")),
        ("fix: d", Some("v1.2.0-alpha.0")),
        ("fix: e", Some("v1.2.0")),
        ("fix: f", None),
    ]);
    std::fs::write(repo.path().join("skip.toml"), format!("{PREVIOUS_BODY}[git]\nskip_tags = \"alpha\"\n"))
        .expect("write");
    let notes = assert_same(repo.path(), &["--config", "skip.toml"], "skip_tags");
    assert!(notes.contains("v1.1.0 prev=none n=1"), "{notes}");
    assert!(notes.contains("v1.2.0 prev=v1.1.0 n=1"), "{notes}");
    assert_same(repo.path(), &["--config", "skip.toml", "--latest"], "skip_tags --latest");
}

/// Issue 15, item 5: `--context` is git-cliff's JSON byte for byte (the five forge fields of each
/// commit, no `remote`), and `--from-context` renders what either tool printed as git-cliff does.
#[test]
fn the_context_is_git_cliffs_field_for_field_and_renders_back() {
    let repo = fixture("make_notes_repo.sh", &[]);
    for config in [None, Some("keepachangelog")] {
        let mut args: Vec<String> = vec!["--context".into()];
        if let Some(name) = config {
            args.extend(["--config".into(), built_in(name)]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let context = assert_same(repo.path(), &args, "--context");
        let saved = repo.path().join("context.json");
        std::fs::write(&saved, &context).expect("write");
        let saved = saved.to_str().expect("utf-8");
        let mut render: Vec<&str> = vec!["--from-context", saved];
        render.extend(args.iter().skip(1).copied());
        assert_same(repo.path(), &render, "--from-context");
    }
}

/// `--with-commit` (with and without an id), `--with-tag-message`, `--body` and `--body-file`, as
/// git-cliff takes them.
#[test]
fn custom_commits_messages_and_bodies_from_the_command_line() {
    let repo = fixture("make_notes_repo.sh", &[]);
    let body = "{{ version | default(value='next') }}: {% for c in commits %}[{{ c.id | truncate(length=7, end='') }}] {{ c.message }}; {% endfor %}{{ message | default(value='') }}\n";
    std::fs::write(repo.path().join("body.tera"), body).expect("write");
    let body_file = repo.path().join("body.tera");
    let body_file = body_file.to_str().expect("utf-8");
    for args in [
        &["--with-commit", "feat: from the command line"][..],
        &[
            "--with-commit",
            "fix: one",
            "--with-commit",
            "0123456789abcdef0123456789abcdef01234567 feat: with an id",
            "--latest",
        ],
        &["--with-commit", "feat: newest first", "--sort", "newest", "--unreleased"],
        &["--body", body, "--with-tag-message", "A message", "--unreleased", "--with-commit", "feat: x"],
        &["--body-file", body_file, "--latest", "--with-tag-message", "Tagged"],
    ] {
        assert_same(repo.path(), args, "command-line commits and templates");
    }
}

/// git-cliff's `GIT_CLIFF__SECTION__KEY` environment overrides win over the configuration file,
/// for strings, booleans and numbers alike.
#[test]
fn git_cliff_environment_overrides_apply_as_in_git_cliff() {
    let repo = fixture("make_notes_repo.sh", &[]);
    let overrides = [
        ("GIT_CLIFF__CHANGELOG__FOOTER", "<!-- the end -->"),
        ("GIT_CLIFF__GIT__SORT_COMMITS", "newest"),
        ("GIT_CLIFF__GIT__FILTER_UNCONVENTIONAL", "false"),
        ("GIT_CLIFF__GIT__LIMIT_COMMITS", "6"),
    ];
    let keepachangelog = built_in("keepachangelog");
    for args in [&[][..], &["--config", keepachangelog.as_str()]] {
        let mut theirs = peer_command("git-cliff");
        theirs.current_dir(repo.path()).arg("--offline").args(args).envs(overrides);
        let theirs = run(&mut theirs);
        let mut ours = cargo_bin(env!("CARGO_BIN_EXE_release-notes"));
        ours.arg("--repo").arg(repo.path()).args(args).envs(overrides);
        let ours = run(&mut ours);
        assert_eq!((theirs.code, ours.code), (0, 0), "{}\n{}", theirs.stderr, ours.stderr);
        assert!(
            theirs.stdout == ours.stdout,
            "{args:?}\n===== git-cliff\n{}\n===== release-notes\n{}",
            theirs.stdout,
            ours.stdout
        );
        assert!(ours.stdout.contains("<!-- the end -->"), "{}", ours.stdout);
    }
}

/// Issue 15, item 1: on a merge-heavy history with tags on side branches and dates out of order,
/// each commit joins the release git-cliff puts it in (the first tag, in tag order, that contains
/// it), for every combination of `topo_order` and `topo_order_commits`, and for `--latest`,
/// `--unreleased` and `--topo-order`.
#[test]
fn merge_heavy_histories_group_commits_as_git_cliff_does() {
    let repo = fixture("make_merge_history.sh", &[]);
    let body = "{{ version }}: {% for c in commits %}{{ c.message }}, {% endfor %}\\n";
    for git in [
        "",
        "topo_order = true",
        "topo_order_commits = false",
        "topo_order = true\ntopo_order_commits = false",
    ] {
        let config = format!(
            "[changelog]\nbody = \"{body}\"\n[git]\nconventional_commits = false\nfilter_commits = false\n{git}\n"
        );
        std::fs::write(repo.path().join("order.toml"), config).expect("write");
        for mode in [&[][..], &["--latest"], &["--unreleased"], &["--topo-order"]] {
            let mut args = vec!["--config", "order.toml"];
            args.extend_from_slice(mode);
            assert_same(repo.path(), &args, &format!("[{git}]"));
        }
    }
    assert_same(repo.path(), &[], "the default configuration");
}

/// Every flag git-cliff's `--help` lists has a row in docs/cli/release-notes.md, and release-notes
/// accepts it, except `--config-url` (it downloads a configuration: refused, with the reason in the
/// docs).
#[test]
fn every_git_cliff_flag_is_documented_and_accepted() {
    let help = run_ok(peer_command("git-cliff").arg("--help")).stdout;
    let flags: std::collections::BTreeSet<&str> = help
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let line = line
                .strip_prefix("-")
                .filter(|l| l.len() > 2 && l.as_bytes()[1] == b',')
                .map_or(line, |l| l[2..].trim_start());
            line.strip_prefix("--")?.split([' ', '=', '<', '[', '.']).next()
        })
        .collect();
    assert!(flags.len() >= 40, "{flags:?}");
    let docs =
        std::fs::read_to_string(tagwright_test_support::workspace_root().join("docs/cli/release-notes.md"))
            .expect("docs");
    let ours = run_ok(cargo_bin(env!("CARGO_BIN_EXE_release-notes")).arg("--help")).stdout;
    for flag in flags {
        assert!(docs.contains(&format!("--{flag}")), "docs/cli/release-notes.md does not list --{flag}");
        if flag != "config-url" {
            assert!(ours.contains(&format!("--{flag}")), "release-notes does not accept --{flag}");
        }
    }
}

/// Issue 21, item 2: commits whose release commit the path filters or `.git-blame-ignore-revs` leave
/// out of the walk still join their release, as git-cliff 2.14's reachability from each tag through
/// the whole history puts them (before, `feat: one` went under `[unreleased]`).
#[test]
fn path_filters_leave_commits_in_the_release_that_reaches_them() {
    let body = "{{ version }}: {% for c in commits %}{{ c.message }}, {% endfor %}\\n";
    let config = format!("[changelog]\nbody = \"{body}\"\n[git]\nconventional_commits = false\n");
    for variant in [&[][..], &["blame"]] {
        let repo = fixture("make_filtered_history.sh", variant);
        std::fs::write(repo.path().join("order.toml"), &config).expect("write");
        for filter in
            [&["--include-path", "src/**"][..], &["--exclude-path", "CHANGELOG.md"], &["-w", "src"], &[]]
        {
            for mode in [&[][..], &["--latest"], &["--unreleased"], &["--topo-order"]] {
                let mut args = vec!["--config", "order.toml"];
                args.extend_from_slice(filter);
                args.extend_from_slice(mode);
                let notes = assert_same(repo.path(), &args, &format!("{variant:?}"));
                if filter.first() == Some(&"--include-path") && mode.is_empty() && variant.is_empty() {
                    assert_eq!(notes, ": feat: four, v0.2.0: feat: one, feat: two, fix: three, ");
                }
            }
        }
    }
}

/// Issue 21, item 3: `-c` naming a file that does not exist renders with the default configuration,
/// as git-cliff 2.14 does, not with the repository's `cliff.toml`, and says so as git-cliff does.
#[test]
fn a_missing_named_configuration_renders_with_the_defaults_and_warns() {
    let repo = fixture("make_notes_repo.sh", &[]);
    std::fs::write(repo.path().join("cliff.toml"), built_in("minimal")).expect("write cliff.toml");
    let with_cliff = assert_same(repo.path(), &[], "minimal");
    let missing = assert_same(repo.path(), &["-c", "missing.toml"], "a missing -c");
    std::fs::remove_file(repo.path().join("cliff.toml")).expect("remove");
    assert_eq!(missing, assert_same(repo.path(), &[], "no configuration"), "the defaults, not cliff.toml");
    assert_ne!(missing, with_cliff);
    let (theirs, ours) = both(repo.path(), &["-c", "missing.toml"]);
    let words = "\"missing.toml\" is not found, using the default configuration";
    assert!(theirs.stderr.contains(words), "git-cliff says: {}", theirs.stderr);
    assert!(ours.stderr.contains(words), "release-notes says: {}", ours.stderr);
}

/// Issue 21, item 6: a deliberate difference from git-cliff. A template's `get_env` of a
/// credential-like variable renders empty in release-notes, with a warning naming it, where
/// git-cliff prints the secret into the notes (which `publish` and `github-release` would publish).
#[test]
fn get_env_never_puts_a_token_into_the_notes() {
    let repo = fixture("make_notes_repo.sh", &[]);
    let secret = "ghp_tagwrightTestSecret0123456789";
    let body = r#"[changelog]
body = "token=[{{ get_env(name='GITHUB_TOKEN', default='none') }}] repo=[{{ get_env(name='GITHUB_REPOSITORY') }}]\n"
"#;
    std::fs::write(repo.path().join("cliff.toml"), body).expect("write");
    let with_env = |command: &mut std::process::Command| {
        command.env("GITHUB_TOKEN", secret).env("GITHUB_REPOSITORY", "acme/app");
    };
    let mut theirs = peer_command("git-cliff");
    theirs.current_dir(repo.path()).args(["--offline", "--latest"]);
    with_env(&mut theirs);
    let theirs = run(&mut theirs);
    assert!(theirs.stdout.contains(secret), "git-cliff prints it: {}", theirs.stdout);
    let mut ours = cargo_bin(env!("CARGO_BIN_EXE_release-notes"));
    ours.current_dir(repo.path()).args(["--latest"]);
    with_env(&mut ours);
    let ours = run(&mut ours);
    assert_eq!(ours.code, 0, "{}", ours.stderr);
    assert!(!ours.stdout.contains(secret) && !ours.stderr.contains(secret), "{ours:?}");
    assert!(ours.stdout.contains("token=[] repo=[acme/app]"), "{}", ours.stdout);
    assert!(ours.stderr.contains("get_env(name=\"GITHUB_TOKEN\") rendered empty"), "{}", ours.stderr);
}
