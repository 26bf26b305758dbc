//! Issue 21, item 1: `attest verify-blob --key` verifies Sigstore bundles whose verification
//! material is a key's hint, as cosign's `verify-blob --key` does: with their transparency-log entry
//! (checked against the trusted root), or without one under `--insecure-ignore-tlog`. The log is the
//! Rekor stand-in (Rekor cannot run here), which checks each proposed signature before logging it.

use std::path::Path;

use tagwright_sigstore::bundle::key_bundle;
use tagwright_sigstore::dsse::{SigningKey, VerifyingKey};
use tagwright_sigstore::keyless::LogEntry;
use tagwright_test_support::oidc::OidcStandIn;
use tagwright_test_support::sigstore::SigstoreStandIn;
use tagwright_test_support::{Run, cargo_bin, peer_command, run, run_ok, run_with_input};

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

/// A P-256 key pair from openssl: the signing key, and `NAME.pub` (PKIX PEM) in `dir`.
fn key_pair(dir: &Path, name: &str) -> (SigningKey, std::path::PathBuf) {
    let private = dir.join(format!("{name}.pem"));
    run_ok(peer_command("openssl").args([
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        path(&private),
    ]));
    let public = dir.join(format!("{name}.pub"));
    run_ok(peer_command("openssl").args(["pkey", "-in", path(&private), "-pubout", "-out", path(&public)]));
    let key = SigningKey::from_pem(&std::fs::read_to_string(&private).expect("key")).expect("a P-256 key");
    (key, public)
}

/// Logs `signature` of `message` by `key` in the Rekor stand-in as a hashedrekord, as cosign does.
fn log(rekor: &str, key: &VerifyingKey, message: &[u8], signature: &[u8]) -> LogEntry {
    let b64 = |bytes: &[u8]| run_with_input(peer_command("base64").arg("-w0"), bytes).stdout;
    let hex = tagwright_oci_publish::Digest::sha256(message).hex().to_owned();
    let proposed = serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex}},
            "signature": {"content": b64(signature), "publicKey": {"content": b64(key.to_pem().as_bytes())}}
        }
    });
    let answer = run_ok(peer_command("curl").args([
        "-sf",
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        &proposed.to_string(),
        &format!("{rekor}/api/v1/log/entries"),
    ]));
    LogEntry::from_rekor_answer(&serde_json::from_str(&answer.stdout).expect("json")).expect("an entry")
}

fn verify_blob(file: &Path, bundle: &Path, key: &Path, root: &Path, extra: &[&str]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    command.args([
        "verify-blob",
        path(file),
        "--bundle",
        path(bundle),
        "--key",
        path(key),
        "--trusted-root",
        path(root),
    ]);
    run(command.args(extra))
}

#[test]
fn key_hinted_bundles_verify_with_their_log_entry_or_without_one_when_asked() {
    let oidc = OidcStandIn::start();
    let sigstore = SigstoreStandIn::start(&oidc);
    let root = sigstore.trusted_root();
    let dir = tempfile::tempdir().expect("tempdir");
    let (key, public) = key_pair(dir.path(), "cosign");
    let (_, other) = key_pair(dir.path(), "other");
    let file = dir.path().join("checksums.txt");
    let message = b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  empty.txt\n";
    std::fs::write(&file, message).expect("write");
    let signature = key.sign_bytes(message);
    let entry = log(&sigstore.rekor_url(), &key.verifying_key(), message, &signature);
    let write = |name: &str, bundle: String| {
        let at = dir.path().join(name);
        std::fs::write(&at, bundle).expect("write");
        at
    };
    let logged =
        write("logged.sigstore.json", key_bundle(&key.verifying_key(), message, &signature, Some(&entry)));
    let unlogged =
        write("unlogged.sigstore.json", key_bundle(&key.verifying_key(), message, &signature, None));

    // With its log entry, verified against the trusted root: no flag needed.
    let ok = verify_blob(&file, &logged, &public, &root, &[]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(
        ok.stdout.contains(&format!("signed by the key {}", key.verifying_key().hint())),
        "{}",
        ok.stdout
    );
    // Without one: only with --insecure-ignore-tlog.
    let refused = verify_blob(&file, &unlogged, &public, &root, &[]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("no transparency-log entry")
            && refused.stderr.contains("--insecure-ignore-tlog")
    );
    for bundle in [&logged, &unlogged] {
        let ignored = verify_blob(&file, bundle, &public, &root, &["--insecure-ignore-tlog"]);
        assert_eq!(ignored.code, 0, "{}", ignored.stderr);
        // Another key, or another file: refused either way.
        assert_eq!(verify_blob(&file, bundle, &other, &root, &["--insecure-ignore-tlog"]).code, 1);
        let changed = dir.path().join("changed.txt");
        std::fs::write(&changed, b"other bytes\n").expect("write");
        assert_eq!(verify_blob(&changed, bundle, &public, &root, &["--insecure-ignore-tlog"]).code, 1);
    }
    // A log the trusted root does not know.
    let elsewhere = SigstoreStandIn::start(&oidc);
    let unknown = verify_blob(&file, &logged, &public, &elsewhere.trusted_root(), &[]);
    assert_eq!(unknown.code, 1, "{}", unknown.stderr);
    // A log entry whose signed entry timestamp was edited fails, unless the log is ignored, as with
    // cosign (the entry must still be well formed: its proof is checked against its checkpoint).
    let mut edited: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&logged).expect("bundle")).expect("json");
    let promise =
        &mut edited["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]["signedEntryTimestamp"];
    let set = promise.as_str().expect("a SET").to_owned();
    let (head, tail) = set.split_at(12);
    *promise = format!("{head}{}{}", if tail.starts_with('A') { 'B' } else { 'A' }, &tail[1..]).into();
    let edited = write("edited.sigstore.json", edited.to_string());
    assert_eq!(verify_blob(&file, &edited, &public, &root, &[]).code, 1);
    let ignored = verify_blob(&file, &edited, &public, &root, &["--insecure-ignore-tlog"]);
    assert_eq!(ignored.code, 0, "{}", ignored.stderr);
    // The identity flags do not accept a key's bundle.
    let mut keyless = cargo_bin(env!("CARGO_BIN_EXE_attest"));
    keyless.args(["verify-blob", path(&file), "--bundle", path(&logged), "--trusted-root", path(&root)]);
    keyless.args(["--certificate-identity-regexp", ".", "--certificate-oidc-issuer-regexp", "."]);
    assert_eq!(run(&mut keyless).code, 1);
}
