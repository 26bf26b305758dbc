//! Issue 26: `tagwright verify OWNER/REPO@vX.Y.Z` with no clone, from an empty directory, with no
//! token: the tag, its signature and the files at it read through GitHub's REST API. Against the real
//! registry and real git (whose repository the GitHub stand-in serves, as GitHub serves a public
//! repository's git data), with stand-ins for GitHub's REST API, Fulcio, Rekor and the Actions OIDC
//! service (none of them can run here).

mod world;

use tagwright_github::Github;
use tagwright_release::CHECKS;
use tagwright_test_support::github::TOKEN;
use tagwright_test_support::github_git::GitFault;
use tagwright_test_support::{Run, cargo_bin, run, tree};
use world::{WORKFLOW, World, fails};

/// A published world whose repository the GitHub stand-in serves.
fn served(world: World) -> World {
    world.github.serve_git(world.repo.path());
    world
}

/// `tagwright verify acme/advisoryhub@v0.1.0 EXTRA…` from the empty directory `cwd`, anonymously,
/// with the stand-ins' trusted root (and issuer, unless a key is given); `cwd` must still be empty
/// after.
fn verify_remote(world: &World, cwd: &std::path::Path, extra: &[&str]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
    command.current_dir(cwd).args(["verify", "acme/advisoryhub@v0.1.0", "--trusted-root"]);
    command.arg(world.sigstore.trusted_root());
    if !extra.contains(&"--key") {
        command.args(["--certificate-oidc-issuer", &world.oidc.issuer()]);
    }
    command.args(extra);
    world.env(&mut command).env_remove("GITHUB_TOKEN").env_remove("GH_TOKEN");
    let out = run(&mut command);
    assert!(tree(cwd).is_empty(), "verify wrote into the directory it ran in: {:?}", tree(cwd).keys());
    out
}

fn allowed(world: &World) -> String {
    world.keys.path().join("allowed_signers").display().to_string()
}

fn client(world: &World) -> Github {
    Github::new(&world.github.url(), Some(TOKEN)).expect("client")
}

#[test]
fn a_keyless_release_verifies_from_an_empty_directory_with_no_token_in_few_requests() {
    // A release of 10 assets: the five `publish` makes, and five more attached with `--asset`.
    let world = World::new();
    let extra = tempfile::tempdir().expect("tempdir");
    let mut sign = vec!["--keyless".to_owned()];
    sign.extend(world.keyless().into_iter().skip(1));
    for i in 0..5 {
        let file = extra.path().join(format!("extra-{i}.txt"));
        std::fs::write(&file, format!("attached {i}\n")).expect("write");
        sign.extend(["--asset".to_owned(), file.display().to_string()]);
    }
    let published = world.publish_signed(&sign);
    assert_eq!(published.code, 0, "{}\n{}", published.stdout, published.stderr);
    let world = served(world);
    let cwd = tempfile::tempdir().expect("tempdir");
    let before = world.github.requests().len();
    let ok = verify_remote(&world, cwd.path(), &["--allowed-signers", &allowed(&world)]);
    assert_eq!(ok.code, 0, "{}\n{}", ok.stdout, ok.stderr);
    for check in CHECKS {
        assert!(ok.stdout.contains(&format!("ok   {check}:")), "{check}:\n{}", ok.stdout);
    }
    assert!(ok.stdout.contains("signed by rel@example.com"), "{}", ok.stdout);
    let requests: Vec<_> = world.github.requests()[before..].to_vec();
    assert!(requests.iter().all(|r| r.header("authorization").is_none()), "anonymous: no token was sent");
    let assets = client(&world)
        .release_by_tag("acme", "advisoryhub", "v0.1.0")
        .expect("lookup")
        .expect("release")
        .assets
        .len();
    // The ref, the tag object, the commit, its tree, the three version sources, the release, its
    // asset list, and one download per asset: 19 for 10 assets.
    assert_eq!(assets, 10);
    let paths: Vec<String> = requests.iter().map(|r| r.path.clone()).collect();
    assert!(requests.len() <= 20, "{} requests for {assets} assets: {paths:?}", requests.len());

    // The same document as in a clone.
    let json = verify_remote(&world, cwd.path(), &["--allowed-signers", &allowed(&world), "--json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    tagwright_test_support::assert_snapshot(
        "crates/cli/tests/snapshots/tagwright-verify.shape.json",
        &tagwright_test_support::json_shape(&json.stdout),
    );
    // Without an allowed-signers file: GitHub's verdict, said to be GitHub's.
    let githubs = verify_remote(&world, cwd.path(), &[]);
    assert_eq!(githubs.code, 0, "{}", githubs.stdout);
    assert!(
        githubs.stdout.contains("GitHub says the signature is verified (valid); GitHub's word"),
        "{}",
        githubs.stdout
    );
    world.github.know_signing_key(false);
    let unknown = verify_remote(&world, cwd.path(), &[]);
    fails(&unknown, "signed tag");
    assert!(unknown.stdout.contains("not verified (unknown_key)"), "{}", unknown.stdout);
    // The identity regexp as users give it, and another workflow's refused.
    world.github.know_signing_key(true);
    let regexp = verify_remote(&world, cwd.path(), &["--certificate-identity-regexp", WORKFLOW]);
    assert_eq!(regexp.code, 0, "{}", regexp.stdout);
    let other = verify_remote(
        &world,
        cwd.path(),
        &["--certificate-identity-regexp", r"^https://github\.com/acme/other/"],
    );
    fails(&other, "chart signature");
}

#[test]
fn a_key_signed_release_verifies_remotely_with_the_key() {
    let world = served(World::published_with_key());
    let cwd = tempfile::tempdir().expect("tempdir");
    let public = world.keys.path().join("cosign.pub").display().to_string();
    let ok = verify_remote(&world, cwd.path(), &["--allowed-signers", &allowed(&world), "--key", &public]);
    assert_eq!(ok.code, 0, "{}\n{}", ok.stdout, ok.stderr);
    for check in CHECKS {
        assert!(ok.stdout.contains(&format!("ok   {check}:")), "{check}:\n{}", ok.stdout);
    }
}

#[test]
fn a_moved_tag_fails_unsigned_or_at_another_version_and_an_added_asset_fails() {
    let world = served(World::published());
    let cwd = tempfile::tempdir().expect("tempdir");
    let args = ["--allowed-signers".to_owned(), allowed(&world)];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    // The tag moved, on the remote, to an unsigned tag object at the same commit.
    world.git(&["tag", "-a", "-f", "-m", "not signed", "v0.1.0", "HEAD"]);
    let unsigned = verify_remote(&world, cwd.path(), &args);
    fails(&unsigned, "signed tag");
    assert!(unsigned.stdout.contains("v0.1.0 is not signed"), "{}", unsigned.stdout);

    // The tag moved to a signed commit whose pyproject.toml says another version.
    let pyproject = world.repo.path().join("pyproject.toml");
    let text = std::fs::read_to_string(&pyproject).expect("pyproject");
    std::fs::write(&pyproject, text.replacen("version = \"0.1.0\"", "version = \"0.1.1\"", 1))
        .expect("write");
    world.git(&["commit", "-q", "-am", "fix: another version"]);
    world.sign_tag("HEAD");
    let moved = verify_remote(&world, cwd.path(), &args);
    fails(&moved, "versions at the tag");
    let line = moved.stdout.lines().find(|l| l.contains("versions at the tag")).expect("the line");
    assert!(line.contains("pyproject.toml") && line.contains("0.1.1"), "{line}");
    fails(&moved, "signed tag");
    assert!(moved.stdout.contains("release-manifest.json records"), "{}", moved.stdout);

    // An asset added to the release.
    world.git(&["reset", "-q", "--hard", "HEAD~1"]);
    world.sign_tag("HEAD");
    let github = client(&world);
    let release = github.release_by_tag("acme", "advisoryhub", "v0.1.0").expect("lookup").expect("release");
    github
        .upload_asset(&release, "extra.bin", "application/octet-stream", b"not in the manifest")
        .expect("upload");
    let added = verify_remote(&world, cwd.path(), &args);
    fails(&added, "release assets");

    // An asset replaced with other bytes under its name (the added one gone again).
    let release = github.release_by_tag("acme", "advisoryhub", "v0.1.0").expect("lookup").expect("release");
    for asset in release.assets.iter().filter(|a| a.name == "extra.bin" || a.name == "sbom.cdx.json") {
        github.delete_asset("acme", "advisoryhub", asset.id).expect("delete");
    }
    github
        .upload_asset(&release, "sbom.cdx.json", "application/json", b"{\"bomFormat\":\"CycloneDX\"}")
        .expect("upload");
    let replaced = verify_remote(&world, cwd.path(), &args);
    fails(&replaced, "release assets");
    fails(&replaced, "checksums");
}

#[test]
fn a_hostile_api_is_bounded_and_nothing_is_written() {
    let world = served(World::published());
    let cwd = tempfile::tempdir().expect("tempdir");
    let args = ["--allowed-signers".to_owned(), allowed(&world)];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let sha = "0123456789abcdef0123456789abcdef01234567";

    // Tree entries that are not plain paths: the tree is refused whole.
    for path in ["../outside", "a/../../b", "/etc/passwd", "dir//x"] {
        world.github.git_fault(GitFault::TreeEntry(
            serde_json::json!({"path": path, "mode": "100644", "type": "blob", "sha": sha, "size": 4}),
        ));
        let refused = verify_remote(&world, cwd.path(), &args);
        fails(&refused, "versions at the tag");
        assert!(refused.stdout.contains("is not a plain path"), "{path}: {}", refused.stdout);
        world.github.serve_git(world.repo.path());
    }

    // A blob answered with more bytes than the tree says: bounded, and refused.
    world.github.git_fault(GitFault::Blob(vec![b'x'; 8 << 20]));
    let huge = verify_remote(&world, cwd.path(), &args);
    fails(&huge, "versions at the tag");
    assert!(
        huge.stdout.contains("larger than") || huge.stdout.contains("bytes for a blob of"),
        "{}",
        huge.stdout
    );
    world.github.serve_git(world.repo.path());

    // Git data redirected elsewhere: not followed.
    world.github.git_fault(GitFault::Redirect("http://127.0.0.1:9/elsewhere".to_owned()));
    let redirected = verify_remote(&world, cwd.path(), &args);
    fails(&redirected, "signed tag");
    world.github.serve_git(world.repo.path());

    // A silent API: the deadline ends it.
    use tagwright_test_support::hostile::{Hostile, Reply};
    let silent = Hostile::start(|_| Reply::Silent);
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
    command.current_dir(cwd.path()).args(["verify", "acme/advisoryhub@v0.1.0", "--http-timeout", "2"]);
    world
        .env(&mut command)
        .env("GITHUB_API_URL", format!("http://{}", silent.host()))
        .env_remove("GITHUB_TOKEN");
    let started = std::time::Instant::now();
    let out = run(&mut command);
    fails(&out, "signed tag");
    assert!(out.stdout.contains("no answer within 2 s"), "{}", out.stdout);
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
    assert!(tree(cwd.path()).is_empty());

    // Usage: both forms at once, and a bare tag without a repository.
    let mut both = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
    both.current_dir(cwd.path()).args(["verify", "acme/advisoryhub@v0.1.0", "--github", "acme/advisoryhub"]);
    assert_eq!(run(world.env(&mut both)).code, 2);
    let mut bare = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
    bare.current_dir(cwd.path()).args(["verify", "v0.1.0"]);
    let bare = run(world.env(&mut bare));
    assert_eq!(bare.code, 2, "{}", bare.stderr);
    assert!(bare.stderr.contains("OWNER/REPO@v0.1.0"), "{}", bare.stderr);
}

/// The `sh` block after `heading` in the Markdown file `file` (relative to the workspace), one
/// command per line.
fn documented(file: &str, heading: &str) -> Vec<String> {
    let text = std::fs::read_to_string(tagwright_test_support::workspace_root().join(file)).expect("the doc");
    let section = text.split(heading).nth(1).expect("the section");
    let block = section.split("```sh\n").nth(1).and_then(|b| b.split("```").next()).expect("a sh block");
    block.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect()
}

/// The README's and AdvisoryHub's example README's commands, as a user types them, for this world's
/// repository (`acme/advisoryhub@v0.1.0`) and its stand-in trust root: each verifies, from an empty
/// directory.
#[test]
fn the_documented_commands_verify_a_release() {
    let world = served(World::published());
    let cwd = tempfile::tempdir().expect("tempdir");
    let mut commands = documented("README.md", "## Verify a release");
    commands.extend(documented("examples/advisoryhub/README.md", "## For AdvisoryHub's users"));
    assert_eq!(commands.len(), 3, "{commands:?}");
    let signers = allowed(&world);
    for command in &commands {
        let args: Vec<String> = command
            .split_whitespace()
            .map(|w| match w {
                "eclipse-csi/advisoryhub@v1.2.0" => "acme/advisoryhub@v0.1.0".to_owned(),
                "maintainers.allowed" => signers.clone(),
                other => other.to_owned(),
            })
            .collect();
        assert_eq!(args[0], "tagwright", "{command}");
        assert_eq!(args[1], "verify", "{command}");
        let rest: Vec<&str> =
            args[2..].iter().map(String::as_str).filter(|a| *a != "acme/advisoryhub@v0.1.0").collect();
        let out = verify_remote(&world, cwd.path(), &rest);
        assert_eq!(out.code, 0, "{command}:\n{}\n{}", out.stdout, out.stderr);
    }
}
