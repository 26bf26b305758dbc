//! Stand-ins for Sigstore's Fulcio and Rekor v1 (no real Rekor v1 runs here), on loopback, with the
//! trust files that describe them ([`TrustFiles`]: `trusted_root.json`, `signing_config.json` (v0.2)
//! and the `trust_config.json` (a ClientTrustConfig: both together) that sigstore-python takes with
//! `--trust-config`). The real servers that do run here are in [`stack`].
//!
//! They are honest only if a real client accepts them: sigstore-python signs against them and
//! verifies the result (`crates/cli/tests/keyless.rs`).

mod fulcio;
mod rekor;
pub mod stack;
pub mod x509;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::http::{HttpServer, Request};
use crate::oidc::OidcStandIn;

/// When the stand-ins' keys start to be valid, as the trust files say.
const VALID_FROM: &str = "2020-01-01T00:00:00Z";

/// The running Fulcio and Rekor stand-ins.
#[derive(Debug)]
pub struct SigstoreStandIn {
    fulcio: HttpServer,
    rekor: HttpServer,
    log: Arc<Mutex<rekor::Log>>,
    trust: TrustFiles,
}

impl SigstoreStandIn {
    /// Starts a Fulcio that trusts `oidc`'s tokens, and a Rekor, and writes their trust files.
    pub fn start(oidc: &OidcStandIn) -> SigstoreStandIn {
        let ca = Arc::new(fulcio::Ca {
            authority: x509::Authority::new("sigstore-stand-in"),
            ct_log: x509::Key::generate(),
            issuer: oidc.issuer(),
            jwks: oidc.jwks(),
        });
        let shared = Arc::clone(&ca);
        let fulcio = HttpServer::start(move |request: &Request| shared.handle(request));
        let log = Arc::new(Mutex::new(rekor::Log::new("rekor.stand-in")));
        let shared = Arc::clone(&log);
        let rekor = HttpServer::start(move |request: &Request| shared.lock().expect("log").handle(request));
        let stand_in = SigstoreStandIn { fulcio, rekor, log, trust: TrustFiles::new() };
        stand_in.write_trust(&ca, &oidc.issuer());
        stand_in
    }

    /// Fulcio's URL.
    pub fn fulcio_url(&self) -> String {
        self.fulcio.url()
    }

    /// Rekor's URL.
    pub fn rekor_url(&self) -> String {
        self.rekor.url()
    }

    /// How many entries Rekor has logged.
    pub fn log_size(&self) -> usize {
        self.log.lock().expect("log").size()
    }

    /// Requests Fulcio served, in order.
    pub fn fulcio_requests(&self) -> Vec<Request> {
        self.fulcio.requests()
    }

    /// Requests Rekor served, in order.
    pub fn rekor_requests(&self) -> Vec<Request> {
        self.rekor.requests()
    }

    fn write_trust(&self, ca: &fulcio::Ca, oidc_issuer: &str) {
        let rekor_key = self.log.lock().expect("log").key.clone();
        self.trust.write(&Described {
            fulcio_url: self.fulcio_url(),
            ca_root: ca.authority.der(),
            oidc_issuer: oidc_issuer.to_owned(),
            rekors: vec![(
                self.rekor_url(),
                1,
                tlog(&self.rekor_url(), &rekor_key.spki_der(), &rekor_key.key_id()),
            )],
            ctlogs: vec![tlog(
                "https://ctfe.stand-in.invalid/test",
                &ca.ct_log.spki_der(),
                &ca.ct_log.key_id(),
            )],
            tsa: None,
        });
    }
}

impl std::ops::Deref for SigstoreStandIn {
    type Target = TrustFiles;

    fn deref(&self) -> &TrustFiles {
        &self.trust
    }
}

/// What the trust files say of an instance.
struct Described {
    fulcio_url: String,
    ca_root: Vec<u8>,
    oidc_issuer: String,
    /// Each Rekor's URL, major API version, and trusted-root entry, in the signing config's order.
    rekors: Vec<(String, u32, Value)>,
    ctlogs: Vec<Value>,
    /// The TSA's timestamp URL and certificate chain (DER, leaf first).
    tsa: Option<(String, Vec<Vec<u8>>)>,
}

/// The files that describe an instance: `trusted_root.json`, `signing_config.json` (v0.2) and
/// `trust_config.json` (a ClientTrustConfig: both, for sigstore-python's `--trust-config`).
#[derive(Debug)]
pub struct TrustFiles(tempfile::TempDir);

impl TrustFiles {
    fn new() -> TrustFiles {
        TrustFiles(tempfile::tempdir().expect("tempdir"))
    }

    /// `trusted_root.json`.
    pub fn trusted_root(&self) -> PathBuf {
        self.0.path().join("trusted_root.json")
    }

    /// `signing_config.json`.
    pub fn signing_config(&self) -> PathBuf {
        self.0.path().join("signing_config.json")
    }

    /// `trust_config.json`, for sigstore-python's `--trust-config`.
    pub fn trust_config(&self) -> PathBuf {
        self.0.path().join("trust_config.json")
    }

    fn write(&self, d: &Described) {
        let certificates = |ders: &[Vec<u8>]| -> Vec<Value> {
            ders.iter().map(|der| json!({"rawBytes": STANDARD.encode(der)})).collect()
        };
        let tsas: Vec<Value> = d
            .tsa
            .iter()
            .map(|(url, chain)| {
                json!({
                    "subject": {"organization": "local", "commonName": "Test TSA Timestamping"},
                    "uri": url,
                    "certChain": {"certificates": certificates(chain)},
                    "validFor": {"start": VALID_FROM}
                })
            })
            .collect();
        let trusted_root = json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": d.rekors.iter().map(|r| r.2.clone()).collect::<Vec<_>>(),
            "certificateAuthorities": [{
                "subject": {"organization": "sigstore.dev", "commonName": "sigstore"},
                "uri": d.fulcio_url,
                "certChain": {"certificates": certificates(std::slice::from_ref(&d.ca_root))},
                "validFor": {"start": VALID_FROM}
            }],
            "ctlogs": d.ctlogs,
            "timestampAuthorities": tsas
        });
        let tsa_urls: Vec<Value> = d.tsa.iter().map(|(url, _)| service(url, 1)).collect();
        let signing_config = json!({
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [service(&d.fulcio_url, 1)],
            "oidcUrls": [service(&d.oidc_issuer, 1)],
            "rekorTlogUrls": d.rekors.iter().map(|r| service(&r.0, r.1)).collect::<Vec<_>>(),
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaUrls": tsa_urls,
            "tsaConfig": {"selector": "ANY"}
        });
        let trust_config = json!({
            "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
            "trustedRoot": trusted_root,
            "signingConfig": signing_config
        });
        write(&self.trusted_root(), &trusted_root);
        write(&self.signing_config(), &signing_config);
        write(&self.trust_config(), &trust_config);
    }
}

/// A trusted root's log entry (a transparency or CT log): its URL, ECDSA P-256 key and log ID.
fn tlog(base_url: &str, spki_der: &[u8], key_id: &[u8; 32]) -> Value {
    json!({
        "baseUrl": base_url,
        "hashAlgorithm": "SHA2_256",
        "publicKey": {
            "rawBytes": STANDARD.encode(spki_der),
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "validFor": {"start": VALID_FROM}
        },
        "logId": {"keyId": STANDARD.encode(key_id)}
    })
}

/// A signing config's service entry.
fn service(url: &str, major_api_version: u32) -> Value {
    json!({"url": url, "majorApiVersion": major_api_version, "validFor": {"start": VALID_FROM}, "operator": "local"})
}

fn write(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(value).expect("json")).expect("write trust file");
}
