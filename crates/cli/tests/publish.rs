//! `tagwright publish` against the real registry (Debian's `docker-registry` on 127.0.0.1): the chart
//! is pushed only once the release image exists.

use std::path::Path;

use tagwright_test_support::registry::{self, LocalRegistry, Mode};
use tagwright_test_support::{Run, cargo_bin, fixture, peer_command, run, run_ok};

fn publish(repo: &Path, host: &str, extra: &[&str]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
    command
        .args([
            "publish",
            "--charts",
            &format!("oci://{host}/charts"),
            "--image",
            &format!("{host}/example/advisoryhub"),
        ])
        .args(["--interval", "200ms"])
        .args(extra)
        .arg("--repo")
        .arg(repo)
        .env("HOME", repo)
        .env_remove("DOCKER_CONFIG");
    run(&mut command)
}

/// Whether the registry holds the chart, as skopeo reads it.
fn has_chart(host: &str) -> bool {
    let mut command = peer_command("skopeo");
    command.args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{host}/charts/advisoryhub:0.1.0"),
    ]);
    let out = run(&mut command);
    // Only the registry's "no such manifest" means no chart; any other failure fails the test.
    match out.code {
        0 => true,
        _ if out.stderr.contains("manifest unknown") => false,
        code => panic!("skopeo failed ({code}), not with \"manifest unknown\": {}", out.stderr),
    }
}

#[test]
fn the_chart_waits_for_its_image() {
    let registry = LocalRegistry::start(Mode::Plain);
    let host = registry.host();
    let repo = fixture("make_advisoryhub.sh", &[]);

    let early = publish(repo.path(), host, &["--timeout", "2s", "--tag", "v0.1.0"]);
    assert_eq!(early.code, 3, "{}\n{}", early.stdout, early.stderr);
    assert!(early.stderr.contains("the chart was not pushed"), "{}", early.stderr);
    assert!(early.stdout.contains("waiting for"), "{}", early.stdout);
    assert!(!has_chart(host), "no chart without its image");

    let mismatch = publish(repo.path(), host, &["--timeout", "2s", "--tag", "v0.2.0"]);
    assert_eq!(mismatch.code, 1, "the version gate fails first: {}", mismatch.stderr);

    let dir = tempfile::tempdir().expect("tempdir");
    registry::image_layout(dir.path(), "0.1.0", &["linux/amd64", "linux/arm64"], true, 0);
    run_ok(peer_command("skopeo").args([
        "copy",
        "--all",
        "--dest-tls-verify=false",
        &format!("oci:{}:0.1.0", dir.path().display()),
        &format!("docker://{host}/example/advisoryhub:0.1.0"),
    ]));
    let dry = publish(
        repo.path(),
        host,
        &["--timeout", "10s", "--platform", "linux/amd64,linux/arm64", "--dry-run"],
    );
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    assert!(dry.stdout.contains("would push"), "{}", dry.stdout);
    assert!(!has_chart(host), "a dry run pushes nothing");

    let done = publish(repo.path(), host, &["--timeout", "10s", "--platform", "linux/amd64,linux/arm64"]);
    assert_eq!(done.code, 0, "{}\n{}", done.stdout, done.stderr);
    assert!(
        done.stdout.contains(&format!("pushed {host}/charts/advisoryhub:0.1.0 sha256:")),
        "{}",
        done.stdout
    );
    assert!(has_chart(host));

    // A re-run pushes nothing new, and --json says so in one document; progress goes to stderr.
    let again = publish(repo.path(), host, &["--timeout", "10s", "--json"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    let doc: serde_json::Value = serde_json::from_str(&again.stdout).expect("one JSON document");
    assert_eq!((doc["status"].as_str(), doc["version"].as_str()), (Some("ok"), Some("0.1.0")));
    assert_eq!(doc["chart"]["unchanged"], true, "{doc}");
    assert_eq!(doc["chart"]["reference"], format!("{host}/charts/advisoryhub:0.1.0"));
    assert!(doc["image_digest"].as_str().is_some_and(|d| d.starts_with("sha256:")), "{doc}");
    assert!(again.stderr.contains("[3/6] wait for the release image"), "{}", again.stderr);
}

#[test]
fn the_deadline_holds_against_a_registry_that_never_answers() {
    // A stand-in for a hung registry: it accepts connections and never answers.
    let silent = tagwright_test_support::hostile::Hostile::silent();
    let repo = fixture("make_advisoryhub.sh", &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
    command
        .args(["publish", "--timeout", "3s", "--charts"])
        .arg(format!("oci-layout:{}", dir.path().join("charts").display()))
        .args(["--image", &format!("{}/example/advisoryhub", silent.host())])
        .arg("--repo")
        .arg(repo.path())
        .env("HOME", repo.path())
        .env_remove("DOCKER_CONFIG");
    let (out, killed, elapsed) =
        tagwright_test_support::run_with_limit(&mut command, std::time::Duration::from_secs(40));
    assert!(!killed, "still waiting after 40 s:\n{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(elapsed < std::time::Duration::from_secs(8), "the 3 s deadline took {elapsed:?}");
    assert!(!dir.path().join("charts").exists(), "no chart without its image");
}

/// A registry holding the release image `HOST/example/advisoryhub:0.1.0`.
fn registry_with_image() -> LocalRegistry {
    let registry = LocalRegistry::start(Mode::Plain);
    registry::push_image(registry.host(), "example/advisoryhub", "0.1.0");
    registry
}

fn publish_to_github(repo: &Path, host: &str, github: &GithubStandIn, extra: &[&str]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
    command
        .args(["publish", "--charts", &format!("oci://{host}/charts"), "--image"])
        .arg(format!("{host}/example/advisoryhub"))
        .args(["--tag", "v0.1.0", "--github", "acme/advisoryhub", "--timeout", "10s"])
        .args(extra)
        .arg("--repo")
        .arg(repo)
        .env("HOME", repo)
        .env_remove("DOCKER_CONFIG")
        .env_remove("GH_TOKEN")
        .env("GITHUB_API_URL", github.url())
        .env("GITHUB_TOKEN", tagwright_test_support::github::TOKEN)
        .env("SOURCE_DATE_EPOCH", "1767261600");
    run(&mut command)
}

fn github_writes(github: &GithubStandIn) -> usize {
    github.requests().iter().filter(|r| r.method != "GET").count()
}

use tagwright_test_support::github::GithubStandIn;

/// Uses the real registry and a stand-in for GitHub's REST API (checked against GitHub's OpenAPI
/// description in crates/github). `publish --github` makes the release: the chart archive (the
/// pushed chart's bytes), the SBOM, `release-manifest.json` and `checksums.txt`, which GNU
/// `sha256sum -c` accepts; a re-run changes nothing; a conflicting asset changes nothing and is
/// named; a dry run plans and writes nothing.
#[test]
fn publish_makes_the_github_release_and_a_rerun_changes_nothing() {
    let registry = registry_with_image();
    let host = registry.host();
    let repo = fixture("make_advisoryhub.sh", &[]);

    let planned_github = GithubStandIn::start("acme", "advisoryhub");
    let dry = publish_to_github(repo.path(), host, &planned_github, &["--dry-run"]);
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    assert!(dry.stdout.contains("would create it, upload 4"), "{}", dry.stdout);
    assert_eq!(github_writes(&planned_github), 0, "a dry run writes nothing");

    let github = GithubStandIn::start("acme", "advisoryhub");
    let done = publish_to_github(repo.path(), host, &github, &["--json"]);
    assert_eq!(done.code, 0, "{}\n{}", done.stdout, done.stderr);
    tagwright_test_support::assert_snapshot(
        "crates/cli/tests/snapshots/tagwright-publish.shape.json",
        &tagwright_test_support::json_shape(&done.stdout),
    );
    let report: serde_json::Value = serde_json::from_str(&done.stdout).expect("json");
    let names: Vec<&str> = report["assets"]
        .as_array()
        .expect("assets")
        .iter()
        .map(|a| a["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["advisoryhub-0.1.0.tgz", "sbom.cdx.json", "checksums.txt", "release-manifest.json"]);
    assert_eq!(report["github"]["created"], true);
    let (draft, body) = github.release_state("v0.1.0").expect("a release");
    assert!(!draft, "published");
    assert_eq!(body.as_deref(), report["notes"].as_str());

    // The assets, as GitHub holds them, pass GNU sha256sum -c; the archive is the pushed chart.
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, bytes) in github.assets_of("v0.1.0") {
        std::fs::write(dir.path().join(name), bytes).expect("write");
    }
    let checked = run(peer_command("sha256sum").arg("-c").arg("checksums.txt").current_dir(dir.path()));
    assert_eq!(checked.code, 0, "{}\n{}", checked.stdout, checked.stderr);
    assert_eq!(checked.stdout.matches(": OK").count(), 2, "{}", checked.stdout);
    let manifest_text = std::fs::read_to_string(dir.path().join("release-manifest.json")).expect("manifest");
    let shape = tagwright_test_support::json_shape(&manifest_text);
    tagwright_test_support::assert_snapshot(
        "crates/cli/tests/snapshots/format-release-manifest.shape.json",
        &shape,
    );
    let manifest: serde_json::Value = serde_json::from_str(&manifest_text).expect("json");
    assert_eq!(manifest["artifacts"][1]["digest"], report["chart"]["digest"]);
    // The manifest lists every other asset, checksums.txt included, by name and digest.
    assert_eq!(manifest["schemaVersion"], 2);
    for name in ["advisoryhub-0.1.0.tgz", "sbom.cdx.json", "checksums.txt"] {
        let listed = manifest["artifacts"].as_array().expect("artifacts").iter().find(|a| a["name"] == name);
        let digest = registry::file_digest(&dir.path().join(name));
        assert_eq!(listed.map(|a| a["digest"].clone()), Some(digest.as_str().into()), "{name}");
    }
    let archive = registry::file_digest(&dir.path().join("advisoryhub-0.1.0.tgz"));
    assert!(
        report["chart"]["layers"].as_array().expect("layers").iter().any(|l| l["digest"] == archive.as_str())
    );

    let before = github_writes(&github);
    let again = publish_to_github(repo.path(), host, &github, &[]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("up to date: nothing to do"), "{}", again.stdout);
    assert_eq!(github_writes(&github), before, "a re-run writes nothing");

    // Someone else's sbom.cdx.json on the draft: refused, named, nothing changed.
    let conflicted = GithubStandIn::start("acme", "advisoryhub");
    let client =
        tagwright_github::Github::new(&conflicted.url(), Some(tagwright_test_support::github::TOKEN))
            .expect("client");
    let draft = client
        .create_release("acme", "advisoryhub", &tagwright_github::NewRelease::draft("v0.1.0"))
        .expect("draft");
    client.upload_asset(&draft, "sbom.cdx.json", "application/json", b"{}").expect("upload");
    let writes = github_writes(&conflicted);
    let refused = publish_to_github(repo.path(), host, &conflicted, &[]);
    assert_eq!(refused.code, 1, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("sbom.cdx.json is already on the release with other bytes"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("step 6 (GitHub release)"), "{}", refused.stderr);
    assert_eq!(github_writes(&conflicted), writes, "nothing changed");
}

/// Uses the real registry, and stand-ins for GitHub's REST API, Fulcio, Rekor and the Actions OIDC
/// service. `publish --sign keyless` signs the chart by digest and the release manifest as a blob;
/// `attest verify` accepts the chart with the workflow's identity, `attest verify-blob` the manifest;
/// a re-run signs nothing again (no new Rekor entry) and writes nothing to GitHub.
#[test]
fn publish_signs_the_chart_and_the_manifest_once() {
    use tagwright_test_support::oidc::OidcStandIn;
    use tagwright_test_support::sigstore::SigstoreStandIn;
    let registry = registry_with_image();
    let host = registry.host();
    let repo = fixture("make_advisoryhub.sh", &[]);
    let github = GithubStandIn::start("acme", "advisoryhub");
    let oidc = OidcStandIn::start();
    let sigstore = SigstoreStandIn::start(&oidc);
    let root = sigstore.trusted_root().display().to_string();
    let config = sigstore.signing_config().display().to_string();
    let sign = |token: &str| {
        publish_to_github(
            repo.path(),
            host,
            &github,
            &[
                "--sign",
                "keyless",
                "--identity-token",
                token,
                "--signing-config",
                &config,
                "--trusted-root",
                &root,
            ],
        )
    };
    let signed = sign(&oidc.token("sigstore"));
    assert_eq!(signed.code, 0, "{}\n{}", signed.stdout, signed.stderr);
    assert!(signed.stdout.contains("  signed: "), "{}", signed.stdout);
    let entries = sigstore.log_size();
    assert_eq!(entries, 3, "the chart's .sig, its bundle referrer, and the manifest");

    let attest = |args: &[&str]| {
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
        command.env("HOME", repo.path()).env_remove("DOCKER_CONFIG").args(args);
        run(&mut command)
    };
    let identity = [
        "--certificate-identity-regexp",
        r"https://github\.com/acme/advisoryhub/\.github/workflows/release\.yml@",
    ];
    let issuer = oidc.issuer();
    let chart = format!("{host}/charts/advisoryhub:0.1.0");
    let verified = attest(
        &[&["verify", &chart, "--certificate-oidc-issuer", &issuer, "--trusted-root", &root][..], &identity]
            .concat(),
    );
    assert_eq!(verified.code, 0, "{}", verified.stderr);

    let dir = tempfile::tempdir().expect("tempdir");
    for (name, bytes) in github.assets_of("v0.1.0") {
        std::fs::write(dir.path().join(name), bytes).expect("write");
    }
    let manifest = dir.path().join("release-manifest.json").display().to_string();
    let blob = attest(
        &[
            &["verify-blob", &manifest, "--certificate-oidc-issuer", &issuer, "--trusted-root", &root][..],
            &identity,
        ]
        .concat(),
    );
    assert_eq!(blob.code, 0, "{}", blob.stderr);

    let writes = github_writes(&github);
    let again = sign(&oidc.token("sigstore"));
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("already signed"), "{}", again.stdout);
    assert!(again.stdout.contains("up to date"), "{}", again.stdout);
    assert_eq!(sigstore.log_size(), entries, "nothing signed again");
    assert_eq!(sigstore.fulcio_requests().len(), 1, "and no certificate asked for");
    assert_eq!(github_writes(&github), writes, "nothing written to GitHub");
}

/// Uses the stand-in for GitHub's REST API. `tagwright github-release` (a release with no chart, as
/// tagwright's own) attaches exactly the files given with the notes given, publishes the release,
/// and a re-run writes nothing.
#[test]
fn github_release_attaches_the_given_files_and_a_rerun_writes_nothing() {
    let github = GithubStandIn::start("acme", "tool");
    let dir = tempfile::tempdir().expect("tempdir");
    let notes = dir.path().join("notes.md");
    std::fs::write(&notes, "## Features\n\n- one binary\n").expect("write");
    let binary = dir.path().join("tool-x86_64-linux.tar.gz");
    std::fs::write(&binary, b"\x1f\x8b not really a tarball").expect("write");
    let sums = dir.path().join("checksums.txt");
    std::fs::write(&sums, "abc  tool-x86_64-linux.tar.gz\n").expect("write");
    let release = |extra: &[&str]| {
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
        command
            .args(["github-release", "v1.0.0", "--github", "acme/tool", "--notes-file"])
            .arg(&notes)
            .arg("--asset")
            .arg(&binary)
            .arg("--asset")
            .arg(&sums)
            .args(extra)
            .env_remove("GH_TOKEN")
            .env("GITHUB_API_URL", github.url())
            .env("GITHUB_TOKEN", tagwright_test_support::github::TOKEN);
        run(&mut command)
    };
    github.add_tag("v1.0.0");
    let planned = release(&["--dry-run"]);
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    assert!(planned.stdout.contains("would create it, upload 2"), "{}", planned.stdout);
    assert_eq!(github_writes(&github), 0, "a dry run wrote");

    let made = release(&[]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let mut names: Vec<String> = github.assets_of("v1.0.0").into_iter().map(|(name, _)| name).collect();
    names.sort();
    assert_eq!(names, ["checksums.txt", "tool-x86_64-linux.tar.gz"]);
    assert_eq!(
        github.release_state("v1.0.0"),
        Some((false, Some("## Features\n\n- one binary\n".to_owned())))
    );
    let writes = github_writes(&github);
    let again = release(&["--json"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    tagwright_test_support::assert_snapshot(
        "crates/cli/tests/snapshots/tagwright-github-release.shape.json",
        &tagwright_test_support::json_shape(&again.stdout),
    );
    let report: serde_json::Value = serde_json::from_str(&again.stdout).expect("json");
    assert_eq!(report["up_to_date"], true, "{report}");
    assert_eq!(github_writes(&github), writes, "a re-run wrote");

    // Other bytes under the same name are refused, naming the asset, and nothing is written.
    std::fs::write(&binary, b"other bytes").expect("write");
    let refused = release(&[]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("tool-x86_64-linux.tar.gz"), "{}", refused.stderr);
    assert_eq!(github_writes(&github), writes);
}

/// A loopback port that nothing listens on: connections to it are refused.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// Issue 22, item 7: only a missing manifest is worth waiting for. A refused connection ends the
/// wait at once, naming the host (before: "not there yet" for 20 minutes), and a dry run checks once
/// and never waits, both with the default 20 minute timeout.
#[test]
fn a_refused_connection_fails_at_once_and_a_dry_run_never_waits() {
    let repo = fixture("make_advisoryhub.sh", &[]);
    let host = format!("127.0.0.1:{}", closed_port());
    for extra in [&[][..], &["--dry-run"][..]] {
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
        command
            .args(["publish", "--charts", &format!("oci://{host}/charts")])
            .args(["--image", &format!("{host}/example/advisoryhub")])
            .args(extra)
            .arg("--repo")
            .arg(repo.path())
            .env("HOME", repo.path())
            .env_remove("DOCKER_CONFIG");
        let (out, killed, elapsed) =
            tagwright_test_support::run_with_limit(&mut command, std::time::Duration::from_secs(60));
        assert!(!killed, "{extra:?}: still waiting after 60 s:\n{}", out.stdout);
        assert_eq!(out.code, 1, "{extra:?}: {}\n{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(&host), "{extra:?}: names the host: {}", out.stderr);
        assert!(!out.stdout.contains("waiting for"), "{extra:?}: {}", out.stdout);
        assert!(elapsed < std::time::Duration::from_secs(30), "{extra:?}: took {elapsed:?}");
    }

    // The registry is up, the image is not: the dry run says so after one check.
    let registry = LocalRegistry::start(Mode::Plain);
    let (out, killed, elapsed) = {
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
        command
            .args(["publish", "--dry-run", "--charts", &format!("oci://{}/charts", registry.host())])
            .args(["--image", &format!("{}/example/advisoryhub", registry.host())])
            .arg("--repo")
            .arg(repo.path())
            .env("HOME", repo.path())
            .env_remove("DOCKER_CONFIG");
        tagwright_test_support::run_with_limit(&mut command, std::time::Duration::from_secs(60))
    };
    assert!(!killed, "the dry run waited");
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("is not there yet (not found); a real run waits up to 1200s"),
        "{}",
        out.stderr
    );
    assert!(elapsed < std::time::Duration::from_secs(30), "took {elapsed:?}");
}

/// Issue 22: one spelling per flag. `publish --help` shows `--registry` and `--keyless`; the old
/// spellings (`--charts`, `--sign keyless`) are hidden aliases that still work (the other tests here
/// use them).
#[test]
fn publish_shows_one_spelling_per_flag() {
    let help = run(cargo_bin(env!("CARGO_BIN_EXE_tagwright")).args(["publish", "--help"]));
    assert_eq!(help.code, 0, "{}", help.stderr);
    assert!(
        help.stdout.contains("--registry <OCI_REF>") && help.stdout.contains("--keyless"),
        "{}",
        help.stdout
    );
    assert!(!help.stdout.contains("--charts") && !help.stdout.contains("--sign "), "{}", help.stdout);
}

/// Issue 24: one `SOURCE_DATE_EPOCH` rule. A value that is not a number of seconds is an input
/// error (exit 2) that names the variable, in the chart packaging (which ignored it before), the
/// SBOM and the docs deploy alike; nothing is written.
#[test]
fn a_bad_source_date_epoch_is_an_input_error_everywhere() {
    let repo = fixture("make_advisoryhub.sh", &[]);
    let out = tempfile::tempdir().expect("tempdir");
    let expected = "SOURCE_DATE_EPOCH=\"yesterday\" is not a number of seconds since 1970-01-01";
    let runs: [(&str, Vec<String>); 3] = [
        (
            env!("CARGO_BIN_EXE_oci-publish"),
            vec![
                "chart".into(),
                "package".into(),
                "charts/advisoryhub".into(),
                "-o".into(),
                out.path().display().to_string(),
            ],
        ),
        (
            env!("CARGO_BIN_EXE_attest"),
            vec!["sbom".into(), "--output".into(), out.path().join("sbom.json").display().to_string()],
        ),
        (
            env!("CARGO_BIN_EXE_tagwright"),
            vec![
                "docs-deploy".into(),
                "0.1.0".into(),
                "--site".into(),
                "README.md".into(),
                "--dry-run".into(),
            ],
        ),
    ];
    for (program, args) in runs {
        let mut command = cargo_bin(program);
        command.current_dir(repo.path()).env("SOURCE_DATE_EPOCH", "yesterday").args(&args);
        let failed = run(&mut command);
        assert_eq!(failed.code, 2, "{program} {args:?}: {}", failed.stderr);
        assert!(failed.stderr.contains(expected), "{program}: {}", failed.stderr);
    }
    assert_eq!(std::fs::read_dir(out.path()).expect("out").count(), 0, "nothing was written");
}
