//! `cargo xtask bench verify`: verifying a set of 100 keyless signatures (Sigstore bundles over
//! files), `attest verify-blob` against sigstore-python's `sigstore verify identity` (one process
//! over the whole set each) and cosign's `verify-blob` (which takes one file: 100 processes, as a
//! user verifying the set would run it). The bundles are made against the Fulcio and Rekor stand-ins of the
//! test support (the public instance cannot be reached here), which both verifiers trust through the
//! stand-ins' trust files.

use std::path::Path;

use anyhow::{Context, Result, ensure};
use tagwright_test_support::oidc::OidcStandIn;
use tagwright_test_support::sigstore::SigstoreStandIn;

use super::{Tool, build_release, interleaved};
use crate::{check_failed, setup};

/// How many signatures the set holds.
const SET: usize = 100;
/// The release job's identity, as the stand-in's Fulcio certifies it.
const IDENTITY: &str = "https://github.com/acme/advisoryhub/.github/workflows/release.yml@refs/tags/v1.2.0";

pub(super) fn verify(runs: usize) -> Result<std::process::ExitCode> {
    ensure!(Path::new("/usr/bin/time").is_file(), "GNU time is missing: run `cargo xtask setup`");
    let sigstore = setup::venv().join("bin/sigstore");
    ensure!(sigstore.is_file(), "sigstore-python is missing: run `cargo xtask setup`");
    let cosign = tagwright_test_support::go_peers().join("bin/cosign");
    ensure!(cosign.is_file(), "cosign is missing: run `cargo xtask setup`");
    let ours = build_release("tagwright-cli", "attest")?;
    let oidc = OidcStandIn::start();
    let stand_in = SigstoreStandIn::start(&oidc);
    let data = tempfile::tempdir().context("temporary directory")?;
    let mut files = Vec::new();
    for i in 0..SET {
        let name = format!("artifact-{i:03}.bin");
        let bytes: Vec<u8> =
            (0..4096u32).map(|j| (j.wrapping_mul(31).wrapping_add(i as u32 * 7) % 251) as u8).collect();
        std::fs::write(data.path().join(&name), bytes).with_context(|| format!("write {name}"))?;
        let token = oidc.token("sigstore");
        let signed = std::process::Command::new(&ours)
            .current_dir(data.path())
            .args(["sign-blob", &name, "--identity-token", &token, "--signing-config"])
            .arg(stand_in.signing_config())
            .arg("--trusted-root")
            .arg(stand_in.trusted_root())
            .output()
            .context("attest sign-blob")?;
        ensure!(
            signed.status.success(),
            "attest sign-blob {name}: {}",
            String::from_utf8_lossy(&signed.stderr)
        );
        files.push(name);
    }
    let issuer = oidc.issuer();
    let mut theirs_args: Vec<String> =
        vec!["--trust-config".into(), stand_in.trust_config().display().to_string()];
    theirs_args.extend(
        ["verify", "identity", "--cert-identity", IDENTITY, "--cert-oidc-issuer", &issuer].map(str::to_owned),
    );
    theirs_args.extend(files.iter().cloned());
    let mut ours_args: Vec<String> =
        vec!["verify-blob".into(), "--trusted-root".into(), stand_in.trusted_root().display().to_string()];
    ours_args.extend(
        ["--certificate-identity", IDENTITY, "--certificate-oidc-issuer", &issuer].map(str::to_owned),
    );
    ours_args.extend(files.iter().cloned());
    // cosign, file by file, with everything not to loopback sent to a closed port (it would ask
    // Sigstore's TUF repository otherwise); a failure stops the loop with its status.
    let home = data.path().join("cosign-home");
    let script = format!(
        "for f in \"$@\"; do HOME={home} HTTPS_PROXY=http://127.0.0.1:9 {cosign} verify-blob --bundle \"$f.sigstore.json\" \
         --trusted-root {root} --certificate-identity {IDENTITY} --certificate-oidc-issuer {issuer} \"$f\" || exit 1; \
         echo \"Verified $f\"; done",
        home = home.display(),
        cosign = cosign.display(),
        root = stand_in.trusted_root().display(),
    );
    let mut cosign_args = vec!["-c".to_owned(), script, "cosign".to_owned()];
    cosign_args.extend(files.iter().cloned());
    let tools = [
        Tool { label: "sigstore verify", program: sigstore, args: theirs_args },
        Tool { label: "attest verify-blob", program: ours, args: ours_args },
        Tool { label: "cosign verify-blob", program: "/bin/sh".into(), args: cosign_args },
    ];
    let (medians, outputs) = interleaved(data.path(), &tools, &[], runs)?;
    let verified = |output: &[u8], prefix: &str| {
        String::from_utf8_lossy(output).lines().filter(|l| l.starts_with(prefix)).count()
    };
    // sigstore-python says "OK: FILE" on stderr, which the timed runs discard: once more, to count.
    let theirs = std::process::Command::new(&tools[0].program)
        .args(&tools[0].args)
        .current_dir(data.path())
        .output()
        .context("sigstore verify")?;
    let (theirs_ok, ours_ok, cosign_ok) = (
        verified(&theirs.stderr, "OK: "),
        verified(&outputs[1], "Verified "),
        verified(&outputs[2], "Verified "),
    );
    ensure!(
        theirs_ok == SET && ours_ok == SET && cosign_ok == SET,
        "verified {theirs_ok} (sigstore), {ours_ok} (attest) and {cosign_ok} (cosign) of {SET}"
    );
    println!(
        "\n{SET} keyless signatures (bundles v0.3 over 4 KiB files, stand-in trust root): all three verify all {SET}"
    );
    println!("{:<19} {:>9} {:>10}", "tool", "median", "peak RSS (largest process)");
    for (tool, m) in tools.iter().zip(&medians) {
        println!("{:<19} {:>7.3} s {:>6.1} MiB", tool.label, m.seconds, m.rss_kib as f64 / 1024.0);
    }
    println!(
        "\nratio (cosign verify-blob x{SET} / attest verify-blob): {:.1}x",
        medians[2].seconds / medians[1].seconds
    );
    let ratio = medians[0].seconds / medians[1].seconds;
    println!(
        "ratio (sigstore verify / attest verify-blob): {ratio:.1}x  (target >= 10x)  {}",
        if ratio >= 10.0 { "ok" } else { "MISSED" }
    );
    if ratio < 10.0 {
        return Err(check_failed("benchmark target missed"));
    }
    Ok(std::process::ExitCode::SUCCESS)
}
