//! cosign judges our keyless signatures and attestations of an image and a chart, and we judge what
//! `cosign sign` makes against the same Sigstore instance; ORAS reads the signature manifests and
//! discovers the bundle referrers: in the CNCF registry on loopback, with
//! cosign's identity flags and `--trusted-root`. Fulcio, Rekor v1 and GitHub Actions' OIDC token
//! service are stand-ins here (`tagwright_test_support::sigstore`, proved honest by sigstore-python in
//! `keyless.rs`); the Rekor v2 forms run against the real servers in `rekor_v2.rs`.

mod attest_support;

use std::path::Path;

use attest_support::{cosign, oci_publish};
use tagwright_test_support::oidc::OidcStandIn;
use tagwright_test_support::registry::{self, LocalRegistry, Mode};
use tagwright_test_support::sigstore::SigstoreStandIn;
use tagwright_test_support::{Run, cargo_bin, run};

const REGEXP: &str = r"^https://github\.com/acme/advisoryhub/\.github/workflows/release\.yml@refs/tags/v";

struct World {
    oidc: OidcStandIn,
    sigstore: SigstoreStandIn,
    _registry: LocalRegistry,
    host: String,
    dir: tempfile::TempDir,
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

impl World {
    fn new() -> World {
        let oidc = OidcStandIn::start();
        let sigstore = SigstoreStandIn::start(&oidc);
        let registry = LocalRegistry::start(Mode::Plain);
        let host = registry.host().to_owned();
        World { oidc, sigstore, _registry: registry, host, dir: tempfile::tempdir().expect("tempdir") }
    }

    /// An image `HOST/acme/NAME:1.0` for `platform` (images of different platforms differ).
    fn image(&self, name: &str, platform: &str) -> (String, String) {
        let layout = self.dir.path().join(name);
        let digest = registry::image_layout(&layout, "1.0", &[platform], false, 0);
        let image = format!("{}/acme/{name}:1.0", self.host);
        let copied = oci_publish(&["copy", &format!("oci-layout:{}:1.0", layout.display()), &image]);
        assert_eq!(copied.code, 0, "{}", copied.stderr);
        (image, digest)
    }

    /// The chart `HOST/charts/advisoryhub:1.2.0`, pushed by `oci-publish chart push`.
    fn chart(&self) -> String {
        let chart = self.dir.path().join("advisoryhub");
        std::fs::create_dir_all(chart.join("templates")).expect("mkdir");
        let yaml = "apiVersion: v2\nname: advisoryhub\nversion: 1.2.0\nappVersion: \"1.2.0\"\n";
        std::fs::write(chart.join("Chart.yaml"), yaml).expect("Chart.yaml");
        std::fs::write(chart.join("templates/deployment.yaml"), "kind: Deployment\n").expect("template");
        let pushed = oci_publish(&["chart", "push", path(&chart), &format!("oci://{}/charts", self.host)]);
        assert_eq!(pushed.code, 0, "{}", pushed.stderr);
        format!("{}/charts/advisoryhub:1.2.0", self.host)
    }

    /// `attest ARGS…` keylessly against the stand-ins, with a fresh token.
    fn attest_keyless(&self, args: &[&str]) -> Run {
        let token = self.oidc.token("sigstore");
        let (config, root) = (self.sigstore.signing_config(), self.sigstore.trusted_root());
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
        command.env("HOME", "/nonexistent").env_remove("GITHUB_ACTIONS").env_remove("DOCKER_CONFIG");
        command.args(args).args(["--identity-token", &token, "--signing-config", path(&config)]);
        run(command.args(["--trusted-root", path(&root)]))
    }

    /// `attest verify|verify-attestation ARGS…` with the identity flags.
    fn attest_verify(&self, args: &[&str], regexp: &str) -> Run {
        let root = self.sigstore.trusted_root();
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
        command.env("HOME", "/nonexistent").env_remove("DOCKER_CONFIG").args(args);
        command.args([
            "--certificate-identity-regexp",
            regexp,
            "--certificate-oidc-issuer",
            &self.oidc.issuer(),
        ]);
        run(command.args(["--trusted-root", path(&root)]))
    }

    /// `cosign ARGS… REFERENCE` with the identity flags, the stand-ins' trusted root, and plain HTTP to
    /// the loopback registry.
    fn cosign_verify(&self, args: &[&str], regexp: &str, reference: &str) -> Run {
        let (root, issuer) = (self.sigstore.trusted_root(), self.oidc.issuer());
        let mut all = args.to_vec();
        all.extend_from_slice(&[
            "--certificate-identity-regexp",
            regexp,
            "--certificate-oidc-issuer",
            &issuer,
        ]);
        all.extend_from_slice(&["--trusted-root", path(&root), "--allow-http-registry", reference]);
        cosign(self.dir.path(), &all)
    }
}

#[test]
fn cosign_verifies_our_keyless_signatures_legacy_and_bundle_of_an_image_and_a_chart() {
    let world = World::new();
    let (image, legacy, chart) =
        (world.image("app", "linux/amd64").0, world.image("legacy", "linux/arm64").0, world.chart());
    for reference in [&image, &chart] {
        let signed = world.attest_keyless(&["sign", reference, "--keyless", "--json"]);
        assert_eq!(signed.code, 0, "{}", signed.stderr);
        // ORAS reads the signature manifest, and finds the bundle referrer we attached.
        let signed: serde_json::Value = serde_json::from_str(&signed.stdout).expect("json");
        let oras = |args: &[&str]| run(tagwright_test_support::peer_command("oras").args(args));
        let sig =
            oras(&["manifest", "fetch", "--plain-http", signed["signature"].as_str().expect("the .sig tag")]);
        assert_eq!(sig.code, 0, "{}", sig.stderr);
        let sig: serde_json::Value = serde_json::from_str(&sig.stdout).expect("the .sig manifest");
        assert_eq!(sig["layers"][0]["mediaType"], "application/vnd.dev.cosign.simplesigning.v1+json");
        let found = oras(&["discover", "--plain-http", "--format", "json", reference]);
        assert_eq!(found.code, 0, "{}", found.stderr);
        let found: serde_json::Value = serde_json::from_str(&found.stdout).expect("oras' JSON");
        let referrers = found["referrers"].as_array().expect("referrers");
        assert_eq!(referrers.len(), 1, "{found}");
        assert_eq!(referrers[0]["artifactType"], "application/vnd.dev.sigstore.bundle.v0.3+json");
        assert_eq!(referrers[0]["digest"], signed["referrer"]);
    }
    let signed = world.attest_keyless(&["sign", &legacy, "--keyless", "--bundle-format", "legacy"]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    for reference in [&image, &chart, &legacy] {
        let theirs = world.cosign_verify(&["verify"], REGEXP, reference);
        assert_eq!(theirs.code, 0, "cosign verify {reference}: {}", theirs.stderr);
        let claims: serde_json::Value = serde_json::from_str(&theirs.stdout).expect("cosign's JSON");
        assert!(claims[0]["critical"]["image"]["docker-manifest-digest"].is_string(), "{claims}");
        let ours = world.attest_verify(&["verify", reference], REGEXP);
        assert_eq!(ours.code, 0, "attest verify {reference}: {}", ours.stderr);
        // Another workflow's identity: both refuse.
        let other = r"^https://github\.com/acme/other/";
        assert_ne!(world.cosign_verify(&["verify"], other, reference).code, 0, "cosign: {reference}");
        assert_eq!(world.attest_verify(&["verify", reference], other).code, 1, "attest: {reference}");
    }
    // The legacy form alone: cosign 3 falls back to the `.sig` tag when there is no referrer.
    let referrers = run(tagwright_test_support::peer_command("oras").args([
        "discover",
        "--plain-http",
        "--format",
        "json",
        &legacy,
    ]));
    assert_eq!(referrers.code, 0, "{}", referrers.stderr);
    assert!(!referrers.stdout.contains("application/vnd.dev.sigstore.bundle"), "{}", referrers.stdout);
}

#[test]
fn cosign_verifies_our_keyless_attestations_and_refuses_the_wrong_type() {
    let world = World::new();
    let (image, _) = world.image("app", "linux/amd64");
    let predicate = world.dir.path().join("provenance.json");
    std::fs::write(&predicate, br#"{"buildDefinition":{"buildType":"https://example.com/build"}}"#)
        .expect("write");
    let out = world.attest_keyless(&[
        "attest",
        &image,
        "--keyless",
        "--predicate",
        path(&predicate),
        "--type",
        "slsaprovenance1",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let theirs = world.cosign_verify(&["verify-attestation", "--type", "slsaprovenance1"], REGEXP, &image);
    assert_eq!(theirs.code, 0, "{}", theirs.stderr);
    let wrong = world.cosign_verify(&["verify-attestation", "--type", "cyclonedx"], REGEXP, &image);
    assert_ne!(wrong.code, 0, "cosign accepted an SBOM type for a provenance attestation");
    let ours = world.attest_verify(&["verify-attestation", &image, "--type", "slsaprovenance1"], REGEXP);
    assert_eq!(ours.code, 0, "{}", ours.stderr);
}

#[test]
fn attest_verifies_what_cosign_signs_keylessly_and_a_moved_signature_fails_both() {
    let world = World::new();
    let ((image, image_digest), (other, other_digest)) =
        (world.image("app", "linux/amd64"), world.image("other", "linux/arm64"));
    let token = world.oidc.token("sigstore");
    let config = world.sigstore.signing_config();
    let root = world.sigstore.trusted_root();
    // cosign 3's default: a bundle referrer; then the legacy `.sig` tag on the other image.
    let bundle: &[&str] = &["--signing-config", path(&config)];
    let legacy: &[&str] = &[
        "--use-signing-config=false",
        "--new-bundle-format=false",
        "--fulcio-url",
        &world.sigstore.fulcio_url(),
        "--rekor-url",
        &world.sigstore.rekor_url(),
    ];
    for (reference, format) in [(&image, bundle), (&other, legacy)] {
        let mut args = vec!["sign", "--identity-token", &token, "--trusted-root", path(&root)];
        args.extend_from_slice(format);
        args.extend_from_slice(&["--allow-http-registry", "--yes", reference]);
        let signed = cosign(world.dir.path(), &args);
        assert_eq!(signed.code, 0, "cosign sign {format:?}: {}", signed.stderr);
        let ours = world.attest_verify(&["verify", reference, "--json"], REGEXP);
        assert_eq!(ours.code, 0, "attest verify of cosign's {format:?}: {}", ours.stderr);
    }
    let formats: Vec<String> = [&image, &other]
        .iter()
        .map(|r| {
            let out = world.attest_verify(&["verify", r, "--json"], REGEXP);
            serde_json::from_str::<serde_json::Value>(&out.stdout).expect("json")["format"].to_string()
        })
        .collect();
    assert_eq!(formats, ["\"bundle-v0.3\"", "\"legacy\""]);

    // The other image's `.sig` manifest copied under the first image's `.sig` tag, and the first's
    // referrers removed: the signature names another digest, and both verifiers refuse it.
    let (image_tag, other_tag) = (image_digest.replacen(':', "-", 1), other_digest.replacen(':', "-", 1));
    let (from, to) = (
        format!("{}/acme/other:{other_tag}.sig", world.host),
        format!("{}/acme/app:{image_tag}.sig", world.host),
    );
    assert_eq!(oci_publish(&["copy", &from, &to]).code, 0);
    assert_eq!(oci_publish(&["delete", &format!("{}/acme/app:{image_tag}", world.host)]).code, 0);
    assert_ne!(world.cosign_verify(&["verify"], REGEXP, &image).code, 0, "cosign accepted a moved signature");
    let ours = world.attest_verify(&["verify", &image], REGEXP);
    assert_eq!(ours.code, 1, "{}", ours.stderr);
    assert!(ours.stderr.contains("names sha256:"), "{}", ours.stderr);
}
