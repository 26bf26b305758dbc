//! `tagwright verify` of a release made by `tagwright publish`: against the real registry and real
//! git, with stand-ins for GitHub's REST API, Fulcio, Rekor and the Actions OIDC service (none of them
//! can run here). Every tampering the runbook's users fear fails, naming its check.

use tagwright_test_support::github::{GithubStandIn, TOKEN};
use tagwright_test_support::oidc::OidcStandIn;
use tagwright_test_support::registry::{self, LocalRegistry, Mode};
use tagwright_test_support::sigstore::SigstoreStandIn;
use tagwright_test_support::{Run, cargo_bin, fixture, peer_command, public_key, run, run_ok, ssh_keygen};

const WORKFLOW: &str = r"^https://github\.com/acme/advisoryhub/\.github/workflows/release\.yml@";

/// A release's draft flag and body, and its assets (name, digest).
type ReleaseState = (Option<(bool, Option<String>)>, Vec<(String, String)>);

struct World {
    registry: LocalRegistry,
    repo: tempfile::TempDir,
    keys: tempfile::TempDir,
    github: GithubStandIn,
    oidc: OidcStandIn,
    sigstore: SigstoreStandIn,
}

impl World {
    /// The fixture with its tag v0.1.0 SSH-signed, the release image in the registry (signed
    /// keylessly, as the image workflow does), and `tagwright publish --sign keyless --github`.
    fn published() -> World {
        let world = World::new();
        let published = world.publish();
        assert_eq!(published.code, 0, "{}\n{}", published.stdout, published.stderr);
        world
    }

    /// The same, up to (not including) `tagwright publish`.
    fn new() -> World {
        let registry = LocalRegistry::start(Mode::Plain);
        let repo = fixture("make_advisoryhub.sh", &[]);
        let keys = tempfile::tempdir().expect("tempdir");
        let key = ssh_keygen(keys.path(), "id_ed25519", "ed25519", "");
        std::fs::write(
            keys.path().join("allowed_signers"),
            format!("rel@example.com namespaces=\"git\" {}\n", public_key(&key)),
        )
        .expect("write");
        let oidc = OidcStandIn::start();
        let sigstore = SigstoreStandIn::start(&oidc);
        let world = World {
            registry,
            repo,
            keys,
            github: GithubStandIn::start("acme", "advisoryhub"),
            oidc,
            sigstore,
        };
        world.sign_tag("HEAD");
        registry::push_image(world.host(), "example/advisoryhub", "0.1.0");
        let image = format!("{}/example/advisoryhub:0.1.0", world.host());
        let mut args = vec!["sign".to_owned(), image.clone()];
        args.extend(world.keyless());
        let signed = world.attest(&args);
        assert_eq!(signed.code, 0, "{}", signed.stderr);
        world
    }

    /// `tagwright publish --sign keyless --github acme/advisoryhub` of v0.1.0.
    fn publish(&self) -> Run {
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
        command
            .args(["publish", "--charts", &format!("oci://{}/charts", self.host()), "--image"])
            .arg(format!("{}/example/advisoryhub", self.host()))
            .args([
                "--tag",
                "v0.1.0",
                "--github",
                "acme/advisoryhub",
                "--timeout",
                "10s",
                "--sign",
                "keyless",
            ])
            .args(self.keyless().iter().skip(1))
            .arg("--repo")
            .arg(self.repo.path());
        run(self.env(&mut command))
    }

    /// The release as GitHub holds it: draft flag and body, and the assets (the manifest's bundle,
    /// which differs with every keyless signature, by name only).
    fn release_state(&self) -> ReleaseState {
        let all = self.github.assets_of("v0.1.0");
        let manifest =
            all.iter().find(|(n, _)| n == "release-manifest.json").map(|(_, b)| registry::digest(b));
        let mut assets: Vec<(String, String)> = all
            .into_iter()
            .map(|(name, bytes)| {
                if name.ends_with(".sigstore.json") {
                    return (name, String::new());
                }
                if name == "checksums.txt" {
                    // The manifest names this world's registry, so its line is checked, then masked.
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    let masked: String = text
                        .lines()
                        .map(|line| match line.strip_suffix("  release-manifest.json") {
                            Some(hex) => {
                                assert_eq!(
                                    Some(format!("sha256:{hex}")),
                                    manifest,
                                    "checksums.txt's manifest line"
                                );
                                "MANIFEST  release-manifest.json\n".to_owned()
                            }
                            None => format!("{line}\n"),
                        })
                        .collect();
                    return (name, registry::digest(masked.as_bytes()));
                }
                // Text assets name this world's registry; binary ones (the archive) are compared as they are.
                let normalized = match std::str::from_utf8(&bytes) {
                    Ok(text) => text.replace(self.host(), "HOST").into_bytes(),
                    Err(_) => bytes,
                };
                (name, registry::digest(&normalized))
            })
            .collect();
        assets.sort();
        (self.github.release_state("v0.1.0"), assets)
    }

    fn host(&self) -> &str {
        self.registry.host()
    }

    fn env<'a>(&self, command: &'a mut std::process::Command) -> &'a mut std::process::Command {
        command
            .env("HOME", self.keys.path())
            .env_remove("DOCKER_CONFIG")
            .env_remove("GH_TOKEN")
            .env("GITHUB_API_URL", self.github.url())
            .env("GITHUB_TOKEN", TOKEN)
            .env("SOURCE_DATE_EPOCH", "1767261600")
    }

    /// `--keyless --identity-token T --signing-config C --trusted-root R`.
    fn keyless(&self) -> Vec<String> {
        vec![
            "--keyless".into(),
            "--identity-token".into(),
            self.oidc.token("sigstore"),
            "--signing-config".into(),
            self.sigstore.signing_config().display().to_string(),
            "--trusted-root".into(),
            self.sigstore.trusted_root().display().to_string(),
        ]
    }

    fn attest(&self, args: &[String]) -> Run {
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
        command.args(args);
        run(self.env(&mut command))
    }

    fn git(&self, args: &[&str]) -> String {
        let mut command = peer_command("git");
        command.current_dir(self.repo.path()).args(args);
        run_ok(self.env(&mut command)).stdout
    }

    /// (Re)makes v0.1.0 at `commit`, an annotated tag signed with the SSH key.
    fn sign_tag(&self, commit: &str) {
        let key = self.keys.path().join("id_ed25519");
        self.git(&["config", "user.email", "rel@example.com"]);
        self.git(&["config", "gpg.format", "ssh"]);
        self.git(&["config", "user.signingkey", key.to_str().expect("utf-8")]);
        self.git(&["tag", "-s", "-f", "-m", "Release v0.1.0\n\n- the notes", "v0.1.0", commit]);
    }

    fn verify(&self, identity: &str) -> Run {
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
        command.args(["verify", "v0.1.0", "--github", "acme/advisoryhub", "--allowed-signers"]);
        command.arg(self.keys.path().join("allowed_signers"));
        command.args([
            "--certificate-identity-regexp",
            identity,
            "--certificate-oidc-issuer",
            &self.oidc.issuer(),
        ]);
        command.arg("--trusted-root").arg(self.sigstore.trusted_root()).arg("--repo").arg(self.repo.path());
        run(self.env(&mut command))
    }

    fn delete(&self, reference: &str) {
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_oci-publish"));
        command.args(["delete", reference]);
        let deleted = run(self.env(&mut command));
        assert_eq!(deleted.code, 0, "{}", deleted.stderr);
    }
}

#[track_caller]
fn fails(run: &Run, check: &str) {
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.lines().any(|l| l.trim_start().starts_with(&format!("FAIL {check}:"))),
        "{check} should fail:\n{}",
        run.stdout
    );
}

/// Uses the real registry and git, and stand-ins for GitHub, Fulcio, Rekor and the OIDC service.
#[test]
fn a_published_release_verifies_and_every_tampering_is_named() {
    let world = World::published();
    let ok = world.verify(WORKFLOW);
    assert_eq!(ok.code, 0, "{}\n{}", ok.stdout, ok.stderr);
    for check in [
        "signed tag",
        "versions at the tag",
        "release manifest signature",
        "checksums",
        "SBOM",
        "manifest artifacts",
        "chart signature",
        "image signature",
    ] {
        assert!(ok.stdout.contains(&format!("ok   {check}:")), "{check}:\n{}", ok.stdout);
    }
    assert!(ok.stdout.contains("signed by rel@example.com"), "{}", ok.stdout);

    // A wrong identity: every signature check fails.
    let other = world.verify(r"^https://github\.com/acme/other/");
    for check in ["release manifest signature", "chart signature", "image signature"] {
        fails(&other, check);
    }

    // A tampered asset.
    let github = tagwright_github::Github::new(&world.github.url(), Some(TOKEN)).expect("client");
    let release = github.release_by_tag("acme", "advisoryhub", "v0.1.0").expect("lookup").expect("release");
    let sbom = release.assets.iter().find(|a| a.name == "sbom.cdx.json").expect("sbom");
    github.delete_asset("acme", "advisoryhub", sbom.id).expect("delete");
    github
        .upload_asset(&release, "sbom.cdx.json", "application/json", b"{\"bomFormat\":\"CycloneDX\"}")
        .expect("upload");
    let tampered = world.verify(WORKFLOW);
    fails(&tampered, "checksums");
    fails(&tampered, "SBOM");

    // A deleted .sig (and the bundle referrer beside it): the chart is unsigned.
    let chart = format!("{}/charts/advisoryhub:0.1.0", world.host());
    let raw = run_ok(peer_command("skopeo").args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{chart}"),
    ]));
    let digest = registry::digest(raw.stdout.as_bytes());
    let hex = &digest["sha256:".len()..];
    world.delete(&format!("{}/charts/advisoryhub:sha256-{hex}.sig", world.host()));
    world.delete(&format!("{}/charts/advisoryhub:sha256-{hex}", world.host()));
    fails(&world.verify(WORKFLOW), "chart signature");

    // The chart re-pushed with other bytes under its version.
    let values = world.repo.path().join("charts/advisoryhub/values.yaml");
    std::fs::write(&values, format!("{}\n# changed\n", std::fs::read_to_string(&values).unwrap_or_default()))
        .expect("write");
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_oci-publish"));
    command
        .args(["chart", "push"])
        .arg(world.repo.path().join("charts/advisoryhub"))
        .arg(format!("oci://{}/charts", world.host()));
    run_ok(world.env(&mut command));
    fails(&world.verify(WORKFLOW), "manifest artifacts");

    // An artifact the manifest lists is gone: the image.
    let image = run_ok(peer_command("skopeo").args([
        "inspect",
        "--tls-verify=false",
        "--format",
        "{{.Digest}}",
        &format!("docker://{}/example/advisoryhub:0.1.0", world.host()),
    ]))
    .stdout
    .trim()
    .to_owned();
    world.delete(&format!("{}/example/advisoryhub@{image}", world.host()));
    let gone = world.verify(WORKFLOW);
    fails(&gone, "manifest artifacts");
    assert!(gone.stdout.contains("image"), "{}", gone.stdout);

    // The tag moved (signed) to a commit whose chart says another version: lockstep fails at the tag.
    let chart_yaml = world.repo.path().join("charts/advisoryhub/Chart.yaml");
    let text =
        std::fs::read_to_string(&chart_yaml).expect("Chart.yaml").replace("version: 0.1.0", "version: 0.1.1");
    std::fs::write(&chart_yaml, text).expect("write");
    world.git(&["commit", "-qam", "chore: chart 0.1.1"]);
    world.sign_tag("HEAD");
    let moved = world.verify(WORKFLOW);
    fails(&moved, "versions at the tag");
    assert!(moved.stdout.contains("ok   signed tag:"), "still signed: {}", moved.stdout);
}

fn retag(world: &World, extra: &[&str]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
    command.args(["retag", "v0.1.0", "--github", "acme/advisoryhub", "--charts"]);
    command
        .arg(format!("oci://{}/charts", world.host()))
        .arg("--image")
        .arg(format!("{}/example/advisoryhub", world.host()));
    command.args(extra).arg("--repo").arg(world.repo.path());
    run(world.env(&mut command))
}

/// The tags of `repository`, as skopeo lists them (none when the registry forgot the repository).
fn tags(host: &str, repository: &str) -> Vec<String> {
    let listed = run(peer_command("skopeo").args([
        "list-tags",
        "--tls-verify=false",
        &format!("docker://{host}/{repository}"),
    ]));
    serde_json::from_str::<serde_json::Value>(&listed.stdout)
        .ok()
        .and_then(|v| {
            v["Tags"].as_array().map(|t| t.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
        })
        .unwrap_or_default()
}

/// Uses the real registry and git, and stand-ins for GitHub, Fulcio, Rekor and the OIDC service.
/// `retag --dry-run` prints the ordered plan and changes nothing; `retag` leaves no release, tag,
/// version or signature tag; a second run does nothing and says so. An immutable release is refused
/// before anything is deleted.
#[test]
fn retag_removes_everything_in_order_and_a_rerun_is_a_no_op() {
    let world = World::published();
    assert!(tags(world.host(), "charts/advisoryhub").iter().any(|t| t.ends_with(".sig")), "signed before");
    // `latest` names the same image: it goes too, and the plan says so.
    run_ok(peer_command("skopeo").args([
        "copy",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        &format!("docker://{}/example/advisoryhub:0.1.0", world.host()),
        &format!("docker://{}/example/advisoryhub:latest", world.host()),
    ]));
    let plan = retag(&world, &["--dry-run"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stderr.contains("shares its digest with the tag latest"), "{}", plan.stderr);
    let lines: Vec<&str> = plan.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", plan.stdout);
    for (line, (number, what)) in lines.iter().zip([
        ("1.", "delete the GitHub release"),
        ("2.", "delete the remote tag v0.1.0"),
        ("3.", "delete the local tag v0.1.0"),
        ("4.", "example/advisoryhub:0.1.0"),
        ("5.", "charts/advisoryhub:0.1.0"),
    ]) {
        assert!(
            line.trim_start().starts_with(number) && line.contains(what) && line.ends_with("to delete"),
            "{line}"
        );
    }
    assert!(lines[4].contains(".sig"), "the chart's signature tags go with it: {}", lines[4]);
    assert!(world.github.release_state("v0.1.0").is_some(), "a dry run deletes nothing");

    let done = retag(&world, &[]);
    assert_eq!(done.code, 0, "{}\n{}", done.stdout, done.stderr);
    assert_eq!(done.stdout.matches(": deleted").count(), 5, "{}", done.stdout);
    assert!(world.github.release_state("v0.1.0").is_none());
    assert!(!world.github.has_tag("v0.1.0"));
    assert!(world.git(&["tag", "-l", "v0.1.0"]).trim().is_empty());
    assert!(
        tags(world.host(), "charts/advisoryhub").is_empty(),
        "{:?}",
        tags(world.host(), "charts/advisoryhub")
    );
    assert!(
        tags(world.host(), "example/advisoryhub").is_empty(),
        "{:?}",
        tags(world.host(), "example/advisoryhub")
    );

    let again = retag(&world, &[]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("nothing to do"), "{}", again.stdout);
    assert_eq!(again.stdout.matches(": already gone").count(), 5, "{}", again.stdout);

    let immutable = World::published();
    immutable.github.make_immutable("v0.1.0");
    let refused = retag(&immutable, &[]);
    assert_eq!(refused.code, 1, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("immutable") && refused.stderr.contains("nothing was deleted"),
        "{}",
        refused.stderr
    );
    assert!(immutable.github.has_tag("v0.1.0") && !immutable.git(&["tag", "-l", "v0.1.0"]).trim().is_empty());
}

/// Uses the real registry and git, and stand-ins for GitHub, Fulcio, Rekor and the OIDC service.
/// `publish` interrupted at every boundary of the GitHub release (a failure after each write: the
/// draft, each upload, the publication), then run again, ends as an uninterrupted run: the same
/// assets and bytes, the same body, no duplicate asset.
#[test]
fn publish_interrupted_anywhere_finishes_on_a_rerun() {
    let reference = World::published();
    let expected = reference.release_state();
    let writes = reference.github.requests().iter().filter(|r| r.method != "GET").count();
    assert_eq!(writes, 7, "a draft, five uploads and the publication");
    for allowed in 0..writes {
        let world = World::new();
        world.github.fail_writes_after(allowed);
        let interrupted = world.publish();
        assert_eq!(interrupted.code, 1, "after {allowed} writes: {}", interrupted.stderr);
        assert!(interrupted.stderr.contains("step 6 (GitHub release)"), "{}", interrupted.stderr);
        if allowed > 0 {
            assert!(interrupted.stderr.contains("run again to finish"), "{}", interrupted.stderr);
        }
        world.github.heal();
        let finished = world.publish();
        assert_eq!(finished.code, 0, "after {allowed} writes: {}\n{}", finished.stdout, finished.stderr);
        assert_eq!(world.release_state(), expected, "after {allowed} writes");
    }
}

/// Uses the real registry and git, and stand-ins for GitHub, Fulcio, Rekor and the OIDC service.
/// `publish` interrupted between pushing the chart and signing it (Fulcio unreachable) fails at step
/// 4 with the chart pushed and nothing on GitHub; run again, it signs and finishes as an
/// uninterrupted run.
#[test]
fn publish_interrupted_before_signing_finishes_on_a_rerun() {
    let reference = World::published();
    let expected = reference.release_state();
    let world = World::new();
    let unreachable = tempfile::tempdir().expect("tempdir");
    let config = unreachable.path().join("signing_config.json");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let closed = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    std::fs::write(
        &config,
        serde_json::json!({
            "caUrls": [{"url": closed, "majorApiVersion": 1}],
            "rekorTlogUrls": [{"url": closed, "majorApiVersion": 1}]
        })
        .to_string(),
    )
    .expect("write");
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
    command
        .args(["publish", "--charts", &format!("oci://{}/charts", world.host()), "--image"])
        .arg(format!("{}/example/advisoryhub", world.host()))
        .args(["--tag", "v0.1.0", "--github", "acme/advisoryhub", "--timeout", "10s", "--sign", "keyless"])
        .args(["--identity-token", &world.oidc.token("sigstore"), "--signing-config"])
        .arg(&config)
        .arg("--trusted-root")
        .arg(world.sigstore.trusted_root())
        .arg("--repo")
        .arg(world.repo.path());
    let interrupted = run(world.env(&mut command));
    assert_eq!(interrupted.code, 1, "{}\n{}", interrupted.stdout, interrupted.stderr);
    assert!(
        interrupted.stderr.contains("step 4") && interrupted.stderr.contains("Fulcio"),
        "{}",
        interrupted.stderr
    );
    assert!(tags(world.host(), "charts/advisoryhub").contains(&"0.1.0".to_owned()), "the chart was pushed");
    assert!(world.github.release_state("v0.1.0").is_none(), "nothing on GitHub yet");
    let finished = world.publish();
    assert_eq!(finished.code, 0, "{}\n{}", finished.stdout, finished.stderr);
    assert!(finished.stdout.contains("  signed: "), "{}", finished.stdout);
    assert_eq!(world.release_state(), expected);
}

/// Uses the real registry and git, and stand-ins for GitHub, Fulcio, Rekor and the OIDC service.
/// A retag interrupted after deleting the GitHub release (the remote tag's deletion fails) says what
/// it did and what remains; run again, it finishes, skipping what is already gone.
#[test]
fn an_interrupted_retag_finishes_on_a_rerun() {
    let world = World::published();
    world.github.fail_writes_after(1);
    let interrupted = retag(&world, &[]);
    assert_eq!(interrupted.code, 1, "{}\n{}", interrupted.stdout, interrupted.stderr);
    assert!(interrupted.stderr.contains("done: delete the GitHub release"), "{}", interrupted.stderr);
    assert!(interrupted.stderr.contains("remaining: delete the remote tag v0.1.0"), "{}", interrupted.stderr);
    assert!(interrupted.stderr.contains("run retag again to finish"), "{}", interrupted.stderr);
    assert!(world.github.release_state("v0.1.0").is_none() && world.github.has_tag("v0.1.0"));
    world.github.heal();
    let finished = retag(&world, &[]);
    assert_eq!(finished.code, 0, "{}\n{}", finished.stdout, finished.stderr);
    assert!(
        finished.stdout.contains("delete the GitHub release of v0.1.0: already gone"),
        "{}",
        finished.stdout
    );
    assert_eq!(finished.stdout.matches(": deleted").count(), 4, "{}", finished.stdout);
    assert!(!world.github.has_tag("v0.1.0") && world.git(&["tag", "-l", "v0.1.0"]).trim().is_empty());
    assert!(tags(world.host(), "charts/advisoryhub").is_empty());
}
