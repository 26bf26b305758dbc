//! Issue 22: the `mise.toml` that docs/releasing.md shows, run as written with mise (from npm,
//! `@jdxcode/mise`) on the AdvisoryHub fixture, from its chart's directory: `mise run release-check`,
//! `mise run doctor` and `mise run release -- 0.2.0` give a signed release that git verifies. There
//! is no network here, so mise is told not to install the `[tools]` (`MISE_DISABLE_TOOLS`): it finds
//! uv and tagwright on PATH, where the installed binaries are.

mod release_world;

use std::path::{Path, PathBuf};

use release_world::Release;
use tagwright_test_support::{Run, node_peers, peer, peer_command, run, workspace_root};

/// The ```toml block of docs/releasing.md that holds `[tasks.release]`.
fn documented_mise_toml() -> String {
    let text = std::fs::read_to_string(workspace_root().join("docs/releasing.md")).expect("releasing.md");
    text.split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().expect("closed").to_owned())
        .find(|b| b.contains("[tasks.release]"))
        .expect("the documented mise.toml")
}

/// The tool names of `[tools]` (mise must not try to download them here).
fn tools(toml: &str) -> Vec<String> {
    let section = toml.split("[tools]\n").nth(1).expect("[tools]").split("\n[").next().expect("section");
    section
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(name, _)| name.trim().trim_matches('"').to_owned())
        .collect()
}

struct Mise {
    state: tempfile::TempDir,
    path: std::ffi::OsString,
    disabled: String,
}

impl Mise {
    fn new(toml: &str) -> Mise {
        let state = tempfile::tempdir().expect("tempdir");
        let bin = state.path().join("bin");
        std::fs::create_dir_all(&bin).expect("bin");
        for program in [env!("CARGO_BIN_EXE_tagwright"), env!("CARGO_BIN_EXE_version-check")] {
            let name = Path::new(program).file_name().expect("name");
            std::fs::copy(program, bin.join(name)).expect("install");
        }
        let uv = peer("uv");
        let mut dirs: Vec<PathBuf> = vec![bin, uv.parent().expect("uv's dir").to_path_buf()];
        dirs.push(node_peers().join("node_modules/.bin"));
        dirs.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from));
        Mise { path: std::env::join_paths(dirs).expect("PATH"), disabled: tools(toml).join(","), state }
    }

    fn run(&self, release: &Release, cwd: &Path, args: &[&str]) -> Run {
        let dir = |name: &str| self.state.path().join(name);
        let mut command = std::process::Command::new(node_peers().join("node_modules/.bin/mise"));
        command
            .env_clear()
            .env("PATH", &self.path)
            .env("HOME", &release.home)
            .env("SSH_AUTH_SOCK", release.agent.socket())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("UV_PYTHON_DOWNLOADS", "never")
            .env("UV_OFFLINE", "1")
            .env("MISE_DATA_DIR", dir("data"))
            .env("MISE_CACHE_DIR", dir("cache"))
            .env("MISE_STATE_DIR", dir("state"))
            .env("MISE_CONFIG_DIR", dir("config"))
            .env("MISE_TRUSTED_CONFIG_PATHS", release.dir())
            .env("MISE_DISABLE_TOOLS", &self.disabled)
            .env("MISE_OFFLINE", "1")
            .current_dir(cwd)
            .args(args);
        run(&mut command)
    }
}

#[test]
fn the_documented_mise_toml_cuts_a_signed_release_from_a_subdirectory() {
    let release = Release::new();
    let toml = documented_mise_toml();
    assert!(!toml.contains("rust"), "no task needs a Rust toolchain: {toml}");
    std::fs::write(release.dir().join("mise.toml"), &toml).expect("write");
    std::fs::create_dir_all(release.dir().join(".github")).expect("mkdir");
    std::fs::copy(&release.allowed, release.dir().join(".github/allowed_signers")).expect("copy");
    release.git(&["config", "gpg.format", "ssh"]);
    release.git(&["config", "gpg.ssh.allowedSignersFile", ".github/allowed_signers"]);
    release.git(&["add", "mise.toml", ".github/allowed_signers"]);
    release.git(&["commit", "--quiet", "-m", "chore: mise tasks"]);

    let mise = Mise::new(&toml);
    let chart = release.dir().join("charts/advisoryhub");
    let check = mise.run(&release, &chart, &["run", "release-check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert!(check.stdout.contains("ok: 4 sources agree on 0.1.0"), "{}", check.stdout);
    let doctor = mise.run(&release, &chart, &["run", "doctor"]);
    assert_eq!(doctor.code, 0, "{}\n{}", doctor.stdout, doctor.stderr);

    let cut = mise.run(&release, &chart, &["run", "release", "--", "0.2.0"]);
    assert_eq!(cut.code, 0, "{}\n{}", cut.stdout, cut.stderr);
    assert!(cut.stdout.contains("tag:    good signature by rel@example.com"), "{}", cut.stdout);
    let verified = run(peer_command("git")
        .current_dir(release.dir())
        .env("HOME", &release.home)
        .args(["verify-tag", "v0.2.0"]));
    assert_eq!(verified.code, 0, "{}", verified.stderr);
    assert_eq!(release.git(&["log", "-1", "--format=%s"]).trim(), "chore(release): v0.2.0");
}
