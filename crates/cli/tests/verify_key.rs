//! Issue 21, item 1: a release published with `tagwright publish --key` verifies end to end with
//! `tagwright verify --key`, and each tampered part fails, naming its check. Against the real
//! registry and real git, with stand-ins for GitHub's REST API, Fulcio, Rekor and the Actions OIDC
//! service (none of them can run here; the image also carries a keyless signature, as its workflow
//! makes one).

mod world;

use tagwright_release::CHECKS;
use tagwright_test_support::github::TOKEN;
use tagwright_test_support::{cargo_bin, peer_command, run, run_ok};
use world::{World, fails};

fn client(world: &World) -> tagwright_github::Github {
    tagwright_github::Github::new(&world.github.url(), Some(TOKEN)).expect("client")
}

/// Replaces the release asset `name` by `bytes`.
fn replace_asset(world: &World, name: &str, bytes: &[u8]) {
    let github = client(world);
    let release = github.release_by_tag("acme", "advisoryhub", "v0.1.0").expect("lookup").expect("release");
    let asset = release.assets.iter().find(|a| a.name == name).expect("the asset");
    github.delete_asset("acme", "advisoryhub", asset.id).expect("delete");
    github.upload_asset(&release, name, "application/octet-stream", bytes).expect("upload");
}

#[test]
fn a_key_signed_release_verifies_and_every_tampered_part_is_named() {
    let world = World::published_with_key();
    let (public, other) = (world.keys.path().join("cosign.pub"), world.generate_key("other").1);
    let ok = world.verify_with_keys(&[&public], &[]);
    assert_eq!(ok.code, 0, "{}\n{}", ok.stdout, ok.stderr);
    for check in CHECKS {
        assert!(ok.stdout.contains(&format!("ok   {check}:")), "{check}:\n{}", ok.stdout);
    }
    assert!(ok.stdout.contains("release manifest signature: signed by the key "), "{}", ok.stdout);
    // The key may be one of several (a rotation).
    let either = world.verify_with_keys(&[&other, &public], &["--json"]);
    assert_eq!(either.code, 0, "{}\n{}", either.stdout, either.stderr);
    tagwright_test_support::assert_snapshot(
        "crates/cli/tests/snapshots/tagwright-verify.shape.json",
        &tagwright_test_support::json_shape(&either.stdout),
    );
    // Another key: every signature check fails, and nothing else.
    let wrong = world.verify_with_keys(&[&other], &[]);
    for check in ["release manifest signature", "chart signature", "image signature"] {
        fails(&wrong, check);
    }
    assert_eq!(wrong.stdout.matches("FAIL").count(), 3, "{}", wrong.stdout);

    // The manifest's bundle is what cosign's sign-blob --key writes: the key's hint, no log entry;
    // attest verify-blob takes it with --insecure-ignore-tlog, as cosign does, and only so.
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, bytes) in world.github.assets_of("v0.1.0") {
        std::fs::write(dir.path().join(name), bytes).expect("write");
    }
    let bundle: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("release-manifest.json.sigstore.json")).expect("bundle"),
    )
    .expect("json");
    assert!(bundle["verificationMaterial"]["publicKey"]["hint"].is_string(), "{bundle}");
    assert!(bundle["verificationMaterial"].get("tlogEntries").is_none(), "{bundle}");
    let verify_blob = |extra: &[&str]| {
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
        command.arg("verify-blob").arg(dir.path().join("release-manifest.json")).arg("--key").arg(&public);
        run(command.args(extra))
    };
    let blob = verify_blob(&["--insecure-ignore-tlog"]);
    assert_eq!(blob.code, 0, "{}", blob.stderr);
    assert!(blob.stdout.contains("signed by the key "), "{}", blob.stdout);
    let logged = verify_blob(&[]);
    assert_eq!(logged.code, 1, "{}", logged.stderr);
    assert!(logged.stderr.contains("--insecure-ignore-tlog"), "{}", logged.stderr);

    // The manifest's bundle, by another key.
    let ours = std::fs::read(dir.path().join("release-manifest.json.sigstore.json")).expect("bundle");
    let by_other = forge_bundle(&world, &dir.path().join("release-manifest.json"), "other");
    replace_asset(&world, "release-manifest.json.sigstore.json", &by_other);
    fails(&world.verify_with_keys(&[&public], &[]), "release manifest signature");
    replace_asset(&world, "release-manifest.json.sigstore.json", &ours);
    let again = world.verify_with_keys(&[&public], &[]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);

    // A tampered asset.
    replace_asset(&world, "sbom.cdx.json", b"{\"bomFormat\":\"CycloneDX\"}");
    let tampered = world.verify_with_keys(&[&public], &[]);
    for check in ["release assets", "checksums", "SBOM"] {
        fails(&tampered, check);
    }

    // The chart's .sig deleted, then the image's: each signature check fails on its own.
    let host = world.host().to_owned();
    for (repository, tag, check) in [
        ("charts/advisoryhub", "0.1.0", "chart signature"),
        ("example/advisoryhub", "0.1.0", "image signature"),
    ] {
        let raw = run_ok(peer_command("skopeo").args([
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{host}/{repository}:{tag}"),
        ]));
        let digest = tagwright_test_support::registry::digest(raw.stdout.as_bytes());
        world.delete(&format!("{host}/{repository}:sha256-{}.sig", &digest["sha256:".len()..]));
        fails(&world.verify_with_keys(&[&public], &[]), check);
    }
}

/// A Sigstore bundle of `file` signed with `keys/PREFIX.key`, as publish writes one.
fn forge_bundle(world: &World, file: &std::path::Path, prefix: &str) -> Vec<u8> {
    let pem = std::fs::read_to_string(world.keys.path().join(format!("{prefix}.key"))).expect("key");
    let key = tagwright_sigstore::cosign_key::read_private_key(&pem, Some(b"a test password")).expect("key");
    let bytes = std::fs::read(file).expect("file");
    tagwright_sigstore::bundle::key_bundle(&key.verifying_key(), &bytes, &key.sign_bytes(&bytes), None)
        .into_bytes()
}
