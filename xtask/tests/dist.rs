//! Issue 23: `cargo xtask dist` makes what a release ships for this machine's target, and it installs
//! the way users install it. The archive holds the six binaries, README.md and both licenses
//! (GNU tar lists it, GNU sha256sum checks checksums.txt); the wheel installs with the real uv, with
//! no network (`--offline --no-index`), into a fresh venv and as a uv tool; from that install alone,
//! with no cargo on PATH, the six binaries answer `--version` and `tagwright release` cuts a release
//! that git verifies.

use std::path::{Path, PathBuf};

use tagwright_test_support::{
    Run, SshAgent, cargo_bin, fixture, peer, peer_command, public_key, run, run_ok, ssh_keygen,
    workspace_root,
};

const BINARIES: [&str; 6] =
    ["tagwright", "version-check", "checksum", "release-notes", "oci-publish", "attest"];

fn dist(out: &Path) -> (PathBuf, PathBuf) {
    let mut command = cargo_bin(env!("CARGO_BIN_EXE_xtask"));
    command.args(["dist", "--profile", "dev", "--sdist", "--out"]).arg(out);
    let made = run(&mut command);
    assert_eq!(made.code, 0, "{}\n{}", made.stdout, made.stderr);
    let find = |suffix: &str| {
        std::fs::read_dir(out)
            .expect("out")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| {
                p.to_string_lossy().ends_with(suffix)
                    && p.to_string_lossy().contains("-linux-") == (suffix == ".tar.gz")
            })
            .unwrap_or_else(|| panic!("no *{suffix} in {}", made.stdout))
    };
    (find(".tar.gz"), find(".whl"))
}

/// uv, with no network and no Python download, its cache and tool directories in `dir`.
fn uv(dir: &Path) -> std::process::Command {
    let mut command = peer_command("uv");
    command
        .env("UV_OFFLINE", "1")
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("UV_CACHE_DIR", dir.join("uv-cache"))
        .env("UV_TOOL_DIR", dir.join("uv-tools"))
        .env("UV_TOOL_BIN_DIR", dir.join("bin"));
    command
}

fn version_line(program: &Path) -> Run {
    run(std::process::Command::new(program).arg("--version").env_clear().env("PATH", "/usr/bin:/bin"))
}

#[test]
fn the_wheel_and_the_archive_install_and_release_without_cargo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("dist");
    let (archive, wheel) = dist(&out);

    // The archive: the binaries, README.md and the licenses, under one directory; checksums hold.
    let name = archive.file_name().expect("name").to_string_lossy().trim_end_matches(".tar.gz").to_owned();
    assert!(name.starts_with("tagwright-0.1.0-") && name.ends_with("-linux-gnu"), "{name}");
    let listing = run_ok(peer_command("tar").arg("-tzvf").arg(&archive)).stdout;
    for entry in BINARIES.iter().chain(&["LICENSE-APACHE", "LICENSE-MIT", "README.md"]) {
        assert!(listing.lines().any(|l| l.ends_with(&format!("{name}/{entry}"))), "{entry}: {listing}");
    }
    assert!(listing.lines().all(|l| l.contains("0/0")), "owned by 0:0: {listing}");
    run_ok(peer_command("sha256sum").args(["--check", "--strict", "checksums.txt"]).current_dir(&out));

    // cargo-binstall's metadata names this archive and these binaries.
    let manifest =
        std::fs::read_to_string(workspace_root().join("crates/cli/Cargo.toml")).expect("Cargo.toml");
    let target = name.trim_start_matches("tagwright-0.1.0-");
    let expand = |key: &str| {
        let line = manifest.lines().find(|l| l.starts_with(&format!("{key} = "))).expect("binstall key");
        line.split_once(" = ")
            .expect("=")
            .1
            .trim_matches('"')
            .replace("{ version }", "0.1.0")
            .replace("{ target }", target)
    };
    assert_eq!(expand("pkg-url"), format!("{{ repo }}/releases/download/v0.1.0/{name}.tar.gz"));
    for program in BINARIES {
        let entry = expand("bin-dir").replace("{ bin }", program).replace("{ binary-ext }", "");
        assert!(listing.lines().any(|l| l.ends_with(&entry)), "{entry}: {listing}");
    }

    // The sdist: the Python metadata, the licenses, and the crates the wheel is built from.
    let sdist = out.join("tagwright-0.1.0.tar.gz");
    let sdist_listing = run_ok(peer_command("tar").arg("-tzf").arg(&sdist)).stdout;
    for entry in ["pyproject.toml", "LICENSE-MIT", "LICENSE-APACHE", "crates/cli/Cargo.toml", "PKG-INFO"] {
        assert!(
            sdist_listing.lines().any(|l| l == format!("tagwright-0.1.0/{entry}")),
            "{entry}: {sdist_listing}"
        );
    }

    // The wheel's platform tag is one PyPI takes (manylinux_2_NN, not linux_x86_64).
    let wheel_name = wheel.file_name().expect("name").to_string_lossy().into_owned();
    assert!(wheel_name.starts_with("tagwright-0.1.0-py3-none-manylinux_2_"), "{wheel_name}");

    // Into a fresh venv, and as a uv tool, with no index and no network.
    let venv = dir.path().join("venv");
    run_ok(uv(dir.path()).args(["venv", "--quiet"]).arg(&venv));
    run_ok(
        uv(dir.path())
            .args(["pip", "install", "--quiet", "--offline", "--no-index", "--python"])
            .arg(&venv)
            .arg(&wheel),
    );
    run_ok(uv(dir.path()).args(["tool", "install", "--offline", "--no-index"]).arg(&wheel));
    for program in BINARIES {
        for bin in [venv.join("bin"), dir.path().join("bin")] {
            let answer = version_line(&bin.join(program));
            assert_eq!(
                (answer.code, answer.stdout.trim()),
                (0, format!("{program} 0.1.0").as_str()),
                "{}",
                bin.display()
            );
        }
    }
    let uvx = run_ok(
        uv(dir.path())
            .args(["tool", "run", "--offline", "--no-index", "--from"])
            .arg(&wheel)
            .args(["tagwright", "--version"]),
    );
    assert_eq!(uvx.stdout.trim(), "tagwright 0.1.0");

    // From the uv tool install alone (and uv, for the lock check): a signed release.
    let repo = fixture("make_advisoryhub.sh", &[]);
    let key = ssh_keygen(dir.path(), "id_ed25519", "ed25519", "");
    let allowed = dir.path().join("allowed_signers");
    std::fs::write(&allowed, format!("rel@example.com namespaces=\"git\" {}\n", public_key(&key)))
        .expect("write");
    for (name, value) in [("user.name", "Rel Eng"), ("user.email", "rel@example.com")] {
        run_ok(peer_command("git").current_dir(repo.path()).args(["config", name, value]));
    }
    let agent = SshAgent::start();
    agent.add(&key);
    let uv_dir = peer("uv").parent().expect("uv's dir").to_path_buf();
    let path = std::env::join_paths([dir.path().join("bin"), uv_dir, "/usr/bin".into(), "/bin".into()])
        .expect("PATH");
    assert!(std::env::split_paths(&path).all(|d| !d.join("cargo").exists()), "no cargo on {path:?}");
    let mut release = std::process::Command::new(dir.path().join("bin/tagwright"));
    release
        .env_clear()
        .env("PATH", &path)
        .env("HOME", dir.path())
        .env("SSH_AUTH_SOCK", agent.socket())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("UV_OFFLINE", "1")
        .env("UV_PYTHON_DOWNLOADS", "never")
        .args(["release", "0.2.0", "--offline", "--allowed-signers"])
        .arg(&allowed)
        .current_dir(repo.path().join("charts/advisoryhub"));
    let released = run(&mut release);
    assert_eq!(released.code, 0, "{}\n{}", released.stdout, released.stderr);
    let verify = run(peer_command("git").current_dir(repo.path()).args([
        "-c",
        &format!("gpg.ssh.allowedSignersFile={}", allowed.display()),
        "verify-tag",
        "v0.2.0",
    ]));
    assert_eq!(verify.code, 0, "{}", verify.stderr);
}
