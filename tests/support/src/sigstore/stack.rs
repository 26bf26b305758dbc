//! A local Sigstore stack of real servers, built by `cargo xtask setup` from the Go module proxy and
//! started here on loopback: Rekor v2 (rekor-tiles' POSIX server, a file signer, its tiles served over
//! HTTP for reads) and the timestamp authority (`timestamp-server`, in-memory signer, no NTP). The
//! certificate authority is the real Fulcio (an ephemeral CA trusting the OIDC stand-in, and no CT
//! log, which nothing here can run) or the Fulcio stand-in of [`super::SigstoreStandIn`], whose
//! certificates carry the SCT that sigstore-python requires. The signing config lists Rekor v2
//! first and a Rekor v1 stand-in second, for clients that choose between them.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use p256::pkcs8::EncodePrivateKey as _;
use serde_json::{Value, json};

use super::x509::{Authority, Key};
use super::{Described, TrustFiles, fulcio, tlog, write};
use crate::http::{HttpServer, Request, Response};
use crate::oidc::OidcStandIn;

/// Which certificate authority the stack uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ca {
    /// The real Fulcio, with an ephemeral CA and no CT log: its certificates have no SCT.
    Fulcio,
    /// The Fulcio stand-in, whose certificates embed an SCT from its CT log key.
    StandIn,
}

/// A server process, killed when dropped; its output goes to `log`.
#[derive(Debug)]
struct Daemon {
    child: Child,
    log: PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind a free port").local_addr().expect("address").port()
}

/// Starts `program` with the arguments `args(ports)` gives for fresh ports, until `ready` answers
/// (a port taken between the probe and the bind is retried with others).
fn spawn(dir: &Path, name: &str, ports: usize, args: impl Fn(&[u16]) -> Vec<String>) -> (Daemon, Vec<u16>) {
    let log = dir.join(format!("{name}.log"));
    for _ in 0..5 {
        let chosen: Vec<u16> = (0..ports).map(|_| free_port()).collect();
        let output = std::fs::File::create(&log).expect("log file");
        let child = Command::new(crate::peer(name))
            .args(args(&chosen))
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("log file"))
            .stderr(output)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e} (run `cargo xtask setup`)"));
        let mut daemon = Daemon { child, log: log.clone() };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(_)) = daemon.child.try_wait() {
                break;
            }
            if TcpStream::connect(("127.0.0.1", chosen[0])).is_ok() {
                return (daemon, chosen);
            }
            assert!(Instant::now() < deadline, "{name} did not listen within 30 s:\n{}", daemon.output());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("{name} would not start:\n{}", std::fs::read_to_string(&log).unwrap_or_default());
}

impl Daemon {
    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// GETs `url` (plain HTTP on loopback) and returns the body of a 200 answer.
fn get(url: &str) -> Option<Vec<u8>> {
    let out = crate::peer_command("curl").args(["-sSf", "--max-time", "10", url]).output().ok()?;
    out.status.success().then_some(out.stdout)
}

/// timestamp-server always serves its metrics on port 2112 (of every interface; no flag moves it), so
/// one stack runs at a time in a test binary (cargo runs the binaries one after another).
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The running stack and its trust files.
#[derive(Debug)]
pub struct SigstoreStack {
    rekor: Daemon,
    rekor_url: String,
    tsa: Daemon,
    tsa_url: String,
    fulcio_url: String,
    _fulcio: Option<Daemon>,
    _stand_in: Option<HttpServer>,
    _tiles: HttpServer,
    /// A Rekor v1 stand-in listed second in the signing config (no real Rekor v1 runs here), for
    /// `--rekor-version 1`.
    rekor_v1: HttpServer,
    tiles_dir: PathBuf,
    trust: TrustFiles,
    _dir: tempfile::TempDir,
    // Last: dropped after the servers have stopped.
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl SigstoreStack {
    /// Starts Rekor v2, the timestamp authority and `ca` trusting `oidc`, and writes the trust files.
    pub fn start(oidc: &OidcStandIn, ca: Ca) -> SigstoreStack {
        // A test that failed while holding the turn has stopped its servers all the same.
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let dir = tempfile::tempdir().expect("tempdir");
        let (tsa, tsa_url) = start_tsa(dir.path());
        let chain = tsa_chain(&tsa_url, &tsa);
        let rekor_key = Key::generate();
        let (rekor, rekor_url) = start_rekor(dir.path(), &rekor_key);
        let tiles_dir = dir.path().join("tiles");
        let served = tiles_dir.clone();
        let tiles = HttpServer::start(move |request: &Request| serve_file(&served, request));
        let log = std::sync::Mutex::new(super::rekor::Log::new("rekor-v1.stand-in"));
        let v1_key = log.lock().expect("log").key.clone();
        let rekor_v1 = HttpServer::start(move |request: &Request| log.lock().expect("log").handle(request));
        let (fulcio_url, fulcio_daemon, stand_in, ca_root, ct_log) = match ca {
            Ca::Fulcio => {
                let (daemon, url) = start_fulcio(dir.path(), &oidc.issuer());
                let root = fulcio_root(&url, &daemon);
                (url, Some(daemon), None, root, None)
            }
            Ca::StandIn => {
                let ca = Arc::new(fulcio::Ca {
                    authority: Authority::new("sigstore-stand-in"),
                    ct_log: Key::generate(),
                    issuer: oidc.issuer(),
                    jwks: oidc.jwks(),
                });
                let root = ca.authority.der();
                let ct_spki = ca.ct_log.spki_der();
                let ct_id = ca.ct_log.key_id();
                let shared = Arc::clone(&ca);
                let server = HttpServer::start(move |request: &Request| shared.handle(request));
                (server.url(), None, Some(server), root, Some((ct_spki, ct_id)))
            }
        };
        let stack = SigstoreStack {
            rekor,
            rekor_url,
            tsa,
            tsa_url,
            fulcio_url,
            _fulcio: fulcio_daemon,
            _stand_in: stand_in,
            _tiles: tiles,
            rekor_v1,
            tiles_dir,
            trust: TrustFiles::new(),
            _dir: dir,
            _turn: turn,
        };
        let ctlogs =
            ct_log.iter().map(|(spki, id)| tlog("https://ctfe.stand-in.invalid/test", spki, id)).collect();
        stack.trust.write(&Described {
            fulcio_url: stack.fulcio_url.clone(),
            ca_root,
            oidc_issuer: oidc.issuer(),
            rekors: vec![
                (
                    stack.rekor_url.clone(),
                    2,
                    tlog(&stack.rekor_url, &rekor_key.spki_der(), &rekor_key.key_id()),
                ),
                (stack.rekor_v1.url(), 1, tlog(&stack.rekor_v1.url(), &v1_key.spki_der(), &v1_key.key_id())),
            ],
            ctlogs,
            tsa: Some((stack.tsa_url(), chain)),
        });
        stack
    }

    /// Rekor v2's base URL (its write API is `/api/v2/log/entries`).
    pub fn rekor_url(&self) -> String {
        self.rekor_url.clone()
    }

    /// The timestamp authority's timestamp URL, as a signing config lists it.
    pub fn tsa_url(&self) -> String {
        format!("{}/api/v1/timestamp", self.tsa_url)
    }

    /// Fulcio's URL.
    pub fn fulcio_url(&self) -> String {
        self.fulcio_url.clone()
    }

    /// The log's size, from the checkpoint Rekor published in its tiles directory.
    pub fn log_size(&self) -> u64 {
        let checkpoint = std::fs::read_to_string(self.tiles_dir.join("checkpoint")).unwrap_or_default();
        checkpoint.lines().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0)
    }

    /// Rekor's and the TSA's output so far (for failure messages).
    pub fn logs(&self) -> String {
        format!("--- rekor\n{}\n--- tsa\n{}", self.rekor.output(), self.tsa.output())
    }
}

impl std::ops::Deref for SigstoreStack {
    type Target = TrustFiles;

    fn deref(&self) -> &TrustFiles {
        &self.trust
    }
}

fn start_tsa(dir: &Path) -> (Daemon, String) {
    let (daemon, ports) = spawn(dir, "timestamp-server", 1, |ports| {
        ["serve", "--host", "127.0.0.1", "--port", &ports[0].to_string()]
            .into_iter()
            .chain(["--timestamp-signer", "memory", "--disable-ntp-monitoring"])
            .map(str::to_owned)
            .collect()
    });
    (daemon, format!("http://127.0.0.1:{}", ports[0]))
}

/// The TSA's certificate chain (leaf first), DER.
fn tsa_chain(url: &str, daemon: &Daemon) -> Vec<Vec<u8>> {
    let pem = get(&format!("{url}/api/v1/timestamp/certchain"))
        .unwrap_or_else(|| panic!("the TSA's certificate chain:\n{}", daemon.output()));
    pem_certificates(&String::from_utf8_lossy(&pem))
}

fn pem_certificates(pem: &str) -> Vec<Vec<u8>> {
    pem.split("-----BEGIN CERTIFICATE-----")
        .skip(1)
        .filter_map(|block| block.split("-----END CERTIFICATE-----").next())
        .map(|body| STANDARD.decode(body.split_whitespace().collect::<String>()).expect("PEM"))
        .collect()
}

/// Rekor v2 with an ECDSA P-256 file signer; its checkpoint origin is its URL's host name, as
/// sigstore-go (cosign) derives it from the trusted root's `baseUrl`.
fn start_rekor(dir: &Path, key: &Key) -> (Daemon, String) {
    let pem = key.signing.to_pkcs8_pem(p256::pkcs8::LineEnding::LF).expect("PKCS#8");
    std::fs::write(dir.join("rekor.pem"), pem.as_bytes()).expect("write the log's key");
    let tiles = dir.join("tiles");
    std::fs::create_dir_all(&tiles).expect("mkdir");
    let (daemon, ports) = spawn(dir, "posix", 3, |ports| {
        let [http, grpc, metrics] = [ports[0], ports[1], ports[2]].map(|p| p.to_string());
        [
            "serve",
            "--http-port",
            &http,
            "--grpc-port",
            &grpc,
            "--http-metrics-port",
            &metrics,
            "--hostname",
            "127.0.0.1",
            "--storage-dir",
            tiles.to_str().expect("utf-8"),
            "--signer-filepath",
            "rekor.pem",
            // A checkpoint soon after each entry: an upload waits for the one that includes it.
            "--checkpoint-interval",
            "100ms",
            "--batch-max-age",
            "10ms",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect()
    });
    (daemon, format!("http://127.0.0.1:{}", ports[0]))
}

/// Fulcio with an ephemeral CA, the OIDC stand-in as its one issuer (GitHub Actions' kind), and no
/// CT log.
fn start_fulcio(dir: &Path, issuer: &str) -> (Daemon, String) {
    let config = json!({"OIDCIssuers": {issuer: {"IssuerURL": issuer, "ClientID": "sigstore", "Type": "github-workflow"}}});
    write(&dir.join("fulcio.json"), &config);
    let socket = dir.join("fulcio-legacy.sock");
    let (daemon, ports) = spawn(dir, "fulcio", 3, |ports| {
        let [http, grpc, metrics] = [ports[0], ports[1], ports[2]].map(|p| p.to_string());
        [
            "serve",
            "--ca",
            "ephemeralca",
            "--ct-log-url",
            "",
            "--config-path",
            "fulcio.json",
            "--host",
            "127.0.0.1",
            "--port",
            &http,
            "--grpc-host",
            "127.0.0.1",
            "--grpc-port",
            &grpc,
            "--metrics-port",
            &metrics,
            "--legacy-unix-domain-socket",
            socket.to_str().expect("utf-8"),
        ]
        .into_iter()
        .map(str::to_owned)
        .collect()
    });
    (daemon, format!("http://127.0.0.1:{}", ports[0]))
}

/// The root of Fulcio's ephemeral CA, from its trust bundle.
fn fulcio_root(url: &str, daemon: &Daemon) -> Vec<u8> {
    let bundle = get(&format!("{url}/api/v2/trustBundle"))
        .unwrap_or_else(|| panic!("Fulcio's trust bundle:\n{}", daemon.output()));
    let bundle: Value = serde_json::from_slice(&bundle).expect("JSON");
    let chain = bundle["chains"][0]["certificates"].as_array().expect("a chain");
    let last = chain.last().and_then(Value::as_str).expect("a root");
    pem_certificates(last).remove(0)
}

/// A file of Rekor's tiles directory (`/checkpoint`, `/tile/…`), read-only; nothing outside it.
fn serve_file(root: &Path, request: &Request) -> Response {
    let path = request.path.split('?').next().unwrap_or_default().trim_start_matches('/');
    let plain = path.split('/').all(|part| !part.is_empty() && part != ".." && part != ".");
    let file = root.join(path);
    match std::fs::read(&file) {
        Ok(body) if plain && request.method == "GET" && file.is_file() => {
            Response { status: 200, headers: vec![("Content-Type".into(), "text/plain".into())], body }
        }
        _ => Response::json(404, r#"{"message":"not found"}"#),
    }
}
