//! `cargo xtask demo`: the whole runbook on embedded defaults, offline, as README.md shows it. The
//! demo uses the stand-ins for GitHub, Fulcio, Rekor and the Actions OIDC issuer, and (without
//! `--registry`) the layout registry; these tests check what it leaves with the real tools: git,
//! uv, mike, skopeo and GNU sha256sum.

use std::path::Path;

use tagwright_release::CHECKS;
use tagwright_test_support::registry::{LocalRegistry, Mode};
use tagwright_test_support::{Run, cargo_bin, peer_command, run, run_ok};

fn demo(parent: &Path, extra: &[&str]) -> Run {
    demo_with(parent, extra, |_| {})
}

fn demo_with(parent: &Path, extra: &[&str], adjust: impl FnOnce(&mut std::process::Command)) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_xtask"));
    command
        .args(["demo", "--dir"])
        .arg(parent.join("demo"))
        .args(extra)
        .env("HOME", parent)
        .env("TMPDIR", parent);
    adjust(&mut command);
    let out = run(&mut command);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    out
}

#[test]
fn the_demo_runs_the_whole_runbook_offline_and_leaves_nothing_outside_its_directory() {
    let parent = tempfile::tempdir().expect("tempdir");
    let out = demo(parent.path(), &[]);
    let dir = parent.path().join("demo");
    for step in 1..=11 {
        assert!(out.stdout.contains(&format!("\n== {step}. ")), "missing step {step}:\n{}", out.stdout);
    }
    // The cut.
    assert!(out.stdout.contains("- *(api)* Add advisory search endpoint"), "{}", out.stdout);
    assert!(
        out.stdout.contains("$ git verify-tag v0.2.0\nGood \"git\" signature for maintainer@example.com"),
        "{}",
        out.stdout
    );
    let repo = dir.join("repo");
    run_ok(peer_command("uv").args(["lock", "--check", "--offline"]).current_dir(&repo));
    let log = run_ok(peer_command("git").args(["log", "--format=%s %D", "main"]).current_dir(&repo));
    assert_eq!(
        log.stdout.lines().next(),
        Some("chore(release): v0.2.0 HEAD -> main, tag: v0.2.0, origin/main"),
        "{}",
        log.stdout
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(dir.join("keys/id_ed25519")).expect("key").permissions(),
    );
    assert_eq!(mode & 0o077, 0, "the private key is not readable by others");

    // Publish, twice: the second run writes nothing.
    assert!(
        out.stdout.contains("chart unchanged; GitHub release up to date: nothing written"),
        "{}",
        out.stdout
    );
    // The release assets, as downloaded before the tampering, pass GNU sha256sum.
    let sums =
        run_ok(peer_command("sha256sum").args(["-c", "checksums.txt"]).current_dir(dir.join("github")));
    assert_eq!(sums.stdout.lines().filter(|l| l.ends_with(": OK")).count(), 2, "{}", sums.stdout);
    // The chart in the embedded registry's layout, as skopeo reads it.
    let layout = dir.join("registry/acme/charts/advisoryhub");
    let raw = run_ok(
        peer_command("skopeo").args(["inspect", "--raw"]).arg(format!("oci:{}:0.2.0", layout.display())),
    );
    let manifest: serde_json::Value = serde_json::from_str(&raw.stdout).expect("manifest");
    assert_eq!(manifest["config"]["mediaType"], "application/vnd.cncf.helm.config.v1+json");
    assert_eq!(manifest["layers"][0]["mediaType"], "application/vnd.cncf.helm.chart.content.v1.tar+gzip");

    // The docs, as mike reads them.
    let listed = run_ok(peer_command("mike").args(["list", "--json"]).current_dir(&repo));
    let listed: serde_json::Value = serde_json::from_str(&listed.stdout).expect("mike list --json");
    assert_eq!(listed, serde_json::json!([{"version": "0.2.0", "title": "0.2.0", "aliases": ["latest"]}]));
    let remote = run_ok(peer_command("git").arg("--git-dir").arg(dir.join("origin.git")).args([
        "ls-tree",
        "--name-only",
        "gh-pages",
    ]));
    assert_eq!(remote.stdout, ".nojekyll\n0.2.0\nindex.html\nlatest\nversions.json\n");

    // Verify: every check green, then the tampered asset named.
    let (green, tampered) = out.stdout.split_once("== 10. ").expect("step 10");
    for check in CHECKS {
        assert!(green.contains(&format!("ok   {check}:")), "{check}:\n{green}");
    }
    assert!(tampered.contains("FAIL checksums: sbom.cdx.json does not match its checksum"), "{tampered}");
    assert!(tampered.contains("ok: verify exited 1 and named the checks that failed"), "{tampered}");
    assert!(out.stdout.contains("release-manifest.json.sigstore.json"), "the summary table:\n{}", out.stdout);

    // Nothing outside its directory: TMPDIR (the parent) holds the demo and nothing else.
    let left: Vec<String> = std::fs::read_dir(parent.path())
        .expect("read")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    let cache: Vec<String> = walk(&parent.path().join(".cache"));
    assert_eq!(left, ["demo"], "{cache:?}");
}

/// Also the fresh machine's case: only the system's programs on PATH (no uv, none of the test peers),
/// where the demo says that it releases with `--no-lock-check`.
#[test]
fn the_demo_publishes_to_a_registry_when_given_one() {
    let registry = LocalRegistry::start(Mode::Plain);
    let parent = tempfile::tempdir().expect("tempdir");
    // The Rust toolchain (the demo builds the binaries), then the system's programs.
    let cargo = std::path::PathBuf::from(env!("CARGO"));
    let toolchain = cargo.parent().expect("cargo's directory").display().to_string();
    let out = demo_with(parent.path(), &["--registry", registry.host()], |command| {
        command.env("PATH", format!("{toolchain}:/usr/local/bin:/usr/bin:/bin"));
    });
    assert!(
        out.stdout.contains("uv is not installed here: the demo releases with --no-lock-check"),
        "{}",
        out.stdout
    );
    let (green, _) = out.stdout.split_once("== 10. ").expect("step 10");
    for check in CHECKS {
        assert!(green.contains(&format!("ok   {check}:")), "{check}:\n{green}");
    }
    assert!(!parent.path().join("demo/registry").exists(), "the embedded registry ran anyway");
    for reference in ["acme/charts/advisoryhub:0.2.0", "acme/advisoryhub:0.2.0"] {
        let raw = run_ok(peer_command("skopeo").args([
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{}/{reference}", registry.host()),
        ]));
        let manifest: serde_json::Value = serde_json::from_str(&raw.stdout).expect("manifest");
        assert_eq!(manifest["schemaVersion"], 2, "{reference}");
    }
}

fn walk(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            found.push(entry.path().display().to_string());
            found.extend(walk(&entry.path()));
        }
    }
    found
}
