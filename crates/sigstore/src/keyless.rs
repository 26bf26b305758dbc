//! Keyless signing, as cosign and sigstore-python do it: an OIDC identity token (GitHub Actions'
//! ambient one, audience `sigstore`, or one given), a Fulcio certificate for an ephemeral ECDSA P-256
//! key, the signature, and a Rekor v1 `hashedrekord` entry. The result is a Sigstore bundle v0.3 (for
//! files) or, for cosign's legacy `.sig` tag, the certificate, chain and Rekor bundle annotations.
//!
//! The client is ours, the verification is not: what this module returns is checked by
//! [`crate::bundle`] (sigstore-rust's verifier) before anyone publishes it. It is ours because the
//! sigstore-rust signing crates are async (tokio) and bring HTTP clients whose timeouts, size caps and
//! redirect policy tagwright cannot set; here every request goes through [`crate::http`].

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::EncodePublicKey as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// The public-good Fulcio.
pub const PUBLIC_GOOD_FULCIO: &str = "https://fulcio.sigstore.dev";
/// The public-good Rekor (v1 API).
pub const PUBLIC_GOOD_REKOR: &str = "https://rekor.sigstore.dev";
/// The audience of Sigstore identity tokens.
pub const AUDIENCE: &str = "sigstore";

/// Why keyless signing failed, by the service that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeylessError {
    /// No identity token, or one we cannot read.
    #[error("identity token: {0}")]
    Token(String),
    /// Fulcio refused or answered something we cannot use.
    #[error("Fulcio: {0}")]
    Fulcio(String),
    /// Rekor refused or answered something we cannot use.
    #[error("Rekor: {0}")]
    Rekor(String),
    /// A signing config we cannot read.
    #[error("{0}")]
    Input(String),
}

/// Which Sigstore instance signs: its Fulcio and its Rekor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// Fulcio's base URL.
    pub fulcio: String,
    /// Rekor's base URL.
    pub rekor: String,
}

impl Instance {
    /// The public-good instance.
    pub fn public_good() -> Instance {
        Instance { fulcio: PUBLIC_GOOD_FULCIO.to_owned(), rekor: PUBLIC_GOOD_REKOR.to_owned() }
    }

    /// The first Fulcio and the first Rekor v1 of a signing config (v0.2 JSON).
    pub fn from_signing_config(json: &str) -> Result<Instance, KeylessError> {
        let config: Value = serde_json::from_str(json)
            .map_err(|e| KeylessError::Input(format!("the signing config: {e}")))?;
        let first = |field: &str| {
            config[field]
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["majorApiVersion"] == 1)
                .and_then(|s| s["url"].as_str())
                .map(|u| u.trim_end_matches('/').to_owned())
                .ok_or_else(|| {
                    KeylessError::Input(format!("the signing config has no v1 service in {field}"))
                })
        };
        Ok(Instance { fulcio: first("caUrls")?, rekor: first("rekorTlogUrls")? })
    }
}

/// An OIDC identity token. Its claims are read, not verified: Fulcio verifies the token.
#[derive(Clone)]
pub struct IdentityToken {
    raw: String,
    /// The challenge Fulcio checks the proof of possession against (`email`, else `sub`).
    pub subject: String,
    /// `iss`.
    pub issuer: String,
    /// The identity Fulcio certifies for this token: for a GitHub Actions token, the workflow URI
    /// (`https://github.com/` + `job_workflow_ref`); else the email, else the subject.
    pub certificate_identity: String,
}

impl std::fmt::Debug for IdentityToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityToken")
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl IdentityToken {
    /// Reads a JWT's claims.
    pub fn parse(raw: &str) -> Result<IdentityToken, KeylessError> {
        let raw = raw.trim();
        let claims = raw
            .split('.')
            .nth(1)
            .and_then(|part| URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok())
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .filter(Value::is_object)
            .ok_or_else(|| KeylessError::Token("not a JWT".to_owned()))?;
        let text = |name: &str| claims[name].as_str().unwrap_or_default().to_owned();
        let subject = Some(text("email")).filter(|e| !e.is_empty()).unwrap_or_else(|| text("sub"));
        if subject.is_empty() {
            return Err(KeylessError::Token("the token has no `sub` claim".to_owned()));
        }
        let workflow = text("job_workflow_ref");
        let certificate_identity =
            if workflow.is_empty() { subject.clone() } else { format!("https://github.com/{workflow}") };
        Ok(IdentityToken { raw: raw.to_owned(), subject, issuer: text("iss"), certificate_identity })
    }

    /// Inside GitHub Actions (`get` reads the environment), the job's token for audience `sigstore`;
    /// `None` outside.
    pub fn from_github_actions(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<IdentityToken>, KeylessError> {
        let job =
            crate::provenance::github::Job::from_env(get).map_err(|e| KeylessError::Token(e.to_string()))?;
        let Some(job) = job else { return Ok(None) };
        let client = crate::http::client().map_err(KeylessError::Token)?;
        let answer = crate::http::get_json(
            &client,
            &format!("{}&audience={AUDIENCE}", job.token_url),
            Some(&job.request_token),
        )
        .map_err(KeylessError::Token)?;
        let value = answer["value"]
            .as_str()
            .ok_or_else(|| KeylessError::Token("the token endpoint's answer has no `value`".to_owned()))?;
        IdentityToken::parse(value).map(Some)
    }
}

/// A Rekor v1 entry, as logged.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// The canonicalized body, base64.
    pub body: String,
    /// When it was integrated (seconds).
    pub integrated_time: i64,
    /// Its index.
    pub log_index: i64,
    /// The log's ID (SHA-256 of its key), hex.
    pub log_id: String,
    /// The signed entry timestamp, base64.
    pub signed_entry_timestamp: String,
    /// The inclusion proof, as a bundle holds it.
    pub inclusion_proof: Option<Value>,
}

/// A keyless signature over some bytes.
#[derive(Debug, Clone)]
pub struct Signature {
    /// The signature (DER ECDSA).
    pub signature: Vec<u8>,
    /// SHA-256 of the signed bytes.
    pub digest: [u8; 32],
    /// The signing certificate, DER.
    pub certificate: Vec<u8>,
    /// Its log entry.
    pub entry: LogEntry,
}

/// An ephemeral key with its Fulcio certificate.
pub struct Signer {
    key: SigningKey,
    chain: Vec<String>,
    rekor: String,
    client: tagwright_http::reqwest::blocking::Client,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("rekor", &self.rekor).finish_non_exhaustive()
    }
}

fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body.trim()).ok()
}

fn hex_to_b64(hex: &str, what: &str) -> Result<String, String> {
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{what} is not a SHA-256 hex digest"));
    }
    let bytes: Vec<u8> =
        (0..64).step_by(2).filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok()).collect();
    Ok(STANDARD.encode(bytes))
}

impl Signer {
    /// A fresh key, certified by `instance`'s Fulcio for `token`'s identity.
    pub fn new(instance: &Instance, token: &IdentityToken) -> Result<Signer, KeylessError> {
        let key = SigningKey::random(&mut rand_core::OsRng);
        let public = key
            .verifying_key()
            .to_public_key_pem(p256::pkcs8::LineEnding::LF)
            .map_err(|e| KeylessError::Fulcio(format!("cannot encode the key: {e}")))?;
        let proof: DerSignature = key.sign(token.subject.as_bytes());
        let request = json!({
            "credentials": {"oidcIdentityToken": token.raw},
            "publicKeyRequest": {
                "publicKey": {"algorithm": "ECDSA", "content": public},
                "proofOfPossession": STANDARD.encode(proof.as_bytes())
            }
        });
        let client = crate::http::client().map_err(KeylessError::Fulcio)?;
        let url = format!("{}/api/v2/signingCert", instance.fulcio.trim_end_matches('/'));
        let (status, answer) =
            crate::http::post_json(&client, &url, &request, None).map_err(KeylessError::Fulcio)?;
        if !(200..300).contains(&status) {
            return Err(KeylessError::Fulcio(format!("POST {url}: HTTP {status}: {}", message(&answer))));
        }
        let chain: Vec<String> = answer["signedCertificateEmbeddedSct"]["chain"]["certificates"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect();
        if chain.is_empty() || chain.iter().any(|c| pem_to_der(c).is_none()) {
            return Err(KeylessError::Fulcio(format!(
                "POST {url}: no certificate chain with an embedded SCT"
            )));
        }
        Ok(Signer { key, chain, rekor: instance.rekor.trim_end_matches('/').to_owned(), client })
    }

    /// The signing certificate, PEM.
    pub fn certificate_pem(&self) -> &str {
        &self.chain[0]
    }

    /// The rest of the chain (intermediates and root), PEM, concatenated.
    pub fn chain_pem(&self) -> String {
        self.chain[1..].concat()
    }

    /// Signs `payload` into a DSSE envelope (keyid empty, as cosign and sigstore-python leave it) and
    /// logs it in Rekor as a `dsse` v0.0.1 entry.
    pub fn sign_dsse(&self, payload_type: &str, payload: &[u8]) -> Result<DsseSignature, KeylessError> {
        let signature: DerSignature = self.key.sign(&crate::dsse::pae(payload_type, payload));
        let envelope = crate::dsse::Envelope {
            payload: STANDARD.encode(payload),
            payload_type: payload_type.to_owned(),
            signatures: vec![crate::dsse::Signature {
                keyid: String::new(),
                sig: STANDARD.encode(signature.as_bytes()),
            }],
        };
        let text = serde_json::to_string(&envelope).map_err(|e| KeylessError::Input(e.to_string()))?;
        let proposed = json!({
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {"proposedContent": {"envelope": text, "verifiers": [STANDARD.encode(self.certificate_pem())]}}
        });
        let entry = self.log(&proposed)?;
        let certificate = pem_to_der(self.certificate_pem()).unwrap_or_default();
        Ok(DsseSignature { envelope, certificate, entry })
    }

    /// POSTs a proposed entry to Rekor and reads the logged entry.
    fn log(&self, proposed: &Value) -> Result<LogEntry, KeylessError> {
        let url = format!("{}/api/v1/log/entries", self.rekor);
        let (status, answer) =
            crate::http::post_json(&self.client, &url, proposed, None).map_err(KeylessError::Rekor)?;
        if status != 201 {
            return Err(KeylessError::Rekor(format!("POST {url}: HTTP {status}: {}", message(&answer))));
        }
        log_entry(&answer).map_err(|e| KeylessError::Rekor(format!("POST {url}: {e}")))
    }

    /// Signs `bytes` and logs the signature in Rekor.
    pub fn sign(&self, bytes: &[u8]) -> Result<Signature, KeylessError> {
        let signature: DerSignature = self.key.sign(bytes);
        let digest: [u8; 32] = Sha256::digest(bytes).into();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let proposed = json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": hex}},
                "signature": {
                    "content": STANDARD.encode(signature.as_bytes()),
                    "publicKey": {"content": STANDARD.encode(self.certificate_pem())}
                }
            }
        });
        let entry = self.log(&proposed)?;
        let certificate = pem_to_der(self.certificate_pem()).unwrap_or_default();
        Ok(Signature { signature: signature.as_bytes().to_vec(), digest, certificate, entry })
    }
}

fn message(answer: &Value) -> String {
    answer["message"].as_str().map_or_else(|| answer.to_string(), str::to_owned)
}

impl LogEntry {
    /// The one entry of a Rekor v1 `LogEntry` answer (`{uuid: {body, integratedTime, …}}`), its
    /// shape checked: hex digests where hex is due, at most 64 proof hashes.
    pub fn from_rekor_answer(answer: &Value) -> Result<LogEntry, KeylessError> {
        log_entry(answer).map_err(KeylessError::Rekor)
    }
}

fn log_entry(answer: &Value) -> Result<LogEntry, String> {
    let bad = |what: &str| format!("the answer's {what} is missing or malformed");
    let entries = answer.as_object().filter(|o| o.len() == 1).ok_or_else(|| bad("single entry"))?;
    let entry = entries.values().next().ok_or_else(|| bad("entry"))?;
    let text = |field: &Value, what: &str| field.as_str().map(str::to_owned).ok_or_else(|| bad(what));
    let proof = &entry["verification"]["inclusionProof"];
    let inclusion_proof = if proof.is_object() {
        let hashes =
            proof["hashes"].as_array().filter(|h| h.len() <= 64).ok_or_else(|| bad("inclusion proof"))?;
        let hashes = hashes
            .iter()
            .map(|h| hex_to_b64(h.as_str().unwrap_or_default(), "an inclusion proof hash"))
            .collect::<Result<Vec<_>, _>>()?;
        Some(json!({
            "logIndex": proof["logIndex"].as_i64().ok_or_else(|| bad("proof's logIndex"))?.to_string(),
            "rootHash": hex_to_b64(proof["rootHash"].as_str().unwrap_or_default(), "the root hash")?,
            "treeSize": proof["treeSize"].as_i64().ok_or_else(|| bad("proof's treeSize"))?.to_string(),
            "hashes": hashes,
            "checkpoint": {"envelope": text(&proof["checkpoint"], "checkpoint")?}
        }))
    } else {
        None
    };
    let log_id = text(&entry["logID"], "logID")?;
    hex_to_b64(&log_id, "logID")?;
    Ok(LogEntry {
        body: text(&entry["body"], "body")?,
        integrated_time: entry["integratedTime"].as_i64().ok_or_else(|| bad("integratedTime"))?,
        log_index: entry["logIndex"].as_i64().ok_or_else(|| bad("logIndex"))?,
        log_id,
        signed_entry_timestamp: text(&entry["verification"]["signedEntryTimestamp"], "signedEntryTimestamp")?,
        inclusion_proof,
    })
}

impl LogEntry {
    /// The entry as a bundle's `tlogEntries[]` item. `kindVersion` comes from the logged body.
    pub fn bundle_entry(&self) -> Value {
        let body: Value = STANDARD
            .decode(&self.body)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        let mut entry = json!({
            "logIndex": self.log_index.to_string(),
            "logId": {"keyId": hex_to_b64(&self.log_id, "logID").unwrap_or_default()},
            "kindVersion": {"kind": body["kind"], "version": body["apiVersion"]},
            "integratedTime": self.integrated_time.to_string(),
            "inclusionPromise": {"signedEntryTimestamp": self.signed_entry_timestamp},
            "canonicalizedBody": self.body
        });
        if let Some(proof) = &self.inclusion_proof {
            entry["inclusionProof"] = proof.clone();
        }
        entry
    }

    /// cosign's `dev.sigstore.cosign/bundle` annotation: the SET and what it signs.
    pub fn rekor_bundle_annotation(&self) -> String {
        json!({
            "SignedEntryTimestamp": self.signed_entry_timestamp,
            "Payload": {
                "body": self.body,
                "integratedTime": self.integrated_time,
                "logIndex": self.log_index,
                "logID": self.log_id
            }
        })
        .to_string()
    }

    /// An entry from cosign's bundle annotation (the SET and its payload; no inclusion proof).
    pub fn from_rekor_bundle_annotation(annotation: &str) -> Option<LogEntry> {
        let value: Value = serde_json::from_str(annotation).ok()?;
        let payload = &value["Payload"];
        Some(LogEntry {
            body: payload["body"].as_str()?.to_owned(),
            integrated_time: payload["integratedTime"].as_i64()?,
            log_index: payload["logIndex"].as_i64()?,
            log_id: payload["logID"].as_str()?.to_owned(),
            signed_entry_timestamp: value["SignedEntryTimestamp"].as_str()?.to_owned(),
            inclusion_proof: None,
        })
    }
}

/// A keyless DSSE envelope.
#[derive(Debug, Clone)]
pub struct DsseSignature {
    /// The envelope.
    pub envelope: crate::dsse::Envelope,
    /// The signing certificate, DER.
    pub certificate: Vec<u8>,
    /// Its log entry.
    pub entry: LogEntry,
}

impl DsseSignature {
    /// A Sigstore bundle v0.3 holding the envelope.
    pub fn bundle(&self) -> Value {
        bundle_v03(&self.certificate, &self.entry, "dsseEnvelope", json!(self.envelope))
    }
}

impl Signature {
    /// A Sigstore bundle v0.3 over the signed bytes (`messageSignature`).
    pub fn bundle(&self) -> Value {
        let content = json!({
            "messageDigest": {"algorithm": "SHA2_256", "digest": STANDARD.encode(self.digest)},
            "signature": STANDARD.encode(&self.signature)
        });
        bundle_v03(&self.certificate, &self.entry, "messageSignature", content)
    }
}

/// A bundle v0.3 with a certificate, one log entry, and its content (`messageSignature` or
/// `dsseEnvelope`).
fn bundle_v03(certificate: &[u8], entry: &LogEntry, field: &str, content: Value) -> Value {
    let mut bundle = json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": STANDARD.encode(certificate)},
            "tlogEntries": [entry.bundle_entry()]
        }
    });
    bundle[field] = content;
    bundle
}

/// An in-toto v1 Statement whose subject is a file: its name and SHA-256.
pub fn file_statement(name: &str, bytes: &[u8], predicate_type: &str, predicate: Value) -> Vec<u8> {
    let hex: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {"sha256": hex}}],
        "predicateType": predicate_type,
        "predicate": predicate
    })
    .to_string()
    .into_bytes()
}

/// The bundle (v0.1, as cosign converts it) of a legacy `.att` layer: its DSSE envelope, its
/// certificate (PEM) and its Rekor bundle annotation.
pub fn legacy_dsse_bundle(
    envelope: &crate::dsse::Envelope,
    certificate_pem: &str,
    entry: &LogEntry,
) -> Option<Value> {
    legacy(certificate_pem, entry, "dsseEnvelope", json!(envelope))
}

/// The bundle (v0.1, as cosign converts it) of a legacy `.sig` layer: its base64 signature, its
/// certificate (PEM) and its Rekor bundle annotation, over `payload`.
pub fn legacy_bundle(
    payload: &[u8],
    signature_b64: &str,
    certificate_pem: &str,
    entry: &LogEntry,
) -> Option<Value> {
    let content = json!({
        "messageDigest": {"algorithm": "SHA2_256", "digest": STANDARD.encode(Sha256::digest(payload))},
        "signature": signature_b64
    });
    legacy(certificate_pem, entry, "messageSignature", content)
}

fn legacy(certificate_pem: &str, entry: &LogEntry, field: &str, content: Value) -> Option<Value> {
    let certificate = pem_to_der(certificate_pem)?;
    let mut bundle = json!({
        "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "verificationMaterial": {
            "x509CertificateChain": {"certificates": [{"rawBytes": STANDARD.encode(certificate)}]},
            "tlogEntries": [entry.bundle_entry()]
        }
    });
    bundle[field] = content;
    Some(bundle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_give_their_challenge_and_the_annotation_round_trips() {
        let claims = URL_SAFE_NO_PAD.encode(r#"{"iss":"https://issuer","sub":"repo:a/b:ref:refs/tags/v1"}"#);
        let token = IdentityToken::parse(&format!("e30.{claims}.c2ln")).expect("token");
        assert_eq!(
            (token.subject.as_str(), token.issuer.as_str()),
            ("repo:a/b:ref:refs/tags/v1", "https://issuer")
        );
        assert!(!format!("{token:?}").contains(&claims), "the raw token is never printed");
        assert!(IdentityToken::parse("not-a-jwt").is_err());
        let entry = LogEntry {
            body: STANDARD.encode(r#"{"apiVersion":"0.0.1","kind":"hashedrekord"}"#),
            integrated_time: 1_700_000_000,
            log_index: 7,
            log_id: "ab".repeat(32),
            signed_entry_timestamp: "c2V0".to_owned(),
            inclusion_proof: None,
        };
        let back = LogEntry::from_rekor_bundle_annotation(&entry.rekor_bundle_annotation()).expect("parses");
        assert_eq!(back.bundle_entry(), entry.bundle_entry());
        assert_eq!(entry.bundle_entry()["kindVersion"], json!({"kind": "hashedrekord", "version": "0.0.1"}));
    }

    #[test]
    fn a_signing_config_names_the_v1_services() {
        let config = r#"{"caUrls":[{"url":"https://fulcio.example/","majorApiVersion":1}],
            "rekorTlogUrls":[{"url":"https://log2.example","majorApiVersion":2},{"url":"https://rekor.example","majorApiVersion":1}]}"#;
        assert_eq!(
            Instance::from_signing_config(config).expect("config"),
            Instance { fulcio: "https://fulcio.example".into(), rekor: "https://rekor.example".into() }
        );
        assert!(Instance::from_signing_config(r#"{"caUrls":[]}"#).is_err());
    }
}
