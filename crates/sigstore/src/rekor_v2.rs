//! Rekor v2 (rekor-tiles), as its `CLIENTS.md` describes it: one write API, `POST
//! /api/v2/log/entries`, taking a `hashedrekord` v0.0.2 request (a DSSE envelope is logged as the
//! hashedrekord of its PAE and signature, as sigstore-python does), and answering once a checkpoint
//! includes the entry, with the bundle's `TransparencyLogEntry`: an inclusion proof and its signed
//! checkpoint, and neither a signed entry timestamp nor an integrated time (the signed time comes
//! from a timestamp authority).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::tlog::{EntryError, LogEntry};

/// At most this many hashes in an inclusion proof (a tree of 2^64 entries needs 64).
const MAX_PROOF_HASHES: usize = 64;
/// The largest checkpoint accepted (a note: origin, size, root, signatures).
const MAX_CHECKPOINT: usize = 16 << 10;

/// The request that logs a signature over the SHA-256 `digest`, verified by a Fulcio certificate
/// (DER).
pub(crate) fn request(digest: &[u8; 32], signature: &[u8], certificate: &[u8]) -> Value {
    json!({
        "hashedRekordRequestV002": {
            "digest": STANDARD.encode(digest),
            "signature": {
                "content": STANDARD.encode(signature),
                "verifier": {
                    "x509Certificate": {"rawBytes": STANDARD.encode(certificate)},
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256"
                }
            }
        }
    })
}

/// A base64 field of exactly 32 bytes.
fn hash32(value: &Value, what: &str) -> Result<Vec<u8>, String> {
    value
        .as_str()
        .and_then(|text| STANDARD.decode(text).ok())
        .filter(|bytes| bytes.len() == 32)
        .ok_or_else(|| format!("the answer's {what} is not a base64 SHA-256 hash"))
}

/// A protobuf-JSON int64: a decimal string or a number; absent is 0, as proto3 leaves defaults out.
fn int64(value: &Value, what: &str) -> Result<i64, String> {
    let parsed = match value {
        Value::Null => Some(0),
        Value::String(text) => text.parse::<i64>().ok(),
        Value::Number(number) => number.as_i64(),
        _ => None,
    };
    parsed.filter(|n| *n >= 0).ok_or_else(|| format!("the answer's {what} is not a non-negative integer"))
}

/// The entry Rekor v2 answered, its shape checked: a `hashedrekord` v0.0.2 body that says so, a
/// 32-byte log ID, an inclusion proof of at most 64 hashes with a checkpoint. The rest (the proof
/// against the checkpoint, the checkpoint's signature, the body against the signature) is checked
/// when the bundle is verified, before it is published.
pub fn log_entry(answer: &Value) -> Result<LogEntry, EntryError> {
    entry(answer).map_err(EntryError)
}

fn entry(answer: &Value) -> Result<LogEntry, String> {
    let bad = |what: &str| format!("the answer's {what} is missing or malformed");
    let kind = &answer["kindVersion"];
    if kind["kind"] != "hashedrekord" || kind["version"] != "0.0.2" {
        return Err(format!("the entry is not a hashedrekord v0.0.2 but {kind}"));
    }
    let body_b64 = answer["canonicalizedBody"].as_str().ok_or_else(|| bad("canonicalizedBody"))?;
    let body: Value = STANDARD
        .decode(body_b64)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| bad("canonicalizedBody"))?;
    if body["kind"] != kind["kind"] || body["apiVersion"] != kind["version"] {
        return Err("the entry's body is not of the kind and version it claims".to_owned());
    }
    let log_id = hash32(&answer["logId"]["keyId"], "log ID")?;
    let proof = &answer["inclusionProof"];
    let hashes = match &proof["hashes"] {
        Value::Null => Vec::new(),
        Value::Array(hashes) if hashes.len() <= MAX_PROOF_HASHES => hashes.clone(),
        _ => return Err(bad("inclusion proof's hashes")),
    };
    for hash in &hashes {
        hash32(hash, "inclusion proof hash")?;
    }
    let checkpoint = proof["checkpoint"]["envelope"]
        .as_str()
        .filter(|c| !c.is_empty() && c.len() <= MAX_CHECKPOINT)
        .ok_or_else(|| bad("inclusion proof's checkpoint"))?;
    let log_index = int64(&answer["logIndex"], "logIndex")?;
    let tree_size = int64(&proof["treeSize"], "tree size")?;
    if tree_size <= log_index {
        return Err(format!("the proof's tree of {tree_size} entries cannot hold the entry {log_index}"));
    }
    let inclusion_proof = json!({
        "logIndex": int64(&proof["logIndex"], "proof's logIndex")?.to_string(),
        "rootHash": STANDARD.encode(hash32(&proof["rootHash"], "root hash")?),
        "treeSize": tree_size.to_string(),
        "hashes": hashes,
        "checkpoint": {"envelope": checkpoint}
    });
    Ok(LogEntry {
        body: body_b64.to_owned(),
        integrated_time: 0,
        log_index,
        log_id: log_id.iter().map(|b| format!("{b:02x}")).collect(),
        signed_entry_timestamp: None,
        inclusion_proof: Some(inclusion_proof),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer() -> Value {
        let body = STANDARD.encode(br#"{"apiVersion":"0.0.2","kind":"hashedrekord","spec":{}}"#);
        let hash = STANDARD.encode([7u8; 32]);
        json!({
            "logIndex": "3",
            "logId": {"keyId": hash},
            "kindVersion": {"kind": "hashedrekord", "version": "0.0.2"},
            "inclusionProof": {"logIndex": "3", "rootHash": hash, "treeSize": "4", "hashes": [hash, hash], "checkpoint": {"envelope": "origin\n4\nroot\n"}},
            "canonicalizedBody": body
        })
    }

    #[test]
    fn an_answer_becomes_a_bundle_entry_without_a_promise() {
        let entry = log_entry(&answer()).expect("entry");
        let bundle = entry.bundle_entry();
        assert_eq!(bundle["kindVersion"]["version"], "0.0.2");
        assert_eq!(bundle["logIndex"], "3");
        assert_eq!(bundle["logId"]["keyId"], STANDARD.encode([7u8; 32]));
        assert!(bundle.get("inclusionPromise").is_none());
        assert_eq!(bundle["integratedTime"], "0");
        assert_eq!(bundle["inclusionProof"]["hashes"].as_array().map(Vec::len), Some(2));
        assert!(entry.rekor_bundle_annotation().is_none(), "no SET for cosign's legacy annotation");
    }

    #[test]
    fn malformed_answers_are_refused() {
        let cases: [(&str, Value); 7] = [
            ("/kindVersion/version", json!("0.0.1")),
            ("/logId/keyId", json!("AAAA")),
            ("/inclusionProof/hashes", json!(vec![STANDARD.encode([1u8; 32]); 65])),
            ("/inclusionProof/checkpoint/envelope", json!("")),
            ("/inclusionProof/treeSize", json!("3")),
            ("/logIndex", json!("-1")),
            (
                "/canonicalizedBody",
                json!(STANDARD.encode(br#"{"apiVersion":"0.0.1","kind":"hashedrekord"}"#)),
            ),
        ];
        for (pointer, value) in cases {
            let mut bad = answer();
            *bad.pointer_mut(pointer).expect(pointer) = value;
            assert!(log_entry(&bad).is_err(), "{pointer}");
        }
    }
}
