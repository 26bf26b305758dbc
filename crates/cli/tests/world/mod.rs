//! A release world for the `verify` tests: the fixture repository with its tag SSH-signed, the real
//! registry holding the release image, and stand-ins for GitHub's REST API, Fulcio, Rekor and the
//! Actions OIDC service (none of which can run here). Each test target that uses it takes what it
//! needs.

#![allow(dead_code)]

use tagwright_test_support::github::{GithubStandIn, TOKEN};
use tagwright_test_support::oidc::OidcStandIn;
use tagwright_test_support::registry::{self, LocalRegistry, Mode};
use tagwright_test_support::sigstore::SigstoreStandIn;
use tagwright_test_support::{Run, cargo_bin, fixture, peer_command, public_key, run, run_ok, ssh_keygen};

pub(crate) const WORKFLOW: &str = r"^https://github\.com/acme/advisoryhub/\.github/workflows/release\.yml@";

/// A release's draft flag and body, and its assets (name, digest).
pub(crate) type ReleaseState = (Option<(bool, Option<String>)>, Vec<(String, String)>);

pub(crate) struct World {
    pub(crate) registry: LocalRegistry,
    pub(crate) repo: tempfile::TempDir,
    pub(crate) keys: tempfile::TempDir,
    pub(crate) github: GithubStandIn,
    pub(crate) oidc: OidcStandIn,
    pub(crate) sigstore: SigstoreStandIn,
}

impl World {
    /// The fixture with its tag v0.1.0 SSH-signed, the release image in the registry (signed
    /// keylessly, as the image workflow does), and `tagwright publish --sign keyless --github`.
    pub(crate) fn published() -> World {
        let world = World::new();
        let published = world.publish();
        assert_eq!(published.code, 0, "{}\n{}", published.stdout, published.stderr);
        world
    }

    /// The same, up to (not including) `tagwright publish`.
    pub(crate) fn new() -> World {
        let world = World::new_unsigned();
        world.sign_image();
        world
    }

    /// The fixture with its tag signed and the release image pushed, not yet signed.
    pub(crate) fn new_unsigned() -> World {
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
        world
    }

    /// `attest sign` of the release image, keylessly, as the OIDC stand-in's current claims say.
    pub(crate) fn sign_image(&self) {
        let image = format!("{}/example/advisoryhub:0.1.0", self.host());
        let mut args = vec!["sign".to_owned(), image];
        args.extend(self.keyless());
        let signed = self.attest(&args);
        assert_eq!(signed.code, 0, "{}", signed.stderr);
    }

    /// The fixture, the image signed with a cosign key too, and `tagwright publish --key` of v0.1.0:
    /// the key pair is `keys/cosign.key` and `keys/cosign.pub`.
    pub(crate) fn published_with_key() -> World {
        let world = World::new();
        let (key, _) = world.generate_key("cosign");
        let image = format!("{}/example/advisoryhub:0.1.0", world.host());
        let signed = world.attest(&["sign".into(), image, "--key".into(), key.display().to_string()]);
        assert_eq!(signed.code, 0, "{}", signed.stderr);
        let published = world.publish_signed(&["--key".into(), key.display().to_string()]);
        assert_eq!(published.code, 0, "{}\n{}", published.stdout, published.stderr);
        world
    }

    /// `attest generate-key-pair` into `keys/PREFIX.key` and `keys/PREFIX.pub` (password
    /// `COSIGN_PASSWORD`, which [`World::env`] sets).
    pub(crate) fn generate_key(&self, prefix: &str) -> (std::path::PathBuf, std::path::PathBuf) {
        let base = self.keys.path().join(prefix);
        let made = self.attest(&[
            "generate-key-pair".into(),
            "--output-key-prefix".into(),
            base.display().to_string(),
        ]);
        assert_eq!(made.code, 0, "{}", made.stderr);
        (base.with_extension("key"), base.with_extension("pub"))
    }

    /// `tagwright publish --sign keyless --github acme/advisoryhub` of v0.1.0.
    pub(crate) fn publish(&self) -> Run {
        let mut sign = vec!["--sign".to_owned(), "keyless".to_owned()];
        sign.extend(self.keyless().into_iter().skip(1));
        self.publish_signed(&sign)
    }

    /// `tagwright publish SIGN… --github acme/advisoryhub` of v0.1.0.
    pub(crate) fn publish_signed(&self, sign: &[String]) -> Run {
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
        command
            .args(["publish", "--charts", &format!("oci://{}/charts", self.host()), "--image"])
            .arg(format!("{}/example/advisoryhub", self.host()))
            .args(["--tag", "v0.1.0", "--github", "acme/advisoryhub", "--timeout", "10s"])
            .args(sign)
            .arg("--repo")
            .arg(self.repo.path());
        run(self.env(&mut command))
    }

    /// The release as GitHub holds it: draft flag and body, and the assets (the manifest's bundle,
    /// which differs with every keyless signature, by name only).
    pub(crate) fn release_state(&self) -> ReleaseState {
        let all = self.github.assets_of("v0.1.0");
        let mut assets: Vec<(String, String)> = all
            .into_iter()
            .map(|(name, bytes)| {
                if name.ends_with(".sigstore.json") {
                    return (name, String::new());
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

    pub(crate) fn host(&self) -> &str {
        self.registry.host()
    }

    pub(crate) fn env<'a>(&self, command: &'a mut std::process::Command) -> &'a mut std::process::Command {
        command
            .env("HOME", self.keys.path())
            .env_remove("DOCKER_CONFIG")
            .env_remove("GH_TOKEN")
            .env("GITHUB_API_URL", self.github.url())
            .env("GITHUB_TOKEN", TOKEN)
            .env("SOURCE_DATE_EPOCH", "1767261600")
            .env("COSIGN_PASSWORD", "a test password")
    }

    /// `--keyless --identity-token T --signing-config C --trusted-root R`.
    pub(crate) fn keyless(&self) -> Vec<String> {
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

    pub(crate) fn attest(&self, args: &[String]) -> Run {
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_attest"));
        command.args(args);
        run(self.env(&mut command))
    }

    pub(crate) fn git(&self, args: &[&str]) -> String {
        let mut command = peer_command("git");
        command.current_dir(self.repo.path()).args(args);
        run_ok(self.env(&mut command)).stdout
    }

    /// (Re)makes v0.1.0 at `commit`, an annotated tag signed with the SSH key.
    pub(crate) fn sign_tag(&self, commit: &str) {
        let key = self.keys.path().join("id_ed25519");
        self.git(&["config", "user.email", "rel@example.com"]);
        self.git(&["config", "gpg.format", "ssh"]);
        self.git(&["config", "user.signingkey", key.to_str().expect("utf-8")]);
        self.git(&["tag", "-s", "-f", "-m", "Release v0.1.0\n\n- the notes", "v0.1.0", commit]);
    }

    /// `tagwright verify v0.1.0 --key K…` (and `EXTRA`).
    pub(crate) fn verify_with_keys(&self, keys: &[&std::path::Path], extra: &[&str]) -> Run {
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
        command.args(["verify", "v0.1.0", "--github", "acme/advisoryhub", "--allowed-signers"]);
        command.arg(self.keys.path().join("allowed_signers"));
        for key in keys {
            command.arg("--key").arg(key);
        }
        command.args(extra).arg("--repo").arg(self.repo.path());
        run(self.env(&mut command))
    }

    pub(crate) fn verify(&self, identity: &str) -> Run {
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_tagwright"));
        self.verify_args(&mut command, identity);
        run(self.env(&mut command))
    }

    /// [`World::verify`] under GNU time: the run, and the peak RSS in KiB.
    pub(crate) fn verify_measured(&self, identity: &str) -> (Run, u64) {
        let mut command = peer_command("/usr/bin/time");
        command.args(["-f", "%M"]).arg(env!("CARGO_BIN_EXE_tagwright"));
        self.verify_args(&mut command, identity);
        let out = run(self.env(&mut command));
        let peak = out.stderr.lines().last().and_then(|l| l.trim().parse().ok()).expect("GNU time's %M");
        (out, peak)
    }

    fn verify_args(&self, command: &mut std::process::Command, identity: &str) {
        command.args(["verify", "v0.1.0", "--github", "acme/advisoryhub", "--allowed-signers"]);
        command.arg(self.keys.path().join("allowed_signers"));
        command.args([
            "--certificate-identity-regexp",
            identity,
            "--certificate-oidc-issuer",
            &self.oidc.issuer(),
        ]);
        command.arg("--trusted-root").arg(self.sigstore.trusted_root()).arg("--repo").arg(self.repo.path());
    }

    pub(crate) fn delete(&self, reference: &str) {
        let mut command = cargo_bin(env!("CARGO_BIN_EXE_oci-publish"));
        command.args(["delete", reference]);
        let deleted = run(self.env(&mut command));
        assert_eq!(deleted.code, 0, "{}", deleted.stderr);
    }
}

#[track_caller]
pub(crate) fn fails(run: &Run, check: &str) {
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.lines().any(|l| l.trim_start().starts_with(&format!("FAIL {check}:"))),
        "{check} should fail:\n{}",
        run.stdout
    );
}
