//! Signing with the SSH key git would use: `user.signingkey` (a private key file, a public key file or a
//! `key::` literal), or the first suitable key held by the agent at `SSH_AUTH_SOCK`.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use ssh_key::{HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};

/// The namespace git signs commits and tags in.
pub const GIT_NAMESPACE: &str = "git";

/// Why no signer could be set up, or a signature could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignerError {
    /// The key file could not be read or parsed.
    #[error("{}: {message}", .path.display())]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The key is encrypted and there is no terminal to ask for its passphrase.
    #[error(
        "{}: the key is encrypted and there is no terminal to ask for its passphrase; load it into \
         ssh-agent with `ssh-add {}` instead",
        .path.display(), .path.display()
    )]
    NeedsPassphrase {
        /// The key file.
        path: PathBuf,
    },
    /// No agent is reachable.
    #[error("no ssh-agent: {0}")]
    NoAgent(String),
    /// The agent holds no usable key (or not the configured one).
    #[error("{0}")]
    NoKey(String),
    /// The agent or the key refused to sign.
    #[error("signing failed: {0}")]
    Sign(String),
    /// `user.signingkey` holds a `key::` literal that is not an SSH public key.
    #[error("user.signingkey = {value}: {message}")]
    SigningKey {
        /// The configured value.
        value: String,
        /// What is wrong with it.
        message: String,
    },
    /// The git configuration could not be read.
    #[error("cannot read the git configuration: {0}")]
    Config(String),
}

/// Where the signing key lives.
#[derive(Debug, Clone)]
enum Backend {
    /// A decrypted private key, used in-process.
    Key(Box<PrivateKey>),
    /// A key held by the ssh-agent listening on this socket.
    Agent(PathBuf),
}

/// A signing key, ready to make git SSH signatures.
#[derive(Debug, Clone)]
pub struct Signer {
    backend: Backend,
    public: PublicKey,
}

/// Inputs for finding the signer; defaults to the process environment.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SignerOptions {
    /// The agent socket (default: `SSH_AUTH_SOCK`).
    pub agent_socket: Option<PathBuf>,
    /// A passphrase for an encrypted key file.
    pub passphrase: Option<String>,
    /// Ask for a missing passphrase on the terminal, if there is one (default: true).
    pub interactive: bool,
}

impl Default for SignerOptions {
    fn default() -> SignerOptions {
        SignerOptions { agent_socket: None, passphrase: None, interactive: true }
    }
}

impl SignerOptions {
    /// Uses this agent socket.
    pub fn agent_socket(mut self, socket: impl Into<PathBuf>) -> SignerOptions {
        self.agent_socket = Some(socket.into());
        self
    }

    /// Decrypts an encrypted key file with this passphrase.
    pub fn passphrase(mut self, passphrase: impl Into<String>) -> SignerOptions {
        self.passphrase = Some(passphrase.into());
        self
    }

    /// Whether a missing passphrase may be asked for on the terminal.
    pub fn interactive(mut self, interactive: bool) -> SignerOptions {
        self.interactive = interactive;
        self
    }
}

impl Signer {
    /// The signer git would use in `repo`: `user.signingkey` or the agent's first suitable key.
    pub fn from_git_config(repo: &git2::Repository, options: &SignerOptions) -> Result<Signer, SignerError> {
        let config = repo.config().map_err(|e| SignerError::Config(e.message().to_owned()))?;
        let configured = config.get_string("user.signingkey").ok().filter(|k| !k.trim().is_empty());
        let socket =
            options.agent_socket.clone().or_else(|| std::env::var_os("SSH_AUTH_SOCK").map(PathBuf::from));
        match configured {
            None => Signer::from_agent(socket.as_deref(), None),
            Some(value) => {
                let value = value.trim();
                if let Some(literal) = value.strip_prefix("key::") {
                    let public = PublicKey::from_openssh(literal).map_err(|e| SignerError::SigningKey {
                        value: value.to_owned(),
                        message: format!("not an SSH public key: {e}"),
                    })?;
                    return Signer::from_agent(socket.as_deref(), Some(&public));
                }
                let path = expand_home(value);
                let text = std::fs::read_to_string(&path).map_err(|e| SignerError::KeyFile {
                    path: path.clone(),
                    message: format!("cannot read: {e}"),
                })?;
                if let Ok(public) = PublicKey::from_openssh(text.trim()) {
                    return Signer::from_agent(socket.as_deref(), Some(&public));
                }
                Signer::from_key_file(&path, options)
            }
        }
    }

    /// A private key file (OpenSSH format). An encrypted key needs the options' passphrase, or (when
    /// interactive) a terminal to ask on.
    pub fn from_key_file(path: &Path, options: &SignerOptions) -> Result<Signer, SignerError> {
        let key = PrivateKey::read_openssh_file(path).map_err(|e| SignerError::KeyFile {
            path: path.to_path_buf(),
            message: format!("not an OpenSSH private key: {e}"),
        })?;
        let key = if key.is_encrypted() {
            let passphrase = match &options.passphrase {
                Some(p) => p.clone(),
                None if options.interactive => ask_passphrase(path)?,
                None => return Err(SignerError::NeedsPassphrase { path: path.to_path_buf() }),
            };
            key.decrypt(passphrase.as_bytes()).map_err(|_| SignerError::KeyFile {
                path: path.to_path_buf(),
                message: "wrong passphrase".to_owned(),
            })?
        } else {
            key
        };
        let public = key.public_key().clone();
        Ok(Signer { backend: Backend::Key(Box::new(key)), public })
    }

    /// A key held by the agent at `socket`: `wanted`, or else the first ed25519, ECDSA or RSA key.
    pub fn from_agent(socket: Option<&Path>, wanted: Option<&PublicKey>) -> Result<Signer, SignerError> {
        let socket = socket.ok_or_else(|| {
            SignerError::NoAgent(
                "SSH_AUTH_SOCK is not set: start ssh-agent and `ssh-add` your signing key".to_owned(),
            )
        })?;
        let mut client = ssh_agent_client_rs::Client::connect(socket)
            .map_err(|e| SignerError::NoAgent(format!("cannot connect to {}: {e}", socket.display())))?;
        let keys: Vec<PublicKey> = client
            .list_all_identities()
            .map_err(|e| SignerError::NoAgent(format!("{}: cannot list keys: {e}", socket.display())))?
            .into_iter()
            .filter_map(|identity| match identity {
                ssh_agent_client_rs::Identity::PublicKey(key) => Some(key.into_owned()),
                ssh_agent_client_rs::Identity::Certificate(_) => None,
            })
            .collect();
        let public = match wanted {
            Some(wanted) => keys.into_iter().find(|k| k.key_data() == wanted.key_data()).ok_or_else(|| {
                SignerError::NoKey(format!(
                    "the agent at {} does not hold the configured signing key {}: `ssh-add` it",
                    socket.display(),
                    wanted.fingerprint(HashAlg::Sha256)
                ))
            })?,
            None => keys.into_iter().find(|k| usable(k.algorithm())).ok_or_else(|| {
                SignerError::NoKey(format!(
                    "the agent at {} holds no ed25519, ECDSA or RSA key (`ssh-add -l` lists none): `ssh-add` your signing key",
                    socket.display()
                ))
            })?,
        };
        Ok(Signer { backend: Backend::Agent(socket.to_path_buf()), public })
    }

    /// The public key that signatures will carry.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// `SHA256:…`, as `ssh-add -l` shows it.
    pub fn fingerprint(&self) -> String {
        self.public.fingerprint(HashAlg::Sha256).to_string()
    }

    /// Where the key is: `agent` or `key file`.
    pub fn source(&self) -> &'static str {
        match self.backend {
            Backend::Key(_) => "key file",
            Backend::Agent(_) => "ssh-agent",
        }
    }

    /// Signs `payload` in the `git` namespace, returning the armored signature (ends with a newline),
    /// as `ssh-keygen -Y sign -n git` writes it.
    pub fn sign(&self, payload: &[u8]) -> Result<String, SignerError> {
        let signature = match &self.backend {
            Backend::Key(key) => SshSig::sign(key.as_ref(), GIT_NAMESPACE, HashAlg::Sha512, payload)
                .map_err(|e| SignerError::Sign(e.to_string()))?,
            Backend::Agent(socket) => {
                let data = SshSig::signed_data(GIT_NAMESPACE, HashAlg::Sha512, payload)
                    .map_err(|e| SignerError::Sign(e.to_string()))?;
                let mut client = ssh_agent_client_rs::Client::connect(socket).map_err(|e| {
                    SignerError::NoAgent(format!("cannot connect to {}: {e}", socket.display()))
                })?;
                let raw =
                    client.sign(self.public.clone(), &data).map_err(|e| SignerError::Sign(e.to_string()))?;
                SshSig::new(self.public.key_data().clone(), GIT_NAMESPACE, HashAlg::Sha512, raw)
                    .map_err(|e| SignerError::Sign(e.to_string()))?
            }
        };
        signature.to_pem(LineEnding::LF).map_err(|e| SignerError::Sign(e.to_string()))
    }
}

/// Writes a new, unencrypted ed25519 key pair (`path` and `path.pub`, mode 0600 for the private key)
/// and returns the public key line. Meant for throwaway keys: demos and tests.
pub fn write_new_ed25519_key(path: &Path, comment: &str) -> Result<String, SignerError> {
    let failed = |message: String| SignerError::KeyFile { path: path.to_path_buf(), message };
    let mut key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, ssh_key::Algorithm::Ed25519)
        .map_err(|e| failed(format!("cannot generate a key: {e}")))?;
    key.set_comment(comment);
    key.write_openssh_file(path, LineEnding::LF).map_err(|e| failed(format!("cannot write: {e}")))?;
    let public = key.public_key().to_openssh().map_err(|e| failed(e.to_string()))?;
    std::fs::write(path.with_extension("pub"), format!("{public}\n"))
        .map_err(|e| failed(format!("cannot write the public key: {e}")))?;
    Ok(public)
}

fn usable(algorithm: ssh_key::Algorithm) -> bool {
    matches!(
        algorithm,
        ssh_key::Algorithm::Ed25519 | ssh_key::Algorithm::Ecdsa { .. } | ssh_key::Algorithm::Rsa { .. }
    )
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// Reads a passphrase from the controlling terminal, without echo. Fails when there is no terminal.
fn ask_passphrase(path: &Path) -> Result<String, SignerError> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    let no_terminal = || SignerError::NeedsPassphrase { path: path.to_path_buf() };
    let tty =
        std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty").map_err(|_| no_terminal())?;
    let original = tcgetattr(&tty).map_err(|_| no_terminal())?;
    let mut silent = original.clone();
    silent.local_modes.remove(LocalModes::ECHO);
    tcsetattr(&tty, OptionalActions::Now, &silent).map_err(|_| no_terminal())?;
    let mut prompt = &tty;
    let _ = write!(prompt, "Enter passphrase for {}: ", path.display());
    let mut line = String::new();
    let read = std::io::BufReader::new(&tty).read_line(&mut line);
    let _ = tcsetattr(&tty, OptionalActions::Now, &original);
    let _ = writeln!(prompt);
    read.map_err(|_| no_terminal())?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
