//! `cargo xtask demo`: the main job on embedded defaults, offline, as README.md shows it.

use tagwright_test_support::registry::{LocalRegistry, Mode};
use tagwright_test_support::{cargo_bin, peer_command, run, run_ok};

#[test]
fn the_demo_runs_offline_and_cuts_a_signed_release() {
    let parent = tempfile::tempdir().expect("tempdir");
    let dir = parent.path().join("demo");
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_xtask"));
    command.args(["demo", "--dir"]).arg(&dir).env("HOME", parent.path());
    let out = run(&mut command);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    for step in
        ["== 1.", "== 2.", "== 3.", "== 4.", "== 5.", "[2/9] bump", "[6/9] signed commit", "[7/9] signed tag"]
    {
        assert!(out.stdout.contains(step), "missing {step}:\n{}", out.stdout);
    }
    assert!(out.stdout.contains("## [0.2.0] - "), "the notes of the release: {}", out.stdout);
    assert!(out.stdout.contains("- *(api)* Add advisory search endpoint"), "{}", out.stdout);
    assert!(
        out.stdout.contains("$ git verify-tag v0.2.0\nGood \"git\" signature for maintainer@example.com"),
        "{}",
        out.stdout
    );
    run_ok(peer_command("uv").args(["lock", "--check", "--offline"]).current_dir(&dir));
    let log = run_ok(peer_command("git").args(["log", "--format=%s %D"]).current_dir(&dir));
    assert_eq!(
        log.stdout.lines().next(),
        Some("chore(release): v0.2.0 HEAD -> main, tag: v0.2.0"),
        "{}",
        log.stdout
    );
    assert_eq!(log.stdout.lines().count(), 5, "{}", log.stdout);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(parent.path().join("demo-keys/id_ed25519")).expect("key").permissions(),
    );
    assert_eq!(mode & 0o077, 0, "the private key is not readable by others");

    // Step 6: the chart went to an OCI layout, which skopeo reads, and came back intact.
    assert!(out.stdout.contains("== 6."), "{}", out.stdout);
    assert!(
        out.stdout.contains("ok: the chart pulled back has the pushed manifest and layer digests"),
        "{}",
        out.stdout
    );
    let layout = parent.path().join("demo-oci/layout");
    let raw = run_ok(
        peer_command("skopeo").arg("inspect").arg("--raw").arg(format!("oci:{}:0.2.0", layout.display())),
    );
    let manifest: serde_json::Value = serde_json::from_str(&raw.stdout).expect("manifest");
    assert_eq!(manifest["config"]["mediaType"], "application/vnd.cncf.helm.config.v1+json");
    assert_eq!(manifest["layers"][0]["mediaType"], "application/vnd.cncf.helm.chart.content.v1.tar+gzip");
    assert_eq!(manifest["annotations"]["org.opencontainers.image.version"], "0.2.0");
    assert!(parent.path().join("demo-oci/pulled/advisoryhub-0.2.0.tgz").is_file());
}

#[test]
fn the_demo_pushes_its_chart_to_a_registry_when_given_one() {
    let registry = LocalRegistry::start(Mode::Plain);
    let parent = tempfile::tempdir().expect("tempdir");
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_xtask"));
    command
        .args(["demo", "--dir"])
        .arg(parent.path().join("demo"))
        .args(["--registry", &format!("oci://{}/charts", registry.host())])
        .env("HOME", parent.path());
    let out = run(&mut command);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let reference = format!("{}/charts/advisoryhub:0.2.0", registry.host());
    assert!(out.stdout.contains(&format!("pushed {reference}\n")), "{}", out.stdout);
    let raw = run_ok(peer_command("skopeo").args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{reference}"),
    ]));
    let manifest: serde_json::Value = serde_json::from_str(&raw.stdout).expect("manifest");
    assert_eq!(manifest["config"]["mediaType"], "application/vnd.cncf.helm.config.v1+json");
}
