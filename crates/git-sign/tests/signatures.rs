//! Signing and verifying against the real tools: keys from `ssh-keygen`, a real `ssh-agent` with
//! `ssh-add`, and `git commit -S`, `git tag -s`, `git verify-commit`, `git verify-tag` with an SSH
//! allowed-signers file.

use std::path::{Path, PathBuf};
use std::process::Command;

use git2::{Oid, Repository, Signature, Time};
use tagwright_git_sign::{
    AllowedSigners, Signer, SignerError, SignerOptions, VerifyError, create_signed_commit, create_signed_tag,
    verify_commit, verify_tag,
};
use tagwright_test_support::{SshAgent, peer_command, public_key, run, run_ok, ssh_keygen};

struct Fixture {
    dir: tempfile::TempDir,
    repo: PathBuf,
    home: PathBuf,
}

impl Fixture {
    /// A repository with one commit, isolated from the user's git configuration.
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = dir.path().join("repo");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("home");
        let fixture = Fixture { dir, repo, home };
        fixture.git(&["init", "--quiet", "--initial-branch=main", fixture.repo.to_str().expect("utf-8")]);
        fixture.git(&["config", "user.name", "Rel Eng"]);
        fixture.git(&["config", "user.email", "rel@example.com"]);
        std::fs::write(fixture.repo.join("a.txt"), "a\n").expect("write");
        fixture.git(&["add", "a.txt"]);
        fixture.git_dated(&["commit", "--quiet", "-m", "feat: first"], "2026-01-05T10:00:00Z");
        fixture
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = peer_command("git");
        command.args(args).env("HOME", &self.home);
        if self.repo.exists() {
            command.current_dir(&self.repo);
        }
        command
    }

    fn git(&self, args: &[&str]) -> String {
        run_ok(&mut self.command(args)).stdout
    }

    fn git_dated(&self, args: &[&str], date: &str) -> String {
        let mut command = self.command(args);
        command.env("GIT_AUTHOR_DATE", date).env("GIT_COMMITTER_DATE", date);
        run_ok(&mut command).stdout
    }

    fn open(&self) -> Repository {
        Repository::open(&self.repo).expect("open")
    }

    fn key(&self, name: &str, kind: &str) -> PathBuf {
        ssh_keygen(self.dir.path(), name, kind, "")
    }

    /// An allowed-signers file with `lines`.
    fn allowed(&self, lines: &[String]) -> (PathBuf, AllowedSigners) {
        let path = self.dir.path().join("allowed_signers");
        std::fs::write(&path, lines.join("\n") + "\n").expect("write");
        let allowed = AllowedSigners::load(&path).expect("parses");
        (path, allowed)
    }

    /// `git -c gpg.ssh.allowedSignersFile=… ARGS`.
    fn verify_with_git(&self, allowed: &Path, args: &[&str]) -> tagwright_test_support::Run {
        let option = format!("gpg.ssh.allowedSignersFile={}", allowed.display());
        let mut all = vec!["-c", option.as_str()];
        all.extend_from_slice(args);
        run(&mut self.command(&all))
    }
}

fn principal_line(key: &Path) -> String {
    format!("rel@example.com {}", public_key(key))
}

/// Commits `file` with a signed commit made by our library and moves `main` to it.
fn our_commit(repo: &Repository, signer: &Signer, message: &str, time: i64) -> Oid {
    let head = repo.head().and_then(|h| h.peel_to_commit()).expect("head");
    let mut index = repo.index().expect("index");
    let tree = repo.find_tree(index.write_tree().expect("tree")).expect("tree");
    let who = Signature::new("Rel Eng", "rel@example.com", &Time::new(time, 0)).expect("signature");
    let oid = create_signed_commit(repo, &who, &who, message, &tree, &[&head], signer).expect("commit");
    repo.reference("refs/heads/main", oid, true, "test").expect("move main");
    oid
}

#[test]
fn our_signed_commit_is_byte_identical_to_git_commit_s() {
    tagwright_test_support::hermetic_git2();
    let fixture = Fixture::new();
    let key = fixture.key("id_ed25519", "ed25519");
    std::fs::write(fixture.repo.join("b.txt"), "b\n").expect("write");
    fixture.git(&["add", "b.txt"]);
    // git's own signed commit, from the same tree, parent, identities, time and message.
    fixture.git(&["config", "gpg.format", "ssh"]);
    fixture.git(&["config", "user.signingkey", key.to_str().expect("utf-8")]);
    fixture.git_dated(&["commit", "--quiet", "-S", "-m", "chore(release): v1.0.0"], "1767261600 +0000");
    let theirs = fixture.git(&["rev-parse", "HEAD"]).trim().to_owned();
    fixture.git(&["reset", "--quiet", "--soft", "HEAD~1"]);

    let repo = fixture.open();
    let from_file = Signer::from_key_file(&key, &SignerOptions::default()).expect("key file");
    let ours = our_commit(&repo, &from_file, "chore(release): v1.0.0\n", 1_767_261_600);
    assert_eq!(ours.to_string(), theirs, "same bytes, same object id");

    // Through the agent too: ed25519 signatures are deterministic.
    fixture.git(&["reset", "--quiet", "--soft", "HEAD~1"]);
    let agent = SshAgent::start();
    agent.add(&key);
    let via_agent = Signer::from_agent(Some(agent.socket()), None).expect("agent key");
    assert_eq!(via_agent.source(), "ssh-agent");
    let again = our_commit(&repo, &via_agent, "chore(release): v1.0.0\n", 1_767_261_600);
    assert_eq!(again.to_string(), theirs);
}

#[test]
fn git_verifies_our_commits_and_tags_for_every_key_type() {
    tagwright_test_support::hermetic_git2();
    for kind in ["ed25519", "ecdsa", "rsa"] {
        let fixture = Fixture::new();
        let key = fixture.key(&format!("id_{kind}"), kind);
        let agent = SshAgent::start();
        agent.add(&key);
        let signer = Signer::from_agent(Some(agent.socket()), None).expect("agent key");
        let repo = fixture.open();
        let commit = our_commit(&repo, &signer, "chore(release): v1.0.0\n", 1_767_261_600);
        let tagger =
            Signature::new("Rel Eng", "rel@example.com", &Time::new(1_767_261_700, 60)).expect("sig");
        let notes = "## [1.0.0] - 2026-01-01\n\n### Features\n\n- A thing\n";
        let tag = create_signed_tag(&repo, "v1.0.0", commit, &tagger, notes, &signer).expect("tag");
        repo.reference("refs/tags/v1.0.0", tag, false, "test").expect("tag ref");

        let (allowed_path, allowed) = fixture.allowed(&[principal_line(&key)]);
        let commit_check = fixture.verify_with_git(&allowed_path, &["verify-commit", "HEAD"]);
        assert_eq!(commit_check.code, 0, "{kind}: {}", commit_check.stderr);
        assert!(
            commit_check.stderr.contains("Good \"git\" signature for rel@example.com"),
            "{}",
            commit_check.stderr
        );
        let tag_check = fixture.verify_with_git(&allowed_path, &["verify-tag", "v1.0.0"]);
        assert_eq!(tag_check.code, 0, "{kind}: {}", tag_check.stderr);
        let status = fixture.verify_with_git(&allowed_path, &["log", "-1", "--format=%G?"]);
        assert_eq!(status.stdout.trim(), "G", "{kind}");
        let message = fixture.git(&["tag", "-l", "--format=%(contents:body)", "v1.0.0"]);
        assert!(message.contains("### Features"), "the tag carries the notes verbatim: {message}");

        assert_eq!(verify_commit(&repo, commit, &allowed).expect("ours agrees").principal, "rel@example.com");
        assert_eq!(verify_tag(&repo, tag, &allowed).expect("ours agrees").principal, "rel@example.com");
    }
}

#[test]
fn we_verify_what_git_signs() {
    tagwright_test_support::hermetic_git2();
    let fixture = Fixture::new();
    let key = fixture.key("id_ed25519", "ed25519");
    fixture.git(&["config", "gpg.format", "ssh"]);
    fixture.git(&["config", "user.signingkey", key.to_str().expect("utf-8")]);
    std::fs::write(fixture.repo.join("b.txt"), "b\n").expect("write");
    fixture.git(&["add", "b.txt"]);
    fixture.git(&["commit", "--quiet", "-S", "-m", "fix: b"]);
    fixture.git(&["tag", "-s", "-m", "Release v1.0.0", "v1.0.0"]);
    let repo = fixture.open();
    let (_, allowed) = fixture.allowed(&[principal_line(&key)]);
    let head = repo.head().expect("head").target().expect("oid");
    let verified = verify_commit(&repo, head, &allowed).expect("good signature");
    assert_eq!((verified.principal.as_str(), verified.line), ("rel@example.com", 1));
    let tag = repo.refname_to_id("refs/tags/v1.0.0").expect("tag");
    assert_eq!(verify_tag(&repo, tag, &allowed).expect("good signature").principal, "rel@example.com");
}

#[test]
fn tampered_content_another_key_a_wrong_namespace_and_expiry_are_rejected() {
    tagwright_test_support::hermetic_git2();
    let fixture = Fixture::new();
    let key = fixture.key("id_ed25519", "ed25519");
    let other = fixture.key("id_other", "ed25519");
    let repo = fixture.open();
    let signer = Signer::from_key_file(&key, &SignerOptions::default()).expect("key");
    let commit = our_commit(&repo, &signer, "chore(release): v1.0.0\n", 1_767_261_600);
    let (allowed_path, allowed) = fixture.allowed(&[principal_line(&key)]);

    // A tampered message: same signature, different content.
    let raw = fixture.git(&["cat-file", "commit", "HEAD"]);
    let tampered_text = raw.replace("chore(release): v1.0.0", "chore(release): v6.6.6");
    let mut hash = fixture.command(&["hash-object", "-t", "commit", "-w", "--stdin"]);
    let tampered = pipe(&mut hash, &tampered_text);
    let tampered = Oid::from_str(tampered.trim()).expect("oid");
    assert_eq!(verify_commit(&repo, tampered, &allowed), Err(VerifyError::BadSignature));
    let git_says = fixture.verify_with_git(&allowed_path, &["verify-commit", &tampered.to_string()]);
    assert_ne!(git_says.code, 0, "git agrees it is bad");

    // A key outside the allowed signers.
    let (_, only_other) = fixture.allowed(&[principal_line(&other)]);
    assert!(matches!(verify_commit(&repo, commit, &only_other), Err(VerifyError::NotAllowed { .. })));

    // A line that does not permit the git namespace.
    let (_, file_only) =
        fixture.allowed(&[format!("rel@example.com namespaces=\"file\" {}", public_key(&key))]);
    assert!(matches!(
        verify_commit(&repo, commit, &file_only),
        Err(VerifyError::NamespaceNotPermitted { .. })
    ));

    // A signature made in another namespace (`ssh-keygen -Y sign -n file`), spliced into the commit.
    let payload = raw.split("gpgsig ").next().expect("header").to_owned()
        + raw.split_once("-----END SSH SIGNATURE-----\n").expect("signature end").1;
    std::fs::write(fixture.dir.path().join("payload"), &payload).expect("write");
    run_ok(
        peer_command("ssh-keygen")
            .args(["-q", "-Y", "sign", "-n", "file", "-f"])
            .arg(&key)
            .arg(fixture.dir.path().join("payload")),
    );
    let file_sig = std::fs::read_to_string(fixture.dir.path().join("payload.sig")).expect("sig");
    let spliced =
        payload.replacen("\n\n", &format!("\ngpgsig {}\n\n", file_sig.trim_end().replace('\n', "\n ")), 1);
    let mut hash = fixture.command(&["hash-object", "-t", "commit", "-w", "--stdin"]);
    let wrong_ns = Oid::from_str(pipe(&mut hash, &spliced).trim()).expect("oid");
    assert_eq!(verify_commit(&repo, wrong_ns, &allowed), Err(VerifyError::WrongNamespace("file".into())));
    assert_ne!(fixture.verify_with_git(&allowed_path, &["verify-commit", &wrong_ns.to_string()]).code, 0);

    // valid-before in the past of the commit time (2026-01-01), valid-after in its future.
    let (expired_path, expired) =
        fixture.allowed(&[format!("rel@example.com valid-before=\"20251231Z\" {}", public_key(&key))]);
    assert!(matches!(verify_commit(&repo, commit, &expired), Err(VerifyError::Expired { .. })));
    assert_ne!(fixture.verify_with_git(&expired_path, &["verify-commit", "HEAD"]).code, 0, "git agrees");
    let (_, early) =
        fixture.allowed(&[format!("rel@example.com valid-after=\"20270101Z\" {}", public_key(&key))]);
    assert!(matches!(verify_commit(&repo, commit, &early), Err(VerifyError::NotYetValid { .. })));
    let (_, window) = fixture.allowed(&[format!(
        "rel@example.com valid-after=\"20250101Z\",valid-before=\"20270101Z\" {}",
        public_key(&key)
    )]);
    assert!(verify_commit(&repo, commit, &window).is_ok());
}

fn pipe(command: &mut Command, input: &str) -> String {
    use std::io::Write;
    command.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = command.spawn().expect("spawn");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write");
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success());
    String::from_utf8(output.stdout).expect("utf-8")
}

#[test]
fn the_signer_git_would_use() {
    tagwright_test_support::hermetic_git2();
    let fixture = Fixture::new();
    let key = fixture.key("id_ed25519", "ed25519");
    let second = fixture.key("id_second", "ecdsa");
    let agent = SshAgent::start();
    agent.add(&second);
    agent.add(&key);
    let options = SignerOptions::default().agent_socket(agent.socket());
    let repo = fixture.open();

    // No user.signingkey: the agent's first key.
    let first = Signer::from_git_config(&repo, &options).expect("agent");
    let fingerprint =
        |k: &Path| Signer::from_key_file(k, &SignerOptions::default()).expect("key").fingerprint();
    assert_eq!(first.fingerprint(), fingerprint(&second), "the first key the agent lists");
    // A public key path, or a key:: literal: that key, from the agent.
    fixture.git(&["config", "user.signingkey", &format!("{}.pub", key.display())]);
    let by_path = Signer::from_git_config(&repo, &options).expect("agent");
    assert_eq!(
        (by_path.source(), by_path.fingerprint()),
        ("ssh-agent", Signer::from_key_file(&key, &SignerOptions::default()).expect("key").fingerprint())
    );
    fixture.git(&["config", "user.signingkey", &format!("key::{}", public_key(&key))]);
    assert_eq!(Signer::from_git_config(&repo, &options).expect("agent").fingerprint(), by_path.fingerprint());
    // A private key path: in-process.
    fixture.git(&["config", "user.signingkey", key.to_str().expect("utf-8")]);
    assert_eq!(Signer::from_git_config(&repo, &options).expect("file").source(), "key file");

    // An encrypted key: a passphrase when given; without one and without a terminal, a clear error.
    let locked = ssh_keygen(fixture.dir.path(), "id_locked", "ed25519", "correct horse");
    let with = |p: &str| SignerOptions::default().passphrase(p);
    assert!(Signer::from_key_file(&locked, &with("correct horse")).is_ok());
    assert!(matches!(Signer::from_key_file(&locked, &with("wrong")), Err(SignerError::KeyFile { .. })));
    let batch = SignerOptions::default().interactive(false);
    let err = Signer::from_key_file(&locked, &batch).expect_err("nobody to ask");
    assert!(matches!(err, SignerError::NeedsPassphrase { .. }), "{err}");
    assert!(err.to_string().contains("ssh-add"), "{err}");

    // No agent, and an agent without keys.
    fixture.git(&["config", "--unset", "user.signingkey"]);
    let none = Signer::from_git_config(
        &repo,
        &SignerOptions::default().agent_socket(fixture.dir.path().join("nope.sock")),
    );
    assert!(matches!(none, Err(SignerError::NoAgent(_))));
    let empty = SshAgent::start();
    let err = Signer::from_git_config(&repo, &SignerOptions::default().agent_socket(empty.socket()))
        .expect_err("no key");
    assert!(matches!(err, SignerError::NoKey(_)), "{err}");
    assert!(err.to_string().contains("ssh-add"), "{err}");
}
