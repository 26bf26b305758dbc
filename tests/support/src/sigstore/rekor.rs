//! A stand-in for Rekor v1 (it cannot run here), following its OpenAPI description:
//! `POST /api/v1/log/entries` (hashedrekord v0.0.1, the kind cosign and sigstore-python log for
//! signatures, and dsse v0.0.1, which sigstore-python logs for attestations), `GET /api/v1/log/entries/{uuid}`, `GET /api/v1/log` and `GET /api/v1/log/publicKey`.
//!
//! It keeps a real RFC 6962 Merkle tree over the canonicalized entry bodies, checks each proposed
//! signature against its certificate's key before logging it (as Rekor does), and answers with the
//! signed entry timestamp (the SET, over the RFC 8785 form of body, integrated time, log ID and index),
//! an inclusion proof, and a checkpoint in the signed-note format signed by the log's key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
use p256::pkcs8::DecodePublicKey as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use x509_cert::der::{DecodePem as _, Encode as _};

use super::x509::Key;
use crate::http::{Request, Response};

/// The tree ID Rekor prefixes entry UUIDs with (the public instance's active shard's, in form).
pub(super) const TREE_ID: u64 = 1_193_050_959_916_656_506;

/// One logged entry.
#[derive(Debug, Clone)]
struct Entry {
    body: Vec<u8>,
    integrated_time: u64,
}

/// The log: its key, its name, its entries.
#[derive(Debug)]
pub(super) struct Log {
    /// The log's signing key.
    pub(super) key: Key,
    /// The checkpoint origin's host part.
    pub(super) name: String,
    entries: Vec<Entry>,
}

fn leaf_hash(body: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(body);
    hasher.finalize().into()
}

fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([1u8]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The largest power of two smaller than `n` (n > 1).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH (RFC 6962 §2.1) over leaf hashes.
fn root(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// PATH(m, D[n]) (RFC 6962 §2.1.1), leaf to root.
fn path(m: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
    if leaves.len() <= 1 {
        return Vec::new();
    }
    let k = split(leaves.len());
    if m < k {
        let mut proof = path(m, &leaves[..k]);
        proof.push(root(&leaves[k..]));
        proof
    } else {
        let mut proof = path(m - k, &leaves[k..]);
        proof.push(root(&leaves[..k]));
        proof
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs()
}

fn error(status: u16, message: &str) -> Response {
    Response::json(status, &json!({"code": status, "message": message}).to_string())
}

impl Log {
    /// An empty log named `name` (the checkpoint's origin is `name - TREE_ID`).
    pub(super) fn new(name: &str) -> Log {
        Log { key: Key::generate(), name: name.to_owned(), entries: Vec::new() }
    }

    /// How many entries are logged.
    pub(super) fn size(&self) -> usize {
        self.entries.len()
    }

    fn leaves(&self) -> Vec<[u8; 32]> {
        self.entries.iter().map(|e| leaf_hash(&e.body)).collect()
    }

    /// The signed checkpoint of the tree as it is now.
    fn checkpoint(&self, leaves: &[[u8; 32]]) -> String {
        let note = format!(
            "{} - {TREE_ID}\n{}\n{}\nTimestamp: {}\n",
            self.name,
            leaves.len(),
            STANDARD.encode(root(leaves)),
            now() * 1_000_000_000
        );
        let mut signature = self.key.key_id()[..4].to_vec();
        signature.extend(self.key.sign(note.as_bytes()));
        format!("{note}\n\u{2014} {} {}\n", self.name, STANDARD.encode(signature))
    }

    /// The v1 API's `LogEntry` for entry `index`: `{uuid: {body, integratedTime, logID, logIndex,
    /// verification}}`.
    fn log_entry(&self, index: usize) -> Value {
        let entry = &self.entries[index];
        let leaves = self.leaves();
        let log_id = hex(&self.key.key_id());
        let body = STANDARD.encode(&entry.body);
        let promise = json!({
            "body": body, "integratedTime": entry.integrated_time, "logID": log_id, "logIndex": index
        });
        let set = STANDARD.encode(self.key.sign(promise.to_string().as_bytes()));
        let uuid = format!("{TREE_ID:016x}{}", hex(&leaves[index]));
        json!({ uuid: {
            "body": body,
            "integratedTime": entry.integrated_time,
            "logID": log_id,
            "logIndex": index,
            "verification": {
                "inclusionProof": {
                    "checkpoint": self.checkpoint(&leaves),
                    "hashes": path(index, &leaves).iter().map(|h| hex(h)).collect::<Vec<_>>(),
                    "logIndex": index,
                    "rootHash": hex(&root(&leaves)),
                    "treeSize": leaves.len()
                },
                "signedEntryTimestamp": set
            }
        }})
    }

    /// Serves one request of the v1 API.
    pub(super) fn handle(&mut self, request: &Request) -> Response {
        let path = request.path.split('?').next().unwrap_or_default();
        match (request.method.as_str(), path) {
            ("POST", "/api/v1/log/entries") => self.post(&request.body),
            ("GET", "/api/v1/log") => {
                let leaves = self.leaves();
                Response::json(
                    200,
                    &json!({
                        "rootHash": hex(&root(&leaves)),
                        "treeSize": leaves.len(),
                        "signedTreeHead": self.checkpoint(&leaves),
                        "treeID": TREE_ID.to_string(),
                        "inactiveShards": []
                    })
                    .to_string(),
                )
            }
            ("GET", "/api/v1/log/publicKey") => {
                use p256::pkcs8::EncodePublicKey as _;
                let pem = self
                    .key
                    .signing
                    .verifying_key()
                    .to_public_key_pem(p256::pkcs8::LineEnding::LF)
                    .expect("pem");
                Response {
                    status: 200,
                    headers: vec![("Content-Type".into(), "application/x-pem-file".into())],
                    body: pem.into_bytes(),
                }
            }
            ("GET", _) if path.starts_with("/api/v1/log/entries/") => {
                let wanted = path.trim_start_matches("/api/v1/log/entries/");
                let wanted = wanted.get(wanted.len().saturating_sub(64)..).unwrap_or_default();
                match self.leaves().iter().position(|l| hex(l) == wanted) {
                    Some(index) => Response::json(200, &self.log_entry(index).to_string()),
                    None => error(404, "entry not found"),
                }
            }
            _ => error(404, "not found"),
        }
    }

    /// `POST /api/v1/log/entries`: validates a hashedrekord v0.0.1 proposal, logs its canonical
    /// form, answers 201 with the entry and its UUID as the ETag (409 if it is already logged).
    fn post(&mut self, body: &[u8]) -> Response {
        let body = match canonical_body(body) {
            Ok(body) => body,
            Err(message) => return error(400, &message),
        };
        let leaf = leaf_hash(&body);
        if self.leaves().contains(&leaf) {
            let uuid = format!("{TREE_ID:016x}{}", hex(&leaf));
            let mut response = error(
                409,
                &format!("An equivalent entry already exists in the transparency log with UUID {uuid}"),
            );
            response.headers.push(("Location".into(), format!("/api/v1/log/entries/{uuid}")));
            return response;
        }
        self.entries.push(Entry { body, integrated_time: now() });
        let index = self.entries.len() - 1;
        // Rekor names the entry's UUID (the key of the answer's one entry) in ETag and Location;
        // sigstore-go (cosign) reads the entry out of the answer by its ETag.
        let uuid = format!("{TREE_ID:016x}{}", hex(&leaf));
        let mut response = Response::json(201, &self.log_entry(index).to_string());
        response.headers.push(("ETag".into(), uuid.clone()));
        response.headers.push(("Location".into(), format!("/api/v1/log/entries/{uuid}")));
        response
    }
}

/// The canonical body Rekor stores for a proposed entry: hashedrekord or dsse, v0.0.1.
fn canonical_body(proposed: &[u8]) -> Result<Vec<u8>, String> {
    let proposed: Value = serde_json::from_slice(proposed).map_err(|e| format!("not JSON: {e}"))?;
    match (proposed["kind"].as_str(), proposed["apiVersion"].as_str()) {
        (Some("hashedrekord"), Some("0.0.1")) => canonical_hashedrekord(&proposed["spec"]),
        (Some("dsse"), Some("0.0.1")) => canonical_dsse(&proposed["spec"]),
        _ => Err(format!("unsupported entry kind {} {}", proposed["kind"], proposed["apiVersion"])),
    }
}

/// The P-256 key of a base64 PEM certificate or public key.
fn verifier_key(public_key: &str) -> Result<p256::ecdsa::VerifyingKey, String> {
    let pem = STANDARD.decode(public_key).map_err(|_| "a public key is not base64".to_owned())?;
    let pem = String::from_utf8(pem).map_err(|_| "a public key is not PEM".to_owned())?;
    let spki = if pem.contains("BEGIN CERTIFICATE") {
        let certificate =
            x509_cert::Certificate::from_pem(pem.as_bytes()).map_err(|e| format!("the certificate: {e}"))?;
        certificate.tbs_certificate.subject_public_key_info.to_der().map_err(|e| e.to_string())?
    } else {
        p256::PublicKey::from_public_key_pem(&pem)
            .map(|k| p256::pkcs8::EncodePublicKey::to_public_key_der(&k).expect("der").as_bytes().to_vec())
            .map_err(|e| format!("the public key: {e}"))?
    };
    p256::ecdsa::VerifyingKey::from_public_key_der(&spki)
        .map_err(|_| "only ECDSA P-256 keys are supported".to_owned())
}

/// A dsse v0.0.1 proposal (`proposedContent`: the envelope as JSON text, and its verifiers): every
/// signature must verify over the envelope's PAE with one of the verifiers, as Rekor requires.
fn canonical_dsse(spec: &Value) -> Result<Vec<u8>, String> {
    use p256::ecdsa::signature::Verifier as _;
    let content = &spec["proposedContent"];
    let envelope_text = content["envelope"].as_str().ok_or("proposedContent.envelope is missing")?;
    let envelope: Value = serde_json::from_str(envelope_text).map_err(|e| format!("the envelope: {e}"))?;
    let payload = STANDARD
        .decode(envelope["payload"].as_str().unwrap_or_default())
        .map_err(|_| "the envelope's payload is not base64".to_owned())?;
    let payload_type = envelope["payloadType"].as_str().unwrap_or_default();
    let mut pae = format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).into_bytes();
    pae.extend_from_slice(&payload);
    let verifiers: Vec<&str> =
        content["verifiers"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let keys = verifiers.iter().map(|v| verifier_key(v)).collect::<Result<Vec<_>, _>>()?;
    let mut signatures = Vec::new();
    for signature in envelope["signatures"].as_array().into_iter().flatten() {
        let encoded = signature["sig"].as_str().unwrap_or_default();
        let raw = STANDARD.decode(encoded).map_err(|_| "a signature is not base64".to_owned())?;
        let parsed =
            p256::ecdsa::Signature::from_der(&raw).map_err(|_| "a signature is not DER ECDSA".to_owned())?;
        let by = keys
            .iter()
            .position(|k| k.verify(&pae, &parsed).is_ok())
            .ok_or("a signature does not verify with any verifier")?;
        signatures.push(json!({"signature": encoded, "verifier": verifiers[by]}));
    }
    if signatures.is_empty() {
        return Err("the envelope has no signatures".into());
    }
    let canonical_envelope = serde_json::to_vec(&envelope).map_err(|e| e.to_string())?;
    let canonical = json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": hex(&Sha256::digest(canonical_envelope))},
            "payloadHash": {"algorithm": "sha256", "value": hex(&Sha256::digest(&payload))},
            "signatures": signatures
        }
    });
    Ok(canonical.to_string().into_bytes())
}

/// A hashedrekord v0.0.1 proposal: the signature must verify over the hash with the key of the
/// certificate (or public key) it names.
fn canonical_hashedrekord(spec: &Value) -> Result<Vec<u8>, String> {
    let algorithm = spec["data"]["hash"]["algorithm"].as_str().unwrap_or_default();
    let value = spec["data"]["hash"]["value"].as_str().unwrap_or_default();
    let signature = spec["signature"]["content"].as_str().unwrap_or_default();
    let public_key = spec["signature"]["publicKey"]["content"].as_str().unwrap_or_default();
    if algorithm != "sha256" || value.len() != 64 {
        return Err("spec.data.hash must be a sha256 hex digest".into());
    }
    let digest: Vec<u8> = (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&value[i..i + 2], 16))
        .collect::<Result<_, _>>()
        .map_err(|_| "spec.data.hash.value is not hex".to_owned())?;
    let key = verifier_key(public_key)?;
    let raw = STANDARD.decode(signature).map_err(|_| "signature.content is not base64".to_owned())?;
    let signature =
        p256::ecdsa::Signature::from_der(&raw).map_err(|_| "the signature is not DER ECDSA".to_owned())?;
    key.verify_prehash(&digest, &signature)
        .map_err(|_| "the signature does not verify over the hash with the key".to_owned())?;
    let canonical = json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": value}},
            "signature": {"content": STANDARD.encode(&raw), "publicKey": {"content": public_key}}
        }
    });
    Ok(canonical.to_string().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6962's tree of 7 leaves, checked by recomputing the root from each leaf's path.
    #[test]
    fn every_inclusion_path_leads_to_the_root() {
        for n in 1..=9usize {
            let leaves: Vec<[u8; 32]> = (0..n).map(|i| leaf_hash(&[i as u8])).collect();
            let expected = root(&leaves);
            for m in 0..n {
                let proof = path(m, &leaves);
                // The verification of RFC 9162 §2.1.3.2.
                let (mut f_n, mut s_n, mut r) = (m, n - 1, leaves[m]);
                for p in &proof {
                    assert!(s_n != 0, "proof too long for {m} of {n}");
                    if f_n % 2 == 1 || f_n == s_n {
                        r = node_hash(p, &r);
                        while f_n % 2 == 0 && f_n != 0 {
                            f_n >>= 1;
                            s_n >>= 1;
                        }
                    } else {
                        r = node_hash(&r, p);
                    }
                    f_n >>= 1;
                    s_n >>= 1;
                }
                assert_eq!((s_n, r), (0, expected), "leaf {m} of {n}");
            }
        }
    }
}
