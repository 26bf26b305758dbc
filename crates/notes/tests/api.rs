//! The library API on a real repository (`tests/fixtures/make_notes_repo.sh`): structured data, no CLI.

use tagwright_notes::{Config, Generator, Scope, Selection, Strip};
use tagwright_test_support::fixture;

#[test]
fn the_structured_changelog_groups_commits_into_releases() {
    tagwright_test_support::hermetic_git2();
    let repo = fixture("make_notes_repo.sh", &[]);
    let generator = Generator::new(Config::default_config()).expect("templates parse");
    let changelog = generator.changelog(repo.path(), &Selection::default()).expect("history reads");
    let versions: Vec<Option<&str>> = changelog.releases.iter().map(|r| r.version.as_deref()).collect();
    // Newest first; v0.2.0 and v0.2.1 share a commit (the later name wins); v0.3.0-rc.2 has only a
    // skipped dependency bump, so it is left out.
    assert_eq!(versions, [None, Some("v0.3.0-rc.1"), Some("v0.2.1"), Some("v0.1.0")]);
    let rc = &changelog.releases[1];
    assert_eq!(rc.previous.as_ref().and_then(|p| p.version.as_deref()), Some("v0.2.1"));
    let refactor = &rc.commits[0];
    assert_eq!(refactor.title(), "split the module");
    assert!(refactor.conv.as_ref().is_some_and(|c| c.breaking));
    assert_eq!(refactor.effective_group(), Some("<!-- 2 -->🚜 Refactor"));
    let statistics = rc.statistics.as_ref().expect("computed");
    assert_eq!((statistics.commit_count, statistics.conventional_commit_count), (3, 3));
    assert!(changelog.skip_summary().iter().any(|line| line == "2 commit(s) were not conventional commits"));
}

#[test]
fn the_notes_of_a_coming_release() {
    tagwright_test_support::hermetic_git2();
    let repo = fixture("make_notes_repo.sh", &[]);
    let notes = tagwright_notes::release_notes(repo.path(), "v0.4.0").expect("notes");
    assert!(notes.warnings.is_empty(), "{:?}", notes.warnings);
    let notes = notes.text;
    assert!(notes.starts_with("## [0.4.0] - "), "{notes}");
    // The body mentions "security", but message parsers come first: a `fix:` is a bug fix.
    assert!(notes.contains("### 🐛 Bug Fixes\n\n- Escape html output\n"), "{notes}");
    assert!(!notes.contains("Security"), "{notes}");
    let generator = Generator::new(Config::default_config()).expect("templates parse");
    let unreleased = generator.changelog(repo.path(), &Selection::new(Scope::Unreleased)).expect("reads");
    assert_eq!(unreleased.releases.len(), 1);
    assert_eq!(unreleased.releases[0].commits.len(), 3);
    let json: serde_json::Value = serde_json::from_str(&unreleased.to_json()).expect("JSON");
    assert_eq!(json[0]["commits"][0]["message"], "escape html output");
    let rendered = generator.render(&unreleased, Some(Strip::All)).expect("renders");
    assert!(rendered.starts_with("## [unreleased]"), "{rendered}");
}
