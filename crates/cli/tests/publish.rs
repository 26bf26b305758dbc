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
    assert!(again.stderr.contains("[2/3] wait for the release image"), "{}", again.stderr);
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
