//! The GitHub release step as a reconcile, against a stand-in for GitHub's REST API (it cannot run
//! here; `tagwright_test_support::github`, whose answers `crates/github/tests` checks against
//! GitHub's OpenAPI description).

use tagwright_github::{Github, NewRelease};
use tagwright_release::{ErrorKind, GithubReleaseOptions, ReleaseAsset, github_release};
use tagwright_test_support::github::{GithubStandIn, TOKEN};

fn assets() -> Vec<ReleaseAsset> {
    ["advisoryhub-1.2.0.tgz", "sbom.cdx.json", "checksums.txt"]
        .iter()
        .map(|name| ReleaseAsset {
            name: (*name).to_owned(),
            content_type: "application/octet-stream".to_owned(),
            bytes: format!("the bytes of {name}").into_bytes(),
        })
        .collect()
}

fn options() -> GithubReleaseOptions {
    let mut options = GithubReleaseOptions::new("acme", "advisoryhub", "v1.2.0", "## 1.2.0\n\n- notes\n");
    options.assets = assets();
    options
}

fn client(stand_in: &GithubStandIn) -> Github {
    Github::new(&stand_in.url(), Some(TOKEN)).expect("client")
}

/// What a release ends as: its draft flag and body, and its assets (name, bytes), sorted.
type EndState = (Option<(bool, Option<String>)>, Vec<(String, Vec<u8>)>);

fn end_state(stand_in: &GithubStandIn) -> EndState {
    let mut assets = stand_in.assets_of("v1.2.0");
    assets.sort();
    (stand_in.release_state("v1.2.0"), assets)
}

fn writes(stand_in: &GithubStandIn) -> usize {
    stand_in.requests().iter().filter(|r| r.method != "GET").count()
}

fn draft(github: &Github) -> tagwright_github::Release {
    github.create_release("acme", "advisoryhub", &NewRelease::draft("v1.2.0")).expect("draft")
}

/// Uses the GitHub stand-in. An uninterrupted run creates, uploads and publishes; a second run
/// changes nothing. Runs after each interruption (a draft only; a draft with some assets; an upload
/// killed midway, which leaves a `starter` asset; every asset but still a draft) end in the same
/// state, with no duplicate asset.
#[test]
fn every_interrupted_run_finishes_as_an_uninterrupted_one() {
    let reference = GithubStandIn::start("acme", "advisoryhub");
    let first = github_release(&client(&reference), &options()).expect("publish");
    assert!(first.created && first.published && !first.up_to_date);
    assert_eq!(first.uploaded.len(), 3);
    let expected = end_state(&reference);
    assert_eq!(expected.0, Some((false, Some("## 1.2.0\n\n- notes\n".to_owned()))));
    assert_eq!(expected.1.len(), 3);
    let before = writes(&reference);
    let again = github_release(&client(&reference), &options()).expect("again");
    assert!(again.up_to_date, "{again:?}");
    assert_eq!(again.skipped.len(), 3);
    assert_eq!(writes(&reference), before, "a second run writes nothing");

    type Interruption = fn(&Github, &GithubStandIn);
    let interruptions: [(&str, Interruption); 4] = [
        ("after the draft", |github, _| {
            draft(github);
        }),
        ("after one asset", |github, _| {
            let release = draft(github);
            let asset = &assets()[0];
            github.upload_asset(&release, &asset.name, &asset.content_type, &asset.bytes).expect("upload");
        }),
        ("mid-upload", |github, stand_in| {
            draft(github);
            stand_in.add_partial_asset("v1.2.0", "sbom.cdx.json", b"the by");
        }),
        ("before publishing", |github, _| {
            let release = draft(github);
            for asset in assets() {
                github
                    .upload_asset(&release, &asset.name, &asset.content_type, &asset.bytes)
                    .expect("upload");
            }
        }),
    ];
    for (when, interrupt) in interruptions {
        let stand_in = GithubStandIn::start("acme", "advisoryhub");
        let github = client(&stand_in);
        interrupt(&github, &stand_in);
        let finished = github_release(&github, &options()).unwrap_or_else(|e| panic!("{when}: {e}"));
        assert!(!finished.created, "{when}");
        assert_eq!(end_state(&stand_in), expected, "{when}");
        if when == "mid-upload" {
            assert_eq!(finished.replaced, ["sbom.cdx.json"], "{when}");
        }
    }
}

/// Uses the GitHub stand-in. An asset with other bytes under the same name is refused, naming it,
/// before anything changes; `replace` replaces it. A dry run plans and writes nothing.
#[test]
fn a_conflict_changes_nothing_unless_replace() {
    let stand_in = GithubStandIn::start("acme", "advisoryhub");
    let github = client(&stand_in);
    let release = draft(&github);
    github.upload_asset(&release, "checksums.txt", "text/plain", b"other bytes").expect("upload");
    let before = (end_state(&stand_in), writes(&stand_in));

    let mut dry = options();
    dry.dry_run = true;
    let plan = github_release(&github, &dry).expect_err("a conflict, even in a dry run");
    assert_eq!(plan.kind(), ErrorKind::Check);
    let refused = github_release(&github, &options()).expect_err("a conflict");
    assert_eq!(refused.kind(), ErrorKind::Check);
    let message = refused.to_string();
    assert!(message.contains("checksums.txt is already on the release with other bytes"), "{message}");
    assert!(message.contains("nothing was changed") && message.contains("--replace"), "{message}");
    assert_eq!((end_state(&stand_in), writes(&stand_in)), before, "nothing changed");

    let mut replace = options();
    replace.replace = true;
    let replaced = github_release(&github, &replace).expect("replace");
    assert_eq!(replaced.replaced, ["checksums.txt"]);
    let bytes: Vec<Vec<u8>> = stand_in
        .assets_of("v1.2.0")
        .into_iter()
        .filter(|(n, _)| n == "checksums.txt")
        .map(|(_, b)| b)
        .collect();
    assert_eq!(bytes, [b"the bytes of checksums.txt".to_vec()], "one asset of that name, with our bytes");

    let fresh = GithubStandIn::start("acme", "advisoryhub");
    let mut dry = options();
    dry.dry_run = true;
    let planned = github_release(&client(&fresh), &dry).expect("plan");
    assert!(planned.created && planned.published && planned.uploaded.len() == 3, "{planned:?}");
    assert_eq!(writes(&fresh), 0, "a dry run writes nothing");
}

/// Uses the GitHub stand-in. An immutable release that would need a change is refused and left as is.
#[test]
fn an_immutable_release_is_not_changed() {
    let stand_in = GithubStandIn::start("acme", "advisoryhub");
    let github = client(&stand_in);
    draft(&github);
    stand_in.make_immutable("v1.2.0");
    let before = writes(&stand_in);
    let refused = github_release(&github, &options()).expect_err("immutable");
    assert!(refused.to_string().contains("immutable"), "{refused}");
    assert_eq!(writes(&stand_in), before);
}

/// Issue 22: a pre-release tag (`v1.3.0-rc.1`) makes a GitHub pre-release; a final tag does not.
/// Read back through our client, as GitHub's API answers it (the stand-in).
#[test]
fn a_pre_release_tag_makes_a_github_pre_release() {
    let stand_in = GithubStandIn::start("acme", "advisoryhub");
    let github = client(&stand_in);
    for (tag, prerelease) in [("v1.3.0-rc.1", true), ("v1.3.0", false)] {
        let mut options = GithubReleaseOptions::new("acme", "advisoryhub", tag, "notes\n");
        options.assets = assets();
        github_release(&github, &options).expect("release");
        let made = github.release_by_tag("acme", "advisoryhub", tag).expect("lookup").expect("made");
        assert_eq!(made.prerelease, prerelease, "{tag}");
    }
}
