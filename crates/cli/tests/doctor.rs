//! Issue 22: `tagwright doctor` checks the whole setup before the first release, one line per check
//! with its fix, exit 0 only when a release would succeed. The signing setup is done by running
//! docs/signing.md's own commands. Real git, ssh-agent, uv and registry (htpasswd); GitHub's REST API
//! is the stand-in (it cannot run here).

mod release_world;

use release_world::Release;
use tagwright_test_support::github::{GithubStandIn, TOKEN};
use tagwright_test_support::registry::{self, LocalRegistry, Mode};
use tagwright_test_support::{Run, cargo_bin, peer_command, run, run_ok, workspace_root};

fn doctor(release: &Release, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
    command
        .env("HOME", &release.home)
        .env("SSH_AUTH_SOCK", release.agent.socket())
        .env_remove("DOCKER_CONFIG");
    command.envs(env.iter().copied()).arg("doctor").args(args).arg("--repo").arg(release.dir());
    run(&mut command)
}

#[track_caller]
fn check<'a>(out: &'a Run, name: &str, ok: bool) -> &'a str {
    let mark = if ok { "ok  " } else { "FAIL" };
    let prefix = format!("  {mark} {name}:");
    let at = out.stdout.find(&prefix).unwrap_or_else(|| panic!("`{prefix}` in:\n{}", out.stdout));
    &out.stdout[at..]
}

/// The ```sh blocks of docs/signing.md, in order.
fn signing_guide_blocks() -> Vec<String> {
    let text = std::fs::read_to_string(workspace_root().join("docs/signing.md")).expect("docs/signing.md");
    text.split("```sh\n").skip(1).map(|b| b.split("```").next().expect("closed").to_owned()).collect()
}

#[test]
fn doctor_names_each_missing_piece_with_its_fix_and_passes_once_the_guide_is_followed() {
    let release = Release::new();
    let before = doctor(&release, &[], &[]);
    assert_eq!(before.code, 1, "{}\n{}", before.stdout, before.stderr);
    assert!(
        check(&before, "gpg.format", false).contains("fix: git config gpg.format ssh"),
        "{}",
        before.stdout
    );
    assert!(check(&before, "allowed signers", false).contains("docs/signing.md"), "{}", before.stdout);
    check(&before, "signing key", true);
    check(&before, "version sources", true);
    check(&before, "uv.lock", true);
    check(&before, "release notes", true);
    check(&before, "remote", true);

    // docs/signing.md, step 1 by hand (ssh-keygen asks for a passphrase), then its steps 2 and 3 as written.
    let ssh = release.home.join(".ssh");
    std::fs::create_dir_all(&ssh).expect("mkdir");
    std::fs::copy(&release.key, ssh.join("release_ed25519")).expect("key");
    std::fs::copy(release.key.with_extension("pub"), ssh.join("release_ed25519.pub")).expect("pub");
    std::fs::create_dir_all(release.dir().join(".github")).expect("mkdir");
    let blocks = signing_guide_blocks();
    for block in &blocks[1..3] {
        let mut shell = peer_command("sh");
        shell.args(["-e", "-c", block]).current_dir(release.dir()).env("HOME", &release.home);
        run_ok(&mut shell);
    }
    let after = doctor(&release, &[], &[]);
    assert_eq!(after.code, 0, "{}\n{}", after.stdout, after.stderr);
    assert!(!after.stdout.contains("FAIL"), "{}", after.stdout);
    assert!(
        check(&after, "allowed signers", true).contains(".github/allowed_signers allows SHA256:"),
        "{}",
        after.stdout
    );
    // And the release it promised succeeds, signed as the guide set it up.
    let released = release.release(&["0.2.0"]);
    assert_eq!(released.code, 0, "{}\n{}", released.stdout, released.stderr);
    let verified = run(peer_command("git")
        .current_dir(release.dir())
        .env("HOME", &release.home)
        .args(["verify-tag", "v0.2.0"]));
    assert_eq!(verified.code, 0, "{}", verified.stderr);

    // A stale lock is caught, with its fix.
    let pyproject = release.dir().join("pyproject.toml");
    let text = std::fs::read_to_string(&pyproject).expect("read");
    std::fs::write(&pyproject, text.replace(">=3.11\"", ">=3.11.1\"")).expect("write");
    let stale = doctor(&release, &[], &[]);
    assert_eq!(stale.code, 1);
    assert!(check(&stale, "uv.lock", false).contains("run `uv lock`"), "{}", stale.stdout);
    assert!(check(&stale, "release branch", false).contains("modified: pyproject.toml"), "{}", stale.stdout);
}

#[test]
fn doctor_publish_checks_the_registry_the_github_token_and_the_oidc_token() {
    let release = Release::new();
    let registry = LocalRegistry::start(Mode::Htpasswd);
    let github = GithubStandIn::start("acme", "advisoryhub");
    let charts = format!("oci://{}/charts", registry.host());
    let args = ["--offline", "--publish", "--registry", &charts, "--github", "acme/advisoryhub"];
    let env = [("GITHUB_API_URL", github.url()), ("GITHUB_TOKEN", TOKEN.to_owned())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();

    // No registry credentials: refused by the registry, named.
    let out = doctor(&release, &args, &env);
    assert!(check(&out, "registry", false).contains(registry.host()), "{}", out.stdout);
    check(&out, "GitHub token", true);
    assert!(check(&out, "OIDC token", true).contains("not in GitHub Actions"), "{}", out.stdout);

    // docker's config.json with the registry's user: accepted.
    let auth = base64_encode(&format!("{}:{}", registry::USERNAME, registry::PASSWORD));
    let docker = release.home.join(".docker");
    std::fs::create_dir_all(&docker).expect("mkdir");
    std::fs::write(
        docker.join("config.json"),
        format!("{{\"auths\":{{\"{}\":{{\"auth\":\"{auth}\"}}}}}}", registry.host()),
    )
    .expect("write");
    let out = doctor(&release, &args, &env);
    assert!(check(&out, "registry", true).contains("push access to charts/advisoryhub"), "{}", out.stdout);
    assert!(!out.stdout.contains(registry::PASSWORD), "the password is never printed");

    // A token that may only read, and a job without id-token: write.
    github.read_only(true);
    let mut actions = env.clone();
    actions.push(("GITHUB_ACTIONS", "true"));
    let out = doctor(&release, &args, &actions);
    assert_eq!(out.code, 1);
    assert!(check(&out, "GitHub token", false).contains("contents: write"), "{}", out.stdout);
    assert!(check(&out, "OIDC token", false).contains("id-token: write"), "{}", out.stdout);
    let json = {
        let mut json_args = args.to_vec();
        json_args.push("--json");
        doctor(&release, &json_args, &actions)
    };
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("one JSON document");
    assert_eq!(doc["status"], "failed");
    tagwright_test_support::assert_snapshot(
        "crates/cli/tests/snapshots/tagwright-doctor.shape.json",
        &tagwright_test_support::json_shape(&json.stdout),
    );
    assert!(
        doc["checks"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["name"] == "OIDC token" && c["ok"] == false))
    );
}

/// `printf %s TEXT | base64 -w0`, as a user would make docker's `auth`.
fn base64_encode(text: &str) -> String {
    run_ok(peer_command("sh").args(["-c", "printf %s \"$1\" | base64 -w0", "sh", text])).stdout
}
