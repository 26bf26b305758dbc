//! Signatures against the real peers: cosign key pairs read by Python's cryptography, key-based
//! `.sig` and `.att` signatures through skopeo, and the real Sigstore bundles in `../shared/data`.

mod attest_support;

use std::path::Path;

use attest_support::*;
use tagwright_test_support::{cargo_bin, fixture, peer_command, run, run_ok, workspace_root};

#[test]
fn cosign_key_pairs_sign_envelopes_that_python_cryptography_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let prefix = dir.path().join("release");
    let p = |p: &Path| p.to_str().expect("utf-8").to_owned();
    let mut generate = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    generate.env("COSIGN_PASSWORD", "s3cret").args(["generate-key-pair", "--output-key-prefix", &p(&prefix)]);
    let out = run(&mut generate);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let key = dir.path().join("release.key");
    let public = dir.path().join("release.pub");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).expect("key").permissions());
    assert_eq!(mode & 0o777, 0o600, "the private key is the owner's alone");
    assert!(
        std::fs::read_to_string(&key)
            .expect("read")
            .starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----")
    );
    // A second run does not replace the pair.
    assert_eq!(run(&mut generate).code, 2);

    let payload = dir.path().join("payload.json");
    std::fs::write(&payload, br#"{"critical":{"type":"cosign container image signature"},"optional":null}"#)
        .expect("write");
    let envelope = dir.path().join("envelope.json");
    let mut sign = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    sign.env("COSIGN_PASSWORD", "s3cret").args([
        "dsse",
        "sign",
        "--key",
        &p(&key),
        "--payload-type",
        "text/plain",
        &p(&payload),
        "-o",
        &p(&envelope),
    ]);
    let signed = run(&mut sign);
    assert_eq!(signed.code, 0, "{}", signed.stderr);

    // The real `cryptography` verifies our ECDSA signature over the PAE bytes with our public key file.
    let script = "import json, sys, base64\n\
        from cryptography.hazmat.primitives.serialization import load_pem_public_key\n\
        from cryptography.hazmat.primitives.asymmetric import ec\n\
        from cryptography.hazmat.primitives import hashes\n\
        env = json.load(open(sys.argv[1]))\n\
        body = base64.b64decode(env['payload'])\n\
        t = env['payloadType'].encode()\n\
        pae = b'DSSEv1 %d %s %d %s' % (len(t), t, len(body), body)\n\
        key = load_pem_public_key(open(sys.argv[2], 'rb').read())\n\
        key.verify(base64.b64decode(env['signatures'][0]['sig']), pae, ec.ECDSA(hashes.SHA256()))\n\
        print('verified')\n";
    let theirs = run(peer_command("python3").args(["-c", script]).arg(&envelope).arg(&public));
    assert_eq!((theirs.code, theirs.stdout.trim()), (0, "verified"), "{}", theirs.stderr);

    let mut wrong = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    wrong.env("COSIGN_PASSWORD", "guess").args(["dsse", "sign", "--key", &p(&key), &p(&payload)]);
    let out = run(&mut wrong);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("the password does not decrypt the key (COSIGN_PASSWORD is wrong"),
        "{}",
        out.stderr
    );
    let mut without = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    without.env_remove("COSIGN_PASSWORD").args([
        "generate-key-pair",
        "--output-key-prefix",
        &p(&dir.path().join("other")),
    ]);
    let out = run(&mut without);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("set COSIGN_PASSWORD"), "{}", out.stderr);
}

#[test]
fn key_based_signatures_verify_survive_a_skopeo_copy_and_fail_when_tampered() {
    let setup = Signing::new();
    let (host, dir, image) = (setup.host.clone(), &setup.dir, setup.image.clone());
    let p = |p: &Path| p.to_str().expect("utf-8").to_owned();
    let (key, public) = (Path::new(&setup.key), Path::new(&setup.public));

    let signed = attest_with_password(&["sign", &image, "--key", &p(key), "--json"]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    let signed: serde_json::Value = serde_json::from_str(&signed.stdout).expect("json");
    let digest = signed["digest"].as_str().expect("digest").to_owned();
    let sig_tag = format!("sha256-{}.sig", &digest["sha256:".len()..]);
    assert_eq!(signed["signature"], format!("{host}/acme/app:{sig_tag}"));
    let verify = |reference: &str| {
        attest_with_password(&["verify", reference, "--key", &p(public), "--insecure-ignore-tlog"])
    };
    let ok = verify(&image);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ok.stdout.contains(&format!("signed as {host}/acme/app")), "{}", ok.stdout);
    assert_eq!(
        attest_with_password(&["verify", &image, "--key", &p(public)]).code,
        2,
        "cosign asks for --insecure-ignore-tlog"
    );

    // Python's cryptography verifies the signature over the payload's bytes, as the registry holds them.
    let (sig_layout, manifest) = pulled(&format!("{host}/acme/app:{sig_tag}"), dir.path(), "sig");
    let layer = &manifest["manifest"]["layers"][0];
    assert_eq!(layer["mediaType"], "application/vnd.dev.cosign.simplesigning.v1+json");
    let payload =
        sig_layout.join("blobs/sha256").join(&layer["digest"].as_str().expect("digest")["sha256:".len()..]);
    let signature = layer["annotations"]["dev.cosignproject.cosign/signature"].as_str().expect("signature");
    let script = "import sys, base64\n\
        from cryptography.hazmat.primitives.serialization import load_pem_public_key\n\
        from cryptography.hazmat.primitives.asymmetric import ec\n\
        from cryptography.hazmat.primitives import hashes\n\
        key = load_pem_public_key(open(sys.argv[1], 'rb').read())\n\
        key.verify(base64.b64decode(sys.argv[3]), open(sys.argv[2], 'rb').read(), ec.ECDSA(hashes.SHA256()))\n\
        print('verified')\n";
    let theirs = run(peer_command("python3").args(["-c", script]).arg(public).arg(&payload).arg(signature));
    assert_eq!((theirs.code, theirs.stdout.trim()), (0, "verified"), "{}", theirs.stderr);

    // skopeo carries the signature to another repository; the copy verifies.
    let registries_d = dir.path().join("registries.d");
    std::fs::create_dir_all(&registries_d).expect("mkdir");
    std::fs::write(registries_d.join("default.yaml"), "default-docker:\n  use-sigstore-attachments: true\n")
        .expect("write");
    let policy = dir.path().join("policy.json");
    std::fs::write(&policy, r#"{"default":[{"type":"insecureAcceptAnything"}]}"#).expect("write");
    run_ok(
        peer_command("skopeo")
            .args(["--registries.d"])
            .arg(&registries_d)
            .args(["--policy"])
            .arg(&policy)
            .args([
                "copy",
                "--src-tls-verify=false",
                "--dest-tls-verify=false",
                &format!("docker://{image}"),
                &format!("docker://{host}/mirror/app:1.0"),
            ]),
    );
    let copy = verify(&format!("{host}/mirror/app:1.0"));
    assert_eq!(copy.code, 0, "the copy verifies: {}", copy.stderr);

    // Another key's signature does not verify.
    let other = dir.path().join("other");
    assert_eq!(attest_with_password(&["generate-key-pair", "--output-key-prefix", &p(&other)]).code, 0);
    let wrong = attest_with_password(&[
        "verify",
        &image,
        "--key",
        &p(&dir.path().join("other.pub")),
        "--insecure-ignore-tlog",
    ]);
    assert_eq!(wrong.code, 1);
    assert!(wrong.stderr.contains("the signature does not verify with the key"), "{}", wrong.stderr);

    // An edited signature layer (the annotation changed) fails.
    let mut tampered = manifest["manifest"].clone();
    let original = tampered["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"]
        .as_str()
        .expect("sig")
        .to_owned();
    // One base64 character in the middle changed: still base64, no longer the signature.
    let (head, tail) = original.split_at(10);
    let changed = format!("{head}{}{}", if tail.starts_with('A') { 'B' } else { 'A' }, &tail[1..]);
    tampered["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"] = changed.into();
    tagwright_test_support::registry::put_manifest(
        &host,
        "acme/app",
        &sig_tag,
        tampered.to_string().as_bytes(),
    );
    let broken = verify(&image);
    assert_eq!(broken.code, 1, "{}", broken.stderr);
    assert!(broken.stderr.contains("does not verify"), "{}", broken.stderr);

    // Without the .sig tag there is nothing to verify.
    assert_eq!(oci_publish(&["delete", &format!("{host}/acme/app:{sig_tag}")]).code, 0);
    let gone = verify(&image);
    assert_eq!(gone.code, 1);
    assert!(
        gone.stderr.contains(&format!("no signatures: the tag {sig_tag} does not exist")),
        "{}",
        gone.stderr
    );
}

#[test]
fn sbom_and_provenance_attestations_verify_here_and_their_dsse_in_securesystemslib() {
    let setup = Signing::new();
    let (host, dir, image) = (setup.host.clone(), &setup.dir, setup.image.clone());
    let p = |p: &Path| p.to_str().expect("utf-8").to_owned();
    let (key, public) = (Path::new(&setup.key), Path::new(&setup.public));

    // The evidence: an SBOM and a provenance statement of this repository.
    let sbom = dir.path().join("sbom.json");
    assert_eq!(
        attest(&[
            "sbom",
            "--repo",
            &p(&workspace_root().join("tests/fixtures/sbom-workspace")),
            "-o",
            &p(&sbom)
        ])
        .code,
        0
    );
    let provenance = dir.path().join("provenance.json");
    let repo = fixture("make_advisoryhub.sh", &[]);
    assert_eq!(
        attest(&[
            "provenance",
            "--repo",
            &p(repo.path()),
            "--subject",
            "app@sha256:1111111111111111111111111111111111111111111111111111111111111111",
            "-o",
            &p(&provenance)
        ])
        .code,
        0
    );
    for (file, kind) in [(&sbom, "cyclonedx"), (&provenance, "slsaprovenance1")] {
        let out = attest_with_password(&[
            "attest",
            &image,
            "--predicate",
            &p(file),
            "--type",
            kind,
            "--key",
            &p(key),
        ]);
        assert_eq!(out.code, 0, "{kind}: {}", out.stderr);
    }
    let verify = |kind: &str| {
        attest_with_password(&[
            "verify-attestation",
            &image,
            "--key",
            &p(public),
            "--type",
            kind,
            "--insecure-ignore-tlog",
            "--json",
        ])
    };
    let sboms = verify("cyclonedx");
    assert_eq!(sboms.code, 0, "{}", sboms.stderr);
    let doc: serde_json::Value = serde_json::from_str(&sboms.stdout).expect("json");
    let statement = &doc["statements"][0];
    assert_eq!(statement["predicateType"], "https://cyclonedx.org/bom");
    assert_eq!(statement["predicate"]["bomFormat"], "CycloneDX");
    let digest = statement["subject"][0]["digest"]["sha256"].as_str().expect("digest").to_owned();
    let slsa = verify("slsaprovenance1");
    assert_eq!(slsa.code, 0, "{}", slsa.stderr);
    let doc: serde_json::Value = serde_json::from_str(&slsa.stdout).expect("json");
    assert!(
        doc["statements"][0]["predicate"]["buildDefinition"]["buildType"].is_string(),
        "the predicate, not the statement, is attested"
    );
    assert_eq!(verify("spdxjson").code, 1, "no SPDX attestation");

    // The DSSE of each layer verifies with securesystemslib, with the public key file.
    let (att_layout, manifest) = pulled(&format!("{host}/acme/app:sha256-{digest}.att"), dir.path(), "att");
    let layers = manifest["manifest"]["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 2);
    for layer in layers {
        assert_eq!(layer["mediaType"], "application/vnd.dsse.envelope.v1+json");
        assert!(layer["annotations"]["predicateType"].is_string());
        let envelope = att_layout
            .join("blobs/sha256")
            .join(&layer["digest"].as_str().expect("digest")["sha256:".len()..]);
        let theirs = sslib_verify(&envelope, public);
        assert_eq!(theirs.code, 0, "securesystemslib: {}{}", theirs.stdout, theirs.stderr);
    }
    // Another key verifies none of them.
    assert_eq!(
        attest_with_password(&["generate-key-pair", "--output-key-prefix", &p(&dir.path().join("other"))])
            .code,
        0
    );
    let other = attest_with_password(&[
        "verify-attestation",
        &image,
        "--key",
        &p(&dir.path().join("other.pub")),
        "--insecure-ignore-tlog",
    ]);
    assert_eq!(other.code, 1);
    assert!(
        other.stderr.contains("the envelope's signature does not verify with the key"),
        "{}",
        other.stderr
    );
}

#[test]
fn the_production_github_actions_bundle_verifies_with_the_runbooks_regexp_form() {
    for root in [&["--trusted-root", "trusted_root.production.json"][..], &[]] {
        let args = [
            &["--certificate-identity-regexp", RUNBOOK_REGEXP, "--certificate-oidc-issuer", GITHUB][..],
            root,
        ]
        .concat();
        let out = verify_blob("bundle_v3_github.whl", &args);
        assert_eq!(out.code, 0, "{root:?}: {}", out.stderr);
        assert!(out.stdout.contains("signed by https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"), "{}", out.stdout);
    }
    // The --json document of a real bundle: its values are fixed, so the snapshot is the document.
    let args =
        ["--certificate-identity-regexp", RUNBOOK_REGEXP, "--certificate-oidc-issuer", GITHUB, "--json"];
    let json = verify_blob("bundle_v3_github.whl", &args);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let document = json.stdout.replace(&workspace_root().display().to_string(), "<ROOT>");
    tagwright_test_support::assert_snapshot("crates/cli/tests/snapshots/attest-verify-blob.json", &document);
    // Unanchored, as cosign's Go regexps: a part of the identity is enough.
    assert_eq!(
        verify_blob(
            "bundle_v3_github.whl",
            &[
                "--certificate-identity-regexp",
                "rfc8785",
                "--certificate-oidc-issuer-regexp",
                "githubusercontent"
            ]
        )
        .code,
        0
    );
    let other_repo = verify_blob(
        "bundle_v3_github.whl",
        &[
            "--certificate-identity-regexp",
            r"https://github.com/acme/other/\.github/workflows/release\.yml@.*",
            "--certificate-oidc-issuer",
            GITHUB,
        ],
    );
    assert_eq!(other_repo.code, 1);
    assert!(
        other_repo.stderr.contains("the certificate's identity https://github.com/trailofbits/rfc8785.py/"),
        "{}",
        other_repo.stderr
    );
    let other_issuer = verify_blob(
        "bundle_v3_github.whl",
        &[
            "--certificate-identity-regexp",
            RUNBOOK_REGEXP,
            "--certificate-oidc-issuer",
            "https://accounts.google.com",
        ],
    );
    assert_eq!(other_issuer.code, 1);
    assert!(
        other_issuer
            .stderr
            .contains(&format!("OIDC issuer {GITHUB} does not match `https://accounts.google.com`")),
        "{}",
        other_issuer.stderr
    );
    assert_eq!(
        verify_blob(
            "bundle_v3_github.whl",
            &["--certificate-identity-regexp", "(", "--certificate-oidc-issuer", GITHUB]
        )
        .code,
        2,
        "a bad regexp"
    );
}

#[test]
fn one_changed_artifact_byte_and_the_cve_2022_36056_bundle_are_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures = workspace_root().join("tests/fixtures/sigstore");
    let mut bytes = std::fs::read(fixtures.join("bundle_v3_github.whl")).expect("read");
    bytes[100] ^= 1;
    let changed = dir.path().join("bundle_v3_github.whl");
    std::fs::write(&changed, &bytes).expect("write");
    let bundle = fixtures.join("bundle_v3_github.whl.sigstore");
    let out = attest(&[
        "verify-blob",
        changed.to_str().expect("utf-8"),
        "--bundle",
        bundle.to_str().expect("utf-8"),
        "--certificate-identity-regexp",
        RUNBOOK_REGEXP,
        "--certificate-oidc-issuer",
        GITHUB,
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("not verified:"), "{}", out.stderr);
    let cve = verify_blob(
        "bundle_cve_2022_36056.txt",
        &[
            "--certificate-identity",
            "william@yossarian.net",
            "--certificate-oidc-issuer",
            "https://github.com/login/oauth",
            "--trusted-root",
            "trusted_root.staging.json",
        ],
    );
    assert_eq!(cve.code, 1);
    assert!(cve.stderr.contains("log entry does not match the bundle"), "{}", cve.stderr);
}

#[test]
fn the_staging_bundles_verify_against_the_staging_trust_root_only() {
    for artifact in ["bundle_v3.txt", "bundle_v3_alt.txt"] {
        let args = [
            "--certificate-identity",
            "william@yossarian.net",
            "--certificate-oidc-issuer",
            "https://github.com/login/oauth",
        ];
        let staging =
            verify_blob(artifact, &[&args[..], &["--trusted-root", "trusted_root.staging.json"]].concat());
        assert_eq!(staging.code, 0, "{artifact}: {}", staging.stderr);
        let production = verify_blob(artifact, &args);
        assert_eq!(
            production.code, 1,
            "{artifact} is not trusted by the production root: {}",
            production.stderr
        );
    }
}
