//! Rekor v2 and RFC 3161 timestamps, against real Sigstore servers on loopback
//! (`tagwright_test_support::sigstore::stack`): rekor-tiles' POSIX server and the timestamp authority,
//! built from the Go module proxy. The certificate authority is the real Fulcio where no SCT is
//! needed, and the Fulcio stand-in where a verifier requires one (sigstore-python does; no CT log
//! runs here). GitHub Actions' OIDC token service is a stand-in throughout.

mod attest_support;
mod world;

use std::path::{Path, PathBuf};

use tagwright_test_support::oidc::OidcStandIn;
use tagwright_test_support::sigstore::stack::{Ca, SigstoreStack};
use tagwright_test_support::{Run, cargo_bin, peer_command, run};

/// The SAN the release job's certificate carries.
const IDENTITY: &str = "https://github.com/acme/advisoryhub/.github/workflows/release.yml@refs/tags/v1.2.0";
const IDENTITY_REGEXP: &str =
    r"^https://github\.com/acme/advisoryhub/\.github/workflows/release\.yml@refs/tags/v.*$";

struct Stack {
    oidc: OidcStandIn,
    stack: SigstoreStack,
    dir: tempfile::TempDir,
}

impl Stack {
    fn start(ca: Ca) -> Stack {
        let oidc = OidcStandIn::start();
        let stack = SigstoreStack::start(&oidc, ca);
        Stack { oidc, stack, dir: tempfile::tempdir().expect("tempdir") }
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let file = self.dir.path().join(name);
        std::fs::write(&file, bytes).expect("write");
        file
    }

    fn token(&self) -> String {
        self.oidc.token("sigstore")
    }

    /// `attest ARGS…` signing keylessly against the stack: a fresh token, its signing config and root.
    fn attest_signing(&self, args: &[&str]) -> Run {
        let (token, config, root) = (self.token(), self.stack.signing_config(), self.stack.trusted_root());
        let signing =
            ["--identity-token", &token, "--signing-config", path(&config), "--trusted-root", path(&root)];
        attest(&[args, &signing[..]].concat())
    }

    /// sigstore-python's verdict on `bundle` over `file`, for the release job's identity.
    fn python_verify(&self, file: &Path, bundle: &Path) -> Run {
        let mut command = peer_command("sigstore");
        command.arg("--trust-config").arg(self.stack.trust_config());
        command.args([
            "verify",
            "identity",
            "--cert-identity",
            IDENTITY,
            "--cert-oidc-issuer",
            &self.oidc.issuer(),
        ]);
        command.arg("--bundle").arg(bundle).arg(file);
        run(&mut command)
    }

    /// Our verdict, with cosign's identity flags and the stack's trusted root.
    fn our_verify(&self, file: &Path, bundle: &Path) -> Run {
        self.our_verify_with(file, bundle, &[])
    }

    /// Our verdict, with `extra` flags.
    fn our_verify_with(&self, file: &Path, bundle: &Path, extra: &[&str]) -> Run {
        let (root, issuer) = (self.stack.trusted_root(), self.oidc.issuer());
        let mut args = vec![
            "verify-blob",
            path(file),
            "--bundle",
            path(bundle),
            "--trusted-root",
            path(&root),
            "--certificate-identity-regexp",
            IDENTITY_REGEXP,
            "--certificate-oidc-issuer",
            &issuer,
            "--json",
        ];
        args.extend_from_slice(extra);
        attest(&args)
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

/// `attest` outside GitHub Actions, with no ambient token.
fn attest(args: &[&str]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    command
        .env("HOME", "/nonexistent")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("SIGSTORE_ID_TOKEN")
        .args(args);
    run(&mut command)
}

fn bundle_json(bundle: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(bundle).expect("the bundle")).expect("JSON")
}

#[test]
fn sigstore_python_signs_to_rekor_v2_with_a_timestamp_and_we_verify_it() {
    let stack = Stack::start(Ca::StandIn);
    let file = stack.file("advisoryhub-1.2.0.tar.gz", b"the release archive\n");
    let bundle = stack.dir.path().join("python.sigstore.json");
    let mut command = peer_command("sigstore");
    command.arg("--trust-config").arg(stack.stack.trust_config());
    command.args(["sign", "--identity-token", &stack.token(), "--bundle"]).arg(&bundle).arg(&file);
    let signed = run(&mut command);
    assert_eq!(signed.code, 0, "{}\n{}", signed.stderr, stack.stack.logs());
    let json = bundle_json(&bundle);
    let entry = &json["verificationMaterial"]["tlogEntries"][0];
    assert_eq!(entry["kindVersion"]["version"], "0.0.2", "{json}");
    assert!(entry.get("inclusionPromise").is_none(), "Rekor v2 gives no SET: {json}");
    assert_eq!(stack.stack.log_size(), 1);
    let theirs = stack.python_verify(&file, &bundle);
    assert_eq!(theirs.code, 0, "{}", theirs.stderr);
    let ours = stack.our_verify(&file, &bundle);
    assert_eq!(ours.code, 0, "{}{}", ours.stdout, ours.stderr);
}

/// cosign's verdict on a bundle over a file, offline with the stack's trusted root (cosign checks the
/// certificate's SCT unless told not to: the real Fulcio here has no CT log to get one from).
fn cosign_verify_blob(stack: &Stack, file: &Path, bundle: &Path, sct: bool) -> Run {
    let (root, issuer) = (stack.stack.trusted_root(), stack.oidc.issuer());
    let mut args = vec!["verify-blob", "--bundle", path(bundle), "--trusted-root", path(&root)];
    args.extend_from_slice(&[
        "--certificate-identity-regexp",
        IDENTITY_REGEXP,
        "--certificate-oidc-issuer",
        &issuer,
    ]);
    if !sct {
        args.push("--insecure-ignore-sct");
    }
    args.push(path(file));
    attest_support::cosign(stack.dir.path(), &args)
}

/// Checks a bundle we made against Rekor v2: a hashedrekord v0.0.2 entry with an inclusion proof and
/// its checkpoint, no SET, and one RFC 3161 timestamp.
fn assert_rekor_v2(bundle: &Path) {
    let json = bundle_json(bundle);
    let material = &json["verificationMaterial"];
    let entry = &material["tlogEntries"][0];
    assert_eq!(
        entry["kindVersion"],
        serde_json::json!({"kind": "hashedrekord", "version": "0.0.2"}),
        "{json}"
    );
    assert!(entry.get("inclusionPromise").is_none(), "no SET: {json}");
    let checkpoint = entry["inclusionProof"]["checkpoint"]["envelope"].as_str().expect("a checkpoint");
    assert!(checkpoint.starts_with("127.0.0.1\n"), "the log's origin: {checkpoint}");
    assert_eq!(material["timestampVerificationData"]["rfc3161Timestamps"].as_array().map(Vec::len), Some(1));
}

#[test]
fn we_sign_to_rekor_v2_with_a_timestamp_and_sigstore_python_cosign_and_we_verify_it() {
    let stack = Stack::start(Ca::StandIn);
    let file = stack.file("advisoryhub-1.2.0.tar.gz", b"the release archive\n");
    let predicate = stack.file("predicate.json", br#"{"buildType":"https://example.com/build"}"#);
    let (signed, attested) =
        (stack.dir.path().join("signed.sigstore.json"), stack.dir.path().join("attested.sigstore.json"));
    let out = stack.attest_signing(&["sign-blob", path(&file), "--bundle", path(&signed), "--json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stderr, stack.stack.logs());
    let out = stack.attest_signing(&[
        "attest-blob",
        path(&file),
        "--predicate",
        path(&predicate),
        "--type",
        "slsaprovenance1",
        "--bundle",
        path(&attested),
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stderr, stack.stack.logs());
    assert_eq!(stack.stack.log_size(), 2, "two entries in the real log");
    for bundle in [&signed, &attested] {
        assert_rekor_v2(bundle);
        let ours = stack.our_verify(&file, bundle);
        assert_eq!(ours.code, 0, "attest on {}: {}", bundle.display(), ours.stderr);
        let theirs = stack.python_verify(&file, bundle);
        assert_eq!(theirs.code, 0, "sigstore-python on {}: {}", bundle.display(), theirs.stderr);
        let cosign = cosign_verify_blob(&stack, &file, bundle, true);
        assert_eq!(cosign.code, 0, "cosign on {}: {}", bundle.display(), cosign.stderr);
    }
    // The GitHub CLI verifies the provenance attestation too, with the timestamp as its signed time.
    let (root, issuer) = (stack.stack.trusted_root(), stack.oidc.issuer());
    let gh = attest_support::gh_verify(&root, &issuer, &file, &attested, &["--owner", "acme"]);
    assert_eq!(gh.code, 0, "gh attestation verify: {}{}", gh.stdout, gh.stderr);
    // One changed byte of the file: each verifier refuses both bundles.
    let changed = stack.file("changed.tar.gz", b"the release archive.\n");
    for bundle in [&signed, &attested] {
        assert_eq!(stack.our_verify(&changed, bundle).code, 1);
        assert_ne!(stack.python_verify(&changed, bundle).code, 0);
        assert_ne!(cosign_verify_blob(&stack, &changed, bundle, true).code, 0);
    }
}

#[test]
fn the_real_fulcio_certifies_our_key_and_cosign_and_we_verify_the_rekor_v2_bundle() {
    let stack = Stack::start(Ca::Fulcio);
    let file = stack.file("advisoryhub-1.2.0.tar.gz", b"the release archive\n");
    let bundle = stack.dir.path().join("signed.sigstore.json");
    let out = stack.attest_signing(&["sign-blob", path(&file), "--bundle", path(&bundle), "--json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stderr, stack.stack.logs());
    let signed: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(signed["identity"], IDENTITY, "Fulcio's SAN for the workflow");
    assert_rekor_v2(&bundle);
    // No CT log here, so no SCT: both verifiers refuse the certificate unless told to skip that.
    let strict = stack.our_verify(&file, &bundle);
    assert_eq!(strict.code, 1, "{}", strict.stderr);
    assert!(strict.stderr.contains("SCT"), "{}", strict.stderr);
    assert_ne!(cosign_verify_blob(&stack, &file, &bundle, true).code, 0);
    let ours = stack.our_verify_with(&file, &bundle, &["--insecure-ignore-sct"]);
    assert_eq!(ours.code, 0, "{}", ours.stderr);
    let cosign = cosign_verify_blob(&stack, &file, &bundle, false);
    assert_eq!(cosign.code, 0, "{}", cosign.stderr);
    let changed = stack.file("changed.tar.gz", b"the release archive.\n");
    assert_eq!(stack.our_verify_with(&changed, &bundle, &["--insecure-ignore-sct"]).code, 1);
    assert_ne!(cosign_verify_blob(&stack, &changed, &bundle, false).code, 0);
}

/// The stack's signing config lists Rekor v2 first and a Rekor v1 stand-in second: by default the
/// newest is used, `--rekor-version 1` chooses the other (still with the timestamp), and a version the
/// config does not list is refused before anything is logged or written. The commands are
/// `docs/cli/attest.md`'s.
#[test]
fn rekor_version_chooses_among_the_signing_configs_logs_and_a_missing_one_is_refused_before_signing() {
    let stack = Stack::start(Ca::StandIn);
    let file = stack.file("checksums.txt", b"0123  advisoryhub-1.2.0.tgz\n");
    let bundle = stack.dir.path().join("checksums.txt.sigstore.json");
    let mut documented =
        std::fs::read_to_string(tagwright_test_support::workspace_root().join("docs/cli/attest.md"))
            .expect("the doc")
            .lines()
            .filter(|l| l.starts_with("attest sign-blob checksums.txt --signing-config"))
            .map(str::to_owned)
            .collect::<Vec<_>>();
    assert_eq!(documented.len(), 2, "{documented:?}");
    let (config, root) = (stack.stack.signing_config(), stack.stack.trusted_root());
    let token = stack.token();
    let run_documented = |line: &str| {
        let mut args: Vec<String> = line
            .split_whitespace()
            .skip(1)
            .map(|w| match w {
                "checksums.txt" => path(&file).to_owned(),
                "signing_config.json" => path(&config).to_owned(),
                "trusted_root.json" => path(&root).to_owned(),
                other => other.to_owned(),
            })
            .collect();
        args.extend(["--identity-token".to_owned(), token.clone()]);
        if !args.iter().any(|a| a == "--trusted-root") {
            args.extend(["--trusted-root".to_owned(), path(&root).to_owned()]);
        }
        attest(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let newest = run_documented(&documented.remove(0));
    assert_eq!(newest.code, 0, "{}\n{}", newest.stderr, stack.stack.logs());
    assert_rekor_v2(&bundle);
    assert_eq!(stack.stack.log_size(), 1);
    let v1 = run_documented(&documented.remove(0));
    assert_eq!(v1.code, 0, "{}", v1.stderr);
    let json = bundle_json(&bundle);
    let entry = &json["verificationMaterial"]["tlogEntries"][0];
    assert_eq!(entry["kindVersion"]["version"], "0.0.1", "{json}");
    assert!(entry["inclusionPromise"]["signedEntryTimestamp"].is_string(), "Rekor v1 signs a SET: {json}");
    assert_eq!(
        json["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(stack.stack.log_size(), 1, "the v2 log did not grow");
    assert_eq!(stack.our_verify(&file, &bundle).code, 0);
    assert_eq!(stack.python_verify(&file, &bundle).code, 0);

    std::fs::remove_file(&bundle).expect("rm");
    let sign = |extra: &[&str]| {
        let mut args = vec!["sign-blob", path(&file), "--identity-token", &token];
        args.extend_from_slice(extra);
        attest(&args)
    };
    let v3 = sign(&["--signing-config", path(&config), "--rekor-version", "3"]);
    assert_eq!(v3.code, 2, "{}", v3.stderr);
    let without_config = sign(&["--rekor-version", "2"]);
    assert_eq!(without_config.code, 2, "{}", without_config.stderr);
    assert!(without_config.stderr.contains("--signing-config"), "{}", without_config.stderr);
    let only_v2 = stack.file("only-v2.json", &{
        let mut config: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&config).expect("read")).expect("json");
        config["rekorTlogUrls"].as_array_mut().expect("logs").truncate(1);
        serde_json::to_vec(&config).expect("json")
    });
    let missing = sign(&["--signing-config", path(&only_v2), "--rekor-version", "1"]);
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(missing.stderr.contains("lists no Rekor of version [1]"), "{}", missing.stderr);
    assert_eq!(stack.stack.log_size(), 1, "nothing more was logged");
    assert!(!bundle.exists(), "no bundle was written");
}

#[test]
fn images_signed_to_rekor_v2_are_bundle_referrers_that_cosign_and_we_verify_both_ways() {
    let stack = Stack::start(Ca::StandIn);
    let setup = attest_support::Signing::new();
    let (config, root, issuer) =
        (stack.stack.signing_config(), stack.stack.trusted_root(), stack.oidc.issuer());
    let token = stack.token();
    let trust = ["--certificate-identity-regexp", IDENTITY_REGEXP, "--certificate-oidc-issuer", &issuer];
    let ours = |args: &[&str]| attest(&[args, &trust[..], &["--trusted-root", path(&root)]].concat());
    let cosign = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--trusted-root", path(&root), "--allow-http-registry"]);
        attest_support::cosign(stack.dir.path(), &all)
    };

    // Ours: the legacy tag cannot carry a Rekor v2 entry, so only the referrer is written.
    let legacy = stack.attest_signing(&["sign", &setup.image, "--keyless", "--bundle-format", "legacy"]);
    assert_eq!(legacy.code, 1, "{}", legacy.stderr);
    assert!(legacy.stderr.contains("sign with the bundle format"), "{}", legacy.stderr);
    assert_eq!(stack.stack.log_size(), 0, "refused before logging");
    let signed = stack.attest_signing(&["sign", &setup.image, "--keyless", "--json"]);
    assert_eq!(signed.code, 0, "{}\n{}", signed.stderr, stack.stack.logs());
    let signed: serde_json::Value = serde_json::from_str(&signed.stdout).expect("json");
    assert!(signed["referrer"].is_string(), "{signed}");
    let verified = ours(&["verify", &setup.image, "--json"]);
    assert_eq!(verified.code, 0, "{}", verified.stderr);
    assert!(verified.stdout.contains("bundle-v0.3"), "{}", verified.stdout);
    let theirs = cosign(&[&["verify"][..], &trust, &[&setup.image]].concat());
    assert_eq!(theirs.code, 0, "cosign verify: {}", theirs.stderr);

    // cosign's keyless signature of another image against the same servers: we verify it.
    let layout = setup.dir.path().join("other-image");
    tagwright_test_support::registry::image_layout(&layout, "2.0", &["linux/arm64"], false, 0);
    let other = format!("{}/acme/other:2.0", setup.host);
    let copied =
        attest_support::oci_publish(&["copy", &format!("oci-layout:{}:2.0", layout.display()), &other]);
    assert_eq!(copied.code, 0, "{}", copied.stderr);
    let cosign_signed = attest_support::cosign(
        stack.dir.path(),
        &[
            "sign",
            "--identity-token",
            &token,
            "--signing-config",
            path(&config),
            "--trusted-root",
            path(&root),
            "--allow-http-registry",
            "--yes",
            &other,
        ],
    );
    assert_eq!(cosign_signed.code, 0, "cosign sign: {}\n{}", cosign_signed.stderr, stack.stack.logs());
    let verified = ours(&["verify", &other, "--json"]);
    assert_eq!(verified.code, 0, "attest verify of cosign's Rekor v2 signature: {}", verified.stderr);
    let wrong = attest(&[
        "verify",
        &other,
        "--certificate-identity-regexp",
        "^https://github.com/acme/other/",
        "--certificate-oidc-issuer",
        &issuer,
        "--trusted-root",
        path(&root),
    ]);
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);
    assert!(stack.stack.log_size() >= 2, "both signatures are in the real log");
}

/// The whole release on Rekor v2: `tagwright publish --keyless` with the stack's signing config signs
/// the chart (a bundle referrer) and the release manifest (a Rekor v2 bundle with a timestamp), the
/// image is signed to the same servers, and `tagwright verify` passes every check against the
/// stack's trusted root. The world's GitHub and OIDC services are stand-ins (`world`).
#[test]
fn a_release_published_to_rekor_v2_verifies_end_to_end() {
    let world = world::World::new_unsigned();
    let stack = SigstoreStack::start(&world.oidc, Ca::StandIn);
    let keyless = |args: &[&str]| -> Vec<String> {
        let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        all.extend([
            "--identity-token".to_owned(),
            world.oidc.token("sigstore"),
            "--signing-config".to_owned(),
        ]);
        all.extend([path(&stack.signing_config()).to_owned(), "--trusted-root".to_owned()]);
        all.push(path(&stack.trusted_root()).to_owned());
        all
    };
    let image = format!("{}/example/advisoryhub:0.1.0", world.host());
    let signed = world.attest(&keyless(&["sign", &image, "--keyless"]));
    assert_eq!(signed.code, 0, "{}\n{}", signed.stderr, stack.logs());
    let published = world.publish_signed(&keyless(&["--keyless"]));
    assert_eq!(published.code, 0, "{}\n{}\n{}", published.stdout, published.stderr, stack.logs());
    let bundle = world
        .github
        .assets_of("v0.1.0")
        .into_iter()
        .find(|(name, _)| name == "release-manifest.json.sigstore.json")
        .expect("the manifest's bundle");
    let bundle: serde_json::Value = serde_json::from_slice(&bundle.1).expect("json");
    assert_eq!(bundle["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["version"], "0.0.2");
    assert!(bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0].is_object());
    assert!(stack.log_size() >= 3, "the image, the chart and the manifest are in the real log");

    let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
    command.args(["verify", "v0.1.0", "--github", "acme/advisoryhub", "--allowed-signers"]);
    command.arg(world.keys.path().join("allowed_signers"));
    command.args([
        "--certificate-oidc-issuer",
        &world.oidc.issuer(),
        "--trusted-root",
        path(&stack.trusted_root()),
    ]);
    command.arg("--repo").arg(world.repo.path());
    let verified = run(world.env(&mut command));
    assert_eq!(verified.code, 0, "{}\n{}", verified.stdout, verified.stderr);
    assert_eq!(verified.stdout.matches("  ok   ").count(), 9, "{}", verified.stdout);
}
