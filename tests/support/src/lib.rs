//! Shared test helpers: finding the real peer tools, running fixture scripts, snapshots and tree comparisons.
//!
//! Tests run the real implementations (git, uv, sha256sum, …). [`peer`] finds them on `PATH` or in the
//! virtual environment that `cargo xtask setup` creates under `target/peers/venv`; a missing peer fails
//! the test with the command that installs it, because a skipped test cannot fail.

#![allow(clippy::print_stderr, clippy::unwrap_used, missing_docs)]

pub mod github;
pub mod github_git;
mod github_wire;
pub mod hostile;
pub mod http;
pub mod layout_registry;
pub mod oidc;
pub mod registry;
pub mod sigstore;
mod wire;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/support is two levels deep")
        .to_path_buf()
}

/// The directory where `cargo xtask setup` installs Python peers.
pub fn peers_venv() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), PathBuf::from);
    target.join("peers").join("venv")
}

/// Where `cargo xtask setup` installs the npm peers (`target/peers/node`, with `node_modules/`).
pub fn node_peers() -> PathBuf {
    peers_venv().parent().map_or_else(|| PathBuf::from("target/peers/node"), |p| p.join("node"))
}

/// Where `cargo xtask setup` builds the Go peers (`target/peers/go`, with `bin/`): the runbook's own
/// verifiers, from the Go module proxy.
pub fn go_peers() -> PathBuf {
    peers_venv().parent().map_or_else(|| PathBuf::from("target/peers/go"), |p| p.join("go"))
}

/// `PATH` with the peers' virtual environment first, then the Go peers.
pub fn peer_path() -> OsString {
    let mut paths = vec![peers_venv().join("bin"), go_peers().join("bin")];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(paths).expect("PATH entries are joinable")
}

/// The full path of a peer tool. Panics, naming the setup command, when it is not installed.
pub fn peer(name: &str) -> PathBuf {
    for dir in std::env::split_paths(&peer_path()) {
        let candidate = dir.join(name);
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "the test peer `{name}` is not installed: run `cargo xtask setup` (or `cargo xtask test`, which runs it)"
    );
}

/// A command for a peer tool, with the environment our tests use: the peers' `PATH`, uv kept offline and
/// away from Python downloads, and git kept away from the user's and the system's configuration.
pub fn peer_command(name: &str) -> Command {
    let mut command = Command::new(peer(name));
    apply_test_env(&mut command);
    command
}

/// Applies the hermetic test environment to any command (peers, our binaries, scripts).
pub fn apply_test_env(command: &mut Command) {
    command
        .env("PATH", peer_path())
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("UV_OFFLINE", "1")
        .env("UV_NO_PROGRESS", "1")
        .env("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Rel Eng")
        .env("GIT_AUTHOR_EMAIL", "rel@example.com")
        .env("GIT_COMMITTER_NAME", "Rel Eng")
        .env("GIT_COMMITTER_EMAIL", "rel@example.com")
        // A GitHub API nothing listens on: a command that asks GitHub without the test meaning it
        // fails on loopback instead of reaching the internet.
        .env("GITHUB_API_URL", "http://127.0.0.1:9")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_REPO")
        .env_remove("GITHUB_REF")
        .env_remove("GITHUB_REF_NAME")
        .env_remove("SSH_AUTH_SOCK");
}

/// Makes libgit2 in this test process read no global, XDG or system git configuration, as the tests'
/// git commands read none (`GIT_CONFIG_GLOBAL=/dev/null`, `GIT_CONFIG_NOSYSTEM=1`): a developer's
/// `~/.gitconfig` (a `user.signingkey`, say) must not change what a test sees.
///
/// Call it first in every test that uses git2 in its own process, before any other git2 call.
pub fn hermetic_git2() -> &'static Path {
    static EMPTY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    EMPTY.get_or_init(|| {
        // A directory that holds no configuration, for as long as the process runs.
        let empty = std::env::temp_dir().join(format!("tagwright-no-gitconfig-{}", std::process::id()));
        std::fs::create_dir_all(&empty).expect("an empty directory for libgit2's config search path");
        for level in [git2::ConfigLevel::System, git2::ConfigLevel::XDG, git2::ConfigLevel::Global] {
            #[allow(unsafe_code)]
            // SAFETY: `set_search_path` must not race with other libgit2 calls. Every test that uses
            // git2 calls this first, and `Once` makes the others wait until it has returned.
            let set = unsafe { git2::opts::set_search_path(level, &empty) };
            set.expect("libgit2 takes a config search path");
        }
        empty
    })
}

/// Runs a fixture script from `tests/fixtures` into a fresh temporary directory and returns it.
///
/// The script gets the target directory as `$1`, then `args`.
pub fn fixture(script: &str, args: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("tagwright-fixture-").tempdir().expect("temporary directory");
    let path = workspace_root().join("tests/fixtures").join(script);
    let mut command = Command::new("bash");
    command.arg(&path).arg(dir.path()).args(args);
    apply_test_env(&mut command);
    let output = command.output().expect("bash runs");
    assert!(
        output.status.success(),
        "fixture {script} {args:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    dir
}

/// What a finished process printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Runs a command to completion.
pub fn run(command: &mut Command) -> Run {
    command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}")).into()
}

/// Runs a command, killing it (SIGKILL) if it is still running after `limit`. Returns what it printed,
/// whether it had to be killed, and how long it ran.
pub fn run_with_limit(command: &mut Command, limit: std::time::Duration) -> (Run, bool, std::time::Duration) {
    use std::io::Read as _;
    command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let start = std::time::Instant::now();
    let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stdout.read_to_end(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        text
    });
    let mut killed = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > limit {
            killed = true;
            let _ = child.kill();
            break child.wait().expect("wait after kill");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.join().expect("stdout reader")).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().expect("stderr reader")).into_owned(),
    };
    (run, killed, elapsed)
}

/// The system calls that rename a file, for [`under_strace`].
pub const RENAMES: &str = "rename,renameat,renameat2";

/// `program` run by the real strace, which acts on the `syscalls` it makes as `inject` says: with
/// `signal=KILL:when=3`, the process is killed at its third such call, as a crash would kill it;
/// with `delay_exit=3000000:when=2`, it is held for 3 s after its second. Add the program's arguments.
pub fn under_strace(syscalls: &str, inject: &str, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = peer_command("strace");
    command
        .args(["-f", "-qq", "-o", "/dev/null", "-e", &format!("trace={syscalls}"), "-e"])
        .arg(format!("inject={syscalls}:{inject}"))
        .arg(program);
    command
}

/// Runs `command` with umask 022, as a login shell has it (through `sh -c 'umask 022 && exec …'`).
pub fn run_with_umask(command: &mut Command) -> Run {
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg("umask 022 && exec \"$0\" \"$@\"")
        .arg(command.get_program())
        .args(command.get_args());
    if let Some(dir) = command.get_current_dir() {
        shell.current_dir(dir);
    }
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => shell.env(key, value),
            None => shell.env_remove(key),
        };
    }
    run(&mut shell)
}

/// A file's permission bits.
pub fn file_mode(path: &Path) -> u32 {
    std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(path).expect("stat").permissions()) & 0o7777
}

/// Runs a command with `input` on its standard input.
pub fn run_with_input(command: &mut Command, input: &[u8]) -> Run {
    use std::io::Write;
    command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(input).expect("write stdin");
    drop(stdin);
    child.wait_with_output().expect("wait").into()
}

/// Runs a command and asserts that it succeeded.
#[track_caller]
pub fn run_ok(command: &mut Command) -> Run {
    let run = run(command);
    assert_eq!(run.code, 0, "{command:?} failed:\nstdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    run
}

/// Whether to rewrite snapshots: with `TAGWRIGHT_BLESS`, and never under `CI`, which compares and
/// must not rewrite what it compares against.
fn blessing(bless: bool, ci: bool) -> bool {
    assert!(
        !(bless && ci),
        "TAGWRIGHT_BLESS is refused when CI is set: bless snapshots locally and commit them"
    );
    bless
}

/// Compares `actual` with the committed snapshot file; `TAGWRIGHT_BLESS=1` rewrites it instead, except
/// where `CI` is set.
#[track_caller]
pub fn assert_snapshot(relative_to_workspace: &str, actual: &str) {
    let path = workspace_root().join(relative_to_workspace);
    if blessing(std::env::var_os("TAGWRIGHT_BLESS").is_some(), std::env::var_os("CI").is_some()) {
        std::fs::create_dir_all(path.parent().expect("snapshot has a parent")).expect("create snapshot dir");
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with TAGWRIGHT_BLESS=1 to create it", path.display()));
    assert!(
        expected == actual,
        "snapshot {relative_to_workspace} differs (TAGWRIGHT_BLESS=1 rewrites it)\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

/// The shape of a JSON document, which docs/STABILITY.md promises: every object's keys with their
/// values' shapes, `"string"`, `"number"`, `"boolean"` or `null` for scalars, and an array as the
/// shape of its first element (`[]` when empty). Values that differ between runs (digests, times,
/// paths) leave it unchanged; a field renamed, removed or retyped changes it.
pub fn json_shape(document: &str) -> String {
    fn shape(value: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match value {
            Value::Null => Value::Null,
            Value::Bool(_) => Value::from("boolean"),
            Value::Number(_) => Value::from("number"),
            Value::String(_) => Value::from("string"),
            Value::Array(items) => Value::Array(items.first().map(shape).into_iter().collect()),
            Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        }
    }
    let value: serde_json::Value = serde_json::from_str(document).expect("a JSON document");
    format!("{}\n", serde_json::to_string_pretty(&shape(&value)).expect("serializes"))
}

/// Every file (and symlink target) under `dir`, byte for byte, keyed by relative path.
///
/// Directories are recorded too (with empty contents), so that a file replaced by a directory shows up.
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap_or_else(|e| panic!("{}: {e}", current.display())) {
            let entry = entry.expect("directory entry");
            let path = entry.path();
            let relative = path.strip_prefix(dir).expect("under dir").to_path_buf();
            let kind = entry.file_type().expect("file type");
            if kind.is_dir() {
                out.insert(relative.join(""), Vec::new());
                stack.push(path);
            } else if kind.is_symlink() {
                let target = std::fs::read_link(&path).expect("symlink target");
                out.insert(relative, target.into_os_string().into_encoded_bytes());
            } else {
                out.insert(relative, std::fs::read(&path).expect("read file"));
            }
        }
    }
    out
}

/// Asserts two trees are byte-identical, naming the paths that differ.
#[track_caller]
pub fn assert_same_tree(before: &BTreeMap<PathBuf, Vec<u8>>, after: &BTreeMap<PathBuf, Vec<u8>>) {
    let differ: Vec<_> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(differ.is_empty(), "the tree changed at: {differ:?}");
}

/// The path of one of our workspace binaries, built by cargo for integration tests of the same package.
pub fn cargo_bin(env_value: &str) -> Command {
    let mut command = Command::new(env_value);
    apply_test_env(&mut command);
    command
}

/// Makes an SSH key pair with the real `ssh-keygen` (no passphrase unless given); returns the private
/// key's path (the public key is beside it, with `.pub`).
pub fn ssh_keygen(dir: &Path, name: &str, kind: &str, passphrase: &str) -> PathBuf {
    let path = dir.join(name);
    let mut command = peer_command("ssh-keygen");
    command.args(["-q", "-t", kind, "-N", passphrase, "-C", "rel@example.com", "-f"]).arg(&path);
    run_ok(&mut command);
    path
}

/// The public key line (`ssh-ed25519 AAAA… comment`) of a key made by [`ssh_keygen`].
pub fn public_key(private: &Path) -> String {
    std::fs::read_to_string(private.with_extension("pub"))
        .or_else(|_| std::fs::read_to_string(format!("{}.pub", private.display())))
        .expect("public key beside the private key")
        .trim()
        .to_owned()
}

/// A real `ssh-agent` on a private socket, killed when dropped.
#[derive(Debug)]
pub struct SshAgent {
    pid: u32,
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl SshAgent {
    /// Starts an agent; returns once its socket is listening (`ssh-agent -s` binds before it forks).
    pub fn start() -> SshAgent {
        let dir = tempfile::Builder::new().prefix("agent").tempdir().expect("tempdir");
        let socket = dir.path().join("agent.sock");
        let mut command = peer_command("ssh-agent");
        command.arg("-s").arg("-a").arg(&socket);
        let out = run_ok(&mut command);
        let pid = out
            .stdout
            .split(';')
            .find_map(|part| part.trim().strip_prefix("SSH_AGENT_PID="))
            .and_then(|pid| pid.parse().ok())
            .unwrap_or_else(|| panic!("no SSH_AGENT_PID in: {}", out.stdout));
        SshAgent { pid, socket, _dir: dir }
    }

    /// The socket, for `SSH_AUTH_SOCK`.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// `ssh-add KEY`.
    pub fn add(&self, key: &Path) {
        let mut command = peer_command("ssh-add");
        command.arg("-q").arg(key).env("SSH_AUTH_SOCK", &self.socket);
        run_ok(&mut command);
    }
}

impl Drop for SshAgent {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.pid.to_string()).status();
    }
}

/// What a release may change in a repository, byte for byte: the working tree (without `.git`), and
/// `.git/HEAD`, `.git/index`, `.git/packed-refs` and every file under `.git/refs`.
pub fn git_state(repo: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut state: BTreeMap<PathBuf, Vec<u8>> =
        tree(repo).into_iter().filter(|(path, _)| !path.starts_with(".git")).collect();
    for name in ["HEAD", "index", "packed-refs"] {
        if let Ok(bytes) = std::fs::read(repo.join(".git").join(name)) {
            state.insert(Path::new(".git").join(name), bytes);
        }
    }
    let refs = repo.join(".git/refs");
    for (path, bytes) in tree(&refs) {
        state.insert(Path::new(".git/refs").join(path), bytes);
    }
    state
}

#[cfg(test)]
mod hermetic_tests {
    #[test]
    fn ci_never_blesses() {
        assert!(super::blessing(true, false));
        assert!(!super::blessing(false, true));
        let refused = std::panic::catch_unwind(|| super::blessing(true, true));
        assert!(refused.is_err(), "TAGWRIGHT_BLESS with CI set must fail the test");
    }

    #[test]
    fn libgit2_finds_no_global_xdg_or_system_configuration() {
        let empty = super::hermetic_git2();
        assert!(git2::Config::find_global().is_err(), "no ~/.gitconfig");
        assert!(git2::Config::find_xdg().is_err(), "no ~/.config/git/config");
        assert!(git2::Config::find_system().is_err(), "no /etc/gitconfig");
        // libgit2 looks in the empty directory, and only there: a file put there is what it finds.
        std::fs::write(empty.join(".gitconfig"), "[user]\n\tname = Planted\n").expect("plant");
        let found = git2::Config::find_global();
        std::fs::remove_file(empty.join(".gitconfig")).expect("remove");
        assert_eq!(found.expect("the planted file"), empty.join(".gitconfig"));
        // A repository's own configuration still counts.
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = git2::Repository::init(dir.path()).expect("init");
        repo.config().and_then(|mut c| c.set_str("user.name", "Rel Eng")).expect("set");
        assert_eq!(repo.config().and_then(|c| c.get_string("user.name")).expect("get"), "Rel Eng");
    }
}
