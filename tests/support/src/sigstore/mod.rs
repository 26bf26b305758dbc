//! Stand-ins for Sigstore's Fulcio and Rekor (they cannot run here), on loopback, with the trust
//! files that describe them: `trusted_root.json`, `signing_config.json` (v0.2) and the
//! `trust_config.json` (a ClientTrustConfig: both together) that sigstore-python takes with
//! `--trust-config`.
//!
//! They are honest only if a real client accepts them: sigstore-python signs against them and
//! verifies the result (`crates/cli/tests/keyless.rs`).

mod fulcio;
mod rekor;
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
    dir: tempfile::TempDir,
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
        let dir = tempfile::tempdir().expect("tempdir");
        let stand_in = SigstoreStandIn { fulcio, rekor, log, dir };
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

    /// `trusted_root.json`.
    pub fn trusted_root(&self) -> PathBuf {
        self.dir.path().join("trusted_root.json")
    }

    /// `signing_config.json`.
    pub fn signing_config(&self) -> PathBuf {
        self.dir.path().join("signing_config.json")
    }

    /// `trust_config.json`, for sigstore-python's `--trust-config`.
    pub fn trust_config(&self) -> PathBuf {
        self.dir.path().join("trust_config.json")
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
        let key = |base_url: &str, key: &x509::Key| {
            json!({
                "baseUrl": base_url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": STANDARD.encode(key.spki_der()),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": VALID_FROM}
                },
                "logId": {"keyId": STANDARD.encode(key.key_id())}
            })
        };
        let trusted_root = json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [key(&self.rekor_url(), &rekor_key)],
            "certificateAuthorities": [{
                "subject": {"organization": "sigstore.dev", "commonName": "sigstore-stand-in"},
                "uri": self.fulcio_url(),
                "certChain": {"certificates": [{"rawBytes": STANDARD.encode(ca.authority.der())}]},
                "validFor": {"start": VALID_FROM}
            }],
            "ctlogs": [key("https://ctfe.stand-in.invalid/test", &ca.ct_log)],
            "timestampAuthorities": []
        });
        let service = |url: String| json!({"url": url, "majorApiVersion": 1, "validFor": {"start": VALID_FROM}, "operator": "stand-in"});
        let signing_config = json!({
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [service(self.fulcio_url())],
            "oidcUrls": [service(oidc_issuer.to_owned())],
            "rekorTlogUrls": [service(self.rekor_url())],
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaUrls": [],
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

fn write(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(value).expect("json")).expect("write trust file");
}
