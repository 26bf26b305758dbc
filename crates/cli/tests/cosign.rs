//! cosign, the verifier the runbook tells users to run, judges our key-based signatures, and we judge
//! its: image signatures (`.sig`) and attestations (`.att`) in the CNCF registry on loopback, and
//! key-signed blob bundles. cosign is real: `cargo xtask setup` builds it from the Go module proxy.

mod attest_support;

use std::path::Path;

use attest_support::*;

/// A signing config that lists no service: cosign 3 signs with a key and logs nothing (what
/// `--tlog-upload=false` was).
fn no_services(dir: &Path) -> String {
    let file = dir.join("no-services.json");
    std::fs::write(
        &file,
        r#"{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.2+json","rekorTlogConfig":{"selector":"ANY"},"tsaConfig":{"selector":"ANY"}}"#,
    )
    .expect("write");
    file.display().to_string()
}

fn path(p: &Path) -> String {
    p.to_str().expect("utf-8").to_owned()
}

/// The SBOM and the provenance statement the attestations carry, as `attest` writes them.
fn evidence(dir: &Path) -> [(std::path::PathBuf, &'static str); 2] {
    let sbom = dir.join("sbom.json");
    let fixture = tagwright_test_support::workspace_root().join("tests/fixtures/sbom-workspace");
    assert_eq!(attest(&["sbom", "--repo", &path(&fixture), "-o", &path(&sbom)]).code, 0);
    let provenance = dir.join("provenance.json");
    let repo = tagwright_test_support::fixture("make_advisoryhub.sh", &[]);
    let subject = "app@sha256:1111111111111111111111111111111111111111111111111111111111111111";
    let made =
        attest(&["provenance", "--repo", &path(repo.path()), "--subject", subject, "-o", &path(&provenance)]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    [(sbom, "cyclonedx"), (provenance, "slsaprovenance1")]
}

#[test]
fn cosign_verifies_our_key_signatures_and_attestations_with_our_keys_and_its_own() {
    let setup = Signing::new();
    let (dir, image) = (setup.dir.path(), setup.image.clone());
    let home = dir.join("home");
    // cosign's own key pair, beside ours: each tool signs with the other's key file.
    let made = cosign(&home, &["generate-key-pair", "--output-key-prefix", &path(&dir.join("theirs"))]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let theirs = (path(&dir.join("theirs.key")), path(&dir.join("theirs.pub")));
    let ours = (setup.key.clone(), setup.public.clone());
    let evidence = evidence(dir);

    for (key, public) in [&ours, &theirs] {
        let signed = attest_with_password(&["sign", &image, "--key", key, "--json"]);
        assert_eq!(signed.code, 0, "{}", signed.stderr);
        let digest = serde_json::from_str::<serde_json::Value>(&signed.stdout).expect("json")["digest"]
            .as_str()
            .expect("digest")
            .to_owned();
        let verified = cosign(
            &home,
            &["verify", "--key", public, "--insecure-ignore-tlog", "--allow-http-registry", &image],
        );
        assert_eq!(verified.code, 0, "cosign verify with {public}: {}", verified.stderr);
        let claims: serde_json::Value = serde_json::from_str(&verified.stdout).expect("cosign's JSON");
        assert_eq!(claims[0]["critical"]["image"]["docker-manifest-digest"], digest);
        for (predicate, kind) in &evidence {
            let out = attest_with_password(&[
                "attest",
                &image,
                "--predicate",
                &path(predicate),
                "--type",
                kind,
                "--key",
                key,
            ]);
            assert_eq!(out.code, 0, "{kind}: {}", out.stderr);
            let checked = cosign(
                &home,
                &[
                    "verify-attestation",
                    "--key",
                    public,
                    "--type",
                    kind,
                    "--insecure-ignore-tlog",
                    "--allow-http-registry",
                    &image,
                ],
            );
            assert_eq!(checked.code, 0, "cosign verify-attestation --type {kind}: {}", checked.stderr);
        }
    }
    // A key that signed nothing here: cosign refuses both kinds.
    let stranger = cosign(&home, &["generate-key-pair", "--output-key-prefix", &path(&dir.join("stranger"))]);
    assert_eq!(stranger.code, 0);
    let stranger = path(&dir.join("stranger.pub"));
    let refused = cosign(
        &home,
        &["verify", "--key", &stranger, "--insecure-ignore-tlog", "--allow-http-registry", &image],
    );
    assert_ne!(refused.code, 0, "cosign accepted a stranger's key: {}", refused.stdout);
    let refused = cosign(
        &home,
        &[
            "verify-attestation",
            "--key",
            &stranger,
            "--type",
            "cyclonedx",
            "--insecure-ignore-tlog",
            "--allow-http-registry",
            &image,
        ],
    );
    assert_ne!(refused.code, 0, "cosign accepted a stranger's attestation key: {}", refused.stdout);
}

#[test]
fn attest_verifies_what_cosign_signs_and_attests_with_a_key() {
    let setup = Signing::new();
    let (dir, image) = (setup.dir.path(), setup.image.clone());
    let home = dir.join("home");
    let config = no_services(dir);
    let (key, public) = (setup.key.clone(), setup.public.clone());
    // cosign 3 writes a bundle referrer by default; without a signing config and the bundle format, the
    // legacy `.sig` tag.
    let legacy: &[&str] = &["--use-signing-config=false", "--tlog-upload=false", "--new-bundle-format=false"];
    let bundle: &[&str] = &["--signing-config", &config];
    // Each form verifies here: the legacy tag alone, then the referrer, which (as in cosign 3) decides
    // once there is one.
    for (format, name) in [(legacy, "legacy"), (bundle, "bundle-v0.3")] {
        let mut args = vec!["sign", "--key", &key, "--allow-http-registry", "--yes"];
        args.extend_from_slice(format);
        args.push(&image);
        let signed = cosign(&home, &args);
        assert_eq!(signed.code, 0, "cosign sign {format:?}: {}", signed.stderr);
        let ours =
            attest_with_password(&["verify", &image, "--key", &public, "--insecure-ignore-tlog", "--json"]);
        assert_eq!(ours.code, 0, "attest verify of cosign's {name}: {}{}", ours.stdout, ours.stderr);
        let report: serde_json::Value = serde_json::from_str(&ours.stdout).expect("json");
        assert_eq!(
            (report["format"].as_str(), report["signatures"].as_u64()),
            (Some(name), Some(1)),
            "{report}"
        );
    }

    for (predicate, kind) in evidence(dir) {
        let attested = cosign(
            &home,
            &[
                "attest",
                "--key",
                &key,
                "--use-signing-config=false",
                "--tlog-upload=false",
                "--new-bundle-format=false",
                "--predicate",
                &path(&predicate),
                "--type",
                kind,
                "--allow-http-registry",
                "--yes",
                &image,
            ],
        );
        assert_eq!(attested.code, 0, "cosign attest --type {kind}: {}", attested.stderr);
        let verified = attest_with_password(&[
            "verify-attestation",
            &image,
            "--key",
            &public,
            "--type",
            kind,
            "--insecure-ignore-tlog",
            "--json",
        ]);
        assert_eq!(verified.code, 0, "attest verify-attestation --type {kind}: {}", verified.stderr);
    }
    // Another key verifies none of it.
    let other = dir.join("other");
    assert_eq!(attest_with_password(&["generate-key-pair", "--output-key-prefix", &path(&other)]).code, 0);
    let wrong = attest_with_password(&[
        "verify",
        &image,
        "--key",
        &path(&dir.join("other.pub")),
        "--insecure-ignore-tlog",
    ]);
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);
}

#[test]
fn key_signed_blob_bundles_verify_both_ways_and_a_changed_file_fails_both() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let made = cosign(&home, &["generate-key-pair", "--output-key-prefix", &path(&dir.path().join("k"))]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let (key, public) = (path(&dir.path().join("k.key")), path(&dir.path().join("k.pub")));
    let file = dir.path().join("advisoryhub-1.2.0.tar.gz");
    std::fs::write(&file, b"the release archive\n").expect("write");
    let changed = dir.path().join("changed.tar.gz");
    std::fs::write(&changed, b"the release archive.\n").expect("write");
    let (ours, theirs) = (dir.path().join("ours.sigstore.json"), dir.path().join("theirs.sigstore.json"));

    let signed = attest_with_password(&["sign-blob", &path(&file), "--key", &key, "--bundle", &path(&ours)]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    let config = no_services(dir.path());
    let signed = cosign(
        &home,
        &[
            "sign-blob",
            "--key",
            &key,
            "--signing-config",
            &config,
            "--bundle",
            &path(&theirs),
            "--yes",
            &path(&file),
        ],
    );
    assert_eq!(signed.code, 0, "{}", signed.stderr);

    for bundle in [&ours, &theirs] {
        let by_cosign = |artifact: &Path| {
            cosign(
                &home,
                &[
                    "verify-blob",
                    "--key",
                    &public,
                    "--bundle",
                    &path(bundle),
                    "--insecure-ignore-tlog",
                    &path(artifact),
                ],
            )
        };
        let by_us = |artifact: &Path| {
            attest(&[
                "verify-blob",
                &path(artifact),
                "--bundle",
                &path(bundle),
                "--key",
                &public,
                "--insecure-ignore-tlog",
            ])
        };
        let (cosign_ok, ours_ok) = (by_cosign(&file), by_us(&file));
        assert_eq!(cosign_ok.code, 0, "cosign on {}: {}", bundle.display(), cosign_ok.stderr);
        assert_eq!(ours_ok.code, 0, "attest on {}: {}", bundle.display(), ours_ok.stderr);
        assert_ne!(by_cosign(&changed).code, 0, "cosign accepted a changed file");
        assert_eq!(by_us(&changed).code, 1, "attest accepted a changed file");
    }
}
