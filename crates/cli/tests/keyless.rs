//! Keyless signing against stand-ins for Sigstore's Fulcio and Rekor and for GitHub Actions' OIDC
//! token service (none of them can run here; `tagwright_test_support::sigstore`). The stand-ins are
//! proved honest first: sigstore-python, a real Sigstore client, signs against them and verifies what
//! it signed. Then `attest` signs keylessly against the same stand-ins, and each side verifies the
//! other's bundles.

use std::path::Path;

use tagwright_test_support::oidc::OidcStandIn;
use tagwright_test_support::registry::{self, LocalRegistry, Mode};
use tagwright_test_support::sigstore::SigstoreStandIn;
use tagwright_test_support::{Run, cargo_bin, peer_command, run, run_ok};

/// The SAN Fulcio gives the stand-in OIDC's release job.
const WORKFLOW_REGEXP: &str = r"https://github.com/acme/advisoryhub/\.github/workflows/release\.yml@.*";

fn python_sign(stand_in: &SigstoreStandIn, token: &str, artifact: &Path, bundle: &Path) -> Run {
    let mut command = peer_command("sigstore");
    command.arg("--trust-config").arg(stand_in.trust_config());
    command.args(["sign", "--identity-token", token, "--bundle"]).arg(bundle).arg(artifact);
    run(&mut command)
}

fn python_verify(
    stand_in: &SigstoreStandIn,
    issuer: &str,
    identity: &str,
    artifact: &Path,
    bundle: &Path,
) -> Run {
    let mut command = peer_command("sigstore");
    command.arg("--trust-config").arg(stand_in.trust_config());
    command.args([
        "verify",
        "identity",
        "--cert-identity",
        identity,
        "--cert-oidc-issuer",
        issuer,
        "--bundle",
    ]);
    command.arg(bundle).arg(artifact);
    run(&mut command)
}

/// `attest` outside GitHub Actions, with no ambient token and no registry credentials.
fn attest(args: &[&str]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    command
        .env("HOME", "/nonexistent")
        .env_remove("DOCKER_CONFIG")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("SIGSTORE_ID_TOKEN")
        .args(args);
    run(&mut command)
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

/// The release job's workflow identity, exactly.
const IDENTITY: &str = "https://github.com/acme/advisoryhub/.github/workflows/release.yml@refs/tags/v1.2.0";

struct Setup {
    oidc: OidcStandIn,
    sigstore: SigstoreStandIn,
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let oidc = OidcStandIn::start();
        let sigstore = SigstoreStandIn::start(&oidc);
        Setup { oidc, sigstore, dir: tempfile::tempdir().expect("tempdir") }
    }

    fn file(&self, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let file = self.dir.path().join(name);
        std::fs::write(&file, bytes).expect("write");
        file
    }

    /// `attest verify-blob FILE --bundle B` against the stand-ins' trusted root.
    fn verify_blob(&self, file: &Path, bundle: &Path, identity: &[&str]) -> Run {
        let root = self.sigstore.trusted_root();
        let mut args =
            vec!["verify-blob", path(file), "--bundle", path(bundle), "--trusted-root", path(&root)];
        args.extend_from_slice(identity);
        attest(&args)
    }

    /// sigstore-python's and our verdicts on `bundle` over `file`, for the release job's identity.
    fn both_verify(&self, file: &Path, bundle: &Path) -> (Run, Run) {
        let issuer = self.oidc.issuer();
        let theirs = python_verify(&self.sigstore, &issuer, IDENTITY, file, bundle);
        let ours = self.verify_blob(
            file,
            bundle,
            &["--certificate-identity-regexp", WORKFLOW_REGEXP, "--certificate-oidc-issuer", &issuer],
        );
        (theirs, ours)
    }

    /// `attest ARGS… --certificate-identity-regexp IDENTITY` with the stand-ins' issuer and root.
    fn verify_oci(&self, args: &[&str], identity: &str) -> Run {
        let (issuer, root) = (self.oidc.issuer(), self.sigstore.trusted_root());
        let mut all = args.to_vec();
        all.extend_from_slice(&[
            "--certificate-identity-regexp",
            identity,
            "--certificate-oidc-issuer",
            &issuer,
        ]);
        all.extend_from_slice(&["--trusted-root", path(&root)]);
        attest(&all)
    }

    /// A setup, and a real registry holding the chart `HOST/charts/advisoryhub:1.2.0`.
    fn with_chart() -> (Setup, LocalRegistry, String, String) {
        let setup = Setup::new();
        let registry = LocalRegistry::start(Mode::Plain);
        let host = registry.host().to_owned();
        let chart = chart(setup.dir.path());
        assert_eq!(oci_publish(&["chart", "push", path(&chart), &format!("oci://{host}/charts")]).code, 0);
        let reference = format!("{host}/charts/advisoryhub:1.2.0");
        (setup, registry, host, reference)
    }

    /// `attest ARGS… --identity-token T --signing-config C --trusted-root R`, with a fresh token.
    fn keyless(&self, args: &[&str]) -> Run {
        let token = self.oidc.token("sigstore");
        let (config, root) = (self.sigstore.signing_config(), self.sigstore.trusted_root());
        let mut all = args.to_vec();
        all.extend_from_slice(&["--identity-token", &token, "--signing-config", path(&config)]);
        all.extend_from_slice(&["--trusted-root", path(&root)]);
        attest(&all)
    }

    /// `attest sign-blob FILE EXTRA…`, keylessly.
    fn sign_blob(&self, file: &Path, extra: &[&str]) -> Run {
        self.keyless(&[&["sign-blob", path(file)], extra].concat())
    }
}

/// Uses stand-ins for Fulcio, Rekor and the Actions OIDC service. sigstore-python signs a file against
/// them and verifies its bundle; our `verify-blob` accepts the same bundle with the runbook's regexp
/// form, and refuses another workflow, another issuer and a changed byte, naming the check.
#[test]
fn sigstore_python_signs_against_the_stand_ins_and_both_verifiers_accept_it() {
    let setup = Setup::new();
    let artifact = setup.file("advisoryhub-1.2.0.tgz", b"chart bytes");
    let bundle = setup.dir.path().join("advisoryhub-1.2.0.tgz.sigstore.json");
    let signed = python_sign(&setup.sigstore, &setup.oidc.token("sigstore"), &artifact, &bundle);
    assert_eq!(signed.code, 0, "sigstore sign:\n{}\n{}", signed.stdout, signed.stderr);
    assert_eq!(setup.sigstore.log_size(), 1, "one Rekor entry");
    let (theirs, ours) = setup.both_verify(&artifact, &bundle);
    assert_eq!(theirs.code, 0, "sigstore verify:\n{}\n{}", theirs.stdout, theirs.stderr);
    assert_eq!(ours.code, 0, "{}", ours.stderr);
    assert!(ours.stdout.contains(IDENTITY), "{}", ours.stdout);

    let issuer = setup.oidc.issuer();
    let other_repo = r"https://github.com/acme/other/\.github/workflows/release\.yml@.*";
    let wrong = setup.verify_blob(
        &artifact,
        &bundle,
        &["--certificate-identity-regexp", other_repo, "--certificate-oidc-issuer", &issuer],
    );
    assert_eq!(wrong.code, 1);
    assert!(wrong.stderr.contains("identity"), "{}", wrong.stderr);
    let other_issuer = setup.verify_blob(
        &artifact,
        &bundle,
        &[
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer",
            "https://token.actions.githubusercontent.com",
        ],
    );
    assert_eq!(other_issuer.code, 1);
    assert!(other_issuer.stderr.contains("OIDC issuer"), "{}", other_issuer.stderr);
    let changed = setup.file("changed.tgz", b"chart bytez");
    let (refused, tampered) = setup.both_verify(&changed, &bundle);
    assert_eq!(tampered.code, 1, "{}", tampered.stderr);
    assert!(tampered.stderr.contains("artifact mismatch"), "{}", tampered.stderr);
    assert_ne!(refused.code, 0, "sigstore-python refuses the changed file too");
}

/// Uses the stand-ins. `attest sign-blob` signs keylessly with an identity token; sigstore-python
/// verifies our bundle, and so do we; both refuse it for a changed file.
#[test]
fn our_keyless_bundles_verify_in_sigstore_python() {
    let setup = Setup::new();
    let artifact = setup.file("checksums.txt", b"0123  advisoryhub-1.2.0.tgz\n");
    let signed = setup.sign_blob(&artifact, &["--json"]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    let report: serde_json::Value = serde_json::from_str(&signed.stdout).expect("json");
    assert_eq!(report["identity"], IDENTITY);
    assert_eq!(report["issuer"], setup.oidc.issuer().as_str());
    let bundle = setup.dir.path().join("checksums.txt.sigstore.json");
    assert_eq!(report["bundle"], path(&bundle));
    let fulcio = setup.sigstore.fulcio_requests();
    assert_eq!(fulcio.len(), 1, "one certificate");
    assert!(
        !String::from_utf8_lossy(&fulcio[0].body).contains("certificateSigningRequest"),
        "a public key request"
    );

    let (theirs, ours) = setup.both_verify(&artifact, &bundle);
    assert_eq!(theirs.code, 0, "sigstore verify:\n{}\n{}", theirs.stdout, theirs.stderr);
    assert_eq!(ours.code, 0, "{}", ours.stderr);
    let changed = setup.file("changed.txt", b"0124  advisoryhub-1.2.0.tgz\n");
    let (theirs, ours) = setup.both_verify(&changed, &bundle);
    assert_ne!(theirs.code, 0, "sigstore-python refuses the changed file");
    assert_eq!(ours.code, 1, "{}", ours.stderr);
}

/// Uses the stand-ins. Tokens Fulcio must refuse (signed by a key outside the issuer's JWKS) and a
/// missing token fail before anything is logged, and say why.
#[test]
fn keyless_signing_without_a_good_token_fails_and_logs_nothing() {
    let setup = Setup::new();
    let artifact = setup.file("a.txt", b"a");
    let none =
        attest(&["sign-blob", path(&artifact), "--signing-config", path(&setup.sigstore.signing_config())]);
    assert_eq!(none.code, 2, "{}", none.stderr);
    assert!(none.stderr.contains("no identity token"), "{}", none.stderr);
    setup.oidc.sign_with_another_key();
    let forged = setup.sign_blob(&artifact, &[]);
    assert_eq!(forged.code, 1, "{}", forged.stderr);
    assert!(
        forged.stderr.contains("Fulcio") && forged.stderr.contains("signature does not verify"),
        "{}",
        forged.stderr
    );
    assert_eq!(setup.sigstore.log_size(), 0);
    assert!(!setup.dir.path().join("a.txt.sigstore.json").exists(), "no bundle written");
}

fn chart(dir: &Path) -> std::path::PathBuf {
    let chart = dir.join("advisoryhub");
    std::fs::create_dir_all(chart.join("templates")).expect("mkdir");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: advisoryhub\nversion: 1.2.0\nappVersion: \"1.2.0\"\n",
    )
    .expect("Chart.yaml");
    std::fs::write(chart.join("templates/deployment.yaml"), "kind: Deployment\n").expect("template");
    chart
}

fn oci_publish(args: &[&str]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_oci-publish"));
    command.env("HOME", "/nonexistent").env_remove("DOCKER_CONFIG").args(args);
    run(&mut command)
}

/// Uses the stand-ins, and the real registry. `attest sign --keyless --bundle-format legacy` signs a
/// pushed chart by digest; `attest verify` accepts it with the identity regexp, and refuses it after
/// each attack: another
/// workflow's certificate, an edited signature, an altered Rekor entry, a deleted `.sig` tag.
#[test]
fn keyless_chart_signatures_verify_and_every_attack_is_refused() {
    let (setup, _registry, host, reference) = Setup::with_chart();
    let root = setup.sigstore.trusted_root();
    let signed = setup.keyless(&["sign", &reference, "--json", "--keyless", "--bundle-format", "legacy"]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    let signed: serde_json::Value = serde_json::from_str(&signed.stdout).expect("json");
    let digest = signed["digest"].as_str().expect("digest").to_owned();
    let sig_tag = format!("sha256-{}.sig", &digest["sha256:".len()..]);

    let issuer = setup.oidc.issuer();
    let verify = || {
        attest(&[
            "verify",
            &reference,
            "--certificate-identity-regexp",
            WORKFLOW_REGEXP,
            "--certificate-oidc-issuer",
            &issuer,
            "--trusted-root",
            path(&root),
        ])
    };
    let ok = verify();
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ok.stdout.contains("1 keyless signature(s) in the .sig tag"), "{}", ok.stdout);
    let public_good = attest(&[
        "verify",
        &reference,
        "--certificate-identity",
        IDENTITY,
        "--certificate-oidc-issuer",
        &issuer,
    ]);
    assert_eq!(
        public_good.code, 1,
        "the public-good root does not trust the stand-in: {}",
        public_good.stderr
    );
    assert!(public_good.stderr.contains("No log key"), "{}", public_good.stderr);

    // The .sig layer as cosign writes it: payload, signature, certificate, chain, Rekor bundle.
    let sig_manifest = |tag: &str| -> serde_json::Value {
        let raw = run_ok(peer_command("curl").args([
            "-sf",
            "-H",
            "Accept: application/vnd.oci.image.manifest.v1+json",
            &format!("http://{host}/v2/charts/advisoryhub/manifests/{tag}"),
        ]));
        serde_json::from_str(&raw.stdout).expect("manifest")
    };
    let original = sig_manifest(&sig_tag);
    let annotations = &original["layers"][0]["annotations"];
    for name in [
        "dev.cosignproject.cosign/signature",
        "dev.sigstore.cosign/certificate",
        "dev.sigstore.cosign/chain",
        "dev.sigstore.cosign/bundle",
    ] {
        assert!(annotations[name].as_str().is_some_and(|v| !v.is_empty()), "{name} in {annotations}");
    }
    let rekor_bundle: serde_json::Value =
        serde_json::from_str(annotations["dev.sigstore.cosign/bundle"].as_str().expect("bundle"))
            .expect("json");
    assert_eq!(rekor_bundle["Payload"]["logIndex"], 0);

    // A certificate for another workflow (the same repository's nightly build) is refused.
    setup
        .oidc
        .set_claim("job_workflow_ref", "acme/advisoryhub/.github/workflows/nightly.yml@refs/heads/main");
    assert_eq!(setup.keyless(&["sign", &reference, "--keyless", "--bundle-format", "legacy"]).code, 0);
    let two = sig_manifest(&sig_tag);
    assert_eq!(two["layers"].as_array().map(Vec::len), Some(2));
    let mut only_other = two.clone();
    only_other["layers"] = serde_json::json!([two["layers"][1]]);
    registry::put_manifest(&host, "charts/advisoryhub", &sig_tag, only_other.to_string().as_bytes());
    let other = verify();
    assert_eq!(other.code, 1, "{}", other.stderr);
    assert!(other.stderr.contains("nightly.yml"), "names the identity it found: {}", other.stderr);

    // An edited signature, an altered Rekor entry: each refused.
    let edit = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut manifest = original.clone();
        edit(&mut manifest["layers"][0]["annotations"]);
        registry::put_manifest(&host, "charts/advisoryhub", &sig_tag, manifest.to_string().as_bytes());
        verify()
    };
    let flip = |text: &str| {
        let (head, tail) = text.split_at(12);
        format!("{head}{}{}", if tail.starts_with('A') { 'B' } else { 'A' }, &tail[1..])
    };
    let signature = edit(&|a| {
        let changed = flip(a["dev.cosignproject.cosign/signature"].as_str().expect("sig"));
        a["dev.cosignproject.cosign/signature"] = changed.into();
    });
    assert_eq!(signature.code, 1, "{}", signature.stderr);
    assert!(signature.stderr.contains("invalid signature"), "{}", signature.stderr);
    let mut altered = rekor_bundle.clone();
    altered["Payload"]["integratedTime"] =
        (rekor_bundle["Payload"]["integratedTime"].as_i64().expect("time") - 60).into();
    let entry = edit(&|a| a["dev.sigstore.cosign/bundle"] = altered.to_string().into());
    assert_eq!(entry.code, 1, "{}", entry.stderr);
    assert!(entry.stderr.contains("SET verification failed"), "{}", entry.stderr);
    let mut relogged = rekor_bundle.clone();
    relogged["Payload"]["logIndex"] = 1.into();
    let index = edit(&|a| a["dev.sigstore.cosign/bundle"] = relogged.to_string().into());
    assert_eq!(index.code, 1, "{}", index.stderr);
    assert!(index.stderr.contains("SET verification failed"), "{}", index.stderr);

    registry::put_manifest(&host, "charts/advisoryhub", &sig_tag, original.to_string().as_bytes());
    assert_eq!(verify().code, 0, "the original verifies again");

    // Without the .sig tag there is nothing to verify.
    assert_eq!(oci_publish(&["delete", &format!("{host}/charts/advisoryhub:{sig_tag}")]).code, 0);
    let gone = verify();
    assert_eq!(gone.code, 1);
    assert!(gone.stderr.contains("no signatures"), "{}", gone.stderr);
}

/// Uses the stand-ins. Inside GitHub Actions, `attest sign-blob` asks the job's token endpoint for a
/// token with audience `sigstore` (never sending the request token anywhere else) and needs no flag.
#[test]
fn inside_github_actions_the_ambient_token_signs() {
    let setup = Setup::new();
    let artifact = setup.file("release-manifest.json", b"{}");
    let (config, root) = (setup.sigstore.signing_config(), setup.sigstore.trusted_root());
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    command.env_remove("SIGSTORE_ID_TOKEN").envs(setup.oidc.env());
    command.args([
        "sign-blob",
        path(&artifact),
        "--signing-config",
        path(&config),
        "--trusted-root",
        path(&root),
    ]);
    let signed = run(&mut command);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    let asked: Vec<String> = setup.oidc.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(asked, ["/_apis/actions/idtoken?api-version=2.0&audience=sigstore"]);
    let sent_request_token = |requests: Vec<tagwright_test_support::http::Request>| {
        requests
            .iter()
            .any(|r| r.headers.iter().any(|(_, v)| v.contains(tagwright_test_support::oidc::REQUEST_TOKEN)))
    };
    assert!(!sent_request_token(setup.sigstore.fulcio_requests()), "the request token stays with GitHub");
    assert!(!sent_request_token(setup.sigstore.rekor_requests()));
    let (theirs, ours) =
        setup.both_verify(&artifact, &setup.dir.path().join("release-manifest.json.sigstore.json"));
    assert_eq!((theirs.code, ours.code), (0, 0), "{}\n{}", theirs.stderr, ours.stderr);

    // Without `id-token: write`, the job has no token URL: the error says what to add.
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    command
        .env_remove("SIGSTORE_ID_TOKEN")
        .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
        .env("GITHUB_ACTIONS", "true");
    command.args(["sign-blob", path(&artifact), "--signing-config", path(&config)]);
    let refused = run(&mut command);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("id-token: write"), "{}", refused.stderr);
}

/// Uses the stand-ins. `verify-blob` takes many files, finds each one's bundle beside it as
/// sigstore-python does, and fails naming exactly the files that do not verify.
#[test]
fn verify_blob_checks_every_file_and_names_the_ones_that_fail() {
    let setup = Setup::new();
    let names = ["a.tgz", "b.tgz", "c.tgz"];
    for name in names {
        let file = setup.file(name, name.as_bytes());
        assert_eq!(setup.sign_blob(&file, &[]).code, 0);
    }
    let issuer = setup.oidc.issuer();
    let root = setup.sigstore.trusted_root();
    let files: Vec<String> = names.iter().map(|n| path(&setup.dir.path().join(n)).to_owned()).collect();
    let verify = |extra: &[&str]| {
        let mut args = vec!["verify-blob", "--trusted-root", path(&root), "--certificate-identity", IDENTITY];
        args.extend_from_slice(&["--certificate-oidc-issuer", &issuer]);
        args.extend(files.iter().map(String::as_str));
        args.extend_from_slice(extra);
        attest(&args)
    };
    let all = verify(&["--json"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    let document: serde_json::Value = serde_json::from_str(&all.stdout).expect("json");
    let verified: Vec<&str> = document["verified"]
        .as_array()
        .expect("list")
        .iter()
        .map(|v| v["file"].as_str().expect("file"))
        .collect();
    assert_eq!(verified, files, "in the order given");
    setup.file("b.tgz", b"changed");
    let one_bad = verify(&[]);
    assert_eq!(one_bad.code, 1);
    assert!(
        one_bad.stderr.contains("b.tgz: not verified") && !one_bad.stderr.contains("a.tgz"),
        "{}",
        one_bad.stderr
    );
    let ambiguous = verify(&["--bundle", path(&setup.dir.path().join("a.tgz.sigstore.json"))]);
    assert_eq!(ambiguous.code, 2, "{}", ambiguous.stderr);
}

/// A SLSA v1 provenance predicate, minimal and valid.
const PROVENANCE: &str = r#"{"buildDefinition":{"buildType":"https://actions.github.io/buildtypes/workflow/v1","externalParameters":{"workflow":{"ref":"refs/tags/v1.2.0","repository":"https://github.com/acme/advisoryhub","path":".github/workflows/release.yml"}},"internalParameters":{},"resolvedDependencies":[]},"runDetails":{"builder":{"id":"https://github.com/acme/advisoryhub/.github/workflows/release.yml@refs/tags/v1.2.0"},"metadata":{"invocationId":"https://github.com/acme/advisoryhub/actions/runs/1/attempts/1"}}}"#;

/// Uses the stand-ins. DSSE bundles both ways: sigstore-python's `sigstore attest` (logged as a dsse
/// entry) verifies with our `verify-blob`, and ours (`attest attest-blob`) with sigstore-python; a
/// changed file fails in both, because the statement's subject no longer matches.
#[test]
fn dsse_bundles_verify_both_ways() {
    let setup = Setup::new();
    let predicate = setup.file("provenance.json", PROVENANCE.as_bytes());
    let theirs_file = setup.file("theirs.whl", b"wheel bytes");
    let theirs_bundle = setup.dir.path().join("theirs.whl.sigstore.json");
    let mut command = peer_command("sigstore");
    command.arg("--trust-config").arg(setup.sigstore.trust_config());
    command.args([
        "attest",
        "--predicate-type",
        "https://slsa.dev/provenance/v1",
        "--predicate",
        path(&predicate),
    ]);
    command.args([
        "--identity-token",
        &setup.oidc.token("sigstore"),
        "--bundle",
        path(&theirs_bundle),
        path(&theirs_file),
    ]);
    let attested = run(&mut command);
    assert_eq!(attested.code, 0, "sigstore attest:\n{}\n{}", attested.stdout, attested.stderr);
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&theirs_bundle).expect("bundle")).expect("json");
    assert_eq!(bundle["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["kind"], "dsse");

    let ours_file = setup.file("ours.tgz", b"chart bytes");
    let ours = setup.keyless(&[
        "attest-blob",
        path(&ours_file),
        "--predicate",
        path(&predicate),
        "--type",
        "slsaprovenance1",
    ]);
    assert_eq!(ours.code, 0, "{}", ours.stderr);
    let ours_bundle = setup.dir.path().join("ours.tgz.sigstore.json");

    for (file, bundle) in [(&theirs_file, &theirs_bundle), (&ours_file, &ours_bundle)] {
        let (python, rust) = setup.both_verify(file, bundle);
        assert_eq!(python.code, 0, "sigstore verify {}:\n{}", file.display(), python.stderr);
        assert_eq!(rust.code, 0, "attest verify-blob {}: {}", file.display(), rust.stderr);
        std::fs::write(file, b"changed").expect("write");
        let (python, rust) = setup.both_verify(file, bundle);
        assert_ne!(python.code, 0, "sigstore-python refuses a changed {}", file.display());
        assert_eq!(rust.code, 1, "{}", rust.stderr);
    }
}

/// Uses the stand-ins, and the real registry. `attest attest --keyless` attaches provenance to a
/// chart as cosign's `.att` tag; `verify-attestation` with the identity flags prints the statement,
/// and refuses another identity and another predicate type.
#[test]
fn keyless_attestations_of_a_chart_verify_with_the_identity_flags() {
    let (setup, _registry, _host, reference) = Setup::with_chart();
    let predicate = setup.file("provenance.json", PROVENANCE.as_bytes());
    let attested = setup.keyless(&[
        "attest",
        &reference,
        "--predicate",
        path(&predicate),
        "--type",
        "slsaprovenance1",
        "--keyless",
    ]);
    assert_eq!(attested.code, 0, "{}", attested.stderr);
    let verify = |identity: &str, kind: &str| {
        setup.verify_oci(&["verify-attestation", &reference, "--type", kind, "--json"], identity)
    };
    let ok = verify(WORKFLOW_REGEXP, "slsaprovenance1");
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let document: serde_json::Value = serde_json::from_str(&ok.stdout).expect("json");
    let statement = &document["statements"][0];
    assert_eq!(statement["predicateType"], "https://slsa.dev/provenance/v1");
    assert_eq!(statement["predicate"], serde_json::from_str::<serde_json::Value>(PROVENANCE).expect("json"));
    let other = verify(r"https://github.com/acme/other/", "slsaprovenance1");
    assert_eq!(other.code, 1, "{}", other.stderr);
    assert!(other.stderr.contains("does not match"), "{}", other.stderr);
    let sbom = verify(WORKFLOW_REGEXP, "cyclonedx");
    assert_eq!(sbom.code, 1, "{}", sbom.stderr);
    assert!(sbom.stderr.contains("predicate type"), "{}", sbom.stderr);
}

/// GETs `http://HOST/v2/REPOSITORY/manifests/REFERENCE` (OCI manifests and indexes), or `None`.
fn get_manifest(host: &str, repository: &str, reference: &str) -> Option<Vec<u8>> {
    let url = format!("http://{host}/v2/{repository}/manifests/{reference}");
    let accept =
        "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";
    let got = run(peer_command("curl").args(["-sf", "-o", "-", "-H", accept, &url]));
    (got.code == 0).then(|| got.stdout.into_bytes())
}

/// Replaces the bundle of the referrer `manifest` (listed in `index`, the tag schema's `fallback`) by
/// `bundle`: the blob goes in through the registry's upload API (POST, then PUT), then a manifest
/// naming it and an index listing that manifest.
fn replace_referrer(
    setup: &Setup,
    host: &str,
    manifest: &serde_json::Value,
    index: &serde_json::Value,
    fallback: &str,
    bundle: &[u8],
) {
    let edited_file = setup.file(&format!("forged-{}.json", bundle.len()), bundle);
    let upload = run_ok(peer_command("curl").args([
        "-sf",
        "-X",
        "POST",
        "-D",
        "-",
        "-o",
        "/dev/null",
        &format!("http://{host}/v2/charts/advisoryhub/blobs/uploads/"),
    ]));
    let location = upload
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Location: ").or_else(|| l.strip_prefix("location: ")))
        .expect("upload location")
        .trim()
        .to_owned();
    let edited_digest = tagwright_test_support::registry::file_digest(&edited_file);
    let separator = if location.contains('?') { '&' } else { '?' };
    let put_url = if location.starts_with("http") {
        format!("{location}{separator}digest={edited_digest}")
    } else {
        format!("http://{host}{location}{separator}digest={edited_digest}")
    };
    run_ok(peer_command("curl").args([
        "-sf",
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/octet-stream",
        "--data-binary",
        &format!("@{}", path(&edited_file)),
        &put_url,
    ]));
    let mut forged = manifest.clone();
    forged["layers"][0]["digest"] = edited_digest.clone().into();
    forged["layers"][0]["size"] = bundle.len().into();
    let forged_bytes = forged.to_string();
    let forged_digest = tagwright_test_support::registry::digest(forged_bytes.as_bytes());
    registry::put_manifest(host, "charts/advisoryhub", &forged_digest, forged_bytes.as_bytes());
    let mut forged_index = index.clone();
    forged_index["manifests"][0]["digest"] = forged_digest.into();
    forged_index["manifests"][0]["size"] = forged_bytes.len().into();
    run_ok(peer_command("curl").args([
        "-sf",
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/vnd.oci.image.index.v1+json",
        "--data-binary",
        &forged_index.to_string(),
        &format!("http://{host}/v2/charts/advisoryhub/manifests/{fallback}"),
    ]));
}

/// Uses the stand-ins, and the real registry (distribution 2.8, which has no referrers API). By
/// default `attest sign --keyless` also writes cosign 3's bundle v0.3 referrer, listed in the
/// tag-schema fallback index; sigstore-python verifies that bundle over the chart's manifest bytes;
/// `attest verify` checks bundles first, refuses a referrer of another identity or with an edited
/// bundle, and falls back to the `.sig` tag when there is no referrer.
#[test]
fn bundle_v03_referrers_are_written_verified_and_checked_first() {
    let (setup, _registry, host, reference) = Setup::with_chart();
    let signed = setup.keyless(&["sign", &reference, "--keyless", "--json"]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    let signed: serde_json::Value = serde_json::from_str(&signed.stdout).expect("json");
    let digest = signed["digest"].as_str().expect("digest").to_owned();
    let referrer = signed["referrer"].as_str().expect("a referrer").to_owned();
    let fallback = format!("sha256-{}", &digest["sha256:".len()..]);
    let index: serde_json::Value = serde_json::from_slice(
        &get_manifest(&host, "charts/advisoryhub", &fallback).expect("fallback index"),
    )
    .expect("json");
    assert_eq!(index["mediaType"], "application/vnd.oci.image.index.v1+json");
    assert_eq!(index["manifests"][0]["digest"], referrer.as_str());
    assert_eq!(index["manifests"][0]["artifactType"], "application/vnd.dev.sigstore.bundle.v0.3+json");
    let manifest: serde_json::Value =
        serde_json::from_slice(&get_manifest(&host, "charts/advisoryhub", &referrer).expect("referrer"))
            .expect("json");
    assert_eq!(manifest["subject"]["digest"], digest.as_str());
    assert_eq!(manifest["config"]["mediaType"], "application/vnd.oci.empty.v1+json");

    // sigstore-python verifies the bundle over the chart manifest's bytes, the statement's subject.
    let layer = manifest["layers"][0]["digest"].as_str().expect("layer").to_owned();
    let bundle_url = format!("http://{host}/v2/charts/advisoryhub/blobs/{layer}");
    let bundle = setup.dir.path().join("chart-manifest.json.sigstore.json");
    run_ok(peer_command("curl").args(["-sf", "-o", path(&bundle), &bundle_url]));
    let chart_manifest = setup
        .file("chart-manifest.json", &get_manifest(&host, "charts/advisoryhub", &digest).expect("chart"));
    let (theirs, ours) = setup.both_verify(&chart_manifest, &bundle);
    assert_eq!(theirs.code, 0, "sigstore verify:\n{}\n{}", theirs.stdout, theirs.stderr);
    assert_eq!(ours.code, 0, "{}", ours.stderr);

    let verify = |identity: &str| setup.verify_oci(&["verify", &reference], identity);
    let ok = verify(WORKFLOW_REGEXP);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ok.stdout.contains("in bundle v0.3 referrers"), "{}", ok.stdout);
    let other = verify(r"https://github.com/acme/other/");
    assert_eq!(other.code, 1);
    assert!(
        other.stderr.contains("no bundle verifies") && other.stderr.contains("does not match"),
        "{}",
        other.stderr
    );

    // A referrer whose bundle was edited (one signature byte) is refused, though the .sig tag is fine.
    let mut edited: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&bundle).expect("bundle")).expect("json");
    let sig = edited["dsseEnvelope"]["signatures"][0]["sig"].as_str().expect("sig").to_owned();
    let (head, tail) = sig.split_at(12);
    edited["dsseEnvelope"]["signatures"][0]["sig"] =
        format!("{head}{}{}", if tail.starts_with('A') { 'B' } else { 'A' }, &tail[1..]).into();
    replace_referrer(&setup, &host, &manifest, &index, &fallback, edited.to_string().as_bytes());
    let refused = verify(WORKFLOW_REGEXP);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("no bundle verifies"), "{}", refused.stderr);

    // Issue 21, item 6: a bundle that verifies, followed by a second, unsigned envelope whose
    // statement is cosign's signing one. Before, the predicate type was read from the last envelope
    // and the signature checked on the first, so each passed as a signature of the chart.
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "advisoryhub", "digest": {"sha256": &digest["sha256:".len()..]}}],
        "predicateType": "https://sigstore.dev/cosign/sign/v1",
        "predicate": {}
    });
    let payload = run_ok(
        peer_command("base64").arg("-w0").arg(setup.file("statement.json", statement.to_string().as_bytes())),
    )
    .stdout;
    let fake = serde_json::json!({"payload": payload.trim(), "payloadType": "application/vnd.in-toto+json", "signatures": [{"sig": "AAAA"}]});
    let subject = setup.file("subject.json", &std::fs::read(&chart_manifest).expect("chart manifest"));
    let predicate = setup.file("provenance.json", PROVENANCE.as_bytes());
    let attested = setup.keyless(&[
        "attest-blob",
        path(&subject),
        "--predicate",
        path(&predicate),
        "--type",
        "slsaprovenance1",
    ]);
    assert_eq!(attested.code, 0, "{}", attested.stderr);
    let provenance =
        std::fs::read_to_string(setup.dir.path().join("subject.json.sigstore.json")).expect("bundle");
    let signed_blob =
        setup.sign_blob(&subject, &["--bundle", path(&setup.dir.path().join("blob.sigstore.json"))]);
    assert_eq!(signed_blob.code, 0, "{}", signed_blob.stderr);
    let blob = std::fs::read_to_string(setup.dir.path().join("blob.sigstore.json")).expect("bundle");
    for (real, why) in [(provenance, "appears twice"), (blob, "both a messageSignature and a dsseEnvelope")] {
        let end = real.rfind('}').expect("an object");
        let forged = format!("{},\"dsseEnvelope\":{fake}}}", &real[..end]);
        replace_referrer(&setup, &host, &manifest, &index, &fallback, forged.as_bytes());
        let refused = verify(WORKFLOW_REGEXP);
        assert_eq!(refused.code, 1, "{why}: {}", refused.stderr);
        assert!(refused.stderr.contains(why), "{}", refused.stderr);
    }

    // No referrer at all: the legacy tag decides, as in cosign 3.
    assert_eq!(oci_publish(&["delete", &format!("{host}/charts/advisoryhub:{fallback}")]).code, 0);
    let legacy = verify(WORKFLOW_REGEXP);
    assert_eq!(legacy.code, 0, "{}", legacy.stderr);
    assert!(legacy.stdout.contains("in the .sig tag"), "{}", legacy.stdout);
}

/// Uses the stand-ins, and a hostile server in Rekor's place. Nothing unverifiable is published: a
/// certificate from a CA the trusted root does not know is caught before the bundle is written; a
/// Rekor answer that never ends stops at 1 MiB; one of the wrong shape is named.
#[test]
fn hostile_or_untrusted_services_publish_nothing() {
    use tagwright_test_support::hostile::{Hostile, Reply};
    let setup = Setup::new();
    let artifact = setup.file("checksums.txt", b"sums\n");
    let bundle = setup.dir.path().join("checksums.txt.sigstore.json");

    // Another Fulcio and Rekor (another CA, another log) than the trusted root describes.
    let other = SigstoreStandIn::start(&setup.oidc);
    let token = setup.oidc.token("sigstore");
    let untrusted = attest(&[
        "sign-blob",
        path(&artifact),
        "--identity-token",
        &token,
        "--signing-config",
        path(&other.signing_config()),
        "--trusted-root",
        path(&setup.sigstore.trusted_root()),
    ]);
    assert_eq!(untrusted.code, 1, "{}", untrusted.stderr);
    assert!(untrusted.stderr.contains("does not verify, so it was not written"), "{}", untrusted.stderr);
    assert!(!bundle.exists());

    let endless = Hostile::start(|_| Reply::Endless {
        status: 201,
        headers: vec![("Content-Type".into(), "application/json".into())],
        chunk: b"{\"a\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_vec(),
    });
    let malformed = Hostile::start(|_| Reply::json(201, r#"{"x":{"body":"e30=","logID":"not hex"}}"#));
    for (rekor, expected) in
        [(endless.host(), "larger than 1 MiB"), (malformed.host(), "logID is not a SHA-256")]
    {
        let token = setup.oidc.token("sigstore");
        let run = attest(&[
            "sign-blob",
            path(&artifact),
            "--identity-token",
            &token,
            "--fulcio-url",
            &setup.sigstore.fulcio_url(),
            "--rekor-url",
            &format!("http://{rekor}"),
            "--trusted-root",
            path(&setup.sigstore.trusted_root()),
        ]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.stderr.contains("Rekor: POST") && run.stderr.contains(expected), "{}", run.stderr);
        assert_eq!(run.stderr.matches("Rekor:").count(), 1, "{}", run.stderr);
        assert!(!bundle.exists());
    }
}
