//! Unit tests of git-cliff's flags as data.

use super::*;

fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
}

#[test]
fn tag_flags_become_regexes_and_a_bad_one_is_named() {
    let mut config = Config::default_config();
    let overrides = Overrides {
        tag_pattern: Some("^v[0-9]".to_owned()),
        skip_tags: Some("beta".to_owned()),
        use_branch_tags: true,
        limit_tags: Some(0),
        ..Overrides::default()
    };
    overrides.apply(&mut config, &env(&[("GIT_CLIFF_LIMIT_TAGS", "3")])).expect("applies");
    assert!(config.git.tag_pattern.as_ref().is_some_and(|p| p.is_match("v1.0.0") && !p.is_match("x1")));
    assert!(config.git.skip_tags.is_some() && config.git.use_branch_tags);
    assert_eq!(config.git.limit_tags, None, "0 is no limit, and the flag wins over the variable");
    let mut config = Config::default_config();
    Overrides::default().apply(&mut config, &env(&[("GIT_CLIFF_LIMIT_TAGS", "3")])).expect("applies");
    assert_eq!(config.git.limit_tags, Some(3));
    let error = Overrides::default()
        .apply(&mut Config::default_config(), &env(&[("GIT_CLIFF_LIMIT_TAGS", "many")]))
        .expect_err("not a number");
    assert_eq!(error.to_string(), "--limit-tags \"many\": GIT_CLIFF_LIMIT_TAGS is not a number of tags");
    let bad = Overrides { ignore_tags: Some("(".to_owned()), ..Overrides::default() };
    let error = bad.apply(&mut Config::default_config(), &env(&[])).expect_err("bad regex");
    assert!(error.to_string().starts_with("--ignore-tags \"(\": not a valid regex"), "{error}");
}

#[test]
fn forges_take_the_flag_then_the_variable() {
    let mut config = Config::default_config();
    let overrides = Overrides {
        forges: BTreeMap::from([(
            "github".to_owned(),
            ForgeFlags { repo: Some("https://github.com/acme/app.git".to_owned()), token: None },
        )]),
        offline: true,
        ..Overrides::default()
    };
    let variables = env(&[("GITHUB_TOKEN", "t1"), ("AZURE_DEVOPS_REPO", "org/proj"), ("GITEA_TOKEN", "")]);
    overrides.apply(&mut config, &variables).expect("applies");
    let github = config.remote.forge("github").expect("github");
    assert_eq!(
        (github.owner.as_str(), github.repo.as_str(), github.token.as_deref()),
        ("acme", "app", Some("t1"))
    );
    assert!(github.is_custom && config.remote.offline);
    let azure = config.remote.forge("azure_devops").expect("azure");
    assert_eq!((azure.owner.as_str(), azure.repo.as_str()), ("org", "proj"));
    assert_eq!(config.remote.forge("gitea").expect("gitea").token, None, "an empty token is unset");
    let error = Overrides::default()
        .apply(&mut Config::default_config(), &env(&[("GITLAB_REPO", "just-a-name")]))
        .expect_err("no owner");
    assert_eq!(error.to_string(), "--gitlab-repo \"just-a-name\": expected OWNER/REPO");
}

#[test]
fn commits_body_bump_and_paths() {
    let dir = std::env::temp_dir().join(format!("tagwright-flags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let body = dir.join("body.tera");
    std::fs::write(&body, "{{ version }}").expect("write");
    let mut config = Config::default_config();
    let before = config.git.commit_parsers.len();
    let overrides = Overrides {
        skip_commits: vec!["aaa".to_owned(), "bbb".to_owned()],
        body_file: Some(body.clone()),
        tag: Some("v9.0.0".to_owned()),
        bump: Some(BumpType::Minor),
        sort: Some(SortCommits::Newest),
        no_exec: true,
        include_paths: vec!["src/**".to_owned()],
        ..Overrides::default()
    };
    overrides.apply(&mut config, &env(&[("GIT_CLIFF_EXCLUDE_PATH", "docs/** *.md")])).expect("applies");
    let skipped: Vec<_> =
        config.git.commit_parsers[..2].iter().map(|p| p.sha.clone().unwrap_or_default()).collect();
    assert_eq!(
        (skipped, config.git.commit_parsers.len()),
        (vec!["aaa".to_owned(), "bbb".to_owned()], before + 2)
    );
    assert_eq!(config.changelog.body, "{{ version }}");
    assert_eq!(
        (config.bump.initial_tag.as_deref(), config.bump.bump_type),
        (Some("v9.0.0"), Some(BumpType::Minor))
    );
    assert_eq!(config.git.sort_commits, SortCommits::Newest);
    assert_eq!(config.git.include_paths.len(), 1);
    assert_eq!(config.git.exclude_paths.iter().map(|p| p.as_str()).collect::<Vec<_>>(), ["docs/**", "*.md"]);
    std::fs::remove_file(&body).expect("remove");
    let error = overrides.apply(&mut Config::default_config(), &env(&[])).expect_err("the body file is gone");
    assert!(matches!(error, FlagError::File { ref flag, .. } if flag == "body-file"), "{error}");
    let bad = Overrides { exclude_paths: vec!["[".to_owned()], ..Overrides::default() };
    assert!(bad.apply(&mut Config::default_config(), &env(&[])).is_err());
    std::fs::remove_dir_all(&dir).expect("clean");
}

#[test]
fn owner_repo_takes_names_and_urls() {
    assert_eq!(owner_repo("github-repo", "acme/app").expect("ok"), ("acme".to_owned(), "app".to_owned()));
    assert_eq!(
        owner_repo("github-repo", "https://github.com/acme/app/").expect("ok"),
        ("acme".to_owned(), "app".to_owned())
    );
    for value in ["app", "/app", "https://github.com/", ""] {
        assert!(owner_repo("github-repo", value).is_err(), "{value}");
    }
}

#[test]
fn templates_and_init() {
    let names: Vec<String> = templates(None).expect("built in").into_keys().collect();
    assert!(names.contains(&"keepachangelog".to_owned()) && !names.contains(&"default".to_owned()));
    let (name, text) = template("default.toml", None).expect("default");
    assert_eq!((name.as_str(), text.as_str()), ("default", crate::built_in_config("default").expect("text")));
    let dir = std::env::temp_dir().join(format!("tagwright-templates-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("keepachangelog.toml"), "# ours").expect("write");
    std::fs::write(dir.join("house.toml"), "# house").expect("write");
    assert_eq!(template("keepachangelog", Some(&dir)).expect("ours wins").1, "# ours");
    assert_eq!(template("house", Some(&dir)).expect("house").1, "# house");
    let unknown = template("nope", Some(&dir)).expect_err("unknown");
    assert!(
        unknown.to_string().starts_with("--init nope: no such template (the templates are: "),
        "{unknown}"
    );
    assert!(unknown.to_string().contains("house"));
    std::fs::remove_dir_all(&dir).expect("clean");
    assert!(matches!(templates(Some(&dir)), Err(FlagError::File { .. })));
}

#[test]
fn prepend_replaces_the_old_header_once() {
    let before = "# Changelog\n\n## 1.0.0\n- a\n";
    assert_eq!(
        prepended("## 1.1.0\n- b\n", before, Some("# Changelog\n")),
        "## 1.1.0\n- b\n\n## 1.0.0\n- a\n"
    );
    assert_eq!(prepended("## 1.1.0", "## 1.0.0\n", None), "## 1.1.0\n\n## 1.0.0\n");
    assert_eq!(prepended("", "old", None), "old");
}
