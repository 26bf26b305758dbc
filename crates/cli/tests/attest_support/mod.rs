//! What the `attest` test files share: running the binaries, the peers' checks, fixtures.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::Path;

use tagwright_test_support::{Run, cargo_bin, peer_command, run, run_ok, workspace_root};

pub(crate) const EPOCH: &str = "1767261600";

pub(crate) fn attest(args: &[&str]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    command.env("SOURCE_DATE_EPOCH", EPOCH).args(args);
    run(&mut command)
}

pub(crate) fn sbom(repo: &Path, extra: &[&str]) -> serde_json::Value {
    let out = attest(&[&["sbom", "--repo", repo.to_str().expect("utf-8")][..], extra].concat());
    assert_eq!(out.code, 0, "{}", out.stderr);
    serde_json::from_str(&out.stdout).expect("JSON")
}

/// The uv workspace of `tests/fixtures/sbom-workspace`, copied to a temporary directory.
pub(crate) fn workspace() -> tempfile::TempDir {
    copied("sbom-workspace")
}

/// `tests/fixtures/NAME`, copied to a temporary directory.
pub(crate) fn copied(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    run_ok(
        peer_command("cp")
            .arg("-R")
            .arg(workspace_root().join("tests/fixtures").join(name).join("."))
            .arg(dir.path()),
    );
    dir
}

/// cyclonedx-python-lib's `JsonStrictValidator` for `version` (`V1_5`, `V1_6`): `None` means valid.
pub(crate) fn validate(json: &str, version: &str) {
    let script = format!(
        "import sys\nfrom cyclonedx.validation.json import JsonStrictValidator\nfrom cyclonedx.schema import SchemaVersion\n\
         err = JsonStrictValidator(SchemaVersion.{version}).validate_str(sys.stdin.read())\nprint(err)\nsys.exit(1 if err else 0)\n"
    );
    let mut command = peer_command("python3");
    command.args(["-c", &script]);
    let out = tagwright_test_support::run_with_input(&mut command, json.as_bytes());
    assert_eq!(out.code, 0, "{version}: {}{}", out.stdout, out.stderr);
}

pub(crate) fn purls(bom: &serde_json::Value) -> BTreeSet<String> {
    bom["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c["purl"].as_str().map(str::to_owned))
        .collect()
}

pub(crate) fn uv_export(repo: &Path, args: &[&str]) -> serde_json::Value {
    let mut command = peer_command("uv");
    command
        .current_dir(repo)
        .args(["export", "--format", "cyclonedx1.5", "--preview-features", "sbom-export", "--frozen"])
        .args(args);
    serde_json::from_str(&run_ok(&mut command).stdout).expect("uv's SBOM")
}

/// A key pair made by the real openssl: `(private PKCS#8 PEM, public SPKI PEM)`.
pub(crate) fn openssl_key(dir: &Path, name: &str, args: &[&str]) -> (std::path::PathBuf, std::path::PathBuf) {
    let private = dir.join(format!("{name}.pem"));
    let public = dir.join(format!("{name}.pub"));
    run_ok(peer_command("openssl").arg("genpkey").args(args).arg("-out").arg(&private));
    run_ok(peer_command("openssl").args(["pkey", "-pubout", "-in"]).arg(&private).arg("-out").arg(&public));
    (private, public)
}

/// securesystemslib (what in-toto uses) verifies `envelope` with the public key at `public`, with the
/// keyid securesystemslib computes itself; prints `ok` or the error.
pub(crate) fn sslib_verify(envelope: &Path, public: &Path) -> Run {
    let script = "import json, sys\n\
        from cryptography.hazmat.primitives.serialization import load_pem_public_key\n\
        from securesystemslib.signer import SSlibKey\n\
        from securesystemslib.dsse import Envelope\n\
        env = Envelope.from_dict(json.load(open(sys.argv[1])))\n\
        key = SSlibKey.from_crypto(load_pem_public_key(open(sys.argv[2], 'rb').read()))\n\
        try:\n    env.verify([key], 1)\nexcept Exception as e:\n    print(type(e).__name__, e); sys.exit(1)\n\
        print('ok', key.keyid)\n";
    run(peer_command("python3").args(["-c", script]).arg(envelope).arg(public))
}

/// `attest provenance` inside a (stand-in) GitHub Actions job: the OIDC stand-in of
/// `tagwright_test_support::oidc` plays GitHub's token service.
pub(crate) fn our_provenance(oidc: &tagwright_test_support::oidc::OidcStandIn, subject: &str) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    command.envs(oidc.env()).args(["provenance", "--subject", subject, "--oidc-issuer", &oidc.issuer()]);
    run(&mut command)
}

/// `buildSLSAProvenancePredicate(issuer)` of npm `@actions/attest`, under node, in the same job.
pub(crate) fn their_predicate(oidc: &tagwright_test_support::oidc::OidcStandIn) -> Run {
    let script = "import { buildSLSAProvenancePredicate } from '@actions/attest';\n\
        try { const p = await buildSLSAProvenancePredicate(process.argv[1]); console.log(JSON.stringify(p)); }\n\
        catch (e) { console.error(e.message); process.exit(1); }\n";
    let mut command = peer_command("node");
    command.current_dir(tagwright_test_support::node_peers()).envs(oidc.env()).args([
        "--input-type=module",
        "-e",
        script,
        &oidc.issuer(),
    ]);
    run(&mut command)
}

/// Validates `statement` against our JSON schemas of in-toto's Statement v1 and SLSA provenance v1
/// (`docs/schemas/`), with the real `jsonschema` (Python); `format` checked too.
pub(crate) fn validate_statement(statement: &str) {
    let script = "import json, sys\n\
        from jsonschema import Draft202012Validator\n\
        doc = json.loads(sys.stdin.read())\n\
        for name, part in [('in-toto-statement-v1', doc), ('slsa-provenance-v1', doc['predicate'])]:\n\
        \x20   schema = json.load(open(sys.argv[1] + '/' + name + '.schema.json'))\n\
        \x20   Draft202012Validator.check_schema(schema)\n\
        \x20   errors = list(Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(part))\n\
        \x20   if errors:\n\
        \x20       print(name, [e.message for e in errors]); sys.exit(1)\n";
    let mut command = peer_command("python3");
    command.args(["-c", script]).arg(workspace_root().join("docs/schemas"));
    let out = tagwright_test_support::run_with_input(&mut command, statement.as_bytes());
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

/// Runs `attest` with `COSIGN_PASSWORD` set.
pub(crate) fn attest_with_password(args: &[&str]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    command
        .env("COSIGN_PASSWORD", "s3cret")
        .env("HOME", "/nonexistent")
        .env_remove("DOCKER_CONFIG")
        .args(args);
    run(&mut command)
}

pub(crate) fn oci_publish(args: &[&str]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_oci-publish"));
    command.env("HOME", "/nonexistent").env_remove("DOCKER_CONFIG").args(args);
    run(&mut command)
}

/// Copies `reference` (a registry tag) into an OCI layout `dir/name` with oci-publish, and returns the
/// layout's directory and the manifest as `oci-publish --json manifest` shows it.
pub(crate) fn pulled(reference: &str, dir: &Path, name: &str) -> (std::path::PathBuf, serde_json::Value) {
    let layout = dir.join(name);
    let target = format!("oci-layout:{}:{name}", layout.display());
    assert_eq!(oci_publish(&["copy", reference, &target]).code, 0, "copy {reference}");
    let manifest =
        serde_json::from_str(&oci_publish(&["--json", "manifest", &target]).stdout).expect("manifest");
    (layout, manifest)
}

/// A real registry holding the image `HOST/acme/app:1.0`, and a cosign key pair (password `s3cret`).
pub(crate) struct Signing {
    pub(crate) _registry: tagwright_test_support::registry::LocalRegistry,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) host: String,
    pub(crate) image: String,
    pub(crate) key: String,
    pub(crate) public: String,
}

impl Signing {
    pub(crate) fn new() -> Signing {
        use tagwright_test_support::registry::{self, LocalRegistry, Mode};
        let local = LocalRegistry::start(Mode::Plain);
        let host = local.host().to_owned();
        let dir = tempfile::tempdir().expect("tempdir");
        let layout = dir.path().join("image");
        registry::image_layout(&layout, "1.0", &["linux/amd64"], false, 0);
        let image = format!("{host}/acme/app:1.0");
        let copied = oci_publish(&["copy", &format!("oci-layout:{}:1.0", layout.display()), &image]);
        assert_eq!(copied.code, 0, "{}", copied.stderr);
        let prefix = dir.path().join("cosign");
        let generated = attest_with_password(&[
            "generate-key-pair",
            "--output-key-prefix",
            &prefix.display().to_string(),
        ]);
        assert_eq!(generated.code, 0, "{}", generated.stderr);
        let key = dir.path().join("cosign.key").display().to_string();
        let public = dir.path().join("cosign.pub").display().to_string();
        Signing { _registry: local, dir, host, image, key, public }
    }
}

/// `attest verify-blob` on the real bundles of `tests/fixtures/sigstore` (signed by the real Sigstore
/// services), offline.
pub(crate) fn verify_blob(artifact: &str, args: &[&str]) -> Run {
    let dir = workspace_root().join("tests/fixtures/sigstore");
    let path = |name: &str| dir.join(name).display().to_string();
    let bundle = path(&format!("{artifact}.sigstore"));
    let mut all = vec!["verify-blob".to_owned(), path(artifact), "--bundle".to_owned(), bundle];
    for arg in args {
        all.push(if arg.starts_with("trusted_root") { path(arg) } else { (*arg).to_owned() });
    }
    attest(&all.iter().map(String::as_str).collect::<Vec<_>>())
}

pub(crate) const GITHUB: &str = "https://token.actions.githubusercontent.com";
pub(crate) const RUNBOOK_REGEXP: &str =
    r"https://github.com/trailofbits/rfc8785.py/\.github/workflows/release\.yml@.*";

/// cosign with its home in `home`, and every request that is not to loopback sent to a closed port on
/// loopback: cosign asks Sigstore's TUF repository for the public-good trusted root even when it signs
/// with a key, and the tests send no traffic off this machine (Go never proxies loopback).
pub(crate) fn cosign(home: &Path, args: &[&str]) -> Run {
    let mut command = peer_command("cosign");
    command
        .env("HOME", home)
        .env("TUF_ROOT", home.join("tuf"))
        .env("COSIGN_PASSWORD", "s3cret")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env_remove("NO_PROXY")
        .env_remove("DOCKER_CONFIG")
        .env("COSIGN_EXPERIMENTAL", "0")
        .args(args);
    run(&mut command)
}

/// `gh attestation verify FILE --bundle B` offline, with the trusted root as the one JSON line gh
/// reads, the OIDC issuer, and `extra`; anything not to loopback goes to a closed port.
pub(crate) fn gh_verify(root: &Path, issuer: &str, file: &Path, bundle: &Path, extra: &[&str]) -> Run {
    let p = |path: &Path| path.to_str().expect("utf-8").to_owned();
    let line = root.with_extension("jsonl");
    let value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root).expect("the trusted root")).expect("JSON");
    std::fs::write(&line, format!("{value}\n")).expect("write");
    let mut command = peer_command("gh");
    command
        .env("GH_CONFIG_DIR", bundle.with_extension("gh"))
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env_remove("NO_PROXY");
    command.args(["attestation", "verify", &p(file), "--bundle", &p(bundle), "--custom-trusted-root"]);
    command.args([&p(&line), "--cert-oidc-issuer", issuer]).args(extra);
    run(&mut command)
}
