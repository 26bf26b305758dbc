//! Issue 22, item 2: one identity per signed artifact. In the AdvisoryHub example,
//! `release-image.yml` signs the image and `release.yml` signs the chart and the manifest: `verify`
//! derives each artifact's identity from the workflow that signs it, on the example's exact workflow
//! files, and reports it on that artifact's line. Stand-ins: GitHub's REST API, Fulcio, Rekor and the
//! Actions OIDC issuer (none can run here); the registry is the real one.

mod world;

use tagwright_test_support::{cargo_bin, run, workspace_root};
use world::{World, fails};

/// The example's workflows, as they are, in the world's repository; the image signed by
/// `release-image.yml` and the release published by `release.yml`.
fn example_world() -> World {
    let world = World::new_unsigned();
    let workflows = world.repo.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).expect("mkdir");
    for entry in
        std::fs::read_dir(workspace_root().join("examples/advisoryhub/.github/workflows")).expect("examples")
    {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, workflows.join(path.file_name().expect("name"))).expect("copy");
    }
    let claim = |workflow: &str| format!("acme/advisoryhub/.github/workflows/{workflow}@refs/tags/v0.1.0");
    world.oidc.set_claim("job_workflow_ref", claim("release-image.yml"));
    world.sign_image();
    world.oidc.set_claim("job_workflow_ref", claim("release.yml"));
    let published = world.publish();
    assert_eq!(published.code, 0, "{}\n{}", published.stdout, published.stderr);
    world
}

fn verify(world: &World, extra: &[&str]) -> tagwright_test_support::Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
    command.args(["verify", "v0.1.0", "--github", "acme/advisoryhub", "--allowed-signers"]);
    command.arg(world.keys.path().join("allowed_signers"));
    command.args(["--certificate-oidc-issuer", &world.oidc.issuer()]);
    command.arg("--trusted-root").arg(world.sigstore.trusted_root());
    command.args(extra).arg("--repo").arg(world.repo.path());
    run(world.env(&mut command))
}

fn line<'a>(out: &'a tagwright_test_support::Run, check: &str) -> &'a str {
    out.stdout
        .lines()
        .find(|l| l.contains(&format!(" {check}:")))
        .unwrap_or_else(|| panic!("{check}: {}", out.stdout))
}

#[test]
fn each_artifact_is_checked_against_the_workflow_that_signs_it() {
    let world = example_world();
    let out = verify(&world, &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let unescaped = |check: &str| line(&out, check).replace('\\', "");
    assert!(unescaped("image signature").contains("workflows/release-image.yml@/"), "{}", out.stdout);
    assert!(unescaped("chart signature").contains("workflows/release.yml@/"), "{}", out.stdout);
    assert!(out.stdout.contains("(signatures by an identity per artifact, on its line)"), "{}", out.stdout);

    // One identity for all (what verify derived before): the image's line fails, naming what it expected.
    let single = verify(
        &world,
        &[
            "--certificate-identity-regexp",
            r"^https://github\.com/acme/advisoryhub/\.github/workflows/release\.yml@",
        ],
    );
    fails(&single, "image signature");
    assert!(line(&single, "chart signature").starts_with("  ok"), "{}", single.stdout);

    // A per-artifact override replaces the derived identity of that artifact only.
    let wrong = verify(
        &world,
        &["--image-identity", r"^https://github\.com/acme/advisoryhub/\.github/workflows/docs\.yml@"],
    );
    fails(&wrong, "image signature");
    assert!(line(&wrong, "image signature").contains(r"docs\.yml@"), "{}", wrong.stdout);
    let right = verify(&world, &["--image-identity", r"workflows/release-image\.yml@refs/tags/v0\.1\.0$"]);
    assert_eq!(right.code, 0, "{}\n{}", right.stdout, right.stderr);
}
