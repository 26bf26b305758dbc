//! Issue 23: the setup action's install script (`action/install.sh`, run by `action.yml`) against a
//! local HTTP server serving a release: the archive `cargo xtask dist` makes and its SLSA provenance
//! bundle (signed keylessly through the Fulcio and Rekor stand-ins with an Actions-shaped token from
//! the OIDC stand-in: neither GitHub nor the public Sigstore can run here), checked by the real
//! `gh attestation verify`. It puts the right binary on PATH, and refuses a tampered archive, a
//! version its checksums.txt does not list, and a provenance from another workflow.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tagwright_test_support::http::{HttpServer, Response};
use tagwright_test_support::oidc::OidcStandIn;
use tagwright_test_support::sigstore::SigstoreStandIn;
use tagwright_test_support::{Run, cargo_bin, peer, run, run_ok, workspace_root};

type Served = Arc<Mutex<HashMap<String, Vec<u8>>>>;

/// A checkout of the action, as a workflow's `uses:` gets it: action.yml and action/.
fn checkout(dir: &Path) -> PathBuf {
    let action = dir.join("action-checkout");
    std::fs::create_dir_all(action.join("action")).expect("mkdir");
    std::fs::copy(workspace_root().join("action.yml"), action.join("action.yml")).expect("action.yml");
    for file in ["install.sh", "checksums.txt"] {
        std::fs::copy(workspace_root().join("action").join(file), action.join("action").join(file))
            .expect("copy");
    }
    action
}

/// `attest attest-blob` of `file`'s provenance, keylessly, as the release workflow signs it, with
/// the `attest` of the release itself.
fn attest_provenance(attest: &Path, file: &Path, oidc: &OidcStandIn, sigstore: &SigstoreStandIn) -> Vec<u8> {
    let statement = file.with_extension("provenance.json");
    let mut provenance = cargo_bin(attest.to_str().expect("utf-8"));
    provenance.arg("provenance").arg("--subject").arg(file).arg("--output").arg(&statement);
    run_ok(provenance.current_dir(workspace_root()));
    let bundle = file.with_extension("bundle");
    let mut signing = cargo_bin(attest.to_str().expect("utf-8"));
    signing
        .arg("attest-blob")
        .arg(file)
        .arg("--predicate")
        .arg(&statement)
        .args(["--type", "slsaprovenance1", "--keyless", "--identity-token", &oidc.token("sigstore")])
        .arg("--signing-config")
        .arg(sigstore.signing_config())
        .arg("--trusted-root")
        .arg(sigstore.trusted_root())
        .arg("--bundle")
        .arg(&bundle);
    run_ok(&mut signing);
    std::fs::read(bundle).expect("bundle")
}

struct Setup {
    action: PathBuf,
    server: HttpServer,
    root: PathBuf,
    issuer: String,
    dir: PathBuf,
    runs: std::sync::atomic::AtomicUsize,
}

impl Setup {
    fn install(&self, version: &str, with_gh: bool) -> (Run, PathBuf) {
        let n = self.runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let github_path = self.dir.join(format!("GITHUB_PATH-{n}"));
        let temp = self.dir.join(format!("runner-temp-{n}"));
        std::fs::create_dir_all(&temp).expect("mkdir");
        let gh_dir = peer("gh").parent().expect("gh's dir").display().to_string();
        let path = if with_gh { format!("{gh_dir}:/usr/bin:/bin") } else { "/usr/bin:/bin".to_owned() };
        let mut command = std::process::Command::new("bash");
        command
            .arg(self.action.join("action/install.sh"))
            .env_clear()
            .env("PATH", path)
            .env("HOME", &self.dir)
            .env("TAGWRIGHT_VERSION", version)
            .env("TAGWRIGHT_DOWNLOAD_URL", self.server.url())
            .env("TAGWRIGHT_TRUSTED_ROOT", &self.root)
            .env("TAGWRIGHT_OIDC_ISSUER", &self.issuer)
            .env("RUNNER_TEMP", &temp)
            .env("GITHUB_PATH", &github_path);
        (run(&mut command), github_path)
    }
}

#[test]
fn the_setup_action_installs_a_checked_archive_and_refuses_what_does_not_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("dist");
    let mut dist = cargo_bin(env!("CARGO_BIN_EXE_xtask"));
    dist.args(["dist", "--profile", "dev", "--no-wheel", "--out"]).arg(&out);
    let made = run(&mut dist);
    assert_eq!(made.code, 0, "{}\n{}", made.stdout, made.stderr);
    let checksums = std::fs::read_to_string(out.join("checksums.txt")).expect("checksums.txt");
    let (digest, archive_name) = checksums.lines().next().and_then(|l| l.split_once("  ")).expect("a line");
    let archive = out.join(archive_name);
    let unpacked = dir.path().join("unpacked");
    std::fs::create_dir_all(&unpacked).expect("mkdir");
    run_ok(std::process::Command::new("tar").arg("-xzf").arg(&archive).arg("-C").arg(&unpacked));
    let attest = unpacked.join(archive_name.trim_end_matches(".tar.gz")).join("attest");

    // The release: the archive and its provenance, signed by tagwright's own release workflow.
    let oidc = OidcStandIn::start();
    for (claim, value) in [
        ("repository", "tagwright/tagwright"),
        ("repository_owner", "tagwright"),
        ("job_workflow_ref", "tagwright/tagwright/.github/workflows/release.yml@refs/tags/v0.1.0"),
        ("workflow_ref", "tagwright/tagwright/.github/workflows/release.yml@refs/tags/v0.1.0"),
        ("ref", "refs/tags/v0.1.0"),
    ] {
        oidc.set_claim(claim, value);
    }
    let sigstore = SigstoreStandIn::start(&oidc);
    let bundle = attest_provenance(&attest, &archive, &oidc, &sigstore);
    let root_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sigstore.trusted_root()).expect("root")).expect("JSON");
    let root = dir.path().join("trusted_root.jsonl");
    std::fs::write(&root, format!("{root_json}\n")).expect("write");
    let served: Served = Arc::default();
    let archive_path = format!("/v0.1.0/{archive_name}");
    served.lock().expect("served").insert(archive_path.clone(), std::fs::read(&archive).expect("archive"));
    served.lock().expect("served").insert(format!("{archive_path}.provenance.sigstore.json"), bundle);
    let shared = Arc::clone(&served);
    let server = HttpServer::start(move |request| match shared.lock().expect("served").get(&request.path) {
        Some(bytes) => Response { status: 200, headers: Vec::new(), body: bytes.clone() },
        None => Response::json(404, "{}"),
    });

    // The action as a commit after the release has it: that version's line added.
    let action = checkout(dir.path());
    let listed = action.join("action/checksums.txt");
    let mut text = std::fs::read_to_string(&listed).expect("read");
    text.push_str(&format!("{digest}  {archive_name}\n"));
    std::fs::write(&listed, text).expect("write");
    let setup = Setup {
        action,
        server,
        root,
        issuer: oidc.issuer(),
        dir: dir.path().to_path_buf(),
        runs: Default::default(),
    };

    let (installed, github_path) = setup.install("0.1.0", true);
    assert_eq!(installed.code, 0, "{}\n{}", installed.stdout, installed.stderr);
    assert!(installed.stdout.contains(&format!("sha256 ok: {digest}")), "{}", installed.stdout);
    assert!(
        installed
            .stdout
            .contains("provenance ok: built by tagwright/tagwright/.github/workflows/release.yml"),
        "{}",
        installed.stdout
    );
    let bin = PathBuf::from(std::fs::read_to_string(&github_path).expect("GITHUB_PATH").trim());
    for program in ["tagwright", "version-check", "checksum", "release-notes", "oci-publish", "attest"] {
        let version = run_ok(std::process::Command::new(bin.join(program)).arg("--version"));
        assert_eq!(version.stdout.trim(), format!("{program} 0.1.0"));
    }

    // Without gh, the SHA-256 still holds it, and the script says what it did not check.
    let (no_gh, _) = setup.install("0.1.0", false);
    assert_eq!(no_gh.code, 0, "{}", no_gh.stderr);
    assert!(
        no_gh.stdout.contains("gh is not installed: the provenance bundle was not checked"),
        "{}",
        no_gh.stdout
    );

    // A version the action does not list: refused before any download.
    let before = setup.server.requests().len();
    let (unlisted, github_path) = setup.install("0.9.0", true);
    assert_eq!(unlisted.code, 1);
    assert!(
        unlisted.stderr.contains("tagwright-0.9.0-") && unlisted.stderr.contains("is not in"),
        "{}",
        unlisted.stderr
    );
    assert_eq!(setup.server.requests().len(), before, "nothing was downloaded");
    assert!(!github_path.exists(), "nothing was put on PATH");

    // A provenance signed by another workflow: refused by gh.
    oidc.set_claim("job_workflow_ref", "tagwright/tagwright/.github/workflows/ci.yml@refs/heads/main");
    let other = attest_provenance(&attest, &archive, &oidc, &sigstore);
    served.lock().expect("served").insert(format!("{archive_path}.provenance.sigstore.json"), other);
    let (foreign, github_path) = setup.install("0.1.0", true);
    assert_eq!(foreign.code, 1, "{}", foreign.stdout);
    assert!(
        foreign.stderr.contains("does not verify for tagwright/tagwright's release workflow"),
        "{}",
        foreign.stderr
    );
    assert!(!github_path.exists(), "nothing was put on PATH");

    // A tampered archive: refused, naming both digests.
    let mut bytes = std::fs::read(&archive).expect("archive");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    served.lock().expect("served").insert(archive_path, bytes);
    let (tampered, _) = setup.install("0.1.0", false);
    assert_eq!(tampered.code, 1);
    assert!(
        tampered.stderr.contains(&format!("not {digest} as checksums.txt says: refused")),
        "{}",
        tampered.stderr
    );
}
