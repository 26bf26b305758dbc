//! `cargo xtask demo`: the main job on embedded defaults.
//!
//! Builds an AdvisoryHub-shaped repository in a temporary directory (pyproject.toml, the uv.lock that uv
//! wrote for it, a commented Chart.yaml and a short conventional-commit history), then runs the release
//! flow on it: the version gate, then `cargo xtask release` with a throwaway key (bump, re-sync, gate,
//! notes, signed commit and tag, verification), git's own verification of the result, and the chart
//! packaged, pushed to an OCI layout (or a registry given with `--registry`) and pulled back. It needs
//! no network, no registry and no key of the user's.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use tagwright_cli::out;
use tagwright_oci_publish::{Publisher, RegistryOptions, Silent, Target};
use tagwright_versions::{Status, check, read};

use crate::{check_failed, cmd};

/// Arguments of `cargo xtask demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Build the demo repository here instead of a new temporary directory (it must not exist yet).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The version the demo releases.
    #[arg(long, default_value = "0.2.0")]
    version: String,
    /// Push the chart to this registry namespace (such as oci://127.0.0.1:5000/charts) instead of an
    /// OCI layout beside the repository.
    #[arg(long, value_name = "OCI_REF")]
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

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let new = tagwright_release::parse_version(&args.version)?;
    let dir = match &args.dir {
        Some(dir) => {
            if dir.exists() {
                bail!("{}: already exists; the demo builds a new repository", dir.display());
            }
            std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
            dir.clone()
        }
        None => tempfile::Builder::new()
            .prefix("tagwright-demo-")
            .tempdir()
            .context("cannot create a temporary directory")?
            .keep(),
    };
    out(&format!("tagwright demo: an AdvisoryHub-shaped repository in {}\n\n", dir.display()));

    step(
        1,
        "create the repository: pyproject.toml, uv.lock, charts/advisoryhub/Chart.yaml, a conventional history",
    );
    write_files(&dir)?;
    make_history(&dir)?;
    out(&String::from_utf8_lossy(&cmd::output(git(&dir).args(["log", "--oneline", "--decorate"]))?.stdout));

    step(2, "the version gate: every recorded version must agree");
    gate(&dir, None)?;

    let keys = sibling(&dir, "keys");
    step(3, &format!("a throwaway ed25519 signing key in {}, and an allowed-signers file", keys.display()));
    std::fs::create_dir_all(&keys).with_context(|| format!("{}: cannot create", keys.display()))?;
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
        cmd::output(git(&dir).args(["config", name, value]))?;
    }
    out(&format!("{public}\n"));

    step(
        4,
        &format!(
            "cargo xtask release {new} --repo {} --allowed-signers {}",
            dir.display(),
            allowed.display()
        ),
    );
    let mut release = tagwright_release::ReleaseOptions::new(&dir, new.clone());
    release.allowed_signers = Some(allowed.clone());
    let progress = tagwright_cli::flows::Progress::new("xtask", false);
    let report = tagwright_release::release(&release, std::sync::Arc::new(progress))?;
    out(&tagwright_cli::flows::review(&report, &dir, Some(&allowed)));

    step(5, "what git itself says about the release");
    let allowed_option = format!("gpg.ssh.allowedSignersFile={}", allowed.display());
    let tag = tagwright_versions::TagFormat::default().render(&new);
    if cmd::on_path("ssh-keygen") {
        for args in [&["verify-tag", tag.as_str()][..], &["verify-commit", "HEAD"]] {
            let mut command = git(&dir);
            command.arg("-c").arg(&allowed_option).args(args);
            let output = command.output().context("cannot run git")?;
            out(&format!("$ git {}\n{}", args.join(" "), String::from_utf8_lossy(&output.stderr)));
            if !output.status.success() {
                return Err(check_failed(format!("git {} failed", args.join(" "))));
            }
        }
    } else {
        out(
            "ssh-keygen is not installed, so git cannot verify SSH signatures here (`cargo xtask setup` installs it); tagwright verified both above\n",
        );
    }
    out(&String::from_utf8_lossy(
        &cmd::output(git(&dir).args(["log", "--oneline", "--decorate", "-3"]))?.stdout,
    ));

    let oci = sibling(&dir, "oci");
    let target = match &args.registry {
        Some(registry) => Target::parse(registry)?,
        None => Target::parse(&format!("oci-layout:{}", oci.join("layout").display()))?,
    };
    step(
        6,
        &format!("package charts/advisoryhub, push it to {target} with Helm's media types, and pull it back"),
    );
    publish_chart(&dir.join("charts/advisoryhub"), &target, &oci)?;

    let pushed =
        if args.registry.is_some() { "only the chart was pushed" } else { "nothing left this machine" };
    out(&format!(
        "\ndone: {} holds the signed release {tag}, and its chart is in {target}; {pushed}. Look around with\n  cd {}\n",
        dir.display(),
        dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// `<dir>-<suffix>`, beside the demo repository.
fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    dir.with_file_name(format!(
        "{}-{suffix}",
        dir.file_name().map_or_else(|| "demo".into(), |n| n.to_string_lossy().into_owned())
    ))
}

/// Packages and pushes the chart, pulls it back into `<oci>/pulled`, and checks the round trip.
fn publish_chart(chart: &Path, target: &Target, oci: &Path) -> Result<()> {
    let publisher = Publisher::new(RegistryOptions::default(), Arc::new(Silent));
    let pushed = publisher.push_chart(chart, target, false)?;
    out(&format!(
        "pushed {}
  digest   {}
",
        pushed.reference, pushed.digest
    ));
    out(&format!(
        "  config   {} {}
",
        pushed.config.media_type, pushed.config.digest
    ));
    for layer in &pushed.layers {
        out(&format!(
            "  layer    {} {} ({} bytes)
",
            layer.media_type, layer.digest, layer.size
        ));
    }
    let pulled = publisher.pull_chart(&Target::parse(&pushed.reference)?, &oci.join("pulled"))?;
    out(&format!(
        "pulled   {} ({})
",
        pulled.path.display(),
        pulled.digest
    ));
    if pulled.digest != pushed.digest
        || Some(&pulled.layer) != pushed.layers.iter().find(|l| l.digest == pulled.layer.digest)
    {
        return Err(check_failed("the chart pulled back differs from the chart pushed"));
    }
    out("ok: the chart pulled back has the pushed manifest and layer digests\n");
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
    let mut command = cmd::command("git", dir);
    command
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "AdvisoryHub Maintainer")
        .env("GIT_AUTHOR_EMAIL", "maintainer@example.com")
        .env("GIT_COMMITTER_NAME", "AdvisoryHub Maintainer")
        .env("GIT_COMMITTER_EMAIL", "maintainer@example.com");
    command
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
