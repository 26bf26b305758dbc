//! `cargo xtask bench publish`: the release flow on loopback, against the real registry and the
//! stand-ins for GitHub, Fulcio, Rekor and the Actions OIDC service. The first `tagwright publish
//! --keyless --github` does everything; a re-run finds every step done (target: under 1 s);
//! `tagwright verify` checks the whole release (target: under 2 s).

use std::path::Path;

use anyhow::{Context, Result, ensure};
use tagwright_test_support::github::{GithubStandIn, TOKEN};
use tagwright_test_support::oidc::OidcStandIn;
use tagwright_test_support::registry::{self, LocalRegistry, Mode};
use tagwright_test_support::sigstore::SigstoreStandIn;
use tagwright_test_support::{fixture, public_key, ssh_keygen};

use super::{Sample, build_release, measure_env, median};
use crate::check_failed;

pub(super) fn publish(runs: usize) -> Result<std::process::ExitCode> {
    ensure!(Path::new("/usr/bin/time").is_file(), "GNU time is missing: run `cargo xtask setup`");
    let tagwright = build_release("tagwright-cli", "tagwright")?;
    let registry = LocalRegistry::start(Mode::Plain);
    let host = registry.host().to_owned();
    registry::push_image(&host, "example/advisoryhub", "0.1.0");
    let (repo, keys, allowed) = signed_fixture()?;
    let github = GithubStandIn::start("acme", "advisoryhub");
    let oidc = OidcStandIn::start();
    let sigstore = SigstoreStandIn::start(&oidc);
    let env: Vec<(String, String)> = [
        ("GITHUB_API_URL", github.url()),
        ("GITHUB_TOKEN", TOKEN.to_owned()),
        ("HOME", keys.path().display().to_string()),
        ("SOURCE_DATE_EPOCH", "1767261600".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let root = sigstore.trusted_root().display().to_string();
    let repo_dir = repo.path().display().to_string();
    let publish_args = |token: String| -> Vec<String> {
        [
            "publish",
            "--repo",
            &repo_dir,
            "--registry",
            &format!("oci://{host}/charts"),
            "--image",
            &format!("{host}/example/advisoryhub"),
            "--tag",
            "v0.1.0",
            "--github",
            "acme/advisoryhub",
            "--keyless",
            "--identity-token",
            &token,
            "--signing-config",
            &sigstore.signing_config().display().to_string(),
            "--trusted-root",
            &root,
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let verify_args: Vec<String> = [
        "verify",
        "v0.1.0",
        "--repo",
        &repo_dir,
        "--github",
        "acme/advisoryhub",
        "--allowed-signers",
        &allowed.display().to_string(),
        "--certificate-identity-regexp",
        r"^https://github\.com/acme/advisoryhub/\.github/workflows/release\.yml@",
        "--certificate-oidc-issuer",
        &oidc.issuer(),
        "--trusted-root",
        &root,
    ]
    .map(str::to_owned)
    .to_vec();
    // The release image, signed keylessly as the image workflow signs it.
    let attest = build_release("tagwright-cli", "attest")?;
    let image = format!("{host}/example/advisoryhub:0.1.0");
    let sign_image = [
        "sign",
        &image,
        "--keyless",
        "--identity-token",
        &oidc.token("sigstore"),
        "--signing-config",
        &sigstore.signing_config().display().to_string(),
        "--trusted-root",
        &root,
    ]
    .map(str::to_owned);
    measure_env(repo.path(), &attest, &sign_image, &env, false)?;
    let dir = repo.path();
    let (first, _) = measure_env(dir, &tagwright, &publish_args(oidc.token("sigstore")), &env, true)?;
    let mut reruns = Vec::new();
    let mut verifies = Vec::new();
    for _ in 0..=runs {
        let (rerun, stdout) =
            measure_env(dir, &tagwright, &publish_args(oidc.token("sigstore")), &env, true)?;
        ensure!(String::from_utf8_lossy(&stdout).contains("up to date"), "a re-run did more than nothing");
        reruns.push(rerun);
        verifies.push(measure_env(dir, &tagwright, &verify_args, &env, true)?.0);
    }
    let (rerun, verify): (Sample, Sample) = (median(&reruns[1..]), median(&verifies[1..]));
    publish_verdict(first, rerun, verify)
}

/// The AdvisoryHub fixture, its tag `v0.1.0` SSH-signed with a new key; the repository, the key's
/// directory (HOME of the runs) and the allowed-signers file.
fn signed_fixture() -> Result<(tempfile::TempDir, tempfile::TempDir, std::path::PathBuf)> {
    let repo = fixture("make_advisoryhub.sh", &[]);
    let keys = tempfile::tempdir().context("temporary directory")?;
    let key = ssh_keygen(keys.path(), "id_ed25519", "ed25519", "");
    let allowed = keys.path().join("allowed_signers");
    std::fs::write(&allowed, format!("rel@example.com namespaces=\"git\" {}\n", public_key(&key)))?;
    let git = |args: &[&str]| -> Result<()> {
        let status = std::process::Command::new("git").current_dir(repo.path()).args(args).status()?;
        ensure!(status.success(), "git {}", args.join(" "));
        Ok(())
    };
    git(&["config", "user.email", "rel@example.com"])?;
    git(&["config", "user.name", "Rel Eng"])?;
    git(&["config", "gpg.format", "ssh"])?;
    git(&["config", "user.signingkey", &key.display().to_string()])?;
    git(&["tag", "-s", "-f", "-m", "Release v0.1.0", "v0.1.0"])?;
    Ok((repo, keys, allowed))
}

/// The publish benchmark's times against its targets.
fn publish_verdict(first: Sample, rerun: Sample, verify: Sample) -> Result<std::process::ExitCode> {
    println!(
        "\nAn AdvisoryHub release: signed chart, SBOM, manifest and its bundle, checksums, GitHub release"
    );
    println!("{:<32} {:>9} {:>10}", "run", "time", "peak RSS");
    for (label, sample) in
        [("publish, first run", first), ("publish, re-run (median)", rerun), ("verify (median)", verify)]
    {
        println!("{label:<32} {:>7.3} s {:>6.1} MiB", sample.seconds, sample.rss_kib as f64 / 1024.0);
    }
    let ok = |pass: bool| if pass { "ok" } else { "MISSED" };
    println!(
        "\nre-run: {:.3} s, {:.1}x faster than the first run  (target < 1 s)  {}",
        rerun.seconds,
        first.seconds / rerun.seconds,
        ok(rerun.seconds < 1.0)
    );
    println!("verify: {:.3} s  (target < 2 s)  {}", verify.seconds, ok(verify.seconds < 2.0));
    if rerun.seconds >= 1.0 || verify.seconds >= 2.0 {
        return Err(check_failed("benchmark targets missed"));
    }
    Ok(std::process::ExitCode::SUCCESS)
}
