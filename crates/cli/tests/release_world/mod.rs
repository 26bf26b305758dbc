//! The release tests' world: the AdvisoryHub fixture, a real ssh-agent holding an ed25519 key, an
//! allowed-signers file, and the `tagwright` binary run against them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use tagwright_test_support::{
    Run, SshAgent, assert_same_tree, cargo_bin, fixture, git_state, peer_command, public_key, run, run_ok,
    ssh_keygen,
};

pub(crate) struct Release {
    pub(crate) repo: tempfile::TempDir,
    pub(crate) keys: tempfile::TempDir,
    pub(crate) home: PathBuf,
    pub(crate) key: PathBuf,
    pub(crate) allowed: PathBuf,
    pub(crate) agent: SshAgent,
}

impl Release {
    /// The AdvisoryHub fixture, an ed25519 key loaded in a fresh agent, and an allowed-signers file.
    pub(crate) fn new() -> Release {
        let repo = fixture("make_advisoryhub.sh", &[]);
        let keys = tempfile::tempdir().expect("tempdir");
        let home = keys.path().join("home");
        std::fs::create_dir_all(&home).expect("home");
        let key = ssh_keygen(keys.path(), "id_ed25519", "ed25519", "");
        let allowed = keys.path().join("allowed_signers");
        std::fs::write(&allowed, format!("rel@example.com namespaces=\"git\" {}\n", public_key(&key)))
            .expect("write");
        let agent = SshAgent::start();
        agent.add(&key);
        let release = Release { repo, keys, home, key, allowed, agent };
        release.git(&["config", "user.name", "Rel Eng"]);
        release.git(&["config", "user.email", "rel@example.com"]);
        release
    }

    pub(crate) fn dir(&self) -> &Path {
        self.repo.path()
    }

    pub(crate) fn git(&self, args: &[&str]) -> String {
        run_ok(peer_command("git").current_dir(self.dir()).env("HOME", &self.home).args(args)).stdout
    }

    pub(crate) fn release(&self, args: &[&str]) -> Run {
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
        command.env("HOME", &self.home).env("SSH_AUTH_SOCK", self.agent.socket());
        command.arg("release").args(args).arg("--repo").arg(self.dir());
        run(&mut command)
    }

    /// `tagwright ARGS --repo DIR` (any subcommand), with the agent and HOME of this world.
    pub(crate) fn tagwright(&self, args: &[&str], dir: &Path) -> Run {
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
        command.env("HOME", &self.home).env("SSH_AUTH_SOCK", self.agent.socket());
        command.args(args).arg("--repo").arg(dir);
        run(&mut command)
    }

    /// A bare `origin` holding `main` and the tags, as a forge's repository would.
    pub(crate) fn origin(&self) -> PathBuf {
        let origin = self.keys.path().join("origin.git");
        run_ok(peer_command("git").args(["init", "--quiet", "--bare"]).arg(&origin));
        self.git(&["remote", "add", "origin", origin.to_str().expect("utf-8")]);
        self.git(&["push", "--quiet", "--follow-tags", "origin", "main"]);
        origin
    }

    /// Runs `git` in `dir` with this world's HOME.
    pub(crate) fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        run_ok(peer_command("git").current_dir(dir).env("HOME", &self.home).args(args)).stdout
    }

    pub(crate) fn release_signed(&self, version: &str) -> Run {
        self.release(&[version, "--allowed-signers", self.allowed.to_str().expect("utf-8")])
    }

    /// Asserts that a release fails and leaves refs, index, HEAD and working tree as they were.
    #[track_caller]
    pub(crate) fn fails_and_changes_nothing(&self, run: impl FnOnce(&Release) -> Run, expected: &str) {
        let before = git_state(self.dir());
        let out = run(self);
        assert_ne!(out.code, 0, "the release should fail: {}", out.stdout);
        assert!(out.stderr.contains(expected), "expected `{expected}` in:\n{}", out.stderr);
        assert_same_tree(&before, &git_state(self.dir()));
    }
}
