//! `cargo xtask demo`: the whole runbook, offline, on embedded defaults.
//!
//! In one temporary directory, with no network, no registry and no key of the user's, it releases an
//! AdvisoryHub-shaped project (pyproject.toml, uv.lock, a Helm chart, MkDocs docs, a conventional
//! history) the way the runbook does:
//!
//! 1. the cut: the version gate, then a bump, a signed commit and a signed tag (a throwaway key), which
//!    git itself verifies, pushed to a local bare remote;
//! 2. a tiny release image pushed to the embedded registry (OCI layouts served on 127.0.0.1; or a
//!    registry given with `--registry`) and signed keylessly, as the image workflow does;
//! 3. `tagwright publish`: the chart pushed and signed keylessly against the Sigstore stand-ins, the
//!    SBOM, the checksums and the signed release manifest, and the GitHub release on the GitHub
//!    stand-in; then again, to show that a re-run does nothing;
//! 4. `tagwright docs-deploy` to the bare remote's `gh-pages`, as mike lays it out;
//! 5. `tagwright verify`, every check green; then one tampered asset, and `verify` naming it.
//!
//! It runs the installed-to-be binaries (`cargo build --bins -p tagwright-cli`) as a user would, and
//! prints each command. It ends with a table of every artifact, its digest and where it lives.
//! GitHub, Fulcio, Rekor and the Actions OIDC service can't run here: the demo uses the same
//! stand-ins the tests use (each proved honest by a real client in the tests).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use tagwright_cli::out;
use tagwright_test_support::github::{GithubStandIn, TOKEN};
use tagwright_test_support::layout_registry::LayoutRegistry;
use tagwright_test_support::oidc::OidcStandIn;
use tagwright_test_support::sigstore::SigstoreStandIn;
use tagwright_versions::{Status, check, read};

use crate::{check_failed, cmd};

/// Arguments of `cargo xtask demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Build the demo here instead of a new temporary directory (it must not exist yet).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The version the demo releases.
    #[arg(long, default_value = "0.2.0")]
    version: String,
    /// Push the image and the chart to this registry (HOST:PORT, such as 127.0.0.1:5000) instead of
    /// the embedded one.
    #[arg(long, value_name = "HOST")]
    registry: Option<String>,
}

/// The embedded AdvisoryHub project: the same files the test fixtures start from.
const FILES: &[(&str, &str)] = &[
    ("pyproject.toml", include_str!("../../tests/fixtures/advisoryhub/pyproject.toml")),
    ("uv.lock", include_str!("../../tests/fixtures/advisoryhub/uv.lock")),
    ("README.md", include_str!("../../tests/fixtures/advisoryhub/README.md")),
    (".gitignore", include_str!("../../tests/fixtures/advisoryhub/.gitignore")),
    (
        "src/advisoryhub/__init__.py",
        include_str!("../../tests/fixtures/advisoryhub/src/advisoryhub/__init__.py"),
    ),
    (
        "libs/advisory-core/pyproject.toml",
        include_str!("../../tests/fixtures/advisoryhub/libs/advisory-core/pyproject.toml"),
    ),
    (
        "libs/advisory-core/src/advisory_core/__init__.py",
        include_str!("../../tests/fixtures/advisoryhub/libs/advisory-core/src/advisory_core/__init__.py"),
    ),
    (
        "charts/advisoryhub/Chart.yaml",
        include_str!("../../tests/fixtures/advisoryhub/charts/advisoryhub/Chart.yaml"),
    ),
    (
        "charts/advisoryhub/values.yaml",
        include_str!("../../tests/fixtures/advisoryhub/charts/advisoryhub/values.yaml"),
    ),
    (
        "charts/advisoryhub/.helmignore",
        include_str!("../../tests/fixtures/advisoryhub/charts/advisoryhub/.helmignore"),
    ),
    (
        "charts/advisoryhub/templates/deployment.yaml",
        include_str!("../../tests/fixtures/advisoryhub/charts/advisoryhub/templates/deployment.yaml"),
    ),
    ("mkdocs.yml", include_str!("../../tests/fixtures/docs-site/mkdocs.yml")),
    ("docs/index.md", include_str!("../../tests/fixtures/docs-site/docs/index.md")),
    ("docs/guide/install.md", include_str!("../../tests/fixtures/docs-site/docs/guide/install.md")),
    ("docs/guide/releasing.md", include_str!("../../tests/fixtures/docs-site/docs/guide/releasing.md")),
];

/// The demo history: (date, message, file to touch, line to append).
const HISTORY: &[(&str, &str, &str, &str)] = &[
    (
        "2026-01-06T10:00:00Z",
        "feat(api): add advisory search endpoint",
        "src/advisoryhub/search.py",
        "def search(q: str) -> list[str]:\n    return []\n",
    ),
    (
        "2026-01-07T10:00:00Z",
        "fix(chart): pull the release image by default",
        "charts/advisoryhub/values.yaml",
        "# image.tag stays empty: appVersion wins\n",
    ),
    (
        "2026-01-08T10:00:00Z",
        "docs: describe the release process",
        "README.md",
        "\nReleases are cut with `cargo xtask release`.\n",
    ),
];

/// The GitHub repository the demo releases to (on the stand-in).
const OWNER: &str = "acme";
const NAME: &str = "advisoryhub";
/// The identity the release workflow's keyless signatures carry (the stand-in's job claims).
const WORKFLOW: &str = r"^https://github\.com/acme/advisoryhub/\.github/workflows/release\.yml@";

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let new = tagwright_release::parse_version(&args.version)?;
    let tag = tagwright_versions::TagFormat::default().render(&new);
    let version = new.to_string();
    let bin = build_binaries()?;
    let started = Instant::now();
    let root = demo_root(args.dir.as_deref())?;
    let repo = root.join("repo");
    out(&format!(
        "tagwright demo: the whole runbook, offline, in {}\n  (below, $DEMO stands for that directory)\n",
        root.display()
    ));
    let origin = project(&root, &repo)?;
    let allowed = signing_key(&repo, &root.join("keys"))?;

    step(4, &format!("the cut: tagwright release {new} (bump, re-sync, gate, notes, signed commit and tag)"));
    // The services start here (and are introduced in step 5): the commands get their addresses.
    let github = GithubStandIn::start(OWNER, NAME);
    let oidc = OidcStandIn::start();
    let demo = Demo { root: root.clone(), bin, github, token: String::new() };
    cut(&demo, &repo, &version, &tag, &allowed)?;

    step(5, "the services: a registry, and stand-ins for GitHub, Fulcio, Rekor and the Actions OIDC issuer");
    let embedded = args.registry.is_none().then(|| LayoutRegistry::start(&root.join("registry")));
    let host = match (&args.registry, &embedded) {
        (Some(host), _) => host.clone(),
        (None, Some(registry)) => registry.host(),
        (None, None) => unreachable!("one of them is set"),
    };
    let sigstore = services(&demo, &oidc, &tag)?;
    let demo = Demo { token: oidc.token("sigstore"), ..demo };
    let registry_row = match &embedded {
        Some(_) => format!("{host}, serving the OCI layouts in $DEMO/registry"),
        None => format!("{host} (--registry)"),
    };
    let rows = vec![
        vec!["registry".to_owned(), registry_row],
        vec!["GitHub REST API (stand-in)".to_owned(), demo.github.url()],
        vec!["Fulcio (stand-in)".to_owned(), sigstore.fulcio_url()],
        vec!["Rekor (stand-in)".to_owned(), sigstore.rekor_url()],
        vec!["Actions OIDC issuer (stand-in)".to_owned(), oidc.issuer()],
    ];
    out(&tagwright_cli::table(&["service", "where"], &rows));

    let image_repo = format!("{host}/{OWNER}/{NAME}");
    let published = publish(&demo, &repo, &tag, &version, &host, &image_repo)?;
    deploy_docs(&demo, &repo, &origin, &version)?;
    verify_and_tamper(&demo, &repo, &tag, &allowed, &oidc.issuer())?;

    step(11, "what the release is made of");
    summary(&root, &repo, &origin, &tag, &version, &image_repo, &published)?;
    let elapsed = started.elapsed();
    out(&format!(
        "\ndone in {:.1} s after the build. Everything is in {dir}; look around with\n  git -C {dir}/repo -c gpg.ssh.allowedSignersFile={dir}/keys/allowed_signers log --show-signature -2\n  git -C {dir}/origin.git show gh-pages:versions.json\n  cat {dir}/github/release-manifest.json\n  (cd {dir}/github && sha256sum -c checksums.txt)\n  ls {dir}/registry/{OWNER}\n",
        elapsed.as_secs_f64(),
        dir = root.display()
    ));
    drop(embedded);
    Ok(ExitCode::SUCCESS)
}

/// The demo's directory: `--dir` (which must not exist yet), else a new temporary one that is kept.
fn demo_root(dir: Option<&Path>) -> Result<PathBuf> {
    let root = match dir {
        Some(dir) => {
            if dir.exists() {
                bail!("{}: already exists; the demo builds everything anew", dir.display());
            }
            std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
            std::fs::canonicalize(dir)?
        }
        None => tempfile::Builder::new()
            .prefix("tagwright-demo-")
            .tempdir()
            .context("cannot create a temporary directory")?
            .keep(),
    };
    for sub in ["repo", "keys", "home", "tmp", "sigstore", "github"] {
        std::fs::create_dir_all(root.join(sub))
            .with_context(|| format!("{}: cannot create", root.display()))?;
    }
    Ok(root)
}

/// Steps 1 and 2: the project, its history and its bare remote, and the version gate. Returns the
/// remote.
fn project(root: &Path, repo: &Path) -> Result<PathBuf> {
    step(1, "the project: pyproject.toml, uv.lock, a Helm chart, MkDocs docs and a conventional history");
    write_files(repo)?;
    make_history(repo)?;
    let origin = root.join("origin.git");
    cmd::output(git(root).args(["init", "--quiet", "--bare"]).arg(&origin))?;
    cmd::output(git(repo).args(["remote", "add", "origin"]).arg(&origin))?;
    out(&String::from_utf8_lossy(&cmd::output(git(repo).args(["log", "--oneline", "--decorate"]))?.stdout));

    step(2, "the version gate: every recorded version must agree");
    gate(repo, None)?;
    Ok(origin)
}

/// Step 3: a new signing key, configured in the repository. Returns the allowed-signers file.
fn signing_key(repo: &Path, keys: &Path) -> Result<PathBuf> {
    step(3, "a throwaway ed25519 signing key and an allowed-signers file, in $DEMO/keys");
    let key = keys.join("id_ed25519");
    let public = tagwright_git_sign::write_new_ed25519_key(&key, "maintainer@example.com")?;
    let allowed = keys.join("allowed_signers");
    std::fs::write(&allowed, format!("maintainer@example.com namespaces=\"git\" {public}\n"))
        .with_context(|| format!("{}: cannot write", allowed.display()))?;
    let key_path = key.to_string_lossy().into_owned();
    for (name, value) in [
        ("user.name", "AdvisoryHub Maintainer"),
        ("user.email", "maintainer@example.com"),
        ("user.signingkey", key_path.as_str()),
    ] {
        cmd::output(git(repo).args(["config", name, value]))?;
    }
    out(&format!("{public}\n"));
    Ok(allowed)
}

/// Step 4: `tagwright release`, git's own check of both signatures, and the push.
fn cut(demo: &Demo, repo: &Path, version: &str, tag: &str, allowed: &Path) -> Result<()> {
    let mut cut = demo.program("tagwright");
    cut.args(["release", version, "--repo"]).arg(repo).arg("--allowed-signers").arg(allowed);
    if !cmd::on_path("uv") {
        // A release refuses to skip `uv lock --check` unless told: the demo says so, as a user would.
        out(
            "uv is not installed here: the demo releases with --no-lock-check (tagwright then checks only uv.lock's root entry)\n",
        );
        cut.arg("--no-lock-check");
    }
    demo.run(&mut cut)?;
    let allowed_option = format!("gpg.ssh.allowedSignersFile={}", allowed.display());
    if cmd::on_path("ssh-keygen") {
        for args in [&["verify-tag", tag][..], &["verify-commit", "HEAD"]] {
            let output =
                git(repo).arg("-c").arg(&allowed_option).args(args).output().context("cannot run git")?;
            out(&format!("$ git {}\n{}", args.join(" "), String::from_utf8_lossy(&output.stderr)));
            if !output.status.success() {
                return Err(check_failed(format!("git {} failed", args.join(" "))));
            }
        }
    } else {
        out("ssh-keygen is not installed, so git cannot check SSH signatures here; tagwright checked both\n");
    }
    cmd::output(git(repo).args(["push", "--quiet", "origin", "main", tag]))?;
    out(&format!("$ git push origin main {tag}   (to the bare remote $DEMO/origin.git)\n"));
    Ok(())
}

/// Step 5: the OIDC claims of the release workflow, the Sigstore stand-in, and its trust files in
/// $DEMO/sigstore.
fn services(demo: &Demo, oidc: &OidcStandIn, tag: &str) -> Result<SigstoreStandIn> {
    for (claim, value) in [
        ("ref", format!("refs/tags/{tag}")),
        ("sub", format!("repo:{OWNER}/{NAME}:ref:refs/tags/{tag}")),
        ("workflow_ref", format!("{OWNER}/{NAME}/.github/workflows/release.yml@refs/tags/{tag}")),
        ("job_workflow_ref", format!("{OWNER}/{NAME}/.github/workflows/release.yml@refs/tags/{tag}")),
    ] {
        oidc.set_claim(claim, value.as_str());
    }
    let sigstore = SigstoreStandIn::start(oidc);
    demo.github.add_tag(tag);
    for (file, from) in
        [("signing-config.json", sigstore.signing_config()), ("trusted-root.json", sigstore.trusted_root())]
    {
        std::fs::copy(&from, demo.root.join("sigstore").join(file))
            .with_context(|| format!("{}", from.display()))?;
    }
    Ok(sigstore)
}

/// Steps 6 and 7: the image pushed and signed, then `tagwright publish`, twice. Returns the second
/// run's `--json` document.
fn publish(
    demo: &Demo,
    repo: &Path,
    tag: &str,
    version: &str,
    host: &str,
    image_repo: &str,
) -> Result<serde_json::Value> {
    step(6, "the release image: built, pushed and signed keylessly, as release-image.yml does");
    let image = demo.root.join("image");
    tagwright_test_support::registry::image_layout(&image, version, &["linux/amd64"], false, 0);
    demo.run(
        demo.program("oci-publish")
            .arg("copy")
            .arg(format!("oci-layout:{}:{version}", image.display()))
            .arg(format!("{image_repo}:{version}")),
    )?;
    demo.run(demo.program("attest").args(["sign", &format!("{image_repo}:{version}")]).args(demo.keyless()))?;

    let charts = format!("oci://{host}/{OWNER}/charts");
    let publish = |json: bool| {
        let mut command = demo.program("tagwright");
        command
            .args(["publish", "--repo"])
            .arg(repo)
            .args(["--tag", tag, "--registry", &charts, "--image", image_repo])
            .args(["--github", &format!("{OWNER}/{NAME}"), "--sign", "keyless", "--timeout", "30s"])
            .args(demo.keyless().into_iter().skip(1));
        if json {
            command.arg("--json");
        }
        command
    };
    step(
        7,
        "tagwright publish: gate, notes, wait for the image, the chart pushed and signed, the evidence, the GitHub release",
    );
    demo.run(&mut publish(false))?;
    out("\nAgain, as after a failure: every step observes what is there and does only what is missing.\n");
    let again = demo.capture(&mut publish(true), 0)?;
    let published: serde_json::Value = serde_json::from_slice(&again.stdout).context("publish --json")?;
    let up_to_date = published["github"]["up_to_date"].as_bool() == Some(true);
    let chart_state =
        if published["chart"]["unchanged"].as_bool() == Some(true) { "unchanged" } else { "pushed" };
    out(&format!(
        "  chart {chart_state}; GitHub release {}\n",
        if up_to_date { "up to date: nothing written" } else { "changed" }
    ));
    if !up_to_date {
        return Err(check_failed("the second publish wrote to the GitHub release"));
    }
    Ok(published)
}

/// Step 8: `tagwright docs-deploy`, built with MkDocs when it is installed.
fn deploy_docs(demo: &Demo, repo: &Path, origin: &Path, version: &str) -> Result<()> {
    step(8, "tagwright docs-deploy: the versioned docs on gh-pages, as mike lays them out");
    let mut deploy = demo.program("tagwright");
    deploy.args(["docs-deploy", version, "--repo"]).arg(repo);
    if cmd::on_path("mkdocs") {
        deploy.arg("--build");
    } else {
        let site = demo.root.join("site");
        render_site(repo, &site, version)?;
        out(
            "MkDocs is not installed (`cargo xtask setup` installs it with mike): deploying a site rendered by the demo\n",
        );
        deploy.arg("--site").arg(&site);
    }
    deploy.args(["--alias", "latest", "--set-default", "latest", "--push"]);
    demo.run(&mut deploy)?;
    let listing = cmd::output(git(&demo.root).arg("--git-dir").arg(origin).args(["ls-tree", "gh-pages"]))?;
    out(&format!(
        "$ git --git-dir $DEMO/origin.git ls-tree gh-pages\n{}",
        String::from_utf8_lossy(&listing.stdout)
    ));
    Ok(())
}

/// Steps 9 and 10: `tagwright verify`, then again after one asset is replaced on the release (the
/// assets are first saved in $DEMO/github).
fn verify_and_tamper(demo: &Demo, repo: &Path, tag: &str, allowed: &Path, issuer: &str) -> Result<()> {
    let client = tagwright_github::Github::new(&demo.github.url(), Some(TOKEN))?;
    let gh_release = client.release_by_tag(OWNER, NAME, tag)?.context("the GitHub release")?;
    for asset in &demo.github.assets_of(tag) {
        std::fs::write(demo.root.join("github").join(&asset.0), &asset.1)?;
    }
    let verify = || {
        let mut command = demo.program("tagwright");
        command
            .args(["verify", tag, "--repo"])
            .arg(repo)
            .args(["--github", &format!("{OWNER}/{NAME}"), "--allowed-signers"])
            .arg(allowed)
            .args(["--certificate-identity-regexp", WORKFLOW, "--certificate-oidc-issuer", issuer])
            .arg("--trusted-root")
            .arg(demo.root.join("sigstore/trusted-root.json"));
        command
    };
    step(9, "tagwright verify: everything a user would check");
    demo.run(&mut verify())?;

    step(10, "one tampered asset: sbom.cdx.json replaced on the release");
    let sbom = gh_release.assets.iter().find(|a| a.name == "sbom.cdx.json").context("sbom.cdx.json")?;
    client.delete_asset(OWNER, NAME, sbom.id)?;
    client.upload_asset(
        &gh_release,
        "sbom.cdx.json",
        "application/vnd.cyclonedx+json",
        br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}"#,
    )?;
    let caught = demo.capture(&mut verify(), 1)?;
    out(&String::from_utf8_lossy(&caught.stdout));
    out(&String::from_utf8_lossy(&caught.stderr));
    out("ok: verify exited 1 and named the checks that failed\n");
    Ok(())
}

/// Step 11's table: the tag, the image, the chart, each asset and the docs, with digests.
fn summary(
    root: &Path,
    repo: &Path,
    origin: &Path,
    tag: &str,
    version: &str,
    image_repo: &str,
    published: &serde_json::Value,
) -> Result<()> {
    let commit = cmd::output(git(repo).args(["rev-parse", &format!("{tag}^{{commit}}")]))?;
    let mut rows = vec![
        vec![
            tag.to_owned(),
            format!("commit {}", String::from_utf8_lossy(&commit.stdout).trim()),
            "$DEMO/repo, $DEMO/origin.git (SSH-signed tag)".to_owned(),
        ],
        vec![
            "image".to_owned(),
            published["image_digest"].as_str().unwrap_or_default().to_owned(),
            format!("{image_repo}:{version} (signed keylessly)"),
        ],
        vec![
            "chart".to_owned(),
            published["chart"]["digest"].as_str().unwrap_or_default().to_owned(),
            format!("{} (signed keylessly)", published["chart"]["reference"].as_str().unwrap_or_default()),
        ],
    ];
    let mut downloaded: Vec<_> = std::fs::read_dir(root.join("github"))?.collect::<Result<_, _>>()?;
    downloaded.sort_by_key(std::fs::DirEntry::file_name);
    for entry in downloaded {
        let name = entry.file_name().to_string_lossy().into_owned();
        let digest = tagwright_oci_publish::Digest::sha256(&std::fs::read(entry.path())?);
        rows.push(vec![
            name.clone(),
            digest.to_string(),
            format!("GitHub release {tag}; $DEMO/github/{name}"),
        ]);
    }
    let docs = cmd::output(git(root).arg("--git-dir").arg(origin).args(["rev-parse", "gh-pages"]))?;
    rows.push(vec![
        "docs".to_owned(),
        format!("commit {}", String::from_utf8_lossy(&docs.stdout).trim()),
        format!("$DEMO/origin.git gh-pages: {version}/, latest -> {version}, versions.json"),
    ]);
    out(&tagwright_cli::table(&["artifact", "digest", "where"], &rows)
        .replace(&root.display().to_string(), "$DEMO"));
    Ok(())
}

/// Builds the binaries the demo runs, as `cargo install --path crates/cli` would install them; returns
/// their directory.
fn build_binaries() -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let root = tagwright_test_support::workspace_root();
    out("building the tagwright binaries (cargo build --bins -p tagwright-cli)\n");
    cmd::run(
        Command::new(&cargo).args(["build", "--quiet", "--bins", "-p", "tagwright-cli"]).current_dir(&root),
    )?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    Ok(target.join("debug"))
}

/// The demo's directory, and the programs and services its commands use.
struct Demo {
    root: PathBuf,
    bin: PathBuf,
    github: GithubStandIn,
    token: String,
}

impl Demo {
    /// One of the built binaries, kept inside the demo's directory (HOME, TMPDIR) and away from the
    /// user's git, registry and GitHub configuration.
    fn program(&self, name: &str) -> Command {
        let mut command = Command::new(self.bin.join(name));
        command
            .current_dir(&self.root)
            .env("HOME", self.root.join("home"))
            .env("TMPDIR", self.root.join("tmp"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GITHUB_API_URL", self.github.url())
            .env("GITHUB_TOKEN", TOKEN)
            .env("SIGSTORE_ID_TOKEN", &self.token)
            .env("UV_CACHE_DIR", self.root.join("tmp/uv-cache"))
            .env("UV_OFFLINE", "1")
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("GH_TOKEN")
            .env_remove("DOCKER_CONFIG")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
            .env_remove("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
        command
    }

    /// `--keyless --signing-config … --trusted-root …` (the token comes from SIGSTORE_ID_TOKEN).
    fn keyless(&self) -> Vec<String> {
        vec![
            "--keyless".into(),
            "--signing-config".into(),
            self.root.join("sigstore/signing-config.json").display().to_string(),
            "--trusted-root".into(),
            self.root.join("sigstore/trusted-root.json").display().to_string(),
        ]
    }

    /// The command as a user would type it: `$DEMO` for the directory, the program's bare name.
    fn shown(&self, command: &Command) -> String {
        let bin = format!("{}/", self.bin.display());
        cmd::display(command).replacen(&bin, "", 1).replace(&self.root.display().to_string(), "$DEMO")
    }

    /// Prints and runs a command with its output on the terminal; fails unless it succeeds.
    fn run(&self, command: &mut Command) -> Result<()> {
        out(&format!("$ {}\n", self.shown(command)));
        let status = command.status().with_context(|| format!("cannot run {}", self.shown(command)))?;
        if !status.success() {
            return Err(check_failed(format!("`{}` failed ({status})", self.shown(command))));
        }
        Ok(())
    }

    /// Prints and runs a command, capturing its output; fails unless it exits with `code`.
    fn capture(&self, command: &mut Command, code: i32) -> Result<Output> {
        out(&format!("$ {}\n", self.shown(command)));
        let output = command.output().with_context(|| format!("cannot run {}", self.shown(command)))?;
        if output.status.code() != Some(code) {
            return Err(check_failed(format!(
                "`{}` exited {} (expected {code}): {}{}",
                self.shown(command),
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )));
        }
        Ok(output)
    }
}

/// A small site from the docs' Markdown, for a machine without MkDocs: one page per document, as
/// MkDocs lays out directory URLs.
fn render_site(repo: &Path, site: &Path, version: &str) -> Result<()> {
    for (source, target) in [
        ("docs/index.md", "index.html"),
        ("docs/guide/install.md", "guide/install/index.html"),
        ("docs/guide/releasing.md", "guide/releasing/index.html"),
    ] {
        let text = std::fs::read_to_string(repo.join(source))?;
        let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        let path = site.join(target);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(
            &path,
            format!(
                "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>AdvisoryHub {version}</title></head>\n<body><pre>{escaped}</pre></body></html>\n"
            ),
        )?;
    }
    std::fs::write(site.join("404.html"), "<!DOCTYPE html>\n<p>Not found.</p>\n")?;
    Ok(())
}

fn step(n: u32, title: &str) {
    out(&format!("\n== {n}. {title}\n"));
}

fn gate(dir: &Path, tag: Option<&str>) -> Result<()> {
    let inventory = read(dir)?;
    let report = check(&inventory, tag)?;
    let rows: Vec<Vec<String>> = report
        .sources
        .iter()
        .map(|r| {
            vec![
                r.record.file.clone(),
                r.record.field.clone(),
                r.record.line.to_string(),
                r.record.value.clone(),
            ]
        })
        .collect();
    out(&tagwright_cli::table(&["FILE", "FIELD", "LINE", "VALUE"], &rows));
    if report.status != Status::Ok {
        return Err(check_failed(report.problems().join("\n")));
    }
    let expected = report.expected.map(|v| v.to_string()).unwrap_or_default();
    out(&format!("ok: {} sources agree on {expected}\n", report.sources.len()));
    Ok(())
}

fn write_files(dir: &Path) -> Result<()> {
    for (path, contents) in FILES {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("{}: cannot create", parent.display()))?;
        }
        std::fs::write(&full, contents).with_context(|| format!("{}: cannot write", full.display()))?;
    }
    Ok(())
}

/// A git command in `dir` that ignores the user's and the system's configuration (signing, hooks).
fn git(dir: &Path) -> Command {
    cmd::git(dir, "AdvisoryHub Maintainer", "maintainer@example.com")
}

fn make_history(dir: &Path) -> Result<()> {
    if !cmd::on_path("git") {
        bail!("git is not installed; the demo needs it to build the repository's history");
    }
    let dated = |date: &str| {
        let mut command = git(dir);
        command.env("GIT_AUTHOR_DATE", date).env("GIT_COMMITTER_DATE", date);
        command
    };
    cmd::output(git(dir).args(["init", "--quiet", "--initial-branch=main"]))?;
    cmd::output(git(dir).args(["add", "-A"]))?;
    cmd::output(dated("2026-01-05T10:00:00Z").args([
        "commit",
        "--quiet",
        "-m",
        "feat: collect advisories from upstream feeds",
    ]))?;
    cmd::output(dated("2026-01-05T10:00:00Z").args(["tag", "-a", "v0.1.0", "-m", "Release v0.1.0"]))?;
    for (date, message, file, text) in HISTORY {
        let path = dir.join(file);
        let mut contents = std::fs::read_to_string(&path).unwrap_or_default();
        contents.push_str(text);
        std::fs::write(&path, contents).with_context(|| format!("{}: cannot write", path.display()))?;
        cmd::output(git(dir).args(["add", "-A"]))?;
        cmd::output(dated(date).args(["commit", "--quiet", "-m", message]))?;
    }
    Ok(())
}
