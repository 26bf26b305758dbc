//! The real CNCF distribution registry (Debian's `docker-registry`), started on 127.0.0.1 with a free
//! port in one of three configurations, and small OCI image layouts to feed it through skopeo.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::Digest as _;

use crate::{peer, peer_command, run_ok};

/// How the registry is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Plain HTTP, no authentication.
    Plain,
    /// Plain HTTP with htpasswd (Basic) authentication.
    Htpasswd,
    /// TLS with a certificate signed by a test CA, no authentication.
    Tls,
}

/// The test user of [`Mode::Htpasswd`].
pub const USERNAME: &str = "releaser";
/// The test password of [`Mode::Htpasswd`]. Tests assert it is never printed.
pub const PASSWORD: &str = "pw-Zq7vK3s9";

/// A running registry, stopped when dropped.
#[derive(Debug)]
pub struct LocalRegistry {
    child: Child,
    host: String,
    mode: Mode,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind a free port").local_addr().expect("address").port()
}

impl LocalRegistry {
    /// Starts a registry with its files in the system's temporary directory; returns once it listens.
    pub fn start(mode: Mode) -> LocalRegistry {
        LocalRegistry::start_in(mode, &std::env::temp_dir())
    }

    /// Starts a registry with its configuration and storage in a new directory under `parent` (such
    /// as a tmpfs, for benchmarks), removed when it stops; returns once it listens.
    pub fn start_in(mode: Mode, parent: &Path) -> LocalRegistry {
        let dir = tempfile::Builder::new().prefix("registry").tempdir_in(parent).expect("tempdir");
        let root = dir.path();
        // A port taken between our probe and the registry's bind is retried with another one.
        for _ in 0..5 {
            let port = free_port();
            let host = format!("127.0.0.1:{port}");
            let mut config = format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog: {{disabled: true}}\nstorage:\n  filesystem: {{rootdirectory: {}}}\n  delete: {{enabled: true}}\nhttp:\n  addr: {host}\n  secret: test-secret\n",
                root.join("data").display()
            );
            match mode {
                Mode::Plain => {}
                Mode::Htpasswd => {
                    let out = run_ok(peer_command("htpasswd").args(["-Bbn", USERNAME, PASSWORD]));
                    std::fs::write(root.join("htpasswd"), out.stdout).expect("write htpasswd");
                    config.push_str(&format!(
                        "auth:\n  htpasswd: {{realm: test-realm, path: {}}}\n",
                        root.join("htpasswd").display()
                    ));
                }
                Mode::Tls => {
                    make_certificates(root);
                    config.push_str(&format!(
                        "  tls: {{certificate: {}, key: {}}}\n",
                        root.join("leaf.crt").display(),
                        root.join("leaf.key").display()
                    ));
                }
            }
            std::fs::write(root.join("config.yml"), &config).expect("write config");
            let log = std::fs::File::create(root.join("registry.log")).expect("log file");
            let mut child = Command::new(peer("docker-registry"))
                .arg("serve")
                .arg(root.join("config.yml"))
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start docker-registry");
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if TcpStream::connect(&host).is_ok() {
                    return LocalRegistry { child, host, mode, dir };
                }
                assert!(Instant::now() < deadline, "docker-registry did not listen on {host} within 20 s");
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.wait();
        }
        let log = std::fs::read_to_string(root.join("registry.log")).unwrap_or_default();
        panic!("docker-registry would not start:\n{log}");
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The configuration.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The test CA's certificate ([`Mode::Tls`]).
    pub fn ca_file(&self) -> Option<PathBuf> {
        (self.mode == Mode::Tls).then(|| self.dir.path().join("certs/ca.crt"))
    }

    /// The registry's storage directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Our binary's options for this registry (`--ca-file`, `--username … --password-stdin`); the
    /// password goes to standard input.
    pub fn our_args(&self, command: &mut Command) {
        match self.mode {
            Mode::Plain => {}
            Mode::Tls => {
                command.arg("--ca-file").arg(self.ca_file().expect("TLS"));
            }
            Mode::Htpasswd => {
                command.args(["--username", USERNAME, "--password-stdin"]);
            }
        }
    }

    /// skopeo's options for this registry, for a source (`src`) or destination (`dest`) or neither (`""`).
    pub fn skopeo_args(&self, side: &str) -> Vec<String> {
        let flag =
            |name: &str| if side.is_empty() { format!("--{name}") } else { format!("--{side}-{name}") };
        match self.mode {
            Mode::Plain => vec![format!("{}=false", flag("tls-verify"))],
            Mode::Htpasswd => {
                vec![format!("{}=false", flag("tls-verify")), flag("creds"), format!("{USERNAME}:{PASSWORD}")]
            }
            Mode::Tls => vec![flag("cert-dir"), self.dir.path().join("certs").display().to_string()],
        }
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A self-signed CA certificate `cert` with its key `key` (both relative to `dir`), with openssl.
pub fn make_ca(dir: &Path, cert: &str, key: &str, name: &str) {
    let mut command = peer_command("openssl");
    command.current_dir(dir).args([
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "30",
        "-subj",
        &format!("/CN={name}"),
        "-keyout",
        key,
        "-out",
        cert,
    ]);
    run_ok(&mut command);
}

/// A test CA and a leaf certificate for 127.0.0.1 (CA:FALSE, as rustls requires), with openssl.
fn make_certificates(root: &Path) {
    let certs = root.join("certs");
    std::fs::create_dir_all(&certs).expect("certs dir");
    let openssl = |args: &[&str]| {
        let mut command = peer_command("openssl");
        command.args(args).current_dir(root);
        run_ok(&mut command);
    };
    make_ca(root, "certs/ca.crt", "ca.key", "tagwright test CA");
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
    ]);
    std::fs::write(
        root.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .expect("leaf.ext");
    openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "certs/ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "30",
        "-extfile",
        "leaf.ext",
        "-out",
        "leaf.crt",
    ]);
}

/// The sha256 digest of bytes, as `sha256:<hex>`.
pub fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&sha2::Sha256::digest(bytes)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn put_blob(layout: &Path, bytes: &[u8]) -> (String, usize) {
    let sum = digest(bytes);
    let path = layout.join("blobs/sha256").join(sum.trim_start_matches("sha256:"));
    std::fs::create_dir_all(path.parent().expect("parent")).expect("blobs dir");
    std::fs::write(&path, bytes).expect("write blob");
    (sum, bytes.len())
}

/// A one-file uncompressed layer.
fn layer(content: &[u8]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_ustar();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_cksum();
    builder.append_data(&mut header, "hello.txt", content).expect("tar entry");
    builder.into_inner().expect("tar")
}

/// Writes a small image to the OCI layout `dir` under `tag`: one manifest per platform (`linux/amd64`),
/// and an index over them when `index` is set (or there are several). `extra_layer_bytes` adds a
/// layer of that many pseudo-random bytes. Returns the tagged manifest's digest.
pub fn image_layout(
    dir: &Path,
    tag: &str,
    platforms: &[&str],
    index: bool,
    extra_layer_bytes: usize,
) -> String {
    std::fs::create_dir_all(dir).expect("layout dir");
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).expect("oci-layout");
    let mut manifests = Vec::new();
    for platform in platforms {
        let (os, arch) = platform.split_once('/').expect("os/arch");
        let layer_bytes = layer(format!("hello from {platform}\n").as_bytes());
        let (layer_digest, layer_size) = put_blob(dir, &layer_bytes);
        let mut layers = vec![format!(
            r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer_digest}","size":{layer_size}}}"#
        )];
        let mut diff_ids = vec![layer_digest.clone()];
        if extra_layer_bytes > 0 {
            let mut state = 0x9e37_79b9_7f4a_7c15u64;
            let content: Vec<u8> = (0..extra_layer_bytes)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state >> 24) as u8
                })
                .collect();
            let (digest, size) = put_blob(dir, &content);
            layers.push(format!(r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{digest}","size":{size}}}"#));
            diff_ids.push(digest);
        }
        let config = format!(
            r#"{{"architecture":"{arch}","os":"{os}","rootfs":{{"type":"layers","diff_ids":[{}]}},"config":{{}}}}"#,
            diff_ids.iter().map(|d| format!("\"{d}\"")).collect::<Vec<_>>().join(",")
        );
        let (config_digest, config_size) = put_blob(dir, config.as_bytes());
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{config_size}}},"layers":[{}]}}"#,
            layers.join(",")
        );
        let (digest, size) = put_blob(dir, manifest.as_bytes());
        manifests.push((digest, size, os.to_owned(), arch.to_owned()));
    }
    let (top_digest, top_size, media_type) = if index || manifests.len() > 1 {
        let entries: Vec<String> = manifests
            .iter()
            .map(|(d, s, os, arch)| {
                format!(
                    r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{d}","size":{s},"platform":{{"architecture":"{arch}","os":"{os}"}}}}"#
                )
            })
            .collect();
        let index_json = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{}]}}"#,
            entries.join(",")
        );
        let (d, s) = put_blob(dir, index_json.as_bytes());
        (d, s, "application/vnd.oci.image.index.v1+json")
    } else {
        let (d, s, _, _) = manifests[0].clone();
        (d, s, "application/vnd.oci.image.manifest.v1+json")
    };
    write_index(dir, tag, media_type, &top_digest, top_size);
    top_digest
}

/// Writes `index.json` with one entry: `tag` names the manifest `digest` of `size` bytes.
fn write_index(dir: &Path, tag: &str, media_type: &str, digest: &str, size: usize) {
    std::fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"{media_type}","digest":"{digest}","size":{size},"annotations":{{"org.opencontainers.image.ref.name":"{tag}"}}}}]}}"#
        ),
    )
    .expect("index.json");
}

/// The sha256 digest of a file, as `sha256:<hex>`.
pub fn file_digest(path: &Path) -> String {
    let mut file = std::fs::File::open(path).expect("open");
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer).expect("read");
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    format!("sha256:{}", hex(&hasher.finalize()))
}

/// Writes an OCI layout whose `tag` names `manifest` (of `media_type`), storing the manifest and each
/// of `blobs` under their real digests. The manifest may name anything, valid or not: this is how tests
/// build hostile layouts. Returns the manifest's digest.
pub fn raw_layout(dir: &Path, tag: &str, media_type: &str, manifest: &[u8], blobs: &[&[u8]]) -> String {
    std::fs::create_dir_all(dir).expect("layout dir");
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).expect("oci-layout");
    for blob in blobs {
        put_blob(dir, blob);
    }
    let (digest, size) = put_blob(dir, manifest);
    write_index(dir, tag, media_type, &digest, size);
    digest
}

/// PUTs `manifest` (an OCI image manifest) at `http://HOST/v2/REPOSITORY/manifests/TAG` with curl:
/// a hand edit, as an attacker with push rights would make it.
pub fn put_manifest(host: &str, repository: &str, tag: &str, manifest: &[u8]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("manifest.json");
    std::fs::write(&file, manifest).expect("write");
    run_ok(peer_command("curl").args([
        "-sf",
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/vnd.oci.image.manifest.v1+json",
        "--data-binary",
        &format!("@{}", file.display()),
        &format!("http://{host}/v2/{repository}/manifests/{tag}"),
    ]));
}

/// Pushes a small image (one platform) as `HOST/REPOSITORY:TAG` with skopeo, as a release image
/// workflow would.
pub fn push_image(host: &str, repository: &str, tag: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    image_layout(dir.path(), tag, &["linux/amd64"], false, 0);
    run_ok(peer_command("skopeo").args([
        "copy",
        "--dest-tls-verify=false",
        &format!("oci:{}:{tag}", dir.path().display()),
        &format!("docker://{host}/{repository}:{tag}"),
    ]));
}
