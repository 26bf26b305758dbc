//! Keyless signing, as cosign and sigstore-python do it: an OIDC identity token (GitHub Actions'
//! ambient one, audience `sigstore`, or one given), a Fulcio certificate for an ephemeral ECDSA P-256
//! key, the signature, an RFC 3161 timestamp where the instance has a timestamp authority, and a
//! transparency-log entry: Rekor v1 (`hashedrekord` or `dsse` v0.0.1, with a signed entry timestamp)
//! or Rekor v2 (`hashedrekord` v0.0.2, with an inclusion proof and no SET; [`crate::rekor_v2`]). The
//! instance comes from a signing config, as cosign 3 and sigstore-python read it. The result is a
//! Sigstore bundle v0.3 (for files) or, for cosign's legacy `.sig` tag (Rekor v1 only), the
//! certificate, chain and Rekor bundle annotations.
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

pub use crate::tlog::LogEntry;

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
    /// The timestamp authority refused or answered something we cannot use.
    #[error("timestamp authority: {0}")]
    Timestamp(String),
    /// A signing config we cannot read.
    #[error("{0}")]
    Input(String),
}

/// Which Sigstore instance signs: its Fulcio, its Rekor (v1 or v2) and its timestamp authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// Fulcio's base URL.
    pub fulcio: String,
    /// Rekor's base URL.
    pub rekor: String,
    /// Rekor's major API version: 1 (`/api/v1/log/entries`) or 2 (`/api/v2/log/entries`).
    pub rekor_version: u32,
    /// The timestamp authority's URL (`…/api/v1/timestamp`), if any; Rekor v2 needs one.
    pub tsa: Option<String>,
}

impl Instance {
    /// The public-good instance, as this version of tagwright knows it: Fulcio and Rekor v1.
    pub fn public_good() -> Instance {
        Instance {
            fulcio: PUBLIC_GOOD_FULCIO.to_owned(),
            rekor: PUBLIC_GOOD_REKOR.to_owned(),
            rekor_version: 1,
            tsa: None,
        }
    }

    /// The services of a signing config (v0.2 JSON) valid now, as cosign 3 and sigstore-python
    /// choose them: the first Fulcio, the Rekor of the highest major version we speak (1 or 2), the
    /// first timestamp authority.
    pub fn from_signing_config(json: &str) -> Result<Instance, KeylessError> {
        Instance::from_signing_config_with(json, None)
    }

    /// As [`Instance::from_signing_config`], with the Rekor's major version chosen (`--rekor-version`)
    /// where the config lists several.
    pub fn from_signing_config_with(
        json: &str,
        rekor_version: Option<u32>,
    ) -> Result<Instance, KeylessError> {
        let config: Value = serde_json::from_str(json)
            .map_err(|e| KeylessError::Input(format!("the signing config: {e}")))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| chrono::DateTime::from_timestamp(i64::try_from(d.as_secs()).ok()?, 0))
            .unwrap_or_default();
        // A window bound that is there must parse; one left out does not bound.
        let valid = |service: &&Value| {
            let at = |field: &str| match &service["validFor"][field] {
                Value::Null => Ok(None),
                value => value
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| Some(t.with_timezone(&chrono::Utc)))
                    .ok_or(()),
            };
            matches!((at("start"), at("end")), (Ok(start), Ok(end))
                if start.is_none_or(|start| start <= now) && end.is_none_or(|end| now < end))
        };
        let services = |field: &str, versions: &[u32]| -> Vec<(u32, String)> {
            config[field]
                .as_array()
                .into_iter()
                .flatten()
                .filter(valid)
                .filter_map(|s| {
                    let version = u32::try_from(s["majorApiVersion"].as_u64()?).ok()?;
                    let url = s["url"].as_str()?.trim_end_matches('/').to_owned();
                    versions.contains(&version).then_some((version, url))
                })
                .collect()
        };
        let none = |field: &str, what: &str| {
            KeylessError::Input(format!("the signing config lists no {what} valid now in {field}"))
        };
        let fulcio =
            services("caUrls", &[1]).into_iter().next().ok_or_else(|| none("caUrls", "v1 Fulcio"))?;
        if let Some(version) = rekor_version.filter(|v| ![1, 2].contains(v)) {
            return Err(KeylessError::Input(format!("Rekor v{version}: tagwright speaks Rekor v1 and v2")));
        }
        let wanted = rekor_version.map_or_else(|| vec![1, 2], |v| vec![v]);
        let rekors = services("rekorTlogUrls", &wanted);
        let highest = rekors.iter().map(|(v, _)| *v).max();
        let (rekor_version, rekor) = rekors
            .into_iter()
            .find(|(v, _)| Some(*v) == highest)
            .ok_or_else(|| none("rekorTlogUrls", &format!("Rekor of version {wanted:?}")))?;
        let tsa = services("tsaUrls", &[1]).into_iter().next().map(|(_, url)| url);
        if rekor_version == 2 && tsa.is_none() {
            return Err(KeylessError::Input(
                "the signing config names Rekor v2, which gives no signed time, and no timestamp authority in tsaUrls"
                    .to_owned(),
            ));
        }
        Ok(Instance { fulcio: fulcio.1, rekor, rekor_version, tsa })
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
    /// RFC 3161 timestamp responses (`TimeStampResp`, DER) for the signature.
    pub timestamps: Vec<Vec<u8>>,
}

/// An ephemeral key with its Fulcio certificate.
pub struct Signer {
    key: SigningKey,
    chain: Vec<String>,
    /// The signing certificate (the chain's first), DER.
    certificate: Vec<u8>,
    rekor: String,
    rekor_version: u32,
    tsa: Option<String>,
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
        // An SCT embedded in the certificate, as the public-good Fulcio answers; a Fulcio with no CT
        // log answers the chain as "detached" with no SCT, which verifiers then accept only if their
        // trusted root lists no CT log (or they are told to skip it).
        let signed = if answer["signedCertificateEmbeddedSct"].is_object() {
            &answer["signedCertificateEmbeddedSct"]
        } else {
            &answer["signedCertificateDetachedSct"]
        };
        let chain: Vec<String> = signed["chain"]["certificates"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect();
        let ders: Option<Vec<Vec<u8>>> = chain.iter().map(|c| pem_to_der(c)).collect();
        let Some(certificate) = ders.and_then(|d| d.into_iter().next()) else {
            return Err(KeylessError::Fulcio(format!("POST {url}: no certificate chain in the answer")));
        };
        Ok(Signer {
            key,
            chain,
            certificate,
            rekor: instance.rekor.trim_end_matches('/').to_owned(),
            rekor_version: instance.rekor_version,
            tsa: instance.tsa.clone(),
            client,
        })
    }

    /// The signing certificate, PEM.
    pub fn certificate_pem(&self) -> &str {
        &self.chain[0]
    }

    /// The rest of the chain (intermediates and root), PEM, concatenated.
    pub fn chain_pem(&self) -> String {
        self.chain[1..].concat()
    }

    /// The major version of the Rekor this signer logs to (1 or 2).
    pub fn rekor_version(&self) -> u32 {
        self.rekor_version
    }

    /// Signs `payload` into a DSSE envelope (keyid empty, as cosign and sigstore-python leave it) and
    /// logs it: Rekor v1 as a `dsse` v0.0.1 entry, Rekor v2 as the `hashedrekord` v0.0.2 of its PAE.
    pub fn sign_dsse(&self, payload_type: &str, payload: &[u8]) -> Result<DsseSignature, KeylessError> {
        let pae = crate::dsse::pae(payload_type, payload);
        let signature: DerSignature = self.key.sign(&pae);
        let envelope = crate::dsse::Envelope {
            payload: STANDARD.encode(payload),
            payload_type: payload_type.to_owned(),
            signatures: vec![crate::dsse::Signature {
                keyid: String::new(),
                sig: STANDARD.encode(signature.as_bytes()),
            }],
        };
        let text = serde_json::to_string(&envelope).map_err(|e| KeylessError::Input(e.to_string()))?;
        let timestamps = self.timestamps(signature.as_bytes())?;
        let entry = if self.rekor_version == 2 {
            self.log_v2(&Sha256::digest(&pae).into(), signature.as_bytes())?
        } else {
            self.log(&json!({
                "apiVersion": "0.0.1",
                "kind": "dsse",
                "spec": {"proposedContent": {"envelope": text, "verifiers": [STANDARD.encode(self.certificate_pem())]}}
            }))?
        };
        Ok(DsseSignature { envelope, certificate: self.certificate.clone(), entry, timestamps })
    }

    /// The timestamp authority's response for `signature`: none without one.
    fn timestamps(&self, signature: &[u8]) -> Result<Vec<Vec<u8>>, KeylessError> {
        match &self.tsa {
            Some(url) => crate::tsa::timestamp(&self.client, url, signature)
                .map(|token| vec![token])
                .map_err(|e| KeylessError::Timestamp(e.to_string())),
            None => Ok(Vec::new()),
        }
    }

    /// Logs a signature over the SHA-256 `digest` in Rekor v2 and reads the entry.
    fn log_v2(&self, digest: &[u8; 32], signature: &[u8]) -> Result<LogEntry, KeylessError> {
        let url = format!("{}/api/v2/log/entries", self.rekor);
        let request = crate::rekor_v2::request(digest, signature, &self.certificate);
        let (status, answer) =
            crate::http::post_json(&self.client, &url, &request, None).map_err(KeylessError::Rekor)?;
        if !(200..300).contains(&status) {
            return Err(KeylessError::Rekor(format!("POST {url}: HTTP {status}: {}", message(&answer))));
        }
        crate::rekor_v2::log_entry(&answer).map_err(|e| KeylessError::Rekor(format!("POST {url}: {e}")))
    }

    /// POSTs a proposed entry to Rekor and reads the logged entry.
    fn log(&self, proposed: &Value) -> Result<LogEntry, KeylessError> {
        let url = format!("{}/api/v1/log/entries", self.rekor);
        let (status, answer) =
            crate::http::post_json(&self.client, &url, proposed, None).map_err(KeylessError::Rekor)?;
        if status != 201 {
            return Err(KeylessError::Rekor(format!("POST {url}: HTTP {status}: {}", message(&answer))));
        }
        LogEntry::from_rekor_answer(&answer).map_err(|e| KeylessError::Rekor(format!("POST {url}: {e}")))
    }

    /// Signs `bytes` and logs the signature in Rekor.
    pub fn sign(&self, bytes: &[u8]) -> Result<Signature, KeylessError> {
        let signature: DerSignature = self.key.sign(bytes);
        let digest: [u8; 32] = Sha256::digest(bytes).into();
        let timestamps = self.timestamps(signature.as_bytes())?;
        let entry = if self.rekor_version == 2 {
            self.log_v2(&digest, signature.as_bytes())?
        } else {
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            self.log(&json!({
                "apiVersion": "0.0.1",
                "kind": "hashedrekord",
                "spec": {
                    "data": {"hash": {"algorithm": "sha256", "value": hex}},
                    "signature": {
                        "content": STANDARD.encode(signature.as_bytes()),
                        "publicKey": {"content": STANDARD.encode(self.certificate_pem())}
                    }
                }
            }))?
        };
        let certificate = self.certificate.clone();
        Ok(Signature { signature: signature.as_bytes().to_vec(), digest, certificate, entry, timestamps })
    }
}

fn message(answer: &Value) -> String {
    answer["message"].as_str().map_or_else(|| answer.to_string(), str::to_owned)
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
    /// RFC 3161 timestamp responses (`TimeStampResp`, DER) for the envelope's signature.
    pub timestamps: Vec<Vec<u8>>,
}

impl DsseSignature {
    /// A Sigstore bundle v0.3 holding the envelope.
    pub fn bundle(&self) -> Value {
        bundle_v03(&self.certificate, &self.entry, &self.timestamps, "dsseEnvelope", json!(self.envelope))
    }
}

impl Signature {
    /// A Sigstore bundle v0.3 over the signed bytes (`messageSignature`).
    pub fn bundle(&self) -> Value {
        let content = json!({
            "messageDigest": {"algorithm": "SHA2_256", "digest": STANDARD.encode(self.digest)},
            "signature": STANDARD.encode(&self.signature)
        });
        bundle_v03(&self.certificate, &self.entry, &self.timestamps, "messageSignature", content)
    }
}

/// A bundle v0.3 with a certificate, one log entry, its RFC 3161 timestamps, and its content
/// (`messageSignature` or `dsseEnvelope`).
fn bundle_v03(
    certificate: &[u8],
    entry: &LogEntry,
    timestamps: &[Vec<u8>],
    field: &str,
    content: Value,
) -> Value {
    let mut bundle = json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": STANDARD.encode(certificate)},
            "tlogEntries": [entry.bundle_entry()]
        }
    });
    if !timestamps.is_empty() {
        let tokens: Vec<Value> =
            timestamps.iter().map(|t| json!({"signedTimestamp": STANDARD.encode(t)})).collect();
        bundle["verificationMaterial"]["timestampVerificationData"] = json!({"rfc3161Timestamps": tokens});
    }
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
            signed_entry_timestamp: Some("c2V0".to_owned()),
            inclusion_proof: None,
        };
        let back = LogEntry::from_rekor_bundle_annotation(&entry.rekor_bundle_annotation().expect("a SET"))
            .expect("parses");
        assert_eq!(back.bundle_entry(), entry.bundle_entry());
        assert_eq!(entry.bundle_entry()["kindVersion"], json!({"kind": "hashedrekord", "version": "0.0.1"}));
    }

    #[test]
    fn a_signing_config_gives_the_highest_rekor_unless_one_is_chosen() {
        let config = r#"{"caUrls":[{"url":"https://fulcio.example/","majorApiVersion":1,"validFor":{"start":"2020-01-01T00:00:00Z"}}],
            "rekorTlogUrls":[{"url":"https://old.example","majorApiVersion":1,"validFor":{"start":"2020-01-01T00:00:00Z","end":"2021-01-01T00:00:00Z"}},
              {"url":"https://log2.example","majorApiVersion":2,"validFor":{"start":"2020-01-01T00:00:00Z"}},
              {"url":"https://log3.example","majorApiVersion":3,"validFor":{"start":"2020-01-01T00:00:00Z"}},
              {"url":"https://future.example","majorApiVersion":2,"validFor":{"start":"2999-01-01T00:00:00Z"}},
              {"url":"https://rekor.example","majorApiVersion":1,"validFor":{"start":"2020-01-01T00:00:00Z"}}],
            "tsaUrls":[{"url":"https://tsa.example/api/v1/timestamp","majorApiVersion":1,"validFor":{"start":"2020-01-01T00:00:00Z"}}]}"#;
        let v2 = Instance::from_signing_config(config).expect("config");
        assert_eq!(
            v2,
            Instance {
                fulcio: "https://fulcio.example".into(),
                rekor: "https://log2.example".into(),
                rekor_version: 2,
                tsa: Some("https://tsa.example/api/v1/timestamp".into())
            }
        );
        let v1 = Instance::from_signing_config_with(config, Some(1)).expect("config");
        assert_eq!(
            (v1.rekor.as_str(), v1.rekor_version),
            ("https://rekor.example", 1),
            "the expired one is skipped"
        );
        assert!(Instance::from_signing_config_with(config, Some(3)).is_err(), "a version we do not speak");
        let no_tsa = config.replace("tsaUrls", "ignored");
        let refused = Instance::from_signing_config(&no_tsa).expect_err("Rekor v2 without a TSA");
        assert!(refused.to_string().contains("no timestamp authority"), "{refused}");
        assert_eq!(Instance::from_signing_config_with(&no_tsa, Some(1)).expect("v1").tsa, None);
        assert!(Instance::from_signing_config(r#"{"caUrls":[]}"#).is_err());
    }
}
